"""SARIF 2.1.0 for GitHub code scanning: one rule per DriftGuard rule, one result per finding.

Findings are about Azure resources, not files: each result's location is a logical location (the
resource id) plus an artifact location derived from it, which code scanning needs to accept a result.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from driftguard import __version__
from driftguard.ids import fold
from driftguard.model import Finding, Severity
from driftguard.rules.base import RuleMeta

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVEL = {Severity.CRITICAL: "error", Severity.HIGH: "error", Severity.MEDIUM: "warning", Severity.LOW: "note", Severity.INFO: "note"}
# GitHub ranks alerts by this property (0.0-10.0).
SECURITY_SEVERITY = {Severity.CRITICAL: "9.5", Severity.HIGH: "8.0", Severity.MEDIUM: "5.5", Severity.LOW: "3.0", Severity.INFO: "0.0"}


def document(findings: Iterable[Finding], rules: Sequence[RuleMeta]) -> dict[str, Any]:
    index = {r.id: i for i, r in enumerate(rules)}
    results = []
    for f in findings:
        results.append(
            {
                "ruleId": f.rule,
                "ruleIndex": index[f.rule],
                "level": LEVEL[f.severity],
                "message": {"text": f"{f.resource_id}: {f.message}"},
                "locations": [
                    {
                        "physicalLocation": {"artifactLocation": {"uri": "azure" + fold(f.resource_id)}},
                        "logicalLocations": [{"fullyQualifiedName": f.resource_id, "kind": "resource"}],
                    }
                ],
                "partialFingerprints": {"driftguard/v1": f"{f.rule}:{fold(f.resource_id)}"},
                "properties": {"mode": f.mode.value, "remediation": f.remediation, "evidence": dict(f.evidence)},
            }
        )
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "DriftGuard",
                        "version": __version__,
                        "informationUri": "https://github.com/driftguard/driftguard",
                        "rules": [_rule(r) for r in rules],
                    }
                },
                "results": results,
            }
        ],
    }


def _rule(meta: RuleMeta) -> dict[str, Any]:
    refs = "; ".join(f"{r.kind} {r.id} {r.title}".strip() for r in meta.references)
    return {
        "id": meta.id,
        "name": "".join(part.title() for part in meta.id.split("_")),
        "shortDescription": {"text": meta.title},
        "fullDescription": {"text": f"{meta.title}. Seed section: {meta.seed_section}. References: {refs or 'none'}."},
        "defaultConfiguration": {"level": LEVEL[meta.severity]},
        "help": {"text": f"Default mode: {meta.default_mode.value}; remediation: {meta.remediation or 'none (needs people)'}."},
        "properties": {
            "tags": ["security", "azure", meta.seed_section],
            "security-severity": SECURITY_SEVERITY[meta.severity],
            "resource_types": list(meta.resource_types),
        },
    }
