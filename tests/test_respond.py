"""The event path end to end against the simulator: a real change by a principal becomes an Event Grid
event, the responder reads the resource fresh, decides, reverts or opens a case, and audits."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import remediations
from driftguard.azure import api_versions
from driftguard.azure.connection import ArmConnection, RawArm, StaticTokenCredential
from driftguard.azure.writes import ArmWriter, WriteFailed
from driftguard.events import parse_event
from driftguard.ids import parse_resource_id
from driftguard.model import Mode
from driftguard.policy import Policy
from driftguard.respond import Outcome, Responder
from driftguard.store.base import Case, CaseStatus, FindingRecord, FindingStatus, dedupe_key
from driftguard.store.sqlite import SqliteStore
from simulator import Simulator, sample
from simulator import builders as b
from simulator.transport import BASE_URL, in_process_session

DG = "d9d9d9d9-0000-4000-8000-000000000001"
DEV = "de7de7de-0000-4000-8000-000000000002"
PIPELINE = "919e1111-0000-4000-8000-000000000003"
PROD_OAI = f"/subscriptions/{sample.PROD}/resourceGroups/rg-ai-prod/providers/Microsoft.CognitiveServices/accounts/oai-contoso-prod"
PROD_EU = f"/subscriptions/{sample.PROD}/resourceGroups/rg-ai-prod/providers/Microsoft.CognitiveServices/accounts/oai-contoso-prod-eu"
API = "api-version=2025-09-01"


class World:
    def __init__(self, tmp: Path) -> None:
        self.sim = Simulator(sample.build())
        self.events: list[dict[str, Any]] = []
        self.sim.writes.subscribe(self.events.append)
        self.store = SqliteStore(tmp / "state.db")
        conn = ArmConnection(BASE_URL, StaticTokenCredential(f"sim:{DG}"), session=in_process_session(self.sim), polling_interval=0)
        writer = ArmWriter(RawArm(conn), BASE_URL, poll_interval_s=0)
        self.responder = Responder(
            policy=Policy(),
            store=self.store,
            reader=writer.read,
            writer=writer,
            remediations=remediations.registry(),
            subscriptions=sample.SUBSCRIPTIONS,
            identity_ids=(DG,),
            clock=lambda: datetime(2026, 11, 29, 10, 0, tzinfo=UTC),
        )

    def change(self, who: str, resource_id: str, body: dict[str, Any], method: str = "PATCH") -> None:
        # Each provider at its own api-version, as a portal or a pipeline would send it.
        version = api_versions.for_type(parse_resource_id(resource_id).full_type)
        answer = self.sim.handle(
            method,
            resource_id,
            f"api-version={version}",
            {"Authorization": f"Bearer sim:{who}", "Host": "management.simulator.local"},
            json.dumps(body).encode(),
        )
        assert answer.status < 300, answer.body
        self.settle()

    def settle(self) -> None:
        """Complete outstanding LROs, as ARM would by itself."""
        self.sim.writes.settle()

    def deliver(self) -> list[tuple[str, str | None, str]]:
        """Hands every pending event to the responder, as Event Grid would; returns (outcome, rule, reason)."""
        out = []
        while self.events:
            raw = self.events.pop(0)
            for r in self.responder.handle(parse_event(raw)):
                if r.outcome is not Outcome.COMPLIANT:
                    out.append((r.outcome.value, r.rule, r.reason))
            self.settle()
        return out

    def resource(self, rid: str) -> dict[str, Any]:
        found = self.sim.estate.get(rid)
        assert found is not None
        return found


@pytest.fixture
def world(tmp_path: Path) -> World:
    return World(tmp_path)


def baseline_prod(world: World) -> None:
    """A harmless write on the compliant account: the responder sees it pass and records baselines."""
    world.change(DEV, PROD_OAI, {"tags": {"owner": "ai-platform"}})
    outcomes = world.deliver()
    assert all(o[0] != "reverted" for o in outcomes)
    assert world.store.baseline(PROD_OAI, "cognitiveservices_account_public_network_access_disabled") is not None


def test_public_access_re_enabled_is_reverted_with_an_audit_record(world: World) -> None:
    baseline_prod(world)
    world.change(DEV, PROD_OAI, {"properties": {"publicNetworkAccess": "Enabled", "networkAcls": {"defaultAction": "Allow"}}})
    outcomes = world.deliver()
    reverted = [o for o in outcomes if o[0] == "reverted"]
    assert [o[1] for o in reverted] == ["cognitiveservices_account_public_network_access_disabled"]
    assert world.resource(PROD_OAI)["properties"]["publicNetworkAccess"] == "Disabled"
    # DriftGuard's own write came back as an event and was recognised.
    assert ("own_write", None, "DriftGuard's own change") in outcomes
    [entry] = [e for e in world.store.audit_log(resource_id=PROD_OAI) if e.action == "reverted"]
    assert entry.before == {
        "properties.networkAcls": {"defaultAction": "Allow", "ipRules": [], "virtualNetworkRules": [], "bypass": "AzureServices"}
    } or entry.before == {"properties.publicNetworkAccess": "Enabled"}
    assert entry.correlation_id


def test_first_sight_opens_a_case_with_the_exact_plan(world: World) -> None:
    world.change(DEV, PROD_EU, {"tags": {"touched": "yes"}})
    outcomes = world.deliver()
    cases = {c.rule: c for c in world.store.cases(status=CaseStatus.OPEN)}
    assert "cognitiveservices_account_public_network_access_disabled" in cases
    case = cases["cognitiveservices_account_public_network_access_disabled"]
    assert case.plan_digest
    assert case.plan is not None
    assert case.plan["steps"][0]["method"] == "PATCH"
    assert case.evidence["caller_object_id"] == DEV
    assert world.resource(PROD_EU)["properties"]["publicNetworkAccess"] == "Enabled"  # nothing changed
    assert any(o[0] == "case_opened" for o in outcomes)


def test_duplicates_and_unchanged_state_cost_no_work(world: World) -> None:
    world.change(DEV, PROD_OAI, {"tags": {"a": "1"}})
    raw = world.events[0]
    world.deliver()
    assert [r.outcome for r in world.responder.handle(parse_event(raw))] == [Outcome.DUPLICATE]
    again = dict(raw, id="another-delivery-of-the-same-state")
    assert [r.outcome for r in world.responder.handle(parse_event(again))] == [Outcome.UNCHANGED]


def test_local_auth_re_enabled_is_reverted_and_keys_rotated(world: World) -> None:
    baseline_prod(world)
    before = dict(world.sim.writes.keys(PROD_OAI))
    world.change(DEV, PROD_OAI, {"properties": {"disableLocalAuth": False}})
    world.sim.reset_log()
    outcomes = world.deliver()
    assert ("reverted", "cognitiveservices_account_local_auth_disabled") in [(o[0], o[1]) for o in outcomes]
    assert world.resource(PROD_OAI)["properties"]["disableLocalAuth"] is True
    after = world.sim.writes.keys(PROD_OAI)
    assert after["key1"] != before["key1"]
    assert after["key2"] != before["key2"]
    # Azure refuses key operations once local auth is off: the keys are regenerated first.
    writes = [(r.method, r.path.rsplit("/", 1)[-1]) for r in world.sim.requests if r.method != "GET"]
    assert writes == [("POST", "regenerateKey"), ("POST", "regenerateKey"), ("PATCH", "oai-contoso-prod")]


def test_key_listing_on_an_account_whose_local_auth_is_off_is_recorded_not_rotated(world: World) -> None:
    """The keys are unusable while local auth is off, and Azure refuses to regenerate them: no write. (A
    listing needs local auth on: it was listed just before someone turned local auth off again.)"""
    before = dict(world.sim.writes.keys(PROD_OAI))
    world.change(DEV, PROD_OAI, {"properties": {"disableLocalAuth": False}})
    world.events.clear()
    answer = world.sim.handle("POST", PROD_OAI + "/listKeys", API, {"Authorization": f"Bearer sim:{DEV}", "Host": "h"}, b"")
    assert answer.status == 200
    listing = list(world.events)
    world.change(PIPELINE, PROD_OAI, {"properties": {"disableLocalAuth": True}})
    world.events[:] = listing  # only the listing is delivered (the other changes' events are not under test)
    assert world.resource(PROD_OAI)["properties"]["disableLocalAuth"] is True
    before = dict(world.sim.writes.keys(PROD_OAI))
    world.sim.reset_log()
    outcomes = world.deliver()
    assert [(o[0], o[1]) for o in outcomes] == [("recorded", "cognitiveservices_account_keys_not_exposed")]
    assert world.sim.writes.keys(PROD_OAI) == before
    assert [r for r in world.sim.requests if r.method != "GET"] == []
    record = world.store.finding("cognitiveservices_account_keys_not_exposed", PROD_OAI)
    assert record is not None
    assert "unusable" in record.finding["message"]


def test_key_listing_on_an_account_with_local_auth_on_rotates_its_keys_when_the_policy_says_auto(world: World) -> None:
    from driftguard.model import Mode

    world.responder.policy = Policy(modes={"cognitiveservices_account_keys_not_exposed": Mode.AUTO})
    before = dict(world.sim.writes.keys(PROD_EU))
    world.sim.handle("POST", PROD_EU + "/listKeys", API, {"Authorization": f"Bearer sim:{DEV}", "Host": "h"}, b"")
    outcomes = world.deliver()
    key_results = [o for o in outcomes if o[1] == "cognitiveservices_account_keys_not_exposed"]
    assert [o[0] for o in key_results] == ["reverted"]  # one rotation, for the developer's listing only
    after = world.sim.writes.keys(PROD_EU)
    assert after["key1"] != before["key1"]
    assert after["key2"] != before["key2"]
    assert sum(1 for o in outcomes if o[0] == "own_write") == 2  # the two regenerateKey actions came back
    assert not [c for c in world.store.cases() if c.rule == "cognitiveservices_account_keys_not_exposed"]


def test_key_listing_on_a_workspace_opens_a_case_that_says_what_people_must_do(world: World) -> None:
    """Workspaces cannot regenerate keys: nothing is sent, the case names the manual rotation."""
    hub = f"/subscriptions/{sample.PROD}/resourceGroups/rg-ai-prod/providers/Microsoft.MachineLearningServices/workspaces/mlw-hub-prod"
    answer = world.sim.handle("POST", hub + "/listKeys", "api-version=2025-06-01", {"Authorization": f"Bearer sim:{DEV}", "Host": "h"}, b"")
    assert answer.status == 200
    world.sim.reset_log()
    outcomes = world.deliver()
    assert [(o[0], o[1]) for o in outcomes] == [("case_opened", "cognitiveservices_account_keys_not_exposed")]
    assert [r for r in world.sim.requests if r.method != "GET"] == []
    [case] = [c for c in world.store.cases() if c.rule == "cognitiveservices_account_keys_not_exposed"]
    assert case.plan is None
    assert "resyncKeys" in case.reason
    assert "container registry" in case.reason


def test_a_pipeline_that_keeps_flipping_a_setting_is_stopped_and_named(world: World) -> None:
    baseline_prod(world)
    results = []
    for _ in range(5):
        world.change(PIPELINE, PROD_OAI, {"properties": {"publicNetworkAccess": "Enabled", "networkAcls": {"defaultAction": "Allow"}}})
        results += [o for o in world.deliver() if o[1] == "cognitiveservices_account_public_network_access_disabled"]
    kinds = [o[0] for o in results]
    assert kinds[:3] == ["reverted", "reverted", "reverted"]
    assert "case_opened" in kinds[3:]
    flap = next(o for o in results if o[0] == "case_opened")
    assert PIPELINE in flap[2]


def test_cheap_rejections(world: World) -> None:
    def event(**data: Any) -> dict[str, Any]:
        rid = data.pop("rid", PROD_OAI)
        return {
            "id": data.pop("id", "x-1"),
            "eventType": data.pop("eventType", "Microsoft.Resources.ResourceWriteSuccess"),
            "eventTime": "2026-11-29T10:00:00Z",
            "subject": rid,
            "data": {"resourceUri": rid, "operationName": "x/write", "status": "Succeeded", **data},
        }

    other_sub = PROD_OAI.replace(sample.PROD, "33333333-3333-4333-8333-333333333333")
    web = f"/subscriptions/{sample.PROD}/resourceGroups/rg/providers/Microsoft.Web/sites/app"
    cases = [
        (event(rid=other_sub, id="a"), Outcome.OUT_OF_SCOPE),
        (event(rid=web, id="b"), Outcome.IGNORED),
        (event(id="c", eventType="Microsoft.Resources.ResourceWriteFailure"), Outcome.IGNORED),
        (event(id="d", claims={"http://schemas.microsoft.com/identity/claims/objectidentifier": DG}), Outcome.OWN_WRITE),
    ]
    reads_before = len(world.sim.requests)
    for raw, expected in cases:
        assert [r.outcome for r in world.responder.handle(parse_event(raw))] == [expected]
    assert len(world.sim.requests) == reads_before  # rejected before any ARM call


def test_several_drifts_in_one_change_are_all_reverted(world: World) -> None:
    """Each fix plans from the state (and ETag) the previous fix left: no 412 between them."""
    storage = f"/subscriptions/{sample.PROD}/resourceGroups/rg-ai-prod/providers/Microsoft.Storage/storageAccounts/stmlhubprod"
    hub = f"/subscriptions/{sample.PROD}/resourceGroups/rg-ai-prod/providers/Microsoft.MachineLearningServices/workspaces/mlw-hub-prod"
    world.change(DEV, hub, {"tags": {"owner": "ml"}})  # judging the hub learns that it keeps its data in the storage
    world.change(DEV, storage, {"tags": {"owner": "ml"}})  # judged as AI storage now: baselines recorded
    world.deliver()
    assert world.store.baseline(storage, "storage_account_shared_key_disabled") is not None
    world.change(
        DEV,
        storage,
        {"properties": {"allowSharedKeyAccess": True, "publicNetworkAccess": "Enabled", "networkAcls": {"defaultAction": "Allow"}}},
    )
    outcomes = world.deliver()
    reverted = sorted(o[1] for o in outcomes if o[0] == "reverted")
    assert reverted == ["storage_account_public_network_access_disabled", "storage_account_shared_key_disabled"]
    after = world.resource(storage)["properties"]
    assert after["allowSharedKeyAccess"] is False
    assert after["publicNetworkAccess"] == "Disabled"


def test_blast_radius_turns_the_next_automatic_fix_into_a_case(world: World) -> None:
    from driftguard.policy import Limits

    world.responder.policy = Policy(limits=Limits(max_auto_changes_per_subscription_per_hour=1))
    search = f"/subscriptions/{sample.PROD}/resourceGroups/rg-ai-prod/providers/Microsoft.Search/searchServices/srch-contoso-prod"
    for rid in (PROD_OAI, search):
        world.change(DEV, rid, {"tags": {"baseline": "1"}})
    world.deliver()
    world.change(DEV, PROD_OAI, {"properties": {"disableLocalAuth": False}})
    world.change(DEV, search, {"properties": {"disableLocalAuth": False}})
    outcomes = [
        o for o in world.deliver() if o[1] in ("cognitiveservices_account_local_auth_disabled", "search_service_local_auth_disabled")
    ]
    assert [o[0] for o in outcomes] == ["reverted", "case_opened"]
    assert "blast radius" in outcomes[1][2]


def test_a_sweep_changes_at_most_its_share_of_the_scope(world: World) -> None:
    from driftguard.policy import Limits

    # Two auto-fixable drifts in 69 resources (the free-tier Search service's identity is a case: Azure
    # cannot fix it): 2% lets one through and caps the rest.
    world.responder.policy = Policy(limits=Limits(sweep_max_percent=2))
    scope = len(list(world.sim.estate.raw_items()))
    results = world.responder.sweep(world.sim.estate.raw_items())
    fixed = [r for r in results if r.outcome is Outcome.REVERTED]
    capped = [r for r in results if r.outcome is Outcome.CASE_OPENED and "blast radius" in r.reason]
    assert fixed
    assert len(fixed) * 100 <= 2 * scope
    assert capped, "the sample estate has more auto-fixable drift than 2% of its resources"


def test_transient_failures_raise_so_event_grid_redelivers(world: World) -> None:
    from driftguard.azure.writes import TransientWriteError
    from driftguard.store.base import StoreUnavailable
    from simulator import Fault

    world.change(DEV, PROD_OAI, {"tags": {"x": "1"}})
    raw = world.events.pop(0)
    world.sim.inject(Fault("503", path="oai-contoso-prod$", method="GET", times=10))
    with pytest.raises(TransientWriteError):
        world.responder.handle(parse_event(raw))
    world.sim.faults.clear()

    class Down:
        def __getattr__(self, name: str) -> Any:
            def fail(*a: Any, **k: Any) -> Any:
                raise StoreUnavailable("table storage: HTTP 503")

            return fail

    world.responder.store = Down()  # type: ignore[assignment]
    with pytest.raises(StoreUnavailable):
        world.responder.handle(parse_event(dict(raw, id="redelivered")))


LAW = f"/subscriptions/{sample.PROD}/resourceGroups/rg-monitoring/providers/Microsoft.OperationalInsights/workspaces/law-security"


def test_deep_sweep_and_diagnostic_setting_events_keep_logs_on(world: World) -> None:
    from driftguard.policy import MonitoringPolicy

    world.responder.policy = Policy(monitoring=MonitoringPolicy(log_analytics_workspace_id=LAW))
    # What Resource Graph returns: no diagnostic settings (it does not index them).
    graph = [r for r in world.sim.estate.raw_items() if "/providers/microsoft.insights/" not in r["id"].lower()]
    shallow = world.responder.sweep(graph)
    assert not [r for r in shallow if r.rule == "monitor_ai_resource_diagnostic_logs_enabled"]  # shallow: not read
    world.events.clear()
    deep = world.responder.sweep(graph, deep=True)
    diag = [r for r in deep if r.rule == "monitor_ai_resource_diagnostic_logs_enabled"]
    assert {r.outcome for r in diag} >= {Outcome.COMPLIANT}
    assert any(r.outcome in (Outcome.REVERTED, Outcome.CASE_OPENED) for r in diag)  # the EU account's logs are off
    world.events.clear()

    # A developer deletes the account's diagnostic setting: the event is about the extension resource,
    # the account is judged with its settings, and the setting DriftGuard manages is created.
    setting = f"{PROD_OAI}/providers/Microsoft.Insights/diagnosticSettings/to-law"
    world.change(DEV, setting, {}, method="DELETE")
    outcomes = world.deliver()
    assert ("reverted", "monitor_ai_resource_diagnostic_logs_enabled") in [(o[0], o[1]) for o in outcomes]
    created = world.sim.estate.get(f"{PROD_OAI}/providers/Microsoft.Insights/diagnosticSettings/driftguard")
    assert created is not None
    assert created["properties"]["workspaceId"] == LAW


def test_every_outcome_is_counted(world: World) -> None:
    world.change(DEV, PROD_OAI, {"tags": {"a": "1"}})
    raw = world.events[0]
    world.deliver()
    world.responder.handle(parse_event(raw))
    assert world.responder.counts["duplicate"] == 1
    assert world.responder.counts["compliant"] >= 1


def test_a_new_owner_assignment_on_an_openai_account_becomes_a_case(world: World) -> None:
    """Issue 4's first "done when": caught from its event, with the exact DELETE to approve."""
    owner = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
    assignment = f"{PROD_OAI}/providers/Microsoft.Authorization/roleAssignments/0f6b0c1e-0042-4a00-8000-000000000042"
    body = {
        "properties": {
            "roleDefinitionId": f"/subscriptions/{sample.PROD}/providers/Microsoft.Authorization/roleDefinitions/{owner}",
            "principalId": DEV,
            "principalType": "User",
        }
    }
    answer = world.sim.handle(
        "PUT", assignment, "api-version=2022-04-01", {"Authorization": f"Bearer sim:{DEV}", "Host": "h"}, json.dumps(body).encode()
    )
    assert answer.status == 201
    outcomes = world.deliver()
    assert ("case_opened", "authorization_roleassignment_privileged_not_standing") in [(o[0], o[1]) for o in outcomes]
    [case] = [c for c in world.store.cases() if c.rule == "authorization_roleassignment_privileged_not_standing"]
    assert case.plan is not None
    assert case.plan["steps"] == [{"method": "DELETE", "path": assignment, "api_version": "2022-04-01", "body": None, "if_match": None}]
    assert case.evidence["caller_object_id"] == DEV
    assert world.sim.estate.get(assignment) is not None  # approval first: nothing removed yet
    # Directory and activity data come with the review: those rules say so instead of passing.
    assert {o[1] for o in outcomes if o[0] == "not_evaluated"} >= {
        "authorization_roleassignment_not_orphaned",
        "authorization_roleassignment_used_recently",
    }

    world.sim.handle("DELETE", assignment, "api-version=2022-04-01", {"Authorization": f"Bearer sim:{DEV}", "Host": "h"}, b"")
    assert [o[0] for o in world.deliver()] == ["resolved"]
    record = world.store.finding("authorization_roleassignment_privileged_not_standing", assignment)
    assert record is not None
    assert record.status.value == "resolved"


