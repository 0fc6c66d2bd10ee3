#!/usr/bin/env bash
# schemathesis against /api/openapi.json of a release server with the demonstration data, every
# check on, a bounded number of examples per operation: once anonymous, once signed in as a
# professional. It must find no server error, no undocumented status code, no response that
# contradicts its schema or content type, no schema-violating request accepted.
# Excluded: `positive_data_acceptance` — business rules refuse some schema-valid data on purpose
# (checksums, unknown tokens, WebAuthn proofs that do not verify…): the README lists them.
# The test-only routes are left out (they move the clock). SCHEMATHESIS_SERVER names another
# build of vigie-testing to check (default: the release one).
set -euo pipefail
cd "$(dirname "$0")/.."
st=.venv/bin/schemathesis
dir=$(mktemp -d)
port=$((20000 + RANDOM % 10000))
base="http://localhost:$port"
VIGIE_LISTEN="127.0.0.1:$port" VIGIE_PUBLIC_URL="$base" \
  VIGIE_DATABASE_URL="sqlite://$dir/vigie.db?mode=rwc" VIGIE_DIST_DIR="$dir/none" \
  VIGIE_VAULT__KEYS_FILE="$dir/vigie.keys" VIGIE_TESTING=true VIGIE_LOG=error \
  DATABASE_URL="sqlite://$dir/vigie.db?mode=rwc" \
  "${SCHEMATHESIS_SERVER:-target/release/vigie-testing}" serve --demo >"$dir/server.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$dir"' EXIT
for _ in $(seq 1 150); do
  curl -fs "$base/api/health" >/dev/null 2>&1 && break
  sleep 0.2
done
curl -fs "$base/api/health" >/dev/null || { echo "[schemathesis] the server did not start:" >&2; cat "$dir/server.log" >&2; exit 1; }
cookie=$(curl -fs -X POST -H "Origin: $base" -H 'content-type: application/json' \
  -d '{"national_id":"810003456786"}' "$base/api/testing/session" |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["cookie"])')
common=(--checks all --exclude-checks positive_data_acceptance --max-examples 20 --seed 1
  --exclude-path-regex '^/api/testing/' --no-color -H "Origin: $base")
echo "[schemathesis] anonymous" >&2
"$st" run "${common[@]}" "$base/api/openapi.json"
echo "[schemathesis] signed in as a professional" >&2
# Logging out would end the run's session for every later operation.
"$st" run "${common[@]}" --exclude-path '/api/session/logout' -H "Cookie: $cookie" \
  "$base/api/openapi.json"
