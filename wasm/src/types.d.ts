// ---- changkaixin-core data shapes (hand-written; checked by wasm/run-tests.sh) ----
//
// These interfaces describe the core's serde JSON shapes exactly: the test script
// type-checks every golden-vector report and every built-in spec against them
// with `tsc --strict` (excess properties and missing required ones are errors).
// Decimals are always strings ("2.50", "17"); fractions are "17/6" strings.

/** An exact decimal as a string, e.g. `"12"`, `"2.50"`. Never a float. */
export type Decimal = string;

/** Text in the platform's locales. */
export interface Localized {
  /** Simplified Chinese. */
  zh?: string;
  /** English. */
  en?: string;
}

/** Setting choices: setting id → option id. */
export type Settings = Record<string, string>;

/**
 * The stable id of an option (`OptionSpec.id`): the LOINC answer code where the option has
 * one (`"LA6568-5"`), otherwise a slug of its meaning (`"strongly_agree"`).
 */
export type OptionId = string;

/**
 * One answer: an option code (integer), an option id (string, e.g. `"LA6568-5"`), `null`
 * (missing), `"missing"` or `"refused"`. An option id is never ambiguous, unlike a code whose
 * numbering an export may have reversed.
 */
export type Answer = number | null | "refused" | "missing" | OptionId;

/** A respondent's answers to one instrument (keys: item number `"9"` or item id `"phq9_9"`). */
export interface Response {
  answers?: Record<string, Answer>;
  /** RFC 3339 start time (only for completion-time validity rules). */
  started_at?: string;
  /** RFC 3339 finish time. */
  finished_at?: string;
  /** Norm group keys, e.g. `{ grade: "7", sex: "F" }`. */
  group?: Record<string, string>;
}

// ---- declared recodes and code tables ----

/** The target of a recode: an option code of the item, or (better) an option id. */
export type OptionTarget = number | OptionId;

/**
 * A declared recode of an export's own answer codes: `source code → option`, for every item
 * (`all`) and/or per item (`items`, keyed by item number or id, replacing `all` for that item).
 * Source codes are integers 0..127 written as keys. Every covered item's map must be a
 * bijection onto the item's options (`score.code_map_invalid`, `score.code_map_not_bijective`,
 * with a path into this object such as `/items/10/3`). Answers given by option id are not recoded.
 *
 * ```ts
 * // An RSES export numbering the answers 1..4 from "strongly disagree" to "strongly agree":
 * rses.score(response, { all: { "1": "strongly_disagree", "2": "disagree", "3": "agree", "4": "strongly_agree" } });
 * ```
 */
export interface CodeMapSpec {
  all?: Record<string, OptionTarget>;
  items?: Record<string, Record<string, OptionTarget>>;
}

/** `Instrument.describe()`: every item's code table, the scales, flags and the screen rule. */
export interface InstrumentDescription {
  id: string;
  version: string;
  name: Localized;
  settings?: Settings;
  /** Items in printed order. */
  items: ItemDescription[];
  scales: ScaleDescription[];
  flags: FlagDescription[];
  /** The screen-positive rule in words, where the instrument defines one. */
  screen_positive?: string;
}

export interface ItemDescription {
  number: number;
  id: string;
  /** Whether the item counts towards scales (positional lists may give only the scored items). */
  scored: boolean;
  /** Reverse-scored (the `value` column already shows the result). */
  reverse: boolean;
  /** Skip logic in words, when the item is asked only sometimes. */
  asked_if?: string;
  /** The code table, in printed order. */
  options: OptionDescription[];
}

/** One row of a code table: which code (and option id) means which answer and value. */
export interface OptionDescription {
  code: number;
  id: OptionId;
  /** The scored value of this option for this item (after reversal). */
  value: number;
  label?: Localized;
}

export interface ScaleDescription {
  id: string;
  name: Localized;
  /** How it is computed, in words (`sum of items 1-9`). */
  aggregate: string;
  /** The missing-data rule in words. */
  missing: string;
  /** Smallest raw value when complete. */
  min: Decimal;
  /** Largest raw value when complete. */
  max: Decimal;
  /** Bands as `id (boundaries)`. */
  bands: string[];
}

