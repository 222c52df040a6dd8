// Node tests of the report module (`changkaixin/report`, issue 13): every city-report golden
// vector replayed through the package's Aggregator — rows expanded from the case's groups as the
// Rust replayer does (tests/src/report.rs), added in chunks of 7 typed-array rows into separate
// aggregators and merged — with the published report equal to the stored one after JSON
// normalisation, or the stored error (code, path, row, message) thrown as a ChangkaixinError.
import { test } from "node:test";
import assert from "node:assert/strict";
import { normalise, thrown } from "./helpers.mjs";
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, "../..");
const require = createRequire(import.meta.url);
const rp = require(path.join(repo, "wasm/pkg/node/report.js"));
const { Aggregator, reportHtml } = rp;


/** `groups` expanded into typed-array columns exactly as tests/src/report.rs `Columns::from_groups`. */
function columns(spec, groups) {
  const list = (g, k) => (Array.isArray(g[k]) ? g[k] : []);
  const kN = Math.max(0, ...groups.map((g) => Math.max(list(g, "band").length, list(g, "screen").length)));
  const rows = groups.reduce((n, g) => n + (g.n ?? 0), 0);
  const c = {
    district: new Uint16Array(rows), school: new Uint32Array(rows), grade: new Uint8Array(rows), sex: new Uint8Array(rows), tiers: new Uint8Array(rows),
    instruments: Array.from({ length: kN }, () => ({
      band: new Uint8Array(rows), screen: new Uint8Array(rows), flags: new BigUint64Array(rows), flags_indeterminate: new BigUint64Array(rows),
    })),
  };
  let r = 0;
  for (const g of groups) {
    const s = g.school ?? 0;
    const d = g.district ?? spec.layout.schools[s]?.district ?? 0;
    for (let j = 0; j < (g.n ?? 0); j++, r++) {
      c.district[r] = d; c.school[r] = s; c.grade[r] = g.grade ?? 0; c.sex[r] = g.sex ?? 0; c.tiers[r] = g.tier ?? 0;
      c.instruments.forEach((inst, i) => {
        inst.band[r] = list(g, "band")[i] ?? 255;
        inst.screen[r] = list(g, "screen")[i] ?? 0;
        inst.flags[r] = BigInt(list(g, "flags")[i] ?? 0);
        inst.flags_indeterminate[r] = BigInt(list(g, "flags_indeterminate")[i] ?? 0);
      });
    }
  }
  return { c, rows };
}

/** Rows `a..b` of the columns (views, no copies). */
function slice({ c }, a, b) {
  return {
    district: c.district.subarray(a, b), school: c.school.subarray(a, b), grade: c.grade.subarray(a, b), sex: c.sex.subarray(a, b), tiers: c.tiers.subarray(a, b),
    instruments: c.instruments.map((i) => ({
      band: i.band.subarray(a, b), screen: i.screen.subarray(a, b), flags: i.flags.subarray(a, b), flags_indeterminate: i.flags_indeterminate.subarray(a, b),
    })),
  };
}

/** Aggregate in chunks of `chunk` rows, each into its own aggregator, merged (tests/src/report.rs `aggregate`). */
function aggregate(spec, groups, chunk) {
  const cols = columns(spec, groups);
  const total = new Aggregator(spec);
  for (let a = 0; a < cols.rows; a += chunk) {
    const part = new Aggregator(JSON.stringify(spec));
    part.add(slice(cols, a, Math.min(a + chunk, cols.rows)));
    total.merge(part);
    part.free();
  }
  return total;
}

const file = JSON.parse(readFileSync(path.join(repo, "tests/vectors/report/city_report.json"), "utf8"));

