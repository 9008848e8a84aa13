"""A canary probe run: the opted-in chat deployments, the day's budgets, the probes, the verdicts, and a
case for each deployment whose filter let a known attack through.

Never a deployment the policy file does not name (`probes.deployments`), never a break-glass resource,
never past a budget: each probe is reserved in the state store before it is sent, so restarts and
several instances together stay inside the day's counts. The finding goes through `decide` and the
store's case path like any rule's; what is kept of a probe is its verdict.
"""

from __future__ import annotations

import fnmatch
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Protocol

from driftguard.canary import Probe, Verdict, judge, probes_for
from driftguard.decide import Action, Circumstances, decide
from driftguard.ids import fold
from driftguard.model import Finding, Mode, ResourceSnapshot
from driftguard.policy import Policy
from driftguard.rules import cognitiveservices_deployment_canary_probe_blocked as rule
from driftguard.rules.base import NotEvaluable, RuleContext
from driftguard.store.base import (
    Case,
    CaseListener,
    CaseStatus,
    Charge,
    FindingRecord,
    FindingStatus,
    StateStore,
    StoreConflict,
    dedupe_key,
)

log = logging.getLogger("driftguard.probes")
ACCOUNT = "microsoft.cognitiveservices/accounts"
DEPLOYMENT = "microsoft.cognitiveservices/accounts/deployments"
PROBES_COUNTER = "probes"
TOKENS_COUNTER = "tokens"


class Answered(Protocol):
    @property
    def status(self) -> int | None: ...
    @property
    def body(self) -> Any: ...


class Prober(Protocol):
    def send(self, endpoint: str, deployment: str, probe: Probe) -> Answered: ...


@dataclass(frozen=True, slots=True)
class Target:
    deployment: Mapping[str, Any]
    endpoint: str

    @property
    def id(self) -> str:
        return str(self.deployment["id"])

    @property
    def name(self) -> str:
        return self.id.rstrip("/").rsplit("/", 1)[-1]


@dataclass
class ProbeRun:
    verdicts: list[Verdict] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    cases: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # "deployment: why"

    def summary(self) -> dict[str, Any]:
        return {
            "probes": len(self.verdicts),
            "blocked": sum(v.outcome.value == "blocked" for v in self.verdicts),
            "let_through": sum(v.outcome.failed for v in self.verdicts),
            "inconclusive": sum(v.outcome.value == "inconclusive" for v in self.verdicts),
            "findings": len(self.findings),
            "cases_opened": len(self.cases),
            "skipped": self.skipped,
        }


def _chat(deployment: Mapping[str, Any]) -> bool:
    capabilities = (deployment.get("properties") or {}).get("capabilities") or {}
    return str(capabilities.get("chatCompletion", "")).lower() == "true"


def targets(resources: Iterable[Mapping[str, Any]], policy: Policy, run: ProbeRun) -> list[Target]:
    """The opted-in chat deployments, each with its account's endpoint as ARM reports it."""
    endpoints: dict[str, str] = {}
    wanted: list[Mapping[str, Any]] = []
    for r in resources:
        kind = str(r.get("type", "")).lower()
        if kind == ACCOUNT:
            endpoints[fold(str(r["id"]))] = str((r.get("properties") or {}).get("endpoint") or "")
        elif kind == DEPLOYMENT and policy.probes.opted_in(str(r["id"])):
            wanted.append(r)
    found: list[Target] = []
    for d in wanted:
        rid = str(d["id"])
        account = fold(rid.rsplit("/deployments/", 1)[0])
        if any(fnmatch.fnmatchcase(fold(rid), fold(p)) for p in policy.break_glass_resources):
            run.skipped.append(f"{rid}: break-glass resource")
        elif policy.mode_for(rule.META.id, rid, default=rule.META.default_mode) is Mode.OFF:
            run.skipped.append(f"{rid}: the probe rule is off here")
        elif not _chat(d):
            run.skipped.append(f"{rid}: not a chat deployment")
        elif not endpoints.get(account, "").startswith("https://"):
            run.skipped.append(f"{rid}: its account reports no https endpoint")
        else:
            found.append(Target(d, endpoints[account]))
    return found