export interface FlagDescription {
  id: string;
  level: FlagLevel;
  /** When it fires, in words. */
  when: string;
}

// ---- report ----

export type ValidityStatus = "valid" | "incomplete" | "invalid";
export type ValidityVerdict = "note" | "incomplete" | "invalid";
export type Severity = "none" | "mild" | "moderate" | "high" | "severe";
export type FlagLevel = "info" | "warning" | "critical";

/**
 * A three-valued verdict of a screen or a flag. `"indeterminate"`: the answers given cannot
 * decide it (items it depends on were missing or refused; see `missing_items` /
 * `refused_items`). Indeterminate is **not** negative: never read it as `false`.
 *
 * Batch columns carry the same verdicts as codes (`VerdictCode`): 0 negative, 1 positive,
 * 2 indeterminate (`verdictOfCode(code)` names them).
 */
export type Verdict = "negative" | "positive" | "indeterminate";

/** A verdict as a batch code: 0 negative, 1 positive, 2 indeterminate. */
export type VerdictCode = 0 | 1 | 2;

/**
 * The lean result of `scoreSummary()` / `scoreAnswersSummary()`: only what varies between
 * responses (ids and numbers). Texts and citations are in `labels()` (made once per instrument);
 * `score()` gives the full explained report.
 */
export interface ScoreSummary {
  validity: ValidityStatus;
  /** Every scale, in spec order. */
  scales: ScaleSummary[];
  /** Every flag that is positive **or indeterminate**, in spec order (absent = negative). */
  flags: FlagSummary[];
  /** The screen verdict; `null` when the instrument has no screen-positive rule. */
  screen: Verdict | null;
}

export interface ScaleSummary {
  id: string;
  /** Raw value as an exact decimal string; `null` when unscored. */
  raw: Decimal | null;
  /** Standard score (equals `raw` without norms); `null` when unscored. */
  score: Decimal | null;
  /** Band id (look its label up in `labels().scales[id].bands[band]`); `null` when no band. */
  band: string | null;
  answered: number;
  of: number;
  prorated: boolean;
}

export interface FlagSummary {
  id: string;
  verdict: "positive" | "indeterminate";
  level: FlagLevel;
}

/** The texts a `ScoreSummary` refers to by id (`inst.labels()`, one object per instrument). */
export interface InstrumentLabels {
  id: string;
  version: string;
  name: Localized;
  scales: Record<string, { name: Localized; bands: Record<string, BandLabel> }>;
  flags: Record<string, { label: Localized; reason: Localized; level: FlagLevel; source: string }>;
  /** `null` when the instrument has no screen-positive rule. */
  screen: { reason: Localized; source: string } | null;
}

export interface BandLabel {
  label: Localized;
  /** Ordinal index, 0 = least severe. */
  index: number;
  severity: Severity;
  source: string | null;
}

/** The result of scoring one response. */
export interface ScoreReport {
  instrument: InstrumentRef;
  validity: Validity;
  items: ItemCounts;
  /** Completion time in whole seconds, when both times were given. */
  duration_seconds?: number;
  /** Every scale, in spec order. */
  scales: ScaleResult[];
  /**
   * Every flag whose verdict is positive **or indeterminate**, in spec order (check `verdict`).
   * A flag of the instrument absent from this list is determined negative.
   */
  flags: FlagResult[];
  /** Present when the instrument defines a screen-positive rule. */
  screen_positive?: ScreenPositiveResult;
}

export interface InstrumentRef {
  id: string;
  version: string;
  settings?: Settings;
}

export interface Validity {
  status: ValidityStatus;
  reasons: ValidityReason[];
}

export interface ValidityReason {
  rule: string;
  verdict: ValidityVerdict;
  message: Localized;
  source?: string;
}

export interface ItemCounts {
  answered: number;
  missing: number;
  refused: number;
}

