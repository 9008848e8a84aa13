#!/usr/bin/env bash
# Before every `azd provision`: what the deployment cannot find out for itself.
#  1. Register the resource providers DriftGuard needs, on the deployment subscription and on every watched
#     subscription, and wait until they are Registered (Flex Consumption's VNet integration needs Microsoft.App).
#  2. Per watched subscription, find an Event Grid system topic that already exists for the subscription itself
#     (Event Grid allows one per source): DriftGuard adds its event subscriptions to it instead of creating one.
#  3. Find a soft-deleted Key Vault of this environment (purge protection keeps its name after `azd down`):
#     the deployment recovers it instead of failing to create it.
#  4. Pick the storage redundancy from the region (GZRS with availability zones, else GRS) unless set.
# Every result goes into the azd environment, under the variable infra/main.parameters.json reads.
set -euo pipefail

PROVIDERS=(
  Microsoft.App
  Microsoft.EventGrid
  Microsoft.Web
  Microsoft.KeyVault
  Microsoft.Storage
  Microsoft.Network
  Microsoft.OperationalInsights
  Microsoft.Insights
  Microsoft.ManagedIdentity
)
WAIT_SECONDS="${DRIFTGUARD_PROVIDER_WAIT_SECONDS:-600}"

env_value() {
  azd env get-value "$1" 2>/dev/null || true
}

subscription="${AZURE_SUBSCRIPTION_ID:-$(env_value AZURE_SUBSCRIPTION_ID)}"
location="${AZURE_LOCATION:-$(env_value AZURE_LOCATION)}"
env_name="${AZURE_ENV_NAME:-$(env_value AZURE_ENV_NAME)}"
if [[ -z "$subscription" ]]; then
  echo "DriftGuard: AZURE_SUBSCRIPTION_ID is not set in the azd environment (set it with azd env set)" >&2
  exit 1
fi

# The watched subscriptions: a JSON array of ids in DRIFTGUARD_WATCHED_SUBSCRIPTIONS; absent or empty means
# the subscription deployed to (as in infra/main.bicep).
watched_json="$(env_value DRIFTGUARD_WATCHED_SUBSCRIPTIONS)"
watched=()
if [[ -n "$watched_json" ]]; then
  for id in $(printf '%s' "$watched_json" | tr -d '[]" \r\n' | tr ',' ' '); do
    if [[ ! "$id" =~ ^[0-9a-fA-F-]{36}$ ]]; then
      echo "DriftGuard: DRIFTGUARD_WATCHED_SUBSCRIPTIONS must be a JSON array of subscription ids, got: $watched_json" >&2
      exit 1
    fi
    watched+=("$id")
  done
fi
if [[ ${#watched[@]} -eq 0 ]]; then
  watched=("$subscription")
fi

# 1. Resource providers.
register_providers() {
  local sub="$1" namespace state deadline
  for namespace in "${PROVIDERS[@]}"; do
    state="$(az provider show --subscription "$sub" --namespace "$namespace" --query registrationState -o tsv)"
    if [[ "$state" != "Registered" ]]; then
      echo "DriftGuard: registering $namespace on subscription $sub ($state)"
      az provider register --subscription "$sub" --namespace "$namespace" --output none
    fi
  done
  deadline=$((SECONDS + WAIT_SECONDS))
  for namespace in "${PROVIDERS[@]}"; do
    while true; do
      state="$(az provider show --subscription "$sub" --namespace "$namespace" --query registrationState -o tsv)"
      [[ "$state" == "Registered" ]] && break
      if ((SECONDS >= deadline)); then
        echo "DriftGuard: $namespace is still $state on subscription $sub after ${WAIT_SECONDS}s; run azd provision again later" >&2
        exit 1
      fi
      sleep 10
    done
  done
}

declare -A seen=()
for sub in "$subscription" "${watched[@]}"; do
  key="$(printf '%s' "$sub" | tr '[:upper:]' '[:lower:]')"
  [[ -n "${seen[$key]:-}" ]] && continue
  seen[$key]=1
  register_providers "$sub"
done
echo "DriftGuard: resource providers registered"

# 2. Existing system topics for the watched subscriptions themselves. DriftGuard's own topic (tagged with
# this environment) is not "existing": the deployment manages it.
topics="{"
separator=""
for sub in "${watched[@]}"; do
  query="[?(topicType=='Microsoft.Resources.Subscriptions' || topicType=='microsoft.resources.subscriptions') && tags.\"azd-env-name\"!='${env_name}'] | [0].{resourceGroup: resourceGroup, name: name, tags: tags}"
  found="$(az eventgrid system-topic list --subscription "$sub" --query "$query" -o json | tr -d '\r\n')"
  if [[ -n "$found" && "$found" != "null" ]]; then
    echo "DriftGuard: subscription $sub already has a system topic; its event subscriptions will be added to it: $found"
    topics+="${separator}\"${sub}\": ${found}"
    separator=", "
  fi
done
topics+="}"
azd env set DRIFTGUARD_EXISTING_SYSTEM_TOPICS "$topics"

# 3. A soft-deleted Key Vault of this environment: the name recorded by an earlier provision, or one tagged
# with this environment in this region (the name carries the region: another region's vault is not ours).
vault="$(env_value DRIFTGUARD_KEY_VAULT_NAME)"
query="[?name=='${vault}' || (tags.\"azd-env-name\"=='${env_name}' && properties.location=='${location}' && starts_with(name, 'kv-dg-'))].name | [0]"
deleted="$(az keyvault list-deleted --subscription "$subscription" --resource-type vault --query "$query" -o tsv 2>/dev/null || true)"
if [[ -z "$deleted" ]]; then
  # Older CLIs put the tags under properties.
  query="[?name=='${vault}' || (properties.tags.\"azd-env-name\"=='${env_name}' && properties.location=='${location}' && starts_with(name, 'kv-dg-'))].name | [0]"
  deleted="$(az keyvault list-deleted --subscription "$subscription" --resource-type vault --query "$query" -o tsv 2>/dev/null || true)"
fi
if [[ -n "$deleted" ]]; then
  echo "DriftGuard: Key Vault $deleted is soft-deleted; this provision recovers it"
  azd env set DRIFTGUARD_RECOVER_KEY_VAULT true
else
  azd env set DRIFTGUARD_RECOVER_KEY_VAULT false
fi

# 4. Storage redundancy, unless chosen already.
if [[ -z "$location" ]]; then
  echo "DriftGuard: AZURE_LOCATION is not set yet; storage redundancy stays Standard_GRS unless DRIFTGUARD_STORAGE_SKU is set"
fi
if [[ -z "$(env_value DRIFTGUARD_STORAGE_SKU)" && -n "$location" ]]; then
  zones="$(az account list-locations --query "[?name=='${location}'] | [0].availabilityZoneMappings | length(@)" -o tsv 2>/dev/null || true)"
  if [[ -n "$zones" && "$zones" != "0" ]]; then
    sku=Standard_GZRS
  else
    sku=Standard_GRS
  fi
  echo "DriftGuard: storage redundancy $sku for $location"
  azd env set DRIFTGUARD_STORAGE_SKU "$sku"
fi