def probe_estate(
    resources: Iterable[Mapping[str, Any]],
    *,
    policy: Policy,
    store: StateStore,
    prober: Prober,
    now: datetime,
    listeners: tuple[CaseListener, ...] = (),
) -> ProbeRun:
    run = ProbeRun()
    if not policy.probes.deployments:
        run.skipped.append("probes are off: the policy file opts no deployment in")
        return run
    budget = policy.probes
    day = now.date()
    for target in targets(resources, policy, run):
        verdicts: list[Verdict] = []
        probes = probes_for(budget.kinds, day)
        for probe in probes:
            charges = [
                Charge(f"deployment|{fold(target.id)}", 1, budget.max_probes_per_deployment_per_day),
                Charge(PROBES_COUNTER, 1, budget.max_probes_per_day),
                Charge(TOKENS_COUNTER, probe.token_bound(), budget.max_tokens_per_day),
            ]
            if not store.reserve_budget(day, charges):
                run.skipped.append(f"{target.id}: daily budget reached, {len(verdicts)} of {len(probes)} probe(s) sent in this run")
                break
            answer = prober.send(target.endpoint, target.name, probe)
            outcome, detail = judge(probe, answer.status, answer.body)
            verdict = Verdict(target.id, probe.id, probe.kind, outcome, now, answer.status, detail)
            log.info("canary probe %s on %s: %s (%s)", probe.id, target.id, outcome.value, detail)
            verdicts.append(verdict)
        run.verdicts += verdicts
        if verdicts:
            _judge(target, verdicts, policy=policy, store=store, now=now, listeners=listeners, run=run)
    return run


def _judge(
    target: Target,
    verdicts: list[Verdict],
    *,
    policy: Policy,
    store: StateStore,
    now: datetime,
    listeners: tuple[CaseListener, ...],
    run: ProbeRun,
) -> None:
    # The open finding's failures: a run that did not clear their kind leaves them standing.
    record = store.finding(rule.META.id, target.id)
    earlier: tuple[Mapping[str, Any], ...] = ()
    if record is not None and record.status is not FindingStatus.RESOLVED:
        failed = (record.finding.get("evidence") or {}).get("failed")
        earlier = tuple(f for f in failed if isinstance(f, Mapping)) if isinstance(failed, list) else ()
    related = {rule.VERDICTS: tuple(v.to_json() for v in verdicts), rule.OPEN_FAILURES: earlier}
    snapshot = ResourceSnapshot(target.deployment, related)
    try:
        findings = rule.evaluate(snapshot, RuleContext(policy=policy, now=now))
    except NotEvaluable as e:
        run.skipped.append(f"{target.id}: {e.reason}")
        return
    if not findings:
        if record is not None and record.status is not FindingStatus.RESOLVED:
            _save(store, record.with_status(FindingStatus.RESOLVED, now=now))
        return
    [finding] = findings
    run.findings.append(finding)
    if record is None or record.status is FindingStatus.RESOLVED:
        record = FindingRecord(rule.META.id, target.id, FindingStatus.OPEN, finding.to_json(), now, now, record.version if record else None)
    _save(store, replace(record, finding=finding.to_json(), last_seen=now, status=FindingStatus.OPEN))
    decision = decide(finding, policy, Circumstances(today=now.date()))
    if decision.action is not Action.OPEN_CASE:
        log.warning("canary probe finding on %s recorded only: %s", target.id, decision.reason)
        return
    evidence = {"finding": finding.to_json(), "verdicts": [v.to_json() for v in verdicts]}
    case = store.open_case(
        Case(dedupe_key(rule.META.id, target.id), rule.META.id, target.id, CaseStatus.OPEN, finding.message, now, now, None, None, evidence)
    )
    for listener in listeners:
        listener(case, "opened" if case.detections == 1 else "updated")
    run.cases.append(case.id)


def _save(store: StateStore, record: FindingRecord) -> None:
    """Another instance may have saved the record since it was read: ours is the newer verdict."""
    try:
        store.save_finding(record)
    except StoreConflict:
        latest = store.finding(record.rule, record.resource_id)
        store.save_finding(replace(record, version=latest.version if latest else None))
