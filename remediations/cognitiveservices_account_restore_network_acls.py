"""Puts back the whole last-known-good `networkAcls` object (ARM replaces arrays, so a partial patch of
the rules would lose some)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from driftguard.model import Plan
from remediations.base import COGNITIVE_ACCOUNT, COGNITIVE_WRITE, CannotPlan, PlanContext, Remediation, get_path, patch_plan

ID = "cognitiveservices_account_restore_network_acls"


def plan(resource: Mapping[str, Any], context: PlanContext) -> Plan | None:
    acls = get_path(context.baseline or {}, "properties.networkAcls")
    if not isinstance(acls, Mapping):
        raise CannotPlan("no last-known-good network ACLs to restore: the rules need a person to narrow them")
    return patch_plan(ID, resource, {"properties.networkAcls": dict(acls)}, "restore the last-known-good network ACLs")


REMEDIATION = Remediation(
    ID,
    "Restore an AI account's last-known-good network ACLs",
    COGNITIVE_ACCOUNT,
    COGNITIVE_WRITE,
    plan,
    touches="Puts the last-known-good network rules back: IP ranges and virtual networks added since then lose access to the account.",
)
