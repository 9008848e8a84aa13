// Canary probes: the detector sends a few known attacks a day to the chat deployments the policy file
// opts in (`probes`), through the Azure OpenAI data plane with its Entra token. That needs the data-plane
// role Cognitive Services OpenAI User on the account, and nothing more: no keys, no control-plane write.
// Granted per opted-in account only, never at subscription scope.
param accountName string
param detectorPrincipalId string

var openAiUser = '5e0bd9bd-7b93-4f28-af87-19fc36ad61bd'

resource account 'Microsoft.CognitiveServices/accounts@2025-09-01' existing = {
  name: accountName
}

resource probeAccess 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(account.id, detectorPrincipalId, openAiUser)
  scope: account
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', openAiUser)
    principalId: detectorPrincipalId
    principalType: 'ServicePrincipal'
    description: 'DriftGuard canary probes: known attacks sent to the opted-in deployments (verdicts only kept)'
  }
}
