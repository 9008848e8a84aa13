// One watched subscription: the identities' roles in it, its Activity Log sent to the workspace (access
// reviews read it), and the Event Grid system topic that tells DriftGuard about changes.
targetScope = 'subscription'

param environmentName string
param resourceToken string
param location string
param tags object
param detectorPrincipalId string
param remediatorPrincipalId string
param detectorRoleGuid string
param remediatorRoleGuid string
param accessRemoverRoleGuid string
param removableRoleIds array
@description('Break-glass principals (object ids) whose assignments stay out of the access remover\'s reach.')
param breakGlassPrincipalIds array
param workspaceId string
param functionAppId string
param deadLetterStorageId string
param deadLetterContainer string
param deployEventSubscriptions bool
param enableResourceNotifications bool
param systemTopicName string
@description('This subscription\'s own Event Grid system topic when it already has one ({ resourceGroup, name, tags }; Event Grid allows one per source), else {}.')
param existingSystemTopic object

var reader = 'acdd72a7-3385-48ef-bd42-f606fba81ae7'
var condition = loadJsonContent('../access-condition.json')
var principalClause = empty(breakGlassPrincipalIds) ? '' : replace(condition.principalClause, 'PRINCIPAL_IDS', join(breakGlassPrincipalIds, ', '))
var adoptTopic = !empty(existingSystemTopic)

resource eventsGroup 'Microsoft.Resources/resourceGroups@2024-03-01' = if (!adoptTopic) {
  name: 'rg-${environmentName}-events'
  location: location
  tags: tags
}

resource detectorReader 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(subscription().id, detectorPrincipalId, reader)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', reader)
    principalId: detectorPrincipalId
    principalType: 'ServicePrincipal'
    description: 'DriftGuard detector: sweeps, event reads, access reviews'
  }
}

resource detectorExtras 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(subscription().id, detectorPrincipalId, detectorRoleGuid)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', detectorRoleGuid)
    principalId: detectorPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource remediator 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(subscription().id, remediatorPrincipalId, remediatorRoleGuid)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', remediatorRoleGuid)
    principalId: remediatorPrincipalId
    principalType: 'ServicePrincipal'
    description: 'DriftGuard remediator: the fixes its remediations declare'
  }
}

resource accessRemover 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(subscription().id, remediatorPrincipalId, accessRemoverRoleGuid)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', accessRemoverRoleGuid)
    principalId: remediatorPrincipalId
    principalType: 'ServicePrincipal'
    description: 'DriftGuard: remove only assignments of the listed roles'
    conditionVersion: condition.conditionVersion
    condition: replace(replace(condition.template, 'ROLE_IDS', join(removableRoleIds, ', ')), 'PRINCIPAL_CLAUSE', principalClause)
  }
}

resource activityLog 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'driftguard-activity-log'
  properties: {
    workspaceId: workspaceId
    logs: [
      { category: 'Administrative', enabled: true }
      { category: 'Security', enabled: true }
      { category: 'Policy', enabled: true }
    ]
  }
}

// A subscription that already has a system topic keeps it (in its own resource group, with its name and
// tags): DriftGuard adds its identity and its event subscriptions to it. Otherwise DriftGuard's own.
module topic 'system-topic.bicep' = {
  scope: resourceGroup(adoptTopic ? existingSystemTopic.resourceGroup : eventsGroup.name)
  name: 'driftguard-system-topic-${resourceToken}'
  dependsOn: [eventsGroup]
  params: {
    name: adoptTopic ? existingSystemTopic.name : systemTopicName
    tags: adoptTopic ? (existingSystemTopic.?tags ?? {}) : tags
    functionAppId: functionAppId
    deadLetterStorageId: deadLetterStorageId
    deadLetterContainer: deadLetterContainer
    deployEventSubscriptions: deployEventSubscriptions
    enableResourceNotifications: enableResourceNotifications
  }
}

output topicPrincipalIds array = topic.outputs.principalIds
