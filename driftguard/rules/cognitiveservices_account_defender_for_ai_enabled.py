"""The per-account Defender for AI setting stays on (threat protection for prompts and responses)."""

from __future__ import annotations

from driftguard.model import Finding, Mode, Reference, ResourceSnapshot, Severity
from driftguard.rules.base import RuleContext, RuleMeta, prop, same

META = RuleMeta(
    id="cognitiveservices_account_defender_for_ai_enabled",
    title="Defender for AI is enabled on each Azure AI account",
    severity=Severity.MEDIUM,
    resource_types=("Microsoft.CognitiveServices/accounts/defenderForAISettings",),
    seed_section="Threat protection",
    default_mode=Mode.REVERT,
    remediation="cognitiveservices_account_enable_defender_for_ai",
    references=(
        Reference("azure-policy", "359a48a3-351a-4618-bb32-f1628645694b", "Configure Microsoft Defender threat protection for AI Services"),
        Reference("mcsb", "LT-1", "Enable threat detection capabilities"),
        Reference("mitre-atlas", "AML.T0051", "LLM Prompt Injection"),
    ),
)


def evaluate(snapshot: ResourceSnapshot, context: RuleContext) -> list[Finding]:
    state = prop(snapshot.properties, "state")
    if not same(state, "Disabled"):
        return []
    return [context.finding(META, snapshot, "Defender for AI is disabled for this account", {"state": state})]
