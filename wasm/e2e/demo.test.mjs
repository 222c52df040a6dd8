// End-to-end test in real headless Chromium (Debian's /usr/bin/chromium driven by
// playwright-core): opens the demo page from a plain static server, answers the PHQ-9
// with item 9 = "several days" and checks what the page shows.
// Usage: DEMO_URL=http://127.0.0.1:PORT/ node --test e2e/demo.test.mjs
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = path.dirname(fileURLToPath(import.meta.url));
const url = process.env.DEMO_URL;
const phq9Spec = JSON.parse(readFileSync(path.resolve(here, "../../core/catalog/phq9.json"), "utf8"));

export async function launch() {
  const profile = mkdtempSync(path.join(tmpdir(), "ckx-chromium-"));
  // A fresh user-data-dir per run (playwright takes it as the persistent-context directory).
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
  return { context, cleanup: async () => { await context.close(); rmSync(profile, { recursive: true, force: true }); } };
}

test("demo page scores the PHQ-9 and shows total, band, self-harm flag and proposed tier", { timeout: 120_000 }, async () => {
  assert.ok(url, "DEMO_URL must point at the served wasm/www");
  const { context, cleanup } = await launch();
  try {
    const page = await context.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.goto(url);
    await page.waitForSelector('[data-testid="status"][data-ready="true"]', { timeout: 30_000 });
    // Chinese item texts come from the catalog.
    const legend9 = await page.textContent('[data-testid="phq9-form"] fieldset[data-item="9"] legend');
    assert.ok(legend9.includes(phq9Spec.items[8].text.zh), legend9);
    // Nothing answered yet: the screens and the item-9 flag cannot be decided, and the page
    // says so distinctly (never "negative").
    for (const id of ["phq9", "asq"]) {
      const screen = page.locator(`[data-testid="${id}-screen"]`);
      assert.equal(await screen.getAttribute("data-verdict"), "indeterminate", `${id} screen before any answer`);
      assert.ok((await screen.textContent()).includes("无法判定"), await screen.textContent());
      assert.ok(!(await screen.textContent()).includes("阴性"));
      assert.ok((await screen.getAttribute("class")).includes("verdict-indeterminate"));
    }
    const undecidedFlag = page.locator('[data-testid="phq9-flags"] [data-flag-id="item9_self_harm"]');
    assert.equal(await undecidedFlag.getAttribute("data-verdict"), "indeterminate");
    assert.ok((await undecidedFlag.textContent()).includes("第 9 题未作答"), await undecidedFlag.textContent());
    // ASQ with item 1 answered "no" and the rest open: still indeterminate, naming the open items.
    await page.click('[data-testid="asq-q1-o0"]');
    const asqScreen = page.locator('[data-testid="asq-screen"]');
    assert.equal(await asqScreen.getAttribute("data-verdict"), "indeterminate");
    assert.ok(!(await asqScreen.textContent()).includes("第 1、"), await asqScreen.textContent());
    // Items 1–8: 1,2,1,2,1,1,1,2 (sum 11); item 9 = 1 "several days" (好几天) → total 12; item 10 = 1.
    const answers = [1, 2, 1, 2, 1, 1, 1, 2, 1, 1];
    for (const [i, code] of answers.entries()) await page.click(`[data-testid="phq9-q${i + 1}-o${code}"]`);
    const label9 = await page.textContent('[data-testid="phq9-form"] fieldset[data-item="9"] label:has([data-testid="phq9-q9-o1"])');
    assert.ok(label9.includes("好几天"), label9);
    const total = await page.textContent('[data-testid="phq9-scale-total"]');
    assert.ok(total.startsWith("12"), total);
    const band = page.locator('[data-testid="phq9-band-total"]');
    assert.equal(await band.getAttribute("data-band-id"), "moderate");
    const moderate = phq9Spec.scales[0].bands.find((b) => b.id === "moderate");
    assert.equal((await band.textContent()).trim(), moderate.label.zh);
    const flag = page.locator('[data-testid="phq9-flags"] [data-flag-id="item9_self_harm"]');
    assert.equal(await flag.count(), 1, "self-harm flag shown");
    assert.equal(await flag.getAttribute("data-level"), "critical");
    assert.equal(await flag.getAttribute("data-verdict"), "positive");
    assert.equal(await page.getAttribute('[data-testid="phq9-screen"]', "data-verdict"), "positive");
    // The proposed tier: PHQ-9 item 9 > 0 alone makes the Changzhou default policy propose "key" (重点关注).
    const tier = page.locator('[data-testid="phq9-tier"]');
    assert.equal(await tier.getAttribute("data-tier-id"), "key");
    const reasons = await page.$$eval('[data-testid="phq9-tier-reasons"] li', (lis) => lis.map((li) => li.dataset.rule));
    assert.ok(reasons.includes("key.phq_item9"), JSON.stringify(reasons));
    // ASQ: a "yes" to item 1 is a positive screen.
    await page.click('[data-testid="asq-q1-o1"]');
    assert.equal(await page.getAttribute('[data-testid="asq-screen"]', "data-verdict"), "positive");
    // A Chinese reader sees Chinese words and Beijing time: no raw ids, ISO durations or UTC stamps.
    const validity = page.locator('[data-testid="phq9-validity"]');
    assert.equal(await validity.getAttribute("data-status"), "valid");
    assert.equal((await validity.textContent()).trim(), "有效");
    const text = await page.textContent("main");
    for (const raw of [/\bvalid\b/, /\bincomplete\b/, /\bP\d+[DWMY]\b/, /\bPT\d+H\b/, /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/]) {
      assert.ok(!raw.test(text), `page shows ${raw}: ${text.match(raw)}`);
    }
    const due = await page.$$eval('[data-testid="phq9-actions"] li', (lis) => lis.map((li) => [li.dataset.dueAt, li.textContent]));
    assert.ok(due.length > 0, "actions listed");
    for (const [at, shown] of due) {
      const beijing = new Intl.DateTimeFormat("zh-CN", { timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hour12: false }).format(new Date(at));
      assert.ok(shown.includes(beijing) && shown.includes("北京时间"), `${shown} should show ${at} as ${beijing}`);
    }
    // Tier colour: the key tier (二级预警) is orange.
    const badge = await page.$eval('[data-testid="phq9-tier-label"]', (e) => getComputedStyle(e).backgroundColor);
    assert.equal(badge, "rgb(239, 108, 0)");
    assert.deepEqual(errors, []);
    if (process.env.SCREENSHOT) await page.screenshot({ path: process.env.SCREENSHOT, fullPage: true });
  } finally {
    await cleanup();
  }
});

