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
# The browser tests move the server's clock: they run `vigie-testing`, the same program with the
# test-only routes compiled in. The release `vigie` must not have them.
cargo build --release -p vigie-backend --features testing --bin vigie-testing
if grep -q "/api/testing/" target/release/vigie; then
  echo "[test] FAILED: the release vigie contains the test-only routes" >&2
  exit 1
fi
grep -q "/api/testing/" target/release/vigie-testing || {
  echo "[test] FAILED: the check above would not see test-only routes" >&2
  exit 1
}
echo "[test] OpenAPI document against the release server (schemathesis)" >&2
bash scripts/schemathesis.sh
echo "[test] browser tests (headless Chromium)" >&2
(cd e2e && npx playwright test)
