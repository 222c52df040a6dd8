// ---- archive records and role views (issue 12; the core's archive and privacy modules) ----
//
// The records' serde shapes (current schema versions; docs/archive.md). Every record carries
// `schema` (`changkaixin.archive.<kind>`) and `schema_version`: `ArchiveRecord` is a union
// discriminated on `schema`. Ids are pseudonymous strings; instants are RFC 3339 (`validateRecord`
// writes them back in UTC), dates `YYYY-MM-DD`, birth dates `YYYY-MM`. The test script type-checks
// every valid golden-vector record against these declarations with `tsc --strict`.

/** An RFC 3339 instant, e.g. `"2024-03-04T09:00:00Z"`. */
export type ArchiveTimestamp = string;
/** A calendar date `YYYY-MM-DD`. */
export type ArchiveDate = string;

/** The short names of the record kinds. */
export type ArchiveRecordKind =
  | "student_file"
  | "screening_record"
  | "alert_record"
  | "individual_plan"
  | "counselling_record"
  | "duty_log"
  | "referral"
  | "crisis_case_report"
  | "hotline_call"
  | "transfer_package";

export type StaffRole = "head_teacher" | "psychology_teacher" | "principal" | "centre_counsellor" | "clinician" | "other_staff";
/** A member of staff by pseudonymous id and role. */
export interface StaffRef { id: string; role: StaffRole }
export type ArchiveSex = "female" | "male" | "unspecified";
/** 科学分类归档. */
export type FilingClass = "general" | "key_attention" | "special_care";
export type ConsentGiver = "guardian" | "student" | "guardian_and_student";
/** PIPL 13 bases. */
export type LegalBasis = "consent" | "legal_duty" | "vital_interest";
export type DataCategory = "profile" | "screening" | "alert" | "plan" | "counselling" | "referral" | "crisis" | "hotline";
export type CaseStatus = "open" | "closed";

export interface ConsentEntry {
  id: string;
  given_by: ConsentGiver;
  scope: DataCategory[];
  purpose: string;
  purpose_version: string;
  legal_basis: LegalBasis;
  given_at: ArchiveTimestamp;
  withdrawn_at?: ArchiveTimestamp;
}

/** 一人一档 (version 2). */
export interface StudentFile {
  schema: "changkaixin.archive.student_file";
  schema_version: 2;
  student: string;
  school: string;
  /** 1 to 12. */
  grade: number;
  class: string;
  sex: ArchiveSex;
  /** `YYYY-MM`, never the day. */
  birth_year_month: string;
  filing_class: FilingClass;
  consents?: ConsentEntry[];
  opened_at: ArchiveTimestamp;
}

export type ScreeningContext = "entry" | "routine" | "category" | "monitoring" | "special_period";

/** 普测记录: the stored report is re-derived from the answers and compared on validation. */
export interface ScreeningRecord {
  schema: "changkaixin.archive.screening_record";
  schema_version: 1;
  record_id: string;
  student: string;
  instrument: InstrumentRef;
  context: ScreeningContext;
  administered_at: ArchiveTimestamp;
  finished_at: ArchiveTimestamp;
  answers: Record<string, Answer>;
  report: ScoreReport;
}

export type ReviewResult = "maintained" | "stepped_down" | "stepped_up" | "closed";
export interface AlertReview { at: ArchiveTimestamp; by: StaffRef; result: ReviewResult; note: string }

/** 预警记录: the engine's decision, the named person's confirmation or override, reviews. */
export interface AlertRecord {
  schema: "changkaixin.archive.alert_record";
  schema_version: 1;
  record_id: string;
  student: string;
  decision: AlertDecision;
  /** `{ decision, by, at, note? }` (docs/alert-tiers.md). */
  confirmation?: JsonObject;
  /** `{ decision, by, at, tier, reason }` (docs/alert-tiers.md). */
  override?: JsonObject;
  reviews?: AlertReview[];
}

export interface PlanGoal { id: string; text: string }
export interface PlanMeasure { goal: string; text: string; responsible: StaffRef }
/** 一人一帮. */
export interface PlanHelper { staff: StaffRef; since: ArchiveDate }

