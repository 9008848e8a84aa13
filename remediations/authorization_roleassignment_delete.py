"""Removes a role assignment. The whole assignment is kept as the before-value: rollback recreates the
same assignment (same name, role, scope, principal and condition) with a PUT."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from driftguard.azure import api_versions
from driftguard.model import Plan, Step
from driftguard.rules.roles import PRIVILEGED, role_guid
from remediations.base import PlanContext, Remediation, canonical_id

ID = "authorization_roleassignment_delete"
# Built-in roles whose assignments DriftGuard may remove, beyond the privileged roles and the personas'
# roles: the deployment's role-assignment condition allows exactly these (infra/removable-roles.json,
# kept equal by a test; custom roles are added there).
EXTRA_REMOVABLE_ROLES = (
    "a97b65f3-24c7-4388-baec-2e87135dc908",  # Cognitive Services User
    "7ca78c08-252a-4471-8644-bb5ff32d4ba0",  # Search Service Contributor
    "b7e6dc6d-f1e8-4753-8033-0f276bb0955b",  # Storage Blob Data Owner
)
KEPT = ("roleDefinitionId", "principalId", "principalType", "condition", "conditionVersion", "description")


def role_label(definition_id: object) -> str:
    """The role as the approver reads it: a built-in privileged role by name, any other by its GUID
    (the plan is pure: a custom role's name would take a read; the access section names it)."""
    guid = role_guid(definition_id) or str(definition_id or "").rsplit("/", 1)[-1]
    return PRIVILEGED.get(guid, guid)


def plan(resource: Mapping[str, Any], context: PlanContext) -> Plan | None:
    rid = canonical_id(resource)
    props = resource.get("properties") or {}
    before = {"assignment": {"name": resource.get("name"), "scope": props.get("scope"), **{k: props.get(k) for k in KEPT}}}
    step = Step("DELETE", rid, api_versions.AUTHORIZATION)
    return Plan(
        ID,
        rid,
        (step,),
        before,
        {"assignment": None},
        f"remove the {role_label(props.get('roleDefinitionId'))} role assignment",
    )


REMEDIATION = Remediation(
    ID,
    "Remove a role assignment",
    ("Microsoft.Authorization/roleAssignments",),
    # Deployed under a condition that limits the delete to the roles DriftGuard may remove (infra/). No
    # write: DriftGuard can never grant a role, so a rollback's PUT is for a person with that right.
    ("Microsoft.Authorization/roleAssignments/read", "Microsoft.Authorization/roleAssignments/delete"),
    plan,
    touches="Removes that principal's access through this role at this scope: whatever it does with the role there (a person's work, an app's calls or a pipeline's deployments) is refused. Access it holds by other assignments or groups stays.",
)


def removable_roles() -> tuple[str, ...]:
    """Every role definition GUID the deployment lets DriftGuard remove: privileged roles, the default
    personas' roles, and the extras above."""
    from driftguard.policy import DEFAULT_PERSONAS
    from driftguard.rules.roles import PRIVILEGED

    found = {*PRIVILEGED, *(r.role for p in DEFAULT_PERSONAS for r in p.allowed), *EXTRA_REMOVABLE_ROLES}
    return tuple(sorted(found))
