"""`python -m bench scan --resources 10000 [--deep]` (live code path against the HTTPS simulator),
`python -m bench scan --snapshot --resources 100000` (a generated snapshot file), `events`, `review` and
`peers` (side by side with Cloud Custodian).

The simulator and the snapshot generator run in child processes, so that the peak RSS printed is the
benchmark's own. The last line printed is one JSON object of figures; each has `io_floor_s`, the same
requests fetched and decoded with nothing judged (`bench/floor.py`).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests
from azure.core.pipeline.transport import RequestsTransport

from bench import peak_rss_mb
from bench.floor import FLOOR_TOKEN, Recorder, drain, replay
from bench.simserve import SimulatorProcess
from driftguard import rules
from driftguard.azure.connection import ArmConnection, StaticTokenCredential
from driftguard.azure.inventory import LiveInventory
from driftguard.azure.resource_graph import Scope
from driftguard.cli import main as cli_main
from driftguard.pipeline import Evaluator
from driftguard.policy import Policy
from driftguard.snapshot import iter_resources


def _subscriptions() -> tuple[str, ...]:
    from simulator.generate import subscription

    return tuple(subscription(i) for i in range(1, 11))


def bench_live(count: int, *, deep: bool) -> dict[str, Any]:
    scope = Scope(subscriptions=_subscriptions())
    with SimulatorProcess(count) as sim:
        connection = ArmConnection(sim.base, StaticTokenCredential(), connection_verify=sim.ca, polling_interval=0)
        inventory = LiveInventory(connection, scope, rule_types=rules.rule_types(), deep=deep)
        started = time.perf_counter()
        findings, summary = Evaluator(Policy()).run(inventory)
        found = sum(1 for _ in findings)
        wall = time.perf_counter() - started
        inventory.close()
        calls = sim.calls()
        # The floor: the same inventory read again, as another principal (its own ARM budget), nothing judged.
        sim.reset()
        floor_connection = ArmConnection(sim.base, StaticTokenCredential(FLOOR_TOKEN), connection_verify=sim.ca, polling_interval=0)
        floor_inventory = LiveInventory(floor_connection, scope, rule_types=rules.rule_types(), deep=deep)
        io_floor = drain(floor_inventory, [meta for meta, _ in rules.registry().values()])
        floor_inventory.close()
        floor_calls = sim.calls()
    return {
        "mode": "live-deep" if deep else "live",
        "resources": summary.resources,
        "findings": found,
        "wall_s": round(wall, 3),
        "io_floor_s": round(io_floor, 3),
        "io_floor_same_calls": floor_calls == calls,
        "graph_calls": calls["graph_calls"],
        "arm_calls": calls["arm_calls"],
        "throttling": sim.throttling,
        "peak_rss_mb": peak_rss_mb(),
    }


def bench_snapshot(count: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="driftguard-bench-") as tmp:
        path = Path(tmp) / "estate.json"
        subprocess.run([sys.executable, "-m", "simulator", "generate", "--resources", str(count), "--output", str(path)], check=True)
        size_mb = round(path.stat().st_size / 1e6, 1)
        started = time.perf_counter()
        code = cli_main(["scan", "--snapshot", str(path), "--format", "json", "--output", os.devnull])
        wall = time.perf_counter() - started
        # The floor: the same file read and decoded by the same streaming parser, nothing judged.
        started = time.perf_counter()
        with path.open(encoding="utf-8") as stream:
            for _ in iter_resources(stream, name=str(path)):
                pass
        io_floor = time.perf_counter() - started
    if code != 0:
        raise SystemExit(f"scan exited {code}")
    return {
        "mode": "snapshot",
        "resources": count,
        "file_mb": size_mb,
        "wall_s": round(wall, 3),
        "io_floor_s": round(io_floor, 3),
        "graph_calls": 0,
        "arm_calls": 0,
        "peak_rss_mb": peak_rss_mb(),
    }


def bench_events(count: int, resources: int, *, seed: int = 11) -> dict[str, Any]:
    """An Event Grid batch of `count` events over an estate of `resources`: real drift and harmless
    changes by developers, delivered at least once (duplicates share their event id) and out of order,
    handled by the in-process responder as the trigger would."""
    import random
    import statistics

    import remediations
    from driftguard.azure import api_versions
    from driftguard.azure.connection import RawArm
    from driftguard.azure.writes import ArmWriter
    from driftguard.events import parse_event
    from driftguard.respond import Responder
    from driftguard.store.sqlite import SqliteStore
    from simulator import Simulator, generate
    from simulator.transport import BASE_URL, in_process_session

    rng = random.Random(seed)
    sim = Simulator(generate.estate(resources), throttling=True)
    subs = _subscriptions()
    with tempfile.TemporaryDirectory(prefix="driftguard-bench-") as tmp:
        session = in_process_session(sim)
        recorder = Recorder(session)
        connection = ArmConnection(
            BASE_URL, StaticTokenCredential("sim:d9d9d9d9-0000-4000-8000-000000000001"), session=session, polling_interval=0
        )
        writer = ArmWriter(RawArm(connection), BASE_URL, poll_interval_s=0)
        responder = Responder(
            policy=Policy(),
            store=SqliteStore(Path(tmp) / "state.db"),
            reader=writer.read,
            writer=writer,
            remediations=remediations.registry(),
            subscriptions=subs,
            identity_ids=("d9d9d9d9-0000-4000-8000-000000000001",),
        )
        inventory = LiveInventory(connection, Scope(subscriptions=subs), rule_types=rules.rule_types(), deep=False)
        responder.sweep(inventory.resources())  # baselines first, as the timer would have
        inventory.close()

        produced: list[dict[str, Any]] = []
        sim.writes.subscribe(produced.append)
        developer = RawArm(
            ArmConnection(
                BASE_URL,
                StaticTokenCredential("sim:de7de7de-0000-4000-8000-000000000002"),
                session=in_process_session(sim),
                polling_interval=0,
            )
        )
        targets = [
            r for r in sim.estate.raw_items() if r["type"] in ("Microsoft.CognitiveServices/accounts", "Microsoft.Storage/storageAccounts")
        ]
        drifted = rng.sample(targets, min(150, len(targets)))
        for r in drifted:
            body = {"properties": {"publicNetworkAccess": "Enabled", "networkAcls": {"defaultAction": "Allow"}}}
            developer.send("PATCH", r["id"], api_version=api_versions.for_type(r["type"]), body=body)
        for r in rng.sample(targets, min(150, len(targets))):
            developer.send("PATCH", r["id"], api_version=api_versions.for_type(r["type"]), body={"tags": {"touched": str(rng.random())}})
        sim.writes.settle()
        distinct = list(produced)
        batch = [rng.choice(distinct) for _ in range(count - len(distinct))] + distinct  # at least once, duplicates keep their id
        rng.shuffle(batch)
        produced.clear()
        sim.writes.sinks.clear()  # DriftGuard's own fixes are not part of the measured batch
        sim.reset_log()
        responder.counts.clear()  # count only the measured batch, not the baseline sweep

        latencies: list[float] = []
        recorder.on = True
        started = time.perf_counter()
        for raw in batch:
            t0 = time.perf_counter()
            responder.handle(parse_event(raw))
            latencies.append((time.perf_counter() - t0) * 1000)
            sim.writes.settle()
        wall = time.perf_counter() - started
        recorder.on = False
    reads = sum(
        1
        for r in sim.requests
        if r.method == "GET" and "/operationresults/" not in r.path.lower() and "/operationstatuses/" not in r.path.lower()
    )
    writes = sum(1 for r in sim.requests if r.method in ("PUT", "PATCH", "POST", "DELETE"))

    def settle() -> None:  # as the run did: ARM finishes an operation by itself
        sim.writes.settle()

    # The floor: the responder's requests sent again (its reads, fixes and polls), nothing judged or stored.
    io_floor = replay(recorder.sent, session, after_each=settle)
    latencies.sort()
    return {
        "events": len(batch),
        "distinct_events": len(distinct),
        "real_drifts": len(drifted),
        "wall_s": round(wall, 3),
        "io_floor_s": round(io_floor, 3),
        "arm_reads": reads,
        "arm_writes": writes,
        "p50_ms": round(statistics.median(latencies), 2),
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1], 2),
        "outcomes": dict(responder.counts),
        "throttling": sim.throttle is not None,
        "peak_rss_mb": peak_rss_mb(),
    }


def bench_review(assignments: int, principals: int) -> dict[str, Any]:
    """The access review over HTTPS: Resource Graph pages, role definitions, PIM instances, Graph and
    Log Analytics, against a generated tenant with 90 days of activity served by a child process."""
    from driftguard import creep
    from driftguard.azure.activity import ActivityReader
    from driftguard.azure.connection import RawArm
    from driftguard.azure.directory import Directory
    from driftguard.azure.inventory import inventory_query
    from driftguard.azure.resource_graph import ResourceGraph
    from driftguard.azure.writes import ArmWriter
    from driftguard.policy import AccessPolicy
    from driftguard.report import review_html
    from driftguard.review import collect, to_csv
    from driftguard.store.sqlite import SqliteStore

    with SimulatorProcess(2000, assignments=assignments, principals=principals) as sim:
        base, ca = sim.base, sim.ca
        credential = StaticTokenCredential()
        session = requests.Session()
        recorder = Recorder(session)

        def transport() -> RequestsTransport:
            return RequestsTransport(session=session, session_owner=False, connection_verify=ca)

        connection = ArmConnection(base, credential, session=session, connection_verify=ca, polling_interval=0)
        raw = RawArm(connection)
        graph = ResourceGraph(raw)
        groups: dict[str, tuple[str, ...]] = {
            name: (f"9{g:07x}-0000-4000-8000-00000000feed",)
            for g, name in enumerate(("data_scientist", "ai_developer", "it_administrator", "workload_identity"))
        }
        policy = Policy(access=AccessPolicy(groups=groups))
        scope = Scope(subscriptions=_subscriptions())
        recorder.on = True
        started = time.perf_counter()
        ai_ids = [str(r["id"]) for r in graph.query(inventory_query(rules.rule_types()), scope)]
        review = collect(
            graph=graph,
            arm=ArmWriter(raw, base),
            directory=Directory(credential, endpoint=base, transport=transport()),
            activity=ActivityReader(credential, workspace_id="00000000-0000-4000-8000-000000000001", endpoint=base, transport=transport()),
            scope=scope,
            policy=policy,
            now=datetime.now(UTC),
            ai_resource_ids=ai_ids,
        )
        wall = time.perf_counter() - started
        recorder.on = False
        stats = sim.calls()
        # The floor: the review's requests sent again (Resource Graph pages, ARM, Graph, Log Analytics), nothing judged.
        io_floor = replay(recorder.sent, session, connection_verify=ca)
        # The reports an auditor gets: the snapshot kept for the creep diff (twice: the second run
        # diffs against the first), the HTML page with its chart, the CSV.
        started = time.perf_counter()
        with tempfile.TemporaryDirectory() as tmp:
            store = SqliteStore(Path(tmp) / "state.db")
            now = datetime.now(UTC)
            creep.record(review, store, now - timedelta(days=7))
            history, change = creep.record(review, store, now)
            page = review_html.render(
                review,
                history=history,
                change=change,
                generated=now,
            )
            sheet = to_csv(review)
        report = time.perf_counter() - started
    return {
        "assignments": len(review.rows),
        "report_s": round(report, 3),
        "html_kb": len(page) // 1024,
        "csv_kb": len(sheet) // 1024,
        "findings": len(review.findings),
        "activity_ok": review.activity_ok,
        "wall_s": round(wall, 3),
        "io_floor_s": round(io_floor, 3),
        "graph_calls": stats["graph_calls"],
        "arm_calls": stats["arm_calls"],
        "directory_calls": stats["directory_calls"],
        "logs_calls": stats["logs_calls"],
        "throttling": sim.throttling,
        "peak_rss_mb": peak_rss_mb(),
    }


def main(argv: list[str] | None = None) -> int:
    args_in = sys.argv[1:] if argv is None else argv
    if args_in[:1] == ["_driftguard"]:  # the DriftGuard side of `peers`, in a child process
        from bench.peers import driftguard_child

        return driftguard_child(args_in[1:])
    parser = argparse.ArgumentParser(prog="python -m bench")
    sub = parser.add_subparsers(dest="command", required=True)
    scan = sub.add_parser("scan")
    scan.add_argument("--resources", type=int, default=10000)
    scan.add_argument("--snapshot", action="store_true", help="scan a generated snapshot file instead of the HTTPS simulator")
    scan.add_argument("--deep", action="store_true", help="also read diagnostic and Defender for AI settings (one ARM call each)")
    events = sub.add_parser("events")
    events.add_argument("--events", type=int, default=5000)
    events.add_argument("--resources", type=int, default=500)
    review = sub.add_parser("review")
    review.add_argument("--assignments", type=int, default=50000)
    review.add_argument("--principals", type=int, default=2000)
    peers = sub.add_parser("peers", help="DriftGuard and Cloud Custodian on the same simulated estate")
    peers.add_argument("--resources", type=int, default=1000)
    args = parser.parse_args(args_in)
    if args.command == "peers":
        from bench.peers import bench_peers

        figures = bench_peers(args.resources)
    elif args.command == "review":
        figures = bench_review(args.assignments, args.principals)
    elif args.command == "events":
        figures = bench_events(args.events, args.resources)
    else:
        figures = bench_snapshot(args.resources) if args.snapshot else bench_live(args.resources, deep=args.deep)
    print(json.dumps(figures), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
