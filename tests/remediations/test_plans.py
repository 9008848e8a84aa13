"""What single plans send, held against the specs: the types a fix is written for, enum casing, and the
way an identity is removed."""

from __future__ import annotations

import re

import pytest

import remediations
from driftguard.azure import api_versions
from driftguard.policy import Policy
from remediations.base import CannotPlan, PlanContext, rollback
from simulator import builders as b

SUB = "11111111-1111-4111-8111-111111111111"
CONTEXT = PlanContext(policy=Policy())
# One resource of each type some remediation is written for, and one of a type none is.
SAMPLES = [
    b.cognitive_account(SUB, "rg", "oai"),
    b.search_service(SUB, "rg", "srch"),
    b.storage_account(SUB, "rg", "st"),
    b.workspace(SUB, "rg", "ws"),
    b.pricing(SUB, standard=False),
    b.session_pool(SUB, "rg", "pool"),
    {"id": f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Web/sites/app", "type": "Microsoft.Web/sites", "properties": {}},
]


@pytest.mark.parametrize("rid", sorted(remediations.registry()))
def test_a_remediation_refuses_types_it_is_not_written_for(rid: str) -> None:
    remediation = remediations.registry()[rid]
    declared = {t.lower() for t in remediation.resource_types}
    others = [r for r in SAMPLES if r["type"].lower() not in declared]
    assert others
    for resource in others:
        with pytest.raises(CannotPlan, match=re.escape(f"type {resource['type']!r}")):
            remediation.plan(resource, CONTEXT)


def test_the_key_remediation_of_ai_accounts_is_refused_for_a_search_service() -> None:
    """What happened before: Cognitive Services' regenerateKey body sent to every type."""
    search = b.search_service(SUB, "rg", "srch")
    with pytest.raises(CannotPlan, match=re.escape("Microsoft.Search/searchServices")):
        remediations.registry()["cognitiveservices_account_regenerate_keys"].plan(search, CONTEXT)


def test_search_public_access_is_compared_without_regard_to_casing() -> None:
    fix = remediations.registry()["search_service_disable_public_network_access"]
    service = b.search_service(SUB, "rg", "srch", public=False)
    for answered in ("Disabled", "disabled", "DISABLED"):
        service["properties"]["publicNetworkAccess"] = answered
        assert fix.plan(service, CONTEXT) is None, answered
    service["properties"]["publicNetworkAccess"] = "Enabled"
    plan = fix.plan(service, CONTEXT)
    assert plan is not None
    assert plan.steps[0].body == {"properties": {"publicNetworkAccess": "disabled"}}  # the spec's enum is lower case


def test_removing_an_identity_again_is_type_none_never_null() -> None:
    fix = remediations.registry()["resource_enable_system_assigned_identity"]
    service = b.search_service(SUB, "rg", "srch", identity=False)
    assert "identity" not in service or service["identity"].get("type") in (None, "None")
    plan = fix.plan(service, CONTEXT)
    assert plan is not None
    assert plan.steps[0].body == {"identity": {"type": "SystemAssigned"}}
    after = {**service, "identity": {"type": "SystemAssigned", "principalId": "p", "tenantId": "t"}}
    back = rollback(plan, after)
    assert back is not None
    assert back.steps[0].body == {"identity": {"type": "None"}}


def test_an_identity_of_any_kind_is_left_alone() -> None:
    fix = remediations.registry()["resource_enable_system_assigned_identity"]
    account = b.cognitive_account(SUB, "rg", "oai")
    account["identity"] = {"type": "UserAssigned", "userAssignedIdentities": {"/x": {}}}
    assert fix.plan(account, CONTEXT) is None  # a PATCH to SystemAssigned would drop the user-assigned one


def test_search_before_values_are_recorded_in_the_spec_spelling_for_rollback() -> None:
    from azure.mgmt.search import models as search_models

    from remediations import search_service_disable_public_network_access as fix

    assert set(fix.SPELLING.values()) == {v.value for v in search_models.PublicNetworkAccess}
    service = b.search_service(SUB, "rg", "srch", public=True)
    assert service["properties"]["publicNetworkAccess"] == "Enabled"  # as services answer
    plan = fix.REMEDIATION.plan(service, CONTEXT)
    assert plan is not None
    assert plan.before == {"properties.publicNetworkAccess": "enabled"}
    closed = {**service, "properties": {**service["properties"], "publicNetworkAccess": "Disabled"}}
    back = rollback(plan, closed)
    assert back is not None
    assert back.steps[0].body == {"properties": {"publicNetworkAccess": "enabled"}}


def test_a_free_tier_search_service_gets_a_case_saying_what_a_person_must_do() -> None:
    # Free tier: no managed identity, and the tier cannot change in place (the simulator refuses the write).
    fix = remediations.registry()["resource_enable_system_assigned_identity"]
    free = b.search_service(SUB, "rg", "srch", sku="free", identity=False)
    with pytest.raises(CannotPlan, match="Basic or higher"):
        fix.plan(free, CONTEXT)
    assert fix.plan(b.search_service(SUB, "rg", "srch", sku="basic", identity=False), CONTEXT) is not None


def test_search_disable_local_auth_sends_the_flag_alone_and_records_auth_options_for_rollback() -> None:
    fix = remediations.registry()["search_service_disable_local_auth"]
    service = b.search_service(SUB, "rg", "srch", local_auth=True)
    service["properties"]["authOptions"] = {"aadOrApiKey": {"aadAuthFailureMode": "http401WithBearerChallenge"}}
    plan = fix.plan(service, CONTEXT)
    assert plan is not None
    assert [s.body for s in plan.steps] == [{"properties": {"disableLocalAuth": True}}]  # as Microsoft's example sends it
    closed = {**service, "properties": {**service["properties"], "disableLocalAuth": True, "authOptions": None}}
    back = fix.undo(plan, closed)
    assert back is not None
    assert back.steps[0].body == {
        "properties": {"disableLocalAuth": False, "authOptions": {"aadOrApiKey": {"aadAuthFailureMode": "http401WithBearerChallenge"}}}
    }


def test_a_revert_restores_what_an_absent_value_meant_never_a_null() -> None:
    # The providers ignore nulls in a PATCH: a rollback of a property that was absent sends its default.
    fix = remediations.registry()["storage_account_disable_shared_key"]
    storage = b.storage_account(SUB, "rg", "st", tags={"driftguard-ai-data": "true"}, shared_key=True)
    del storage["properties"]["allowSharedKeyAccess"]  # "null, which is equivalent to true"
    plan = fix.plan(storage, CONTEXT)
    assert plan is not None
    assert plan.before == {"properties.allowSharedKeyAccess": None}
    closed = {**storage, "properties": {**storage["properties"], "allowSharedKeyAccess": False}}
    back = fix.undo(plan, closed)
    assert back is not None
    assert back.steps[0].body == {"properties": {"allowSharedKeyAccess": True}}


def test_session_pool_egress_is_patched_alone_at_the_app_version_and_rolls_back() -> None:
    fix = remediations.registry()["app_sessionpool_disable_egress"]
    pool = b.session_pool(SUB, "rg", "pool", egress=True)
    plan = fix.plan(pool, CONTEXT)
    assert plan is not None
    [step] = plan.steps
    assert (step.method, step.path, step.api_version) == ("PATCH", pool["id"], api_versions.APP)
    assert step.body == {"properties": {"sessionNetworkConfiguration": {"status": "EgressDisabled"}}}
    assert plan.before == {"properties.sessionNetworkConfiguration.status": "EgressEnabled"}
    assert fix.plan(b.session_pool(SUB, "rg", "pool"), CONTEXT) is None
    assert fix.plan(b.session_pool(SUB, "rg", "pool", egress=False), CONTEXT) is None
    back = rollback(plan, b.session_pool(SUB, "rg", "pool"))
    assert back is not None
    assert back.steps[0].body == {"properties": {"sessionNetworkConfiguration": {"status": "EgressEnabled"}}}
