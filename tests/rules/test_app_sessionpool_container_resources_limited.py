import pytest

from driftguard.policy import Policy, SandboxPolicy
from driftguard.rules import app_sessionpool_container_resources_limited as rule
from driftguard.rules.base import NotEvaluable
from simulator import builders as b
from tests.rules.helpers import run, with_value

SUB = "33333333-3333-4333-8333-333333333333"


def test_declared_within_limits_passes() -> None:
    assert run(rule, b.session_pool(SUB, "rg", "pool", cpu=0.5, memory="1Gi")) == []
    assert run(rule, b.session_pool(SUB, "rg", "pool", cpu=2.0, memory="4Gi")) == []
    assert run(rule, b.session_pool(SUB, "rg", "pool", cpu=1, memory="250Mb")) == []


def test_built_in_containers_are_not_judged() -> None:
    assert run(rule, b.session_pool(SUB, "rg", "pool", custom=False)) == []


def test_over_the_limits_fails() -> None:
    [f] = run(rule, b.session_pool(SUB, "rg", "pool", cpu=4.0, memory="8Gi"))
    assert "4 cores" in f.message
    assert "8Gi" in f.message
    assert f.evidence["resources"] == [{"name": "sandbox", "resources": {"cpu": 4.0, "memory": "8Gi"}}]
    assert f.mode == "ticket"


def test_undeclared_resources_fail() -> None:
    [f] = run(rule, b.session_pool(SUB, "rg", "pool", cpu=None, memory=None))
    assert "no CPU declared" in f.message
    assert "no memory declared" in f.message


def test_policy_sets_the_limits() -> None:
    strict = Policy(sandboxes=SandboxPolicy(max_cpu_cores=0.25, max_memory_gib=0.5))
    [f] = run(rule, b.session_pool(SUB, "rg", "pool", cpu=0.5, memory="512Mi"), policy=strict)
    assert "0.5 cores" in f.message
    assert "512Mi" not in f.message


def test_memory_units() -> None:
    assert rule.memory_gib("1Gi") == 1.0
    assert rule.memory_gib("0.5Gi") == 0.5
    assert rule.memory_gib("2048Mi") == 2.0
    assert rule.memory_gib("250Mb") == pytest.approx(250 / 1024)


def test_unreadable_sizes_are_not_evaluable() -> None:
    pool = b.session_pool(SUB, "rg", "pool")
    containers = pool["properties"]["customContainerTemplate"]["containers"]
    with pytest.raises(NotEvaluable):
        run(
            rule,
            with_value(
                pool,
                [{**containers[0], "resources": {"cpu": 0.5, "memory": "lots"}}],
                "properties",
                "customContainerTemplate",
                "containers",
            ),
        )
    with pytest.raises(NotEvaluable):
        run(rule, with_value(pool, {"name": "sandbox"}, "properties", "customContainerTemplate", "containers"))
