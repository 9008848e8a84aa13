"""Which findings a command shows and gates on: `--severity` (at or above), `--rule` (ids or globs,
repeatable), and the policy file's exemptions.

An exempted finding is still reported, marked exempt with its approver, reason and expiry, but it no
longer counts for `--fail-on`: CI goes green on an approved exception and the exception stays visible.
An expired exemption covers nothing (its findings count again) and is named on stderr.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from driftguard.model import JSON, Finding, Severity
from driftguard.policy import Exemption, Policy


class SelectionError(ValueError):
    pass


@dataclass(frozen=True)
class Selection:
    at_least: Severity | None = None
    rules: tuple[str, ...] = ()  # ids or fnmatch globs; empty: every rule

    @classmethod
    def of(cls, at_least: Severity | None, patterns: Sequence[str] | None, known: Iterable[str]) -> Selection:
        """A pattern that names no rule is a typo that would make a CI gate pass on nothing: refused."""
        known = sorted(known)
        cleaned = tuple(p.strip().lower() for p in patterns or ())
        for pattern in cleaned:
            if not pattern or not fnmatch.filter(known, pattern):
                raise SelectionError(f"--rule {pattern!r} matches no rule (see `driftguard rules`)")
        return cls(at_least, cleaned)

    def keeps_rule(self, rule_id: str) -> bool:
        return not self.rules or any(fnmatch.fnmatchcase(rule_id, p) for p in self.rules)

    def keeps(self, finding: Finding) -> bool:
        return (self.at_least is None or finding.severity >= self.at_least) and self.keeps_rule(finding.rule)


@dataclass(frozen=True)
class Exemptions:
    """The policy's exemptions in force on `today`."""

    active: tuple[Exemption, ...]
    expired: tuple[Exemption, ...]

    @classmethod
    def of(cls, policy: Policy, today: date) -> Exemptions:
        return cls(
            tuple(e for e in policy.exemptions if e.expires_on >= today),
            tuple(e for e in policy.exemptions if e.expires_on < today),
        )

    def covering(self, finding: Finding) -> Exemption | None:
        return next((e for e in self.active if e.covers(finding.rule, finding.resource_id)), None)


def describe(exemption: Exemption) -> JSON:
    return {
        "reason": exemption.reason,
        "approver": exemption.approver,
        "expires_on": exemption.expires_on.isoformat(),
        "resource": exemption.resource,
    }


def expired_notes(exemptions: Exemptions) -> list[str]:
    return [
        f"exemption for {e.resource} ({', '.join(e.rules)}) expired on {e.expires_on.isoformat()}: its findings count again"
        for e in exemptions.expired
    ]
