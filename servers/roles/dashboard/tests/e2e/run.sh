#!/usr/bin/env bash
# Runs the dashboard browser test: installs Chromium (Debian packages) and
# playwright-core (npm, into the gitignored $E2E_DIR) when missing, then
# drives the page. Needs DASHBOARD_URL and DASHBOARD_TOKEN.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
E2E_DIR="${E2E_DIR:-$here/../../../../../target/e2e}"
PLAYWRIGHT_VERSION="1.56.1"
if [ ! -x /usr/bin/chromium ]; then
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq >&2
  $sudo apt-get install -y -qq chromium chromium-driver >&2
fi
mkdir -p "$E2E_DIR"
if [ ! -f "$E2E_DIR/node_modules/playwright-core/package.json" ]; then
  (cd "$E2E_DIR" && { [ -f package.json ] || echo '{"private":true}' > package.json; } \
    && npm install --no-audit --no-fund --silent "playwright-core@$PLAYWRIGHT_VERSION" >&2)
fi
export E2E_DIR
exec node "$here/dashboard.cjs"
