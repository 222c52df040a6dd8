// Benchmark (not a test): `node bench/run.mjs` after `bash run-tests.sh` has built pkg/
// and www/pkg. Runs the same body in Node and in headless Chromium and prints a table.
import { createRequire } from "node:module";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { runBench } from "./core.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const wasmDir = path.resolve(here, "..");
const require = createRequire(import.meta.url);

const results = {};
const pkgDir = process.env.PKG || path.join(wasmDir, "pkg");
results.node = runBench(require(pkgDir), { compact: require(path.join(pkgDir, "node/compact.js")) });
console.error("node:", JSON.stringify(results.node));

if (!process.argv.includes("--node-only")) {
  const { chromium } = await import("playwright-core");
  const port = 18000 + Math.floor(Math.random() * 1000);
  const server = spawn("python3", ["-m", "http.server", String(port), "--bind", "127.0.0.1", "--directory", wasmDir], { stdio: "ignore" });
  const profile = mkdtempSync(path.join(tmpdir(), "ckx-bench-"));
  try {
    await new Promise((r) => setTimeout(r, 800));
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: "/usr/bin/chromium",
      headless: true,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
    });
    const page = await context.newPage();
    await page.goto(`http://127.0.0.1:${port}/bench/browser.html`);
    await page.waitForFunction(() => window.__results, null, { timeout: 300_000 });
    results.chromium = await page.evaluate(() => window.__results);
    results.chromium_version = context.browser()?.version() ?? "";
    console.error("chromium:", JSON.stringify(results.chromium));
    await context.close();
  } finally {
    server.kill();
    rmSync(profile, { recursive: true, force: true });
  }
}

const f = (x, d = 1) => x.toLocaleString("en-US", { maximumFractionDigits: d, minimumFractionDigits: d });
const load = (await import("node:os")).loadavg().map((x) => x.toFixed(1)).join(" ");
console.log(`${new Date().toISOString().slice(0, 16)}Z, load average ${load}, Node ${process.version}${results.chromium_version ? `, Chromium ${results.chromium_version}` : ""}\n`);
console.log("| runtime | batch 1M PHQ-9 (Int8Array) | plain-JS loop | JS ÷ batch (target ≥ 1.0) | compact batch (`changkaixin/compact`) | JS ÷ compact | `scoreSummary()` (target ≤ 20 µs) | `scoreAnswersSummary()` | full `score()` | full `scoreAnswers()` | mismatches (wide, compact) |");
console.log("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
for (const [name, r] of Object.entries(results)) {
  if (typeof r !== "object" || r.error) { if (r && r.error) console.log(`| ${name} | error: ${r.error} |`); continue; }
  const cb = r.compact_batch_ms;
  console.log(`| ${name} | ${f(r.batch_ms)} ms (${f(r.batch_rows_per_s / 1e6)} M rows/s) | ${f(r.plain_js_ms)} ms | ${f(r.plain_js_ms / r.batch_ms, 2)} | ${cb == null ? "—" : `${f(cb)} ms`} | ${cb == null ? "—" : f(r.plain_js_ms / cb, 2)} | ${f(r.single_summary_us, 2)} µs | ${f(r.single_answers_summary_us, 2)} µs | ${f(r.single_score_us, 2)} µs | ${f(r.single_score_answers_us, 2)} µs | ${r.mismatches}, ${r.compact_mismatches ?? "—"} |`);
  const ccb = r.cpu && r.cpu.compact_batch_ms;
  if (r.cpu) console.log(`| ${name} (CPU time) | ${f(r.cpu.batch_ms)} ms | ${f(r.cpu.plain_js_ms)} ms | ${f(r.cpu.plain_js_ms / r.cpu.batch_ms, 2)} | ${ccb == null ? "" : `${f(ccb)} ms`} | ${ccb == null ? "" : f(r.cpu.plain_js_ms / ccb, 2)} | ${f(r.cpu.single_summary_us, 2)} µs | | ${f(r.cpu.single_score_us, 2)} µs | | |`);
}
