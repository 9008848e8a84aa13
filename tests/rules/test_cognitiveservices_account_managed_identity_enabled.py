from driftguard.rules import cognitiveservices_account_managed_identity_enabled as rule
from simulator import builders as b
from tests.conftest import corpus_body
from tests.rules.helpers import run, with_value


def test_system_assigned_passes() -> None:
    assert run(rule, b.cognitive_account("s", "rg", "oai")) == []
    assert run(rule, corpus_body("rest-examples", "cognitiveservices", "2026-09-01", "CreateAccount.json")) == []


def test_absent_identity_fails() -> None:
    [f] = run(rule, b.cognitive_account("s", "rg", "oai", identity=False))
    assert f.evidence == {"identity.type": None}


def test_none_in_any_casing_fails() -> None:
    assert len(run(rule, with_value(b.search_service("s", "rg", "srch"), "none", "identity", "type"))) == 1


def test_user_assigned_passes() -> None:
    assert run(rule, with_value(b.search_service("s", "rg", "srch"), "UserAssigned", "identity", "type")) == []


def test_not_applicable() -> None:
    assert not rule.META.applies_to("Microsoft.Storage/storageAccounts")
