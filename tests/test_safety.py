"""The event path under retries and scale-out, in one process (the crash-point harness does it with
real processes): controls count writes that landed, a live claim elsewhere fails the delivery, a key
exposure is an obligation answered once, sweeps keep their own state, delete events are checked,
and a rollback's approvers exclude whoever caused the original drift."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from driftguard.enforcement import Busy
from driftguard.events import parse_event
from driftguard.model import Mode
from driftguard.policy import Limits, Policy
from simulator import Fault
from tests.test_respond import DEV, PIPELINE, PROD_EU, PROD_OAI, World, baseline_prod

PUBLIC = "cognitiveservices_account_public_network_access_disabled"
KEYS = "cognitiveservices_account_keys_not_exposed"
OPEN = {"properties": {"publicNetworkAccess": "Enabled", "networkAcls": {"defaultAction": "Allow"}}}


@pytest.fixture
def world(tmp_path: Path) -> World:
    return World(tmp_path)


def deliver_failing(world: World) -> int:
    """Delivers every pending event, keeping the ones that raise, as Event Grid would; returns how many raised."""
    kept, failed = [], 0
    while world.events:
        raw = world.events.pop(0)
        try:
            world.responder.handle(parse_event(raw))
        except Exception:
            failed += 1
            kept.append(raw)
        world.settle()
    world.events.extend(kept)
    return failed


def test_deliveries_that_failed_on_503s_count_nothing_towards_flapping(world: World) -> None:
    baseline_prod(world)
    world.change(DEV, PROD_OAI, OPEN)
    world.sim.inject(Fault("503", method="PATCH", times=40))  # every revert attempt fails, past azure-core's retries
    for _ in range(4):
        assert deliver_failing(world) == 1  # Event Grid redelivers it each time
    world.sim.faults.clear()
    outcomes = world.deliver()
    assert [o[0] for o in outcomes if o[1] == PUBLIC] == ["reverted"]  # not "flapping": no revert had landed
    assert not [c for c in world.store.cases() if "flapping" in c.reason]
    assert world.resource(PROD_OAI)["properties"]["publicNetworkAccess"] == "Disabled"


def test_the_flap_window_counts_each_landed_revert_once(world: World) -> None:
    world.responder.policy = Policy(limits=Limits(flap_max_reverts=2))
    baseline_prod(world)
    for _ in range(2):
        world.change(PIPELINE, PROD_OAI, OPEN)
        world.deliver()
    world.change(PIPELINE, PROD_OAI, OPEN)
    outcomes = world.deliver()
    [public] = [o for o in outcomes if o[1] == PUBLIC]
    assert public[0] == "case_opened"
    assert "flapping" in public[2]
    assert PIPELINE in public[2]


def test_a_live_claim_elsewhere_fails_the_delivery_which_is_not_marked_handled(world: World) -> None:
    baseline_prod(world)
    world.change(DEV, PROD_OAI, OPEN)
    now = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
    assert world.store.claim(PROD_OAI, PUBLIC, "another-instance", now=now, ttl=timedelta(minutes=5))
    [raw] = world.events
    with pytest.raises(Busy):
        world.responder.handle(parse_event(raw))
    assert not world.store.event_seen(raw["id"])  # Event Grid redelivers it
    world.store.release(PROD_OAI, PUBLIC, "another-instance")
    assert [o[0] for o in world.deliver() if o[1] == PUBLIC] == ["reverted"]


def test_a_key_exposure_is_rotated_once_however_often_it_is_delivered(world: World) -> None:
    world.responder.policy = Policy(modes={KEYS: Mode.AUTO})
    world.sim.handle("POST", PROD_EU + "/listKeys", "api-version=2025-09-01", {"Authorization": f"Bearer sim:{DEV}", "Host": "h"}, b"")
    [listing] = list(world.events)
    world.deliver()
    rotated = dict(world.sim.writes.keys(PROD_EU))
    # The same listing again (a redelivery after a crash before its mark, or a second instance).
    world.store.purge_marks(before=datetime(2100, 1, 1, tzinfo=UTC))
    world.events.append(listing)
    outcomes = world.deliver()
    assert not [o for o in outcomes if o[1] == KEYS and o[0] == "reverted"]
    assert world.sim.writes.keys(PROD_EU) == rotated


def test_an_exposure_while_key_auth_is_off_is_rotated_before_key_auth_is_off_again(world: World) -> None:
    """Listed, then local auth turned off (the keys open nothing: Azure refuses to rotate them), then
    turned on again: the revert regenerates the exposed keys before it turns local auth off."""
    world.change(DEV, PROD_OAI, {"properties": {"disableLocalAuth": False}})
    world.events.clear()
    world.sim.handle("POST", PROD_OAI + "/listKeys", "api-version=2025-09-01", {"Authorization": f"Bearer sim:{DEV}", "Host": "h"}, b"")
    listing = list(world.events)
    world.change(PIPELINE, PROD_OAI, {"properties": {"disableLocalAuth": True}})
    world.events[:] = listing
    exposed_keys = dict(world.sim.writes.keys(PROD_OAI))
    assert [o[0] for o in world.deliver() if o[1] == KEYS] == ["recorded"]
    assert world.responder.obligations.pending(PROD_OAI)
    baseline_prod(world)
    world.change(DEV, PROD_OAI, {"properties": {"disableLocalAuth": False}})
    world.deliver()
    after = world.sim.writes.keys(PROD_OAI)
    assert after["key1"] != exposed_keys["key1"]
    assert after["key2"] != exposed_keys["key2"]
    assert world.resource(PROD_OAI)["properties"]["disableLocalAuth"] is True
    assert world.responder.obligations.pending(PROD_OAI) == ()


def test_an_event_during_a_sweep_is_judged_as_an_event_and_sweeps_share_one_budget(world: World) -> None:
    world.responder.policy = Policy(limits=Limits(sweep_max_percent=100))
    baseline_prod(world)
    world.change(DEV, PROD_OAI, OPEN)
    [raw] = world.events
    world.events.clear()
    seen: list[str] = []

    class Interleaved(list[dict[str, object]]):
        def __iter__(self):  # type: ignore[no-untyped-def]
            for item in super().__iter__():
                if not seen:
                    seen.append("event")
                    results = world.responder.handle(parse_event(raw))  # delivered while the sweep runs
                    assert [r.outcome.value for r in results if r.rule == PUBLIC] == ["reverted"]
                yield item

    rows = Interleaved([world.resource(PROD_EU)])
    world.responder.sweep(rows)
    assert seen == ["event"]


def test_a_stale_delete_event_closes_nothing(world: World) -> None:
    world.change(DEV, PROD_EU, {"tags": {"a": "b"}})
    world.deliver()
    open_before = {f.rule for f in world.store.findings() if f.resource_id == PROD_EU and f.status.value != "resolved"}
    assert open_before
    world.responder.handle(
        parse_event(
            {
                "id": "stale-delete",
                "eventType": "Microsoft.Resources.ResourceDeleteSuccess",
                "eventTime": "2026-11-29T10:00:00Z",
                "subject": PROD_EU,
                "data": {"resourceUri": PROD_EU, "operationName": "Microsoft.CognitiveServices/accounts/delete", "status": "Succeeded"},
            }
        )
    )
    still = {f.rule for f in world.store.findings() if f.resource_id == PROD_EU and f.status.value != "resolved"}
    assert still == open_before


def test_a_role_widened_after_it_was_assigned_is_judged_again_on_its_event(world: World) -> None:
    """Assigned while it granted reads only; then widened to `*`: the assignment is judged again on the
    role's own event, on a fresh read of the role (not a cached one), not at the next access review."""
    import json

    from tests.azure.test_role_definitions import AT_SUBSCRIPTION, custom_role

    narrow = custom_role()
    narrow["properties"]["permissions"] = [{"actions": ["Microsoft.CognitiveServices/accounts/read"], "notActions": []}]
    world.sim.estate.put(narrow)
    assignment = f"{PROD_OAI}/providers/Microsoft.Authorization/roleAssignments/0f6b0c1e-0046-4a00-8000-000000000046"
    body = {"properties": {"roleDefinitionId": AT_SUBSCRIPTION, "principalId": DEV, "principalType": "User"}}
    hdr = {"Authorization": f"Bearer sim:{DEV}", "Host": "h"}
    assert world.sim.handle("PUT", assignment, "api-version=2022-04-01", hdr, json.dumps(body).encode()).status == 201
    assert not [o for o in world.deliver() if o[0] == "case_opened"]
    wide = custom_role()
    role_body = {"properties": {k: wide["properties"][k] for k in ("roleName", "type", "description", "assignableScopes", "permissions")}}
    assert world.sim.handle("PUT", AT_SUBSCRIPTION, "api-version=2022-04-01", hdr, json.dumps(role_body).encode()).status < 300
    [raw] = world.events
    assert raw["data"]["operationName"] == "Microsoft.Authorization/roleDefinitions/write"
    outcomes = world.deliver()
    assert ("case_opened", "authorization_roleassignment_privileged_not_standing") in [(o[0], o[1]) for o in outcomes]
    [case] = [c for c in world.store.cases() if c.rule == "authorization_roleassignment_privileged_not_standing"]
    assert case.resource_id.lower() == assignment.lower()