test("every city-report golden vector matches Rust (report after normalisation, or the error)", () => {
  assert.equal(file.kind, "city_report");
  const failures = [];
  let reports = 0, errors = 0;
  for (const c of file.cases) {
    let out, err;
    try {
      const agg = aggregate(c.spec, c.groups, 7);
      const request = { round: c.round };
      if (c.settings) request.settings = c.settings;
      if (c.enrolment) request.enrolment = c.enrolment;
      // The previous round's aggregator crosses as itself (JSON.stringify writes its toJSON()).
      if (c.previous) request.previous = { round: c.previous.round, aggregate: aggregate(c.spec, c.previous.groups, 1000) };
      const text = agg.cityReportJson(request);
      out = { text, obj: agg.cityReport(JSON.stringify(request)), html: agg.cityReportHtml(request), agg };
    } catch (e) {
      err = e;
    }
    if (c.expect_error) {
      if (!err) { failures.push(`${c.name}: expected ${c.expect_error.code}, got a report`); continue; }
      if (!(err instanceof Error) || err.name !== "ChangkaixinError") { failures.push(`${c.name}: not a ChangkaixinError: ${err}`); continue; }
      for (const k of Object.keys(c.error)) {
        if (err[k] !== c.error[k]) failures.push(`${c.name}: error ${k} ${JSON.stringify(err[k])} (stored ${JSON.stringify(c.error[k])})`);
      }
      if (err.code !== c.expect_error.code) failures.push(`${c.name}: code ${err.code} (expected ${c.expect_error.code})`);
      if (c.expect_error.row !== undefined && err.row !== c.expect_error.row) failures.push(`${c.name}: row ${err.row} (expected ${c.expect_error.row})`);
      errors++;
      continue;
    }
    if (err) { failures.push(`${c.name}: unexpected error ${err.code}: ${err.message}`); continue; }
    if (normalise(JSON.parse(out.text)) !== normalise(c.report)) failures.push(`${c.name}: report JSON differs from the stored one`);
    if (normalise(out.obj) !== normalise(c.report)) failures.push(`${c.name}: report object differs from the stored one`);
    if (out.obj.screened !== c.expect.screened && c.expect.screened !== undefined) failures.push(`${c.name}: screened ${out.obj.screened}`);
    if (out.agg.screened !== c.report.screened) failures.push(`${c.name}: aggregator counted ${out.agg.screened}`);
    // The HTML page is the core's for the same report, and shows every suppressed cell as the mark.
    if (reportHtml(out.text) !== out.html || reportHtml(out.obj) !== out.html) failures.push(`${c.name}: HTML differs between the two paths`);
    let suppressed = 0;
    for (const m of out.obj.measures) {
      for (const t of ["district_grade", "school_grade", "grade_sex"]) {
        const tab = m[t], kN = m.categories.length;
        tab.cells.forEach((cell, i) => {
          if (cell.state !== "suppressed") return;
          suppressed++;
          if (cell.count !== undefined || cell.pct !== undefined) failures.push(`${c.name}: suppressed cell ${i} carries a value`);
          const r = Math.floor(i / (tab.cols.length * kN)), col = Math.floor(i / kN) % tab.cols.length, k = i % kN;
          const key = `${m.id}|${t}|${tab.rows[r].id}|${tab.cols[col].id}|${m.categories[k].id}`;
          if (!out.html.includes(`<td class="sup" data-k="${key}" title="已抑制 suppressed">S</td>`)) failures.push(`${c.name}: ${key} is not the suppression mark in the HTML`);
        });
      }
    }
    if (c.name.startsWith("a school of four") && suppressed === 0) failures.push(`${c.name}: nothing suppressed`);
    reports++;
  }
  assert.ok(reports >= 4 && errors >= 4, `${reports} reports, ${errors} errors`);
  assert.deepEqual(failures, [], `${failures.length} failures`);
  console.log(`# ${reports + errors} city-report vector cases matched Rust (${reports} reports, ${errors} errors)`);
});

