#!/usr/bin/env bash
# Installs the system packages the tests use, where they are missing: sqlite3 (reads the store as a user
# would), openssl (certificates for HTTPS tests), chromium (webview panels under playwright-core), faketime
# (libfaketime, for the clock-skew chaos action), PostgreSQL, MariaDB and Redis (real servers the protocol capture
# tests start on loopback, with pgbench and redis-benchmark for bench:protocols), xmllint (libxml2-utils: the readiness
# suite's JUnit XML checked against its XSD); then the
# toolchains that run generated test suites (scripts/setup-runners.sh) and the real editor for the end-to-end tests
# (scripts/setup-editor.sh). Needs root and apt; otherwise it says what to install and the tests that need a
# missing tool skip with a reason naming the package (under CI=true they fail instead).
set -euo pipefail

# command → Debian package
declare -A NEEDED=(
  [sqlite3]=sqlite3
  [openssl]=openssl
  [chromium]=chromium
  [faketime]=faketime
  [mariadbd]=mariadb-server
  [redis-server]=redis-server
  [redis-benchmark]=redis-tools
  [pgbench]=postgresql-contrib
  [xmllint]=libxml2-utils
)

missing=()
for cmd in "${!NEEDED[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || PATH="$PATH:/usr/sbin" command -v "$cmd" >/dev/null 2>&1 || missing+=("${NEEDED[$cmd]}")
done
# The PostgreSQL server lives off PATH (/usr/lib/postgresql/<version>/bin).
compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null || missing+=(postgresql)

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all system packages present"
elif [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq -o DPkg::Lock::Timeout=300 --no-install-recommends "${missing[@]}" >/dev/null
  echo "setup: done"
else
  echo "setup: missing ${missing[*]}; install them with: sudo apt-get install ${missing[*]}" >&2
  echo "setup: tests that need them will be skipped" >&2
fi

bash "$(dirname "$0")/setup-runners.sh"
bash "$(dirname "$0")/setup-editor.sh"
