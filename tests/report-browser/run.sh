#!/usr/bin/env bash
# The city report in headless Chromium: writes a synthetic city's report (20,000 students,
# 21 schools, a previous round) into target/report-browser/ and runs check.mjs on it; the
# screenshots stay there as build artefacts (not committed). Installs Debian's chromium, a CJK
# font (fonts-wqy-zenhei, so the Chinese labels render in the screenshot) and playwright-core
# (wasm/node_modules) when missing.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
start=$(date +%s)
if [ ! -x /usr/bin/chromium ] || ! fc-list :lang=zh 2>/dev/null | grep -q .; then
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y chromium fonts-wqy-zenhei
fi
if [ ! -d wasm/node_modules/playwright-core ]; then
  (cd wasm && npm ci --no-audit --no-fund)
fi
OUT="$ROOT/target/report-browser"
cargo run -q -p changkaixin-benches --example report_fixture -- "$OUT"
REPORT_DIR="$OUT" node --test tests/report-browser/check.mjs
echo "screenshot: $OUT/screenshot.png ($(( $(date +%s) - start )) s)"
