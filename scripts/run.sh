#!/usr/bin/env bash
# First command of the README: installs what is missing, builds the SPA and the server in
# release mode, and starts Vigie on an embedded SQLite file with demonstration data.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

bash scripts/setup.sh
bash scripts/build.sh
mkdir -p .vigie
export VIGIE_DATABASE_URL="${VIGIE_DATABASE_URL:-sqlite://.vigie/vigie.db?mode=rwc}"
exec ./target/release/vigie serve --demo
