#!/usr/bin/env bash
# Event Grid validates an event subscription by calling the function, so the subscriptions can only be created
# once the function is deployed. Once it is (and they are not yet in place), set DEPLOY_EVENT_SUBSCRIPTIONS and
# provision again. Called by the postprovision and postdeploy hooks; `azd down` resets the variable (postdown).
set -euo pipefail

env_value() {
  azd env get-value "$1" 2>/dev/null || true
}

if [[ "$(env_value DEPLOY_EVENT_SUBSCRIPTIONS)" == "true" ]]; then
  echo "DriftGuard: event subscriptions already in place"
  exit 0
fi
group="$(env_value AZURE_RESOURCE_GROUP)"
app="$(env_value AZURE_FUNCTION_APP_NAME)"
if [[ -z "$group" || -z "$app" ]]; then
  echo "DriftGuard: no function app yet; the event subscriptions follow the first deploy"
  exit 0
fi
if ! az functionapp function show --resource-group "$group" --name "$app" --function-name on_resource_event \
  --query name -o tsv >/dev/null 2>&1; then
  echo "DriftGuard: the function is not deployed yet; the event subscriptions follow the first deploy (postdeploy)"
  exit 0
fi
echo "DriftGuard: the function is deployed; provisioning again with the event subscriptions"
azd env set DEPLOY_EVENT_SUBSCRIPTIONS true
if ! azd provision --no-prompt; then
  azd env set DEPLOY_EVENT_SUBSCRIPTIONS false
  echo "DriftGuard: provisioning the event subscriptions failed; DEPLOY_EVENT_SUBSCRIPTIONS reset to false" >&2
  exit 1
fi
