// A system topic writes its dead letters as its own identity (no keys): Storage Blob Data Contributor on
// the dead-letter container only, not on the account (and never on the app's own storage).
param storageAccountName string
param containerName string
param principalIds array

var blobDataContributor = 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'

resource account 'Microsoft.Storage/storageAccounts@2024-01-01' existing = {
  name: storageAccountName
}

resource blobs 'Microsoft.Storage/storageAccounts/blobServices@2024-01-01' existing = {
  parent: account
  name: 'default'
}

resource container 'Microsoft.Storage/storageAccounts/blobServices/containers@2024-01-01' existing = {
  parent: blobs
  name: containerName
}

resource writers 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for principalId in principalIds: {
    scope: container
    name: guid(container.id, principalId, blobDataContributor)
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', blobDataContributor)
      principalId: principalId
      principalType: 'ServicePrincipal'
    }
  }
]
