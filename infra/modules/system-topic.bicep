// The subscription's Event Grid system topic and DriftGuard's subscriptions to it: only the operations
// DriftGuard acts on (advanced filters on data.operationName, within Event Grid's 25 values per
// subscription), retried for 24 hours, then dead-lettered to the dead-letter account. The topic is
// DriftGuard's own or, where the subscription already had one, that one (same name, tags and source;
// DriftGuard adds a system-assigned identity, which writes the dead letters).
param name string
param tags object
param functionAppId string
param deadLetterStorageId string
param deadLetterContainer string
param deployEventSubscriptions bool
param enableResourceNotifications bool

var operations = loadJsonContent('../event-operations.json')
var functionEndpoint = {
  endpointType: 'AzureFunction'
  properties: {
    resourceId: '${functionAppId}/functions/on_resource_event'
    maxEventsPerBatch: 1
    preferredBatchSizeInKilobytes: 64
  }
}
// Left out on the first provision: the function must be deployed before Event Grid can deliver to it.
var operationGroups = [for group in items(operations): group]
var subscribed = deployEventSubscriptions ? operationGroups : []
var retry = { maxDeliveryAttempts: 30, eventTimeToLiveInMinutes: 1440 }
var deadLetter = {
  identity: { type: 'SystemAssigned' }
  deadLetterDestination: {
    endpointType: 'StorageBlob'
    properties: { resourceId: deadLetterStorageId, blobContainerName: deadLetterContainer }
  }
}

resource topic 'Microsoft.EventGrid/systemTopics@2025-02-15' = {
  name: name
  location: 'global'
  tags: tags
  identity: { type: 'SystemAssigned' }
  properties: {
    source: subscription().id
    topicType: 'Microsoft.Resources.Subscriptions'
  }
}

resource changes 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2025-02-15' = [
  for group in subscribed: {
    parent: topic
    name: 'driftguard-${group.key}'
    properties: {
      destination: functionEndpoint
      eventDeliverySchema: 'EventGridSchema'
      filter: {
        includedEventTypes: [
          'Microsoft.Resources.ResourceWriteSuccess'
          'Microsoft.Resources.ResourceDeleteSuccess'
          'Microsoft.Resources.ResourceActionSuccess'
        ]
        advancedFilters: [{ operatorType: 'StringIn', key: 'data.operationName', values: group.value }]
      }
      retryPolicy: retry
      deadLetterWithResourceIdentity: deadLetter
    }
  }
]

// Azure Resource Notifications carry the resource's properties: no read back for those events.
resource notifications 'Microsoft.EventGrid/systemTopics@2025-02-15' = if (enableResourceNotifications) {
  name: '${name}-arn'
  location: 'global'
  tags: tags
  identity: { type: 'SystemAssigned' }
  properties: {
    source: subscription().id
    topicType: 'Microsoft.ResourceNotifications.Resources'
  }
}

resource notificationSubscription 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2025-02-15' = if (enableResourceNotifications && deployEventSubscriptions) {
  parent: notifications
  name: 'driftguard-resources'
  properties: {
    destination: functionEndpoint
    eventDeliverySchema: 'EventGridSchema'
    filter: {
      includedEventTypes: [
        'Microsoft.ResourceNotifications.Resources.CreatedOrUpdated'
        'Microsoft.ResourceNotifications.Resources.Deleted'
      ]
      advancedFilters: [{ operatorType: 'StringIn', key: 'data.resourceInfo.type', values: loadJsonContent('../notification-types.json') }]
    }
    retryPolicy: retry
    deadLetterWithResourceIdentity: deadLetter
  }
}

output principalIds array = enableResourceNotifications ? [topic.identity.principalId, notifications.identity.principalId] : [topic.identity.principalId]
