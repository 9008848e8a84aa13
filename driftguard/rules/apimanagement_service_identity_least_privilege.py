"""A gateway that fronts AI accounts has a managed identity, and that identity holds only a data-plane
user role on the accounts (by default Cognitive Services OpenAI User: it calls the models and cannot
list keys), nothing that manages them, lists their keys or assigns roles, on an account or above it.

On an account, any role other than the allowed ones is reported. Above a fronted account (its resource
group, subscription, a management group, the root), a role is judged by what its definition grants:
`*`, a control-plane write, delete or action on Microsoft.CognitiveServices (listKeys among them), role
assignment, or a data action beyond calling the models (a wildcard, a write or a delete) is excess;
`*/read` (Reader) is not. A role whose definition was not read is "not evaluated", never compliant."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from driftguard.ids import fold
from driftguard.model import Finding, Mode, Reference, ResourceSnapshot, Severity
from driftguard.policy import ScopeLevel
from driftguard.rules.base import NotEvaluable, RuleContext, RuleMeta, prop, same
from driftguard.rules.gateway import GATEWAY_ROLE_ASSIGNMENTS, GATEWAY_ROLE_DEFINITIONS
from driftguard.rules.roles import PRIVILEGED, grants, permissions, role_guid, scope_level, scope_words

# Built-in roles that list an AI account's keys without being privileged: with local auth on, each is
# full data access (CONTROLS.md, "Keys bypass RBAC").
KEY_LISTING = {
    "a97b65f3-24c7-4388-baec-2e87135dc908": "Cognitive Services User",
    "53ca6127-db72-4b80-b1b0-d745d6d5456d": "Azure AI User",
}
_ACCOUNTS = "/providers/microsoft.cognitiveservices/accounts/"

META = RuleMeta(
    id="apimanagement_service_identity_least_privilege",
    title="An AI gateway's identity holds only a data-plane user role on the accounts it fronts",
    severity=Severity.HIGH,
    resource_types=("Microsoft.ApiManagement/service",),
    seed_section="Managed identities; least privilege",
    # Removing a gateway's role can stop every API it serves: a person decides, with the list below.
    default_mode=Mode.TICKET,
    remediation=None,
    references=(
        Reference("mcsb", "PA-7", "Follow just enough administration (least privilege) principle"),
        Reference("mitre-atlas", "AML.T0012", "Valid Accounts"),
        Reference("owasp-llm", "LLM06", "Excessive Agency"),
    ),
    requires=(GATEWAY_ROLE_ASSIGNMENTS,),
)


def evaluate(snapshot: ResourceSnapshot, context: RuleContext) -> list[Finding]:
    fronted = context.policy.gateways.fronted_by(snapshot.id)
    if not fronted:
        return []  # not an AI gateway the policy knows
    identity = snapshot.resource.get("identity")
    kind = prop(identity, "type") if isinstance(identity, Mapping) else None
    if kind is None or same(kind, "None"):
        return [
            context.finding(
                META,
                snapshot,
                "the gateway has no managed identity: it can only call the accounts it fronts with their keys",
                {"identity.type": kind, "fronts": list(fronted)},
            )
        ]
    allowed = set(context.policy.gateways.allowed_roles)
    definitions = {guid: d for d in snapshot.related.get(GATEWAY_ROLE_DEFINITIONS, ()) if (guid := role_guid(d.get("id") or d.get("name")))}
    fronts = [fold(a) for a in fronted]
    excess: list[dict[str, Any]] = []
    unread: list[dict[str, Any]] = []
    for assignment in snapshot.related.get(GATEWAY_ROLE_ASSIGNMENTS, ()):
        found, known = _excess(assignment, allowed, definitions, fronts)
        if found is not None:
            (excess if known else unread).append(found)
    if not excess:
        if unread:
            raise NotEvaluable(
                f"the definitions of {len(unread)} role(s) the gateway's identity holds above its accounts were not read: "
                + "; ".join(f"{u['roleDefinitionId']} at {scope_words(u['scope'])}" for u in unread)
            )
        return []
    evidence: dict[str, Any] = {"assignments": excess, "allowed_roles": sorted(allowed)}
    if unread:
        evidence["not_evaluated"] = unread  # roles whose definitions were not read: neither excess nor fine
    return [
        context.finding(
            META,
            snapshot,
            f"the gateway's identity holds {len(excess)} role assignment(s) beyond a data-plane user role on AI accounts: "
            + "; ".join(f"{e['role']} at {scope_words(e['scope'])} ({e['why']})" for e in excess),
            evidence,
        )
    ]


def _excess(
    assignment: Mapping[str, Any], allowed: set[str], definitions: Mapping[str, Mapping[str, Any]], fronts: list[str]
) -> tuple[dict[str, Any] | None, bool]:
    """(what the assignment grants beyond the allowed roles, or None; whether that is known from the
    role's definition or GUID, False when the definition was not read)."""
    props = assignment.get("properties") if isinstance(assignment.get("properties"), Mapping) else {}
    assert isinstance(props, Mapping)
    scope = str(prop(props, "scope") or "")
    guid = role_guid(prop(props, "roleDefinitionId"))
    if guid in allowed:
        return None, True
    definition = definitions.get(guid or "")
    name = prop(definition, "properties", "roleName") if definition is not None else None
    name = name or PRIVILEGED.get(guid or "") or KEY_LISTING.get(guid or "") or guid
    shown = {"id": assignment.get("id"), "scope": scope, "role": name, "roleDefinitionId": prop(props, "roleDefinitionId")}
    level = scope_level(scope)
    if level is ScopeLevel.RESOURCE and scope.strip("/"):
        if _ACCOUNTS not in scope.lower():
            return None, True  # another resource (a Key Vault for named values)
        return {**shown, "why": "not an allowed role on an AI account"}, True
    if not _above(scope, level, fronts):
        return None, True  # a resource group or subscription that holds none of the fronted accounts
    if definition is None:
        if guid in PRIVILEGED:
            return {**shown, "why": "manages the accounts"}, True
        if guid in KEY_LISTING:
            return {**shown, "why": "lists the accounts' keys"}, True
        return {**shown, "why": "definition not read"}, False
    why = _beyond_use(definition)
    return ({**shown, "why": why}, True) if why is not None else (None, True)


def _above(scope: str, level: ScopeLevel, fronts: list[str]) -> bool:
    """Whether `scope` is above a fronted account: a resource group or subscription that holds one, or a
    management group or the tenant root (which may: their members are not known here)."""
    if level is ScopeLevel.MANAGEMENT_GROUP or not scope.strip("/"):
        return True
    prefix = fold(scope).rstrip("/") + "/"
    return any(account.startswith(prefix) for account in fronts)


def _beyond_use(definition: Mapping[str, Any]) -> str | None:
    """What a role grants beyond calling the models, or None (reads and model calls only)."""
    actions, data_actions = permissions(definition)
    if "*" in actions:
        return "grants every action (*)"
    if grants(actions, "Microsoft.Authorization/roleAssignments/write"):
        return "can assign roles"
    if grants(actions, "Microsoft.CognitiveServices/accounts/listKeys/action"):
        return "lists the accounts' keys"
    for action in actions:
        lowered = action.lower()
        if _on_cognitive_services(lowered) and not lowered.endswith("/read"):
            return f"manages the accounts ({action})"
    for action in data_actions:
        lowered = action.lower()
        if _on_cognitive_services(lowered) and not (lowered.endswith("/read") or (lowered.endswith("/action") and "*" not in lowered)):
            return f"data-plane management ({action})"
    return None


def _on_cognitive_services(action: str) -> bool:
    """Whether an action (lower case, possibly with wildcards) can match a Microsoft.CognitiveServices one."""
    return action == "*" or action.startswith("microsoft.cognitiveservices/") or (action.startswith("*/") and not action.endswith("/read"))
