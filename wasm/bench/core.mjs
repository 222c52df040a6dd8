// Benchmark body shared by Node and the browser: 1,000,000 synthetic PHQ-9 respondents
// scored through the batch API from an Int8Array, against a hand-written plain-JS loop
// of the same rules (reference only: the package never re-implements them), plus the
// latency of single-respondent calls. Synthetic data: a fixed LCG, no real answers.

export const N_ROWS = 1_000_000;
const N_ITEMS = 10;

/** Deterministic synthetic codes: 0..3 per item, about 2% missing (-1). */
export function makeCodes(nRows = N_ROWS) {
  const codes = new Int8Array(nRows * N_ITEMS);
  let x = 0x2545f491;
  for (let i = 0; i < codes.length; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    const r = (x >>> 0) % 100;
    codes[i] = r < 2 ? -1 : r % 4;
  }
  return codes;
}

/**
 * The PHQ-9 rules written by hand in plain JS, producing the same columns as the batch
 * API, three-valued where answers are missing (as the core decides them): total (require-all
 * over items 1–9), band index (0–4 / 5–9 / 10–14 / 15–19 / 20–27), flags item9_self_harm
 * (item 9 ≥ 1), item9_unanswered, mdd_algorithm (≥ 5 of items 1–8 ≥ 2 or item 9 ≥ 1, with
 * item 1 or 2 ≥ 2) as positive and indeterminate bitsets, the screen verdict code (total ≥ 10:
 * positive when the answered items already reach 10, negative when even 3 for every missing
 * item cannot, else indeterminate), validity.
 */
export function plainJs(codes, nRows) {
  const total = new Int32Array(nRows), band = new Int8Array(nRows), flags = new Uint8Array(nRows);
  const undecided = new Uint8Array(nRows), screen = new Uint8Array(nRows), validity = new Uint8Array(nRows);
  for (let r = 0, o = 0; r < nRows; r++, o += N_ITEMS) {
    let sum = 0, missing = 0, sure = 0, unknown = 0;
    for (let i = 0; i < 9; i++) {
      const c = codes[o + i];
      if (c < 0) { missing++; unknown++; continue; }
      sum += c;
      if (i < 8 ? c >= 2 : c >= 1) sure++;
    }
    const i9 = codes[o + 8], i1 = codes[o], i2 = codes[o + 1];
    let f = 0, u = 0;
    if (i9 >= 1) f |= 1; else if (i9 < 0) u |= 1;
    if (i9 < 0) f |= 2;
    // Kleene: count ≥ 5 (T/F/U) and (item 1 ≥ 2 or item 2 ≥ 2) (T/F/U).
    const count = sure >= 5 ? 1 : sure + unknown < 5 ? 0 : 2;
    const either = i1 >= 2 || i2 >= 2 ? 1 : i1 >= 0 && i2 >= 0 ? 0 : 2;
    const mdd = count === 0 || either === 0 ? 0 : count === 1 && either === 1 ? 1 : 2;
    if (mdd === 1) f |= 4; else if (mdd === 2) u |= 4;
    flags[r] = f;
    undecided[r] = u;
    if (missing > 0) {
      total[r] = -1; band[r] = -1; validity[r] = 1;
      screen[r] = sum >= 10 ? 1 : sum + 3 * missing < 10 ? 0 : 2;
    } else {
      total[r] = sum;
      band[r] = sum <= 4 ? 0 : sum <= 9 ? 1 : sum <= 14 ? 2 : sum <= 19 ? 3 : 4;
      screen[r] = sum >= 10 ? 1 : 0;
      validity[r] = 0;
    }
  }
  return { total, band, flags, undecided, screen, validity };
}

// Node also reports the process's CPU time (user + system) of the best run: on a shared machine
// wall time includes the time other jobs held the core; CPU time does not.
const cpu = typeof process !== "undefined" && process.cpuUsage ? () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; } : null;

function best(fn, runs) {
  let bestMs = Infinity, bestCpu = Infinity, out;
  for (let i = 0; i < runs; i++) {
    const c0 = cpu && cpu();
    const t0 = performance.now();
    out = fn();
    bestMs = Math.min(bestMs, performance.now() - t0);
    if (cpu) bestCpu = Math.min(bestCpu, cpu() - c0);
  }
  return { ms: bestMs, cpuMs: cpu ? bestCpu : null, out };
}

