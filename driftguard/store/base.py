"""The state store's contract: what DriftGuard remembers between events, and how writers coordinate.

Two backends implement it: Azure Table Storage (production) and SQLite (the CLI and the demo). One
contract test suite runs against both. Secrets never reach the store: remediations record the values
they change, never keys Azure returns.
"""

from __future__ import annotations

import hashlib
import itertools
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from driftguard.ids import fold


class StoreConflict(Exception):
    """Someone else changed the record first (optimistic concurrency): re-read and decide again."""


class StoreUnavailable(Exception):
    """The store cannot be reached: a transient failure, raised so that Event Grid redelivers."""


class FindingStatus(StrEnum):
    OPEN = "open"
    REMEDIATING = "remediating"
    RESOLVED = "resolved"
    SUPPRESSED = "suppressed"


class CaseStatus(StrEnum):
    OPEN = "open"
    APPROVED = "approved"
    APPLIED = "applied"
    REJECTED = "rejected"
    EXPIRED = "expired"
    SUPERSEDED = "superseded"
    FAILED = "failed"


class CaseKind(StrEnum):
    FIX = "fix"  # apply a remediation plan
    ROLLBACK = "rollback"  # put back the before-values of an applied case (approved like any fix)
    INCIDENT = "incident"  # a Defender for AI alert: what it says, and its playbook's plan when it has one


# Where a case's evidence names the principals behind it (see Case.causers).
# `alert_principals` is a list: the principals a Defender for AI alert names (object ids and UPNs).
CAUSER_KEYS = ("caller_object_id", "caller_app_id", "requested_by", "beneficiary", "alert_principals")
# What the event that carried the caller says of the change: kept with the caller on a re-detection.
CAUSE_EVENT_KEYS = ("event_time", "correlation_id", "event_id")
# The statuses after which a repeated detection opens the next case for the same dedupe key.
CLOSED = frozenset({CaseStatus.APPLIED, CaseStatus.REJECTED, CaseStatus.EXPIRED, CaseStatus.SUPERSEDED, CaseStatus.FAILED})


@dataclass(frozen=True, slots=True)
class Approval:
    """One approver's signature on one plan digest: an approval of another plan does not count."""

    principal: str
    name: str
    at: datetime
    plan_digest: str
    reason: str


@dataclass(frozen=True, slots=True)
class CaseEvent:
    """One line of a case's history: who did what, and why."""

    at: datetime
    actor: str
    action: str
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Case:
    """A decision that needs a person. `dedupe_key` (rule + resource, + principal for access rules)
    makes a repeated detection update the same case instead of opening another; once a case is
    closed, the next detection opens the next generation of the same key (same external ticket)."""

    dedupe_key: str
    rule: str
    resource_id: str
    status: CaseStatus
    reason: str
    opened_at: datetime
    updated_at: datetime
    # The exact remediation plan (Plan.to_json()) and its digest, when there is a fix to approve.
    plan: Mapping[str, Any] | None = None
    plan_digest: str | None = None
    # Who changed what: the finding, the caller's claims, the correlation id.
    evidence: Mapping[str, Any] = field(default_factory=dict)
    detections: int = 1
    generation: int = 0
    kind: CaseKind = CaseKind.FIX
    approvals: tuple[Approval, ...] = ()
    history: tuple[CaseEvent, ...] = ()
    # The case that replaced this one (a different plan at approval time), or the one a rollback undoes.
    related_case: str | None = None
    # The plan as sent, with the before-values read right before sending: what a rollback restores.
    applied_plan: Mapping[str, Any] | None = None
    # When the SLA timer last re-notified about this case.
    reminded_at: datetime | None = None
    # The store's version of the record: None for a record not saved yet. Saving with a stale version
    # raises StoreConflict.
    version: str | None = None
    # Set only on what `open_case` returns, never stored: True when that call wrote a new case (a new
    # dedupe key, or its next generation), False when the detection went into a case someone had
    # already written. Only the caller that created a case announces it.
    created: bool = field(default=False, compare=False)

    @property
    def id(self) -> str:
        return case_id(self.dedupe_key, self.generation)

    @property
    def key_hash(self) -> str:
        return dedupe_hash(self.dedupe_key)

    @property
    def valid_approvals(self) -> tuple[Approval, ...]:
        """The approvals of the plan as it stands: an approval of another plan does not count."""
        return tuple(a for a in self.approvals if a.plan_digest == self.plan_digest)

    @property
    def causers(self) -> frozenset[str]:
        """The principals behind the change the case is about (and, for a rollback, who asked for it
        and who would get access back): none of them may approve it."""
        found: set[str] = set()
        for key in CAUSER_KEYS:
            value = self.evidence.get(key)
            found.update(str(v or "").strip().lower() for v in (value if isinstance(value, list | tuple) else (value,)))
        return frozenset(found - {""})

    def with_event(self, at: datetime, actor: str, action: str, detail: str = "") -> Case:
        return replace(self, updated_at=at, history=(*self.history, CaseEvent(at, actor, action, detail)))


