# After `azd down` (Windows): see postdown.sh.
$ErrorActionPreference = 'Stop'

function Get-EnvValue([string]$Name) {
  $value = (azd env get-value $Name 2>$null)
  if ($LASTEXITCODE -ne 0) { $global:LASTEXITCODE = 0; return '' }
  return "$value".Trim()
}

azd env set DEPLOY_EVENT_SUBSCRIPTIONS false
if ($LASTEXITCODE -ne 0) { throw 'DriftGuard: azd env set failed' }
azd env set DRIFTGUARD_EXISTING_SYSTEM_TOPICS '{}'
if ($LASTEXITCODE -ne 0) { throw 'DriftGuard: azd env set failed' }
Write-Output 'DriftGuard: DEPLOY_EVENT_SUBSCRIPTIONS reset to false.'
$vault = Get-EnvValue 'DRIFTGUARD_KEY_VAULT_NAME'
if ($vault) {
  Write-Output "DriftGuard: Key Vault $vault is soft-deleted and purge-protected (its secrets with it); the next"
  Write-Output "  'azd up' of this environment recovers it. It cannot be purged before its retention period ends."
}
$token = Get-EnvValue 'DRIFTGUARD_RESOURCE_TOKEN'
$clientId = Get-EnvValue 'DRIFTGUARD_AUTH_CLIENT_ID'
if ($token -and $clientId) {
  Write-Output "DriftGuard: app registration $clientId keeps the federated credential driftguard-signin-$token and the"
  Write-Output "  redirect URI; if this environment is gone for good: az ad app federated-credential delete --id $clientId --federated-credential-id driftguard-signin-$token"
}
