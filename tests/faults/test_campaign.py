"""The fault campaign: a sweep, an event burst and an approval, once clean and once under fire.

Under fire, the HTTPS simulator answers with 429 storms (Retry-After), 5xx, dropped connections,
answers slower than the client's timeout, 412 and 409 conflicts, and a resource is deleted between its
event and its read; Azurite (the state store, persisted on disk) is stopped and restarted in the middle
of the burst; the ticket system is down for a while. Event Grid's contract is played straight: an
event whose handler raises is delivered again later.

Afterwards: every event was processed (none silently lost), no fix was written twice, every write has
its audit record, no case or notification was lost, and the estate, findings and cases equal the clean
run's.
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import remediations
from driftguard import rules
from driftguard.azure import api_versions
from driftguard.azure.connection import ArmConnection, StaticTokenCredential
from driftguard.azure.inventory import LiveInventory
from driftguard.azure.resource_graph import Scope
from driftguard.azure.writes import TransientWriteError
from driftguard.cases.auth import Principal, Role
from driftguard.cases.desk import CaseDesk
from driftguard.cases.outbox import Outbox
from driftguard.cases.sinks import SinkError, Ticket
from driftguard.events import parse_event
from driftguard.inventory import InventoryError
from driftguard.policy import load_policy
from driftguard.respond import Responder
from driftguard.store.base import CaseStatus, StateStore, StoreUnavailable
from driftguard.store.sqlite import SqliteStore
from driftguard.store.table import TableStore
from simulator import Simulator, sample
from simulator.core import Fault
from simulator.server import SimulatorServer
from tests.https_arm import https_writer
from tests.store.conftest import AZURITE, connection_string

ROOT = Path(__file__).resolve().parents[2]
DG = "d9d9d9d9-0000-4000-8000-000000000001"
DEV = "de7de7de-0000-4000-8000-000000000002"
PIPELINE = "919e1111-0000-4000-8000-000000000003"
APPROVER = Principal("a11ce000-0000-4000-8000-00000000000a", "Alice", frozenset({Role.APPROVER.value}))
RG = f"/subscriptions/{sample.PROD}/resourceGroups/rg-ai-prod/providers/Microsoft.CognitiveServices/accounts"
PROD_OAI, PROD_EU = f"{RG}/oai-contoso-prod", f"{RG}/oai-contoso-prod-eu"
MAX_DELIVERIES = 30  # Event Grid's default attempts before dead-lettering
WRITES = ("PUT", "PATCH", "POST", "DELETE")
TRANSIENT = (StoreUnavailable, TransientWriteError, InventoryError)


class Azurite:
    """Azurite on a fixed port, persisted in a folder: it can be stopped and started again."""

    def __init__(self, workdir: Path) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = int(s.getsockname()[1])
        self.workdir = workdir
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        if not AZURITE.exists():
            pytest.fail(f"Azurite is not installed at {AZURITE}: run `make test`, which installs it from npm")
        args = ["--tableHost", "127.0.0.1", "--tablePort", str(self.port), "--location", str(self.workdir)]
        self.proc = subprocess.Popen(
            [str(AZURITE), *args, "--silent", "--skipApiVersionCheck", "--loose", "--disableTelemetry"],
            cwd=self.workdir,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        pytest.fail("Azurite did not start listening within 30 s")

    def stop(self) -> None:
        """Shut down as an operator would (SIGINT: Azurite closes its database), not a crash: the
        store must come back with what it acknowledged, as Table Storage does."""
        if self.proc is not None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
            self.proc = None


class FlakySink:
    """A ticket system that is down while `down` is set; records what it was told."""

    name = "tickets"

    def __init__(self) -> None:
        self.down = False
        self.tickets: dict[str, list[str]] = {}  # case id of the first ticket -> history

    def _check(self) -> None:
        if self.down:
            raise SinkError("tickets: HTTP 503", transient=True)

    def create(self, ticket: Ticket) -> str:
        self._check()
        self.tickets[ticket.dedupe_key.lower()] = [f"created:{ticket.status}"]
        return ticket.dedupe_key.lower()

    def update(self, ref: str, ticket: Ticket) -> None:
        self._check()
        self.tickets[ref].append(f"updated:{ticket.status}")

    def close(self, ref: str, ticket: Ticket) -> None:
        self._check()
        self.tickets[ref].append(f"closed:{ticket.status}")


@dataclass
class Run:
    sim: Simulator
    server: SimulatorServer
    store: StateStore
    responder: Responder
    desk: CaseDesk
    outbox: Outbox
    sink: FlakySink
    clock: list[datetime]
    events: list[dict[str, Any]] = field(default_factory=list)
    deliveries: int = 0
    redeliveries: int = 0
    faults: int = 0


def build(tmp: Path, store: StateStore) -> Run:
    sim = Simulator(sample.build(), management_groups=sample.MANAGEMENT_GROUPS)
    server = SimulatorServer(sim, workdir=tmp / "sim").start()
    writer = https_writer(server.base_url, server.ca_file, DG, read_timeout=1.0)
    policy = load_policy(ROOT / "examples" / "policy.json")
    clock = [datetime(2026, 11, 29, 10, 0, tzinfo=UTC)]
    sink = FlakySink()
    outbox = Outbox(store, sinks=[sink], clock=lambda: clock[0], max_wait_s=0.01)
    responder = Responder(
        policy=policy,
        store=store,
        reader=writer.read,
        writer=writer,
        remediations=remediations.registry(),
        subscriptions=sample.SUBSCRIPTIONS,
        identity_ids=(DG,),
        case_listeners=(outbox.case_changed,),
        notice_listeners=(outbox.notice,),
    )
    desk = CaseDesk(
        policy=policy,
        store=store,
        reader=writer.read,
        writer=writer,
        remediations=remediations.registry(),
        listeners=(outbox.case_changed,),
    )
    run = Run(sim, server, store, responder, desk, outbox, sink, clock)
    sim.writes.subscribe(run.events.append)
    return run


def sweep(run: Run) -> None:
    """The timer's deep sweep (RAI policies are not in Resource Graph: only a deep sweep lists them and
    records their baselines); a failed run is simply run again at the next tick."""
    connection = ArmConnection(
        run.server.base_url,
        StaticTokenCredential(f"sim:{DG}"),
        connection_verify=run.server.ca_file,
        read_timeout=1.0,
        retry_backoff_factor=0.05,
    )
    for _ in range(5):
        inventory = LiveInventory(connection, Scope(subscriptions=sample.SUBSCRIPTIONS), rule_types=rules.rule_types(), deep=True)
        try:
            run.responder.sweep(inventory.resources())
            return
        except TRANSIENT:
            run.redeliveries += 1
        finally:
            inventory.close()
    pytest.fail("the sweep never completed")


def deliver(run: Run, *, during: Callable[[int], None] | None = None) -> None:
    """Event Grid: every queued event until each was handled; a handler that raises gets it again."""
    queue: list[tuple[dict[str, Any], int]] = []
    step = 0
    while True:
        queue += [(e, 0) for e in run.events]
        run.events.clear()
        if not queue:
            return
        raw, attempts = queue.pop(0)
        if during is not None:
            during(step)
        step += 1
        run.deliveries += 1
        try:
            run.responder.handle(parse_event(raw))
        except TRANSIENT:
            if attempts + 1 >= MAX_DELIVERIES:
                pytest.fail(f"event {raw['id']} was never handled: it would be dead-lettered")
            run.redeliveries += 1
            queue.append((raw, attempts + 1))
        run.sim.writes.settle()


def change(run: Run, who: str, method: str, rid: str, body: Any, api_version: str = api_versions.COGNITIVE_SERVICES) -> None:
    answer = run.sim.handle(
        method,
        rid,
        f"api-version={api_version}",
        {"Authorization": f"Bearer sim:{who}", "Host": "management.simulator.local"},
        b"" if body is None else json.dumps(body).encode(),
    )
    assert answer.status < 300, answer.body
    run.sim.writes.settle()  # ARM finishes the operation by itself


def scenario(run: Run, *, faults: bool, azurite: Azurite | None = None) -> None:
    def inject(*fs: Fault) -> None:
        if faults:
            for f in fs:
                run.sim.inject(f)
                run.faults += f.times

    # 1. The sweep, through a 429 storm on Resource Graph and failing reads.
    inject(Fault("429", path="resourcegraph", times=3, retry_after=1), Fault("500", path="resourcegraph", times=2))
    sweep(run)
    run.events.clear()  # the sweep's own fixes come back as events: DriftGuard's, recognised, not part of the burst

    # 2. The burst: people change things, then the events arrive.
    strict = f"{PROD_OAI}/raiPolicies/strict-prod"
    policy = run.sim.estate.get(strict) or {}
    filters = [
        dict(f, enabled=False, blocking=False) if f.get("name") == "Jailbreak" else f for f in policy["properties"]["contentFilters"]
    ]
    change(run, DEV, "PATCH", PROD_OAI, {"properties": {"publicNetworkAccess": "Enabled", "networkAcls": {"defaultAction": "Allow"}}})
    change(run, DEV, "PATCH", PROD_OAI, {"properties": {"disableLocalAuth": False}})
    change(run, DEV, "PUT", strict, {"properties": {**policy["properties"], "contentFilters": filters}})
    change(run, PIPELINE, "PATCH", PROD_EU, {"tags": {"deployed-by": "pipeline"}})
    doomed = next(
        r["id"]
        for r in run.sim.estate.raw_items()
        if r["type"] == "Microsoft.CognitiveServices/accounts" and r["id"] != PROD_OAI and r["id"] != PROD_EU
    )
    change(run, DEV, "PATCH", doomed, {"tags": {"about-to-go": "yes"}})
    for i in range(2):
        change(run, DEV, "PATCH", PROD_EU, {"tags": {"touched": str(i)}})
    run.sim.estate.delete(doomed)  # deleted between its event and DriftGuard's read
    run.sim.reset_log()  # from here on, every write is DriftGuard's
    inject(
        Fault("429", method="GET", times=4, retry_after=1),
        Fault("503", method="PATCH", times=2),
        Fault("drop", method="GET", times=2),
        Fault("latency", method="PATCH", path="oai-contoso-prod$", times=1, delay_s=1.6),
        Fault("412", method="PUT", path="raipolicies", times=1),
        Fault("409", method="PATCH", times=1),
        Fault("500", method="POST", path="regeneratekey", times=1),
    )

    def outage(step: int) -> None:
        if azurite is not None and step == 3:
            azurite.stop()
        if azurite is not None and step == 7:
            azurite.start()
        run.sink.down = faults and 2 <= step < 12

    deliver(run, during=outage)
    if azurite is not None and azurite.proc is None:
        azurite.start()
    time.sleep(1.7)  # a write slower than the client's patience lands after it gave up
    run.sink.down = False

    # 3. An approval, while ARM keeps failing the write: the approver retries.
    case = next(c for c in run.store.cases(status=CaseStatus.OPEN) if c.plan_digest and c.rule.endswith("public_network_access_disabled"))
    inject(Fault("503", method="PATCH", times=8))
    for _ in range(5):
        try:
            outcome = run.desk.approve(case.id, APPROVER, reason="CHG-9", plan_digest=case.plan_digest)
            break
        except TRANSIENT:
            run.redeliveries += 1
    else:
        pytest.fail("the approval never went through")
    assert outcome.case.status is CaseStatus.APPLIED, outcome.message
    deliver(run)

    # 4. The outbox drains, however long the ticket system was down.
    for _ in range(10):
        run.outbox.deliver()
        run.clock[0] += timedelta(hours=2)
        if not run.store.outbox():
            break


def observed(run: Run) -> dict[str, Any]:
    def strip(resource: dict[str, Any] | None) -> Any:
        return None if resource is None else {k: v for k, v in resource.items() if k not in ("etag", "systemData")}

    touched = {rid.lower() for rid in (PROD_OAI, PROD_EU, f"{PROD_OAI}/raiPolicies/strict-prod")}
    return {
        "estate": {rid: strip(run.sim.estate.get(rid)) for rid in sorted(touched)},
        "findings": sorted((f.rule, f.resource_id.lower(), f.status.value) for f in run.store.findings()),
        "cases": sorted((c.rule, c.resource_id.lower(), c.status.value) for c in run.store.cases()),
        # Which fixes are on record (a retried write records its intent once per attempt).
        "fixes": sorted(
            {
                (e.action.replace("reverting", "reverted"), e.resource_id.lower(), e.rule or "")
                for e in run.store.audit_log()
                if e.action in ("reverted", "reverting", "applied", "keys_regenerated")
            }
        ),
    }


def writes(run: Run) -> dict[str, int]:
    """Successful writes per request path (all DriftGuard's: the log was reset after people's changes)."""
    counted: dict[str, int] = {}
    for r in run.sim.requests:
        if r.method in WRITES and r.status < 300:
            counted[r.path.lower()] = counted.get(r.path.lower(), 0) + 1
    return counted


@pytest.fixture
def azurite(tmp_path: Path) -> Iterator[Azurite]:
    server = Azurite(tmp_path / "azurite")
    server.workdir.mkdir()
    server.start()
    yield server
    server.stop()


def test_the_campaign_loses_nothing_and_ends_where_a_clean_run_ends(tmp_path: Path, azurite: Azurite) -> None:
    clean = build(tmp_path / "clean", SqliteStore(tmp_path / "clean.db"))
    scenario(clean, faults=False)
    table = TableStore.from_connection_string(connection_string(azurite.port), prefix="f" + uuid.uuid4().hex[:10], retry_total=1)
    faulted = build(tmp_path / "faulted", table)
    scenario(faulted, faults=True, azurite=azurite)
    try:
        # The campaign really ran into trouble.
        assert faulted.redeliveries >= 3, faulted.redeliveries
        assert not faulted.sim.faults or all(f.times == 0 for f in faulted.sim.faults), [f for f in faulted.sim.faults if f.times]
        # Nothing lost, nothing doubled, everything on record, the same outcome.
        ours, theirs = observed(faulted), observed(clean)
        for key in ours:
            if isinstance(ours[key], list):
                assert set(ours[key]) ^ set(theirs[key]) == set(), (
                    key,
                    set(ours[key]) - set(theirs[key]),
                    set(theirs[key]) - set(ours[key]),
                )
        for rid, resource in ours["estate"].items():
            assert resource == theirs["estate"][rid], (
                rid,
                json.dumps(resource, sort_keys=True),
                json.dumps(theirs["estate"][rid], sort_keys=True),
            )
        assert ours == theirs
        assert writes(faulted) == writes(clean)
        assert writes(clean), "the clean run fixed something"
        audited = {
            e.resource_id.lower() for e in faulted.store.audit_log() if e.action in ("reverting", "reverted", "applied", "keys_regenerated")
        }
        for path in writes(faulted):
            assert any(path == rid or path.startswith(rid + "/") for rid in audited), f"{path} was written without an audit record"
        assert faulted.store.outbox() == []
        keys = {c.dedupe_key.lower() for c in faulted.store.cases()}
        assert keys == set(faulted.sink.tickets), "a case without its ticket, or a ticket without its case"
        assert {k: v[-1] for k, v in faulted.sink.tickets.items()} == {k: v[-1] for k, v in clean.sink.tickets.items()}
    finally:
        for run in (clean, faulted):
            run.server.stop()
    print(
        json.dumps(
            {
                "deliveries": faulted.deliveries,
                "redeliveries": faulted.redeliveries,
                "faults_injected": faulted.faults,
                "azurite_restarts": 1,
                "events_lost": 0,
                "writes": sum(writes(faulted).values()),
            }
        )
    )
