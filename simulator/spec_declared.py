"""Operations declared by hand from Microsoft's REST specs, where no installable package carries the
api-version DriftGuard pins:

- Machine Learning `2025-06-01` (`specification/machinelearningservices/resource-manager/
  Microsoft.MachineLearningServices/stable/2025-06-01/workspaceRP.json`): the workspace operations and
  the properties the update model declares. Workspaces have `listKeys` and `resyncKeys`, and no key
  regeneration. A workspace PUT body's `properties` are typed loosely (the simulator only ever
  receives DriftGuard's PATCHes and the peers' reads).
- Private endpoints `2024-05-01` (`specification/network/resource-manager/Microsoft.Network/stable/
  2024-05-01/privateEndpoint.json`, `PrivateEndpoints_Get`; the shape as `../shared/corpus/bicep-types/
  network_microsoft.network_2024-05-01.json` declares `Microsoft.Network/privateEndpoints`): GET only,
  which is all DriftGuard does with them (no azure-mgmt-network is installed here).
- Diagnostic settings `2021-05-01-preview` (`specification/monitor/resource-manager/Microsoft.Insights/
  preview/2021-05-01-preview/diagnosticsSettings_API.json`).

Each is written in the structures `simulator.spec` derives from the packages, so they are held to the
same checks. What cannot be checked offline here is whether these lists are complete; they hold every
operation and property the product or its tests use.
"""

from __future__ import annotations

from simulator.spec import Field, Operation, Schema

ML_VERSION = "2025-06-01"
DIAGNOSTICS_VERSION = "2021-05-01-preview"
ML = "declared: machinelearningservices 2025-06-01 REST spec"
MONITOR = "declared: monitor diagnosticsSettings 2021-05-01-preview REST spec"
WORKSPACE = "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.MachineLearningServices/workspaces/{workspaceName}"


def _obj(schema_name: str, /, **fields: Field) -> Schema:
    return Schema(schema_name, dict(fields))


def _s(*, enum: tuple[str, ...] | None = None, readonly: bool = False, required: bool = False) -> Field:
    return Field("str", enum=enum, readonly=readonly, required=required)


def _b(*, required: bool = False) -> Field:
    return Field("bool", required=required)


TAGS = Field("str", container="{...}")
ANY = Field("object")

MANAGED_IDENTITY = _obj(
    "ManagedServiceIdentity",
    type=_s(enum=("None", "SystemAssigned", "UserAssigned", "SystemAssigned,UserAssigned"), required=True),
    principalId=_s(readonly=True),
    tenantId=_s(readonly=True),
    userAssignedIdentities=Field("object", container="{...}"),
)
SKU = _obj(
    "Sku", name=_s(required=True), tier=_s(enum=("Free", "Basic", "Standard", "Premium")), size=_s(), family=_s(), capacity=Field("int")
)
# Enums as the 2025-06-01 spec declares them (`ManagedNetworkSettings`, `ManagedNetworkProvisionStatus`):
# every value the spec lists is accepted, so a valid workspace is never refused for one.
MANAGED_NETWORK = _obj(
    "ManagedNetworkSettings",
    isolationMode=_s(enum=("Disabled", "AllowInternetOutbound", "AllowOnlyApprovedOutbound")),
    managedNetworkKind=_s(enum=("V1", "V2")),
    networkId=_s(readonly=True),
    outboundRules=Field("object", container="{...}"),
    status=Field(_obj("ManagedNetworkProvisionStatus", sparkReady=_b(), status=_s(enum=("Active", "Inactive")))),
    firewallSku=_s(enum=("Standard", "Basic")),
    firewallPublicIpAddress=_s(),
    changeableIsolationModes=Field("str", readonly=True, container="[...]"),
)
WORKSPACE_UPDATE_PROPERTIES = _obj(
    "WorkspacePropertiesUpdateParameters",
    allowRoleAssignmentOnRG=_b(),
    applicationInsights=_s(),
    containerRegistry=_s(),
    description=_s(),
    enableDataIsolation=_b(),
    enableSoftwareBillOfMaterials=_b(),
    encryption=ANY,
    featureStoreSettings=ANY,
    friendlyName=_s(),
    imageBuildCompute=_s(),
    ipAllowlist=Field("str", container="[...]"),
    managedNetwork=Field(MANAGED_NETWORK),
    networkAcls=ANY,
    primaryUserAssignedIdentity=_s(),
    publicNetworkAccess=_s(enum=("Enabled", "Disabled")),
    serverlessComputeSettings=ANY,
    serviceManagedResourcesSettings=ANY,
    # `SystemDatastoresAuthMode` in the 2025-06-01 spec: all three values.
    systemDatastoresAuthMode=_s(enum=("AccessKey", "Identity", "UserDelegationSAS")),
    v1LegacyMode=_b(),
)
WORKSPACE_UPDATE = _obj(
    "WorkspaceUpdateParameters",
    identity=Field(MANAGED_IDENTITY),
    properties=Field(WORKSPACE_UPDATE_PROPERTIES),
    sku=Field(SKU),
    tags=TAGS,
)
WORKSPACE_BODY = _obj(
    "Workspace",
    id=_s(readonly=True),
    name=_s(readonly=True),
    type=_s(readonly=True),
    systemData=Field("object", readonly=True),
    identity=Field(MANAGED_IDENTITY),
    kind=_s(),
    location=_s(),
    properties=ANY,
    sku=Field(SKU),
    tags=TAGS,
)
CONNECTION_STATE = _obj(
    "PrivateLinkServiceConnectionState",
    status=_s(enum=("Approved", "Pending", "Rejected", "Disconnected", "Timeout")),
    description=_s(),
    actionsRequired=_s(),
)
ML_CONNECTION = _obj(
    "PrivateEndpointConnection",
    id=_s(readonly=True),
    name=_s(readonly=True),
    type=_s(readonly=True),
    systemData=Field("object", readonly=True),
    identity=Field(MANAGED_IDENTITY),
    location=_s(),
    sku=Field(SKU),
    tags=TAGS,
    properties=Field(
        _obj(
            "PrivateEndpointConnectionProperties",
            privateEndpoint=ANY,
            privateLinkServiceConnectionState=Field(CONNECTION_STATE),
            provisioningState=_s(readonly=True),
        )
    ),
)

