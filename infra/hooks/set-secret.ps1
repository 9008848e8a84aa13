# Store a sink secret in DriftGuard's Key Vault (Windows): see set-secret.sh.
#   infra/hooks/set-secret.ps1 SETTING_NAME   (typed without echo, or piped: Get-Content token.txt | ./set-secret.ps1 GITHUB_TOKEN)
# Through Azure Resource Manager (the vault has no public network access); the value is never echoed.
param([Parameter(Mandatory = $true)][string]$Setting)
$ErrorActionPreference = 'Stop'

function Get-EnvValue([string]$Name) {
  $value = (azd env get-value $Name 2>$null)
  if ($LASTEXITCODE -ne 0) { $global:LASTEXITCODE = 0; return '' }
  return "$value".Trim()
}

$secret = $Setting.Replace('_', '-')
if ($secret -notmatch '^[0-9A-Za-z-]{1,127}$') { throw "DriftGuard: $Setting is not a valid setting name (letters, digits, underscores)" }
$subscription = Get-EnvValue 'AZURE_SUBSCRIPTION_ID'
$group = Get-EnvValue 'AZURE_RESOURCE_GROUP'
$vault = Get-EnvValue 'DRIFTGUARD_KEY_VAULT_NAME'
if (-not $subscription -or -not $group -or -not $vault) {
  throw "DriftGuard: run this in the azd project after 'azd provision' (AZURE_SUBSCRIPTION_ID, AZURE_RESOURCE_GROUP, DRIFTGUARD_KEY_VAULT_NAME)"
}
# DRIFTGUARD_SINK_SECRET_SETTINGS is the JSON array infra/main.parameters.json passes to sinkSecretSettings.
$settingsJson = Get-EnvValue 'DRIFTGUARD_SINK_SECRET_SETTINGS'
$settings = if ($settingsJson) { @(ConvertFrom-Json $settingsJson) } else { @() }
if ($settings -notcontains $Setting) {
  Write-Warning "DriftGuard: $Setting is not among the sink secret settings (DRIFTGUARD_SINK_SECRET_SETTINGS); no app setting refers to it"
}

if ([Console]::IsInputRedirected) {
  $value = [Console]::In.ReadToEnd().TrimEnd("`r", "`n")
} else {
  $secure = Read-Host -AsSecureString "Value of $Setting (not echoed)"
  $value = [Runtime.InteropServices.Marshal]::PtrToStringBSTR([Runtime.InteropServices.Marshal]::SecureStringToBSTR($secure))
}
if (-not $value) { throw 'DriftGuard: empty value; nothing stored' }

$body = New-TemporaryFile
try {
  $json = ConvertTo-Json -Compress -InputObject @{ properties = @{ value = $value; contentType = 'text/plain' } }
  [IO.File]::WriteAllText($body.FullName, $json)  # UTF-8, no BOM
  Remove-Variable value, json
  $url = "/subscriptions/$subscription/resourceGroups/$group/providers/Microsoft.KeyVault/vaults/$vault/secrets/${secret}?api-version=2023-07-01"
  az rest --method put --url $url --headers 'Content-Type=application/json' --body "@$($body.FullName)" --output none
  if ($LASTEXITCODE -ne 0) { throw 'DriftGuard: storing the secret failed' }
} finally {
  Remove-Item -Path $body -Force
}
$app = Get-EnvValue 'AZURE_FUNCTION_APP_NAME'
Write-Output "DriftGuard: stored $secret in $vault. The app resolves Key Vault references again within 24 hours; to use it now:"
Write-Output "  az rest --method post --url /subscriptions/$subscription/resourceGroups/$group/providers/Microsoft.Web/sites/$app/config/configreferences/appsettings/refresh?api-version=2022-03-01"
