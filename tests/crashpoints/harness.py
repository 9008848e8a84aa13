"""The crash-point harness: the HTTPS simulator, a shared store, and Event Grid played straight.

Each run starts from a fresh estate and a fresh store, sets its scenario up (a developer changes
something), then hands the scenario's delivery (an event, or an approval through the API) to one to
four worker processes at once, the first of them killed at the crash point. Afterwards it plays Event
Grid: every event the simulator emitted (DriftGuard's own writes included) and every delivery that was
not acknowledged is delivered again, on Event Grid's retry schedule (the workers' clock is moved on
accordingly: a dead handler's claim and an unconfirmed key regeneration expire as they would), until
each is acknowledged. An approval is retried by its approver the same way.

Then `check` holds the run to the invariants of issue 12.
"""

from __future__ import annotations

import itertools
import json
import multiprocessing
import signal
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from multiprocessing.context import ForkServerContext
from pathlib import Path
from typing import Any

import requests

import remediations
from driftguard import rules as rule_registry
from driftguard.azure import api_versions
from driftguard.cases.auth import Role, encode_principal
from driftguard.enforcement import BETWEEN_KEY_REGENERATIONS, WRITE_IN_FLIGHT
from driftguard.events import parse_event
from driftguard.obligations import Obligations
from driftguard.policy import load_policy
from driftguard.respond import Responder
from driftguard.store.base import CaseStatus, FindingStatus, StateStore
from simulator import Fault, Simulator, sample
from simulator.server import SimulatorServer
from tests.crashpoints import worker
from tests.crashpoints.worker import ACKNOWLEDGED, DRIFTGUARD, Job
from tests.https_arm import https_writer

DEVELOPER = "de7de7de-0000-4000-8000-000000000002"
ACCOUNTS = f"/subscriptions/{sample.PROD}/resourceGroups/rg-ai-prod/providers/Microsoft.CognitiveServices/accounts"
PROD_OAI = f"{ACCOUNTS}/oai-contoso-prod"  # local auth off: its public network access is the drift
PROD_EU = f"{ACCOUNTS}/oai-contoso-prod-eu"  # local auth on: its keys can be listed
PUBLIC_RULE = "cognitiveservices_account_public_network_access_disabled"
KEY_RULE = "cognitiveservices_account_keys_not_exposed"
# Approvers, none of them the developer who caused the drift.
APPROVERS = [encode_principal(f"a11ce000-0000-4000-8000-00000000000{i}", f"Approver {i}", (Role.APPROVER.value,)) for i in range(1, 5)]
# Event Grid's retry schedule (its documentation: 10 s, 30 s, 1 min, 5 min, 10 min, 30 min, 1 h, 3 h,
# 6 h, then every 12 h up to 24 h); a delivery still failing after MAX_DELIVERIES is dead-lettered.
RETRY_SCHEDULE = [timedelta(seconds=s) for s in (10, 30, 60, 300, 600, 1800, 3600, 10800, 21600, 43200)]
MAX_DELIVERIES = 30
# How long the simulator holds a write whose sender dies with it in flight (the worker dies sooner).
IN_FLIGHT_HOLD_S = 0.8
WORKER_TIMEOUT_S = 60

# The named steps where a worker is killed, in the order a delivery passes them; which of them a
# scenario reaches (an approval has no event mark; only a key rotation has two regenerations).
CRASH_POINTS = (
    "read",
    "claimed",
    "intent_recorded",
    WRITE_IN_FLIGHT,
    "write_landed",
    BETWEEN_KEY_REGENERATIONS,
    "outcome_recorded",
    "before_event_mark",
)
SCENARIOS: dict[str, tuple[str, ...]] = {
    "revert": tuple(p for p in CRASH_POINTS if p != BETWEEN_KEY_REGENERATIONS),
    "rotate": CRASH_POINTS,
    "approve": tuple(p for p in CRASH_POINTS if p != "before_event_mark"),
}


