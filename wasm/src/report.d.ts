// ---- City report (issue 13): the core's report JSON shapes (core/src/report, docs/report.md) ----

/** A labelled code: id, Chinese and English text. */
export interface ReportLabel { id: string; zh: string; en: string }
/** A school of the layout: its district is an index into `districts`. */
export interface ReportSchool { id: string; zh: string; en: string; district: number }
/** Who can be counted: districts, schools, grades, sexes (row codes index these lists). */
export interface ReportLayout { districts: ReportLabel[]; schools: ReportSchool[]; grades: ReportLabel[]; sexes: ReportLabel[] }
/** Where a measure's category per row comes from (`instrument` indexes `ReportRows.instruments`). */
export type ReportMeasureSource =
  | { kind: "band"; instrument: number }
  | { kind: "screen"; instrument: number }
  | { kind: "flag"; instrument: number; bit: number }
  | { kind: "tier" };
/** One classification of the screened students: every student falls in exactly one category. */
export interface ReportMeasure { id: string; zh: string; en: string; source: ReportMeasureSource; categories: ReportLabel[] }
/** The report spec: layout and measures (rules as data; validated by the core). */
export interface ReportSpecDocument { layout: ReportLayout; measures: ReportMeasure[] }
/** An exact aggregate (`Aggregator.toJSON()`): counts per school × grade × sex and per category. */
export interface ReportAggregate {
  format: string;
  dims: [number, number, number];
  categories: number[];
  screened: number[];
  counts: number[];
}
/** A screening round. */
export interface ReportRound { id: string; zh: string; en: string }
/** Disclosure-control settings; each absent one takes the core's documented default. */
export interface ReportSettings {
  threshold?: number;
  small_group?: number;
  protection_width?: number;
  dominance?: boolean;
  near_total?: boolean;
}
/** Everything a report needs besides the spec and this round's aggregate. `enrolment`: students
 * enrolled per school × grade × sex (row-major); `previous`: the previous round and its aggregate
 * (same spec; an `Aggregator` is written as its `toJSON()`). */
export interface ReportRequest {
  round: ReportRound;
  settings?: ReportSettings;
  enrolment?: number[];
  previous?: { round: ReportRound; aggregate: ReportAggregate | Aggregator };
}
/** Per instrument, its row columns (each only needed by measures that read it). */
export interface ReportInstrumentRows {
  /** Band code per row (255 = no band). */
  band?: Uint8Array;
  /** Screen verdict per row: 0 negative, 1 positive, 2 indeterminate. */
  screen?: Uint8Array;
  /** Positive-flag bitset per row. */
  flags?: BigUint64Array;
  /** Indeterminate-flag bitset per row (absent or empty: none indeterminate). */
  flags_indeterminate?: BigUint64Array;
}
/** One chunk of rows, as typed-array columns of equal length. An absent column is empty. */
export interface ReportRows {
  district?: Uint16Array;
  school?: Uint32Array;
  grade?: Uint8Array;
  sex?: Uint8Array;
  /** Alert tier code per row (0 = none; needed by tier measures). */
  tiers?: Uint8Array;
  instruments?: ReportInstrumentRows[];
}
/** A row or column head (`district`: a school's district id). */
export interface ReportHead { id: string; zh: string; en: string; district?: string }
/** `published`, `suppressed` (no count, rate, interval or change is given) or `empty`. */
export type ReportCellState = "published" | "suppressed" | "empty";
/** A cell: rates and Wilson bounds are exact decimal strings (percent). */
export interface ReportCell {
  state: ReportCellState;
  count?: number;
  pct?: string;
  lo?: string;
  hi?: string;
  change?: number;
  change_pct?: string;
  previous_pct?: string;
}
/** A measure table: rows × cols × categories cells, row-major. */
export interface ReportTable { rows: ReportHead[]; cols: ReportHead[]; screened: number[]; cells: ReportCell[] }
/** One measure's three linked tables. */
export interface ReportMeasureTables {
  id: string;
  zh: string;
  en: string;
  categories: ReportLabel[];
  district_grade: ReportTable;
  school_grade: ReportTable;
  grade_sex: ReportTable;
  suppressed: number;
  cells: number;
}
/** A coverage cell (`coverage`: percent, exact decimal string, where enrolment is known). */
export interface ReportCoverageCell { screened: number; enrolled?: number; coverage?: string }
export interface ReportCoverageTable { rows: ReportHead[]; cols: ReportHead[]; cells: ReportCoverageCell[] }
/** The published city report (`changkaixin.city-report/1`): safe to publish. */
export interface CityReport {
  format: string;
  round: ReportRound;
  previous_round?: ReportRound;
  suppression: Required<ReportSettings>;
  method: { z: string; pct_places: number; rounding: string };
  screened: number;
  enrolled?: number;
  coverage: { district_grade: ReportCoverageTable; school_grade: ReportCoverageTable; grade_sex: ReportCoverageTable };
  measures: ReportMeasureTables[];
}
