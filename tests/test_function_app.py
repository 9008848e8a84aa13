"""The Functions entry point: the bindings the host indexes, and the Event Grid trigger called with
real `azure.functions` types against the simulator. The timer triggers are in tests/test_schedules.py."""

from __future__ import annotations

import importlib
import json
import logging
import sys
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import azure.functions as func
import pytest

from driftguard.nesting import MAX_DEPTH
from tests.deep import TOO_DEEP, nested_value

MODULES = ("function_app", "functions", "functions.events", "functions.schedules", "functions.approvals", "functions.runtime")
SUB = "11111111-1111-4111-8111-111111111111"


def fresh_app(monkeypatch: pytest.MonkeyPatch, **env: str) -> ModuleType:
    for key, value in {"DRIFTGUARD_SUBSCRIPTIONS": SUB, **env}.items():
        monkeypatch.setenv(key, value)
    for name in MODULES:
        sys.modules.pop(name, None)
    return importlib.import_module("function_app")


@pytest.fixture(autouse=True)
def _forget_modules() -> Any:
    yield
    for name in MODULES:
        sys.modules.pop(name, None)


def test_app_registers_the_trigger_and_timers(monkeypatch: pytest.MonkeyPatch) -> None:
    app = fresh_app(monkeypatch).app
    functions = {f.get_function_name(): f for f in app.get_functions()}
    assert set(functions) == {
        "on_resource_event",
        "posture_sweep",
        "deep_posture_sweep",
        "scheduled_access_review",
        "case_sla",
        "defender_alerts",
        "deliver_notifications",
        "scheduled_canary_probes",
        "list_cases",
        "get_case",
        "approve_case",
        "reject_case",
        "rollback_case",
        "console",
        "openapi",
    }
    approve = functions["approve_case"].get_bindings()[0]
    assert approve.type == "httpTrigger"
    assert approve.route == "cases/{id}/approve"
    assert functions["scheduled_access_review"].get_bindings()[0].schedule == "%DRIFTGUARD_REVIEW_SCHEDULE%"
    assert functions["scheduled_canary_probes"].get_bindings()[0].schedule == "%DRIFTGUARD_PROBE_SCHEDULE%"
    assert functions["on_resource_event"].get_bindings()[0].type == "eventGridTrigger"
    binding = functions["posture_sweep"].get_bindings()[0]
    assert binding.type == "timerTrigger"
    assert binding.schedule == "%DRIFTGUARD_SWEEP_SCHEDULE%"
    assert functions["defender_alerts"].get_bindings()[0].schedule == "%DRIFTGUARD_ALERTS_SCHEDULE%"


def test_bad_setting_stops_start_up(monkeypatch: pytest.MonkeyPatch) -> None:
    from driftguard.policy import ConfigError

    with pytest.raises(ConfigError, match="DRIFTGUARD_SWEEP_SCHEDULE"):
        fresh_app(monkeypatch, DRIFTGUARD_SWEEP_SCHEDULE="every 5 minutes")