export interface ScaleResult {
  id: string;
  scored: boolean;
  /** Raw value rounded to the scale's report decimals (absent if unscored). */
  raw?: Decimal;
  /** Exact fraction such as `"17/6"` when `raw` is a rounded display of it. */
  raw_exact?: string;
  /** Standard score after norms (equals `raw` without norms). */
  score?: Decimal;
  answered: number;
  of: number;
  prorated: boolean;
  band?: BandResult;
  unscored_reason?: string;
}

export interface BandResult {
  id: string;
  label: Localized;
  /** Ordinal index, 0 = least severe. */
  index: number;
  severity: Severity;
  /** `<instrument>/<scale>/bands/<band>` */
  rule: string;
  /** e.g. `"10 <= raw <= 14"` */
  evidence: string;
  source?: string;
}

export interface FlagResult {
  id: string;
  /** Positive, or indeterminate (its items were missing or refused). Negative flags are not listed. */
  verdict: "positive" | "indeterminate";
  level: FlagLevel;
  label: Localized;
  reason: Localized;
  /** Items whose answers made the flag fire (positive) or that it depends on (indeterminate). */
  items: number[];
  /** When indeterminate: the missing items whose answers would decide it. */
  missing_items?: number[];
  /** When indeterminate: the refused items whose answers would decide it. */
  refused_items?: number[];
  /** The conditions that held (positive) or could not be decided (indeterminate), in words. */
  evidence: string[];
  source: string;
}

/** The screen verdict of an instrument with a screen-positive rule. There is no boolean. */
export interface ScreenPositiveResult {
  verdict: Verdict;
  /** When indeterminate: the missing items whose answers would decide it. */
  missing_items?: number[];
  /** When indeterminate: the refused items whose answers would decide it. */
  refused_items?: number[];
  /** What a positive screen means. */
  reason: Localized;
  /** Evidence when positive or indeterminate (empty when negative). */
  evidence: string[];
  source: string;
}

// ---- instrument spec (format "changkaixin.instrument/1") ----

export interface InstrumentSpec {
  format: string;
  id: string;
  version: string;
  name: Localized;
  citation: string;
  license: License;
  age_range?: AgeRange;
  recall_period?: string;
  notes?: string[];
  fhir?: FhirInstrumentLink;
  option_sets?: Record<string, OptionSpec[]>;
  items: ItemSpec[];
  scales: ScaleSpec[];
  flags?: FlagSpec[];
  screen_positive?: ScreenPositiveSpec;
  validity?: ValidityRuleSpec[];
  norm_group_keys?: string[];
  norms?: NormTableSpec[];
  settings?: SettingSpec[];
}

export interface License {
  id: string;
  text: string;
  item_texts?: boolean;
}

export interface AgeRange {
  min_years?: number;
  max_years?: number;
}

export interface FhirInstrumentLink {
  questionnaire?: string;
  observation_codes?: Record<string, Coding>;
  calculated_link_ids?: string[];
  calculated_scales?: Record<string, string>;
  ignored_link_ids?: string[];
}

export interface Coding {
  system?: string;
  code: string;
  display?: string;
}

export interface OptionSpec {
  /**
   * Stable id, unique within the item (LOINC answer code or a slug). When absent the id is the
   * `fhir` coding's code, else `code_<code>`; the built-in catalog states every id.
   */
  id?: OptionId;
  code: number;
  value: number;
  label?: Localized;
  fhir?: Coding;
}

export interface ItemSpec {
  number: number;
  id: string;
  text?: Localized;
  /** The name of an entry of `option_sets`, or inline options. */
  options: string | OptionSpec[];
  reverse?: boolean;
  /** Explicit code → value map (keys are codes as strings). */
  values?: Record<string, number>;
  scored?: boolean;
  /**
   * Skip logic: the item is asked only when this holds (over earlier items). An unanswered item
   * that was not asked is no unknown; one that should (or may) have been asked is.
   */
  asked_if?: Condition;
  fhir?: FhirItemLink;
}

export interface FhirItemLink {
  link_id: string;
  code?: Coding;
  numeric?: boolean;
}

/** An item number, or an inclusive range written `"1-90"`. */
export type ItemRef = number | string;