test("demo page fits a 390 px phone screen", { timeout: 120_000 }, async () => {
  const { context, cleanup } = await launch();
  try {
    const page = await context.newPage();
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(url);
    await page.waitForSelector('[data-testid="status"][data-ready="true"]', { timeout: 30_000 });
    const answers = [1, 2, 1, 2, 1, 1, 1, 2, 1, 1];
    for (const [i, code] of answers.entries()) await page.click(`[data-testid="phq9-q${i + 1}-o${code}"]`);
    await page.click('[data-testid="asq-q1-o1"]');
    // Nothing wider than the screen: no horizontal scrolling, every element inside 390 px.
    const { scrollWidth, widest } = await page.evaluate(() => {
      let widest = { right: 0, what: "" };
      for (const e of document.querySelectorAll("body *")) {
        const r = e.getBoundingClientRect();
        if (r.width > 0 && r.right > widest.right) widest = { right: Math.round(r.right), what: `${e.tagName}.${e.className} ${e.textContent.slice(0, 40)}` };
      }
      return { scrollWidth: document.documentElement.scrollWidth, widest };
    });
    assert.ok(scrollWidth <= 390, `page is ${scrollWidth} px wide at a 390 px viewport`);
    assert.ok(widest.right <= 390, `element reaches ${widest.right} px: ${widest.what}`);
    if (process.env.SCREENSHOT) await page.screenshot({ path: process.env.SCREENSHOT.replace(/\.png$/, "-390.png"), fullPage: true });
  } finally {
    await cleanup();
  }
});
