"""A gateway that fronts AI accounts has a managed identity, and that identity holds only a data-plane
user role on the accounts (by default Cognitive Services OpenAI User: it calls the models and cannot
list keys), nothing that manages them, lists their keys or assigns roles, on an account or above it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from driftguard.model import Finding, Mode, Reference, ResourceSnapshot, Severity
from driftguard.policy import ScopeLevel
from driftguard.rules.base import RuleContext, RuleMeta, prop, same
from driftguard.rules.gateway import GATEWAY_ROLE_ASSIGNMENTS
from driftguard.rules.roles import PRIVILEGED, role_guid, scope_level

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
    excess = [found for a in snapshot.related.get(GATEWAY_ROLE_ASSIGNMENTS, ()) if (found := _excess(a, allowed)) is not None]
    if not excess:
        return []
    return [
        context.finding(
            META,
            snapshot,
            f"the gateway's identity holds {len(excess)} role assignment(s) beyond a data-plane user role on AI accounts: "
            + "; ".join(f"{e['role']} at {e['scope']}" for e in excess),
            {"assignments": excess, "allowed_roles": sorted(allowed)},
        )
    ]


def _excess(assignment: Mapping[str, Any], allowed: set[str]) -> dict[str, Any] | None:
    props = assignment.get("properties") if isinstance(assignment.get("properties"), Mapping) else {}
    assert isinstance(props, Mapping)
    scope = str(prop(props, "scope") or "")
    guid = role_guid(prop(props, "roleDefinitionId"))
    name = PRIVILEGED.get(guid or "") or KEY_LISTING.get(guid or "")
    if scope_level(scope) is ScopeLevel.RESOURCE:
        if _ACCOUNTS not in scope.lower() or guid in allowed:
            return None  # another resource (a Key Vault for named values), or the role it should hold
    elif name is None:
        return None  # above the accounts, only roles that manage them or list their keys are judged
    return {"id": assignment.get("id"), "scope": scope, "role": name or guid, "roleDefinitionId": prop(props, "roleDefinitionId")}
