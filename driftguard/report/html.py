"""A single self-contained HTML page a security lead would open: no scripts, no external assets."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape

from driftguard.assets import Asset
from driftguard.model import JSON, Finding, Severity
from driftguard.terminal.layout import where

# One template environment for every HTML report (autoescaped: resource names come from the tenant).
TEMPLATES = Environment(loader=PackageLoader("driftguard.report", "templates"), autoescape=select_autoescape(["html", "j2"]))


def breakable(text: object) -> Markup:
    """Text whose ids may break after an underscore or a slash (a rule id, a resource id in a message),
    never inside a word or a GUID; escaped first."""
    return escape(str(text)).replace("_", Markup("_<wbr>")).replace("/", Markup("/<wbr>"))


TEMPLATES.filters["breakable"] = breakable


def _none(_: Finding) -> JSON | None:
    return None


def render(
    findings: Sequence[Finding],
    summary: dict[str, Any],
    *,
    generated: datetime,
    assets: Sequence[Asset] = (),
    exemption_of: Callable[[Finding], JSON | None] = _none,
) -> str:
    """An exempted finding stays in its table, marked with the exemption's approver, reason and expiry,
    as in the terminal table, JSON and SARIF: a reader must not take an approved exception for drift."""
    ordered = sorted(findings, key=lambda f: (-f.severity, f.rule, f.resource_id))
    groups: dict[str, list[Finding]] = {}
    for f in ordered:
        groups.setdefault(f.severity.label, []).append(f)
    return TEMPLATES.get_template("report.html.j2").render(
        findings=ordered,
        groups=groups,
        severities=[s.label for s in sorted(Severity, reverse=True)],
        summary=summary,
        generated=generated.strftime("%Y-%m-%d %H:%M UTC"),
        assets=assets,
        exemption_of=exemption_of,
        where=where,
    )
