"""No standing privileged access at AI scopes, except for IT administrators and break-glass accounts:
Owner "for a day" must not stay."""

from __future__ import annotations

from driftguard.model import Finding, Mode, Reference, ResourceSnapshot, Severity
from driftguard.rules.base import RuleContext, RuleMeta, is_true, prop, prop_list
from driftguard.rules.roles import ELIGIBILITY, PRINCIPAL, ROLE_DEFINITION, level_words, one, privileged_reason, role_guid

META = RuleMeta(
    id="authorization_roleassignment_privileged_not_standing",
    title="No standing privileged role assignments at AI scopes",
    severity=Severity.HIGH,
    resource_types=("Microsoft.Authorization/roleAssignments",),
    seed_section="Least privilege by persona",
    default_mode=Mode.APPROVE,
    remediation="authorization_roleassignment_delete",
    references=(
        Reference(
            "azure-policy", "4f11b553-d42e-4e3a-89be-32ca364cad4c", "A maximum of 3 owners should be designated for your subscription"
        ),
        Reference("mcsb", "PA-2", "Avoid standing access for user accounts and permissions"),
        Reference("mitre-atlas", "AML.T0012", "Valid Accounts"),
    ),
    requires=(ROLE_DEFINITION,),
)


def evaluate(snapshot: ResourceSnapshot, context: RuleContext) -> list[Finding]:
    props = snapshot.properties
    principal = str(prop(props, "principalId") or "").lower()
    if principal in {p.lower() for p in context.policy.break_glass_principals}:
        return []
    eligibility = one(snapshot.related, ELIGIBILITY)
    if eligibility is not None and is_true(prop(eligibility, "activated")):
        return []  # activated through PIM: time-bound, not standing
    guid = role_guid(prop(props, "roleDefinitionId"))
    reason = privileged_reason(guid, one(snapshot.related, ROLE_DEFINITION))
    if reason is None:
        return []
    access = context.policy.access
    info = one(snapshot.related, PRINCIPAL) or {}
    groups = frozenset(str(g).lower() for g in prop_list(info, "groups"))
    personas = {p.name for p in access.personas_of(principal, groups)}
    if personas & set(access.standing_privileged_personas):
        return []
    return [
        context.finding(
            META,
            snapshot,
            f"standing {reason} at {level_words(str(prop(props, 'scope') or ''))} for a "
            f"{prop(props, 'principalType') or 'principal'} outside the IT-administrator persona",
            {
                "principalId": principal,
                "role": guid,
                "role_name": prop(one(snapshot.related, ROLE_DEFINITION) or {}, "properties", "roleName"),
                "scope": prop(props, "scope"),
                "personas": sorted(personas),
            },
        )
    ]
