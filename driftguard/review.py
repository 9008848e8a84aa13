"""The access review: every role assignment at AI scopes, joined with its role definition, its
principal (existence, kind, persona groups) and its evidence of use, judged by the access rules.

Activity that is missing or stale judges nothing unused (never fail open into deletions); the report
says so. Each assignment gets one row with its verdicts and evidence, for auditors.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from driftguard import rules as rule_registry
from driftguard.azure import api_versions
from driftguard.azure.activity import ActivityIndex
from driftguard.azure.directory import Principal, label
from driftguard.azure.role_definitions import RoleDefinitions
from driftguard.azure.writes import ArmWriter
from driftguard.ids import InvalidResourceId, fold, normalize_guid, parse_resource_id
from driftguard.model import Finding, ResourceSnapshot
from driftguard.policy import Policy
from driftguard.rules.base import RuleContext, prop
from driftguard.rules.roles import ACTIVITY, ELIGIBILITY, PRINCIPAL, ROLE_DEFINITION, instant, privileged_reason, role_guid, scope_level
from driftguard.store.base import Case, CaseListener, CaseStatus, StateStore, dedupe_key

ASSIGNMENT = "microsoft.authorization/roleassignments"


@dataclass
class Row:
    assignment_id: str
    scope: str
    principal_id: str
    principal_kind: str
    role: str
    role_name: str
    last_activity: str | None
    matched_by: str
    persona: str = "none"  # the personas the principal is in, joined with "+"
    privileged: bool = False  # a privileged role held as standing access (not a PIM activation)
    created_on: str | None = None
    verdicts: dict[str, str] = field(default_factory=dict)  # rule id -> "pass" | "fail: ..." | "not evaluated: ..."
    # The directory's answer for the principal (None: not asked): names for people, next to the id.
    principal: Principal | None = None

    @property
    def principal_label(self) -> str:
        return label(self.principal_id, self.principal)

    @property
    def principal_name(self) -> str | None:
        return self.principal.display_name if self.principal else None

    @property
    def principal_upn(self) -> str | None:
        return self.principal.user_principal_name if self.principal else None

    @property
    def principal_deleted(self) -> bool:
        return self.principal is not None and not self.principal.exists

    @property
    def use(self) -> str:
        """Evidence of use as a person reads it: "2026-11-30 00:55 UTC (matched by caller and scope)"."""
        return used(self.last_activity, self.matched_by)

    def to_json(self) -> dict[str, Any]:
        return {
            "assignment_id": self.assignment_id,
            "scope": self.scope,
            "principal_id": self.principal_id,
            "principal_name": self.principal_name,
            "principal_upn": self.principal_upn,
            "principal_deleted": self.principal_deleted,
            "principal_kind": self.principal_kind,
            "role": self.role,
            "role_name": self.role_name,
            "last_activity": self.last_activity,
            "matched_by": self.matched_by,
            "persona": self.persona,
            "privileged": self.privileged,
            "created_on": self.created_on,
            "verdicts": self.verdicts,
        }


def used(last_activity: str | None, matched_by: str) -> str:
    """The last recorded use of an assignment, to the minute in UTC, and how it was matched; "none
    recorded" when the Activity Log holds none (whether that counts as unused is the rule's verdict)."""
    when = instant(last_activity)
    if when is None:
        return "none recorded"
    when = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    return f"{when:%Y-%m-%d %H:%M} UTC (matched by {matched_by})"


@dataclass
class Review:
    rows: list[Row]
    findings: list[Finding]
    activity_ok: bool
    notes: list[str]
    # The assignments judged, by folded id (`ids.fold`): a removal case carries the exact DELETE of one.
    assignments: dict[str, Mapping[str, Any]] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        return {
            "assignments": len(self.rows),
            "findings": len(self.findings),
            "by_rule": dict(Counter(f.rule for f in self.findings)),
            "activity_ok": self.activity_ok,
            "notes": self.notes,
        }


def in_ai_scope(scope: str, ai_scopes: frozenset[str]) -> bool:
    """At or above an AI scope: the AI resource itself, its resource group or subscription, or a
    management group (which holds subscriptions)."""
    s = fold(scope).rstrip("/")
    return s in ai_scopes or s.startswith("/providers/microsoft.management/managementgroups/")


def ai_scopes_of(resource_ids: Iterable[str]) -> frozenset[str]:
    scopes: set[str] = set()
    for rid in resource_ids:
        try:
            parsed = parse_resource_id(rid)
        except InvalidResourceId:
            continue
        scopes.add(parsed.key)
        if parsed.subscription:
            scopes.add(f"/subscriptions/{parsed.subscription}")
            if parsed.resource_group:
                scopes.add(fold(f"/subscriptions/{parsed.subscription}/resourcegroups/{parsed.resource_group}"))
    return frozenset(scopes)


