#!/usr/bin/env bash
# Installs the real editor the end-to-end tests drive (see ../shared/REAL-EDITOR.md): Debian's chromium, ripgrep
# and libkrb5-dev where missing, and code-server pinned by test/editor/runtime/package-lock.json into the
# git-ignored .cache/editor/. Idempotent: a stamp holding the lockfile's hash makes a second run a no-op.
# Without root or apt it prints what to install and exits 0; the editor tests then skip (under CI=true they fail).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUNTIME="$ROOT/test/editor/runtime"
CACHE="$ROOT/.cache/editor"
STAMP="$CACHE/.installed"
# Bump the suffix when the steps below change, so existing caches are rebuilt.
WANT="$(cat "$RUNTIME/package.json" "$RUNTIME/package-lock.json" | sha256sum | cut -d' ' -f1)-steps2"

say() { echo "setup-editor: $*"; }

# --- Debian packages -------------------------------------------------------------------------------------------
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
missing=()
if command -v dpkg-query >/dev/null 2>&1; then
  for pkg in libkrb5-dev ripgrep chromium; do installed "$pkg" || missing+=("$pkg"); done
else
  command -v rg >/dev/null 2>&1 || missing+=(ripgrep)
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  command -v krb5-config >/dev/null 2>&1 || missing+=(libkrb5-dev)
fi
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq -o DPkg::Lock::Timeout=300
    apt-get install -y -qq -o DPkg::Lock::Timeout=300 --no-install-recommends "${missing[@]}" >/dev/null
  else
    say "missing ${missing[*]}; install them with: sudo apt-get install ${missing[*]} (the editor tests skip without them)" >&2
    exit 0
  fi
fi

# --- code-server -----------------------------------------------------------------------------------------------
ENTRY="$CACHE/node_modules/code-server/out/node/entry.js"
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANT" ] && [ -f "$ENTRY" ]; then
  say "code-server already installed in .cache/editor"
  exit 0
fi

# Native modules build against the local Node headers (node-gyp would otherwise download them).
if [ -z "${npm_config_nodedir:-}" ] && [ -f /usr/include/node/node.h ]; then export npm_config_nodedir=/usr; fi
export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false

say "installing code-server into .cache/editor (about a minute)"
start=$SECONDS
WORK="$CACHE.tmp"
rm -rf "$WORK"
mkdir -p "$WORK"
cp "$RUNTIME/package.json" "$RUNTIME/package-lock.json" "$WORK/"
cd "$WORK"
# code-server's own postinstall downloads ripgrep and refuses to run as root: do its steps here instead.
npm ci --ignore-scripts --loglevel=error >/dev/null
(
  cd node_modules/code-server/lib/vscode
  npm install --omit=dev --ignore-scripts --no-save --loglevel=error >/dev/null
  npm rebuild kerberos @parcel/watcher @vscode/spdlog @vscode/deviceid native-watchdog --loglevel=error >/dev/null
  npm_config_yes=true npm rebuild node-pty --loglevel=error >/dev/null
  mkdir -p node_modules/@vscode/ripgrep/bin
  ln -sf "$(command -v rg)" node_modules/@vscode/ripgrep/bin/rg
  ln -sfn node_modules node_modules.asar
)
npm_config_build_from_source=true npm rebuild argon2 --loglevel=error >/dev/null
node node_modules/code-server/out/node/entry.js --version >/dev/null
cd "$ROOT"
rm -rf "$CACHE"
mv "$WORK" "$CACHE"
echo "$WANT" > "$STAMP"
say "code-server $(node -p "require('$CACHE/node_modules/code-server/package.json').version") installed in $((SECONDS - start)) s"