/** 一人一策 + 一人一帮. */
export interface IndividualPlan {
  schema: "changkaixin.archive.individual_plan";
  schema_version: 1;
  record_id: string;
  student: string;
  opened_on: ArchiveDate;
  goals: PlanGoal[];
  measures: PlanMeasure[];
  helpers: PlanHelper[];
  review_dates: ArchiveDate[];
  status: CaseStatus;
  closed_on?: ArchiveDate;
}

export type Modality = "face_to_face" | "phone" | "hotline_96111" | "online";
/** The required parts (二(三)7, 二(四)12); `effect_evaluation` once the case is closed. */
export interface CounsellingParts {
  current_state: string;
  main_problem: string;
  assessment: string;
  analysis: string;
  countermeasures: string;
  effect_evaluation?: string;
}
export type InformedParty = "guardian" | "head_teacher" | "school_leadership" | "medical_institution" | "police" | "civil_affairs";
export interface ConfidentialityBreak { risk: string; informed: { party: InformedParty; at: ArchiveTimestamp }[] }

/** 辅导记录 (version 2). */
export interface CounsellingRecord {
  schema: "changkaixin.archive.counselling_record";
  schema_version: 2;
  record_id: string;
  student: string;
  counsellor: StaffRef;
  modality: Modality;
  started_at: ArchiveTimestamp;
  ended_at: ArchiveTimestamp;
  parts: CounsellingParts;
  /** 知情自愿 (`given` must be `true`). */
  informed_consent: { given: boolean; recorded_at: ArchiveTimestamp };
  confidentiality_break?: ConfidentialityBreak;
  case_status: CaseStatus;
}

export interface DutyShift { staff: StaffRef; from: ArchiveTimestamp; to: ArchiveTimestamp }
/** 值班记录: one day of the counselling room. */
export interface DutyLog {
  schema: "changkaixin.archive.duty_log";
  schema_version: 1;
  record_id: string;
  school: string;
  room: string;
  date: ArchiveDate;
  shifts: DutyShift[];
  visits: number;
}

export type OrgKind = "school" | "guidance_centre" | "medical_institution";
export interface OrgRef { kind: OrgKind; id: string }
export type Urgency = "routine" | "urgent" | "emergency";
export type ReferralStatus = "accepted" | "declined" | "completed" | "lost_to_follow_up";

/** 转介: a green-channel referral needs an urgency. */
export interface Referral {
  schema: "changkaixin.archive.referral";
  schema_version: 1;
  record_id: string;
  student: string;
  from: OrgRef;
  to: OrgRef;
  reason: string;
  urgency?: Urgency;
  green_channel: boolean;
  referred_at: ArchiveTimestamp;
  received_at?: ArchiveTimestamp;
  outcome?: { status: ReferralStatus; at: ArchiveTimestamp; note: string };
}

export type CrisisKind = "self_harm_risk" | "self_harm" | "suicide_attempt" | "harm_to_others" | "abuse_disclosure" | "other";

/** 心理危机个案分析报告 + 专家会诊. */
export interface CrisisCaseReport {
  schema: "changkaixin.archive.crisis_case_report";
  schema_version: 1;
  record_id: string;
  student: string;
  incident: { at: ArchiveTimestamp; kind: CrisisKind; description: string };
  timeline: { at: ArchiveTimestamp; text: string }[];
  actions: { at: ArchiveTimestamp; by: StaffRef; action: string }[];
  expert_consultation?: { at: ArchiveTimestamp; experts: StaffRef[]; conclusion: string };
  outcome: { status: CaseStatus; summary: string };
  reported_by: StaffRef;
  reported_at: ArchiveTimestamp;
}

/** 96111 热线辅导记录 (a call is closed when it ends: `effect_evaluation` is required). */
export interface HotlineCall {
  schema: "changkaixin.archive.hotline_call";
  schema_version: 1;
  record_id: string;
  centre: string;
  caller: "student" | "parent" | "school";
  student?: string;
  counsellor: StaffRef;
  started_at: ArchiveTimestamp;
  ended_at: ArchiveTimestamp;
  parts: CounsellingParts;
  referred: boolean;
}

