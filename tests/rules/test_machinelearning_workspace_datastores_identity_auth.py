from driftguard.model import Mode
from driftguard.rules import machinelearning_workspace_datastores_identity_auth as rule
from simulator import builders as b
from tests.conftest import corpus_body
from tests.rules.helpers import run, with_value


def test_identity_passes() -> None:
    assert run(rule, b.workspace("s", "rg", "w")) == []


def test_access_key_fails_for_approval() -> None:
    [f] = run(rule, b.workspace("s", "rg", "w", datastore_auth="AccessKey"))
    assert f.mode is Mode.APPROVE


def test_absent_means_access_key() -> None:
    assert len(run(rule, corpus_body("rest-examples", "machinelearningservices", "2025-06-01", "Workspace", "get.json"))) == 1


def test_casing() -> None:
    assert run(rule, with_value(b.workspace("s", "rg", "w"), "identity", "properties", "systemDatastoresAuthMode")) == []


def test_projects_not_applicable() -> None:
    assert run(rule, b.workspace("s", "rg", "p", kind="Project", datastore_auth=None)) == []
