import pytest

from driftguard.policy import Policy, SandboxPolicy
from driftguard.rules import app_sessionpool_lifetime_bounded as rule
from driftguard.rules.base import NotEvaluable
from simulator import builders as b
from tests.rules.helpers import run, with_value, without

SUB = "33333333-3333-4333-8333-333333333333"
LIFECYCLE = ("properties", "dynamicPoolConfiguration", "lifecycleConfiguration")


def test_timed_pool_within_the_cooldown_passes() -> None:
    assert run(rule, b.session_pool(SUB, "rg", "pool", cooldown=300)) == []
    assert run(rule, b.session_pool(SUB, "rg", "pool", cooldown=600)) == []


def test_timed_pool_over_the_cooldown_fails() -> None:
    [f] = run(rule, b.session_pool(SUB, "rg", "pool", cooldown=3600))
    assert f.evidence == {"lifecycleType": "Timed", "cooldownPeriodInSeconds": 3600}
    assert f.mode == "ticket"
    assert f.remediation is None


def test_policy_sets_the_limit() -> None:
    strict = Policy(sandboxes=SandboxPolicy(max_cooldown_seconds=120))
    assert len(run(rule, b.session_pool(SUB, "rg", "pool", cooldown=300), policy=strict)) == 1


def test_absent_cooldown_and_type_mean_timed_300_seconds() -> None:
    pool = without(b.session_pool(SUB, "rg", "pool"), *LIFECYCLE, "cooldownPeriodInSeconds")
    assert run(rule, pool) == []
    assert run(rule, without(pool, *LIFECYCLE, "lifecycleType")) == []
    assert run(rule, without(pool, "properties", "dynamicPoolConfiguration")) == []
    strict = Policy(sandboxes=SandboxPolicy(max_cooldown_seconds=120))
    assert len(run(rule, pool, policy=strict)) == 1


def test_on_container_exit_pools_are_held_to_the_alive_period() -> None:
    assert run(rule, b.session_pool(SUB, "rg", "pool", lifecycle="OnContainerExit", cooldown=None, max_alive=1800)) == []
    [f] = run(rule, b.session_pool(SUB, "rg", "pool", lifecycle="oncontainerexit", cooldown=None, max_alive=7200))
    assert f.evidence["maxAlivePeriodInSeconds"] == 7200
    # A cooldown means nothing to this lifecycle: only the alive period counts.
    assert run(rule, b.session_pool(SUB, "rg", "pool", lifecycle="OnContainerExit", cooldown=9999, max_alive=600)) == []


def test_on_container_exit_without_a_maximum_fails() -> None:
    [f] = run(rule, b.session_pool(SUB, "rg", "pool", lifecycle="OnContainerExit", cooldown=None))
    assert f.evidence["maxAlivePeriodInSeconds"] is None


def test_unreadable_values_are_not_evaluable() -> None:
    with pytest.raises(NotEvaluable):
        run(rule, with_value(b.session_pool(SUB, "rg", "pool"), "forever", *LIFECYCLE, "cooldownPeriodInSeconds"))
    with pytest.raises(NotEvaluable):
        run(rule, with_value(b.session_pool(SUB, "rg", "pool"), "Forever", *LIFECYCLE, "lifecycleType"))
