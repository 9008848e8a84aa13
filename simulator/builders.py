"""ARM JSON for each simulated resource type, in the shapes of Microsoft's REST examples.

Every builder returns a full object as a GET returns it (etag, systemData, provisioning state, the
service's documented properties); `drift` switches the security settings to their unsafe values.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

JSON = dict[str, Any]
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
ETAG = "W/\"datetime'2025-10-01T08%3A00%3A05.445595Z'\""


def _system_data() -> JSON:
    return {
        "createdBy": "platform-team@contoso.com",
        "createdByType": "User",
        "createdAt": "2025-03-01T10:00:00.000Z",
        "lastModifiedBy": "platform-team@contoso.com",
        "lastModifiedByType": "User",
        "lastModifiedAt": "2025-10-01T08:00:00.000Z",
    }


def rg_id(sub: str, rg: str) -> str:
    return f"/subscriptions/{sub}/resourceGroups/{rg}"


def cognitive_account(
    sub: str,
    rg: str,
    name: str,
    *,
    kind: str = "OpenAI",
    location: str = "eastus",
    public: bool = False,
    local_auth: bool = False,
    outbound_restricted: bool = True,
    fqdns: list[str] | None = None,
    identity: bool = True,
    ip_rules: list[str] | None = None,
    default_action: str = "Deny",
    user_owned_storage: list[str] | None = None,
    tags: JSON | None = None,
    cmk: bool = False,
    private_endpoints: list[str] | None = None,
) -> JSON:
    rid = f"{rg_id(sub, rg)}/providers/Microsoft.CognitiveServices/accounts/{name}"
    props: JSON = {
        "endpoint": f"https://{name}.openai.azure.com/",
        "internalId": "c4ef3b0b9f8b4e4c9d8a0f1e2d3c4b5a",
        "dateCreated": "2025-03-01T10:00:00.0000000Z",
        "customSubDomainName": name,
        "provisioningState": "Succeeded",
        "publicNetworkAccess": "Enabled" if public else "Disabled",
        "networkAcls": {
            "defaultAction": default_action,
            "ipRules": [{"value": v} for v in (ip_rules or [])],
            "virtualNetworkRules": [],
            "bypass": "AzureServices",
        },
        "disableLocalAuth": not local_auth,
        "restrictOutboundNetworkAccess": outbound_restricted,
        "allowedFqdnList": list(fqdns if fqdns is not None else ["contoso-docs.search.windows.net"]),
        "privateEndpointConnections": [
            {
                "id": f"{rid}/privateEndpointConnections/pe-{i}",
                "name": f"pe-{i}",
                "type": "Microsoft.CognitiveServices/accounts/privateEndpointConnections",
                "properties": {
                    "privateEndpoint": {"id": pe},
                    "privateLinkServiceConnectionState": {"status": "Approved", "description": "Auto-Approved", "actionsRequired": "None"},
                    "groupIds": ["account"],
                    "provisioningState": "Succeeded",
                },
            }
            for i, pe in enumerate(private_endpoints or [])
        ],
        "capabilities": [{"name": "VirtualNetworks"}, {"name": "CustomerManagedKey"}],
        "isMigrated": False,
    }
    if cmk:
        props["encryption"] = {
            "keySource": "Microsoft.KeyVault",
            "keyVaultProperties": {
                "keyName": "ai-cmk",
                "keyVaultUri": "https://kv-contoso-ai.vault.azure.net/",
                "keyVersion": "891cf236d2414738",
            },
        }
    else:
        props["encryption"] = {"keySource": "Microsoft.CognitiveServices"}
    if user_owned_storage:
        props["userOwnedStorage"] = [{"resourceId": s} for s in user_owned_storage]
    account: JSON = {
        "id": rid,
        "name": name,
        "type": "Microsoft.CognitiveServices/accounts",
        "location": location,
        "sku": {"name": "S0"},
        "kind": kind,
        "tags": dict(tags or {}),
        "etag": ETAG,
        "properties": props,
        "systemData": _system_data(),
    }
    if identity:
        account["identity"] = {"type": "SystemAssigned", "principalId": "b5cf119e-a5c2-42c7-802f-592e0efb169f", "tenantId": TENANT}
    return account


def deployment(
    account_id: str,
    name: str,
    *,
    model: str = "gpt-4o",
    version: str = "2024-08-06",
    rai_policy: str | None = "Microsoft.DefaultV2",
    upgrade: str = "NoAutoUpgrade",
) -> JSON:
    props: JSON = {
        "model": {"format": "OpenAI", "name": model, "version": version},
        "versionUpgradeOption": upgrade,
        "provisioningState": "Succeeded",
        # Embedding models take embeddings requests, not chat ones (what a canary probe looks for).
        "capabilities": {"embeddings": "true"} if "embedding" in model else {"chatCompletion": "true"},
        "currentCapacity": 10,
    }
    if rai_policy is not None:
        props["raiPolicyName"] = rai_policy
    return {
        "id": f"{account_id}/deployments/{name}",
        "name": name,
        "type": "Microsoft.CognitiveServices/accounts/deployments",
        "sku": {"name": "Standard", "capacity": 10},
        "properties": props,
        "systemData": _system_data(),
        "etag": '"00000000-0000-0000-0000-000000000001"',
    }


def rai_policy(account_id: str, name: str, *, jailbreak: bool = True, indirect: bool = True, harm_threshold: str = "Medium") -> JSON:
    filters: list[JSON] = [
        {"name": harm, "blocking": True, "enabled": True, "severityThreshold": harm_threshold, "source": source}
        for harm in ("Hate", "Sexual", "Selfharm", "Violence")
        for source in ("Prompt", "Completion")
    ]
    filters += [
        {"name": "Jailbreak", "blocking": jailbreak, "source": "Prompt", "enabled": jailbreak},
        {"name": "Indirect Attack", "blocking": indirect, "source": "Prompt", "enabled": indirect},
        {"name": "Protected Material Text", "blocking": True, "source": "Completion", "enabled": True},
        {"name": "Protected Material Code", "blocking": True, "source": "Completion", "enabled": True},
    ]
    return {
        "id": f"{account_id}/raiPolicies/{name}",
        "name": name,
        "type": "Microsoft.CognitiveServices/accounts/raiPolicies",
        "etag": '"00000000-0000-0000-0000-000000000002"',
        "properties": {"basePolicyName": "Microsoft.Default", "mode": "Blocking", "type": "UserManaged", "contentFilters": filters},
        "systemData": _system_data(),
    }


# Microsoft's built-in RAI policies, which every Azure OpenAI / AI Services account has (GET and list
# return them beside the custom ones): `properties.type` SystemManaged (read-only in the SDK's
# RaiPolicyProperties), never written. Microsoft.Default filters the four harm categories at Medium on
# prompts and completions; Microsoft.DefaultV2 adds Prompt Shields for jailbreak and protected material.
BUILT_IN_RAI_POLICIES = ("Microsoft.Default", "Microsoft.DefaultV2")


def built_in_rai_policy(account_id: str, name: str) -> JSON:
    filters: list[JSON] = [
        {"name": harm, "blocking": True, "enabled": True, "severityThreshold": "Medium", "source": source}
        for harm in ("Hate", "Sexual", "Selfharm", "Violence")
        for source in ("Prompt", "Completion")
    ]
    if name.lower() == "microsoft.defaultv2":
        filters += [
            {"name": "Jailbreak", "blocking": True, "source": "Prompt", "enabled": True},
            {"name": "Protected Material Text", "blocking": True, "source": "Completion", "enabled": True},
            {"name": "Protected Material Code", "blocking": False, "source": "Completion", "enabled": True},
        ]
    return {
        "id": f"{account_id}/raiPolicies/{name}",
        "name": name,
        "type": "Microsoft.CognitiveServices/accounts/raiPolicies",
        "properties": {"mode": "Blocking", "type": "SystemManaged", "contentFilters": filters},
    }


def defender_setting(account_id: str, *, enabled: bool = True) -> JSON:
    return {
        "id": f"{account_id}/defenderForAISettings/Default",
        "name": "Default",
        "type": "Microsoft.CognitiveServices/accounts/defenderForAISettings",
        "properties": {"state": "Enabled" if enabled else "Disabled"},
        "systemData": _system_data(),
        "etag": '"00000000-0000-0000-0000-000000000000"',
    }


def workspace(
    sub: str,
    rg: str,
    name: str,
    *,
    kind: str = "Hub",
    public: bool = False,
    isolation: str | None = "AllowOnlyApprovedOutbound",
    datastore_auth: str | None = "Identity",
    storage: str | None = None,
    hub_id: str | None = None,
    location: str = "eastus2",
    user_assigned: str | None = None,
    private_endpoint: str | None = None,
    cmk: bool = False,
) -> JSON:
    rid = f"{rg_id(sub, rg)}/providers/Microsoft.MachineLearningServices/workspaces/{name}"
    props: JSON = {
        "friendlyName": name,
        "description": f"{kind} workspace",
        "keyVault": f"{rg_id(sub, rg)}/providers/Microsoft.KeyVault/vaults/kv-{name}"[:200],
        "applicationInsights": f"{rg_id(sub, rg)}/providers/microsoft.insights/components/appi-{name}",
        "containerRegistry": f"{rg_id(sub, rg)}/providers/Microsoft.ContainerRegistry/registries/acr{name.replace('-', '')}",
        "storageAccount": storage or f"{rg_id(sub, rg)}/providers/Microsoft.Storage/storageAccounts/st{name.replace('-', '')}"[:200],
        "discoveryUrl": f"https://{location}.api.azureml.ms/discovery",
        "hbiWorkspace": False,
        "allowPublicAccessWhenBehindVnet": False,
        "publicNetworkAccess": "Enabled" if public else "Disabled",
        "provisioningState": "Succeeded",
        "privateLinkCount": 0,
        "privateEndpointConnections": [],
        "sharedPrivateLinkResources": [],
        "v1LegacyMode": False,
    }
    props["serviceProvisionedResourceGroup"] = f"{name}_{uuid_like(name)}"
    props["imageBuildCompute"] = ""
    props["encryption"] = {
        "status": "Enabled" if cmk else "Disabled",
        "identity": {"userAssignedIdentity": user_assigned or ""},
        "keyVaultProperties": {
            "keyVaultArmId": props["keyVault"] if cmk else "",
            "keyIdentifier": f"https://kv-{name}.vault.azure.net/keys/ws/0123456789abcdef" if cmk else "",
            "identityClientId": "",
        },
    }
    if private_endpoint:
        props["privateEndpointConnections"].append(
            {
                "id": f"{rid}/privateEndpointConnections/pe-0",
                "name": "pe-0",
                "type": "Microsoft.MachineLearningServices/workspaces/privateEndpointConnections",
                "properties": {
                    "provisioningState": "Succeeded",
                    "privateEndpoint": {"id": private_endpoint},
                    "privateLinkServiceConnectionState": {"status": "Approved", "description": "Auto-Approved", "actionsRequired": "None"},
                },
            }
        )
        props["privateLinkCount"] = 1
        props["sharedPrivateLinkResources"].append(
            {
                "name": "cosmos",
                "properties": {
                    "privateLinkResourceId": private_endpoint,
                    "groupId": "Sql",
                    "requestMessage": "Please approve",
                    "status": "Approved",
                },
            }
        )
    if isolation is not None:
        props["managedNetwork"] = {
            "isolationMode": isolation,
            "networkId": uuid_like(name + "-net"),
            "outboundRules": {"required-fqdn": {"type": "FQDN", "destination": "pypi.org", "status": "Active", "category": "Required"}},
            "status": {"status": "Active", "sparkReady": False},
        }
    if datastore_auth is not None:
        props["systemDatastoresAuthMode"] = datastore_auth
    if hub_id:
        props["hubResourceId"] = hub_id
    return {
        "id": rid,
        "name": name,
        "type": "Microsoft.MachineLearningServices/workspaces",
        "location": location,
        "kind": kind,
        "sku": {"name": "Basic", "tier": "Basic"},
        "tags": {},
        "identity": _identity(user_assigned),
        "properties": props,
        "systemData": _system_data(),
    }


def uuid_like(seed: str) -> str:
    """A stable GUID-shaped string for ids the service generates."""
    h = hashlib.sha256(seed.encode()).hexdigest()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-8{h[17:20]}-{h[20:32]}"


def _identity(user_assigned: str | None) -> JSON:
    identity: JSON = {"principalId": "3fa1b2c4-1111-4222-8333-444455556666", "tenantId": TENANT, "type": "SystemAssigned"}
    if user_assigned:
        identity["type"] = "SystemAssigned,UserAssigned"
        identity["userAssignedIdentities"] = {
            user_assigned: {"principalId": uuid_like(user_assigned), "clientId": uuid_like(user_assigned + "c")}
        }
    return identity


_FILTER_CATALOG = (
    ("Hate", "Hate", True, None),
    ("Sexual", "Sexual", True, None),
    ("Violence", "Violence", True, None),
    ("Selfharm", "Selfharm", True, None),
    ("Jailbreak", "Jailbreak", False, "Prompt"),
    ("IndirectAttack", "Indirect Attack", False, "Prompt"),
    ("ProtectedMaterialText", "Protected Material Text", False, "Completion"),
    ("ProtectedMaterialCode", "Protected Material Code", False, "Completion"),
)


def rai_content_filters(sub: str, location: str) -> list[JSON]:
    """The location-level catalog of content filters (`locations/{location}/raiContentFilters`)."""
    out: list[JSON] = []
    for name, display, multi, source in _FILTER_CATALOG:
        props: JSON = {"name": display, "isMultiLevelFilter": multi}
        if source:
            props["source"] = source
        out.append(
            {
                "id": f"/subscriptions/{sub}/providers/Microsoft.CognitiveServices/locations/{location}/raiContentFilters/{name}",
                "type": "Microsoft.CognitiveServices/locations/raiContentFilters",
                "name": name,
                "properties": props,
            }
        )
    return out


def search_service(
    sub: str,
    rg: str,
    name: str,
    *,
    public: bool = False,
    local_auth: bool = False,
    ip_rules: list[str] | None = None,
    sku: str = "standard",
    identity: bool = True,
    location: str = "westus",
) -> JSON:
    service: JSON = {
        "id": f"{rg_id(sub, rg)}/providers/Microsoft.Search/searchServices/{name}",
        "name": name,
        "location": location,
        "type": "Microsoft.Search/searchServices",
        "tags": {},
        "sku": {"name": sku},
        "properties": {
            "replicaCount": 1,
            "partitionCount": 1,
            "endpoint": f"https://{name}.search.windows.net/",
            "status": "running",
            "statusDetails": "",
            "hostingMode": "Default",
            "computeType": "Default",
            "provisioningState": "succeeded",
            "publicNetworkAccess": "Enabled" if public else "Disabled",
            "networkRuleSet": {"ipRules": [{"value": v} for v in (ip_rules or [])], "bypass": "None"},
            "privateEndpointConnections": [],
            "sharedPrivateLinkResources": [],
            "encryptionWithCmk": {"enforcement": "Unspecified", "encryptionComplianceStatus": "Compliant"},
            "disableLocalAuth": not local_auth,
            "authOptions": {"apiKeyOnly": {}} if local_auth else None,
            "dataExfiltrationProtections": [],
            "upgradeAvailable": "notAvailable",
            "serviceUpgradedAt": "2025-05-01T00:00:00Z",
        },
        "systemData": _system_data(),
    }
    if identity:
        service["identity"] = {"type": "SystemAssigned", "principalId": "9d2c1b0a-aaaa-4bbb-8ccc-ddddeeeeffff", "tenantId": TENANT}
    return service


def storage_account(
    sub: str,
    rg: str,
    name: str,
    *,
    public: bool = False,
    blob_public: bool = False,
    shared_key: bool = False,
    tags: JSON | None = None,
    location: str = "eastus",
) -> JSON:
    return {
        "id": f"{rg_id(sub, rg)}/providers/Microsoft.Storage/storageAccounts/{name}",
        "name": name,
        "type": "Microsoft.Storage/storageAccounts",
        "location": location,
        "kind": "StorageV2",
        "sku": {"name": "Standard_LRS", "tier": "Standard"},
        "tags": dict(tags or {}),
        "properties": {
            "keyCreationTime": {"key1": "2025-03-01T10:00:00.0000000Z", "key2": "2025-03-01T10:00:00.0000000Z"},
            "allowCrossTenantReplication": False,
            "privateEndpointConnections": [],
            "minimumTlsVersion": "TLS1_2",
            "allowBlobPublicAccess": blob_public,
            "allowSharedKeyAccess": shared_key,
            "publicNetworkAccess": "Enabled" if public else "Disabled",
            "networkAcls": {
                "bypass": "AzureServices",
                "virtualNetworkRules": [],
                "ipRules": [],
                "defaultAction": "Allow" if public else "Deny",
            },
            "supportsHttpsTrafficOnly": True,
            "encryption": {
                "services": {"file": {"keyType": "Account", "enabled": True}, "blob": {"keyType": "Account", "enabled": True}},
                "keySource": "Microsoft.Storage",
            },
            "accessTier": "Hot",
            "provisioningState": "Succeeded",
            "creationTime": "2025-03-01T10:00:00.0000000Z",
            "primaryEndpoints": {"blob": f"https://{name}.blob.core.windows.net/", "dfs": f"https://{name}.dfs.core.windows.net/"},
            "primaryLocation": location,
            "statusOfPrimary": "available",
        },
    }


def diagnostic_setting(
    resource_id: str, workspace_id: str, *, name: str = "to-law", category_group: str = "allLogs", enabled: bool = True
) -> JSON:
    return {
        "id": f"{resource_id}/providers/Microsoft.Insights/diagnosticSettings/{name}",
        "name": name,
        "type": "Microsoft.Insights/diagnosticSettings",
        "properties": {
            "workspaceId": workspace_id,
            "logs": [{"categoryGroup": category_group, "enabled": enabled, "retentionPolicy": {"enabled": False, "days": 0}}],
            "metrics": [{"category": "AllMetrics", "enabled": True, "retentionPolicy": {"enabled": False, "days": 0}}],
            "logAnalyticsDestinationType": None,
        },
    }


def pricing(sub: str, *, standard: bool) -> JSON:
    return {
        "id": f"/subscriptions/{sub}/providers/Microsoft.Security/pricings/AI",
        "name": "AI",
        "type": "Microsoft.Security/pricings",
        "properties": {
            "pricingTier": "Standard" if standard else "Free",
            "freeTrialRemainingTime": "P0D",
            "enablementTime": "2025-03-01T10:00:00Z" if standard else None,
            "extensions": [{"name": "AIPromptEvidence", "isEnabled": "True" if standard else "False"}],
        },
    }


def session_pool(
    sub: str,
    rg: str,
    name: str,
    *,
    egress: bool = False,
    custom: bool = True,
    lifecycle: str = "Timed",
    cooldown: int | None = 300,
    max_alive: int | None = None,
    cpu: float | None = 0.5,
    memory: str | None = "1Gi",
    registry_password: bool = False,
    location: str = "westus2",
) -> JSON:
    """A Container Apps dynamic-sessions pool (`Microsoft.App/sessionPools`, 2026-07-01), shaped as the
    SDK's `SessionPool` model and the session pool docs' examples: a custom container pool pulls its
    image with a user-assigned identity, or with a registry password held as a pool secret."""
    rid = f"{rg_id(sub, rg)}/providers/Microsoft.App/sessionPools/{name}"
    uami = f"{rg_id(sub, rg)}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-{name}"
    lifecycle_config: JSON = {"lifecycleType": lifecycle}
    if cooldown is not None:
        lifecycle_config["cooldownPeriodInSeconds"] = cooldown
    if max_alive is not None:
        lifecycle_config["maxAlivePeriodInSeconds"] = max_alive
    props: JSON = {
        "environmentId": f"{rg_id(sub, rg)}/providers/Microsoft.App/managedEnvironments/cae-{name}",
        "containerType": "CustomContainer" if custom else "PythonLTS",
        "poolManagementType": "Dynamic",
        "nodeCount": 1,
        "scaleConfiguration": {"maxConcurrentSessions": 10, "readySessionInstances": 2},
        "dynamicPoolConfiguration": {"lifecycleConfiguration": lifecycle_config},
        "sessionNetworkConfiguration": {"status": "EgressEnabled" if egress else "EgressDisabled"},
        "poolManagementEndpoint": f"https://{name}.{uuid_like(name)[:8]}.{location}.azurecontainerapps.io",
        "provisioningState": "Succeeded",
    }
    pool: JSON = {
        "id": rid,
        "name": name,
        "type": "Microsoft.App/sessionPools",
        "location": location,
        "tags": {},
        "properties": props,
        "systemData": _system_data(),
    }
    if custom:
        resources: JSON = {}
        if cpu is not None:
            resources["cpu"] = cpu
        if memory is not None:
            resources["memory"] = memory
        container: JSON = {
            "name": "sandbox",
            "image": "contosoacr.azurecr.io/agents/code-sandbox:1.4.2",
            "command": ["/bin/sh"],
            "args": ["-c", "./serve --port 8080"],
            "env": [{"name": "SANDBOX_MODE", "value": "strict"}],
        }
        if resources:
            container["resources"] = resources
        registry: JSON = {"server": "contosoacr.azurecr.io"}
        if registry_password:
            # The secret's value is write-only: a GET names the secret, never its value.
            registry.update(username="contosoacr", passwordSecretRef="acr-password")
            props["secrets"] = [{"name": "acr-password"}]
        else:
            registry["identity"] = uami
        props["customContainerTemplate"] = {"registryCredentials": registry, "containers": [container], "ingress": {"targetPort": 8080}}
        # "None": the identity pulls the image and is not handed to the code the sessions run.
        props["managedIdentitySettings"] = [{"identity": uami, "lifecycle": "None"}]
        pool["identity"] = {
            "type": "UserAssigned",
            "userAssignedIdentities": {uami: {"principalId": uuid_like(uami), "clientId": uuid_like(uami + "c")}},
        }
    return pool


def defender_alert(
    resource_id: str,
    name: str,
    *,
    alert_type: str,
    display_name: str,
    severity: str,
    generated: datetime,
    entities: list[JSON] | None = None,
    extended: dict[str, str] | None = None,
    location: str = "centralus",
    status: str = "Active",
) -> JSON:
    """A Defender for AI alert as ARM (and Resource Graph's `securityresources`) holds it: the Security
    Alert schema of azure-mgmt-security 7.0.0 (`Alert`), on the resource group of the AI resource."""
    sub, rg = resource_id.split("/")[2], resource_id.split("/")[4]
    stamp = generated.astimezone(UTC).isoformat().replace("+00:00", "Z")
    account = resource_id.rstrip("/").rsplit("/", 1)[-1]
    return {
        "id": f"/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Security/locations/{location}/alerts/{name}",
        "name": name,
        "type": "Microsoft.Security/locations/alerts",
        "properties": {
            "status": status,
            "timeGeneratedUtc": stamp,
            "processingEndTimeUtc": stamp,
            "version": "2022-01-01.0",
            "vendorName": "Microsoft",
            "productName": "Microsoft Defender for Cloud",
            "productComponentName": "AI",
            "alertType": alert_type,
            "startTimeUtc": stamp,
            "endTimeUtc": stamp,
            "severity": severity,
            "isIncident": False,
            "systemAlertId": name,
            "correlationKey": f"{alert_type}|{account}",
            "intent": "PrivilegeEscalation",
            "resourceIdentifiers": [
                {"type": "AzureResource", "azureResourceId": resource_id},
                {"type": "LogAnalytics", "workspaceId": "00000000-0000-0000-0000-00000000a11a", "workspaceSubscriptionId": sub},
            ],
            "compromisedEntity": account,
            "alertDisplayName": display_name,
            "description": display_name,
            "remediationSteps": ["Investigate the requests and the caller.", "Apply the DriftGuard playbook after review."],
            "extendedProperties": {"resourceType": "Azure AI Services", **(extended or {})},
            "entities": entities or [],
            "alertUri": f"https://portal.azure.com/#blade/Microsoft_Azure_Security_AzureDefenderForData/AlertBlade/alertId/{name}",
        },
    }


def apim_service(
    sub: str,
    rg: str,
    name: str,
    *,
    public_ips: list[str] | None = None,
    subnet: str | None = None,
    location: str = "eastus",
    identity: bool = True,
) -> JSON:
    """An API Management service used as an AI gateway (`Microsoft.ApiManagement/service`, 2024-05-01),
    shaped as the SDK's `ApiManagementServiceResource`: with a subnet it is injected into a VNet
    (`virtualNetworkType` External), and its calls to a model leave from that subnet; otherwise from its
    public IP addresses (read-only, assigned by the service)."""
    rid = f"{rg_id(sub, rg)}/providers/Microsoft.ApiManagement/service/{name}"
    props: JSON = {
        "publisherEmail": "platform-team@contoso.com",
        "publisherName": "Contoso AI platform",
        "notificationSenderEmail": "apimgmt-noreply@mail.windowsazure.com",
        "provisioningState": "Succeeded",
        "targetProvisioningState": "",
        "createdAtUtc": "2025-03-01T10:00:00.0000000Z",
        "gatewayUrl": f"https://{name}.azure-api.net",
        "gatewayRegionalUrl": f"https://{name}-{location}-01.regional.azure-api.net",
        "portalUrl": f"https://{name}.portal.azure-api.net",
        "managementApiUrl": f"https://{name}.management.azure-api.net",
        "scmUrl": f"https://{name}.scm.azure-api.net",
        "hostnameConfigurations": [
            {"type": "Proxy", "hostName": f"{name}.azure-api.net", "negotiateClientCertificate": False, "defaultSslBinding": True}
        ],
        "publicIPAddresses": list(public_ips if public_ips is not None else ["20.85.16.101"]),
        "publicNetworkAccess": "Enabled",
        "virtualNetworkType": "External" if subnet else "None",
        "disableGateway": False,
        "platformVersion": "stv2",
    }
    if subnet:
        props["privateIPAddresses"] = ["10.20.1.5"]
        props["virtualNetworkConfiguration"] = {
            "subnetResourceId": subnet,
            "vnetid": uuid_like(subnet),
            "subnetname": subnet.rsplit("/", 1)[-1],
        }
    service: JSON = {
        "id": rid,
        "name": name,
        "type": "Microsoft.ApiManagement/service",
        "location": location,
        "tags": {},
        "etag": "AAAAAAGIUI4=",
        "sku": {"name": "Standard", "capacity": 1},
        "properties": props,
        "systemData": _system_data(),
    }
    if identity:
        service["identity"] = {"type": "SystemAssigned", "principalId": uuid_like(rid + "/identity"), "tenantId": TENANT}
    return service


def private_endpoint(sub: str, rg: str, name: str, *, subnet: str, target: str, group: str = "account", location: str = "eastus") -> JSON:
    """A private endpoint (`Microsoft.Network/privateEndpoints`, 2024-05-01) in `subnet`, connected to
    `target` (an account), shaped as the network 2024-05-01 types declare `PrivateEndpoint`: the subnet is
    a reference (`properties.subnet.id`); the NIC, provisioning state and connection state are read-only."""
    rid = f"{rg_id(sub, rg)}/providers/Microsoft.Network/privateEndpoints/{name}"
    return {
        "id": rid,
        "name": name,
        "type": "Microsoft.Network/privateEndpoints",
        "location": location,
        "etag": 'W/"6c1f0a4e-1d2b-4c3a-9e8f-0a1b2c3d4e5f"',
        "tags": {},
        "properties": {
            "provisioningState": "Succeeded",
            "resourceGuid": uuid_like(rid + "/guid"),
            "subnet": {"id": subnet},
            "networkInterfaces": [{"id": f"{rg_id(sub, rg)}/providers/Microsoft.Network/networkInterfaces/{name}.nic.{uuid_like(rid)}"}],
            "privateLinkServiceConnections": [
                {
                    "id": f"{rid}/privateLinkServiceConnections/{name}",
                    "name": name,
                    "type": "Microsoft.Network/privateEndpoints/privateLinkServiceConnections",
                    "properties": {
                        "provisioningState": "Succeeded",
                        "privateLinkServiceId": target,
                        "groupIds": [group],
                        "privateLinkServiceConnectionState": {
                            "status": "Approved",
                            "description": "Auto-Approved",
                            "actionsRequired": "None",
                        },
                    },
                }
            ],
            "manualPrivateLinkServiceConnections": [],
            "customDnsConfigs": [],
            "ipConfigurations": [],
            "customNetworkInterfaceName": "",
        },
    }


def apim_backend(service_id: str, name: str, *, account_endpoint: str, key_header: str | None = None) -> JSON:
    """A backend of an API Management service pointing at an AI account (`.../backends`, 2024-05-01).
    With `key_header`, the backend sends the account's key in an `api-key` header, as a named-value
    reference (`{{name}}`): the pattern managed-identity authentication replaces."""
    props: JSON = {
        "title": name,
        "description": f"Azure OpenAI {name}",
        "url": f"{account_endpoint.rstrip('/')}/openai",
        "protocol": "http",
        "tls": {"validateCertificateChain": True, "validateCertificateName": True},
    }
    if key_header is not None:
        props["credentials"] = {"header": {"api-key": [f"{{{{{key_header}}}}}"]}, "query": {}}
    return {
        "id": f"{service_id}/backends/{name}",
        "name": name,
        "type": "Microsoft.ApiManagement/service/backends",
        "properties": props,
    }


def apim_named_value(
    service_id: str, name: str, *, secret: bool = True, value: str | None = None, key_vault_secret: str | None = None
) -> JSON:
    """A named value (`.../namedValues`, 2024-05-01). A secret one never shows its value on a GET
    (only `listValue` returns it); a Key Vault one shows the secret's identifier and the refresh status."""
    props: JSON = {"displayName": name, "secret": secret, "tags": [], "provisioningState": "Succeeded"}
    if key_vault_secret is not None:
        props["keyVault"] = {
            "secretIdentifier": key_vault_secret,
            "lastStatus": {"code": "Success", "timeStampUtc": "2025-10-01T08:00:00Z"},
        }
    elif not secret and value is not None:
        props["value"] = value
    return {
        "id": f"{service_id}/namedValues/{name}",
        "name": name,
        "type": "Microsoft.ApiManagement/service/namedValues",
        "properties": props,
    }
