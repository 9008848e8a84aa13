"""Deciding cases on the demo's drifted estate: approval applies exactly the plan shown, verified in
the simulator; the guards (separation of duties, two approvers, stale plans) refuse what they must."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from driftguard.azure import api_versions
from driftguard.cases import Refused
from driftguard.policy import NetworkPolicy
from driftguard.store.base import CaseKind, CaseStatus, FindingStatus
from tests.cases.conftest import ALICE, BOB, DEV_APPROVER, DEVELOPER, DemoWorld

PUBLIC = "cognitiveservices_account_public_network_access_disabled"
PRIVILEGED = "authorization_roleassignment_privileged_not_standing"
OUTBOUND = "cognitiveservices_account_outbound_restricted"


def props(demo: DemoWorld, rid: str) -> dict[str, object]:
    resource = demo.resource(rid)
    assert resource is not None
    return resource["properties"]  # type: ignore[return-value]


def test_approval_applies_the_plan_shown_and_verifies_it(demo: DemoWorld) -> None:
    case = demo.open_case(PUBLIC, "oai-contoso-prod-eu")
    assert props(demo, case.resource_id)["publicNetworkAccess"] == "Enabled"
    outcome = demo.desk.approve(case.id, ALICE, reason="approved in change CHG-1", plan_digest=case.plan_digest)
    assert outcome.case.status is CaseStatus.APPLIED, outcome.message
    assert props(demo, case.resource_id)["publicNetworkAccess"] == "Disabled"
    assert outcome.case.applied_plan is not None
    assert outcome.case.applied_plan["before"] == {"properties.publicNetworkAccess": "Enabled"}
    assert [e.action for e in outcome.case.history] == ["opened", "approved", "applied"]
    audit = [e for e in demo.world.store.audit_log(resource_id=case.resource_id) if e.action == "applied"]
    assert len(audit) == 1
    assert "Alice" in audit[0].actor
    assert audit[0].before == {"properties.publicNetworkAccess": "Enabled"}
    record = demo.world.store.finding(PUBLIC, case.resource_id)
    assert record is not None
    assert record.status is FindingStatus.RESOLVED
    assert (case.id, "approved") in demo.told
    assert (case.id, "applied") in demo.told
    # DriftGuard's own write comes back as an event: recognised, nothing reopened.
    demo.deliver()
    assert demo.world.store.current_case(case.dedupe_key) == outcome.case
    with pytest.raises(Refused) as again:
        demo.desk.approve(case.id, BOB, reason="again", plan_digest=case.plan_digest)
    assert again.value.status == 409


def test_an_approved_fix_is_the_baseline_drift_back_from_it_is_reverted(demo: DemoWorld) -> None:
    # A first sight (never seen compliant) is approved; the state the fix left, verified and judged,
    # is the rule's last-known-good state: the developer turning it back is drift, reverted at once.
    case = demo.open_case(PUBLIC, "oai-contoso-prod-eu")
    assert demo.world.store.baseline(case.resource_id, PUBLIC) is None
    outcome = demo.desk.approve(case.id, ALICE, reason="approved in change CHG-2", plan_digest=case.plan_digest)
    assert outcome.case.status is CaseStatus.APPLIED, outcome.message
    baseline = demo.world.store.baseline(case.resource_id, PUBLIC)
    assert baseline is not None
    assert baseline.resource["properties"]["publicNetworkAccess"] == "Disabled"  # type: ignore[index]
    demo.deliver()  # DriftGuard's own write
    demo.world.act_as(DEVELOPER, "PATCH", case.resource_id, {"properties": {"publicNetworkAccess": "Enabled"}})
    outcomes = [(r.outcome.value, r.rule) for r in demo.deliver()]
    assert ("reverted", PUBLIC) in outcomes
    assert props(demo, case.resource_id)["publicNetworkAccess"] == "Disabled"


def test_a_state_on_which_the_rule_still_fails_is_never_recorded_as_the_baseline(demo: DemoWorld) -> None:
    case = demo.open_case(PUBLIC, "oai-contoso-prod-eu")
    fixed = demo.resource(case.resource_id)
    assert fixed is not None
    failing = {**fixed, "properties": {**fixed["properties"], "publicNetworkAccess": "Enabled"}}  # type: ignore[dict-item]
    demo.desk._record_baseline(case, failing, datetime.now(UTC))
    assert demo.world.store.baseline(case.resource_id, PUBLIC) is None
    demo.desk._record_baseline(
        case, {**failing, "properties": {**failing["properties"], "publicNetworkAccess": "Disabled"}}, datetime.now(UTC)
    )
    assert demo.world.store.baseline(case.resource_id, PUBLIC) is not None


def test_reason_and_digest_are_required(demo: DemoWorld) -> None:
    case = demo.open_case(PUBLIC, "oai-contoso-prod-eu")
    for reason in (None, "", "   ", 42):
        with pytest.raises(Refused) as e:
            demo.desk.approve(case.id, ALICE, reason=reason, plan_digest=case.plan_digest)
        assert e.value.status == 400
    with pytest.raises(Refused) as stale:
        demo.desk.approve(case.id, ALICE, reason="ok", plan_digest="0" * 64)
    assert stale.value.status == 409
    assert "stale" in stale.value.message
    with pytest.raises(Refused) as missing:
        demo.desk.approve("0" * 24 + "-0", ALICE, reason="ok", plan_digest=case.plan_digest)
    assert missing.value.status == 404
    assert props(demo, case.resource_id)["publicNetworkAccess"] == "Enabled"  # nothing was sent


def test_the_principal_who_caused_the_drift_cannot_approve_its_fix(demo: DemoWorld) -> None:
    rid = demo.open_case(PUBLIC, "oai-contoso-prod-eu").resource_id
    demo.world.act_as(DEVELOPER, "PATCH", rid, {"properties": {"networkAcls": {"defaultAction": "Allow"}}})
    demo.deliver()
    case = demo.open_case(PUBLIC, "oai-contoso-prod-eu")
    assert case.evidence["caller_object_id"] == DEVELOPER
    with pytest.raises(Refused) as e:
        demo.desk.approve(case.id, DEV_APPROVER, reason="mine", plan_digest=case.plan_digest)
    assert e.value.status == 403
    assert "separation of duties" in e.value.message
    assert demo.desk.approve(case.id, ALICE, reason="ok", plan_digest=case.plan_digest).case.status is CaseStatus.APPLIED


def _owner_grant(demo: DemoWorld) -> str:
    prod = demo.world.sample.PROD
    oai = f"/subscriptions/{prod}/resourceGroups/rg-ai-prod/providers/Microsoft.CognitiveServices/accounts/oai-contoso-prod"
    owner = f"/subscriptions/{prod}/providers/Microsoft.Authorization/roleDefinitions/8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
    grant = f"{oai}/providers/Microsoft.Authorization/roleAssignments/0f6b0c1e-0042-4a00-8000-000000000042"
    body = {"properties": {"roleDefinitionId": owner, "principalId": DEVELOPER, "principalType": "User"}}
    demo.world.act_as(DEVELOPER, "PUT", grant, body, api_version=api_versions.AUTHORIZATION)
    demo.deliver()
    return grant


def test_a_critical_rule_needs_two_different_approvers_and_rollback_needs_its_own(demo: DemoWorld) -> None:
    grant = _owner_grant(demo)
    case = demo.open_case(PRIVILEGED, grant.rsplit("/", 1)[-1])
    first = demo.desk.approve(case.id, ALICE, reason="no standing Owner", plan_digest=case.plan_digest)
    assert first.case.status is CaseStatus.OPEN
    assert "1 of 2" in first.message
    assert demo.resource(grant) is not None
    with pytest.raises(Refused) as twice:
        demo.desk.approve(case.id, ALICE, reason="really", plan_digest=case.plan_digest)
    assert twice.value.status == 409
    with pytest.raises(Refused) as own:
        demo.desk.approve(case.id, DEV_APPROVER, reason="fine", plan_digest=case.plan_digest)
    assert own.value.status == 403
    second = demo.desk.approve(case.id, BOB, reason="agreed", plan_digest=case.plan_digest)
    assert second.case.status is CaseStatus.APPLIED, second.message
    assert demo.resource(grant) is None  # removed in the simulator

    # Rolling back recreates the assignment: a change like any other, approved by two others.
    asked = demo.desk.request_rollback(case.id, BOB, reason="the developer needs it until Friday")
    rollback = asked.next_case
    assert rollback is not None
    assert rollback.kind is CaseKind.ROLLBACK
    assert rollback.related_case == case.id
    for who in (BOB, DEV_APPROVER):  # the requester, and whoever would get the access back
        with pytest.raises(Refused) as e:
            demo.desk.approve(rollback.id, who, reason="ok", plan_digest=rollback.plan_digest)
        assert e.value.status == 403
    demo.desk.approve(rollback.id, ALICE, reason="ok until Friday", plan_digest=rollback.plan_digest)
    done = demo.desk.approve(
        rollback.id,
        replace(BOB, object_id="c0c00000-0000-4000-8000-00000000000c", name="Carol"),
        reason="ok",
        plan_digest=rollback.plan_digest,
    )
    assert done.case.status is CaseStatus.APPLIED, done.message
    restored = demo.resource(grant)
    assert restored is not None
    assert restored["properties"]["principalId"] == DEVELOPER  # type: ignore[index]
    original = demo.desk.case(case.id)
    assert [e.action for e in original.history][-2:] == ["rollback_requested", "rolled_back"]


def test_rollback_of_a_property_fix_restores_the_before_value(demo: DemoWorld) -> None:
    case = demo.open_case(PUBLIC, "oai-contoso-prod-eu")
    demo.desk.approve(case.id, ALICE, reason="ok", plan_digest=case.plan_digest)
    rollback = demo.desk.request_rollback(case.id, ALICE, reason="breaks the batch job").next_case
    assert rollback is not None
    assert rollback.plan is not None
    assert rollback.plan["after"] == {"properties.publicNetworkAccess": "Enabled"}
    again = demo.desk.request_rollback(case.id, BOB, reason="twice").next_case  # one rollback case per applied fix
    assert again is not None
    assert again.id == rollback.id
    with pytest.raises(Refused):
        demo.desk.approve(rollback.id, BOB, reason="ok", plan_digest=rollback.plan_digest)  # BOB asked too
    done = demo.desk.approve(rollback.id, DEV_APPROVER, reason="ok", plan_digest=rollback.plan_digest)
    assert done.case.status is CaseStatus.APPLIED
    assert props(demo, case.resource_id)["publicNetworkAccess"] == "Enabled"
    # The restored state is the last one judged: the next sweep does not revert it behind the approvers' back.
    inventory = demo.world.inventory()
    results = demo.world.responder.sweep(inventory.resources())
    inventory.close()
    assert not [r for r in results if r.resource_id == case.resource_id and r.rule == PUBLIC and r.outcome.value == "reverted"]
    # Nor does a later drift event: the approvers chose this state, so the fix's baseline is forgotten.
    assert demo.world.store.baseline(case.resource_id, PUBLIC) is None


def test_a_drift_gone_before_approval_supersedes_the_case(demo: DemoWorld) -> None:
    case = demo.open_case(PUBLIC, "oai-contoso-prod-eu")
    # Fixed by hand; its event has not reached DriftGuard yet.
    demo.world.act_as(BOB.object_id, "PATCH", case.resource_id, {"properties": {"publicNetworkAccess": "Disabled"}})
    outcome = demo.desk.approve(case.id, ALICE, reason="ok", plan_digest=case.plan_digest)
    assert outcome.case.status is CaseStatus.SUPERSEDED
    assert "already gone" in outcome.message


def test_someone_fixing_the_resource_supersedes_the_open_case(demo: DemoWorld) -> None:
    case = demo.open_case(PUBLIC, "oai-contoso-prod-eu")
    demo.world.act_as(BOB.object_id, "PATCH", case.resource_id, {"properties": {"publicNetworkAccess": "Disabled"}})
    demo.deliver()
    assert demo.desk.case(case.id).status is CaseStatus.SUPERSEDED
    assert (case.id, "superseded") in demo.told


def test_a_plan_that_would_differ_is_replaced_by_a_new_case(demo: DemoWorld, tmp_path: Path) -> None:
    case = demo.open_case(OUTBOUND, "ai-contoso-lab")
    # The approved FQDNs changed since the case was opened: the fix would now send another body.
    policy = demo.policy.model_copy(update={"network": NetworkPolicy(approved_fqdns=("api.contoso.example",))})
    desk = demo.world.desk(policy)
    outcome = desk.approve(case.id, ALICE, reason="ok", plan_digest=case.plan_digest)
    assert outcome.case.status is CaseStatus.SUPERSEDED
    successor = outcome.next_case
    assert successor is not None
    assert successor.status is CaseStatus.OPEN
    assert successor.generation == case.generation + 1
    assert successor.plan_digest != case.plan_digest
    assert successor.related_case == case.id
    assert desk.case(case.id).related_case == successor.id
    assert props(demo, case.resource_id).get("allowedFqdnList") != ["api.contoso.example"]  # nothing sent
    done = desk.approve(successor.id, ALICE, reason="new list", plan_digest=successor.plan_digest)
    assert done.case.status is CaseStatus.APPLIED
    assert props(demo, case.resource_id)["allowedFqdnList"] == ["api.contoso.example"]


def test_reject_and_tickets(demo: DemoWorld) -> None:
    case = demo.open_case(PUBLIC, "oai-contoso-prod-eu")
    rejected = demo.desk.reject(case.id, ALICE, reason="the vendor integration needs it; exemption coming")
    assert rejected.case.status is CaseStatus.REJECTED
    with pytest.raises(Refused):
        demo.desk.reject(case.id, ALICE, reason="again")
    ticket = demo.open_case("cognitiveservices_deployment_model_approved", "gpt-35-turbo")
    with pytest.raises(Refused) as e:
        demo.desk.approve(ticket.id, ALICE, reason="ok", plan_digest=ticket.plan_digest)
    assert e.value.status == 409
    assert "no automated fix" in e.value.message


def test_the_sla_reminds_then_expires(demo: DemoWorld) -> None:
    opened = list(demo.world.store.cases(status=CaseStatus.OPEN))
    start = max(c.opened_at for c in opened)
    rules = demo.policy.approvals
    clock = [start + timedelta(hours=rules.sla_hours, minutes=1)]
    desk = demo.world.desk(demo.policy, listeners=(demo.tell,), clock=lambda: clock[0])
    assert desk.enforce_sla() == {"reminded": len(opened), "expired": 0, "reconciled": 0}
    assert desk.enforce_sla() == {"reminded": 0, "expired": 0, "reconciled": 0}  # not again before renotify_every_hours
    clock[0] += timedelta(hours=rules.renotify_every_hours)
    assert desk.enforce_sla()["reminded"] == len(opened)
    clock[0] = start + timedelta(days=rules.expire_after_days)
    assert desk.enforce_sla() == {"reminded": 0, "expired": len(opened), "reconciled": 0}
    assert list(demo.world.store.cases(status=CaseStatus.OPEN)) == []
    assert sum(1 for _, event in demo.told if event == "expired") == len(opened)
    assert datetime.now(UTC) > start  # the clock above is the desk's, not the machine's


def test_the_event_and_the_access_review_share_one_case_per_assignment(demo: DemoWorld) -> None:
    from driftguard.review import open_removal_cases

    grant = _owner_grant(demo)
    case = demo.open_case(PRIVILEGED, grant.rsplit("/", 1)[-1])
    assert case.dedupe_key.endswith(f"|{DEVELOPER}")
    review = demo.world.review(demo.policy)
    open_removal_cases(review, store=demo.world.store, policy=demo.policy, now=datetime.now(UTC), listeners=(demo.tell,))
    again = demo.desk.case(case.id)
    assert again.detections == 2  # the review's detection folded into the event's case
    assert (case.id, "updated") in demo.told
    assert [c.id for c in demo.world.store.cases() if c.resource_id.lower() == grant.lower() and c.rule == PRIVILEGED] == [case.id]


def test_a_refused_fix_fails_the_case_and_a_transient_one_keeps_it_approved(demo: DemoWorld) -> None:
    from driftguard.azure.writes import TransientWriteError
    from simulator.core import Fault

    case = demo.open_case(PUBLIC, "oai-contoso-prod-eu")
    name = case.resource_id.rsplit("/", 1)[-1]
    # ARM down (retries exhausted): nothing decided but the approval; the approver may simply retry.
    demo.world.sim.inject(Fault("503", path=f"/{name}$", method="PATCH", times=10))
    with pytest.raises(TransientWriteError):
        demo.desk.approve(case.id, ALICE, reason="ok", plan_digest=case.plan_digest)
    assert demo.desk.case(case.id).status is CaseStatus.APPROVED
    demo.world.sim.faults.clear()
    # A policy deny (403): the case fails with Azure's reason, audited; nothing is retried behind anyone's back.
    demo.world.sim.inject(Fault("403", path=f"/{name}$", method="PATCH", times=1))
    failed = demo.desk.approve(case.id, ALICE, reason="retry", plan_digest=case.plan_digest)  # a retry, not a second approval
    assert failed.case.status is CaseStatus.FAILED
    assert "HTTP 403" in failed.message
    assert any(e.action == "approved_fix_failed" for e in demo.world.store.audit_log(resource_id=case.resource_id))
    assert [e.action for e in failed.case.history] == ["opened", "approved", "retried", "failed"]
    assert props(demo, case.resource_id)["publicNetworkAccess"] == "Enabled"


class Stop(Exception):
    """Stands for an approval handler that stops at a step (the crash-point harness kills a process)."""


def test_an_approval_stopped_after_its_write_landed_is_finished_by_the_next_approver_or_the_timer(demo: DemoWorld) -> None:
    case = demo.open_case(PUBLIC, "oai-contoso-prod-eu")

    def stop_after_the_write(step: str) -> None:
        if step == "write_landed":
            raise Stop(step)

    stopping = demo.world.desk(demo.policy, observer=stop_after_the_write)
    with pytest.raises(Stop):
        stopping.approve(case.id, ALICE, reason="CHG-2", plan_digest=case.plan_digest)
    assert props(demo, case.resource_id)["publicNetworkAccess"] == "Disabled"  # it landed
    assert demo.world.store.case(case.id).status is CaseStatus.APPROVED  # type: ignore[union-attr]
    # A killed process keeps its claim until it expires (here the exception's cleanup gave it back).
    assert demo.world.store.claim(case.resource_id, PUBLIC, "the-killed-approver", now=datetime.now(UTC), ttl=timedelta(minutes=5))
    # Another approver while that claim is live is told what is going on, nothing is sent.
    with pytest.raises(Refused) as busy:
        demo.desk.approve(case.id, BOB, reason="me too", plan_digest=case.plan_digest)
    assert busy.value.status == 409
    assert "being applied" in busy.value.message
    # The claim expires; the SLA timer finds the write landed and records it, sending nothing.
    later = demo.world.desk(demo.policy, clock=lambda: datetime.now(UTC) + timedelta(minutes=6))
    writes = sum(1 for r in demo.world.sim.requests if r.method == "PATCH")
    assert later.enforce_sla()["reconciled"] == 1
    assert sum(1 for r in demo.world.sim.requests if r.method == "PATCH") == writes
    done = demo.world.store.case(case.id)
    assert done is not None
    assert done.status is CaseStatus.APPLIED
    audit = [e for e in demo.world.store.audit_log(resource_id=case.resource_id) if e.action == "applied"]
    assert len(audit) == 1
    assert "found landed" in audit[0].detail


def test_whoever_caused_the_drift_cannot_approve_the_rollback_of_its_fix(demo: DemoWorld) -> None:
    case = demo.open_case(PUBLIC, "oai-contoso-prod-eu")
    caused = replace(case, evidence={**case.evidence, "caller_object_id": DEV_APPROVER.object_id})
    demo.world.store.save_case(caused)
    applied = demo.desk.approve(case.id, ALICE, reason="CHG-3", plan_digest=case.plan_digest).case
    rollback = demo.desk.request_rollback(applied.id, BOB, reason="the vendor needs it open").next_case
    assert rollback is not None
    with pytest.raises(Refused) as e:
        demo.desk.approve(rollback.id, DEV_APPROVER, reason="mine", plan_digest=rollback.plan_digest)
    assert e.value.status == 403


def test_in_dry_run_an_approval_is_recorded_and_nothing_is_written(demo: DemoWorld) -> None:
    desk = demo.world.desk(demo.policy, dry_run=True)
    writes: list[dict[str, object]] = []
    demo.world.sim.writes.subscribe(writes.append)  # every write ARM accepts emits its event
    case = demo.open_case(PUBLIC, "oai-contoso-prod-eu")
    outcome = desk.approve(case.id, ALICE, reason="approved in dry run", plan_digest=case.plan_digest)
    assert outcome.message.startswith("dry run: approval recorded, nothing sent to Azure"), outcome.message
    assert outcome.case.status is CaseStatus.APPROVED
    assert [a.name for a in outcome.case.valid_approvals] == [ALICE.name]
    assert [e.action for e in outcome.case.history] == ["opened", "approved", "dry_run"]
    # The SLA timer, which finishes approved fixes, sends nothing in dry run either.
    assert desk.enforce_sla()["reconciled"] == 0
    assert writes == []
    assert props(demo, case.resource_id)["publicNetworkAccess"] == "Enabled"
    # Once dry run is off, the recorded approval is applied by the timer, exactly as approved.
    assert demo.world.desk(demo.policy).enforce_sla()["reconciled"] == 1
    assert props(demo, case.resource_id)["publicNetworkAccess"] == "Disabled"
    assert writes, "the write tap sees the fix once it is sent"
