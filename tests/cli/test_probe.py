"""`driftguard probe --simulated`: the example policy's opted-in deployments probed through the simulator's
data plane; a filter that lets a known attack through is a finding, and exits 1 only with `--fail-on`;
nothing opted in, nothing sent."""

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
    assert code == 0  # exit 1 only for --fail-on
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
    assert code == 0
    assert "passed" in out
    assert "relaxed-debug" in out


@pytest.mark.parametrize(("fail_on", "code"), [("high", 1), ("medium", 1), ("critical", 0)])
def test_fail_on_gates_on_the_finding_of_a_filter_that_let_an_attack_through(fail_on: str, code: int) -> None:
    assert run("probe", "--simulated", "--policy", str(ROOT / "examples" / "policy.json"), "--fail-on", fail_on)[0] == code


def test_an_exempted_probe_finding_is_shown_exempt_and_passes_the_gate(tmp_path: Path) -> None:
    policy = json.loads((ROOT / "examples" / "policy.json").read_text())
    _, out, _ = run("probe", "--simulated", "--policy", str(ROOT / "examples" / "policy.json"), "--format", "json")
    failing = {v["deployment_id"] for v in json.loads(out)["verdicts"] if v["outcome"] == "passed"}
    policy["exemptions"] = [
        {
            "resource": failing.pop(),
            "rules": ["cognitiveservices_deployment_canary_probe_blocked"],
            "reason": "red-team sandbox",
            "approver": "ciso@contoso.com",
            "expires_on": "2099-12-31",
        }
    ]
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(policy))
    code, out, _ = run("probe", "--simulated", "--policy", str(path), "--fail-on", "high")
    assert code == 0
    assert "exempt" in out
    assert "red-team sandbox" in out


def test_fail_on_with_nothing_probed_fails_the_gate() -> None:
    code, _, err = run("probe", "--simulated", "--fail-on", "high")
    assert code == 1
    assert "failing --fail-on high" in err


def test_nothing_opted_in_sends_nothing() -> None:  # and, without --fail-on, passes
    code, out, _ = run("probe", "--simulated")
    assert code == 0
    assert "probes are off" in out


def test_output_severity_and_rule_work_as_they_do_for_scan(tmp_path: Path) -> None:
    policy = str(ROOT / "examples" / "policy.json")
    target = tmp_path / "probes.json"
    code, out, err = run("probe", "--simulated", "--policy", policy, "--output", str(target), "--fail-on", "high")
    assert code == 1  # the filter that lets an attack through: a high finding
    assert out == ""
    assert f"wrote {target} (json)" in err
    payload = json.loads(target.read_text())
    assert payload["summary"]["shown"] >= 1
    assert payload["verdicts"]
    # Selected away, the finding no longer counts for the gate.
    assert run("probe", "--simulated", "--policy", policy, "--severity", "critical", "--fail-on", "high")[0] == 0
    assert run("probe", "--simulated", "--policy", policy, "--rule", "storage_*", "--fail-on", "high")[0] == 0
    assert run("probe", "--simulated", "--policy", policy, "--rule", "*canary*", "--fail-on", "high")[0] == 1
    code, _, err = run("probe", "--simulated", "--policy", policy, "--rule", "nonexist_*")
    assert code == 2
    assert "--rule 'nonexist_*' matches no rule" in err
    # A format probe does not write is refused before anything is sent; nothing is written.
    code, _, err = run("probe", "--simulated", "--policy", policy, "--output", str(tmp_path / "probes.csv"))
    assert code == 2
    assert "CSV is not a probe format" in err
    assert not (tmp_path / "probes.csv").exists()
