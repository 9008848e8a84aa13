"""Evidence of use through azure-monitor-query's LogsQueryClient, against the simulator's Log Analytics
endpoint, which answers only the product's named queries from the activity it recorded."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from azure.core.pipeline.transport import RequestsTransport

from driftguard.azure.activity import ActivityReader
from driftguard.azure.connection import StaticTokenCredential
from driftguard.inventory import InventoryError
from simulator import Simulator, sample
from simulator.transport import in_process_session

DEV = "a1b2c3d4-0000-4000-8000-00000000b002"  # holds OpenAI User on oai-contoso-prod in the sample
OAI = f"/subscriptions/{sample.PROD}/resourceGroups/rg-ai-prod/providers/Microsoft.CognitiveServices/accounts/oai-contoso-prod"
ASSIGNMENT = "0f6b0c1e-0002-4a00-8000-000000000002"
OTHER = "a1b2c3d4-0000-4000-8000-00000000c003"  # Contributor on the resource group, no activity of its own


def reader(sim: Simulator) -> ActivityReader:
    transport = RequestsTransport(session=in_process_session(sim), session_owner=False)
    return ActivityReader(
        StaticTokenCredential(), workspace_id="law-security", endpoint="https://logs.simulator.local", transport=transport
    )


def test_last_use_by_assignment_evidence_and_by_caller(sim: Simulator) -> None:
    when = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    sim.writes.clock = lambda: when
    hdr = {"Authorization": f"Bearer sim:{DEV}", "Host": "h"}
    assert sim.handle("PATCH", OAI, "api-version=2025-09-01", hdr, json.dumps({"tags": {"a": "b"}}).encode()).status == 202
    index = reader(sim).read(window_days=90)
    assert index.data_through == when
    last, how = index.last_use(ASSIGNMENT, DEV, OAI)
    assert (last, how) == (when, "roleAssignmentId")
    # An assignment Azure did not name: matched on the caller below its scope.
    last, how = index.last_use("00000000-0000-4000-8000-000000000000", DEV, f"/subscriptions/{sample.PROD}/resourceGroups/rg-ai-prod")
    assert (last, how) == (when, "caller and scope")
    assert index.last_use("0f6b0c1e-0003-4a00-8000-000000000003", OTHER, f"/subscriptions/{sample.PROD}/resourceGroups/rg-ai-prod") == (
        None,
        "none",
    )


def test_no_activity_means_no_freshness(sim: Simulator) -> None:
    index = reader(sim).read(window_days=90)
    assert index.data_through is None  # the rule then judges nothing unused


def test_any_other_query_is_refused(sim: Simulator) -> None:
    r = reader(sim)
    with pytest.raises(InventoryError, match="named queries"):
        r._rows("AzureActivity | take 10", __import__("datetime").timedelta(days=1))
