// The app's storage: the Functions host (AzureWebJobsStorage), the deployment package and the state store
// (Table Storage), reached only through private endpoints (no public endpoint at all). Event Grid's dead
// letters go to a second account: Event Grid writes them from outside the VNet as a trusted Azure
// service, which needs a public endpoint behind the firewall, and that account holds nothing else.
// Both: Entra ID only (shared keys off), no anonymous blobs, TLS 1.2.
param location string
param tags object
param name string
param deadLetterAccountName string
@description('Standard_GZRS where the region has availability zones, else Standard_GRS (the preprovision hook picks).')
param sku string
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
var encryption = {
  requireInfrastructureEncryption: true
  keySource: 'Microsoft.Storage'
  services: {
    blob: { enabled: true, keyType: 'Account' }
    file: { enabled: true, keyType: 'Account' }
    queue: { enabled: true, keyType: 'Account' }
    table: { enabled: true, keyType: 'Account' }
  }
}

resource account 'Microsoft.Storage/storageAccounts@2024-01-01' = {
  //checkov:skip=CKV_AZURE_36:No public endpoint at all (private endpoints only), so no trusted-service exception either; Event Grid's dead letters go to their own account.
  //checkov:skip=CKV_AZURE_206:Replication is the sku parameter: GZRS where the region has zones, else GRS (both geo-replicated), chosen by the preprovision hook.
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  // The state store holds the audit log: geo-redundant, zone-redundant too where the region has zones.
  sku: { name: sku }
  properties: {
    accessTier: 'Hot'
    allowSharedKeyAccess: false
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    // Private endpoints only: no trusted-service exception either (dead letters have their own account).
    publicNetworkAccess: 'Disabled'
    networkAcls: {
      defaultAction: 'Deny'
      bypass: 'None'
    }
    encryption: encryption
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

// Declared only to scope their diagnostic settings: the state and the audit log are tables.
resource tables 'Microsoft.Storage/storageAccounts/tableServices@2024-01-01' existing = {
  parent: account
  name: 'default'
}

resource queues 'Microsoft.Storage/storageAccounts/queueServices@2024-01-01' existing = {
  parent: account
  name: 'default'
}

resource deployment 'Microsoft.Storage/storageAccounts/blobServices/containers@2024-01-01' = {
  parent: blobs
  name: deploymentContainer
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

// Who read or changed what, per service: blobs (deployment package), tables (state, audit log), queues.
resource blobLogs 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  scope: blobs
  name: 'driftguard'
  properties: {
    workspaceId: workspaceId
    logs: [{ categoryGroup: 'audit', enabled: true }]
  }
}

resource tableLogs 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  scope: tables
  name: 'driftguard'
  properties: {
    workspaceId: workspaceId
    logs: [{ categoryGroup: 'audit', enabled: true }]
  }
}

resource queueLogs 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  scope: queues
  name: 'driftguard'
  properties: {
    workspaceId: workspaceId
    logs: [{ categoryGroup: 'audit', enabled: true }]
  }
}

resource deadLetterAccount 'Microsoft.Storage/storageAccounts@2024-01-01' = {
  //checkov:skip=CKV_AZURE_59:Event Grid writes dead letters as a trusted Azure service from outside the VNet: the firewall denies everything else, and this account holds dead letters only.
  //checkov:skip=CKV_AZURE_206:Replication is the sku parameter: GZRS where the region has zones, else GRS (both geo-replicated), chosen by the preprovision hook.
  //checkov:skip=CKV_AZURE_43:The name is a parameter built from 'st', 'dgdl' and the 13-character resource token: lower-case letters and digits, 19 characters.
  //checkov:skip=CKV_AZURE_33:No queues are used in the dead-letter account; blob writes are logged through its diagnostic setting.
  name: deadLetterAccountName
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: { name: sku }
  properties: {
    accessTier: 'Hot'
    allowSharedKeyAccess: false
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Deny'
      bypass: 'AzureServices'
    }
    encryption: encryption
  }
}

resource deadLetterBlobs 'Microsoft.Storage/storageAccounts/blobServices@2024-01-01' = {
  parent: deadLetterAccount
  name: 'default'
  properties: {
    deleteRetentionPolicy: { enabled: true, days: 7 }
    containerDeleteRetentionPolicy: { enabled: true, days: 7 }
  }
}

resource deadLetters 'Microsoft.Storage/storageAccounts/blobServices/containers@2024-01-01' = {
  parent: deadLetterBlobs
  name: deadLetterContainer
  properties: { publicAccess: 'None' }
}

resource deadLetterLogs 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  scope: deadLetterBlobs
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
output deadLetterAccountId string = deadLetterAccount.id
output deadLetterAccountName string = deadLetterAccount.name
output deadLetterContainer string = deadLetterContainer
