"""The case desk: what approving, rejecting and rolling back a case does.

Approval means exactly what was shown. The approver signs the plan's digest; before anything is sent
DriftGuard re-reads the resource and plans again: if the drift is gone the case is superseded, if the
plan would differ a new case (the next generation) replaces it, otherwise the approved requests are sent,
verified by reading back, and audited. A rollback is itself a change: it opens a rollback case with the
plan that puts the recorded before-values back, which needs its own approval.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from driftguard import joins, rules
from driftguard.azure import api_versions
from driftguard.azure.writes import ArmWriter, VerificationFailed, WriteFailed
from driftguard.cases import Refused
from driftguard.cases.auth import Principal
from driftguard.enforcement import CLAIM_TTL, ActivityLog, Busy, Enforced, Enforcer, Observer
from driftguard.events import state_event
from driftguard.ids import InvalidResourceId, parse_resource_id
from driftguard.intake import REJUDGE_EVENT
from driftguard.inventory import InventoryError
from driftguard.judging import Judge, state_hash
from driftguard.model import Plan, Reader
from driftguard.policy import Policy
from driftguard.respond import ACTOR
from driftguard.store.base import (
    Approval,
    AuditEntry,
    Baseline,
    Case,
    CaseKind,
    CaseListener,
    CaseStatus,
    FindingStatus,
    StateStore,
    StoreConflict,
)
from remediations.base import CannotPlan, Remediation, rollback

log = logging.getLogger("driftguard.cases")
MAX_REASON = 2000
# Who the SLA timer acts as when it finishes an approved fix.
TIMER = Principal(ACTOR, "driftguard (SLA timer)", frozenset())


@dataclass(frozen=True, slots=True)
class Outcome:
    case: Case
    # What happened, in one line for the approver.
    message: str
    # The case that now carries the question, when this one was replaced or a rollback was opened.
    next_case: Case | None = None


def quoted(text: str, limit: int = 60) -> str:
    """Input echoed in a refusal: quoted and cut short (ids arrive in URLs, from anyone)."""
    return repr(text if len(text) <= limit else text[:limit] + "…")


def clean_reason(reason: object) -> str:
    if not isinstance(reason, str) or not reason.strip():
        raise Refused(400, "a reason is required")
    text = reason.strip()
    if len(text) > MAX_REASON:
        raise Refused(400, f"the reason is longer than {MAX_REASON} characters")
    return text


class CaseDesk:
    def __init__(
        self,
        *,
        policy: Policy,
        store: StateStore,
        reader: Reader,
        writer: ArmWriter,
        remediations: Mapping[str, Remediation],
        clock: Callable[[], datetime] | None = None,
        listeners: tuple[CaseListener, ...] = (),
        observer: Observer | None = None,
        claim_ttl: timedelta = CLAIM_TTL,
        dry_run: bool = False,
        activity: ActivityLog | None = None,
    ) -> None:
        self.policy = policy
        # The app's dry-run setting: approvals are recorded, nothing is ever sent to Azure.
        self.dry_run = dry_run
        self.store = store
        self.read = reader
        self.writer = writer
        self.remediations = remediations
        self.clock = clock or (lambda: datetime.now(UTC))
        self.listeners = listeners
        self.enforcer = Enforcer(
            store=store, writer=writer, read=self._read, clock=self.clock, observer=observer, claim_ttl=claim_ttl, activity=activity
        )
        # Judges a verified fix's state as the responder would, to record it as the rule's baseline.
        self.judge = Judge(policy=policy, store=store, read=reader, rules=rules.registry(), clock=self.clock)

    # --- reading -------------------------------------------------------------------------------------
    def cases(self, *, status: CaseStatus | None = None) -> Iterator[Case]:
        return self.store.cases(status=status)

    def case(self, case_id: str) -> Case:
        case = self.store.case(case_id)
        if case is None:
            raise Refused(404, f"no case {quoted(case_id)}")
        return case

    def approvers_needed(self, case: Case) -> int:
        return self.policy.approvals.approvers_needed(case.rule)

    # --- deciding ------------------------------------------------------------------------------------
    def approve(self, case_id: str, principal: Principal, *, reason: object, plan_digest: object) -> Outcome:
        why = clean_reason(reason)
        case = self.case(case_id)
        if case.status not in (CaseStatus.OPEN, CaseStatus.APPROVED):
            raise Refused(409, f"the case is {case.status.value}: there is nothing to approve")
        if case.plan is None or case.plan_digest is None or "remediation" not in case.plan:
            raise Refused(409, "this case has no automated fix to approve (a ticket): it closes when the resource is fixed")
        if plan_digest != case.plan_digest:
            raise Refused(409, "the plan changed since it was shown (stale plan digest): reload the case and review it again")
        if principal.identities & case.causers:
            named = principal.identities & {str(p).lower() for p in case.evidence.get("alert_principals") or ()}
            if str(case.evidence.get("requested_by") or "").lower() in principal.identities:
                raise Refused(403, "separation of duties: the principal who requested this rollback cannot approve it")
            if str(case.evidence.get("beneficiary") or "").lower() in principal.identities:
                raise Refused(403, "separation of duties: the principal this rollback gives access back to cannot approve it")
            who = "a principal the Defender alert names" if named else "the principal who caused this change"
            raise Refused(403, f"separation of duties: {who} cannot approve its fix")
        valid = case.valid_approvals
        needed = self.approvers_needed(case)
        if case.status is CaseStatus.APPROVED and len({a.principal for a in valid}) >= needed:
            # Approved, but the fix did not go through (ARM was unavailable): any approver may retry it.
            now = self.clock()
            return self._execute(self._save(case.with_event(now, principal.name, "retried", why), "retried"), principal)
        if any(a.principal == principal.object_id for a in valid):
            raise Refused(409, "you already approved this plan: another approver is needed")
        now = self.clock()
        approvals = (*valid, Approval(principal.object_id, principal.name, now, case.plan_digest, why))
        case = replace(case, approvals=approvals).with_event(now, principal.name, "approved", why)
        if len(approvals) < needed:
            saved = self._save(case, "approval_recorded")
            return Outcome(saved, f"approval {len(approvals)} of {needed} recorded: a different approver must approve too")
        case = self._save(replace(case, status=CaseStatus.APPROVED), "approved")
        return self._execute(case, principal)

    def reject(self, case_id: str, principal: Principal, *, reason: object) -> Outcome:
        why = clean_reason(reason)
        case = self.case(case_id)
        if case.status is not CaseStatus.OPEN:
            raise Refused(409, f"the case is {case.status.value}: only an open case can be rejected")
        now = self.clock()
        saved = self._save(replace(case, status=CaseStatus.REJECTED).with_event(now, principal.name, "rejected", why), "rejected")
        self._audit(saved, principal.name, "case_rejected", detail=why)
        return Outcome(saved, "rejected: nothing will be changed (an exemption in the policy file stops the detections)")

    def request_rollback(self, case_id: str, principal: Principal, *, reason: object) -> Outcome:
        """Opens the rollback case for an applied fix: the plan that restores the before-values."""
        why = clean_reason(reason)
        case = self.case(case_id)
        if case.status is not CaseStatus.APPLIED or case.applied_plan is None:
            raise Refused(409, f"the case is {case.status.value}: only an applied fix can be rolled back")
        if case.kind is CaseKind.ROLLBACK:
            raise Refused(409, "this case is itself a rollback: approve a fix instead")
        plan = self._rollback_plan(case.applied_plan)
        if plan is None:
            raise Refused(409, "the before-values are already in place: there is nothing to roll back")
        now = self.clock()
        applied = Plan.from_json(case.applied_plan)
        assignment = applied.before.get("assignment")
        evidence: dict[str, Any] = {
            "finding": case.evidence.get("finding"),
            "rolls_back": case.id,
            "requested_by": principal.object_id,
            "requested_by_name": principal.name,
            # Whoever caused the drift the fix undid would get it back: they may not approve that either.
            "caller_object_id": case.evidence.get("caller_object_id"),
            "caller_app_id": case.evidence.get("caller_app_id"),
            # Whom the incident's alert named: undoing its playbook is theirs to approve no more than it was.
            "alert_principals": case.evidence.get("alert_principals"),
        }
        if isinstance(assignment, Mapping) and assignment.get("principalId"):
            # Recreating an assignment grants access: its holder may not approve that either.
            evidence["beneficiary"] = str(assignment["principalId"]).lower()
        opened = self.store.open_case(
            Case(
                f"rollback|{case.id}",
                case.rule,
                # The resource the fix changed: for a project, the hub it inherits its settings from.
                applied.resource_id,
                CaseStatus.OPEN,
                f"roll back case {case.id}: {why}",
                now,
                now,
                plan.to_json(),
                plan.digest(),
                evidence,
                kind=CaseKind.ROLLBACK,
                related_case=case.id,
            )
        )
        self._notify(opened, "opened")
        self._save(case.with_event(now, principal.name, "rollback_requested", f"case {opened.id}: {why}"), "rollback_requested")
        return Outcome(case, f"rollback case {opened.id} opened: it needs an approval like any fix", next_case=opened)

    # --- the SLA --------------------------------------------------------------------------------------
    def overdue(self) -> tuple[list[Case], list[Case]]:
        """Open cases to remind about (past the SLA, not reminded recently) and to expire."""
        now = self.clock()
        rules = self.policy.approvals
        remind, expire = [], []
        for case in self.store.cases(status=CaseStatus.OPEN):
            age = now - case.opened_at
            if age >= timedelta(days=rules.expire_after_days):
                expire.append(case)
            elif age >= timedelta(hours=rules.sla_hours) and (
                case.reminded_at is None or now - case.reminded_at >= timedelta(hours=rules.renotify_every_hours)
            ):
                remind.append(case)
        return remind, expire

    def enforce_sla(self) -> dict[str, int]:
        remind, expire = self.overdue()
        now = self.clock()
        done = {"reminded": 0, "expired": 0, "reconciled": 0}
        for case in () if self.dry_run else self.store.cases(status=CaseStatus.APPROVED):
            # Approved by enough approvers but not recorded applied: a handler stopped mid-way, or ARM
            # was unavailable. Finish it: what landed is found by reading back, the rest is sent.
            if len({a.principal for a in case.valid_approvals}) < self.approvers_needed(case):
                continue
            with contextlib.suppress(Refused):  # busy, decided meanwhile, or no longer plannable: next run
                self._execute(case, TIMER)
                done["reconciled"] += 1
        for case in remind:
            try:
                self._save(replace(case, reminded_at=now).with_event(now, ACTOR, "reminded", "past its SLA"), "reminder")
                done["reminded"] += 1
            except Refused:
                continue  # decided meanwhile (a store conflict): no reminder needed
        for case in expire:
            days = self.policy.approvals.expire_after_days
            try:
                saved = self._save(
                    replace(case, status=CaseStatus.EXPIRED).with_event(now, ACTOR, "expired", f"no decision in {days} days"), "expired"
                )
            except Refused:
                continue  # decided meanwhile
            self._audit(saved, ACTOR, "case_expired", detail=f"no decision in {days} days")
            done["expired"] += 1
        return done

    # --- applying -------------------------------------------------------------------------------------
    def _execute(self, case: Case, principal: Principal) -> Outcome:
        """Sends the approved requests through the same enforcement step as the event path (the case is
        APPROVED): claim, re-read, re-plan, compare, intent, write, verify, outcome. A second approver
        while the first one's write is under way is told so (409); an approver or the SLA timer after a
        handler stopped mid-way finds its write landed by reading back (and its key regenerations by
        their own events) and records it, never sending a non-idempotent request twice."""
        now = self.clock()
        if self.dry_run:
            # Every path to a write (an approval, a retry, the SLA timer) comes through here: stopping
            # here is what makes dry run hold for approvals too. The case stays APPROVED, so the fix is
            # applied (re-read, re-planned, compared) once dry run is turned off.
            summary = str((case.plan or {}).get("summary") or "the plan")
            noted = self._save(case.with_event(now, ACTOR, "dry_run", f"nothing sent to Azure; would apply: {summary}"), "dry_run")
            return Outcome(noted, f"dry run: approval recorded, nothing sent to Azure (would apply: {summary})")
        decided: list[Outcome] = []

        def make_plan(current: Mapping[str, Any] | None) -> Plan | None:
            # Under the claim, the case as it is now: another approver (or the timer) may have applied
            # it since this one was read, and an applied plan is never sent again.
            latest = self.store.case(case.id)
            if latest is not None and latest.status is not CaseStatus.APPROVED:
                decided.append(Outcome(latest, f"the case is {latest.status.value}: nothing more to apply"))
                return None
            plan = self._replan(case, current)
            if plan is None:
                decided.append(self._supersede(case, "the drift is already gone: nothing to apply"))
                return None
            if plan.digest() != case.plan_digest:
                decided.append(self._replace(case, plan, now))
                return None
            self._audit(case, principal.name, "applying", detail=plan.summary)
            return plan

        def record(enforced: Enforced) -> None:
            decided.append(self._applied(case, enforced, now))

        try:
            self.enforcer.run(case.resource_id, case.rule, make_plan, record)
        except Busy as e:
            raise Refused(409, f"this fix is being applied right now (by another approver or DriftGuard): {e}") from e
        except (WriteFailed, VerificationFailed) as e:
            failed = self._save(replace(case, status=CaseStatus.FAILED).with_event(now, ACTOR, "failed", str(e)), "failed")
            self._audit(failed, principal.name, "approved_fix_failed", detail=str(e))
            return Outcome(failed, f"the fix failed: {e}")
        assert decided, "make_plan decides, or the write lands and is recorded"
        return decided[-1]

    def _applied(self, case: Case, enforced: Enforced, now: datetime) -> Outcome:
        """The approved fix landed (now, or found landed after a handler stopped): audited once, the
        finding resolved, the case APPLIED."""
        assert enforced.applied is not None
        plan = enforced.applied.plan
        approvers = ", ".join(a.name for a in case.valid_approvals)
        how = " (found landed after a handler stopped)" if enforced.reconciled else ""
        detail = f"approved by {approvers}; {plan.summary}{how}"
        self.store.append_audit(
            AuditEntry(
                now,
                f"{ACTOR} (approved by {approvers})",
                "applied",
                case.resource_id,
                case.rule,
                plan.before,
                plan.after,
                None,
                detail,
                enforced.write_id,
            )
        )
        fixed = enforced.applied.read_back.get(case.resource_id)
        if fixed is not None:
            # The state this fix left is the last one judged: its own event and the next sweep find
            # nothing new (after a rollback too: the restored state sticks until it changes again).
            self.store.state_changed(case.resource_id, state_hash(fixed), now=now)
        if case.kind is CaseKind.FIX:
            if fixed is not None:
                self._record_baseline(case, fixed, now)
            self._resolve_finding(case, now)
        current = self.store.case(case.id) or case
        done = self._save(
            replace(current, status=CaseStatus.APPLIED, applied_plan=plan.to_json()).with_event(now, ACTOR, "applied", plan.summary),
            "applied",
        )
        if case.kind is CaseKind.ROLLBACK:
            # People chose the state before the fix: what the rule last saw pass is no longer what to
            # revert to behind their back; its next failure is a case again, not a revert.
            self.store.forget_baseline(case.resource_id, case.rule)
            self._note_rollback(case, now)
        return Outcome(done, f"applied and verified: {plan.summary}{how}")

    def _record_baseline(self, case: Case, fixed: Mapping[str, Any], now: datetime) -> None:
        """The state an approved fix left, verified, becomes the rule's last-known-good state when the
        rule, judged as the responder judges it (with its joined data), passes on it: drift back from it
        is then reverted like any drift, not met again as a first sight. A rule that still fails or
        cannot be judged records nothing; a read that fails leaves it to the next sweep (which judges the
        state again), never records a state not judged."""
        try:
            rid = parse_resource_id(case.resource_id)
        except InvalidResourceId:
            return
        event = state_event(f"approved-{case.id}", REJUDGE_EVENT, rid, fixed, now)
        try:
            joined = self.judge.joined(case.resource_id, fixed, settings=True, rows={})
            verdicts = self.judge.verdicts(event, fixed, joined, (), only=frozenset({case.rule}))
        except InventoryError as e:
            log.warning("case %s: the fixed state was not judged (%s): its baseline waits for the next sweep", case.id, e)
            return
        if any(v.meta.id == case.rule and v.not_evaluable is None and not v.findings for v in verdicts):
            self.store.save_baseline(Baseline(case.resource_id, case.rule, fixed, now))

    def _read(self, resource_id: str) -> Mapping[str, Any] | None:
        try:
            rid = parse_resource_id(resource_id)
        except InvalidResourceId as e:
            raise Refused(409, f"the case names no valid resource: {e}") from e
        return self.read(str(rid), api_versions.for_type(rid.full_type))

    def _replan(self, case: Case, current: Mapping[str, Any] | None) -> Plan | None:
        """The plan a fresh read gives: None when there is nothing (left) to do."""
        if case.kind is CaseKind.ROLLBACK:
            original = self.store.case(case.related_case or "")
            if original is None or original.applied_plan is None:
                raise Refused(409, "the case this rollback undoes has no recorded plan")
            return self._undo(Plan.from_json(original.applied_plan), current)
        if current is None:
            return None  # the resource is gone: so is the drift
        assert case.plan is not None  # approve() checked it
        remediation = self.remediations.get(str(case.plan.get("remediation")))
        if remediation is None:
            raise Refused(409, f"remediation {case.plan.get('remediation')!r} is not available")
        baseline = self.store.baseline(case.resource_id, case.rule)
        finding = case.evidence.get("finding")
        extra = finding.get("evidence", {}) if isinstance(finding, Mapping) else {}
        try:
            context = joins.plan_context(
                current, self.read, policy=self.policy, baseline=baseline.resource if baseline else None, evidence=extra
            )
            return remediation.plan(current, context)
        except CannotPlan as e:
            raise Refused(409, f"the fix cannot be planned any more: {e}") from e

    def _rollback_plan(self, applied_plan: Mapping[str, Any]) -> Plan | None:
        applied = Plan.from_json(applied_plan)
        # Read what the fix's requests changed (a project's fix changed its hub), not the case's resource.
        return self._undo(applied, self._read(applied.resource_id))

    def _undo(self, applied: Plan, current: Mapping[str, Any] | None) -> Plan | None:
        """The remediation's own undo (an identity goes back whole), else the before-values put back;
        a 409 to the approver when undoing would do harm or cannot be planned."""
        remediation = self.remediations.get(applied.remediation)
        try:
            return remediation.undo(applied, current) if remediation is not None else rollback(applied, current)
        except CannotPlan as e:
            raise Refused(409, f"cannot roll back: {e}") from e

    def _supersede(self, case: Case, why: str) -> Outcome:
        now = self.clock()
        done = self._save(replace(case, status=CaseStatus.SUPERSEDED).with_event(now, ACTOR, "superseded", why), "superseded")
        if case.kind is CaseKind.FIX:
            self._resolve_finding(case, now)
        self._audit(done, ACTOR, "case_superseded", detail=why)
        return Outcome(done, f"superseded: {why}")

    def _replace(self, case: Case, plan: Plan, now: datetime) -> Outcome:
        """The plan would differ from the one approved: close this case and open the next generation
        with the new plan, to be approved afresh."""
        why = "the resource changed: the fix would differ from the approved plan"
        done = self._save(replace(case, status=CaseStatus.SUPERSEDED).with_event(now, ACTOR, "superseded", why), "superseded")
        successor = self.store.open_case(
            replace(
                case,
                status=CaseStatus.OPEN,
                reason=f"{why} (replaces case {case.id})",
                opened_at=now,
                updated_at=now,
                plan=plan.to_json(),
                plan_digest=plan.digest(),
                approvals=(),
                history=(),
                related_case=case.id,
                detections=1,
                version=None,
            )
        )
        self._notify(successor, "opened")
        done = self._save(replace(done, related_case=successor.id), "replaced")
        return Outcome(done, f"{why}: case {successor.id} replaces it", next_case=successor)

    def _resolve_finding(self, case: Case, now: datetime) -> None:
        record = self.store.finding(case.rule, case.resource_id)
        if record is None or record.status is FindingStatus.RESOLVED:
            return
        # A conflict means another handler updated it meanwhile: its verdict is newer than ours.
        with contextlib.suppress(StoreConflict):
            self.store.save_finding(replace(record, status=FindingStatus.RESOLVED, last_seen=now))

    def _note_rollback(self, case: Case, now: datetime) -> None:
        """A line in the original case's history; the rollback is done whatever happens here, so a
        concurrent update of the original is re-read rather than reported as a refusal."""
        for _ in range(3):
            original = self.store.case(case.related_case or "")
            if original is None:
                return
            try:
                saved = self.store.save_case(original.with_event(now, ACTOR, "rolled_back", f"by case {case.id}"))
            except StoreConflict:
                continue
            self._notify(saved, "rolled_back")
            return

    # --- plumbing --------------------------------------------------------------------------------------
    def _save(self, case: Case, event: str) -> Case:
        try:
            saved = self.store.save_case(case)
        except StoreConflict as e:
            raise Refused(409, "the case changed while you were deciding (someone else decided first): reload it") from e
        self._notify(saved, event)
        return saved

    def _notify(self, case: Case, event: str) -> None:
        for listener in self.listeners:
            listener(case, event)

    def _audit(self, case: Case, actor: str, action: str, *, detail: str) -> None:
        self.store.append_audit(
            AuditEntry(self.clock(), actor, action, case.resource_id, case.rule, None, None, None, f"case {case.id}: {detail}")
        )
