"""Adds a system-assigned managed identity (grants nothing by itself).

A free-tier Search service cannot have one (managed identities need Basic or higher) and its tier
never changes in place: that is a case saying what a person must do, never a write Azure refuses.
The plan records the whole identity it found (type and user-assigned identities); its rollback puts
exactly that back, and refuses when a user-assigned identity was added since, which it would drop.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from driftguard.azure import api_versions
from driftguard.model import Plan, Step
from remediations.base import COGNITIVE_WRITE, SEARCH_WRITE, CannotPlan, PlanContext, Remediation, canonical_id, same_value

ID = "resource_enable_system_assigned_identity"
SEARCH = "microsoft.search/searchservices"


def recorded(identity: Any) -> dict[str, Any]:
    """An identity as a write sends it: its type ("None" for none: Search requires a type, never null)
    and the ids of its user-assigned identities (their principals are the service's own)."""
    found = identity if isinstance(identity, Mapping) else {}
    kind = found.get("type")
    out: dict[str, Any] = {"type": kind if isinstance(kind, str) and kind.strip() else "None"}
    assigned = found.get("userAssignedIdentities")
    if isinstance(assigned, Mapping) and assigned:
        out["userAssignedIdentities"] = {str(k): {} for k in assigned}
    return out


def plan(resource: Mapping[str, Any], context: PlanContext) -> Plan | None:
    before = recorded(resource.get("identity"))
    if not same_value(before["type"], "None"):
        return None  # it has an identity already (perhaps a user-assigned one, which this PATCH would replace)
    sku = resource.get("sku")
    tier = sku.get("name") if isinstance(sku, Mapping) else None
    if str(resource.get("type", "")).lower() == SEARCH and same_value(tier, "free"):
        raise CannotPlan(
            "a free-tier Search service cannot have a managed identity and its tier cannot change in place: "
            "a person must create the service again on Basic or higher (and move its indexes), or exempt it"
        )
    rid = canonical_id(resource)
    after = {"type": "SystemAssigned"}
    step = Step("PATCH", rid, api_versions.for_type(str(resource.get("type"))), {"identity": after})
    return Plan(ID, rid, (step,), {"identity": before}, {"identity": after}, "add a system-assigned managed identity")


def undo(applied: Plan, current: Mapping[str, Any] | None) -> Plan | None:
    """Puts back the whole identity recorded before the fix, unless that would drop a user-assigned
    identity someone added since (a person decides that)."""
    if current is None:
        raise CannotPlan("the resource is gone: there is no identity to roll back")
    wanted = applied.before.get("identity")
    if not isinstance(wanted, Mapping):
        # Plans recorded before the whole identity was: only the type was kept.
        wanted = recorded({"type": applied.before.get("identity.type")})
    wanted = recorded(wanted)
    now = recorded(current.get("identity"))
    kept = {k.lower() for k in wanted.get("userAssignedIdentities", {})}
    added = sorted(k for k in now.get("userAssignedIdentities", {}) if k.lower() not in kept)
    if added:
        raise CannotPlan(
            f"user-assigned identit{'y' if len(added) == 1 else 'ies'} {', '.join(added)} added since the fix: "
            "rolling the identity back would drop them; a person must decide"
        )
    if same_value(now["type"].replace(" ", ""), wanted["type"].replace(" ", "")) and now.get("userAssignedIdentities") == wanted.get(
        "userAssignedIdentities"
    ):
        return None
    rid = canonical_id(current)
    step = Step("PATCH", rid, api_versions.for_type(str(current.get("type"))), {"identity": dict(wanted)})
    return Plan(
        ID,
        rid,
        (step,),
        {"identity": now},
        {"identity": dict(wanted)},
        f"put identity type {wanted['type']} back (roll back of: {applied.summary})",
    )


REMEDIATION = Remediation(
    ID,
    "Add a system-assigned managed identity",
    ("Microsoft.CognitiveServices/accounts", "Microsoft.Search/searchServices"),
    (*COGNITIVE_WRITE, *SEARCH_WRITE),
    plan,
    undo,
    touches="Adds a system-assigned identity next to any user-assigned ones: nothing loses access; the identity holds no roles until someone grants them.",
)
