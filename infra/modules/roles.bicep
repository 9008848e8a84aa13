// DriftGuard's custom roles, defined once and assignable in every watched subscription:
// the detector's explicit reads, the remediator's writes (exactly the union of the actions the
// remediations declare), and the role-assignment rights it holds only under a condition.
targetScope = 'subscription'

param environmentName string
@description('Custom role names are unique per tenant: the token (subscription, environment, region) keeps two deployments with the same environment name apart.')
param resourceToken string
param assignableScopes array

var scopes = union([subscription().id], assignableScopes)
var remediatorActions = loadJsonContent('../remediator-actions.json')

resource detector 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(subscription().id, environmentName, resourceToken, 'driftguard-detector')
  properties: {
    roleName: 'DriftGuard Detector (${environmentName}, ${resourceToken})'
    description: 'Reads DriftGuard depends on, on top of Reader. No write.'
    type: 'CustomRole'
    permissions: [{ actions: loadJsonContent('../detector-actions.json').actions, notActions: [] }]
    assignableScopes: scopes
  }
}

resource remediator 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(subscription().id, environmentName, resourceToken, 'driftguard-remediator')
  properties: {
    roleName: 'DriftGuard Remediator (${environmentName}, ${resourceToken})'
    description: 'Exactly the writes DriftGuard\'s remediations declare.'
    type: 'CustomRole'
    permissions: [{ actions: remediatorActions.resource, notActions: [] }]
    assignableScopes: scopes
  }
}

resource accessRemover 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(subscription().id, environmentName, resourceToken, 'driftguard-access-remover')
  properties: {
    roleName: 'DriftGuard Access Remover (${environmentName}, ${resourceToken})'
    description: 'Role-assignment removal for approved access-review cases; assigned only with a condition on the role.'
    type: 'CustomRole'
    permissions: [{ actions: remediatorActions.access, notActions: [] }]
    assignableScopes: scopes
  }
}

output detectorRoleGuid string = detector.name
output remediatorRoleGuid string = remediator.name
output accessRemoverRoleGuid string = accessRemover.name
