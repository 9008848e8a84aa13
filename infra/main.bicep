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

@description('Subscriptions DriftGuard watches and may fix. Default: the one deployed to.')
param watchedSubscriptionIds array = [subscription().subscriptionId]

@description('Entra app registration (client id) that App Service Authentication signs approvers in with; it defines the app roles DriftGuard.Approver and DriftGuard.Reader (infra/app-roles.json).')
param authClientId string

@description('Tenant of the app registration.')
param authTenantId string = tenant().tenantId

@description('Create the Event Grid subscriptions. They need the deployed function, so the first `azd provision` leaves them out and the postdeploy hook provisions again with true.')
param deployEventSubscriptions bool = false

@description('Also subscribe to Azure Resource Notifications (resource properties in the event: no read back).')
param enableResourceNotifications bool = false

@description('Publish DriftGuard\'s CloudEvents to a custom Event Grid topic.')
param enableEventsTopic bool = true

@description('Decide and record everything, change nothing: the first week of a deployment.')
param dryRun bool = true

@description('Policy file inside the deployed package (empty: the built-in defaults of CONTROLS.md).')
param policyFile string = ''

@description('Ticket sinks, the JSON array of DRIFTGUARD_SINKS (README, "Cases, approvals and tickets").')
param sinks string = '[]'

@description('Ticket systems on a private network that sinks may reach (exact host names or IP addresses, comma separated). Empty: every sink host must resolve to public addresses only.')
param sinkPrivateHosts string = ''

@description('App settings the sinks read their secrets from; each is a Key Vault reference to the secret of the same name with dashes (GITHUB_TOKEN -> GITHUB-TOKEN).')
param sinkSecretSettings array = []

@description('Custom roles (definition GUIDs) whose assignments DriftGuard may also remove, besides infra/removable-roles.json.')
param additionalRemovableRoleIds array = []

@description('Object id of whoever runs the deployment: gets Key Vault Secrets Officer to store the sink secrets. Empty: nobody.')
param secretsOfficerPrincipalId string = ''

var abbrs = loadJsonContent('abbreviations.json')
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }
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
    readerPrincipalId: identities.outputs.detectorPrincipalId
    secretsOfficerPrincipalId: secretsOfficerPrincipalId
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
    storageAccountName: storage.outputs.name
    deploymentContainerUrl: storage.outputs.deploymentContainerUrl
    tableEndpoint: storage.outputs.tableEndpoint
    appInsightsConnectionString: monitoring.outputs.appInsightsConnectionString
    logAnalyticsCustomerId: monitoring.outputs.workspaceCustomerId
    workspaceId: monitoring.outputs.workspaceId
    appSubnetId: network.outputs.appSubnetId
    vaultName: vault.outputs.name
    eventsTopicEndpoint: enableEventsTopic ? eventsTopic.outputs.endpoint : ''
    watchedSubscriptionIds: watchedSubscriptionIds
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
  name: 'driftguard-roles'
  params: {
    environmentName: environmentName
    assignableScopes: [for id in watchedSubscriptionIds: '/subscriptions/${id}']
  }
}

// Per watched subscription: the identities' roles, the Activity Log to the workspace, the system topic.
module watch 'modules/watch.bicep' = [
  for (subscriptionId, i) in watchedSubscriptionIds: {
    scope: subscription(subscriptionId)
    name: 'driftguard-watch-${i}'
    params: {
      environmentName: environmentName
      location: location
      tags: tags
      detectorPrincipalId: identities.outputs.detectorPrincipalId
      remediatorPrincipalId: identities.outputs.remediatorPrincipalId
      detectorRoleGuid: roles.outputs.detectorRoleGuid
      remediatorRoleGuid: roles.outputs.remediatorRoleGuid
      accessRemoverRoleGuid: roles.outputs.accessRemoverRoleGuid
      removableRoleIds: concat(loadJsonContent('removable-roles.json').roleDefinitionIds, additionalRemovableRoleIds)
      workspaceId: monitoring.outputs.workspaceId
      functionAppId: app.outputs.id
      deadLetterStorageId: storage.outputs.id
      deadLetterContainer: storage.outputs.deadLetterContainer
      deployEventSubscriptions: deployEventSubscriptions
      enableResourceNotifications: enableResourceNotifications
      systemTopicName: '${abbrs.eventGridSystemTopics}driftguard-${resourceToken}'
    }
  }
]

// Each system topic dead-letters, as itself, into the app's storage.
module deadLetterAccess 'modules/deadletter-access.bicep' = [
  for (subscriptionId, i) in watchedSubscriptionIds: {
    scope: rg
    name: 'driftguard-deadletter-${i}'
    params: {
      storageAccountName: storage.outputs.name
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
output DRIFTGUARD_KEY_VAULT_NAME string = vault.outputs.name
