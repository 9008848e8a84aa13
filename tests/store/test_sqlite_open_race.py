"""Several instances opening a new state file at the same moment (a scale-out, two timers at
start-up): each gets a working store; none fails on the switch to WAL."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

ROUNDS = 8
PROCESSES = 4


def _open(path: str, barrier: object, results: object) -> None:
    from driftguard.store.sqlite import SqliteStore

    barrier.wait()  # type: ignore[attr-defined]
    try:
        store = SqliteStore(path)
        store.close()
        results.put("ok")  # type: ignore[attr-defined]
    except Exception as e:  # the failure is the test's answer, reported to the parent
        results.put(f"{type(e).__name__}: {e}")  # type: ignore[attr-defined]


def test_instances_opening_a_new_state_file_at_once_all_get_a_store(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    failures: list[str] = []
    for round_ in range(ROUNDS):
        path = str(tmp_path / f"state-{round_}.db")
        barrier, results = ctx.Barrier(PROCESSES), ctx.Queue()
        workers = [ctx.Process(target=_open, args=(path, barrier, results)) for _ in range(PROCESSES)]
        for w in workers:
            w.start()
        answers = [results.get(timeout=60) for _ in workers]
        for w in workers:
            w.join(timeout=60)
        failures += [a for a in answers if a != "ok"]
    assert failures == []
