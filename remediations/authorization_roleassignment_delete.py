"""Removes a role assignment. The whole assignment is kept as the before-value: rollback recreates the
same assignment (same name, role, scope, principal and condition) with a PUT."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from driftguard.azure import api_versions
from driftguard.model import Plan, Step
from remediations.base import PlanContext, Remediation, canonical_id

ID = "authorization_roleassignment_delete"
KEPT = ("roleDefinitionId", "principalId", "principalType", "condition", "conditionVersion", "description")


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
        f"remove the assignment of role {str(props.get('roleDefinitionId', '')).rsplit('/', 1)[-1]}",
    )


REMEDIATION = Remediation(
    ID,
    "Remove a role assignment",
    ("Microsoft.Authorization/roleAssignments",),
    # write: an approved rollback recreates the assignment. Deployed under a condition that limits both
    # to the roles DriftGuard may remove (infra/).
    (
        "Microsoft.Authorization/roleAssignments/read",
        "Microsoft.Authorization/roleAssignments/delete",
        "Microsoft.Authorization/roleAssignments/write",
    ),
    plan,
)
