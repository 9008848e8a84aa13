"""The terminal table: findings worst first, then the summary and what could not be evaluated."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

from driftguard.model import Finding, Severity

STYLE = {
    Severity.CRITICAL: "bold white on red",
    Severity.HIGH: "bold red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "dim",
}


def short_id(resource_id: str) -> str:
    """`.../resourceGroups/rg/providers/Ns/type/name[/child/name]` -> `rg/name[/name]` for narrow terminals."""
    parts = resource_id.strip("/").split("/")
    low = [p.lower() for p in parts]
    rg = parts[low.index("resourcegroups") + 1] if "resourcegroups" in low else parts[1] if len(parts) > 1 else ""
    if "providers" in low:
        i = low.index("providers")
        names = parts[i + 3 :: 2]
        return "/".join([rg, *names])
    return resource_id


def render(findings: Sequence[Finding], summary: dict[str, Any], console: Console) -> None:
    table = Table(title=f"DriftGuard: {len(findings)} finding(s)", show_lines=False, expand=True)
    table.add_column("severity", no_wrap=True)
    table.add_column("rule", overflow="fold")
    table.add_column("resource", overflow="fold")
    table.add_column("mode", no_wrap=True)
    table.add_column("what is wrong", overflow="fold")
    for f in sorted(findings, key=lambda f: (-f.severity, f.rule, f.resource_id)):
        table.add_row(f"[{STYLE[f.severity]}]{f.severity.label}[/]", f.rule, short_id(f.resource_id), f.mode.value, f.message)
    console.print(table)
    sev = ", ".join(f"{k}: {v}" for k, v in summary["by_severity"].items() if v)
    console.print(
        f"{summary['resources']} resources read, {summary['evaluated']} evaluated, "
        f"{summary['skipped_unknown_types']} of unknown types skipped; findings by severity: {sev or 'none'}",
        highlight=False,
    )
    for rule, reasons in summary["not_evaluated"].items():
        for reason, n in reasons.items():
            console.print(f"[dim]not evaluated: {rule} on {n} resource(s): {reason}[/]", highlight=False)
