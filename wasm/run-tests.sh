#!/usr/bin/env bash
# Builds and tests the WebAssembly package from a clean clone (Debian 12, root).
# Installs what it needs, idempotently: the wasm32 target, wasm-bindgen-cli (same
# version as the wasm-bindgen crate in Cargo.lock, under .cache/cargo-bin), npm dev
# tools (typescript, playwright-core, binaryen's wasm-opt) and Debian's chromium.
#
#   1. rustfmt + clippy (-D warnings) on the crate, host and wasm32
#   2. host unit tests; wasm-bindgen-test under Node: API tests and every golden vector
#   3. build-package.sh: every module of npm/modules.txt (profile wasm-release: opt-level z,
#      LTO, 1 CGU; the batch module wasm-speed: opt-level 2 + SIMD128) → wasm-bindgen web + nodejs → wasm-opt -Oz → the npm package `changkaixin`
#      in wasm/pkg (esm/ for bundlers, web/, node/) and the demo's copy in wasm/www/pkg
#   4. size budgets: each module's .wasm + glue gzipped against its budget (fails above it)
#   5. no `any` in the public .d.ts; tsc --noEmit --strict on ts/usage.ts and on every
#      vector report / built-in spec typed as ScoreReport / InstrumentSpec
#   6. Node tests of the assembled package (vectors again, errors, batches)
#   7. fresh Vite and webpack projects installing `npm pack` of the package (consumers/run.mjs)
#   8. end-to-end: the demo page in headless Chromium from a static server on localhost,
#      desktop and 390 px phone width
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
cd "$ROOT"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
BIN="$ROOT/.cache/cargo-bin/bin"
export PATH="$BIN:$PATH"
step() { printf '\n== wasm: %s\n' "$*"; }

step "toolchain"
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  rustup target add wasm32-unknown-unknown
fi
WB_VERSION="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)"
[ -n "$WB_VERSION" ] || { echo "wasm-bindgen not found in Cargo.lock" >&2; exit 1; }
if [ "$(wasm-bindgen --version 2>/dev/null || true)" != "wasm-bindgen $WB_VERSION" ]; then
  echo "installing wasm-bindgen-cli $WB_VERSION (about two minutes)"
  # Without --locked: its lock file pins a crate version the registry here does not serve.
  env -u CARGO_TARGET_DIR cargo install wasm-bindgen-cli --version "$WB_VERSION" --root "$ROOT/.cache/cargo-bin"
fi
wasm-bindgen --version
if [ ! -x "$HERE/node_modules/.bin/tsc" ] || [ ! -x "$HERE/node_modules/.bin/wasm-opt" ] || [ ! -d "$HERE/node_modules/playwright-core" ] \
   || [ "$HERE/package-lock.json" -nt "$HERE/node_modules/.package-lock.json" ]; then
  (cd "$HERE" && npm ci --no-audit --no-fund)
fi
if [ ! -x /usr/bin/chromium ]; then
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y chromium
fi

step "rustfmt + clippy"
cargo fmt -p changkaixin-wasm -- --check
cargo clippy -p changkaixin-wasm --all-targets -- -D warnings
cargo clippy -p changkaixin-wasm --target wasm32-unknown-unknown --all-targets -- -D warnings
cargo clippy -p changkaixin-wasm --target wasm32-unknown-unknown --features dev -- -D warnings
cargo clippy -p changkaixin-wasm --target wasm32-unknown-unknown --no-default-features --features batch -- -D warnings
cargo clippy -p changkaixin-wasm --target wasm32-unknown-unknown --no-default-features --features compact -- -D warnings
cargo clippy -p changkaixin-wasm --target wasm32-unknown-unknown --no-default-features --features fhir -- -D warnings
cargo clippy -p changkaixin-wasm --target wasm32-unknown-unknown --no-default-features --features compliance -- -D warnings
cargo clippy -p changkaixin-wasm --target wasm32-unknown-unknown --no-default-features --features alert -- -D warnings
cargo clippy -p changkaixin-wasm --target wasm32-unknown-unknown --no-default-features --features archive -- -D warnings
cargo clippy -p changkaixin-wasm --target wasm32-unknown-unknown --no-default-features --features report -- -D warnings
cargo clippy -p changkaixin-wasm --target wasm32-unknown-unknown --no-default-features --features alert,builtin-data -- -D warnings

step "unit tests on the host (JSON pointers of parse errors)"
cargo test -p changkaixin-wasm --lib

step "wasm-bindgen-test under Node (API + golden vectors)"
CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
  cargo test -p changkaixin-wasm --target wasm32-unknown-unknown
# CKX_PRUNE=1 (a clean-clone CI run): no later step reads the wasm32 test build.
if [ "${CKX_PRUNE:-0}" = "1" ]; then rm -rf "$CARGO_TARGET_DIR/wasm32-unknown-unknown/debug"; fi

step "release build, package and size budgets (modules: npm/modules.txt)"
# One .wasm per module (cargo features), web + nodejs glue, wasm-opt, entry points, package.json;
# prints every module's size and fails above its budget.
bash "$HERE/build-package.sh"
PKG="$HERE/pkg"

step "declarations: no any, tsc --strict"
if grep -nE '(:|<|\||,|=>|\(|\[)\s*any\b|\bany\s*(\||\[|>|,|\)|;)|as any\b' "$PKG"/*/*.d.ts; then
  echo "FAIL: the public .d.ts contains \`any\`" >&2
  exit 1
fi
node "$HERE/js-tests/gen-type-fixtures.mjs"
"$HERE/node_modules/.bin/tsc" -p "$HERE/ts/tsconfig.json"
echo "tsc --noEmit --strict: ok"

step "Node tests of the package"
node --test "$HERE/js-tests/"

step "fresh Vite and webpack projects (npm pack of pkg/, default configs) in headless Chromium"
node "$HERE/consumers/run.mjs"

step "end-to-end: demo page in headless Chromium (desktop and 390 px phone width)"
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
python3 -m http.server "$PORT" --bind 127.0.0.1 --directory "$HERE/www" >/dev/null 2>&1 &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do
  python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$PORT/')" 2>/dev/null && break
  sleep 0.1
done
DEMO_URL="http://127.0.0.1:$PORT/" node --test "$HERE/e2e/"

step "all wasm checks passed"
