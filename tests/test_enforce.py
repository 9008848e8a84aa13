"""A retried fix does not regenerate keys twice; a new drift, or a retry after the window, does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import remediations
from driftguard import enforce
from driftguard.azure.connection import ArmConnection, RawArm, StaticTokenCredential
from driftguard.azure.writes import ArmWriter, TransientWriteError
from driftguard.policy import Policy
from driftguard.store.sqlite import SqliteStore
from remediations.base import PlanContext
from simulator import Estate, Fault, Simulator
from simulator import builders as b
from simulator.transport import BASE_URL, in_process_session

SUB = "11111111-1111-4111-8111-111111111111"
NOW = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
DG = "d9d9d9d9-0000-4000-8000-000000000001"


def regenerations(sim: Simulator) -> int:
    return sum(1 for r in sim.requests if r.method == "POST" and r.path.endswith("/regenerateKey") and r.status < 300)


def writer_for(sim: Simulator) -> ArmWriter:
    conn = ArmConnection(
        BASE_URL, StaticTokenCredential(f"sim:{DG}"), session=in_process_session(sim), polling_interval=0, retry_backoff_factor=0.01
    )
    return ArmWriter(RawArm(conn), BASE_URL, poll_interval_s=0)


def test_a_retry_sends_only_what_its_first_attempt_did_not(tmp_path: Path) -> None:
    account = b.cognitive_account(SUB, "rg", "oai", local_auth=True)
    sim = Simulator(Estate())
    sim.estate.put(account)
    writer = writer_for(sim)
    store = SqliteStore(tmp_path / "state.db")
    fix = remediations.registry()["cognitiveservices_account_disable_local_auth"]
    plan = fix.plan(account, PlanContext(policy=Policy()))
    assert plan is not None

    sim.inject(Fault("503", method="PATCH", times=10))  # more than azure-core's retries
    with pytest.raises(TransientWriteError):
        enforce.send(plan, writer=writer, store=store, now=NOW)
    assert regenerations(sim) == 2
    sim.faults.clear()
    keys = dict(sim.writes.keys(account["id"]))

    enforce.send(plan, writer=writer, store=store, now=NOW + timedelta(minutes=1))
    assert regenerations(sim) == 2  # not again
    assert sim.writes.keys(account["id"]) == keys
    current = sim.estate.get(account["id"])
    assert current is not None
    assert current["properties"]["disableLocalAuth"] is True

    # The fix went through: drift coming back later is rotated afresh.
    current["properties"]["disableLocalAuth"] = False
    sim.estate.put(current)
    again = fix.plan(current, PlanContext(policy=Policy()))
    assert again is not None
    enforce.send(again, writer=writer, store=store, now=NOW + timedelta(minutes=2))
    assert regenerations(sim) == 4


def test_a_retry_after_the_window_regenerates_again(tmp_path: Path) -> None:
    account = b.cognitive_account(SUB, "rg", "oai", local_auth=True)
    sim = Simulator(Estate())
    sim.estate.put(account)
    writer = writer_for(sim)
    store = SqliteStore(tmp_path / "state.db")
    plan = remediations.registry()["cognitiveservices_account_disable_local_auth"].plan(account, PlanContext(policy=Policy()))
    assert plan is not None
    sim.inject(Fault("503", method="PATCH", times=10))
    with pytest.raises(TransientWriteError):
        enforce.send(plan, writer=writer, store=store, now=NOW)
    sim.faults.clear()
    # The keys made by the first attempt were listable for longer than the window: they are exposed too.
    enforce.send(plan, writer=writer, store=store, now=NOW + enforce.RETRY_WINDOW + timedelta(seconds=1))
    assert regenerations(sim) == 4
    writes = [(r.method, r.path.rsplit("/", 1)[-1]) for r in sim.requests if r.method != "GET" and r.status < 300]
    assert writes[-3:] == [("POST", "regenerateKey"), ("POST", "regenerateKey"), ("PATCH", "oai")]
