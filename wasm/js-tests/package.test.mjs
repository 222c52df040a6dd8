// Node tests of the assembled npm package (the release, size-optimised build in pkg/node):
// the golden vectors again (so wasm-opt and the release profile are covered too), the
// error contract, typed-array batches and the declarations.
import { test } from "node:test";
import assert from "node:assert/strict";
import { normalise, thrown } from "./helpers.mjs";
import { createRequire } from "node:module";
import { readFileSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, "../..");
const require = createRequire(import.meta.url);
const pkgDir = path.join(repo, "wasm/pkg");
// The package as a consumer loads it: package.json "main" (node/index.js, which installs the built-in data).
const ckx = require(pkgDir);
// The alert module (scoring + alert tiers), the package's "./alert" entry.
const alertPkg = require(path.join(pkgDir, "node/alert.js"));
const { AlertPolicy } = alertPkg;
// The FHIR module (scoring + FHIR R4), the package's "./fhir" entry.
const fhirPkg = require(path.join(pkgDir, "node/fhir.js"));
// The compact-batch module (scoring + scoreBatchCompact), the package's "./compact" entry.
const compactPkg = require(path.join(pkgDir, "node/compact.js"));
const { Instrument, catalogIds, catalogSpec, errorCodes, isChangkaixinError, unscored, verdictOfCode } = ckx;


test("every scoring golden vector matches Rust byte for byte", () => {
  const dir = path.join(repo, "tests/vectors/scoring");
  let n = 0;
  const failures = [];
  for (const f of readdirSync(dir).filter((f) => f.endsWith(".json")).sort()) {
    const file = JSON.parse(readFileSync(path.join(dir, f), "utf8"));
    for (const c of file.cases) {
      n++;
      const name = `${f} / ${c.name}`;
      let report, err;
      try {
        const inst = file.spec_file
          ? Instrument.fromSpec(readFileSync(path.join(repo, file.spec_file), "utf8"), c.settings)
          : Instrument.fromCatalog(file.instrument, c.settings);
        report = c.answers_list ? inst.scoreAnswers(c.answers_list, c.code_map) : inst.score(c.response, c.code_map);
      } catch (e) {
        err = e;
      }
      if (c.expect_error) {
        if (!err) { failures.push(`${name}: expected ${c.expect_error.code}, got a report`); continue; }
        if (!(err instanceof Error) || err.name !== "ChangkaixinError") { failures.push(`${name}: thrown value is not a ChangkaixinError: ${err}`); continue; }
        if (err.code !== c.expect_error.code) failures.push(`${name}: expected ${c.expect_error.code}, got ${err.code}`);
        if (c.expect_error.item !== undefined && err.item !== c.expect_error.item) failures.push(`${name}: expected item ${c.expect_error.item}, got ${err.item}`);
        if (c.error) {
          const got = { code: err.code, path: err.path, message: err.message };
          if (err.item !== undefined) got.item = err.item;
          if (err.row !== undefined) got.row = err.row;
          if (normalise(got) !== normalise(c.error)) failures.push(`${name}: error differs\n  want ${normalise(c.error)}\n  got  ${normalise(got)}`);
        }
      } else if (err) {
        failures.push(`${name}: unexpected error ${err.code ?? err}: ${err.message}`);
      } else if (normalise(report) !== normalise(c.report)) {
        failures.push(`${name}: report differs\n  want ${normalise(c.report)}\n  got  ${normalise(report)}`);
      }
    }
  }
  assert.ok(n > 300, `only ${n} cases`);
  assert.deepEqual(failures, [], `${failures.length} of ${n} cases failed`);
  console.log(`# ${n} scoring vector cases matched Rust`);
});

test("thrown values are ChangkaixinError objects, never strings", () => {
  const phq9 = Instrument.fromCatalog("phq9");
  const e = thrown(() => phq9.score({ answers: { 9: 7 } }));
  assert.ok(e instanceof Error);
  assert.equal(e.name, "ChangkaixinError");
  assert.equal(e.code, "score.unknown_option");
  assert.equal(e.category, "score");
  assert.equal(e.path, "/answers/9");
  assert.equal(e.item, 9);
  assert.ok(isChangkaixinError(e));
  assert.ok(!isChangkaixinError(new Error("x")));
  assert.ok(typeof e.stack === "string");
  const u = thrown(() => Instrument.fromCatalog("nope"));
  assert.equal(u.code, "catalog.unknown_instrument");
  const s = thrown(() => Instrument.fromCatalog("phq9", { nope: "x" }));
  assert.equal(s.code, "spec.unknown_setting");
  const f = thrown(() => Instrument.fromSpec({ format: "changkaixin.instrument/1", id: "x", version: "1", name: {}, citation: "", license: { id: "synthetic", text: "" }, items: [], scales: [{ id: "t", name: { en: "t" }, aggregate: { method: "sum", items: [1] }, bands: [{ id: "a", label: { en: "a" }, index: 0, severity: "none", min: 0.5 }] }] }));
  assert.equal(f.code, "spec.parse", "a float decimal is refused, as in Rust");
});