# Told after every change of a case ("opened", "updated", "approved", "applied", ...): the outbox of
# ticket and event notifications hooks in here.
CaseListener = Callable[["Case", str], None]


# Told about findings and automatic remediations: (CloudEvent type, subject resource id, data).
NoticeListener = Callable[[str, str, Mapping[str, Any]], None]


def dedupe_key(rule: str, resource_id: str, principal: object = None) -> str:
    """A case's dedupe key: rule + resource, + the principal for access rules (an assignment's holder)."""
    return f"{rule}|{resource_id}" if not principal else f"{rule}|{resource_id}|{str(principal).lower()}"


def dedupe_hash(dedupe_key: str) -> str:
    """Dedupe keys hold resource ids, folded as ARM compares them (the rest of the key is ASCII)."""
    return hashlib.sha256(fold(dedupe_key).encode()).hexdigest()[:24]


def case_id(dedupe_key: str, generation: int = 0) -> str:
    return f"{dedupe_hash(dedupe_key)}-{generation}"


def split_case_id(value: str) -> tuple[str, int] | None:
    """(dedupe hash, generation) of a well-formed case id, else None (ids arrive in URLs)."""
    head, sep, tail = value.partition("-")
    if not sep or len(head) != 24 or not tail.isdigit() or len(tail) > 6 or any(c not in "0123456789abcdef" for c in head):
        return None
    return head, int(tail)


def case_to_json(case: Case) -> dict[str, Any]:
    return {
        "id": case.id,
        "dedupe_key": case.dedupe_key,
        "generation": case.generation,
        "kind": case.kind.value,
        "rule": case.rule,
        "resource_id": case.resource_id,
        "status": case.status.value,
        "reason": case.reason,
        "opened_at": case.opened_at.isoformat(),
        "updated_at": case.updated_at.isoformat(),
        "plan": case.plan,
        "plan_digest": case.plan_digest,
        "evidence": case.evidence,
        "detections": case.detections,
        "approvals": [
            {"principal": a.principal, "name": a.name, "at": a.at.isoformat(), "plan_digest": a.plan_digest, "reason": a.reason}
            for a in case.approvals
        ],
        "history": [{"at": e.at.isoformat(), "actor": e.actor, "action": e.action, "detail": e.detail} for e in case.history],
        "related_case": case.related_case,
        "applied_plan": case.applied_plan,
        "reminded_at": case.reminded_at.isoformat() if case.reminded_at else None,
    }


def case_from_json(data: Mapping[str, Any], *, version: str | None = None) -> Case:
    return Case(
        dedupe_key=data["dedupe_key"],
        rule=data["rule"],
        resource_id=data["resource_id"],
        status=CaseStatus(data["status"]),
        reason=data["reason"],
        opened_at=datetime.fromisoformat(data["opened_at"]),
        updated_at=datetime.fromisoformat(data["updated_at"]),
        plan=data.get("plan"),
        plan_digest=data.get("plan_digest"),
        evidence=data.get("evidence") or {},
        detections=int(data.get("detections", 1)),
        generation=int(data.get("generation", 0)),
        kind=CaseKind(data.get("kind", "fix")),
        approvals=tuple(
            Approval(a["principal"], a["name"], datetime.fromisoformat(a["at"]), a["plan_digest"], a["reason"])
            for a in data.get("approvals") or ()
        ),
        history=tuple(CaseEvent(datetime.fromisoformat(e["at"]), e["actor"], e["action"], e["detail"]) for e in data.get("history") or ()),
        related_case=data.get("related_case"),
        applied_plan=data.get("applied_plan"),
        reminded_at=datetime.fromisoformat(data["reminded_at"]) if data.get("reminded_at") else None,
        version=version,
    )