export type ScaleKind = "total" | "subscale" | "factor" | "validity" | "index";
export type Rounding = "half_up" | "half_even" | "floor" | "ceil" | "truncate";
export type BandBasis = "raw" | "score";
export type BandCoverage = "full" | "partial";
export type CmpOp = "<" | "<=" | ">" | ">=" | "==" | "!=";

export interface ScaleSpec {
  id: string;
  name: Localized;
  kind?: ScaleKind;
  aggregate: Aggregate;
  missing?: MissingPolicy;
  report_decimals?: number;
  report_rounding?: Rounding;
  bands_on?: BandBasis;
  band_coverage?: BandCoverage;
  bands?: BandSpec[];
  source?: string;
}

export type Aggregate =
  | { method: "sum"; items: ItemRef[] }
  | { method: "mean"; items: ItemRef[] }
  | { method: "count"; items: ItemRef[]; where: ValueTest }
  /** Items whose value satisfies their group's test (e.g. the PHQ-A GLAD-PC positive-symptom count). */
  | { method: "count_groups"; groups: { items: ItemRef[]; where: ValueTest }[] }
  | { method: "sum_of_scales"; scales: string[] };

export interface ValueTest {
  op: CmpOp;
  value: Decimal;
}

export type MissingPolicy =
  | { rule: "require_all" }
  | { rule: "prorate"; min_answered: number; rounding: Rounding; decimals?: number }
  | { rule: "sum_answered"; max_missing: number }
  | { rule: "mean_of_answered"; min_answered: number };

export interface BandSpec {
  id: string;
  label: Localized;
  index: number;
  severity: Severity;
  min?: Decimal;
  min_inclusive?: boolean;
  max?: Decimal;
  max_inclusive?: boolean;
  source?: string;
}

/** A condition tree over items, scales, flags and timing (externally tagged). */
export type Condition =
  | { any: Condition[] }
  | { all: Condition[] }
  | { not: Condition }
  | { item: ItemTest }
  | { item_state: ItemStateTest }
  | { scale: ScaleTest }
  | { scale_unscored: string }
  | { band: BandTest }
  | { count_of: CountOfTest }
  | { answered: AnsweredTest }
  | { straight_line: StraightLineTest }
  | { duration_seconds: ValueTest }
  | { flag: string };

export interface ItemTest {
  item: number;
  op: CmpOp;
  value: Decimal;
  on?: "value" | "code";
}

export interface ItemStateTest {
  item: number;
  state: "answered" | "missing" | "refused" | "unanswered";
}

export interface ScaleTest {
  scale: string;
  op: CmpOp;
  value: Decimal;
  on?: BandBasis;
}

export interface BandTest {
  scale: string;
  op: CmpOp;
  index: number;
}

export interface CountOfTest {
  of: Condition[];
  op: CmpOp;
  value: number;
}

export interface AnsweredTest {
  items: ItemRef[];
  op: CmpOp;
  value: number;
}

export interface StraightLineTest {
  items: ItemRef[];
  min_answered: number;
}

export interface FlagSpec {
  id: string;
  label: Localized;
  level: FlagLevel;
  when: Condition;
  reason: Localized;
  source: string;
}

export interface ScreenPositiveSpec {
  when: Condition;
  reason: Localized;
  source: string;
}

export interface ValidityRuleSpec {
  id: string;
  when: Condition;
  verdict: ValidityVerdict;
  reason: Localized;
  source: string;
}

export interface NormTableSpec {
  scale: string;
  group: Record<string, string>;
  rows: NormRow[];
  source?: string;
}

export interface NormRow {
  raw_min: number;
  raw_max: number;
  score: Decimal;
}

export interface SettingSpec {
  id: string;
  description: string;
  default: string;
  default_rationale: string;
  options: SettingOption[];
}

export interface SettingOption {
  id: string;
  description: string;
  patch?: SpecPatch;
}

export interface SpecPatch {
  items?: ItemSpec[];
  scales?: Record<string, ScalePatch>;
  flags?: Record<string, FlagPatch>;
  screen_positive?: ScreenPositiveSpec;
}