def test_trigger_reverts_drift_from_a_simulator_event(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    fresh_app(monkeypatch)
    events_module = sys.modules["functions.events"]
    runtime = sys.modules["functions.runtime"]
    from tests.test_respond import PROD_OAI, World

    world = World(tmp_path)
    runtime.install(world.responder)
    function = next(f for f in sys.modules["function_app"].app.get_functions() if f.get_function_name() == "on_resource_event")
    handler = function.get_user_function()

    def deliver() -> None:
        while world.events:
            raw = world.events.pop(0)
            handler(
                func.EventGridEvent(
                    id=raw["id"],
                    data=raw["data"],
                    topic=raw["topic"],
                    subject=raw["subject"],
                    event_type=raw["eventType"],
                    event_time=datetime.fromisoformat(raw["eventTime"]),
                    data_version=raw["dataVersion"],
                )
            )
            world.settle()

    world.change("de7de7de-0000-4000-8000-000000000002", PROD_OAI, {"tags": {"owner": "x"}})
    deliver()
    world.change(
        "de7de7de-0000-4000-8000-000000000002",
        PROD_OAI,
        {"properties": {"publicNetworkAccess": "Enabled", "networkAcls": {"defaultAction": "Allow"}}},
    )
    with caplog.at_level(logging.INFO, logger="driftguard.events"):
        deliver()
    assert world.resource(PROD_OAI)["properties"]["publicNetworkAccess"] == "Disabled"
    assert any("reverted" in r.getMessage() for r in caplog.records)
    assert any(e.action == "reverted" for e in world.store.audit_log(resource_id=PROD_OAI))
    assert events_module is sys.modules["functions.events"]


def test_the_alert_timer_opens_incident_cases_once(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fresh_app(monkeypatch)
    runtime = sys.modules["functions.runtime"]
    from driftguard import compose
    from driftguard.policy import Policy
    from driftguard.store.base import CaseKind

    world = compose.SimulatedWorld(tmp_path, Policy())
    heard: list[str] = []
    runtime.install_incidents(lambda: world.incidents(Policy(), listeners=(lambda case, event: heard.append(event),)))
    function = next(f for f in sys.modules["function_app"].app.get_functions() if f.get_function_name() == "defender_alerts")
    function.get_user_function()(None)
    function.get_user_function()(None)  # the next run reads the same alerts again: no second case
    opened = [c for c in world.store.cases() if c.kind is CaseKind.INCIDENT]
    assert len(opened) == 2
    assert heard == ["opened", "opened"]


def test_hostile_event_is_acknowledged_with_its_reason(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    fresh_app(monkeypatch)
    handler = next(
        f for f in sys.modules["function_app"].app.get_functions() if f.get_function_name() == "on_resource_event"
    ).get_user_function()
    bad = func.EventGridEvent(
        id="evil-1",
        data={
            "resourceUri": f"/subscriptions/{SUB}/resourceGroups/../providers/Microsoft.Storage/storageAccounts/x",
            "status": "Succeeded",
        },
        topic="t",
        subject=f"/subscriptions/{SUB}/resourceGroups/../providers/Microsoft.Storage/storageAccounts/x",
        event_type="Microsoft.Resources.ResourceWriteSuccess",
        event_time=None,
        data_version="2",
    )
    with caplog.at_level(logging.WARNING, logger="driftguard.events"):
        handler(bad)  # returns: acknowledged, not redelivered
    assert any("evil-1" in r.getMessage() and "'..' segment" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("levels", TOO_DEEP)
def test_an_event_nested_too_deep_is_acknowledged_with_the_limit(
    levels: int, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    fresh_app(monkeypatch)
    handler = next(
        f for f in sys.modules["function_app"].app.get_functions() if f.get_function_name() == "on_resource_event"
    ).get_user_function()
    rid = f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/x"
    deep = func.EventGridEvent(
        id="deep-1",
        data={"resourceUri": rid, "status": "Succeeded", "claims": nested_value(levels - 2)},
        topic="t",
        subject=rid,
        event_type="Microsoft.Resources.ResourceWriteSuccess",
        event_time=None,
        data_version="2",
    )
    with caplog.at_level(logging.WARNING, logger="driftguard.events"):
        handler(deep)  # returns: acknowledged as poison, not redelivered
    [record] = [r for r in caplog.records if "deep-1" in r.getMessage()]
    assert f"nested deeper than {MAX_DEPTH} levels" in record.getMessage()


def test_the_app_refuses_a_policy_file_whose_exemption_covers_no_rule(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from driftguard.policy import ConfigError
    from functions import runtime

    path = tmp_path / "policy.json"
    exemption = {"resource": "*", "rules": ["nonexist_*"], "reason": "r", "approver": "a@contoso.com", "expires_on": "2099-12-31"}
    path.write_text(json.dumps({"exemptions": [exemption]}))
    monkeypatch.setattr(runtime, "SETTINGS", runtime.SETTINGS.model_copy(update={"policy_file": path}))
    with pytest.raises(ConfigError, match="'nonexist_\\*' matches no rule"):
        runtime.policy()