def fold_detection(current: Case | None, new: Case) -> Case:
    """What `open_case` writes for a detection, given the latest case of its dedupe key.

    An open case absorbs the detection (newest reason, plan and evidence; first opening time, history
    and the approvals of an unchanged plan kept). An approved case is being applied: only counted. A
    rejected case keeps counting while the plan is the one rejected (the decision stands; an exemption
    in the policy file is how to stop seeing it). Otherwise the next generation opens."""
    if current is None:
        return replace(
            new, generation=0, version=None, history=new.history or (CaseEvent(new.opened_at, "driftguard", "opened", new.reason),)
        )
    counted = replace(current, detections=current.detections + 1, updated_at=new.updated_at)
    if current.status is CaseStatus.OPEN:
        approvals = current.approvals if new.plan_digest == current.plan_digest else ()
        # Who caused it stays on the case: a sweep or an access review sees the same drift with no
        # caller, and must not hand its approval to the principal who caused it.
        kept = {k: current.evidence[k] for k in CAUSER_KEYS if current.evidence.get(k) and not new.evidence.get(k)}
        if kept and not any(new.evidence.get(k) for k in CAUSER_KEYS):
            # The change's event stays with its caller (when, correlation id, event id): a sweep's own
            # event id or none at all would leave the caller without the time of the change.
            kept |= {k: current.evidence[k] for k in CAUSE_EVENT_KEYS if current.evidence.get(k)}
        return replace(
            new,
            evidence={**new.evidence, **kept},
            generation=current.generation,
            kind=current.kind,
            opened_at=current.opened_at,
            detections=current.detections + 1,
            approvals=approvals,
            history=current.history,
            related_case=current.related_case,
            reminded_at=current.reminded_at,
            version=current.version,
        )
    if current.status is CaseStatus.APPROVED or (current.status is CaseStatus.REJECTED and new.plan_digest == current.plan_digest):
        return counted
    return replace(
        new,
        generation=current.generation + 1,
        version=None,
        history=(CaseEvent(new.opened_at, "driftguard", "opened", f"detected again after case {current.id} was {current.status.value}"),),
    )


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """One notification waiting for its sink (a ticket system, the event topic). Items are delivered
    oldest first; a failed one waits until `next_attempt_at` and is never dropped."""

    id: str  # sorts by creation time (see `outbox_id`)
    sink: str
    # Items with the same key go out in order (a ticket's create before its update and close).
    key: str
    payload: Mapping[str, Any]
    created_at: datetime
    next_attempt_at: datetime
    attempts: int = 0
    last_error: str = ""


_SEQUENCE = itertools.count()


def outbox_id(at: datetime) -> str:
    """A unique id that sorts as text in creation order (within a process also for equal times)."""
    return f"{at.astimezone(UTC).strftime('%Y%m%dT%H%M%S%fZ')}-{next(_SEQUENCE) % 10**10:010d}-{uuid.uuid4().hex[:8]}"


def outbox_to_json(item: OutboxItem) -> dict[str, Any]:
    return {
        "id": item.id,
        "sink": item.sink,
        "key": item.key,
        "payload": item.payload,
        "created_at": item.created_at.isoformat(),
        "next_attempt_at": item.next_attempt_at.isoformat(),
        "attempts": item.attempts,
        "last_error": item.last_error,
    }


def outbox_from_json(data: Mapping[str, Any]) -> OutboxItem:
    return OutboxItem(
        id=data["id"],
        sink=data["sink"],
        key=data["key"],
        payload=data["payload"],
        created_at=datetime.fromisoformat(data["created_at"]),
        next_attempt_at=datetime.fromisoformat(data["next_attempt_at"]),
        attempts=int(data["attempts"]),
        last_error=data.get("last_error", ""),
    )


@dataclass(frozen=True, slots=True)
class Baseline:
    """The last-known-good state of a resource for one rule: the resource as read when it passed."""

    resource_id: str
    rule: str
    resource: Mapping[str, Any]
    recorded_at: datetime


