"""Disables API keys on a Search service. The PATCH sends `disableLocalAuth: true` alone, as
Microsoft's own example does (SearchUpdateServiceDisableLocalAuth, search 2025-05-01): the service
clears `authOptions` itself, since the two cannot both be set. The `authOptions` it held are recorded
as a before-value, so a rollback puts them back with the keys."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from driftguard.model import Plan
from remediations.base import SEARCH, SEARCH_WRITE, PlanContext, Remediation, get_path, patch_plan

ID = "search_service_disable_local_auth"
CHANGES = {"properties.disableLocalAuth": True}


def plan(resource: Mapping[str, Any], context: PlanContext) -> Plan | None:
    fixed = patch_plan(ID, resource, CHANGES, "disable API key authentication")
    if fixed is None:
        return None
    return replace(fixed, before={**fixed.before, "properties.authOptions": get_path(resource, "properties.authOptions")})


REMEDIATION = Remediation(
    ID,
    "Disable API key authentication on a Search service",
    SEARCH,
    SEARCH_WRITE,
    plan,
    touches="Turns API keys off on the Search service: every client querying or indexing with an admin or query key gets 401 until it signs in with Microsoft Entra ID and holds a Search data role.",
)