def _owner_assignment_case(world: World, guid: str) -> tuple[str, str]:
    owner = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
    assignment = f"{PROD_OAI}/providers/Microsoft.Authorization/roleAssignments/{guid}"
    body = {
        "properties": {
            "roleDefinitionId": f"/subscriptions/{sample.PROD}/providers/Microsoft.Authorization/roleDefinitions/{owner}",
            "principalId": DEV,
            "principalType": "User",
        }
    }
    world.sim.handle(
        "PUT", assignment, "api-version=2022-04-01", {"Authorization": f"Bearer sim:{DEV}", "Host": "h"}, json.dumps(body).encode()
    )
    world.deliver()
    [case] = [c for c in world.store.cases() if c.resource_id == assignment]
    assert case.status is CaseStatus.OPEN
    return assignment, case.id


def test_a_verified_delete_supersedes_the_open_cases_on_the_resource(world: World) -> None:
    """A case on a deleted resource has nothing left to decide: superseded with the reason, audited and
    told to the sinks (it no longer counts against the SLA, nor can it be approved)."""
    told: list[tuple[str, str, str]] = []
    world.responder.case_listeners = (lambda case, event: told.append((case.id, event, case.status.value)),)
    assignment, case_id = _owner_assignment_case(world, "0f6b0c1e-0045-4a00-8000-000000000045")
    world.sim.handle("DELETE", assignment, "api-version=2022-04-01", {"Authorization": f"Bearer sim:{DEV}", "Host": "h"}, b"")
    assert [o[0] for o in world.deliver()] == ["resolved"]
    case = world.store.case(case_id)
    assert case is not None
    assert case.status is CaseStatus.SUPERSEDED
    assert case.history[-1].detail == "the resource was deleted"
    assert (case_id, "superseded", "superseded") in told
    assert [a.detail for a in world.store.audit_log(resource_id=assignment) if a.action == "case_superseded"] == [
        f"case {case_id}: the resource was deleted"
    ]


