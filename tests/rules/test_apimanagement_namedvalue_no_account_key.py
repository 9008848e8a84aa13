from driftguard.policy import GatewayPolicy, Policy
from driftguard.rules import apimanagement_namedvalue_no_account_key as rule
from simulator import builders as b
from tests.rules.helpers import run

SUB = "33333333-3333-4333-8333-333333333333"
APIM = b.apim_service(SUB, "rg-gw", "apim-ai")["id"]


def test_named_values_that_are_not_keys_pass() -> None:
    assert run(rule, b.apim_named_value(APIM, "region", secret=False, value="eastus")) == []
    assert run(rule, b.apim_named_value(APIM, "crm-token")) == []


def test_a_named_value_named_like_an_account_key_fails() -> None:
    [f] = run(rule, b.apim_named_value(APIM, "oai-prod-key"))
    assert f.evidence == {"gateway": APIM, "displayName": "oai-prod-key", "secret": True, "keyVault.secretIdentifier": None}
    kv = b.apim_named_value(APIM, "OpenAI-Key", key_vault_secret="https://kv.vault.azure.net/secrets/openai-key")
    [f] = run(rule, kv)
    assert f.evidence["keyVault.secretIdentifier"].endswith("/openai-key")


def test_a_plain_value_shaped_like_a_key_and_named_as_one_fails_and_is_never_repeated() -> None:
    key = "0123456789abcdef0123456789abcdef"
    [f] = run(rule, b.apim_named_value(APIM, "backend-api-key", secret=False, value=key))
    assert key not in str(f.evidence) + f.message
    assert "named as a key" in f.message
    assert len(run(rule, b.apim_named_value(APIM, "chat_key2", secret=False, value=key.upper()))) == 1


def test_a_hash_or_a_dashless_guid_is_not_taken_for_a_key() -> None:
    # 32 hexadecimal characters are also an MD5 hash or a GUID without dashes: the shape alone is no key.
    for name, value in (
        ("backend-secret-1", "0123456789abcdef0123456789abcdef"),
        ("misc-config", "9f8e7d6c5b4a39281706f5e4d3c2b1a0"),
        ("tenant-id", "72f988bf86f141af91ab2d7cd011db47"),
        ("monkey-hash", "d41d8cd98f00b204e9800998ecf8427e"),
    ):
        assert run(rule, b.apim_named_value(APIM, name, secret=False, value=value)) == [], name


def test_the_patterns_come_from_the_policy() -> None:
    policy = Policy(gateways=GatewayPolicy(key_named_values=("llm-*",)))
    assert len(run(rule, b.apim_named_value(APIM, "llm-primary"), policy=policy)) == 1
    assert run(rule, b.apim_named_value(APIM, "oai-prod-key"), policy=policy) == []
