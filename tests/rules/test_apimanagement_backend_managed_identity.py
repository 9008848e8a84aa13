from driftguard.rules import apimanagement_backend_managed_identity as rule
from simulator import builders as b
from tests.rules.helpers import run, with_value

SUB = "33333333-3333-4333-8333-333333333333"
APIM = b.apim_service(SUB, "rg-gw", "apim-ai")["id"]
ENDPOINT = "https://oai-prod.openai.azure.com/"


def test_a_backend_without_key_credentials_passes() -> None:
    assert run(rule, b.apim_backend(APIM, "oai-prod", account_endpoint=ENDPOINT)) == []


def test_an_api_key_header_fails_naming_the_named_value_never_a_value() -> None:
    [f] = run(rule, b.apim_backend(APIM, "oai-prod", account_endpoint=ENDPOINT, key_header="oai-prod-key"))
    assert f.evidence["credentials"] == {"header:api-key": ["{{oai-prod-key}}"]}
    assert f.evidence["gateway"] == APIM
    assert f.mode == "ticket"
    literal = with_value(
        b.apim_backend(APIM, "oai-prod", account_endpoint=ENDPOINT),
        {"header": {"API-KEY": ["0123456789abcdef0123456789abcdef"]}},
        "properties",
        "credentials",
    )
    [f] = run(rule, literal)
    assert f.evidence["credentials"] == {"header:API-KEY": ["<literal>"]}
    assert "0123456789abcdef" not in str(f.evidence) + f.message


def test_other_key_carriers() -> None:
    backend = b.apim_backend(APIM, "speech", account_endpoint="https://speech-prod.cognitiveservices.azure.com/")
    sub_key = with_value(backend, {"header": {"Ocp-Apim-Subscription-Key": ["{{speech-key}}"]}}, "properties", "credentials")
    assert len(run(rule, sub_key)) == 1
    query = with_value(backend, {"query": {"api-key": ["{{speech-key}}"]}}, "properties", "credentials")
    assert len(run(rule, query)) == 1


def test_backends_that_are_not_ai_accounts_are_not_judged() -> None:
    backend = b.apim_backend(APIM, "crm", account_endpoint="https://crm.contoso.com/", key_header="crm-key")
    assert run(rule, backend) == []
    by_id = with_value(
        backend, "/subscriptions/x/resourceGroups/y/providers/Microsoft.CognitiveServices/accounts/z", "properties", "resourceId"
    )
    assert len(run(rule, by_id)) == 1


def test_not_applicable() -> None:
    assert rule.META.applies_to("microsoft.apimanagement/service/backends")
    assert not rule.META.applies_to("Microsoft.ApiManagement/service")