def test_a_failed_read_after_a_delete_event_supersedes_nothing(world: World) -> None:
    """Only ARM's 404 proves a resource gone: a read that fails leaves the case open (and Event Grid retries)."""
    assignment, case_id = _owner_assignment_case(world, "0f6b0c1e-0046-4a00-8000-000000000046")
    world.sim.handle("DELETE", assignment, "api-version=2022-04-01", {"Authorization": f"Bearer sim:{DEV}", "Host": "h"}, b"")
    raw = world.events.pop(0)

    def failing(resource_id: str, api_version: str) -> None:
        raise RuntimeError("ARM answered 500")

    world.responder.read = failing
    world.responder.judge.read = failing
    with pytest.raises(RuntimeError):
        world.responder.handle(parse_event(raw))
    case = world.store.case(case_id)
    assert case is not None
    assert case.status is CaseStatus.OPEN


def test_a_deleted_account_takes_the_cases_of_its_child_resources_with_it(world: World) -> None:
    """ARM sends no event for an account's deployments when the account is deleted: their cases go with
    the account's; an extension resource on it (a diagnostic setting) is not its child and stays."""
    now = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
    opened = {}
    for rid in (f"{PROD_EU}/deployments/gpt-35-turbo", f"{PROD_EU}/providers/Microsoft.Insights/diagnosticSettings/logs"):
        case = Case(dedupe_key("r", rid), "r", rid, CaseStatus.OPEN, "why", now, now, None, None, {})
        opened[rid] = world.store.open_case(case).id
        world.store.save_finding(FindingRecord("r", rid, FindingStatus.OPEN, {}, now, now))
    world.change(DEV, PROD_EU, {}, method="DELETE")
    world.deliver()
    statuses = {rid: world.store.case(cid).status for rid, cid in opened.items()}  # type: ignore[union-attr]
    assert statuses == {
        f"{PROD_EU}/deployments/gpt-35-turbo": CaseStatus.SUPERSEDED,
        f"{PROD_EU}/providers/Microsoft.Insights/diagnosticSettings/logs": CaseStatus.OPEN,
    }
    child = world.store.finding("r", f"{PROD_EU}/deployments/gpt-35-turbo")
    assert child is not None
    assert child.status is FindingStatus.RESOLVED


