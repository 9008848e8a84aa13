"""Turns the subscription's Defender for AI plan on. It costs money, so its rule is a ticket by default:
this runs only after a person approves. Pricings take a PUT, not a PATCH."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from driftguard.azure import api_versions
from driftguard.model import Plan
from remediations.base import PlanContext, Remediation, put_setting_plan

ID = "security_pricing_enable_ai"


def plan(resource: Mapping[str, Any], context: PlanContext) -> Plan | None:
    changes = {"properties.pricingTier": "Standard"}
    return put_setting_plan(
        ID, resource, changes, api_version=api_versions.SECURITY_PRICINGS, summary="enable the Defender for AI plan (billed)"
    )


REMEDIATION = Remediation(
    ID,
    "Enable Defender for AI on a subscription",
    ("Microsoft.Security/pricings",),
    ("Microsoft.Security/pricings/read", "Microsoft.Security/pricings/write"),
    plan,
    touches="Turns on Defender for AI for the whole subscription (every AI account in it): billed per token scanned; nothing is blocked.",
)