def judge(
    assignments: Iterable[Mapping[str, Any]],
    *,
    definitions: Mapping[str, Mapping[str, Any] | None],
    principals: Mapping[str, Principal],
    memberships: Mapping[str, frozenset[str]],
    activity: ActivityIndex | None,
    ai_scopes: frozenset[str],
    policy: Policy,
    now: datetime,
    activated: frozenset[str] = frozenset(),
) -> Review:
    """Pure: every input is read beforehand, in a few batched calls. `activated` holds the GUIDs of
    assignments that exist because of a PIM activation: time-bound, not standing access."""
    lag = timedelta(hours=policy.access.activity_max_lag_hours)
    activity_ok = activity is not None and activity.data_through is not None and activity.data_through >= now - lag
    notes: list[str] = []
    if not activity_ok:
        notes.append("activity data missing or stale: no assignment is judged unused in this review")
    context = RuleContext(policy=policy, now=now)
    personas: dict[str, str] = {}  # by principal: far fewer principals than assignments

    def persona_of(pid: str) -> str:
        if pid not in personas:
            found = policy.access.personas_of(pid, memberships.get(pid, frozenset()))
            personas[pid] = "+".join(sorted(p.name for p in found)) or "none"
        return personas[pid]

    rows: list[Row] = []
    findings: list[Finding] = []
    judged: dict[str, Mapping[str, Any]] = {}
    for a in assignments:
        props = a.get("properties")
        if not isinstance(props, Mapping):
            continue  # not an assignment ARM would return: nothing to judge
        scope = str(props.get("scope") or "")
        if not in_ai_scope(scope, ai_scopes):
            continue
        pid = str(props.get("principalId") or "").lower()
        guid = role_guid(props.get("roleDefinitionId")) or ""
        definition = definitions.get(guid)
        principal = principals.get(pid)
        related: dict[str, tuple[Mapping[str, Any], ...]] = {}
        if definition is not None:
            related[ROLE_DEFINITION] = (definition,)
        is_activation = normalize_guid(str(a.get("name") or "")) in activated
        if is_activation:
            related[ELIGIBILITY] = ({"activated": True},)
        if principal is not None:
            related[PRINCIPAL] = (
                {"exists": principal.exists, "kind": principal.kind, "groups": sorted(memberships.get(pid, frozenset()))},
            )
        last, matched = (None, "none")
        if activity is not None:
            # The Activity Log names callers by UPN, e-mail or app id, which the directory knows.
            callers = principal.caller_names if principal is not None else frozenset()
            last, matched = activity.last_use(str(a.get("name") or ""), callers, scope)
            related[ACTIVITY] = (
                {
                    "last_activity": last.isoformat() if last else None,
                    "data_through": activity.data_through.isoformat() if activity.data_through else None,
                    "matched_by": matched,
                },
            )
        row = Row(
            str(a.get("id")),
            scope,
            pid,
            (principal.kind if principal else None) or str(props.get("principalType") or ""),
            guid,
            str(prop(definition or {}, "properties", "roleName") or "unknown role"),
            last.isoformat() if last else None,
            matched,
            persona_of(pid),
            not is_activation and privileged_reason(guid, definition) is not None,
            str(props.get("createdOn") or "") or None,
            principal=principal,
        )
        snapshot = ResourceSnapshot({**a, "type": "Microsoft.Authorization/roleAssignments"}, related)
        for verdict in rule_registry.judge_access(snapshot, context):
            rule = verdict.meta.id
            if verdict.missing:
                row.verdicts[rule] = f"not evaluated: no {', '.join(verdict.missing)}"
            elif verdict.not_evaluable is not None:
                row.verdicts[rule] = f"not evaluated: {verdict.not_evaluable}"
            else:
                row.verdicts[rule] = "pass" if not verdict.findings else "fail: " + "; ".join(f.message for f in verdict.findings)
                findings.extend(verdict.findings)
        if definition is None:
            row.verdicts["role_definition"] = f"unknown role definition {guid or props.get('roleDefinitionId')}"
        row.verdicts["scope_level"] = scope_level(scope).value
        rows.append(row)
        judged[fold(str(a.get("id")))] = a
    return Review(rows, findings, activity_ok, notes, judged)


