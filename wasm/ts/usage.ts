// A small TypeScript program against the generated declarations (the default entry bundlers resolve: pkg/esm).
// `tsc --noEmit --strict` type-checks it in wasm/run-tests.sh: if the .d.ts lies or
// loosens (an `any`, a missing field), this file stops compiling or the checks below fail.
import { AlertPolicy, Instrument as AlertInstrument } from "../pkg/esm/alert.js";
import { Instrument as FhirInstrument, importQuestionnaire } from "../pkg/esm/fhir.js";
import { Instrument as CompactInstrument, type CompactBatchColumns, type CompactValues } from "../pkg/esm/compact.js";
import { Aggregator, reportHtml, type CityReport, type ReportCell, type ReportSpecDocument } from "../pkg/esm/report.js";
import {
  Instrument,
  catalogIds,
  catalogSpec,
  errorCodes,
  isChangkaixinError,
  unscored,
  verdictOfCode,
  type BatchColumns,
  type AlertDecision,
  type ChangkaixinError,
  type Decimal,
  type ErrorCode,
  type InstrumentSpec,
  type Response,
  type ScoreReport,
  type ScoreSummary,
  type InstrumentLabels,
  type Verdict,
} from "../pkg/esm/index.js";

const ids: string[] = catalogIds();
const spec: InstrumentSpec = catalogSpec("phq9");
const firstItemText: string | undefined = spec.items[0]?.text?.zh;

const phq9 = Instrument.fromCatalog("phq9");
const response: Response = { answers: { "1": 1, "2": 2, "9": 1, "10": null, phq9_3: "refused" } };
const report: ScoreReport = phq9.score(response);
const total = report.scales.find((s) => s.id === "total");
const raw: Decimal | undefined = total?.raw; // decimals are strings
const bandIndex: number | undefined = total?.band?.index;
const selfHarm: boolean = report.flags.some((f) => f.id === "item9_self_harm" && f.level === "critical");
const screen: Verdict | undefined = report.screen_positive?.verdict;
// The verdict is three-valued: there is no boolean to misread as "negative".
// @ts-expect-error: `positive` does not exist any more
const noBool: boolean = report.screen_positive?.positive ?? false;
// @ts-expect-error: a verdict is not a boolean
const notBool: boolean = report.screen_positive!.verdict;
const undecided: boolean = screen === "indeterminate" && (report.screen_positive?.missing_items?.length ?? 0) > 0;
const flagVerdicts: ("positive" | "indeterminate")[] = report.flags.map((f) => f.verdict);
const byOptionId: ScoreReport = phq9.score({ answers: { "1": "LA6568-5", "2": 1 } });
const positive = screen === "positive";

// @ts-expect-error: a decimal is a string, never a number
const wrong: number = total?.raw ?? 0;

// The lean path: ids and numbers; texts looked up once per instrument.
const summary: ScoreSummary = phq9.scoreSummary(response);
const labels: InstrumentLabels = phq9.labels();
const summaryBand: string | null | undefined = summary.scales[0]?.band;
const bandLabel: string | undefined = summaryBand ? labels.scales["total"]?.bands[summaryBand]?.label.zh : undefined;
const summaryScreen: Verdict | null = summary.screen;
const summaryFlags: string[] = summary.flags.filter((f) => f.level === "critical").map((f) => f.id);
// @ts-expect-error: a summary raw value is a decimal string or null
const summaryRaw: number = summary.scales[0]!.raw;
const fromList: ScoreSummary = phq9.scoreAnswersSummary([1, 2, 1, 2, 1, 1, 1, 2, 1]);
console.log(bandLabel, summaryScreen, summaryFlags, summaryRaw, fromList);

const positional: ScoreReport = phq9.scoreAnswers([1, 2, 1, 2, 1, 1, 1, 2, 1, null]);

const batch: BatchColumns = phq9.scoreBatch(new Int8Array(20).fill(-1), { missing: -1 });
const rawColumn: BigInt64Array = batch.scales[0]!.raw;
const notScored: boolean = rawColumn[0] === unscored();
const flags: Uint8Array | undefined = batch.flag_verdicts["item9_self_harm"];
const undecidedFlags: BigUint64Array = batch.flags_indeterminate;
const screenCodes: Uint8Array | null = batch.screen;
const firstScreen: Verdict | undefined = screenCodes ? verdictOfCode(screenCodes[0] ?? 255) : undefined;
// @ts-expect-error: the screen column may be null (no screen rule); it must be checked
const screenLength: number = batch.screen.length;
const u8batch: BatchColumns = phq9.scoreBatch(new Uint8Array(10).fill(255), { missing: 255, durations: new Int32Array([60]) });

