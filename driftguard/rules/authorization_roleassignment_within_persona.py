"""Each principal holds at AI scopes only what its persona may hold, at the scope level it may hold
it; data roles go to groups and workload identities, never directly to a user."""

from __future__ import annotations

from driftguard.model import Finding, Mode, Reference, ResourceSnapshot, Severity
from driftguard.rules.base import NotEvaluable, RuleContext, RuleMeta, prop, prop_list, same
from driftguard.rules.roles import PRINCIPAL, ROLE_DEFINITION, is_data_role, level_words, one, role_guid, scope_level

META = RuleMeta(
    id="authorization_roleassignment_within_persona",
    title="Role assignments at AI scopes stay within the principal's persona",
    severity=Severity.MEDIUM,
    resource_types=("Microsoft.Authorization/roleAssignments",),
    seed_section="Least privilege by persona",
    default_mode=Mode.APPROVE,
    remediation="authorization_roleassignment_delete",
    references=(Reference("mcsb", "PA-7", "Follow just enough administration (least privilege) principle"),),
    requires=(PRINCIPAL, ROLE_DEFINITION),
)


def evaluate(snapshot: ResourceSnapshot, context: RuleContext) -> list[Finding]:
    props = snapshot.properties
    principal = str(prop(props, "principalId") or "").lower()
    guid = role_guid(prop(props, "roleDefinitionId"))
    scope = str(prop(props, "scope") or "")
    level = scope_level(scope)
    definition = one(snapshot.related, ROLE_DEFINITION)
    evidence = {"principalId": principal, "role": guid, "scope": scope, "level": level.value}
    if same(prop(props, "principalType"), "User") and is_data_role(definition):
        return [context.finding(META, snapshot, "a data role is assigned directly to a user (assign it to a group)", evidence)]
    info = one(snapshot.related, PRINCIPAL) or {}
    groups = frozenset(str(g).lower() for g in prop_list(info, "groups"))
    personas = context.policy.access.personas_of(principal, groups)
    if not personas:
        raise NotEvaluable("the principal belongs to no persona in the policy")
    if any(r.role == guid and level in r.scopes for p in personas for r in p.allowed):
        return []
    names = ", ".join(p.name for p in personas)
    return [
        context.finding(
            META,
            snapshot,
            f"{prop(definition or {}, 'properties', 'roleName') or f'role {guid}'} at {level_words(scope)} is outside the persona ({names})",
            {**evidence, "role_name": prop(definition or {}, "properties", "roleName"), "personas": [p.name for p in personas]},
        )
    ]
