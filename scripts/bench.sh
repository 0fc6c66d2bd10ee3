#!/usr/bin/env bash
# Benchmark (not a test): SPA size and first-load transfer, /api/health throughput and p99 at
# 64 connections next to the API's cheapest answer (a JSON 404, the baseline, same run),
# and server memory at rest. Needs the release builds (scripts/run.sh or scripts/test.sh made them).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
bash scripts/setup.sh >/dev/null
[ -f dist/index.html ] && [ -f dist/hall/index.html ] && [ -f dist/entry/index.html ] && [ -f dist/approver/index.html ] && [ -x target/release/vigie ] || bash scripts/build.sh
DURATION=${BENCH_SECONDS:-10}

echo "== Office app size (release wasm)"
wasm=$(ls dist/*.wasm | head -n 1)
raw=$(stat -c %s "$wasm")
gz=$(gzip -9 -c "$wasm" | wc -c)
br=$(brotli -c -q 11 "$wasm" | wc -c)
printf '%-28s %8d bytes\n' "wasm raw" "$raw" "wasm gzip -9" "$gz" "wasm brotli -q 11" "$br"

echo "== Apps against their size budget (page + wasm + JS + CSS, brotli -q 11)"
bash scripts/bundle-budget.sh || true

echo "== Lighthouse, mobile (target: performance >= 95 on /validation, /terminal and /)"
bash scripts/lighthouse.sh

dir=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
VIGIE_LISTEN="127.0.0.1:$port" VIGIE_PUBLIC_URL="http://localhost:$port" VIGIE_LOG=warn \
  VIGIE_DATABASE_URL="sqlite://$dir/bench.db?mode=rwc" ./target/release/vigie serve --demo >/dev/null &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$dir"' EXIT
base="http://127.0.0.1:$port"
for _ in $(seq 100); do curl -fs "$base/api/health" >/dev/null && break; sleep 0.1; done

echo "== First load of each app through the server (as it compresses it: br)"
# app folder | the page that opens it: the phone opens /validation, the hall tablet /terminal.
for spec in "approver|/validation" "hall|/terminal" "entry|/vaccination" ".|/statistiques"; do
  IFS='|' read -r folder page <<<"$spec"
  total=0
  # The page names its assets (links and trunk's loader script); icons and the manifest too.
  assets=$(grep -oE "[\"'](/[^\"']+\.(wasm|js|css|svg|webmanifest))[\"']" "dist/$folder/index.html" | tr -d "\"'" | sort -u)
  for path in $(printf '%s\n' "$page" $assets | sort -u); do
    bytes=$(curl -s -o /dev/null -H 'Accept-Encoding: br, gzip' -w '%{size_download}' "$base$path")
    printf '  %-60s %8d bytes\n' "$path" "$bytes"
    total=$((total + bytes))
  done
  printf '%-28s %8d bytes (%d KiB)\n' "first load of $page" "$total" $((total / 1024))
done

rss() { awk '/VmRSS/ {print $2}' /proc/$pid/status; }
echo "== Server memory at rest: $(rss) KiB RSS"

load() { # path → "rps p99_ms"
  wrk -t2 -c64 -d"${DURATION}s" --latency "$base$1" 2>/dev/null | awk '
    /Requests\/sec/ {rps=$2}
    /^ +99%/ {v=$2; if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /us$/) {sub(/us/,"",v); v=v/1000} else if (v ~ /s$/) {sub(/s/,"",v); v=v*1000}; p99=v}
    END {printf "%s %s\n", rps, p99}'
}
echo "== Load: 64 connections, ${DURATION}s each, wrk -t2 (loopback)"
# Baseline: the API's cheapest answer (a JSON 404, no database), through the same layers.
read -r static_rps static_p99 < <(load /api/baseline-not-found)
read -r health_rps health_p99 < <(load /api/health)
printf '%-34s %10s req/s  p99 %8s ms\n' "baseline: API 404 (no database)" "$static_rps" "$static_p99" "/api/health (database query)" "$health_rps" "$health_p99"
python3 - "$static_rps" "$health_rps" "$static_p99" "$health_p99" <<'PY'
import sys
s_rps, h_rps, s_p99, h_p99 = map(float, sys.argv[1:])
print(f"ratio /api/health ÷ baseline: throughput {h_rps / s_rps:.2f}×, p99 {h_p99 / s_p99:.2f}×")
PY
echo "== Server memory after load: $(rss) KiB RSS"

echo "== Tablet: a returning patient's next dose, scripted in Chromium"
(cd e2e && npx playwright test --config bench.config.ts --reporter=line 2>&1 | grep -E "next dose|baseline|estimated|passed|failed")

echo "== Delegation: the doctor ends a delegated session, the tablet hears it (target < 1 s)"
cargo run --quiet --release -p vigie-backend --example delegation_end_latency -- 200

echo "== Vaccination writes and patient lookup (SQLite, WAL, synchronous=FULL; injection_bench)"
# Full API writes/s and p50/p99 at 64 clients next to a raw INSERT per transaction on the same
# file (the baseline), then lookup by NIR with 10 k and BENCH_INJECTIONS (default 1 M) injections.
cargo run --quiet --release -p vigie-backend --example injection_bench -- "${BENCH_INJECTIONS:-1000000}"
