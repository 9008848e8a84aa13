"""Hub and Default workspaces run their compute in a managed network that limits outbound traffic."""

from __future__ import annotations

from driftguard.model import Finding, Mode, Reference, ResourceSnapshot, Severity
from driftguard.rules.base import RuleContext, RuleMeta, prop, same

META = RuleMeta(
    id="machinelearning_workspace_managed_network_isolated",
    title="Machine Learning workspaces isolate their managed network",
    severity=Severity.MEDIUM,
    resource_types=("Microsoft.MachineLearningServices/workspaces",),
    seed_section="Limit outbound traffic",
    default_mode=Mode.TICKET,
    remediation=None,
    references=(
        # The built-in's default parameter flags isolated workspaces; this rule does not copy that.
        Reference(
            "azure-policy",
            "6ddb1705-c8cf-450e-aa4b-19ad6703c440",
            "Azure Machine Learning and AI Studio should use Allow Only Approved Outbound Managed Vnet mode",
        ),
        Reference("mitre-atlas", "AML.T0025", "Exfiltration via Cyber Means"),
    ),
)


def evaluate(snapshot: ResourceSnapshot, context: RuleContext) -> list[Finding]:
    if same(prop(snapshot.resource, "kind"), "Project"):
        return []  # projects inherit the hub's managed network
    mode = prop(snapshot.properties, "managedNetwork", "isolationMode")
    if same(mode, "AllowOnlyApprovedOutbound"):
        return []
    if context.policy.network.ml_allow_internet_outbound and same(mode, "AllowInternetOutbound"):
        return []
    return [
        context.finding(
            META,
            snapshot,
            f"managed network isolation mode is {mode or 'Disabled (default)'}",
            {"managedNetwork.isolationMode": mode},
        )
    ]
