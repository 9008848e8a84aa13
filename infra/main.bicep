// DriftGuard: everything the Function App needs, deployed by `azd up` (subscription scope).
// The deployment follows the guidance the app enforces: no shared keys, managed identities with least
// privilege, private endpoints for the app's own data, logs on.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('azd environment name: names and tags every resource.')
param environmentName string

@minLength(1)
@description('Region of the resources (Flex Consumption must be available there).')
param location string

@description('Subscriptions DriftGuard watches and may fix (DRIFTGUARD_WATCHED_SUBSCRIPTIONS, a JSON array). Empty or absent: the one deployed to.')
param watchedSubscriptionIds array = [subscription().subscriptionId]

@description('Entra app registration (client id) that App Service Authentication signs approvers in with; it defines the app roles DriftGuard.Approver and DriftGuard.Reader (infra/app-roles.json). Sign-in uses no secret: a managed identity of the app is a federated credential of this registration (the postprovision hook adds it).')
param authClientId string

@description('Tenant of the app registration.')
param authTenantId string = tenant().tenantId

@description('Management group DriftGuard watches (its id, not its display name); empty: the watched subscriptions only.')
param managementGroup string = ''

@description('Create the Event Grid subscriptions. They need the deployed function: the hooks set this once the function exists (infra/hooks/event-subscriptions.sh) and reset it after `azd down`.')
param deployEventSubscriptions bool = false

@description('Per watched subscription that already has an Event Grid system topic for itself (Event Grid allows one per source): { bySubscription: subscription id -> { resourceGroup, name, tags } }. The preprovision hook finds them; DriftGuard then adds its event subscriptions to that topic instead of creating one. bySubscription is null until that hook has run: none.')
param existingSystemTopics object = {}

// Wrapped in an object because azd's substitution cannot default a variable to {} (a default ends at its
// first brace), and ARM takes no null for a parameter: the wrapper is never null, what it holds may be.
var topicsBySubscription = existingSystemTopics[?'bySubscription'] ?? {}

@description('Also subscribe to Azure Resource Notifications (resource properties in the event: no read back).')
param enableResourceNotifications bool = false

@description('Publish DriftGuard\'s CloudEvents to a custom Event Grid topic.')
param enableEventsTopic bool = true

@description('Decide and record everything, change nothing: the first week of a deployment.')
param dryRun bool = true

@description('Policy file inside the deployed package (empty: the built-in defaults of CONTROLS.md).')
param policyFile string = ''

@description('Ticket sinks (README, "Cases, approvals and tickets"): the app setting DRIFTGUARD_SINKS. Every *_setting a sink names becomes a Key Vault reference to the secret of the same name with dashes (GITHUB_TOKEN -> GITHUB-TOKEN), stored with infra/hooks/set-secret.sh.')
param sinks array = []

@description('Ticket systems on a private network that sinks may reach (exact host names or IP addresses, comma separated). Empty: every sink host must resolve to public addresses only.')
param sinkPrivateHosts string = ''

@description('The app settings the sinks read their secrets from (each sink\'s *_setting values: driftguard.policy.secret_settings), each a Key Vault reference to the secret of the same name with dashes.')
param sinkSecretSettings array = []

@description('Custom roles (definition GUIDs) whose assignments DriftGuard may also remove, besides infra/removable-roles.json.')
param additionalRemovableRoleIds array = []

@description('Object ids of break-glass (emergency access) principals: no assignment of theirs is ever removable by DriftGuard, whatever the role.')
param breakGlassPrincipalIds array = []

@description('Redundancy of the app\'s storage (the state store holds the audit log): geo-zone-redundant where the region has availability zones, else geo-redundant. The preprovision hook picks it from the region.')
@allowed(['Standard_GZRS', 'Standard_GRS', 'Standard_RAGZRS', 'Standard_RAGRS'])
param storageSku string = 'Standard_GRS'

@description('Resource ids of the Azure OpenAI / AI Services accounts whose deployments the policy file opts in to canary probes (`probes.deployments`): the detector gets Cognitive Services OpenAI User on each, and only there.')
param probedAccountIds array = []

@description('Recover the soft-deleted Key Vault of an earlier deployment of this environment (purge protection keeps its name reserved for 90 days after `azd down`). The preprovision hook detects it.')
param recoverKeyVault bool = false

