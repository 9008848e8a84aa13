// The two identities: the detector reads (and reaches the app's own storage, vault, topic and
// telemetry); the remediator writes fixes and nothing else.
param location string
param tags object
param detectorName string
param remediatorName string

resource detector 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: detectorName
  location: location
  tags: tags
}

resource remediator 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: remediatorName
  location: location
  tags: tags
}

output detectorId string = detector.id
output detectorClientId string = detector.properties.clientId
output detectorPrincipalId string = detector.properties.principalId
output remediatorId string = remediator.id
output remediatorClientId string = remediator.properties.clientId
output remediatorPrincipalId string = remediator.properties.principalId
