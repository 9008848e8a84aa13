"""`python -m bench peers --resources N`: DriftGuard and Cloud Custodian side by side, same run, same
estate (the HTTPS simulator, one subscription), same question: which Cognitive Services accounts are
open to the internet (public network access not Disabled and the network ACL not Deny)?

Cloud Custodian (c7n, c7n-azure) is installed into a virtualenv of its own under .tools/peers, for the
benchmark only. Each tool runs in a child process (wall time from start to exit, peak RSS its own);
ARM calls are counted by the simulator. Then the cost of one change event in each tool's event mode:
Custodian's azure-event-grid handler and DriftGuard's responder (dry run: reads only), over the same
events. Ratios are DriftGuard ÷ Custodian: below 1, DriftGuard does better.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

from bench import peak_rss_mb

ROOT = Path(__file__).resolve().parents[1]
PEERS = ROOT / ".tools" / "peers"
PEERS_PYTHON = PEERS / "bin" / "python"
C7N = ("c7n==0.9.53", "c7n-azure==0.7.52")
RULE = "cognitiveservices_account_public_network_access_disabled"
EVENTS = 100

PULL_POLICY = """policies:
  - name: ai-accounts-open-to-the-internet
    resource: azure.cognitiveservice
    filters:
      - {type: value, key: properties.publicNetworkAccess, op: ne, value: disabled, value_type: normalize}
      - {type: value, key: properties.networkAcls.defaultAction, op: ne, value: deny, value_type: normalize}
"""
EVENT_POLICY = """policies:
  - name: ai-accounts-open-to-the-internet-event
    resource: azure.cognitiveservice
    mode:
      type: azure-event-grid
      events:
        - {resourceProvider: Microsoft.CognitiveServices/accounts, event: write}
    filters:
      - {type: value, key: properties.publicNetworkAccess, op: ne, value: disabled, value_type: normalize}
      - {type: value, key: properties.networkAcls.defaultAction, op: ne, value: deny, value_type: normalize}