/** 档案移交: only what the receiving school needs (no answers, no counselling content). */
export interface TransferPackage {
  schema: "changkaixin.archive.transfer_package";
  schema_version: 1;
  record_id: string;
  student: string;
  from_school: string;
  to_school: string;
  transferred_on: ArchiveDate;
  prepared_by: StaffRef;
  legal_basis: LegalBasis;
  /** Required when `legal_basis` is `consent`. */
  consent_id?: string;
  grade: number;
  filing_class: FilingClass;
  support?: { current_tier?: string; plan_goals?: string[]; plan_measures?: string[]; next_review_on?: ArchiveDate };
  held_by_sender?: { kind: string; count: number }[];
}

/** Every archive record at its current version, discriminated on `schema`. */
export type ArchiveRecord =
  | StudentFile
  | ScreeningRecord
  | AlertRecord
  | IndividualPlan
  | CounsellingRecord
  | DutyLog
  | Referral
  | CrisisCaseReport
  | HotlineCall
  | TransferPackage;

/** 一人一档 version 1 (a full birth date; migrated to version 2 on validation). */
export interface StudentFileV1 {
  schema: "changkaixin.archive.student_file";
  schema_version: 1;
  student: string;
  school: string;
  grade: number;
  class: string;
  sex: ArchiveSex;
  birth_date: ArchiveDate;
  filing_class: FilingClass;
  consents?: ConsentEntry[];
  opened_at: ArchiveTimestamp;
}

/** 辅导记录 version 1 (flat part names; migrated to version 2 on validation). */
export interface CounsellingRecordV1 {
  schema: "changkaixin.archive.counselling_record";
  schema_version: 1;
  record_id: string;
  student: string;
  counsellor: StaffRef;
  modality: "face_to_face" | "phone" | "hotline" | "online";
  started_at: ArchiveTimestamp;
  duration_minutes: number;
  situation: string;
  problem: string;
  evaluation: string;
  analysis: string;
  measures: string;
  effect?: string;
  informed_consent: boolean;
  case_status: CaseStatus;
}

/** Records of older versions the library migrates. */
export type ArchiveRecordV1 = StudentFileV1 | CounsellingRecordV1;

/** What `validateRecord` accepts: a record of any known version, or any object a form produced. */
export type ArchiveRecordInput = ArchiveRecord | ArchiveRecordV1 | JsonObject;

/** One validation problem (the members of a `ChangkaixinError`, as plain data). */
export interface ArchiveProblem {
  code: ErrorCode;
  category: ErrorCategory;
  /** JSON pointer into the record, e.g. `/parts/effect_evaluation`. */
  path: string;
  message: string;
  item?: number;
  row?: number;
}

/** `validateRecord`: the record (current version, times in UTC) or every problem at once. */
export type ArchiveValidation = { ok: true; record: ArchiveRecord } | { ok: false; errors: ArchiveProblem[] };

/** Thrown by `migrateRecord` and `viewRecord` for an invalid record: the first problem, and all of them. */
export interface ArchiveRecordError extends ChangkaixinError {
  problems: ArchiveProblem[];
}

/** The audiences of archive data. */
export type ArchiveRole = "head_teacher" | "psychology_teacher" | "principal" | "district" | "city" | "receiving_school";

/** Who is looking. */
export interface ArchiveViewer {
  role: ArchiveRole;
  /** Pseudonymous staff id (a psychology teacher's own cases name it). */
  staff_id?: string;
  school?: string;
  /** Head teacher: their class. */
  class?: string;
  district?: string;
}

/** Where the student a record is about belongs (from the student file). */
export interface ArchiveSubject { school: string; class: string; district?: string }

/** A record as one role may see it: the record's shape with every field above the role's clearance absent. */
export interface ArchiveRecordView {
  kind: ArchiveRecordKind;
  role: ArchiveRole;
  data: JsonObject;
}

/** `recordKinds()`. */
export interface ArchiveKindInfo {
  kind: ArchiveRecordKind;
  schema: string;
  current_version: number;
  versions: number[];
}
