"""Respond to one change event: evaluate -> decide -> act, within one handler call.

Cheap rejections come first, before any ARM call (scope, catalog, failed operations, duplicates, our
own writes). The event is a pointer: the resource is read fresh (only a sweep hands in whole resources, its
Resource Graph rows; a Resource Notification carries part of one, which is never judged).
Transient failures (ARM or the store unreachable) raise so that Event Grid redelivers; a resource the
engine cannot fix automatically becomes a case, never a silent pass.
"""

from __future__ import annotations

import hashlib
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

import orjson

from driftguard import enforce, joins
from driftguard import rules as rule_registry
from driftguard.azure import api_versions
from driftguard.azure.role_definitions import RoleDefinitions
from driftguard.azure.writes import Applied, ArmWriter, PlanStale, WriteFailed
from driftguard.decide import Action, Circumstances, Decision, decide
from driftguard.events import ChangeEvent, Kind, Operation, Schema
from driftguard.ids import InvalidResourceId, ResourceId, parse_resource_id
from driftguard.model import Finding, Plan, Reader, ResourceSnapshot
from driftguard.pipeline import ACCOUNT, STORAGE, WORKSPACE, linked_storage
from driftguard.policy import Policy
from driftguard.rules import cognitiveservices_deployment_content_filter_enforced as content_filter
from driftguard.rules.base import Evaluate, NotEvaluable, RuleContext, RuleMeta, parent_id, prop
from driftguard.rules.cognitiveservices_account_keys_not_exposed import KEY_EVENTS
from driftguard.rules.machinelearning_workspace_public_network_access_disabled import HUB, hub_id
from driftguard.rules.monitor_ai_resource_diagnostic_logs_enabled import DIAGNOSTIC_SETTINGS
from driftguard.rules.roles import ROLE_DEFINITION
from driftguard.store.base import (
    AuditEntry,
    Baseline,
    Case,
    CaseListener,
    CaseStatus,
    FindingRecord,
    FindingStatus,
    NoticeListener,
    Revert,
    StateStore,
    StoreConflict,
    dedupe_key,
)
from remediations.base import CannotPlan, Remediation

ACTOR = "driftguard"
CLAIM_TTL = timedelta(minutes=5)
# Fields that change without any configuration change: left out of the state hash.
VOLATILE = ("etag", "systemData")
VOLATILE_PROPERTIES = ("provisioningState", "dateCreated", "internalId", "serviceUpgradedAt")
DIAGNOSTIC_TYPE = "microsoft.insights/diagnosticsettings"
PRIVATE_ENDPOINT_CONNECTIONS = "privateendpointconnections"
# The sliding window of automatic changes per subscription (the blast-radius budget) is kept with the
# flap windows, under this name.
AUTO_CHANGES = "auto-changes"
# A marker kept with the baselines: "an AI resource named this storage account as its data store".
AI_DATA_LINK = "ai-data-link"
# The event type a sweep gives each resource it hands to the same path as Event Grid's events.
SWEEP_EVENT = "DriftGuard.Sweep"
# The CloudEvent types of what the responder tells its notice listeners.
FINDING_OPENED = "DriftGuard.Finding.Opened"
FINDING_RESOLVED = "DriftGuard.Finding.Resolved"
REMEDIATION_APPLIED = "DriftGuard.Remediation.Applied"
REMEDIATION_FAILED = "DriftGuard.Remediation.Failed"


class Outcome(StrEnum):
    OUT_OF_SCOPE = "out_of_scope"
    IGNORED = "ignored"
    DUPLICATE = "duplicate"
    OWN_WRITE = "own_write"
    UNCHANGED = "unchanged"
    COMPLIANT = "compliant"
    REVERTED = "reverted"
    CASE_OPENED = "case_opened"
    RECORDED = "recorded"
    RESOLVED = "resolved"
    NOT_EVALUATED = "not_evaluated"


