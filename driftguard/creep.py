"""Privilege creep over time: the figures of one access review, the compact snapshot a review keeps,
the difference from the previous snapshot, and the growth of today's standing privileged access by
the date each assignment was made.

Pure functions over a `Review`; the store keeps the snapshots (`StateStore.save_review`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from driftguard.ids import fold
from driftguard.review import Review, Row
from driftguard.rules.roles import instant
from driftguard.store.base import StateStore

UNUSED = "authorization_roleassignment_used_recently"
OFF_PERSONA = "authorization_roleassignment_within_persona"
# A snapshot names its privileged assignments so that the next review can say which are new; past
# this many it names the first ones only (a Table entity holds 1 MiB of UTF-16) and says the list was cut.
MAX_NAMED = 800
MEASURES = ("assignments", "privileged_standing", "unused", "direct_to_user", "off_persona")


def _failed(row: Row, rule: str) -> bool:
    return row.verdicts.get(rule, "").startswith("fail")


def _measure(row: Row) -> tuple[int, ...]:
    """The row's contribution to each of MEASURES, in that order."""
    return (
        1,
        int(row.privileged),
        int(_failed(row, UNUSED)),
        int(row.principal_kind.lower() == "user"),
        int(_failed(row, OFF_PERSONA)),
    )


def figures(review: Review) -> dict[str, Any]:
    """Totals, and the same measures per persona and per scope level."""
    total = [0] * len(MEASURES)
    by_persona: dict[str, list[int]] = {}
    by_level: dict[str, list[int]] = {}
    for row in review.rows:
        m = _measure(row)
        for acc in (
            total,
            by_persona.setdefault(row.persona, [0] * len(MEASURES)),
            by_level.setdefault(row.verdicts.get("scope_level", "unknown"), [0] * len(MEASURES)),
        ):
            for i, v in enumerate(m):
                acc[i] += v

    def named(counts: list[int]) -> dict[str, int]:
        return dict(zip(MEASURES, counts, strict=True))

    return {
        "total": named(total),
        "by_persona": {k: named(v) for k, v in sorted(by_persona.items())},
        "by_level": {k: named(v) for k, v in sorted(by_level.items())},
        "activity_ok": review.activity_ok,
    }


def snapshot(review: Review, figs: Mapping[str, Any] | None = None) -> dict[str, Any]:
    privileged = sorted((fold(r.assignment_id), r.principal_id) for r in review.rows if r.privileged)
    return {
        "figures": figs if figs is not None else figures(review),
        # assignment id -> principal: which assignments are new, and which principals newly hold privilege
        "privileged": dict(privileged[:MAX_NAMED]),
        "privileged_cut": len(privileged) > MAX_NAMED,
    }


@dataclass(frozen=True)
class Diff:
    since: datetime
    added: list[Row]  # standing privileged assignments that the previous review did not see
    removed: list[str]  # ids the previous review saw as standing privileged, gone or no longer privileged
    # Principals with standing privileged access now and none at the previous review. (A role
    # assignment's role cannot change in place: escalation is always a new assignment.)
    escalated: list[str]
    deltas: dict[str, int]  # total measure -> change
    exact: bool  # False when either snapshot's list was cut: added/removed are then partial


def diff(review: Review, previous: tuple[datetime, Mapping[str, Any]] | None, figs: Mapping[str, Any] | None = None) -> Diff | None:
    if previous is None:
        return None
    since, snap = previous
    before = {str(k): str(v) for k, v in (snap.get("privileged") or {}).items()}
    now = {fold(r.assignment_id): r for r in review.rows if r.privileged}
    held_before = set(before.values())
    old_total = (snap.get("figures") or {}).get("total") or {}
    new_total = (figs if figs is not None else figures(review))["total"]
    return Diff(
        since=since,
        added=sorted((r for k, r in now.items() if k not in before), key=lambda r: r.assignment_id.lower()),
        removed=sorted(before.keys() - now.keys()),
        escalated=sorted({r.principal_id for r in now.values()} - held_before),
        deltas={k: int(new_total[k]) - int(old_total.get(k, 0)) for k in MEASURES},
        exact=not snap.get("privileged_cut") and len(now) <= MAX_NAMED,
    )


def growth(rows: Sequence[Row], *, now: datetime, weeks: int = 52) -> list[tuple[datetime, int]]:
    """How many of today's standing privileged assignments existed at the end of each of the last
    `weeks` weeks, by their createdOn: the creep the current estate carries, readable on the first
    review before any snapshot exists. An assignment without a date counts from the start."""
    start = datetime.min.replace(tzinfo=now.tzinfo)
    created = [instant(r.created_on) or start for r in rows if r.privileged]
    created.sort()
    points: list[tuple[datetime, int]] = []
    i = 0
    for w in range(weeks, -1, -1):
        at = now - timedelta(weeks=w)
        while i < len(created) and created[i] <= at:
            i += 1
        points.append((at, i))
    return points


def record(review: Review, store: StateStore, now: datetime) -> tuple[list[tuple[datetime, Mapping[str, Any]]], Diff | None]:
    """Keeps this review's snapshot; returns the earlier ones and the change since the last."""
    history = store.reviews()
    figs = figures(review)
    change = diff(review, history[-1] if history else None, figs)
    store.save_review(now, snapshot(review, figs))
    return history, change
