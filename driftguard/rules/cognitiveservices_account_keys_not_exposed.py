"""Who lists or regenerates keys must be on the allowlist; keys seen by others are rotated.

This rule judges key-access events (Event Grid action events), not the resource's configuration: a
posture scan has no such events and reports the rule as not evaluated.
"""

from __future__ import annotations

from collections.abc import Mapping

from driftguard.model import Finding, Mode, Reference, ResourceSnapshot, Severity
from driftguard.rules.base import RuleContext, RuleMeta, is_true, prop

KEY_EVENTS = "keyAccessEvents"

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
    remediation="cognitiveservices_account_regenerate_keys",
    references=(
        Reference("azure-policy", "71ef260a-8f18-47b7-abcb-62d0673d94dc", "Azure AI Services resources should have key access disabled"),
        Reference("mitre-atlas", "AML.T0055", "Unsecured Credentials"),
    ),
    requires=(KEY_EVENTS,),
)


def evaluate(snapshot: ResourceSnapshot, context: RuleContext) -> list[Finding]:
    allowed = {p.lower() for p in context.policy.keys.allowed_principals}
    findings: list[Finding] = []
    for event in snapshot.related.get(KEY_EVENTS, ()):
        caller = {str(prop(event, k) or "").lower() for k in ("objectId", "appId")} - {""}
        if caller & allowed:
            continue
        operation = str(prop(event, "operationName") or "")
        # With local auth already off the keys are unusable, so rotating them is free: auto.
        local_auth_off = is_true(prop(snapshot.properties, "disableLocalAuth"))
        finding = context.finding(
            META,
            snapshot,
            f"{operation or 'a key operation'} by a principal not on the key allowlist",
            {
                "operationName": operation,
                "caller": sorted(caller),
                "correlationId": prop(event, "correlationId"),
                "time": prop(event, "time"),
            },
            default_mode=Mode.AUTO if local_auth_off else None,
        )
        findings.append(finding)
    return findings


def is_key_event(event: Mapping[str, object]) -> bool:
    op = str(event.get("operationName", "")).lower()
    return op.endswith(("/listkeys/action", "/regeneratekey/action", "/listadminkeys/action", "/listquerykeys/action"))
