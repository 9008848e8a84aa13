"""The tables of `rules`, `events`, `review` and `inventory`, laid out to fit 80 columns (see layout)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from rich.console import Console
from rich.markup import escape

from driftguard.assets import Asset
from driftguard.ids import fold
from driftguard.review import Review
from driftguard.rules.base import RuleMeta
from driftguard.terminal.layout import fit, shorten, table, where

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
        lines.append(escape(fit(str(row["reason"]))))
        style = OUTCOME_STYLE.get(outcome)
        # An outcome without a style (ignored, unchanged, own_write, ...) is shown plain: "[]" is no markup.
        t.add_row(f"[{style}]{outcome}[/]" if style else escape(outcome), "\n".join(lines))
    console.print(t)


def review(
    result: Review,
    console: Console,
    *,
    shown: Mapping[str, frozenset[str]] | None = None,
    exempt: Mapping[tuple[str, str], Mapping[str, Any]] | None = None,
    of: int | None = None,
) -> None:
    """`shown`: the rules to list per assignment (folded id) when `--rule`/`--severity` narrowed the
    review, else every failed rule; `exempt`: the policy's exemptions by (folded id, rule); `of`: how many
    assignments the whole review has, when fewer are shown."""
    t = table(
        f"{len(result.rows)}{f' of {of}' if of is not None else ''} role assignment(s) at AI scopes, {len(result.findings)} finding(s)"
        + (" (--severity, --rule)" if of is not None else ""),
        "verdict",
        "principal · role · scope · last activity · failed rules",
    )
    for r in result.rows:
        key = fold(r.assignment_id)
        fails = [(k, v[6:]) for k, v in r.verdicts.items() if v.startswith("fail") and (shown is None or k in shown.get(key, ()))]
        # The principal and role by name (ids are in JSON and CSV), where the assignment applies as
        # subscription / group / name, and the evidence of use with how it was matched.
        lines = [
            f"[bold]{escape(fit(r.principal_label))}[/]",
            f"{escape(r.principal_kind or 'unknown kind')} · persona {escape(fit(r.persona))}",
            f"{escape(fit(r.role_name))}{' [red](privileged, standing)[/]' if r.privileged else ''}",
            escape(where(r.scope)),
            f"last activity: {escape(r.use)}",
        ]
        counted = False
        for rule, reason in fails:
            lines.extend([f"[bold]{rule}[/]", f"  {escape(fit(reason))}"])
            e = (exempt or {}).get((key, rule))
            if e is None:
                counted = True
            else:
                lines.append(
                    f"  [green]exempt until {e['expires_on']}, approved by {escape(fit(str(e['approver'])))}: {escape(fit(str(e['reason'])))}[/]"
                )
        verdict = ("[red]fail[/]" if counted else "[red]fail[/]\n[green]exempt[/]") if fails else "[green]ok[/]"
        t.add_row(verdict, "\n".join(lines))
    console.print(t)


def assets(found: Sequence[Asset], console: Console) -> None:
    t = table(f"{len(found)} AI asset(s)", "kind", "asset · where · owner, classification · deployments or storage · findings")
    for a in found:
        detail = list(a.deployments) or [s.rsplit("/", 1)[-1] for s in a.storage]
        label = "fronts" if a.kind == "AI gateway" else "behind gateway"
        detail += [f"{label}: {g.rsplit('/', 1)[-1]} ({', '.join(a.known_by.get(g, []))})" for g in a.gateways]
        posture = ", ".join(f"{k} {v}" for k, v in sorted(a.findings.items())) or "none"
        lines = [
            f"[bold]{escape(shorten(a.name))}[/] [dim]{escape(a.type)}[/]",
            escape(where(a.resource_id)),
            _tags(a),
            *(escape(fit(d)) for d in detail),
            f"open findings: {posture}",
        ]
        t.add_row(escape(a.kind or "-"), "\n".join(lines))
    console.print(t)


def _tags(a: Asset) -> str:
    """The owner and classification tags that are set; a resource with neither says so once."""
    tags = [f"{name}: {escape(fit(value))}" for name, value in (("owner", a.owner), ("classification", a.classification)) if value]
    return "; ".join(tags) or "[dim]untagged (no owner or classification tag)[/]"
