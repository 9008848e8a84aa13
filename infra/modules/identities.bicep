// The three identities: the detector reads (and reaches the app's own storage, vault, topic and
// telemetry); the remediator writes fixes and nothing else; sign-in is the app registration's federated
// credential (App Service Authentication presents its token instead of a client secret) and holds no
// Azure role. Microsoft's guidance: give the sign-in identity to this app only, since whoever holds it
// can act as the app registration.
param location string
param tags object
param detectorName string
param remediatorName string
param signInName string

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

resource signIn 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: signInName
  location: location
  tags: tags
}

output detectorId string = detector.id
output detectorClientId string = detector.properties.clientId
output detectorPrincipalId string = detector.properties.principalId
output remediatorId string = remediator.id
output remediatorClientId string = remediator.properties.clientId
output remediatorPrincipalId string = remediator.properties.principalId
output signInId string = signIn.id
output signInClientId string = signIn.properties.clientId
output signInPrincipalId string = signIn.properties.principalId
