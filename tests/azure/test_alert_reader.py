"""Defender for AI alerts through the live Resource Graph gateway against the simulator's
`securityresources`: ARM-shaped rows, only the AI alerts newer than the watermark, oldest first, in one
query (a page per 1,000 alerts)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from driftguard import alerts
from driftguard.azure.alerts import AlertReader, alerts_query
from driftguard.azure.connection import ArmConnection, RawArm
from driftguard.azure.resource_graph import ResourceGraph, Scope
from simulator import Simulator, kql, sample
from simulator import builders as b

ACCOUNT = f"/subscriptions/{sample.PROD}/resourceGroups/rg-ai-prod/providers/Microsoft.CognitiveServices/accounts/oai-contoso-prod"
T0 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def reader(connection: ArmConnection) -> AlertReader:
    return AlertReader(ResourceGraph(RawArm(connection)), Scope(subscriptions=sample.SUBSCRIPTIONS))


def test_only_ai_alerts_after_the_watermark_oldest_first(sim: Simulator, connection: ArmConnection) -> None:
    for i, minutes in enumerate((30, 10, 20)):
        sim.estate.put(
            b.defender_alert(
                ACCOUNT,
                f"a{i}",
                alert_type="AI.Azure_AccessAnomaly",
                display_name="x",
                severity="Medium",
                generated=T0 + timedelta(minutes=minutes),
            )
        )
    sim.estate.put(
        b.defender_alert(ACCOUNT, "vm", alert_type="VM_Suspicious", display_name="x", severity="Low", generated=T0 + timedelta(hours=1))
    )
    sim.estate.put(b.defender_alert(ACCOUNT, "old", alert_type="AI.Azure_AccessAnomaly", display_name="x", severity="Low", generated=T0))
    before = sim.count(graph=True)
    rows = [r for r in reader(connection)(T0) if str(r["name"]) in ("a0", "a1", "a2", "vm", "old")]
    assert sim.count(graph=True) == before + 1
    assert [r["name"] for r in rows] == ["a1", "a2", "a0"]
    assert all(r["type"] == "microsoft.security/locations/alerts" for r in rows)
    parsed = alerts.from_row(rows[0])
    assert parsed.resource_id.lower() == ACCOUNT.lower()


def test_a_thousand_alerts_and_more_come_in_pages_of_one_query(sim: Simulator, connection: ArmConnection) -> None:
    for i in range(1005):
        sim.estate.put(
            b.defender_alert(
                ACCOUNT,
                f"n{i}",
                alert_type="AI.Azure_DOWVolumeAnomaly",
                display_name="x",
                severity="Medium",
                generated=T0 + timedelta(seconds=i),
            )
        )
    rows = list(reader(connection)(T0 - timedelta(seconds=1)))
    names = [r["name"] for r in rows if str(r["name"]).startswith("n")]
    assert names == [f"n{i}" for i in range(1005)]
    graph = [r for r in sim.requests if r.is_graph]
    assert len(graph) == 2
    assert '"$skipToken"' in graph[-1].body


def test_the_query_is_the_kusto_the_simulator_runs() -> None:
    query = kql.parse(alerts_query(T0))
    assert query.table == "securityresources"
