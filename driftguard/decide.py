"""Decide: what to do about one finding. Pure: everything it weighs comes in as arguments.

The order of the checks is the order of precedence: things DriftGuard must never touch first, then
exceptions people granted, then the mode, then the safety limits that turn an automatic fix into a
case (first sight under `revert`, blast radius, a setting that keeps flipping back).
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from driftguard.ids import fold
from driftguard.model import Finding, Mode
from driftguard.policy import Policy


class Action(StrEnum):
    APPLY = "apply"  # send the remediation now
    OPEN_CASE = "open_case"  # a person decides (approval, ticket, or a safety limit tripped)
    RECORD = "record"  # keep the finding, change nothing
    IGNORE = "ignore"  # not DriftGuard's to act on


@dataclass(frozen=True, slots=True)
class Circumstances:
    """What the engine knows around a finding when it decides."""

    today: date
    # A last-known-good baseline exists: the resource was seen compliant, so this is drift.
    has_baseline: bool = False
    # Who made the change (object id, app id), when an event named them.
    callers: tuple[str, ...] = ()
    # Automatic changes already made in this subscription within the hour.
    auto_changes_this_hour: int = 0
    # Reverts of this (resource, rule) inside the flap window, and the principals behind them.
    recent_reverts: int = 0
    flap_callers: tuple[str, ...] = ()
    # In a sweep: automatic changes planned so far against the scope's size.
    sweep_planned: int = 0
    sweep_scope: int = 0
    dry_run: bool = False


@dataclass(frozen=True, slots=True)
class Decision:
    action: Action
    reason: str
    # Exemptions that matched but had expired: reported so that someone renews or removes them.
    expired_exemptions: tuple[str, ...] = field(default_factory=tuple)


def decide(finding: Finding, policy: Policy, circumstances: Circumstances) -> Decision:
    c = circumstances
    rid = fold(finding.resource_id)
    if any(_matches(pattern, rid) for pattern in policy.break_glass_resources):
        return Decision(Action.RECORD, "break-glass resource: never changed automatically")
    glass = {p.lower() for p in policy.break_glass_principals}
    if glass & {x.lower() for x in c.callers}:
        return Decision(Action.RECORD, "changed by a break-glass principal: never reverted")

    expired: list[str] = []
    for exemption in policy.exemptions:
        if not exemption.covers(finding.rule, finding.resource_id):
            continue
        if exemption.expires_on < c.today:
            expired.append(f"{exemption.resource} ({exemption.reason}, expired {exemption.expires_on.isoformat()})")
            continue
        return Decision(Action.RECORD, f"exempted until {exemption.expires_on.isoformat()} by {exemption.approver}: {exemption.reason}")
    exp = tuple(expired)

    mode = finding.mode
    if mode is Mode.OFF:
        return Decision(Action.IGNORE, "rule is off for this scope", exp)
    if mode is Mode.REPORT:
        return Decision(Action.RECORD, "report mode", exp)
    if mode is Mode.TICKET or finding.remediation is None:
        return Decision(Action.OPEN_CASE, "needs people: no automated fix" if finding.remediation is None else "ticket mode", exp)
    if mode is Mode.APPROVE:
        return Decision(Action.OPEN_CASE, "approval required before the fix", exp)
    if mode is Mode.REVERT and not c.has_baseline:
        return Decision(Action.OPEN_CASE, "first sight: never seen compliant, so enforcing could break a workload; approval required", exp)

    limits = policy.limits
    if c.recent_reverts >= limits.flap_max_reverts:
        others = ", ".join(c.flap_callers) or "unknown callers"
        return Decision(
            Action.OPEN_CASE,
            f"flapping: reverted {c.recent_reverts} times in {limits.flap_window_minutes} min; stopped reverting. Changed back by: {others}",
            exp,
        )
    if c.auto_changes_this_hour >= limits.max_auto_changes_per_subscription_per_hour:
        return Decision(Action.OPEN_CASE, f"blast radius: {c.auto_changes_this_hour} automatic changes in this subscription this hour", exp)
    if c.sweep_scope and (c.sweep_planned + 1) * 100 > limits.sweep_max_percent * c.sweep_scope:
        return Decision(Action.OPEN_CASE, f"blast radius: the sweep would change more than {limits.sweep_max_percent:g}% of the scope", exp)
    if c.dry_run:
        return Decision(Action.RECORD, "dry run: would apply", exp)
    return Decision(Action.APPLY, "drift from the last-known-good state" if mode is Mode.REVERT else "auto mode", exp)


def _matches(pattern: str, resource_id: str) -> bool:
    return fnmatch.fnmatchcase(resource_id, fold(pattern))
