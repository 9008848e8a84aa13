"""SARIF 2.1.0 for GitHub code scanning: one rule per DriftGuard rule, one result per finding.

Findings are about Azure resources, not files: each result's location is a logical location (the
resource id) plus an artifact location derived from it, which code scanning needs to accept a result.

Runs, categories and limits. GitHub code scanning takes at most 20 runs per file and 25,000 results per
run, but includes only the 5,000 most severe results of a run (the rest are dropped: no alert), takes a
file of at most 10 MB once gzip-compressed, and no longer combines two runs of one tool and category. So
each subscription is a run of its own, with its own category (`runAutomationDetails.id`
`driftguard/subscription/<id>/`): a subscription's alerts close when its next scan no longer finds them,
whatever the other subscriptions' scans say. A subscription with more results than a run includes is
split into parts, each finding placed by a hash of its fingerprint, so that it stays in the same part
(and category) from one scan to the next while the number of parts stays the same. Runs go into files
of at most 20 runs whose gzip-compressed size, measured as each run is added, stays within the limit
(`files`); the first file is the output, the others go beside it.

Exempted findings are results with an accepted external suppression, naming who approved it and why:
code scanning shows them as dismissed rather than open.
"""

from __future__ import annotations

import hashlib
import json
import math
import zlib
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from driftguard import REPOSITORY_URL as INFORMATION_URI
from driftguard import RULES_URL, __version__
from driftguard.ids import fold
from driftguard.model import JSON, Finding, Severity
from driftguard.report.rule_reference import _KIND_LINKS, _KIND_NAMES
from driftguard.rules.base import RuleMeta

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVEL = {Severity.CRITICAL: "error", Severity.HIGH: "error", Severity.MEDIUM: "warning", Severity.LOW: "note", Severity.INFO: "note"}
# GitHub ranks alerts by this property (0.0-10.0).
SECURITY_SEVERITY = {Severity.CRITICAL: "9.5", Severity.HIGH: "8.0", Severity.MEDIUM: "5.5", Severity.LOW: "3.0", Severity.INFO: "0.0"}
# GitHub code scanning's documented limits ("SARIF support for code scanning", "SARIF results exceed
# limits", "Upload an analysis as SARIF data"): a run of more than 25,000 results is rejected, and only a
# run's 5,000 most severe results are included; 20 runs per file; 10 MB per file, gzip-compressed.
MAX_RESULTS_PER_RUN = 5_000
MAX_RUNS_PER_FILE = 20
MAX_GZIP_BYTES = 10_000_000
# Parts are sized below the limit so that a hash's uneven spread does not push one over it.
PART_TARGET = 4_000


def _none(_: Finding) -> JSON | None:
    return None


def subscription_of(resource_id: str) -> str:
    parts = resource_id.strip("/").split("/")
    return parts[1].lower() if len(parts) > 1 and parts[0].lower() == "subscriptions" else ""


def fingerprint(f: Finding) -> str:
    return f"{f.rule}:{fold(f.resource_id)}"


def runs(
    findings: Iterable[Finding],
    rules: Sequence[RuleMeta],
    *,
    exemption_of: Callable[[Finding], JSON | None] = _none,
    scope: Sequence[str] = (),
    help_uri_base: str = RULES_URL,
) -> list[JSON]:
    """Every run, by category; each rule's `helpUri` is `help_uri_base#<rule id>`. `scope` names subscriptions scanned: each gets a run even with no
    result, so that code scanning closes the alerts a previous scan left open there."""
    index = {r.id: i for i, r in enumerate(rules)}
    by_subscription: dict[str, list[JSON]] = {fold(s): [] for s in scope}
    for f in findings:
        by_subscription.setdefault(subscription_of(f.resource_id), []).append(_result(f, index, exemption_of(f)))
    if not by_subscription:
        by_subscription[""] = []
    driver = _driver(rules, help_uri_base)
    out: list[JSON] = []
    for subscription, results in sorted(by_subscription.items()):
        base = f"driftguard/subscription/{subscription}/" if subscription else "driftguard/tenant/"
        for part, chunk in enumerate(_parts(results), start=1):
            category = base if part == 1 else f"{base}part-{part}/"
            out.append({"tool": {"driver": driver}, "automationDetails": {"id": category}, "results": chunk})
    return out


class RunTooLarge(ValueError):
    """One run alone is larger, gzip-compressed, than code scanning takes in a file."""


def files(
    findings: Iterable[Finding],
    rules: Sequence[RuleMeta],
    *,
    exemption_of: Callable[[Finding], JSON | None] = _none,
    scope: Sequence[str] = (),
    max_gzip_bytes: int | None = None,
    help_uri_base: str = RULES_URL,
) -> list[str]:
    """The SARIF files' text: at most 20 runs each, and at most `max_gzip_bytes` (default
    `MAX_GZIP_BYTES`) once gzip-compressed as `gzip -c` does (level 6), measured while each run is added
    rather than estimated."""
    limit = max_gzip_bytes or MAX_GZIP_BYTES
    out: list[str] = []
    packer = _Packer(limit)
    for run in runs(findings, rules, exemption_of=exemption_of, scope=scope, help_uri_base=help_uri_base):
        text = json.dumps(run, indent=2).replace("\n", "\n    ")
        if packer.count == MAX_RUNS_PER_FILE or not packer.fits(text):
            out.append(packer.finish())
            packer = _Packer(limit)
            if not packer.fits(text):
                raise RunTooLarge(
                    f"SARIF run {run['automationDetails']['id']} is over {limit:,} bytes gzip-compressed, more than code"
                    " scanning takes in a file: narrow the scan with --severity or --rule"
                )
        packer.add(text)
    if packer.count or not out:
        out.append(packer.finish())
    return out


