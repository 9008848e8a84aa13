"""One contract, two backends: every test here runs on SQLite and on Table Storage (Azurite)."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from driftguard.store.base import (
    Approval,
    AuditEntry,
    Baseline,
    Case,
    CaseStatus,
    FindingRecord,
    FindingStatus,
    Revert,
    StateStore,
    StoreConflict,
)

T0 = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
RID = "/subscriptions/11111111-1111-4111-8111-111111111111/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/oai"
RULE = "cognitiveservices_account_public_network_access_disabled"


def test_event_dedupe_and_purge(store: StateStore) -> None:
    assert store.first_sight_of_event("e-1", now=T0)
    assert not store.first_sight_of_event("e-1", now=T0)
    assert store.first_sight_of_event("e-2", now=T0 + timedelta(hours=2))
    assert store.purge_marks(before=T0 + timedelta(hours=1)) == 1
    assert store.first_sight_of_event("e-1", now=T0)  # purged: seen as new
    assert not store.first_sight_of_event("e-2", now=T0)


def test_state_hash_dedupe_is_case_insensitive_on_ids(store: StateStore) -> None:
    assert store.state_changed(RID, "h1", now=T0)
    assert not store.state_changed(RID.upper(), "h1", now=T0)
    assert store.state_changed(RID, "h2", now=T0)
    assert store.state_changed(RID, "h1", now=T0)  # back to an earlier state is a change


def test_baselines_round_trip_including_large_ones(store: StateStore) -> None:
    assert store.baseline(RID, RULE) is None
    big = {"id": RID, "properties": {"notes": "x" * 200_000, "publicNetworkAccess": "Disabled", "n": 1, "ok": True, "none": None}}
    store.save_baseline(Baseline(RID, RULE, big, T0))
    got = store.baseline(RID.lower(), RULE)
    assert got is not None
    assert got.resource == big
    assert got.recorded_at == T0
    store.save_baseline(Baseline(RID, RULE, {"id": RID, "v": 2}, T0 + timedelta(minutes=1)))
    again = store.baseline(RID, RULE)
    assert again is not None
    assert again.resource == {"id": RID, "v": 2}
    assert store.baseline(RID, "other_rule") is None


def test_a_forgotten_baseline_is_gone_and_forgetting_none_is_fine(store: StateStore) -> None:
    store.save_baseline(Baseline(RID, RULE, {"id": RID}, T0))
    store.save_baseline(Baseline(RID, "other_rule", {"id": RID}, T0))
    store.forget_baseline(RID.lower(), RULE)
    assert store.baseline(RID, RULE) is None
    assert store.baseline(RID, "other_rule") is not None
    store.forget_baseline(RID, RULE)  # already gone: nothing to do, no error


def record(status: FindingStatus = FindingStatus.OPEN, version: str | None = None) -> FindingRecord:
    return FindingRecord(RULE, RID, status, {"message": "public", "evidence": {"publicNetworkAccess": "Enabled"}}, T0, T0, version)


def test_finding_lifecycle_with_optimistic_concurrency(store: StateStore) -> None:
    saved = store.save_finding(record())
    assert saved.version
    with pytest.raises(StoreConflict):
        store.save_finding(record())  # already exists
    remediating = store.save_finding(saved.with_status(FindingStatus.REMEDIATING, now=T0 + timedelta(seconds=5)))
    assert remediating.version != saved.version
    with pytest.raises(StoreConflict):
        store.save_finding(saved.with_status(FindingStatus.RESOLVED, now=T0))  # stale version
    got = store.finding(RULE, RID)
    assert got is not None
    assert got.status is FindingStatus.REMEDIATING
    assert got.finding == record().finding
    assert [f.status for f in store.findings(status=FindingStatus.REMEDIATING)] == [FindingStatus.REMEDIATING]
    assert list(store.findings(status=FindingStatus.OPEN)) == []
    assert store.finding("other_rule", RID) is None


def test_claims(store: StateStore) -> None:
    ttl = timedelta(minutes=5)
    assert store.claim(RID, RULE, "a", now=T0, ttl=ttl)
    assert not store.claim(RID, RULE, "b", now=T0, ttl=ttl)
    assert store.claim(RID, RULE, "a", now=T0, ttl=ttl)  # the owner may renew
    assert store.claim(RID, "other_rule", "b", now=T0, ttl=ttl)  # per rule
    store.release(RID, RULE, "b")  # not b's: no effect
    assert not store.claim(RID, RULE, "b", now=T0, ttl=ttl)
    store.release(RID, RULE, "a")
    assert store.claim(RID, RULE, "b", now=T0, ttl=ttl)
    assert store.claim(RID, RULE, "c", now=T0 + ttl + timedelta(seconds=1), ttl=ttl)  # expired: taken over


def test_racing_handlers_claim_exactly_once(store: StateStore) -> None:
    """Two handlers on the same resource at once: exactly one may remediate, every round."""
    rounds, contenders = 15, 4
    for r in range(rounds):
        rid = f"{RID}-{r}"
        barrier = threading.Barrier(contenders)
        wins: list[str] = []
        lock = threading.Lock()

        def contend(
            name: str, rid: str = rid, barrier: threading.Barrier = barrier, wins: list[str] = wins, lock: threading.Lock = lock
        ) -> None:
            barrier.wait()
            if store.claim(rid, RULE, name, now=T0, ttl=timedelta(minutes=5)):
                with lock:
                    wins.append(name)

        threads = [threading.Thread(target=contend, args=(f"h{i}",)) for i in range(contenders)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        assert len(wins) == 1, (r, wins)


def test_racing_finding_updates_exactly_one_wins(store: StateStore) -> None:
    base = store.save_finding(record())
    barrier = threading.Barrier(3)
    outcomes: list[str] = []
    lock = threading.Lock()

    def update(status: FindingStatus) -> None:
        barrier.wait()
        try:
            store.save_finding(base.with_status(status, now=T0))
            result = "won"
        except StoreConflict:
            result = "conflict"
        with lock:
            outcomes.append(result)

    threads = [
        threading.Thread(target=update, args=(s,)) for s in (FindingStatus.REMEDIATING, FindingStatus.SUPPRESSED, FindingStatus.RESOLVED)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(outcomes) == ["conflict", "conflict", "won"]


def test_a_writes_outcome_is_recorded_once_however_often_it_is_recorded(store: StateStore) -> None:
    # A handler that dies while recording a landed write leaves the recording to the next owner, which
    # records it again: the record of that write (and action) stands once.
    landed = AuditEntry(T0, "driftguard", "reverted", RID, RULE, detail="auto mode", write_id="w-1")
    again = replace(landed, at=T0 + timedelta(minutes=6), detail="found landed after the handler that sent it stopped")
    for entry in (landed, again, again):
        store.append_audit(entry)
    # Later times: the log is in time order, and entries of one instant have no order between them.
    other_action = replace(landed, at=T0 + timedelta(minutes=7), action="applied")
    other_write = replace(landed, at=T0 + timedelta(minutes=8), write_id="w-2")
    untied = AuditEntry(T0 + timedelta(minutes=9), "driftguard", "case_opened", RID, RULE)
    for entry in (other_action, other_write, untied, untied):
        store.append_audit(entry)
    assert list(store.audit_log(resource_id=RID)) == [landed, other_action, other_write, untied, untied]


def test_audit_is_append_only_and_ordered(store: StateStore) -> None:
    other = RID.replace("/oai", "/other")
    entries = [
        AuditEntry(
            T0, "driftguard", "reverted", RID, RULE, {"publicNetworkAccess": "Enabled"}, {"publicNetworkAccess": "Disabled"}, "c-1", "drift"
        ),
        AuditEntry(T0 + timedelta(seconds=1), "driftguard", "case_opened", other, RULE),
        AuditEntry(T0 + timedelta(seconds=2), "alice", "approved", RID, RULE, detail="ok"),
    ]
    for e in entries:
        store.append_audit(e)
    assert list(store.audit_log()) == entries
    assert list(store.audit_log(resource_id=RID.upper())) == [entries[0], entries[2]]


def test_flap_window(store: StateStore) -> None:
    window = timedelta(minutes=60)
    store.record_revert(RID, RULE, Revert(T0, "pipeline"), window=window)
    store.record_revert(RID, RULE, Revert(T0 + timedelta(minutes=10), "pipeline"), window=window)
    w = store.record_revert(RID, RULE, Revert(T0 + timedelta(minutes=20), "alice"), window=window)
    assert len(w.reverts) == 3
    assert w.callers == ("alice", "pipeline")
    later = store.record_revert(RID, RULE, Revert(T0 + timedelta(minutes=75), None), window=window)
    assert [r.at for r in later.reverts] == [T0 + timedelta(minutes=20), T0 + timedelta(minutes=75)]
    assert len(store.record_revert(RID, "other_rule", Revert(T0, None), window=window).reverts) == 1


def _case(reason: str, at: datetime, digest: str | None = "d1", *, key: str = f"{RULE}|{RID}") -> Case:
    return Case(key, RULE, RID, CaseStatus.OPEN, reason, at, at, plan={"steps": []}, plan_digest=digest, evidence={"caller": "alice"})


def test_a_detection_with_no_caller_keeps_who_caused_the_case(store: StateStore) -> None:
    # A sweep or an access review sees the drift with no caller: the causer still may not approve it.
    caused = store.open_case(replace(_case("from its event", T0, key="caused"), evidence={"caller_object_id": "dev"}))
    swept = store.open_case(replace(_case("seen by the sweep", T0 + timedelta(hours=1), key="caused"), evidence={"finding": {}}))
    assert swept.id == caused.id
    assert swept.causers == {"dev"}
    assert swept.evidence == {"finding": {}, "caller_object_id": "dev"}


def test_cases_dedupe_by_key(store: StateStore) -> None:
    opened = store.open_case(_case("first sight", T0))
    assert opened.version is not None
    assert [e.action for e in opened.history] == ["opened"]
    again = store.open_case(_case("seen again", T0 + timedelta(hours=1), "d2", key=f"{RULE}|{RID.upper()}"))
    assert again.id == opened.id  # the key is case-insensitive like the ids in it
    assert again.detections == 2
    assert again.opened_at == T0
    assert again.reason == "seen again"
    assert again.plan_digest == "d2"
    assert store.case(opened.id) == again
    assert store.current_case(f"{RULE}|{RID}") == again
    assert [c.id for c in store.cases(status=CaseStatus.OPEN)] == [opened.id]
    assert store.case("nope") is None
    assert store.case("../../etc-1") is None
    assert list(store.cases(status=CaseStatus.APPLIED)) == []


def test_case_decisions_use_optimistic_concurrency(store: StateStore) -> None:
    opened = store.open_case(_case("first sight", T0))
    approval = Approval("bob", "Bob", T0, "d1", "looks right")
    decided = store.save_case(replace(opened, approvals=(approval,)).with_event(T0, "bob", "approved", "looks right"))
    assert decided.version != opened.version
    with pytest.raises(StoreConflict):
        store.save_case(replace(opened, status=CaseStatus.REJECTED))  # decided on a stale read
    stored = store.case(opened.id)
    assert stored is not None
    assert stored.approvals == (approval,)
    assert [e.action for e in stored.history] == ["opened", "approved"]
    # A repeated detection of the same plan keeps the approval; a different plan drops it.
    assert store.open_case(_case("again", T0 + timedelta(minutes=1))).approvals == (approval,)
    assert store.open_case(_case("changed", T0 + timedelta(minutes=2), "d3")).approvals == ()


def test_closed_case_opens_next_generation_rejection_sticks(store: StateStore) -> None:
    opened = store.open_case(_case("first sight", T0))
    store.save_case(replace(opened, status=CaseStatus.APPLIED))
    second = store.open_case(_case("drifted again", T0 + timedelta(days=1)))
    assert second.generation == 1
    assert second.id != opened.id
    assert second.status is CaseStatus.OPEN
    assert second.detections == 1
    assert "was applied" in second.history[0].detail
    rejected = store.save_case(replace(second, status=CaseStatus.REJECTED))
    # The decision stands for the plan that was rejected: detections are counted on it.
    third = store.open_case(_case("still there", T0 + timedelta(days=2)))
    assert third.id == rejected.id
    assert third.status is CaseStatus.REJECTED
    assert third.detections == 2
    # A different plan is a new question.
    fourth = store.open_case(_case("other fix", T0 + timedelta(days=3), "d9"))
    assert fourth.generation == 2
    assert fourth.status is CaseStatus.OPEN
    assert [c.generation for c in store.cases()] == [0, 1, 2]
    assert store.current_case(f"{RULE}|{RID}") == fourth
    assert store.case(opened.id) is not None
    assert store.case(opened.id).status is CaseStatus.APPLIED


def test_review_snapshots_keep_their_order(store: StateStore) -> None:
    for day in (3, 1, 2):
        store.save_review(
            T0 + timedelta(days=day), {"figures": {"privileged_standing": day}, "rows": [{"id": f"a{day}", "pad": "x" * 70_000}]}
        )
    history = store.reviews()
    assert [t for t, _ in history] == [T0 + timedelta(days=d) for d in (1, 2, 3)]
    assert history[-1][1]["figures"] == {"privileged_standing": 3}
    assert [t for t, _ in store.reviews(limit=2)] == [T0 + timedelta(days=2), T0 + timedelta(days=3)]


def test_a_full_review_snapshot_fits(store: StateStore) -> None:
    """The most a snapshot names (creep.MAX_NAMED privileged assignments at long resource-group
    scopes) fits in one row of either backend."""
    from driftguard.creep import MAX_NAMED

    scope = "/subscriptions/11111111-1111-4111-8111-111111111111/resourcegroups/" + "rg-" + "x" * 87
    privileged = {
        f"{scope}/providers/microsoft.authorization/roleassignments/{n:08x}-0000-4000-8000-000000000000": f"{n:08x}-1111-4000-8000-000000000000"
        for n in range(MAX_NAMED)
    }
    store.save_review(T0, {"figures": {"total": {"assignments": 50_000}}, "privileged": privileged, "privileged_cut": True})
    [(taken_at, snapshot)] = store.reviews()
    assert taken_at == T0
    assert snapshot["privileged"] == privileged


def test_outbox_keeps_order_and_failed_items(store: StateStore) -> None:
    from driftguard.store.base import OutboxItem, outbox_id

    items = [OutboxItem(outbox_id(T0 + timedelta(seconds=i)), "github", f"key-{i % 2}", {"n": i}, T0, T0) for i in range(5)]
    store.enqueue(items[:3])
    store.enqueue(items[3:])
    store.enqueue([])
    assert [i.payload["n"] for i in store.outbox()] == [0, 1, 2, 3, 4]
    store.delivered(items[0])
    store.retry_later(items[1], error="HTTP 503 from the sink", at=T0 + timedelta(minutes=5))
    due = store.outbox(due_by=T0 + timedelta(minutes=1))
    assert [i.payload["n"] for i in due] == [2, 3, 4]
    assert store.outbox(due_by=T0 + timedelta(minutes=1), limit=2) == due[:2]
    later = store.outbox(due_by=T0 + timedelta(minutes=5))
    assert later[0].payload["n"] == 1
    assert later[0].attempts == 1
    assert later[0].last_error == "HTTP 503 from the sink"
    assert store.ticket_ref("github", "rule|/x") is None
    store.save_ticket_ref("github", "rule|/X", "42")
    assert store.ticket_ref("github", "rule|/x") == "42"  # dedupe keys hold case-insensitive ids
    assert store.ticket_ref("jira", "rule|/x") is None


def test_ids_key_records_as_arm_compares_them(store: StateStore) -> None:
    """A KELVIN SIGN in a resource group name is not a `k` to ARM (.NET's OrdinalIgnoreCase): its
    records are its own, while ASCII case still does not matter."""
    odd = RID.replace("/rg/", "/rg-\u212aelvin/")
    look_alike = odd.replace("\u212a", "k")
    store.save_baseline(Baseline(odd, RULE, {"id": odd}, T0))
    assert store.baseline(look_alike, RULE) is None
    assert store.baseline(odd.upper(), RULE) is not None
    assert store.state_changed(odd, "h1", now=T0)
    assert store.state_changed(look_alike, "h1", now=T0)
    assert not store.state_changed(odd.upper(), "h1", now=T0)
    first = store.open_case(_case("odd", T0, key=f"{RULE}|{odd}"))
    second = store.open_case(_case("look-alike", T0, key=f"{RULE}|{look_alike}"))
    assert first.id != second.id
    assert store.open_case(_case("odd again", T0, key=f"{RULE}|{odd.upper()}")).id == first.id


@pytest.mark.parametrize("if_absent", [False, True])
def test_of_callers_racing_to_open_a_case_exactly_one_is_told_it_created_it(store: StateStore, if_absent: bool) -> None:
    # Fewer than Table Storage's open_case retries: each conflict means another contender got through.
    contenders = 4
    barrier = threading.Barrier(contenders)
    got: list[Case] = []
    lock = threading.Lock()

    def contend() -> None:
        barrier.wait()
        case = store.open_case(_case("raced", T0, key=f"race|{if_absent}"), if_absent=if_absent)
        with lock:
            got.append(case)

    threads = [threading.Thread(target=contend) for _ in range(contenders)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(c.created for c in got) == 1
    assert len({c.id for c in got}) == 1
    stored = store.current_case(f"race|{if_absent}")
    assert stored is not None
    assert not stored.created  # never stored
    # Folding counts every detection; `if_absent` leaves a case someone created as it is.
    assert stored.detections == (1 if if_absent else contenders)


def test_open_case_if_absent_leaves_any_existing_case_alone(store: StateStore) -> None:
    first = store.open_case(_case("first sight", T0), if_absent=True)
    assert first.created
    assert not store.save_case(replace(first, status=CaseStatus.APPLIED)).created
    again = store.open_case(_case("read again", T0 + timedelta(hours=1), "d2"), if_absent=True)
    assert not again.created
    assert (again.id, again.status, again.detections, again.reason) == (first.id, CaseStatus.APPLIED, 1, "first sight")
    # Without it, a closed case's key opens its next generation: that is a creation too.
    assert store.open_case(_case("drifted again", T0 + timedelta(days=1), "d2")).created
