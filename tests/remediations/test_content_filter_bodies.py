"""The content-filter restore sends full PUTs: held against the Cognitive Services 2025-09-01 models the
SDK generates from the spec. A body may hold nothing the model marks read-only or does not define, and
must keep what a PUT would otherwise wipe (the tags)."""

from __future__ import annotations

import copy
from typing import Any

from azure.mgmt.cognitiveservices import models

import remediations
from driftguard.policy import Policy
from remediations.base import PlanContext
from simulator import builders as b

SUB = "11111111-1111-4111-8111-111111111111"
ACCOUNT = b.cognitive_account(SUB, "rg", "oai")["id"]
RESTORE = remediations.registry()["cognitiveservices_rai_policy_restore"]


def as_read(rai_policy: str) -> dict[str, Any]:
    """A deployment as ARM returns it, read-only properties and all."""
    deployment = b.deployment(ACCOUNT, "gpt", rai_policy=rai_policy)
    deployment["tags"] = {"cost-center": "ai-42"}
    deployment["properties"].update(
        {
            "capabilities": {"chatCompletion": "true", "maxContextToken": "128000"},
            "rateLimits": [{"key": "request", "renewalPeriod": 10, "count": 10}],
            "callRateLimit": {"count": 10, "renewalPeriod": 10, "rules": []},
            "dynamicThrottlingEnabled": False,
            "scaleSettings": {"scaleType": "Standard", "capacity": 10, "activeCapacity": 10},
            "somethingNewerThanTheSpec": True,
        }
    )
    deployment["properties"]["model"]["callRateLimit"] = {"count": 10, "renewalPeriod": 10}
    return deployment


def readonly_or_unknown(body: dict[str, Any], model: type[Any]) -> list[str]:
    """Paths in `body` the model marks read-only or does not define, walked with the model's own maps."""
    found = []
    by_key = {spec["key"]: (attr, spec["type"]) for attr, spec in model._attribute_map.items()}
    for key, value in body.items():
        if key not in by_key:
            found.append(key)
            continue
        attr, type_name = by_key[key]
        if model._validation.get(attr, {}).get("readonly"):
            found.append(key)
        nested = getattr(models, type_name, None)
        if isinstance(value, dict) and isinstance(nested, type) and hasattr(nested, "_attribute_map"):
            found += [f"{key}.{p}" for p in readonly_or_unknown(value, nested)]
    return found


def test_a_deployment_put_keeps_sku_and_tags_and_sends_nothing_read_only() -> None:
    current = as_read("relaxed")
    read = copy.deepcopy(current)
    plan = RESTORE.plan(current, PlanContext(policy=Policy(), baseline=b.deployment(ACCOUNT, "gpt", rai_policy="strict")))
    assert plan is not None
    assert current == read  # planning never touches what was read
    [step] = plan.steps
    body = dict(step.body or {})
    assert (step.method, step.path) == ("PUT", current["id"])
    assert body["properties"]["raiPolicyName"] == "strict"
    assert body["tags"] == {"cost-center": "ai-42"}
    assert body["sku"] == {"name": "Standard", "capacity": 10}
    assert readonly_or_unknown(body, models.Deployment) == []
    for gone in ("provisioningState", "capabilities", "rateLimits", "callRateLimit", "dynamicThrottlingEnabled"):
        assert gone not in body["properties"]
    assert "callRateLimit" not in body["properties"]["model"]
    assert "activeCapacity" not in body["properties"]["scaleSettings"]
    # What the SDK itself would send for this deployment, read-only values dropped, is the same body.
    assert models.Deployment.from_dict(body).serialize() == body


def test_a_rai_policy_put_leaves_out_its_read_only_type() -> None:
    current = b.rai_policy(ACCOUNT, "strict", jailbreak=False)
    current["tags"] = {"owner": "trust-and-safety"}
    baseline = b.rai_policy(ACCOUNT, "strict")
    assert baseline["properties"]["type"] == "UserManaged"  # read back with its type ...
    plan = RESTORE.plan(current, PlanContext(policy=Policy(), baseline=baseline))
    assert plan is not None
    body = dict(plan.steps[0].body or {})
    assert "type" not in body["properties"]  # ... which the spec marks read-only
    assert body["properties"]["contentFilters"] == baseline["properties"]["contentFilters"]
    assert body["tags"] == {"owner": "trust-and-safety"}
    assert readonly_or_unknown(body, models.RaiPolicy) == []
    assert models.RaiPolicy.from_dict(body).serialize() == body
