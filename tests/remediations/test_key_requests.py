"""The key rotations against the operations the management SDKs generate from Microsoft's specs: the same
method, path, api-version and body as the SDK's own request for that operation."""

from __future__ import annotations

from typing import Any

import pytest
from azure.mgmt.cognitiveservices import models as cognitive_models
from azure.mgmt.cognitiveservices.operations._accounts_operations import build_regenerate_key_request as cognitive_regenerate
from azure.mgmt.search.operations._admin_keys_operations import build_regenerate_request as search_regenerate
from azure.mgmt.storage import models as storage_models
from azure.mgmt.storage.operations._storage_accounts_operations import build_regenerate_key_request as storage_regenerate

import remediations
from driftguard.model import Step
from driftguard.policy import Policy
from remediations.base import PlanContext
from simulator import builders as b

SUB = "11111111-1111-4111-8111-111111111111"


def sent(step: Step) -> tuple[str, str, dict[str, Any] | None]:
    return step.method, f"{step.path}?api-version={step.api_version}", dict(step.body) if step.body is not None else None


def sdk(request: Any, body: Any = None) -> tuple[str, str, dict[str, Any] | None]:
    return request.method, request.url, body.serialize() if body is not None else None


def plan_for(rid: str, resource: dict[str, Any]) -> list[tuple[str, str, dict[str, Any] | None]]:
    plan = remediations.registry()[rid].plan(resource, PlanContext(policy=Policy()))
    assert plan is not None
    return [sent(s) for s in plan.steps]


def test_ai_account_keys_as_cognitive_services_specifies() -> None:
    account = b.cognitive_account(SUB, "rg", "oai", local_auth=True)
    assert plan_for("cognitiveservices_account_regenerate_keys", account) == [
        sdk(cognitive_regenerate("rg", "oai", SUB), cognitive_models.RegenerateKeyParameters(key_name=name)) for name in ("Key1", "Key2")
    ]


def test_search_admin_keys_as_search_specifies() -> None:
    service = b.search_service(SUB, "rg", "srch")
    assert plan_for("search_service_regenerate_admin_keys", service) == [
        sdk(search_regenerate("rg", "srch", kind, SUB)) for kind in ("primary", "secondary")
    ]


def test_storage_keys_as_storage_specifies() -> None:
    account = b.storage_account(SUB, "rg", "st")
    assert plan_for("storage_account_regenerate_keys", account) == [
        sdk(storage_regenerate("rg", "st", SUB), storage_models.StorageAccountRegenerateKeyParameters(key_name=name))
        for name in ("key1", "key2")
    ]


@pytest.mark.parametrize(
    "rid", ["cognitiveservices_account_regenerate_keys", "search_service_regenerate_admin_keys", "storage_account_regenerate_keys"]
)
def test_every_key_rotation_declares_the_action_it_sends(rid: str) -> None:
    remediation = remediations.registry()[rid]
    [action] = remediation.actions
    assert action.endswith(("/regenerateKey/action", "/regenerateAdminKey/action"))
    assert action.split("/")[0] == remediation.resource_types[0].split("/")[0]
