from driftguard.rules import storage_account_public_network_access_disabled as rule
from simulator import builders as b
from tests.rules.helpers import run, with_value, without

ST = b.storage_account("s", "rg", "st", public=True)
LINKED = frozenset({ST["id"].lower()})


def test_linked_and_private_passes() -> None:
    assert run(rule, b.storage_account("s", "rg", "st"), ai_linked_storage=LINKED) == []


def test_linked_and_public_fails() -> None:
    [f] = run(rule, ST, ai_linked_storage=LINKED)
    assert f.evidence == {"publicNetworkAccess": "Enabled", "networkAcls.defaultAction": "Allow"}


def test_tagged_counts_as_ai_data_unless_false() -> None:
    assert len(run(rule, with_value(ST, {"driftguard-ai-data": "yes"}, "tags"))) == 1
    assert run(rule, with_value(ST, {"driftguard-ai-data": "false"}, "tags")) == []


def test_absent_settings_and_casing() -> None:
    bare = without(without(ST, "properties", "publicNetworkAccess"), "properties", "networkAcls")
    assert len(run(rule, bare, ai_linked_storage=LINKED)) == 1
    assert run(rule, with_value(ST, "deny", "properties", "networkAcls", "defaultAction"), ai_linked_storage=LINKED) == []


def test_unrelated_storage_not_applicable() -> None:
    assert run(rule, ST) == []
