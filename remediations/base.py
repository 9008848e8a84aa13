"""What every remediation is made of, and the helpers the simple ones share.

A remediation is a pure `plan(resource, context)` that returns the exact requests (or None when the
resource is already fixed, which makes applying twice a no-op) and the Azure RBAC actions it needs,
declared as data for the deployment's role definition. The writer verifies every fix the same way: it
reads each written resource back and checks that what it sent is what Azure now holds. A remediation
never sends a full PUT of a resource it can PATCH.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from driftguard.azure import api_versions
from driftguard.ids import parse_resource_id
from driftguard.model import Plan, Step
from driftguard.policy import Policy
from driftguard.rules.base import prop


class CannotPlan(Exception):
    """No automated fix fits this case (no baseline to restore, no workspace configured): open a case
    for people instead. The message says what is missing."""


@dataclass(frozen=True, slots=True)
class PlanContext:
    policy: Policy
    # The last-known-good resource for the rule being fixed, when the store has one.
    baseline: Mapping[str, Any] | None = None
    # Extra data a remediation needs, such as the rule's evidence.
    extra: Mapping[str, Any] = field(default_factory=dict)


# What a rollback touches, whatever the fix: what the fix closed is open again.
ROLLBACK_TOUCHES = "Undoes the fix, reopening what it closed. The fix itself: "

PlanFn = Callable[[Mapping[str, Any], PlanContext], Plan | None]
# The plan that undoes an applied plan, given the resource its steps target as read now (None when it
# is gone): None when there is nothing left to undo, CannotPlan when undoing it would do harm.
UndoFn = Callable[[Plan, Mapping[str, Any] | None], Plan | None]


@dataclass(frozen=True, slots=True)
class Remediation:
    id: str
    title: str
    # The types this fix is written for: its requests are only right for these (a Search service takes
    # other key actions than an AI account), so planning for any other type is refused.
    resource_types: tuple[str, ...]
    # Azure RBAC actions the remediator identity needs for this fix (the Bicep role is their union).
    actions: tuple[str, ...]
    planner: PlanFn
    # What else the fix touches, for the approver who signs it: who or what stops working once it is
    # applied (clients using keys, callers from the internet, apps holding a regenerated key). One
    # sentence or two, shown beside the plan and in the confirmation; required of every remediation.
    touches: str = field(kw_only=True)
    # How an applied plan is undone, where putting the recorded before-values back is not enough (an
    # identity is one object: its type and user-assigned identities go back together). Default: `rollback`.
    undoer: UndoFn | None = None

    def plan(self, resource: Mapping[str, Any], context: PlanContext) -> Plan | None:
        """The requests that fix `resource` (None when already fixed); CannotPlan for a type the fix does
        not declare."""
        rtype = str(resource.get("type") or "")
        if not any(rtype.lower() == t.lower() for t in self.resource_types):
            raise CannotPlan(f"{self.id} is not written for resources of type {rtype or '(none)'!r}")
        return self.planner(resource, context)

    def side_effects(self, *, rollback: bool = False) -> str:
        """What else applying this fix (or rolling it back) touches, as the approver reads it."""
        return ROLLBACK_TOUCHES + self.touches if rollback else self.touches

    def undo(self, plan: Plan, current: Mapping[str, Any] | None) -> Plan | None:
        """The plan that rolls `plan` back, from `current`: the resource the plan's steps target (for a
        project's fix, its hub), read now."""
        return (self.undoer or rollback)(plan, current)


def canonical_id(resource: Mapping[str, Any]) -> str:
    """The resource's id, rebuilt from its parsed parts: request paths never reuse raw text."""
    return str(parse_resource_id(resource.get("id")))


def get_path(obj: Mapping[str, Any], dotted: str) -> Any:
    return prop(obj, *dotted.split("."))


def nest(dotted: Mapping[str, Any]) -> dict[str, Any]:
    """{"properties.a": 1, "identity.type": "x"} -> {"properties": {"a": 1}, "identity": {"type": "x"}}."""
    out: dict[str, Any] = {}
    for path, value in dotted.items():
        cur = out
        *parents, leaf = path.split(".")
        for p in parents:
            cur = cur.setdefault(p, {})
        cur[leaf] = copy.deepcopy(value)
    return out


