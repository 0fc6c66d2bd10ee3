#!/usr/bin/env bash
# Release build of the SPA (trunk) and the server. The SPA's files are also written
# precompressed (brotli -q 11, gzip -9): the server sends those as they are instead of
# compressing on the fly at a lower level.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
echo "[build] SPA (trunk, release)" >&2
trunk build --release
find dist -type f \( -name '*.wasm' -o -name '*.js' -o -name '*.css' -o -name '*.svg' -o -name '*.webmanifest' \) \
  -exec brotli -kf -q 11 {} \; -exec gzip -kf -9 {} \;
echo "[build] server (release)" >&2
cargo build --release -p vigie-backend
