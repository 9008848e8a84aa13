"""Defender for AI alerts become incident cases.

A short timer reads the alerts generated since the last sweep (one Resource Graph query, paged) and
opens one incident case per alert: the alert itself (kind, severity, entities, time), the open
findings DriftGuard holds on the resource, its recent changes from the Activity Log, and the plan of
the alert kind's playbook when it has one. The plan goes through the same desk as every case: an
approver approves exactly it, it is re-planned on a fresh read before it is sent, and it can be rolled
back. Nothing is ever applied without approval.

Exactly once, however the sweeps go: the case's dedupe key is the alert's id, so an alert read twice
(the sweeps overlap on purpose: Resource Graph indexes alerts some minutes after they are generated,
and once an hour a sweep looks back 24 hours for the alerts later than that) is one case, and two
sweeps running at once store it once (`open_case(..., if_absent=True)`): only the sweep that created
the case announces it, and a re-read is not counted as another detection. The watermark moves only
after every case of the sweep is in the store, so a sweep that stops half-way reads its alerts again
next time, and finds the cases it did open; a case stored before its tickets and events were queued is
marked so, and they are queued then. It never moves past the sweep's read time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from driftguard import alerts, joins
from driftguard.alerts import Alert, NotAnAlert
from driftguard.azure import api_versions
from driftguard.azure.activity import Change
from driftguard.ids import InvalidResourceId, fold, parse_resource_id
from driftguard.inventory import InventoryError
from driftguard.model import Plan, Reader
from driftguard.policy import Policy
from driftguard.store.base import Baseline, Case, CaseKind, CaseListener, CaseStatus, FindingStatus, StateStore, StoreConflict
from remediations.base import CannotPlan, Remediation

log = logging.getLogger("driftguard.incidents")

# The watermark is kept as a baseline record under a key no resource has: the store's baselines are
# durable in both backends, and this needs nothing more than one small record.
WATERMARK_ID = "/providers/Microsoft.Security/driftguard/alertsWatermark"
# Alerts reach Resource Graph some minutes after `timeGeneratedUtc`: each sweep reads this far back
# before the watermark, and the dedupe by alert id absorbs the overlap.
OVERLAP = timedelta(minutes=30)
# The first sweep (no watermark yet) looks back this far.
FIRST_LOOKBACK = timedelta(hours=24)
# Once every DEEP_EVERY a sweep reads LATE_WINDOW back instead, so that an alert reaching Resource Graph
# later than the overlap still becomes a case (marked late, and logged as a warning), never lost
# silently. An alert later than LATE_WINDOW is not read (Resource Graph keeps no ingestion time to ask by).
LATE_WINDOW = timedelta(hours=24)
DEEP_EVERY = timedelta(hours=1)
# An alert generated further ahead of the sweep's clock than this is future-dated (a wrong clock at the
# source): it gets its case, but never moves the watermark, which is capped at the sweep's read time.
CLOCK_SKEW = timedelta(minutes=5)
# What an incident shows of the Activity Log and of the store.
CHANGES_SHOWN = 20
# Set on an incident once its opening was handed to the listeners (the outbox).
ANNOUNCED = "announced"
# A case found stored but not announced is announced by a later sweep only once it is this old: until
# then the sweep that created it may be announcing it right now (two sweeps at once must not both tell).
ANNOUNCE_GRACE = timedelta(minutes=10)
FINDINGS_SHOWN = 20

AlertSource = Callable[[datetime], Iterable[Mapping[str, Any]]]
ChangeSource = Callable[[], list[Change]]


@dataclass
class IntakeOutcome:
    read: int = 0
    opened: list[Case] = field(default_factory=list)
    already_open: int = 0
    not_alerts: int = 0
    dismissed: int = 0
    # Cases opened for alerts generated before this run's overlap window (read by the late look-back).
    late: int = 0
    # Alerts dated ahead of the run's clock: cased, but not moving the watermark.
    future_dated: int = 0
    deep_read: bool = False
    watermark: datetime | None = None

    def summary(self) -> dict[str, Any]:
        return {
            "alerts_read": self.read,
            "incidents_opened": len(self.opened),
            "already_open": self.already_open,
            "not_ai_alerts": self.not_alerts,
            "dismissed": self.dismissed,
            "late": self.late,
            "future_dated": self.future_dated,
            "deep_read": self.deep_read,
            "watermark": self.watermark.isoformat() if self.watermark else None,
        }


def dedupe_key(alert: Alert) -> str:
    return f"{alerts.RULE}|{alert.id}"


class IncidentIntake:
    def __init__(
        self,
        *,
        policy: Policy,
        store: StateStore,
        reader: Reader,
        remediations: Mapping[str, Remediation],
        alerts_since: AlertSource,
        changes: ChangeSource | None = None,
        clock: Callable[[], datetime] | None = None,
        listeners: tuple[CaseListener, ...] = (),
    ) -> None:
        self.policy = policy
        self.store = store
        self.read = reader
        self.remediations = remediations
        self.alerts_since = alerts_since
        # None where no Log Analytics workspace is configured: the case says the changes were not read.
        self.changes = changes
        self.clock = clock or (lambda: datetime.now(UTC))
        self.listeners = listeners

    # --- the watermark ------------------------------------------------------------------------------
    def _record(self) -> Mapping[str, Any]:
        record = self.store.baseline(WATERMARK_ID, alerts.RULE)
        return (record.resource or {}) if record else {}

    def watermark(self) -> datetime | None:
        return alerts.parse_time(self._record().get("generated"))

    def _advance(self, to: datetime | None, *, now: datetime, deep: bool) -> None:
        """Moves the watermark to `to` (never past `now`, never back, except from a future it was
        blinded to), and notes a deep read."""
        record = self._record()
        current = alerts.parse_time(record.get("generated"))
        if current is not None and current > now:
            current = None  # set from a future-dated alert: the sweep read from `now` instead
        wanted = current if to is None else (min(to, now) if current is None else max(current, min(to, now)))
        deep_at = now if deep else alerts.parse_time(record.get("deep_read_at"))
        body = {k: _stamp(v) for k, v in (("generated", wanted), ("deep_read_at", deep_at)) if v is not None}
        if body != record:
            self.store.save_baseline(Baseline(WATERMARK_ID, alerts.RULE, body, now))

    # --- the sweep ----------------------------------------------------------------------------------
    def sweep(self) -> IntakeOutcome:
        now = self.clock()
        mark = self.watermark()
        if mark is not None and mark > now:
            log.warning("alerts: the watermark %s is ahead of the clock %s: reading from now", _stamp(mark), _stamp(now))
            mark = now
        last_deep = alerts.parse_time(self._record().get("deep_read_at"))
        deep = last_deep is None or last_deep <= now - DEEP_EVERY
        window = mark - OVERLAP if mark is not None else now - FIRST_LOOKBACK
        since = min(window, now - LATE_WINDOW) if deep else window
        outcome = IntakeOutcome(watermark=mark, deep_read=deep)
        found: list[Alert] = []
        for row in self.alerts_since(since):
            outcome.read += 1
            try:
                found.append(alerts.from_row(row))
            except NotAnAlert as e:
                outcome.not_alerts += 1
                log.info("alerts: skipped %s: %s", row.get("id"), e)
        # A dismissed alert was judged a false positive in Defender already: no case (it still moves the
        # watermark, below). A resolved one still gets its case: resolving an alert fixes nothing.
        live = [a for a in found if a.status.lower() != "dismissed"]
        outcome.dismissed = len(found) - len(live)
        new = []
        for alert in sorted(live, key=lambda a: a.generated_at):
            existing = self.store.current_case(dedupe_key(alert))
            if existing is None:
                new.append(alert)
            elif existing.status is CaseStatus.OPEN and not existing.evidence.get(ANNOUNCED) and existing.opened_at <= now - ANNOUNCE_GRACE:
                # Stored by a run that stopped before its tickets and events were queued (long enough ago
                # that it is not queuing them right now): queue them now.
                self._announce(existing)
        outcome.already_open = len(live) - len(new)
        if new:
            changes = self._changes()
            findings = self._open_findings()
            for alert in new:
                if alert.generated_at > now + CLOCK_SKEW:
                    outcome.future_dated += 1
                    log.warning("alerts: %s is dated %s, ahead of the clock %s", alert.id, _stamp(alert.generated_at), _stamp(now))
                if alert.generated_at < window:
                    outcome.late += 1
                    log.warning(
                        "alerts: %s (generated %s) reached Resource Graph after the %s overlap: read by the late look-back",
                        alert.id,
                        _stamp(alert.generated_at),
                        OVERLAP,
                    )
                # Only if no case holds the alert yet: another sweep running at the same time may have
                # stored it since it was looked up. Only the one that created the case announces it, and
                # reading an alert again is not another detection.
                late = mark if alert.generated_at < window else None
                case = self.store.open_case(self._case(alert, changes, findings, now, late), if_absent=True)
                if case.created:
                    outcome.opened.append(self._announce(case))
                else:
                    outcome.already_open += 1
        # Every case of this sweep is in the store: only now may the next sweep start later (never later
        # than this sweep's read time: a future-dated alert must not blind the intake to the alerts after it).
        latest = max((a.generated_at for a in found), default=None)
        self._advance(latest, now=now, deep=deep)
        outcome.watermark = self.watermark()
        return outcome

    def _announce(self, case: Case) -> Case:
        """Tells the listeners (tickets, CloudEvents) about a new incident, then marks it told. A conflict
        means someone decided on it meanwhile: that decision was told, and the mark can wait."""
        self._notify(case, "opened")
        try:
            return self.store.save_case(replace(case, evidence={**case.evidence, ANNOUNCED: True}))
        except StoreConflict:
            return case

    def _changes(self) -> list[Change] | None:
        if self.changes is None:
            return None
        try:
            return self.changes()
        except InventoryError as e:
            # The alert matters more than its context: the case opens, and says the log was not read.
            log.warning("alerts: the Activity Log could not be read: %s", e)
            return None

    def _open_findings(self) -> list[Mapping[str, Any]]:
        return [
            {"rule": r.rule, "resource_id": r.resource_id, "severity": r.finding.get("severity"), "message": r.finding.get("message")}
            for r in self.store.findings(status=FindingStatus.OPEN)
        ]

    # --- one case -----------------------------------------------------------------------------------
    def _case(
        self, alert: Alert, changes: list[Change] | None, findings: list[Mapping[str, Any]], now: datetime, late_by: datetime | None = None
    ) -> Case:
        on = fold(alert.resource_id)
        mine = [f for f in findings if _within(fold(str(f["resource_id"])), on)][:FINDINGS_SHOWN]
        recent = None if changes is None else [c.to_json() for c in changes if _within(c.resource_id, on)][:CHANGES_SHOWN]
        ip = alert.ip_addresses[0] if alert.ip_addresses else None
        target, plan, why = self._playbook(alert, ip)
        evidence: dict[str, Any] = {
            "alert": alert.summary(),
            # In the shape every case has, so the desk re-plans with the same inputs (the address).
            "finding": {
                "rule": alerts.RULE,
                "severity": alert.severity.label,
                "message": f"{alert.display_name} ({alert.alert_type})",
                "evidence": {"alert_type": alert.alert_type, "ip_address": ip, "deployment": alert.deployment},
            },
            "open_findings": mine,
            "recent_changes": recent,
            "recent_changes_read": recent is not None,
            "playbook": alert.playbook.remediation if alert.playbook else None,
            # Whom the alert names (object ids, UPNs): causers of the incident (`Case.causers`), so none
            # of them may approve its playbook, nor its rollback.
            "alert_principals": list(alert.principals),
            "references": [{"kind": r.kind, "id": r.id, "title": r.title} for r in alert.references],
        }
        if late_by is not None:
            # Read by the late look-back, not by the sweep after it was generated: the case says so.
            evidence["read_late"] = {"watermark": _stamp(late_by), "overlap_minutes": int(OVERLAP.total_seconds() // 60)}
        reason = f"Defender for AI alert {alert.display_name!r} ({alert.severity.label}): {why}"
        return Case(
            dedupe_key(alert),
            alerts.RULE,
            target,
            CaseStatus.OPEN,
            reason,
            now,
            now,
            plan.to_json() if plan else None,
            plan.digest() if plan else None,
            evidence,
            kind=CaseKind.INCIDENT,
        )

    def _playbook(self, alert: Alert, ip: str | None) -> tuple[str, Plan | None, str]:
        """(the resource the case is about, the playbook's plan or None, why in one line)."""
        playbook = alert.playbook
        if playbook is None:
            return alert.resource_id, None, "no playbook for this kind of alert: a person investigates"
        target = alert.resource_id
        if playbook.target == "rai_policy":
            found = self._rai_policy_of(alert)
            if found is None:
                return alert.resource_id, None, "the alert names no deployment whose content filter could be set: a person investigates"
            target = found
        remediation = self.remediations.get(playbook.remediation)
        if remediation is None:
            return target, None, f"the playbook {playbook.remediation} is not available"
        if playbook.needs_ip and ip is None:
            return target, None, "the alert names no caller address to block: a person investigates"
        try:
            current = self.read(target, api_versions.for_type(parse_resource_id(target).full_type))
        except InvalidResourceId as e:
            return alert.resource_id, None, f"the alert names no valid resource: {e}"
        if current is None:
            return target, None, "the resource is gone"
        try:
            context = joins.plan_context(current, self.read, policy=self.policy, baseline=None, evidence={"ip_address": ip})
            plan = remediation.plan(current, context)
        except CannotPlan as e:
            return target, None, f"the playbook cannot be planned: {e}"
        if plan is None:
            return target, None, f"the playbook has nothing to do ({playbook.why}: already the case)"
        return target, plan, f"{playbook.why}; approve the plan to apply it"

    def _rai_policy_of(self, alert: Alert) -> str | None:
        """The RAI policy the alerted deployment uses, read from the deployment (the alert names only it)."""
        name = alert.deployment
        if not name:
            return None
        deployment_id = f"{alert.resource_id}/deployments/{name}"
        try:
            deployment = self.read(str(parse_resource_id(deployment_id)), api_versions.COGNITIVE_SERVICES)
        except InvalidResourceId:
            return None
        policy = ((deployment or {}).get("properties") or {}).get("raiPolicyName")
        return f"{alert.resource_id}/raiPolicies/{policy}" if isinstance(policy, str) and policy else None

    def _notify(self, case: Case, event: str) -> None:
        for listener in self.listeners:
            listener(case, event)


def _stamp(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _within(resource: str, scope: str) -> bool:
    return resource == scope or resource.startswith(scope + "/")
