//! The record types of the student mental-health archive (current schema versions).
//!
//! Every record carries `schema` (its type's wire name, e.g.
//! `changkaixin.archive.counselling_record`) and `schema_version`. Ids of students and staff
//! are **pseudonymous** strings (see [`crate::privacy::pseudonymise`]); no record has a field
//! for a name, an ID-card number, an address or a phone number (PIPL 6: minimum necessary).
//! Times are RFC 3339 instants ([`Timestamp`], written back in UTC) and dates `YYYY-MM-DD`.

use crate::alert::decision::{AlertDecision, Confirmation, Override};
use crate::scoring::report::{Answer, InstrumentRef, ScoreReport};
use crate::time::{Date, Timestamp};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use super::schema::{any_answer, any_object, instrument_ref_schema, YearMonth};

/// A member of staff, by pseudonymous staff id and role.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StaffRef {
    /// Pseudonymous staff id (never a name).
    pub id: String,
    /// The role the person acts in.
    pub role: StaffRole,
}

/// Roles of the people who write archive records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum StaffRole {
    /// 班主任: head teacher of a class.
    HeadTeacher,
    /// 专兼职心理健康教育教师: full- or part-time psychology teacher.
    PsychologyTeacher,
    /// 校长: principal (or the deputy in charge).
    Principal,
    /// Counsellor of a 未成年人成长指导中心 (growth-guidance centre) or the 96111 hotline.
    CentreCounsellor,
    /// A clinician (psychiatrist, psychologist) of a receiving institution or an expert panel.
    Clinician,
    /// Any other member of staff (a mentor teacher 导师, a school doctor).
    OtherStaff,
}

/// Sex as recorded for norm groups.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    /// Female.
    Female,
    /// Male.
    Male,
    /// Not recorded.
    Unspecified,
}

/// 科学分类归档: the filing class of a student's archive (二(三)9).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FilingClass {
    /// No particular attention.
    General,
    /// 重点学生: a student to be watched and checked one by one.
    KeyAttention,
    /// 需要特别关爱的学生: a student with an individual plan (一人一档、一人一策、一人一帮).
    SpecialCare,
}

/// Who gave a consent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConsentGiver {
    /// The parent or guardian (required under 14: PIPL 31).
    Guardian,
    /// The student.
    Student,
    /// Guardian and student together.
    GuardianAndStudent,
}

/// A lawful basis for processing or sharing (PIPL 13).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum LegalBasis {
    /// 13 ①: consent (for sensitive data a separate consent, PIPL 29; a guardian's under 14, PIPL 31).
    Consent,
    /// 13 ③: a legal duty (e.g. routine school screening under the plan; an interpretation).
    LegalDuty,
    /// 13 ④: an emergency to protect life and health (crisis escalation).
    VitalInterest,
}

/// Categories of data a consent or a share covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DataCategory {
    /// School, grade, class, sex, birth year-month.
    Profile,
    /// Screening answers and score reports.
    Screening,
    /// Alert tiers, decisions, confirmations and reviews.
    Alert,
    /// Individual plans and helpers.
    Plan,
    /// Counselling records (content).
    Counselling,
    /// Referrals to medical institutions.
    Referral,
    /// Crisis case reports.
    Crisis,
    /// Hotline call records.
    Hotline,
}

/// One consent on file, with its scope and (possibly) its withdrawal (PIPL 14, 15, 29, 31).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentEntry {
    /// Id of the entry, unique in the file (the ledger cites it).
    pub id: String,
    /// Who consented.
    pub given_by: ConsentGiver,
    /// What the consent covers.
    pub scope: Vec<DataCategory>,
    /// The purpose consented to.
    pub purpose: String,
    /// Version of the purpose/notice text: a new purpose needs a new consent (PIPL 14).
    pub purpose_version: String,
    /// The basis this entry records (normally `consent`).
    pub legal_basis: LegalBasis,
    /// When it was given.
    pub given_at: Timestamp,
    /// When it was withdrawn (processing stops from then on, PIPL 15).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withdrawn_at: Option<Timestamp>,
}

