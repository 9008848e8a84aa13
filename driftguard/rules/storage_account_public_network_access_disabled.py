"""Storage behind AI workloads is not reachable from the internet."""

from __future__ import annotations

from driftguard.model import Finding, Mode, Reference, ResourceSnapshot, Severity
from driftguard.rules.base import RuleContext, RuleMeta, is_ai_storage, prop, same

META = RuleMeta(
    id="storage_account_public_network_access_disabled",
    title="Storage accounts holding AI data deny public network access",
    severity=Severity.HIGH,
    resource_types=("Microsoft.Storage/storageAccounts",),
    seed_section="Deny inbound; secure AI artifacts",
    default_mode=Mode.REVERT,
    remediation="storage_account_disable_public_network_access",
    references=(
        Reference("azure-policy", "b2982f36-99f2-4db5-8eff-283140c09693", "Storage accounts should disable public network access"),
        Reference("azure-policy", "a06d0189-92e8-4dba-b0c4-08d7669fce7d", "Configure storage accounts to disable public network access"),
        Reference("azure-policy", "34c877ad-507e-4c82-993e-3452a6e0ad3c", "Storage accounts should restrict network access"),
    ),
)


def evaluate(snapshot: ResourceSnapshot, context: RuleContext) -> list[Finding]:
    if not is_ai_storage(snapshot, context):
        return []
    props = snapshot.properties
    pna = prop(props, "publicNetworkAccess")
    default_action = prop(props, "networkAcls", "defaultAction")
    if same(pna, "Disabled") or same(default_action, "Deny"):
        return []
    return [
        context.finding(
            META,
            snapshot,
            "storage holding AI data accepts traffic from the internet",
            {"publicNetworkAccess": pna, "networkAcls.defaultAction": default_action},
        )
    ]
