from driftguard.model import Mode
from driftguard.rules import cognitiveservices_account_public_network_access_disabled as rule
from simulator import builders as b
from tests.conftest import corpus_body
from tests.rules.helpers import run, with_value, without

ACCOUNT = b.cognitive_account("sub", "rg", "oai")


def test_disabled_passes() -> None:
    assert run(rule, ACCOUNT) == []


def test_enabled_with_allow_fails_with_evidence() -> None:
    drifted = b.cognitive_account("sub", "rg", "oai", public=True, default_action="Allow")
    [finding] = run(rule, drifted)
    assert finding.evidence == {"publicNetworkAccess": "Enabled", "networkAcls.defaultAction": "Allow"}
    assert finding.mode is Mode.REVERT


def test_enabled_but_default_deny_passes() -> None:
    assert run(rule, b.cognitive_account("sub", "rg", "oai", public=True, default_action="Deny")) == []


def test_absent_properties_mean_public() -> None:
    bare = without(without(ACCOUNT, "properties", "publicNetworkAccess"), "properties", "networkAcls")
    assert len(run(rule, bare)) == 1


def test_other_casing() -> None:
    assert run(rule, with_value(ACCOUNT, "disabled", "properties", "publicNetworkAccess")) == []
    opened = with_value(
        with_value(ACCOUNT, "ENABLED", "properties", "publicNetworkAccess"), "allow", "properties", "networkAcls", "defaultAction"
    )
    assert len(run(rule, opened)) == 1


def test_corpus_account_without_network_settings_fails() -> None:
    # Microsoft's GetAccount example sets neither property: the service defaults are public.
    assert len(run(rule, corpus_body("rest-examples", "cognitiveservices", "2025-06-01", "GetAccount.json"))) == 1


def test_not_applicable_to_other_types() -> None:
    assert not rule.META.applies_to("Microsoft.Search/searchServices")