def policy_file(folder: Path, modes: Mapping[str, str]) -> Path:
    """Every rule off but the scenario's: each run judges exactly what it is about."""
    every = [*rule_registry.registry(), *rule_registry.access_registry()]
    path = folder / f"policy-{uuid.uuid4().hex[:8]}.json"
    path.write_text(json.dumps({"modes": {rule: modes.get(rule, "off") for rule in every}, "keys": {"allowed_principals": []}}))
    return path


@dataclass
class Figures:
    runs: int = 0
    crash_points: set[str] = field(default_factory=set)
    kills: int = 0
    deliveries: int = 0
    redeliveries: int = 0
    started: float = field(default_factory=time.monotonic)

    def to_json(self) -> dict[str, Any]:
        return {
            "runs": self.runs,
            "crash_points": len(self.crash_points),
            "kills": self.kills,
            "deliveries": self.deliveries,
            "redeliveries": self.redeliveries,
            "seconds": round(time.monotonic() - self.started, 1),
        }


@dataclass(order=True)
class _Due:
    at: datetime
    seq: int
    kind: str = field(compare=False)  # "event" or "approval"
    payload: dict[str, Any] = field(compare=False)
    attempts: int = field(compare=False, default=0)
    main: bool = field(compare=False, default=False)


@dataclass
class Run:
    """One run: its estate, store, scenario, and what Event Grid still has to deliver."""

    scenario: str
    sim: Simulator
    store: StateStore
    store_spec: tuple[str, str]
    policy: Path
    folder: Path
    now: datetime
    main_event: dict[str, Any] | None = None
    case_id: str = ""
    plan_digest: str = ""
    emitted: list[dict[str, Any]] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    exposure_at: datetime | None = None
    # DriftGuard's own key regeneration events come this late (their first deliveries failed), past
    # the ten minutes a handler waits for them: the Activity Log tells whether they landed.
    own_keys_late: timedelta | None = None


