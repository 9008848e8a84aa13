# Before every `azd provision` (Windows): the same as preprovision.sh, which documents each step.
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$Providers = @(
  'Microsoft.App', 'Microsoft.EventGrid', 'Microsoft.Web', 'Microsoft.KeyVault', 'Microsoft.Storage',
  'Microsoft.Network', 'Microsoft.OperationalInsights', 'Microsoft.Insights', 'Microsoft.ManagedIdentity'
)
$WaitSeconds = if ($env:DRIFTGUARD_PROVIDER_WAIT_SECONDS) { [int]$env:DRIFTGUARD_PROVIDER_WAIT_SECONDS } else { 600 }

function Get-EnvValue([string]$Name) {
  $value = (azd env get-value $Name 2>$null)
  if ($LASTEXITCODE -ne 0) { $global:LASTEXITCODE = 0; return '' }
  return "$value".Trim()
}

function Invoke-Checked {
  param([scriptblock]$Command)
  $output = & $Command
  if ($LASTEXITCODE -ne 0) { throw "DriftGuard: command failed: $Command" }
  return $output
}

$subscription = if ($env:AZURE_SUBSCRIPTION_ID) { $env:AZURE_SUBSCRIPTION_ID } else { Get-EnvValue 'AZURE_SUBSCRIPTION_ID' }
$location = if ($env:AZURE_LOCATION) { $env:AZURE_LOCATION } else { Get-EnvValue 'AZURE_LOCATION' }
$envName = if ($env:AZURE_ENV_NAME) { $env:AZURE_ENV_NAME } else { Get-EnvValue 'AZURE_ENV_NAME' }
if (-not $subscription) { throw 'DriftGuard: AZURE_SUBSCRIPTION_ID is not set in the azd environment' }

$watchedJson = Get-EnvValue 'DRIFTGUARD_WATCHED_SUBSCRIPTIONS'
$watched = @()
if ($watchedJson) { $watched = @(ConvertFrom-Json $watchedJson) }
if ($watched.Count -eq 0) { $watched = @($subscription) }
foreach ($id in $watched) {
  if ($id -notmatch '^[0-9a-fA-F-]{36}$') { throw "DriftGuard: DRIFTGUARD_WATCHED_SUBSCRIPTIONS must be a JSON array of subscription ids, got: $watchedJson" }
}

# 1. Resource providers.
$subscriptions = @($subscription) + $watched | ForEach-Object { $_.ToLowerInvariant() } | Select-Object -Unique
foreach ($sub in $subscriptions) {
  foreach ($namespace in $Providers) {
    $state = Invoke-Checked { az provider show --subscription $sub --namespace $namespace --query registrationState -o tsv }
    if ($state -ne 'Registered') {
      Write-Output "DriftGuard: registering $namespace on subscription $sub ($state)"
      Invoke-Checked { az provider register --subscription $sub --namespace $namespace --output none } | Out-Null
    }
  }
  $deadline = (Get-Date).AddSeconds($WaitSeconds)
  foreach ($namespace in $Providers) {
    while ($true) {
      $state = Invoke-Checked { az provider show --subscription $sub --namespace $namespace --query registrationState -o tsv }
      if ($state -eq 'Registered') { break }
      if ((Get-Date) -ge $deadline) { throw "DriftGuard: $namespace is still $state on subscription $sub after ${WaitSeconds}s; run azd provision again later" }
      Start-Sleep -Seconds 10
    }
  }
}
Write-Output 'DriftGuard: resource providers registered'

# 2. Existing system topics for the watched subscriptions themselves (not DriftGuard's own).
$topics = [ordered]@{}
foreach ($sub in $watched) {
  $all = Invoke-Checked { az eventgrid system-topic list --subscription $sub -o json } | Out-String | ConvertFrom-Json
  $found = @($all | Where-Object {
      $_.topicType -eq 'Microsoft.Resources.Subscriptions' -and
      -not ($_.tags -and $_.tags.PSObject.Properties['azd-env-name'] -and $_.tags.'azd-env-name' -eq $envName)
    }) | Select-Object -First 1
  if ($found) {
    Write-Output "DriftGuard: subscription $sub already has the system topic $($found.name); its event subscriptions will be added to it"
    $tags = if ($found.tags) { $found.tags } else { @{} }
    $topics[$sub] = [ordered]@{ resourceGroup = $found.resourceGroup; name = $found.name; tags = $tags }
  }
}
$topicsJson = ConvertTo-Json -InputObject $topics -Compress -Depth 5
Invoke-Checked { azd env set DRIFTGUARD_EXISTING_SYSTEM_TOPICS $topicsJson } | Out-Null

# 3. A soft-deleted Key Vault of this environment.
$vault = Get-EnvValue 'DRIFTGUARD_KEY_VAULT_NAME'
$deletedVaults = Invoke-Checked { az keyvault list-deleted --subscription $subscription --resource-type vault -o json } | Out-String | ConvertFrom-Json
$deleted = @($deletedVaults | Where-Object {
    $tags = if ($_.PSObject.Properties['tags'] -and $_.tags) { $_.tags } elseif ($_.properties.PSObject.Properties['tags']) { $_.properties.tags } else { $null }
    ($vault -and $_.name -eq $vault) -or
    ($tags -and $tags.PSObject.Properties['azd-env-name'] -and $tags.'azd-env-name' -eq $envName -and $_.properties.location -eq $location -and $_.name.StartsWith('kv-dg-'))
  }) | Select-Object -First 1
if ($deleted) {
  Write-Output "DriftGuard: Key Vault $($deleted.name) is soft-deleted; this provision recovers it"
  Invoke-Checked { azd env set DRIFTGUARD_RECOVER_KEY_VAULT true } | Out-Null
} else {
  Invoke-Checked { azd env set DRIFTGUARD_RECOVER_KEY_VAULT false } | Out-Null
}

# 4. Storage redundancy, unless chosen already.
if (-not (Get-EnvValue 'DRIFTGUARD_STORAGE_SKU') -and $location) {
  $locations = Invoke-Checked { az account list-locations -o json } | Out-String | ConvertFrom-Json
  $region = @($locations | Where-Object { $_.name -eq $location }) | Select-Object -First 1
  $hasZones = $region -and $region.PSObject.Properties['availabilityZoneMappings'] -and @($region.availabilityZoneMappings).Count -gt 0
  $sku = if ($hasZones) { 'Standard_GZRS' } else { 'Standard_GRS' }
  Write-Output "DriftGuard: storage redundancy $sku for $location"
  Invoke-Checked { azd env set DRIFTGUARD_STORAGE_SKU $sku } | Out-Null
}
