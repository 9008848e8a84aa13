"""The state store's contract: what DriftGuard remembers between events, and how writers coordinate.

Two backends implement it: Azure Table Storage (production) and SQLite (the CLI and the demo). One
contract test suite runs against both. Secrets never reach the store: remediations record the values
they change, never keys Azure returns.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol


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


@dataclass(frozen=True, slots=True)
class Case:
    """A decision that needs a person. `dedupe_key` (rule + resource, + principal for access rules)
    makes a repeated detection update the same case instead of opening another."""

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
    evidence: Mapping[str, Any] = field(default_factory=dict)
    detections: int = 1

    @property
    def id(self) -> str:
        return case_id(self.dedupe_key)


def case_id(dedupe_key: str) -> str:
    return hashlib.sha256(dedupe_key.lower().encode()).hexdigest()[:24]


def case_to_json(case: Case) -> dict[str, Any]:
    return {
        "dedupe_key": case.dedupe_key,
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
    }


def case_from_json(data: Mapping[str, Any]) -> Case:
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
    )


def merge_detection(existing: Case | None, new: Case) -> Case:
    """An open case absorbs a repeated detection (newest reason, plan and evidence; first opening
    time kept); a closed one is reopened."""
    if existing is None:
        return new
    if existing.status is CaseStatus.OPEN:
        return replace(new, opened_at=existing.opened_at, detections=existing.detections + 1)
    return replace(new, detections=existing.detections + 1)


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


@dataclass(frozen=True, slots=True)
class Revert:
    at: datetime
    # The principal whose change DriftGuard reverted (object id), when the event named one.
    caller: str | None = None


@dataclass(frozen=True, slots=True)
class FlapWindow:
    reverts: tuple[Revert, ...] = field(default_factory=tuple)

    @property
    def callers(self) -> tuple[str, ...]:
        return tuple(sorted({r.caller for r in self.reverts if r.caller}))


class StateStore(Protocol):
    # --- dedupe ------------------------------------------------------------------------------------
    def first_sight_of_event(self, event_id: str, *, now: datetime) -> bool:
        """Records the event id; True only for the first caller (Event Grid delivers at least once)."""
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
    def open_case(self, case: Case) -> Case:
        """Opens the case, or folds the detection into the case with the same dedupe key."""
        ...

    def case(self, case_id: str) -> Case | None: ...

    def cases(self, *, status: CaseStatus | None = None) -> Iterator[Case]: ...

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
        """Adds a revert and returns the reverts of (resource, rule) inside the window ending now."""
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
    )


def resource_key(resource_id: str) -> str:
    """A key for a resource id that any backend accepts (Table keys cannot hold '/'): ids are
    case-insensitive, so the hash is of the lower-cased id."""
    return hashlib.sha256(resource_id.lower().encode()).hexdigest()[:40]
