#!/usr/bin/env bash
# Before `azd down`: azd deletes every resource group the deployment put a resource into. Where DriftGuard
# adopted a watched subscription's existing Event Grid system topic (preprovision, DRIFTGUARD_EXISTING_SYSTEM_TOPICS),
# the topic's resource group (often Default-EventGrid) is not DriftGuard's and may hold other resources: stop,
# and say how to remove DriftGuard without it, unless that group is named in DRIFTGUARD_DOWN_ALLOW_GROUP.
set -euo pipefail

env_value() {
  azd env get-value "$1" 2>/dev/null || true
}

subscription="${AZURE_SUBSCRIPTION_ID:-$(env_value AZURE_SUBSCRIPTION_ID)}"
env_name="${AZURE_ENV_NAME:-$(env_value AZURE_ENV_NAME)}"
topics="$(env_value DRIFTGUARD_EXISTING_SYSTEM_TOPICS)"
# Only a topic adopted in the deployment subscription is at risk (azd deletes groups there).
if [[ -z "$subscription" || "$topics" != *"\"${subscription}\""* ]]; then
  exit 0
fi
query="[?(topicType=='Microsoft.Resources.Subscriptions' || topicType=='microsoft.resources.subscriptions') && tags.\"azd-env-name\"!='${env_name}'] | [0].resourceGroup"
group="$(az eventgrid system-topic list --subscription "$subscription" --query "$query" -o tsv | tr -d '\r')"
if [[ -z "$group" || "$group" == "rg-${env_name}" || "$group" == "rg-${env_name}-events" ]]; then
  exit 0
fi
if [[ "$(env_value DRIFTGUARD_DOWN_ALLOW_GROUP)" == "$group" ]]; then
  echo "DriftGuard: going ahead; azd down may delete resource group $group (DRIFTGUARD_DOWN_ALLOW_GROUP)"
  exit 0
fi
cat >&2 <<MESSAGE
DriftGuard: stopped before azd down. DriftGuard's event subscriptions are on the existing system topic in
resource group $group, which DriftGuard did not create, and azd down deletes every resource group the
deployment touched. Remove DriftGuard without it:
  az eventgrid system-topic event-subscription list -g $group --system-topic-name <topic> --subscription $subscription -o table
  az eventgrid system-topic event-subscription delete -g $group --system-topic-name <topic> --name <driftguard-...> --subscription $subscription --yes
  az group delete -n rg-${env_name} --subscription $subscription
  azd env set DEPLOY_EVENT_SUBSCRIPTIONS false
or, if $group may go, run: azd env set DRIFTGUARD_DOWN_ALLOW_GROUP $group && azd down
MESSAGE
exit 1
