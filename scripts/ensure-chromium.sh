#!/usr/bin/env bash
# Part of `npm test`: the admin page's browser test (test/integration/admin.browser.test.ts) drives
# Debian's chromium with playwright-core. When /usr/bin/chromium is missing it is installed from
# Debian's packages if we are root (CI and this project's machines are), otherwise this stops the
# run with one line saying what to do. Silent when chromium is there.
set -euo pipefail
CHROMIUM=/usr/bin/chromium
[ -x "$CHROMIUM" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "chromium is missing (the admin page's browser test needs $CHROMIUM): run 'sudo apt-get install chromium' (or 'sudo bash scripts/ensure-chromium.sh'), then npm test again" >&2
  exit 1
fi
echo "chromium is missing: installing Debian's chromium package (a minute or two, once)"
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# Without recommends (upower, udev, printing...); fonts-liberation so pages render with real fonts.
# apt's output is shown only when it fails.
if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium fonts-liberation; } >"$log" 2>&1; then
  cat "$log" >&2
  echo "installing chromium failed (output above): install it with 'apt-get install chromium', then npm test again" >&2
  exit 1
fi
echo "installed: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