"""


def ensure_peers() -> None:
    """Cloud Custodian in its own virtualenv: never a runtime or test dependency of DriftGuard."""
    if PEERS_PYTHON.exists():
        return
    print(f"installing {' '.join(C7N)} into {PEERS} (once)", file=sys.stderr, flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(PEERS)], check=True)
    subprocess.run([str(PEERS_PYTHON), "-m", "pip", "install", "--quiet", *C7N], check=True)


def _run(cmd: list[str], env: dict[str, str]) -> tuple[dict[str, Any], float]:
    started = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:3])} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result, wall


class Simulator:
    def __init__(self, count: int) -> None:
        self.child = subprocess.Popen(
            [sys.executable, "-m", "simulator", "serve", "--resources", str(count), "--subscriptions", "1"],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.child.stdout is not None
        info = json.loads(self.child.stdout.readline())
        self.base, self.ca, self.resources = info["base_url"], info["ca_file"], info["resources"]

    def reset(self) -> None:
        requests.get(f"{self.base}/_simulator/reset", verify=self.ca, timeout=10)

    def calls(self) -> dict[str, int]:
        stats: dict[str, int] = requests.get(f"{self.base}/_simulator/stats", verify=self.ca, timeout=10).json()
        return stats

    def stop(self) -> None:
        self.child.terminate()
        self.child.wait(timeout=10)


def _ratio(ours: float, theirs: float) -> float | None:
    return round(ours / theirs, 3) if theirs else None


def bench_peers(count: int) -> dict[str, Any]:
    from simulator.generate import subscription

    ensure_peers()
    sub = subscription(1)
    sim = Simulator(count)
    try:
        with tempfile.TemporaryDirectory(prefix="driftguard-peers-") as tmp:
            work = Path(tmp)
            (work / "pull.yml").write_text(PULL_POLICY)
            (work / "event.yml").write_text(EVENT_POLICY)
            peer_env = {
                **os.environ,
                "PEER_ARM_ENDPOINT": f"{sim.base}/",
                "REQUESTS_CA_BUNDLE": sim.ca,
                "AZURE_ACCESS_TOKEN": "sim:custodian",
                "AZURE_SUBSCRIPTION_ID": sub,
            }
            launcher = str(ROOT / "bench" / "peers_launcher.py")
            ours_env = {**os.environ, "PYTHONPATH": str(ROOT)}
            ours_cmd = [sys.executable, "-m", "bench", "_driftguard"]
            figures: dict[str, Any] = {"resources": sim.resources}

            sim.reset()
            theirs, theirs_wall = _run([str(PEERS_PYTHON), launcher, "pull", str(work / "pull.yml"), str(work / "out")], peer_env)
            theirs_calls = sim.calls()
            sim.reset()
            ours, ours_wall = _run([*ours_cmd, "scan", sim.base, sim.ca, sub], ours_env)
            ours_calls = sim.calls()
            same = sorted(x.lower() for x in ours["matched"]) == sorted(x.lower() for x in theirs["matched"])
            if not same:
                only_ours = set(map(str.lower, ours["matched"])) - set(map(str.lower, theirs["matched"]))
                only_theirs = set(map(str.lower, theirs["matched"])) - set(map(str.lower, ours["matched"]))
                raise SystemExit(f"the tools disagree: only DriftGuard {sorted(only_ours)[:5]}, only Custodian {sorted(only_theirs)[:5]}")

            # One change event, each tool's event mode: the same write events on the same accounts.
            targets = ours["accounts"][:EVENTS]
            events = [
                {
                    "id": f"peer-event-{i}",
                    "subject": rid,
                    "eventType": "Microsoft.Resources.ResourceWriteSuccess",
                    "eventTime": "2026-11-29T10:00:00Z",
                    "dataVersion": "2",
                    "topic": f"/subscriptions/{sub}",
                    "data": {
                        "resourceUri": rid,
                        "operationName": "Microsoft.CognitiveServices/accounts/write",
                        "status": "Succeeded",
                        "subscriptionId": sub,
                        "claims": {"http://schemas.microsoft.com/identity/claims/objectidentifier": "de7de7de-0000-4000-8000-000000000002"},
                    },
                }
                for i, rid in enumerate(targets)
            ]
            (work / "events.json").write_text(json.dumps(events))
            sim.reset()
            theirs_events, theirs_events_wall = _run(
                [str(PEERS_PYTHON), launcher, "event", str(work / "event.yml"), str(work / "events.json")], peer_env
            )
            theirs_event_calls = sim.calls()
            sim.reset()
            ours_events, ours_events_wall = _run([*ours_cmd, "events", sim.base, sim.ca, sub, str(work / "events.json")], ours_env)
            ours_event_calls = sim.calls()
    finally:
        sim.stop()

    ours_arm = ours_calls["arm_calls"] + ours_calls["graph_calls"]  # Resource Graph queries are ARM requests too
    theirs_arm = theirs_calls["arm_calls"] + theirs_calls["graph_calls"]
    per_event_ours = round((ours_event_calls["arm_calls"] + ours_event_calls["graph_calls"]) / max(len(targets), 1), 3)
    per_event_theirs = round((theirs_event_calls["arm_calls"] + theirs_event_calls["graph_calls"]) / max(len(targets), 1), 3)
    figures.update(
        {
            "matched": len(ours["matched"]),
            "same_resources": same,
            "driftguard": {
                "wall_s": round(ours_wall, 3),
                "arm_calls": ours_arm,
                "graph_calls": ours_calls["graph_calls"],
                "peak_rss_mb": ours["peak_rss_mb"],
                "rules_evaluated": ours["rules"],
                "event_arm_calls_per_event": per_event_ours,
                "events_wall_s": round(ours_events_wall, 3),
            },
            "custodian": {
                "wall_s": round(theirs_wall, 3),
                "arm_calls": theirs_arm,
                "peak_rss_mb": theirs["peak_rss_mb"],
                "rules_evaluated": 1,
                "event_arm_calls_per_event": per_event_theirs,
                "events_wall_s": round(theirs_events_wall, 3),
            },
            "events": len(targets),
            "wall_ratio": _ratio(ours_wall, theirs_wall),
            "arm_calls_ratio": _ratio(ours_arm, theirs_arm),
            "peak_rss_ratio": _ratio(ours["peak_rss_mb"], theirs["peak_rss_mb"]),
            "event_arm_calls_ratio": _ratio(per_event_ours, per_event_theirs),
            "events_wall_ratio": _ratio(ours_events_wall, theirs_events_wall),
        }
    )
    figures["event_flagged"] = ours_events["matched"]
    if ours_events["matched"] != len(theirs_events["matched"]):
        raise SystemExit(
            f"event mode: DriftGuard flagged {ours_events['matched']}, Custodian matched {len(theirs_events['matched'])} of {len(targets)}"
        )
    return figures


def driftguard_child(argv: list[str]) -> int:
    """The DriftGuard side, in its own process: `scan BASE CA SUB` or `events BASE CA SUB FILE`."""
    from datetime import UTC, datetime

    from driftguard import rules
    from driftguard.azure.connection import ArmConnection, RawArm, StaticTokenCredential
    from driftguard.azure.inventory import LiveInventory
    from driftguard.azure.resource_graph import Scope
    from driftguard.pipeline import Evaluator
    from driftguard.policy import Policy

    mode, base, ca, sub, *rest = argv
    connection = ArmConnection(base, StaticTokenCredential("sim:driftguard"), connection_verify=ca, polling_interval=0)
    if mode == "scan":
        inventory = LiveInventory(connection, Scope(subscriptions=(sub,)), rule_types=rules.rule_types(), deep=False)
        findings, _ = Evaluator(Policy(), now=datetime.now(UTC)).run(inventory)
        found = list(findings)
        matched = [f.resource_id for f in found if f.rule == RULE]
        accounts = sorted({f.resource_id for f in found if f.resource_type.lower() == "microsoft.cognitiveservices/accounts"})
        inventory.close()
        result: dict[str, Any] = {
            "matched": matched,
            "accounts": accounts,
            "rules": len(list(rules.metas())),
            "peak_rss_mb": peak_rss_mb(),
        }
    else:
        import remediations
        from driftguard.azure.writes import ArmWriter
        from driftguard.events import parse_event
        from driftguard.respond import Responder
        from driftguard.store.sqlite import SqliteStore

        writer = ArmWriter(RawArm(connection), base, poll_interval_s=0)
        with tempfile.TemporaryDirectory() as tmp:
            responder = Responder(
                policy=Policy(),
                store=SqliteStore(Path(tmp) / "state.db"),
                reader=writer.read,
                writer=writer,
                remediations=remediations.registry(),
                subscriptions=(sub,),
                dry_run=True,  # the cost of judging an event; Custodian's policy has no action either
            )
            judged = 0
            for raw in json.loads(Path(rest[0]).read_text()):
                results = responder.handle(parse_event(raw))
                judged += any(r.rule == RULE and r.outcome.value in ("recorded", "case_opened") for r in results)
        result = {"matched": judged, "peak_rss_mb": peak_rss_mb()}
    print(json.dumps(result))
    return 0
