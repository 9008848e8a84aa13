# After every `azd provision` (Windows): the same as postprovision.sh, which documents each step.
$ErrorActionPreference = 'Stop'

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

foreach ($name in 'DRIFTGUARD_AUTH_CLIENT_ID', 'AZURE_TENANT_ID', 'DRIFTGUARD_SIGNIN_PRINCIPAL_ID', 'DRIFTGUARD_CONSOLE_URL', 'DRIFTGUARD_RESOURCE_TOKEN') {
  if (-not (Get-EnvValue $name)) { throw "DriftGuard: $name is not in the azd environment; was the provision complete?" }
}
$clientId = Get-EnvValue 'DRIFTGUARD_AUTH_CLIENT_ID'
$tenant = Get-EnvValue 'AZURE_TENANT_ID'
$principal = Get-EnvValue 'DRIFTGUARD_SIGNIN_PRINCIPAL_ID'
$consoleUrl = Get-EnvValue 'DRIFTGUARD_CONSOLE_URL'
$token = Get-EnvValue 'DRIFTGUARD_RESOURCE_TOKEN'
$login = (Invoke-Checked { az cloud show --query endpoints.activeDirectory -o tsv }).TrimEnd('/')

# 1. Federated identity credential.
$credential = "driftguard-signin-$token"
$body = [ordered]@{
  name = $credential
  issuer = "$login/$tenant/v2.0"
  subject = $principal
  description = 'DriftGuard sign-in (App Service authentication) managed identity'
  audiences = @('api://AzureADTokenExchange')
}
$bodyFile = New-TemporaryFile
try {
  [IO.File]::WriteAllText($bodyFile.FullName, (ConvertTo-Json -InputObject $body -Compress))  # UTF-8, no BOM
  $existing = Invoke-Checked { az ad app federated-credential list --id $clientId --query "[?name=='$credential'].subject | [0]" -o tsv }
  if (-not $existing) {
    Write-Output "DriftGuard: adding the federated credential $credential (subject $principal) to app $clientId"
    Invoke-Checked { az ad app federated-credential create --id $clientId --parameters "@$($bodyFile.FullName)" --output none } | Out-Null
  } elseif ($existing -ne $principal) {
    Write-Output "DriftGuard: updating the federated credential $credential to the new sign-in identity $principal"
    Invoke-Checked { az ad app federated-credential delete --id $clientId --federated-credential-id $credential --output none } | Out-Null
    Invoke-Checked { az ad app federated-credential create --id $clientId --parameters "@$($bodyFile.FullName)" --output none } | Out-Null
  }
} finally {
  Remove-Item -Path $bodyFile -Force
}

# 2. Redirect URI.
$hostName = ([Uri]$consoleUrl).Host
$redirect = "https://$hostName/.auth/login/aad/callback"
$uris = @(Invoke-Checked { az ad app show --id $clientId --query 'web.redirectUris[]' -o tsv } | Where-Object { $_ })
if ($uris -notcontains $redirect) {
  Write-Output "DriftGuard: adding the redirect URI $redirect"
  $all = @($uris) + $redirect
  Invoke-Checked { az ad app update --id $clientId --web-redirect-uris @all --output none } | Out-Null
}

# 3. App-role assignment required.
az ad sp show --id $clientId --query id -o tsv *> $null
if ($LASTEXITCODE -ne 0) {
  $global:LASTEXITCODE = 0
  Invoke-Checked { az ad sp create --id $clientId --output none } | Out-Null
}
$required = Invoke-Checked { az ad sp show --id $clientId --query appRoleAssignmentRequired -o tsv }
if ($required -ne 'true') {
  Write-Output 'DriftGuard: requiring an app-role assignment to sign in'
  Invoke-Checked { az ad sp update --id $clientId --set appRoleAssignmentRequired=true --output none } | Out-Null
}

# 4. Event subscriptions, once the function exists.
& (Join-Path $PSScriptRoot 'event-subscriptions.ps1')
exit $LASTEXITCODE
