from driftguard.rules import storage_account_shared_key_disabled as rule
from simulator import builders as b
from tests.rules.helpers import run, without

ST = b.storage_account("s", "rg", "st", shared_key=True)
LINKED = frozenset({ST["id"].lower()})


def test_false_passes() -> None:
    assert run(rule, b.storage_account("s", "rg", "st"), ai_linked_storage=LINKED) == []


def test_true_fails() -> None:
    assert len(run(rule, ST, ai_linked_storage=LINKED)) == 1


def test_absent_or_null_means_shared_keys_work() -> None:
    assert len(run(rule, without(ST, "properties", "allowSharedKeyAccess"), ai_linked_storage=LINKED)) == 1
    st = b.storage_account("s", "rg", "st")
    st["properties"]["allowSharedKeyAccess"] = None
    assert len(run(rule, st, ai_linked_storage=LINKED)) == 1


def test_string_false_casing() -> None:
    st = b.storage_account("s", "rg", "st")
    st["properties"]["allowSharedKeyAccess"] = "False"
    assert run(rule, st, ai_linked_storage=LINKED) == []


def test_unrelated_not_applicable() -> None:
    assert run(rule, ST) == []
