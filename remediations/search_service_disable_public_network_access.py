"""Turns public network access off on a Search service. The spec's enum is lower case on the wire
(`enabled|disabled|securedByPerimeter`, Search 2025-05-01) while services answer in either casing: the
plan compares without regard to casing and records the before-value in the spec's spelling, which is
what a rollback sends back."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from driftguard.model import Plan
from remediations.base import SEARCH, SEARCH_WRITE, PlanContext, Remediation, patch_plan

ID = "search_service_disable_public_network_access"
PATH = "properties.publicNetworkAccess"
# azure-mgmt-search's PublicNetworkAccess values (a test holds them equal).
SPELLING = {v.lower(): v for v in ("enabled", "disabled", "securedByPerimeter")}


def plan(resource: Mapping[str, Any], context: PlanContext) -> Plan | None:
    fixed = patch_plan(ID, resource, {PATH: "disabled"}, "disable public network access")
    if fixed is None:
        return None
    before = fixed.before[PATH]
    # Absent means the service default, enabled.
    spelled = SPELLING.get(before.lower(), before) if isinstance(before, str) else "enabled" if before is None else before
    return replace(fixed, before={PATH: spelled})


REMEDIATION = Remediation(
    ID,
    "Disable public network access on a Search service",
    SEARCH,
    SEARCH_WRITE,
    plan,
    touches="Callers from the internet and from networks without a private endpoint to the Search service are cut off, indexers pulling over public endpoints included.",
)
