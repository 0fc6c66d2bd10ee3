#!/usr/bin/env bash
# Release build of the browser apps (trunk, one per audience: see "Frontend apps" in README.md)
# and the server. The apps' files are also written precompressed (brotli -q 11, gzip -9): the
# server sends those as they are instead of compressing on the fly at a lower level.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

# The apps ship to phones on poor networks, so their standard library is rebuilt for size with
# the nightly toolchain (cargo's build-std): a panic stops the app at once instead of carrying
# the code that formats its message and location, and `{:?}` formatting is compiled out (the
# apps never show it). Together about a fifth of the phone's download (README, "Frontend apps").
# Without nightly and its rust-src (scripts/setup.sh adds it), the stable build is used.
wasm_build() {
  if rustup run nightly rustc --version >/dev/null 2>&1 \
    && [ -d "$(rustup run nightly rustc --print sysroot)/lib/rustlib/src/rust/library" ]; then
    RUSTUP_TOOLCHAIN=nightly \
      CARGO_UNSTABLE_BUILD_STD=std,panic_abort \
      CARGO_UNSTABLE_BUILD_STD_FEATURES=optimize_for_size \
      CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="--cfg erase_components -Zunstable-options -Cpanic=immediate-abort -Zfmt-debug=none -Zlocation-detail=none" \
      CARGO_TARGET_DIR=target/wasm-nightly \
      trunk build "$@" --release
  else
    echo "[build] no nightly toolchain with rust-src: building the apps with stable (larger)" >&2
    trunk build "$@" --release
  fi
}

# The office app first: trunk empties its output folder, dist/, which holds the others.
echo "[build] office app (trunk, release) → dist/" >&2
wasm_build
echo "[build] hall app (trunk, release) → dist/hall/" >&2
wasm_build frontend/hall.html --dist dist/hall --public-url /hall/
echo "[build] entry app (trunk, release) → dist/entry/" >&2
wasm_build frontend/entry.html --dist dist/entry --public-url /entry/
echo "[build] approver app (trunk, release) → dist/approver/" >&2
wasm_build frontend/approver.html --dist dist/approver --public-url /approver/
find dist -type f \( -name '*.wasm' -o -name '*.js' -o -name '*.css' -o -name '*.svg' -o -name '*.webmanifest' \) \
  -exec brotli -kf -q 11 {} \; -exec gzip -kf -9 {} \;
echo "[build] server (release)" >&2
cargo build --release -p vigie-backend
