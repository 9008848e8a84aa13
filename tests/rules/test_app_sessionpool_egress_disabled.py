from driftguard.policy import Policy, SandboxPolicy
from driftguard.rules import app_sessionpool_egress_disabled as rule
from simulator import builders as b
from tests.rules.helpers import run, with_value, without

SUB = "33333333-3333-4333-8333-333333333333"


def test_egress_disabled_passes() -> None:
    assert run(rule, b.session_pool(SUB, "rg-agents", "pool-agents")) == []
    assert run(rule, b.session_pool(SUB, "rg-agents", "pool-python", custom=False)) == []


def test_egress_enabled_fails_with_the_status_as_evidence() -> None:
    [f] = run(rule, b.session_pool(SUB, "rg-agents", "pool-agents", egress=True))
    assert f.evidence == {"sessionNetworkConfiguration.status": "EgressEnabled"}
    assert f.remediation == "app_sessionpool_disable_egress"
    assert f.mode == "revert"


def test_absent_means_egress_disabled_as_documented() -> None:
    pool = b.session_pool(SUB, "rg-agents", "pool-agents", egress=True)
    assert run(rule, without(pool, "properties", "sessionNetworkConfiguration")) == []
    assert run(rule, without(pool, "properties", "sessionNetworkConfiguration", "status")) == []


def test_enum_casing_and_unknown_values() -> None:
    pool = b.session_pool(SUB, "rg-agents", "pool-agents")
    assert run(rule, with_value(pool, "egressdisabled", "properties", "SessionNetworkConfiguration", "status")) == []
    assert len(run(rule, with_value(pool, "SomethingNew", "properties", "sessionNetworkConfiguration", "status"))) == 1


def test_pools_the_policy_allows_may_reach_the_internet() -> None:
    pool = b.session_pool(SUB, "rg-agents", "pool-web", egress=True)
    allowed = Policy(sandboxes=SandboxPolicy(egress_allowed_pools=(pool["id"].upper(),)))
    assert run(rule, pool, policy=allowed) == []
    pattern = Policy(sandboxes=SandboxPolicy(egress_allowed_pools=(f"/subscriptions/{SUB}/resourceGroups/rg-agents/*/pool-web",)))
    assert run(rule, pool, policy=pattern) == []
    other = Policy(sandboxes=SandboxPolicy(egress_allowed_pools=("*/sessionPools/pool-other",)))
    assert len(run(rule, pool, policy=other)) == 1


def test_not_applicable() -> None:
    assert rule.META.applies_to("microsoft.app/sessionpools")
    assert not rule.META.applies_to("Microsoft.App/containerApps")