test("batch over Int8/Uint8/Int16/Int32 arrays equals single scoring", () => {
  const phq9 = Instrument.fromCatalog("phq9");
  const rows = [
    [1, 2, 1, 2, 1, 1, 1, 2, 1, -1],
    [0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
    [3, 3, 3, 3, 3, 3, 3, 3, 3, -1],
    [2, 2, 2, 2, 2, 2, 2, 2, -1, -1],
  ];
  const flat = rows.flat();
  const cases = [
    [Int8Array.from(flat), -1],
    [Uint8Array.from(flat.map((c) => (c < 0 ? 255 : c))), 255],
    [Int16Array.from(flat), -1],
    [Int32Array.from(flat), -1],
  ];
  for (const [buf, missing] of cases) {
    const cols = phq9.scoreBatch(buf, { missing });
    assert.equal(cols.n_rows, rows.length);
    const total = cols.scales.find((s) => s.id === "total");
    assert.ok(total.raw instanceof BigInt64Array && total.band instanceof Int8Array);
    rows.forEach((row, r) => {
      const rep = phq9.scoreAnswers(row.map((c) => (c < 0 ? null : c)));
      const t = rep.scales[0];
      assert.equal(t.scored ? String(total.raw[r]) : total.raw[r], t.scored ? t.raw : unscored());
      assert.equal(total.band[r], t.band ? t.band.index : -1);
      for (const id of cols.flag_ids) {
        const verdict = rep.flags.find((f) => f.id === id)?.verdict ?? "negative";
        assert.equal(verdictOfCode(cols.flag_verdicts[id][r]), verdict, `${buf.constructor.name} row ${r} flag ${id}`);
      }
      assert.equal(verdictOfCode(cols.screen[r]), rep.screen_positive.verdict);
      assert.equal(cols.validity[r], ["valid", "incomplete", "invalid"].indexOf(rep.validity.status));
    });
  }
  const e = thrown(() => phq9.scoreBatch(Int8Array.from([0, 0, 0, 0, 5, 0, 0, 0, 0, 0]), { missing: -1 }));
  assert.deepEqual([e.code, e.row, e.item], ["batch.unknown_option", 0, 5]);
  assert.equal(thrown(() => phq9.scoreBatch(new Float32Array(10), { missing: -1 })).code, "batch.shape");
  assert.equal(thrown(() => phq9.scoreBatch(new Uint8Array(10), { missing: -1 })).code, "batch.shape");
  assert.equal(thrown(() => phq9.scoreBatch(new Int8Array(10), {})).code, "batch.shape");
});

test("every scoring golden vector a byte row can carry replays through scoreBatch", () => {
  // The case as row 21 of 37 (the other rows each item's lowest option): every column at that row
  // equals the case's stored report, verdict codes included (docs/golden-vectors.md).
  const dir = path.join(repo, "tests/vectors/scoring");
  const VALIDITY = { valid: 0, incomplete: 1, invalid: 2 };
  const VERDICT = { negative: 0, positive: 1, indeterminate: 2 };
  const mantissa = (d, decimals) => {
    if (d === null || d === undefined) return -(2n ** 63n);
    const [i, f = ""] = d.split(".");
    return f.length > decimals ? null : BigInt(i + f.padEnd(decimals, "0"));
  };
  let n = 0;
  const failures = [];
  for (const f of readdirSync(dir).filter((f) => f.endsWith(".json")).sort()) {
    const file = JSON.parse(readFileSync(path.join(dir, f), "utf8"));
    for (const c of file.cases) {
      if (c.expect_error || c.answers_list || c.code_map || !c.report) continue;
      const name = `${f} / ${c.name}`;
      const inst = file.spec_file
        ? Instrument.fromSpec(readFileSync(path.join(repo, file.spec_file), "utf8"), c.settings)
        : Instrument.fromCatalog(file.instrument, c.settings);
      const items = inst.describe().items;
      const N = items.length;
      const row = new Int8Array(N).fill(-1);
      let fits = true;
      for (const [key, v] of Object.entries(c.response.answers ?? {})) {
        const it = items.find((i) => i.id === key || String(i.number) === key);
        const code = !it ? undefined
          : v === null || v === "missing" ? -1
          : v === "refused" ? -2
          : typeof v === "number" ? v
          : it.options.find((o) => o.id === v)?.code;
        if (code === undefined || !Number.isInteger(code) || code < -2 || code > 127) { fits = false; break; }
        row[it.number - 1] = code;
      }
      if (!fits) continue;
      const filler = items.map((it) => Math.min(...it.options.map((o) => o.code)));
      const at = 21;
      const flat = new Int8Array(37 * N);
      for (let r = 0; r < 37; r++) flat.set(r === at ? row : filler, r * N);
      const opts = { missing: -1, refused: -2 };
      if (c.response.group) opts.groups = { row_group: new Uint32Array(37), groups: [c.response.group] };
      if (c.report.duration_seconds != null) opts.durations = new Int32Array(37).fill(c.report.duration_seconds);
      // The same case through the compact module's scoreBatchCompact (its columns widened).
      const compactInst = file.spec_file
        ? compactPkg.Instrument.fromSpec(readFileSync(path.join(repo, file.spec_file), "utf8"), c.settings)
        : compactPkg.Instrument.fromCatalog(file.instrument, c.settings);
      for (const layout of ["wide", "compact"]) {
      let cols;
      try {
        cols = layout === "wide" ? inst.scoreBatch(flat, opts) : compactAsWide(compactInst.scoreBatchCompact(flat, opts));
      } catch (e) {
        failures.push(`${name} (${layout}): batch error ${e.code ?? e}: ${e.message}`);
        continue;
      }
      const bad = [];
      if (cols.scales.length !== c.report.scales.length) bad.push("scale count");
      c.report.scales.forEach((s, i) => {
        const col = cols.scales[i];
        if (!col || col.id !== s.id || col.raw[at] !== mantissa(s.raw, col.raw_decimals) || col.score[at] !== mantissa(s.score, col.score_decimals)
          || col.band[at] !== (s.band ? s.band.index : -1) || (layout === "wide" && col.answered[at] !== s.answered) || col.prorated[at] !== (s.prorated ? 1 : 0)) bad.push(`scale ${s.id}`);
      });
      if (cols.validity[at] !== VALIDITY[c.report.validity.status]) bad.push("validity");
      for (const id of cols.flag_ids) {
        const fl = c.report.flags.find((x) => x.id === id);
        if (cols.flag_verdicts[id][at] !== (fl ? VERDICT[fl.verdict] : 0)) bad.push(`flag ${id}`);
      }
      const sp = c.report.screen_positive;
      if ((cols.screen ? cols.screen[at] : null) !== (sp ? VERDICT[sp.verdict] : null)) bad.push("screen");
      if (bad.length) failures.push(`${name} (${layout}): ${bad.join(", ")}`);
      n++;
      }
    }
  }
  assert.deepEqual(failures, []);
  assert.ok(n >= 600, `only ${n / 2} cases replayed through scoreBatch and scoreBatchCompact`);
});

/** A deterministic xorshift32 generator (synthetic data only). */
function xorshift(seed) {
  let x = seed;
  return () => { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; return x >>> 0; };
}

/**
 * Synthetic batches: missing (-1) and refused (-2) cells at rates (per mille) from none to most,
 * over lengths around the 16-row tile, the 64-row group and the 1,024-row block.
 */
const BATCH_SHAPES = [[0, 64], [5, 1000], [40, 2100], [300, 130], [950, 17]];

/** `rows` rows of codes (`codes[j]`: item j's option codes), `rate` per mille unanswered. */
function syntheticCodes(codes, rate, rows, next) {
  const flat = new Int8Array(rows * codes.length);
  for (let k = 0; k < flat.length; k++) {
    const r = next() % 1000;
    const opts = codes[k % codes.length];
    flat[k] = r < rate / 2 ? -1 : r < rate ? -2 : opts[next() % opts.length];
  }
  return flat;
}

test("byte batches (the module's SIMD path) equal Int16 batches (the row path) for every catalog instrument", () => {
  const next = xorshift(0x2545f491);
  let fused = 0;
  for (const id of catalogIds()) {
    const inst = Instrument.fromCatalog(id);
    const items = inst.describe().items;
    const codes = items.map((it) => it.options.map((o) => o.code));
    if (codes.some((c) => c.some((v) => v < -128 || v > 125))) continue;
    for (const [rate, rows] of BATCH_SHAPES) {
      const flat = syntheticCodes(codes, rate, rows, next);
      // (Instruments with norms: no groups given, so their normed scores are unscored alike.)
      const wideCols = inst.scoreBatch(Int16Array.from(flat), { missing: -1, refused: -2 });
      const byteCols = inst.scoreBatch(flat, { missing: -1, refused: -2 });
      assert.deepEqual(byteCols, wideCols, `${id}, ${rows} rows, ${rate} per mille unanswered`);
      fused++;
    }
  }
  assert.equal(fused, catalogIds().length * 5, "every instrument's codes fit an Int8Array");
});

/**
 * Compact columns (`scoreBatchCompact`) widened into the wide layout (`scoreBatch`) without the
 * answered counts: value columns to `BigInt64Array` (the width's minimum to `unscored()`), a
 * missing `score` to `raw`, a missing `prorated` to zeros, the flag bytes to `u64` words.
 * Checks the compact shape on the way (widths, lengths) so a wrong column fails here.
 */
function compactAsWide(cc) {
  assert.equal(cc.compact, true);
  const n = cc.n_rows;
  const MIN = { int16: -32768, int32: -2147483648 };
  const TYPE = { int16: Int16Array, int32: Int32Array, int64: BigInt64Array };
  const widen = (v, width) => {
    assert.ok(v instanceof TYPE[width], `a ${width} column is a ${v.constructor.name}`);
    assert.equal(v.length, n);
    if (width === "int64") return BigInt64Array.from(v);
    return BigInt64Array.from(v, (x) => (x === MIN[width] ? unscored() : BigInt(x)));
  };
  assert.equal(cc.flag_bytes, Math.ceil(cc.flag_ids.length / 8));
  assert.equal(cc.flags.length, n * cc.flag_bytes);
  const words = (bytes) => {
    const out = new BigUint64Array(n);
    for (let r = 0; r < n; r++) for (let k = 0; k < cc.flag_bytes; k++) out[r] |= BigInt(bytes[r * cc.flag_bytes + k]) << BigInt(8 * k);
    return out;
  };
  return {
    n_rows: n,
    scales: cc.scales.map((s) => ({
      id: s.id,
      raw_decimals: s.raw_decimals,
      raw: widen(s.raw, s.raw_width),
      score_decimals: s.score_decimals,
      score: s.score === null ? (assert.equal(s.score_width, null), widen(s.raw, s.raw_width)) : widen(s.score, s.score_width),
      band: s.band,
      band_ids: s.band_ids,
      prorated: s.prorated ?? new Uint8Array(n),
    })),
    flag_ids: cc.flag_ids,
    flags: words(cc.flags),
    flags_indeterminate: words(cc.flags_indeterminate),
    flag_verdicts: cc.flag_verdicts,
    validity: cc.validity,
    screen: cc.screen,
  };
}

test("compact batches (module changkaixin/compact) carry exactly the wide columns, for every catalog instrument", () => {
  // Synthetic codes as above, through scoreBatchCompact (Int8Array: the fused compact
  // sink; Int16Array: the row path) against scoreBatch of the main module.
  const next = xorshift(0x1b873593);
  assert.equal(typeof ckx.Instrument.prototype.scoreBatchCompact, "undefined", "the main module stays without compact batches");
  assert.equal(typeof compactPkg.Instrument.prototype.scoreBatch, "undefined", "the compact module carries compact batches only");
  let compared = 0, indeterminate = 0, narrow = 0;
  for (const id of catalogIds()) {
    const wide = Instrument.fromCatalog(id);
    const inst = compactPkg.Instrument.fromCatalog(id);
    const items = inst.describe().items;
    const codes = items.map((it) => it.options.map((o) => o.code));
    for (const [rate, rows] of BATCH_SHAPES) {
      const flat = syntheticCodes(codes, rate, rows, next);
      const want = wide.scoreBatch(flat, { missing: -1, refused: -2 });
      for (const a of want.scales) delete a.answered;
      for (const buf of [flat, Int16Array.from(flat)]) {
        const got = inst.scoreBatchCompact(buf, { missing: -1, refused: -2 });
        narrow += got.scales.filter((s) => s.raw_width !== "int64").length;
        assert.deepEqual(compactAsWide(got), want, `${id}, ${rows} rows, ${rate} per mille unanswered, ${buf.constructor.name}`);
        indeterminate += Object.values(got.flag_verdicts).reduce((k, col) => k + col.filter((v) => v === 2).length, 0);
        compared++;
      }
    }
  }
  assert.equal(compared, catalogIds().length * 10);
  assert.ok(indeterminate > 0 && narrow > 0, "the comparison saw indeterminate verdicts and narrow columns");
  // Errors are the same data as scoreBatch's.
  const phq9 = compactPkg.Instrument.fromCatalog("phq9");
  const e = thrown(() => phq9.scoreBatchCompact(Int8Array.from([0, 0, 0, 0, 5, 0, 0, 0, 0, 0]), { missing: -1 }));
  assert.deepEqual([e.name, e.code, e.row, e.item], ["ChangkaixinError", "batch.unknown_option", 0, 5]);
  assert.equal(thrown(() => phq9.scoreBatchCompact(new Float32Array(10), { missing: -1 })).code, "batch.shape");
});

test("catalog specs carry Chinese texts; declarations list exactly the core's error codes and no any", () => {
  assert.equal(catalogIds().length, 16);
  const asq = catalogSpec("asq");
  assert.ok(asq.items.every((i) => i.text && i.text.zh));
  const dts = readFileSync(path.join(pkgDir, "node/changkaixin_wasm.d.ts"), "utf8");
  const union = dts.slice(dts.indexOf("export type ErrorCode ="), dts.indexOf(";", dts.indexOf("export type ErrorCode =")));
  const declared = [...union.matchAll(/"([a-z_]+\.[a-z_]+)"/g)].map((m) => m[1]);
  assert.deepEqual(declared, errorCodes());
});

test("every alert golden vector matches Rust byte for byte", () => {
  const dir = path.join(repo, "tests/vectors/alert");
  const policy = AlertPolicy.changzhouDefault();
  let n = 0;
  const failures = [];
  for (const f of readdirSync(dir).filter((f) => f.endsWith(".json")).sort()) {
    const file = JSON.parse(readFileSync(path.join(dir, f), "utf8"));
    assert.equal(file.policy, "builtin:changzhou_default");
    for (const c of file.cases) {
      n++;
      const name = `${f} / ${c.name}`;
      let decision, err;
      try {
        decision = policy.evaluate(c.evidence, c.at);
      } catch (e) {
        err = e;
      }
      if (c.expect_error) {
        if (!err || !(err instanceof Error) || err.code !== c.expect_error.code || (c.expect_error.path !== undefined && err.path !== c.expect_error.path)) {
          failures.push(`${name}: expected ${JSON.stringify(c.expect_error)}, got ${err ? `${err.code} ${err.path}` : "a decision"}`);
        }
      } else if (err) {
        failures.push(`${name}: unexpected error ${err.code ?? err}: ${err.message}`);
      } else if (normalise(decision) !== normalise(c.decision)) {
        failures.push(`${name}: decision differs\n  want ${normalise(c.decision)}\n  got  ${normalise(decision)}`);
      }
    }
  }
  assert.ok(n > 0);
  assert.deepEqual(failures, [], `${failures.length} of ${n} alert cases failed`);
  console.log(`# ${n} alert vector cases matched Rust`);
  const batch = policy.evaluateBatch([{ student: "s-1" }, { student: "s-2" }], "2026-01-05T08:00:00Z");
  assert.equal(batch.rows.length, 2);
  assert.deepEqual(AlertPolicy.lint(policy.document()), []);
  const bad = thrown(() => policy.evaluate({ student: "s-1", nope: 1 }, "2026-01-05T08:00:00Z"));
  assert.ok(bad instanceof Error && bad.name === "ChangkaixinError");
  assert.equal(thrown(() => policy.evaluate({ student: "s-1" }, "yesterday")).code, "time.invalid");
});

test("three-valued verdicts, option ids, positional lists of the scored items, code maps, code tables", () => {
  const asq = Instrument.fromCatalog("asq");
  const open = asq.score({ answers: {} }).screen_positive;
  assert.equal(open.verdict, "indeterminate", "unanswered ASQ is not negative");
  assert.deepEqual(open.missing_items, [1, 2, 3, 4]);
  assert.ok(!("positive" in open), "no boolean to misread");
  assert.equal(asq.score({ answers: { 1: "no", 2: "no", 3: "no", 4: "no" } }).screen_positive.verdict, "negative");
  assert.deepEqual([0, 1, 2, 3, -1, 1.5].map(verdictOfCode), ["negative", "positive", "indeterminate", undefined, undefined, undefined]);

  const phq9 = Instrument.fromCatalog("phq9");
  const byCode = phq9.score({ answers: { 1: 1, 2: 2, 9: 0 } });
  const byId = phq9.score({ answers: { 1: "LA6569-3", 2: "LA6570-1", 9: "LA6568-5" } });
  assert.equal(normalise(byId), normalise(byCode));
  assert.equal(thrown(() => phq9.score({ answers: { 1: "LA9999-9" } })).code, "score.unknown_option");
  // Nine values (the scored items) or ten (every item) positionally.
  const nine = phq9.scoreAnswers([1, 2, 1, 2, 1, 1, 1, 2, 1]);
  assert.equal(nine.scales[0].raw, "12");
  assert.equal(thrown(() => phq9.scoreAnswers([1, 2, 1])).code, "score.wrong_item_count");

  // A declared recode, single and batch: an RSES export numbered 1..4 from "strongly disagree".
  const rses = Instrument.fromCatalog("rses");
  const map = { all: { 1: "strongly_disagree", 2: "disagree", 3: "agree", 4: "strongly_agree" } };
  const rows = [[4, 4, 4, 4, 4, 4, 4, 4, 4, 4], [1, 2, 3, 4, 1, 2, 3, 4, 1, 2]];
  const cols = rses.scoreBatch(Int8Array.from(rows.flat()), { missing: -1, code_map: map });
  rows.forEach((row, r) => {
    const rep = rses.scoreAnswers(row, map);
    assert.equal(String(cols.scales[0].raw[r]), rep.scales[0].raw, `row ${r}`);
  });
  assert.equal(cols.screen, null, "RSES has no screen rule: the column is null, not zeros");
  const bad = thrown(() => rses.score({ answers: { 1: 1 } }, { all: { 1: "agree", 2: "agree" } }));
  assert.equal(bad.code, "score.code_map_not_bijective");
  assert.ok(bad.path.startsWith("/all"), bad.path);
  assert.equal(thrown(() => rses.checkCodeMap({ items: { 99: { 1: 0 } } })).code, "score.code_map_invalid");
  assert.equal(thrown(() => rses.scoreBatch(Int8Array.from([9, 9, 9, 9, 9, 9, 9, 9, 9, 9]), { missing: -1, code_map: map })).code, "batch.unknown_option");

  // Code tables: describe() as data, String(instrument) as the core's stable text.
  const d = rses.describe();
  assert.equal(d.items.length, 10);
  const item2 = d.items[1];
  assert.deepEqual([item2.options[0].code, item2.options[0].id], [0, "strongly_agree"]);
  assert.ok(String(rses).includes("code tables"), String(rses).slice(0, 200));
  assert.equal(phq9.describe().items[9].scored, false);
});

test("a wrong JS value is refused with a JSON pointer into the object, never read as missing", () => {
  const phq9 = Instrument.fromCatalog("phq9");
  const at = (fn) => { const e = thrown(fn); return [e.code, e.path]; };
  assert.deepEqual(at(() => phq9.score({ answers: { 1: 1, 3: NaN } })), ["score.parse", "/answers/3"]);
  assert.deepEqual(at(() => phq9.score({ answers: { 1: 1, 3: true } })), ["score.parse", "/answers/3"]);
  assert.deepEqual(at(() => phq9.score({ answers: { 9: 2n } })), ["score.parse", "/answers/9"]);
  assert.deepEqual(at(() => phq9.score({ answers: new Map([["1", 1]]) })), ["score.parse", "/answers"]);
  assert.deepEqual(at(() => phq9.scoreAnswers([1, 2, undefined, 1, 1, 1, 1, 1, 1])), ["score.parse", "/2"]);
  assert.deepEqual(at(() => phq9.scoreAnswers([1, 2, Infinity, 1, 1, 1, 1, 1, 1])), ["score.parse", "/2"]);
  assert.deepEqual(at(() => phq9.score({ answers: { 1: 1 }, group: { grade: 7 } })), ["score.parse", "/group/grade"]);
  const cyclic = {};
  cyclic.answers = cyclic;
  assert.equal(thrown(() => phq9.score(cyclic)).code, "score.parse");
  const policy = AlertPolicy.changzhouDefault();
  const e = thrown(() => policy.evaluate({ student: "s-1", screenings: [{ at: 5 }] }, "2026-01-05T08:00:00Z"));
  assert.equal(e.path, "/screenings/0/at");
  // JSON text keeps the core's error (a position in that text); an object gets a pointer.
  assert.match(thrown(() => Instrument.fromSpec('{\n  "format": 1}')).path, /^line 2 column/);
  assert.equal(thrown(() => Instrument.fromSpec({ format: 1 })).path, "/format");
  // `undefined` members are absent, as in JSON: not an error.
  assert.equal(phq9.score({ answers: { 1: 1, 2: undefined } }).items.answered, 1);
});

test("every FHIR golden vector matches Rust byte for byte (files passed as text)", () => {
  const { importQuestionnaire, Instrument } = fhirPkg;
  const dir = path.join(repo, "tests/vectors/fhir");
  let n = 0;
  const failures = [];
  const text = (rel) => readFileSync(path.join(repo, rel), "utf8");
  for (const f of readdirSync(dir).filter((f) => f.endsWith(".json")).sort()) {
    const file = JSON.parse(readFileSync(path.join(dir, f), "utf8"));
    assert.equal(file.kind, "fhir");
    for (const c of file.cases) {
      n++;
      const name = `${f} / ${c.name}`;
      const out = {};
      let stage, err;
      const step = (s, fn) => { if (err) return undefined; try { return fn(); } catch (e) { stage = s; err = e; return undefined; } };
      const q = c.questionnaire_file ? text(c.questionnaire_file) : undefined;
      if (q !== undefined) out.spec = step("import", () => importQuestionnaire(q));
      const inst = step(c.instrument === "import" ? "import" : c.instrument.startsWith("bind:") ? "bind" : "import", () =>
        c.instrument === "import" ? Instrument.fromSpec(out.spec)
          : c.instrument.startsWith("bind:") ? Instrument.fromCatalog(c.instrument.slice(5)).bindQuestionnaire(q)
          : Instrument.fromCatalog(c.instrument));
      if (c.response_file && !err) {
        const scored = step("score", () => inst.scoreQuestionnaireResponseDetailed(text(c.response_file)));
        if (scored) {
          out.report = scored.report;
          out.stored_totals = scored.stored_totals;
          if (c.export) out.observation = step("export", () => inst.exportObservation(scored.report, c.export.scale, c.export.subject, c.export.effective));
        }
      }
      for (const key of ["spec", "report", "stored_totals", "observation"]) {
        const want = c[key] === undefined ? undefined : normalise(c[key]);
        const got = out[key] === undefined ? undefined : normalise(out[key]);
        if (want !== got) failures.push(`${name}: ${key} differs\n  want ${want}\n  got  ${got}`);
      }
      if (c.expect_error) {
        if (!err) failures.push(`${name}: expected ${JSON.stringify(c.expect_error)}, got none`);
        else {
          if (stage !== c.expect_error.stage || err.code !== c.expect_error.code || (c.expect_error.path !== undefined && err.path !== c.expect_error.path)) {
            failures.push(`${name}: expected ${JSON.stringify(c.expect_error)}, got ${stage} ${err.code} ${err.path}`);
          }
          if (c.error) {
            const got = { code: err.code, path: err.path, message: err.message };
            if (err.item !== undefined) got.item = err.item;
            if (normalise(got) !== normalise(c.error)) failures.push(`${name}: error differs\n  want ${normalise(c.error)}\n  got  ${normalise(got)}`);
          }
        }
      } else if (err) failures.push(`${name}: unexpected error at ${stage}: ${err.code}: ${err.message}`);
    }
  }
  assert.ok(n >= 50, `only ${n} FHIR cases`);
  assert.deepEqual(failures, [], `${failures.length} of ${n} FHIR cases failed`);
  console.log(`# ${n} FHIR vector cases matched Rust`);
});

test("reports crossing from JS are verified by the core; evidence may carry answers", () => {
  const { verifyReport } = ckx;
  const phq9 = Instrument.fromCatalog("phq9");
  const answers = { 1: 1, 2: 1, 3: 1, 4: 1, 5: 1, 6: 1, 7: 1, 8: 1, 9: 1 };
  const report = phq9.score({ answers });
  assert.equal(phq9.verifyReport(report), undefined);
  assert.equal(verifyReport(report), undefined);
  const tampered = structuredClone(report);
  tampered.scales[0].raw = "99";
  const e = thrown(() => phq9.verifyReport(tampered));
  assert.deepEqual([e.code, e.path], ["evidence.out_of_range", "/scales/0/raw"]);
  assert.equal(thrown(() => fhirPkg.Instrument.fromCatalog("phq9").exportObservation(tampered, "total", "Patient/x", "2026-01-01T08:00:00Z")).code, "evidence.out_of_range");
  const relabelled = structuredClone(report);
  relabelled.instrument.id = "asq_copy";
  assert.deepEqual([thrown(() => verifyReport(relabelled)).code, thrown(() => verifyReport(relabelled)).path], ["evidence.unknown_instrument", "/instrument/id"]);
  const policy = AlertPolicy.changzhouDefault();
  const at = "2026-01-05T08:00:00Z";
  const ev = thrown(() => policy.evaluate({ student: "s-1", screenings: [{ at, report: tampered }] }, at));
  assert.equal(ev.path, "/screenings/0/report/scales/0/raw");
  const byAnswers = policy.evaluate({ student: "s-1", screenings: [{ at, instrument: { id: "phq9", version: phq9.version }, response: { answers } }] }, at);
  assert.equal(byAnswers.tier.id, "key");
  // An undecidable ASQ (nothing answered) is handled by the policy, never as a negative screen.
  const asq = Instrument.fromCatalog("asq");
  const open = policy.evaluate({ student: "s-2", screenings: [{ at, instrument: { id: "asq", version: asq.version }, response: { answers: {} } }] }, at);
  assert.notEqual(open.tier.id, "none", JSON.stringify(open.tier));
  assert.ok(open.fired_rules.length > 0);
});

test("every compliance golden vector matches Rust byte for byte (typed check for one school's facts)", () => {
  // The compliance module, the package's "./compliance" entry.
  const { complianceCheck } = require(path.join(pkgDir, "node/compliance.js"));
  const dir = path.join(repo, "tests/vectors/compliance");
  let n = 0;
  const failures = [];
  for (const f of readdirSync(dir).filter((f) => f.endsWith(".json")).sort()) {
    const file = JSON.parse(readFileSync(path.join(dir, f), "utf8"));
    assert.equal(file.kind, "compliance");
    const packId = file.pack.replace(/^builtin:/, "");
    for (const c of file.cases) {
      n++;
      try {
        const report = complianceCheck(packId, c.facts, c.as_of);
        if (c.report && normalise(report) !== normalise(c.report)) failures.push(`${f} / ${c.name}: report differs`);
        if (c.expect_error) failures.push(`${f} / ${c.name}: expected ${c.expect_error.code}, got a report`);
      } catch (e) {
        if (!c.expect_error || e.code !== c.expect_error.code) failures.push(`${f} / ${c.name}: unexpected error ${e.code}: ${e.message}`);
      }
    }
  }
  assert.ok(n > 0);
  assert.deepEqual(failures, [], `${failures.length} of ${n} compliance cases failed`);
  console.log(`# ${n} compliance vector cases matched Rust`);
  assert.equal(thrown(() => complianceCheck("nope", {}, "2024-03-01")).code, "compliance.unknown_ref");
});

test("the lean summary says what the full report says, for every scoring golden vector", () => {
  const dir = path.join(repo, "tests/vectors/scoring");
  let n = 0;
  const failures = [];
  for (const f of readdirSync(dir).filter((f) => f.endsWith(".json")).sort()) {
    const file = JSON.parse(readFileSync(path.join(dir, f), "utf8"));
    for (const c of file.cases) {
      if (c.expect_error || c.code_map) continue;
      const inst = file.spec_file
        ? Instrument.fromSpec(readFileSync(path.join(repo, file.spec_file), "utf8"), c.settings)
        : Instrument.fromCatalog(file.instrument, c.settings);
      const s = c.answers_list ? inst.scoreAnswersSummary(c.answers_list) : inst.scoreSummary(c.response);
      const r = c.report;
      const want = {
        validity: r.validity.status,
        scales: r.scales.map((x) => ({ id: x.id, raw: x.raw ?? null, score: x.score ?? null, band: x.band?.id ?? null, answered: x.answered, of: x.of, prorated: x.prorated })),
        flags: r.flags.map((x) => ({ id: x.id, verdict: x.verdict, level: x.level })),
        screen: r.screen_positive?.verdict ?? null,
      };
      n++;
      if (normalise(s) !== normalise(want)) failures.push(`${f} / ${c.name}\n  want ${normalise(want)}\n  got  ${normalise(s)}`);
      // Labels: every band and flag of the report is in the instrument's tables, with the same texts.
      const labels = inst.labels();
      assert.equal(inst.labels(), labels, "labels() is made once per instrument");
      for (const x of r.scales) {
        if (x.band && normalise(labels.scales[x.id].bands[x.band.id].label) !== normalise(x.band.label)) failures.push(`${f} / ${c.name}: band label ${x.band.id}`);
        if (x.band && (labels.scales[x.id].bands[x.band.id].source ?? undefined) !== x.band.source) failures.push(`${f} / ${c.name}: band source ${x.band.id}`);
      }
      for (const x of r.flags) {
        const l = labels.flags[x.id];
        if (normalise([l.label, l.reason, l.source, l.level]) !== normalise([x.label, x.reason, x.source, x.level])) failures.push(`${f} / ${c.name}: flag ${x.id}`);
      }
      if (r.screen_positive && normalise([labels.screen.reason, labels.screen.source]) !== normalise([r.screen_positive.reason, r.screen_positive.source])) failures.push(`${f} / ${c.name}: screen`);
    }
  }
  assert.ok(n > 250, `only ${n} cases`);
  assert.deepEqual(failures, [], `${failures.length} of ${n} cases failed`);
  console.log(`# ${n} summaries agree with the full reports`);
});

test("a wrong JS type names the value the caller wrote (/answers/3), never a position in a JSON text", () => {
  const phq9 = Instrument.fromCatalog("phq9");
  const at = (fn) => { const e = thrown(fn); return [e.code, e.path, e.item]; };
  for (const score of [(r) => phq9.score(r), (r) => phq9.scoreSummary(r)]) {
    assert.deepEqual(at(() => score({ answers: { 1: 1, 3: "2" } })), ["score.unknown_option", "/answers/3", 3]);
    assert.deepEqual(at(() => score({ answers: { 1: 1, 3: 1.5 } })), ["score.parse", "/answers/3", undefined]);
    assert.deepEqual(at(() => score({ answers: { 1: 1 }, extra: true })), ["score.parse", "/extra", undefined]);
    assert.deepEqual(at(() => score({ answers: [1, 2] })), ["score.parse", "/answers", undefined]);
    assert.deepEqual(at(() => score({ answers: { 1: 1 }, started_at: 5 })), ["score.parse", "/started_at", undefined]);
    assert.deepEqual(at(() => score({ answers: { 1: { code: 1 } } })), ["score.parse", "/answers/1", undefined]);
    assert.deepEqual(at(() => score(null)), ["score.parse", "", undefined]);
  }
  for (const list of [(a) => phq9.scoreAnswers(a), (a) => phq9.scoreAnswersSummary(a)]) {
    assert.deepEqual(at(() => list([1, 2, 1.5, 1, 1, 1, 1, 1, 1])), ["score.parse", "/2", undefined]);
    assert.deepEqual(at(() => list([1, 2, "2", 1, 1, 1, 1, 1, 1])), ["score.unknown_option", "/answers/3", 3]);
    assert.deepEqual(at(() => list({ 0: 1 })), ["score.parse", "", undefined]);
  }
  const e = thrown(() => phq9.score({ answers: { 3: 1.5 } }));
  assert.ok(!/line \d+ column/.test(e.path + e.message), e.message);
  // JSON text is still the caller's own text: the core's error, position included.
  assert.match(thrown(() => phq9.score('{"answers": {"3": 1.5}}')).path, /^line 1 column/);
  // Integral floats are codes (JSON writes 2.0 as 2), as before.
  assert.equal(phq9.scoreSummary({ answers: { 1: 2.0 } }).scales[0].answered, 1);
});

test("every archive golden vector validates as in Rust: valid records canonical, invalid ones with the expected codes and paths", () => {
  // The archive module, the package's "./archive" entry.
  const { validateRecord, migrateRecord } = require(path.join(pkgDir, "node/archive.js"));
  const dir = path.join(repo, "tests/vectors/archive");
  const key = (e) => `${e.code} ${e.path}`;
  let n = 0, valid = 0, invalid = 0;
  const failures = [];
  const files = readdirSync(dir).filter((f) => f.endsWith(".json")).sort();
  assert.equal(files.length, 10, "a vector file per record kind");
  for (const f of files) {
    const file = JSON.parse(readFileSync(path.join(dir, f), "utf8"));
    assert.equal(file.kind, "archive");
    for (const c of file.cases) {
      n++;
      const name = `${f} / ${c.name}`;
      for (const [how, input] of [["object", c.record], ["text", JSON.stringify(c.record)]]) {
        const got = validateRecord(input);
        if (c.expect === "valid") {
          if (!got.ok) { failures.push(`${name} (${how}): expected valid, got ${got.errors.map(key).join(", ")}`); continue; }
          if (normalise(got.record) !== normalise(c.canonical)) failures.push(`${name} (${how}): canonical record differs`);
          if (normalise(JSON.parse(migrateRecord(input))) !== normalise(c.canonical)) failures.push(`${name} (${how}): migrateRecord differs`);
          if (got.record.schema !== c.canonical.schema) failures.push(`${name}: schema`);
        } else {
          if (got.ok) { failures.push(`${name} (${how}): expected errors, validated`); continue; }
          for (const e of got.errors) {
            if (!e.message || !e.category || typeof e.path !== "string") failures.push(`${name}: incomplete problem ${JSON.stringify(e)}`);
          }
          const have = new Set(got.errors.map(key));
          if (c.expect_errors) {
            const want = new Set(c.expect_errors.map(key));
            if ([...want].sort().join("|") !== [...have].sort().join("|")) failures.push(`${name} (${how}): errors ${[...have].join(", ")}, expected ${[...want].join(", ")}`);
          } else if (c.expect_errors_include) {
            for (const w of c.expect_errors_include.map(key)) if (!have.has(w)) failures.push(`${name} (${how}): errors ${[...have].join(", ")} lack ${w}`);
          } else {
            failures.push(`${name}: no expectation`);
          }
          const thrownErr = thrown(() => migrateRecord(input));
          if (thrownErr.name !== "ChangkaixinError" || key(thrownErr) !== key(got.errors[0]) || thrownErr.problems.length !== got.errors.length) {
            failures.push(`${name} (${how}): migrateRecord threw ${thrownErr.code} ${thrownErr.path}`);
          }
        }
      }
      if (c.expect === "valid") valid++; else invalid++;
    }
  }
  assert.ok(n > 100, `only ${n} cases`);
  assert.deepEqual(failures, [], `${failures.length} of ${n} archive cases failed`);
  console.log(`# ${n} archive vector cases matched Rust (${valid} valid, ${invalid} invalid; each as an object and as JSON text)`);
});

test("archive module: kinds, schemas, role views, misuse throws and validation problems are data", () => {
  const ar = require(path.join(pkgDir, "node/archive.js"));
  const kinds = ar.recordKinds();
  assert.equal(kinds.length, 10);
  assert.deepEqual(kinds.find((k) => k.kind === "counselling_record"), { kind: "counselling_record", schema: "changkaixin.archive.counselling_record", current_version: 2, versions: [1, 2] });
  // The JSON Schemas are the committed ones.
  for (const k of kinds) {
    for (const v of k.versions) {
      const committed = JSON.parse(readFileSync(path.join(repo, `schemas/${k.kind}.v${v}.schema.json`), "utf8"));
      assert.equal(normalise(ar.recordSchema(k.kind, v)), normalise(committed), `${k.kind} v${v}`);
    }
  }
  assert.equal(normalise(ar.recordSchema("referral")), normalise(ar.recordSchema("referral", 1)));
  assert.equal(thrown(() => ar.recordSchema("nope", 1)).code, "archive.unknown_schema");
  assert.equal(thrown(() => ar.recordSchema("referral", 2)).code, "archive.unsupported_version");
  // Role views: the one per-role export.
  const file = JSON.parse(readFileSync(path.join(repo, "tests/vectors/archive/counselling_record.json"), "utf8"));
  const record = file.cases[0].record;
  const subject = { school: "sch-01", class: "c-8-2" };
  const principal = { role: "principal", staff_id: "staff-01", school: "sch-01" };
  const v = ar.viewRecord(principal, record, subject);
  assert.equal(v.kind, "counselling_record");
  assert.equal(v.role, "principal");
  assert.equal(v.data.parts, undefined, "counselling content stays with the counsellor");
  assert.equal(v.data.case_status, "open");
  const counsellor = { role: "psychology_teacher", staff_id: record.counsellor.id, school: "sch-01" };
  assert.ok(ar.viewRecord(counsellor, JSON.stringify(record), subject).data.parts);
  assert.equal(thrown(() => ar.viewRecord({ ...principal, role: "head_teacher", class: "c-8-2" }, record, subject)).code, "privacy.out_of_scope");
  assert.equal(thrown(() => ar.viewRecord({ role: "district", district: "d-1" }, record, subject)).code, "privacy.out_of_scope");
  const noSubject = thrown(() => ar.viewRecord(principal, record));
  assert.deepEqual([noSubject.code, noSubject.path], ["privacy.invalid", "/subject"]);
  const badViewer = thrown(() => ar.viewRecord({ role: "janitor" }, record, subject));
  assert.deepEqual([badViewer.code, badViewer.path], ["privacy.invalid", "/viewer/role"]);
  const badRecord = thrown(() => ar.viewRecord(principal, { ...record, parts: { ...record.parts, main_problem: "" } }, subject));
  assert.deepEqual([badRecord.code, badRecord.path], ["archive.empty", "/record/parts/main_problem"]);
  assert.equal(badRecord.problems.length, 1);
  // Problems are data, all at once; only a value that is not a record throws.
  const r = ar.validateRecord({ ...record, parts: { ...record.parts, main_problem: "", analysis: " " } });
  assert.equal(r.ok, false);
  assert.deepEqual(r.errors.map((e) => e.path).sort(), ["/parts/analysis", "/parts/main_problem"]);
  assert.ok(!(r.errors[0] instanceof Error));
  const nan = ar.validateRecord({ ...record, counsellor: { id: NaN, role: "psychology_teacher" } });
  assert.deepEqual([nan.ok, nan.errors[0].path], [false, "/counsellor/id"]);
  assert.deepEqual(ar.validateRecord("[1]").errors.map((e) => e.code), ["archive.parse"]);
  assert.deepEqual(ar.validateRecord("{").errors.map((e) => e.code), ["archive.parse"]);
  for (const bad of [undefined, null, 3, [record]]) assert.equal(thrown(() => ar.validateRecord(bad)).code, "archive.parse");
});
