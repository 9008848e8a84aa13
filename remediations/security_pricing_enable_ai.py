"""Turns the subscription's Defender for AI plan on. It costs money, so its rule is a ticket by default:
this runs only after a person approves."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from driftguard.azure import api_versions
from driftguard.model import Plan, Step
from remediations.base import PlanContext, Remediation, canonical_id, get_path

ID = "security_pricing_enable_ai"


def plan(resource: Mapping[str, Any], context: PlanContext) -> Plan | None:
    if str(get_path(resource, "properties.pricingTier") or "").lower() == "standard":
        return None
    rid = canonical_id(resource)
    step = Step("PUT", rid, api_versions.SECURITY_PRICINGS, {"properties": {"pricingTier": "Standard"}})
    return Plan(
        ID,
        rid,
        (step,),
        {"properties.pricingTier": get_path(resource, "properties.pricingTier")},
        {"properties.pricingTier": "Standard"},
        "enable the Defender for AI plan (billed)",
    )


REMEDIATION = Remediation(
    ID,
    "Enable Defender for AI on a subscription",
    ("Microsoft.Security/pricings",),
    ("Microsoft.Security/pricings/read", "Microsoft.Security/pricings/write"),
    plan,
)
