"""Ctrl-C exits 130 with nothing on stderr; azd's outputs stay tolerated as infra/main.bicep grows."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from driftguard.policy import DEPLOYMENT_OUTPUTS, SETTING_NAMES
from tests.cli.terminal import ROOT, environment


def test_ctrl_c_exits_130_quietly(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "driftguard.cli", "scan", "--snapshot", "-"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=environment(tmp_path),
    )
    assert proc.stdin is not None
    proc.stdin.write(b"[")  # the scan waits for the rest of the snapshot
    proc.stdin.flush()
    time.sleep(4)  # past the imports: the interrupt lands in the command
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert err == b""


def test_every_driftguard_output_of_the_deployment_is_a_setting_or_tolerated() -> None:
    outputs = set(re.findall(r"^output (DRIFTGUARD_\w+) ", (ROOT / "infra" / "main.bicep").read_text(), re.MULTILINE))
    assert outputs
    assert outputs <= set(SETTING_NAMES) | DEPLOYMENT_OUTPUTS
    # What the hooks and the parameters file keep in the azd environment, too.
    recorded: set[str] = set()
    for path in [*(ROOT / "infra" / "hooks").glob("*.sh"), ROOT / "infra" / "main.parameters.json", ROOT / "azure.yaml"]:
        recorded |= set(re.findall(r"DRIFTGUARD_[A-Z_]*[A-Z]", path.read_text()))
    assert recorded
    assert recorded <= set(SETTING_NAMES) | DEPLOYMENT_OUTPUTS
