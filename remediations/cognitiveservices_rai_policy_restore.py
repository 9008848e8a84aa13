"""Content filter drift: re-PUT the last-known-good RAI policy, or point a deployment back at its
baseline policy. Deployments only take a full PUT, so the request is exactly what was read with only
`raiPolicyName` changed."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from driftguard.azure import api_versions
from driftguard.model import Plan, Step
from remediations.base import CannotPlan, PlanContext, Remediation, canonical_id, get_path

ID = "cognitiveservices_rai_policy_restore"
READ_ONLY = ("provisioningState", "currentCapacity", "capabilities", "rateLimits", "callRateLimit")


def plan(resource: Mapping[str, Any], context: PlanContext) -> Plan | None:
    base = context.baseline
    if base is None:
        raise CannotPlan("no last-known-good content filter to restore: the filter needs a person to set it")
    rid = canonical_id(resource)
    etag = resource.get("etag")
    if_match = etag if isinstance(etag, str) else None
    if str(resource.get("type", "")).lower().endswith("/raipolicies"):
        want = get_path(base, "properties")
        if get_path(resource, "properties.contentFilters") == get_path(want or {}, "contentFilters"):
            return None
        body = {"properties": {k: v for k, v in (want or {}).items() if k != "provisioningState"}}
        step = Step("PUT", rid, api_versions.COGNITIVE_SERVICES, body, if_match)
        return Plan(
            ID,
            rid,
            (step,),
            {"properties.contentFilters": get_path(resource, "properties.contentFilters")},
            {"properties.contentFilters": body["properties"].get("contentFilters")},
            "restore the last-known-good RAI policy",
        )
    want_name = get_path(base, "properties.raiPolicyName")
    have_name = get_path(resource, "properties.raiPolicyName")
    if want_name == have_name:
        return None
    body = {k: copy.deepcopy(v) for k, v in resource.items() if k in ("sku", "properties")}
    props = {k: v for k, v in body.get("properties", {}).items() if k not in READ_ONLY}
    props["raiPolicyName"] = want_name
    body["properties"] = props
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
)