export interface ScalePatch {
  bands?: BandSpec[];
  band_coverage?: BandCoverage;
  missing?: MissingPolicy;
  bands_on?: BandBasis;
  aggregate?: Aggregate;
}

export interface FlagPatch {
  when?: Condition;
  reason?: Localized;
  source?: string;
}

// ---- batch ----

/** Integer code buffers the batch API accepts (row-major, `n_rows × n_items`). */
export type CodeBuffer = Int8Array | Uint8Array | Int16Array | Int32Array;

export interface BatchGroups {
  /** Group index of each row into `groups`. */
  row_group: Uint32Array;
  /** The distinct norm groups, e.g. `{ grade: "7", sex: "F" }`. */
  groups: Record<string, string>[];
}

export interface BatchOptions {
  /** The code meaning "missing" (must not be an option code; e.g. -1, or 255 for Uint8Array). */
  missing: number;
  /** The code meaning "refused", if the buffer distinguishes it. */
  refused?: number;
  /** Norm groups (required when the instrument has norms). */
  groups?: BatchGroups;
  /** Completion time per row in whole seconds (negative = unknown). */
  durations?: Int32Array | BigInt64Array;
  /** The buffer's own coding, declared and checked (see `CodeMapSpec`); sentinels must not be source codes. */
  code_map?: CodeMapSpec | string;
}

/** Columns for one scale. Values are exact mantissas: value = mantissa / 10^decimals. */
export interface ScaleColumns {
  id: string;
  raw_decimals: number;
  /** Raw mantissas; `unscored()` (i64 minimum) where the scale is not scored. */
  raw: BigInt64Array;
  score_decimals: number;
  /** Standard-score mantissas (equal to `raw` without norms). */
  score: BigInt64Array;
  /** Band ordinal index, or -1 for no band. */
  band: Int8Array;
  /** Band ids by ordinal index. */
  band_ids: string[];
  /** Items (or component scales) answered. */
  answered: Uint16Array;
  /** 1 where the value was prorated. */
  prorated: Uint8Array;
}

/** The result of a batch, one entry per row in every column. */
export interface BatchColumns {
  n_rows: number;
  /** One entry per scale, in spec order. */
  scales: ScaleColumns[];
  /** Flag ids; flag `i` is bit `i` of each `flags` and `flags_indeterminate` word. */
  flag_ids: string[];
  /** Per row, the bitset of flags that are **positive**. */
  flags: BigUint64Array;
  /**
   * Per row, the bitset of flags that are **indeterminate** (their items were missing or
   * refused). A flag whose bit is set in neither word is determined negative.
   */
  flags_indeterminate: BigUint64Array;
  /**
   * Each flag as a column of verdict codes (`VerdictCode`: 0 negative, 1 positive,
   * 2 indeterminate), keyed by flag id. Not a boolean: 2 is not "no flag".
   */
  flag_verdicts: Record<string, Uint8Array>;
  /** 0 valid, 1 incomplete, 2 invalid. */
  validity: Uint8Array;
  /**
   * Screen verdict per row (`VerdictCode`: 0 negative, 1 positive, 2 indeterminate);
   * `null` when the instrument defines no screen-positive rule.
   */
  screen: Uint8Array | null;
}

/** A compact value column: the narrowest typed array that holds the scale's range. */
export type CompactValues = Int16Array | Int32Array | BigInt64Array;

/** The element type of a `CompactValues` column. */
export type CompactWidth = "int16" | "int32" | "int64";

/**
 * Compact columns for one scale (`scoreBatchCompact`, module `changkaixin/compact`). Values are
 * exact mantissas (value = mantissa / 10^decimals); the width's minimum (-32768, -2147483648,
 * or `unscored()` for `BigInt64Array`) marks a row where the scale is not scored.
 */
