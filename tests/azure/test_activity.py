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
ALICE = "a1b2c3d4-0000-4000-8000-00000000a001"  # Owner on the subscription in the sample


def reader(sim: Simulator) -> ActivityReader:
    transport = RequestsTransport(session=in_process_session(sim), session_owner=False)
    return ActivityReader(
        StaticTokenCredential(), workspace_id="law-security", endpoint="https://logs.simulator.local", transport=transport
    )


def test_last_use_by_assignment_evidence_and_by_the_names_the_activity_log_uses(sim: Simulator) -> None:
    """`Caller` holds a user's UPN or a service principal's app id, never an object id: callers are
    matched through what the directory says the principal is called."""
    from tests.azure.test_directory import directory

    sim.directory.add(DEV, "ServicePrincipal", "chat-backend")
    sim.directory.add(ALICE, "User", "ops-alice")
    when = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    sim.writes.clock = lambda: when
    for who in (DEV, ALICE):
        hdr = {"Authorization": f"Bearer sim:{who}", "Host": "h"}
        assert sim.handle("PATCH", OAI, "api-version=2025-09-01", hdr, json.dumps({"tags": {"by": who}}).encode()).status == 202
        sim.writes.settle()
    assert {r["Caller"] for r in sim.writes.activity} == {"ops-alice@contoso.onmicrosoft.com", sim.directory.objects[DEV]["appId"]}
    index = reader(sim).read(window_days=90)
    assert index.data_through == when
    found = directory(sim).principals([DEV, ALICE])
    assert found[ALICE].caller_names == {"ops-alice@contoso.onmicrosoft.com"}
    assert found[DEV].caller_names == {sim.directory.objects[DEV]["appId"]}
    last, how = index.last_use(ASSIGNMENT, found[DEV].caller_names, OAI)
    assert (last, how) == (when, "roleAssignmentId")
    # An assignment Azure did not name: matched on the caller's names below its scope, never on the object id.
    rg = f"/subscriptions/{sample.PROD}/resourceGroups/rg-ai-prod"
    unnamed = "00000000-0000-4000-8000-000000000000"
    assert index.last_use(unnamed, found[ALICE].caller_names, rg) == (when, "caller and scope")
    assert index.last_use(unnamed, found[DEV].caller_names, rg) == (when, "caller and scope")
    assert index.last_use(unnamed, {ALICE, DEV}, rg) == (None, "none")
    assert index.last_use("0f6b0c1e-0003-4a00-8000-000000000003", set(), rg) == (None, "none")


def test_no_activity_means_no_freshness(sim: Simulator) -> None:
    index = reader(sim).read(window_days=90)
    assert index.data_through is None  # the rule then judges nothing unused


def test_any_other_query_is_refused(sim: Simulator) -> None:
    r = reader(sim)
    with pytest.raises(InventoryError, match="named queries"):
        r._rows("AzureActivity | take 10", __import__("datetime").timedelta(days=1))


def test_recent_changes_are_the_window_s_writes_newest_first(sim: Simulator) -> None:
    """What an incident case shows: the control-plane changes of the last hours, by caller and operation."""
    from datetime import timedelta

    now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    for hours_ago, tag in ((30, "old"), (2, "earlier"), (1, "later")):
        sim.writes.clock = lambda h=hours_ago: now - timedelta(hours=h)
        hdr = {"Authorization": f"Bearer sim:{ALICE}", "Host": "h", "x-ms-correlation-request-id": f"corr-{tag}"}
        assert sim.handle("PATCH", OAI, "api-version=2025-09-01", hdr, json.dumps({"tags": {"t": tag}}).encode()).status == 202
        sim.writes.settle()
    sim.writes.clock = lambda: now
    changes = reader(sim).recent_changes(hours=24)
    assert [c.at for c in changes] == [now - timedelta(hours=1), now - timedelta(hours=2)]
    assert all(c.resource_id == OAI.lower() and c.operation == "Microsoft.CognitiveServices/accounts/write" for c in changes)
    assert changes[0].caller == ALICE  # no directory entry: the simulator names the caller by object id
    assert len(reader(sim).recent_changes(hours=24, limit=1)) == 1
