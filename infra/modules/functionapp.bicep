// The Function App on the Flex Consumption plan (Python 3.11), integrated in the VNet, running as the
// detector identity (the remediator is attached for fixes only), behind App Service Authentication.
param location string
param tags object
param name string
param planName string
param detectorId string
param detectorClientId string
param detectorPrincipalId string
param remediatorId string
param remediatorClientId string
param remediatorPrincipalId string
@description('The sign-in identity: the app registration\'s federated credential, used by App Service Authentication only.')
param signInId string
param signInClientId string
param storageAccountName string
param deploymentContainerUrl string
param tableEndpoint string
param appInsightsConnectionString string
param logAnalyticsCustomerId string
param workspaceId string
param appSubnetId string
param vaultName string
param eventsTopicEndpoint string
param watchedSubscriptionIds array
param managementGroup string
param dryRun bool
param policyFile string
param sinks array
param sinkPrivateHosts string
param sinkSecretSettings array
param authClientId string
param authTenantId string

// DriftGuard's settings (the names of driftguard.policy.Settings; a test keeps them equal).
var driftguardSettings = {
  DRIFTGUARD_SUBSCRIPTIONS: join(watchedSubscriptionIds, ',')
  DRIFTGUARD_MANAGEMENT_GROUP: managementGroup
  DRIFTGUARD_POLICY_FILE: policyFile
  DRIFTGUARD_ARM_ENDPOINT: environment().resourceManager
  // Microsoft Graph (environment().graph is Azure AD Graph, which DriftGuard does not use).
  DRIFTGUARD_GRAPH_ENDPOINT: 'https://graph.microsoft.com'
  DRIFTGUARD_MANAGED_IDENTITY_CLIENT_ID: detectorClientId
  DRIFTGUARD_REMEDIATOR_CLIENT_ID: remediatorClientId
  DRIFTGUARD_SWEEP_SCHEDULE: '0 */15 * * * *'
  DRIFTGUARD_DEEP_SWEEP_SCHEDULE: '0 30 2 * * *'
  DRIFTGUARD_REVIEW_SCHEDULE: '0 0 6 * * 1'
  DRIFTGUARD_SLA_SCHEDULE: '0 5 * * * *'
  DRIFTGUARD_OUTBOX_SCHEDULE: '0 */1 * * * *'
  DRIFTGUARD_PROBE_SCHEDULE: '0 15 4 * * *'
  DRIFTGUARD_ALERTS_SCHEDULE: '0 */5 * * * *'
  // Its own writes come back as events: recognised by these ids, never taken for drift.
  DRIFTGUARD_IDENTITY_IDS: join([detectorPrincipalId, detectorClientId, remediatorPrincipalId, remediatorClientId], ',')
  DRIFTGUARD_DRY_RUN: dryRun ? 'true' : 'false'
  DRIFTGUARD_LOG_ANALYTICS_WORKSPACE: logAnalyticsCustomerId
  DRIFTGUARD_TABLE_ENDPOINT: tableEndpoint
  DRIFTGUARD_STATE_DB: ''
  DRIFTGUARD_CONSOLE_URL: 'https://${name}.azurewebsites.net/api/console'
  DRIFTGUARD_EVENTS_TOPIC_ENDPOINT: eventsTopicEndpoint
  DRIFTGUARD_SINK_PRIVATE_HOSTS: sinkPrivateHosts
  DRIFTGUARD_SINKS: string(sinks)
  // How long a dead handler's claim on a fix holds before another instance finishes the fix.
  DRIFTGUARD_CLAIM_TTL_SECONDS: '300'
}

var hostSettings = {
  // The Functions host's storage through the identity: no connection string, no key.
  AzureWebJobsStorage__accountName: storageAccountName
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: detectorClientId
  APPLICATIONINSIGHTS_CONNECTION_STRING: appInsightsConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${detectorClientId};Authorization=AAD'
  // Sign-in without a secret: App Service Authentication presents this managed identity's token as the
  // app registration's client assertion (its federated credential, added by the postprovision hook).
  // The setting's name is also the provider's clientSecretSettingName below; Microsoft documents it as
  // a preview of App Service Authentication.
  OVERRIDE_USE_MI_FIC_ASSERTION_CLIENTID: signInClientId
  WEBSITE_AUTH_AAD_ALLOWED_TENANTS: authTenantId
}

// Each sink secret setting a Key Vault reference; the app refuses to start while one is unresolved
// (App Service leaves the reference string as the value when it cannot read the secret).
var sinkSecrets = [for s in sinkSecretSettings: { name: s, value: '@Microsoft.KeyVault(VaultName=${vaultName};SecretName=${replace(s, '_', '-')})' }]
var hostAppSettings = [for s in items(hostSettings): { name: s.key, value: s.value }]
var driftguardAppSettings = [for s in items(driftguardSettings): { name: s.key, value: s.value }]

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  //checkov:skip=CKV_AZURE_225:Flex Consumption zone redundancy is available in some regions only; DriftGuard's state is in geo-zone-redundant storage and Event Grid retries for 24 hours.
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: { tier: 'FlexConsumption', name: 'FC1' }
  properties: { reserved: true }
}

