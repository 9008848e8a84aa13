"""Session pools (`Microsoft.App/sessionPools`) served as azure-mgmt-appcontainers 5.1 declares them,
driven by its own client: the operations, the body models and the long-running PATCH."""

from __future__ import annotations

import importlib
import json
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError
from azure.mgmt.appcontainers import ContainerAppsAPIClient
from azure.mgmt.appcontainers.models import (
    SessionNetworkConfiguration,
    SessionPoolUpdatableProperties,
    SessionPoolUpdatablePropertiesProperties,
)

from driftguard.azure import api_versions
from driftguard.azure.connection import ArmConnection, StaticTokenCredential
from simulator import Estate, Simulator
from simulator import builders as b
from simulator.spec import SdkSchemas, catalog
from simulator.transport import BASE_URL, in_process_session

SUB = "33333333-3333-4333-8333-333333333333"
POOL = f"/subscriptions/{SUB}/resourceGroups/rg-agents/providers/Microsoft.App/sessionPools/pool-agents"
DEV = "d1d1d1d1-0000-4000-8000-000000000001"


@pytest.fixture
def pools() -> Simulator:
    estate = Estate()
    estate.put_many([b.session_pool(SUB, "rg-agents", "pool-agents"), b.session_pool(SUB, "rg-agents", "pool-python", custom=False)])
    return Simulator(estate)


def client(sim: Simulator) -> ContainerAppsAPIClient:
    conn = ArmConnection(BASE_URL, StaticTokenCredential(f"sim:{DEV}"), session=in_process_session(sim), polling_interval=0)
    return conn.client(ContainerAppsAPIClient, subscription_id=SUB)


def test_the_pinned_version_is_the_packages_and_its_operations_are_served() -> None:
    ops = {o.id: o for o in catalog().operations if o.resource_type == "Microsoft.App/sessionPools"}
    assert {o.api_version for o in ops.values()} == {api_versions.APP}
    # PATCH exists (JSON merge patch, 200 or 202): a fix need not PUT the whole pool.
    update = ops["ContainerAppsSessionPools.begin_update"]
    assert (update.method, update.lro, update.statuses) == ("PATCH", True, (200, 202))
    assert update.body is not None
    assert update.body.name == "SessionPoolUpdatableProperties"
    assert ops["ContainerAppsSessionPools.begin_create_or_update"].statuses == (200, 201)


def test_get_and_list_deserialize_into_the_sdk_models(pools: Simulator) -> None:
    c = client(pools)
    pool = c.container_apps_session_pools.get("rg-agents", "pool-agents")
    assert pool.properties.session_network_configuration.status == "EgressDisabled"
    assert pool.properties.custom_container_template.registry_credentials.identity.endswith("/id-pool-agents")
    assert pool.properties.dynamic_pool_configuration.lifecycle_configuration.cooldown_period_in_seconds == 300
    names = sorted(p.name for p in c.container_apps_session_pools.list_by_subscription())
    assert names == ["pool-agents", "pool-python"]


def test_patch_is_a_long_running_merge(pools: Simulator) -> None:
    before = pools.estate.get(POOL)
    assert before is not None
    body = SessionPoolUpdatableProperties(
        properties=SessionPoolUpdatablePropertiesProperties(
            session_network_configuration=SessionNetworkConfiguration(status="EgressEnabled")
        )
    )
    result = client(pools).container_apps_session_pools.begin_update("rg-agents", "pool-agents", body).result()
    assert result.properties.session_network_configuration.status == "EgressEnabled"
    after = pools.estate.get(POOL)
    assert after is not None
    assert after["properties"]["customContainerTemplate"] == before["properties"]["customContainerTemplate"]  # merged
    assert any(r.method == "PATCH" and r.status == 202 for r in pools.requests)


def _send(sim: Simulator, method: str, body: Any) -> tuple[int, Any]:
    answer = sim.handle(method, POOL, f"api-version={api_versions.APP}", {"Authorization": f"Bearer sim:{DEV}"}, json.dumps(body).encode())
    return answer.status, json.loads(answer.body) if answer.body else None


def test_bodies_are_held_to_the_models(pools: Simulator) -> None:
    status, answer = _send(pools, "PATCH", {"properties": {"sessionNetworkConfiguration": {"status": "EgressSometimes"}}})
    assert status == 400
    assert answer["error"]["target"] == "$.properties.sessionNetworkConfiguration.status"
    # A PUT needs the tracked resource's location; the PATCH model has no environmentId to move a pool.
    assert _send(pools, "PUT", {"properties": {}})[0] == 400
    status, _ = _send(pools, "PATCH", {"properties": {"environmentId": "/elsewhere", "nodeCount": 99}})
    assert status == 202
    pools.writes.settle()
    after = pools.estate.get(POOL)
    assert after is not None
    assert after["properties"]["environmentId"].endswith("/cae-pool-agents")
    assert after["properties"]["nodeCount"] == 1


