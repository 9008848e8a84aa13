"""One worker: a real OS process that handles one Event Grid delivery, one approval through the
approval API, or one run of the SLA timer, against the shared store and the HTTPS simulator, as one
Functions instance would. It can be killed (`SIGKILL`, no cleanup, no `finally`) at a named step.

The step names come from the product's own seam: the `observer` the event path, enforcement and the
desk call at each named step (`driftguard.enforcement.STEPS`, plus `before_event_mark`). The worker
installs a checkpoint there; nothing in the product knows a test is running.

Exit codes: 0 acknowledged (the delivery succeeded, or the API gave its final answer), 3 not
acknowledged (the handler raised: Event Grid redelivers; the API answered "try again"), -9 killed.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
import traceback
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import remediations
from driftguard.cases.api import ApiRequest, ApprovalApi
from driftguard.cases.desk import CaseDesk
from driftguard.enforcement import WRITE_IN_FLIGHT
from driftguard.events import parse_event
from driftguard.policy import load_policy
from driftguard.respond import Responder
from driftguard.store.base import StateStore
from driftguard.store.sqlite import SqliteStore
from driftguard.store.table import TableStore
from simulator import sample
from tests.https_arm import https_activity, https_writer

DRIFTGUARD = "d9d9d9d9-0000-4000-8000-000000000001"
ACKNOWLEDGED, NOT_ACKNOWLEDGED = 0, 3
KILLED = -signal.SIGKILL
# The approval API's answers an approver retries: the store or ARM unavailable, a fix being applied.
RETRY_STATUSES = (503,)
BUSY_MESSAGE = "being applied right now"


@dataclass(frozen=True, slots=True)
class Job:
    """What one worker does (pickled to the forked process)."""

    kind: str  # "event", "approval" or "timer"
    store: tuple[str, str]  # ("sqlite", path) or ("table", "connection string|table prefix")
    base_url: str
    ca_file: str
    policy_file: str
    now: datetime  # Event Grid's clock at this delivery (the harness plays its retry schedule)
    result_file: str
    crash_at: str | None = None
    # For `write_in_flight`: how long after the request leaves the worker dies (the simulator holds
    # the request longer, so it lands after its sender is gone).
    in_flight_s: float = 0.3
    event: dict[str, Any] | None = None
    case_id: str = ""
    plan_digest: str = ""
    principal_header: str = ""


def open_store(spec: tuple[str, str]) -> StateStore:
    kind, where = spec
    if kind == "sqlite":
        return SqliteStore(Path(where))
    connection, prefix = where.split("|", 1)
    return TableStore.from_connection_string(connection, prefix=prefix, retry_total=1)


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def checkpoint(job: Job) -> Any:
    """The observer installed in the product: kills this process at `job.crash_at`, the first time."""

    def step(name: str) -> None:
        if name != job.crash_at:
            return
        if name == WRITE_IN_FLIGHT:
            # Die while the request is on the wire: it is sent, the answer never read.
            timer = threading.Timer(job.in_flight_s, _die)
            timer.daemon = True
            timer.start()
        else:
            _die()

    return step


# A crash point inside the recording of an outcome, which is several store writes: `inside:<store
# method>:<n>` kills the worker as it makes its n-th call of that method.
INSIDE = "inside:"


def die_inside(store: Any, crash_at: str | None) -> None:
    if not crash_at or not crash_at.startswith(INSIDE):
        return
    _, method, nth = crash_at.split(":")
    original = getattr(store, method)
    calls = 0

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == int(nth):
            _die()
        return original(*args, **kwargs)

    setattr(store, method, wrapped)


def main(job: Job) -> None:
    """The process's body: exits with ACKNOWLEDGED or NOT_ACKNOWLEDGED (or is killed)."""
    started = time.monotonic()

    def clock() -> datetime:
        return job.now + timedelta(seconds=time.monotonic() - started)

    result: dict[str, Any] = {"pid": os.getpid()}
    code = NOT_ACKNOWLEDGED
    try:
        store = open_store(job.store)
        die_inside(store, job.crash_at)
        writer = https_writer(job.base_url, job.ca_file, DRIFTGUARD, read_timeout=5.0)
        # As deployed: the app reads the Activity Log its workspace receives.
        activity = https_activity(job.base_url, job.ca_file, DRIFTGUARD)
        policy = load_policy(Path(job.policy_file))
        observer = checkpoint(job)
        if job.kind == "event":
            assert job.event is not None
            responder = Responder(
                policy=policy,
                store=store,
                reader=writer.read,
                writer=writer,
                remediations=remediations.registry(),
                subscriptions=sample.SUBSCRIPTIONS,
                identity_ids=(DRIFTGUARD,),
                clock=clock,
                observer=observer,
                activity=activity,
            )
            result["outcomes"] = [r.to_json() for r in responder.handle(parse_event(job.event))]
            code = ACKNOWLEDGED
        else:
            desk = CaseDesk(
                policy=policy,
                store=store,
                reader=writer.read,
                writer=writer,
                remediations=remediations.registry(),
                clock=clock,
                observer=observer,
                activity=activity,
            )
            if job.kind == "timer":
                result["sla"] = desk.enforce_sla()
                code = ACKNOWLEDGED
            else:
                code = _approve(job, desk, result)
    except Exception as e:  # any failure fails the invocation: Event Grid (or the approver) tries again
        result["error"] = f"{type(e).__name__}: {e}"
        result["traceback"] = traceback.format_exc()
        code = NOT_ACKNOWLEDGED
    Path(job.result_file).write_text(json.dumps(result, default=str))
    raise SystemExit(code)


def _approve(job: Job, desk: CaseDesk, result: dict[str, Any]) -> int:
    """An approver's POST /api/cases/{id}/approve, through the approval API as the host calls it."""
    api = ApprovalApi(lambda: desk, easy_auth=True)
    request = ApiRequest(
        "POST",
        headers={
            "x-ms-client-principal": job.principal_header,
            "x-driftguard-request": "1",
            "content-type": "application/json",
        },
        body=json.dumps({"reason": "CHG-4711 rotate the exposed keys", "plan_digest": job.plan_digest}).encode(),
    )
    answer = api.decide(request, job.case_id, "approve")
    body = answer.json()
    result["status"] = answer.status
    result["answer"] = body
    message = str(body.get("error") or body.get("message") or "")
    if answer.status in RETRY_STATUSES or (answer.status == 409 and BUSY_MESSAGE in message):
        return NOT_ACKNOWLEDGED  # the approver is told to try again, and does
    return ACKNOWLEDGED
