"""A probe run: only opted-in deployments, inside the day's budgets (across restarts and instances), a case
for a filter that lets a known attack through, and nothing of the prompts or answers kept."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from driftguard.canary import Probe
from driftguard.compose import SimulatedWorld
from driftguard.model import Mode
from driftguard.policy import Policy, ProbeKind, ProbePolicy
from driftguard.probing import probe_estate
from driftguard.store.base import CaseStatus, FindingStatus
from driftguard.store.sqlite import SqliteStore
from simulator import builders as b
from simulator import sample

RULE = "cognitiveservices_deployment_canary_probe_blocked"
ACCOUNT = f"/subscriptions/{sample.PROD}/resourceGroups/rg-ai-prod/providers/Microsoft.CognitiveServices/accounts/oai-contoso-prod"
STRICT = f"{ACCOUNT}/deployments/gpt-4o"
RELAXED = f"{ACCOUNT}/deployments/gpt-4o-mini"
NOW = datetime(2026, 11, 29, 4, 15, tzinfo=UTC)


def opted(*deployments: str, **budget: Any) -> Policy:
    return Policy(probes=ProbePolicy(deployments=deployments, **budget))


@dataclass
class Answer:
    status: int | None
    body: Any


@dataclass
class FakeProber:
    """Answers like Azure with a jailbreak filter off (200, no annotation) or on (400 content_filter)."""

    blocking: bool = False
    sent: list[tuple[str, str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def send(self, endpoint: str, deployment: str, probe: Probe) -> Answer:
        with self.lock:
            self.sent.append((endpoint, deployment, probe.id))
        if self.blocking:
            name = "jailbreak" if probe.kind is ProbeKind.JAILBREAK else "indirect_attack"
            inner = {"code": "ResponsibleAIPolicyViolation", "content_filter_result": {name: {"filtered": True, "detected": True}}}
            return Answer(400, {"error": {"code": "content_filter", "innererror": inner}})
        return Answer(200, {"choices": [], "prompt_filter_results": [{"prompt_index": 0, "content_filter_results": {}}]})


def estate() -> list[dict[str, Any]]:
    account = b.cognitive_account(sample.PROD, "rg-ai-prod", "oai-contoso-prod")
    return [
        account,
        b.deployment(account["id"], "gpt-4o", rai_policy="strict-prod"),
        b.deployment(account["id"], "gpt-4o-mini", rai_policy="relaxed-debug"),
        b.deployment(account["id"], "text-embedding-3-large", model="text-embedding-3-large"),
    ]


def test_nothing_is_probed_without_opt_in(tmp_path: Path) -> None:
    prober = FakeProber()
    run = probe_estate(estate(), policy=Policy(), store=SqliteStore(tmp_path / "s.db"), prober=prober, now=NOW)
    assert prober.sent == []
    assert run.skipped == ["probes are off: the policy file opts no deployment in"]


def test_only_opted_in_chat_deployments_are_probed(tmp_path: Path) -> None:
    prober = FakeProber()
    policy = opted(RELAXED.upper(), f"{ACCOUNT}/deployments/text-embedding-*")
    run = probe_estate(estate(), policy=policy, store=SqliteStore(tmp_path / "s.db"), prober=prober, now=NOW)
    assert {d for _, d, _ in prober.sent} == {"gpt-4o-mini"}
    assert {e for e, _, _ in prober.sent} == {"https://oai-contoso-prod.openai.azure.com/"}
    assert any("text-embedding-3-large: not a chat deployment" in s for s in run.skipped)
    # a pattern that names an account, not deployments, opts nothing in
    assert not opted(ACCOUNT).probes.opted_in(ACCOUNT)


def test_break_glass_deployments_are_never_probed(tmp_path: Path) -> None:
    prober = FakeProber()
    policy = Policy(probes=ProbePolicy(deployments=(f"{ACCOUNT}/deployments/*",)), break_glass_resources=(RELAXED,))
    probe_estate(estate(), policy=policy, store=SqliteStore(tmp_path / "s.db"), prober=prober, now=NOW)
    assert {d for _, d, _ in prober.sent} == {"gpt-4o"}


def test_a_filter_that_lets_an_attack_through_opens_one_case(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "s.db")
    told: list[str] = []
    run = probe_estate(estate(), policy=opted(RELAXED), store=store, prober=FakeProber(), now=NOW, listeners=(lambda c, e: told.append(e),))
    [case] = list(store.cases(status=CaseStatus.OPEN))
    assert case.rule == RULE
    assert case.resource_id == RELAXED
    assert case.plan is None
    assert told == ["opened"]
    assert run.summary()["let_through"] == 4
    record = store.finding(RULE, RELAXED)
    assert record is not None
    assert record.status is FindingStatus.OPEN
    # The next day's failing probes update the same case.
    probe_estate(estate(), policy=opted(RELAXED), store=store, prober=FakeProber(), now=NOW + timedelta(days=1))
    [again] = list(store.cases(status=CaseStatus.OPEN))
    assert again.id == case.id
    assert again.detections == 2


def test_a_filter_that_blocks_resolves_the_finding(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "s.db")
    probe_estate(estate(), policy=opted(RELAXED), store=store, prober=FakeProber(), now=NOW)
    run = probe_estate(estate(), policy=opted(RELAXED), store=store, prober=FakeProber(blocking=True), now=NOW + timedelta(days=1))
    assert run.findings == []
    record = store.finding(RULE, RELAXED)
    assert record is not None
    assert record.status is FindingStatus.RESOLVED


def test_a_deployment_where_the_rule_is_off_is_not_probed(tmp_path: Path) -> None:
    prober = FakeProber()
    policy = Policy(probes=ProbePolicy(deployments=(STRICT, RELAXED)), modes={RULE: Mode.OFF})
    run = probe_estate(estate(), policy=policy, store=SqliteStore(tmp_path / "s.db"), prober=prober, now=NOW)
    assert prober.sent == []
    assert any("the probe rule is off here" in s for s in run.skipped)


def test_report_mode_records_without_a_case(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "s.db")
    policy = Policy(probes=ProbePolicy(deployments=(RELAXED,)), modes={RULE: Mode.REPORT})
    run = probe_estate(estate(), policy=policy, store=store, prober=FakeProber(), now=NOW)
    assert len(run.findings) == 1
    assert list(store.cases()) == []


def test_budgets_hold_across_runs_and_instances(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    policy = opted(STRICT, RELAXED, max_probes_per_deployment_per_day=2, max_probes_per_day=3)
    prober = FakeProber()
    # Two instances (two stores on one database, as two Function hosts share Table Storage) at once.
    threads = [
        threading.Thread(target=lambda: probe_estate(estate(), policy=policy, store=SqliteStore(path), prober=prober, now=NOW))
        for _ in range(2)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(prober.sent) == 3
    # A restart the same day sends nothing more; the next day has a new budget.
    probe_estate(estate(), policy=policy, store=SqliteStore(path), prober=prober, now=NOW + timedelta(hours=2))
    assert len(prober.sent) == 3
    probe_estate(estate(), policy=policy, store=SqliteStore(path), prober=prober, now=NOW + timedelta(days=1))
    assert len(prober.sent) == 6


def test_the_token_budget_counts_an_upper_bound_before_sending(tmp_path: Path) -> None:
    prober = FakeProber()
    run = probe_estate(
        estate(), policy=opted(RELAXED, max_tokens_per_day=300), store=SqliteStore(tmp_path / "s.db"), prober=prober, now=NOW
    )
    assert 1 <= len(prober.sent) < 4
    assert any("daily budget reached" in s for s in run.skipped)


def test_no_prompt_or_answer_text_is_kept(tmp_path: Path) -> None:
    from driftguard.canary import PROBES

    world = SimulatedWorld(tmp_path, opted(STRICT, RELAXED))
    run = world.probe(opted(STRICT, RELAXED))
    assert {v.deployment_id for v in run.verdicts} == {STRICT, RELAXED}
    kept = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("state.db"))
    assert b"canary_probe_blocked" in kept  # the verdict is there
    for probe in PROBES:
        assert probe.prompt[:40].encode() not in kept
        assert probe.document is None or probe.document[:40].encode() not in kept
    assert b'"OK"' not in kept  # the simulator's one-token answer


def test_through_the_simulator_the_relaxed_filter_fails_and_the_strict_one_blocks(tmp_path: Path) -> None:
    policy = opted(STRICT, RELAXED)
    world = SimulatedWorld(tmp_path, policy)
    run = world.probe(policy)
    outcomes = {(v.deployment_id, v.kind.value): v.outcome.value for v in run.verdicts}
    assert outcomes[(STRICT, "jailbreak")] == "blocked"
    assert outcomes[(RELAXED, "jailbreak")] == "passed"
    assert outcomes[(RELAXED, "indirect_attack")] == "blocked"
    assert [f.resource_id for f in run.findings] == [RELAXED]
    chats = [r for r in world.sim.requests if r.path.startswith("/openai/")]
    assert len(chats) == 8
    assert {r.caller for r in chats} == {SimulatedWorld.DRIFTGUARD}


def test_without_the_data_plane_role_a_probe_is_no_verdict_and_no_case(tmp_path: Path) -> None:
    import httpx2

    from driftguard.azure.probe import OpenAIProber
    from driftguard.compose import SimulatedDataPlaneCredential
    from simulator import Simulator
    from simulator.transport import in_process_httpx

    sim = Simulator(sample.build())  # nobody holds Cognitive Services OpenAI User for DriftGuard
    prober = OpenAIProber(
        SimulatedDataPlaneCredential(SimulatedWorld.DRIFTGUARD), http_client=httpx2.Client(transport=in_process_httpx(sim))
    )
    store = SqliteStore(tmp_path / "s.db")
    resources = [r for r in sim.estate.raw_items() if "microsoft.cognitiveservices/accounts" in str(r["type"]).lower()]
    run = probe_estate(resources, policy=opted(RELAXED), store=store, prober=prober, now=NOW)
    assert {v.outcome.value for v in run.verdicts} == {"inconclusive"}
    assert {v.detail for v in run.verdicts} == {"HTTP 401 PermissionDenied"}
    assert run.findings == []
    assert list(store.cases()) == []
    assert any("no canary probe got an answer" in s for s in run.skipped)


@dataclass
class KindProber(FakeProber):
    """A jailbreak filter off, the indirect-attack one on."""

    def send(self, endpoint: str, deployment: str, probe: Probe) -> Answer:
        return FakeProber(blocking=probe.kind is ProbeKind.INDIRECT_ATTACK, sent=self.sent, lock=self.lock).send(
            endpoint, deployment, probe
        )


def test_a_day_that_sends_no_jailbreak_probe_does_not_resolve_a_jailbreak_finding(tmp_path: Path) -> None:
    # Two probes a day: the rotation sends indirect-attack probes only on some days. The finding stays
    # open through them, and resolves only on a day that sends jailbreak probes and sees them all blocked.
    store = SqliteStore(tmp_path / "s.db")
    policy = opted(RELAXED, max_probes_per_deployment_per_day=2)
    statuses: list[tuple[set[str], FindingStatus]] = []
    for day in range(5):
        prober = KindProber()
        run = probe_estate(estate(), policy=policy, store=store, prober=prober, now=NOW + timedelta(days=day))
        record = store.finding(RULE, RELAXED)
        assert record is not None
        statuses.append(({v.kind.value for v in run.verdicts}, record.status))
    assert ({"indirect_attack"}, FindingStatus.OPEN) in statuses  # a day without a jailbreak probe
    assert all(status is FindingStatus.OPEN for _, status in statuses)
    # The jailbreak filter is switched on: the next day that sends a jailbreak probe resolves it.
    for day in range(5, 10):
        run = probe_estate(estate(), policy=policy, store=store, prober=FakeProber(blocking=True), now=NOW + timedelta(days=day))
        record = store.finding(RULE, RELAXED)
        assert record is not None
        if "jailbreak" in {v.kind.value for v in run.verdicts}:
            assert record.status is FindingStatus.RESOLVED
            break
        assert record.status is FindingStatus.OPEN
    else:
        raise AssertionError("no jailbreak probe in five days")
