// The city report as a person sees it: opens the HTML written by
// `cargo run -p changkaixin-benches --example report_fixture -- <dir>` in real headless Chromium
// (Debian's /usr/bin/chromium driven by playwright-core from wasm/node_modules), takes a
// screenshot into <dir>/screenshot.png (a build artefact, not committed), and checks that every
// chart renders the bars the published data says it has (counted here from report.json, not from
// the page), that every bar has a size, and that no suppressed cell's value is on the page: its
// table cell shows only the mark S, no chart draws it, and its exact percentage appears nowhere.
// Usage: REPORT_DIR=target/report-browser node --test tests/report-browser/check.mjs
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.resolve(here, "../../wasm/package.json"));
const { chromium } = require("playwright-core");
const dir = path.resolve(process.env.REPORT_DIR || path.resolve(here, "../../target/report-browser"));
const report = JSON.parse(readFileSync(path.join(dir, "report.json"), "utf8"));
const suppressed = JSON.parse(readFileSync(path.join(dir, "suppressed.json"), "utf8"));

function expectedBars() {
  const out = { coverage: report.coverage.district_grade.rows.length - 1 };
  for (const m of report.measures) {
    const t = m.grade_sex;
    const k = m.categories.length;
    const cols = t.cols.length;
    const at = (r, c, i) => t.cells[(r * cols + c) * k + i];
    const g = t.rows.length - 1;
    const x = cols - 1;
    let byGrade = 0, bySex = 0, trend = 0;
    for (let r = 0; r < g; r++) for (let i = 0; i < k; i++) if (at(r, x, i).pct !== undefined) byGrade++;
    for (let c = 0; c < x; c++) for (let i = 0; i < k; i++) if (at(g, c, i).pct !== undefined) bySex++;
    for (let i = 0; i < k; i++) {
      const cell = at(g, x, i);
      if (cell.pct !== undefined) trend++;
      if (cell.previous_pct !== undefined) trend++;
    }
    out[`${m.id}/grade`] = byGrade;
    out[`${m.id}/sex`] = bySex;
    if (report.previous_round) out[`${m.id}/trend`] = trend;
  }
  return out;
}

test("the city report renders its charts and shows no suppressed value", { timeout: 180_000 }, async () => {
  assert.ok(suppressed.length > 0, "the fixture has suppressed cells");
  const profile = mkdtempSync(path.join(tmpdir(), "ckx-report-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync"],
  });
  try {
    const page = await context.newPage();
    const requests = [];
    page.on("request", (r) => { if (!r.url().startsWith("file:")) requests.push(r.url()); });
    const errors = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(pathToFileURL(path.join(dir, "report.html")).href);
    await page.screenshot({ path: path.join(dir, "screenshot.png"), fullPage: false });
    await page.screenshot({ path: path.join(dir, "screenshot-full.png"), fullPage: true });
    assert.deepEqual(requests, [], "the page loads nothing from the network");
    assert.deepEqual(errors, []);

    // Charts: bars drawn = bars published, each with a size.
    const charts = await page.$$eval("svg[data-chart]", (svgs) => svgs.map((s) => ({
      id: s.getAttribute("data-chart"),
      declared: Number(s.getAttribute("data-bars")),
      bars: [...s.querySelectorAll("rect.bar")].map((r) => { const b = r.getBBox(); return [b.width, b.height]; }),
      box: [s.getBoundingClientRect().width, s.getBoundingClientRect().height],
    })));
    const want = expectedBars();
    assert.equal(charts.length, Object.keys(want).length, `charts: ${charts.map((c) => c.id)}`);
    for (const c of charts) {
      assert.ok(c.id in want, c.id);
      assert.equal(c.bars.length, want[c.id], `${c.id}: bars drawn`);
      assert.equal(c.declared, want[c.id], `${c.id}: data-bars`);
      assert.ok(c.bars.length > 0, `${c.id} has bars`);
      assert.ok(c.box[0] > 100 && c.box[1] > 50, `${c.id} is laid out`);
      for (const [w, h] of c.bars) assert.ok(w > 0 && h > 0, `${c.id}: an empty bar`);
    }
    const whiskers = await page.$$eval("line.whisker", (l) => l.length);
    assert.ok(whiskers > 0, "interval whiskers are drawn");

    // No suppressed value: open every <details> so the whole page is in the text.
    await page.$$eval("details", (ds) => ds.forEach((d) => { d.open = true; }));
    const cells = await page.$$eval("td[data-k]", (tds) => Object.fromEntries(tds.map((t) => [t.getAttribute("data-k"), t.textContent])));
    const barKeys = new Set(await page.$$eval("rect.bar[data-k]", (rs) => rs.map((r) => r.getAttribute("data-k"))));
    const text = await page.evaluate(() => document.body.innerText);
    const html = await page.content();
    // every decimal the published data holds anywhere (rates, bounds, coverage, changes)
    const publishedPcts = new Set();
    const walk = (v) => {
      if (typeof v === "string" && /^-?\d+\.\d\d$/.test(v)) publishedPcts.add(v.replace(/^-/, ""));
      else if (v && typeof v === "object") Object.values(v).forEach(walk);
    };
    walk(report);
    let checkedPcts = 0;
    for (const s of suppressed) {
      assert.equal(cells[s.key], "S", `${s.key} shows ${cells[s.key]}`);
      assert.ok(!barKeys.has(s.key), `${s.key} is drawn in a chart`);
      if (s.pct && s.value > 0) {
        // a suppressed cell's exact prevalence would identify it; it must not be anywhere
        const shown = `${s.pct}%`;
        if (!publishedPcts.has(s.pct)) {
          const re = new RegExp(`(?<![0-9.])${shown.replace(".", "\\.")}`);
          assert.ok(!re.test(html), `${s.key}: ${shown} is in the page`);
          checkedPcts++;
        }
      }
    }
    assert.ok(checkedPcts > 0, "some suppressed prevalences were looked for");
    // the note explains the rule
    assert.ok(text.includes("Disclosure control") && text.includes("统计法"), "the suppression note is shown");
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
});