/// 一人一档: the student's file (version 2; version 1 stored a full birth date).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StudentFile {
    /// `changkaixin.archive.student_file`.
    pub schema: String,
    /// 2.
    pub schema_version: u32,
    /// Pseudonymous student id.
    pub student: String,
    /// School id.
    pub school: String,
    /// Grade, 1 (first year of primary) to 12.
    #[schemars(range(min = 1, max = 12))]
    pub grade: u8,
    /// Class id within the school.
    pub class: String,
    /// Sex.
    pub sex: Sex,
    /// Birth year and month (`YYYY-MM`), never the day (minimum necessary).
    pub birth_year_month: YearMonth,
    /// Filing class (科学分类归档).
    pub filing_class: FilingClass,
    /// Consents on file.
    #[serde(default)]
    pub consents: Vec<ConsentEntry>,
    /// When the file was opened.
    pub opened_at: Timestamp,
}

/// Why a screening was run (the plan's screening occasions).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ScreeningContext {
    /// 入学: at school entry.
    Entry,
    /// 普测: the routine (annual) screening.
    Routine,
    /// 分类: a follow-up screening for a filing class.
    Category,
    /// 监测: monitoring of a student under attention.
    Monitoring,
    /// 特殊节点: a special period (spring, entry, exams, graduation).
    SpecialPeriod,
}

/// A screening: the answers and the score report (re-derived and compared on validation).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScreeningRecord {
    /// `changkaixin.archive.screening_record`.
    pub schema: String,
    /// 1.
    pub schema_version: u32,
    /// Id of the screening record.
    pub record_id: String,
    /// Pseudonymous student id.
    pub student: String,
    /// Instrument id, spec version and settings.
    #[schemars(schema_with = "instrument_ref_schema")]
    pub instrument: InstrumentRef,
    /// Why it was run.
    pub context: ScreeningContext,
    /// When the student started.
    pub administered_at: Timestamp,
    /// When the student finished.
    pub finished_at: Timestamp,
    /// The answers, by item number or item id (an option code, an option id, `null` or `"refused"`).
    #[schemars(schema_with = "any_answer")]
    pub answers: BTreeMap<String, Answer>,
    /// The stored score report (`docs/score-report.md`); never trusted, always re-derived.
    #[schemars(schema_with = "any_object")]
    pub report: ScoreReport,
}

/// How an alert review ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReviewResult {
    /// The tier stays.
    Maintained,
    /// One tier down.
    SteppedDown,
    /// One tier up.
    SteppedUp,
    /// The alert is closed.
    Closed,
}

/// A review of an alert in force.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AlertReview {
    /// When.
    pub at: Timestamp,
    /// Who reviewed.
    pub by: StaffRef,
    /// The result.
    pub result: ReviewResult,
    /// Why.
    pub note: String,
}

/// An alert: the engine's decision, the named person's confirmation or override, the reviews.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AlertRecord {
    /// `changkaixin.archive.alert_record`.
    pub schema: String,
    /// 1.
    pub schema_version: u32,
    /// Id of the alert record.
    pub record_id: String,
    /// Pseudonymous student id.
    pub student: String,
    /// The engine's decision (`changkaixin.alert-decision/1`, `docs/alert-tiers.md`).
    #[schemars(schema_with = "any_object")]
    pub decision: AlertDecision,
    /// The named person's confirmation (absent while pending, or when overridden).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "any_object")]
    pub confirmation: Option<Confirmation>,
    /// The named person's override (a different tier, with a reason).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "any_object")]
    pub r#override: Option<Override>,
    /// Reviews, in time order.
    #[serde(default)]
    pub reviews: Vec<AlertReview>,
}

/// One goal of an individual plan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanGoal {
    /// Id, unique in the plan.
    pub id: String,
    /// The goal.
    pub text: String,
}

/// One measure of an individual plan, serving a goal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanMeasure {
    /// Id of the goal it serves.
    pub goal: String,
    /// The measure.
    pub text: String,
    /// Who carries it out.
    pub responsible: StaffRef,
}

