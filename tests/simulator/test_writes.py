"""The simulator's write side, driven by the real management clients where they have the operation."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient
from azure.mgmt.cognitiveservices.models import Account, AccountProperties

from driftguard.azure.connection import ArmConnection, StaticTokenCredential
from simulator import Simulator, sample
from simulator.transport import BASE_URL, in_process_session

DEV = "d1d1d1d1-0000-4000-8000-000000000001"
ACCOUNT = f"/subscriptions/{sample.PROD}/resourceGroups/rg-ai-prod/providers/Microsoft.CognitiveServices/accounts/oai-contoso-prod-eu"


@pytest.fixture
def events(sim: Simulator) -> list[dict[str, Any]]:
    received: list[dict[str, Any]] = []
    sim.writes.subscribe(received.append)
    return received


def client(sim: Simulator, token: str = f"sim:{DEV}") -> CognitiveServicesManagementClient:
    conn = ArmConnection(BASE_URL, StaticTokenCredential(token), session=in_process_session(sim), polling_interval=0)
    return conn.client(CognitiveServicesManagementClient, subscription_id=sample.PROD)


def test_patch_is_a_long_running_merge_that_emits_the_writers_event(sim: Simulator, events: list[dict[str, Any]]) -> None:
    before = sim.estate.get(ACCOUNT)
    assert before is not None
    poller = client(sim).accounts.begin_update(
        "rg-ai-prod", "oai-contoso-prod-eu", Account(properties=AccountProperties(public_network_access="Disabled"))
    )
    result = poller.result()
    assert result.properties.public_network_access == "Disabled"
    after = sim.estate.get(ACCOUNT)
    assert after is not None
    assert after["properties"]["provisioningState"] == "Succeeded"
    assert after["properties"]["networkAcls"] == before["properties"]["networkAcls"]  # merged, not replaced
    assert after["etag"] != before["etag"]
    [event] = events
    assert event["eventType"] == "Microsoft.Resources.ResourceWriteSuccess"
    assert event["data"]["operationName"] == "Microsoft.CognitiveServices/accounts/write"
    assert event["data"]["claims"]["http://schemas.microsoft.com/identity/claims/objectidentifier"] == DEV
    assert any(r.status == 202 for r in sim.requests)


def test_if_match_is_ignored_where_the_spec_does_not_declare_it_and_a_second_write_meanwhile_is_409() -> None:
    sim = Simulator(sample.build(), lro_delay_s=0.3)
    hdr = {"Authorization": f"Bearer sim:{DEV}", "Host": "h"}
    body = json.dumps({"properties": {"disableLocalAuth": True}}).encode()
    # Accounts_Update declares no If-Match (cognitiveservices 2025-09-01): a stale one stops nothing.
    first = sim.handle("PATCH", ACCOUNT, "api-version=2025-09-01", {**hdr, "If-Match": '"stale"'}, body)
    assert first.status == 202
    assert sim.estate.get(ACCOUNT)["properties"]["provisioningState"] == "Updating"  # type: ignore[index]
    assert sim.estate.get(ACCOUNT)["properties"]["disableLocalAuth"] is False  # type: ignore[index]  # not yet
    assert sim.handle("PATCH", ACCOUNT, "api-version=2025-09-01", hdr, body).status == 409
    status_url = first.headers["Azure-AsyncOperation"]
    path, query = status_url.split("://", 1)[1].split("/", 1)[1].split("?")
    assert json.loads(sim.handle("GET", "/" + path, query, hdr, b"").body)["status"] == "InProgress"
    time.sleep(0.35)
    assert json.loads(sim.handle("GET", "/" + path, query, hdr, b"").body)["status"] == "Succeeded"
    assert sim.estate.get(ACCOUNT)["properties"]["disableLocalAuth"] is True  # type: ignore[index]
    assert sim.handle("PATCH", ACCOUNT, "api-version=2025-09-01", hdr, body).status == 202


def test_keys_are_listed_and_regenerated_with_action_events(sim: Simulator, events: list[dict[str, Any]]) -> None:
    c = client(sim)
    first = c.accounts.list_keys("rg-ai-prod", "oai-contoso-prod-eu")
    again = c.accounts.list_keys("rg-ai-prod", "oai-contoso-prod-eu")
    assert first.key1 == again.key1
    regenerated = c.accounts.regenerate_key("rg-ai-prod", "oai-contoso-prod-eu", key_name="Key1")
    assert regenerated.key1 != first.key1
    assert regenerated.key2 == first.key2
    assert [e["data"]["operationName"] for e in events] == [
        "Microsoft.CognitiveServices/accounts/listKeys/action",
        "Microsoft.CognitiveServices/accounts/listKeys/action",
        "Microsoft.CognitiveServices/accounts/regenerateKey/action",
    ]
    assert all(e["eventType"] == "Microsoft.Resources.ResourceActionSuccess" for e in events)


def test_put_creates_then_replaces_and_delete_emits(sim: Simulator, events: list[dict[str, Any]]) -> None:
    hdr = {"Authorization": "Bearer x", "Host": "h"}
    rid = ACCOUNT + "/raiPolicies/new"
    created = sim.handle(
        "PUT", rid, "api-version=2025-09-01", hdr, b'{"properties": {"basePolicyName": "Microsoft.Default", "contentFilters": []}}'
    )
    assert created.status == 201
    replaced = sim.handle("PUT", rid, "api-version=2025-09-01", hdr, b'{"properties": {"mode": "Blocking"}}')
    assert replaced.status == 200
    # RAI policies report no provisioning state (RaiPolicyProperties has none); `type` is read-only.
    assert json.loads(replaced.body)["properties"] == {"mode": "Blocking"}
    # RaiPolicies_Delete is long-running (202 with Location), and 204 when there is nothing to delete.
    assert sim.handle("DELETE", rid, "api-version=2025-09-01", hdr, b"").status == 202
    assert sim.handle("DELETE", rid, "api-version=2025-09-01", hdr, b"").status == 204
    assert [e["eventType"].rsplit(".", 1)[1] for e in events] == ["ResourceWriteSuccess", "ResourceWriteSuccess", "ResourceDeleteSuccess"]


def test_private_endpoint_connection_is_updated_inside_its_parent(sim: Simulator) -> None:
    hdr = {"Authorization": "Bearer x", "Host": "h"}
    body = json.dumps(
        {"properties": {"privateLinkServiceConnectionState": {"status": "Rejected", "description": "foreign tenant"}}}
    ).encode()
    answer = sim.handle("PUT", ACCOUNT + "/privateEndpointConnections/pe-0", "api-version=2025-09-01", hdr, body)
    assert answer.status == 202  # PrivateEndpointConnections_CreateOrUpdate is long-running: 200 or 202
    assert "/locations/westeurope/" in answer.headers["Azure-AsyncOperation"]
    conn = sim.estate.get(ACCOUNT)["properties"]["privateEndpointConnections"][0]  # type: ignore[index]
    assert conn["properties"]["privateLinkServiceConnectionState"]["status"] == "Rejected"
    assert conn["properties"]["privateEndpoint"]["id"] == sample.FOREIGN_PE  # the rest is kept
