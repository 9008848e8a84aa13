"""Content filter drift: re-PUT the last-known-good RAI policy, or point a deployment back at its
baseline policy. Both take only a full PUT (no PATCH for RAI policies; a deployment PATCH takes only
`sku` and `tags`), so the body is what was read — `sku`, `tags`, `properties` — with only the
policy changed, minus what the Cognitive Services 2025-09-01 models mark read-only (a deployment's
`provisioningState`, `capabilities`, `rateLimits`, `callRateLimit`, `dynamicThrottlingEnabled`; a
policy's `type`): a PUT replaces the resource, so anything writable left out (the tags) would be lost."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from driftguard.azure import api_versions
from driftguard.azure.schema import writable
from driftguard.model import Plan, Step
from remediations.base import CannotPlan, PlanContext, Remediation, canonical_id, get_path

ID = "cognitiveservices_rai_policy_restore"


def plan(resource: Mapping[str, Any], context: PlanContext) -> Plan | None:
    # The SDK's models load only when a content filter is restored (they take a while to import).
    from azure.mgmt.cognitiveservices import models

    base = context.baseline
    if base is None:
        raise CannotPlan("no last-known-good content filter to restore: the filter needs a person to set it")
    rid = canonical_id(resource)
    etag = resource.get("etag")
    if_match = etag if isinstance(etag, str) else None
    if str(resource.get("type", "")).lower().endswith("/raipolicies"):
        want = get_path(base, "properties") or {}
        if get_path(resource, "properties.contentFilters") == get_path(want, "contentFilters"):
            return None
        policy: dict[str, Any] = {"properties": want}
        if isinstance(resource.get("tags"), Mapping):
            policy["tags"] = resource["tags"]
        body = writable(policy, models.RaiPolicy)
        step = Step("PUT", rid, api_versions.COGNITIVE_SERVICES, body, if_match)
        return Plan(
            ID,
            rid,
            (step,),
            {"properties.contentFilters": get_path(resource, "properties.contentFilters")},
            {"properties.contentFilters": get_path(body, "properties.contentFilters")},
            "restore the last-known-good RAI policy",
        )
    want_name = get_path(base, "properties.raiPolicyName")
    have_name = get_path(resource, "properties.raiPolicyName")
    if want_name == have_name:
        return None
    body = writable(resource, models.Deployment)
    body["properties"] = {**body.get("properties", {}), "raiPolicyName": want_name}
    step = Step("PUT", rid, api_versions.COGNITIVE_SERVICES, body, if_match)
    return Plan(
        ID,
        rid,
        (step,),
        {"properties.raiPolicyName": have_name},
        {"properties.raiPolicyName": want_name},
        f"point the deployment back at RAI policy {want_name!r}",
    )


REMEDIATION = Remediation(
    ID,
    "Restore a deployment's content filter",
    ("Microsoft.CognitiveServices/accounts/deployments", "Microsoft.CognitiveServices/accounts/raiPolicies"),
    (
        "Microsoft.CognitiveServices/accounts/deployments/read",
        "Microsoft.CognitiveServices/accounts/deployments/write",
        "Microsoft.CognitiveServices/accounts/raiPolicies/read",
        "Microsoft.CognitiveServices/accounts/raiPolicies/write",
    ),
    plan,
    touches="Puts the content filter back at its approved thresholds: prompts and completions the relaxed filter let through are blocked again for every app using the deployment.",
)
