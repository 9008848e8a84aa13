"""Assignments whose principal no longer exists in the directory are removed."""

from __future__ import annotations

from driftguard.model import Finding, Mode, Reference, ResourceSnapshot, Severity
from driftguard.rules.base import RuleContext, RuleMeta, is_false, prop
from driftguard.rules.roles import PRINCIPAL, one

META = RuleMeta(
    id="authorization_roleassignment_not_orphaned",
    title="Role assignments belong to principals that exist",
    severity=Severity.LOW,
    resource_types=("Microsoft.Authorization/roleAssignments",),
    seed_section="Regular access reviews",
    default_mode=Mode.AUTO,
    remediation="authorization_roleassignment_delete",
    references=(
        Reference(
            "azure-policy",
            "0cfea604-3201-4e14-88fc-fae4c427a6c5",
            "Blocked accounts with owner permissions on Azure resources should be removed",
        ),
    ),
    requires=(PRINCIPAL,),
)


def evaluate(snapshot: ResourceSnapshot, context: RuleContext) -> list[Finding]:
    info = one(snapshot.related, PRINCIPAL) or {}
    if not is_false(prop(info, "exists")):
        return []
    principal = prop(snapshot.properties, "principalId")
    return [context.finding(META, snapshot, f"deleted principal {principal}: the directory no longer has it", {"principalId": principal})]