class Harness:
    def __init__(self, server: SimulatorServer, folder: Path, figures: Figures) -> None:
        self.server = server
        self.folder = folder
        self.figures = figures
        self._seq = itertools.count()
        # One process forked per delivery from a server that imported the worker once: a real process
        # each time, without paying for the imports each time.
        context = multiprocessing.get_context("forkserver")
        assert isinstance(context, ForkServerContext)
        context.set_forkserver_preload(["tests.crashpoints.worker"])
        self.context = context

    # --- setting a run up ----------------------------------------------------------------------------
    def start(self, scenario: str, store: StateStore, store_spec: tuple[str, str]) -> Run:
        sim = Simulator(sample.build(), management_groups=sample.MANAGEMENT_GROUPS)
        self.server.replace_simulator(sim)
        modes = {"revert": {PUBLIC_RULE: "auto"}, "rotate": {KEY_RULE: "auto"}, "approve": {KEY_RULE: "approve"}}[scenario]
        folder = self.folder / uuid.uuid4().hex[:8]
        folder.mkdir()
        run = Run(scenario, sim, store, store_spec, policy_file(folder, modes), folder, datetime.now(UTC))
        sim.writes.subscribe(run.emitted.append)
        # The Activity Log's times follow Event Grid's clock, which the workers' clocks follow.
        sim.writes.clock = lambda: run.now
        if scenario == "revert":
            # The account as it should be is judged once (a tag change): the state it is fixed back to
            # is a state already judged, which a redelivery after a crash must not take for "nothing new".
            self._change(sim, "PATCH", PROD_OAI, {"tags": {"owner": "ml-platform"}})
            self._handle_here(run)
            self._change(
                sim, "PATCH", PROD_OAI, {"properties": {"publicNetworkAccess": "Enabled", "networkAcls": {"defaultAction": "Allow"}}}
            )
        else:
            self._change(sim, "POST", f"{PROD_EU}/listKeys", None)
            run.exposure_at = run.now
        (run.main_event,) = self._take(run)
        if scenario == "approve":
            # The listing becomes a case with the exact rotation to approve.
            self._handle_here(run, run.main_event)
            (case,) = [c for c in store.cases(status=CaseStatus.OPEN) if c.rule == KEY_RULE]
            assert case.plan_digest is not None
            run.case_id, run.plan_digest = case.id, case.plan_digest
        sim.reset_log()  # from here on, every write is the workers'
        return run

    def _change(self, sim: Simulator, method: str, rid: str, body: Any) -> None:
        answer = sim.handle(
            method,
            rid,
            f"api-version={api_versions.COGNITIVE_SERVICES}",
            {"Authorization": f"Bearer sim:{DEVELOPER}", "Host": "management.simulator.local"},
            b"" if body is None else json.dumps(body).encode(),
        )
        assert answer.status < 300, answer.body
        sim.writes.settle()

    def _take(self, run: Run) -> list[dict[str, Any]]:
        run.sim.writes.settle()
        taken, run.emitted[:] = list(run.emitted), []
        return taken

    def _handle_here(self, run: Run, event: dict[str, Any] | None = None) -> None:
        """A set-up delivery, handled in this process (nothing is killed here)."""
        writer = https_writer(self.server.base_url, self.server.ca_file, DRIFTGUARD)
        responder = Responder(
            policy=load_policy(run.policy),
            store=run.store,
            reader=writer.read,
            writer=writer,
            remediations=remediations.registry(),
            subscriptions=sample.SUBSCRIPTIONS,
            identity_ids=(DRIFTGUARD,),
            clock=lambda: run.now,
        )
        for raw in [event] if event is not None else self._take(run):
            responder.handle(parse_event(raw))

    # --- Event Grid -------------------------------------------------------------------------------------
    def drive(self, run: Run, *, crash_at: str | None, processes: int = 1) -> None:
        """The first delivery to `processes` workers at once (the first killed at `crash_at`), then
        every delivery again until each is acknowledged."""
        self.figures.runs += 1
        if crash_at is not None:
            self.figures.crash_points.add(crash_at)
        if crash_at == WRITE_IN_FLIGHT:
            # The simulator holds the fix's write longer than its sender lives: it lands after the kill.
            path = "regeneratekey" if run.scenario != "revert" else "oai-contoso-prod$"
            run.sim.inject(Fault("latency", method="POST" if run.scenario != "revert" else "PATCH", path=path, delay_s=IN_FLIGHT_HOLD_S))
        first = [self._main(run, i) for i in range(processes)]
        queue = self._deliver_together(run, first, crash_at)
        while queue:
            queue.sort()
            due = queue.pop(0)
            run.now = max(run.now, due.at)
            queue.extend(self._deliver_together(run, [due], None))
        if run.scenario == "approve":
            # The SLA timer's next run, an hour on: it finds nothing approved left to finish.
            run.now += timedelta(hours=1)
            self._spawn(run, Job(**self._job_args(run, "timer")))
            queue = self._new_events(run)
            while queue:
                queue.sort()
                queue.extend(self._deliver_together(run, [queue.pop(0)], None))

    def _main(self, run: Run, index: int) -> _Due:
        if run.scenario == "approve":
            payload = {"principal": APPROVERS[index % len(APPROVERS)]}
            return _Due(run.now, next(self._seq), "approval", payload, main=True)
        assert run.main_event is not None
        return _Due(run.now, next(self._seq), "event", run.main_event, main=True)

    def _job_args(self, run: Run, kind: str) -> dict[str, Any]:
        return {
            "kind": kind,
            "store": run.store_spec,
            "base_url": self.server.base_url,
            "ca_file": self.server.ca_file,
            "policy_file": str(run.policy),
            "now": run.now,
            "result_file": str(run.folder / f"result-{next(self._seq)}.json"),
        }

    def _deliver_together(self, run: Run, dues: list[_Due], crash_at: str | None) -> list[_Due]:
        """Delivers `dues` at once, each to its own process; returns what Event Grid must deliver next:
        the failed deliveries again (on its schedule) and the events the simulator emitted meanwhile."""
        jobs = []
        for i, due in enumerate(dues):
            args = self._job_args(run, "event" if due.kind == "event" else "approval")
            args["crash_at"] = crash_at if i == 0 else None
            if due.kind == "event":
                args["event"] = due.payload
            else:
                args.update(case_id=run.case_id, plan_digest=run.plan_digest, principal_header=due.payload["principal"])
            jobs.append(Job(**args))
        processes = [self.context.Process(target=worker.main, args=(job,), daemon=True) for job in jobs]
        for p in processes:
            p.start()
        again: list[_Due] = []
        for due, job, p in zip(dues, jobs, processes, strict=True):
            p.join(WORKER_TIMEOUT_S)
            if p.exitcode is None:
                p.kill()
                p.join()
                run.violations.append(f"a worker hung for {WORKER_TIMEOUT_S} s on {due.kind} {job.crash_at}")
            self.figures.deliveries += 1
            if p.exitcode == -signal.SIGKILL:
                self.figures.kills += 1
                if job.crash_at == WRITE_IN_FLIGHT:
                    time.sleep(IN_FLIGHT_HOLD_S)  # the held write lands (and its event is emitted)
            elif p.exitcode not in (ACKNOWLEDGED, worker.NOT_ACKNOWLEDGED):
                run.violations.append(f"a worker exited {p.exitcode}: {self._result(job)}")
            if due.main and due.kind == "event":
                self._check_marked_only_when_done(run, due)
            if p.exitcode != ACKNOWLEDGED:
                if due.attempts + 1 >= MAX_DELIVERIES:
                    run.violations.append(f"{due.kind} never acknowledged: {self._result(job)}")
                    continue
                self.figures.redeliveries += 1
                delay = RETRY_SCHEDULE[min(due.attempts, len(RETRY_SCHEDULE) - 1)]
                again.append(_Due(run.now + delay, next(self._seq), due.kind, due.payload, due.attempts + 1, due.main))
        return again + self._new_events(run)

    def _new_events(self, run: Run) -> list[_Due]:
        return [_Due(run.now + self._held(run, e), next(self._seq), "event", e) for e in self._take(run)]

    @staticmethod
    def _held(run: Run, event: Mapping[str, Any]) -> timedelta:
        data = event.get("data") or {}
        own = DRIFTGUARD in json.dumps(data.get("claims") or {})
        if run.own_keys_late is not None and own and str(data.get("operationName", "")).lower().endswith("/regeneratekey/action"):
            return run.own_keys_late
        return timedelta(0)

    def _spawn(self, run: Run, job: Job) -> None:
        p = self.context.Process(target=worker.main, args=(job,), daemon=True)
        p.start()
        p.join(WORKER_TIMEOUT_S)
        self.figures.deliveries += 1
        if p.exitcode != ACKNOWLEDGED:
            run.violations.append(f"the SLA timer failed: {self._result(job)}")

    @staticmethod
    def _result(job: Job) -> str:
        path = Path(job.result_file)
        return path.read_text()[:2000] if path.exists() else "(no result: killed)"

    def _check_marked_only_when_done(self, run: Run, due: _Due) -> None:
        event_id = str(due.payload["id"])
        if run.store.event_seen(event_id):
            missing = self.undone(run)
            if missing:
                run.violations.append(f"event {event_id} marked handled before its work was done: {missing}")

    # --- the invariants --------------------------------------------------------------------------------
    def requests_log(self) -> list[dict[str, Any]]:
        """The simulator's request log, read as another process would: over HTTPS."""
        answer = requests.get(f"{self.server.base_url}/_simulator/requests", verify=self.server.ca_file, timeout=10)
        answer.raise_for_status()
        log: list[dict[str, Any]] = answer.json()["requests"]
        return log

    def landed_writes(self) -> list[dict[str, Any]]:
        return [
            r
            for r in self.requests_log()
            if r["method"] in ("PUT", "PATCH", "POST", "DELETE")
            and 200 <= r["status"] < 300
            and r["caller"] == DRIFTGUARD
            and not r["path"].lower().startswith("/v1/workspaces/")  # a Log Analytics query is a read
        ]

    def regenerations(self) -> dict[str, int]:
        counted: dict[str, int] = {}
        for r in self.landed_writes():
            if r["method"] == "POST" and r["path"].lower().endswith("/regeneratekey"):
                key = str(json.loads(r["body"] or "{}").get("keyName"))
                counted[key] = counted.get(key, 0) + 1
        return counted

    def undone(self, run: Run) -> str:
        """What of the run's work is not done yet ("" when all is)."""
        store = run.store
        if run.scenario == "revert":
            estate = run.sim.estate.get(PROD_OAI) or {}
            fixed = estate.get("properties", {}).get("publicNetworkAccess") == "Disabled"
            finding = store.finding(PUBLIC_RULE, PROD_OAI)
            case_open = any(c.rule == PUBLIC_RULE for c in store.cases(status=CaseStatus.OPEN))
            if case_open:
                return ""
            if not fixed:
                return "public network access still enabled, no case open"
            if finding is None or finding.status is not FindingStatus.RESOLVED:
                return f"fixed, but the finding is {finding.status.value if finding else 'missing'}"
            return ""
        regenerated = self.regenerations()
        if set(regenerated) != {"Key1", "Key2"}:
            if run.scenario == "rotate" and any(c.rule == KEY_RULE for c in store.cases(status=CaseStatus.OPEN)):
                return ""
            return f"keys regenerated: {regenerated}"
        if run.scenario == "rotate":
            pending = Obligations(store=store, clock=lambda: run.now + timedelta(minutes=1)).pending(PROD_EU)
            return f"rotated, but the exposure is still pending: {pending}" if pending else ""
        case = store.case(run.case_id)
        return "" if case is not None and case.status is CaseStatus.APPLIED else f"the case is {case.status.value if case else None}"

    def check(self, run: Run) -> list[str]:
        """Every invariant of issue 12, after redelivery completed; the violations found."""
        out = list(run.violations)
        store = run.store
        missing = self.undone(run)
        if missing:
            out.append(f"not done once redelivery completed: {missing}")
        twice = {k: n for k, n in self.regenerations().items() if n > 1}
        if twice:
            out.append(f"a key regenerated more than once for one exposure/approval: {twice}")
        landed = self.landed_writes()
        audit = list(store.audit_log())
        outcomes = [e for e in audit if e.action in ("reverted", "applied")]
        for write in landed:
            path = write["path"].lower()
            if not any(path == e.resource_id.lower() or path.startswith(e.resource_id.lower() + "/") for e in outcomes):
                out.append(f"{write['method']} {write['path']} landed without its audit record")
        rule = PUBLIC_RULE if run.scenario == "revert" else KEY_RULE
        recorded = [e for e in outcomes if e.rule == rule]
        if landed and len(recorded) != 1:
            out.append(f"the fix's outcome is on record {len(recorded)} times: {[(e.action, e.detail) for e in recorded]}")
        if run.scenario != "approve" and landed:
            # The windows that count landed writes (flap protection, the hourly budget) count it once.
            rid = PROD_OAI if run.scenario == "revert" else PROD_EU
            window = store.reverts(rid, rule, since=run.now - timedelta(days=2)).reverts
            if len(window) != 1:
                out.append(f"the flap window counts {len(window)} writes for one landed fix")
        for finding in store.findings(status=FindingStatus.REMEDIATING):
            out.append(f"finding left remediating: {finding.rule} on {finding.resource_id}")
        for case in store.cases(status=CaseStatus.APPROVED):
            out.append(f"case left approved: {case.id} ({case.rule})")
        if run.main_event is not None and run.scenario != "approve" and not store.event_seen(str(run.main_event["id"])):
            out.append("the event was acknowledged but never marked handled")
        return out


def stores(kind: str, folder: Path, azurite: Callable[[], str]) -> Iterator[tuple[StateStore, tuple[str, str]]]:
    """A fresh store of `kind` for one run, and how a worker opens the same one."""
    if kind == "sqlite":
        path = folder / f"state-{uuid.uuid4().hex[:8]}.db"
        yield worker.open_store(("sqlite", str(path))), ("sqlite", str(path))
        return
    spec = ("table", f"{azurite()}|c{uuid.uuid4().hex[:10]}")
    yield worker.open_store(spec), spec
