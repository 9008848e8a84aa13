import pytest

from driftguard.rules import machinelearning_workspace_public_network_access_disabled as rule
from driftguard.rules.base import NotEvaluable
from simulator import builders as b
from tests.conftest import corpus_body
from tests.rules.helpers import run, with_value, without


def test_corpus_workspace_passes() -> None:
    assert run(rule, corpus_body("rest-examples", "machinelearningservices", "2025-06-01", "Workspace", "get.json")) == []


def test_a_project_is_judged_on_the_hub_it_inherits_from() -> None:
    open_hub = b.workspace("s", "rg", "hub", public=True)
    project = b.workspace("s", "rg", "proj", kind="Project", public=False, hub_id=open_hub["id"])
    [f] = run(rule, project, related={rule.HUB: [open_hub]})
    assert f.evidence["hubResourceId"] == open_hub["id"]
    assert f.evidence["publicNetworkAccess"] == "Enabled"
    assert "hub" in f.message
    closed_hub = b.workspace("s", "rg", "hub", public=False)
    reporting_open = b.workspace("s", "rg", "proj", kind="Project", public=True, hub_id=closed_hub["id"])
    assert run(rule, reporting_open, related={rule.HUB: [closed_hub]}) == []


def test_a_project_without_its_hub_is_not_evaluable() -> None:
    project = b.workspace("s", "rg", "proj", kind="Project", hub_id="/subscriptions/s/resourceGroups/rg/providers/x.y/z/hub")
    with pytest.raises(NotEvaluable, match="hub"):
        run(rule, project)
    with pytest.raises(NotEvaluable, match="hub"):
        run(rule, project, related={rule.HUB: []})  # the hub was asked for and is gone
    assert rule.hub_id(project) == project["properties"]["hubResourceId"]
    assert rule.hub_id(b.workspace("s", "rg", "w")) is None


def test_absent_means_enabled() -> None:
    assert len(run(rule, without(b.workspace("s", "rg", "w"), "properties", "publicNetworkAccess"))) == 1


def test_casing() -> None:
    assert run(rule, with_value(b.workspace("s", "rg", "w"), "DISABLED", "properties", "publicNetworkAccess")) == []


def test_not_applicable() -> None:
    assert not rule.META.applies_to("Microsoft.CognitiveServices/accounts")
