from driftguard.model import Mode
from driftguard.rules import search_service_public_network_access_disabled as rule
from simulator import builders as b
from tests.conftest import corpus_body
from tests.rules.helpers import run, with_value, without


def test_disabled_passes_in_lower_case_as_the_service_writes_it() -> None:
    assert run(rule, with_value(b.search_service("s", "rg", "srch"), "disabled", "properties", "publicNetworkAccess")) == []


def test_corpus_public_without_ip_rules_fails() -> None:
    [f] = run(rule, corpus_body("rest-examples", "search", "2025-05-01", "SearchGetService.json"))
    assert f.mode is Mode.REVERT
    assert f.remediation is not None


def test_public_with_narrow_ip_rules_passes_and_wide_fails() -> None:
    assert run(rule, b.search_service("s", "rg", "srch", public=True, ip_rules=["203.0.113.4"])) == []
    assert len(run(rule, b.search_service("s", "rg", "srch", public=True, ip_rules=["0.0.0.0/0"]))) == 1


def test_absent_means_public() -> None:
    assert len(run(rule, without(b.search_service("s", "rg", "srch"), "properties", "publicNetworkAccess"))) == 1


def test_free_sku_is_a_ticket_without_remediation() -> None:
    [f] = run(rule, b.search_service("s", "rg", "srch", public=True, sku="free"))
    assert f.mode is Mode.TICKET
    assert f.remediation is None
