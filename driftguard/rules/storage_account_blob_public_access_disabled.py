"""Storage behind AI workloads allows no anonymous blob access."""

from __future__ import annotations

from driftguard.model import Finding, Mode, Reference, ResourceSnapshot, Severity
from driftguard.rules.base import RuleContext, RuleMeta, is_ai_storage, is_true, prop

META = RuleMeta(
    id="storage_account_blob_public_access_disabled",
    title="Storage accounts holding AI data disallow anonymous blob access",
    severity=Severity.HIGH,
    resource_types=("Microsoft.Storage/storageAccounts",),
    seed_section="Secure AI artifacts",
    default_mode=Mode.AUTO,
    remediation="storage_account_disable_blob_public_access",
    references=(
        Reference("azure-policy", "4fa4b6c0-31ca-4c0d-b10d-24b96f62a751", "Storage account public access should be disallowed"),
        Reference("azure-policy", "13502221-8df0-4414-9937-de9c5c4e396b", "Configure your Storage account public access to be disallowed"),
        Reference("mitre-atlas", "AML.T0035", "ML Artifact Collection"),
    ),
)


def evaluate(snapshot: ResourceSnapshot, context: RuleContext) -> list[Finding]:
    if not is_ai_storage(snapshot, context):
        return []
    value = prop(snapshot.properties, "allowBlobPublicAccess")
    # Absent: accounts created since 2023 default to false.
    if not is_true(value):
        return []
    return [context.finding(META, snapshot, "anonymous blob access is allowed", {"allowBlobPublicAccess": value})]
