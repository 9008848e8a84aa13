"""Enforcement: the one way a fix reaches Azure, for the event path and the approval desk alike.

    claim -> read -> plan -> intent recorded -> each request sent (key actions recorded one by one)
          -> verified by reading back -> outcome recorded by the caller -> intent cleared -> claim released

A handler can die after any instruction, on any instance, and Event Grid redelivers what was not
acknowledged. So every step leaves something the next handler can act on:

- The claim has an expiry (`claim_ttl`, the DRIFTGUARD_CLAIM_TTL_SECONDS setting) and is renewed
  before each write. A live claim held by another handler raises `Busy` (the delivery fails and Event
  Grid retries it later); an expired one is taken over. A handler that finds its claim taken over at a
  renewal (it stalled past the expiry) sends nothing more: its successor carries the fix on.
- The intent (the plan, and for each key action whether it was sent and whether it landed) is on record
  before the first request, under the claimed resource (a project's fix writes its hub: the intent
  stays with the project's claim, where the project's next delivery looks). A handler that takes over a dead one's claim reconciles its intent first:
  PATCH, PUT and DELETE are idempotent and verified by reading the resource back; a key regeneration is
  not, and its keys are never read, so it counts as landed when it was recorded so, or when its own
  Event Grid event came back (the request carries the intent's correlation id, which ARM puts in the
  event). Its event may come late (Event Grid holds an event whose first deliveries failed for 16
  minutes and more), so one unconfirmed is looked up in the Activity Log (`activity`), by the same
  correlation id: recorded as succeeded, it landed and is never sent again. It is sent again only when
  the log, read `CONFIRM_WINDOW` after it was sent and holding records from after it, has none of it.
  A log that cannot be read, or has nothing newer yet, answers nothing: the delivery fails (`Busy`),
  Event Grid redelivers, and the key is neither rotated blindly nor the exposure dropped. Without an
  Activity Log (no workspace configured) the action is waited for `CONFIRM_WINDOW`, then sent again.
- The outcome is recorded (audit, finding, windows) by the caller's `record`, under the claim, before
  the intent is cleared: a handler that dies in between leaves an intent whose write the next one finds
  landed, and records it then.

`observer` is told each named step as it passes (`STEPS`): the crash-point harness kills a worker there.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

import orjson

from driftguard.azure.writes import Applied, ArmWriter, PlanStale, contains
from driftguard.ids import fold
from driftguard.inventory import InventoryError
from driftguard.model import Plan, Step
from driftguard.store.base import Baseline, StateStore

if TYPE_CHECKING:
    from driftguard.azure.activity import ActionTrace

# The default claim expiry (the setting's default).
CLAIM_TTL = timedelta(minutes=5)
# Event Grid delivers a write's event within seconds; a key regeneration whose event has not come in
# this long after it was sent did not land.
CONFIRM_WINDOW = timedelta(minutes=10)
# Clocks differ: the Activity Log is searched from this long before the intent was recorded.
CLOCK_SKEW = timedelta(minutes=5)
# Markers kept with the baselines, per resource: the intent of a fix (one per claim subject), and the
# correlation ids of key actions whose own event came back.
INTENT = "intent|"
CONFIRMED = "confirmed|"

# The named steps the observer is told of, in order.
CLAIMED = "claimed"
READ = "read"
INTENT_RECORDED = "intent_recorded"
WRITE_IN_FLIGHT = "write_in_flight"
WRITE_LANDED = "write_landed"
BETWEEN_KEY_REGENERATIONS = "between_key_regenerations"
OUTCOME_RECORDED = "outcome_recorded"
STEPS = (CLAIMED, READ, INTENT_RECORDED, WRITE_IN_FLIGHT, WRITE_LANDED, BETWEEN_KEY_REGENERATIONS, OUTCOME_RECORDED)

Observer = Callable[[str], None]


class ActivityLog(Protocol):
    """The Activity Log, asked which requests succeeded (driftguard.azure.activity.ActivityReader)."""

    def succeeded(self, resource_id: str, correlations: Iterable[str], *, since: datetime) -> ActionTrace: ...


class Busy(Exception):
    """Another live handler is fixing this resource, or a key regeneration awaits confirmation: fail the
    delivery, so that Event Grid retries it later (the answer may be different then)."""


@dataclass(frozen=True, slots=True)
class Enforced:
    """What enforcing came to. `applied` is None when nothing needed writing (already fixed, or gone)."""

    write_id: str
    resource: Mapping[str, Any] | None  # the resource as read (None: gone)
    applied: Applied | None = None
    # The write was found landed from a handler that died before recording it.
    reconciled: bool = False
    # Key actions not sent again because an earlier attempt's landed.
    skipped: tuple[Step, ...] = field(default_factory=tuple)

    @property
    def plan(self) -> Plan | None:
        return self.applied.plan if self.applied is not None else None


@dataclass
class _StepState:
    correlation: str
    sent: bool = False
    landed: bool = False


class Enforcer:
    def __init__(
        self,
        *,
        store: StateStore,
        writer: ArmWriter,
        read: Callable[[str], Mapping[str, Any] | None],
        clock: Callable[[], datetime],
        observer: Observer | None = None,
        claim_ttl: timedelta = CLAIM_TTL,
        activity: ActivityLog | None = None,
    ) -> None:
        self.store = store
        self.activity = activity
        self.writer = writer
        self.read = read
        self.clock = clock
        self.observer = observer or (lambda step: None)
        self.claim_ttl = claim_ttl

    def run(
        self,
        resource_id: str,
        subject: str,
        make_plan: Callable[[Mapping[str, Any] | None], Plan | None],
        record: Callable[[Enforced], None],
    ) -> Enforced:
        """Fixes `resource_id` for `subject` (a rule id: the event path and the desk share the claim).
        `make_plan` plans from the resource as read now; `record` records the outcome (called under
        the claim, also when a dead handler's write is found landed). Raises Busy, the writer's errors,
        and CannotPlan from `make_plan`."""
        now = self.clock()
        owner = uuid.uuid4().hex
        if not self.store.claim(resource_id, subject, owner, now=now, ttl=self.claim_ttl):
            raise Busy(f"another handler is fixing {subject} on this resource: retry later")
        try:
            self.observer(CLAIMED)
            left = self._intent(resource_id, subject)
            current = self.read(resource_id)
            self.observer(READ)
            landed_actions: list[Step] = []
            if left is not None and left.get("recorded"):
                # Its outcome is on record; only the intent was left: nothing to send or record again.
                self._clear(resource_id, subject)
                return Enforced(str(left["id"]), current, reconciled=True)
            if left is not None and current is not None:
                done = self._reconcile(resource_id, left, current, now)
                if done is not None:
                    # The dead handler's write landed whole: record it, nothing to send.
                    enforced = Enforced(str(left["id"]), current, done, reconciled=True)
                    record(enforced)
                    self._mark_recorded(resource_id, subject, left)
                    self.observer(OUTCOME_RECORDED)
                    self._clear(resource_id, subject)
                    return enforced
                landed_actions = _landed_actions(left, self.store, resource_id)
            plan = make_plan(current)  # also when it is gone: a rollback recreates a deleted assignment
            if plan is None:
                self._clear(resource_id, subject)
                return Enforced(owner, current)
            try:
                enforced = self._send(resource_id, plan, subject, owner, landed_actions, now=now)
            except PlanStale:
                # A provider that does honour If-Match saw a write since the read: plan once more from a
                # read taken now (the read under the claim, not the 412, is the safety net).
                current = self.read(resource_id)
                plan = make_plan(current)
                if plan is None:
                    self._clear(resource_id, subject)
                    return Enforced(owner, current)
                enforced = self._send(
                    resource_id,
                    plan,
                    subject,
                    owner,
                    _landed_actions(self._intent(resource_id, subject) or {"plan": plan.to_json()}, self.store, resource_id),
                    now=now,
                )
            record(enforced)
            intent = self._intent(resource_id, subject)
            if intent is not None:
                self._mark_recorded(resource_id, subject, intent)
            self.observer(OUTCOME_RECORDED)
            self._clear(resource_id, subject)
            return enforced
        finally:
            self.store.release(resource_id, subject, owner)

    # --- sending -------------------------------------------------------------------------------------
    def _send(self, resource_id: str, plan: Plan, subject: str, write_id: str, landed_actions: list[Step], *, now: datetime) -> Enforced:
        skipped = tuple(s for s in plan.steps if s.method == "POST" and _key(s) in {_key(a) for a in landed_actions})
        states = [
            _StepState(f"driftguard-{write_id}-{i}", landed=step in skipped, sent=step in skipped) for i, step in enumerate(plan.steps)
        ]
        self._save_intent(resource_id, plan, subject, write_id, states, now=now)
        self.observer(INTENT_RECORDED)
        applied = Applied(plan)
        actions_sent = 0
        for step, state in zip(plan.steps, states, strict=True):
            if state.landed:
                continue
            # The claim is renewed before each write (the owner is the write id): a handler that
            # stalled past its expiry and was taken over sends nothing more.
            if not self.store.claim(resource_id, subject, write_id, now=self.clock(), ttl=self.claim_ttl):
                raise Busy(f"the claim on {subject} was taken over by another handler while this one stalled: it carries the fix on")
            if step.method == "POST":
                if actions_sent:
                    self.observer(BETWEEN_KEY_REGENERATIONS)
                # Recorded as sent before it goes: a handler that dies now leaves a question the
                # action's own event answers.
                state.sent = True
                self._save_intent(resource_id, plan, subject, write_id, states, now=now)
            self.observer(WRITE_IN_FLIGHT)
            applied.read_back.update(self.writer.apply(replace(plan, steps=(step,)), correlation=state.correlation).read_back)
            self.observer(WRITE_LANDED)
            if step.method == "POST":
                state.landed = True
                actions_sent += 1
                self._save_intent(resource_id, plan, subject, write_id, states, now=now)
        return Enforced(write_id, None, applied, skipped=skipped)

    # --- intents ---------------------------------------------------------------------------------------
    def _intent(self, resource_id: str, subject: str) -> Mapping[str, Any] | None:
        found = self.store.baseline(resource_id, INTENT + subject)
        return found.resource if found is not None and found.resource.get("plan") else None

    def _save_intent(self, resource_id: str, plan: Plan, subject: str, write_id: str, states: list[_StepState], *, now: datetime) -> None:
        body = {
            "id": write_id,
            "plan": plan.to_json(),
            "steps": [{"correlation": s.correlation, "sent": s.sent, "landed": s.landed} for s in states],
            "started": now.isoformat(),
        }
        # Kept under the claimed resource, not the plan's target: the next delivery about the claimed
        # resource looks there (a project's fix targets its hub).
        self.store.save_baseline(Baseline(resource_id, INTENT + subject, body, now))

    def _mark_recorded(self, resource_id: str, subject: str, intent: Mapping[str, Any]) -> None:
        """The outcome is on record: a handler stopping before the intent is cleared leaves nothing to
        record twice."""
        self.store.save_baseline(Baseline(resource_id, INTENT + subject, {**intent, "recorded": True}, self.clock()))

    def _clear(self, resource_id: str, subject: str) -> None:
        if self._intent(resource_id, subject) is not None:
            self.store.save_baseline(Baseline(resource_id, INTENT + subject, {}, self.clock()))

    def _reconcile(self, resource_id: str, intent: Mapping[str, Any], current: Mapping[str, Any], now: datetime) -> Applied | None:
        """The dead handler's Applied when its whole plan is found landed; None when something is left
        to send. Busy while one of its key actions may still land."""
        plan = Plan.from_json(intent["plan"])
        if fold(plan.resource_id) != fold(resource_id):
            # The fix wrote another resource (a project's hub): that one is read back.
            target = self.read(plan.resource_id)
            if target is None:
                return None
            current = target
        states = intent.get("steps") or []
        read_back: dict[str, Mapping[str, Any]] = {}
        for step, state in zip(plan.steps, states, strict=False):
            if step.method == "POST":
                correlation = str(state.get("correlation"))
                if state.get("landed") or self._confirmed(plan.resource_id, correlation):
                    continue
                started = datetime.fromisoformat(str(intent.get("started")))
                if state.get("sent") and self._landed_per_log(plan.resource_id, correlation, started, now):
                    continue
                return None
            if step.method in ("PUT", "PATCH") and fold(step.path) == fold(plan.resource_id):
                if step.body is None or not contains(current, step.body):
                    return None
                read_back[step.path] = current
            else:
                return None  # a write elsewhere (a hub, a connection): planned and sent again, idempotently
        return Applied(plan, read_back)

    def _landed_per_log(self, resource_id: str, correlation: str, started: datetime, now: datetime) -> bool:
        """Whether a key action sent by a handler that stopped, whose own event has not come, landed.
        False only when it may be sent again; Busy while that cannot be told yet."""
        if self.activity is None:
            if now - started < CONFIRM_WINDOW:
                raise Busy("a key regeneration sent by a handler that stopped has not been confirmed yet: retry later")
            return False
        try:
            trace = self.activity.succeeded(resource_id, [correlation], since=started - CLOCK_SKEW)
        except InventoryError as e:
            # Neither sent again blindly (a second rotation) nor taken as landed (an exposure dropped).
            raise Busy(f"the Activity Log could not be read to tell whether a key regeneration landed: retry later ({e})") from e
        if correlation.lower() in trace.succeeded:
            self.confirm(resource_id, correlation)  # its event, when it comes, has nothing left to tell
            return True
        if now - started < CONFIRM_WINDOW or trace.data_through is None or trace.data_through <= started:
            raise Busy("a key regeneration sent by a handler that stopped is not in the Activity Log yet: retry later")
        return False

    def _confirmed(self, resource_id: str, correlation: str) -> bool:
        return self.store.baseline(resource_id, CONFIRMED + correlation) is not None

    def confirm(self, resource_id: str, correlation: str | None) -> bool:
        """DriftGuard's own key action came back as an event: the request with this correlation id
        landed. True when it was one of an intent's."""
        if not correlation or not correlation.startswith("driftguard-"):
            return False
        self.store.save_baseline(Baseline(resource_id, CONFIRMED + correlation, {"at": self.clock().isoformat()}, self.clock()))
        return True


def _landed_actions(intent: Mapping[str, Any], store: StateStore, resource_id: str) -> list[Step]:
    plan = Plan.from_json(intent["plan"])
    out = []
    for step, state in zip(plan.steps, intent.get("steps") or [], strict=False):
        confirmed = store.baseline(resource_id, CONFIRMED + str(state.get("correlation"))) is not None
        if step.method == "POST" and (state.get("landed") or confirmed):
            out.append(step)
    return out


def _key(step: Step) -> str:
    return orjson.dumps([step.method, step.path.lower(), step.body], option=orjson.OPT_SORT_KEYS).decode()
