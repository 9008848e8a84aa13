"""Timer triggers: the estate sweep (Resource Graph only, frequent) and the deep sweep (also reads
per-resource settings Resource Graph does not index, on a slower schedule)."""

from __future__ import annotations

import logging

import azure.functions as func

from driftguard import compose
from driftguard.azure.resource_graph import Scope
from driftguard.pipeline import Evaluator, ScanSummary
from driftguard.policy import Settings, load_policy
from functions.runtime import SETTINGS

log = logging.getLogger("driftguard.sweep")
bp = func.Blueprint()  # type: ignore[no-untyped-call]


def sweep(settings: Settings, *, deep: bool) -> ScanSummary:
    settings.require_scope()
    policy = load_policy(settings.policy_file)
    scope = Scope(subscriptions=settings.subscriptions, management_group=settings.management_group)
    with compose.live_inventory(
        scope, deep=deep, endpoint=settings.arm_endpoint, managed_identity_client_id=settings.managed_identity_client_id
    ) as inventory:
        findings, summary = Evaluator(policy).run(inventory)
        for finding in findings:
            log.warning("finding %s on %s: %s (mode %s)", finding.rule, finding.resource_id, finding.message, finding.mode.value)
    log.info("sweep of %s done: %s", scope.describe(), summary.to_json())
    return summary


@bp.timer_trigger(schedule="%DRIFTGUARD_SWEEP_SCHEDULE%", arg_name="timer", run_on_startup=False, use_monitor=True)
def posture_sweep(timer: func.TimerRequest) -> None:
    sweep(SETTINGS, deep=False)


@bp.timer_trigger(schedule="%DRIFTGUARD_DEEP_SWEEP_SCHEDULE%", arg_name="timer", run_on_startup=False, use_monitor=True)
def deep_posture_sweep(timer: func.TimerRequest) -> None:
    sweep(SETTINGS, deep=True)