/// 一人一帮: a person assigned to help the student.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Helper {
    /// The helper.
    pub staff: StaffRef,
    /// Since when.
    pub since: Date,
}

/// Whether a plan or case is open.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    /// Open.
    Open,
    /// Closed.
    Closed,
}

/// 一人一策 with 一人一帮: the individual support plan and its helpers (二(三)9).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IndividualPlan {
    /// `changkaixin.archive.individual_plan`.
    pub schema: String,
    /// 1.
    pub schema_version: u32,
    /// Id of the plan.
    pub record_id: String,
    /// Pseudonymous student id.
    pub student: String,
    /// When the plan was opened.
    pub opened_on: Date,
    /// Goals (at least one).
    pub goals: Vec<PlanGoal>,
    /// Measures (at least one, each serving a goal).
    pub measures: Vec<PlanMeasure>,
    /// Helpers (一人一帮; at least one).
    pub helpers: Vec<Helper>,
    /// Review dates, ascending, none before `opened_on` (at least one).
    pub review_dates: Vec<Date>,
    /// Open or closed.
    pub status: CaseStatus,
    /// When closed (required when `status` is `closed`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_on: Option<Date>,
}

/// How a counselling session was held (二(三)7).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Modality {
    /// 面询: face to face.
    FaceToFace,
    /// By phone (not the hotline).
    Phone,
    /// The 96111 未成年人成长指导心理热线.
    #[serde(rename = "hotline_96111")]
    Hotline96111,
    /// Online (video or chat).
    Online,
}

/// The required parts of a counselling record (二(三)7, 二(四)12): 学生目前的心理状况、辅导的主要
/// 问题及问题的评估和鉴定，并有相应的分析、对策与辅导效果评价.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CounsellingParts {
    /// 学生目前的心理状况: the student's current state.
    pub current_state: String,
    /// 辅导的主要问题: the main problem.
    pub main_problem: String,
    /// 问题的评估和鉴定: its assessment.
    pub assessment: String,
    /// 分析: the analysis.
    pub analysis: String,
    /// 对策: the countermeasures.
    pub countermeasures: String,
    /// 辅导效果评价: the evaluation of effect (required once the case is closed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effect_evaluation: Option<String>,
}

/// 知情自愿: the student's informed, voluntary agreement to counselling (二(四)12).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InformedConsent {
    /// Whether it was given (must be `true`).
    pub given: bool,
    /// When it was recorded.
    pub recorded_at: Timestamp,
}

/// Who was informed when confidentiality was broken.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum InformedParty {
    /// The parent or guardian.
    Guardian,
    /// The head teacher.
    HeadTeacher,
    /// The principal or school leadership.
    SchoolLeadership,
    /// A medical institution.
    MedicalInstitution,
    /// The police (未成年人保护法 11 reporting).
    Police,
    /// Civil affairs / child protection.
    CivilAffairs,
}

/// One party informed, and when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PartyInformed {
    /// Who.
    pub party: InformedParty,
    /// When.
    pub at: Timestamp,
}

/// Confidentiality broken because of a risk, with whom was informed and when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfidentialityBreak {
    /// The risk that justified it (the articulable threat).
    pub risk: String,
    /// Who was informed (at least one), within the minimum disclosure needed.
    pub informed: Vec<PartyInformed>,
}

/// 辅导记录: a counselling session (version 2; version 1 kept flat part names and no break record).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CounsellingRecord {
    /// `changkaixin.archive.counselling_record`.
    pub schema: String,
    /// 2.
    pub schema_version: u32,
    /// Id of the session record.
    pub record_id: String,
    /// Pseudonymous student id.
    pub student: String,
    /// The counsellor.
    pub counsellor: StaffRef,
    /// How it was held.
    pub modality: Modality,
    /// Start.
    pub started_at: Timestamp,
    /// End (not before the start).
    pub ended_at: Timestamp,
    /// The six required parts.
    pub parts: CounsellingParts,
    /// 知情自愿.
    pub informed_consent: InformedConsent,
    /// Confidentiality broken because of a risk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidentiality_break: Option<ConfidentialityBreak>,
    /// Whether the case is open or closed after this session.
    pub case_status: CaseStatus,
}