export interface CompactScaleColumns {
  id: string;
  raw_decimals: number;
  /** The typed array of `raw`: `Int16Array`, `Int32Array` or `BigInt64Array`. */
  raw_width: CompactWidth;
  raw: CompactValues;
  score_decimals: number;
  /** The typed array of `score`; `null` with it. */
  score_width: CompactWidth | null;
  /** Standard-score mantissas, only for a scale with norms; `null`: the score is `raw`. */
  score: CompactValues | null;
  /** Band ordinal index, or -1 for no band. */
  band: Int8Array;
  /** Band ids by ordinal index. */
  band_ids: string[];
  /** 1 where the value was prorated; `null` for a scale whose missing-data rule never prorates. */
  prorated: Uint8Array | null;
}

/**
 * The result of `scoreBatchCompact`: the decisions of `BatchColumns` in narrow columns (no
 * answered counts), one entry per row in every column.
 */
export interface CompactBatchColumns {
  compact: true;
  n_rows: number;
  scales: CompactScaleColumns[];
  /** Flag ids; flag `i` is bit `i % 8` of byte `i / 8` of a row's `flag_bytes` bytes. */
  flag_ids: string[];
  /** Bytes per row of `flags` and `flags_indeterminate`: ⌈flag count / 8⌉. */
  flag_bytes: number;
  /** Row-major, `flag_bytes` a row: the flags that are **positive**. */
  flags: Uint8Array;
  /** Row-major, `flag_bytes` a row: the flags that are **indeterminate**; set in neither is negative. */
  flags_indeterminate: Uint8Array;
  /** Each flag as a column of verdict codes (0 negative, 1 positive, 2 indeterminate), by flag id. */
  flag_verdicts: Record<string, Uint8Array>;
  /** 0 valid, 1 incomplete, 2 invalid. */
  validity: Uint8Array;
  /** Screen verdict per row; `null` when the instrument defines no screen-positive rule. */
  screen: Uint8Array | null;
}

// ---- FHIR ----

/** A FHIR R4 resource as JSON (`Questionnaire`, `QuestionnaireResponse`, …). */
export interface FhirResource {
  resourceType: string;
  [key: string]: unknown;
}

/** A total stored in a `QuestionnaireResponse`, beside the engine's value (never used for scoring). */
export interface StoredTotal {
  /** The computed item's linkId. */
  link_id: string;
  /** JSON pointer of the stored answer in the QuestionnaireResponse. */
  path: string;
  /** The scale the item claims to hold, where the instrument links it to one. */
  scale?: string;
  /** The stored value exactly as written (absent when not a readable number). */
  stored?: Decimal;
  /** The engine's `raw` of `scale`, when scored. */
  recomputed?: Decimal;
  status: "agrees" | "disagrees" | "not_compared";
}

/** A scored `QuestionnaireResponse`: the engine's report and what the response claimed its totals were. */
export interface ScoredQuestionnaireResponse {
  report: ScoreReport;
  stored_totals: StoredTotal[];
}

/** A FHIR `Observation` exported for one scored scale. */
export interface FhirObservation {
  resourceType: "Observation";
  status: "final";
  category: { coding: Coding[] }[];
  code: { coding: Coding[] };
  subject: { reference: string };
  effectiveDateTime: string;
  /** Integer-valued scales. */
  valueInteger?: number;
  /** Non-integer scales (FHIR decimals are JSON numbers). */
  valueQuantity?: { value: number; unit: string; system: string; code: string };
  interpretation?: { coding: Coding[]; text?: string }[];
  method: { text: string };
}

// ---- compliance (issue 11) ----

/** A school's facts for one school year (`changkaixin.compliance-facts/1`); a missing fact is never a zero. */
export type SchoolFacts = { format: string; school: { id: string } & JsonObject } & JsonObject;

/** One requirement's finding. */
export type ComplianceFinding = {
  requirement: string;
  status: "pass" | "fail" | "not_applicable" | "insufficient_evidence";
  clause: string;
} & JsonObject;

/** `complianceCheck(packId, facts, asOf)`: per requirement pass / fail / not applicable / insufficient evidence. */
export type ComplianceReport = { format: string; findings: ComplianceFinding[] } & JsonObject;

// ---- built-in data ----

