"""AI accounts and Search services carry a managed identity, so that they reach data without keys."""

from __future__ import annotations

from driftguard.model import Finding, Mode, Reference, ResourceSnapshot, Severity
from driftguard.rules.base import RuleContext, RuleMeta, prop, same

META = RuleMeta(
    id="cognitiveservices_account_managed_identity_enabled",
    title="Azure AI accounts and Search services use a managed identity",
    severity=Severity.MEDIUM,
    resource_types=("Microsoft.CognitiveServices/accounts", "Microsoft.Search/searchServices"),
    seed_section="Managed identities",
    default_mode=Mode.AUTO,
    remediation="resource_enable_system_assigned_identity",
    references=(
        Reference("azure-policy", "fe3fd216-4f83-4fc1-8984-2bbec80a3418", "Cognitive Services accounts should use a managed identity"),
        Reference("mcsb", "IM-3", "Manage application identities securely and automatically"),
    ),
)


def evaluate(snapshot: ResourceSnapshot, context: RuleContext) -> list[Finding]:
    kind = prop(snapshot.resource, "identity", "type")
    if isinstance(kind, str) and kind.strip() and not same(kind, "None"):
        return []
    return [context.finding(META, snapshot, "no managed identity is assigned", {"identity.type": kind})]
