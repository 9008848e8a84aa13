"""The benchmarks' simulator: a generated estate served over HTTPS by a child process
(`python -m simulator serve`), so that the peak RSS a benchmark prints is its own. It throttles as
Azure does (ARM's token buckets per principal and subscription, Resource Graph's per-user quota).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]


class SimulatorProcess:
    """`python -m simulator serve` in a child process, with its request counters."""

    def __init__(self, resources: int, *, subscriptions: int = 10, assignments: int = 0, principals: int = 1000) -> None:
        command = [sys.executable, "-m", "simulator", "serve", "--resources", str(resources), "--subscriptions", str(subscriptions)]
        if assignments:
            command += ["--assignments", str(assignments), "--principals", str(principals)]
        self.child = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=ROOT)
        assert self.child.stdout is not None
        info = json.loads(self.child.stdout.readline())
        self.base: str = info["base_url"]
        self.ca: str = info["ca_file"]
        self.resources: int = info["resources"]
        self.throttling: bool = info["throttling"]

    def reset(self) -> None:
        requests.get(f"{self.base}/_simulator/reset", verify=self.ca, timeout=10)

    def calls(self) -> dict[str, int]:
        stats: dict[str, int] = requests.get(f"{self.base}/_simulator/stats", verify=self.ca, timeout=10).json()
        return stats

    def stop(self) -> None:
        self.child.terminate()
        self.child.wait(timeout=10)

    def __enter__(self) -> SimulatorProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
