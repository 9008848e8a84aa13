"""AI accounts must not accept traffic from the internet."""

from __future__ import annotations

from driftguard.model import Finding, Mode, Reference, ResourceSnapshot, Severity
from driftguard.rules.base import RuleContext, RuleMeta, prop, same

META = RuleMeta(
    id="cognitiveservices_account_public_network_access_disabled",
    title="Azure AI accounts deny public network access",
    severity=Severity.HIGH,
    resource_types=("Microsoft.CognitiveServices/accounts",),
    seed_section="Deny inbound internet access",
    default_mode=Mode.REVERT,
    remediation="cognitiveservices_account_disable_public_network_access",
    references=(
        Reference("azure-policy", "037eea7a-bd0a-46c5-9a66-03aea78705d3", "Azure AI Services resources should restrict network access"),
        Reference(
            "azure-policy", "47ba1dd7-28d9-4b07-a8d5-9813bed64e0c", "Configure Cognitive Services accounts to disable public network access"
        ),
        Reference("mcsb", "NS-2", "Secure cloud services with network controls"),
        Reference("mitre-atlas", "AML.T0049", "Exploit Public-Facing Application"),
    ),
)


def evaluate(snapshot: ResourceSnapshot, context: RuleContext) -> list[Finding]:
    props = snapshot.properties
    pna = prop(props, "publicNetworkAccess")
    default_action = prop(props, "networkAcls", "defaultAction")
    # Absent publicNetworkAccess means Enabled; absent defaultAction means Allow (service defaults).
    if same(pna, "Disabled") or same(default_action, "Deny"):
        return []
    return [
        context.finding(
            META,
            snapshot,
            "public network access is enabled and the network ACLs allow all traffic by default",
            {"publicNetworkAccess": pna, "networkAcls.defaultAction": default_action},
        )
    ]
