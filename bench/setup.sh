#!/usr/bin/env bash
# Installs what bench/capture.mjs compares against, if missing: mitmdump (Debian package mitmproxy) and wrk.
# Debian/Ubuntu, as root (or with sudo). Everything else the benchmark needs is in node_modules (autocannon).
set -euo pipefail
missing=()
command -v mitmdump >/dev/null 2>&1 || missing+=(mitmproxy)
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
if [ ${#missing[@]} -eq 0 ]; then
  echo "bench/setup.sh: mitmdump and wrk are installed"
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "bench/setup.sh: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
