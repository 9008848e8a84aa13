"""Who lists or regenerates keys must be on the allowlist; keys seen by others are rotated.

This rule judges key-access events (Event Grid action events), not the resource's configuration: a
posture scan has no such events and reports the rule as not evaluated. Each service rotates its keys
its own way, so the fix is named per type; where a person must do it, the finding says what to do.
A Storage account is in scope only while it holds AI data (an AI resource names it, or the policy's
AI-data tag marks it): the keys of other storage are not DriftGuard's concern.
"""

from __future__ import annotations

from collections.abc import Mapping

from driftguard.model import Finding, Mode, Reference, ResourceSnapshot, Severity
from driftguard.rules.base import RuleContext, RuleMeta, is_ai_storage, is_false, is_true, prop

KEY_EVENTS = "keyAccessEvents"

# The rotation per resource type (specs: Cognitive Services 2025-09-01, Search 2025-05-01, Storage
# 2025-06-01). Machine Learning workspaces have none: see WORKSPACE_KEYS.
ROTATION = {
    "microsoft.cognitiveservices/accounts": "cognitiveservices_account_regenerate_keys",
    "microsoft.search/searchservices": "search_service_regenerate_admin_keys",
    "microsoft.storage/storageaccounts": "storage_account_regenerate_keys",
}
WORKSPACE_KEYS = (
    "a workspace cannot regenerate its keys (only listKeys and resyncKeys): they are the keys of its linked resources. "
    "Regenerate the keys of the workspace's storage account, container registry and Application Insights, "
    "then call resyncKeys on the workspace"
)
QUERY_KEYS = (
    "query keys are not regenerated: create a new query key (createQueryKey), give it to the clients, "
    "then delete the exposed one (deleteQueryKey/{key})"
)

META = RuleMeta(
    id="cognitiveservices_account_keys_not_exposed",
    title="Keys are listed or regenerated only by allowed principals",
    severity=Severity.HIGH,
    resource_types=(
        "Microsoft.CognitiveServices/accounts",
        "Microsoft.Search/searchServices",
        "Microsoft.Storage/storageAccounts",
        "Microsoft.MachineLearningServices/workspaces",
    ),
    seed_section="Use Entra ID; audit who has keys",
    default_mode=Mode.APPROVE,
    # For AI accounts; the other types' fixes are in ROTATION.
    remediation="cognitiveservices_account_regenerate_keys",
    references=(
        Reference("azure-policy", "71ef260a-8f18-47b7-abcb-62d0673d94dc", "Azure AI Services resources should have key access disabled"),
        Reference("mitre-atlas", "AML.T0055", "Unsecured Credentials"),
    ),
    requires=(KEY_EVENTS,),
)


def keys_disabled(snapshot: ResourceSnapshot) -> bool:
    """Key authentication is off, so the keys open nothing: `disableLocalAuth` (AI accounts, Search) or
    `allowSharedKeyAccess: false` (Storage)."""
    if snapshot.type.lower() == "microsoft.storage/storageaccounts":
        return is_false(prop(snapshot.properties, "allowSharedKeyAccess"))
    return is_true(prop(snapshot.properties, "disableLocalAuth"))


def not_ai_storage(snapshot: ResourceSnapshot, context: RuleContext) -> bool:
    """A Storage account that holds no AI data: its keys' exposure is outside this rule."""
    return snapshot.type.lower() == "microsoft.storage/storageaccounts" and not is_ai_storage(snapshot, context)


NOT_AI_STORAGE = "not applicable: the storage account holds no AI data (no AI resource uses it, no AI-data tag)"


def evaluate(snapshot: ResourceSnapshot, context: RuleContext) -> list[Finding]:
    if not_ai_storage(snapshot, context):
        return []
    allowed = {p.lower() for p in context.policy.keys.allowed_principals}
    findings: list[Finding] = []
    for event in snapshot.related.get(KEY_EVENTS, ()):
        caller = {str(prop(event, k) or "").lower() for k in ("objectId", "appId")} - {""}
        if caller & allowed:
            continue
        operation = str(prop(event, "operationName") or "")
        evidence = {
            "operationName": operation,
            "caller": sorted(caller),
            "correlationId": prop(event, "correlationId"),
            "time": prop(event, "time"),
        }
        what = f"{operation or 'a key operation'} by a principal not on the key allowlist"
        rtype = snapshot.type.lower()
        if keys_disabled(snapshot):
            # Azure refuses key operations while key authentication is off, and the keys open nothing:
            # recorded, not rotated (the local-auth fix regenerates keys before turning it off again).
            finding = context.finding(
                META,
                snapshot,
                f"{what}; key authentication is disabled, so the keys are unusable: nothing to rotate",
                evidence,
                fixable=False,
                default_mode=Mode.REPORT,
            )
        elif rtype == "microsoft.search/searchservices" and operation.lower().endswith("/listquerykeys/action"):
            # A case of its own: the admin keys' rotation case beside it keeps its plan.
            finding = context.finding(META, snapshot, f"{what}: {QUERY_KEYS}", evidence, fixable=False, subject="query-keys")
        elif rtype not in ROTATION:
            finding = context.finding(META, snapshot, f"{what}: {WORKSPACE_KEYS}", evidence, fixable=False)
        else:
            finding = context.finding(META, snapshot, what, evidence, remediation=ROTATION[rtype])
        findings.append(finding)
    return findings


def is_key_event(event: Mapping[str, object]) -> bool:
    op = str(event.get("operationName", "")).lower()
    return op.endswith(("/listkeys/action", "/regeneratekey/action", "/listadminkeys/action", "/listquerykeys/action"))
