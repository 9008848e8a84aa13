// A system topic writes its dead letters as its own identity (no keys): Storage Blob Data Contributor
// on the app's storage account.
param storageAccountName string
param principalIds array

var blobDataContributor = 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'

resource account 'Microsoft.Storage/storageAccounts@2024-01-01' existing = {
  name: storageAccountName
}

resource writers 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for principalId in principalIds: {
    scope: account
    name: guid(account.id, principalId, blobDataContributor)
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', blobDataContributor)
      principalId: principalId
      principalType: 'ServicePrincipal'
    }
  }
]
