"""`python -m bench peers --resources N`: DriftGuard and Cloud Custodian side by side, same run, same
estate (the HTTPS simulator, one subscription), same rules: Custodian gets one policy for every DriftGuard
resource rule its Azure filters can express (`SHARED`, below), DriftGuard runs with exactly those rules,
and both must flag the same resources, rule by rule, or the benchmark fails. The rules Custodian cannot
express are named in `CANNOT_EXPRESS`, with the reason.

Cloud Custodian (c7n, c7n-azure) is installed into a virtualenv of its own under .tools/peers, for the
benchmark only. Each tool runs in a child process (wall time from start to exit, peak RSS its own); ARM
calls are counted by the simulator. Then the cost of one change event in each tool's event mode:
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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import peak_rss_mb
from bench.simserve import SimulatorProcess

ROOT = Path(__file__).resolve().parents[1]
PEERS = ROOT / ".tools" / "peers"
PEERS_PYTHON = PEERS / "bin" / "python"
C7N = ("c7n==0.9.53", "c7n-azure==0.7.52")
EVENT_RULE = "cognitiveservices_account_public_network_access_disabled"
EVENTS = 100

# The model catalog both tools judge deployments against, pinned versions required (DriftGuard's defaults: no catalog, no pinning).
APPROVED_MODEL = {"format": "OpenAI", "name": "gpt-4o", "version": "2024-08-06"}
CMK_CLASSES = ["confidential", "highly-confidential", "restricted"]  # DriftGuard's default DataPolicy


def _v(key: str, value: Any, op: str | None = None, *, normalize: bool = False) -> dict[str, Any]:
    """A Custodian value filter."""
    f: dict[str, Any] = {"type": "value", "key": key, "value": value}
    if op:
        f["op"] = op
    if normalize:
        f["value_type"] = "normalize"
    return f


def _open(pna_key: str, acl_key: str) -> list[dict[str, Any]]:
    return [_v(pna_key, "disabled", "ne", normalize=True), _v(acl_key, "deny", "ne", normalize=True)]


def _cmk(encrypted_key: str, encrypted_value: str) -> list[dict[str, Any]]:
    return [_v("tag:data-classification", CMK_CLASSES, "in", normalize=True), _v(encrypted_key, encrypted_value, "ne", normalize=True)]


def _no_identity() -> list[dict[str, Any]]:
    return [{"or": [_v("identity.type", "empty"), _v("identity.type", "none", "eq", normalize=True)]}]


@dataclass(frozen=True)
class Shared:
    """A DriftGuard rule and the Custodian policy that expresses it on one resource type."""

    rule: str
    resource: str
    filters: list[dict[str, Any]]
    caveat: str = ""

    @property
    def name(self) -> str:  # rule ids hold no hyphen: the part before one is the rule
        return f"{self.rule}-{self.resource.split('.', 1)[1]}"


STORAGE_CAVEAT = "Custodian cannot join storage to the AI resources using it: it judges every storage account (all are linked here)"
SHARED: tuple[Shared, ...] = (
    Shared(
        "cognitiveservices_account_public_network_access_disabled",
        "azure.cognitiveservice",
        _open("properties.publicNetworkAccess", "properties.networkAcls.defaultAction"),
    ),
    Shared(
        "cognitiveservices_account_outbound_restricted",
        "azure.cognitiveservice",
        # With no approved FQDNs (the default), any FQDN on the list is unapproved.
        [
            {
                "or": [
                    _v("properties.restrictOutboundNetworkAccess", True, "ne"),
                    _v("properties.allowedFqdnList", 0, "gt") | {"value_type": "size"},
                ]
            }
        ],
    ),
    Shared("cognitiveservices_account_local_auth_disabled", "azure.cognitiveservice", [_v("properties.disableLocalAuth", True, "ne")]),
    Shared("cognitiveservices_account_managed_identity_enabled", "azure.cognitiveservice", _no_identity()),
    Shared("cognitiveservices_account_managed_identity_enabled", "azure.search", _no_identity()),
    Shared(
        "cognitiveservices_account_customer_managed_key",
        "azure.cognitiveservice",
        _cmk("properties.encryption.keySource", "microsoft.keyvault"),
    ),
    Shared(
        "cognitiveservices_account_customer_managed_key",
        "azure.machine-learning-workspace",
        _cmk("properties.encryption.status", "enabled"),
    ),
    Shared("cognitiveservices_account_customer_managed_key", "azure.search", _cmk("properties.encryptionWithCmk.enforcement", "enabled")),
    Shared(
        "cognitiveservices_account_customer_managed_key", "azure.storage", _cmk("properties.encryption.keySource", "microsoft.keyvault")
    ),
    Shared(
        "cognitiveservices_deployment_model_approved",
        "azure.cognitiveservice-deployment",
        [
            {
                "or": [
                    {"not": [{"and": [_v(f"properties.model.{k}", v.lower(), "eq", normalize=True) for k, v in APPROVED_MODEL.items()]}]},
                    _v("properties.versionUpgradeOption", "noautoupgrade", "ne", normalize=True),
                ]
            }
        ],
    ),
    Shared(
        "machinelearning_workspace_public_network_access_disabled",
        "azure.machine-learning-workspace",
        [_v("properties.publicNetworkAccess", "disabled", "ne", normalize=True)],
    ),
    Shared(
        "search_service_public_network_access_disabled",
        "azure.search",
        [_v("properties.publicNetworkAccess", "disabled", "ne", normalize=True), _v("properties.networkRuleSet.ipRules", "empty")],
        caveat="partly: Custodian cannot judge an IP rule's width or approval, so its policy flags public services with no IP rules only",
    ),
    Shared(
        "storage_account_public_network_access_disabled",
        "azure.storage",
        _open("properties.publicNetworkAccess", "properties.networkAcls.defaultAction"),
        caveat=STORAGE_CAVEAT,
    ),
    Shared(
        "storage_account_blob_public_access_disabled", "azure.storage", [_v("properties.allowBlobPublicAccess", True, "eq")], STORAGE_CAVEAT
    ),
    Shared("storage_account_shared_key_disabled", "azure.storage", [_v("properties.allowSharedKeyAccess", False, "ne")], STORAGE_CAVEAT),
    Shared(
        "security_pricing_ai_defender_enabled",
        "azure.defender-pricing",
        [_v("name", "ai", "eq", normalize=True), _v("properties.pricingTier", "standard", "ne", normalize=True)],
    ),
)
CANNOT_EXPRESS: dict[str, str] = {
    "cognitiveservices_account_network_rules_restricted": "IP prefix width, approved ranges and VNets, and `bypass` against the last-known-good baseline",
    "cognitiveservices_account_private_endpoint_approved_only": "the subscription and tenant of each connection's endpoint against an allowlist",
    "cognitiveservices_account_keys_not_exposed": "judged on listKeys/regenerateKey events by caller, not on resource state",
    "cognitiveservices_account_defender_for_ai_enabled": "no Custodian resource for accounts/defenderForAISettings",
    "cognitiveservices_deployment_content_filter_enforced": "no Custodian resource for accounts/raiPolicies, and no join from a deployment to its policy",
    # c7n-azure reads through the azure-mgmt SDKs it pins, whose models drop what their api-version does not know.
    "search_service_local_auth_disabled": "its azure-mgmt-search 8.0.0 (api 2020-08-01) drops `disableLocalAuth`",
    "machinelearning_workspace_managed_network_isolated": "its azure-mgmt-machinelearningservices 2.0.0b2 (api 2023-04-01) drops `managedNetwork` and `kind`",
    "machinelearning_workspace_datastores_identity_auth": "the same SDK drops `systemDatastoresAuthMode` and `kind`",
    "monitor_ai_resource_diagnostic_logs_enabled": "it reads diagnostic settings at api 2017-05-01-preview, which has no `categoryGroup` (allLogs, audit)",
}
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


def shared_rules() -> list[str]:
    return sorted({s.rule for s in SHARED})


def custodian_policies() -> str:
    """The shared set as a Custodian policy file (JSON is YAML)."""
    return json.dumps({"policies": [{"name": s.name, "resource": s.resource, "filters": s.filters} for s in SHARED]}, indent=1)


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


def _ratio(ours: float, theirs: float) -> float | None:
    return round(ours / theirs, 3) if theirs else None


def _by_rule(matched: dict[str, list[str]]) -> dict[str, set[str]]:
    """Custodian's matches per policy name, folded into DriftGuard's rule ids."""
    out: dict[str, set[str]] = {rule: set() for rule in shared_rules()}
    for name, ids in matched.items():
        out[name.split("-", 1)[0]].update(i.lower() for i in ids)
    return out


def bench_peers(count: int) -> dict[str, Any]:
    from simulator.generate import subscription

    ensure_peers()
    sub = subscription(1)
    with SimulatorProcess(count, subscriptions=1) as sim, tempfile.TemporaryDirectory(prefix="driftguard-peers-") as tmp:
        work = Path(tmp)
        (work / "pull.yml").write_text(custodian_policies())
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

        sim.reset()
        theirs, theirs_wall = _run([str(PEERS_PYTHON), launcher, "pull", str(work / "pull.yml"), str(work / "out")], peer_env)
        theirs_calls = sim.calls()
        sim.reset()
        ours, ours_wall = _run([*ours_cmd, "scan", sim.base, sim.ca, sub], ours_env)
        ours_calls = sim.calls()
        sim.reset()
        floor, _ = _run([*ours_cmd, "floor", sim.base, sim.ca, sub], ours_env)
        theirs_by_rule = _by_rule(theirs["matched"])
        ours_by_rule = {rule: {i.lower() for i in ours["matched"].get(rule, [])} for rule in shared_rules()}
        differ = {
            rule: {
                "only_driftguard": sorted(ours_by_rule[rule] - theirs_by_rule[rule])[:3],
                "only_custodian": sorted(theirs_by_rule[rule] - ours_by_rule[rule])[:3],
            }
            for rule in shared_rules()
            if ours_by_rule[rule] != theirs_by_rule[rule]
        }
        if differ:
            raise SystemExit(f"the tools disagree: {json.dumps(differ, indent=1)}")

        # One change event, each tool's event mode: the same write events on the same accounts.
        targets = ours["accounts"][:EVENTS]
        events = [_write_event(i, rid, sub) for i, rid in enumerate(targets)]
        (work / "events.json").write_text(json.dumps(events))
        sim.reset()
        theirs_events, theirs_events_wall = _run(
            [str(PEERS_PYTHON), launcher, "event", str(work / "event.yml"), str(work / "events.json")], peer_env
        )
        theirs_event_calls = sim.calls()
        sim.reset()
        ours_events, ours_events_wall = _run([*ours_cmd, "events", sim.base, sim.ca, sub, str(work / "events.json")], ours_env)
        ours_event_calls = sim.calls()
        resources, throttling = sim.resources, sim.throttling

    ours_arm = ours_calls["arm_calls"] + ours_calls["graph_calls"]  # Resource Graph queries are ARM requests too
    theirs_arm = theirs_calls["arm_calls"] + theirs_calls["graph_calls"]
    per_event_ours = round((ours_event_calls["arm_calls"] + ours_event_calls["graph_calls"]) / max(len(targets), 1), 3)
    per_event_theirs = round((theirs_event_calls["arm_calls"] + theirs_event_calls["graph_calls"]) / max(len(targets), 1), 3)
    if ours_events["matched"] != len(theirs_events["matched"]):
        raise SystemExit(
            f"event mode: DriftGuard flagged {ours_events['matched']}, Custodian matched {len(theirs_events['matched'])} of {len(targets)}"
        )
    return {
        "resources": resources,
        "rules": len(shared_rules()),
        "custodian_policies": len(SHARED),
        "custodian_cannot_express": sorted(CANNOT_EXPRESS),
        "matched": sum(len(v) for v in ours_by_rule.values()),
        "matched_by_rule": {rule: len(ids) for rule, ids in ours_by_rule.items()},
        "same_resources": True,
        "driftguard": {
            "wall_s": round(ours_wall, 3),
            "scan_s": ours["scan_s"],
            "arm_calls": ours_arm,
            "graph_calls": ours_calls["graph_calls"],
            "peak_rss_mb": ours["peak_rss_mb"],
            "event_arm_calls_per_event": per_event_ours,
            "events_wall_s": round(ours_events_wall, 3),
        },
        "custodian": {
            "wall_s": round(theirs_wall, 3),
            "arm_calls": theirs_arm,
            "peak_rss_mb": theirs["peak_rss_mb"],
            "event_arm_calls_per_event": per_event_theirs,
            "events_wall_s": round(theirs_events_wall, 3),
        },
        "events": len(targets),
        "event_flagged": ours_events["matched"],
        "wall_ratio": _ratio(ours_wall, theirs_wall),
        "arm_calls_ratio": _ratio(ours_arm, theirs_arm),
        "peak_rss_ratio": _ratio(ours["peak_rss_mb"], theirs["peak_rss_mb"]),
        "event_arm_calls_ratio": _ratio(per_event_ours, per_event_theirs),
        "events_wall_ratio": _ratio(ours_events_wall, theirs_events_wall),
        "throttling": throttling,
        # DriftGuard's scan without its rules: the same requests through the same clients, in-process time.
        "io_floor_s": floor["io_floor_s"],
    }


def _write_event(i: int, rid: str, sub: str) -> dict[str, Any]:
    return {
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


def driftguard_child(argv: list[str]) -> int:
    """The DriftGuard side, in its own process: `scan BASE CA SUB`, `floor BASE CA SUB` (the same reads,
    nothing judged) or `events BASE CA SUB FILE`."""
    from datetime import UTC, datetime

    from bench.floor import FLOOR_TOKEN, drain
    from driftguard import rules
    from driftguard.azure.connection import ArmConnection, RawArm, StaticTokenCredential
    from driftguard.azure.inventory import LiveInventory
    from driftguard.azure.resource_graph import Scope
    from driftguard.pipeline import Evaluator
    from driftguard.policy import ApprovedModel, ModelPolicy, Policy

    mode, base, ca, sub, *rest = argv
    selected = {rule: entry for rule, entry in rules.registry().items() if rule in shared_rules()}
    types = frozenset(t.lower() for meta, _ in selected.values() for t in meta.resource_types)
    token = FLOOR_TOKEN if mode == "floor" else "sim:driftguard"
    connection = ArmConnection(base, StaticTokenCredential(token), connection_verify=ca, polling_interval=0)
    result: dict[str, Any]
    if mode in ("scan", "floor"):
        # Deep: the model rule judges deployments and the monitoring rule diagnostic settings, both read through ARM.
        inventory = LiveInventory(connection, Scope(subscriptions=(sub,)), rule_types=types, deep=True)
        if mode == "floor":
            result = {"io_floor_s": round(drain(inventory, [meta for meta, _ in selected.values()]), 3)}
        else:
            policy = Policy(models=ModelPolicy(approved=(ApprovedModel(**APPROVED_MODEL),), require_version_pinning=True))
            started = time.perf_counter()
            findings, _ = Evaluator(policy, now=datetime.now(UTC), rules=selected).run(inventory)
            found = list(findings)
            scan_s = time.perf_counter() - started
            matched: dict[str, list[str]] = {}
            for f in found:
                matched.setdefault(f.rule, []).append(f.resource_id)
            accounts = sorted({f.resource_id for f in found if f.resource_type.lower() == "microsoft.cognitiveservices/accounts"})
            result = {"matched": matched, "accounts": accounts, "scan_s": round(scan_s, 3), "peak_rss_mb": peak_rss_mb()}
        inventory.close()
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
                judged += any(r.rule == EVENT_RULE and r.outcome.value in ("recorded", "case_opened") for r in results)
        result = {"matched": judged, "peak_rss_mb": peak_rss_mb()}
    print(json.dumps(result))
    return 0
