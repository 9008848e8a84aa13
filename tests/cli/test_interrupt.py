"""Ctrl-C exits 130 with nothing on stderr, during the imports too; azd's outputs stay tolerated as
infra/main.bicep grows."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest

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


def console_script() -> tuple[str, str]:
    target = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]["driftguard"]
    module, _, function = target.partition(":")
    return module, function


# What each way of starting the command runs, after telling the test (on the descriptor FD) that Python
# is up and the command's own code is about to be imported: the console script's function, and `python -m`.
module, function = console_script()
STARTS = {
    "console script": f"importlib.import_module({module!r}).{function}()",
    "python -m driftguard.cli": "runpy.run_module('driftguard.cli', run_name='__main__', alter_sys=True)",
    "python -m driftguard": "runpy.run_module('driftguard', run_name='__main__', alter_sys=True)",
}


@pytest.mark.parametrize("start", sorted(STARTS))
def test_ctrl_c_while_the_command_is_imported_exits_130_quietly(start: str, tmp_path: Path) -> None:
    ready_r, ready_w = os.pipe()
    code = f"import importlib, os, runpy; os.write({ready_w}, b'r'); {STARTS[start]}"
    # The snapshot comes on stdin and never ends: however fast the imports are (cached bytecode), the
    # interrupt lands before the command could finish, in the imports or in the command.
    proc = subprocess.Popen(
        [sys.executable, "-c", code, "scan", "--snapshot", "-"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=environment(tmp_path),
        pass_fds=(ready_w,),
    )
    os.close(ready_w)
    assert os.read(ready_r, 1) == b"r"
    os.close(ready_r)
    assert proc.stdin is not None
    proc.stdin.write(b"[")
    proc.stdin.flush()
    # The import of rich, pydantic, the Azure SDK and the rules takes up to half a second: this usually lands in it.
    time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert err.decode() == ""
    assert out == b""
    assert proc.returncode == 130


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