def to_csv(review: Review, *, exempt: Mapping[tuple[str, str], Mapping[str, Any]] | None = None) -> str:
    """One row per assignment, one column per access rule. `exempt`: the policy's exemptions in force,
    by (folded assignment id, rule); an exempted verdict reads `exempt until <date>, approved by
    <approver>: <reason> (<verdict>)`, so a sheet filtered on `fail` shows only what still counts."""
    out = io.StringIO()
    rules = list(rule_registry.access_registry())
    writer = csv.writer(out)
    # The ids for joins and the names for people, side by side; a deleted principal says so.
    head = ["assignment_id", "scope", "principal_id", "principal_name", "principal_upn", "principal_deleted", "principal_kind"]
    writer.writerow([*head, "role", "role_name", "last_activity", "matched_by", *rules])
    for r in review.rows:
        writer.writerow(
            [
                r.assignment_id,
                r.scope,
                r.principal_id,
                r.principal_name or "",
                r.principal_upn or "",
                "true" if r.principal_deleted else "false",
                r.principal_kind,
                r.role,
                r.role_name,
                r.last_activity or "",
                r.matched_by,
                *(_verdict_cell(r.verdicts.get(x, ""), (exempt or {}).get((fold(r.assignment_id), x))) for x in rules),
            ]
        )
    return out.getvalue()


def _verdict_cell(verdict: str, exemption: Mapping[str, Any] | None) -> str:
    if exemption is None or not verdict:
        return verdict
    return f"exempt until {exemption['expires_on']}, approved by {exemption['approver']}: {exemption['reason']} ({verdict})"


def collect(
    *,
    graph: Any,
    arm: ArmWriter,
    directory: Any,
    activity: Any | None,
    scope: Any,
    policy: Policy,
    now: datetime,
    ai_resource_ids: Iterable[str],
) -> Review:
    """Reads every input in batches (Resource Graph pages, one read per distinct role definition,
    Graph in 1,000-id batches and per persona group, two Log Analytics queries), then judges."""
    from driftguard.azure.resource_graph import load_query
    from driftguard.inventory import InventoryError

    assignments = [a for a in graph.query(load_query("role_assignments"), scope) if str(a.get("type", "")).lower() == ASSIGNMENT]
    # Read where each assignment says its role is: custom roles live in a subscription or management group.
    definitions = RoleDefinitions(arm.read).by_guid(prop(a, "properties", "roleDefinitionId") for a in assignments)
    principals = directory.principals(str(prop(a, "properties", "principalId") or "") for a in assignments)
    # PIM: one list of active schedule instances per subscription names the activated assignments.
    activated: set[str] = set()
    for subscription in sorted(
        {str(prop(a, "id") or "").split("/")[2].lower() for a in assignments if str(a.get("id", "")).lower().startswith("/subscriptions/")}
    ):
        path = f"/subscriptions/{subscription}/providers/Microsoft.Authorization/roleAssignmentScheduleInstances"
        for instance in arm.read_list(path, api_versions.AUTHORIZATION_SCHEDULES):
            if str(prop(instance, "properties", "assignmentType") or "").lower() == "activated":
                origin = str(prop(instance, "properties", "originRoleAssignmentId") or "").rstrip("/").rsplit("/", 1)[-1]
                if guid := normalize_guid(origin):
                    activated.add(guid)
    groups = policy.access.all_group_ids()
    memberships = directory.members(groups) if groups else {}
    notes: list[str] = []
    index: ActivityIndex | None = None
    if activity is not None:
        try:
            index = activity.read(window_days=policy.access.review_window_days)
        except InventoryError as e:
            notes.append(f"activity could not be read: {e}")
    review = judge(
        assignments,
        definitions=definitions,
        principals=principals,
        memberships=memberships,
        activity=index,
        ai_scopes=ai_scopes_of(ai_resource_ids),
        policy=policy,
        now=now,
        activated=frozenset(activated),
    )
    review.notes = notes + review.notes
    return review


OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
REMOVAL = "authorization_roleassignment_delete"


@dataclass
class CaseOutcome:
    opened: list[str] = field(default_factory=list)  # case ids
    guarded: list[str] = field(default_factory=list)  # "assignment: why it is kept"
    batched: bool = False


