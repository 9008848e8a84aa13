"""AI gateways through the engine's paths: the event path reads the gateway in front of an account, the
scan holds a fronted account until its gateway was seen, and a deep sweep reads each gateway's backends,
named values and its identity's role assignments over ARM (the simulator, as azure-mgmt-apimanagement
declares them)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from driftguard import compose
from driftguard.azure.writes import VerificationFailed
from driftguard.enforcement import BETWEEN_KEY_REGENERATIONS, STEPS
from driftguard.events import parse_event
from driftguard.inventory import ListInventory
from driftguard.model import Mode, Source
from driftguard.pipeline import Evaluator
from driftguard.policy import FrontedAccounts, GatewayPolicy, Policy, load_policy
from driftguard.rules.gateway import GATEWAY_ROLE_ASSIGNMENTS, GATEWAY_ROLE_DEFINITIONS
from driftguard.store.base import Case, CaseStatus, FindingStatus
from simulator import builders as b
from simulator import sample
from simulator.core import Fault
from tests import test_respond
from tests.test_respond import DEV, PROD_OAI, World, baseline_prod

ROOT = Path(__file__).resolve().parents[1]
POLICY = load_policy(ROOT / "examples" / "policy.json")
CHAT = PROD_OAI.replace("oai-contoso-prod", "oai-contoso-chat")
RULE = "cognitiveservices_account_gateway_only"


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    monkeypatch.setattr(test_respond, "Policy", lambda: POLICY)
    return World(tmp_path)


def test_an_account_opened_beside_its_gateway_becomes_a_case(world: World) -> None:
    # Only the gateway's address: the account still takes traffic from the gateway alone.
    only_gateway = {"publicNetworkAccess": "Enabled", "networkAcls": {"defaultAction": "Deny", "ipRules": [{"value": sample.GATEWAY_IP}]}}
    world.change(DEV, PROD_OAI, {"properties": only_gateway})
    assert [o for o in world.deliver() if o[1] == RULE] == []
    # A developer's address beside it: a gateway bypass, a ticket (no automatic fix).
    extra = {"value": "198.51.100.77"}
    world.change(
        DEV, PROD_OAI, {"properties": {"networkAcls": {**only_gateway["networkAcls"], "ipRules": [{"value": sample.GATEWAY_IP}, extra]}}}
    )
    assert [o[0] for o in world.deliver() if o[1] == RULE] == ["case_opened"]


def test_the_recommended_setup_passes_once_its_private_endpoint_is_read(world: World) -> None:
    # Public access disabled, one approved private endpoint: the endpoint resource is read (its subnet),
    # and in the gateway's VNet the account passes; from another network it is a bypass; unread, not
    # evaluated.
    gateway_vnet = sample.GATEWAY_SUBNET.rsplit("/subnets/", 1)[0]
    own = b.private_endpoint(sample.PROD, "rg-ai-prod", "pe-oai-prod", subnet=gateway_vnet + "/subnets/snet-pe", target=PROD_OAI)
    other_vnet = f"/subscriptions/{sample.DEV}/resourceGroups/rg-dev/providers/Microsoft.Network/virtualNetworks/vnet-dev/subnets/snet-pe"
    foreign = b.private_endpoint(sample.DEV, "rg-dev", "pe-dev", subnet=other_vnet, target=PROD_OAI)
    gone = own["id"].replace("pe-oai-prod", "pe-gone")

    def connect(*endpoints: str) -> list[tuple[str, str | None, str]]:
        account = world.resource(PROD_OAI)
        account["properties"]["privateEndpointConnections"] = [
            {
                "id": f"{PROD_OAI}/privateEndpointConnections/c{i}",
                "name": f"c{i}",
                "type": "Microsoft.CognitiveServices/accounts/privateEndpointConnections",
                "properties": {
                    "privateEndpoint": {"id": pe},
                    "privateLinkServiceConnectionState": {"status": "Approved", "description": "", "actionsRequired": "None"},
                    "groupIds": ["account"],
                    "provisioningState": "Succeeded",
                },
            }
            for i, pe in enumerate(endpoints)
        ]
        world.sim.estate.put(account)
        world.change(DEV, PROD_OAI, {"tags": {"n": str(len(endpoints)) + endpoints[-1][-4:]}})
        return [o for o in world.deliver() if o[1] == RULE]

    world.sim.estate.put_many([own, foreign])
    assert connect(own["id"]) == []  # compliant: the endpoint is in the gateway's network
    assert [o[0] for o in connect(own["id"], foreign["id"])] == ["case_opened"]
    assert [o[0] for o in connect(own["id"], gone)] == ["not_evaluated"]


def test_a_change_to_the_gateway_judges_its_identitys_roles(world: World) -> None:
    # The sample gateway's identity holds Cognitive Services User (it lists keys) on oai-contoso-chat.
    world.change(DEV, sample.GATEWAY, {"tags": {"owner": "ai-platform"}})
    outcomes = [o for o in world.deliver() if o[1] == "apimanagement_service_identity_least_privilege"]
    assert [o[0] for o in outcomes] == ["case_opened"]
    assert "Cognitive Services User" in outcomes[0][2]


def test_a_role_granted_to_the_gateways_identity_judges_the_gateway_within_the_event(world: World) -> None:
    # The assignment's own event: the access rules judge the assignment, and the gateway whose identity
    # got the role is judged too (one read of the gateway, its roles listed again), not at the next sweep.
    principal = world.resource(sample.GATEWAY)["identity"]["principalId"]
    key_listing = f"/subscriptions/{sample.PROD}/providers/Microsoft.Authorization/roleDefinitions/a97b65f3-24c7-4388-baec-2e87135dc908"
    assignment = PROD_OAI + "/providers/Microsoft.Authorization/roleAssignments/7f1e0c1a-0000-4000-8000-000000000123"
    body = {"properties": {"roleDefinitionId": key_listing, "principalId": principal, "principalType": "ServicePrincipal"}}
    world.change(DEV, assignment, body, method="PUT")
    outcomes = [o for o in world.deliver() if o[1] == "apimanagement_service_identity_least_privilege"]
    assert [o[0] for o in outcomes] == ["case_opened"]
    assert "Cognitive Services User at the resource oai-contoso-prod" in outcomes[0][2]
    # A role granted to someone else does not read the gateway again.
    other = assignment.replace("0123", "0124")
    world.change(DEV, other, {"properties": {**body["properties"], "principalId": "0f0f0f0f-0000-4000-8000-00000000000f"}}, method="PUT")
    assert [o for o in world.deliver() if o[1] == "apimanagement_service_identity_least_privilege"] == []


def test_a_finding_detected_again_with_more_keeps_the_stored_record_current(world: World) -> None:
    # The stored finding says what is found now (as the case does), not what was found first.
    rule = "apimanagement_service_identity_least_privilege"
    world.change(DEV, sample.GATEWAY, {"tags": {"owner": "ai-platform"}})
    world.deliver()
    first = world.store.finding(rule, sample.GATEWAY)
    assert first is not None
    assert "holds 1 role assignment(s)" in first.finding["message"]
    principal = world.resource(sample.GATEWAY)["identity"]["principalId"]
    key_listing = f"/subscriptions/{sample.PROD}/providers/Microsoft.Authorization/roleDefinitions/a97b65f3-24c7-4388-baec-2e87135dc908"
    assignment = PROD_OAI + "/providers/Microsoft.Authorization/roleAssignments/7f1e0c1a-0000-4000-8000-000000000125"
    body = {"properties": {"roleDefinitionId": key_listing, "principalId": principal, "principalType": "ServicePrincipal"}}
    world.change(DEV, assignment, body, method="PUT")
    world.deliver()
    again = world.store.finding(rule, sample.GATEWAY)
    assert again is not None
    assert "holds 2 role assignment(s)" in again.finding["message"]
    assert len(again.finding["evidence"]["assignments"]) == 2
    assert again.first_seen == first.first_seen


def test_the_scan_judges_a_fronted_account_with_its_gateway_whatever_the_order() -> None:
    apim = b.apim_service(sample.PROD, "rg-gw", "apim-x", public_ips=["20.1.2.3"])
    account = b.cognitive_account(sample.PROD, "rg-ai", "oai-x", public=True, ip_rules=["20.1.2.3"])
    policy = Policy(gateways=GatewayPolicy(fronted=(FrontedAccounts(gateway=apim["id"], accounts=(account["id"],)),)))
    findings, summary = Evaluator(policy).run(ListInventory([account, apim], source=Source.SNAPSHOT))
    assert [f.rule for f in findings if f.rule == RULE] == []
    assert RULE not in summary.not_evaluated  # the gateway was joined: its address is known
    opened = b.cognitive_account(sample.PROD, "rg-ai", "oai-x", public=True, ip_rules=["20.1.2.3", "203.0.113.9"])
    findings, _ = Evaluator(policy).run(ListInventory([opened, apim], source=Source.SNAPSHOT))
    assert [f.evidence["ipRules"] for f in findings if f.rule == RULE] == [["203.0.113.9"]]


def test_a_snapshot_without_role_assignments_does_not_judge_the_gateway_identity() -> None:
    apim = b.apim_service(sample.PROD, "rg-gw", "apim-x")
    policy = Policy(gateways=GatewayPolicy(fronted=(FrontedAccounts(gateway=apim["id"], accounts=("*",)),)))
    findings, summary = Evaluator(policy).run(ListInventory([apim], source=Source.SNAPSHOT))
    assert list(findings) == []
    assert "apimanagement_service_identity_least_privilege" in summary.not_evaluated


def test_a_deep_simulated_sweep_reads_backends_named_values_and_the_identitys_roles() -> None:
    with compose.simulated_inventory(deep=True) as inventory:
        items = list(inventory.resources())
        types = {str(i["type"]).lower() for i in items}
        assert {"microsoft.apimanagement/service/backends", "microsoft.apimanagement/service/namedvalues"} <= types
        secret = next(i for i in items if i["name"] == "oai-chat-key")
        assert "value" not in secret["properties"]  # a secret named value is read without its value
        roles = inventory.related(GATEWAY_ROLE_ASSIGNMENTS, [sample.GATEWAY])
        assert roles is not None
        found = sorted(str(a["properties"]["roleDefinitionId"]).rsplit("/", 1)[-1] for a in roles[sample.GATEWAY.lower()])
        assert found == ["5e0bd9bd-7b93-4f28-af87-19fc36ad61bd", "a97b65f3-24c7-4388-baec-2e87135dc908"]
        # The roles they name are read where each assignment says it is, so that the rule judges them by
        # what they grant; one that cannot be read is left out (the rule then says "not evaluated").
        named = [str(a["properties"]["roleDefinitionId"]) for a in roles[sample.GATEWAY.lower()]]
        gone = named[0].rsplit("/", 1)[0] + "/00000000-0000-4000-8000-0000000000ff"
        definitions = inventory.related(GATEWAY_ROLE_DEFINITIONS, [*named, gone])
        assert definitions is not None
        assert sorted(d["properties"]["roleName"] for n in named for d in definitions[n.lower()]) == [
            "Cognitive Services OpenAI User",
            "Cognitive Services User",
        ]
        assert definitions[gone.lower()] == []
    with compose.simulated_inventory(deep=False) as shallow:
        assert "microsoft.apimanagement/service/backends" in shallow.unlisted
        assert shallow.related(GATEWAY_ROLE_ASSIGNMENTS, [sample.GATEWAY]) is None


def test_policy_validate_names_a_gateway_that_is_not_an_api_management_service(tmp_path: Path) -> None:
    import io

    from driftguard.cli import main

    bad = tmp_path / "policy.json"
    account = f"/subscriptions/{sample.PROD}/resourceGroups/rg-ai-prod/providers/Microsoft.CognitiveServices/accounts/oai-contoso-chat"
    bad.write_text('{"gateways": {"fronted": [{"gateway": "' + account + '", "accounts": ["*"]}]}}')
    out, err = io.StringIO(), io.StringIO()
    assert main(["policy", "validate", str(bad)], stdin=io.StringIO(), stdout=out, stderr=err) == 2
    assert err.getvalue().count("\n") == 1
    assert "gateways.fronted.0.gateway" in err.getvalue()
    assert "not an API Management service" in err.getvalue()
    out, err = io.StringIO(), io.StringIO()
    assert main(["policy", "validate", str(ROOT / "examples" / "policy.json")], stdin=io.StringIO(), stdout=out, stderr=err) == 0


# --- a fix of another rule settles the bypass case ------------------------------------------------------
PUBLIC = "cognitiveservices_account_public_network_access_disabled"
OPENED_UP = {"properties": {"publicNetworkAccess": "Enabled", "networkAcls": {"defaultAction": "Allow"}}}


def bypass_cases(world: World) -> list[Case]:
    return [c for c in world.store.cases() if c.rule == RULE and c.resource_id.lower() == PROD_OAI.lower()]


def test_a_verified_revert_of_public_access_settles_the_bypass_case_it_made_moot(world: World) -> None:
    baseline_prod(world)  # the compliant account seen first: a revert needs its last-known-good state
    world.change(DEV, PROD_OAI, OPENED_UP)
    sent = len(world.sim.requests)
    outcomes = [(o[0], o[1]) for o in world.deliver()]
    # The bypass is on record before the write (it stands while the fix is under way), the revert is
    # verified, and the bypass judged again on the verified state passes.
    assert outcomes[:2] == [("case_opened", RULE), ("reverted", PUBLIC)]
    assert ("resolved", RULE) in outcomes
    assert world.resource(PROD_OAI)["properties"]["publicNetworkAccess"] == "Disabled"
    [case] = bypass_cases(world)
    assert case.status is CaseStatus.SUPERSEDED
    assert case.history[-1].action == "superseded"
    assert case.history[-1].detail == f"fixed by the revert of {PUBLIC}"
    finding = world.store.finding(RULE, PROD_OAI)
    assert finding is not None
    assert finding.status is FindingStatus.RESOLVED
    audit = [e for e in world.store.audit_log() if e.action == "case_superseded"]
    assert [(e.rule, e.detail) for e in audit] == [(RULE, f"case {case.id}: fixed by the revert of {PUBLIC}")]
    # Judged again on the verification's read-back: the account is read to judge it, under the claim
    # and to verify the write, never a fourth time.
    reads = [r for r in world.sim.requests[sent:] if r.method == "GET" and r.path.lower() == PROD_OAI.lower()]
    assert len(reads) == 3
    # A later change that leaves the account closed opens nothing again.
    world.change(DEV, PROD_OAI, {"tags": {"reviewed": "yes"}})
    assert [o for o in world.deliver() if o[1] == RULE] == []
    assert [c.status for c in bypass_cases(world)] == [CaseStatus.SUPERSEDED]


def test_the_bypass_case_stays_open_when_the_revert_is_refused(world: World) -> None:
    baseline_prod(world)  # the compliant account seen first: a revert needs its last-known-good state
    world.change(DEV, PROD_OAI, OPENED_UP)
    # ARM refuses DriftGuard's revert (the simulator answers its PATCH 403, as a missing role would).
    world.sim.inject(Fault("403", path="/oai-contoso-prod$", method="PATCH", times=1))
    outcomes = [(o[0], o[1]) for o in world.deliver()]
    assert ("case_opened", PUBLIC) in outcomes
    assert ("resolved", RULE) not in outcomes
    assert [c.status for c in bypass_cases(world)] == [CaseStatus.OPEN]
    assert world.resource(PROD_OAI)["properties"]["publicNetworkAccess"] == "Enabled"


def test_the_bypass_case_stays_open_when_the_revert_is_not_verified(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    def unverified(*args: Any, **kwargs: Any) -> Any:
        raise VerificationFailed(f"PATCH {PROD_OAI}: the read-back does not show the change after 5.0 s")

    monkeypatch.setattr(world.responder.enforcer.writer, "apply", unverified)
    baseline_prod(world)  # the compliant account seen first: a revert needs its last-known-good state
    world.change(DEV, PROD_OAI, OPENED_UP)
    raw = world.events.pop(0)
    with pytest.raises(VerificationFailed):
        world.responder.handle(parse_event(raw))  # Event Grid delivers it again
    assert [c.status for c in bypass_cases(world)] == [CaseStatus.OPEN]


def test_the_bypass_case_stays_open_when_the_revert_awaits_approval(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    policy = POLICY.model_copy(update={"modes": {**POLICY.modes, PUBLIC: Mode.APPROVE}})
    monkeypatch.setattr(test_respond, "Policy", lambda: policy)
    world = World(tmp_path)
    baseline_prod(world)  # the compliant account seen first: a revert needs its last-known-good state
    world.change(DEV, PROD_OAI, OPENED_UP)
    outcomes = [(o[0], o[1]) for o in world.deliver()]
    assert ("case_opened", PUBLIC) in outcomes
    assert ("reverted", PUBLIC) not in outcomes
    assert [c.status for c in bypass_cases(world)] == [CaseStatus.OPEN]
    assert not [e for e in world.store.audit_log() if e.action == "case_superseded"]


def test_a_case_kept_open_from_before_is_settled_by_a_later_verified_revert(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Public access awaits approval: the bypass and the public access stand as two cases.
    approve = POLICY.model_copy(update={"modes": {**POLICY.modes, PUBLIC: Mode.APPROVE}})
    monkeypatch.setattr(test_respond, "Policy", lambda: approve)
    world = World(tmp_path)
    baseline_prod(world)
    world.change(DEV, PROD_OAI, OPENED_UP)
    world.deliver()
    [before] = bypass_cases(world)
    assert before.status is CaseStatus.OPEN
    # The policy now reverts it; the next change on the account keeps the bypass case, then reverts.
    world.responder.policy = POLICY
    world.change(DEV, PROD_OAI, {"tags": {"reviewed": "yes"}})
    outcomes = [(o[0], o[1]) for o in world.deliver()]
    assert outcomes[:2] == [("case_opened", RULE), ("reverted", PUBLIC)]
    [after] = bypass_cases(world)
    assert after.id == before.id
    assert after.status is CaseStatus.SUPERSEDED
    assert after.history[-1].detail == f"fixed by the revert of {PUBLIC}"


@pytest.mark.parametrize("public_first", [False, True], ids=["registry-order", "public-access-rule-first"])
@pytest.mark.parametrize("crash_at", [*(s for s in STEPS if s != BETWEEN_KEY_REGENERATIONS), "before_event_mark"])
def test_a_handler_stopped_at_any_step_ends_where_an_uninterrupted_one_ends(
    world: World, monkeypatch: pytest.MonkeyPatch, crash_at: str, public_first: bool
) -> None:
    """Whatever the rules' order and wherever the handler stops (its answer lost after the write
    landed, say), Event Grid's redelivery ends with the drift reverted, the bypass on record and
    settled, nothing left open or remediating."""
    if public_first:
        rules = world.responder.rules
        reordered = {PUBLIC: rules[PUBLIC], **{k: v for k, v in rules.items() if k != PUBLIC}}
        rules.clear()
        rules.update(reordered)
    baseline_prod(world)
    world.change(DEV, PROD_OAI, OPENED_UP)
    stopped: list[str] = []

    class Stopped(Exception):
        pass

    def observer(step: str) -> None:
        if step == crash_at and not stopped:
            stopped.append(step)
            raise Stopped(step)

    monkeypatch.setattr(world.responder.enforcer, "observer", observer)
    monkeypatch.setattr(world.responder, "observer", observer)
    raw = world.events.pop(0)
    for _ in range(5):
        try:
            world.responder.handle(parse_event(raw))
            break
        except Stopped:
            world.settle()
    else:
        pytest.fail("never handled")
    world.deliver()
    assert stopped == [crash_at]
    assert world.resource(PROD_OAI)["properties"]["publicNetworkAccess"] == "Disabled"
    [case] = bypass_cases(world)
    assert case.status is CaseStatus.SUPERSEDED
    assert not list(world.store.cases(status=CaseStatus.OPEN))
    assert not list(world.store.findings(status=FindingStatus.REMEDIATING))
    assert [e.rule for e in world.store.audit_log() if e.action == "reverted"] == [PUBLIC]


OTHER_SUB = "44444444-4444-4444-8444-444444444444"
ELSEWHERE = f"/subscriptions/{OTHER_SUB}/resourceGroups/rg-ai-lab/providers/Microsoft.CognitiveServices/accounts/oai-contoso-lab"
CONTRIBUTOR = "25fbc0a9-bd7c-42a3-aa1a-3b75d497ee68"  # Cognitive Services Contributor


def _fronting_elsewhere(tmp_path: Path) -> Policy:
    import json

    raw = json.loads((ROOT / "examples" / "policy.json").read_text())
    raw["gateways"]["fronted"][0]["accounts"].append(ELSEWHERE)
    (tmp_path / "policy.json").write_text(json.dumps(raw))
    return load_policy(tmp_path / "policy.json")


def _grant_elsewhere(sim: object) -> None:
    from simulator.roles import role_assignment

    principal = sim.estate.get(sample.GATEWAY)["identity"]["principalId"]  # type: ignore[attr-defined]
    sim.estate.put(
        role_assignment(ELSEWHERE, "0000000a-aaaa-4000-8000-000000000000", CONTRIBUTOR, principal, principal_type="ServicePrincipal")
    )  # type: ignore[attr-defined]


def test_the_gateways_roles_are_read_in_every_subscription_holding_an_account_it_fronts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The gateway is in PROD; an account it fronts is in another subscription, outside the swept ones:
    # a role there is on that account, and the event path lists it too.
    policy = _fronting_elsewhere(tmp_path)
    assert policy.gateways.subscriptions_of(sample.GATEWAY) == (sample.PROD, OTHER_SUB)
    monkeypatch.setattr(test_respond, "Policy", lambda: policy)
    world = World(tmp_path)
    _grant_elsewhere(world.sim)
    world.change(DEV, sample.GATEWAY, {"tags": {"owner": "ai-platform"}})
    [outcome] = [o for o in world.deliver() if o[1] == "apimanagement_service_identity_least_privilege"]
    assert "Cognitive Services Contributor at the resource oai-contoso-lab" in outcome[2]


def test_a_deep_scan_reads_the_gateways_roles_where_its_accounts_are(tmp_path: Path) -> None:
    from driftguard import rules
    from driftguard.azure.connection import ArmConnection, StaticTokenCredential
    from driftguard.azure.inventory import LiveInventory
    from driftguard.azure.resource_graph import Scope
    from simulator import Simulator
    from simulator.transport import BASE_URL, in_process_session

    policy = _fronting_elsewhere(tmp_path)
    sim = Simulator(sample.build(), management_groups=sample.MANAGEMENT_GROUPS)
    _grant_elsewhere(sim)
    connection = ArmConnection(BASE_URL, StaticTokenCredential(), session=in_process_session(sim), polling_interval=0)
    inventory = LiveInventory(connection, Scope(subscriptions=sample.SUBSCRIPTIONS), rule_types=rules.rule_types(), deep=True)
    try:
        findings, _ = Evaluator(policy).run(inventory)
        [finding] = [f for f in findings if f.rule == "apimanagement_service_identity_least_privilege"]
    finally:
        inventory.close()
    assert "Cognitive Services Contributor at the resource oai-contoso-lab" in finding.message


def test_a_deep_scan_reads_a_fronted_accounts_private_endpoints(tmp_path: Path) -> None:
    import json

    from driftguard import rules
    from driftguard.azure.connection import ArmConnection, StaticTokenCredential
    from driftguard.azure.inventory import LiveInventory
    from driftguard.azure.resource_graph import Scope
    from simulator import Simulator
    from simulator.transport import BASE_URL, in_process_session

    # oai-contoso-prod (behind the gateway, public access disabled) with one approved endpoint in the
    # gateway's VNet: compliant once the endpoint is read; without a deep read, not evaluated.
    sim = Simulator(sample.build(), management_groups=sample.MANAGEMENT_GROUPS)
    gateway_vnet = sample.GATEWAY_SUBNET.rsplit("/subnets/", 1)[0]
    own = b.private_endpoint(sample.PROD, "rg-ai-prod", "pe-oai-prod", subnet=gateway_vnet + "/subnets/snet-pe", target=PROD_OAI)
    account = json.loads(json.dumps(sim.estate.get(PROD_OAI)))
    account["properties"]["privateEndpointConnections"] = b.cognitive_account(
        sample.PROD, "rg-ai-prod", "oai-contoso-prod", private_endpoints=[own["id"]]
    )["properties"]["privateEndpointConnections"]
    sim.estate.put_many([own, account])
    connection = ArmConnection(BASE_URL, StaticTokenCredential(), session=in_process_session(sim), polling_interval=0)
    for deep in (True, False):
        inventory = LiveInventory(connection, Scope(subscriptions=sample.SUBSCRIPTIONS), rule_types=rules.rule_types(), deep=deep)
        try:
            findings, summary = Evaluator(POLICY).run(inventory)
            on_prod = [f for f in findings if f.rule == RULE and f.resource_id.lower() == PROD_OAI.lower()]
        finally:
            inventory.close()
        assert on_prod == []
        assert (RULE in summary.not_evaluated) is (not deep), summary.not_evaluated.get(RULE)
