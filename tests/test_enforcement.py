"""Enforcement leaves something the next handler can act on, wherever the last one stopped: a live
claim elsewhere makes the delivery fail (Event Grid retries), a dead one is taken over and its intent
reconciled by reading back; key regenerations that landed are never sent again, one in flight waits
for its own event to come back."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import remediations
from driftguard.azure.connection import ArmConnection, RawArm, StaticTokenCredential
from driftguard.azure.writes import ArmWriter, TransientWriteError
from driftguard.enforcement import CONFIRM_WINDOW, WRITE_IN_FLIGHT, Busy, Enforced, Enforcer
from driftguard.model import Plan
from driftguard.policy import Policy
from driftguard.store.sqlite import SqliteStore
from remediations.base import PlanContext
from simulator import Estate, Fault, Simulator
from simulator import builders as b
from simulator.transport import BASE_URL, in_process_session

SUB = "11111111-1111-4111-8111-111111111111"
NOW = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
DG = "d9d9d9d9-0000-4000-8000-000000000001"
RULE = "cognitiveservices_account_local_auth_disabled"
FIX = "cognitiveservices_account_disable_local_auth"


class Stop(Exception):
    """Stands for a handler that stops at a step (the crash-point harness kills a real process)."""


class World:
    def __init__(self, tmp: Path) -> None:
        self.account = b.cognitive_account(SUB, "rg", "oai", local_auth=True)
        self.sim = Simulator(Estate())
        self.sim.estate.put(self.account)
        conn = ArmConnection(
            BASE_URL,
            StaticTokenCredential(f"sim:{DG}"),
            session=in_process_session(self.sim),
            polling_interval=0,
            retry_backoff_factor=0.01,
        )
        self.writer = ArmWriter(RawArm(conn), BASE_URL, poll_interval_s=0)
        self.store = SqliteStore(tmp / "state.db")
        self.now = NOW
        self.recorded: list[Enforced] = []

    def enforcer(self, stop_at: str | None = None, after: int = 0) -> Enforcer:
        seen = {"n": 0}

        def observer(step: str) -> None:
            if step == stop_at:
                seen["n"] += 1
                if seen["n"] > after:
                    raise Stop(step)

        rid = self.account["id"]
        return Enforcer(
            store=self.store, writer=self.writer, read=lambda _: self.sim.estate.get(rid), clock=lambda: self.now, observer=observer
        )

    def plan(self, current: Mapping[str, Any]) -> Plan | None:
        return remediations.registry()[FIX].plan(current, PlanContext(policy=Policy()))

    def run(self, enforcer: Enforcer) -> Enforced:
        return enforcer.run(self.account["id"], RULE, self.plan, self.recorded.append)

    def regenerations(self) -> int:
        return sum(1 for r in self.sim.requests if r.method == "POST" and r.path.endswith("/regenerateKey") and 200 <= r.status < 300)


@pytest.fixture
def world(tmp_path: Path) -> World:
    return World(tmp_path)


def test_a_retry_sends_only_what_its_first_attempt_did_not(world: World) -> None:
    world.sim.inject(Fault("503", method="PATCH", times=10))  # more than azure-core's retries
    with pytest.raises(TransientWriteError):
        world.run(world.enforcer())
    assert world.regenerations() == 2
    world.sim.faults.clear()
    keys = dict(world.sim.writes.keys(world.account["id"]))
    world.now += timedelta(hours=1)  # however late the retry comes: those keys were regenerated

    done = world.run(world.enforcer())
    assert world.regenerations() == 2  # not again
    assert world.sim.writes.keys(world.account["id"]) == keys
    assert len(done.skipped) == 2
    assert [e.write_id for e in world.recorded] == [done.write_id]  # the outcome recorded once

    # The fix went through: drift coming back later is a new fix, with a rotation of its own.
    current = world.sim.estate.get(world.account["id"])
    assert current is not None
    current["properties"]["disableLocalAuth"] = False
    world.sim.estate.put(current)
    world.run(world.enforcer())
    assert world.regenerations() == 4


def test_a_live_claim_elsewhere_makes_the_delivery_fail_and_an_expired_one_is_taken_over(world: World) -> None:
    assert world.store.claim(world.account["id"], RULE, "someone-alive", now=world.now, ttl=timedelta(minutes=5))
    with pytest.raises(Busy):
        world.run(world.enforcer())
    assert world.regenerations() == 0
    world.now += timedelta(minutes=6)  # that handler died: its claim expired
    world.run(world.enforcer())
    assert world.regenerations() == 2


def test_a_handler_stopped_after_its_write_landed_is_reconciled_not_repeated(world: World) -> None:
    with pytest.raises(Stop):
        world.run(world.enforcer(stop_at="outcome_recorded"))  # the write landed, its intent is still on record
    assert world.recorded  # (the record ran; a stop before it is the next test)
    world.recorded.clear()
    world.now += timedelta(minutes=6)
    done = world.run(world.enforcer())
    assert done.reconciled
    assert world.recorded == []  # its outcome was on record already: not recorded twice
    assert world.regenerations() == 2
    patches = [r for r in world.sim.requests if r.method == "PATCH"]
    assert len(patches) == 1


def test_a_handler_stopped_before_recording_its_outcome_gets_it_recorded_by_the_next(world: World) -> None:
    landed = {"n": 0}

    def record(_: Enforced) -> None:
        landed["n"] += 1
        raise Stop("killed before the outcome was on record")

    with pytest.raises(Stop):
        world.enforcer().run(world.account["id"], RULE, world.plan, record)
    world.now += timedelta(minutes=6)
    done = world.run(world.enforcer())
    assert done.reconciled  # found landed by reading back, and recorded now
    assert [e.reconciled for e in world.recorded] == [True]
    assert world.regenerations() == 2
    assert len([r for r in world.sim.requests if r.method == "PATCH"]) == 1


def test_a_key_regeneration_in_flight_waits_for_its_own_event_then_is_not_sent_again(world: World) -> None:
    events: list[dict[str, Any]] = []
    world.sim.writes.subscribe(events.append)
    # Killed while the second regeneration is in flight: it landed, its answer never came back.
    with pytest.raises(Stop):
        world.run(world.enforcer(stop_at="write_landed", after=1))
    assert world.regenerations() == 2
    world.now += timedelta(minutes=6)
    with pytest.raises(Busy):  # unconfirmed yet: a retry later knows more
        world.run(world.enforcer())
    # Its own event comes back (DriftGuard's own key action, with the intent's correlation id).
    confirming = world.enforcer()
    for event in events:
        if event["data"]["operationName"].endswith("/regenerateKey/action"):
            confirming.confirm(world.account["id"], event["data"]["correlationId"])
    world.run(world.enforcer())
    assert world.regenerations() == 2  # neither key regenerated twice
    after = world.sim.estate.get(world.account["id"])
    assert after is not None
    assert after["properties"]["disableLocalAuth"] is True


def test_a_key_regeneration_that_never_came_back_is_sent_again_after_the_window(world: World) -> None:
    world.sim.inject(Fault("drop", method="POST", path="/regenerateKey", times=20))  # never lands, no answer
    with pytest.raises(TransientWriteError):
        world.run(world.enforcer())
    assert world.regenerations() == 0
    world.sim.faults.clear()
    world.now += timedelta(minutes=6)
    with pytest.raises(Busy):
        world.run(world.enforcer())
    world.now += CONFIRM_WINDOW
    world.run(world.enforcer())
    assert world.regenerations() == 2


def test_the_observer_hears_every_step_in_order(world: World) -> None:
    heard: list[str] = []
    rid = world.account["id"]
    enforcer = Enforcer(
        store=world.store, writer=world.writer, read=lambda _: world.sim.estate.get(rid), clock=lambda: world.now, observer=heard.append
    )
    world.run(enforcer)
    assert heard[:3] == ["claimed", "read", "intent_recorded"]
    assert heard.count(WRITE_IN_FLIGHT) == 3  # two regenerations and the PATCH
    assert "between_key_regenerations" in heard
    assert heard[-1] == "outcome_recorded"


def test_a_handler_that_stalled_past_its_claim_sends_nothing_more_once_taken_over(world: World) -> None:
    rid = world.account["id"]

    def stall(step: str) -> None:
        if step == "intent_recorded":
            # This handler stalls past its claim's expiry; another instance takes the fix over.
            world.now += timedelta(seconds=61)
            assert world.store.claim(rid, RULE, "the-successor", now=world.now, ttl=timedelta(seconds=60))

    stalled = Enforcer(
        store=world.store,
        writer=world.writer,
        read=lambda _: world.sim.estate.get(rid),
        clock=lambda: world.now,
        observer=stall,
        claim_ttl=timedelta(seconds=60),
    )
    with pytest.raises(Busy, match="taken over"):
        world.run(stalled)
    assert world.regenerations() == 0  # the claim is renewed before each write: it was not
    assert not [r for r in world.sim.requests if r.method == "PATCH"]


def test_an_intent_left_by_a_project_fix_that_writes_its_hub_is_found_by_the_projects_next_delivery(tmp_path: Path) -> None:
    hub = b.workspace(SUB, "rg", "mlw-hub", public=True)
    project = b.workspace(SUB, "rg", "mlw-proj", kind="Project", public=True, hub_id=hub["id"])
    world = World(tmp_path)
    world.sim.estate.put_many([hub, project])
    fix = remediations.registry()["machinelearning_workspace_disable_public_network_access"]
    rule = "machinelearning_workspace_public_network_access_disabled"

    def plan(current: Mapping[str, Any] | None) -> Plan | None:
        assert current is not None
        return fix.plan(current, PlanContext(policy=Policy(), extra={"hub": world.sim.estate.get(hub["id"])}))

    def enforcer(stop_at: str | None = None) -> Enforcer:
        def observer(step: str) -> None:
            if step == stop_at:
                raise Stop(step)

        return Enforcer(store=world.store, writer=world.writer, read=world.sim.estate.get, clock=lambda: world.now, observer=observer)

    with pytest.raises(Stop):  # the hub's PATCH landed; the handler stopped before recording it
        enforcer("write_landed").run(project["id"], rule, plan, world.recorded.append)
    assert world.recorded == []
    world.now += timedelta(minutes=6)
    done = enforcer().run(project["id"], rule, plan, world.recorded.append)
    assert done.reconciled, "the intent was looked for where it was kept"
    assert [e.reconciled for e in world.recorded] == [True]  # recorded now, once
    assert len([r for r in world.sim.requests if r.method == "PATCH"]) == 1
