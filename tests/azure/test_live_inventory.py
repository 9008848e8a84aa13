"""The live code path (Resource Graph sweep + ARM child reads) against the simulator, both mounts."""

from __future__ import annotations

import pytest

from driftguard import rules
from driftguard.azure.connection import ArmConnection, StaticTokenCredential
from driftguard.azure.inventory import LiveInventory
from driftguard.azure.resource_graph import Scope
from driftguard.inventory import InventoryError
from driftguard.pipeline import Evaluator
from driftguard.policy import Policy
from simulator import Fault, Simulator, sample
from simulator.server import SimulatorServer


def scan(connection: ArmConnection, scope: Scope, *, deep: bool = True) -> tuple[list[tuple[str, str]], dict]:
    inventory = LiveInventory(connection, scope, rule_types=rules.rule_types(), deep=deep)
    try:
        findings, summary = Evaluator(Policy()).run(inventory)
        return sorted((f.rule, f.resource_id) for f in findings), summary.to_json()
    finally:
        inventory.close()


def test_in_process_and_https_mounts_agree(connection: ArmConnection, https_sim: SimulatorServer) -> None:
    over_https = ArmConnection(https_sim.base_url, StaticTokenCredential(), connection_verify=https_sim.ca_file, polling_interval=0)
    scope = Scope(subscriptions=sample.SUBSCRIPTIONS)
    assert scan(connection, scope)[0] == scan(over_https, scope)[0]


def test_sweep_uses_graph_and_no_resource_gets(sim: Simulator, connection: ArmConnection) -> None:
    findings, _summary = scan(connection, Scope(subscriptions=sample.SUBSCRIPTIONS), deep=False)
    assert findings
    assert sim.count(graph=True) == 2  # the inventory page and the pricing query
    assert sim.count(graph=False) == 0
    assert all(r.api_version == "2024-04-01" for r in sim.requests)


def test_management_group_scope(connection: ArmConnection) -> None:
    by_mg = scan(connection, Scope(management_group=sample.MANAGEMENT_GROUP))[0]
    by_subs = scan(connection, Scope(subscriptions=sample.SUBSCRIPTIONS))[0]
    assert by_mg == by_subs


