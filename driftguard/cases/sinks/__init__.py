"""Ticket sinks: the systems a security team already works in, told about cases.

Each sink turns a case into its system's ticket: it creates one per dedupe key, updates it when the
case changes, and closes it when the case closes (reopening it if the key opens a new case). Sinks
are called only from the outbox's delivery, never inline with a remediation. Text from the tenant or
from people (resource names, reasons) is escaped for the sink's format, so it shows as text.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from driftguard.store.base import CLOSED, case_from_json


class SinkError(Exception):
    """The sink did not take the ticket; `transient` says whether trying later can help."""

    def __init__(self, message: str, *, transient: bool) -> None:
        super().__init__(message)
        self.transient = transient


@dataclass(frozen=True, slots=True)
class Ticket:
    """A case as every sink shows it. All strings are raw text: each sink escapes them."""

    case_id: str
    dedupe_key: str
    title: str
    status: str
    closed: bool
    rule: str
    resource_id: str
    reason: str
    plan_summary: str | None
    changes: tuple[tuple[str, str, str], ...]  # (property, before, after)
    caused_by: tuple[str, ...]
    approvals: tuple[str, ...]  # "name: reason"
    severity: str
    link: str | None
    event: str

    @property
    def lines(self) -> list[tuple[str, str]]:
        """(label, text) pairs, the body every sink renders its own way."""
        out = [("Status", self.status), ("Rule", self.rule), ("Resource", self.resource_id), ("Why", self.reason)]
        if self.plan_summary:
            out.append(("Fix", self.plan_summary))
        out += [(f"Change {p}", f"{b} → {a}") for p, b, a in self.changes]
        if self.caused_by:
            out.append(("Caused by", ", ".join(self.caused_by)))
        out += [("Approval", a) for a in self.approvals]
        out.append(("Case", self.case_id))
        return out


def ticket_of(recorded: Mapping[str, Any], event: str, *, console_url: str | None) -> Ticket:
    """The ticket for a case as `case_to_json` recorded it (in the outbox)."""
    case = case_from_json(recorded)
    plan = case.plan or {}
    before, after = plan.get("before") or {}, plan.get("after") or {}
    changes = tuple((str(k), _text(before.get(k)), _text(after.get(k))) for k in sorted({*before, *after}))
    finding = case.evidence.get("finding") or {}
    name = case.resource_id.rstrip("/").rsplit("/", 1)[-1]
    return Ticket(
        case_id=case.id,
        dedupe_key=case.dedupe_key,
        title=f"[DriftGuard] {case.rule} on {name}",
        status=case.status.value,
        closed=case.status in CLOSED,
        rule=case.rule,
        resource_id=case.resource_id,
        reason=case.reason,
        plan_summary=plan.get("summary"),
        changes=changes,
        caused_by=tuple(sorted(case.causers)),
        approvals=tuple(f"{a.name}: {a.reason}" for a in case.valid_approvals),
        severity=str(finding.get("severity") or "medium"),
        # The link is built from DriftGuard's own setting and case id, never from event content.
        link=f"{console_url.rstrip('/')}#case={case.id}" if console_url else None,
        event=event,
    )


def _text(value: object) -> str:
    return "(not set)" if value is None else value if isinstance(value, str) else repr(value)


class Sink(Protocol):
    name: str

    def create(self, ticket: Ticket) -> str:
        """Opens the ticket; returns the system's reference to it."""
        ...

    def update(self, ref: str, ticket: Ticket) -> None:
        """Brings the ticket up to date (and reopens it when a new case of the key opened)."""
        ...

    def close(self, ref: str, ticket: Ticket) -> None: ...


MARKDOWN_SPECIAL = set("\\`*_{}[]()#+-.!|~>")


def markdown_text(text: str) -> str:
    """Text that Markdown (GitHub, Teams cards) shows as typed: HTML characters become entities,
    Markdown punctuation is backslash-escaped, lines stay lines."""
    out = []
    for ch in text:
        if ch in "<>&\"'":
            out.append(html.escape(ch, quote=True))
        elif ch in MARKDOWN_SPECIAL:
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)