def test_a_sweep_that_no_longer_lists_a_resource_reads_it_and_only_a_404_supersedes_its_cases(world: World) -> None:
    """The delete event was lost: the next sweep does not list the assignment. Absence alone proves
    nothing (a sweep of part of the estate): the resource is read; a failed read leaves the case open,
    ARM's 404 supersedes it."""
    assignment, case_id = _owner_assignment_case(world, "0f6b0c1e-0047-4a00-8000-000000000047")
    world.sim.handle("DELETE", assignment, "api-version=2022-04-01", {"Authorization": f"Bearer sim:{DEV}", "Host": "h"}, b"")
    world.events.clear()  # never delivered
    real = world.responder.read

    def failing(resource_id: str, api_version: str) -> None:
        raise WriteFailed("GET: HTTP 403")

    world.responder.read = failing
    [failed] = world.responder.sweep([])
    assert failed.outcome is Outcome.NOT_EVALUATED
    assert world.store.case(case_id).status is CaseStatus.OPEN  # type: ignore[union-attr]
    world.responder.read = real
    assert [(r.resource_id, r.outcome) for r in world.responder.sweep([])] == [(assignment, Outcome.RESOLVED)]
    case = world.store.case(case_id)
    assert case is not None
    assert case.status is CaseStatus.SUPERSEDED
    assert case.history[-1].detail == "the resource was deleted"


