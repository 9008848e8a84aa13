import pytest

from driftguard.policy import FrontedAccounts, GatewayPolicy, Policy
from driftguard.rules import apimanagement_service_identity_least_privilege as rule
from driftguard.rules.base import NotEvaluable
from driftguard.rules.gateway import GATEWAY_ROLE_ASSIGNMENTS, GATEWAY_ROLE_DEFINITIONS
from simulator import builders as b
from simulator.roles import role_assignment, role_definition
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
    # Scopes by level and name, never a whole id a terminal would split (the ids are in the evidence).
    assert "Cognitive Services User at the resource oai-prod" in f.message
    assert "Contributor at the resource group rg-ai" in f.message
    assert "/subscriptions/" not in f.message
    assert f.evidence["assignments"][1]["scope"] == f"/subscriptions/{SUB}/resourceGroups/rg-ai"


def test_the_allowed_roles_come_from_the_policy() -> None:
    policy = Policy(gateways=POLICY.gateways.model_copy(update={"allowed_roles": (OPENAI_USER, CS_USER)}))
    assert run(rule, APIM, policy=policy, related=assignments((ACCOUNT, CS_USER))) == []


def test_a_gateway_without_an_identity_fails() -> None:
    [f] = run(rule, without(APIM, "identity"), policy=POLICY, related=assignments())
    assert f.evidence["identity.type"] is None


def test_a_service_the_policy_names_no_gateway_is_not_judged() -> None:
    assert run(rule, without(APIM, "identity"), related=assignments((ACCOUNT, CONTRIBUTOR))) == []


RG = f"/subscriptions/{SUB}/resourceGroups/rg-ai"
OPENAI_CONTRIBUTOR = "a001fd3d-188f-4b5d-821b-7da978bf7442"
AI_DEVELOPER = "64702f94-c441-49e6-a78b-ef80e0188fee"
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
CUSTOM = "c0570000-0000-4000-8000-00000000c057"


def custom_role(actions: list[str], data_actions: list[str] | None = None) -> dict[str, object]:
    return {
        "id": f"/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/{CUSTOM}",
        "name": CUSTOM,
        "type": "Microsoft.Authorization/roleDefinitions",
        "properties": {
            "roleName": "Gateway key reader",
            "type": "CustomRole",
            "assignableScopes": [f"/subscriptions/{SUB}"],
            "permissions": [{"actions": actions, "notActions": [], "dataActions": data_actions or [], "notDataActions": []}],
        },
    }


def with_definitions(grants: dict[str, list[dict[str, object]]], *definitions: dict[str, object]) -> dict[str, list[dict[str, object]]]:
    return {**grants, GATEWAY_ROLE_DEFINITIONS: list(definitions)}


def test_roles_above_the_account_are_judged_by_what_their_definitions_grant() -> None:
    # Cognitive Services OpenAI Contributor writes deployments and RAI policies; Azure AI Developer holds
    # every OpenAI data action: neither is on a short list of names, both are reported.
    grants = assignments((ACCOUNT, OPENAI_USER), (RG, OPENAI_CONTRIBUTOR), (RG, AI_DEVELOPER), (RG, READER))
    [f] = run(
        rule,
        APIM,
        policy=POLICY,
        related=with_definitions(grants, *(role_definition(g) for g in (OPENAI_USER, OPENAI_CONTRIBUTOR, AI_DEVELOPER, READER))),
    )
    assert [a["role"] for a in f.evidence["assignments"]] == ["Cognitive Services OpenAI Contributor", "Azure AI Developer"]
    assert "deployments/write" in f.evidence["assignments"][0]["why"]


def test_a_custom_role_that_lists_keys_on_the_resource_group_fails() -> None:
    grants = assignments((ACCOUNT, OPENAI_USER), (RG, CUSTOM))
    [f] = run(
        rule, APIM, policy=POLICY, related=with_definitions(grants, custom_role(["Microsoft.CognitiveServices/accounts/listKeys/action"]))
    )
    assert [(a["role"], a["why"]) for a in f.evidence["assignments"]] == [("Gateway key reader", "lists the accounts' keys")]
    # Reads only: not beyond a user role.
    assert run(rule, APIM, policy=POLICY, related=with_definitions(grants, custom_role(["Microsoft.CognitiveServices/*/read"]))) == []


def test_a_role_whose_definition_was_not_read_is_not_evaluated_never_compliant() -> None:
    with pytest.raises(NotEvaluable, match="not read"):
        run(rule, APIM, policy=POLICY, related=assignments((ACCOUNT, OPENAI_USER), (RG, CUSTOM)))


def test_a_resource_group_that_holds_none_of_the_fronted_accounts_is_not_judged() -> None:
    other = f"/subscriptions/{SUB}/resourceGroups/rg-other"
    grants = assignments((ACCOUNT, OPENAI_USER), (other, CUSTOM))
    assert run(rule, APIM, policy=POLICY, related=with_definitions(grants, custom_role(["*"]))) == []