var abbrs = loadJsonContent('abbreviations.json')
// In every name that must be unique beyond the resource group (subscription-scope deployments, custom
// role names, the vault, storage): the same environment name in another subscription or region differs.
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }
var watched = empty(watchedSubscriptionIds) ? [subscription().subscriptionId] : watchedSubscriptionIds
var functionAppName = '${abbrs.webSitesFunctions}driftguard-${resourceToken}'
resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: '${abbrs.resourcesResourceGroups}${environmentName}'
  location: location
  tags: tags
}

module identities 'modules/identities.bicep' = {
  scope: rg
  name: 'identities'
  params: {
    location: location
    tags: tags
    detectorName: '${abbrs.managedIdentityUserAssignedIdentities}driftguard-detector-${resourceToken}'
    remediatorName: '${abbrs.managedIdentityUserAssignedIdentities}driftguard-remediator-${resourceToken}'
    signInName: '${abbrs.managedIdentityUserAssignedIdentities}driftguard-signin-${resourceToken}'
  }
}

module monitoring 'modules/monitoring.bicep' = {
  scope: rg
  name: 'monitoring'
  params: {
    location: location
    tags: tags
    workspaceName: '${abbrs.operationalInsightsWorkspaces}driftguard-${resourceToken}'
    appInsightsName: '${abbrs.insightsComponents}driftguard-${resourceToken}'
    publisherPrincipalId: identities.outputs.detectorPrincipalId
  }
}

module network 'modules/network.bicep' = {
  scope: rg
  name: 'network'
  params: {
    location: location
    tags: tags
    vnetName: '${abbrs.networkVirtualNetworks}driftguard-${resourceToken}'
  }
}

module storage 'modules/storage.bicep' = {
  scope: rg
  name: 'storage'
  params: {
    location: location
    tags: tags
    name: '${abbrs.storageStorageAccounts}dg${resourceToken}'
    deadLetterAccountName: '${abbrs.storageStorageAccounts}dgdl${resourceToken}'
    sku: storageSku
    appPrincipalId: identities.outputs.detectorPrincipalId
    privateEndpointSubnetId: network.outputs.privateEndpointSubnetId
    privateDnsZoneIds: network.outputs.storageDnsZoneIds
    workspaceId: monitoring.outputs.workspaceId
  }
}

module vault 'modules/keyvault.bicep' = {
  scope: rg
  name: 'keyvault'
  params: {
    location: location
    tags: tags
    name: '${abbrs.keyVaultVaults}dg-${resourceToken}'
    recover: recoverKeyVault
    readerPrincipalId: identities.outputs.detectorPrincipalId
    privateEndpointSubnetId: network.outputs.privateEndpointSubnetId
    privateDnsZoneId: network.outputs.vaultDnsZoneId
    workspaceId: monitoring.outputs.workspaceId
  }
}

module eventsTopic 'modules/events-topic.bicep' = if (enableEventsTopic) {
  scope: rg
  name: 'events-topic'
  params: {
    location: location
    tags: tags
    name: '${abbrs.eventGridDomainsTopics}driftguard-${resourceToken}'
    senderPrincipalId: identities.outputs.detectorPrincipalId
    privateEndpointSubnetId: network.outputs.privateEndpointSubnetId
    privateDnsZoneId: network.outputs.eventGridDnsZoneId
    workspaceId: monitoring.outputs.workspaceId
  }
}

module app 'modules/functionapp.bicep' = {
  scope: rg
  name: 'functionapp'
  params: {
    location: location
    tags: union(tags, { 'azd-service-name': 'api' })
    name: functionAppName
    planName: '${abbrs.webServerFarms}driftguard-${resourceToken}'
    detectorId: identities.outputs.detectorId
    detectorClientId: identities.outputs.detectorClientId
    detectorPrincipalId: identities.outputs.detectorPrincipalId
    remediatorId: identities.outputs.remediatorId
    remediatorClientId: identities.outputs.remediatorClientId
    remediatorPrincipalId: identities.outputs.remediatorPrincipalId
    signInId: identities.outputs.signInId
    signInClientId: identities.outputs.signInClientId
    storageAccountName: storage.outputs.name
    deploymentContainerUrl: storage.outputs.deploymentContainerUrl
    tableEndpoint: storage.outputs.tableEndpoint
    appInsightsConnectionString: monitoring.outputs.appInsightsConnectionString
    logAnalyticsCustomerId: monitoring.outputs.workspaceCustomerId
    workspaceId: monitoring.outputs.workspaceId
    appSubnetId: network.outputs.appSubnetId
    vaultName: vault.outputs.name
    eventsTopicEndpoint: enableEventsTopic ? eventsTopic.outputs.endpoint : ''
    watchedSubscriptionIds: watched
    managementGroup: managementGroup
    dryRun: dryRun
    policyFile: policyFile
    sinks: sinks
    sinkPrivateHosts: sinkPrivateHosts
    sinkSecretSettings: sinkSecretSettings
    authClientId: authClientId
    authTenantId: authTenantId
  }
}