def test_a_sweep_reads_nothing_for_the_resources_it_lists(world: World) -> None:
    assignment, case_id = _owner_assignment_case(world, "0f6b0c1e-0048-4a00-8000-000000000048")
    listed = world.sim.estate.get(assignment)
    assert listed is not None
    before = len(world.sim.requests)
    world.responder.sweep([listed])
    assert not [r for r in world.sim.requests[before:] if r.method == "GET" and r.path.lower() == assignment.lower()]
    assert world.store.case(case_id).status is CaseStatus.OPEN  # type: ignore[union-attr]


def test_a_reader_assignment_passes(world: World) -> None:
    reader = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
    assignment = f"/subscriptions/{sample.PROD}/providers/Microsoft.Authorization/roleAssignments/0f6b0c1e-0043-4a00-8000-000000000043"
    body = {
        "properties": {
            "roleDefinitionId": f"/subscriptions/{sample.PROD}/providers/Microsoft.Authorization/roleDefinitions/{reader}",
            "principalId": DEV,
            "principalType": "User",
        }
    }
    world.sim.handle(
        "PUT", assignment, "api-version=2022-04-01", {"Authorization": f"Bearer sim:{DEV}", "Host": "h"}, json.dumps(body).encode()
    )
    outcomes = world.deliver()
    assert not [o for o in outcomes if o[0] == "case_opened"]


