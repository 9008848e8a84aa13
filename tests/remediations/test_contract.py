"""Every remediation, applied for real against the simulator: the plan is minimal, the write is
verified, applying twice is a no-op, the rule passes afterwards, and PATCH fixes roll back."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

import remediations
from driftguard import rules
from driftguard.azure.connection import ArmConnection, RawArm, StaticTokenCredential
from driftguard.azure.writes import ArmWriter
from driftguard.model import ResourceSnapshot
from driftguard.policy import MonitoringPolicy, NetworkPolicy, Policy
from driftguard.rules.base import RuleContext
from remediations.base import CannotPlan, PlanContext, restored_values, rollback
from simulator import Estate, Simulator
from simulator import builders as b
from simulator.roles import role_assignment
from simulator.transport import BASE_URL, in_process_session

SUB = "11111111-1111-4111-8111-111111111111"
DRIFTGUARD = "d9d9d9d9-0000-4000-8000-000000000001"
LAW = f"/subscriptions/{SUB}/resourceGroups/mon/providers/Microsoft.OperationalInsights/workspaces/law"
FOREIGN = "/subscriptions/99999999-9999-4999-8999-999999999999/resourceGroups/x/providers/Microsoft.Network/privateEndpoints/pe"
ACCOUNT = b.cognitive_account(SUB, "rg", "oai")


@dataclass
class Case:
    target: dict[str, Any]  # the resource the plan is made for
    others: list[dict[str, Any]] = field(default_factory=list)
    policy: Policy = field(default_factory=Policy)
    baseline: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    # Resources whose rule must pass afterwards (the target unless the fix writes elsewhere).
    judged: Callable[[Simulator], list[dict[str, Any]]] | None = None


def cases() -> dict[str, Case]:
    acct = ACCOUNT["id"]
    narrow = b.cognitive_account(SUB, "rg", "oai", public=True, default_action="Deny", ip_rules=["203.0.113.0/24"])
    st = lambda **kw: b.storage_account(SUB, "rg", "st", tags={"driftguard-ai-data": "true"}, **kw)  # noqa: E731
    return {
        "cognitiveservices_account_disable_public_network_access": Case(
            b.cognitive_account(SUB, "rg", "oai", public=True, default_action="Allow")
        ),
        "cognitiveservices_account_restore_network_acls": Case(
            b.cognitive_account(SUB, "rg", "oai", public=True, default_action="Deny", ip_rules=["0.0.0.0/0"]), baseline=narrow
        ),
        "cognitiveservices_account_restrict_outbound": Case(
            b.cognitive_account(SUB, "rg", "oai", outbound_restricted=False, fqdns=[]),
            policy=Policy(network=NetworkPolicy(approved_fqdns=("docs.contoso.com",))),
        ),
        "cognitiveservices_account_disable_local_auth": Case(b.cognitive_account(SUB, "rg", "oai", local_auth=True)),
        # A Defender for AI alert's playbook: the attacker's address leaves the allow-list, the range stays.
        "cognitiveservices_account_block_ip": Case(
            b.cognitive_account(SUB, "rg", "oai", public=True, default_action="Deny", ip_rules=["203.0.113.7", "198.51.100.0/24"]),
            extra={"ip_address": "203.0.113.7", "gateways": []},
        ),
        "cognitiveservices_rai_policy_block_jailbreak": Case(b.rai_policy(acct, "relaxed", jailbreak=False), others=[ACCOUNT]),
        "cognitiveservices_account_regenerate_keys": Case(b.cognitive_account(SUB, "rg", "oai", local_auth=True)),
        "search_service_regenerate_admin_keys": Case(b.search_service(SUB, "rg", "srch")),
        "storage_account_regenerate_keys": Case(st()),
        "resource_enable_system_assigned_identity": Case(b.search_service(SUB, "rg", "srch", identity=False)),
        "cognitiveservices_account_enable_defender_for_ai": Case(b.defender_setting(acct, enabled=False), others=[ACCOUNT]),
        "cognitiveservices_rai_policy_restore": Case(
            b.deployment(acct, "gpt", rai_policy="relaxed"),
            others=[ACCOUNT, b.rai_policy(acct, "strict"), b.rai_policy(acct, "relaxed", jailbreak=False)],
            baseline=b.deployment(acct, "gpt", rai_policy="strict"),
        ),
        "private_endpoint_connection_reject": Case(
            b.cognitive_account(SUB, "rg", "oai", private_endpoints=[FOREIGN]), extra={"connection": "pe-0"}
        ),
        "machinelearning_workspace_disable_public_network_access": Case(b.workspace(SUB, "rg", "ws", public=True)),
        "machinelearning_workspace_datastores_identity": Case(b.workspace(SUB, "rg", "ws", datastore_auth="AccessKey")),
        "search_service_disable_public_network_access": Case(b.search_service(SUB, "rg", "srch", public=True)),
        "search_service_disable_local_auth": Case(b.search_service(SUB, "rg", "srch", local_auth=True)),
        "storage_account_disable_public_network_access": Case(st(public=True)),
        "storage_account_disable_blob_public_access": Case(st(blob_public=True)),
        "storage_account_disable_shared_key": Case(st(shared_key=True)),
        "monitor_diagnostic_setting_create": Case(ACCOUNT, policy=Policy(monitoring=MonitoringPolicy(log_analytics_workspace_id=LAW))),
        "security_pricing_enable_ai": Case(b.pricing(SUB, standard=False)),
        "app_sessionpool_disable_egress": Case(b.session_pool(SUB, "rg", "pool", egress=True)),
        "authorization_roleassignment_delete": Case(
            role_assignment(
                acct, "0f6b0c1e-0009-4a00-8000-000000000009", "8e3af657-a8ff-443c-a75c-2fe8c4bcb635", "a1b2c3d4-0000-4000-8000-00000000d004"
            ),
            others=[ACCOUNT],
        ),
    }


def test_every_remediation_has_a_case() -> None:
    assert set(cases()) == set(remediations.registry())


@pytest.mark.parametrize("rid", sorted(cases()))
def test_remediation_applies_verifies_and_is_idempotent(rid: str) -> None:
    case = cases()[rid]
    remediation = remediations.registry()[rid]
    estate = Estate()
    estate.put_many([*case.others, case.target])
    sim = Simulator(estate)
    events: list[dict[str, Any]] = []
    sim.writes.subscribe(events.append)
    conn = ArmConnection(BASE_URL, StaticTokenCredential(f"sim:{DRIFTGUARD}"), session=in_process_session(sim), polling_interval=0)
    writer = ArmWriter(RawArm(conn), BASE_URL, poll_interval_s=0)
    context = PlanContext(policy=case.policy, baseline=case.baseline, extra=case.extra)

    current = estate.get(case.target["id"])
    assert current is not None
    plan = remediation.plan(current, context)
    assert plan is not None
    assert len(plan.digest()) == 64
    for step in plan.steps:
        # Never a full PUT of a resource that takes PATCH: PUTs go to child settings or deployments.
        assert (
            step.method != "PUT"
            or step.path.lower() != case.target["id"].lower()
            or "/deployments/" in step.path.lower()
            or "/defenderforaisettings/" in step.path.lower()
            or "/pricings/" in step.path.lower()
            or "/raipolicies/" in step.path.lower()  # RAI policies take only a PUT
        )
    applied = writer.apply(plan)
    assert events, "the write produced its Event Grid event"
    assert all(e["data"]["claims"]["http://schemas.microsoft.com/identity/claims/objectidentifier"] == DRIFTGUARD for e in events)

    after = estate.get(case.target["id"])
    if [s.method for s in plan.steps] == ["DELETE"]:
        assert after is None
        assert remediation.plan(case.target, context) is not None  # a removal always plans; the store keeps it from repeating
        back = rollback(plan, None)
        assert back is not None
        writer.apply(back)
        recreated = estate.get(case.target["id"])
        assert recreated is not None
        for key in ("roleDefinitionId", "principalId", "principalType", "scope"):
            assert recreated["properties"][key] == case.target["properties"][key]
        return
    assert after is not None
    if any(s.method != "POST" for s in plan.steps):  # regenerating keys again is a new rotation, not a repeat
        assert remediation.plan(after, context) is None or rid == "monitor_diagnostic_setting_create", "applying twice must be a no-op"
    # The rule this remediation serves passes on the read-back.
    for meta, evaluate in rules.registry().values():
        if meta.remediation != rid or meta.requires or not meta.applies_to(after["type"]):
            continue
        ctx = RuleContext(
            policy=case.policy,
            ai_linked_storage=frozenset(),
            rai_policies_loaded=True,
            rai_policies={
                ACCOUNT["id"].lower(): {
                    "strict": rules.cognitiveservices_deployment_content_filter_enforced.index_policy(b.rai_policy(ACCOUNT["id"], "strict"))
                }
            },
        )
        found = [f for f in evaluate(ResourceSnapshot(after), ctx) if f.resource_id.lower() == after["id"].lower()]
        assert found == [], (meta.id, [f.message for f in found])
    assert applied.read_back or all(s.method == "POST" for s in plan.steps)

    # Rolled back through the remediation's own undo, from what its requests changed (a project's hub).
    changed = estate.get(plan.resource_id)
    if "PATCH" in {s.method for s in plan.steps} <= {"PATCH", "POST"}:  # key regenerations are not undone
        back = remediation.undo(plan, changed)
        assert back is not None
        writer.apply(back)
        restored = estate.get(plan.resource_id)
        assert restored is not None
        # Each before-value is back: an absent one as what its absence meant (DEFAULTS), never a null.
        wanted = restored_values(str(restored["type"]), plan.before)
        if rid == "resource_enable_system_assigned_identity":
            assert restored["identity"] == wanted["identity"]  # the whole identity, nothing left over
        else:
            assert {k: rollback_value(restored, k) for k in plan.before} == wanted
    elif remediation.undoer is not None and {s.method for s in plan.steps} == {"PUT"}:
        # A setting that takes only a full PUT (a RAI policy) is put back by the fix's own undo.
        back = remediation.undo(plan, changed)
        assert back is not None
        writer.apply(back)
        restored = estate.get(plan.resource_id)
        assert restored is not None
        assert {k: rollback_value(restored, k) for k in plan.before} == dict(plan.before)
        assert remediation.undo(plan, restored) is None
    else:
        with pytest.raises(CannotPlan):
            remediation.undo(plan, changed)


def rollback_value(resource: dict[str, Any], dotted: str) -> Any:
    from remediations.base import get_path

    return get_path(resource, dotted)


@pytest.mark.parametrize(
    ("rid", "resource", "bodies"),
    [
        ("cognitiveservices_account_regenerate_keys", b.cognitive_account(SUB, "rg", "oai", local_auth=True), ["Key1", "Key2"]),
        ("storage_account_regenerate_keys", b.storage_account(SUB, "rg", "st"), ["key1", "key2"]),
    ],
)
def test_keys_really_change_and_are_not_returned(rid: str, resource: dict[str, Any], bodies: list[str]) -> None:
    estate = Estate()
    estate.put(resource)
    sim = Simulator(estate)
    before = dict(sim.writes.keys(resource["id"]))
    conn = ArmConnection(BASE_URL, StaticTokenCredential(f"sim:{DRIFTGUARD}"), session=in_process_session(sim), polling_interval=0)
    plan = remediations.registry()[rid].plan(resource, PlanContext(policy=Policy()))
    assert plan is not None
    assert [s.body for s in plan.steps] == [{"keyName": k} for k in bodies]
    applied = ArmWriter(RawArm(conn), BASE_URL, poll_interval_s=0).apply(plan)
    after = sim.writes.keys(resource["id"])
    assert after["key1"] != before["key1"]
    assert after["key2"] != before["key2"]
    assert applied.read_back == {}  # key responses are never read, so never kept
    assert [(r.method, r.path) for r in sim.requests] == [("POST", f"{resource['id']}/regenerateKey")] * 2


def test_keys_of_an_account_with_local_auth_off_are_not_regenerated() -> None:
    """Azure refuses key operations once local auth is off: no plan is made that it would refuse."""
    with pytest.raises(CannotPlan, match="local auth is disabled"):
        remediations.registry()["cognitiveservices_account_regenerate_keys"].plan(ACCOUNT, PlanContext(policy=Policy()))
