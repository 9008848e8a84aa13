// Secrets of the ticket sinks, referenced from app settings: RBAC authorization, purge protection,
// private endpoint only. Nobody holds a data-plane role to write them: they are written through Resource
// Manager (Microsoft.KeyVault/vaults/secrets/write, infra/hooks/set-secret.sh), which the vault's network
// rules do not block. Sign-in needs no secret (a managed identity is its federated credential).
param location string
param tags object
param name string
@description('The app\'s identity: resolves the Key Vault references (Key Vault Secrets User).')
param readerPrincipalId string
@description('Recover the soft-deleted vault of an earlier deployment: purge protection keeps the name for the retention days after `azd down`, and creating it anew fails.')
param recover bool
param privateEndpointSubnetId string
param privateDnsZoneId string
param workspaceId string

var secretsUser = '4633458b-17de-408a-b874-0445c86b69e6'

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    createMode: recover ? 'recover' : 'default'
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    enablePurgeProtection: true
    publicNetworkAccess: 'Disabled'
    networkAcls: {
      defaultAction: 'Deny'
      bypass: 'AzureServices'
    }
  }
}

resource reader 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: vault
  name: guid(vault.id, readerPrincipalId, secretsUser)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', secretsUser)
    principalId: readerPrincipalId
    principalType: 'ServicePrincipal'
  }
}

module endpoint 'private-endpoint.bicep' = {
  name: 'pe-${name}'
  params: {
    location: location
    tags: tags
    name: 'pe-${name}'
    subnetId: privateEndpointSubnetId
    targetId: vault.id
    groupId: 'vault'
    privateDnsZoneId: privateDnsZoneId
  }
}

resource auditLogs 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  scope: vault
  name: 'driftguard'
  properties: {
    workspaceId: workspaceId
    logs: [{ categoryGroup: 'audit', enabled: true }]
  }
}

output name string = vault.name