@dataclass(frozen=True, slots=True)
class FindingRecord:
    rule: str
    resource_id: str
    status: FindingStatus
    finding: Mapping[str, Any]
    first_seen: datetime
    last_seen: datetime
    # The store's version of the record: None for a record not saved yet. Saving with a stale version
    # raises StoreConflict.
    version: str | None = None

    def with_status(self, status: FindingStatus, *, now: datetime) -> FindingRecord:
        return replace(self, status=status, last_seen=now)


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One append-only audit record: who did what to which resource, with the values before and after."""

    at: datetime
    actor: str
    action: str
    resource_id: str
    rule: str | None = None
    before: Mapping[str, Any] | None = None
    after: Mapping[str, Any] | None = None
    correlation_id: str | None = None
    detail: str = ""
    # The landed write this record is the outcome of. A record with one is appended once per (write,
    # action) whoever records it and however often: a handler that dies while recording a write's
    # outcome leaves it to the next owner, who records it again.
    write_id: str | None = None


@dataclass(frozen=True, slots=True)
class Revert:
    at: datetime
    # The principal whose change DriftGuard reverted (object id), when the event named one.
    caller: str | None = None
    # The write it counts (an enforcement's write id): recording the same write again counts it once,
    # whichever instance records it and however often.
    id: str | None = None


@dataclass(frozen=True, slots=True)
class FlapWindow:
    reverts: tuple[Revert, ...] = field(default_factory=tuple)

    @property
    def callers(self) -> tuple[str, ...]:
        return tuple(sorted({r.caller for r in self.reverts if r.caller}))


@dataclass(frozen=True, slots=True)
class Charge:
    """One amount taken from a daily budget: `counter` names the budget (any text), `cap` is its limit
    for the day."""

    counter: str
    amount: int
    cap: int


class StateStore(Protocol):
    # --- dedupe ------------------------------------------------------------------------------------
    def first_sight_of_event(self, event_id: str, *, now: datetime) -> bool:
        """Records the event id; True only for the first caller (Event Grid delivers at least once)."""
        ...

    def event_seen(self, event_id: str) -> bool:
        """Whether the event was recorded as handled (a read: handling records it when it completes)."""
        ...

    def last_state(self, resource_id: str) -> str | None:
        """The state hash last recorded for the resource (a read)."""
        ...

    def state_changed(self, resource_id: str, state_hash: str, *, now: datetime) -> bool:
        """Records the resource's state hash; False when it equals the last one recorded."""
        ...

    def purge_marks(self, *, before: datetime) -> int:
        """Drops event and state marks older than `before`; returns how many."""
        ...

    # --- baselines -----------------------------------------------------------------------------------
    def baseline(self, resource_id: str, rule: str) -> Baseline | None: ...

    def save_baseline(self, baseline: Baseline) -> None: ...

    def forget_baseline(self, resource_id: str, rule: str) -> None:
        """Drops the rule's last-known-good state of the resource (none: nothing to revert to)."""
        ...

    # --- findings ------------------------------------------------------------------------------------
    def finding(self, rule: str, resource_id: str) -> FindingRecord | None: ...

    def save_finding(self, record: FindingRecord) -> FindingRecord:
        """Saves if `record.version` is still current (None: must not exist yet); returns the record
        with its new version, or raises StoreConflict."""
        ...

    def findings(self, *, status: FindingStatus | None = None) -> Iterator[FindingRecord]: ...

    # --- coordination --------------------------------------------------------------------------------
    def claim(self, resource_id: str, rule: str, owner: str, *, now: datetime, ttl: timedelta) -> bool:
        """Takes the right to remediate (resource, rule) until `now + ttl`. True for exactly one of
        several concurrent callers; an expired claim can be taken over."""
        ...

    def release(self, resource_id: str, rule: str, owner: str) -> None:
        """Gives a claim back; a claim held by another owner is left alone."""
        ...

    # --- cases ---------------------------------------------------------------------------------------
    def open_case(self, case: Case, *, if_absent: bool = False) -> Case:
        """Folds the detection into the latest case of its dedupe key (see `fold_detection`) and returns
        the case as stored, with its version and `created` (atomically: of callers racing to open the
        same case, exactly one is told it created it). With `if_absent`, a key that has a case already
        (any generation, any status) is left as it is and that case returned (`created` False): one
        thing, such as an alert, is one case however many readers see it."""
        ...

    def case(self, case_id: str) -> Case | None:
        """The case, or None (also for a malformed id)."""
        ...

    def current_case(self, dedupe_key: str) -> Case | None:
        """The latest generation of the dedupe key's case."""
        ...

    def save_case(self, case: Case) -> Case:
        """Saves a decision on a case if `case.version` is still current; returns it with its new
        version, or raises StoreConflict (someone decided first: re-read and decide again)."""
        ...

    def cases(self, *, status: CaseStatus | None = None) -> Iterator[Case]:
        """Oldest first."""
        ...

    # --- notifications ---------------------------------------------------------------------------------
    def enqueue(self, items: Sequence[OutboxItem]) -> None:
        """Adds notifications to the outbox (in the same call as the change they report, where the
        backend allows)."""
        ...

    def outbox(self, *, due_by: datetime | None = None, limit: int = 500) -> list[OutboxItem]:
        """Waiting items, oldest first; only those due by `due_by` when given."""
        ...

    def delivered(self, item: OutboxItem) -> None:
        """Removes a delivered item."""
        ...

    def retry_later(self, item: OutboxItem, *, error: str, at: datetime) -> None:
        """Keeps a failed item, one attempt more, until `at`."""
        ...

    def ticket_ref(self, sink: str, key: str) -> str | None:
        """The external ticket a sink opened for a dedupe key (an issue number, a sys_id, ...)."""
        ...

    def save_ticket_ref(self, sink: str, key: str, ref: str) -> None: ...

    # --- access reviews --------------------------------------------------------------------------------
    def save_review(self, taken_at: datetime, snapshot: Mapping[str, Any]) -> None:
        """Keeps a review's figures and compact rows, so that the next review can show the creep."""
        ...

    def reviews(self, *, limit: int = 52) -> list[tuple[datetime, Mapping[str, Any]]]:
        """The latest snapshots, oldest first."""
        ...

    # --- audit ---------------------------------------------------------------------------------------
    def append_audit(self, entry: AuditEntry) -> None: ...

    def audit_log(self, *, resource_id: str | None = None) -> Iterator[AuditEntry]:
        """Entries oldest first."""
        ...

    # --- flap protection -----------------------------------------------------------------------------
    def record_revert(self, resource_id: str, rule: str, revert: Revert, *, window: timedelta) -> FlapWindow:
        """Adds a revert (once per `revert.id`, when it has one) and returns the reverts of (resource,
        rule) inside the window ending at it."""
        ...

    def reverts(self, resource_id: str, rule: str, *, since: datetime) -> FlapWindow:
        """The reverts of (resource, rule) at or after `since` (a read)."""
        ...

    # --- budgets -------------------------------------------------------------------------------------
    def reserve_budget(self, day: date, charges: Sequence[Charge]) -> bool:
        """Takes every charge from its counter for `day` (UTC) if none goes past its cap: all or none,
        atomically across instances. Reserved before the spending, never refunded: a crash in between
        costs budget, never overshoots it."""
        ...

    def budget_used(self, day: date, counter: str) -> int:
        """What `counter` has spent on `day` (0 when nothing)."""
        ...


def audit_to_json(entry: AuditEntry) -> dict[str, Any]:
    return {
        "at": entry.at.isoformat(),
        "actor": entry.actor,
        "action": entry.action,
        "resource_id": entry.resource_id,
        "rule": entry.rule,
        "before": entry.before,
        "after": entry.after,
        "correlation_id": entry.correlation_id,
        "detail": entry.detail,
        "write_id": entry.write_id,
    }


def audit_from_json(data: dict[str, Any]) -> AuditEntry:
    return AuditEntry(
        at=datetime.fromisoformat(data["at"]),
        actor=data["actor"],
        action=data["action"],
        resource_id=data["resource_id"],
        rule=data.get("rule"),
        before=data.get("before"),
        after=data.get("after"),
        correlation_id=data.get("correlation_id"),
        detail=data.get("detail", ""),
        write_id=data.get("write_id"),
    )


def resource_key(resource_id: str) -> str:
    """A key for a resource id that any backend accepts (Table keys cannot hold '/'): ids are
    case-insensitive, so the hash is of the id folded as ARM compares ids."""
    return hashlib.sha256(fold(resource_id).encode()).hexdigest()[:40]
