#!/usr/bin/env bash
# Second command of the README: every test. Rust unit and API tests (SQLite, or PostgreSQL when
# DATABASE_URL says so), then the browser tests against the release build.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

bash scripts/setup.sh
echo "[test] Rust tests" >&2
cargo test -p vigie-shared -p vigie-backend -p vigie-frontend
echo "[test] release build for the browser tests" >&2
bash scripts/build.sh
echo "[test] browser tests (headless Chromium)" >&2
(cd e2e && npx playwright test)
