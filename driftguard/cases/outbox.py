"""The outbox: every notification about a case or a finding is first written to the store, then
delivered by a timer, so that a ticket system's outage never blocks a remediation and never loses a
notification.

Ticket sinks get the case's state, not a stream of messages: pending items of one (sink, dedupe key)
are delivered as one sync to the newest state, in order, and removed together only once the sink took
it. A failed delivery is retried a few times with jittered backoff (tenacity), then waits in the
store for a later run, with a growing delay, as long as it takes.
"""

from __future__ import annotations

import functools
import logging
import random
import traceback
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_random_exponential

from driftguard.azure.publish import SOURCE, EventPublisher, PublishFailed
from driftguard.cases.sinks import Sink, SinkError, ticket_of
from driftguard.store.base import Case, OutboxItem, StateStore, StoreUnavailable, case_to_json, outbox_id

log = logging.getLogger("driftguard.outbox")

EVENTS_SINK = "eventgrid"  # the outbox's name for the custom topic
# What each change of a case publishes (others only update tickets).
CASE_EVENT_TYPES = {
    "opened": "DriftGuard.Case.Opened",
    "approved": "DriftGuard.Case.Decided",
    "rejected": "DriftGuard.Case.Decided",
    "expired": "DriftGuard.Case.Decided",
    "superseded": "DriftGuard.Case.Decided",
    "applied": "DriftGuard.Remediation.Applied",
    "failed": "DriftGuard.Remediation.Failed",
}
MAX_DELAY = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class Delivery:
    delivered: int = 0  # items removed from the outbox after their sink took them
    deferred: int = 0  # items kept for a later run
    dropped: int = 0  # items of sinks no longer configured
    waiting: int = 0  # items not yet due


def _transient(e: BaseException) -> bool:
    return isinstance(e, SinkError | PublishFailed) and e.transient


