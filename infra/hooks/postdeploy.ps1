# After a deploy (Windows): subscribe the function to the watched subscriptions' events (once it exists).
$ErrorActionPreference = 'Stop'
& (Join-Path $PSScriptRoot 'event-subscriptions.ps1')
exit $LASTEXITCODE
