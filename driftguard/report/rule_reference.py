"""The rule reference (docs/rules.md), rendered from the rule and remediation registries.

The page is generated so that it cannot drift from the code: a test renders it again and compares.
Regenerate with `python -m driftguard.report.rule_reference > docs/rules.md`.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence

import remediations
from driftguard.model import Reference
from driftguard.rules import ACCESS_RULES, PROBE_RULES, RESOURCE_RULES
from driftguard.rules.base import RuleMeta
from remediations.base import Remediation

_HEADER = """\
# Rule reference

Generated from the rule and remediation registries by
`python -m driftguard.report.rule_reference > docs/rules.md`; a test fails when this page and the
code disagree. Each rule's mode can be changed in the policy file, globally (`modes`) or below a
scope (`overrides`); see [the policy file reference](policy.md).

| mode | what DriftGuard does when the rule fails |
|---|---|
| `auto` | applies the fix |
| `revert` | applies the fix only where a recorded last-known-good baseline proves a change moved the resource away (true drift); on first sight, opens a case for approval |
| `approve` | opens a case with the exact requests; applies them when security approvers accept |
| `ticket` | opens a case with no automated fix: the fix needs people |
| `report` | records the finding only |
| `off` | does not evaluate the rule |
"""

_KIND_LINKS = {
    "azure-policy": "https://portal.azure.com/#view/Microsoft_Azure_Policy/PolicyDetailBlade/definitionId/"
    "%2Fproviders%2FMicrosoft.Authorization%2FpolicyDefinitions%2F{id}",
    "mitre-atlas": "https://atlas.mitre.org/techniques/{id}",
}
_KIND_NAMES = {
    "azure-policy": "Azure Policy",
    "mcsb": "Microsoft cloud security benchmark",
    "mitre-atlas": "MITRE ATLAS",
    "owasp-llm": "OWASP Top 10 for LLM",
}


# The Microsoft cloud security benchmark's pages, one per control domain (the id's prefix).
_MCSB_DOMAINS = {
    "NS": "network-security",
    "IM": "identity-management",
    "PA": "privileged-access",
    "DP": "data-protection",
    "AM": "asset-management",
    "LT": "logging-threat-detection",
    "IR": "incident-response",
    "PV": "posture-vulnerability-management",
    "ES": "endpoint-security",
    "BR": "backup-recovery",
    "DS": "devops-security",
    "GS": "governance-strategy",
}


def reference_url(kind: str, ref_id: str) -> str | None:
    """Where a person reads a reference: its public page, or None when there is none to link."""
    link = _KIND_LINKS.get(kind)
    if link:
        return link.format(id=ref_id)
    if kind == "mcsb" and (domain := _MCSB_DOMAINS.get(ref_id.split("-", 1)[0].upper())):
        return f"https://learn.microsoft.com/security/benchmark/azure/mcsb-{domain}"
    if kind == "owasp-llm":
        return "https://genai.owasp.org/llm-top-10/"
    return None


def _reference(ref: Reference) -> str:
    kind = _KIND_NAMES.get(ref.kind, ref.kind)
    label = f"{kind} `{ref.id}`" + (f": {ref.title}" if ref.title else "")
    link = reference_url(ref.kind, ref.id)
    return f"[{label}]({link})" if link else label


def _anchor(rule_id: str) -> str:
    # GitHub keeps underscores in heading anchors and drops the backticks.
    return rule_id


SCAN = "the scan, the sweeps and the event path"
ACCESS = "the event path and the access review"
PROBES = "the canary probe timer and `driftguard probe`"


def _rule(meta: RuleMeta, fixes: Mapping[str, Remediation], *, judged_by: str) -> list[str]:
    lines = [f"## `{meta.id}`", "", f"**{meta.title}**", ""]
    lines.append(f"- Severity: {meta.severity.label}")
    lines.append(f"- Resource types: {', '.join(f'`{t}`' for t in meta.resource_types)}")
    lines.append(f"- Default mode: {meta.default_mode.value}")
    lines.append(f"- Judged by: {judged_by}")
    if meta.requires and judged_by != PROBES:
        lines.append(f"- Needs child data: {', '.join(f'`{r}`' for r in meta.requires)} (read on the deep sweep and by `scan`)")
    fix = fixes.get(meta.remediation) if meta.remediation else None
    if fix is None:
        lines.append("- Automated fix: none; a case for people")
    else:
        lines.append(f"- Automated fix: `{fix.id}`, {fix.title}")
        lines.append(f"  - written for: {', '.join(f'`{t}`' for t in fix.resource_types)}")
        lines.append(f"  - RBAC actions it needs: {', '.join(f'`{a}`' for a in fix.actions)}")
    lines.append(f"- Guidance: {meta.seed_section}")
    if meta.references:
        lines.append("- References:")
        lines.extend(f"  - {_reference(r)}" for r in meta.references)
    lines.append("")
    return lines


def _index(metas: Sequence[RuleMeta]) -> list[str]:
    lines = ["| rule | severity | default mode | title |", "|---|---|---|---|"]
    for m in metas:
        lines.append(f"| [`{m.id}`](#{_anchor(m.id)}) | {m.severity.label} | {m.default_mode.value} | {m.title} |")
    return [*lines, ""]


def render() -> str:
    fixes = remediations.registry()
    resource = [m.META for m in RESOURCE_RULES]
    access = [m.META for m in ACCESS_RULES]
    probes = [m.META for m in PROBE_RULES]
    out = [_HEADER, "## Index", "", *_index([*resource, *access, *probes])]
    out += ["# Resource rules", ""]
    for meta in resource:
        out += _rule(meta, fixes, judged_by=SCAN)
    out += ["# Access rules", ""]
    for meta in access:
        out += _rule(meta, fixes, judged_by=ACCESS)
    out += ["# Probe rules", "", "Judged on what canary probes saw a deployment's content filter do (`probes` in the policy file).", ""]
    for meta in probes:
        out += _rule(meta, fixes, judged_by=PROBES)
    return "\n".join(out).rstrip("\n") + "\n"


if __name__ == "__main__":
    sys.stdout.write(render())
