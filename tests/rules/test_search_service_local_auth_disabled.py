from driftguard.rules import search_service_local_auth_disabled as rule
from simulator import builders as b
from tests.conftest import corpus_body
from tests.rules.helpers import run, without


def test_disabled_passes_including_the_corpus_update_response() -> None:
    assert run(rule, b.search_service("s", "rg", "srch")) == []
    assert run(rule, corpus_body("rest-examples", "search", "2025-05-01", "SearchUpdateServiceDisableLocalAuth.json")) == []


def test_corpus_service_with_keys_fails() -> None:
    [f] = run(rule, corpus_body("rest-examples", "search", "2025-05-01", "SearchGetService.json"))
    assert f.evidence["authOptions"] == {"apiKeyOnly": {}}


def test_absent_means_keys_work() -> None:
    assert len(run(rule, without(b.search_service("s", "rg", "srch"), "properties", "disableLocalAuth"))) == 1


def test_string_boolean_casing() -> None:
    s = b.search_service("s", "rg", "srch")
    s["properties"]["disableLocalAuth"] = "True"
    assert run(rule, s) == []


def test_not_applicable() -> None:
    assert not rule.META.applies_to("Microsoft.CognitiveServices/accounts")