RETENTION = _obj("RetentionPolicy", enabled=_b(required=True), days=Field("int", required=True))
DIAGNOSTIC_SETTING = _obj(
    "DiagnosticSettingsResource",
    id=_s(readonly=True),
    name=_s(readonly=True),
    type=_s(readonly=True),
    systemData=Field("object", readonly=True),
    properties=Field(
        _obj(
            "DiagnosticSettings",
            storageAccountId=_s(),
            serviceBusRuleId=_s(),
            eventHubAuthorizationRuleId=_s(),
            eventHubName=_s(),
            metrics=Field(
                _obj("MetricSettings", timeGrain=_s(), category=_s(), enabled=_b(required=True), retentionPolicy=Field(RETENTION)),
                container="[...]",
            ),
            logs=Field(
                _obj("LogSettings", category=_s(), categoryGroup=_s(), enabled=_b(required=True), retentionPolicy=Field(RETENTION)),
                container="[...]",
            ),
            workspaceId=_s(),
            marketplacePartnerId=_s(),
            logAnalyticsDestinationType=_s(),
        )
    ),
)
NETWORK_VERSION = "2024-05-01"
NETWORK = "declared: network 2024-05-01 REST spec (privateEndpoint.json), bicep types network 2024-05-01"
PRIVATE_ENDPOINT = (
    "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Network/privateEndpoints/{privateEndpointName}"
)
DIAGNOSTICS = "/{resourceUri}/providers/Microsoft.Insights/diagnosticSettings"
GREEDY = frozenset({"resourceUri"})

OPERATIONS: tuple[Operation, ...] = (
    Operation("Workspaces.get", "GET", WORKSPACE, ML_VERSION, (200,), source=ML),
    Operation("Workspaces.begin_create_or_update", "PUT", WORKSPACE, ML_VERSION, (200, 202), WORKSPACE_BODY, lro=True, source=ML),
    Operation("Workspaces.begin_update", "PATCH", WORKSPACE, ML_VERSION, (200, 202), WORKSPACE_UPDATE, lro=True, source=ML),
    Operation("Workspaces.begin_delete", "DELETE", WORKSPACE, ML_VERSION, (200, 202, 204), lro=True, source=ML),
    Operation(
        "Workspaces.list_by_resource_group",
        "GET",
        "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.MachineLearningServices/workspaces",
        ML_VERSION,
        (200,),
        source=ML,
    ),
    Operation(
        "Workspaces.list_by_subscription",
        "GET",
        "/subscriptions/{subscriptionId}/providers/Microsoft.MachineLearningServices/workspaces",
        ML_VERSION,
        (200,),
        source=ML,
    ),
    Operation("Workspaces.list_keys", "POST", WORKSPACE + "/listKeys", ML_VERSION, (200,), source=ML),
    Operation("Workspaces.begin_resync_keys", "POST", WORKSPACE + "/resyncKeys", ML_VERSION, (200, 202), lro=True, source=ML),
    Operation(
        "PrivateEndpointConnections.get",
        "GET",
        WORKSPACE + "/privateEndpointConnections/{privateEndpointConnectionName}",
        ML_VERSION,
        (200,),
        source=ML,
    ),
    Operation(
        "PrivateEndpointConnections.create_or_update",
        "PUT",
        WORKSPACE + "/privateEndpointConnections/{privateEndpointConnectionName}",
        ML_VERSION,
        (200,),
        ML_CONNECTION,
        source=ML,
    ),
    Operation("PrivateEndpoints.get", "GET", PRIVATE_ENDPOINT, NETWORK_VERSION, (200,), source=NETWORK),
    Operation("DiagnosticSettings.list", "GET", DIAGNOSTICS, DIAGNOSTICS_VERSION, (200,), greedy=GREEDY, source=MONITOR),
    Operation("DiagnosticSettings.get", "GET", DIAGNOSTICS + "/{name}", DIAGNOSTICS_VERSION, (200,), greedy=GREEDY, source=MONITOR),
    Operation(
        "DiagnosticSettings.create_or_update",
        "PUT",
        DIAGNOSTICS + "/{name}",
        DIAGNOSTICS_VERSION,
        (200,),
        DIAGNOSTIC_SETTING,
        greedy=GREEDY,
        source=MONITOR,
    ),
    Operation(
        "DiagnosticSettings.delete", "DELETE", DIAGNOSTICS + "/{name}", DIAGNOSTICS_VERSION, (200, 204), greedy=GREEDY, source=MONITOR
    ),
)
