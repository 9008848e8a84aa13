"""Sending a plan so that a retry repeats only what repeats harmlessly.

A PATCH, PUT or DELETE sent twice leaves the same state; a POST action does not: each `regenerateKey`
makes new keys. A plan that regenerates keys before the PATCH that turns local auth off can fail at the
PATCH (a 503, a conflict) after its POSTs went through; the same drift is then fixed again, by the
redelivered event or by another event about the resource. Within minutes that is the same fix: the
POSTs already sent are recorded with the resource and not sent again. Once the whole plan went through
the record is cleared, so drift that comes back later gets a rotation of its own; a retry after the
window regenerates again, since the keys made by the first attempt have been listable meanwhile.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import orjson

from driftguard.azure.writes import Applied, ArmWriter
from driftguard.model import Plan, Step
from driftguard.store.base import Baseline, StateStore

# Kept with the baselines, like the other per-resource markers: {"remediation": ..., "sent": [step keys]}.
SENT_ACTIONS = "sent-actions"
# Event Grid's first retries come within about a minute; a handler's claim on a resource lasts five.
RETRY_WINDOW = timedelta(minutes=5)


def send(plan: Plan, *, writer: ArmWriter, store: StateStore, now: datetime) -> Applied:
    """Sends `plan` in its order, skipping POST steps a recent, unfinished attempt at it already sent."""
    actions = any(step.method == "POST" for step in plan.steps)
    sent = _recently_sent(plan, store, now) if actions else []
    applied = Applied(plan)
    pending: list[Step] = []

    def flush() -> None:
        if pending:
            applied.read_back.update(writer.apply(replace(plan, steps=tuple(pending))).read_back)
            pending.clear()

    for step in plan.steps:
        if step.method != "POST":
            pending.append(step)
            continue
        flush()  # the order on the wire is the plan's
        key = _key(step)
        if key in sent:
            continue
        writer.apply(replace(plan, steps=(step,)))
        sent.append(key)
        _record(plan, store, sent, now)
    flush()
    if actions:
        _record(plan, store, [], now)  # done: the next drift is a new fix
    return applied


def _recently_sent(plan: Plan, store: StateStore, now: datetime) -> list[str]:
    record = store.baseline(plan.resource_id, SENT_ACTIONS)
    if record is None or record.resource.get("remediation") != plan.remediation or now - record.recorded_at > RETRY_WINDOW:
        return []
    return [str(k) for k in record.resource.get("sent") or []]


def _record(plan: Plan, store: StateStore, sent: list[str], now: datetime) -> None:
    store.save_baseline(Baseline(plan.resource_id, SENT_ACTIONS, {"remediation": plan.remediation, "sent": list(sent)}, now))


def _key(step: Step) -> str:
    return orjson.dumps([step.method, step.path.lower(), step.body], option=orjson.OPT_SORT_KEYS).decode()
