"""Event Grid delivers at least once, in any order. Whatever the order and however many duplicates,
DriftGuard ends in the same place: the same estate, the same findings and cases, the same audit trail
as handling each event once, in order."""

from __future__ import annotations

import json
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.test_respond import DEV, PIPELINE, PROD_EU, PROD_OAI, World, baseline_prod

# What people change before DriftGuard hears of it: drifts on a baselined account (reverted), a
# harmless write, a first sight on another account (a case), and a pipeline's write.
CHANGES: tuple[tuple[str, str, dict[str, Any]], ...] = (
    (DEV, PROD_OAI, {"properties": {"publicNetworkAccess": "Enabled", "networkAcls": {"defaultAction": "Allow"}}}),
    (DEV, PROD_OAI, {"tags": {"ticket": "CHG-1"}}),
    (PIPELINE, PROD_OAI, {"properties": {"disableLocalAuth": False}}),
    (DEV, PROD_EU, {"tags": {"touched": "yes"}}),
    (PIPELINE, PROD_EU, {"properties": {"restrictOutboundNetworkAccess": False}}),
)


def _world(tmp: Path) -> tuple[World, list[dict[str, Any]]]:
    world = World(tmp)
    baseline_prod(world)
    for who, rid, body in CHANGES:
        world.change(who, rid, body)
    events, world.events[:] = list(world.events), []
    return world, events


def _outcome(world: World) -> dict[str, Any]:
    """Everything that must converge (times, ids and ETags aside)."""

    def props(rid: str) -> Any:
        return {k: v for k, v in world.resource(rid).items() if k not in ("etag", "systemData")}

    audit = sorted(
        json.dumps([e.actor, e.action, e.resource_id.lower(), e.rule, e.before, e.after, e.detail], sort_keys=True, default=str)
        for e in world.store.audit_log()
    )
    return {
        "estate": {rid: props(rid) for rid in (PROD_OAI, PROD_EU)},
        "findings": sorted((f.rule, f.resource_id.lower(), f.status.value) for f in world.store.findings()),
        "cases": sorted((c.rule, c.resource_id.lower(), c.status.value, c.plan_digest) for c in world.store.cases()),
        "audit": audit,
    }


def _handle(world: World, events: list[dict[str, Any]]) -> None:
    for raw in events:
        world.events.append(raw)
        world.deliver()  # DriftGuard's own writes come back as events too, handled as they come


@cache
def _in_order_once() -> str:
    with tempfile.TemporaryDirectory() as tmp:
        world, events = _world(Path(tmp))
        _handle(world, events)
        return json.dumps(_outcome(world), sort_keys=True, default=str)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_order_and_duplicates_converge(data: st.DataObject) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        world, events = _world(Path(tmp))
        order = data.draw(st.permutations(range(len(events))), label="order")
        extra = data.draw(st.lists(st.integers(0, len(events) - 1), max_size=2 * len(events)), label="duplicates")
        delivered = [events[i] for i in order]
        for i in extra:  # redeliveries land anywhere after, or before, the first delivery
            at = data.draw(st.integers(0, len(delivered)))
            delivered.insert(at, events[i])
        _handle(world, delivered)
        assert json.dumps(_outcome(world), sort_keys=True, default=str) == _in_order_once()


def test_the_scenario_does_something() -> None:
    """The property is only worth something if the scenario reverts, rotates and opens cases."""
    outcome = json.loads(_in_order_once())
    actions = " ".join(outcome["audit"])
    assert '"reverted"' in actions
    assert '"case_opened"' in actions
    assert outcome["estate"][PROD_OAI]["properties"]["publicNetworkAccess"] == "Disabled"
    assert any(status == "open" for *_, status, _ in outcome["cases"])
