#!/usr/bin/env bash
# After `azd down`: what the deleted resources leave behind.
#  - The event subscriptions went with the function: the next provision must leave them out until the function
#    is deployed again (event-subscriptions.sh sets the variable back once it is).
#  - The Key Vault is soft-deleted and purge-protected: its name stays reserved for the retention period
#    (90 days). The next provision recovers it (preprovision sets DRIFTGUARD_RECOVER_KEY_VAULT); it cannot be
#    purged before the period ends, `azd down --purge` included.
#  - The app registration keeps this environment's federated credential and redirect URI: the next provision
#    updates them; remove them by hand if the environment is gone for good.
set -euo pipefail

azd env set DEPLOY_EVENT_SUBSCRIPTIONS false
azd env set DRIFTGUARD_EXISTING_SYSTEM_TOPICS "{}"
vault="$(azd env get-value DRIFTGUARD_KEY_VAULT_NAME 2>/dev/null || true)"
echo "DriftGuard: DEPLOY_EVENT_SUBSCRIPTIONS reset to false."
if [[ -n "$vault" ]]; then
  echo "DriftGuard: Key Vault $vault is soft-deleted and purge-protected (its secrets with it); the next"
  echo "  'azd up' of this environment recovers it. It cannot be purged before its retention period ends."
fi
token="$(azd env get-value DRIFTGUARD_RESOURCE_TOKEN 2>/dev/null || true)"
client_id="$(azd env get-value DRIFTGUARD_AUTH_CLIENT_ID 2>/dev/null || true)"
if [[ -n "$token" && -n "$client_id" ]]; then
  echo "DriftGuard: app registration $client_id keeps the federated credential driftguard-signin-$token and the"
  echo "  redirect URI; if this environment is gone for good: az ad app federated-credential delete --id $client_id --federated-credential-id driftguard-signin-$token"
fi
