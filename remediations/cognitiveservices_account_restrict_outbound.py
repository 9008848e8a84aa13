"""Restricts an AI account's outbound access again, to the last-known-good FQDN list (or the policy's
approved list when there is no baseline)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from driftguard.model import Plan
from remediations.base import COGNITIVE_ACCOUNT, COGNITIVE_WRITE, PlanContext, Remediation, get_path, patch_plan

ID = "cognitiveservices_account_restrict_outbound"


def plan(resource: Mapping[str, Any], context: PlanContext) -> Plan | None:
    fqdns = get_path(context.baseline or {}, "properties.allowedFqdnList")
    if not isinstance(fqdns, list):
        fqdns = list(context.policy.network.approved_fqdns)
    changes = {"properties.restrictOutboundNetworkAccess": True, "properties.allowedFqdnList": list(fqdns)}
    return patch_plan(ID, resource, changes, f"restrict outbound access to {len(fqdns)} approved FQDN(s)")


REMEDIATION = Remediation(
    ID,
    "Restrict an AI account's outbound network access",
    COGNITIVE_ACCOUNT,
    COGNITIVE_WRITE,
    plan,
    touches="The account can call out only to the approved FQDNs: features that fetch from elsewhere (data sources, web grounding, callbacks to other hosts) stop working.",
)
