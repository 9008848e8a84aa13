from __future__ import annotations

from datetime import date

import pytest

from driftguard.decide import Action, Circumstances, decide
from driftguard.model import Finding, Mode, Severity
from driftguard.policy import Exemption, Limits, Policy

RID = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/oai"
TODAY = date(2026, 11, 29)


def finding(mode: Mode, remediation: str | None = "fix") -> Finding:
    return Finding("rule_x", RID, "Microsoft.CognitiveServices/accounts", Severity.HIGH, "bad", mode, remediation)


def c(**kw: object) -> Circumstances:
    return Circumstances(today=TODAY, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("mode", "baseline", "action"),
    [
        (Mode.AUTO, False, Action.APPLY),
        (Mode.REVERT, True, Action.APPLY),
        (Mode.REVERT, False, Action.OPEN_CASE),
        (Mode.APPROVE, True, Action.OPEN_CASE),
        (Mode.TICKET, True, Action.OPEN_CASE),
        (Mode.REPORT, True, Action.RECORD),
        (Mode.OFF, True, Action.IGNORE),
    ],
)
def test_modes(mode: Mode, baseline: bool, action: Action) -> None:
    assert decide(finding(mode), Policy(), c(has_baseline=baseline)).action is action


def test_no_remediation_means_a_case() -> None:
    assert decide(finding(Mode.AUTO, remediation=None), Policy(), c()).action is Action.OPEN_CASE


def test_break_glass_wins_over_everything() -> None:
    policy = Policy(break_glass_principals=("AAAA",), break_glass_resources=("*/accounts/oai-break*",))
    assert decide(finding(Mode.AUTO), policy, c(callers=("aaaa",))).action is Action.RECORD
    other = Finding("rule_x", RID + "-breakglass", "t", Severity.HIGH, "bad", Mode.AUTO, "fix")
    assert decide(other, policy, c()).action is Action.RECORD
    assert decide(finding(Mode.AUTO), policy, c(callers=("bbbb",))).action is Action.APPLY


def test_exemptions_apply_until_they_expire_and_expired_ones_are_reported() -> None:
    def policy(expires: date) -> Policy:
        return Policy(
            exemptions=(
                Exemption(
                    resource="*/accounts/oai", rules=("rule_x",), reason="migration", approver="ciso@contoso.com", expires_on=expires
                ),
            )
        )

    d = decide(finding(Mode.AUTO), policy(date(2026, 12, 31)), c())
    assert d.action is Action.RECORD
    assert "ciso@contoso.com" in d.reason
    expired = decide(finding(Mode.AUTO), policy(date(2026, 11, 1)), c())
    assert expired.action is Action.APPLY
    assert expired.expired_exemptions


def test_flap_protection_names_the_other_callers() -> None:
    d = decide(finding(Mode.AUTO), Policy(), c(recent_reverts=3, flap_callers=("pipeline-sp",)))
    assert d.action is Action.OPEN_CASE
    assert "pipeline-sp" in d.reason
    assert decide(finding(Mode.AUTO), Policy(limits=Limits(flap_max_reverts=5)), c(recent_reverts=3)).action is Action.APPLY


def test_blast_radius_limits() -> None:
    assert decide(finding(Mode.AUTO), Policy(), c(auto_changes_this_hour=20)).action is Action.OPEN_CASE
    assert decide(finding(Mode.AUTO), Policy(), c(auto_changes_this_hour=19)).action is Action.APPLY
    assert decide(finding(Mode.AUTO), Policy(), c(sweep_planned=9, sweep_scope=100)).action is Action.APPLY
    assert decide(finding(Mode.AUTO), Policy(), c(sweep_planned=10, sweep_scope=100)).action is Action.OPEN_CASE


def test_dry_run_changes_nothing() -> None:
    d = decide(finding(Mode.AUTO), Policy(), c(dry_run=True))
    assert d.action is Action.RECORD
    assert "would apply" in d.reason


KELVIN_RG = "/subscriptions/s/resourceGroups/rg-\u212aelvin/providers/Microsoft.CognitiveServices/accounts/oai"  # KELVIN SIGN


def test_break_glass_and_exemptions_match_ids_as_arm_compares_them() -> None:
    """ARM keeps `rg-Kelvin` with a KELVIN SIGN apart from `rg-kelvin` (its ids compare as .NET's
    OrdinalIgnoreCase): a break-glass or exemption pattern for one must not cover the other."""
    look_alike = "/subscriptions/s/resourceGroups/rg-kelvin/*"
    exempt = Exemption(resource=look_alike, rules=("*",), reason="lab", approver="ciso@contoso.com", expires_on=TODAY)
    odd = Finding("rule_x", KELVIN_RG, "t", Severity.HIGH, "bad", Mode.AUTO, "fix")
    assert decide(odd, Policy(break_glass_resources=(look_alike,)), c()).action is Action.APPLY
    assert decide(odd, Policy(exemptions=(exempt,)), c()).action is Action.APPLY
    # The same patterns in any ASCII casing, and non-ASCII letters ARM does equate, still match.
    plain = Finding("rule_x", KELVIN_RG.replace("\u212a", "K"), "t", Severity.HIGH, "bad", Mode.AUTO, "fix")
    assert decide(plain, Policy(break_glass_resources=(look_alike.upper(),)), c()).action is Action.RECORD
    assert decide(plain, Policy(exemptions=(exempt,)), c()).action is Action.RECORD
    accented = Finding("rule_x", RID.replace("/rg/", "/RG-ÉQUIPE/"), "t", Severity.HIGH, "bad", Mode.AUTO, "fix")
    assert decide(accented, Policy(break_glass_resources=("*/rg-équipe/*",)), c()).action is Action.RECORD
