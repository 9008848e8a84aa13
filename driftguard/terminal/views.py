"""The tables of `rules`, `events`, `review` and `inventory`, laid out to fit 80 columns (see layout)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from rich.console import Console
from rich.markup import escape

from driftguard.assets import Asset
from driftguard.review import Review
from driftguard.rules.base import RuleMeta
from driftguard.terminal.layout import table, where

OUTCOME_STYLE = {"reverted": "bold green", "case_opened": "bold yellow", "recorded": "cyan", "rejected": "red", "compliant": "green"}


def rules(metas: Sequence[RuleMeta], console: Console) -> None:
    t = table(f"{len(metas)} rules", "severity", "rule: what it requires, section of the baseline, fix")
    for m in metas:
        fix = f"fix: {m.remediation}" if m.remediation else "fix: none automated (a case for people)"
        t.add_row(
            f"{m.severity.label}\n{m.default_mode.value}",
            f"[bold]{m.id}[/]\n{escape(m.title)}\n[dim]{escape(m.seed_section)}[/]\n{fix}",
        )
    console.print(t)


def events(rows: Iterable[Mapping[str, Any]], count: int, console: Console) -> None:
    t = table(f"{count} event(s)", "outcome", "event · rule · resource · reason")
    for row in rows:
        outcome = str(row["outcome"])
        lines = [f"[dim]{escape(str(row['event_id'] or '-'))}[/]"]
        if row.get("rule"):
            lines.append(f"[bold]{row['rule']}[/]")
        if row.get("resource_id"):
            lines.append(escape(where(str(row["resource_id"]))))
        lines.append(escape(str(row["reason"])))
        style = OUTCOME_STYLE.get(outcome)
        # An outcome without a style (ignored, unchanged, own_write, ...) is shown plain: "[]" is no markup.
        t.add_row(f"[{style}]{outcome}[/]" if style else escape(outcome), "\n".join(lines))
    console.print(t)


def review(result: Review, console: Console) -> None:
    t = table(
        f"{len(result.rows)} role assignment(s) at AI scopes, {len(result.findings)} finding(s)",
        "verdict",
        "principal · role · scope · last activity · failed rules",
    )
    for r in result.rows:
        fails = [(k, v[6:]) for k, v in r.verdicts.items() if v.startswith("fail")]
        # The principal and role by name (ids are in JSON and CSV), where the assignment applies as
        # subscription / group / name, and the evidence of use with how it was matched.
        lines = [
            f"[bold]{escape(r.principal_label)}[/]",
            f"{escape(r.principal_kind or 'unknown kind')} · persona {escape(r.persona)}",
            f"{escape(r.role_name)}{' [red](privileged, standing)[/]' if r.privileged else ''}",
            escape(where(r.scope)),
            f"last activity: {escape(r.use)}",
        ]
        for rule, reason in fails:
            lines.extend([f"[bold]{rule}[/]", f"  {escape(reason)}"])
        t.add_row("[red]fail[/]" if fails else "[green]ok[/]", "\n".join(lines))
    console.print(t)


def assets(found: Sequence[Asset], console: Console) -> None:
    t = table(f"{len(found)} AI asset(s)", "kind", "asset · where · owner, classification · deployments or storage · findings")
    for a in found:
        detail = list(a.deployments) or [s.rsplit("/", 1)[-1] for s in a.storage]
        label = "fronts" if a.kind == "AI gateway" else "behind gateway"
        detail += [f"{label}: {g.rsplit('/', 1)[-1]} ({', '.join(a.known_by.get(g, []))})" for g in a.gateways]
        posture = ", ".join(f"{k} {v}" for k, v in sorted(a.findings.items())) or "none"
        lines = [
            f"[bold]{escape(a.name)}[/] [dim]{escape(a.type)}[/]",
            escape(where(a.resource_id)),
            f"owner: {escape(a.owner)}; classification: {escape(a.classification)}",
            *(escape(d) for d in detail),
            f"open findings: {posture}",
        ]
        t.add_row(escape(a.kind or "-"), "\n".join(lines))
    console.print(t)
