"""Assignments unused for the review window are removed (privilege creep). Never judged on missing or
stale activity data: a failed read must not turn into deletions. The evidence is the Activity Log, which
records control-plane writes, deletes and actions only: a role that grants nothing else (reads,
data-plane roles such as Cognitive Services OpenAI User) is used without a trace there, so it is not
evaluable, never "unused"."""

from __future__ import annotations

from datetime import timedelta

from driftguard.model import Finding, Mode, Reference, ResourceSnapshot, Severity
from driftguard.rules.base import NotEvaluable, RuleContext, RuleMeta, is_true, prop
from driftguard.rules.roles import ACTIVITY, ELIGIBILITY, ROLE_DEFINITION, instant, one, role_guid, shows_in_activity_log

META = RuleMeta(
    id="authorization_roleassignment_used_recently",
    title="Role assignments at AI scopes are used within the review window",
    severity=Severity.MEDIUM,
    resource_types=("Microsoft.Authorization/roleAssignments",),
    seed_section="Regular access reviews",
    default_mode=Mode.APPROVE,
    remediation="authorization_roleassignment_delete",
    references=(Reference("mcsb", "PA-4", "Review and reconcile user access regularly"),),
    requires=(ACTIVITY, ROLE_DEFINITION),
)


def evaluate(snapshot: ResourceSnapshot, context: RuleContext) -> list[Finding]:
    eligibility = one(snapshot.related, ELIGIBILITY)
    if eligibility is not None and is_true(prop(eligibility, "activated")):
        return []  # a PIM activation: it expires by itself, and its eligibility is reviewed in PIM
    access = context.policy.access
    window = timedelta(days=access.review_window_days)
    created = instant(prop(snapshot.properties, "createdOn"))
    if created is not None and created > context.now - window:
        return []  # younger than the window: not judged unused
    definition = one(snapshot.related, ROLE_DEFINITION)
    if definition is None:
        raise NotEvaluable("the role definition was not read: whether its use shows in the Activity Log is unknown")
    if not shows_in_activity_log(definition):
        raise NotEvaluable(
            f"{prop(definition, 'properties', 'roleName') or 'the role'} grants only reads and data-plane actions, "
            "which the Activity Log does not record: its use cannot be judged from it"
        )
    activity = one(snapshot.related, ACTIVITY) or {}
    through = instant(prop(activity, "data_through"))
    if through is None or through < context.now - timedelta(hours=access.activity_max_lag_hours):
        raise NotEvaluable("activity data missing or stale: nothing is judged unused")
    last = instant(prop(activity, "last_activity"))
    if last is not None and last >= context.now - window:
        return []
    return [
        context.finding(
            META,
            snapshot,
            f"no activity in {access.review_window_days} days" + (f" (last: {last.date().isoformat()})" if last else " (none recorded)"),
            {
                # Who holds which role where, as the other access rules record it: an approver decides
                # a removal from these, and the console names them.
                "principalId": str(prop(snapshot.properties, "principalId") or "").lower(),
                "role": role_guid(prop(snapshot.properties, "roleDefinitionId")),
                "role_name": prop(definition, "properties", "roleName"),
                "scope": prop(snapshot.properties, "scope"),
                "last_activity": last.isoformat() if last else None,
                "window_days": access.review_window_days,
                "evidence": prop(activity, "matched_by"),
            },
        )
    ]
