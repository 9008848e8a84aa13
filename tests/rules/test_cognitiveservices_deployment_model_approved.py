import pytest

from driftguard.model import Mode
from driftguard.policy import ApprovedModel, ModelPolicy, Policy
from driftguard.rules import cognitiveservices_deployment_model_approved as rule
from driftguard.rules.base import NotEvaluable
from simulator import builders as b
from tests.conftest import corpus_body
from tests.rules.helpers import run, without

ACCOUNT = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/oai"
CATALOG = Policy(
    models=ModelPolicy(
        approved=(ApprovedModel(format="OpenAI", name="gpt-4o", version="2024-08-06"), ApprovedModel(format="OpenAI", name="ada")),
        require_version_pinning=True,
    )
)


def test_approved_pinned_model_passes() -> None:
    assert run(rule, b.deployment(ACCOUNT, "gpt"), policy=CATALOG) == []


def test_unapproved_model_is_a_ticket() -> None:
    [f] = run(rule, b.deployment(ACCOUNT, "x", model="gpt-35-turbo", version="0301"), policy=CATALOG)
    assert f.mode is Mode.TICKET
    assert f.remediation is None


def test_absent_upgrade_option_is_auto_upgrade() -> None:
    # The corpus deployment (ada, version 1) is in the catalog but has no versionUpgradeOption.
    [f] = run(rule, corpus_body("rest-examples", "cognitiveservices", "2025-06-01", "GetDeployment.json"), policy=CATALOG)
    assert "pinning" in f.message


def test_casing_and_no_catalog() -> None:
    d = b.deployment(ACCOUNT, "gpt", model="GPT-4O")
    d["properties"]["model"]["format"] = "openai"
    assert run(rule, d, policy=CATALOG) == []


def test_no_catalog_is_not_evaluable_never_compliant() -> None:
    # No approved list: the model cannot be said approved, nor unapproved.
    d = without(b.deployment(ACCOUNT, "x", model="gpt-35-turbo", version="0301"), "properties", "versionUpgradeOption")
    with pytest.raises(NotEvaluable, match="no approved model catalog"):
        run(rule, d)
    # Pinning is still judged without a catalog: an unpinned deployment is a finding, not "not evaluable".
    [f] = run(rule, d, policy=Policy(models=ModelPolicy(require_version_pinning=True)))
    assert "pinning" in f.message
    assert "catalog" not in f.message


def test_not_applicable() -> None:
    assert not rule.META.applies_to("Microsoft.CognitiveServices/accounts/raiPolicies")
