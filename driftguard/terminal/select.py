"""Which findings a command shows and gates on: `--severity` (at or above), `--rule` (ids or globs,
repeatable), the policy file's exemptions, and `--fail-on` (the CI gate), one piece of code for `scan`,
`review` and `probe`.

An exempted finding is still reported, marked exempt with its approver, reason and expiry, but it no
longer counts for `--fail-on`: CI goes green on an approved exception and the exception stays visible.
An expired exemption covers nothing (its findings count again) and is named on stderr. Nothing to judge
(an empty estate, no assignment, no probe sent) is a warning, and fails the gate: an identity without
Reader sees an empty estate, which must not pass as a clean one.
"""

from __future__ import annotations

import argparse
import fnmatch
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date

from driftguard.model import JSON, Finding, Severity
from driftguard.policy import Exemption, Policy
from driftguard.terminal.context import Context

EXIT_CLEAN, EXIT_FINDINGS = 0, 1


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


def severity(text: str) -> Severity:
    """argparse's type for a severity: an unknown one is a usage error naming the choices."""
    try:
        return Severity.parse(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def add_selection(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument("--severity", type=severity, metavar="SEVERITY", help="only findings at or above this severity")
    cmd.add_argument("--rule", action="append", metavar="ID", help="only this rule (repeatable; globs such as 'storage_*')")


def add_fail_on(cmd: argparse.ArgumentParser, nothing: str) -> None:
    cmd.add_argument(
        "--fail-on",
        type=severity,
        metavar="SEVERITY",
        help=f"exit 1 when a selected, unexempted finding is at or above this severity (info, low, medium, high, critical), or when {nothing}",
    )


class Gate:
    """Findings as they stream past: selected, marked exempt, and the worst that counts for the gate."""

    def __init__(self, selection: Selection, exemptions: Exemptions) -> None:
        self.selection = selection
        self.exemptions = exemptions
        self.exempt: dict[int, JSON] = {}
        self.worst: Severity | None = None
        self.shown = 0

    @classmethod
    def of(cls, args: argparse.Namespace, policy: Policy, today: date, known: Iterable[str], ctx: Context) -> Gate:
        """The command line's selection (`--severity`, `--rule` where the command has them) and the
        policy's exemptions; each expired exemption is named on stderr."""
        gate = cls(
            Selection.of(getattr(args, "severity", None), getattr(args, "rule", None), known),
            Exemptions.of(policy, today),
        )
        for note in expired_notes(gate.exemptions):
            ctx.warn(note)
        return gate

    def filter(self, findings: Iterable[Finding]) -> Iterator[Finding]:
        for f in findings:
            if not self.selection.keeps(f):
                continue
            self.shown += 1
            exemption = self.exemptions.covering(f)
            if exemption is not None:
                self.exempt[id(f)] = describe(exemption)
            elif self.worst is None or f.severity > self.worst:
                self.worst = f.severity
            yield f

    def exemption_of(self, finding: Finding) -> JSON | None:
        return self.exempt.get(id(finding))

    def verdict(self, ctx: Context, fail_on: Severity | None, *, nothing: str | None = None) -> int:
        """The exit code: 1 only for `--fail-on`, when an unexempted selected finding is at or above it,
        or when there was `nothing` to judge (said on stderr; without `--fail-on` a warning)."""
        if nothing is not None:
            if fail_on is not None:
                ctx.err.write(f"driftguard: {nothing}; failing --fail-on {fail_on.label}\n")
                return EXIT_FINDINGS
            ctx.warn(nothing)
        if fail_on is not None and self.worst is not None and self.worst >= fail_on:
            return EXIT_FINDINGS
        return EXIT_CLEAN