def test_graph_pages_at_1000_rows() -> None:
    from simulator import generate

    sim = Simulator(generate.estate(5000, with_settings=False))
    from simulator.transport import BASE_URL, in_process_session

    conn = ArmConnection(BASE_URL, StaticTokenCredential(), session=in_process_session(sim), polling_interval=0)
    _, summary = scan(conn, Scope(subscriptions=tuple(generate.subscription(i) for i in range(1, 11))), deep=False)
    # Deployments and RAI policies are not Resource Graph rows (they are listed per account with --deep).
    rows = sum(1 for r in sim.estate.raw_items() if str(r["type"]).count("/") == 1 and r["type"] != "Microsoft.Security/pricings")
    assert rows > 2000
    assert summary["resources"] == rows + 10  # one pricing per subscription
    assert sim.count(graph=True) == -(-rows // 1000) + 1  # the pages, then the pricing query


def test_throttling_is_retried_by_azure_core(sim: Simulator, connection: ArmConnection) -> None:
    sim.inject(Fault("429", path="resourcegraph", times=1, retry_after=0))
    findings, _ = scan(connection, Scope(subscriptions=sample.SUBSCRIPTIONS), deep=False)
    assert findings
    assert [r.status for r in sim.requests if r.is_graph][:2] == [429, 200]


def test_persistent_failure_fails_closed(sim: Simulator, connection: ArmConnection) -> None:
    sim.inject(Fault("404", path="diagnosticSettings", times=1))
    with pytest.raises(InventoryError, match="diagnostic settings"):
        scan(connection, Scope(subscriptions=sample.SUBSCRIPTIONS))


def test_unknown_query_gets_a_clear_400(sim: Simulator) -> None:
    answer = sim.handle(
        "POST",
        "/providers/Microsoft.ResourceGraph/resources",
        "api-version=2024-04-01",
        {"Authorization": "Bearer x"},
        b'{"query": "resources | summarize count() by type"}',
    )
    assert answer.status == 400
    assert b"unsupported operator 'summarize'" in answer.body


def test_missing_token_is_refused(sim: Simulator) -> None:
    answer = sim.handle("GET", "/subscriptions/x/providers/Microsoft.Security/pricings/AI", "api-version=2024-01-01", {}, b"")
    assert answer.status == 401


def test_role_assignment_filters(sim: Simulator) -> None:
    import json

    oai = "/subscriptions/11111111-1111-4111-8111-111111111111/resourceGroups/rg-ai-prod/providers/Microsoft.CognitiveServices/accounts/oai-contoso-prod"
    hdr = {"Authorization": "Bearer x"}
    at = json.loads(
        sim.handle(
            "GET", oai + "/providers/Microsoft.Authorization/roleAssignments", "api-version=2022-04-01&$filter=atScope()", hdr, b""
        ).body
    )["value"]
    assert len(at) == 7  # three subscription Owners, the resource-group Contributor, the account's three (one the gateway's)
    one = json.loads(
        sim.handle(
            "GET",
            "/subscriptions/11111111-1111-4111-8111-111111111111/providers/Microsoft.Authorization/roleAssignments",
            "api-version=2022-04-01&$filter=principalId eq 'a1b2c3d4-0000-4000-8000-00000000b002'",
            hdr,
            b"",
        ).body
    )["value"]
    assert [a["properties"]["scope"] for a in one] == [oai]
    owner = json.loads(
        sim.handle(
            "GET",
            "/subscriptions/x/providers/Microsoft.Authorization/roleDefinitions/8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
            "api-version=2022-04-01",
            hdr,
            b"",
        ).body
    )
    assert owner["properties"]["roleName"] == "Owner"


def test_dropped_connection_is_retried_in_process(sim: Simulator, connection: ArmConnection) -> None:
    sim.inject(Fault("drop", path="resourcegraph", times=1))
    findings, _ = scan(connection, Scope(subscriptions=sample.SUBSCRIPTIONS), deep=False)
    assert findings
    assert [r.status for r in sim.requests if r.is_graph][:2] == [0, 200]


def test_dropped_connection_is_retried_over_https(sim: Simulator, https_sim: SimulatorServer) -> None:
    over_https = ArmConnection(https_sim.base_url, StaticTokenCredential(), connection_verify=https_sim.ca_file, polling_interval=0)
    sim.inject(Fault("drop", path="diagnosticSettings", times=2))
    _, summary = scan(over_https, Scope(subscriptions=sample.SUBSCRIPTIONS))
    assert "monitor_ai_resource_diagnostic_logs_enabled" in summary["by_rule"]
    assert sum(1 for r in sim.requests if r.status == 0) == 2


def test_latency_is_only_latency(sim: Simulator, connection: ArmConnection) -> None:
    import time

    sim.inject(Fault("latency", path="resourcegraph", times=1, delay_s=0.3))
    started = time.perf_counter()
    slow, _ = scan(connection, Scope(subscriptions=sample.SUBSCRIPTIONS), deep=False)
    assert time.perf_counter() - started >= 0.3
    assert slow == scan(connection, Scope(subscriptions=sample.SUBSCRIPTIONS), deep=False)[0]


def test_https_refuses_an_untrusted_certificate(https_sim: SimulatorServer) -> None:
    from azure.core.exceptions import ServiceRequestError

    untrusted = ArmConnection(https_sim.base_url, StaticTokenCredential(), polling_interval=0)
    with pytest.raises((InventoryError, ServiceRequestError)):
        scan(untrusted, Scope(subscriptions=sample.SUBSCRIPTIONS), deep=False)
