"""AI accounts authenticate with Entra ID only: API keys bypass RBAC and cannot be attributed."""

from __future__ import annotations

from driftguard.model import Finding, Mode, Reference, ResourceSnapshot, Severity
from driftguard.rules.base import RuleContext, RuleMeta, is_true, prop

META = RuleMeta(
    id="cognitiveservices_account_local_auth_disabled",
    title="Azure AI accounts have key (local) authentication disabled",
    severity=Severity.HIGH,
    resource_types=("Microsoft.CognitiveServices/accounts",),
    seed_section="Use Entra ID, eliminate API keys",
    default_mode=Mode.REVERT,
    remediation="cognitiveservices_account_disable_local_auth",
    references=(
        Reference("azure-policy", "71ef260a-8f18-47b7-abcb-62d0673d94dc", "Azure AI Services resources should have key access disabled"),
        Reference(
            "azure-policy",
            "14de9e63-1b31-492e-a5a3-c3f7fd57f555",
            "Configure Cognitive Services accounts to disable local authentication methods",
        ),
        Reference("mcsb", "IM-1", "Use centralized identity and authentication system"),
        Reference("mitre-atlas", "AML.T0012", "Valid Accounts"),
    ),
)


def evaluate(snapshot: ResourceSnapshot, context: RuleContext) -> list[Finding]:
    value = prop(snapshot.properties, "disableLocalAuth")
    if is_true(value):
        return []
    # Absent means the service default: keys work.
    return [
        context.finding(
            META,
            snapshot,
            "key authentication is enabled: anyone holding a key has full data-plane access",
            {"disableLocalAuth": value},
        )
    ]
