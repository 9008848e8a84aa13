"""The benchmarks' simulator: a generated estate served over HTTPS by a child process, so that the peak
RSS a benchmark prints is its own.

    python -m bench.simserve --resources N [--subscriptions K] [--assignments A --principals P]

prints one JSON line (base URL, CA file, resource count, whether it throttles) and serves until killed.
The bench builds the `Simulator` itself so that it can ask for ARM's throttling (token buckets per
principal and subscription, Resource Graph's per-user quota): `throttling=True` is passed only when the
constructor takes it, so the benchmarks run the same before and after the simulator learns it.
"""

from __future__ import annotations

import argparse
import inspect
import json
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import requests

from simulator import Simulator, generate
from simulator.server import SimulatorServer

ROOT = Path(__file__).resolve().parents[1]


def simulator_options() -> dict[str, Any]:
    """Constructor options for a simulator that answers as Azure would, as far as this one can."""
    return {"throttling": True} if "throttling" in inspect.signature(Simulator).parameters else {}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.simserve")
    parser.add_argument("--resources", type=int, required=True)
    parser.add_argument("--subscriptions", type=int, default=10)
    parser.add_argument("--assignments", type=int, default=0, help="a generated tenant of N role assignments")
    parser.add_argument("--principals", type=int, default=1000)
    args = parser.parse_args(argv)
    options = simulator_options()
    sim = Simulator(generate.estate(args.resources, subscriptions=args.subscriptions), **options)
    if args.assignments:
        generate.tenant(sim, assignments=args.assignments, principals=args.principals)
    server = SimulatorServer(sim).start()
    info = {"base_url": server.base_url, "ca_file": server.ca_file, "resources": len(sim.estate), "throttling": bool(options)}
    print(json.dumps(info), flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


class SimulatorProcess:
    """`python -m bench.simserve` in a child process, with its request counters."""

    def __init__(self, resources: int, *, subscriptions: int = 10, assignments: int = 0, principals: int = 1000) -> None:
        command = [sys.executable, "-m", "bench.simserve", "--resources", str(resources), "--subscriptions", str(subscriptions)]
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


if __name__ == "__main__":
    sys.exit(main())
