"""`python -m bench scan --resources 10000` (live code path against the HTTPS simulator) and
`python -m bench scan --snapshot --resources 100000` (a generated snapshot file).

The simulator and the snapshot generator run in child processes, so that the peak RSS printed is the
scanner's own. The last line printed is one JSON object of figures.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

from driftguard import rules
from driftguard.azure.connection import ArmConnection, StaticTokenCredential
from driftguard.azure.inventory import LiveInventory
from driftguard.azure.resource_graph import Scope
from driftguard.cli import main as cli_main
from driftguard.pipeline import Evaluator
from driftguard.policy import Policy


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _subscriptions() -> tuple[str, ...]:
    from simulator.generate import subscription

    return tuple(subscription(i) for i in range(1, 11))


def bench_live(count: int, *, deep: bool) -> dict[str, Any]:
    child = subprocess.Popen([sys.executable, "-m", "simulator", "serve", "--resources", str(count)], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        info = json.loads(child.stdout.readline())
        base, ca = info["base_url"], info["ca_file"]
        connection = ArmConnection(base, StaticTokenCredential(), connection_verify=ca, polling_interval=0)
        inventory = LiveInventory(connection, Scope(subscriptions=_subscriptions()), rule_types=rules.rule_types(), deep=deep)
        started = time.perf_counter()
        findings, summary = Evaluator(Policy()).run(inventory)
        found = sum(1 for _ in findings)
        wall = time.perf_counter() - started
        inventory.close()
        stats = requests.get(f"{base}/_simulator/stats", verify=ca, timeout=10).json()
        return {
            "mode": "live-deep" if deep else "live",
            "resources": summary.resources,
            "findings": found,
            "wall_s": round(wall, 3),
            "graph_calls": stats["graph_calls"],
            "arm_calls": stats["arm_calls"],
            "peak_rss_mb": peak_rss_mb(),
        }
    finally:
        child.terminate()
        child.wait(timeout=10)


def bench_snapshot(count: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="driftguard-bench-") as tmp:
        path = Path(tmp) / "estate.json"
        subprocess.run([sys.executable, "-m", "simulator", "generate", "--resources", str(count), "--output", str(path)], check=True)
        size_mb = round(path.stat().st_size / 1e6, 1)
        started = time.perf_counter()
        code = cli_main(["scan", "--snapshot", str(path), "--format", "json", "--output", os.devnull])
        wall = time.perf_counter() - started
    if code != 0:
        raise SystemExit(f"scan exited {code}")
    return {
        "mode": "snapshot",
        "resources": count,
        "file_mb": size_mb,
        "wall_s": round(wall, 3),
        "graph_calls": 0,
        "arm_calls": 0,
        "peak_rss_mb": peak_rss_mb(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    sub = parser.add_subparsers(dest="command", required=True)
    scan = sub.add_parser("scan")
    scan.add_argument("--resources", type=int, default=10000)
    scan.add_argument("--snapshot", action="store_true", help="scan a generated snapshot file instead of the HTTPS simulator")
    scan.add_argument("--deep", action="store_true", help="also read diagnostic and Defender for AI settings (one ARM call each)")
    args = parser.parse_args(argv)
    figures = bench_snapshot(args.resources) if args.snapshot else bench_live(args.resources, deep=args.deep)
    print(json.dumps(figures), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