def same_value(current: Any, wanted: Any) -> bool:
    """Whether a property already holds the value a fix wants: strings (enums) compared
    case-insensitively, since services answer in their own casing (Search says `Enabled` or `enabled`)."""
    if isinstance(current, str) and isinstance(wanted, str):
        return current.lower() == wanted.lower()
    return bool(current == wanted)


def patch_plan(remediation: str, resource: Mapping[str, Any], changes: Mapping[str, Any], summary: str) -> Plan | None:
    """A PATCH of only `changes` (dotted paths), with the ETag read as If-Match where the provider honours
    it (the engine re-reads right before writing either way), or None when every value
    is already in place."""
    before = {path: get_path(resource, path) for path in changes}
    if all(same_value(before[p], v) for p, v in changes.items()):
        return None
    rid = canonical_id(resource)
    etag = resource.get("etag")
    step = Step("PATCH", rid, api_versions.for_type(str(resource.get("type"))), nest(changes), etag if isinstance(etag, str) else None)
    return Plan(remediation, rid, (step,), before, dict(changes), summary)


def put_setting_plan(
    remediation: str, resource: Mapping[str, Any], changes: Mapping[str, Any], *, api_version: str, summary: str
) -> Plan | None:
    """A PUT of a small setting resource that takes no PATCH (a Defender setting, a pricing): the body
    is just `changes`, and None when they already hold."""
    before = {path: get_path(resource, path) for path in changes}
    if all(same_value(before[p], v) for p, v in changes.items()):
        return None
    rid = canonical_id(resource)
    etag = resource.get("etag")
    step = Step("PUT", rid, api_version, nest(changes), etag if isinstance(etag, str) else None)
    return Plan(remediation, rid, (step,), before, dict(changes), summary)


def constant_patch(
    *,
    remediation_id: str,
    title: str,
    resource_types: tuple[str, ...],
    actions: tuple[str, ...],
    changes: Mapping[str, Any],
    summary: str,
    touches: str,
) -> Remediation:
    """The common case: PATCH a few properties to fixed values."""

    def plan(resource: Mapping[str, Any], context: PlanContext) -> Plan | None:
        return patch_plan(remediation_id, resource, changes, summary)

    return Remediation(id=remediation_id, title=title, resource_types=resource_types, actions=actions, planner=plan, touches=touches)


COGNITIVE_ACCOUNT = ("Microsoft.CognitiveServices/accounts",)
COGNITIVE_WRITE = ("Microsoft.CognitiveServices/accounts/read", "Microsoft.CognitiveServices/accounts/write")
STORAGE = ("Microsoft.Storage/storageAccounts",)
STORAGE_WRITE = ("Microsoft.Storage/storageAccounts/read", "Microsoft.Storage/storageAccounts/write")
SEARCH = ("Microsoft.Search/searchServices",)
SEARCH_WRITE = ("Microsoft.Search/searchServices/read", "Microsoft.Search/searchServices/write")
WORKSPACE = ("Microsoft.MachineLearningServices/workspaces",)
WORKSPACE_WRITE = ("Microsoft.MachineLearningServices/workspaces/read", "Microsoft.MachineLearningServices/workspaces/write")
SESSION_POOL = ("Microsoft.App/sessionPools",)
SESSION_POOL_WRITE = ("Microsoft.App/sessionPools/read", "Microsoft.App/sessionPools/write")


# What an absent property means, per type and dotted path: the value a revert sends back when the
# property was not set before the fix. A null would not do: the providers ignore nulls in a PATCH (the
# SDK models never send one), so a rollback that sent one would change nothing and fail its read-back.
# Sources: each property's description in the specs (cognitiveservices 2025-09-01, search 2025-05-01,
# storage 2025-06-01, machinelearningservices 2025-06-01).
DEFAULTS: dict[tuple[str, str], Any] = {
    ("microsoft.cognitiveservices/accounts", "properties.publicNetworkAccess"): "Enabled",
    ("microsoft.cognitiveservices/accounts", "properties.disableLocalAuth"): False,
    ("microsoft.cognitiveservices/accounts", "properties.restrictOutboundNetworkAccess"): False,
    ("microsoft.cognitiveservices/accounts", "properties.allowedFqdnList"): [],
    ("microsoft.cognitiveservices/accounts", "properties.networkAcls"): {
        "defaultAction": "Allow",
        "ipRules": [],
        "virtualNetworkRules": [],
    },
    ("microsoft.search/searchservices", "properties.publicNetworkAccess"): "enabled",
    ("microsoft.search/searchservices", "properties.disableLocalAuth"): False,
    # With key authentication on and no options set, a Search service takes API keys only.
    ("microsoft.search/searchservices", "properties.authOptions"): {"apiKeyOnly": {}},
    ("microsoft.storage/storageaccounts", "properties.publicNetworkAccess"): "Enabled",
    ("microsoft.storage/storageaccounts", "properties.allowBlobPublicAccess"): False,
    # "If not set, the default is null, which is equivalent to true."
    ("microsoft.storage/storageaccounts", "properties.allowSharedKeyAccess"): True,
    ("microsoft.machinelearningservices/workspaces", "properties.publicNetworkAccess"): "Enabled",
    ("microsoft.machinelearningservices/workspaces", "properties.systemDatastoresAuthMode"): "AccessKey",
    # Session pools (app 2026-07-01): a pool without a network configuration has egress disabled.
    ("microsoft.app/sessionpools", "properties.sessionNetworkConfiguration.status"): "EgressDisabled",
}


