#!/usr/bin/env bash
# After a deploy: subscribe the function to the watched subscriptions' events (once the function exists).
set -euo pipefail
exec bash "$(dirname "$0")/event-subscriptions.sh"
