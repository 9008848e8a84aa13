"""`driftguard probe --simulated`: the example policy's opted-in deployments probed through the simulator's
data plane; a filter that lets a known attack through exits 1; nothing opted in, nothing sent."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from driftguard.canary import PROBES
from driftguard.cli import main

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(args), stdin=io.StringIO(""), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for key in list(os.environ):
        if key.startswith("DRIFTGUARD_"):
            monkeypatch.delenv(key)


def test_the_example_policy_probes_two_deployments_and_one_fails() -> None:
    code, out, _ = run("probe", "--simulated", "--policy", str(ROOT / "examples" / "policy.json"), "--format", "json")
    assert code == 1
    payload = json.loads(out)
    outcomes = {(v["deployment_id"].rsplit("/", 1)[-1], v["probe"]): v["outcome"] for v in payload["verdicts"]}
    assert {d for d, _ in outcomes} == {"gpt-4o", "gpt-4o-mini"}
    assert outcomes[("gpt-4o", "jb-dan")] == "blocked"
    assert outcomes[("gpt-4o-mini", "jb-dan")] == "passed"
    assert payload["summary"]["findings"] == 1
    for probe in PROBES:
        assert probe.prompt[:30] not in out


def test_the_table_names_the_failing_deployment() -> None:
    code, out, _ = run("probe", "--simulated", "--policy", str(ROOT / "examples" / "policy.json"))
    assert code == 1
    assert "passed" in out
    assert "relaxed-debug" in out


def test_nothing_opted_in_sends_nothing() -> None:
    code, out, _ = run("probe", "--simulated")
    assert code == 0
    assert "probes are off" in out