def restored_values(rtype: str, before: Mapping[str, Any]) -> dict[str, Any]:
    """The before-values as a revert sends them: an absent one as what its absence meant (DEFAULTS);
    CannotPlan when that is not known, rather than a null the provider would ignore."""
    out: dict[str, Any] = {}
    for path, value in before.items():
        key = (rtype.lower(), path)
        if value is None and key not in DEFAULTS:
            raise CannotPlan(f"{path} was not set before the fix and its default is not known: restore it by hand")
        out[path] = copy.deepcopy(DEFAULTS[key] if value is None else value)
    return out


def rollback(plan: Plan, current: Mapping[str, Any] | None) -> Plan | None:
    """The plan that puts the recorded before-values back, or None when they already are. PATCH plans
    restore their values; a removed role assignment is recreated as it was (same name, role, scope,
    principal, condition). Key regeneration (the POST actions) cannot be undone and needs no undoing:
    a plan that regenerated keys before a PATCH rolls back its PATCH; one that only regenerated keys
    has nothing to restore."""
    assignment = plan.before.get("assignment")
    if [s.method for s in plan.steps] == ["DELETE"] and isinstance(assignment, Mapping):
        if current is not None:
            return None
        props = {k: v for k, v in assignment.items() if k not in ("name", "scope") and v is not None}
        step = Step("PUT", plan.steps[0].path, plan.steps[0].api_version, {"properties": props})
        return Plan(
            plan.remediation,
            plan.resource_id,
            (step,),
            {"assignment": None},
            {"assignment": dict(assignment)},
            f"grant the removed role assignment again, as it was (roll back of: {plan.summary})",
        )
    restorable = [step.method for step in plan.steps if step.method != "POST"]
    if current is None or not restorable or any(method != "PATCH" for method in restorable):
        raise CannotPlan(f"{plan.remediation} cannot be rolled back automatically")
    values = restored_values(str(current.get("type") or ""), plan.before)
    return patch_plan(plan.remediation, current, values, f"{undo_summary(values)} (roll back of: {plan.summary})")


# What putting a value back does, in people's words: (property, value) -> phrase. Others read "set
# <property> back to <value>".
UNDONE: dict[tuple[str, object], str] = {
    ("properties.disableLocalAuth", False): "turn API key authentication back on",
    ("properties.publicNetworkAccess", "Enabled"): "turn public network access back on",
    ("properties.allowSharedKeyAccess", True): "turn shared key access back on",
    ("properties.allowBlobPublicAccess", True): "allow anonymous blob access again",
    ("properties.networkAcls.defaultAction", "Allow"): "let all networks in again (network ACLs' default action Allow)",
}


# Properties that go back with another one and are said with it: a Search service's authOptions (which
# keys it accepts) with disableLocalAuth.
SAID_WITH = {"properties.authOptions": "properties.disableLocalAuth"}


def undo_summary(values: Mapping[str, Any]) -> str:
    """What a rollback's PATCH does, said as the change it makes (not as the fix it undoes)."""
    said = []
    for path, value in values.items():
        if SAID_WITH.get(path) in values:
            continue
        known = UNDONE.get((path, value)) if isinstance(value, (str, bool)) else None
        said.append(known or f"set {path.rsplit('.', 1)[-1]} back to {json.dumps(value)}")
    return "; ".join(dict.fromkeys(said))
