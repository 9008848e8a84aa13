"""Running the real `driftguard` command as a person or a CI job would: a subprocess of this worktree's
code, 80 columns wide, with no Azure login and none of the tester's DRIFTGUARD_* or AZURE_* settings."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WIDTH = 80


def environment(home: Path, **extra: str) -> dict[str, str]:
    """A clean environment: no credential of any kind (no az, azd or PowerShell on PATH, an empty
    Azure CLI profile), so DefaultAzureCredential finds nothing, and COLUMNS=80."""
    env = {
        "PATH": os.pathsep.join(p for p in ("/usr/bin", "/bin") if Path(p).is_dir()),
        "HOME": str(home),
        "AZURE_CONFIG_DIR": str(home / ".azure"),
        "COLUMNS": str(WIDTH),
        "PYTHONPATH": str(ROOT),
        "LANG": "C.UTF-8",
    }
    env.update(extra)
    return env


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str


def driftguard(*args: str, home: Path, stdin: bytes = b"", env: dict[str, str] | None = None, timeout: float = 120) -> Run:
    done = subprocess.run(
        [sys.executable, "-m", "driftguard.cli", *args],
        input=stdin,
        capture_output=True,
        env=env or environment(home),
        cwd=home,
        timeout=timeout,
        check=False,
    )
    return Run(done.returncode, done.stdout.decode(), done.stderr.decode())


def widest(text: str) -> int:
    return max((len(line) for line in text.splitlines()), default=0)
