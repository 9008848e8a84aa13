#!/usr/bin/env bash
# Store a sink secret in DriftGuard's Key Vault: infra/hooks/set-secret.sh SETTING_NAME, the value on stdin
#   (typed without echo at a terminal, or piped: `pass show github/driftguard | infra/hooks/set-secret.sh GITHUB_TOKEN`).
# The vault has no public network access, so its data plane (`az keyvault secret set`) is unreachable from
# outside; the secret goes through Azure Resource Manager instead (Microsoft.KeyVault/vaults/secrets PUT,
# which Key Vault allows whatever its network rules). The caller needs Microsoft.KeyVault/vaults/secrets/write
# on the vault (Contributor or Key Vault Contributor on the resource group, for instance).
# The value never appears on a command line, in the output or in the environment: it goes to a private
# temporary file that is removed on exit. The app setting of the same name (with underscores) is a Key Vault
# reference to the secret named with dashes: GITHUB_TOKEN -> GITHUB-TOKEN.
set -euo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: $0 SETTING_NAME   (the value on stdin)" >&2
  exit 2
fi
setting="$1"
secret="${setting//_/-}"
if [[ ! "$secret" =~ ^[0-9A-Za-z-]{1,127}$ ]]; then
  echo "DriftGuard: $setting is not a valid setting name (letters, digits, underscores)" >&2
  exit 2
fi

env_value() {
  azd env get-value "$1" 2>/dev/null || true
}
subscription="$(env_value AZURE_SUBSCRIPTION_ID)"
group="$(env_value AZURE_RESOURCE_GROUP)"
vault="$(env_value DRIFTGUARD_KEY_VAULT_NAME)"
if [[ -z "$subscription" || -z "$group" || -z "$vault" ]]; then
  echo "DriftGuard: run this in the azd project after 'azd provision' (AZURE_SUBSCRIPTION_ID, AZURE_RESOURCE_GROUP, DRIFTGUARD_KEY_VAULT_NAME)" >&2
  exit 1
fi
# DRIFTGUARD_SINK_SECRET_SETTINGS is the JSON array infra/main.parameters.json passes to sinkSecretSettings.
settings="$(env_value DRIFTGUARD_SINK_SECRET_SETTINGS)"
if [[ "$settings" != *"\"${setting}\""* ]]; then
  echo "DriftGuard: warning: $setting is not among the sink secret settings (DRIFTGUARD_SINK_SECRET_SETTINGS); no app setting refers to it" >&2
fi

if [[ -t 0 ]]; then
  IFS= read -r -s -p "Value of $setting (not echoed): " value
  echo >&2
else
  value="$(cat)"
fi
value="${value%$'\n'}"
if [[ -z "$value" ]]; then
  echo "DriftGuard: empty value; nothing stored" >&2
  exit 1
fi

# JSON string escaping, by hand (no jq needed): backslash first, then quote and the usual control characters.
escaped="${value//\\/\\\\}"
escaped="${escaped//\"/\\\"}"
escaped="${escaped//$'\n'/\\n}"
escaped="${escaped//$'\r'/\\r}"
escaped="${escaped//$'\t'/\\t}"
if [[ "$escaped" =~ [[:cntrl:]] ]]; then
  echo "DriftGuard: the value holds control characters; nothing stored" >&2
  exit 1
fi

umask 077
body="$(mktemp)"
trap 'rm -f "$body"' EXIT
printf '{"properties": {"value": "%s", "contentType": "text/plain"}}' "$escaped" >"$body"
unset value escaped

url="/subscriptions/${subscription}/resourceGroups/${group}/providers/Microsoft.KeyVault/vaults/${vault}/secrets/${secret}?api-version=2023-07-01"
az rest --method put --url "$url" --headers "Content-Type=application/json" --body "@${body}" --output none
echo "DriftGuard: stored $secret in $vault. The app resolves Key Vault references again within 24 hours; to use it now:"
echo "  az rest --method post --url /subscriptions/${subscription}/resourceGroups/${group}/providers/Microsoft.Web/sites/$(env_value AZURE_FUNCTION_APP_NAME)/config/configreferences/appsettings/refresh?api-version=2022-03-01"