/** Rows of a compact PHQ-9 batch that differ from the plain-JS loop's columns. */
function compactMismatches(c, ref, nRows) {
  const t = c.scales[0];
  const MIN = { int16: -32768, int32: -2147483648 };
  let mismatches = 0;
  for (let r = 0; r < nRows; r++) {
    const v = t.raw[r];
    const total = t.raw_width === "int64" ? (v === -(2n ** 63n) ? -1 : Number(v)) : v === MIN[t.raw_width] ? -1 : v;
    if (total !== ref.total[r] || t.band[r] !== ref.band[r] || c.flags[r] !== ref.flags[r] || c.flags_indeterminate[r] !== ref.undecided[r]
        || c.screen[r] !== ref.screen[r] || c.validity[r] !== ref.validity[r]) mismatches++;
  }
  return mismatches;
}

/**
 * Runs everything with the package's exports `ckx` (and, given `compact`, the exports of the
 * `changkaixin/compact` module for `scoreBatchCompact`); returns a plain result object.
 */
export function runBench(ckx, { runs = 5, singleCalls = 50_000, compact = null } = {}) {
  const phq9 = ckx.Instrument.fromCatalog("phq9");
  const codes = makeCodes();
  const wasm = best(() => phq9.scoreBatch(codes, { missing: -1 }), runs);
  const js = best(() => plainJs(codes, N_ROWS), runs);
  // Cross-check: the hand-written loop and the package agree on every row.
  const t = wasm.out.scales[0], ref = js.out;
  const unscored = ckx.unscored();
  let mismatches = 0;
  for (let r = 0; r < N_ROWS; r++) {
    const total = t.raw[r] === unscored ? -1 : Number(t.raw[r]);
    if (total !== ref.total[r] || t.band[r] !== ref.band[r] || Number(wasm.out.flags[r]) !== ref.flags[r]
        || Number(wasm.out.flags_indeterminate[r]) !== ref.undecided[r]
        || wasm.out.screen[r] !== ref.screen[r] || wasm.out.validity[r] !== ref.validity[r]) mismatches++;
  }
  let compactResult = null;
  if (compact) {
    const inst = compact.Instrument.fromCatalog("phq9");
    const c = best(() => inst.scoreBatchCompact(codes, { missing: -1 }), runs);
    compactResult = { ms: c.ms, cpu_ms: c.cpuMs, mismatches: compactMismatches(c.out, ref, N_ROWS) };
  }
  // Single respondent: a full ScoreReport per call, then the lean summary (ids and numbers).
  const response = { answers: { 1: 1, 2: 2, 3: 1, 4: 2, 5: 1, 6: 1, 7: 1, 8: 2, 9: 1, 10: 1 } };
  const positional = [1, 2, 1, 2, 1, 1, 1, 2, 1, 1];
  for (let i = 0; i < 2000; i++) phq9.score(response);
  const single = best(() => { for (let i = 0; i < singleCalls; i++) phq9.score(response); }, 3);
  const singlePos = best(() => { for (let i = 0; i < singleCalls; i++) phq9.scoreAnswers(positional); }, 3);
  for (let i = 0; i < 2000; i++) phq9.scoreSummary(response);
  const summary = best(() => { for (let i = 0; i < singleCalls; i++) phq9.scoreSummary(response); }, 3);
  const summaryPos = best(() => { for (let i = 0; i < singleCalls; i++) phq9.scoreAnswersSummary(positional); }, 3);
  const one = Int8Array.from(positional);
  const singleBatch = best(() => { for (let i = 0; i < singleCalls; i++) phq9.scoreBatch(one, { missing: -1 }); }, 3);
  return {
    rows: N_ROWS,
    batch_ms: wasm.ms,
    plain_js_ms: js.ms,
    batch_rows_per_s: N_ROWS / (wasm.ms / 1000),
    plain_js_rows_per_s: N_ROWS / (js.ms / 1000),
    mismatches,
    compact_batch_ms: compactResult ? compactResult.ms : null,
    compact_mismatches: compactResult ? compactResult.mismatches : null,
    single_score_us: (single.ms * 1000) / singleCalls,
    single_score_answers_us: (singlePos.ms * 1000) / singleCalls,
    single_row_batch_us: (singleBatch.ms * 1000) / singleCalls,
    single_summary_us: (summary.ms * 1000) / singleCalls,
    single_answers_summary_us: (summaryPos.ms * 1000) / singleCalls,
    cpu: cpu ? {
      batch_ms: wasm.cpuMs, plain_js_ms: js.cpuMs, compact_batch_ms: compactResult ? compactResult.cpu_ms : null,
      single_summary_us: (summary.cpuMs * 1000) / singleCalls, single_score_us: (single.cpuMs * 1000) / singleCalls,
    } : null,
  };
}