resource app 'Microsoft.Web/sites@2024-04-01' = {
  //checkov:skip=CKV_AZURE_222:Approvers' browsers reach the console and Event Grid reaches the trigger; App Service Authentication signs every caller in (the trigger's webhook needs the system key).
  //checkov:skip=CKV_AZURE_17:Callers authenticate with Entra ID through App Service Authentication; client certificates would add nothing.
  //checkov:skip=CKV_AZURE_212:Flex Consumption scales from zero: Event Grid and the timers wake it; always-ready instances are a cost choice (functionAppConfig.scaleAndConcurrency.alwaysReady).
  //checkov:skip=CKV_AZURE_78:Flex Consumption rejects siteConfig.ftpsState (ARM error 51021) and offers no FTP deployment; azd deploys with an Entra token.
  //checkov:skip=CKV_AZURE_213:Flex Consumption has no health-check path setting; the platform replaces unhealthy instances.
  name: name
  location: location
  tags: tags
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${detectorId}': {}
      '${remediatorId}': {}
      '${signInId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    clientCertMode: 'Optional'
    virtualNetworkSubnetId: appSubnetId
    keyVaultReferenceIdentity: detectorId
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: deploymentContainerUrl
          authentication: { type: 'UserAssignedIdentity', userAssignedIdentityResourceId: detectorId }
        }
      }
      scaleAndConcurrency: { maximumInstanceCount: 40, instanceMemoryMB: 2048 }
      runtime: { name: 'python', version: '3.11' }
    }
    siteConfig: {
      minTlsVersion: '1.2'
      scmMinTlsVersion: '1.2'
      http20Enabled: true
      appSettings: concat(hostAppSettings, driftguardAppSettings, sinkSecrets)
    }
  }
}

resource auth 'Microsoft.Web/sites/config@2024-04-01' = {
  // Checkov reads this authsettingsV2 resource as a whole web app; the site's checks run on `app` above.
  //checkov:skip=CKV_AZURE_13:This resource is the App Service Authentication setting itself.
  //checkov:skip=CKV_AZURE_63:Not a web app (authentication settings); logs go to Log Analytics through the site's diagnostic setting.
  //checkov:skip=CKV_AZURE_65:Not a web app (authentication settings).
  //checkov:skip=CKV_AZURE_66:Not a web app (authentication settings).
  //checkov:skip=CKV_AZURE_80:Not a web app (authentication settings); the app runs Python, not .NET.
  //checkov:skip=CKV_AZURE_88:Not a web app (authentication settings); Flex Consumption uses no Azure Files share.
  //checkov:skip=CKV_AZURE_222:Not a web app (authentication settings); see the site's justification.
  parent: app
  name: 'authsettingsV2'
  properties: {
    platform: { enabled: true }
    globalValidation: {
      requireAuthentication: true
      // A ticket's link opens the console in a browser: send it to the sign-in page, not a bare 401.
      // API clients send a bearer token; what one without a token gets (401 for requests marked
      // X-Requested-With: XMLHttpRequest) is for the first deployment to confirm (docs/deploy.md).
      unauthenticatedClientAction: 'RedirectToLoginPage'
      redirectToProvider: 'azureactivedirectory'
      // Event Grid delivers to the trigger's webhook with the system key, at /runtime/webhooks/EventGrid;
      // both casings are excluded since the path match is not documented as case-insensitive. The API's
      // description is public.
      excludedPaths: ['/runtime/webhooks/EventGrid', '/runtime/webhooks/eventgrid', '/api/openapi.json']
    }
    httpSettings: { requireHttps: true }
    identityProviders: {
      azureActiveDirectory: {
        enabled: true
        registration: {
          clientId: authClientId
          clientSecretSettingName: 'OVERRIDE_USE_MI_FIC_ASSERTION_CLIENTID'
          openIdIssuer: '${environment().authentication.loginEndpoint}${authTenantId}/v2.0'
        }
        validation: { allowedAudiences: ['api://${authClientId}', authClientId] }
      }
    }
    // No token store: the app reads the caller from the headers Easy Auth adds and calls no API on the
    // user's behalf, so there is nothing to store (and no storage was given to store it).
    login: { tokenStore: { enabled: false } }
  }
}

resource logs 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  scope: app
  name: 'driftguard'
  properties: {
    workspaceId: workspaceId
    logs: [{ category: 'FunctionAppLogs', enabled: true }]
  }
}

output id string = app.id
output name string = app.name
output consoleUrl string = 'https://${app.properties.defaultHostName}/api/console'
