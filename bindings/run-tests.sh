#!/usr/bin/env bash
# Builds the UniFFI library, generates Kotlin and Swift, compiles both with their real compilers,
# runs the test programs (every golden vector, error codes, an app-like flow), builds the JVM jar
# and proves an app runs with only that jar + JNA. Installs what it needs (idempotently) under
# <repo>/.cache/ or via apt-get. Exits non-zero on any failure. Run as root on Debian 12.
#
#   bash bindings/run-tests.sh            # everything
#   UPDATE_API_SURFACE=1 bash bindings/run-tests.sh   # accept a deliberate change of the generated API
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$REPO/target}"
OUT="$CARGO_TARGET_DIR/bindings"
KOTLIN_VERSION=2.4.20
KOTLINC="$REPO/.cache/kotlin/node_modules/kotlin-compiler/bin/kotlinc"
JNA=/usr/share/java/jna.jar
T0=$SECONDS
step() { echo "== [$((SECONDS - T0)) s] $*"; }

# ---- toolchains -------------------------------------------------------------------------------
step "toolchains"
if [[ ! -f "$JNA" ]]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq libjna-java >/dev/null
fi
for tool in java javac jar python3 npm; do command -v "$tool" >/dev/null || { echo "missing $tool" >&2; exit 1; }; done
if [[ ! -x "$KOTLINC" ]] || ! grep -q "\"version\": \"$KOTLIN_VERSION\"" "$REPO/.cache/kotlin/node_modules/kotlin-compiler/package.json" 2>/dev/null; then
  mkdir -p "$REPO/.cache/kotlin"
  [[ -f "$REPO/.cache/kotlin/package.json" ]] || echo '{"private": true}' > "$REPO/.cache/kotlin/package.json"
  (cd "$REPO/.cache/kotlin" && npm install --no-audit --no-fund --silent "kotlin-compiler@$KOTLIN_VERSION")
fi
bash bindings/scripts/swift-chroot.sh ensure >/dev/null
CHROOT="${SWIFT_CHROOT:-$REPO/.cache/swift-chroot}"

# ---- Rust: the library (with the panic probe for the tests) and the generator ------------------
# Two invocations on purpose: built together, cargo would unify uniffi's features and link the
# whole generator (`cli`) into the mobile library. The generator is a dev build: its speed does not
# matter, and the workspace release profile (thin LTO, one codegen unit) makes it take minutes.
step "cargo build (uniffi-bindgen, dev profile)"
cargo build -p uniffi-bindgen
step "cargo build (changkaixin-ffi --features selftest)"
cargo build --release -p changkaixin-ffi --features selftest
rm -rf "$OUT" && mkdir -p "$OUT/test-lib" "$OUT/gen"
cp "$CARGO_TARGET_DIR/release/libchangkaixin_ffi.so" "$OUT/test-lib/"
BINDGEN="$CARGO_TARGET_DIR/debug/uniffi-bindgen"

step "generate Kotlin and Swift"
"$BINDGEN" generate --no-format --library "$OUT/test-lib/libchangkaixin_ffi.so" --language kotlin --language swift --out-dir "$OUT/gen"
KT_GEN="$OUT/gen/cn/changzhou/changkaixin/changkaixin_ffi.kt"
SWIFT_GEN="$OUT/gen/Changkaixin.swift"

# ---- the generated API is pinned: changing it is deliberate, and both test programs must use it -
step "API surface check"
python3 bindings/scripts/api-surface.py "$SWIFT_GEN" > "$OUT/api-surface.txt"
if [[ "${UPDATE_API_SURFACE:-0}" == 1 ]]; then
  cp "$OUT/api-surface.txt" bindings/api-surface.txt
elif ! diff -u bindings/api-surface.txt "$OUT/api-surface.txt"; then
  echo "The generated API changed (diff above). Update the Kotlin and Swift test programs to cover it," >&2
  echo "then accept it deliberately with: UPDATE_API_SURFACE=1 bash bindings/run-tests.sh" >&2
  exit 1
fi
python3 bindings/scripts/api-surface.py "$SWIFT_GEN" --check-tests bindings/tests/kotlin/Main.kt bindings/tests/swift/main.swift

# ---- Kotlin ------------------------------------------------------------------------------------
step "kotlinc (generated + tests)"
mkdir -p "$OUT/kotlin"
"$KOTLINC" -nowarn -cp "$JNA" "$KT_GEN" bindings/tests/kotlin/Json.kt bindings/tests/kotlin/Main.kt -include-runtime -d "$OUT/kotlin/test.jar"
step "run Kotlin tests"
java -Djna.library.path="$OUT/test-lib" -cp "$OUT/kotlin/test.jar:$JNA" cn.changzhou.changkaixin.test.MainKt "$REPO" 2> >(grep -v -e '^thread .* panicked at' -e '^boom$' -e '^stack backtrace' -e '^ *[0-9]*: ' -e '^note: ' >&2)

