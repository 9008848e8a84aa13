from driftguard.rules import cognitiveservices_account_local_auth_disabled as rule
from simulator import builders as b
from tests.conftest import corpus_body
from tests.rules.helpers import run, with_value, without


def test_disabled_passes() -> None:
    assert run(rule, b.cognitive_account("s", "rg", "oai")) == []


def test_enabled_fails() -> None:
    [f] = run(rule, b.cognitive_account("s", "rg", "oai", local_auth=True))
    assert f.evidence == {"disableLocalAuth": False}
    assert f.remediation == "cognitiveservices_account_disable_local_auth"


def test_absent_means_keys_work() -> None:
    assert len(run(rule, without(b.cognitive_account("s", "rg", "oai"), "properties", "disableLocalAuth"))) == 1
    assert len(run(rule, corpus_body("rest-examples", "cognitiveservices", "2025-06-01", "GetAccount.json"))) == 1


def test_notification_style_booleans_and_casing() -> None:
    assert run(rule, with_value(b.cognitive_account("s", "rg", "oai"), 1, "properties", "disableLocalAuth")) == []
    assert run(rule, with_value(b.cognitive_account("s", "rg", "oai"), "TRUE", "properties", "disableLocalAuth")) == []
    assert len(run(rule, with_value(b.cognitive_account("s", "rg", "oai"), 0, "properties", "disableLocalAuth"))) == 1


def test_not_applicable() -> None:
    assert not rule.META.applies_to("Microsoft.Search/searchServices")
