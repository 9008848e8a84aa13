"""The registry is explicit; these checks keep it honest."""

import importlib
import pkgutil
from pathlib import Path

import driftguard.rules as rules_pkg
from driftguard.rules import ACCESS_RULES, PROBE_RULES, RESOURCE_RULES
from driftguard.rules.base import RuleMeta

NOT_RULES = {"base", "roles", "gateway"}
CONTROLS_IDS = {
    "cognitiveservices_account_public_network_access_disabled",
    "cognitiveservices_account_network_rules_restricted",
    "cognitiveservices_account_private_endpoint_approved_only",
    "cognitiveservices_account_outbound_restricted",
    "cognitiveservices_account_local_auth_disabled",
    "cognitiveservices_account_keys_not_exposed",
    "cognitiveservices_account_managed_identity_enabled",
    "cognitiveservices_account_defender_for_ai_enabled",
    "cognitiveservices_account_customer_managed_key",
    "cognitiveservices_deployment_content_filter_enforced",
    "cognitiveservices_deployment_model_approved",
    "machinelearning_workspace_public_network_access_disabled",
    "machinelearning_workspace_managed_network_isolated",
    "machinelearning_workspace_datastores_identity_auth",
    "search_service_public_network_access_disabled",
    "search_service_local_auth_disabled",
    "storage_account_public_network_access_disabled",
    "storage_account_blob_public_access_disabled",
    "storage_account_shared_key_disabled",
    "app_sessionpool_egress_disabled",
    "app_sessionpool_lifetime_bounded",
    "app_sessionpool_container_resources_limited",
    "app_sessionpool_registry_identity",
    "cognitiveservices_account_gateway_only",
    "apimanagement_backend_managed_identity",
    "apimanagement_namedvalue_no_account_key",
    "apimanagement_service_identity_least_privilege",
    "monitor_ai_resource_diagnostic_logs_enabled",
    "security_pricing_ai_defender_enabled",
}


def test_every_module_is_registered_and_named_by_its_id() -> None:
    modules = {m.name for m in pkgutil.iter_modules(rules_pkg.__path__)} - NOT_RULES
    registered = {m.__name__.rsplit(".", 1)[1] for m in (*RESOURCE_RULES, *ACCESS_RULES, *PROBE_RULES)}
    assert modules == registered
    for module in (*RESOURCE_RULES, *ACCESS_RULES, *PROBE_RULES):
        assert isinstance(module.META, RuleMeta)
        assert module.META.id == module.__name__.rsplit(".", 1)[1]


ACCESS_IDS = {
    "authorization_roleassignment_privileged_not_standing",
    "authorization_roleassignment_within_persona",
    "authorization_roleassignment_used_recently",
    "authorization_roleassignment_not_orphaned",
    "authorization_roledefinition_least_privilege",
}


def test_catalog_matches_controls_md() -> None:
    assert {m.META.id for m in RESOURCE_RULES} == CONTROLS_IDS
    assert {m.META.id for m in ACCESS_RULES} == ACCESS_IDS
    assert {m.META.id for m in PROBE_RULES} == {"cognitiveservices_deployment_canary_probe_blocked"}


def test_every_rule_has_its_test_module() -> None:
    here = Path(__file__).parent
    for module in (*RESOURCE_RULES, *ACCESS_RULES, *PROBE_RULES):
        assert (here / f"test_{module.META.id}.py").is_file(), module.META.id
        importlib.import_module(f"tests.rules.test_{module.META.id}")


def test_metadata_is_complete() -> None:
    for module in (*RESOURCE_RULES, *ACCESS_RULES, *PROBE_RULES):
        meta = module.META
        assert meta.title
        assert meta.seed_section
        assert meta.resource_types
        assert meta.references, f"{meta.id} names no reference"
        for ref in meta.references:
            if ref.kind == "azure-policy":
                assert len(ref.id) == 36, ref.id