@dataclass(frozen=True, slots=True)
class Result:
    event_id: str
    resource_id: str
    outcome: Outcome
    reason: str
    rule: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "resource_id": self.resource_id,
            "outcome": self.outcome.value,
            "reason": self.reason,
            "rule": self.rule,
        }


@dataclass(frozen=True, slots=True)
class _Job:
    """One finding being acted on, with what it was found on."""

    event: ChangeEvent
    finding: Finding
    resource: Mapping[str, Any]
    baseline: Baseline | None
    now: datetime

    @property
    def rid(self) -> str:
        return self.event.resource_id

    def result(self, outcome: Outcome, reason: str) -> Result:
        return Result(self.event.event_id, self.rid, outcome, reason, self.finding.rule)


def owner_of(resource: ResourceId) -> ResourceId | None:
    """The resource whose judgement a change to `resource` is about, when that is another one: the scope
    of a diagnostic setting (an extension resource), the parent of a private endpoint connection (whose
    state is part of the parent's properties). None when the resource is judged itself."""
    if resource.full_type.lower() == DIAGNOSTIC_TYPE:
        return resource.parent
    if resource.types[-1].lower() == PRIVATE_ENDPOINT_CONNECTIONS:
        return resource.up()
    return None


def stable(resource: Mapping[str, Any]) -> dict[str, Any]:
    """The resource without the fields that change when its configuration does not."""
    trimmed = {k: v for k, v in resource.items() if k not in VOLATILE}
    props = trimmed.get("properties")
    if isinstance(props, Mapping):
        trimmed["properties"] = {k: v for k, v in props.items() if k not in VOLATILE_PROPERTIES}
    return trimmed


def state_hash(resource: Mapping[str, Any]) -> str:
    return hashlib.sha256(orjson.dumps(stable(resource), option=orjson.OPT_SORT_KEYS, default=str)).hexdigest()


