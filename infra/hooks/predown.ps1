# Before `azd down` (Windows): see predown.sh. Stops when DriftGuard uses an existing system topic whose
# resource group azd down would delete, unless that group is named in DRIFTGUARD_DOWN_ALLOW_GROUP.
$ErrorActionPreference = 'Stop'

function Get-EnvValue([string]$Name) {
  $value = (azd env get-value $Name 2>$null)
  if ($LASTEXITCODE -ne 0) { $global:LASTEXITCODE = 0; return '' }
  return "$value".Trim()
}

$subscription = if ($env:AZURE_SUBSCRIPTION_ID) { $env:AZURE_SUBSCRIPTION_ID } else { Get-EnvValue 'AZURE_SUBSCRIPTION_ID' }
$envName = if ($env:AZURE_ENV_NAME) { $env:AZURE_ENV_NAME } else { Get-EnvValue 'AZURE_ENV_NAME' }
$topics = Get-EnvValue 'DRIFTGUARD_EXISTING_SYSTEM_TOPICS'
# Only a topic adopted in the deployment subscription is at risk (azd deletes groups there).
if (-not $subscription -or -not $topics) { exit 0 }
$adopted = ConvertFrom-Json $topics
if (-not $adopted.PSObject.Properties[$subscription]) { exit 0 }
$all = az eventgrid system-topic list --subscription $subscription -o json | Out-String | ConvertFrom-Json
if ($LASTEXITCODE -ne 0) { throw 'DriftGuard: listing the system topics failed' }
$found = @($all | Where-Object {
    $_.topicType -eq 'Microsoft.Resources.Subscriptions' -and
    -not ($_.tags -and $_.tags.PSObject.Properties['azd-env-name'] -and $_.tags.'azd-env-name' -eq $envName)
  }) | Select-Object -First 1
if (-not $found) { exit 0 }
$group = $found.resourceGroup
if ($group -eq "rg-$envName" -or $group -eq "rg-$envName-events") { exit 0 }
if ((Get-EnvValue 'DRIFTGUARD_DOWN_ALLOW_GROUP') -eq $group) {
  Write-Output "DriftGuard: going ahead; azd down may delete resource group $group (DRIFTGUARD_DOWN_ALLOW_GROUP)"
  exit 0
}
Write-Error @"
DriftGuard: stopped before azd down. DriftGuard's event subscriptions are on the existing system topic $($found.name) in
resource group $group, which DriftGuard did not create, and azd down deletes every resource group the
deployment touched. Remove DriftGuard without it:
  az eventgrid system-topic event-subscription list -g $group --system-topic-name $($found.name) --subscription $subscription -o table
  az eventgrid system-topic event-subscription delete -g $group --system-topic-name $($found.name) --name <driftguard-...> --subscription $subscription --yes
  az group delete -n rg-$envName --subscription $subscription
  azd env set DEPLOY_EVENT_SUBSCRIPTIONS false
or, if $group may go, run: azd env set DRIFTGUARD_DOWN_ALLOW_GROUP $group; azd down
"@
exit 1
