# After the first deploy: subscribe the function to the watched subscriptions' events.
$ErrorActionPreference = 'Stop'
$current = (azd env get-value DEPLOY_EVENT_SUBSCRIPTIONS 2>$null)
if ($current -eq 'true') {
  Write-Output 'DriftGuard: event subscriptions already in place'
  exit 0
}
azd env set DEPLOY_EVENT_SUBSCRIPTIONS true
azd provision --no-prompt
