#!/usr/bin/env bash
# Size budget of each browser app (not a test): what a browser downloads to show the app's
# first screen — its page, wasm, JS and CSS, brotli -q 11 as the server sends them — against
# the audience's target. The phone (approver app) must stay light on a poor mobile network,
# the hall tablet's app too; the office app is listed for comparison. Reads dist/ as
# scripts/build.sh leaves it.
set -euo pipefail
cd "$(dirname "$0")/.."
DIST=${1:-dist}

# brotli size of a file: its precompressed copy when scripts/build.sh wrote one.
br_size() {
  if [ -f "$1.br" ]; then stat -c %s "$1.br"; else brotli -c -q 11 "$1" | wc -c; fi
}

# app folder (relative to dist, "." for the office app), label, target in KiB (0: none)
over=0
for spec in "approver|approver (phone, /validation)|150" "hall|hall (tablet, /terminal and /)|250" \
  "entry|entry (tablet, /vaccination)|250" ".|office|0"; do
  IFS='|' read -r folder label target <<<"$spec"
  page="$DIST/$folder/index.html"
  if [ ! -f "$page" ]; then
    printf '%-34s not built (%s missing)\n' "$label" "$page"
    over=1
    continue
  fi
  total=$(br_size "$page")
  detail="html $total"
  # Every wasm, JS and CSS file the page names (trunk writes absolute paths under the public URL,
  # in links and in its loader script).
  for asset in $(grep -oE "[\"'](/[^\"']+\.(wasm|js|css))[\"']" "$page" | tr -d "\"'" | sed 's|^/||' | sort -u); do
    bytes=$(br_size "$DIST/$asset")
    total=$((total + bytes))
    detail="$detail, ${asset##*.} $bytes"
  done
  kib=$(awk -v b="$total" 'BEGIN { printf "%.1f", b / 1024 }')
  if [ "$target" -gt 0 ]; then
    if [ "$total" -le $((target * 1024)) ]; then verdict="within"; else verdict="OVER"; over=1; fi
    printf '%-34s %7s KiB brotli  target <= %3d KiB: %-6s (%s)\n' "$label" "$kib" "$target" "$verdict" "$detail"
  else
    printf '%-34s %7s KiB brotli  (%s)\n' "$label" "$kib" "$detail"
  fi
done
[ "$over" -eq 0 ] && echo "every budgeted app is within its target" || echo "some app is over its target or not built"