/**
 * The package's built-in data (`changkaixin_data.js`: the catalog's specs, the Changzhou default
 * alert policy, the compliance packs, as `[id, JSON text]` lists), which the .wasm does not
 * embed. Each entry point (`index.js`) passes it once to `installBuiltinData`; call that yourself
 * only when loading `changkaixin_wasm.js` directly.
 */
export interface BuiltinData {
  format: "changkaixin.wasm-data/1";
  instruments: [string, string][];
  policies: [string, string][];
  packs?: [string, string][];
}

// ---- errors ----

export type ErrorCategory = "spec" | "score" | "batch" | "catalog" | "fhir" | "policy" | "evidence" | "time" | "compliance" | "facts" | "archive" | "privacy";

/** The core's stable error codes (the test script checks this list against `errorCodes()`). */
export type ErrorCode =
  | "spec.parse"
  | "spec.unsupported_format"
  | "spec.duplicate_id"
  | "spec.unknown_item"
  | "spec.unknown_scale"
  | "spec.unknown_flag"
  | "spec.bad_options"
  | "spec.reverse_outside_options"
  | "spec.band_overlap"
  | "spec.band_gap"
  | "spec.band_index"
  | "spec.norms_not_monotonic"
  | "spec.norms_incomplete"
  | "spec.invalid_value"
  | "spec.bad_scale"
  | "spec.unknown_setting"
  | "spec.limit_exceeded"
  | "score.parse"
  | "score.unknown_item"
  | "score.unknown_option"
  | "score.wrong_item_count"
  | "score.duplicate_answer"
  | "score.norm_group_not_found"
  | "score.invalid_time"
  | "score.code_map_invalid"
  | "score.code_map_not_bijective"
  | "score.code_map_mismatch"
  | "batch.shape"
  | "batch.unknown_option"
  | "batch.unknown_group"
  | "catalog.unknown_instrument"
  | "fhir.parse"
  | "fhir.unsupported"
  | "fhir.unknown_link_id"
  | "fhir.unknown_answer"
  | "fhir.item_type"
  | "fhir.enable_when"
  | "fhir.repeats"
  | "fhir.nested_item"
  | "fhir.value_set"
  | "fhir.invalid_weight"
  | "fhir.partial_weights"
  | "fhir.no_scored_items"
  | "fhir.unbounded_numeric"
  | "fhir.duplicate_link_id"
  | "fhir.multiple_answers"
  | "fhir.answer_type"
  | "fhir.invalid_value"
  | "fhir.response_status"
  | "fhir.limit"
  | "fhir.incompatible"
  | "policy.parse"
  | "policy.lint"
  | "policy.unsupported_format"
  | "policy.unknown_instrument"
  | "policy.unknown_scale"
  | "policy.unknown_band"
  | "policy.unknown_flag"
  | "policy.unknown_ref"
  | "policy.unreachable_tier"
  | "policy.missing_deadline"
  | "policy.missing_source"
  | "policy.duplicate_id"
  | "policy.invalid_value"
  | "policy.limit_exceeded"
  | "policy.unreviewable_rule"
  | "evidence.invalid"
  | "evidence.unknown_instrument"
  | "evidence.version_mismatch"
  | "evidence.unknown_setting"
  | "evidence.out_of_range"
  | "evidence.report_inconsistent"
  | "time.invalid"
  | "compliance.parse"
  | "compliance.unsupported_format"
  | "compliance.unknown_metric"
  | "compliance.bad_check"
  | "compliance.impossible_threshold"
  | "compliance.missing_source"
  | "compliance.overlapping_versions"
  | "compliance.unknown_ref"
  | "compliance.duplicate_id"
  | "compliance.invalid_value"
  | "compliance.rollup_mismatch"
  | "facts.parse"
  | "facts.unsupported_format"
  | "facts.invalid"
  | "facts.unknown_ref"
  | "facts.duplicate_id"
  | "archive.parse"
  | "archive.unknown_schema"
  | "archive.unsupported_version"
  | "archive.missing_field"
  | "archive.unknown_field"
  | "archive.invalid_type"
  | "archive.invalid_value"
  | "archive.empty"
  | "archive.time_order"
  | "archive.required_when"
  | "archive.inconsistent"
  | "archive.bad_reference"
  | "archive.report_mismatch"
  | "privacy.invalid"
  | "privacy.out_of_scope"
  | "privacy.share_refused"
  | "report.parse"
  | "report.shape"
  | "report.invalid_code"
  | "report.overflow"
  | "report.unprotectable";

