#!/usr/bin/env bash
# Builds and tests the WebAssembly package from a clean clone (Debian 12, root).
# Installs what it needs, idempotently: the wasm32 target, wasm-bindgen-cli (same
# version as the wasm-bindgen crate in Cargo.lock, under .cache/cargo-bin), npm dev
# tools (typescript, playwright-core, binaryen's wasm-opt) and Debian's chromium.
#
#   1. rustfmt + clippy (-D warnings) on the crate, host and wasm32
#   2. host unit tests; wasm-bindgen-test under Node: API tests and every golden vector
#   3. release build (profile wasm-release: opt-level z, LTO, 1 CGU) → wasm-bindgen
#      for bundler + nodejs (wasm/pkg) and web (wasm/www/pkg) → wasm-opt -Oz
#   4. size budget: the .wasm at most 400 KB gzipped (fails otherwise)
#   5. no `any` in the public .d.ts; tsc --noEmit --strict on ts/usage.ts and on every
#      vector report / built-in spec typed as ScoreReport / InstrumentSpec
#   6. Node tests of the assembled package (vectors again, errors, batches)
#   7. end-to-end: the demo page in headless Chromium from a static server on localhost
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
cargo clippy -p changkaixin-wasm --target wasm32-unknown-unknown --no-default-features --features batch,fhir -- -D warnings
cargo clippy -p changkaixin-wasm --target wasm32-unknown-unknown --no-default-features --features compliance -- -D warnings
cargo clippy -p changkaixin-wasm --target wasm32-unknown-unknown --no-default-features --features alert -- -D warnings

step "unit tests on the host (JSON pointers of parse errors)"
cargo test -p changkaixin-wasm --lib

step "wasm-bindgen-test under Node (API + golden vectors)"
CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
  cargo test -p changkaixin-wasm --target wasm32-unknown-unknown

step "release build and package (two modules)"
# Two modules from the same crate (cargo features), each a complete API for its use and each
# within the size budget: `changkaixin_wasm` (scoring, batches, FHIR; the package's main entry)
# and `changkaixin_alert` (scoring and the alert tiers; the `./alert` entry).
PKG="$HERE/pkg"
rm -rf "$PKG" "$HERE/www/pkg"
mkdir -p "$PKG"
WASM_OPT_FEATURES=(--enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext --enable-mutable-globals --enable-reference-types --enable-multivalue)
build_module() { # name features
  local name="$1" features="$2"
  cargo build -p changkaixin-wasm --target wasm32-unknown-unknown --profile wasm-release --no-default-features --features "$features"
  mkdir -p "$CARGO_TARGET_DIR/wasm-modules"
  local wasm="$CARGO_TARGET_DIR/wasm-modules/$name.wasm"
  cp "$CARGO_TARGET_DIR/wasm32-unknown-unknown/wasm-release/changkaixin_wasm.wasm" "$wasm"
  wasm-bindgen "$wasm" --target bundler --out-dir "$PKG/bundler"
  wasm-bindgen "$wasm" --target nodejs --out-dir "$PKG/node"
  wasm-bindgen "$wasm" --target web --out-dir "$PKG/web"
  # The three targets emit the same .wasm (only the JS glue differs): optimise once, copy.
  # wasm-opt from npm `binaryen`; --merge-similar-functions folds the near-identical monomorphic
  # copies (serde visitors, batch code types) that -Oz alone keeps.
  local f="$PKG/bundler/${name}_bg.wasm" before
  before=$(stat -c %s "$f")
  "$HERE/node_modules/.bin/wasm-opt" --merge-similar-functions -Oz --converge --strip-debug --strip-producers "${WASM_OPT_FEATURES[@]}" "$f" -o "$f.opt"
  mv "$f.opt" "$f"
  echo "wasm-opt ($name): $before -> $(stat -c %s "$f") bytes"
  cp "$f" "$PKG/node/${name}_bg.wasm"
  cp "$f" "$PKG/web/${name}_bg.wasm"
  # The raw wasm ABI declarations type externref values as `any`: declare them `unknown`.
  for d in "$PKG"/*/"${name}"_bg.wasm.d.ts; do sed -i -E 's/\bany\b/unknown/g' "$d"; done
  sed -i -E '/^export interface InitOutput \{/,/^\}/ s/\bany\b/unknown/g' "$PKG/web/$name.d.ts"
}
build_module changkaixin_wasm batch,fhir
build_module changkaixin_alert alert
build_module changkaixin_compliance compliance
# The nodejs output is CommonJS, whatever the consumer's package type.
echo '{ "type": "commonjs" }' > "$PKG/node/package.json"
# The built-in data (catalog specs, alert policy) is not compiled into the .wasm (size budget):
# written from the core's own constants by examples/builtin_data.rs and installed by each
# entry point (index.js, alert.js) at load time.
DATA_JSON="$CARGO_TARGET_DIR/changkaixin_data.json"
cargo run -q -p changkaixin-wasm --example builtin_data -- "$DATA_JSON"
for t in bundler web node; do
  if [ "$t" = node ]; then prefix='module.exports = '; else prefix='export default '; fi
  { echo "// Generated from changkaixin-core's built-in data by wasm/examples/builtin_data.rs. Do not edit."
    printf '%s' "$prefix"; cat "$DATA_JSON"; echo ';'; } > "$PKG/$t/changkaixin_data.js"
  cp "$HERE/npm/$t.js" "$PKG/$t/index.js"
  cp "$HERE/npm/$t.d.ts" "$PKG/$t/index.d.ts"
  sed 's/changkaixin_wasm/changkaixin_alert/g' "$HERE/npm/$t.js" > "$PKG/$t/alert.js"
  sed 's/changkaixin_wasm/changkaixin_alert/g' "$HERE/npm/$t.d.ts" > "$PKG/$t/alert.d.ts"
  sed 's/changkaixin_wasm/changkaixin_compliance/g' "$HERE/npm/$t.js" > "$PKG/$t/compliance.js"
  sed 's/changkaixin_wasm/changkaixin_compliance/g' "$HERE/npm/$t.d.ts" > "$PKG/$t/compliance.d.ts"
done
cp "$HERE/npm/package.json" "$PKG/package.json"
cp "$HERE/README.md" "$PKG/README.md"
cp -r "$PKG/web" "$HERE/www/pkg"

step "size budget (400 KB gzipped per module)"
DRAW=$(stat -c %s "$PKG/bundler/changkaixin_data.js")
DGZ=$(gzip -9 -c "$PKG/bundler/changkaixin_data.js" | wc -c)
for name in changkaixin_wasm changkaixin_alert changkaixin_compliance; do
  RAW=$(stat -c %s "$PKG/bundler/${name}_bg.wasm")
  GZ=$(gzip -9 -c "$PKG/bundler/${name}_bg.wasm" | wc -c)
  echo "${name}_bg.wasm: $RAW bytes raw, $GZ bytes gzipped ($((GZ / 1024)) KiB; budget 400 KB = 409600 bytes); with the built-in data $((GZ + DGZ)) bytes gzipped"
  if [ "$GZ" -gt 409600 ]; then
    echo "FAIL: ${name}_bg.wasm exceeds the 400 KB gzipped budget" >&2
    exit 1
  fi
done
echo "changkaixin_data.js (built-in data, loaded beside either module): $DRAW bytes raw, $DGZ bytes gzipped"

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

step "end-to-end: demo page in headless Chromium"
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
