#!/usr/bin/env bash
# Installs the toolchains that run the generated test suites (src/core/generate/runners.ts), from Debian's
# packages where they are missing: pytest + requests, Go, JUnit 5 with a JDK, and Rust with the ureq and
# serde_json crates in Debian's crate directory (/usr/share/cargo/registry; cargo cannot reach crates.io here, so
# the test harness builds offline against that directory). Idempotent: with everything present it only asks dpkg
# and exits. Without root or apt it prints one line per package it could not install and exits 0; the runner
# tests then skip with a reason naming the package (under CI=true they fail).
set -euo pipefail

say() { echo "setup-runners: $*"; }

# Debian package → what it brings (for the messages only).
PACKAGES=(
  python3-pytest          # pytest for tests/test_generated.py
  python3-requests        # the HTTP client generated Python tests use
  golang-go               # go test, gofmt
  junit5                  # /usr/share/java/junit-platform-console-standalone.jar and the Jupiter jars
  openjdk-17-jdk-headless # javac, java
  librust-ureq-dev        # ureq and its dependencies in /usr/share/cargo/registry
  librust-serde-json-dev  # serde_json, likewise
  cargo                   # Debian's cargo and rustc: the versions Debian's crates are built and tested with
  rustc
  rustfmt                 # rustfmt --check
)

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

if ! command -v dpkg-query >/dev/null 2>&1; then
  say "no dpkg here: install ${PACKAGES[*]} (or their equivalents) by hand; the runner tests skip without them" >&2
  exit 0
fi

missing=()
for pkg in "${PACKAGES[@]}"; do installed "$pkg" || missing+=("$pkg"); done
if [ ${#missing[@]} -eq 0 ]; then
  say "all runner packages present"
  exit 0
fi

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  for pkg in "${missing[@]}"; do
    say "could not install $pkg (needs root and apt-get): sudo apt-get install $pkg" >&2
  done
  exit 0
fi

start=$SECONDS
say "installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
APT=(apt-get -qq -o DPkg::Lock::Timeout=300)
"${APT[@]}" update || say "apt-get update failed; trying with the package lists already here" >&2
if ! "${APT[@]}" install -y --no-install-recommends "${missing[@]}" >/dev/null; then
  # One bad package must not stop the others: retry one by one and name each that still fails.
  for pkg in "${missing[@]}"; do
    installed "$pkg" && continue
    "${APT[@]}" install -y --no-install-recommends "$pkg" >/dev/null 2>&1 || say "could not install $pkg (apt-get install $pkg failed)" >&2
  done
fi
say "done in $((SECONDS - start)) s"
