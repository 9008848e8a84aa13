from driftguard.rules import app_sessionpool_registry_identity as rule
from simulator import builders as b
from tests.rules.helpers import run, without

SUB = "33333333-3333-4333-8333-333333333333"
CREDENTIALS = ("properties", "customContainerTemplate", "registryCredentials")


def test_identity_pull_passes() -> None:
    assert run(rule, b.session_pool(SUB, "rg", "pool")) == []


def test_password_pull_fails_naming_the_secret_never_a_value() -> None:
    [f] = run(rule, b.session_pool(SUB, "rg", "pool", registry_password=True))
    assert f.evidence == {
        "server": "contosoacr.azurecr.io",
        "username": "contosoacr",
        "passwordSecretRef": "acr-password",
        "identity": None,
    }
    assert f.mode == "ticket"
    assert f.remediation is None


def test_no_credentials_public_image_or_built_in_container_passes() -> None:
    assert run(rule, without(b.session_pool(SUB, "rg", "pool", registry_password=True), *CREDENTIALS)) == []
    assert run(rule, b.session_pool(SUB, "rg", "pool", custom=False)) == []


def test_empty_secret_reference_is_no_password() -> None:
    pool = b.session_pool(SUB, "rg", "pool", registry_password=True)
    pool["properties"]["customContainerTemplate"]["registryCredentials"]["passwordSecretRef"] = ""
    assert run(rule, pool) == []
