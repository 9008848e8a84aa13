// The app's storage: the Functions host (AzureWebJobsStorage), the deployment package, the state store
// (Table Storage) and Event Grid's dead letters. Entra ID only (shared keys off), no anonymous blobs,
// TLS 1.2, reached through private endpoints.
param location string
param tags object
param name string
@description('The app\'s identity (the detector): host storage, deployment package and state store.')
param appPrincipalId string
param privateEndpointSubnetId string
param privateDnsZoneIds object
param workspaceId string

var deploymentContainer = 'deployment'
var deadLetterContainer = 'eventgrid-deadletter'
var roles = {
  blobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  queueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  tableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
}

resource account 'Microsoft.Storage/storageAccounts@2024-01-01' = {
  //checkov:skip=CKV_AZURE_59:The firewall denies by default; public network access stays Enabled only so that trusted Azure services (Event Grid dead-lettering as its managed identity) get through. The app itself uses the private endpoints.
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  // Geo-zone-redundant: the state store holds the audit log.
  sku: { name: 'Standard_GZRS' }
  properties: {
    accessTier: 'Hot'
    allowSharedKeyAccess: false
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    // Private endpoints for the app; the firewall lets in only trusted Azure services (Event Grid
    // writing dead letters as its managed identity).
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Deny'
      bypass: 'AzureServices'
    }
    encryption: {
      requireInfrastructureEncryption: true
      keySource: 'Microsoft.Storage'
      services: {
        blob: { enabled: true, keyType: 'Account' }
        file: { enabled: true, keyType: 'Account' }
        queue: { enabled: true, keyType: 'Account' }
        table: { enabled: true, keyType: 'Account' }
      }
    }
  }
}

resource blobs 'Microsoft.Storage/storageAccounts/blobServices@2024-01-01' = {
  parent: account
  name: 'default'
  properties: {
    deleteRetentionPolicy: { enabled: true, days: 7 }
    containerDeleteRetentionPolicy: { enabled: true, days: 7 }
  }
}

resource deployment 'Microsoft.Storage/storageAccounts/blobServices/containers@2024-01-01' = {
  parent: blobs
  name: deploymentContainer
  properties: { publicAccess: 'None' }
}

resource deadLetters 'Microsoft.Storage/storageAccounts/blobServices/containers@2024-01-01' = {
  parent: blobs
  name: deadLetterContainer
  properties: { publicAccess: 'None' }
}

resource grants 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for role in items(roles): {
    scope: account
    name: guid(account.id, appPrincipalId, role.value)
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role.value)
      principalId: appPrincipalId
      principalType: 'ServicePrincipal'
    }
  }
]

module endpoints 'private-endpoint.bicep' = [
  for service in ['blob', 'queue', 'table']: {
    name: 'pe-${name}-${service}'
    params: {
      location: location
      tags: tags
      name: 'pe-${name}-${service}'
      subnetId: privateEndpointSubnetId
      targetId: account.id
      groupId: service
      privateDnsZoneId: privateDnsZoneIds[service]
    }
  }
]

resource blobLogs 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  scope: blobs
  name: 'driftguard'
  properties: {
    workspaceId: workspaceId
    logs: [{ categoryGroup: 'audit', enabled: true }]
  }
}

output id string = account.id
output name string = account.name
output deploymentContainerUrl string = '${account.properties.primaryEndpoints.blob}${deploymentContainer}'
output tableEndpoint string = account.properties.primaryEndpoints.table
output deadLetterContainer string = deadLetterContainer