def test_management_group_assignments_reach_the_watched_subscriptions(world: World) -> None:
    rid = "/providers/Microsoft.Management/managementGroups/contoso-ai/providers/Microsoft.Authorization/roleAssignments/0f6b0c1e-0044-4a00-8000-000000000044"
    owner = "/providers/Microsoft.Authorization/roleDefinitions/8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
    body = {"properties": {"roleDefinitionId": owner, "principalId": DEV, "principalType": "User"}}
    assert (
        world.sim.handle(
            "PUT", rid, "api-version=2022-04-01", {"Authorization": f"Bearer sim:{DEV}", "Host": "h"}, json.dumps(body).encode()
        ).status
        == 201
    )
    event = {
        "id": "mg-1",
        "eventType": "Microsoft.Resources.ResourceWriteSuccess",
        "eventTime": "2026-11-29T10:00:00Z",
        "subject": rid,
        "data": {"resourceUri": rid, "operationName": "Microsoft.Authorization/roleAssignments/write", "status": "Succeeded"},
    }
    results = world.responder.handle(parse_event(event))
    assert (Outcome.CASE_OPENED, "authorization_roleassignment_privileged_not_standing") in [(r.outcome, r.rule) for r in results]


FOREIGN_PE = "/subscriptions/99999999-9999-4999-8999-999999999999/resourceGroups/x/providers/Microsoft.Network/privateEndpoints/pe-x"


def with_foreign_connection(resource: dict[str, Any]) -> dict[str, Any]:
    """The resource with a private endpoint connection, still pending, from a subscription not allowed."""
    rtype = resource["type"]
    resource["properties"]["privateEndpointConnections"] = [
        {
            "id": f"{resource['id']}/privateEndpointConnections/pe-x",
            "name": "pe-x",
            "type": f"{rtype}/privateEndpointConnections",
            "properties": {
                "privateEndpoint": {"id": FOREIGN_PE},
                "privateLinkServiceConnectionState": {"status": "Pending", "description": "", "actionsRequired": "None"},
                "provisioningState": "Succeeded",
            },
        }
    ]
    return resource


@pytest.mark.parametrize(
    ("resource", "api"),
    [
        (b.cognitive_account(sample.PROD, "rg-ai-prod", "oai-contoso-pe"), "2025-09-01"),
        (b.search_service(sample.PROD, "rg-ai-prod", "srch-contoso-pe"), "2025-05-01"),
        (b.workspace(sample.PROD, "rg-ai-prod", "mlw-contoso-pe"), "2025-06-01"),
    ],
    ids=["account", "search", "workspace"],
)
def test_an_approved_private_endpoint_connection_is_judged_on_its_parent(world: World, resource: dict[str, Any], api: str) -> None:
    """`…/privateEndpointConnections/write` is subscribed: the parent is read and judged, not ignored."""
    world.sim.estate.put(with_foreign_connection(resource))
    connection = f"{resource['id']}/privateEndpointConnections/pe-x"
    body = {"properties": {"privateLinkServiceConnectionState": {"status": "Approved", "description": "ok"}}}
    answer = world.sim.handle(
        "PUT", connection, f"api-version={api}", {"Authorization": f"Bearer sim:{DEV}", "Host": "h"}, json.dumps(body).encode()
    )
    assert answer.status in (200, 202)  # long-running on AI accounts (200 or 202), 200 on the others
    [raw] = world.events
    assert raw["data"]["operationName"].endswith("/privateEndpointConnections/write")
    world.deliver()
    [case] = [c for c in world.store.cases() if c.rule == "cognitiveservices_account_private_endpoint_approved_only"]
    assert case.resource_id == resource["id"]
    assert case.evidence["caller_object_id"] == DEV
    assert case.plan is not None
    assert case.plan["steps"][0]["method"] == "PUT"
    assert case.plan["steps"][0]["path"] == connection
    assert case.plan["steps"][0]["body"]["properties"]["privateLinkServiceConnectionState"]["status"] == "Rejected"


def test_a_custom_role_defined_in_the_subscription_granting_everything_is_judged(world: World) -> None:
    """Custom roles live at /subscriptions/{s}/providers/…/roleDefinitions/{id}: read there, not at the tenant."""
    from tests.azure.test_role_definitions import AT_SUBSCRIPTION, custom_role

    world.sim.estate.put(custom_role())
    assignment = f"{PROD_OAI}/providers/Microsoft.Authorization/roleAssignments/0f6b0c1e-0045-4a00-8000-000000000045"
    body = {"properties": {"roleDefinitionId": AT_SUBSCRIPTION, "principalId": DEV, "principalType": "User"}}
    answer = world.sim.handle(
        "PUT", assignment, "api-version=2022-04-01", {"Authorization": f"Bearer sim:{DEV}", "Host": "h"}, json.dumps(body).encode()
    )
    assert answer.status == 201
    world.sim.reset_log()
    outcomes = world.deliver()
    assert ("case_opened", "authorization_roleassignment_privileged_not_standing") in [(o[0], o[1]) for o in outcomes]
    [case] = [c for c in world.store.cases() if c.rule == "authorization_roleassignment_privileged_not_standing"]
    assert "grants every action" in case.evidence["finding"]["message"]
    reads = [r.path for r in world.sim.requests if "/roledefinitions/" in r.path.lower()]
    assert reads == [AT_SUBSCRIPTION]


HUB = f"/subscriptions/{sample.PROD}/resourceGroups/rg-ai-prod/providers/Microsoft.MachineLearningServices/workspaces/mlw-hub-prod"
PROJECT = f"/subscriptions/{sample.PROD}/resourceGroups/rg-ai-prod/providers/Microsoft.MachineLearningServices/workspaces/mlw-proj-chat"
ML_PUBLIC = "machinelearning_workspace_public_network_access_disabled"