class Responder:
    def __init__(
        self,
        *,
        policy: Policy,
        store: StateStore,
        reader: Reader,
        writer: ArmWriter,
        remediations: Mapping[str, Remediation],
        subscriptions: tuple[str, ...] = (),
        identity_ids: tuple[str, ...] = (),
        dry_run: bool = False,
        clock: Callable[[], datetime] | None = None,
        rules: Mapping[str, tuple[RuleMeta, Evaluate]] | None = None,
        case_listeners: tuple[CaseListener, ...] = (),
        notice_listeners: tuple[NoticeListener, ...] = (),
    ) -> None:
        self.policy = policy
        self.store = store
        self.case_listeners = case_listeners
        self.notice_listeners = notice_listeners
        self.read = reader
        self.writer = writer
        self.remediations = remediations
        self.subscriptions = {s.lower() for s in subscriptions}
        self.identity = {i.lower() for i in identity_ids}
        self.dry_run = dry_run
        self.clock = clock or (lambda: datetime.now(UTC))
        self.rules = dict(rules if rules is not None else rule_registry.registry())
        self.types = frozenset(t.lower() for meta, _ in self.rules.values() for t in meta.resource_types)
        # During a sweep: [automatic changes planned so far, resources in scope] for the sweep's limit.
        self._sweep: list[int] | None = None
        # A deep sweep also reads the child settings Resource Graph does not index (one ARM call each).
        self._deep = False
        self._rows: dict[str, Mapping[str, Any]] = {}
        self.counts: Counter[str] = Counter()
        self.access_rules = dict(rule_registry.access_registry())
        self.role_definitions = RoleDefinitions(reader)

    # --- entry point -----------------------------------------------------------------------------
    def handle(self, event: ChangeEvent) -> list[Result]:
        results = self._handle(event)
        # Every outcome is counted, the cheap rejections included: the trigger reports the totals.
        self.counts.update(r.outcome.value for r in results)
        return results

    def _handle(self, event: ChangeEvent) -> list[Result]:
        now = self.clock()
        rid = event.resource_id

        def result(outcome: Outcome, reason: str, rule: str | None = None) -> Result:
            return Result(event.event_id, rid, outcome, reason, rule)

        above_subscriptions = event.resource.subscription is None and event.resource.management_group is not None
        if self.subscriptions and not above_subscriptions and (event.resource.subscription or "") not in self.subscriptions:
            # A management group holds the watched subscriptions: its role assignments reach them.
            return [result(Outcome.OUT_OF_SCOPE, "subscription not watched")]
        owner = owner_of(event.resource)
        settings_changed = owner is not None and event.resource.full_type.lower() == DIAGNOSTIC_TYPE
        if owner is not None:
            # A diagnostic setting or a private endpoint connection changed (or was deleted): what is
            # judged is the resource it belongs to, read with it.
            event = replace(event, resource=owner, snapshot=None, operation=Operation.WRITE)
            rid = event.resource_id
        role_assignment = event.kind is Kind.ROLE_ASSIGNMENT
        if role_assignment and not self._at_ai_scope(event):
            return [result(Outcome.IGNORED, "role assignment below a scope that is not an AI resource")]
        if not role_assignment and event.resource.full_type.lower() not in self.types:
            return [result(Outcome.IGNORED, f"type {event.resource.full_type} is outside the catalog")]
        if not event.succeeded:
            return [result(Outcome.IGNORED, "the operation failed: nothing changed")]
        # A sweep's item is never delivered twice: only Event Grid's deliveries need the event marks.
        delivered = event.event_type != SWEEP_EVENT
        if delivered and self.store.event_seen(event.event_id):
            return [result(Outcome.DUPLICATE, "event already handled")]
        results = self._process(event, now, settings_changed=settings_changed)
        if delivered:
            # Recorded only once handled: a handler that failed half-way (ARM or the store unavailable)
            # leaves no mark, so Event Grid's redelivery is handled in full, not taken for a duplicate.
            self.store.first_sight_of_event(event.event_id, now=now)
        return results

    def _process(self, event: ChangeEvent, now: datetime, *, settings_changed: bool) -> list[Result]:
        rid = event.resource_id

        def result(outcome: Outcome, reason: str) -> Result:
            return Result(event.event_id, rid, outcome, reason)

        callers = tuple(c for c in (event.caller_object_id, event.caller_app_id) if c)
        if self.identity & set(callers):
            return [result(Outcome.OWN_WRITE, "DriftGuard's own change")]
        if event.operation is Operation.DELETE:
            closed = self._close_all(rid, now)
            return [result(Outcome.RESOLVED, f"deleted: {closed} finding(s) closed")]
        if event.kind is Kind.ROLE_ASSIGNMENT:
            return self._judge_assignment(event, callers, now)

        resource = event.snapshot if event.snapshot is not None else self.read(rid, api_versions.for_type(event.resource.full_type))
        if resource is None:
            return [result(Outcome.RESOLVED, f"resource gone: {self._close_all(rid, now)} finding(s) closed")]
        joined = self._joined(rid, resource, settings=settings_changed or self._deep)
        # What the resource is judged with is part of its state: a hub opened up is news for its projects.
        state = state_hash({**resource, **{kind: [stable(r) for r in found] for kind, found in joined.items()}})
        if event.kind is not Kind.KEY_ACCESS and self.store.last_state(rid) == state:
            return [result(Outcome.UNCHANGED, "state already judged")]
        results = self._judge(event, resource, callers, now, joined)
        if not any(r.outcome is Outcome.REVERTED for r in results):
            # Judged in full: the same state again is nothing new. (A fix recorded the state it left.)
            self.store.state_changed(rid, state, now=now)
        return results

    # --- access: role assignments ----------------------------------------------------------------------
    def _at_ai_scope(self, event: ChangeEvent) -> bool:
        """At or above an AI scope: on an AI resource, or on a resource group, subscription or management
        group (which hold the AI resources below them)."""
        scope = event.resource.parent
        return scope is None or scope.full_type.lower() in self.types

    def _judge_assignment(self, event: ChangeEvent, callers: tuple[str, ...], now: datetime) -> list[Result]:
        rid = event.resource_id
        assignment = self.read(rid, api_versions.AUTHORIZATION)
        if assignment is None:
            return [Result(event.event_id, rid, Outcome.RESOLVED, f"assignment gone: {self._close_all(rid, now)} finding(s) closed")]
        related: dict[str, tuple[Mapping[str, Any], ...]] = {}
        definition = self.role_definitions.get(prop(assignment, "properties", "roleDefinitionId"))
        if definition is not None:
            related[ROLE_DEFINITION] = (definition,)
        snapshot = ResourceSnapshot({**assignment, "type": "Microsoft.Authorization/roleAssignments"}, related)
        context = RuleContext(policy=self.policy, now=now)
        results: list[Result] = []
        for verdict in rule_registry.judge_access(snapshot, context):
            rule = verdict.meta.id
            if verdict.missing:
                # Directory and activity data come with the scheduled access review, not with an event.
                results.append(
                    Result(event.event_id, rid, Outcome.NOT_EVALUATED, f"needs {', '.join(verdict.missing)} (access review)", rule)
                )
            elif verdict.not_evaluable is not None:
                results.append(Result(event.event_id, rid, Outcome.NOT_EVALUATED, verdict.not_evaluable, rule))
            elif not verdict.findings:
                results.append(Result(event.event_id, rid, Outcome.COMPLIANT, "passes", rule))
            for finding in verdict.findings:
                results.append(self._act(event, finding, snapshot.resource, callers, now)[0])
        return results

    def _joined(self, rid: str, resource: Mapping[str, Any], *, settings: bool) -> dict[str, tuple[Mapping[str, Any], ...]]:
        """The data read with the resource for its rules: its diagnostic settings (one call) only when
        they can have changed (an event about them) or a deep sweep asks, since they are not part of the
        resource; a project's hub (the sweep's row for it, else one read)."""
        joined: dict[str, tuple[Mapping[str, Any], ...]] = {}
        if settings and (found := self._diagnostic_settings(rid, resource)) is not None:
            joined[DIAGNOSTIC_SETTINGS] = found
        if (hub := hub_id(resource)) is not None:
            row = self._rows.get(hub.lower())
            read = row if row is not None else joins.read_hub(resource, self.read)
            joined[HUB] = () if read is None else (read,)
        return joined

    def _diagnostic_settings(self, rid: str, resource: Mapping[str, Any]) -> tuple[Mapping[str, Any], ...] | None:
        rtype = str(resource.get("type", ""))
        if not any(DIAGNOSTIC_SETTINGS in meta.requires and meta.applies_to(rtype) for meta, _ in self.rules.values()):
            return None
        found = self.read(f"{rid}/providers/Microsoft.Insights/diagnosticSettings", api_versions.DIAGNOSTIC_SETTINGS)
        return tuple((found or {}).get("value") or [])

    def sweep(self, resources: Iterable[Mapping[str, Any]], *, deep: bool = False) -> list[Result]:
        """The sweep takes the same path as events: each resource enters as a change carrying its own
        state, so unchanged states cost nothing, compliant ones record their baseline, and whatever
        events missed is decided like any drift."""
        items = list(resources)
        self._sweep = [0, len(items)]
        self._deep = deep
        # Workspaces by id: a project is judged with its hub's row, which the sweep holds already.
        self._rows = {str(r.get("id", "")).lower(): r for r in items if str(r.get("type", "")).lower() == WORKSPACE}
        try:
            return self._sweep_items(items)
        finally:
            self._sweep = None
            self._deep = False
            self._rows = {}
            self.store.purge_marks(before=self.clock() - timedelta(days=2))

    def _sweep_items(self, resources: Iterable[Mapping[str, Any]]) -> list[Result]:
        results: list[Result] = []
        for resource in resources:
            try:
                rid = parse_resource_id(resource.get("id"))
            except InvalidResourceId as e:
                results.append(Result("sweep", str(resource.get("id")), Outcome.IGNORED, str(e)))
                continue
            event = ChangeEvent(
                event_id=f"sweep-{uuid.uuid4().hex}",
                event_type=SWEEP_EVENT,
                schema=Schema.EVENT_GRID,
                resource=rid,
                operation=Operation.WRITE,
                operation_name="",
                succeeded=True,
                kind=Kind.RESOURCE_CHANGE,
                time=self.clock(),
                snapshot={**resource, "type": str(resource.get("type") or rid.full_type)},
            )
            results.extend(self.handle(event))
        return results

    # --- evaluate ----------------------------------------------------------------------------------
    def _judge(
        self,
        event: ChangeEvent,
        resource: Mapping[str, Any],
        callers: tuple[str, ...],
        now: datetime,
        joined: Mapping[str, tuple[Mapping[str, Any], ...]],
    ) -> list[Result]:
        rid = event.resource_id
        related = dict(joined)
        if event.kind is Kind.KEY_ACCESS:
            related[KEY_EVENTS] = (
                {
                    "operationName": event.operation_name,
                    "objectId": event.caller_object_id,
                    "appId": event.caller_app_id,
                    "correlationId": event.correlation_id,
                    "time": now.isoformat(),
                },
            )
        snapshot = ResourceSnapshot(resource, related)
        rtype = snapshot.type.lower()
        if rtype in (ACCOUNT, WORKSPACE):
            for storage in linked_storage(rtype, resource):
                self.store.save_baseline(Baseline(storage, AI_DATA_LINK, {"linked_by": rid}, now))
        context = self._context(snapshot)
        results: list[Result] = []
        for meta, evaluate in self.rules.values():
            if not meta.applies_to(snapshot.type) or any(k not in related for k in meta.requires):
                continue
            if event.kind is Kind.KEY_ACCESS and KEY_EVENTS not in meta.requires:
                continue  # a key listing changes no configuration: only the key rule judges it
            try:
                found = evaluate(snapshot, context)
            except NotEvaluable as e:
                results.append(Result(event.event_id, rid, Outcome.NOT_EVALUATED, e.reason, meta.id))
                continue
            if not found:
                self._passed(meta, resource, rid, now)
                results.append(Result(event.event_id, rid, Outcome.COMPLIANT, "passes", meta.id))
                continue
            for finding in found:
                result, after = self._act(event, finding, resource, callers, now)
                results.append(result)
                if after is not None:
                    resource = after  # a case for the next finding shows its plan from the state this fix left
        return results

    def _context(self, snapshot: ResourceSnapshot) -> RuleContext:
        rai: dict[str, dict[str, Any]] = {}
        loaded = False
        if snapshot.type.lower() == "microsoft.cognitiveservices/accounts/deployments":
            name = str(prop(snapshot.properties, "raiPolicyName") or "")
            if name and name.lower() not in content_filter.BUILT_IN:
                account = parent_id(snapshot.id)
                policy = self.read(f"{account}/raiPolicies/{name}", api_versions.COGNITIVE_SERVICES)
                rai = {account.lower(): {name.lower(): content_filter.index_policy(policy)}} if policy else {}
                loaded = True
        linked: frozenset[str] = frozenset()
        if snapshot.type.lower() == STORAGE and self.store.baseline(snapshot.id, AI_DATA_LINK) is not None:
            linked = frozenset({snapshot.id.lower()})  # an AI resource names it as its data store
        baselines = {}
        for meta, _ in self.rules.values():
            if meta.applies_to(snapshot.type) and (b := self.store.baseline(snapshot.id, meta.id)) is not None:
                baselines[snapshot.id.lower()] = b.resource
        return RuleContext(
            policy=self.policy,
            now=self.clock(),
            rai_policies=rai,
            rai_policies_loaded=loaded,
            ai_linked_storage=linked,
            baselines=baselines,
        )

    def _passed(self, meta: RuleMeta, resource: Mapping[str, Any], rid: str, now: datetime) -> None:
        self.store.save_baseline(Baseline(rid, meta.id, resource, now))
        record = self.store.finding(meta.id, rid)
        if record is not None and record.status is not FindingStatus.RESOLVED:
            self._save(replace(record, status=FindingStatus.RESOLVED, last_seen=now))
            self._notice(FINDING_RESOLVED, rid, meta.id, reason="the resource passes the rule again")
            self._supersede_case(dedupe_key(meta.id, rid), now)

    def _supersede_case(self, dedupe_key: str, now: datetime) -> None:
        """The finding resolved by itself (someone fixed it): its open case has nothing left to decide."""
        case = self.store.current_case(dedupe_key)
        if case is None or case.status is not CaseStatus.OPEN:
            return
        try:
            closed = self.store.save_case(
                replace(case, status=CaseStatus.SUPERSEDED).with_event(now, ACTOR, "superseded", "the resource passes the rule again")
            )
        except StoreConflict:
            return  # decided meanwhile: that decision stands
        self._tell(closed, "superseded")

    def _tell(self, case: Case, event: str) -> None:
        for listener in self.case_listeners:
            listener(case, event)

    def _notice(self, kind: str, rid: str, rule: str, **data: Any) -> None:
        for listener in self.notice_listeners:
            listener(kind, rid, {"rule": rule, "resource_id": rid, **data})

    # --- decide and act --------------------------------------------------------------------------------
    def _act(
        self, event: ChangeEvent, finding: Finding, resource: Mapping[str, Any], callers: tuple[str, ...], now: datetime
    ) -> tuple[Result, Mapping[str, Any] | None]:
        """The result, and the resource as the fix left it (None when nothing was written)."""
        job = _Job(event, finding, resource, self.store.baseline(event.resource_id, finding.rule), now)
        circumstances = Circumstances(today=now.date(), has_baseline=job.baseline is not None, callers=callers, dry_run=self.dry_run)
        if self._sweep is not None:
            circumstances = replace(circumstances, sweep_planned=self._sweep[0], sweep_scope=self._sweep[1])
        decision = decide(finding, self.policy, circumstances)
        if decision.action is Action.APPLY:
            # Record the attempt first, then look at the windows it falls in: more than N reverts of the
            # same setting in M minutes means someone keeps changing it back; more than the hourly
            # budget of automatic changes in the subscription means something larger is going on.
            flaps = self.store.record_revert(
                job.rid, finding.rule, Revert(now, event.caller_object_id), window=timedelta(minutes=self.policy.limits.flap_window_minutes)
            )
            subscription = f"/subscriptions/{event.resource.subscription}"
            budget = self.store.record_revert(subscription, AUTO_CHANGES, Revert(now, job.rid), window=timedelta(hours=1))
            decision = decide(
                finding,
                self.policy,
                replace(
                    circumstances,
                    recent_reverts=len(flaps.reverts) - 1,
                    flap_callers=flaps.callers,
                    auto_changes_this_hour=len(budget.reverts) - 1,
                ),
            )
            if decision.action is Action.APPLY and self._sweep is not None:
                self._sweep[0] += 1
        record = self._track(finding, job.rid, now)
        if decision.action is Action.APPLY:
            return self._apply(job, record, decision)
        if decision.action is Action.OPEN_CASE:
            return self._open_case(job, decision.reason), None
        suppressed = decision.reason.startswith(("exempted", "break-glass", "changed by a break-glass"))
        self._save(replace(record, status=FindingStatus.SUPPRESSED if suppressed else FindingStatus.OPEN, last_seen=now))
        self._audit(job, "recorded", detail=decision.reason)
        return job.result(Outcome.RECORDED, decision.reason), None

    def _apply(self, job: _Job, record: FindingRecord, decision: Decision) -> tuple[Result, Mapping[str, Any] | None]:
        owner = uuid.uuid4().hex
        if not self.store.claim(job.rid, job.finding.rule, owner, now=job.now, ttl=CLAIM_TTL):
            return job.result(Outcome.RECORDED, "another handler is remediating it"), None
        try:
            # The plan is made from a read taken now, under the claim: these providers do not declare
            # If-Match, so nothing refuses a write planned from an older read (a sweep's Resource Graph
            # row, which has no ETag at all; the state before an earlier fix), and a full PUT planned
            # from it would undo whatever changed since. The writer then verifies by reading back.
            fresh = self._reread(job)
            if fresh is None:
                return job.result(Outcome.RESOLVED, "resource gone before the fix"), None
            job = fresh
            plan = self._plan(job)
            if plan is None:
                # Fixed meanwhile (by someone, or by this fix's own write whose answer was lost).
                self._save(replace(self._track(job.finding, job.rid, job.now), status=FindingStatus.RESOLVED, last_seen=job.now))
                return job.result(Outcome.COMPLIANT, "already fixed"), None
            self._save(replace(record, status=FindingStatus.REMEDIATING, last_seen=job.now))
            try:
                try:
                    # The intent goes on record before the write: a write that lands while its answer is
                    # lost (a timeout) still has its audit record.
                    self._audit(job, "reverting", before=plan.before, after=plan.after, detail=plan.summary)
                    applied = self._send(job, plan)
                except PlanStale:
                    # A provider that does honour If-Match saw a write since the read: plan once more
                    # from a read taken now. (Not the safety net, which is the read above.)
                    fresh = self._reread(job)
                    if fresh is None:
                        return job.result(Outcome.RESOLVED, "resource gone before the fix"), None
                    job = fresh
                    plan = self._plan(job)
                    if plan is None:
                        self._save(replace(self._track(job.finding, job.rid, job.now), status=FindingStatus.RESOLVED, last_seen=job.now))
                        return job.result(Outcome.COMPLIANT, "fixed by someone else meanwhile"), None
                    self._audit(job, "reverting", before=plan.before, after=plan.after, detail=plan.summary)
                    applied = self._send(job, plan)
            except WriteFailed as e:
                self._notice(REMEDIATION_FAILED, job.rid, job.finding.rule, remediation=job.finding.remediation, error=str(e))
                return self._open_case(job, f"the fix was refused: {e}"), None
            self._audit(job, "reverted", before=plan.before, after=plan.after, detail=f"{decision.reason}; {plan.summary}")
            fixed_state = applied.read_back.get(job.rid)
            if fixed_state is not None:
                # The fixed state is now the last one judged: the same drift coming back is new again.
                self.store.state_changed(job.rid, state_hash(fixed_state), now=job.now)
            self._notice(
                REMEDIATION_APPLIED,
                job.rid,
                job.finding.rule,
                summary=plan.summary,
                before=plan.before,
                after=plan.after,
                reason=decision.reason,
            )
            current = self.store.finding(job.finding.rule, job.rid)
            if current is not None:
                self._save(replace(current, status=FindingStatus.RESOLVED, last_seen=job.now))
                self._notice(FINDING_RESOLVED, job.rid, job.finding.rule, reason="reverted")
            return job.result(Outcome.REVERTED, f"{decision.reason}; {plan.summary}"), fixed_state
        except CannotPlan as e:
            return self._open_case(job, str(e)), None
        finally:
            self.store.release(job.rid, job.finding.rule, owner)

    def _reread(self, job: _Job) -> _Job | None:
        """The job with the resource as ARM has it now; None when it is gone (its deletion event closes
        its findings)."""
        fresh = self.read(job.rid, api_versions.for_type(job.event.resource.full_type))
        if fresh is None:
            return None
        # A role assignment is judged with its type spelt out (the event path adds it): keep it so.
        return replace(job, resource={**fresh, "type": fresh.get("type") or job.resource.get("type")})

    def _send(self, job: _Job, plan: Plan) -> Applied:
        # A retry of the same fix does not regenerate keys its first attempt regenerated (enforce.py).
        return enforce.send(plan, writer=self.writer, store=self.store, now=job.now)

    def _plan(self, job: _Job) -> Plan | None:
        remediation = self.remediations.get(job.finding.remediation or "")
        if remediation is None:
            raise CannotPlan(f"remediation {job.finding.remediation!r} is not available")
        baseline = job.baseline.resource if job.baseline else None
        context = joins.plan_context(job.resource, self.read, policy=self.policy, baseline=baseline, evidence=job.finding.evidence)
        return remediation.plan(job.resource, context)

    def _open_case(self, job: _Job, reason: str) -> Result:
        plan: Plan | None = None
        if not job.finding.remediation:
            reason = f"{reason}: {job.finding.message}"  # what people must do, where the finding says it
        else:
            try:
                plan = self._plan(job)
            except CannotPlan as e:
                reason = f"{reason} (no automated fix: {e})"
        event = job.event
        evidence = {
            "finding": job.finding.to_json(),
            "caller_object_id": event.caller_object_id,
            "caller_app_id": event.caller_app_id,
            "correlation_id": event.correlation_id,
            "event_id": event.event_id,
        }
        # Access rules key on the assignment's holder too, like the access review's cases.
        principal = prop(job.resource, "properties", "principalId") if job.event.kind is Kind.ROLE_ASSIGNMENT else None
        key = dedupe_key(job.finding.rule, job.rid, principal)
        case = self.store.open_case(
            Case(
                key,
                job.finding.rule,
                job.rid,
                CaseStatus.OPEN,
                reason,
                job.now,
                job.now,
                plan.to_json() if plan else None,
                plan.digest() if plan else None,
                evidence,
            )
        )
        self._tell(case, "opened" if case.detections == 1 else "updated")
        record = self.store.finding(job.finding.rule, job.rid)
        if record is not None:
            self._save(replace(record, status=FindingStatus.OPEN, last_seen=job.now))
        self._audit(job, "case_opened", detail=f"case {case.id}: {reason}")
        return job.result(Outcome.CASE_OPENED, reason)

    # --- store helpers -------------------------------------------------------------------------------
    def _track(self, finding: Finding, rid: str, now: datetime) -> FindingRecord:
        current = self.store.finding(finding.rule, rid)
        if current is None or current.status is FindingStatus.RESOLVED:
            self._notice(
                FINDING_OPENED, rid, finding.rule, severity=finding.severity.label, message=finding.message, mode=finding.mode.value
            )
        if current is None:
            return self._save(FindingRecord(finding.rule, rid, FindingStatus.OPEN, finding.to_json(), now, now))
        return current

    def _save(self, record: FindingRecord) -> FindingRecord:
        try:
            return self.store.save_finding(record)
        except StoreConflict:
            latest = self.store.finding(record.rule, record.resource_id)
            if latest is None:
                raise
            return self.store.save_finding(replace(record, version=latest.version))

    def _close_all(self, rid: str, now: datetime) -> int:
        closed = 0
        for meta, _ in (*self.rules.values(), *self.access_rules.values()):
            record = self.store.finding(meta.id, rid)
            if record is not None and record.status is not FindingStatus.RESOLVED:
                self._save(replace(record, status=FindingStatus.RESOLVED, last_seen=now))
                self._notice(FINDING_RESOLVED, rid, meta.id, reason="the resource is gone")
                closed += 1
        return closed

    def _audit(
        self, job: _Job, action: str, *, before: Mapping[str, Any] | None = None, after: Mapping[str, Any] | None = None, detail: str = ""
    ) -> None:
        self.store.append_audit(
            AuditEntry(job.now, ACTOR, action, job.rid, job.finding.rule, before, after, job.event.correlation_id, detail)
        )