def test_a_patch_cannot_move_a_pool_to_another_region(pools: Simulator) -> None:
    """Location is create-only (ARM RPC: a PATCH cannot change a resource's location): another region is
    refused, not answered 202 and dropped; the same region, in any spelling, is accepted."""
    before = pools.estate.get(POOL)
    assert before is not None
    status, answer = _send(pools, "PATCH", {"location": "eastus"})
    assert status == 400
    assert answer["error"]["code"] == "InvalidRequestContent"
    assert "cannot be changed" in answer["error"]["message"]
    same = str(before["location"]).upper()
    assert _send(pools, "PATCH", {"location": same, "tags": {"team": "agents"}})[0] == 202
    pools.writes.settle()
    after = pools.estate.get(POOL)
    assert after is not None
    assert after["location"] == before["location"]


def test_an_unserved_version_is_refused(pools: Simulator) -> None:
    answer = pools.handle("GET", POOL, "api-version=2019-01-01", {"Authorization": f"Bearer sim:{DEV}"}, b"")
    assert answer.status == 400
    with pytest.raises(HttpResponseError):
        client(pools).container_apps_session_pools.get("rg-agents", "pool-missing")


def test_a_secret_value_is_write_only_and_never_read_back(pools: Simulator) -> None:
    # azure-mgmt-appcontainers: SessionPoolSecret.value has visibility create/update only.
    received: list[Any] = []
    pools.writes.subscribe_notifications(received.append)
    status, accepted = _send(pools, "PATCH", {"properties": {"secrets": [{"name": "acr-password", "value": "hunter2"}]}})
    assert status == 202
    pools.writes.settle()
    status, read = _send(pools, "GET", None)
    assert status == 200
    assert read["properties"]["secrets"] == [{"name": "acr-password"}]
    c = client(pools)
    listed = next(p for p in c.container_apps_session_pools.list_by_subscription() if p.name == "pool-agents")
    assert [s.as_dict() for s in listed.properties.secrets] == [{"name": "acr-password"}]
    graph = pools.handle(
        "POST",
        "/providers/Microsoft.ResourceGraph/resources",
        "api-version=2024-04-01",
        {"Authorization": f"Bearer sim:{DEV}"},
        json.dumps({"subscriptions": [SUB], "query": "resources | where type =~ 'microsoft.app/sessionpools'"}).encode(),
    )
    rows = [r for r in json.loads(graph.body)["data"] if r["name"] == "pool-agents"]
    assert rows[0]["properties"]["secrets"] == [{"name": "acr-password"}]
    assert "hunter2" not in json.dumps([accepted, received])  # nor the write's answer, nor its event


def test_the_write_only_properties_come_from_the_sdk_models() -> None:
    pool = catalog().resource_schema("Microsoft.App/sessionPools")
    assert pool is not None
    secret = pool.fields["properties"].type.fields["secrets"].type  # type: ignore[union-attr]
    assert secret.fields["value"].writeonly  # type: ignore[union-attr]
    assert not secret.fields["name"].writeonly  # type: ignore[union-attr]
    # A Swagger-generated model says it in prose ("will not be filled on 'GET' operations"): API
    # Management's authorization server client secret, a subscription's keys.
    schemas = SdkSchemas(importlib.import_module("azure.mgmt.apimanagement.models"))
    server = schemas.get("AuthorizationServerContract")
    assert server.as_read({"properties": {"clientSecret": "s", "clientId": "c"}}) == {"properties": {"clientId": "c"}}
    assert schemas.get("SubscriptionContract").fields["properties"].type.fields["primaryKey"].writeonly  # type: ignore[union-attr]


def test_a_merge_patch_null_removes_the_registry_identity(pools: Simulator) -> None:
    # The SDK documents the session pool PATCH as JSON merge patch (RFC 7396): objects merge key by key,
    # so credentials sent without `identity` keep it; `"identity": null` removes it.
    creds = {"server": "contosoacr.azurecr.io", "username": "u", "passwordSecretRef": "acr-password"}
    body = {"properties": {"secrets": [{"name": "acr-password", "value": "p"}], "customContainerTemplate": {"registryCredentials": creds}}}
    assert _send(pools, "PATCH", body)[0] == 202
    pools.writes.settle()
    kept = pools.estate.get(POOL)
    assert kept is not None
    assert kept["properties"]["customContainerTemplate"]["registryCredentials"]["identity"].endswith("/id-pool-agents")
    body["properties"]["customContainerTemplate"] = {"registryCredentials": {**creds, "identity": None}}
    assert _send(pools, "PATCH", body)[0] == 202
    pools.writes.settle()
    removed = pools.estate.get(POOL)
    assert removed is not None
    assert "identity" not in removed["properties"]["customContainerTemplate"]["registryCredentials"]
