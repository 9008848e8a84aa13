// Optional: DriftGuard's rights across a whole management group instead of per subscription.
// Deploy with `az deployment mg create` (docs/deploy.md, "Granting the identities at a management
// group"); the Activity Log settings and Event Grid topics stay per subscription (main.bicep).
targetScope = 'managementGroup'

param environmentName string
@description('The deployment\'s resource token (`azd env get-value DRIFTGUARD_RESOURCE_TOKEN`): role ids and names carry it, as the subscription-scope roles do, so one environment name deployed twice (two regions) keeps two sets of roles instead of rewriting one.')
param resourceToken string
param detectorPrincipalId string
param remediatorPrincipalId string
@description('Custom roles (definition GUIDs) whose assignments DriftGuard may also remove.')
param additionalRemovableRoleIds array = []
@description('Break-glass principals (object ids) whose assignments DriftGuard may never remove.')
param breakGlassPrincipalIds array = []

var reader = 'acdd72a7-3385-48ef-bd42-f606fba81ae7'
var remediatorActions = loadJsonContent('../remediator-actions.json')
var condition = loadJsonContent('../access-condition.json')
var principalClause = empty(breakGlassPrincipalIds) ? '' : replace(condition.principalClause, 'PRINCIPAL_IDS', join(breakGlassPrincipalIds, ', '))
var removable = concat(loadJsonContent('../removable-roles.json').roleDefinitionIds, additionalRemovableRoleIds)

resource detectorRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(managementGroup().id, environmentName, resourceToken, 'driftguard-detector')
  properties: {
    roleName: 'DriftGuard Detector (${environmentName}, ${resourceToken}, ${managementGroup().name})'
    description: 'Reads DriftGuard depends on, on top of Reader. No write.'
    type: 'CustomRole'
    permissions: [{ actions: loadJsonContent('../detector-actions.json').actions, notActions: [] }]
    assignableScopes: [managementGroup().id]
  }
}

resource remediatorRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(managementGroup().id, environmentName, resourceToken, 'driftguard-remediator')
  properties: {
    roleName: 'DriftGuard Remediator (${environmentName}, ${resourceToken}, ${managementGroup().name})'
    description: 'Exactly the writes DriftGuard\'s remediations declare.'
    type: 'CustomRole'
    permissions: [{ actions: remediatorActions.resource, notActions: [] }]
    assignableScopes: [managementGroup().id]
  }
}

resource accessRemoverRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(managementGroup().id, environmentName, resourceToken, 'driftguard-access-remover')
  properties: {
    roleName: 'DriftGuard Access Remover (${environmentName}, ${resourceToken}, ${managementGroup().name})'
    description: 'Role-assignment removal for approved access-review cases; assigned only with a condition on the role.'
    type: 'CustomRole'
    permissions: [{ actions: remediatorActions.access, notActions: [] }]
    assignableScopes: [managementGroup().id]
  }
}

resource detectorReader 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(managementGroup().id, detectorPrincipalId, reader)
  properties: {
    roleDefinitionId: tenantResourceId('Microsoft.Authorization/roleDefinitions', reader)
    principalId: detectorPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource detectorExtras 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(managementGroup().id, detectorPrincipalId, detectorRole.id)
  properties: {
    roleDefinitionId: detectorRole.id
    principalId: detectorPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource remediator 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(managementGroup().id, remediatorPrincipalId, remediatorRole.id)
  properties: {
    roleDefinitionId: remediatorRole.id
    principalId: remediatorPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource accessRemover 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(managementGroup().id, remediatorPrincipalId, accessRemoverRole.id)
  properties: {
    roleDefinitionId: accessRemoverRole.id
    principalId: remediatorPrincipalId
    principalType: 'ServicePrincipal'
    conditionVersion: condition.conditionVersion
    condition: replace(replace(condition.template, 'ROLE_IDS', join(removable, ', ')), 'PRINCIPAL_CLAUSE', principalClause)
  }
}
