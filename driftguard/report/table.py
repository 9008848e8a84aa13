"""The terminal table: findings worst first, then the summary and what could not be evaluated.

Each finding is one row of two columns (see driftguard.terminal.layout): severity and mode on the left;
on the right the rule id, where the resource is (subscription / resource group / name), and what is
wrong. Exempted findings stay in the table, marked, with who approved the exception and until when.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from rich.console import Console
from rich.markup import escape

from driftguard.model import JSON, Finding, Severity
from driftguard.terminal.layout import fit, table, where

STYLE = {
    Severity.CRITICAL: "bold white on red",
    Severity.HIGH: "bold red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "dim",
}


def _none(_: Finding) -> JSON | None:
    return None


def render(
    findings: Sequence[Finding],
    summary: dict[str, Any],
    console: Console,
    *,
    exemption_of: Callable[[Finding], JSON | None] = _none,
    quiet: bool = False,
) -> None:
    t = table(f"DriftGuard: {len(findings)} finding(s)", "severity", "finding: rule, where (subscription / group / name), what is wrong")
    for f in sorted(findings, key=lambda f: (-f.severity, f.rule, f.resource_id)):
        exempt = exemption_of(f)
        left = f"[{STYLE[f.severity]}]{f.severity.label}[/]\n{f.mode.value}"
        lines = [f"[bold]{f.rule}[/]", escape(where(f.resource_id)), escape(fit(f.message))]
        if exempt is not None:
            left += "\n[green]exempt[/]"
            lines.append(
                f"[green]exempt until {exempt['expires_on']}, approved by {escape(fit(exempt['approver']))}: {escape(fit(exempt['reason']))}[/]"
            )
        t.add_row(left, "\n".join(lines))
    if findings:
        console.print(t)
    else:
        console.print("DriftGuard: no finding", highlight=False)
    if quiet:
        return
    sev = ", ".join(f"{k}: {v}" for k, v in summary["by_severity"].items() if v)
    exempted = f"; {summary['exempt']} of them exempt" if summary.get("exempt") else ""
    if summary.get("shown", summary["findings"]) != summary["findings"]:
        exempted = f"; {summary['shown']} shown (--severity, --rule){exempted}"
    console.print(
        f"{summary['resources']} resources read, {summary['evaluated']} evaluated, "
        f"{summary['skipped_unknown_types']} of unknown types skipped; findings by severity: {sev or 'none'}{exempted}",
        highlight=False,
    )
    for rule, reasons in summary["not_evaluated"].items():
        for reason, n in reasons.items():
            console.print(f"[dim]not evaluated: {rule} on {n} resource(s): {escape(reason)}[/]", highlight=False)
