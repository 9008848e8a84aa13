"""Event Grid trigger: a resource change in, a revert or a case out, within one invocation.

A bad event is logged with its reason and acknowledged (a retry would not make it better); a
transient failure (ARM or the store unreachable) raises so that Event Grid redelivers.
"""

from __future__ import annotations

import logging
from typing import Any

import azure.functions as func

from driftguard.events import EventRejected, parse_event
from functions import runtime

log = logging.getLogger("driftguard.events")
bp = func.Blueprint()  # type: ignore[no-untyped-call]


def as_event_grid(event: func.EventGridEvent) -> dict[str, Any]:
    """The event as Event Grid sent it, rebuilt from the binding's fields."""
    try:
        data = event.get_json()
    except ValueError:
        data = None
    return {
        "id": event.id,
        "eventType": event.event_type,
        "subject": event.subject,
        "topic": event.topic,
        "eventTime": event.event_time.isoformat() if event.event_time else "",
        "dataVersion": event.data_version,
        "data": data,
    }


@bp.event_grid_trigger(arg_name="event")
def on_resource_event(event: func.EventGridEvent) -> None:
    try:
        change = parse_event(as_event_grid(event))
    except EventRejected as e:
        log.warning("event %s rejected and acknowledged: %s", e.event_id or "(no id)", e.reason)
        return
    responder = runtime.responder()
    for result in responder.handle(change):
        log.info("event %s: %s %s on %s: %s", result.event_id, result.outcome.value, result.rule or "", result.resource_id, result.reason)
    log.info("outcomes since start: %s", dict(responder.counts))
