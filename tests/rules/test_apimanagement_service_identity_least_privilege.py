from driftguard.policy import FrontedAccounts, GatewayPolicy, Policy
from driftguard.rules import apimanagement_service_identity_least_privilege as rule
from driftguard.rules.gateway import GATEWAY_ROLE_ASSIGNMENTS
from simulator import builders as b
from simulator.roles import role_assignment
from tests.rules.helpers import run, without

SUB = "33333333-3333-4333-8333-333333333333"
APIM = b.apim_service(SUB, "rg-gw", "apim-ai")
ACCOUNT = b.cognitive_account(SUB, "rg-ai", "oai-prod")["id"]
PID = APIM["identity"]["principalId"]
POLICY = Policy(gateways=GatewayPolicy(fronted=(FrontedAccounts(gateway=APIM["id"], accounts=(ACCOUNT,)),)))
OPENAI_USER = "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd"
CS_USER = "a97b65f3-24c7-4388-baec-2e87135dc908"
CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c"
KV_SECRETS_USER = "4633458b-17de-408a-b874-0445c86b69e6"


def assignments(*grants: tuple[str, str]) -> dict[str, list[dict[str, object]]]:
    return {
        GATEWAY_ROLE_ASSIGNMENTS: [
            role_assignment(scope, f"0000000{i}-0000-4000-8000-000000000000", role, PID) for i, (scope, role) in enumerate(grants)
        ]
    }


def test_only_openai_user_on_the_account_passes() -> None:
    vault = f"/subscriptions/{SUB}/resourceGroups/rg-gw/providers/Microsoft.KeyVault/vaults/kv-gw"
    assert run(rule, APIM, policy=POLICY, related=assignments((ACCOUNT, OPENAI_USER), (vault, KV_SECRETS_USER))) == []


def test_key_listing_or_managing_roles_fail() -> None:
    [f] = run(
        rule,
        APIM,
        policy=POLICY,
        related=assignments((ACCOUNT, OPENAI_USER), (ACCOUNT, CS_USER), (f"/subscriptions/{SUB}/resourceGroups/rg-ai", CONTRIBUTOR)),
    )
    assert [a["role"] for a in f.evidence["assignments"]] == ["Cognitive Services User", "Contributor"]
    assert f.mode == "ticket"


def test_the_allowed_roles_come_from_the_policy() -> None:
    policy = Policy(gateways=POLICY.gateways.model_copy(update={"allowed_roles": (OPENAI_USER, CS_USER)}))
    assert run(rule, APIM, policy=policy, related=assignments((ACCOUNT, CS_USER))) == []


def test_a_gateway_without_an_identity_fails() -> None:
    [f] = run(rule, without(APIM, "identity"), policy=POLICY, related=assignments())
    assert f.evidence["identity.type"] is None


def test_a_service_the_policy_names_no_gateway_is_not_judged() -> None:
    assert run(rule, without(APIM, "identity"), related=assignments((ACCOUNT, CONTRIBUTOR))) == []