test("aggregates round-trip as JSON, are verified when read back, and merge only with their own shape", () => {
  const c = file.cases.find((x) => x.previous);
  const agg = aggregate(c.spec, c.groups, 7);
  const text = agg.aggregateJson();
  assert.equal(JSON.stringify(agg.toJSON()), text);
  assert.equal(JSON.stringify(agg), text, "JSON.stringify writes toJSON()");
  const back = Aggregator.fromJSON(c.spec, text);
  const request = { round: c.round, enrolment: c.enrolment };
  assert.equal(back.cityReportJson(request), agg.cityReportJson(request));
  assert.equal(Aggregator.fromJSON(JSON.stringify(c.spec), agg.toJSON()).aggregateJson(), text);
  assert.equal(normalise(agg.spec()), normalise(c.spec));
  // Forged aggregates are refused by the core's verification.
  const forged = agg.toJSON();
  forged.counts[0] += 1;
  assert.equal(thrown(() => Aggregator.fromJSON(c.spec, forged)).code, "report.shape");
  const wrongFormat = { ...agg.toJSON(), format: "something/1" };
  const wf = thrown(() => Aggregator.fromJSON(c.spec, wrongFormat));
  assert.deepEqual([wf.code, wf.path], ["report.parse", "/format"]);
  const bad = thrown(() => Aggregator.fromJSON(c.spec, "{"));
  assert.equal(bad.code, "report.parse");
  // Merging aggregates of another spec's shape.
  const other = new Aggregator(file.cases[0].spec);
  assert.equal(thrown(() => agg.merge(other)).code, "report.shape");
  // A previous aggregate is verified too (paths under /previous).
  const prev = thrown(() => agg.cityReportJson({ round: c.round, previous: { round: c.previous.round, aggregate: forged } }));
  assert.equal(prev.code, "report.shape");
  assert.ok(prev.path.startsWith("/previous"), prev.path);
});

test("rows must be typed arrays of the documented types; specs and requests are parsed by the core", () => {
  const spec = file.cases[0].spec;
  const agg = new Aggregator(spec);
  const ok = { district: new Uint16Array([0]), school: new Uint32Array([0]), grade: new Uint8Array([0]), sex: new Uint8Array([0]), instruments: [{ band: new Uint8Array([0]), screen: new Uint8Array([1]), flags: new BigUint64Array([0n]) }] };
  agg.add(ok);
  assert.equal(agg.screened, 1);
  const e1 = thrown(() => agg.add({ ...ok, district: new Uint8Array([0]) }));
  assert.deepEqual([e1.name, e1.code, e1.path], ["ChangkaixinError", "report.shape", "district"]);
  const e2 = thrown(() => agg.add({ ...ok, instruments: [{ ...ok.instruments[0], flags: [0] }] }));
  assert.deepEqual([e2.code, e2.path], ["report.shape", "instruments/0/flags"]);
  const e3 = thrown(() => agg.add({ ...ok, grade: new Uint8Array([0, 0]) }));
  assert.deepEqual([e3.code, e3.path], ["report.shape", "grade"]);
  const e4 = thrown(() => agg.add({ ...ok, school: new Uint32Array([9]) }));
  assert.deepEqual([e4.code, e4.row], ["report.invalid_code", 0]);
  assert.equal(thrown(() => agg.add(undefined)).code, "report.shape");
  assert.equal(agg.screened, 1, "a bad chunk counts nothing");
  // The spec and the request are the core's to parse: errors carry a pointer into the object.
  const es = thrown(() => new Aggregator({ ...spec, layout: { ...spec.layout, grades: 3 } }));
  assert.equal(es.code, "report.parse");
  assert.equal(es.path, "/layout/grades");
  const er = thrown(() => agg.cityReport({ round: { id: "r" } }));
  assert.equal(er.code, "report.parse");
  const html = thrown(() => reportHtml("{}"));
  assert.equal(html.code, "report.parse");
  assert.ok(agg.cityReportHtml({ round: { id: "r", zh: "r", en: "r" } }).includes("<svg"));
});