/**
 * What every function of this package throws: a real `Error` with the core's
 * stable `code`, its `category`, and where the problem is.
 */
export interface ChangkaixinError extends Error {
  name: "ChangkaixinError";
  code: ErrorCode;
  category: ErrorCategory;
  /** JSON pointer into the input, or a `row r / item i` locator. */
  path: string;
  /** The item number, when the error is about one item. */
  item?: number;
  /** The batch row, when the error is about one row. */
  row?: number;
}

// ---- alert tiers (issue 3; the core's alert module) ----
//
// The alert documents are large and still growing; their main fields are declared and
// checked (tsc against every alert golden vector), the rest are typed as JSON values.

/** Any JSON value. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
/** A JSON object. */
export type JsonObject = { [key: string]: JsonValue };

/**
 * A screening given to the alert engine: either a score report, which the engine **verifies**
 * against the catalog before use (unknown instrument, version or setting, a value outside its
 * scale's range, a band, flag or verdict inconsistent with the values: `evidence.*` errors with
 * a path such as `/screenings/0/report/scales/0/raw`), or the instrument (id, version, settings)
 * with the answers, which the engine scores itself.
 */
export type Screening = ReportScreening | AnswersScreening;

/** A screening given as a score report (verified before use). */
export interface ReportScreening {
  id?: string;
  /** When it was completed (RFC 3339). */
  at: string;
  report: ScoreReport;
  instrument?: never;
  response?: never;
}

/** A screening given as answers, scored by the engine with the named instrument version. */
export interface AnswersScreening {
  id?: string;
  /** When it was completed (RFC 3339). */
  at: string;
  instrument: InstrumentRef;
  response: Response;
  report?: never;
}

/** What is known about one student (pseudonymous id only, never a name). */
export interface StudentEvidence {
  student: string;
  screenings?: Screening[];
  observations?: JsonObject[];
  life_events?: JsonObject[];
  clinical?: JsonObject[];
  agency_notices?: JsonObject[];
  special_periods?: JsonObject[];
  previous?: JsonObject;
  reviews?: JsonObject[];
  completed_actions?: JsonObject[];
}

/** A tier as reported in a decision. */
export interface TierRef {
  id: string;
  index: number;
  level?: string;
  label: Localized;
}

/** One rule that fired: its tier, label, since when, sources and the evidence it used. */
export type FiredRule = { rule: string; tier: string; label: { zh?: string; en?: string }; since: string } & JsonObject;

/** The alert engine's decision for one student. */
export interface AlertDecision {
  format: string;
  student: string;
  policy: { id: string; version: string };
  evaluated_at: string;
  tier: TierRef;
  previous_tier?: JsonObject;
  rule_tier: TierRef;
  change: string;
  tier_since: string;
  responsible_roles: JsonObject[];
  fired_rules: FiredRule[];
  held_by?: JsonObject;
  review?: JsonObject;
  special_periods_active?: string[];
  actions: JsonObject[];
  notifications: JsonObject[];
  withheld_notifications?: JsonObject[];
  next_review_at?: string;
  /** What the decision says, in Chinese and English. */
  summary: { zh: string; en: string };
  requires_confirmation: boolean;
}

/** Decisions for many students: a tier outcome per row (null where the row failed), counts, overdue items. */
export interface BatchDecisions {
  policy: { id: string; version: string };
  evaluated_at: string;
  overdue_at: string;
  tiers: string[];
  rules: string[];
  obligations: JsonObject[];
  rows: (JsonObject | null)[];
  tier_counts: JsonObject[];
  overdue: JsonObject[];
  errors: JsonObject[];
}

/** An alert policy document (`changkaixin.alert-policy/1`). */
export type AlertPolicyDocument = { format: string; id: string; version: string } & JsonObject;
