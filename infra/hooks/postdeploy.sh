#!/bin/sh
# After the first deploy: subscribe the function to the watched subscriptions' events.
set -eu
if [ "$(azd env get-value DEPLOY_EVENT_SUBSCRIPTIONS 2>/dev/null || true)" = "true" ]; then
  echo "DriftGuard: event subscriptions already in place"
  exit 0
fi
azd env set DEPLOY_EVENT_SUBSCRIPTIONS true
azd provision --no-prompt
