"""Sweeps cover every rule: what Resource Graph does not index (deployments, RAI policies, Defender for AI
settings) is listed per account over ARM with --deep, paced and fanned out per subscription; without
--deep the rules that judge it say they were not evaluated."""

from __future__ import annotations

import threading
import time
from collections import Counter
from typing import Any

import pytest
import requests

from driftguard import rules
from driftguard.azure import arm
from driftguard.azure.connection import ArmConnection, StaticTokenCredential
from driftguard.azure.inventory import LiveInventory, inventory_query
from driftguard.azure.pacing import ReadPacer
from driftguard.azure.resource_graph import Scope
from driftguard.inventory import InventoryError
from driftguard.pipeline import Evaluator
from driftguard.policy import Policy
from simulator import Fault, Simulator, generate, sample
from simulator.transport import BASE_URL, SimulatorAdapter, in_process_session

CF = "cognitiveservices_deployment_content_filter_enforced"
MODEL = "cognitiveservices_deployment_model_approved"
DEFENDER = "cognitiveservices_account_defender_for_ai_enabled"
DRIFTED = "/accounts/oai-contoso-prod/deployments/gpt-4o-mini"  # the sample's deployment on a policy with Prompt Shields off


def scan(connection: ArmConnection, scope: Scope, *, deep: bool, pacer: ReadPacer | None = None) -> tuple[list[Any], dict[str, Any]]:
    inventory = LiveInventory(connection, scope, rule_types=rules.rule_types(), deep=deep, pacer=pacer)
    try:
        findings, summary = Evaluator(Policy()).run(inventory)
        return list(findings), summary.to_json()
    finally:
        inventory.close()


def accounts(sim: Simulator) -> list[str]:
    return [str(r["id"]) for r in sim.estate.raw_items() if r["type"] == "Microsoft.CognitiveServices/accounts"]


def test_the_inventory_query_asks_graph_only_for_what_it_indexes() -> None:
    query = inventory_query(rules.rule_types()).lower()
    for absent in ("accounts/deployments", "accounts/raipolicies", "defenderforaisettings", "microsoft.security/pricings"):
        assert absent not in query
    assert "'microsoft.cognitiveservices/accounts'" in query
    assert "{types}" not in query


def test_a_deep_sweep_lists_deployments_and_rai_policies_per_account(sim: Simulator, connection: ArmConnection) -> None:
    findings, summary = scan(connection, Scope(subscriptions=sample.SUBSCRIPTIONS), deep=True)
    listed = Counter((r.path.lower(), r.api_version, r.status) for r in sim.requests if r.method == "GET")
    for account in accounts(sim):
        for child in ("deployments", "raipolicies"):
            assert listed[(f"{account}/{child}".lower(), "2025-09-01", 200)] == 1, (account, child)
    assert summary["by_type"]["microsoft.cognitiveservices/accounts/deployments"] == 5
    # Two custom policies, and Microsoft.Default and Microsoft.DefaultV2 that every account lists.
    assert summary["by_type"]["microsoft.cognitiveservices/accounts/raipolicies"] == 2 + 2 * len(accounts(sim))
    assert not [f for f in findings if f.rule == CF and "/raipolicies/microsoft.default" in f.resource_id.lower()]
    drifted = [f for f in findings if f.rule == CF and f.resource_id.endswith(DRIFTED)]
    assert len(drifted) == 1
    assert "relaxed-debug" in drifted[0].message
    assert CF not in summary["not_evaluated"]
    # Read, yet not judged: the default policy has no approved model catalog to hold them against.
    assert summary["not_evaluated"][MODEL] == {"no approved model catalog in the policy (models.approved)": 5}


def test_a_shallow_sweep_says_what_it_did_not_judge(sim: Simulator, connection: ArmConnection) -> None:
    findings, summary = scan(connection, Scope(subscriptions=sample.SUBSCRIPTIONS), deep=False)
    assert sim.count(graph=False) == 0
    assert not [f for f in findings if f.rule in (CF, MODEL, DEFENDER)]
    for rule in (CF, MODEL, DEFENDER):
        [(reason, count)] = summary["not_evaluated"][rule].items()
        assert "run with --deep" in reason
        assert count == len(accounts(sim))  # counted per account whose children were not listed


def test_every_page_of_a_deployment_list_is_read(sim: Simulator, connection: ArmConnection) -> None:
    sim.list_page_size = 1
    findings, summary = scan(connection, Scope(subscriptions=sample.SUBSCRIPTIONS), deep=True)
    assert summary["by_type"]["microsoft.cognitiveservices/accounts/deployments"] == 5
    assert any(f.rule == CF and f.resource_id.endswith(DRIFTED) for f in findings)


