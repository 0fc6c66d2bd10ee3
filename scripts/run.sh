#!/usr/bin/env bash
# First command of the README: installs what is missing, builds the SPA and the server in
# release mode, and starts Vigie on an embedded SQLite file with demonstration data.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

bash scripts/setup.sh
echo "[run] building the SPA (trunk, release)" >&2
trunk build --release
echo "[run] building the server (release)" >&2
cargo build --release -p vigie-backend
mkdir -p .vigie
export VIGIE_DATABASE_URL="${VIGIE_DATABASE_URL:-sqlite://.vigie/vigie.db?mode=rwc}"
exec ./target/release/vigie serve --demo
