"""Storage behind AI workloads takes Entra ID only, no shared keys."""

from __future__ import annotations

from driftguard.model import Finding, Mode, Reference, ResourceSnapshot, Severity
from driftguard.rules.base import RuleContext, RuleMeta, is_ai_storage, is_false, prop

META = RuleMeta(
    id="storage_account_shared_key_disabled",
    title="Storage accounts holding AI data disallow shared key access",
    severity=Severity.MEDIUM,
    resource_types=("Microsoft.Storage/storageAccounts",),
    seed_section="Data boundaries; use Entra ID",
    default_mode=Mode.REVERT,
    remediation="storage_account_disable_shared_key",
    references=(
        Reference("azure-policy", "8c6a50c6-9ffd-4ae7-986f-5fa6111f9a54", "Storage accounts should prevent shared key access"),
        Reference("mitre-atlas", "AML.T0055", "Unsecured Credentials"),
    ),
)


def evaluate(snapshot: ResourceSnapshot, context: RuleContext) -> list[Finding]:
    if not is_ai_storage(snapshot, context):
        return []
    value = prop(snapshot.properties, "allowSharedKeyAccess")
    # Absent (null) means shared keys work: only an explicit false passes.
    if is_false(value):
        return []
    return [context.finding(META, snapshot, "shared key access is allowed", {"allowSharedKeyAccess": value})]