/// One duty shift in the counselling room.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DutyShift {
    /// Who was on duty.
    pub staff: StaffRef,
    /// From.
    pub from: Timestamp,
    /// To (after `from`).
    pub to: Timestamp,
}

/// 值班记录: the counselling room's duty log for one day (二(四)12).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DutyLog {
    /// `changkaixin.archive.duty_log`.
    pub schema: String,
    /// 1.
    pub schema_version: u32,
    /// Id of the log entry.
    pub record_id: String,
    /// School id.
    pub school: String,
    /// Room id.
    pub room: String,
    /// The day (local date; shifts must fall on it at the settings' UTC offset).
    pub date: Date,
    /// Shifts (at least one), in time order, not overlapping.
    pub shifts: Vec<DutyShift>,
    /// Number of visits (no content: the sessions have their own records).
    pub visits: u32,
}

/// An organisation a referral goes from or to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OrgRef {
    /// Kind.
    pub kind: OrgKind,
    /// Id.
    pub id: String,
}

/// Kinds of organisation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrgKind {
    /// A school.
    School,
    /// A growth-guidance centre (未成年人成长指导中心).
    GuidanceCentre,
    /// A hospital or mental-health institution (心理诊治部门).
    MedicalInstitution,
}

/// How urgent a referral is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Urgency {
    /// Routine.
    Routine,
    /// Urgent (days).
    Urgent,
    /// Emergency (same day).
    Emergency,
}

/// How a referral ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReferralStatus {
    /// Accepted by the receiving institution.
    Accepted,
    /// Declined (by the institution or the family).
    Declined,
    /// Treatment under way or done; the school keeps following up.
    Completed,
    /// Contact lost.
    LostToFollowUp,
}

/// The outcome of a referral.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReferralOutcome {
    /// Status.
    pub status: ReferralStatus,
    /// When known.
    pub at: Timestamp,
    /// Note.
    pub note: String,
}

/// 转介并记录在案: a referral of a student with a serious illness (二(四)12, 二(三)9).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Referral {
    /// `changkaixin.archive.referral`.
    pub schema: String,
    /// 1.
    pub schema_version: u32,
    /// Id of the referral.
    pub record_id: String,
    /// Pseudonymous student id.
    pub student: String,
    /// From.
    pub from: OrgRef,
    /// To.
    pub to: OrgRef,
    /// Why.
    pub reason: String,
    /// Urgency (required for a green-channel referral).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub urgency: Option<Urgency>,
    /// 绿色通道: the fast track to the medical institution.
    pub green_channel: bool,
    /// When referred.
    pub referred_at: Timestamp,
    /// When the receiving side took it up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub received_at: Option<Timestamp>,
    /// The outcome, once known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<ReferralOutcome>,
}

/// Kinds of crisis incident.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CrisisKind {
    /// Risk of self-harm or suicide disclosed or observed.
    SelfHarmRisk,
    /// Self-harm.
    SelfHarm,
    /// A suicide attempt.
    SuicideAttempt,
    /// Risk of harm to others.
    HarmToOthers,
    /// Abuse or neglect disclosed.
    AbuseDisclosure,
    /// Other.
    Other,
}

/// The incident a crisis report is about.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Incident {
    /// When.
    pub at: Timestamp,
    /// Kind.
    pub kind: CrisisKind,
    /// What happened.
    pub description: String,
}

/// One entry of a crisis timeline (or an action taken).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TimelineEntry {
    /// When.
    pub at: Timestamp,
    /// What happened / what was done.
    pub text: String,
}

/// An action taken in a crisis.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CrisisAction {
    /// When.
    pub at: Timestamp,
    /// Who.
    pub by: StaffRef,
    /// What.
    pub action: String,
}

