"""DriftGuard's own key regeneration whose event comes late (Event Grid holds an event whose first
deliveries failed for 16 minutes and more): the handler that sent it stopped before recording it, the
listing is delivered again past the ten minutes its event is waited for, and the Activity Log, asked by
the request's correlation id, says it landed. The key is not regenerated a second time; the other one,
never sent, is. A log that cannot be read answers nothing: the delivery fails and nothing is sent."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from azure.core.pipeline.transport import RequestsTransport

import remediations
from driftguard.azure.activity import ActivityReader
from driftguard.azure.connection import ArmConnection, RawArm, StaticTokenCredential
from driftguard.azure.writes import ArmWriter, TransientWriteError
from driftguard.enforcement import CONFIRM_WINDOW, Busy
from driftguard.events import parse_event
from driftguard.model import Mode
from driftguard.obligations import Obligations
from driftguard.policy import Policy
from driftguard.respond import Outcome, Responder
from driftguard.rules.cognitiveservices_account_keys_not_exposed import META as KEY_RULE
from driftguard.store.sqlite import SqliteStore
from simulator import Fault, Simulator, sample
from simulator.transport import BASE_URL, in_process_session

DG = "d9d9d9d9-0000-4000-8000-000000000001"
DEV = "de7de7de-0000-4000-8000-000000000002"
PROD_EU = f"/subscriptions/{sample.PROD}/resourceGroups/rg-ai-prod/providers/Microsoft.CognitiveServices/accounts/oai-contoso-prod-eu"
NOW = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)


class Stop(Exception):
    """Stands for a handler killed at a step (the crash-point harness kills a real process)."""


class World:
    def __init__(self, tmp: Path) -> None:
        self.now = NOW
        self.sim = Simulator(sample.build())
        self.sim.writes.clock = lambda: self.now  # the Activity Log's TimeGenerated
        self.events: list[dict[str, Any]] = []
        self.sim.writes.subscribe(self.events.append)
        self.store = SqliteStore(tmp / "state.db")
        conn = ArmConnection(BASE_URL, StaticTokenCredential(f"sim:{DG}"), session=in_process_session(self.sim), polling_interval=0)
        self.writer = ArmWriter(RawArm(conn), BASE_URL, poll_interval_s=0)
        transport = RequestsTransport(session=in_process_session(self.sim), session_owner=False)
        self.activity = ActivityReader(
            StaticTokenCredential(),
            workspace_id="law-security",
            endpoint="https://logs.simulator.local",
            transport=transport,
            retry_total=0,
        )

    def responder(self, *, kill_at: str | None = None) -> Responder:
        def observer(step: str) -> None:
            if step == kill_at:
                raise Stop(step)

        return Responder(
            policy=Policy(modes={KEY_RULE.id: Mode.AUTO}),
            store=self.store,
            reader=self.writer.read,
            writer=self.writer,
            remediations=remediations.registry(),
            subscriptions=sample.SUBSCRIPTIONS,
            identity_ids=(DG,),
            clock=lambda: self.now,
            observer=observer,
            activity=self.activity,
        )

    def list_keys(self) -> dict[str, Any]:
        answer = self.sim.handle(
            "POST", PROD_EU + "/listKeys", "api-version=2025-09-01", {"Authorization": f"Bearer sim:{DEV}", "Host": "h"}, b""
        )
        assert answer.status == 200
        [listing] = [e for e in self.events if e["data"]["operationName"].endswith("/listKeys/action")]
        self.events.remove(listing)
        return listing

    def regenerated(self) -> list[str]:
        """The keys regenerated, in order, by name."""
        return [
            str(json.loads(r.body)["keyName"])
            for r in self.sim.requests
            if r.method == "POST" and r.path.endswith("/regenerateKey") and 200 <= r.status < 300
        ]

    def own_events(self) -> list[dict[str, Any]]:
        held = [e for e in self.events if e["data"]["operationName"].endswith("/regenerateKey/action")]
        for e in held:
            self.events.remove(e)
        return held


@pytest.fixture
def world(tmp_path: Path) -> World:
    return World(tmp_path)


def test_a_regeneration_whose_own_event_is_late_is_found_in_the_activity_log_and_not_sent_again(world: World) -> None:
    listing = world.list_keys()
    # Killed right after Key1's regeneration landed: its outcome never went on record.
    with pytest.raises(Stop):
        world.responder(kill_at="write_landed").handle(parse_event(listing))
    assert world.regenerated() == ["Key1"]
    late = world.own_events()  # held by Event Grid: its first deliveries failed
    assert len(late) == 1
    # The listing comes again past the window its own event is waited for (the claim expired too).
    world.now += CONFIRM_WINDOW + timedelta(minutes=1)
    results = world.responder().handle(parse_event(listing))
    assert [r.outcome for r in results if r.rule == KEY_RULE.id] == [Outcome.REVERTED]
    assert world.regenerated() == ["Key1", "Key2"]  # Key1 once: the log said it landed
    assert Obligations(store=world.store, clock=lambda: world.now).pending(PROD_EU) == ()
    # The late events come at last: DriftGuard's own, nothing more to do.
    for event in [*late, *world.own_events()]:
        assert [r.outcome for r in world.responder().handle(parse_event(event))] == [Outcome.OWN_WRITE]
    assert world.regenerated() == ["Key1", "Key2"]


def test_an_activity_log_that_cannot_be_read_fails_the_delivery_and_sends_nothing(world: World) -> None:
    listing = world.list_keys()
    with pytest.raises(Stop):
        world.responder(kill_at="write_landed").handle(parse_event(listing))
    world.own_events()
    world.now += CONFIRM_WINDOW + timedelta(minutes=1)
    world.sim.inject(Fault("503", method="POST", path="/query$", times=5))
    with pytest.raises(Busy, match="Activity Log could not be read"):
        world.responder().handle(parse_event(listing))
    assert world.regenerated() == ["Key1"]  # neither sent again blindly
    assert Obligations(store=world.store, clock=lambda: world.now).pending(PROD_EU) != ()  # nor dropped
    world.sim.faults.clear()
    world.responder().handle(parse_event(listing))  # Event Grid redelivers; the log answers now
    assert world.regenerated() == ["Key1", "Key2"]


def test_a_regeneration_the_log_has_no_trace_of_is_sent_again_once_the_log_is_newer_than_it(world: World) -> None:
    listing = world.list_keys()
    world.sim.inject(Fault("drop", method="POST", path="/regenerateKey", times=20))  # never lands
    with pytest.raises(TransientWriteError):  # the answer never came
        world.responder().handle(parse_event(listing))
    world.sim.faults.clear()
    assert world.regenerated() == []
    world.now += CONFIRM_WINDOW + timedelta(minutes=1)
    with pytest.raises(Busy, match="not in the Activity Log yet"):  # the log holds nothing newer than the send
        world.responder().handle(parse_event(listing))
    world.sim.handle(
        "PATCH", PROD_EU, "api-version=2025-09-01", {"Authorization": f"Bearer sim:{DEV}", "Host": "h"}, b'{"tags": {"a": "b"}}'
    )
    world.sim.writes.settle()
    world.responder().handle(parse_event(listing))
    assert world.regenerated() == ["Key1", "Key2"]
