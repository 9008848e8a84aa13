"""Respond to one change event: intake -> judging -> decide -> enforcement, within one handler call.

The rooms: `intake` (what an event is about, the cheap rejections before any ARM call), `judging`
(the rules over a fresh read), `decide` (what to do about a finding), `enforcement` (claim, intent,
write, verify, record: the one way a fix reaches Azure, shared with the approval desk) and `obligations`
(what must still happen however many deliveries come: a key exposure's rotation). This module runs them
in order and keeps the findings, cases and audit in step.

Transient failures (ARM or the store unreachable, another live handler fixing the same thing) raise so
that Event Grid redelivers; the event is marked handled only when its work is done. A resource the
engine cannot fix automatically becomes a case, never a silent pass.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from driftguard import joins
from driftguard import rules as rule_registry
from driftguard.azure import api_versions
from driftguard.azure.role_definitions import RoleDefinitions
from driftguard.azure.writes import ArmWriter, WriteError, WriteFailed
from driftguard.decide import Action, Circumstances, Decision, decide
from driftguard.enforcement import CLAIM_TTL, ActivityLog, Busy, Enforced, Enforcer, Observer
from driftguard.events import ChangeEvent, Kind, Operation, state_event
from driftguard.ids import InvalidResourceId, fold, identity_principals, parse_resource_id
from driftguard.intake import REJUDGE_EVENT, SWEEP_EVENT, Admitted, Intake, Rejected, owner_of
from driftguard.judging import AI_DATA_LINK, Judge, judged_state, stable, state_hash
from driftguard.model import Finding, Plan, Reader, ResourceSnapshot
from driftguard.obligations import Obligations
from driftguard.pipeline import WORKSPACE, linked_storage
from driftguard.policy import Policy
from driftguard.rules.base import Evaluate, RuleContext, RuleMeta, prop
from driftguard.rules.cognitiveservices_account_keys_not_exposed import META as KEY_RULE
from driftguard.rules.cognitiveservices_account_keys_not_exposed import NOT_AI_STORAGE, keys_disabled, not_ai_storage
from driftguard.rules.roles import ROLE_DEFINITION, role_guid
from driftguard.store.base import (
    AuditEntry,
    Baseline,
    Case,
    CaseKind,
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

__all__ = ["AI_DATA_LINK", "CLAIM_TTL", "SWEEP_EVENT", "Busy", "Outcome", "Responder", "Result", "owner_of", "stable", "state_hash"]

ACTOR = "driftguard"
# The sliding windows of automatic changes that landed: per subscription (the hourly blast-radius
# budget) and per sweep scope (a sweep changes at most its share of the scope, whoever sweeps it).
AUTO_CHANGES = "auto-changes"
SWEEP_CHANGES = "sweep-changes"
SWEEP_WINDOW = timedelta(hours=1)
# The CloudEvent types of what the responder tells its notice listeners.
FINDING_OPENED = "DriftGuard.Finding.Opened"
FINDING_RESOLVED = "DriftGuard.Finding.Resolved"
REMEDIATION_APPLIED = "DriftGuard.Remediation.Applied"
REMEDIATION_FAILED = "DriftGuard.Remediation.Failed"
KEY_ACTIONS = ("/regeneratekey", "/regenerateadminkey/")
# The last judged state of a resource while a fix of it is under way (no state hashes to it).
FIXING = "fixing"


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


@dataclass
class Sweep:
    """One sweep invocation's own state: never kept on the shared responder, so an event handled
    meanwhile is judged as an event, and two sweeps at once do not share (or double) a limit."""

    scope: str  # what it sweeps (the share of it it may change is counted in the store, per scope)
    size: int
    deep: bool = False
    # Workspaces by id: a project is judged with its hub's row, which the sweep holds already.
    rows: dict[str, Mapping[str, Any]] = field(default_factory=dict)


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


@dataclass(frozen=True, slots=True)
class _Fixed:
    """A fix of this handling whose result was read from ARM: verified by reading it back (or found in
    place by the read under its claim). `reads` holds those reads by folded id: the state the findings
    that stand are judged again on."""

    why: str
    reads: Mapping[str, Mapping[str, Any]]


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
        observer: Observer | None = None,
        claim_ttl: timedelta = CLAIM_TTL,
        activity: ActivityLog | None = None,
    ) -> None:
        self._policy = policy
        self.store = store
        self.case_listeners = case_listeners
        self.notice_listeners = notice_listeners
        self.read = reader
        self.writer = writer
        self.remediations = remediations
        self.identity = {i.lower() for i in identity_ids}
        self.dry_run = dry_run
        self.clock = clock or (lambda: datetime.now(UTC))
        self.rules = dict(rules if rules is not None else rule_registry.registry())
        types = frozenset(t.lower() for meta, _ in self.rules.values() for t in meta.resource_types)
        self.subscriptions = tuple(subscriptions)
        self.intake = Intake(store=store, subscriptions=frozenset(s.lower() for s in subscriptions), types=types)
        self.role_definitions = RoleDefinitions(reader)
        self.judge = Judge(
            policy=policy, store=store, read=reader, rules=self.rules, clock=self.clock, role_definitions=self.role_definitions
        )
        self.obligations = Obligations(store=store, clock=self.clock)
        self.enforcer = Enforcer(
            store=store,
            writer=writer,
            read=self._read_resource,
            clock=self.clock,
            observer=observer,
            claim_ttl=claim_ttl,
            activity=activity,
        )
        self.observer = observer or (lambda step: None)
        self.counts: Counter[str] = Counter()
        self.access_rules = dict(rule_registry.access_registry())

    @property
    def types(self) -> frozenset[str]:
        return self.intake.types

    @property
    def policy(self) -> Policy:
        return self._policy

    @policy.setter
    def policy(self, policy: Policy) -> None:
        """A new policy (a reload) reaches every room that judges with it."""
        self._policy = policy
        self.judge.policy = policy

    # --- entry points ------------------------------------------------------------------------------
    def handle(self, event: ChangeEvent) -> list[Result]:
        """One Event Grid delivery. Raises (Event Grid redelivers) on a transient failure or while
        another live handler fixes the same thing; marks the event handled only once its work is done."""
        results = self._handle(event, None)
        # Every outcome is counted, the cheap rejections included: the trigger reports the totals.
        self.counts.update(r.outcome.value for r in results)
        return results

    def sweep(self, resources: Iterable[Mapping[str, Any]], *, deep: bool = False, scope: str = "") -> list[Result]:
        """The sweep takes the same path as events: each resource enters as a change carrying its own
        state, so unchanged states cost nothing, compliant ones record their baseline, and whatever
        events missed is decided like any drift."""
        items = list(resources)
        rows = {fold(str(r.get("id", ""))): r for r in items if str(r.get("type", "")).lower() == WORKSPACE}
        run = Sweep(scope=scope or "all", size=len(items), deep=deep, rows=rows)
        results: list[Result] = []
        try:
            for resource in items:
                results.extend(self._sweep_item(resource, run))
            results.extend(self._gone_since_listed({fold(str(r.get("id", ""))) for r in items}))
        finally:
            self.store.purge_marks(before=self.clock() - timedelta(days=2))
        self.counts.update(r.outcome.value for r in results)
        return results

    def _gone_since_listed(self, listed: set[str]) -> list[Result]:
        """Open cases on resources the sweep did not list. Absence is no proof (a sweep of part of the
        estate, a type the inventory does not list, an index that lags): each is read, and only ARM's 404
        closes its findings and supersedes its cases; a read that fails leaves them open."""
        subscriptions = {s.lower() for s in self.subscriptions}
        results: list[Result] = []
        checked: set[str] = set()
        for case in list(self.store.cases(status=CaseStatus.OPEN)):
            key = fold(case.resource_id)
            if case.kind is CaseKind.INCIDENT or key in listed or key in checked:
                continue
            checked.add(key)
            try:
                rid = parse_resource_id(case.resource_id)
            except InvalidResourceId:
                continue
            if subscriptions and (rid.subscription or "").lower() not in subscriptions:
                continue
            try:
                current = self._read_resource(str(rid))
            except WriteError as e:
                results.append(Result("sweep", str(rid), Outcome.NOT_EVALUATED, f"unlisted, and the read failed: {e}"))
                continue
            if current is None:
                closed = self._close_all(str(rid), self.clock())
                results.append(Result("sweep", str(rid), Outcome.RESOLVED, f"deleted: {closed} finding(s) closed"))
        return results

    def _sweep_item(self, resource: Mapping[str, Any], run: Sweep) -> list[Result]:
        try:
            rid = parse_resource_id(resource.get("id"))
        except InvalidResourceId as e:
            return [Result("sweep", str(resource.get("id")), Outcome.IGNORED, str(e))]
        event = state_event(
            f"sweep-{uuid.uuid4().hex}", SWEEP_EVENT, rid, {**resource, "type": str(resource.get("type") or rid.full_type)}, self.clock()
        )
        try:
            return self._handle(event, run)
        except Busy as e:
            # A handler is fixing it right now; the next sweep sees what it left.
            return [Result(event.event_id, str(rid), Outcome.RECORDED, str(e))]

    def _handle(self, event: ChangeEvent, run: Sweep | None) -> list[Result]:
        now = self.clock()
        admitted = self.intake.admit(event)
        if isinstance(admitted, Rejected):
            outcome = Outcome.DUPLICATE if admitted.duplicate else Outcome.OUT_OF_SCOPE if admitted.out_of_scope else Outcome.IGNORED
            return [Result(event.event_id, event.resource_id, outcome, admitted.why)]
        results = self._process(admitted, now, run)
        if admitted.delivered:
            # Recorded only once handled: a handler that failed half-way (ARM or the store unavailable,
            # a live claim elsewhere) leaves no mark, so Event Grid's redelivery is handled in full.
            self.observer("before_event_mark")
            self.store.first_sight_of_event(admitted.event.event_id, now=now)
        return results

    def _process(self, admitted: Admitted, now: datetime, run: Sweep | None) -> list[Result]:
        event = admitted.event
        rid = event.resource_id
        callers = admitted.callers

        def result(outcome: Outcome, reason: str) -> Result:
            return Result(event.event_id, rid, outcome, reason)

        if self.identity & set(callers):
            if event.kind is Kind.KEY_ACCESS:
                # DriftGuard's own key regeneration came back: it landed (enforcement waits for this).
                self.enforcer.confirm(rid, event.correlation_id)
            return [result(Outcome.OWN_WRITE, "DriftGuard's own change")]
        if event.kind is Kind.KEY_ACCESS:
            stale = self.obligations.too_old(event)
            if stale is not None:
                # Said, not passed over: "every rule passes" would hide that the listing was not weighed.
                return [Result(event.event_id, rid, Outcome.IGNORED, stale, KEY_RULE.id)]
            # The exposure is on record before anything else: it stays an obligation until rotated.
            self.obligations.exposed(event)
        if event.operation is Operation.DELETE and self.judge.current(event) is None:
            # Believed only when ARM agrees: Event Grid does not keep order, and a delete event that
            # arrives after the resource was created again is about a resource that is gone no more.
            closed = self._close_all(rid, now)
            return [result(Outcome.RESOLVED, f"deleted: {closed} finding(s) closed")]
        if event.operation is Operation.DELETE:
            event = replace(event, operation=Operation.WRITE)
        if event.kind is Kind.ROLE_ASSIGNMENT:
            return self._judge_assignment(event, callers, now, run)
        if event.kind is Kind.ROLE_DEFINITION:
            return self._rejudge_role(event)

        resource = self.judge.current(event)
        self.observer("read")
        if resource is None:
            return [result(Outcome.RESOLVED, f"resource gone: {self._close_all(rid, now)} finding(s) closed")]
        joined = self.judge.joined(
            rid, resource, settings=admitted.settings_changed or (run is not None and run.deep), rows=run.rows if run else {}
        )
        state = judged_state(resource, joined)
        if self._settle_moot_exposures(event, resource):
            # Not DriftGuard's concern (a listing changes no configuration: nothing else to judge).
            return [Result(event.event_id, rid, Outcome.COMPLIANT, NOT_AI_STORAGE, KEY_RULE.id)]
        exposures = self._open_exposures(event, resource)
        if not exposures and self.store.last_state(rid) == state:
            return [result(Outcome.UNCHANGED, "state already judged")]
        results: list[Result] = []
        fixes: list[_Fixed] = []
        verdicts = self.judge.verdicts(event, resource, joined, exposures)
        for verdict in verdicts:
            if verdict.not_evaluable is not None:
                results.append(Result(event.event_id, rid, Outcome.NOT_EVALUATED, verdict.not_evaluable, verdict.meta.id))
            elif not verdict.findings:
                self._passed(verdict.meta, resource, rid, now, event=event)
                results.append(Result(event.event_id, rid, Outcome.COMPLIANT, "passes", verdict.meta.id))
        # Findings no fix answers (cases for people) go on record before any write, whatever the rules'
        # order: a fix whose answer is lost (a write slower than the client's patience) sends the event
        # back before the findings after it are acted on, and the redelivery judges the state it left.
        # Recorded first, they stand while the fix is under way and are settled once it is verified
        # (below), so every timing ends the same. Then the fixes, in the rules' order.
        findings = [f for v in verdicts for f in v.findings]
        for finding in [f for f in findings if not f.remediation] + [f for f in findings if f.remediation]:
            outcome, fixed = self._act(event, finding, resource, callers, now, run=run, state_after=False)
            results.append(outcome)
            if fixed is not None:
                fixes.append(fixed)
                # A case for the next finding shows its plan from the state this fix left.
                resource = fixed.reads.get(fold(rid), resource)
        if not fixes:
            # Judged in full: the same state again is nothing new.
            self.store.state_changed(rid, state, now=now)
            return results
        settled, fixed_state = self._rejudge_after_fixes(event, joined, results, fixes, now)
        if fixed_state is not None:
            # Only now, once what stood was judged again on it, the state the fix left is the last one
            # judged (the same drift coming back is new again). Until then the last judged state stays
            # "being fixed": a handler that stops before this point leaves a redelivery that judges
            # the fixed state in full and settles the same cases.
            self.store.state_changed(rid, state_hash(fixed_state), now=now)
        return results + settled

    def _rejudge_after_fixes(
        self,
        event: ChangeEvent,
        joined: Mapping[str, tuple[Mapping[str, Any], ...]],
        results: list[Result],
        fixes: list[_Fixed],
        now: datetime,
    ) -> tuple[list[Result], Mapping[str, Any] | None]:
        """After this handling's fixes were verified, the findings it left standing (a case opened or
        kept, a finding recorded) are judged again on the verified state: the state the fixes' read-back
        shows (no other read), or one read when no read-back covers the resource (a fix that wrote its
        hub, a key rotation). A rule that passes there is settled as a sweep settles it (finding resolved,
        an open case superseded, with the fix named in its history and on the audit log); one that still
        fails stays as it was. Never on a fix that failed or was not verified: those raise, or end in a
        case, before anything reaches here. Returns the results of what was settled, and the state."""
        rid = event.resource_id
        standing = frozenset(r.rule for r in results if r.rule and r.outcome in (Outcome.CASE_OPENED, Outcome.RECORDED))
        reads: dict[str, Mapping[str, Any]] = {}
        for fixed in fixes:
            reads.update(fixed.reads)  # in the order the fixes ran: the last read is the latest state
        state = reads.get(fold(rid))
        if state is None and standing:
            state = self._read_resource(rid)
        if state is None or not standing:
            return [], state
        # What the resource is judged with, as the fixes left it (a project's fix writes its hub).
        joined_now = {kind: tuple(reads.get(fold(str(item.get("id", ""))), item) for item in found) for kind, found in joined.items()}
        why = "; ".join(dict.fromkeys(fixed.why for fixed in fixes))
        settled: list[Result] = []
        for verdict in self.judge.verdicts(event, state, joined_now, self._open_exposures(event, state), only=standing):
            if verdict.not_evaluable is None and not verdict.findings:
                self._passed(verdict.meta, state, rid, now, event=event, why=why)
                settled.append(Result(event.event_id, rid, Outcome.RESOLVED, why, verdict.meta.id))
        return settled, state

    def _settle_moot_exposures(self, event: ChangeEvent, resource: Mapping[str, Any]) -> bool:
        """Whether this is a key listing the key rule leaves alone (on a Storage account that holds no AI
        data). Whatever exposure is pending on such a resource is settled, with the reason: never left
        open, never rotated."""
        if not KEY_RULE.applies_to(str(resource.get("type", ""))):
            return False
        if event.kind is not Kind.KEY_ACCESS and not self.obligations.pending(event.resource_id):
            return False
        if not not_ai_storage(ResourceSnapshot(resource), self.judge.context(resource)):
            return False
        # Links are learnt when an AI resource is judged: one not judged yet (before the first sweep) is
        # asked now, since an exposure settled is never rotated.
        self._learn_ai_data_links(event.resource_id)
        if not not_ai_storage(ResourceSnapshot(resource), self.judge.context(resource)):
            return False
        self.obligations.settle(event.resource_id, NOT_AI_STORAGE)
        return event.kind is Kind.KEY_ACCESS

    def _learn_ai_data_links(self, storage_id: str) -> None:
        """Records which AI accounts and workspaces of the subscriptions in scope keep their data in the
        storage account, as judging them would (two ARM lists per subscription)."""
        storage = fold(storage_id)
        subscriptions = self.subscriptions or (str(parse_resource_id(storage_id).subscription),)
        for subscription in subscriptions:
            for rtype, version in (
                ("Microsoft.CognitiveServices/accounts", api_versions.COGNITIVE_SERVICES),
                ("Microsoft.MachineLearningServices/workspaces", api_versions.MACHINE_LEARNING),
            ):
                for item in self.writer.read_list(f"/subscriptions/{subscription}/providers/{rtype}", version):
                    if storage in linked_storage(rtype.lower(), item):
                        self.store.save_baseline(Baseline(storage, AI_DATA_LINK, {"linked_by": str(item.get("id", ""))}, self.clock()))

    def _open_exposures(self, event: ChangeEvent, resource: Mapping[str, Any]) -> tuple[Mapping[str, Any], ...]:
        """The key exposures still to answer, when the key rule can act on them now: on a key listing
        (to judge it), and on any change to a resource whose keys work again (to rotate them)."""
        if not KEY_RULE.applies_to(str(resource.get("type", ""))):
            return ()
        pending = self.obligations.pending(event.resource_id)
        if event.kind is Kind.KEY_ACCESS:
            return pending
        return pending if pending and not keys_disabled(ResourceSnapshot(resource)) else ()

    # --- access: role assignments ----------------------------------------------------------------------
    def _judge_assignment(self, event: ChangeEvent, callers: tuple[str, ...], now: datetime, run: Sweep | None) -> list[Result]:
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
                results.append(self._act(event, finding, snapshot.resource, callers, now, run=run)[0])
        if run is None:
            results.extend(self._rejudge_gateways(event, assignment))
        return results

    def _rejudge_gateways(self, event: ChangeEvent, assignment: Mapping[str, Any]) -> list[Result]:
        """A role granted to the identity of a gateway the policy declares is judged on the gateway too,
        now (its identity's roles are the gateway's rule's data), not at the next deep sweep: each
        declared gateway is read (gateways are few) and the one whose identity got the role is judged on
        that read, with its roles listed again."""
        principal = str(prop(assignment, "properties", "principalId") or "").lower()
        kind = str(prop(assignment, "properties", "principalType") or "ServicePrincipal")
        if not principal or kind.lower() != "serviceprincipal":
            return []  # a managed identity is a service principal
        results: list[Result] = []
        for gateway_id in dict.fromkeys(fold(f.gateway) for f in self.policy.gateways.fronted):
            try:
                parsed = parse_resource_id(gateway_id)
            except InvalidResourceId:
                continue
            gateway = self.read(str(parsed), api_versions.API_MANAGEMENT)
            if gateway is None or principal not in identity_principals(gateway):
                continue
            again = replace(
                event,
                event_id=f"{event.event_id}:gateway",
                event_type=REJUDGE_EVENT,
                resource=parsed,
                kind=Kind.RESOURCE_CHANGE,
                operation=Operation.WRITE,
                snapshot=gateway,
            )
            results.extend(self._handle(again, None))
        return results

    def _rejudge_role(self, event: ChangeEvent) -> list[Result]:
        """A role changed (widened to `*`, say): the assignments that use it are judged again now, on a
        fresh read of the role, not at the next access review. They are listed at the scopes the role is
        assignable at (ARM lists an assignment at its scope and below)."""
        self.role_definitions.forget(event.resource_id)
        definition = self.role_definitions.get(event.resource_id)
        if definition is None:
            return [Result(event.event_id, event.resource_id, Outcome.RESOLVED, "the role is gone: its assignments went with it")]
        guid = role_guid(event.resource_id)
        results: list[Result] = []
        seen: set[str] = set()
        for scope in prop(definition, "properties", "assignableScopes") or []:
            try:
                # The scope's list path, rebuilt from a strictly parsed id (an assignment under it).
                probe = parse_resource_id(f"{str(scope).rstrip('/')}/providers/Microsoft.Authorization/roleAssignments/x")
            except InvalidResourceId:
                continue
            path = str(probe).rsplit("/", 1)[0]
            for assignment in self.writer.read_list(path, api_versions.AUTHORIZATION):
                rid = str(assignment.get("id", ""))
                if role_guid(prop(assignment, "properties", "roleDefinitionId")) != guid or fold(rid) in seen:
                    continue
                seen.add(fold(rid))
                try:
                    parsed = parse_resource_id(rid)
                except InvalidResourceId:
                    continue
                again = replace(
                    event,
                    event_id=f"{event.event_id}:{len(seen)}",
                    event_type=REJUDGE_EVENT,
                    resource=parsed,
                    kind=Kind.ROLE_ASSIGNMENT,
                    operation=Operation.WRITE,
                )
                results.extend(self._handle(again, None))
        return results or [Result(event.event_id, event.resource_id, Outcome.COMPLIANT, "no assignment uses the role")]

    # --- judged: passes ----------------------------------------------------------------------------------
    def _passed(
        self,
        meta: RuleMeta,
        resource: Mapping[str, Any],
        rid: str,
        now: datetime,
        *,
        event: ChangeEvent | None = None,
        why: str = "the resource passes the rule again",
    ) -> None:
        self.store.save_baseline(Baseline(rid, meta.id, resource, now))
        record = self.store.finding(meta.id, rid)
        if record is not None and record.status is FindingStatus.REMEDIATING and event is not None:
            # A handler was fixing this and stopped (or is fixing it right now): what passes may be its
            # write, landed and not yet on record. Reconciled under the claim before the finding is
            # resolved: its write gets its audit record and counts in the windows, once.
            self._reconcile(meta, record, event, now)
            record = self.store.finding(meta.id, rid)
        if record is not None and record.status is not FindingStatus.RESOLVED:
            self._save(replace(record, status=FindingStatus.RESOLVED, last_seen=now))
            self._notice(FINDING_RESOLVED, rid, meta.id, reason=why)
            self._supersede_case(dedupe_key(meta.id, rid), now, why=why, correlation=event.correlation_id if event else None)

    def _reconcile(self, meta: RuleMeta, record: FindingRecord, event: ChangeEvent, now: datetime) -> None:
        """Finishes what a stopped handler left of a fix of `meta` on this resource, which passes now:
        its recorded intent, found landed by reading back, is recorded as the fix it was; nothing is
        planned or sent. Raises Busy while a live handler holds the claim (this delivery is retried)."""
        rid = event.resource_id
        finding = Finding(
            meta.id,
            rid,
            str(record.finding.get("resource_type") or event.resource.full_type),
            meta.severity,
            str(record.finding.get("message") or meta.title),
            meta.default_mode,
            meta.remediation,
            record.finding.get("evidence") or {},
        )
        job = _Job(event, finding, {}, None, now)

        def record_outcome(enforced: Enforced) -> None:
            self._landed(job, enforced, "found landed after the handler that sent it stopped", None)

        self.enforcer.run(rid, meta.id, lambda current: None, record_outcome)

    def _supersede_case(self, dedupe_key: str, now: datetime, *, why: str, correlation: str | None) -> None:
        """The finding resolved (someone fixed it, or another rule's fix did): its open case has nothing
        left to decide. An approved case is left to the desk, which reconciles it (its approved fix may
        be what landed). The reason goes in the case's history and on the audit log, as the desk's."""
        case = self.store.current_case(dedupe_key)
        if case is None or case.status is not CaseStatus.OPEN:
            return
        try:
            closed = self.store.save_case(replace(case, status=CaseStatus.SUPERSEDED).with_event(now, ACTOR, "superseded", why))
        except StoreConflict:
            return  # decided meanwhile: that decision stands
        self.store.append_audit(
            AuditEntry(
                now,
                ACTOR,
                "case_superseded",
                closed.resource_id,
                closed.rule,
                correlation_id=correlation,
                detail=f"case {closed.id}: {why}",
            )
        )
        self._tell(closed, "superseded")

    def _tell(self, case: Case, event: str) -> None:
        for listener in self.case_listeners:
            listener(case, event)

    def _notice(self, kind: str, rid: str, rule: str, **data: Any) -> None:
        for listener in self.notice_listeners:
            listener(kind, rid, {"rule": rule, "resource_id": rid, **data})

    # --- decide and act --------------------------------------------------------------------------------
    def _act(
        self,
        event: ChangeEvent,
        finding: Finding,
        resource: Mapping[str, Any],
        callers: tuple[str, ...],
        now: datetime,
        *,
        run: Sweep | None,
        state_after: bool = True,
    ) -> tuple[Result, _Fixed | None]:
        """The result, and the fix as read from ARM (None when nothing was fixed). `state_after`: a
        landed fix records the state it left as the last judged (False: the caller does, once it judged
        what stood again on it)."""
        job = _Job(event, finding, resource, self.store.baseline(event.resource_id, finding.rule), now)
        limits = self.policy.limits
        # The windows count writes Azure accepted (recorded once each when they land), not attempts: a
        # delivery that failed on a 503, or the same burst on four instances, changes nothing here.
        flaps = self.store.reverts(job.rid, finding.rule, since=now - timedelta(minutes=limits.flap_window_minutes))
        budget = self.store.reverts(self._subscription(event), AUTO_CHANGES, since=now - timedelta(hours=1))
        circumstances = Circumstances(
            today=now.date(),
            has_baseline=job.baseline is not None,
            callers=callers,
            dry_run=self.dry_run,
            recent_reverts=len(flaps.reverts),
            flap_callers=flaps.callers,
            auto_changes_this_hour=len(budget.reverts),
        )
        if run is not None:
            swept = self.store.reverts(_sweep_key(run.scope), SWEEP_CHANGES, since=now - SWEEP_WINDOW)
            circumstances = replace(circumstances, sweep_planned=len(swept.reverts), sweep_scope=run.size)
        decision = decide(finding, self.policy, circumstances)
        record = self._track(finding, job.rid, now)
        if decision.action is Action.APPLY:
            return self._apply(job, record, decision, run, state_after=state_after)
        if decision.action is Action.OPEN_CASE:
            return self._open_case(job, decision.reason), None
        suppressed = decision.reason.startswith(("exempted", "break-glass", "changed by a break-glass"))
        self._save(replace(record, status=FindingStatus.SUPPRESSED if suppressed else FindingStatus.OPEN, last_seen=now))
        self._audit(job, "recorded", detail=decision.reason)
        return job.result(Outcome.RECORDED, decision.reason), None

    def _apply(
        self, job: _Job, record: FindingRecord, decision: Decision, run: Sweep | None, *, state_after: bool
    ) -> tuple[Result, _Fixed | None]:

        def make_plan(current: Mapping[str, Any] | None) -> Plan | None:
            # Planned from a read taken now, under the claim: these providers do not declare If-Match,
            # so nothing refuses a write planned from an older read (a sweep's row, the state before an
            # earlier fix), and a full PUT planned from it would undo whatever changed since.
            if current is None:
                return None  # gone: its deletion event closes its findings
            if job.finding.rule == KEY_RULE.id and not self.obligations.pending(job.rid):
                # Judged before the claim was ours: another handler (this event delivered twice, to two
                # instances) rotated the keys meanwhile, which answered the exposure. Never twice.
                return None
            plan = self._plan(replace(job, resource=current))
            if plan is not None:
                # The intent goes on record before the write: a write that lands while its answer is
                # lost (a timeout, a handler killed) still has its audit record.
                self._audit(job, "reverting", before=plan.before, after=plan.after, detail=plan.summary)
                # And the last judged state becomes "being fixed": the state this write leaves is never
                # "already judged" to a redelivery after a crash, which judges it and finds the
                # finding `remediating` to reconcile.
                self.store.state_changed(job.rid, FIXING, now=job.now)
                # Marked `remediating` under the claim, right before the write: a second delivery that
                # judged the drift before the first one fixed it never marks it again after it resolved.
                latest = self.store.finding(job.finding.rule, job.rid) or record
                self._save(replace(latest, status=FindingStatus.REMEDIATING, last_seen=job.now))
            return plan

        def record_outcome(enforced: Enforced) -> None:
            self._landed(job, enforced, decision.reason, run, state_after=state_after)

        try:
            enforced = self.enforcer.run(job.rid, job.finding.rule, make_plan, record_outcome)
        except CannotPlan as e:
            return self._open_case(job, str(e)), None
        except WriteFailed as e:
            self._notice(REMEDIATION_FAILED, job.rid, job.finding.rule, remediation=job.finding.remediation, error=str(e))
            return self._open_case(job, f"the fix was refused: {e}"), None
        if enforced.resource is None and enforced.applied is None:
            return job.result(Outcome.RESOLVED, "resource gone before the fix"), None
        if enforced.applied is None:
            # Fixed meanwhile (by someone, or by this fix's own write whose answer was lost): the read
            # under the claim shows it.
            self._save(replace(self._track(job.finding, job.rid, job.now), status=FindingStatus.RESOLVED, last_seen=job.now))
            fixed = None
            if enforced.resource is not None:
                fixed = _Fixed(f"found fixed when {job.finding.rule} was to be reverted", {fold(job.rid): enforced.resource})
            return job.result(Outcome.COMPLIANT, "already fixed"), fixed
        plan = enforced.applied.plan
        how = "found landed after a handler stopped: " if enforced.reconciled else ""
        # Verified: the writer read each write back until it showed (or raised, and nothing reaches here).
        reads = {fold(path): found for path, found in enforced.applied.read_back.items()}
        return job.result(Outcome.REVERTED, f"{decision.reason}; {how}{plan.summary}"), _Fixed(
            f"fixed by the revert of {job.finding.rule}", reads
        )

    def _landed(self, job: _Job, enforced: Enforced, reason: str, run: Sweep | None, *, state_after: bool = True) -> None:
        """What a fix that landed leaves on record, once (under its claim, before its intent is cleared):
        the audit, the windows that count landed writes, the state it left, the finding resolved."""
        assert enforced.applied is not None
        plan = enforced.applied.plan
        self._audit(job, "reverted", before=plan.before, after=plan.after, detail=f"{reason}; {plan.summary}", write_id=enforced.write_id)
        write = Revert(job.now, job.event.caller_object_id, enforced.write_id)
        self.store.record_revert(job.rid, job.finding.rule, write, window=timedelta(minutes=self.policy.limits.flap_window_minutes))
        self.store.record_revert(self._subscription(job.event), AUTO_CHANGES, replace(write, caller=job.rid), window=timedelta(hours=1))
        if run is not None:
            self.store.record_revert(_sweep_key(run.scope), SWEEP_CHANGES, replace(write, caller=job.rid), window=SWEEP_WINDOW)
        if _rotates_keys(plan):
            self.obligations.rotated(job.rid, write_id=enforced.write_id, at=job.now)
        fixed_state = enforced.applied.read_back.get(job.rid)
        if fixed_state is not None and state_after:
            # The fixed state is now the last one judged: the same drift coming back is new again.
            self.store.state_changed(job.rid, state_hash(fixed_state), now=job.now)
        self._notice(
            REMEDIATION_APPLIED,
            job.rid,
            job.finding.rule,
            summary=plan.summary,
            before=plan.before,
            after=plan.after,
            reason=reason,
        )
        current = self.store.finding(job.finding.rule, job.rid)
        if current is not None:
            self._save(replace(current, status=FindingStatus.RESOLVED, last_seen=job.now))
            self._notice(FINDING_RESOLVED, job.rid, job.finding.rule, reason="reverted")

    def _read_resource(self, resource_id: str) -> Mapping[str, Any] | None:
        """The resource as ARM has it now. A role assignment keeps its type spelt out, as judged."""
        rid = parse_resource_id(resource_id)
        fresh = self.read(str(rid), api_versions.for_type(rid.full_type))
        if fresh is None:
            return None
        return {**fresh, "type": fresh.get("type") or rid.full_type}

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
                # A ticket, not an approval: what the decision would have asked of an approver is moot.
                reason = f"no automated fix: {e}; a person fixes the resource"
        event = job.event
        evidence = {
            "finding": job.finding.to_json(),
            "caller_object_id": event.caller_object_id,
            "caller_app_id": event.caller_app_id,
            "correlation_id": event.correlation_id,
            "event_id": event.event_id,
            # When the change happened (the event's time): who caused it is read with when.
            "event_time": event.time.isoformat() if event.time else None,
        }
        # Access rules key on the assignment's holder too, like the access review's cases; a finding about
        # a part of the resource on that part.
        principal = prop(job.resource, "properties", "principalId") if job.event.kind is Kind.ROLE_ASSIGNMENT else None
        key = dedupe_key(job.finding.rule, job.rid, principal or job.finding.subject)
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
    @staticmethod
    def _subscription(event: ChangeEvent) -> str:
        return f"/subscriptions/{event.resource.subscription}"

    def _track(self, finding: Finding, rid: str, now: datetime) -> FindingRecord:
        current = self.store.finding(finding.rule, rid)
        if current is None or current.status is FindingStatus.RESOLVED:
            self._notice(
                FINDING_OPENED, rid, finding.rule, severity=finding.severity.label, message=finding.message, mode=finding.mode.value
            )
        if current is None:
            return self._save(FindingRecord(finding.rule, rid, FindingStatus.OPEN, finding.to_json(), now, now))
        if _as_stored(current.finding) != _as_stored(finding.to_json()):
            # Detected again with other details (a second role, another address): the record says what
            # is found now, as the case does, not what was found first.
            return self._save(replace(current, finding=finding.to_json(), last_seen=now))
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
        # Its child resources (an account's deployments and RAI policies, a gateway's named values) went
        # with it: ARM sends no event for them.
        for record in list(self.store.findings()):
            if record.status is not FindingStatus.RESOLVED and _child_of(record.resource_id, rid):
                self._save(replace(record, status=FindingStatus.RESOLVED, last_seen=now))
                self._notice(FINDING_RESOLVED, record.resource_id, record.rule, reason="the resource it belongs to is gone")
                closed += 1
        self._supersede_cases_of_deleted(rid, now)
        return closed

    def _supersede_cases_of_deleted(self, rid: str, now: datetime) -> None:
        """The resource is verified gone (ARM answered 404): its open fix and rollback cases have
        nothing left to decide, whatever their key (a principal, a part). An incident stays open: the
        alert still wants a person. An approved case is left to the desk, as in `_supersede_case`."""
        reason = "the resource was deleted"
        for case in list(self.store.cases(status=CaseStatus.OPEN)):
            if case.kind is CaseKind.INCIDENT or not (fold(case.resource_id) == fold(rid) or _child_of(case.resource_id, rid)):
                continue
            try:
                closed = self.store.save_case(replace(case, status=CaseStatus.SUPERSEDED).with_event(now, ACTOR, "superseded", reason))
            except StoreConflict:
                continue  # decided meanwhile: that decision stands
            self.store.append_audit(
                AuditEntry(now, ACTOR, "case_superseded", case.resource_id, case.rule, detail=f"case {case.id}: {reason}")
            )
            self._tell(closed, "superseded")

    def _audit(
        self,
        job: _Job,
        action: str,
        *,
        before: Mapping[str, Any] | None = None,
        after: Mapping[str, Any] | None = None,
        detail: str = "",
        write_id: str | None = None,
    ) -> None:
        self.store.append_audit(
            AuditEntry(job.now, ACTOR, action, job.rid, job.finding.rule, before, after, job.event.correlation_id, detail, write_id)
        )


def _child_of(resource_id: str, parent_id: str) -> bool:
    """Whether `resource_id` is a child resource of `parent_id` (`…/accounts/a/deployments/d`), which
    cannot outlive it; an extension resource on it (`…/providers/Microsoft.Insights/…`) is not one."""
    child, parent = fold(resource_id), fold(parent_id).rstrip("/")
    return child.startswith(parent + "/") and "/providers/" not in child[len(parent) :]


def _as_stored(finding: Mapping[str, Any]) -> str:
    """A finding as the store keeps it (JSON: tuples are lists), to compare a detection with the record."""
    return json.dumps(finding, sort_keys=True, default=str)


def _sweep_key(scope: str) -> str:
    return f"/sweeps/{uuid.uuid5(uuid.NAMESPACE_URL, fold(scope))}"


def _rotates_keys(plan: Plan) -> bool:
    """Whether the plan regenerates a resource's keys (both of them: every key plan does)."""
    return any(step.method == "POST" and any(a in step.path.lower() for a in KEY_ACTIONS) for step in plan.steps)
