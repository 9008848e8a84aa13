"""Daily budgets (canary probes), on both backends: all-or-nothing reservations that survive a restart and
never overshoot when several instances reserve at once."""

from __future__ import annotations

import threading
from datetime import date
from pathlib import Path

from driftguard.store.base import Charge, StateStore
from driftguard.store.sqlite import SqliteStore

DAY = date(2026, 11, 29)
DEPLOYMENT = "deployment|/subscriptions/1/resourcegroups/rg/providers/microsoft.cognitiveservices/accounts/oai/deployments/gpt-4o"


def test_a_reservation_takes_every_charge_or_none(store: StateStore) -> None:
    assert store.reserve_budget(DAY, [Charge(DEPLOYMENT, 1, 2), Charge("tokens", 40, 100)])
    assert store.reserve_budget(DAY, [Charge(DEPLOYMENT, 1, 2), Charge("tokens", 40, 100)])
    # The tokens would pass (80 + 10), the deployment's count would not (3 > 2): nothing is taken.
    assert not store.reserve_budget(DAY, [Charge("tokens", 10, 100), Charge(DEPLOYMENT, 1, 2)])
    assert store.budget_used(DAY, "tokens") == 80
    assert store.budget_used(DAY, DEPLOYMENT) == 2
    # Another day is another budget.
    assert store.reserve_budget(date(2026, 11, 30), [Charge(DEPLOYMENT, 1, 2)])
    assert store.budget_used(date(2026, 11, 30), "unknown") == 0


def test_concurrent_reservations_never_overshoot(store: StateStore) -> None:
    granted: list[bool] = []
    lock = threading.Lock()

    def reserve() -> None:
        for _ in range(3):
            ok = store.reserve_budget(DAY, [Charge("probes", 1, 5)])
            with lock:
                granted.append(ok)

    threads = [threading.Thread(target=reserve) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert granted.count(True) == 5
    assert store.budget_used(DAY, "probes") == 5


def test_the_budget_survives_a_restart(tmp_path: Path) -> None:
    first = SqliteStore(tmp_path / "state.db")
    assert first.reserve_budget(DAY, [Charge("probes", 3, 4)])
    first.close()
    again = SqliteStore(tmp_path / "state.db")
    assert not again.reserve_budget(DAY, [Charge("probes", 2, 4)])
    assert again.reserve_budget(DAY, [Charge("probes", 1, 4)])
