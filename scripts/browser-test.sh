#!/usr/bin/env bash
# Browser test of the dashboard: Debian's Chromium driven by playwright-core (no browser download).
# Builds the API, then runs apps/api/test/browser/dashboard.browser.ts and console.browser.ts; each starts the built app
# on an ephemeral port (PGlite, or a fresh schema of DATABASE_URL when set) and stops it again.
# Screenshot and logs: test-results/browser/ (BROWSER_RESULTS_DIR to change).
set -euo pipefail
cd "$(dirname "$0")/.."

CHROMIUM_PATH="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ ! -x "$CHROMIUM_PATH" ]; then
  echo "browser-test: $CHROMIUM_PATH missing, installing Debian's chromium"
  if [ "$(id -u)" -ne 0 ]; then
    echo "browser-test: not root; install it with: sudo apt-get update && sudo apt-get install -y chromium" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y chromium
fi
export CHROMIUM_PATH
"$CHROMIUM_PATH" --version 2>/dev/null || true

if [ "${SKIP_BUILD:-0}" != "1" ]; then
  npm run build
fi
# the dashboard's test, then the console's (startup flow, forecast upload, public page, axe)
status=0
npx tsx apps/api/test/browser/dashboard.browser.ts || status=1
npx tsx apps/api/test/browser/console.browser.ts || status=1
exit $status