def open_removal_cases(
    review: Review,
    *,
    store: StateStore,
    policy: Policy,
    now: datetime,
    own_ids: frozenset[str] = frozenset(),
    listeners: tuple[CaseListener, ...] = (),
) -> CaseOutcome:
    """Each removal the review recommends becomes a case carrying the exact DELETE, behind the guards:
    never break-glass or DriftGuard's own assignments, never the last Owner of a subscription, and past
    `max_removals_per_review` one case for the whole batch instead of many."""
    import remediations
    from remediations.base import PlanContext

    remediation = remediations.registry()[REMOVAL]
    glass = {p.lower() for p in policy.break_glass_principals} | {i.lower() for i in own_ids}
    owners: dict[str, int] = {}
    for r in review.rows:
        if r.role == OWNER and scope_level(r.scope).value == "subscription":
            owners[fold(r.scope)] = owners.get(fold(r.scope), 0) + 1
    outcome = CaseOutcome()
    wanted: list[tuple[Finding, Mapping[str, Any]]] = []
    seen: set[str] = set()  # one decision per assignment, whichever rules asked for its removal
    for f in review.findings:
        key = fold(f.resource_id)
        if f.remediation != REMOVAL or key in seen:
            continue
        seen.add(key)
        assignment = review.assignments.get(key)
        if assignment is None:
            continue
        props = assignment.get("properties") or {}
        principal = str(props.get("principalId", "")).lower()
        scope = fold(str(props.get("scope", "")))
        if principal in glass:
            outcome.guarded.append(f"{f.resource_id}: break-glass or DriftGuard's own identity")
            continue
        # Only a subscription's last Owner is kept: an Owner grant on one resource locks nobody out.
        at_subscription = scope_level(scope).value == "subscription"
        if role_guid(props.get("roleDefinitionId")) == OWNER and at_subscription and owners.get(scope, 0) <= 1:
            outcome.guarded.append(f"{f.resource_id}: the last Owner of {scope}")
            continue
        wanted.append((f, assignment))
    if len(wanted) > policy.access.max_removals_per_review:
        outcome.batched = True
        plans = [p.to_json() for _, a in wanted if (p := remediation.plan(a, PlanContext(policy=policy)))]
        evidence = {"removals": [{"assignment": f.resource_id, "rule": f.rule, "why": f.message} for f, _ in wanted]}
        case = store.open_case(
            Case(
                f"access-review-batch|{now.date().isoformat()}",
                REMOVAL,
                "access review",
                CaseStatus.OPEN,
                f"{len(wanted)} removals exceed the limit of {policy.access.max_removals_per_review} per review: review the batch",
                now,
                now,
                {"steps": [s for p in plans for s in p["steps"]]},
                None,
                evidence,
            )
        )
        _tell(listeners, case)
        outcome.opened.append(case.id)
        return outcome
    rows = {fold(r.assignment_id): r for r in review.rows}
    for f, assignment in wanted:
        plan = remediation.plan(assignment, PlanContext(policy=policy))
        props = assignment.get("properties") or {}
        row = rows.get(fold(f.resource_id))
        key = dedupe_key(f.rule, f.resource_id, props.get("principalId"))
        case = store.open_case(
            Case(
                key,
                f.rule,
                f.resource_id,
                CaseStatus.OPEN,
                f.message,
                now,
                now,
                plan.to_json() if plan else None,
                plan.digest() if plan else None,
                {
                    "finding": f.to_json(),
                    "principalId": props.get("principalId"),
                    "scope": props.get("scope"),
                    # Who made the assignment and when, as ARM records it: the approver may want to ask them.
                    "granted_by": props.get("createdBy"),
                    "granted_on": props.get("createdOn"),
                    # Evidence of use, for the approver: whatever rule asked for the removal.
                    "activity": evidence_of_use(row, review, policy) if row else None,
                },
            )
        )
        _tell(listeners, case)
        outcome.opened.append(case.id)
    return outcome


def evidence_of_use(row: Row, review: Review, policy: Policy) -> dict[str, Any]:
    """What the Activity Log says of an assignment, as a removal case carries it."""
    return {
        "last_activity": row.last_activity,
        "matched_by": row.matched_by,
        "window_days": policy.access.review_window_days,
        "activity_ok": review.activity_ok,
    }


def describe_use(activity: Mapping[str, Any]) -> str:
    """A case's evidence of use as the approver reads it (one sentence, from `evidence_of_use`)."""
    last = activity.get("last_activity")
    if isinstance(last, str) and last:
        return "last activity " + used(last, str(activity.get("matched_by") or "none"))
    if activity.get("activity_ok"):
        return f"no activity in {activity.get('window_days')} days (none recorded in the Activity Log)"
    return "activity data missing or stale: use not judged"


def _tell(listeners: tuple[CaseListener, ...], case: Case) -> None:
    for listener in listeners:
        listener(case, "opened" if case.detections == 1 else "updated")