class Outbox:
    def __init__(
        self,
        store: StateStore,
        *,
        sinks: Sequence[Sink] = (),
        publisher: EventPublisher | None = None,
        console_url: str | None = None,
        clock: Callable[[], datetime] | None = None,
        attempts: int = 3,
        max_wait_s: float = 2.0,
    ) -> None:
        self.store = store
        self.sinks = {s.name: s for s in sinks}
        self.publisher = publisher
        self.console_url = console_url
        self.clock = clock or (lambda: datetime.now(UTC))
        self._retry = Retrying(
            stop=stop_after_attempt(attempts),
            wait=wait_random_exponential(multiplier=max_wait_s / 4, max=max_wait_s),
            retry=retry_if_exception(_transient),
            reraise=True,
        )

    # --- producers (the store write happens with the change) ------------------------------------------
    def case_changed(self, case: Case, event: str) -> None:
        now = self.clock()
        snapshot = case_to_json(case)
        items = [OutboxItem(outbox_id(now), name, case.dedupe_key, {"event": event, "case": snapshot}, now, now) for name in self.sinks]
        kind = CASE_EVENT_TYPES.get(event)
        if kind is not None and self.publisher is not None:
            data = {
                "case_id": case.id,
                "event": event,
                "status": case.status.value,
                "rule": case.rule,
                "resource_id": case.resource_id,
                "reason": case.reason,
                "plan_digest": case.plan_digest,
                "kind": case.kind.value,
            }
            items.append(self._event_item(kind, case.resource_id, data, now))
        if items:
            self.store.enqueue(items)

    def notice(self, kind: str, subject: str, data: Mapping[str, Any]) -> None:
        """A finding or an automatic remediation, for the event topic."""
        if self.publisher is not None:
            self.store.enqueue([self._event_item(kind, subject, data, self.clock())])

    @staticmethod
    def _event_item(kind: str, subject: str, data: Mapping[str, Any], now: datetime) -> OutboxItem:
        event_id = str(uuid.uuid4())
        event = {"id": event_id, "type": kind, "source": SOURCE, "subject": subject, "data": dict(data)}
        return OutboxItem(outbox_id(now), EVENTS_SINK, event_id, {"cloudevent": event}, now, now)

    # --- delivery ----------------------------------------------------------------------------------------
    def deliver(self, *, limit: int = 500) -> Delivery:
        now = self.clock()
        pending = self.store.outbox(limit=limit)
        events = [i for i in pending if i.sink == EVENTS_SINK]
        groups: dict[tuple[str, str], list[OutboxItem]] = {}
        for item in pending:
            if item.sink != EVENTS_SINK:
                groups.setdefault((item.sink, item.key.lower()), []).append(item)
        delivered = deferred = dropped = waiting = 0
        due_events = [i for i in events if i.next_attempt_at <= now]
        waiting += len(events) - len(due_events)
        if due_events:
            ok = self._attempt(due_events, functools.partial(self._publish, due_events), now)
            delivered, deferred = (delivered + len(due_events), deferred) if ok else (delivered, deferred + len(due_events))
        for (name, _), items in groups.items():
            if max(i.next_attempt_at for i in items) > now:  # a new item does not jump a failed one's backoff
                waiting += len(items)
                continue
            sink = self.sinks.get(name)
            if sink is None:
                log.warning("outbox: sink %r is no longer configured: %d notification(s) dropped", name, len(items))
                for item in items:
                    self.store.delivered(item)
                dropped += len(items)
                continue
            if self._attempt(items, functools.partial(self._sync, sink, items), now):
                delivered += len(items)
            else:
                deferred += len(items)
        return Delivery(delivered, deferred, dropped, waiting)

    def _attempt(self, items: list[OutboxItem], send: Callable[[], None], now: datetime) -> bool:
        """Delivers one sink's items; whatever goes wrong is that sink's failure alone: its items wait
        for a later run and the other sinks are delivered."""
        try:
            self._retry(send)
        except StoreUnavailable:
            raise  # nothing can be recorded: the timer fails and the next run starts over
        except (SinkError, PublishFailed) as e:
            self._defer(items, str(e), now)
            return False
        except Exception as e:  # an answer no check foresaw, or a sink's bug
            # Only the type and where it was raised: an exception's text may quote a request (a URL
            # that is a secret, a header) or an answer.
            frame = traceback.extract_tb(e.__traceback__)[-1]
            self._defer(items, f"unexpected {type(e).__name__} at {Path(frame.filename).name}:{frame.lineno}", now)
            return False
        for item in items:
            self.store.delivered(item)
        return True

    def _defer(self, items: list[OutboxItem], error: str, now: datetime) -> None:
        attempts = max(i.attempts for i in items) + 1
        delay = min(timedelta(minutes=2**attempts), MAX_DELAY) + timedelta(seconds=random.uniform(0, 30))
        log.warning("outbox: %s failed (attempt %d), next try in %s: %s", items[0].sink, attempts, delay, error)
        for item in items:
            self.store.retry_later(item, error=error, at=now + delay)

    def _publish(self, items: list[OutboxItem]) -> None:
        assert self.publisher is not None, "event items are only queued when a topic is configured"
        self.publisher.publish([i.payload["cloudevent"] for i in items])

    def _sync(self, sink: Sink, items: list[OutboxItem]) -> None:
        """Brings the sink's ticket for the key to the newest state the items carry."""
        latest = items[-1].payload
        # A new case for the key reopens its ticket, even when later changes came in the same run.
        event = "opened" if any(i.payload.get("event") == "opened" for i in items) else str(latest.get("event"))
        ticket = ticket_of(latest["case"], event, console_url=self.console_url)
        key = items[-1].key
        ref = self.store.ticket_ref(sink.name, key)
        if ref is None:
            ref = sink.create(ticket)
            self.store.save_ticket_ref(sink.name, key, ref)
            if ticket.closed:
                sink.close(ref, ticket)
        elif ticket.closed:
            sink.close(ref, ticket)
        else:
            sink.update(ref, ticket)