def test_a_project_is_judged_with_its_hub_and_passes_when_the_hub_is_closed(world: World) -> None:
    assert world.resource(PROJECT)["properties"]["publicNetworkAccess"] == "Enabled"  # what the project reports ...
    assert world.resource(HUB)["properties"]["publicNetworkAccess"] == "Disabled"  # ... is not what it inherits
    world.change(DEV, PROJECT, {"tags": {"team": "chat"}}, method="PATCH")
    world.sim.reset_log()
    results = world.responder.handle(parse_event(world.events.pop(0)))
    assert [r.outcome for r in results if r.rule == ML_PUBLIC] == [Outcome.COMPLIANT]
    assert ("GET", HUB) in [(r.method, r.path) for r in world.sim.requests]
    assert not [c for c in world.store.cases() if c.rule == ML_PUBLIC]


def test_a_project_under_an_open_hub_gets_a_case_whose_fix_closes_the_hub(world: World) -> None:
    from driftguard.cases.auth import Principal, Role
    from driftguard.cases.desk import CaseDesk

    hub = world.resource(HUB)
    hub["properties"]["publicNetworkAccess"] = "Enabled"
    world.sim.estate.put(hub)
    world.change(DEV, PROJECT, {"tags": {"team": "chat"}}, method="PATCH")
    world.deliver()
    [case] = [c for c in world.store.cases() if c.rule == ML_PUBLIC and c.resource_id == PROJECT]
    assert case.plan is not None
    assert [(s["method"], s["path"], s["body"]) for s in case.plan["steps"]] == [
        ("PATCH", HUB, {"properties": {"publicNetworkAccess": "Disabled"}})
    ]
    desk = CaseDesk(
        policy=world.responder.policy,
        store=world.store,
        reader=world.responder.read,
        writer=world.responder.writer,
        remediations=remediations.registry(),
    )
    approver = Principal("a11ce000-0000-4000-8000-00000000000a", "Alice", frozenset({Role.APPROVER.value}))
    outcome = desk.approve(case.id, approver, reason="CHG-7", plan_digest=case.plan_digest)
    assert outcome.case.status is CaseStatus.APPLIED, outcome.message
    assert world.resource(HUB)["properties"]["publicNetworkAccess"] == "Disabled"


def test_a_fix_is_planned_from_a_read_taken_right_before_the_write_not_from_the_sweep_row(world: World) -> None:
    """These providers do not declare If-Match and a Resource Graph row has no ETag: nothing would refuse a
    full PUT planned from a stale row. The deployment is read again right before it is written, so a
    capacity raised after the row was read survives the content-filter fix."""
    from driftguard.policy import Limits
    from driftguard.store.base import Baseline

    world.responder.policy = Policy(limits=Limits(sweep_max_percent=100))
    deployment = f"{PROD_OAI}/deployments/gpt-4o-mini"
    row = {k: v for k, v in world.resource(deployment).items() if k != "etag"}  # as the sweep saw it
    assert row["properties"]["raiPolicyName"] == "relaxed-debug"
    good = {**row, "properties": {**row["properties"], "raiPolicyName": "strict-prod"}}
    world.store.save_baseline(Baseline(deployment, "cognitiveservices_deployment_content_filter_enforced", good, world.responder.clock()))
    world.change(PIPELINE, deployment, {"sku": {"name": "Standard", "capacity": 20}})  # after the row was read
    world.events.clear()
    results = world.responder.sweep([row])
    assert [r.outcome for r in results if r.rule == "cognitiveservices_deployment_content_filter_enforced"] == [Outcome.REVERTED]
    after = world.resource(deployment)
    assert after["properties"]["raiPolicyName"] == "strict-prod"
    assert after["sku"]["capacity"] == 20


ST_WEB = f"/subscriptions/{sample.PROD}/resourceGroups/rg-web/providers/Microsoft.Storage/storageAccounts/stwebassets"
ST_OAI = f"/subscriptions/{sample.PROD}/resourceGroups/rg-ai-prod/providers/Microsoft.Storage/storageAccounts/stoaidataprod"
STORAGE_API = f"api-version={api_versions.for_type('Microsoft.Storage/storageAccounts')}"


def list_storage_keys(world: World, rid: str) -> None:
    answer = world.sim.handle("POST", rid + "/listKeys", STORAGE_API, {"Authorization": f"Bearer sim:{DEV}", "Host": "h"}, b"")
    assert answer.status == 200, answer.body


def test_key_listing_on_storage_holding_no_ai_data_is_not_applicable_and_settled(world: World) -> None:
    """The web team's storage (no AI resource uses it, no AI-data tag): nothing to rotate, no case, and
    the exposure is settled in the obligations log with its reason, never left pending."""
    world.responder.policy = Policy(modes={"cognitiveservices_account_keys_not_exposed": Mode.AUTO})
    before = dict(world.sim.writes.keys(ST_WEB))
    list_storage_keys(world, ST_WEB)
    [raw] = list(world.events)
    world.sim.reset_log()
    results = world.responder.handle(parse_event(raw))
    assert [(r.outcome, r.rule) for r in results] == [(Outcome.COMPLIANT, "cognitiveservices_account_keys_not_exposed")]
    assert "no AI data" in results[0].reason
    assert [r for r in world.sim.requests if r.method != "GET"] == []
    assert world.sim.writes.keys(ST_WEB) == before
    assert world.store.finding("cognitiveservices_account_keys_not_exposed", ST_WEB) is None
    assert not [c for c in world.store.cases() if c.rule == "cognitiveservices_account_keys_not_exposed"]
    assert world.responder.obligations.pending(ST_WEB) == ()
    [(event_id, reason)] = world.responder.obligations.settlements(ST_WEB)
    assert event_id == raw["id"]
    assert "no AI data" in reason
    # The same listing delivered again is a duplicate; another listing (another event id) is settled too.
    assert [r.outcome for r in world.responder.handle(parse_event(raw))] == [Outcome.DUPLICATE]
    world.responder.handle(parse_event(dict(raw, id="another-listing")))
    assert [e for e, _ in world.responder.obligations.settlements(ST_WEB)] == [raw["id"], "another-listing"]
    assert world.responder.obligations.pending(ST_WEB) == ()