def test_a_refused_list_fails_the_sweep_closed(sim: Simulator, connection: ArmConnection) -> None:
    sim.inject(Fault("403", path="/deployments$", times=1))
    with pytest.raises(InventoryError, match=r"listing the raiPolicies and deployments of .* failed: .*HTTP 403"):
        scan(connection, Scope(subscriptions=sample.SUBSCRIPTIONS), deep=True)


class _InFlight(SimulatorAdapter):
    """Counts the ARM reads in flight, per subscription and in all, each answer taking a little while."""

    def __init__(self, simulator: Simulator) -> None:
        super().__init__(simulator)
        self.lock = threading.Lock()
        self.now: Counter[str] = Counter()
        self.peak: Counter[str] = Counter()
        self.peak_total = 0

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        parts = (request.path_url or "").split("/")
        sub = parts[2] if request.method == "GET" and len(parts) > 2 and parts[1] == "subscriptions" else ""
        with self.lock:
            self.now[sub] += 1
            self.peak[sub] = max(self.peak[sub], self.now[sub])
            self.peak_total = max(self.peak_total, sum(v for k, v in self.now.items() if k))
        try:
            if sub:
                time.sleep(0.01)
            return super().send(request, *args, **kwargs)
        finally:
            with self.lock:
                self.now[sub] -= 1


def test_reads_fan_out_per_subscription_within_a_bound() -> None:
    sim = Simulator(generate.estate(600, subscriptions=4))
    adapter = _InFlight(sim)
    session = requests.Session()
    session.mount("https://", adapter)
    connection = ArmConnection(BASE_URL, StaticTokenCredential(), session=session, polling_interval=0)
    _, summary = scan(connection, Scope(subscriptions=tuple(generate.subscription(i) for i in range(1, 5))), deep=True)
    assert summary["by_type"]["microsoft.cognitiveservices/accounts/deployments"] > 100
    assert max(v for k, v in adapter.peak.items() if k) <= arm.PER_SUBSCRIPTION
    assert adapter.peak_total > arm.PER_SUBSCRIPTION  # subscriptions are read side by side


def test_reads_are_paced_per_subscription(sim: Simulator, connection: ArmConnection) -> None:
    pacer = ReadPacer(burst=4, per_second=25)
    started = time.monotonic()
    scan(connection, Scope(subscriptions=sample.SUBSCRIPTIONS), deep=True, pacer=pacer)
    wall = time.monotonic() - started
    per_subscription = Counter(r.path.split("/")[2] for r in sim.requests if r.method == "GET")
    # Each subscription's bucket holds 4 reads, then refills at 25 a second.
    assert min(per_subscription.values()) > 8
    assert wall >= (max(per_subscription.values()) - 4) / 25 * 0.9


def test_the_pacer_is_a_token_bucket_per_subscription() -> None:
    clock = [0.0]
    pacer = ReadPacer(burst=3, per_second=10, clock=lambda: clock[0])
    assert [pacer.take("a") for _ in range(3)] == [0, 0, 0]
    assert pacer.take("a") == pytest.approx(0.1)
    assert pacer.take("a") == pytest.approx(0.2)  # queued behind the one before
    assert pacer.take("b") == 0  # another subscription, another budget
    clock[0] = 1.0  # ten tokens refilled, minus the two owed, capped at the burst
    assert [pacer.take("a") for _ in range(3)] == [0, 0, 0]
    assert pacer.take("a") > 0


def test_a_management_group_sweep_lists_them_too(sim: Simulator) -> None:
    connection = ArmConnection(BASE_URL, StaticTokenCredential(), session=in_process_session(sim), polling_interval=0)
    findings, _ = scan(connection, Scope(management_group=sample.MANAGEMENT_GROUP), deep=True)
    assert any(f.rule == CF and f.resource_id.endswith(DRIFTED) for f in findings)


def test_only_what_the_rules_judge_is_read_per_account(sim: Simulator, connection: ArmConnection) -> None:
    types = frozenset({"microsoft.cognitiveservices/accounts", "microsoft.cognitiveservices/accounts/deployments"})
    inventory = LiveInventory(connection, Scope(subscriptions=sample.SUBSCRIPTIONS), rule_types=types, deep=True)
    try:
        listed = Counter(str(r["type"]).lower() for r in inventory.resources())
    finally:
        inventory.close()
    assert listed["microsoft.cognitiveservices/accounts/deployments"] == 5
    assert not inventory.rai_policies_loaded
    reads = [r.path.rsplit("/", 1)[-1].lower() for r in sim.requests if not r.is_graph]
    assert reads.count("deployments") == len(accounts(sim))
    assert "raipolicies" not in reads
    assert "default" not in reads  # no Defender for AI setting either
