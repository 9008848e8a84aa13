"""Machine Learning and Foundry hub/project workspaces deny public network access."""

from __future__ import annotations

from driftguard.model import Finding, Mode, Reference, ResourceSnapshot, Severity
from driftguard.rules.base import RuleContext, RuleMeta, prop, same

META = RuleMeta(
    id="machinelearning_workspace_public_network_access_disabled",
    title="Machine Learning workspaces deny public network access",
    severity=Severity.HIGH,
    resource_types=("Microsoft.MachineLearningServices/workspaces",),
    seed_section="Deny inbound internet access",
    default_mode=Mode.REVERT,
    remediation="machinelearning_workspace_disable_public_network_access",
    references=(
        Reference(
            "azure-policy", "438c38d2-3772-465a-a9cc-7a6666a275ce", "Azure Machine Learning Workspaces should disable public network access"
        ),
        Reference(
            "azure-policy",
            "a10ee784-7409-4941-b091-663697637c0f",
            "Configure Azure Machine Learning Workspaces to disable public network access",
        ),
        Reference("mitre-atlas", "AML.T0049", "Exploit Public-Facing Application"),
    ),
)


def evaluate(snapshot: ResourceSnapshot, context: RuleContext) -> list[Finding]:
    # A Project's network settings come from its Hub; Azure reports them on the project too, so the
    # project is judged on what it reports (the fix goes to the Hub, which the remediation resolves).
    value = prop(snapshot.properties, "publicNetworkAccess")
    if same(value, "Disabled"):
        return []
    return [
        context.finding(
            META,
            snapshot,
            "public network access is enabled",
            {
                "publicNetworkAccess": value,
                "kind": prop(snapshot.resource, "kind"),
                "hubResourceId": prop(snapshot.properties, "hubResourceId"),
            },
        )
    ]
