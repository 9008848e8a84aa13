from driftguard.rules import machinelearning_workspace_public_network_access_disabled as rule
from simulator import builders as b
from tests.conftest import corpus_body
from tests.rules.helpers import run, with_value, without


def test_corpus_workspace_passes() -> None:
    assert run(rule, corpus_body("rest-examples", "machinelearningservices", "2025-06-01", "Workspace", "get.json")) == []


def test_enabled_fails_also_on_projects() -> None:
    hub = b.workspace("s", "rg", "hub")
    [f] = run(rule, b.workspace("s", "rg", "proj", kind="Project", public=True, hub_id=hub["id"]))
    assert f.evidence["hubResourceId"] == hub["id"]


def test_absent_means_enabled() -> None:
    assert len(run(rule, without(b.workspace("s", "rg", "w"), "properties", "publicNetworkAccess"))) == 1


def test_casing() -> None:
    assert run(rule, with_value(b.workspace("s", "rg", "w"), "DISABLED", "properties", "publicNetworkAccess")) == []


def test_not_applicable() -> None:
    assert not rule.META.applies_to("Microsoft.CognitiveServices/accounts")
