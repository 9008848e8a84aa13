#!/usr/bin/env bash
# After every `azd provision`: what the deployment cannot do in Microsoft Graph, then the event subscriptions.
#  1. The sign-in managed identity becomes a federated identity credential of the app registration
#     (App Service authentication presents its token instead of a client secret:
#     OVERRIDE_USE_MI_FIC_ASSERTION_CLIENTID). Issuer: the tenant's v2.0 endpoint; subject: the identity's
#     principal (object) id; audience: api://AzureADTokenExchange.
#  2. The console's redirect URI https://<host>/.auth/login/aad/callback on the app registration.
#  3. Only users and groups assigned an app role may sign in (appRoleAssignmentRequired on the service principal).
#  4. The event subscriptions, if the function is deployed already (event-subscriptions.sh).
# Needs Application Administrator (or Cloud Application Administrator) or ownership of the app registration.
set -euo pipefail

env_value() {
  azd env get-value "$1" 2>/dev/null || true
}

client_id="$(env_value DRIFTGUARD_AUTH_CLIENT_ID)"
tenant="$(env_value AZURE_TENANT_ID)"
principal="$(env_value DRIFTGUARD_SIGNIN_PRINCIPAL_ID)"
console_url="$(env_value DRIFTGUARD_CONSOLE_URL)"
token="$(env_value DRIFTGUARD_RESOURCE_TOKEN)"
login="$(az cloud show --query endpoints.activeDirectory -o tsv)"
login="${login%/}"
for name in DRIFTGUARD_AUTH_CLIENT_ID AZURE_TENANT_ID DRIFTGUARD_SIGNIN_PRINCIPAL_ID DRIFTGUARD_CONSOLE_URL DRIFTGUARD_RESOURCE_TOKEN; do
  if [[ -z "$(env_value "$name")" ]]; then
    echo "DriftGuard: $name is not in the azd environment; was the provision complete?" >&2
    exit 1
  fi
done

# 1. Federated identity credential: one per environment, updated in place when the identity was re-created.
credential="driftguard-signin-${token}"
issuer="${login}/${tenant}/v2.0"
body="{\"name\": \"${credential}\", \"issuer\": \"${issuer}\", \"subject\": \"${principal}\", \"description\": \"DriftGuard sign-in (App Service authentication) managed identity\", \"audiences\": [\"api://AzureADTokenExchange\"]}"
existing="$(az ad app federated-credential list --id "$client_id" --query "[?name=='${credential}'].subject | [0]" -o tsv)"
if [[ -z "$existing" ]]; then
  echo "DriftGuard: adding the federated credential $credential (subject $principal) to app $client_id"
  az ad app federated-credential create --id "$client_id" --parameters "$body" --output none
elif [[ "$existing" != "$principal" ]]; then
  echo "DriftGuard: updating the federated credential $credential to the new sign-in identity $principal"
  # Replaced rather than patched: Graph does not let every field of a federated credential change in place.
  az ad app federated-credential delete --id "$client_id" --federated-credential-id "$credential" --output none
  az ad app federated-credential create --id "$client_id" --parameters "$body" --output none
fi

# 2. Redirect URI (kept alongside the ones already there).
host="${console_url#https://}"
host="${host%%/*}"
redirect="https://${host}/.auth/login/aad/callback"
mapfile -t uris < <(az ad app show --id "$client_id" --query "web.redirectUris[]" -o tsv | tr -d '\r')
if [[ " ${uris[*]:-} " != *" ${redirect} "* ]]; then
  echo "DriftGuard: adding the redirect URI $redirect"
  az ad app update --id "$client_id" --web-redirect-uris "${uris[@]}" "$redirect" --output none
fi

# 3. App-role assignment required (the service principal is created if the tenant has none yet).
if ! az ad sp show --id "$client_id" --query id -o tsv >/dev/null 2>&1; then
  az ad sp create --id "$client_id" --output none
fi
required="$(az ad sp show --id "$client_id" --query appRoleAssignmentRequired -o tsv)"
if [[ "$required" != "true" ]]; then
  echo "DriftGuard: requiring an app-role assignment to sign in"
  az ad sp update --id "$client_id" --set appRoleAssignmentRequired=true --output none
fi

# 4. Event subscriptions, once the function exists.
bash "$(dirname "$0")/event-subscriptions.sh"
