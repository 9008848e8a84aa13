import pytest

from driftguard.model import Mode, Severity
from driftguard.policy import Policy
from driftguard.rules import cognitiveservices_deployment_canary_probe_blocked as rule
from driftguard.rules.base import NotEvaluable
from simulator import builders as b
from tests.rules.helpers import run

ACCOUNT = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/oai"
DEPLOYMENT = b.deployment(ACCOUNT, "gpt-4o", rai_policy="relaxed-debug")


def verdict(probe: str, outcome: str, kind: str = "jailbreak") -> dict[str, object]:
    return {"deployment_id": DEPLOYMENT["id"], "probe": probe, "kind": kind, "outcome": outcome, "at": "2026-11-29T04:15:00+00:00"}


def test_every_probe_blocked_passes() -> None:
    related = {"canaryVerdicts": [verdict("jb-dan", "blocked"), verdict("ia-email-forward", "blocked", "indirect_attack")]}
    assert run(rule, DEPLOYMENT, related=related) == []


def test_an_attack_let_through_is_a_high_case_without_fix() -> None:
    related = {"canaryVerdicts": [verdict("jb-dan", "passed"), verdict("ia-email-forward", "blocked", "indirect_attack")]}
    [f] = run(rule, DEPLOYMENT, related=related)
    assert f.severity is Severity.HIGH
    assert f.mode is Mode.TICKET
    assert f.remediation is None
    assert "1 of 2" in f.message
    assert "jb-dan" in f.message
    assert "relaxed-debug" in f.message
    assert f.evidence["failed"][0]["probe"] == "jb-dan"


def test_annotate_only_is_let_through_too() -> None:
    [f] = run(rule, DEPLOYMENT, related={"canaryVerdicts": [verdict("jb-dan", "detected_only")]})
    assert "detected_only" in f.message


def test_no_answer_judges_nothing() -> None:
    with pytest.raises(NotEvaluable):
        run(rule, DEPLOYMENT, related={"canaryVerdicts": [verdict("jb-dan", "inconclusive")]})
    with pytest.raises(NotEvaluable):
        run(rule, DEPLOYMENT, related={"canaryVerdicts": []})


def test_the_policy_sets_the_mode() -> None:
    policy = Policy(modes={rule.META.id: Mode.REPORT})
    [f] = run(rule, DEPLOYMENT, policy=policy, related={"canaryVerdicts": [verdict("jb-dan", "passed")]})
    assert f.mode is Mode.REPORT


def test_a_run_that_did_not_send_a_failing_kind_leaves_its_failure_standing() -> None:
    # Yesterday a jailbreak got through; today's rotation sent only indirect-attack probes, all blocked.
    earlier = [verdict("jb-system-override", "passed")]
    related = {"canaryVerdicts": [verdict("ia-email-forward", "blocked", "indirect_attack")], "canaryOpenFailures": earlier}
    [f] = run(rule, DEPLOYMENT, related=related)
    assert [v["probe"] for v in f.evidence["failed"]] == ["jb-system-override"]
    assert f.evidence["carried"] == 1
    assert "jailbreak" in f.message


def test_a_kind_is_cleared_only_when_every_probe_of_it_was_blocked() -> None:
    earlier = [verdict("jb-system-override", "passed")]
    # One jailbreak probe blocked, another without an answer: not cleared.
    unsure = [verdict("jb-dan", "blocked"), verdict("jb-developer-mode", "inconclusive")]
    [f] = run(rule, DEPLOYMENT, related={"canaryVerdicts": unsure, "canaryOpenFailures": earlier})
    assert [v["probe"] for v in f.evidence["failed"]] == ["jb-system-override"]
    # Every jailbreak probe blocked: cleared.
    assert run(rule, DEPLOYMENT, related={"canaryVerdicts": [verdict("jb-dan", "blocked")], "canaryOpenFailures": earlier}) == []
    # A new failure of the kind replaces the earlier one.
    [f] = run(rule, DEPLOYMENT, related={"canaryVerdicts": [verdict("jb-dan", "passed")], "canaryOpenFailures": earlier})
    assert [v["probe"] for v in f.evidence["failed"]] == ["jb-dan"]