_HEAD = '{\n  "$schema": "' + SCHEMA + '",\n  "version": "2.1.0",\n  "runs": ['
_TAIL = "\n  ]\n}\n"


class _Packer:
    """One file's text as runs are added, and its gzip-compressed size so far: a run is tried on a copy
    of the compressor, so the size is measured, not guessed."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.parts: list[str] = [_HEAD]
        self.count = 0
        self._gzip = zlib.compressobj(6, zlib.DEFLATED, 31)
        self._size = len(self._gzip.compress(_HEAD.encode()))
        self._pending: tuple[Any, int] | None = None  # the compressor and size with the run tried last

    def _piece(self, text: str) -> str:
        return ("," if self.count else "") + "\n    " + text

    def fits(self, text: str) -> bool:
        trial = self._gzip.copy()
        size = self._size + len(trial.compress(self._piece(text).encode()))
        self._pending = (trial, size)
        ending = trial.copy()
        return size + len(ending.compress(_TAIL.encode())) + len(ending.flush()) <= self.limit

    def add(self, text: str) -> None:
        assert self._pending is not None
        self._gzip, self._size = self._pending
        self._pending = None
        self.parts.append(self._piece(text))
        self.count += 1

    def finish(self) -> str:
        if not self.count:
            return _HEAD + "]\n}\n"
        return "".join(self.parts) + _TAIL


def document(findings: Iterable[Finding], rules: Sequence[RuleMeta], **kwargs: Any) -> JSON:
    """One file holding every run (what fits in code scanning's limits; see `files`)."""
    return _document(runs(findings, rules, **kwargs))


def _document(run_list: list[JSON]) -> JSON:
    return {"$schema": SCHEMA, "version": "2.1.0", "runs": run_list}


def _parts(results: list[JSON]) -> list[list[JSON]]:
    if len(results) <= MAX_RESULTS_PER_RUN:
        return [results]
    count = math.ceil(len(results) / PART_TARGET)
    while True:
        parts: list[list[JSON]] = [[] for _ in range(count)]
        for r in results:
            digest = hashlib.sha256(r["partialFingerprints"]["driftguard/v1"].encode()).digest()
            parts[int.from_bytes(digest[:8], "big") % count].append(r)
        if max(len(p) for p in parts) <= MAX_RESULTS_PER_RUN:
            return parts
        count += 1


def _result(f: Finding, index: dict[str, int], exempt: JSON | None) -> JSON:
    result: JSON = {
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
        "partialFingerprints": {"driftguard/v1": fingerprint(f)},
        "properties": {"mode": f.mode.value, "remediation": f.remediation, "evidence": dict(f.evidence)},
    }
    if exempt is not None:
        result["suppressions"] = [
            {
                "kind": "external",
                "status": "accepted",
                "justification": f"exempt until {exempt['expires_on']}, approved by {exempt['approver']}: {exempt['reason']}",
            }
        ]
    return result


def _driver(rules: Sequence[RuleMeta], help_uri_base: str) -> JSON:
    return {
        "name": "DriftGuard",
        "version": __version__,
        "informationUri": INFORMATION_URI,
        "rules": [_rule(r, help_uri_base) for r in rules],
    }


def _reference_line(kind: str, ref_id: str, title: str) -> tuple[str, str]:
    name = _KIND_NAMES.get(kind, kind)
    label = f"{name} {ref_id}" + (f": {title}" if title else "")
    link = _KIND_LINKS.get(kind)
    return label, (f"[{label}]({link.format(id=ref_id)})" if link else label)


def _rule(meta: RuleMeta, help_uri_base: str) -> JSON:
    refs = [_reference_line(r.kind, r.id, r.title) for r in meta.references]
    fix = (
        f"DriftGuard's fix is `{meta.remediation}`, applied as the rule's mode says (default: {meta.default_mode.value})."
        if meta.remediation
        else f"There is no automated fix: DriftGuard opens a case for people to act on (default mode: {meta.default_mode.value})."
    )
    why = f"Baseline section: {meta.seed_section}."
    help_uri = f"{help_uri_base}#{meta.id}"
    text = "\n".join([meta.title + ".", why, fix, "References:", *(f"- {plain}" for plain, _ in refs), f"Rule reference: {help_uri}"])
    markdown = "\n".join(
        [f"**{meta.title}.**", "", why, "", fix, "", "References:", "", *(f"- {md}" for _, md in refs), "", f"[Rule reference]({help_uri})"]
    )
    return {
        "id": meta.id,
        "name": "".join(part.title() for part in meta.id.split("_")),
        "shortDescription": {"text": meta.title},
        "fullDescription": {"text": f"{meta.title}. {why}"},
        "defaultConfiguration": {"level": LEVEL[meta.severity]},
        "help": {"text": text, "markdown": markdown},
        "helpUri": help_uri,
        "properties": {
            "tags": ["security", "azure", meta.seed_section],
            "security-severity": SECURITY_SEVERITY[meta.severity],
            "resource_types": list(meta.resource_types),
        },
    }
