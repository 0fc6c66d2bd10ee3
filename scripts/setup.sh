#!/usr/bin/env bash
# Installs every tool Vigie needs to build and test, skipping what is already there.
# Safe to run again: each step checks first. Versions are pinned here and nowhere else.
set -euo pipefail

TRUNK_VERSION=0.21.14
WASM_BINDGEN_VERSION=0.2.130   # must equal wasm-bindgen in Cargo.lock (see Trunk.toml)
WASM_OPT_VERSION=0.116.1

export PATH="$HOME/.cargo/bin:$PATH"
log() { echo "[setup] $*" >&2; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# The browser apps' standard library is rebuilt for size with nightly (scripts/build.sh): it
# needs nightly's library sources. Without a nightly toolchain the apps are built with stable.
if rustup run nightly rustc --version >/dev/null 2>&1 \
  && ! rustup component list --toolchain nightly --installed | grep -q '^rust-src'; then
  log "adding rust-src to the nightly toolchain"
  rustup component add rust-src --toolchain nightly
fi

# trunk builds offline: the standard library's own dependencies (for build-std) are fetched here.
if rustup component list --toolchain nightly --installed 2>/dev/null | grep -q '^rust-src'; then
  RUSTUP_TOOLCHAIN=nightly cargo fetch -q -Zbuild-std=std,panic_abort --target wasm32-unknown-unknown
fi

if ! trunk --version 2>/dev/null | grep -q "$TRUNK_VERSION"; then
  log "installing trunk $TRUNK_VERSION (several minutes on 2 cores)"
  cargo install --locked trunk --version "$TRUNK_VERSION"
fi

if ! wasm-bindgen --version 2>/dev/null | grep -q "$WASM_BINDGEN_VERSION"; then
  log "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION"
  # --locked fails for this crate; the version pin is what matters.
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
fi

if ! wasm-opt --version 2>/dev/null | grep -q "version 116"; then
  log "installing wasm-opt (binaryen 116; Debian's 108 produces a broken wasm)"
  cargo install --locked wasm-opt --version "$WASM_OPT_VERSION"
fi

# Debian packages: Chromium for browser tests, PostgreSQL for the PostgreSQL test run, wrk for the benchmark.
need_apt=()
command -v chromium >/dev/null || need_apt+=(chromium)
[ -x /usr/lib/postgresql/*/bin/initdb ] 2>/dev/null || need_apt+=(postgresql)
command -v wrk >/dev/null || need_apt+=(wrk)
command -v brotli >/dev/null || need_apt+=(brotli)
if [ ${#need_apt[@]} -gt 0 ]; then
  log "installing Debian packages: ${need_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

# Browser test dependencies (Playwright as a library; it never downloads a browser here).
# Reinstalled whenever package-lock.json changes (a stamp keeps its hash).
if [ -f e2e/package-lock.json ]; then
  want=$(sha256sum e2e/package-lock.json | cut -d' ' -f1)
  have=$(cat e2e/node_modules/.vigie-stamp 2>/dev/null || true)
  if [ "$want" != "$have" ]; then
    log "installing e2e npm packages"
    (cd e2e && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)
    echo "$want" > e2e/node_modules/.vigie-stamp
  fi
fi
# schemathesis (the OpenAPI checker of scripts/schemathesis.sh), in a virtual environment of its own.
SCHEMATHESIS_VERSION=4.32.5
venv="$(cd "$(dirname "$0")/.." && pwd)/.venv"
if ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then
  log "installing schemathesis $SCHEMATHESIS_VERSION"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "schemathesis==$SCHEMATHESIS_VERSION"
fi
# http-ece (with cryptography): the API tests decrypt Web Push messages and check their VAPID
# token with it (backend/tests/support/decrypt_push.py), an implementation independent of ours.
HTTP_ECE_VERSION=1.2.1
if ! "$venv/bin/python3" -c "import http_ece, cryptography" 2>/dev/null; then
  log "installing http-ece $HTTP_ECE_VERSION"
  "$venv/bin/pip" install -q "http-ece==$HTTP_ECE_VERSION"
fi
log "tools ready"
