"""Azure Resource Notifications carry part of a resource (no identity, sku, kind or etag; properties in
the shape of an api-version that may be older than ours; booleans as 1/0). The responder takes the
event as a pointer: it reads the account and judges what it read, so an account that has a managed
identity is left alone, however the notification looks."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from driftguard.events import parse_event
from driftguard.respond import Outcome
from tests.conftest import corpus_json
from tests.test_respond import PROD_OAI, World

FIXTURE = Path(__file__).parent / "fixtures" / "events" / "resource_notification_ai_account.json"
IDENTITY_RULE = "cognitiveservices_account_managed_identity_enabled"


def notification(source: str) -> dict[str, Any]:
    """The project's fixture, or one of Microsoft's samples with its resourceInfo pointed at the account."""
    ours: dict[str, Any] = json.loads(FIXTURE.read_text())
    if source == "fixture":
        return ours
    raw: dict[str, Any] = copy.deepcopy(corpus_json("events", "resource-notifications", source))
    info = raw["data"]["resourceInfo"]
    assert set(info) == {"id", "name", "type", "location", "tags", "properties"}  # the shape ours copies
    raw["data"]["resourceInfo"] = {**info, **{k: ours["data"]["resourceInfo"][k] for k in ("id", "name", "type", "properties")}}
    raw["subject"] = ours["subject"]
    raw["topic" if "topic" in raw else "source"] = ours["topic"]
    return raw


@pytest.fixture
def world(tmp_path: Path) -> World:
    return World(tmp_path)


@pytest.mark.parametrize("source", ["fixture", "eventgrid_Resources_CreatedOrUpdated.json", "cloudevents_Resources_CreatedOrUpdated.json"])
def test_a_notification_for_an_account_with_an_identity_changes_nothing(world: World, source: str) -> None:
    raw = notification(source)
    info = raw["data"]["resourceInfo"]
    assert "identity" not in info
    assert info["properties"]["disableLocalAuth"] == 1  # a boolean as the samples send it
    assert world.resource(PROD_OAI)["identity"]["type"] == "SystemAssigned"
    world.sim.reset_log()
    results = world.responder.handle(parse_event(raw))
    assert [(r.method, r.path) for r in world.sim.requests if r.method != "GET"] == []
    assert ("GET", PROD_OAI) in [(r.method, r.path) for r in world.sim.requests]  # judged on what was read
    assert [r.outcome for r in results if r.rule == IDENTITY_RULE] == [Outcome.COMPLIANT]
    assert not [c for c in world.store.cases() if c.rule == IDENTITY_RULE]
