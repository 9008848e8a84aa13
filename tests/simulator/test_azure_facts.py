"""One test per fact of Azure the simulator must follow (Resource Manager and its providers, as the
REST specs behind the azure-mgmt packages and the Azure docs state them). Each drives the simulator as a
client would: the real management clients where they have the operation, raw requests where DriftGuard
sends raw ones."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError
from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient
from azure.mgmt.search import SearchManagementClient
from azure.mgmt.storage import StorageManagementClient

from driftguard.azure.connection import ArmConnection, StaticTokenCredential
from simulator import Estate, Simulator
from simulator import builders as b
from simulator.core import Response
from simulator.roles import role_definition
from simulator.spec import catalog
from simulator.throttle import Limits, Throttle
from simulator.transport import BASE_URL, in_process_session

SUB = "11111111-1111-4111-8111-111111111111"
RG = "rg-ai"
ACCOUNT = f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.CognitiveServices/accounts/oai"
SEARCH = f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Search/searchServices/srch"
STORAGE = f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Storage/storageAccounts/stai"
WORKSPACE = f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.MachineLearningServices/workspaces/mlw"
HDR = {"Authorization": "Bearer sim:0f0f0f0f-0000-4000-8000-000000000001", "Host": "h"}


def estate(*, local_auth: bool = True) -> Estate:
    e = Estate()
    account = b.cognitive_account(SUB, RG, "oai", local_auth=local_auth)
    e.put_many(
        [
            account,
            b.deployment(account["id"], "gpt-4o", rai_policy="strict"),
            b.rai_policy(account["id"], "strict"),
            b.defender_setting(account["id"]),
            b.search_service(SUB, RG, "srch"),
            b.storage_account(SUB, RG, "stai"),
            b.workspace(SUB, RG, "mlw"),
            b.pricing(SUB, standard=True),
        ]
    )
    return e


def call(sim: Simulator, method: str, path: str, version: str, body: Any = None) -> Response:
    data = b"" if body is None else json.dumps(body).encode()
    return sim.handle(method, path, f"api-version={version}", HDR, data)


def error_code(answer: Response) -> str:
    return str(json.loads(answer.body)["error"]["code"])


def connection(sim: Simulator) -> ArmConnection:
    return ArmConnection(
        BASE_URL, StaticTokenCredential("sim:0f0f0f0f-0000-4000-8000-000000000001"), session=in_process_session(sim), polling_interval=0
    )


def graph_types(sim: Simulator, table: str) -> set[str]:
    answer = sim.handle(
        "POST",
        "/providers/Microsoft.ResourceGraph/resources",
        "api-version=2024-04-01",
        HDR,
        json.dumps({"subscriptions": [SUB], "query": f"{table} | project id, type"}).encode(),
    )
    assert answer.status == 200, answer.body
    return {row["type"] for row in json.loads(answer.body)["data"]}


# --- Resource Graph --------------------------------------------------------------------------------------


def test_resource_graph_indexes_accounts_but_not_deployments_rai_policies_or_defender_settings() -> None:
    types = graph_types(Simulator(estate()), "resources")
    assert "microsoft.cognitiveservices/accounts" in types
    assert not types & {
        "microsoft.cognitiveservices/accounts/deployments",
        "microsoft.cognitiveservices/accounts/raipolicies",
        "microsoft.cognitiveservices/accounts/defenderforaisettings",
    }


def test_pricings_are_in_securityresources_and_role_assignments_in_authorizationresources() -> None:
    sim = Simulator(estate())
    sim.estate.put(
        {
            "id": f"/subscriptions/{SUB}/providers/Microsoft.Authorization/roleAssignments/a1",
            "name": "a1",
            "type": "Microsoft.Authorization/roleAssignments",
            "properties": {"scope": f"/subscriptions/{SUB}", "principalId": "p", "roleDefinitionId": "r"},
        }
    )
    assert graph_types(sim, "securityresources") == {"microsoft.security/pricings"}
    assert graph_types(sim, "authorizationresources") == {"microsoft.authorization/roleassignments"}
    assert not graph_types(sim, "resources") & {"microsoft.security/pricings", "microsoft.authorization/roleassignments"}


# --- events ----------------------------------------------------------------------------------------------


def test_resource_notifications_carry_only_the_documented_resource_info() -> None:
    sim = Simulator(estate())
    received: list[Mapping[str, Any]] = []
    sim.writes.subscribe_notifications(received.append)
    assert call(sim, "PATCH", ACCOUNT, "2025-09-01", {"tags": {"team": "ai"}}).status == 202
    [event] = received
    assert event["eventType"] == "Microsoft.ResourceNotifications.Resources.CreatedOrUpdated"
    info = event["data"]["resourceInfo"]
    assert set(info) == {"id", "name", "type", "location", "tags", "properties"}  # no identity, sku, kind, etag
    assert info["properties"]["disableLocalAuth"] in (0, 1)  # booleans as 1/0, as Microsoft's sample sends them
    assert event["data"]["apiVersion"] < "2025-09-01"  # properties as of an older version than the caller's


def test_child_resource_events_carry_the_childs_id_in_subject_and_resource_uri() -> None:
    sim = Simulator(estate())
    received: list[Mapping[str, Any]] = []
    sim.writes.subscribe(received.append)
    diagnostic = f"{ACCOUNT}/providers/Microsoft.Insights/diagnosticSettings/to-law"
    body = {"properties": {"workspaceId": "/subscriptions/x/law", "logs": [{"categoryGroup": "allLogs", "enabled": True}]}}
    assert call(sim, "PUT", diagnostic, "2021-05-01-preview", body).status == 200
    deployment = f"{ACCOUNT}/deployments/gpt-4o"
    current = json.loads(call(sim, "GET", deployment, "2025-09-01").body)
    assert call(
        sim, "PUT", deployment, "2025-09-01", {"sku": current["sku"], "properties": {"model": current["properties"]["model"]}}
    ).status in (200, 201)
    assert [(e["subject"], e["data"]["resourceUri"]) for e in received] == [(diagnostic, diagnostic), (deployment, deployment)]


# --- keys ------------------------------------------------------------------------------------------------


def test_each_service_has_its_own_key_operations_and_none_of_the_others() -> None:
    sim = Simulator(estate())
    conn = connection(sim)
    cs = conn.client(CognitiveServicesManagementClient, subscription_id=SUB)
    assert cs.accounts.regenerate_key(RG, "oai", key_name="Key2").key2
    search = conn.client(SearchManagementClient, subscription_id=SUB)
    assert search.admin_keys.regenerate(RG, "srch", "secondary").secondary_key
    storage = conn.client(StorageManagementClient, subscription_id=SUB)
    assert [k.key_name for k in storage.storage_accounts.regenerate_key(RG, "stai", {"keyName": "key1"}).keys] == ["key1", "key2"]
    # Cognitive Services' operation on the others is one Azure does not have.
    for resource, version in ((SEARCH, "2025-05-01"), (WORKSPACE, "2025-06-01")):
        answer = call(sim, "POST", f"{resource}/regenerateKey", version, {"keyName": "Key1"})
        assert answer.status == 400
        assert error_code(answer) == "InvalidResourceType"
    assert error_code(call(sim, "POST", f"{SEARCH}/regenerateAdminKey/Key1", "2025-05-01")) == "InvalidParameter"
    # Storage names its keys key1 and key2.
    refused = call(sim, "POST", f"{STORAGE}/regenerateKey", "2025-06-01", {"keyName": "Key1"})
    assert refused.status == 400
    assert json.loads(refused.body)["error"]["target"] == "$.keyName"
    # ML workspaces list and resync keys; they cannot regenerate them.
    assert call(sim, "POST", f"{WORKSPACE}/listKeys", "2025-06-01").status == 200
    assert call(sim, "POST", f"{WORKSPACE}/resyncKeys", "2025-06-01").status in (200, 202)


def test_key_operations_are_refused_once_local_auth_is_disabled() -> None:
    sim = Simulator(estate(local_auth=False))
    for action, body in (("listKeys", None), ("regenerateKey", {"keyName": "Key1"})):
        answer = call(sim, "POST", f"{ACCOUNT}/{action}", "2025-09-01", body)
        assert answer.status == 400
        assert "disableLocalAuth" in json.loads(answer.body)["error"]["message"]


# --- long-running operations -----------------------------------------------------------------------------


def test_long_running_operations_answer_as_declared_and_polls_see_them_running() -> None:
    sim = Simulator(estate(), lro_delay_s=0.3)
    update = call(sim, "PATCH", ACCOUNT, "2025-09-01", {"properties": {"publicNetworkAccess": "Enabled"}})
    assert update.status in (200, 202)
    assert "Location" in update.headers
    location = update.headers["Location"].split("://", 1)[1].split("/", 1)[1]
    path, query = location.split("?")
    assert sim.handle("GET", "/" + path, query, HDR, b"").status == 202  # a Location poll: 202 while running
    deployment = f"{ACCOUNT}/deployments/gpt-4o"
    current = json.loads(call(sim, "GET", deployment, "2025-09-01").body)
    put = call(sim, "PUT", deployment, "2025-09-01", {"sku": current["sku"], "properties": {"model": current["properties"]["model"]}})
    # Deployments_CreateOrUpdate: 200 or 201 with Azure-AsyncOperation (final-state-via azure-async-operation).
    assert put.status in (200, 201)
    assert "Azure-AsyncOperation" in put.headers
    assert "Location" not in put.headers
    status_path, status_query = put.headers["Azure-AsyncOperation"].split("://", 1)[1].split("/", 1)[1].split("?")
    assert json.loads(sim.handle("GET", "/" + status_path, status_query, HDR, b"").body)["status"] == "InProgress"
    time.sleep(0.35)
    assert json.loads(sim.handle("GET", "/" + status_path, status_query, HDR, b"").body)["status"] == "Succeeded"
    done = sim.handle("GET", "/" + path, query, HDR, b"")
    assert done.status == 200
    assert json.loads(done.body)["properties"]["publicNetworkAccess"] == "Enabled"
    op = catalog().find("PrivateEndpointConnections.begin_create_or_update")
    assert op.lro
    assert op.statuses == (200, 202)
    assert op.api_version == "2025-09-01"


def test_if_match_is_not_declared_by_the_cognitive_services_operations() -> None:
    declared = [o.id for o in catalog().operations if o.api_version == "2025-09-01" and o.if_match]
    assert declared == []
    sim = Simulator(estate())
    answer = sim.handle("PATCH", ACCOUNT, "api-version=2025-09-01", {**HDR, "If-Match": '"stale"'}, b'{"tags": {"a": "b"}}')
    assert answer.status in (200, 202)  # nothing stops a stale write: re-read before, read back after


# --- AI Search -------------------------------------------------------------------------------------------


def test_search_public_network_access_identity_type_and_auth_options() -> None:
    sim = Simulator(estate())
    assert call(sim, "PATCH", SEARCH, "2025-05-01", {"properties": {"publicNetworkAccess": "Disabled"}}).status == 200  # either casing
    refused = call(sim, "PATCH", SEARCH, "2025-05-01", {"properties": {"publicNetworkAccess": "Off"}})
    assert refused.status == 400
    assert "enabled, disabled" in json.loads(refused.body)["error"]["message"]
    assert call(sim, "PATCH", SEARCH, "2025-05-01", {"identity": {"type": None}}).status == 400  # a type is required
    assert call(sim, "PATCH", SEARCH, "2025-05-01", {"identity": {"principalId": "x"}}).status == 400
    assert call(sim, "PATCH", SEARCH, "2025-05-01", {"identity": {"type": "None"}}).status == 200
    with_options = {"properties": {"disableLocalAuth": False, "authOptions": {"apiKeyOnly": {}}}}
    assert call(sim, "PATCH", SEARCH, "2025-05-01", with_options).status == 200
    both = {"properties": {"disableLocalAuth": True, "authOptions": {"apiKeyOnly": {}}}}
    assert call(sim, "PATCH", SEARCH, "2025-05-01", both).status == 400  # mutually exclusive
    # Microsoft's example SearchUpdateServiceDisableLocalAuth: `disableLocalAuth: true` alone, and the
    # service answers `"authOptions": null`.
    fixed = call(sim, "PATCH", SEARCH, "2025-05-01", {"properties": {"disableLocalAuth": True}})
    assert fixed.status == 200
    assert json.loads(fixed.body)["properties"]["authOptions"] is None
    assert json.loads(call(sim, "GET", SEARCH, "2025-05-01").body)["properties"]["authOptions"] is None


def test_a_null_in_a_patch_changes_nothing() -> None:
    # The providers deserialize a PATCH into their models, where null and absent are one (the SDK
    # clients never send a null): `"publicNetworkAccess": null` leaves it as it was.
    sim = Simulator(estate())
    assert call(sim, "PATCH", ACCOUNT, "2025-09-01", {"properties": {"publicNetworkAccess": "Enabled"}}).status in (200, 202)
    assert call(sim, "PATCH", ACCOUNT, "2025-09-01", {"properties": {"publicNetworkAccess": None}}).status in (200, 202)
    assert json.loads(call(sim, "GET", ACCOUNT, "2025-09-01").body)["properties"]["publicNetworkAccess"] == "Enabled"
    with_options = {"properties": {"disableLocalAuth": False, "authOptions": {"apiKeyOnly": {}}}}
    assert call(sim, "PATCH", SEARCH, "2025-05-01", with_options).status == 200
    assert call(sim, "PATCH", SEARCH, "2025-05-01", {"properties": {"authOptions": None}}).status == 200
    assert json.loads(call(sim, "GET", SEARCH, "2025-05-01").body)["properties"]["authOptions"] == {"apiKeyOnly": {}}


def test_a_free_tier_search_service_takes_no_managed_identity() -> None:
    # Search docs: managed identities need the Basic tier or higher; a tier never changes in place.
    e = estate()
    free = b.search_service(SUB, RG, "free", sku="free", identity=False)
    e.put(free)
    sim = Simulator(e)
    refused = call(sim, "PATCH", free["id"], "2025-05-01", {"identity": {"type": "SystemAssigned"}})
    assert refused.status == 400
    assert "free" in json.loads(refused.body)["error"]["message"]
    assert "identity" not in json.loads(call(sim, "GET", free["id"], "2025-05-01").body)
    assert call(sim, "PATCH", free["id"], "2025-05-01", {"identity": {"type": "None"}}).status == 200
    # Basic takes one; the service creates its principal.
    sim.estate.put(b.search_service(SUB, RG, "basic", sku="basic", identity=False))
    basic = f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Search/searchServices/basic"
    answer = call(sim, "PATCH", basic, "2025-05-01", {"identity": {"type": "SystemAssigned"}})
    assert answer.status == 200
    assert json.loads(answer.body)["identity"]["principalId"]


def test_machine_learning_2025_06_01_takes_every_value_its_enums_declare() -> None:
    # workspaceRP.json 2025-06-01: SystemDatastoresAuthMode, IsolationMode, ManagedNetworkKind, FirewallSku.
    sim = Simulator(estate())
    for props in (
        {"systemDatastoresAuthMode": "UserDelegationSAS"},
        {"systemDatastoresAuthMode": "AccessKey"},
        {"managedNetwork": {"isolationMode": "AllowOnlyApprovedOutbound", "managedNetworkKind": "V2", "firewallSku": "Basic"}},
        {"managedNetwork": {"isolationMode": "AllowInternetOutbound", "managedNetworkKind": "V1", "status": {"status": "Active"}}},
    ):
        answer = call(sim, "PATCH", WORKSPACE, "2025-06-01", {"properties": props})
        assert answer.status in (200, 202), (props, answer.body)
    assert call(sim, "PATCH", WORKSPACE, "2025-06-01", {"properties": {"systemDatastoresAuthMode": "Anonymous"}}).status == 400
    assert call(sim, "PATCH", WORKSPACE, "2025-06-01", {"properties": {"managedNetwork": {"managedNetworkKind": "V3"}}}).status == 400


# --- deployments and RAI policies ------------------------------------------------------------------------


def test_deployment_put_replaces_and_ignores_read_only_and_patch_takes_only_sku_and_tags() -> None:
    sim = Simulator(estate())
    deployment = f"{ACCOUNT}/deployments/gpt-4o"
    current = json.loads(call(sim, "GET", deployment, "2025-09-01").body)
    current["tags"] = {"owner": "ml-team"}
    call(sim, "PUT", deployment, "2025-09-01", {"sku": current["sku"], "tags": current["tags"], "properties": current["properties"]})
    body = {
        "sku": current["sku"],
        "properties": {**current["properties"], "capabilities": {"x": "y"}, "raiPolicyName": "Microsoft.Default"},
    }
    replaced = json.loads(call(sim, "PUT", deployment, "2025-09-01", body).body)
    assert "tags" not in replaced  # a PUT replaces: tags not sent are gone
    assert replaced["properties"]["capabilities"] == current["properties"]["capabilities"]  # read-only: ignored
    assert replaced["properties"]["raiPolicyName"] == "Microsoft.Default"
    patched = call(sim, "PATCH", deployment, "2025-09-01", {"properties": {"raiPolicyName": "strict"}, "tags": {"a": "b"}})
    assert patched.status in (200, 202)
    after = json.loads(call(sim, "GET", deployment, "2025-09-01").body)
    assert after["tags"] == {"a": "b"}
    assert after["properties"]["raiPolicyName"] == "Microsoft.Default"


def test_rai_policies_take_put_only_and_their_type_is_read_only() -> None:
    sim = Simulator(estate())
    policy = f"{ACCOUNT}/raiPolicies/strict"
    assert call(sim, "PATCH", policy, "2025-09-01", {"properties": {"mode": "Blocking"}}).status == 405
    current = json.loads(call(sim, "GET", policy, "2025-09-01").body)
    body = {"properties": {**current["properties"], "type": "SystemManaged"}}
    assert json.loads(call(sim, "PUT", policy, "2025-09-01", body).body)["properties"]["type"] == "UserManaged"


def test_every_account_serves_microsofts_built_in_rai_policies_as_system_managed() -> None:
    """Microsoft.Default and Microsoft.DefaultV2 exist on every account without being created: GET and
    list return them (`properties.type` SystemManaged, as the SDK's RaiPolicyProperties reads it)."""
    sim = Simulator(estate())
    cs = connection(sim).client(CognitiveServicesManagementClient, subscription_id=SUB)
    default = cs.rai_policies.get(RG, "oai", "Microsoft.Default")
    assert default.properties.type == "SystemManaged"
    assert not [f for f in default.properties.content_filters if f.name == "Jailbreak"]
    v2 = cs.rai_policies.get(RG, "oai", "microsoft.defaultv2")
    assert v2.name == "Microsoft.DefaultV2"
    assert [(f.enabled, f.blocking) for f in v2.properties.content_filters if f.name == "Jailbreak"] == [(True, True)]
    listed = {p.name: p.properties.type for p in cs.rai_policies.list(RG, "oai")}
    assert listed == {"strict": "UserManaged", "Microsoft.Default": "SystemManaged", "Microsoft.DefaultV2": "SystemManaged"}
    assert call(sim, "GET", f"{ACCOUNT}/raiPolicies/Microsoft.Other", "2025-09-01").status == 404
    missing = ACCOUNT.replace("/oai", "/gone")
    assert call(sim, "GET", f"{missing}/raiPolicies/Microsoft.Default", "2025-09-01").status == 404


# --- authorization ---------------------------------------------------------------------------------------


def test_custom_role_definitions_live_at_their_scope_not_at_the_tenant_path() -> None:
    sim = Simulator(estate())
    sim.estate.put(role_definition("8e3af657-a8ff-443c-a75c-2fe8c4bcb635"))
    custom = "0d0d0d0d-0000-4000-8000-00000000c0de"
    sim.estate.put(
        {
            "id": f"/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/{custom}",
            "name": custom,
            "type": "Microsoft.Authorization/roleDefinitions",
            "properties": {
                "roleName": "AI wildcard",
                "type": "CustomRole",
                "assignableScopes": [f"/subscriptions/{SUB}"],
                "permissions": [{"actions": ["*"]}],
            },
        }
    )
    at = "/providers/Microsoft.Authorization/roleDefinitions/"
    assert call(sim, "GET", f"/subscriptions/{SUB}{at}{custom}", "2022-04-01").status == 200
    assert call(sim, "GET", f"{at}{custom}", "2022-04-01").status == 404
    assert call(sim, "GET", f"{at}8e3af657-a8ff-443c-a75c-2fe8c4bcb635", "2022-04-01").status == 200  # built-ins answer anywhere
    assert call(sim, "GET", f"/subscriptions/{SUB}{at}8e3af657-a8ff-443c-a75c-2fe8c4bcb635", "2022-04-01").status == 200


# --- operations Azure does not have, and bodies ----------------------------------------------------------


def test_operations_azure_does_not_have_are_refused_with_arms_envelope() -> None:
    sim = Simulator(estate())
    assert error_code(call(sim, "GET", ACCOUNT, "2019-01-01")) == "NoRegisteredProviderFound"
    assert error_code(call(sim, "PATCH", f"{ACCOUNT}/raiPolicies/strict", "2025-09-01", {})) == "MethodNotAllowed"
    assert error_code(call(sim, "GET", f"{ACCOUNT}/noSuchChildren", "2025-09-01")) == "InvalidResourceType"
    bad = call(sim, "PATCH", ACCOUNT, "2025-09-01", {"properties": {"disableLocalAuth": "yes"}})
    assert bad.status == 400
    assert json.loads(bad.body)["error"]["target"] == "$.properties.disableLocalAuth"
    ignored = call(sim, "PATCH", ACCOUNT, "2025-09-01", {"properties": {"publicNetworkAccessX": "Disabled", "endpoint": "https://evil"}})
    assert ignored.status in (200, 202)
    after = sim.estate.get(ACCOUNT)
    assert after is not None
    assert "publicNetworkAccessX" not in after["properties"]
    assert after["properties"]["endpoint"] != "https://evil"
    assert call(sim, "PUT", f"{ACCOUNT}/defenderForAISettings/Default", "2025-09-01", {"properties": {"state": "On"}}).status == 400


def test_the_real_clients_answers_deserialize() -> None:
    sim = Simulator(estate())
    cs = connection(sim).client(CognitiveServicesManagementClient, subscription_id=SUB)
    assert [d.name for d in cs.deployments.list(RG, "oai")] == ["gpt-4o"]
    with pytest.raises(HttpResponseError):
        cs.accounts.list_keys(RG, "missing")


# --- throttling ------------------------------------------------------------------------------------------


def test_arm_reads_are_a_token_bucket_per_principal_and_subscription() -> None:
    now = [0.0]
    sim = Simulator(estate(), throttling=Throttle(Limits(reads=(3, 1)), clock=lambda: now[0]))
    answers = [call(sim, "GET", ACCOUNT, "2025-09-01") for _ in range(4)]
    assert [a.status for a in answers] == [200, 200, 200, 429]
    assert answers[0].headers["x-ms-ratelimit-remaining-subscription-reads"] == "2"
    assert answers[3].headers["Retry-After"] == "1"
    assert error_code(answers[3]) == "SubscriptionRequestsThrottled"
    now[0] += 1.0
    assert call(sim, "GET", ACCOUNT, "2025-09-01").status == 200  # refilled 1 a second
    assert call(sim, "PATCH", ACCOUNT, "2025-09-01", {"tags": {}}).status == 202  # writes have their own bucket
    other = Throttle().arm("someone-else", SUB, "GET")
    assert other.allowed


def test_resource_graph_allows_fifteen_queries_per_five_seconds_per_user() -> None:
    now = [0.0]
    sim = Simulator(estate(), throttling=Throttle(clock=lambda: now[0]))
    body = json.dumps({"subscriptions": [SUB], "query": "resources | project id"}).encode()
    answers = [sim.handle("POST", "/providers/Microsoft.ResourceGraph/resources", "api-version=2024-04-01", HDR, body) for _ in range(16)]
    assert [a.status for a in answers].count(200) == 15
    assert answers[-1].status == 429
    assert answers[0].headers["x-ms-user-quota-remaining"] == "14"
    assert answers[-1].headers["x-ms-user-quota-resets-after"] == "00:00:05"
    now[0] += 5.0
    assert sim.handle("POST", "/providers/Microsoft.ResourceGraph/resources", "api-version=2024-04-01", HDR, body).status == 200


def test_private_endpoints_are_served_as_the_network_types_declare_them() -> None:
    # Microsoft.Network/privateEndpoints 2024-05-01 (PrivateEndpoints_Get): the subnet is a reference on
    # the endpoint (properties.subnet.id), which the connection on the account does not carry.
    from driftguard.azure.connection import RawArm
    from driftguard.azure.writes import ArmWriter
    from simulator import sample

    sim = Simulator(sample.build())
    conn = ArmConnection(
        BASE_URL, StaticTokenCredential("sim:d1d1d1d1-0000-4000-8000-000000000001"), session=in_process_session(sim), polling_interval=0
    )
    reader = ArmWriter(RawArm(conn), BASE_URL)
    # The sample's approved private endpoint exists as a resource.
    found = reader.read(sample.FOREIGN_PE, "2024-05-01")
    assert found is not None
    assert found["properties"]["subnet"]["id"].endswith("/virtualNetworks/vnet-partner/subnets/snet-pe")
    assert reader.read(sample.FOREIGN_PE.replace("pe-partner", "pe-none"), "2024-05-01") is None
    with pytest.raises(Exception, match="NoRegisteredProviderFound"):
        reader.read(sample.FOREIGN_PE, "2019-01-01")
    assert catalog().find("PrivateEndpoints.get").method == "GET"
