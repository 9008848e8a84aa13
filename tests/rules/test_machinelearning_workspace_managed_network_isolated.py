from driftguard.policy import NetworkPolicy, Policy
from driftguard.rules import machinelearning_workspace_managed_network_isolated as rule
from simulator import builders as b
from tests.conftest import corpus_body
from tests.rules.helpers import run, with_value, without


def test_approved_outbound_passes() -> None:
    # Unlike built-in 6ddb1705 with its default parameter, an isolated workspace passes.
    assert run(rule, corpus_body("rest-examples", "machinelearningservices", "2025-06-01", "Workspace", "get.json")) == []


def test_disabled_fails() -> None:
    [f] = run(rule, b.workspace("s", "rg", "w", isolation="Disabled"))
    assert f.evidence == {"managedNetwork.isolationMode": "Disabled"}


def test_internet_outbound_only_when_policy_allows() -> None:
    w = b.workspace("s", "rg", "w", isolation="AllowInternetOutbound")
    assert len(run(rule, w)) == 1
    assert run(rule, w, policy=Policy(network=NetworkPolicy(ml_allow_internet_outbound=True))) == []


def test_absent_and_casing() -> None:
    assert len(run(rule, without(b.workspace("s", "rg", "w"), "properties", "managedNetwork"))) == 1
    assert (
        run(rule, with_value(b.workspace("s", "rg", "w"), "allowonlyapprovedoutbound", "properties", "managedNetwork", "isolationMode"))
        == []
    )


def test_projects_inherit_from_hub() -> None:
    assert run(rule, b.workspace("s", "rg", "p", kind="project", isolation=None)) == []
