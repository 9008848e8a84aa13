"""What every rule is made of: typed metadata, the context it is given, and small pure helpers.

Rules are pure: no clock, no environment, no network. Everything they join against comes in
`RuleContext`.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from driftguard.ids import fold
from driftguard.model import Finding, Mode, Reference, ResourceSnapshot, Severity
from driftguard.policy import Policy


@dataclass(frozen=True, slots=True)
class RuleMeta:
    id: str
    title: str
    severity: Severity
    resource_types: tuple[str, ...]
    seed_section: str
    default_mode: Mode
    remediation: str | None
    references: tuple[Reference, ...] = ()
    # Kinds of child data (keys of ResourceSnapshot.related) the rule cannot judge without.
    requires: tuple[str, ...] = ()

    def applies_to(self, resource_type: str) -> bool:
        wanted = resource_type.lower()
        return any(t.lower() == wanted for t in self.resource_types)


# A RAI policy's content filters as (name, source, enabled and blocking, severity level), lower case.
RaiFilterIndex = tuple[tuple[str, str, bool, str], ...]


@dataclass(frozen=True, slots=True)
class RuleContext:
    """Data joined from outside the resource, prepared by the engine before rules run."""

    policy: Policy
    now: datetime = field(default_factory=lambda: datetime(1970, 1, 1, tzinfo=UTC))
    # Ids and names used as keys here are folded as ARM compares them (`ids.fold`).
    # account id -> RAI policy name -> the policy's filters, indexed by the content-filter rule's
    # `index_policy` (a compact value, so that a large estate's policies fit)
    rai_policies: Mapping[str, Mapping[str, RaiFilterIndex]] = field(default_factory=dict)
    # storage account ids that an AI resource uses for its data
    ai_linked_storage: AbstractSet[str] = frozenset()
    # whether the RAI policies were part of the inventory
    rai_policies_loaded: bool = False
    # last-known-good resource JSON per resource id, when the store has one
    baselines: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    # Per-scan scratch space for values derived purely from the context (for example the verdict on a
    # RAI policy that hundreds of deployments share): a cache, never an input.
    memo: dict[Any, Any] = field(default_factory=dict)

    def mode(self, rule: RuleMeta, resource_id: str, default: Mode | None = None) -> Mode:
        return self.policy.mode_for(rule.id, resource_id, default=default or rule.default_mode)

    def finding(
        self,
        rule: RuleMeta,
        snapshot: ResourceSnapshot,
        message: str,
        evidence: Mapping[str, Any],
        *,
        fixable: bool = True,
        default_mode: Mode | None = None,
        remediation: str | None = None,
        subject: str | None = None,
    ) -> Finding:
        """A finding for `rule`; `fixable=False` when this case needs people even though the rule
        usually has an automated fix (for example the free Search SKU, which cannot use private link);
        `default_mode` replaces the rule's default for this finding when the policy names no mode;
        `remediation` names the fix for this resource where the rule's fix differs by type; `subject`
        names the part of the resource a finding is about where two cases can stand side by side."""
        return Finding(
            rule=rule.id,
            resource_id=snapshot.id,
            resource_type=snapshot.type,
            severity=rule.severity,
            message=message,
            mode=self.mode(rule, snapshot.id, default_mode),
            remediation=(remediation or rule.remediation) if fixable else None,
            evidence=evidence,
            subject=subject,
        )


Evaluate = Callable[[ResourceSnapshot, RuleContext], list[Finding]]


# --- pure helpers shared by the rules -------------------------------------------------------------

_MISSING = object()


def prop(obj: Mapping[str, Any], *path: str) -> Any:
    """Walk a path of keys, matching each case-insensitively (services and samples disagree)."""
    cur: Any = obj
    for key in path:
        if type(cur) is dict:  # fast path: parsed JSON is plain dicts, and exact keys are the norm
            value = cur.get(key, _MISSING)
            if value is not _MISSING:
                cur = value
                continue
        elif not isinstance(cur, Mapping):
            return None
        elif key in cur:
            cur = cur[key]
            continue
        cur = _casefold_get(cur, key)
    return cur


def prop_list(obj: Mapping[str, Any], *path: str) -> list[Any]:
    """A property ARM defines as an array: [] when absent; anything else than an array is not ARM
    JSON, so the rule cannot judge the resource (reported, never taken as compliant)."""
    value = prop(obj, *path)
    if value is None:
        return []
    if not isinstance(value, list):
        raise NotEvaluable(f"{'.'.join(path)} is a {type(value).__name__}, not an array")
    return value


def _casefold_get(obj: Mapping[str, Any], key: str) -> Any:
    # An absent key is the common miss (the property takes its default): compare lengths before
    # lower-casing, so a miss costs a pass of cheap length checks.
    size, lowered = len(key), key.lower()
    for k, v in obj.items():
        if isinstance(k, str) and len(k) == size and k.lower() == lowered:
            return v
    return None


def same(value: Any, expected: str) -> bool:
    """Case-insensitive enum comparison; a non-string never matches."""
    return isinstance(value, str) and value.strip().lower() == expected.lower()


def is_true(value: Any) -> bool:
    """ARM booleans, also as Resource Notifications send them (1/0) and as strings."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value == 1
    return isinstance(value, str) and value.strip().lower() in ("true", "1")


def is_false(value: Any) -> bool:
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value == 0
    return isinstance(value, str) and value.strip().lower() in ("false", "0")


def ip_rule_problem(value: str, *, max_prefix: int, approved: tuple[str, ...]) -> str | None:
    """Why an IP rule value is too open, or None when it is acceptable.

    `max_prefix` is the widest prefix allowed (16 means /16 is fine, /15 is not). When `approved`
    lists ranges, every rule must fall inside one of them.
    """
    text = value.strip()
    if text in ("*", "0.0.0.0/0", "0.0.0.0", "::/0", "any", "internet"):  # noqa: S104 - detecting it, not binding
        return f"{text!r} opens the resource to the whole internet"
    try:
        net = ipaddress.ip_network(text, strict=False)
    except ValueError:
        return f"{text!r} is not an IP address or CIDR range"
    if net.version == 4 and net.prefixlen < max_prefix:
        return f"{text!r} is wider than the allowed /{max_prefix}"
    if approved:
        allowed = [ipaddress.ip_network(a, strict=False) for a in approved]
        if not any(net.version == a.version and net.subnet_of(a) for a in allowed):  # type: ignore[arg-type]
            return f"{text!r} is outside the approved address ranges"
    return None


def parent_id(resource_id: str, levels: int = 1) -> str:
    """The id of the parent resource: drops `levels` trailing type/name pairs."""
    parts = resource_id.rstrip("/").split("/")
    return "/".join(parts[: len(parts) - 2 * levels])


def is_ai_storage(snapshot: ResourceSnapshot, context: RuleContext) -> bool:
    """A storage account holds AI data when an AI resource names it or the policy's tag marks it."""
    if fold(snapshot.id) in context.ai_linked_storage:
        return True
    tag = prop(snapshot.resource, "tags", context.policy.data.ai_data_tag)
    return tag is not None and not is_false(tag)


class NotEvaluable(Exception):
    """A rule cannot judge this resource with the data at hand: reported, never taken as compliant."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
