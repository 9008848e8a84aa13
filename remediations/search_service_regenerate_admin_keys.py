"""Regenerates a Search service's primary then secondary admin key
(`POST …/searchServices/{s}/regenerateAdminKey/{primary|secondary}`, no body, Search 2025-05-01).
Query keys are not regenerated: they are replaced by creating and deleting keys, which their clients
must follow, so the key rule leaves those to people. The keys Azure returns are never read."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from driftguard.azure import api_versions
from driftguard.model import Plan, Step
from remediations.base import SEARCH, PlanContext, Remediation, canonical_id

ID = "search_service_regenerate_admin_keys"


def plan(resource: Mapping[str, Any], context: PlanContext) -> Plan | None:
    rid = canonical_id(resource)
    steps = tuple(Step("POST", f"{rid}/regenerateAdminKey/{kind}", api_versions.SEARCH) for kind in ("primary", "secondary"))
    return Plan(
        ID,
        rid,
        steps,
        {"adminKeys": "possibly exposed"},
        {"adminKeys": "regenerated"},
        "regenerate the primary then the secondary admin key",
    )


REMEDIATION = Remediation(
    ID,
    "Regenerate a Search service's admin keys",
    SEARCH,
    ("Microsoft.Search/searchServices/regenerateAdminKey/action",),
    plan,
    touches="Invalidates the current admin keys: every app, indexer pipeline or tool still using them gets 403 until it is given a new key. Query keys are not changed.",
)
