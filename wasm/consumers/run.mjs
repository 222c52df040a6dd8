// The package as a frontend developer meets it: `npm pack` of wasm/pkg installed into a fresh
// Vite project and a fresh webpack project (default settings, no plugins), each built, type-
// checked with a standard tsconfig (lib ES2022 + DOM; Vite project) and opened in headless
// Chromium; the Vite dev server is checked too. npm packages come from the npm registry through
// the npm cache in .cache/npm (warm runs are offline-fast).
// Usage: node wasm/consumers/run.mjs   (after wasm/build-package.sh)
import { execFileSync, spawn } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import assert from "node:assert/strict";
import { chromium } from "playwright-core";

const here = path.dirname(fileURLToPath(import.meta.url));
const wasmDir = path.resolve(here, "..");
const root = path.resolve(wasmDir, "..");
const work = path.join(root, ".cache/wasm-consumers");
const npmCache = path.join(root, ".cache/npm");
const VERSIONS = { vite: "8.4.0", webpack: "5.113.0", typescript: "5.9.3" };

const t0 = Date.now();
const run = (cmd, args, cwd) => execFileSync(cmd, args, { cwd, stdio: ["ignore", "pipe", "inherit"], encoding: "utf8" });
mkdirSync(work, { recursive: true });
for (const f of readdirSync(work)) if (f.endsWith(".tgz")) rmSync(path.join(work, f));
const tarball = path.join(work, run("npm", ["pack", "--silent", "--pack-destination", work, path.join(wasmDir, "pkg")], work).trim().split("\n").pop());

function freshProject(name, deps) {
  const dir = path.join(work, name);
  rmSync(dir, { recursive: true, force: true });
  cpSync(path.join(here, name), dir, { recursive: true });
  writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: `ckx-${name}-app`, private: true, type: "module", dependencies: { changkaixin: `file:${tarball}` }, devDependencies: deps }, null, 2));
  run("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error", "--cache", npmCache], dir);
  return dir;
}

function serve(dir) {
  return new Promise((resolve) => {
    const port = 19000 + Math.floor(Math.random() * 900);
    const p = spawn("python3", ["-m", "http.server", String(port), "--bind", "127.0.0.1", "--directory", dir], { stdio: "ignore" });
    setTimeout(() => resolve({ url: `http://127.0.0.1:${port}/`, stop: () => p.kill() }), 600);
  });
}

const profile = mkdtempSync(path.join(tmpdir(), "ckx-consumers-"));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
});
async function open(url) {
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  await page.goto(url);
  await page.waitForSelector("body[data-ready]", { timeout: 60_000 });
  const out = await page.textContent("#out");
  const ready = await page.getAttribute("body", "data-ready");
  await page.close();
  assert.equal(ready, "true", `${url}: ${out} ${errors.join("; ")}`);
  assert.deepEqual(errors, [], url);
  return JSON.parse(out);
}

const failures = [];
async function check(name, fn) {
  const t = Date.now();
  try {
    await fn();
    console.log(`ok   ${name} (${((Date.now() - t) / 1000).toFixed(1)} s)`);
  } catch (e) {
    failures.push(name);
    console.log(`FAIL ${name}: ${e && e.message ? e.message : e}`);
  }
}

try {
  let viteDir;
  await check(`fresh Vite ${VERSIONS.vite} project: npm install, tsc (lib ES2022 + DOM), vite build, page in Chromium`, async () => {
    viteDir = freshProject("vite", { vite: VERSIONS.vite, typescript: VERSIONS.typescript });
    run("node", ["node_modules/typescript/bin/tsc", "-p", "tsconfig.json"], viteDir);
    run("node", ["node_modules/vite/bin/vite.js", "build", "--logLevel", "warn"], viteDir);
    const s = await serve(path.join(viteDir, "dist"));
    try {
      assert.deepEqual(await open(s.url), { total: "12", band: "中度", tier: "key", path: "/answers/3" });
    } finally {
      s.stop();
    }
  });
  await check("the same Vite project on the dev server (vite, default config)", async () => {
    assert.ok(viteDir, "project not installed");
    const port = 19900 + Math.floor(Math.random() * 90);
    const dev = spawn("node", ["node_modules/vite/bin/vite.js", "--port", String(port), "--strictPort", "--host", "127.0.0.1"], { cwd: viteDir, stdio: "ignore" });
    try {
      await new Promise((r) => setTimeout(r, 2500));
      assert.deepEqual(await open(`http://127.0.0.1:${port}/`), { total: "12", band: "中度", tier: "key", path: "/answers/3" });
    } finally {
      dev.kill();
    }
  });
  await check(`fresh webpack ${VERSIONS.webpack} project: npm install, webpack (production, default config), page in Chromium`, async () => {
    const dir = freshProject("webpack", { webpack: VERSIONS.webpack });
    run("node", ["build.mjs"], dir);
    const s = await serve(path.join(dir, "dist"));
    try {
      assert.deepEqual(await open(s.url), { total: "12", band: "moderate", policy: "changzhou_default" });
    } finally {
      s.stop();
    }
  });
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
console.log(`consumer projects: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
if (failures.length) {
  console.error(`FAIL: ${failures.length} consumer check(s) failed`);
  process.exit(1);
}
