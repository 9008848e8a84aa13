"""The `probes` section as `driftguard policy validate` and start-up read it: typos and bad budgets are
refused with a message that names them; the example policy is valid."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from driftguard.cli import main
from driftguard.policy import ConfigError, ProbeKind, load_policy, load_settings

ROOT = Path(__file__).resolve().parents[2]


def validate(tmp_path: Path, section: object) -> tuple[int, str]:
    path = tmp_path / "policy.json"
    path.write_text(json.dumps({"probes": section}))
    out, err = io.StringIO(), io.StringIO()
    code = main(["policy", "validate", str(path)], stdout=out, stderr=err)
    return code, out.getvalue() + err.getvalue()


def test_the_example_policy_opts_in_two_deployments() -> None:
    probes = load_policy(ROOT / "examples" / "policy.json").probes
    assert len(probes.deployments) == 2
    assert probes.kinds == (ProbeKind.JAILBREAK, ProbeKind.INDIRECT_ATTACK)


def test_defaults_probe_nothing() -> None:
    probes = load_policy(None).probes
    assert probes.deployments == ()
    assert not probes.opted_in("/subscriptions/s/resourceGroups/g/providers/Microsoft.CognitiveServices/accounts/a/deployments/d")


@pytest.mark.parametrize(
    ("section", "named"),
    [
        ({"kinds": ["jailbreak", "prompt_leak"]}, "probes.kinds"),
        ({"max_probes_per_day": -1}, "probes.max_probes_per_day"),
        ({"max_tokens_per_day": "lots"}, "probes.max_tokens_per_day"),
        ({"deployment": ["*"]}, "probes.deployment"),
    ],
)
def test_a_bad_probes_section_is_refused_with_its_name(tmp_path: Path, section: object, named: str) -> None:
    code, text = validate(tmp_path, section)
    assert code == 2
    assert named in text


def test_a_valid_probes_section_passes(tmp_path: Path) -> None:
    code, text = validate(
        tmp_path, {"deployments": ["*/deployments/gpt-4o"], "kinds": ["jailbreak"], "max_probes_per_deployment_per_day": 1}
    )
    assert code == 0, text


def test_the_probe_schedule_is_validated_at_start_up() -> None:
    assert load_settings({"DRIFTGUARD_PROBE_SCHEDULE": "0 0 5 * * *"}).probe_schedule == "0 0 5 * * *"
    with pytest.raises(ConfigError, match="DRIFTGUARD_PROBE_SCHEDULE"):
        load_settings({"DRIFTGUARD_PROBE_SCHEDULE": "daily"})
