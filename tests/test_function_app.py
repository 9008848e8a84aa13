"""The Functions entry point indexes the bindings the host will see."""

import importlib
import sys

import pytest


def test_app_registers_timer_functions(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRIFTGUARD_SUBSCRIPTIONS", "11111111-1111-4111-8111-111111111111")
    for name in ("function_app", "functions.schedules"):
        sys.modules.pop(name, None)
    app = importlib.import_module("function_app").app
    functions = {f.get_function_name(): f for f in app.get_functions()}
    assert set(functions) == {"posture_sweep", "deep_posture_sweep"}
    binding = functions["posture_sweep"].get_bindings()[0]
    assert binding.type == "timerTrigger"
    assert binding.schedule == "%DRIFTGUARD_SWEEP_SCHEDULE%"


def test_bad_setting_stops_start_up(monkeypatch: pytest.MonkeyPatch) -> None:
    from driftguard.policy import ConfigError

    monkeypatch.setenv("DRIFTGUARD_SWEEP_SCHEDULE", "every 5 minutes")
    for name in ("function_app", "functions.schedules"):
        sys.modules.pop(name, None)
    with pytest.raises(ConfigError, match="DRIFTGUARD_SWEEP_SCHEDULE"):
        importlib.import_module("function_app")
    sys.modules.pop("functions.schedules", None)
