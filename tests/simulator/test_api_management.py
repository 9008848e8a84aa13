"""AI gateways (`Microsoft.ApiManagement/service`, its backends and named values) served as
azure-mgmt-apimanagement 5.0 declares them, driven by its own client."""

from __future__ import annotations

import json
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError
from azure.mgmt.apimanagement import ApiManagementClient
from azure.mgmt.apimanagement.models import BackendUpdateParameters, NamedValueCreateContract

from driftguard.azure import api_versions
from driftguard.azure.connection import ArmConnection, StaticTokenCredential
from simulator import Estate, Simulator
from simulator import builders as b
from simulator.spec import catalog
from simulator.transport import BASE_URL, in_process_session

SUB = "33333333-3333-4333-8333-333333333333"
RG = "rg-gateway"
DEV = "d1d1d1d1-0000-4000-8000-000000000001"
SUBNET = f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Network/virtualNetworks/vnet-ai/subnets/snet-apim"


@pytest.fixture
def gateway() -> Simulator:
    estate = Estate()
    apim = b.apim_service(SUB, RG, "apim-ai", subnet=SUBNET)
    estate.put_many(
        [
            apim,
            b.apim_backend(apim["id"], "oai-prod", account_endpoint="https://oai-prod.openai.azure.com/"),
            b.apim_backend(apim["id"], "oai-dev", account_endpoint="https://oai-dev.openai.azure.com/", key_header="oai-dev-key"),
            b.apim_named_value(apim["id"], "oai-dev-key"),
            b.apim_named_value(apim["id"], "region", secret=False, value="eastus"),
        ]
    )
    return Simulator(estate)


def client(sim: Simulator) -> ApiManagementClient:
    conn = ArmConnection(BASE_URL, StaticTokenCredential(f"sim:{DEV}"), session=in_process_session(sim), polling_interval=0)
    return conn.client(ApiManagementClient, subscription_id=SUB)


def test_the_pinned_version_is_the_packages_and_its_operations_are_served() -> None:
    ops = {o.id: o for o in catalog().operations if o.resource_type.startswith("Microsoft.ApiManagement/service")}
    assert {o.api_version for o in ops.values()} == {api_versions.API_MANAGEMENT}
    assert ops["Backend.update"].method == "PATCH"
    assert ops["Backend.update"].if_match  # backends declare If-Match (and require it)
    assert ops["NamedValue.begin_create_or_update"].statuses == (200, 201)
    assert ops["ApiManagementService.begin_update"].body is not None


def test_get_and_list_deserialize_into_the_sdk_models(gateway: Simulator) -> None:
    c = client(gateway)
    service = c.api_management_service.get(RG, "apim-ai")
    assert service.virtual_network_configuration.subnet_resource_id == SUBNET
    assert service.identity.type == "SystemAssigned"
    backends = {x.name: x for x in c.backend.list_by_service(RG, "apim-ai")}
    assert backends["oai-dev"].credentials.header == {"api-key": ["{{oai-dev-key}}"]}
    assert backends["oai-prod"].credentials is None
    assert sorted(n.name for n in c.named_value.list_by_service(RG, "apim-ai")) == ["oai-dev-key", "region"]
    assert [s.name for s in c.api_management_service.list()] == ["apim-ai"]


def test_a_secret_named_value_never_shows_its_value(gateway: Simulator) -> None:
    c = client(gateway)
    body = NamedValueCreateContract(display_name="oai-prod-key", value="0123456789abcdef0123456789abcdef", secret=True)
    c.named_value.begin_create_or_update(RG, "apim-ai", "oai-prod-key", body).result()
    read = c.named_value.get(RG, "apim-ai", "oai-prod-key")
    assert read.secret is True
    assert read.value is None
    assert c.named_value.get(RG, "apim-ai", "region").value == "eastus"


def test_entity_tags_answer_head(gateway: Simulator) -> None:
    c = client(gateway)
    assert c.backend.get_entity_tag(RG, "apim-ai", "oai-dev") is True
    assert c.named_value.get_entity_tag(RG, "apim-ai", "region") is True
    with pytest.raises(HttpResponseError):
        c.backend.get_entity_tag(RG, "apim-ai", "missing")


def test_backend_patch_merges(gateway: Simulator) -> None:
    c = client(gateway)
    c.backend.update(RG, "apim-ai", "oai-dev", if_match="*", parameters=BackendUpdateParameters(description="moved to identity"))
    read = c.backend.get(RG, "apim-ai", "oai-dev")
    assert read.description == "moved to identity"
    assert read.credentials.header == {"api-key": ["{{oai-dev-key}}"]}


def _send(sim: Simulator, method: str, path: str, body: Any) -> tuple[int, Any]:
    answer = sim.handle(
        method, path, f"api-version={api_versions.API_MANAGEMENT}", {"Authorization": f"Bearer sim:{DEV}"}, json.dumps(body).encode()
    )
    return answer.status, json.loads(answer.body) if answer.body else None


def test_bodies_are_held_to_the_models(gateway: Simulator) -> None:
    service = f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.ApiManagement/service/apim-ai"
    # The service's PUT needs its sku, location, publisher e-mail and name.
    assert _send(gateway, "PUT", service, {"properties": {}})[0] == 400
    status, answer = _send(gateway, "PUT", f"{service}/backends/x", {"properties": {"url": "https://x", "protocol": "ftp"}})
    assert status == 400
    assert answer["error"]["target"] == "$.properties.protocol"


def test_an_unserved_version_is_refused(gateway: Simulator) -> None:
    service = f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.ApiManagement/service/apim-ai"
    answer = gateway.handle("GET", service, "api-version=2019-01-01", {"Authorization": f"Bearer sim:{DEV}"}, b"")
    assert answer.status == 400
