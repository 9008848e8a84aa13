"""`make console` as a person runs it: the real `python -m functions.devhost` process, its settings from
the environment as the app reads them. It prints every write that reaches the simulated estate after
the story is seeded, which is how these tests see what an approval sent."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest

from tests.cases.conftest import ROOT

WRITE = "write to the simulated estate:"


@dataclass
class Console:
    process: subprocess.Popen[str]
    url: str

    def get(self, path: str) -> bytes:
        with urllib.request.urlopen(f"{self.url}/api/{path}", timeout=30) as answer:
            body: bytes = answer.read()
            return body

    def post(self, path: str, payload: dict[str, Any]) -> Any:
        request = urllib.request.Request(
            f"{self.url}/api/{path}",
            data=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json", "X-DriftGuard-Request": "1"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=60) as answer:
            return json.loads(answer.read())

    def stop(self) -> str:
        """Stops the process and returns what it printed after its first line."""
        self.process.terminate()
        out, _ = self.process.communicate(timeout=30)
        return out


def _env(**settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DRIFTGUARD_")}
    return {**env, "PYTHONPATH": str(ROOT), **settings}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def devhost(port: int, **settings: str) -> Iterator[Console]:
    command = [sys.executable, "-m", "functions.devhost", "--port", str(port), "--policy", str(ROOT / "examples" / "policy.json")]
    process = subprocess.Popen(command, cwd=ROOT, env=_env(**settings), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert "/api/console" in first, (first, process.stderr.read() if process.stderr else "")
        yield Console(process, f"http://127.0.0.1:{port}")
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=30)


def _approve_public_access(console: Console) -> dict[str, Any]:
    cases = json.loads(console.get("cases?status=open"))["cases"]
    case = next(
        c
        for c in cases
        if c["rule"] == "cognitiveservices_account_public_network_access_disabled" and c["resource_name"] == "oai-contoso-prod-eu"
    )
    digest = json.loads(console.get(f"cases/{case['id']}"))["plan_digest"]
    answer: dict[str, Any] = console.post(f"cases/{case['id']}/approve", {"reason": "CHG-7: tried in make console", "plan_digest": digest})
    return answer


def test_dry_run_is_shown_and_an_approval_in_make_console_writes_nothing() -> None:
    with devhost(_free_port(), DRIFTGUARD_DRY_RUN="true") as console:
        page = console.get("console").decode()
        assert 'id="dry-run"' in page
        assert "nothing is sent to Azure" in page
        answer = _approve_public_access(console)
        assert answer["message"].startswith("dry run: approval recorded, nothing sent to Azure"), answer["message"]
        assert answer["case"]["status"] == "approved"
        printed = console.stop()
    assert WRITE not in printed, printed


def test_without_dry_run_the_same_approval_writes_and_the_console_shows_no_banner() -> None:
    # The other side of the test above: its way of seeing writes does see them.
    with devhost(_free_port()) as console:
        assert 'id="dry-run"' not in console.get("console").decode()
        answer = _approve_public_access(console)
        assert answer["message"].startswith("applied and verified"), answer["message"]
        printed = console.stop()
    assert f"{WRITE} Microsoft.CognitiveServices/accounts/write" in printed, printed


def test_a_busy_port_is_one_line_naming_it_and_exit_2() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        command = [sys.executable, "-m", "functions.devhost", "--port", str(port), "--policy", str(ROOT / "examples" / "policy.json")]
        done = subprocess.run(command, cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 2, done
    assert done.stderr.strip().splitlines() == [done.stderr.strip()], done.stderr
    assert f"127.0.0.1:{port}" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("delay", [0.05, 0.3, 0.8, 1.5])
def test_ctrl_c_during_start_up_exits_130_quietly(delay: float) -> None:
    # `make console` as a person stops it: Ctrl-C while Python imports the app (0.05 s after the
    # interpreter is up: in the imports of the Functions SDK and the engine) or while the story is
    # seeded, not only once it serves.
    ready_r, ready_w = os.pipe()
    code = f"import os, runpy, sys; os.write({ready_w}, b'r'); runpy.run_module('functions.devhost', run_name='__main__', alter_sys=True)"
    command = [sys.executable, "-c", code, "--port", str(_free_port()), "--policy", str(ROOT / "examples" / "policy.json")]
    process = subprocess.Popen(
        command, cwd=ROOT, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, pass_fds=(ready_w,)
    )
    os.close(ready_w)
    assert os.read(ready_r, 1) == b"r"
    os.close(ready_r)
    time.sleep(delay)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert err == ""
    assert "Traceback" not in out
    assert process.returncode == 130


def test_ctrl_c_once_it_serves_exits_130_quietly() -> None:
    with devhost(_free_port()) as console:
        console.process.send_signal(signal.SIGINT)
        out, err = console.process.communicate(timeout=60)
    assert err == ""
    assert "Traceback" not in out
    assert console.process.returncode == 130
