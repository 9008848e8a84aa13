// DriftGuard's own events (CloudEvents 1.0) for SIEMs and Logic Apps: Entra-only publishing, private
// endpoint only.
param location string
param tags object
param name string
@description('The app\'s identity: publishes (EventGrid Data Sender).')
param senderPrincipalId string
param privateEndpointSubnetId string
param privateDnsZoneId string
param workspaceId string

var dataSender = 'd5a91429-5739-47e2-a06b-3470a27159e7'

resource topic 'Microsoft.EventGrid/topics@2025-02-15' = {
  name: name
  location: location
  tags: tags
  identity: { type: 'SystemAssigned' }
  properties: {
    inputSchema: 'CloudEventSchemaV1_0'
    disableLocalAuth: true
    publicNetworkAccess: 'Disabled'
    minimumTlsVersionAllowed: '1.2'
  }
}

resource sender 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: topic
  name: guid(topic.id, senderPrincipalId, dataSender)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', dataSender)
    principalId: senderPrincipalId
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
    targetId: topic.id
    groupId: 'topic'
    privateDnsZoneId: privateDnsZoneId
  }
}

resource deliveryLogs 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  scope: topic
  name: 'driftguard'
  properties: {
    workspaceId: workspaceId
    logs: [{ categoryGroup: 'allLogs', enabled: true }]
  }
}

output endpoint string = topic.properties.endpoint
