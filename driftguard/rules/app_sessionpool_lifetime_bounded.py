"""Sandbox sessions do not outlive their work: a Timed pool deletes idle sessions within the policy's
`sandboxes.max_cooldown_seconds`, an OnContainerExit pool ends every session within
`sandboxes.max_alive_seconds`."""

from __future__ import annotations

from typing import Any

from driftguard.model import Finding, Mode, Reference, ResourceSnapshot, Severity
from driftguard.rules.base import NotEvaluable, RuleContext, RuleMeta, prop, same

META = RuleMeta(
    id="app_sessionpool_lifetime_bounded",
    title="Code-execution session pools bound how long a session lives",
    severity=Severity.MEDIUM,
    resource_types=("Microsoft.App/sessionPools",),
    seed_section="Sandbox agent code execution",
    default_mode=Mode.TICKET,
    remediation=None,
    references=(
        Reference("mitre-atlas", "AML.T0034", "Cost Harvesting"),
        Reference("owasp-llm", "LLM10", "Unbounded Consumption"),
    ),
)

# The service's documented default idle period of a Timed pool, when none is set.
DEFAULT_COOLDOWN_SECONDS = 300


def _seconds(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise NotEvaluable(f"{name} is {value!r}, not a number of seconds")
    try:
        return int(float(value))
    except ValueError:
        raise NotEvaluable(f"{name} is {value!r}, not a number of seconds") from None


def evaluate(snapshot: ResourceSnapshot, context: RuleContext) -> list[Finding]:
    lifecycle = prop(snapshot.properties, "dynamicPoolConfiguration", "lifecycleConfiguration") or {}
    kind = prop(lifecycle, "lifecycleType")
    limits = context.policy.sandboxes
    # Absent lifecycleType: the service's default, Timed.
    if kind is None or same(kind, "Timed"):
        raw = prop(lifecycle, "cooldownPeriodInSeconds")
        cooldown = DEFAULT_COOLDOWN_SECONDS if raw is None else _seconds(raw, "cooldownPeriodInSeconds")
        if cooldown <= limits.max_cooldown_seconds:
            return []
        message = f"idle sessions live {cooldown} s, over the policy's {limits.max_cooldown_seconds} s"
        return [context.finding(META, snapshot, message, {"lifecycleType": kind or "Timed", "cooldownPeriodInSeconds": raw})]
    if same(kind, "OnContainerExit"):
        raw = prop(lifecycle, "maxAlivePeriodInSeconds")
        if raw is None:
            message = "sessions end only when their container exits: the pool declares no maximum alive period"
            return [context.finding(META, snapshot, message, {"lifecycleType": kind, "maxAlivePeriodInSeconds": None})]
        alive = _seconds(raw, "maxAlivePeriodInSeconds")
        if alive <= limits.max_alive_seconds:
            return []
        message = f"sessions may live {alive} s, over the policy's {limits.max_alive_seconds} s"
        return [context.finding(META, snapshot, message, {"lifecycleType": kind, "maxAlivePeriodInSeconds": raw})]
    raise NotEvaluable(f"unknown lifecycleType {kind!r}")