// FHIR lives in its own module (changkaixin/fhir): the main module has no FHIR methods.
// @ts-expect-error: exportObservation is in the fhir module
phq9.exportObservation(report, "total", "Patient/x", "2026-01-01T08:00:00Z");
// @ts-expect-error: Float64Array is not a code buffer
phq9.scoreBatch(new Float64Array(10), { missing: -1 });

// Compact batches live in their own module (changkaixin/compact).
// @ts-expect-error: scoreBatchCompact is in the compact module
phq9.scoreBatchCompact(new Int8Array(10), { missing: -1 });
const compact: CompactBatchColumns = CompactInstrument.fromCatalog("phq9").scoreBatchCompact(new Int8Array(20).fill(-1), { missing: -1, refused: -2 });
const compactRaw: CompactValues = compact.scales[0]!.raw;
const compactUnscored: boolean = compactRaw instanceof Int16Array ? compactRaw[0] === -32768 : compactRaw instanceof Int32Array ? compactRaw[0] === -2147483648 : compactRaw[0] === unscored();
const compactFlagBytes: Uint8Array = compact.flags;
// @ts-expect-error: a compact scale's score is null without norms; it must be checked
const compactScoreLength: number = compact.scales[0]!.score.length;
// @ts-expect-error: compact columns carry no answered counts
const compactAnswered = compact.scales[0]!.answered;
console.log(compactUnscored, compactFlagBytes, compactScoreLength, compactAnswered);

try {
  phq9.score({ answers: { "1": 7 } });
} catch (e: unknown) {
  if (isChangkaixinError(e)) {
    const err: ChangkaixinError = e;
    const code: ErrorCode = err.code;
    const path: string = err.path;
    const item: number | undefined = err.item;
    const isError: Error = err;
    console.log(code, path, item, isError.message);
  }
}
const codes: ErrorCode[] = errorCodes();
const imported: InstrumentSpec = importQuestionnaire({ resourceType: "Questionnaire", item: [] });
const custom = Instrument.fromSpec(spec, { bands: "default" });
const obs = FhirInstrument.fromCatalog("phq9").exportObservation(report, "total", "Patient/synthetic-1", "2026-01-01T08:00:00Z");
const v: number | undefined = obs.valueInteger;

// The alert module has the same scoring API; reports are plain data that cross between modules.
const policy = AlertPolicy.changzhouDefault();
const sameReport: ScoreReport = AlertInstrument.fromCatalog("phq9").score(response);
const decision: AlertDecision = policy.evaluate({ student: "s-1", screenings: [{ at: "2026-01-05T08:00:00Z", report }] }, "2026-01-05T08:00:00Z");
const tierLabel: string | undefined = decision.tier.label.zh;
const why: string[] = decision.fired_rules.map((r) => r.rule);
const lintProblems: ChangkaixinError[] = AlertPolicy.lint(policy.document());
console.log(tierLabel, why, lintProblems, decision.summary.zh, sameReport);

console.log(noBool, notBool, undecided, flagVerdicts, byOptionId, undecidedFlags, firstScreen, screenLength);
console.log(ids, firstItemText, raw, bandIndex, selfHarm, positive, wrong, positional, notScored, flags, u8batch, codes, imported, custom.id, v);

// The city report: typed-array chunks in, the published report (cells with decimal strings) out.
const reportSpec: ReportSpecDocument = {
  layout: {
    districts: [{ id: "d1", zh: "一区", en: "District 1" }],
    schools: [{ id: "s1", zh: "一中", en: "No. 1", district: 0 }],
    grades: [{ id: "7", zh: "七年级", en: "grade 7" }],
    sexes: [{ id: "all", zh: "全部", en: "all" }],
  },
  measures: [{ id: "tier", zh: "预警等级", en: "tier", source: { kind: "tier" }, categories: [{ id: "none", zh: "无", en: "none" }, { id: "watch", zh: "关注", en: "watch" }] }],
};
const agg = new Aggregator(reportSpec);
agg.add({ district: new Uint16Array(2), school: new Uint32Array(2), grade: new Uint8Array(2), sex: new Uint8Array(2), tiers: Uint8Array.of(0, 1) });
const city: CityReport = agg.cityReport({ round: { id: "r", zh: "r", en: "r" }, previous: { round: { id: "p", zh: "p", en: "p" }, aggregate: agg } });
const firstCell: ReportCell | undefined = city.measures[0]?.grade_sex.cells[0];
const pct: string | undefined = firstCell?.pct;
const page: string = reportHtml(agg.cityReportJson({ round: city.round }));
console.log(agg.screened, pct, page.length, agg.toJSON().dims);

