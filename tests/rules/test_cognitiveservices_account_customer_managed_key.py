from driftguard.model import Mode
from driftguard.rules import cognitiveservices_account_customer_managed_key as rule
from simulator import builders as b
from tests.conftest import corpus_body
from tests.rules.helpers import run, with_value

CONFIDENTIAL = {"data-classification": "Confidential"}


def test_classified_with_cmk_passes() -> None:
    assert run(rule, b.cognitive_account("s", "rg", "oai", tags=CONFIDENTIAL, cmk=True)) == []


def test_classified_without_cmk_is_reported() -> None:
    [f] = run(rule, b.cognitive_account("s", "rg", "oai", tags=CONFIDENTIAL))
    assert f.mode is Mode.REPORT
    assert f.remediation is None


def test_unclassified_not_applicable() -> None:
    assert run(rule, b.cognitive_account("s", "rg", "oai")) == []
    assert run(rule, b.storage_account("s", "rg", "st", tags={"data-classification": "public"})) == []


def test_per_service_shapes() -> None:
    ws = with_value(corpus_body("rest-examples", "machinelearningservices", "2025-06-01", "Workspace", "get.json"), CONFIDENTIAL, "tags")
    assert run(rule, ws) == []  # encryption.status Enabled
    srch = b.search_service("s", "rg", "srch")
    srch["tags"] = CONFIDENTIAL
    assert len(run(rule, srch)) == 1
    assert run(rule, with_value(srch, "enabled", "properties", "encryptionWithCmk", "enforcement")) == []
