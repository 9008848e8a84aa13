# Event Grid subscriptions once the function is deployed (Windows): see event-subscriptions.sh.
$ErrorActionPreference = 'Stop'

function Get-EnvValue([string]$Name) {
  $value = (azd env get-value $Name 2>$null)
  if ($LASTEXITCODE -ne 0) { $global:LASTEXITCODE = 0; return '' }
  return "$value".Trim()
}

if ((Get-EnvValue 'DEPLOY_EVENT_SUBSCRIPTIONS') -eq 'true') {
  Write-Output 'DriftGuard: event subscriptions already in place'
  exit 0
}
$group = Get-EnvValue 'AZURE_RESOURCE_GROUP'
$app = Get-EnvValue 'AZURE_FUNCTION_APP_NAME'
if (-not $group -or -not $app) {
  Write-Output 'DriftGuard: no function app yet; the event subscriptions follow the first deploy'
  exit 0
}
az functionapp function show --resource-group $group --name $app --function-name on_resource_event --query name -o tsv *> $null
if ($LASTEXITCODE -ne 0) {
  Write-Output 'DriftGuard: the function is not deployed yet; the event subscriptions follow the first deploy (postdeploy)'
  exit 0
}
Write-Output 'DriftGuard: the function is deployed; provisioning again with the event subscriptions'
azd env set DEPLOY_EVENT_SUBSCRIPTIONS true
azd provision --no-prompt
if ($LASTEXITCODE -ne 0) {
  azd env set DEPLOY_EVENT_SUBSCRIPTIONS false
  throw 'DriftGuard: provisioning the event subscriptions failed; DEPLOY_EVENT_SUBSCRIPTIONS reset to false'
}