# ---- Swift (Swift 6 inside the Debian 13 chroot) -------------------------------------------------
step "Swift package + swiftc"
PKG=bindings/swift
cp "$SWIFT_GEN" "$PKG/Sources/Changkaixin/Changkaixin.swift"
cp "$OUT/gen/changkaixin_ffiFFI.h" "$PKG/Sources/changkaixin_ffiFFI/"
# Darwin does not exist on Linux (and is implied on Apple platforms).
grep -v 'use "Darwin"' "$OUT/gen/changkaixin_ffiFFI.modulemap" > "$PKG/Sources/changkaixin_ffiFFI/module.modulemap"
mkdir -p "$PKG/lib" && cp "$OUT/test-lib/libchangkaixin_ffi.so" "$PKG/lib/"
WORK="$CHROOT/work/changkaixin"
rm -rf "$WORK" && mkdir -p "$WORK/tests"
cp -r "$PKG" "$WORK/swift"
cp -r bindings/tests/swift "$WORK/swift-test"
cp -r tests/vectors tests/fixtures "$WORK/tests/"
bash bindings/scripts/swift-chroot.sh run '
  set -e
  cd /work/changkaixin
  M=swift/Sources/changkaixin_ffiFFI
  swiftc -O -module-name ChangkaixinTests -Xcc -fmodule-map-file=$M/module.modulemap -I $M -L swift/lib -lchangkaixin_ffi \
    swift/Sources/Changkaixin/Changkaixin.swift swift-test/Json.swift swift-test/main.swift -o changkaixin-swift-test
  LD_LIBRARY_PATH=swift/lib ./changkaixin-swift-test /work/changkaixin 2> >(grep -v -e "^thread .* panicked at" -e "^boom$" -e "^stack backtrace" -e "^ *[0-9]*: " -e "^note: " >&2)
'
step "SwiftPM: swift build of the package (README examples as an executable target)"
bash bindings/scripts/swift-chroot.sh run '
  set -e
  cd /work/changkaixin/swift
  swift build -c release 2>&1 | tail -n 3
  LD_LIBRARY_PATH=lib .build/release/ChangkaixinSmoke | tee /tmp/smoke.txt
  grep -q "^PHQ-9 total 12 band moderate$" /tmp/smoke.txt
  grep -q "^critical flag item9_self_harm" /tmp/smoke.txt
  grep -q "^error score.unknown_option at /answers/1$" /tmp/smoke.txt
  grep -q "^tier key school$" /tmp/smoke.txt
  grep -q "^key.phq_item9: phq_item9" /tmp/smoke.txt
  grep -q "^evidence.invalid at /observations/0/observed_by/role$" /tmp/smoke.txt
  echo "swiftpm smoke: 1 passed, 0 failed"
'

# ---- the JVM jar: generated Kotlin + Kotlin runtime + the .so under linux-x86-64/ ----------------
step "cargo build (changkaixin-ffi, shipped features)"
cargo build --release -p changkaixin-ffi
mkdir -p "$OUT/jar/gen" "$OUT/jar/res/linux-x86-64"
cp "$CARGO_TARGET_DIR/release/libchangkaixin_ffi.so" "$OUT/jar/res/linux-x86-64/"
"$BINDGEN" generate --no-format --library "$OUT/jar/res/linux-x86-64/libchangkaixin_ffi.so" --language kotlin --out-dir "$OUT/jar/gen"
step "kotlinc (jar)"
JAR="$OUT/changkaixin-jvm-linux-x86-64.jar"
"$KOTLINC" -nowarn -cp "$JNA" "$OUT/jar/gen/cn/changzhou/changkaixin/changkaixin_ffi.kt" -include-runtime -d "$JAR"
jar uf "$JAR" -C "$OUT/jar/res" linux-x86-64/libchangkaixin_ffi.so
jar tf "$JAR" | grep -qx 'linux-x86-64/libchangkaixin_ffi.so'
step "run a JVM app with only the jar + jna.jar"
(cd "$OUT" && env -u LD_LIBRARY_PATH java -cp "$JAR:$JNA" "$REPO/bindings/tests/jvm/JarSmoke.java")

step "bindings: all green ($((SECONDS - T0)) s)"
