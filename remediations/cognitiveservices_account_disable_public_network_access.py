"""Turns public network access off on an AI account, or puts back the last-known-good network ACLs
when the baseline was "public, but default Deny with rules" (a deliberate design, not drift to close)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from driftguard.model import Plan
from remediations.base import COGNITIVE_ACCOUNT, COGNITIVE_WRITE, PlanContext, Remediation, get_path, patch_plan

ID = "cognitiveservices_account_disable_public_network_access"


def plan(resource: Mapping[str, Any], context: PlanContext) -> Plan | None:
    base = context.baseline
    if base is not None and str(get_path(base, "properties.publicNetworkAccess") or "").lower() != "disabled":
        acls = get_path(base, "properties.networkAcls")
        if isinstance(acls, Mapping) and str(acls.get("defaultAction", "")).lower() == "deny":
            return patch_plan(
                ID, resource, {"properties.networkAcls": dict(acls)}, "restore the last-known-good network ACLs (default Deny)"
            )
    return patch_plan(ID, resource, {"properties.publicNetworkAccess": "Disabled"}, "disable public network access")


REMEDIATION = Remediation(
    ID,
    "Disable public network access on an AI account",
    COGNITIVE_ACCOUNT,
    COGNITIVE_WRITE,
    plan,
    touches="Callers from the internet and from networks without a private endpoint to the account are cut off; only private endpoints (and trusted Azure services where the network rules allow them) still reach it.",
)
