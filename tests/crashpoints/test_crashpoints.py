"""Issue 12's crash points: a worker killed (SIGKILL) at each named step of the event path and of an
approval, on both stores, then Event Grid (or the approver) delivering again until acknowledged; and one
to four processes handling the same delivery at once. After each run every invariant holds: the drift
fixed or its case open, no key regenerated twice, every landed write audited (once), nothing left
`remediating` or `approved`, the event marked handled only once its work was done."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from tests.crashpoints.harness import SCENARIOS, Figures, Harness, stores

STORES = ("sqlite", "table")


def _azurite(request: pytest.FixtureRequest) -> Callable[[], str]:
    return lambda: str(request.getfixturevalue("azurite"))


@pytest.mark.parametrize("store_kind", STORES)
@pytest.mark.parametrize(("scenario", "crash_at"), [(s, p) for s, points in SCENARIOS.items() for p in points])
def test_every_invariant_holds_after_a_kill_at_each_step(
    harness: Harness, figures: Figures, request: pytest.FixtureRequest, tmp_path: Path, store_kind: str, scenario: str, crash_at: str
) -> None:
    store, spec = next(stores(store_kind, tmp_path, _azurite(request)))
    run = harness.start(scenario, store, spec)
    kills = figures.kills
    harness.drive(run, crash_at=crash_at)
    assert figures.kills == kills + 1, f"the worker was never killed at {crash_at}: the step was not reached"
    assert harness.check(run) == []


@pytest.mark.parametrize("store_kind", STORES)
@pytest.mark.parametrize("processes", [1, 2, 3, 4])
@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_one_to_four_processes_delivering_at_once_fix_it_once(
    harness: Harness, request: pytest.FixtureRequest, tmp_path: Path, store_kind: str, scenario: str, processes: int
) -> None:
    store, spec = next(stores(store_kind, tmp_path, _azurite(request)))
    run = harness.start(scenario, store, spec)
    harness.drive(run, crash_at=None, processes=processes)
    assert harness.check(run) == []


# Killed while recording a landed write's outcome (several store writes: the audit record, the windows,
# the obligation, the state, the finding or case), after the audit record went in: the next owner finds
# the write landed and records its outcome again, and the record still stands once.
RECORDING = [("revert", "inside:record_revert:1"), ("rotate", "inside:record_revert:2"), ("approve", "inside:save_case:2")]


@pytest.mark.parametrize("store_kind", STORES)
@pytest.mark.parametrize(("scenario", "crash_at"), RECORDING)
def test_a_kill_while_the_outcome_is_recorded_leaves_one_record(
    harness: Harness, figures: Figures, request: pytest.FixtureRequest, tmp_path: Path, store_kind: str, scenario: str, crash_at: str
) -> None:
    store, spec = next(stores(store_kind, tmp_path, _azurite(request)))
    run = harness.start(scenario, store, spec)
    kills = figures.kills
    harness.drive(run, crash_at=crash_at)
    assert figures.kills == kills + 1, f"the worker was never killed at {crash_at}"
    assert harness.check(run) == []


# Killed with a key regeneration sent (or landed) and unrecorded, while DriftGuard's own events about
# it come 20 minutes late (Event Grid held them: their first deliveries failed): the listing's
# redelivery, past the ten minutes their events are waited for, asks the Activity Log, by the request's
# correlation id, and regenerates no key twice.
LATE = ["write_in_flight", "write_landed", "between_key_regenerations"]


@pytest.mark.parametrize("crash_at", LATE)
def test_own_key_events_that_come_late_regenerate_no_key_twice(
    harness: Harness, figures: Figures, request: pytest.FixtureRequest, tmp_path: Path, crash_at: str
) -> None:
    store, spec = next(stores("sqlite", tmp_path, _azurite(request)))
    run = harness.start("rotate", store, spec)
    run.own_keys_late = timedelta(minutes=20)
    kills = figures.kills
    harness.drive(run, crash_at=crash_at)
    assert figures.kills == kills + 1, f"the worker was never killed at {crash_at}"
    assert harness.check(run) == []