// Custom roles, defined once, assignable in every watched subscription.
module roles 'modules/roles.bicep' = {
  name: 'driftguard-roles-${resourceToken}'
  params: {
    environmentName: environmentName
    resourceToken: resourceToken
    assignableScopes: [for id in watched: '/subscriptions/${id}']
  }
}

// Per watched subscription: the identities' roles, the Activity Log to the workspace, the system topic.
module watch 'modules/watch.bicep' = [
  for (subscriptionId, i) in watched: {
    scope: subscription(subscriptionId)
    name: 'driftguard-watch-${resourceToken}-${i}'
    params: {
      environmentName: environmentName
      resourceToken: resourceToken
      location: location
      tags: tags
      detectorPrincipalId: identities.outputs.detectorPrincipalId
      remediatorPrincipalId: identities.outputs.remediatorPrincipalId
      detectorRoleGuid: roles.outputs.detectorRoleGuid
      remediatorRoleGuid: roles.outputs.remediatorRoleGuid
      accessRemoverRoleGuid: roles.outputs.accessRemoverRoleGuid
      removableRoleIds: concat(loadJsonContent('removable-roles.json').roleDefinitionIds, additionalRemovableRoleIds)
      breakGlassPrincipalIds: breakGlassPrincipalIds
      workspaceId: monitoring.outputs.workspaceId
      functionAppId: app.outputs.id
      deadLetterStorageId: storage.outputs.deadLetterAccountId
      deadLetterContainer: storage.outputs.deadLetterContainer
      deployEventSubscriptions: deployEventSubscriptions
      enableResourceNotifications: enableResourceNotifications
      systemTopicName: '${abbrs.eventGridSystemTopics}driftguard-${resourceToken}'
      existingSystemTopic: topicsBySubscription[?subscriptionId] ?? {}
    }
  }
]

// Canary probes reach the data plane of the opted-in accounts only (/subscriptions/{s}/resourceGroups/{g}/providers/.../accounts/{a}).
module probeAccess 'modules/probe-access.bicep' = [
  for (accountId, i) in probedAccountIds: {
    scope: resourceGroup(split(accountId, '/')[2], split(accountId, '/')[4])
    name: 'driftguard-probe-access-${resourceToken}-${i}'
    params: {
      accountName: last(split(accountId, '/'))
      detectorPrincipalId: identities.outputs.detectorPrincipalId
    }
  }
]

// Each system topic dead-letters, as itself, into the dead-letter container (and nothing else).
module deadLetterAccess 'modules/deadletter-access.bicep' = [
  for (subscriptionId, i) in watched: {
    scope: rg
    name: 'driftguard-deadletter-${resourceToken}-${i}'
    params: {
      storageAccountName: storage.outputs.deadLetterAccountName
      containerName: storage.outputs.deadLetterContainer
      principalIds: watch[i].outputs.topicPrincipalIds
    }
  }
]

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = app.outputs.name
output DRIFTGUARD_CONSOLE_URL string = app.outputs.consoleUrl
output DRIFTGUARD_DETECTOR_PRINCIPAL_ID string = identities.outputs.detectorPrincipalId
output DRIFTGUARD_REMEDIATOR_PRINCIPAL_ID string = identities.outputs.remediatorPrincipalId
output DRIFTGUARD_SIGNIN_PRINCIPAL_ID string = identities.outputs.signInPrincipalId
output DRIFTGUARD_KEY_VAULT_NAME string = vault.outputs.name
output DRIFTGUARD_DEAD_LETTER_ACCOUNT string = storage.outputs.deadLetterAccountName
output DRIFTGUARD_RESOURCE_TOKEN string = resourceToken
