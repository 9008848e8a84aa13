"""Turns public network access off on a workspace. A Project inherits it from its Hub, so the PATCH
goes to the Hub the project names."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from driftguard.model import Plan
from remediations.base import WORKSPACE, WORKSPACE_WRITE, CannotPlan, PlanContext, Remediation, get_path, patch_plan

ID = "machinelearning_workspace_disable_public_network_access"
CHANGES = {"properties.publicNetworkAccess": "Disabled"}


def plan(resource: Mapping[str, Any], context: PlanContext) -> Plan | None:
    if str(resource.get("kind", "")).lower() == "project":
        hub = context.extra.get("hub")
        if not isinstance(hub, Mapping):
            raise CannotPlan(
                f"project inherits network settings from hub {get_path(resource, 'properties.hubResourceId')!r}, which was not read"
            )
        resource = hub
    return patch_plan(ID, resource, CHANGES, "disable public network access")


REMEDIATION = Remediation(
    ID,
    "Disable public network access on a workspace (or its hub)",
    WORKSPACE,
    WORKSPACE_WRITE,
    plan,
    touches="The workspace (or its hub, and with it every project on the hub) is reachable only through private endpoints: Studio sessions, SDK clients and pipelines on the internet are cut off.",
)
