"""Defender for AI alerts become incident cases: one per alert however often it is read, with the alert,
the resource's open findings and recent changes; a sweep that stops half-way loses no alert; a
playbook is applied only on approval, through the desk, and rolls back; tickets and CloudEvents follow
as for every case."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from driftguard import alerts
from driftguard.cases import Refused
from driftguard.cases.auth import OBJECT_ID_CLAIMS, Principal, Role, parse_principal
from driftguard.cases.incidents import ANNOUNCE_GRACE, DEEP_EVERY, FIRST_LOOKBACK, OVERLAP, WATERMARK_ID, IncidentIntake
from driftguard.store.base import Baseline, Case, CaseKind, CaseStatus, StoreConflict
from simulator import builders as b
from simulator import sample
from simulator.server import SimulatorServer
from tests.cases.conftest import ALICE, BOB, DEV_APPROVER, DEVELOPER, DemoWorld
from tests.cases.ticket_systems import TicketSystems

JAILBREAK = "AI.Azure_Jailbreak.ContentFiltering.DetectedAttempt"
SUSPICIOUS_IP = "AI.Azure_AccessFromSuspiciousIP"


def incidents(demo: DemoWorld) -> list[Case]:
    return [c for c in demo.world.store.cases() if c.kind is CaseKind.INCIDENT]


def by_type(cases: list[Case], alert_type: str) -> Case:
    found = [c for c in cases if c.evidence["alert"]["type"] == alert_type]
    assert len(found) == 1
    return found[0]


def account(demo: DemoWorld, name: str) -> str:
    return f"/subscriptions/{demo.world.sample.PROD}/resourceGroups/rg-ai-prod/providers/Microsoft.CognitiveServices/accounts/{name}"


def test_each_alert_becomes_one_incident_case_with_its_context(demo: DemoWorld) -> None:
    oai = account(demo, "oai-contoso-prod")
    # A change the incident should show: the developer opens the account shortly before the alert.
    demo.world.act_as(DEVELOPER, "PATCH", oai, {"properties": {"publicNetworkAccess": "Enabled"}})
    demo.deliver()
    outcome = demo.world.incidents(demo.policy, listeners=(demo.tell,)).sweep()
    assert (outcome.read, len(outcome.opened), outcome.already_open) == (2, 2, 0)
    opened = incidents(demo)
    assert all(c.rule == alerts.RULE and c.status is CaseStatus.OPEN for c in opened)
    assert {(cid, event) for cid, event in demo.told if cid in {c.id for c in opened}} == {(c.id, "opened") for c in opened}

    jailbreak = by_type(opened, JAILBREAK)
    alert = jailbreak.evidence["alert"]
    assert (alert["severity"], alert["deployment"], alert["ip_addresses"]) == ("medium", "gpt-4o-mini", ["203.0.113.45"])
    assert alert["resource_id"].lower() == oai.lower()
    assert alert["generated_at"].endswith("Z")
    # Its playbook targets the RAI policy the alerted deployment uses, with the exact request to approve.
    assert jailbreak.resource_id.lower().endswith("/raipolicies/relaxed-debug")
    assert jailbreak.plan is not None
    assert jailbreak.plan["remediation"] == "cognitiveservices_rai_policy_block_jailbreak"
    assert [s["method"] for s in jailbreak.plan["steps"]] == ["PUT"]
    # The resource's open findings (from the store) and its recent changes (Activity Log), both its own.
    findings = jailbreak.evidence["open_findings"]
    assert findings
    assert all(f["resource_id"].lower().startswith(oai.lower()) for f in findings)
    changes = jailbreak.evidence["recent_changes"]
    assert any(c["operation"] == "Microsoft.CognitiveServices/accounts/write" for c in changes)
    assert all(c["resource_id"].startswith(oai.lower()) for c in changes)
    assert {r["kind"] for r in jailbreak.evidence["references"]} == {"mitre-atlas", "owasp-llm"}

    # The EU account lets 0.0.0.0/0 in: cutting the attacker out of that range is a person's call.
    ip = by_type(opened, SUSPICIOUS_IP)
    assert ip.plan is None
    assert ip.plan_digest is None
    assert "inside the allowed range 0.0.0.0/0" in ip.reason
    assert ip.evidence["alert"]["ip_addresses"] == ["198.51.100.23"]


def test_an_alert_read_again_is_the_same_case_and_the_watermark_moves(demo: DemoWorld) -> None:
    intake = demo.world.incidents(demo.policy)
    assert intake.watermark() is None
    first = intake.sweep()
    mark = intake.watermark()
    assert mark is not None
    assert mark == max(datetime.fromisoformat(c.evidence["alert"]["generated_at"]) for c in first.opened)
    again = demo.world.incidents(demo.policy).sweep()
    assert (again.read, len(again.opened), again.already_open) == (2, 0, 2)
    assert len(incidents(demo)) == 2
    assert all(c.detections == 1 for c in incidents(demo))


def test_the_sweep_reads_from_the_watermark_minus_the_overlap(demo: DemoWorld) -> None:
    asked: list[datetime] = []

    def source(since: datetime) -> list[Mapping[str, Any]]:
        asked.append(since)
        return []

    # The intake's clock is after the real sweep's watermark (a fixed date stopped being so once the
    # wall clock passed it).
    now = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)
    intake = IncidentIntake(
        policy=demo.policy, store=demo.world.store, reader=demo.world.writer.read, remediations={}, alerts_since=source, clock=lambda: now
    )
    intake.sweep()
    assert asked == [now - FIRST_LOOKBACK]
    real = demo.world.incidents(demo.policy)
    real.sweep()
    mark = real.watermark()
    assert mark is not None
    intake.sweep()
    assert asked[-1] == mark - OVERLAP


class FailingStore:
    """The store, failing the n-th case it is asked to open (a handler that stops mid-sweep)."""

    def __init__(self, store: Any, fail_at: int) -> None:
        self._store = store
        self._left = fail_at

    def open_case(self, case: Case, *, if_absent: bool = False) -> Case:
        self._left -= 1
        if self._left == 0:
            raise StoreConflict("stopped mid-sweep")
        opened: Case = self._store.open_case(case, if_absent=if_absent)
        return opened

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


def test_a_sweep_that_stops_half_way_loses_no_alert(demo: DemoWorld) -> None:
    real = demo.world.incidents(demo.policy)
    broken = IncidentIntake(
        policy=demo.policy,
        store=FailingStore(demo.world.store, fail_at=2),  # type: ignore[arg-type]
        reader=real.read,
        remediations=real.remediations,
        alerts_since=real.alerts_since,
        changes=real.changes,
    )
    with pytest.raises(StoreConflict):
        broken.sweep()
    assert len(incidents(demo)) == 1
    assert real.watermark() is None, "the watermark moves only once every case of the sweep is stored"
    outcome = real.sweep()
    assert (len(outcome.opened), outcome.already_open) == (1, 1)
    assert {c.evidence["alert"]["type"] for c in incidents(demo)} == {JAILBREAK, SUSPICIOUS_IP}


def test_a_playbook_is_applied_only_on_approval_and_rolls_back(demo: DemoWorld) -> None:
    demo.world.incidents(demo.policy, listeners=(demo.tell,)).sweep()
    case = by_type(incidents(demo), JAILBREAK)
    before = demo.resource(case.resource_id)
    assert before is not None
    jailbreak = [f for f in before["properties"]["contentFilters"] if f["name"] == "Jailbreak"]  # type: ignore[index]
    assert jailbreak == [{"name": "Jailbreak", "blocking": False, "source": "Prompt", "enabled": False}], "nothing applied before approval"

    with pytest.raises(Refused, match="stale plan digest"):
        demo.desk.approve(case.id, ALICE, reason="contain it", plan_digest="0" * 64)
    outcome = demo.desk.approve(case.id, ALICE, reason="contain it", plan_digest=case.plan_digest)
    assert outcome.case.status is CaseStatus.APPLIED, outcome.message
    after = demo.resource(case.resource_id)
    assert after is not None
    filters = {(f["name"], f["source"]): (f["enabled"], f["blocking"]) for f in after["properties"]["contentFilters"]}  # type: ignore[index]
    assert filters[("Jailbreak", "Prompt")] == (True, True)
    assert filters[("Hate", "Prompt")] == (True, True)  # the other filters untouched

    # The one who asks for the rollback may not approve it too: another approver does.
    rollback = demo.desk.request_rollback(case.id, ALICE, reason="false positive").next_case
    assert rollback is not None
    assert rollback.kind is CaseKind.ROLLBACK
    done = demo.desk.approve(rollback.id, BOB, reason="false positive", plan_digest=rollback.plan_digest)
    assert done.case.status is CaseStatus.APPLIED, done.message
    restored = demo.resource(case.resource_id)
    assert restored is not None
    assert restored["properties"]["contentFilters"] == before["properties"]["contentFilters"]  # type: ignore[index]


def test_an_incident_without_a_playbook_has_nothing_to_approve(demo: DemoWorld) -> None:
    demo.world.incidents(demo.policy).sweep()
    case = by_type(incidents(demo), SUSPICIOUS_IP)
    with pytest.raises(Refused, match="no automated fix"):
        demo.desk.approve(case.id, ALICE, reason="x", plan_digest=None)


def test_blocking_an_address_goes_through_the_desk(demo: DemoWorld) -> None:
    """A suspicious address on an account that allows exactly it: the playbook drops that rule only."""
    sub = demo.world.sample.PROD
    acct = b.cognitive_account(
        sub, "rg-ai-prod", "oai-ip", public=True, default_action="Deny", ip_rules=["198.51.100.23", "203.0.113.0/24"]
    )
    demo.world.sim.estate.put(acct)
    demo.world.sim.estate.put(
        b.defender_alert(
            acct["id"],
            "2517-ip",
            alert_type=SUSPICIOUS_IP,
            display_name="Access from suspicious IP",
            severity="High",
            generated=datetime.now(UTC) - timedelta(minutes=1),
            entities=[{"type": "ip", "address": "198.51.100.23"}],
        )
    )
    demo.world.incidents(demo.policy).sweep()
    case = next(c for c in incidents(demo) if c.resource_id.endswith("/oai-ip"))
    assert case.plan is not None
    assert case.plan["remediation"] == "cognitiveservices_account_block_ip"
    outcome = demo.desk.approve(case.id, ALICE, reason="known-bad address", plan_digest=case.plan_digest)
    assert outcome.case.status is CaseStatus.APPLIED, outcome.message
    now = demo.resource(acct["id"])
    assert now is not None
    assert now["properties"]["networkAcls"]["ipRules"] == [{"value": "203.0.113.0/24"}]  # type: ignore[index]
    assert now["properties"]["networkAcls"]["defaultAction"] == "Deny"  # type: ignore[index]


def test_incidents_reach_ticket_systems_and_the_event_topic(wired: tuple[DemoWorld, TicketSystems, SimulatorServer]) -> None:
    demo, systems, _ = wired
    assert demo.outbox is not None
    demo.outbox.deliver()
    tickets = len(systems.tickets["github"])
    demo.world.incidents(demo.policy, listeners=(demo.tell,)).sweep()
    demo.outbox.deliver()
    assert demo.world.store.outbox() == []
    opened = incidents(demo)
    for name in ("github", "ado", "servicenow", "jira"):
        assert len(systems.tickets[name]) == tickets + len(opened), name
    events = [e for e in demo.world.sim.topic_events if e["type"] == "DriftGuard.Case.Opened" and e["data"].get("kind") == "incident"]
    assert {e["data"]["case_id"] for e in events} == {c.id for c in opened}


def test_a_dismissed_alert_opens_no_case(demo: DemoWorld) -> None:
    oai = account(demo, "oai-contoso-prod")
    demo.world.sim.estate.put(
        b.defender_alert(
            oai,
            "2517-dismissed",
            alert_type="AI.Azure_CredentialTheftAttempt",
            display_name="Detected credential theft attempts on an Azure AI model deployment",
            severity="Medium",
            generated=datetime.now(UTC) - timedelta(minutes=2),
            status="Dismissed",
        )
    )
    outcome = demo.world.incidents(demo.policy).sweep()
    assert (outcome.read, outcome.dismissed, len(outcome.opened)) == (3, 1, 2)
    assert all(c.evidence["alert"]["type"] != "AI.Azure_CredentialTheftAttempt" for c in incidents(demo))


def test_credential_theft_rotates_the_keys_on_approval(demo: DemoWorld) -> None:
    eu = account(demo, "oai-contoso-prod-eu")  # key authentication is on in the sample
    demo.world.sim.estate.put(
        b.defender_alert(
            eu,
            "2517-creds",
            alert_type="AI.Azure_CredentialTheftAttempt",
            display_name="Detected credential theft attempts on an Azure AI model deployment",
            severity="Medium",
            generated=datetime.now(UTC) - timedelta(minutes=2),
        )
    )
    demo.world.incidents(demo.policy).sweep()
    case = by_type(incidents(demo), "AI.Azure_CredentialTheftAttempt")
    assert case.plan is not None
    assert [(s["method"], s["body"]) for s in case.plan["steps"]] == [("POST", {"keyName": "Key1"}), ("POST", {"keyName": "Key2"})]
    outcome = demo.desk.approve(case.id, ALICE, reason="rotate", plan_digest=case.plan_digest)
    assert outcome.case.status is CaseStatus.APPLIED, outcome.message
    assert [r.path.rsplit("/", 1)[-1] for r in demo.world.sim.requests if r.method == "POST" and r.path.startswith(eu)][-2:] == [
        "regenerateKey",
        "regenerateKey",
    ]
    # A rotation cannot be undone (the old keys are gone): the desk says so rather than pretending.
    with pytest.raises(Refused, match="cannot be rolled back"):
        demo.desk.request_rollback(case.id, ALICE, reason="undo")


def test_a_policy_may_ask_two_approvers_for_playbooks(demo: DemoWorld) -> None:
    from driftguard.policy import ApprovalPolicy

    policy = demo.policy.model_copy(update={"approvals": ApprovalPolicy(critical_rules=(alerts.RULE,))})
    from driftguard import rules

    policy.check_rule_ids({m.id for m in rules.metas()} | {alerts.RULE})  # as the CLI checks a policy
    demo.world.incidents(policy).sweep()
    case = by_type(incidents(demo), JAILBREAK)
    desk = demo.world.desk(policy)
    first = desk.approve(case.id, ALICE, reason="contain it", plan_digest=case.plan_digest)
    assert first.case.status is CaseStatus.OPEN
    assert "a different approver must approve too" in first.message
    assert desk.approve(case.id, BOB, reason="agreed", plan_digest=case.plan_digest).case.status is CaseStatus.APPLIED


def test_a_run_that_stops_before_telling_tells_next_time(demo: DemoWorld) -> None:
    told: list[str] = []

    def broken(case: Case, event: str) -> None:
        raise RuntimeError("the outbox is unavailable")

    with pytest.raises(RuntimeError):
        demo.world.incidents(demo.policy, listeners=(broken,)).sweep()
    assert len(incidents(demo)) == 1
    stored = incidents(demo)[0].id
    # A sweep right after it does not tell about it: the run that stored it may be telling right now.
    soon = demo.world.incidents(demo.policy, listeners=(lambda case, event: told.append(f"{case.id}:{event}"),))
    soon.clock = lambda: datetime.now(UTC) + ANNOUNCE_GRACE - timedelta(minutes=1)
    outcome = soon.sweep()
    assert len(outcome.opened) == 1
    assert told == [f"{outcome.opened[0].id}:opened"]
    told.clear()
    later = demo.world.incidents(demo.policy, listeners=(lambda case, event: told.append(f"{case.id}:{event}"),))
    later.clock = lambda: datetime.now(UTC) + ANNOUNCE_GRACE
    assert len(later.sweep().opened) == 0
    assert told == [f"{stored}:opened"]
    told.clear()
    demo.world.incidents(demo.policy, listeners=(lambda case, event: told.append(event),)).sweep()
    assert told == []  # told once: the overlap reads them again, and tells nobody


def test_no_principal_an_alert_names_may_approve_its_playbook_or_its_rollback(demo: DemoWorld) -> None:
    """Separation of duties for incidents: the account an alert names (by object id, or by sign-in name)
    is a causer of the incident, as the caller of a drift is of its fix."""
    oai = account(demo, "oai-contoso-prod")
    demo.world.sim.estate.put(
        b.defender_alert(
            oai,
            "2517-self",
            alert_type=JAILBREAK,
            display_name="Jailbreak attempt detected",
            severity="Medium",
            generated=datetime.now(UTC) - timedelta(minutes=1),
            entities=[
                {"$id": "1", "type": "ip", "address": "203.0.113.45"},
                {"$id": "2", "type": "account", "aadUserId": DEVELOPER.upper(), "name": "dana", "upnSuffix": "Contoso.com"},
                {"$id": "3", "type": "mailbox", "upn": "Eve@Contoso.com"},
            ],
            extended={"Deployment Name": "gpt-4o-mini"},
        )
    )
    demo.world.incidents(demo.policy).sweep()
    case = next(c for c in incidents(demo) if c.evidence["alert"]["system_alert_id"] == "2517-self")
    assert case.causers >= {DEVELOPER, "dana@contoso.com", "eve@contoso.com"}
    assert case.plan_digest is not None
    with pytest.raises(Refused, match="separation of duties: a principal the Defender alert names") as refused:
        demo.desk.approve(case.id, DEV_APPROVER, reason="mine", plan_digest=case.plan_digest)
    assert refused.value.status == 403
    # Another object id signed in under a UPN the alert names (as Easy Auth passes it) is refused too.
    eve = Principal("e7e00000-0000-4000-8000-00000000000e", "Eve", frozenset({Role.APPROVER.value}), frozenset({"eve@contoso.com"}))
    with pytest.raises(Refused, match="separation of duties"):
        demo.desk.approve(case.id, eve, reason="mine", plan_digest=case.plan_digest)
    assert demo.desk.approve(case.id, ALICE, reason="contain it", plan_digest=case.plan_digest).case.status is CaseStatus.APPLIED

    rollback = demo.desk.request_rollback(case.id, BOB, reason="false positive").next_case
    assert rollback is not None
    assert DEVELOPER in rollback.causers
    with pytest.raises(Refused, match="separation of duties"):
        demo.desk.approve(rollback.id, DEV_APPROVER, reason="undo it", plan_digest=rollback.plan_digest)
    assert demo.desk.approve(rollback.id, ALICE, reason="undo it", plan_digest=rollback.plan_digest).case.status is CaseStatus.APPLIED


def test_the_upn_claims_of_an_easy_auth_principal_are_its_sign_in_names() -> None:
    header = base64.b64encode(
        json.dumps(
            {
                "claims": [
                    {"typ": OBJECT_ID_CLAIMS[0], "val": "E7E00000-0000-4000-8000-00000000000E"},
                    {"typ": "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn", "val": "Eve@Contoso.com"},
                    {"typ": "name", "val": "Eve"},
                ]
            }
        ).encode()
    ).decode()
    principal = parse_principal(header)
    assert principal.identities == {"e7e00000-0000-4000-8000-00000000000e", "eve@contoso.com"}


class LateLookupStore:
    """The store as a sweep sees it when another sweep runs at the same time: the lookup finds no case
    for an alert that the other sweep stores right after."""

    def __init__(self, store: Any) -> None:
        self._store = store

    def current_case(self, dedupe_key: str) -> Case | None:
        return None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


def test_two_sweeps_at_once_announce_each_incident_once_and_count_it_once(demo: DemoWorld) -> None:
    told: list[tuple[str, str]] = []
    first = demo.world.incidents(demo.policy, listeners=(lambda c, e: told.append((c.id, e)),)).sweep()
    assert len(first.opened) == 2
    real = demo.world.incidents(demo.policy)
    racing = IncidentIntake(
        policy=demo.policy,
        store=LateLookupStore(demo.world.store),  # type: ignore[arg-type]
        reader=real.read,
        remediations=real.remediations,
        alerts_since=real.alerts_since,
        changes=real.changes,
        listeners=(lambda c, e: told.append((c.id, e)),),
    )
    second = racing.sweep()
    assert (len(second.opened), second.already_open) == (0, 2)
    assert sorted(told) == sorted((c.id, "opened") for c in first.opened), "only the sweep that created a case announces it"
    assert [c.detections for c in incidents(demo)] == [1, 1], "reading an alert again is not a second detection"


def test_the_block_ip_playbook_never_blocks_the_gateway_in_front_of_the_account(demo: DemoWorld) -> None:
    """The chat account lets in only its gateway (the sample's policy puts apim-contoso-ai in front): an alert
    naming the gateway's address (a caller behind it) gets no plan, and the case says why."""
    chat = account(demo, "oai-contoso-chat")
    allowed = demo.resource(chat)["properties"]["networkAcls"]  # type: ignore[index]
    assert {"value": sample.GATEWAY_IP} in allowed["ipRules"]
    demo.world.sim.estate.put(
        b.defender_alert(
            chat,
            "2517-gateway",
            alert_type=SUSPICIOUS_IP,
            display_name="Access from suspicious IP",
            severity="High",
            generated=datetime.now(UTC) - timedelta(minutes=1),
            entities=[{"type": "ip", "address": sample.GATEWAY_IP}],
        )
    )
    demo.world.incidents(demo.policy).sweep()
    case = next(c for c in incidents(demo) if c.evidence["alert"]["system_alert_id"] == "2517-gateway")
    assert (case.plan, case.plan_digest) == (None, None)
    assert f"{sample.GATEWAY_IP} is the address of the AI gateway that fronts this account (apim-contoso-ai)" in case.reason
    assert "a person decides" in case.reason
    assert demo.resource(chat)["properties"]["networkAcls"] == allowed  # type: ignore[index]


def alert_row(demo: DemoWorld, name: str, generated: datetime, alert_type: str = "AI.Azure_DoWVolumeAnomaly") -> None:
    demo.world.sim.estate.put(
        b.defender_alert(
            account(demo, "oai-contoso-chat"), name, alert_type=alert_type, display_name=name, severity="Low", generated=generated
        )
    )


def names(outcome: Any) -> list[str]:
    return [c.evidence["alert"]["system_alert_id"] for c in outcome.opened]


def test_a_future_dated_alert_does_not_blind_the_intake(demo: DemoWorld, caplog: pytest.LogCaptureFixture) -> None:
    now = datetime.now(UTC)
    intake = demo.world.incidents(demo.policy)
    intake.clock = lambda: now
    alert_row(demo, "2517-future", now + timedelta(days=2))
    first = intake.sweep()
    assert "2517-future" in names(first), "a future-dated alert still gets its case"
    assert first.future_dated == 1
    assert "ahead of the clock" in caplog.text
    assert intake.watermark() == now, "the watermark stops at the sweep's read time"
    alert_row(demo, "2517-after", now + timedelta(minutes=1))
    intake.clock = lambda: now + timedelta(minutes=5)
    later = intake.sweep()
    assert names(later) == ["2517-after"]
    assert later.already_open >= 1  # the future-dated one, read again, one case
    assert intake.watermark() == now + timedelta(minutes=5), "read again, it holds the watermark at the read time"


def test_a_watermark_left_in_the_future_reads_from_now(demo: DemoWorld) -> None:
    now = datetime.now(UTC)
    intake = demo.world.incidents(demo.policy)
    intake.clock = lambda: now
    intake.sweep()
    # As an earlier version left it after a future-dated alert.
    demo.world.store.save_baseline(Baseline(WATERMARK_ID, alerts.RULE, {"generated": "2099-01-01T00:00:00Z"}, now))
    alert_row(demo, "2517-real", now - timedelta(minutes=1))
    assert names(intake.sweep()) == ["2517-real"]
    assert intake.watermark() == now - timedelta(minutes=1)


def test_an_alert_later_than_the_overlap_is_read_by_the_late_look_back_and_says_so(
    demo: DemoWorld, caplog: pytest.LogCaptureFixture
) -> None:
    now = datetime.now(UTC)
    intake = demo.world.incidents(demo.policy)
    intake.clock = lambda: now
    assert intake.sweep().deep_read  # the first sweep reads the whole first look-back
    mark = intake.watermark()
    assert mark is not None
    # Generated 45 minutes before the watermark, it reaches Resource Graph only now.
    alert_row(demo, "2517-late", mark - OVERLAP - timedelta(minutes=15))
    intake.clock = lambda: now + timedelta(minutes=5)
    soon = intake.sweep()
    assert (soon.deep_read, names(soon)) == (False, [])
    intake.clock = lambda: now + DEEP_EVERY
    deep = intake.sweep()
    assert deep.deep_read
    assert (names(deep), deep.late) == (["2517-late"], 1)
    assert deep.opened[0].evidence["read_late"]["overlap_minutes"] == 30
    assert "reached Resource Graph after the" in caplog.text
    assert intake.watermark() == mark, "a late alert does not move the watermark back"
    intake.clock = lambda: now + DEEP_EVERY + timedelta(minutes=5)
    assert not intake.sweep().deep_read  # once an hour
