#!/usr/bin/env bash
# Installs Debian's `chromium` when /usr/bin/chromium is missing: the admin page's browser test
# (test/integration/admin.browser.test.ts) drives it with playwright-core. Needs root (CI runs as
# root); on a machine that already has it, does nothing.
set -euo pipefail
CHROMIUM=/usr/bin/chromium
if [ -x "$CHROMIUM" ]; then
  echo "chromium is installed: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "chromium is missing and installing it needs root: run sudo scripts/ensure-chromium.sh (or apt-get install chromium)" >&2
  exit 1
fi
echo "chromium is missing: installing Debian's chromium package"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# Without recommends (upower, udev, printing...); fonts-liberation so pages render with real fonts.
apt-get install -y -qq --no-install-recommends chromium fonts-liberation >/dev/null
"$CHROMIUM" --version
