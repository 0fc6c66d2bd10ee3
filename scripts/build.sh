#!/usr/bin/env bash
# Release build of the browser apps (trunk, one per audience: see "Frontend apps" in README.md)
# and the server. The apps' files are also written precompressed (brotli -q 11, gzip -9): the
# server sends those as they are instead of compressing on the fly at a lower level.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
# The office app first: trunk empties its output folder, dist/, which holds the others.
echo "[build] office app (trunk, release) → dist/" >&2
trunk build --release
echo "[build] hall app (trunk, release) → dist/hall/" >&2
trunk build frontend/hall.html --release --dist dist/hall --public-url /hall/
echo "[build] approver app (trunk, release) → dist/approver/" >&2
trunk build frontend/approver.html --release --dist dist/approver --public-url /approver/
find dist -type f \( -name '*.wasm' -o -name '*.js' -o -name '*.css' -o -name '*.svg' -o -name '*.webmanifest' \) \
  -exec brotli -kf -q 11 {} \; -exec gzip -kf -9 {} \;
echo "[build] server (release)" >&2
cargo build --release -p vigie-backend
