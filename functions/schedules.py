"""Timer triggers: the estate sweep (Resource Graph only, frequent) and the deep sweep (also what
Resource Graph does not index, read through ARM on a slower schedule: model deployments, RAI policies and
Defender for AI settings per account, diagnostic settings per AI resource). Both run the same decide/act
path as events: they record baselines, fix what events missed, and open cases."""

from __future__ import annotations

import logging
from collections import Counter

import azure.functions as func

from driftguard import compose, creep
from driftguard.azure.resource_graph import Scope
from driftguard.policy import Settings
from functions import runtime

log = logging.getLogger("driftguard.sweep")
bp = func.Blueprint()  # type: ignore[no-untyped-call]


def sweep(settings: Settings, *, deep: bool) -> Counter[str]:
    settings.require_scope()
    scope = Scope(subscriptions=settings.subscriptions, management_group=settings.management_group)
    with compose.live_inventory(
        scope, deep=deep, endpoint=settings.arm_endpoint, managed_identity_client_id=settings.managed_identity_client_id
    ) as inventory:
        results = runtime.responder().sweep(inventory.resources(), deep=deep)
    outcomes = Counter(r.outcome.value for r in results)
    for r in results:
        if r.outcome.value in ("reverted", "case_opened"):
            log.warning("sweep: %s %s on %s: %s", r.outcome.value, r.rule, r.resource_id, r.reason)
    log.info("sweep of %s (%s) done: %s", scope.describe(), "deep" if deep else "Resource Graph", dict(outcomes))
    return outcomes


@bp.timer_trigger(schedule="%DRIFTGUARD_SWEEP_SCHEDULE%", arg_name="timer", run_on_startup=False, use_monitor=True)
def posture_sweep(timer: func.TimerRequest) -> None:
    sweep(runtime.SETTINGS, deep=False)


@bp.timer_trigger(schedule="%DRIFTGUARD_DEEP_SWEEP_SCHEDULE%", arg_name="timer", run_on_startup=False, use_monitor=True)
def deep_posture_sweep(timer: func.TimerRequest) -> None:
    sweep(runtime.SETTINGS, deep=True)


def access_review(settings: Settings) -> dict[str, object]:
    """The scheduled access review: judge every assignment at AI scopes, open the removal cases."""
    from datetime import UTC, datetime

    from driftguard.review import open_removal_cases

    settings.require_scope()
    policy = runtime.policy()
    scope = Scope(subscriptions=settings.subscriptions, management_group=settings.management_group)
    review = compose.live_review(settings, policy, scope)
    store = runtime.responder().store
    now = datetime.now(UTC)
    outcome = open_removal_cases(
        review, store=store, policy=policy, now=now, own_ids=frozenset(settings.identity_ids), listeners=(runtime.outbox().case_changed,)
    )
    # Each weekly review is kept, so the next one (and `driftguard review --record`) shows the creep.
    _, change = creep.record(review, store, now)
    summary: dict[str, object] = {
        **review.summary(),
        "creep_since_last_review": change.deltas if change else None,
        "cases_opened": len(outcome.opened),
        "kept_by_guards": outcome.guarded,
        "batched": outcome.batched,
    }
    log.info("access review of %s: %s", scope.describe(), summary)
    return summary


@bp.timer_trigger(schedule="%DRIFTGUARD_REVIEW_SCHEDULE%", arg_name="timer", run_on_startup=False, use_monitor=True)
def scheduled_access_review(timer: func.TimerRequest) -> None:
    access_review(runtime.SETTINGS)


def alert_sweep(settings: Settings) -> dict[str, object]:
    """Defender for AI alerts generated since the last sweep become incident cases (one Resource Graph
    query, paged); tickets and CloudEvents follow through the outbox as for every case."""
    settings.require_scope()
    with runtime.incidents() as intake:
        outcome = intake.sweep()
    for case in outcome.opened:
        log.warning("alerts: incident %s on %s: %s", case.id, case.resource_id, case.reason)
    summary = outcome.summary()
    log.info("alerts: %s", summary)
    return summary


@bp.timer_trigger(schedule="%DRIFTGUARD_ALERTS_SCHEDULE%", arg_name="timer", run_on_startup=False, use_monitor=True)
def defender_alerts(timer: func.TimerRequest) -> None:
    alert_sweep(runtime.SETTINGS)


@bp.timer_trigger(schedule="%DRIFTGUARD_SLA_SCHEDULE%", arg_name="timer", run_on_startup=False, use_monitor=True)
def case_sla(timer: func.TimerRequest) -> None:
    """Open cases past their SLA are notified again; past `expire_after_days` they expire."""
    done = runtime.approvals().desk.enforce_sla()
    log.info("case SLA: %s", done)


@bp.timer_trigger(schedule="%DRIFTGUARD_OUTBOX_SCHEDULE%", arg_name="timer", run_on_startup=False, use_monitor=True)
def deliver_notifications(timer: func.TimerRequest) -> None:
    """Tickets and events waiting in the outbox go out; what a sink refuses waits for the next run."""
    done = runtime.outbox().deliver()
    log.info("outbox: %s", done)


def canary_probes(settings: Settings) -> dict[str, object]:
    """Today's canary probes. Opt-in: the policy file names the deployments (`probes.deployments`);
    with none named, nothing is read or sent."""
    policy = runtime.policy()
    if not policy.probes.deployments:
        log.info("canary probes: off (the policy file opts no deployment in)")
        return {"probes": 0, "skipped": ["probes are off: the policy file opts no deployment in"]}
    settings.require_scope()
    scope = Scope(subscriptions=settings.subscriptions, management_group=settings.management_group)
    run = compose.live_probe(settings, policy, scope, store=runtime.responder().store, listeners=(runtime.outbox().case_changed,))
    for finding in run.findings:
        log.warning("canary probe: %s: %s", finding.resource_id, finding.message)
    summary = run.summary()
    log.info("canary probes of %s: %s", scope.describe(), summary)
    return summary


@bp.timer_trigger(schedule="%DRIFTGUARD_PROBE_SCHEDULE%", arg_name="timer", run_on_startup=False, use_monitor=True)
def scheduled_canary_probes(timer: func.TimerRequest) -> None:
    canary_probes(runtime.SETTINGS)
