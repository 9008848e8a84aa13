"""Workspace system datastores use the workspace identity, not storage account keys."""

from __future__ import annotations

from driftguard.model import Finding, Mode, Reference, ResourceSnapshot, Severity
from driftguard.rules.base import RuleContext, RuleMeta, prop, same

META = RuleMeta(
    id="machinelearning_workspace_datastores_identity_auth",
    title="Machine Learning system datastores authenticate with identity",
    severity=Severity.MEDIUM,
    resource_types=("Microsoft.MachineLearningServices/workspaces",),
    seed_section="Data boundaries; use Entra ID",
    default_mode=Mode.APPROVE,
    remediation="machinelearning_workspace_datastores_identity",
    references=(
        Reference("mcsb", "IM-1", "Use centralized identity and authentication system"),
        Reference("mitre-atlas", "AML.T0055", "Unsecured Credentials"),
    ),
)


def evaluate(snapshot: ResourceSnapshot, context: RuleContext) -> list[Finding]:
    if same(prop(snapshot.resource, "kind"), "Project"):
        return []  # projects use their hub's datastores
    value = prop(snapshot.properties, "systemDatastoresAuthMode")
    if same(value, "Identity") or same(value, "UserDelegationSAS"):
        return []
    return [
        context.finding(
            META,
            snapshot,
            f"system datastores authenticate with {value or 'AccessKey (default)'}",
            {"systemDatastoresAuthMode": value},
        )
    ]
