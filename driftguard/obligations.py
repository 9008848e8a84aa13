"""Obligations: what must still happen, however many deliveries come and on however many instances.

A key exposure (someone not on the allowlist listed or regenerated a resource's keys) is recorded when
it is seen, before anything else is done with the event, and stays pending until both keys have been
regenerated after it: one rotation answers every exposure before it, so a redelivered listing, a second
instance, or a late event about keys already rotated asks for nothing more. While key authentication
is off the keys open nothing and Azure refuses to regenerate them: the exposure waits (the fix that
turns local auth off again regenerates the keys first, and so fulfils it). An exposure that asks for no
rotation at all (a listing on a Storage account that holds no AI data) is settled: marked done, with the
reason, in a log of its own, and never pending again. An exposure on keys that are off is not settled:
turning key authentication on again would make the listed keys work.

Both logs are append-only windows in the store (`record_revert`), which every backend writes atomically:
two instances recording two exposures at once lose neither.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from driftguard.events import ChangeEvent
from driftguard.store.base import Revert, StateStore

EXPOSURES = "key-exposures"
ROTATIONS = "key-rotations"
SETTLED = "key-exposures-settled"
# How long an unanswered exposure is kept: far longer than any retry, alert or review cycle.
KEPT = timedelta(days=90)


class Obligations:
    def __init__(self, *, store: StateStore, clock: Callable[[], datetime]) -> None:
        self.store = store
        self.clock = clock

    def too_old(self, event: ChangeEvent) -> str | None:
        """Why a key event does not count, in one line, when it is older than the exposures kept: no
        rotation would be owed for it (the log forgets it), and Event Grid retries for 24 hours only, so
        it is a replay (Microsoft's 2018 sample, say). None when it counts."""
        at = self._at(event)
        age = self.clock() - at
        if age <= KEPT:
            return None
        return (
            f"the event is {age.days:,} days old (eventTime {at.date().isoformat()}): key listings older than "
            f"{KEPT.days} days are not counted as exposures, so it rotates nothing"
        )

    def _at(self, event: ChangeEvent) -> datetime:
        """The event's own time (a clock ahead of ours is not believed past now)."""
        now = self.clock()
        return min(event.time, now) if event.time is not None and event.time.tzinfo is not None else now

    def exposed(self, event: ChangeEvent) -> None:
        """Records a key exposure: when the keys were listed (the event's time; a late event about keys
        since rotated then asks for nothing) and by whom. The event id makes it one record however often
        it is delivered."""
        at = self._at(event)
        caller = event.caller_object_id or event.caller_app_id
        detail = f"{event.event_id}|{event.operation_name}|{caller or ''}|{event.correlation_id or ''}"
        self.store.record_revert(event.resource_id, EXPOSURES, Revert(at, detail, f"exposure:{event.event_id}"), window=KEPT)

    def pending(self, resource_id: str) -> tuple[Mapping[str, Any], ...]:
        """The exposures no rotation has answered yet, in the shape the key rule judges."""
        now = self.clock()
        rotations = self.store.reverts(resource_id, ROTATIONS, since=now - KEPT).reverts
        last = max((r.at for r in rotations), default=None)
        settled = {r.id for r in self.store.reverts(resource_id, SETTLED, since=now - KEPT).reverts}
        out = []
        for exposure in self.store.reverts(resource_id, EXPOSURES, since=now - KEPT).reverts:
            if last is not None and exposure.at <= last:
                continue
            if exposure.id in settled:
                continue
            event_id, operation, caller, correlation = ((exposure.caller or "") + "|||").split("|")[:4]
            out.append(
                {
                    "eventId": event_id,
                    "operationName": operation,
                    "objectId": caller or None,
                    "appId": None,
                    "correlationId": correlation or None,
                    "time": exposure.at.isoformat(),
                }
            )
        return tuple(out)

    def rotated(self, resource_id: str, *, write_id: str, at: datetime) -> None:
        """Both keys were regenerated at `at`: every exposure before it is answered."""
        self.store.record_revert(resource_id, ROTATIONS, Revert(at, None, write_id), window=KEPT)

    def settle(self, resource_id: str, reason: str) -> int:
        """Every exposure still pending on the resource is done without a rotation, for `reason` (kept
        with it). Once per exposure however often it is settled; returns how many were still pending."""
        now = self.clock()
        pending = self.pending(resource_id)
        for exposure in pending:
            settled = Revert(now, reason, f"exposure:{exposure['eventId']}")
            self.store.record_revert(resource_id, SETTLED, settled, window=KEPT)
        return len(pending)

    def settlements(self, resource_id: str) -> tuple[tuple[str, str], ...]:
        """The settled exposures (event id, reason), oldest first."""
        since = self.clock() - KEPT
        return tuple(
            ((r.id or "").removeprefix("exposure:"), r.caller or "") for r in self.store.reverts(resource_id, SETTLED, since=since).reverts
        )