/// 专家会诊: an expert consultation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpertConsultation {
    /// When.
    pub at: Timestamp,
    /// The experts (at least one).
    pub experts: Vec<StaffRef>,
    /// What they concluded.
    pub conclusion: String,
}

/// The outcome of a crisis case.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CrisisOutcome {
    /// Open or closed.
    pub status: CaseStatus,
    /// Summary.
    pub summary: String,
}

/// 心理危机个案分析报告: a crisis case-analysis report (二(三)9).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CrisisCaseReport {
    /// `changkaixin.archive.crisis_case_report`.
    pub schema: String,
    /// 1.
    pub schema_version: u32,
    /// Id of the report.
    pub record_id: String,
    /// Pseudonymous student id.
    pub student: String,
    /// The incident.
    pub incident: Incident,
    /// Timeline (at least one entry, in time order).
    pub timeline: Vec<TimelineEntry>,
    /// Actions (at least one, none before the incident).
    pub actions: Vec<CrisisAction>,
    /// Expert consultation (专家会诊), where held.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expert_consultation: Option<ExpertConsultation>,
    /// Outcome.
    pub outcome: CrisisOutcome,
    /// Who wrote the report.
    pub reported_by: StaffRef,
    /// When (not before the incident).
    pub reported_at: Timestamp,
}

/// Who called the hotline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Caller {
    /// A student.
    Student,
    /// A parent or guardian.
    Parent,
    /// A teacher or school.
    School,
}

/// A call to the 96111 hotline (二(三)7: 电话咨询 … 均有辅导记录).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HotlineCall {
    /// `changkaixin.archive.hotline_call`.
    pub schema: String,
    /// 1.
    pub schema_version: u32,
    /// Id of the call record.
    pub record_id: String,
    /// The centre that answered.
    pub centre: String,
    /// Who called.
    pub caller: Caller,
    /// Pseudonymous student id, when the student is known (calls may be anonymous).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub student: Option<String>,
    /// The counsellor who answered.
    pub counsellor: StaffRef,
    /// Start.
    pub started_at: Timestamp,
    /// End.
    pub ended_at: Timestamp,
    /// The record's parts (the effect evaluation is required: a call is closed when it ends).
    pub parts: CounsellingParts,
    /// Whether the caller was referred on (to a face-to-face session, a hospital).
    pub referred: bool,
}

/// What the sender still holds, by kind (the receiving school may request it through the ledger).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HeldRecords {
    /// Record kind (`counselling_record`, …).
    pub kind: String,
    /// How many.
    pub count: u32,
}

/// The support the receiving school needs to continue (no answers, no counselling content).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferSupport {
    /// The current alert tier id, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_tier: Option<String>,
    /// Goals of the open plan.
    #[serde(default)]
    pub plan_goals: Vec<String>,
    /// Measures of the open plan.
    #[serde(default)]
    pub plan_measures: Vec<String>,
    /// Next review date of the open plan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_review_on: Option<Date>,
}

/// 档案移交: the transfer package when a student moves school (二(五)16).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferPackage {
    /// `changkaixin.archive.transfer_package`.
    pub schema: String,
    /// 1.
    pub schema_version: u32,
    /// Id of the package.
    pub record_id: String,
    /// Pseudonymous student id.
    pub student: String,
    /// Sending school.
    pub from_school: String,
    /// Receiving school (not the sender).
    pub to_school: String,
    /// Date of the move.
    pub transferred_on: Date,
    /// Who prepared it.
    pub prepared_by: StaffRef,
    /// The basis for handing over.
    pub legal_basis: LegalBasis,
    /// The consent entry relied on (required when the basis is `consent`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent_id: Option<String>,
    /// Grade.
    #[schemars(range(min = 1, max = 12))]
    pub grade: u8,
    /// Filing class.
    pub filing_class: FilingClass,
    /// What the receiving school needs to continue support.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub support: Option<TransferSupport>,
    /// What the sender keeps.
    #[serde(default)]
    pub held_by_sender: Vec<HeldRecords>,
}
