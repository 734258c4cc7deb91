#!/usr/bin/env bash
# Debian packages the test suite needs: Chromium for the browser tests (Playwright drives
# Debian's Chromium; Playwright's own browser download does not work on these machines).
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
dpkg -s fonts-dejavu-core >/dev/null 2>&1 || need+=(fonts-dejavu-core)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "Nodig voor de browsertests: ${need[*]}. Installeer met: sudo apt-get install ${need[*]}" >&2
  exit 1
fi
echo "Installeren: ${need[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
