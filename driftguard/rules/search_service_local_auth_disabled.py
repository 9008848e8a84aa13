"""AI Search services accept Entra ID only, no admin or query API keys."""

from __future__ import annotations

from driftguard.model import Finding, Mode, Reference, ResourceSnapshot, Severity
from driftguard.rules.base import RuleContext, RuleMeta, is_true, prop

META = RuleMeta(
    id="search_service_local_auth_disabled",
    title="AI Search services have key authentication disabled",
    severity=Severity.HIGH,
    resource_types=("Microsoft.Search/searchServices",),
    seed_section="Use Entra ID, eliminate API keys",
    default_mode=Mode.REVERT,
    remediation="search_service_disable_local_auth",
    references=(
        Reference(
            "azure-policy",
            "6300012e-e9a4-4649-b41f-a85f5c43be91",
            "Azure AI Search services should have local authentication methods disabled",
        ),
        Reference(
            "azure-policy", "4eb216f2-9dba-4979-86e6-5d7e63ce3b75", "Configure Azure AI Search services to disable local authentication"
        ),
    ),
)


def evaluate(snapshot: ResourceSnapshot, context: RuleContext) -> list[Finding]:
    value = prop(snapshot.properties, "disableLocalAuth")
    if is_true(value):
        return []
    return [
        context.finding(
            META,
            snapshot,
            "API key authentication is enabled",
            {"disableLocalAuth": value, "authOptions": prop(snapshot.properties, "authOptions")},
        )
    ]
