"""The engine's vocabulary: frozen dataclasses and StrEnums shared by every layer.

Snapshots hold ARM JSON exactly as Azure returned it; nothing here mutates them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from types import MappingProxyType
from typing import Any

JSON = dict[str, Any]
# How the engine reads ARM: (path, api version) -> the resource, or None where there is none (404).
Reader = Callable[[str, str], Mapping[str, Any] | None]


class Severity(IntEnum):
    """Ordered so that `--fail-on` can compare: a higher value is worse."""

    INFO = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @property
    def label(self) -> str:
        return _LABELS[self]

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            names = ", ".join(s.label for s in cls)
            raise ValueError(f"unknown severity {text!r} (expected one of: {names})") from None


_LABELS: dict[Severity, str] = {s: s.name.lower() for s in Severity}


class Mode(StrEnum):
    """What DriftGuard does when a rule fails (see CONTROLS.md, "Modes")."""

    AUTO = "auto"
    REVERT = "revert"
    APPROVE = "approve"
    TICKET = "ticket"
    REPORT = "report"
    OFF = "off"


class Source(StrEnum):
    """Where an inventory came from."""

    LIVE = "live"
    SNAPSHOT = "snapshot"
    SIMULATED = "simulated"


@dataclass(frozen=True, slots=True)
class Reference:
    """A public reference for a rule: an Azure Policy built-in, MCSB, MITRE ATLAS or OWASP entry."""

    kind: str
    id: str
    title: str = ""


_NO_RELATED: Mapping[str, tuple[Mapping[str, Any], ...]] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class ResourceSnapshot:
    """One ARM resource as read, plus the child settings read with it.

    `related` maps a kind of child data (for example "diagnosticSettings") to the ARM objects read for
    it. A kind that is absent from `related` was not read, which is not the same as "there are none".
    """

    resource: Mapping[str, Any]
    # Most snapshots have no child data: they share one read-only empty mapping.
    related: Mapping[str, tuple[Mapping[str, Any], ...]] = field(default_factory=lambda: _NO_RELATED)

    @property
    def id(self) -> str:
        return str(self.resource["id"])

    @property
    def type(self) -> str:
        return str(self.resource["type"])

    @property
    def properties(self) -> Mapping[str, Any]:
        props = self.resource.get("properties")
        return props if type(props) is dict or isinstance(props, Mapping) else {}


@dataclass(frozen=True, slots=True)
class Finding:
    """A failed check on one resource. `evidence` holds the values that made it fail."""

    rule: str
    resource_id: str
    resource_type: str
    severity: Severity
    message: str
    mode: Mode
    remediation: str | None
    evidence: Mapping[str, Any] = field(default_factory=dict)
    # What in the resource the finding is about, when it is not the whole of it and another finding of
    # the same rule can stand beside it as its own case (Search's query keys beside its admin keys).
    subject: str | None = None

    def to_json(self) -> JSON:
        return {
            "rule": self.rule,
            "resource_id": self.resource_id,
            "resource_type": self.resource_type,
            "severity": self.severity.label,
            "message": self.message,
            "evidence": dict(self.evidence),
            "mode": self.mode.value,
            "remediation": self.remediation,
        }


@dataclass(frozen=True, slots=True)
class Step:
    """One ARM request exactly as it will be sent. `path` is built from a parsed resource id."""

    method: str
    path: str
    api_version: str
    body: Mapping[str, Any] | None = None
    if_match: str | None = None

    def to_json(self) -> JSON:
        return {"method": self.method, "path": self.path, "api_version": self.api_version, "body": self.body, "if_match": self.if_match}


@dataclass(frozen=True, slots=True)
class Plan:
    """What a remediation will do: the requests, and the values they change (before and after, keyed by
    dotted property path). A case shows it; an approver signs its digest; rollback uses `before`."""

    remediation: str
    resource_id: str
    steps: tuple[Step, ...]
    before: Mapping[str, Any]
    after: Mapping[str, Any]
    summary: str

    def to_json(self) -> JSON:
        return {
            "remediation": self.remediation,
            "resource_id": self.resource_id,
            "steps": [s.to_json() for s in self.steps],
            "before": dict(self.before),
            "after": dict(self.after),
            "summary": self.summary,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Plan:
        """A plan as a case recorded it (`to_json`)."""
        steps = tuple(
            Step(str(s["method"]), str(s["path"]), str(s["api_version"]), s.get("body"), s.get("if_match")) for s in data["steps"]
        )
        return cls(
            str(data["remediation"]),
            str(data["resource_id"]),
            steps,
            data.get("before") or {},
            data.get("after") or {},
            str(data.get("summary", "")),
        )

    def digest(self) -> str:
        """Hash of the requests (not the prose): approving a plan approves exactly these methods, paths,
        api-versions and bodies. The If-Match is left out: it is refreshed by the re-read right before
        sending (an unrelated change, a tag, must not void an approval). It is sent where a provider may
        honour it, but most of these providers do not declare it: that re-read is the guard, not a 412."""
        import hashlib

        import orjson

        canonical = orjson.dumps([{**s.to_json(), "if_match": None} for s in self.steps], option=orjson.OPT_SORT_KEYS)
        return hashlib.sha256(canonical).hexdigest()
