"""Adds a system-assigned managed identity (grants nothing by itself)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from driftguard.model import Plan
from remediations.base import COGNITIVE_WRITE, SEARCH_WRITE, PlanContext, Remediation, get_path, patch_plan, same_value

ID = "resource_enable_system_assigned_identity"
CHANGES = {"identity.type": "SystemAssigned"}


def plan(resource: Mapping[str, Any], context: PlanContext) -> Plan | None:
    current = get_path(resource, "identity.type")
    if current is not None and not same_value(current, "None"):
        # It has an identity already (perhaps a user-assigned one, which this PATCH would replace).
        return None
    fixed = patch_plan(ID, resource, CHANGES, "add a system-assigned managed identity")
    # "No identity" is written `"type": "None"`, never null (Search requires a type): that is the
    # before-value a rollback sends back.
    return None if fixed is None else replace(fixed, before={"identity.type": "None"})


REMEDIATION = Remediation(
    ID,
    "Add a system-assigned managed identity",
    ("Microsoft.CognitiveServices/accounts", "Microsoft.Search/searchServices"),
    (*COGNITIVE_WRITE, *SEARCH_WRITE),
    plan,
)
