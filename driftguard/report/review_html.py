"""The access review as one self-contained HTML page for the security lead and the auditor: the creep
chart (inline SVG, no scripts, no external assets), the figures by persona and scope level, what changed
since the last review, and every assignment that failed a rule."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from driftguard import creep
from driftguard.creep import Diff
from driftguard.report.html import TEMPLATES
from driftguard.review import Review
from driftguard.terminal.layout import where

WIDTH, HEIGHT, PAD = 720, 220, 36


@dataclass(frozen=True)
class Series:
    label: str
    css: str  # class of the line in the template's style
    points: str  # SVG polyline points
    last: int


def chart(series: Mapping[str, Sequence[tuple[datetime, int]]]) -> tuple[list[Series], dict[str, Any]]:
    """Lays the series out on one time axis: polylines plus the axis labels."""
    every = [p for s in series.values() for p in s]
    if not every:
        return [], {}
    t0 = min(t for t, _ in every).timestamp()
    t1 = max(t for t, _ in every).timestamp()
    top = max((v for _, v in every), default=0) or 1
    span = max(t1 - t0, 1.0)

    def xy(t: datetime, v: int) -> str:
        x = PAD + (t.timestamp() - t0) / span * (WIDTH - 2 * PAD)
        y = HEIGHT - PAD - v / top * (HEIGHT - 2 * PAD)
        return f"{x:.1f},{y:.1f}"

    out = [
        Series(label, f"s{i}", " ".join(xy(t, v) for t, v in points), points[-1][1])
        for i, (label, points) in enumerate(series.items())
        if points
    ]
    axis = {
        "width": WIDTH,
        "height": HEIGHT,
        "pad": PAD,
        "top": top,
        "start": datetime.fromtimestamp(t0, UTC).strftime("%Y-%m-%d"),
        "end": datetime.fromtimestamp(t1, UTC).strftime("%Y-%m-%d"),
    }
    return out, axis


def render(
    review: Review,
    *,
    history: Sequence[tuple[datetime, Mapping[str, Any]]],
    change: Diff | None,
    generated: datetime,
) -> str:
    figures = creep.figures(review)
    growth = creep.growth(review.rows, now=generated)
    recorded = [(t, int(((snap.get("figures") or {}).get("total") or {}).get("privileged_standing", 0))) for t, snap in history]
    recorded.append((generated, int(figures["total"]["privileged_standing"])))
    lines, axis = chart(
        {
            "today's standing privileged assignments, by the date each was made": growth,
            "standing privileged assignments at each review": recorded if len(recorded) > 1 else [],
        }
    )
    failed = [r for r in review.rows if any(v.startswith("fail") for v in r.verdicts.values())]
    return TEMPLATES.get_template("review.html.j2").render(
        summary=review.summary(),
        figures=figures,
        lines=lines,
        axis=axis,
        change=change,
        failed=failed,
        notes=review.notes,
        generated=generated.strftime("%Y-%m-%d %H:%M UTC"),
        # Principals by name wherever the page names one (the escalated list holds ids).
        names={r.principal_id: r.principal_label for r in review.rows},
        where=where,
    )
