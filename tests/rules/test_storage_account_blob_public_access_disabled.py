from driftguard.model import Mode
from driftguard.rules import storage_account_blob_public_access_disabled as rule
from simulator import builders as b
from tests.rules.helpers import run, without

ST = b.storage_account("s", "rg", "st", blob_public=True)
LINKED = frozenset({ST["id"].lower()})


def test_disallowed_passes() -> None:
    assert run(rule, b.storage_account("s", "rg", "st"), ai_linked_storage=LINKED) == []


def test_allowed_fails_auto() -> None:
    [f] = run(rule, ST, ai_linked_storage=LINKED)
    assert f.mode is Mode.AUTO


def test_absent_is_the_secure_default() -> None:
    assert run(rule, without(ST, "properties", "allowBlobPublicAccess"), ai_linked_storage=LINKED) == []


def test_string_casing() -> None:
    st = b.storage_account("s", "rg", "st")
    st["properties"]["allowBlobPublicAccess"] = "TRUE"
    assert len(run(rule, st, ai_linked_storage=frozenset({st["id"].lower()}))) == 1


def test_unrelated_not_applicable() -> None:
    assert run(rule, ST) == []
