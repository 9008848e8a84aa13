"""Custom roles usable at AI scopes grant neither everything, nor role assignment, nor keys, nor every
data action on AI services."""

from __future__ import annotations

from driftguard.model import Finding, Mode, Reference, ResourceSnapshot, Severity
from driftguard.rules.base import RuleContext, RuleMeta, prop
from driftguard.rules.roles import KEY_ACTIONS, grants, is_custom, permissions

META = RuleMeta(
    id="authorization_roledefinition_least_privilege",
    title="Custom roles at AI scopes follow least privilege",
    severity=Severity.HIGH,
    resource_types=("Microsoft.Authorization/roleDefinitions",),
    seed_section="Least privilege by persona",
    default_mode=Mode.TICKET,
    remediation=None,
    references=(Reference("azure-policy", "a451c1ef-c6ca-483d-87ed-f49761e3ffb5", "Audit usage of custom RBAC roles"),),
)


def evaluate(snapshot: ResourceSnapshot, context: RuleContext) -> list[Finding]:
    if not is_custom(snapshot.resource):
        return []  # built-in roles are judged by GUID where they are assigned
    actions, data = permissions(snapshot.resource)
    problems: list[str] = []
    if "*" in actions:
        problems.append("grants every action (*)")
    elif grants(actions, "Microsoft.Authorization/roleAssignments/write"):
        problems.append("can assign roles")
    problems += [f"can call {k}" for k in KEY_ACTIONS if "*" not in actions and grants(actions, k)]
    if any(d == "*" or (d.lower().startswith("microsoft.cognitiveservices/") and d.endswith("/*")) for d in data):
        problems.append("grants wildcard data actions on Microsoft.CognitiveServices")
    if not problems:
        return []
    name = prop(snapshot.resource, "properties", "roleName")
    return [
        context.finding(
            META,
            snapshot,
            f"custom role {name!r}: " + "; ".join(problems),
            {"actions": actions, "dataActions": data, "assignableScopes": prop(snapshot.resource, "properties", "assignableScopes")},
        )
    ]