def test_key_listing_on_storage_an_ai_account_uses_is_an_exposure_rotated(world: World) -> None:
    """The OpenAI account keeps its data in the storage (learnt by judging the account): a listing there is
    an exposure, and both keys are rotated."""
    world.responder.policy = Policy(modes={"cognitiveservices_account_keys_not_exposed": Mode.AUTO})
    world.change(DEV, PROD_OAI, {"tags": {"owner": "ai-platform"}})
    world.deliver()
    before = dict(world.sim.writes.keys(ST_OAI))
    list_storage_keys(world, ST_OAI)
    outcomes = world.deliver()
    assert [o[0] for o in outcomes if o[1] == "cognitiveservices_account_keys_not_exposed"] == ["reverted"]
    after = world.sim.writes.keys(ST_OAI)
    assert after["key1"] != before["key1"]
    assert after["key2"] != before["key2"]
    assert world.responder.obligations.pending(ST_OAI) == ()
    assert world.responder.obligations.settlements(ST_OAI) == ()


def test_key_listing_on_ai_storage_before_its_account_was_ever_judged_is_still_an_exposure(world: World) -> None:
    """A fresh start: no AI resource judged yet, so no link on record. The account that keeps its data
    in the storage is found before the listing could be taken for one on storage holding no AI data."""
    list_storage_keys(world, ST_OAI)
    world.sim.reset_log()
    outcomes = world.deliver()
    assert [o[0] for o in outcomes if o[1] == "cognitiveservices_account_keys_not_exposed"] == ["case_opened"]
    assert len(world.responder.obligations.pending(ST_OAI)) == 1
    assert world.responder.obligations.settlements(ST_OAI) == ()
    assert [r for r in world.sim.requests if r.method != "GET"] == []


def test_key_listing_on_storage_tagged_as_ai_data_is_an_exposure(world: World) -> None:
    world.change(DEV, ST_WEB, {"tags": {"driftguard-ai-data": "true"}})
    world.events.clear()
    list_storage_keys(world, ST_WEB)
    outcomes = world.deliver()
    assert [o[0] for o in outcomes if o[1] == "cognitiveservices_account_keys_not_exposed"] == ["case_opened"]
    assert len(world.responder.obligations.pending(ST_WEB)) == 1
    assert world.responder.obligations.settlements(ST_WEB) == ()


def test_key_listing_on_ai_storage_whose_shared_keys_are_off_waits_rather_than_settles(world: World) -> None:
    """Holding AI data but with shared key access off, the listed keys open nothing for now: recorded, not
    rotated. The exposure is not settled: turning shared keys on again would make the listed keys work,
    so it stays pending until a rotation answers it."""
    world.change(DEV, ST_WEB, {"tags": {"driftguard-ai-data": "true"}, "properties": {"allowSharedKeyAccess": False}})
    world.events.clear()
    list_storage_keys(world, ST_WEB)
    world.sim.reset_log()
    outcomes = world.deliver()
    assert [(o[0], o[1]) for o in outcomes] == [("recorded", "cognitiveservices_account_keys_not_exposed")]
    assert [r for r in world.sim.requests if r.method != "GET"] == []
    assert len(world.responder.obligations.pending(ST_WEB)) == 1
    assert world.responder.obligations.settlements(ST_WEB) == ()


PROD_POOL = f"/subscriptions/{sample.PROD}/resourceGroups/rg-ai-prod/providers/Microsoft.App/sessionPools/pool-agents-prod"
DEV_POOL = f"/subscriptions/{sample.DEV}/resourceGroups/rg-ai-dev/providers/Microsoft.App/sessionPools/pool-agents-dev"
EGRESS_ON = {"properties": {"sessionNetworkConfiguration": {"status": "EgressEnabled"}}}


def test_a_sandbox_pool_whose_egress_is_turned_back_on_is_reverted(world: World) -> None:
    # A harmless write first: the pool is seen compliant and its baseline recorded.
    world.change(DEV, PROD_POOL, {"tags": {"owner": "agents"}})
    assert all(o[0] != "reverted" for o in world.deliver())
    assert world.store.baseline(PROD_POOL, "app_sessionpool_egress_disabled") is not None
    world.change(DEV, PROD_POOL, EGRESS_ON)
    reverted = [o for o in world.deliver() if o[0] == "reverted"]
    assert [o[1] for o in reverted] == ["app_sessionpool_egress_disabled"]
    assert world.resource(PROD_POOL)["properties"]["sessionNetworkConfiguration"]["status"] == "EgressDisabled"


def test_a_sandbox_pool_never_seen_without_egress_becomes_a_case(world: World) -> None:
    # No baseline proves drift: enforcing could break whatever the sessions reach, so people decide.
    world.change(DEV, DEV_POOL, {"tags": {"owner": "agents"}})
    outcomes = world.deliver()
    assert [o[0] for o in outcomes if o[1] == "app_sessionpool_egress_disabled"] == ["case_opened"]
    assert world.resource(DEV_POOL)["properties"]["sessionNetworkConfiguration"]["status"] == "EgressEnabled"
