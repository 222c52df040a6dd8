#!/usr/bin/env bash
# Builds the npm package `changkaixin` into wasm/pkg (and the demo's copy into wasm/www/pkg)
# from the module table npm/modules.txt, then checks each module's size against its budget.
# Called by run-tests.sh (which installs the toolchain first); runs alone once it has.
#
# Layout of wasm/pkg (one .wasm per module, shared by every environment):
#   web/   wasm-bindgen --target web: the glue + .wasm; web/<entry>.js needs `await init()`
#   esm/   the default (bundler / browser) entries: web/ instantiated on import (top-level await)
#   node/  wasm-bindgen --target nodejs (CommonJS; the .wasm read from disk)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
cd "$ROOT"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
export PATH="$ROOT/.cache/cargo-bin/bin:$PATH"
PKG="$HERE/pkg"
WASM_OPT="$HERE/node_modules/.bin/wasm-opt"
WASM_OPT_FEATURES=(--enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext --enable-mutable-globals --enable-reference-types --enable-multivalue --enable-simd)
rm -rf "$PKG" "$HERE/www/pkg"
mkdir -p "$PKG/web" "$PKG/node" "$PKG/esm" "$CARGO_TARGET_DIR/wasm-modules"

# The built-in data (catalog specs, alert policy, compliance packs) is not compiled into the
# .wasm: written from the core's own constants by examples/builtin_data.rs and installed by each
# entry point at load time (a build with the cargo feature `builtin-data` compiles it in instead).
DATA_JSON="$CARGO_TARGET_DIR/changkaixin_data.json"
cargo run -q -p changkaixin-wasm --example builtin_data -- "$DATA_JSON"
{ echo "// Generated from changkaixin-core's built-in data by wasm/examples/builtin_data.rs. Do not edit."
  printf 'export default '; cat "$DATA_JSON"; echo ';'; } > "$PKG/web/changkaixin_data.js"
{ echo "// Generated from changkaixin-core's built-in data by wasm/examples/builtin_data.rs. Do not edit."
  printf 'module.exports = '; cat "$DATA_JSON"; echo ';'; } > "$PKG/node/changkaixin_data.js"
echo '{ "type": "commonjs" }' > "$PKG/node/package.json"

gz() { gzip -9 -c "$1" | wc -c; }
SIZES="$CARGO_TARGET_DIR/wasm-modules/sizes.txt"
: > "$SIZES"
while read -r entry name features budget target profile; do
  case "$entry" in ''|'#'*) continue ;; esac
  opt=-Oz
  if [ "$profile" = wasm-speed ]; then
    # Speed: the profile's opt-level (2) and wasm SIMD128 (every current browser and Node >= 16 has it). The
    # flags apply to this profile's own target directory only, so no other build is invalidated.
    CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="-C target-feature=+simd128" \
      cargo build -q -p changkaixin-wasm --target wasm32-unknown-unknown --profile "$profile" --no-default-features --features "$features"
    opt=-O3
  else
    cargo build -q -p changkaixin-wasm --target wasm32-unknown-unknown --profile "$profile" --no-default-features --features "$features"
  fi
  wasm="$CARGO_TARGET_DIR/wasm-modules/$name.wasm"
  cp "$CARGO_TARGET_DIR/wasm32-unknown-unknown/$profile/changkaixin_wasm.wasm" "$wasm"
  wasm-bindgen "$wasm" --target web --out-dir "$PKG/web"
  wasm-bindgen "$wasm" --target nodejs --out-dir "$PKG/node"
  # Both targets emit the same .wasm (only the JS glue differs): optimise once, copy.
  # --merge-similar-functions folds the near-identical monomorphic copies -Oz alone keeps.
  f="$PKG/web/${name}_bg.wasm"
  before=$(stat -c %s "$f")
  "$WASM_OPT" --merge-similar-functions "$opt" --converge --strip-debug --strip-producers "${WASM_OPT_FEATURES[@]}" "$f" -o "$f.opt"
  mv "$f.opt" "$f"
  cp "$f" "$PKG/node/${name}_bg.wasm"
  # Declarations that compile with a standard tsconfig (lib ES2022 + DOM): `Symbol.dispose` needs
  # lib esnext.disposable, so the generated `[Symbol.dispose]()` members are left out of the
  # .d.ts (the method is still there at run time where the engine has the symbol; `free()` is
  # declared). The raw wasm ABI declarations type externref values as `any`: declare them `unknown`.
  for d in "$PKG"/{web,node}/"${name}".d.ts; do sed -i -E '/\[Symbol\.dispose\]\(\): void;/d' "$d"; done
  for d in "$PKG"/*/"${name}"_bg.wasm.d.ts; do sed -i -E 's/\bany\b/unknown/g' "$d"; done
  sed -i -E '/^export interface InitOutput \{/,/^\}/ s/\bany\b/unknown/g' "$PKG/web/$name.d.ts"
  for t in web node esm; do
    sed "s/changkaixin_wasm/$name/g" "$HERE/npm/$t.js" > "$PKG/$t/$entry.js"
    sed "s/changkaixin_wasm/$name/g" "$HERE/npm/$t.d.ts" > "$PKG/$t/$entry.d.ts"
  done
  raw=$(stat -c %s "$f"); wgz=$(gz "$f"); jgz=$(( $(gz "$PKG/web/$name.js") + $(gz "$PKG/esm/$entry.js") ))
  echo "$entry $name $features $budget $target $before $raw $wgz $jgz" >> "$SIZES"
done < "$HERE/npm/modules.txt"
node "$HERE/npm/make-package.mjs" "$PKG"
cp "$HERE/README.md" "$PKG/README.md"
cp -r "$PKG/web" "$HERE/www/pkg"

echo
echo "module sizes (gzip -9; budget per module = .wasm + its JS glue, gzipped; the built-in data is loaded beside any module):"
DGZ=$(gz "$PKG/web/changkaixin_data.js")
printf '%-11s %-23s %-11s %9s %9s %8s %9s %8s %8s %s\n' entry module features "raw .wasm" ".wasm gz" "glue gz" total budget target "(with the data file)"
fail=0
while read -r entry name features budget target before raw wgz jgz; do
  total=$((wgz + jgz)); limit=$((budget * 1024))
  verdict="ok ($((100 * total / limit))% of budget)"; [ "$total" -le "$limit" ] || { verdict="OVER BUDGET"; fail=1; }
  [ "$total" -le $((target * 1024)) ] || verdict="$verdict, target ${target} KB not met"
  printf '%-11s %-23s %-11s %9s %9s %8s %9s %5s KB %5s KB %s: %s\n' "$entry" "$name" "$features" "$raw" "$wgz" "$jgz" "$total" "$budget" "$target" \
    "$((total + DGZ))" "$verdict"
done < "$SIZES"
echo "built-in data (changkaixin_data.js): $(stat -c %s "$PKG/web/changkaixin_data.js") bytes raw, $DGZ bytes gzipped"
if [ "$fail" -ne 0 ]; then
  echo "FAIL: a module exceeds its gzipped budget (npm/modules.txt)" >&2
  exit 1
fi
