"""Resources holding classified data encrypt it with a customer-managed key."""

from __future__ import annotations

from driftguard.model import Finding, Mode, Reference, ResourceSnapshot, Severity
from driftguard.rules.base import RuleContext, RuleMeta, prop, same

META = RuleMeta(
    id="cognitiveservices_account_customer_managed_key",
    title="AI resources with classified data use customer-managed keys",
    severity=Severity.LOW,
    resource_types=(
        "Microsoft.CognitiveServices/accounts",
        "Microsoft.MachineLearningServices/workspaces",
        "Microsoft.Search/searchServices",
        "Microsoft.Storage/storageAccounts",
    ),
    seed_section="Secure AI artifacts",
    default_mode=Mode.REPORT,
    remediation=None,
    references=(
        Reference(
            "azure-policy",
            "67121cc7-ff39-4ab8-b7e3-95b84dab487d",
            "Azure AI Services resources should encrypt data at rest with a customer-managed key",
        ),
        Reference(
            "azure-policy",
            "ba769a63-b8cc-4b2d-abf6-ac33c7204be8",
            "Azure Machine Learning workspaces should be encrypted with a customer-managed key",
        ),
        Reference("azure-policy", "76a56461-9dc0-40f0-82f5-2453283afa2f", "Azure AI Search services should use customer-managed keys"),
        Reference(
            "azure-policy", "6fac406b-40ca-413b-bf8e-0bf964659c25", "Storage accounts should use customer-managed key for encryption"
        ),
    ),
)


def _classification(snapshot: ResourceSnapshot, tag: str) -> str | None:
    value = prop(snapshot.resource, "tags", tag)
    return value.strip().lower() if isinstance(value, str) else None


def _uses_cmk(snapshot: ResourceSnapshot) -> bool:
    props = snapshot.properties
    rtype = snapshot.type.lower()
    if rtype == "microsoft.machinelearningservices/workspaces":
        return same(prop(props, "encryption", "status"), "Enabled")
    if rtype == "microsoft.search/searchservices":
        return same(prop(props, "encryptionWithCmk", "enforcement"), "Enabled")
    return same(prop(props, "encryption", "keySource"), "Microsoft.KeyVault")


def evaluate(snapshot: ResourceSnapshot, context: RuleContext) -> list[Finding]:
    data = context.policy.data
    classification = _classification(snapshot, data.classification_tag)
    if classification is None or classification not in {c.lower() for c in data.cmk_classifications}:
        return []
    if _uses_cmk(snapshot):
        return []
    return [
        context.finding(
            META,
            snapshot,
            f"data classified {classification!r} is not encrypted with a customer-managed key",
            {"classification": classification, "encryption": prop(snapshot.properties, "encryption")},
        )
    ]
