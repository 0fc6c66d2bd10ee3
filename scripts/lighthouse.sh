#!/usr/bin/env bash
# Benchmark (not a test): Lighthouse mobile scores (performance, accessibility) of the pages a
# phone and a hall tablet open first, against the release server with demonstration data, in
# Debian's Chromium (Lighthouse's default mobile emulation: Moto G class CPU, slow 4G).
# Target: performance >= 95 on /validation, /terminal and /. Needs the release build.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
[ -x target/release/vigie ] && [ -f dist/index.html ] || bash scripts/build.sh
PAGES=${LIGHTHOUSE_PAGES:-"/validation /terminal /"}
RUNS=${LIGHTHOUSE_RUNS:-3}

dir=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
VIGIE_LISTEN="127.0.0.1:$port" VIGIE_PUBLIC_URL="http://localhost:$port" VIGIE_LOG=warn \
  VIGIE_DATABASE_URL="sqlite://$dir/lighthouse.db?mode=rwc" ./target/release/vigie serve --demo >/dev/null &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$dir"' EXIT
base="http://localhost:$port"
for _ in $(seq 100); do curl -fs "$base/api/health" >/dev/null && break; sleep 0.1; done

flags="--headless=new --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking --disable-component-update --disable-sync"
echo "== Lighthouse (mobile), median of $RUNS runs per page"
for page in $PAGES; do
  for run in $(seq "$RUNS"); do
    (cd e2e && CHROME_PATH=/usr/bin/chromium npx lighthouse "$base$page" --quiet \
      --chrome-flags="$flags" --only-categories=performance,accessibility \
      --output=json --output-path="$dir/lh-$run.json" >/dev/null 2>&1) || echo "  run $run of $page failed"
  done
  python3 - "$page" "$dir" "$RUNS" <<'PY'
import json, statistics, sys
page, d, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
rows = []
for i in range(1, runs + 1):
    try:
        r = json.load(open(f"{d}/lh-{i}.json"))
    except OSError:
        continue
    a = r["audits"]
    rows.append((r["categories"]["performance"]["score"] * 100,
                 r["categories"]["accessibility"]["score"] * 100,
                 a["largest-contentful-paint"]["numericValue"],
                 a["total-blocking-time"]["numericValue"],
                 len(a.get("errors-in-console", {}).get("details", {}).get("items", []))))
if not rows:
    print(f"{page:14} no result"); sys.exit(0)
perf, acc, lcp, tbt, errors = (statistics.median(c) for c in zip(*rows))
ok = "meets" if perf >= 95 else "BELOW"
print(f"{page:14} performance {perf:5.0f} ({ok} 95)  accessibility {acc:5.0f}  LCP {lcp/1000:5.2f} s  TBT {tbt:6.0f} ms  console errors {errors:.0f}")
PY
done
