//! The student mental-health archive (issue 12): the two records phone apps write — the
//! counselling record ([`CounsellingRecord`], version 2) and the counselling-room duty log
//! ([`DutyLog`]) — as typed records, every archive kind as its JSON document, the role-scoped
//! view and keyed pseudonyms.
//!
//! Validation is the core's, never a second implementation: a typed record is converted to the
//! core's wire form (enums through the core enums, times as the RFC 3339 / `YYYY-MM-DD` strings the
//! app holds) and handed to `archive::validate`, which parses the times and applies every rule.
//! The result is an [`ArchiveValidation`]: every problem at once (code, JSON pointer, message), or
//! the canonical JSON of the current version (times in UTC). See `docs/archive.md`.
//!
//! The class of a viewer or subject is `class_id` (`class` is a keyword in Kotlin and Swift).

use crate::error::{guard, ChangkaixinError, FfiResult};
use changkaixin_core::archive::{self as core, RecordKind};
use changkaixin_core::privacy;
use changkaixin_core::Error as CoreError;
use serde_json::{json, Value};

/// One problem of a record: the core's stable code (`archive.*`), a JSON pointer and the message.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct ArchiveProblem {
    pub code: String,
    pub path: String,
    pub message: String,
}

/// The outcome of validating one record.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct ArchiveValidation {
    /// Whether the record is valid (then `problems` is empty and `canonical_json` is set).
    pub ok: bool,
    /// The record kind's short name (`counselling_record`, …), when the document declares a known one.
    pub kind: Option<String>,
    /// The declared `schema_version`, when it is a known one (a valid older record is migrated).
    pub schema_version: Option<u32>,
    /// The canonical JSON of the current version (times in UTC), when valid.
    pub canonical_json: Option<String>,
    /// Every problem, in the core's order.
    pub problems: Vec<ArchiveProblem>,
}

fn problem(e: &CoreError) -> ArchiveProblem {
    ArchiveProblem {
        code: e.code().to_owned(),
        path: e.path().to_owned(),
        message: e.message().to_owned(),
    }
}

fn validation(json: &str) -> ArchiveValidation {
    let head = core::peek(json).ok();
    let (kind, schema_version) = (head.map(|(k, _)| k.name().to_owned()), head.map(|(_, v)| v));
    match core::validate(json) {
        Ok(record) => ArchiveValidation {
            ok: true,
            kind,
            schema_version,
            canonical_json: Some(record.to_json()),
            problems: Vec::new(),
        },
        Err(errors) => ArchiveValidation {
            ok: false,
            kind,
            schema_version,
            canonical_json: None,
            problems: errors.iter().map(problem).collect(),
        },
    }
}

fn first_error(errors: Vec<CoreError>) -> ChangkaixinError {
    errors
        .into_iter()
        .next()
        .map(ChangkaixinError::from)
        .unwrap_or_else(|| CoreError::new(changkaixin_core::ErrorCode::ArchiveInvalidValue, "", "invalid record").into())
}

/// The role of a member of staff who writes a record (core `StaffRole`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum StaffRole {
    /// 班主任.
    HeadTeacher,
    /// 专兼职心理健康教育教师.
    PsychologyTeacher,
    /// 校长.
    Principal,
    /// A growth-guidance centre or 96111 hotline counsellor.
    CentreCounsellor,
    /// A clinician.
    Clinician,
    /// Any other member of staff.
    OtherStaff,
}

/// A member of staff, by pseudonymous staff id (never a name) and role.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct StaffRef {
    pub id: String,
    pub role: StaffRole,
}

/// How a counselling session was held (二(三)7).
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum Modality {
    /// 面询.
    FaceToFace,
    /// By phone (not the hotline).
    Phone,
    /// The 96111 hotline.
    Hotline96111,
    /// Online.
    Online,
}

/// Whether the case is open or closed after the session.
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum CaseStatus {
    Open,
    Closed,
}

/// The required parts (二(三)7, 二(四)12); `effect_evaluation` is required once the case is closed.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct CounsellingParts {
    /// 学生目前的心理状况.
    pub current_state: String,
    /// 辅导的主要问题.
    pub main_problem: String,
    /// 问题的评估和鉴定.
    pub assessment: String,
    /// 分析.
    pub analysis: String,
    /// 对策.
    pub countermeasures: String,
    /// 辅导效果评价.
    pub effect_evaluation: Option<String>,
}

/// 知情自愿: `given` must be `true`; `recorded_at` is RFC 3339.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct InformedConsent {
    pub given: bool,
    pub recorded_at: String,
}

/// Who was informed when confidentiality was broken.
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum InformedParty {
    Guardian,
    HeadTeacher,
    SchoolLeadership,
    MedicalInstitution,
    Police,
    CivilAffairs,
}

/// One party informed, and when (RFC 3339).
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct PartyInformed {
    pub party: InformedParty,
    pub at: String,
}

/// Confidentiality broken because of a risk: the risk and who was informed (at least one).
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct ConfidentialityBreak {
    pub risk: String,
    pub informed: Vec<PartyInformed>,
}

/// 辅导记录, the current version (2) (core `CounsellingRecord`; `schema` and `schema_version` implied).
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct CounsellingRecord {
    pub record_id: String,
    /// Pseudonymous student id.
    pub student: String,
    pub counsellor: StaffRef,
    pub modality: Modality,
    /// RFC 3339.
    pub started_at: String,
    /// RFC 3339, not before the start.
    pub ended_at: String,
    pub parts: CounsellingParts,
    pub informed_consent: InformedConsent,
    pub confidentiality_break: Option<ConfidentialityBreak>,
    pub case_status: CaseStatus,
}

/// One duty shift (RFC 3339 times, `from` before `to`).
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct DutyShift {
    pub staff: StaffRef,
    pub from: String,
    pub to: String,
}

/// 值班记录: the counselling room's duty log for one day (core `DutyLog`, version 1).
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct DutyLog {
    pub record_id: String,
    pub school: String,
    pub room: String,
    /// `YYYY-MM-DD` (local day; shifts must fall on it, UTC+8).
    pub date: String,
    pub shifts: Vec<DutyShift>,
    /// Number of visits (no content).
    pub visits: u32,
}

fn wire<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

fn staff_role(r: StaffRole) -> core::StaffRole {
    match r {
        StaffRole::HeadTeacher => core::StaffRole::HeadTeacher,
        StaffRole::PsychologyTeacher => core::StaffRole::PsychologyTeacher,
        StaffRole::Principal => core::StaffRole::Principal,
        StaffRole::CentreCounsellor => core::StaffRole::CentreCounsellor,
        StaffRole::Clinician => core::StaffRole::Clinician,
        StaffRole::OtherStaff => core::StaffRole::OtherStaff,
    }
}

fn staff(s: &StaffRef) -> Value {
    json!({"id": s.id, "role": wire(&staff_role(s.role))})
}

fn modality(m: Modality) -> core::Modality {
    match m {
        Modality::FaceToFace => core::Modality::FaceToFace,
        Modality::Phone => core::Modality::Phone,
        Modality::Hotline96111 => core::Modality::Hotline96111,
        Modality::Online => core::Modality::Online,
    }
}

fn case_status(s: CaseStatus) -> core::CaseStatus {
    match s {
        CaseStatus::Open => core::CaseStatus::Open,
        CaseStatus::Closed => core::CaseStatus::Closed,
    }
}

fn party(p: InformedParty) -> core::InformedParty {
    match p {
        InformedParty::Guardian => core::InformedParty::Guardian,
        InformedParty::HeadTeacher => core::InformedParty::HeadTeacher,
        InformedParty::SchoolLeadership => core::InformedParty::SchoolLeadership,
        InformedParty::MedicalInstitution => core::InformedParty::MedicalInstitution,
        InformedParty::Police => core::InformedParty::Police,
        InformedParty::CivilAffairs => core::InformedParty::CivilAffairs,
    }
}

/// The core's wire document of a typed counselling record (current version).
fn counselling_json(r: &CounsellingRecord) -> String {
    let kind = RecordKind::CounsellingRecord;
    let mut parts = json!({
        "current_state": r.parts.current_state,
        "main_problem": r.parts.main_problem,
        "assessment": r.parts.assessment,
        "analysis": r.parts.analysis,
        "countermeasures": r.parts.countermeasures,
    });
    if let (Some(e), Some(m)) = (&r.parts.effect_evaluation, parts.as_object_mut()) {
        m.insert("effect_evaluation".into(), json!(e));
    }
    let mut doc = json!({
        "schema": kind.schema_id(),
        "schema_version": kind.current_version(),
        "record_id": r.record_id,
        "student": r.student,
        "counsellor": staff(&r.counsellor),
        "modality": wire(&modality(r.modality)),
        "started_at": r.started_at,
        "ended_at": r.ended_at,
        "parts": parts,
        "informed_consent": {"given": r.informed_consent.given, "recorded_at": r.informed_consent.recorded_at},
        "case_status": wire(&case_status(r.case_status)),
    });
    if let (Some(b), Some(m)) = (&r.confidentiality_break, doc.as_object_mut()) {
        let informed: Vec<Value> = b.informed.iter().map(|p| json!({"party": wire(&party(p.party)), "at": p.at})).collect();
        m.insert("confidentiality_break".into(), json!({"risk": b.risk, "informed": informed}));
    }
    doc.to_string()
}

/// The core's wire document of a typed duty log.
fn duty_log_json(d: &DutyLog) -> String {
    let kind = RecordKind::DutyLog;
    let shifts: Vec<Value> = d.shifts.iter().map(|s| json!({"staff": staff(&s.staff), "from": s.from, "to": s.to})).collect();
    json!({
        "schema": kind.schema_id(),
        "schema_version": kind.current_version(),
        "record_id": d.record_id,
        "school": d.school,
        "room": d.room,
        "date": d.date,
        "shifts": shifts,
        "visits": d.visits,
    })
    .to_string()
}

/// Validate a typed counselling record with the core's rules: every problem (e.g.
/// `archive.required_when` at `/parts/effect_evaluation` for a closed case without its effect
/// evaluation), or the canonical JSON.
#[uniffi::export]
pub fn validate_counselling_record(record: CounsellingRecord) -> ArchiveValidation {
    validation(&counselling_json(&record))
}

/// Validate a typed duty log with the core's rules: every problem, or the canonical JSON.
#[uniffi::export]
pub fn validate_duty_log(log: DutyLog) -> ArchiveValidation {
    validation(&duty_log_json(&log))
}

/// The core's wire document of a typed counselling record (not validated), e.g. for
/// [`view_record_json`] or storage after [`validate_counselling_record`].
#[uniffi::export]
pub fn counselling_record_to_json(record: CounsellingRecord) -> String {
    counselling_json(&record)
}

/// The core's wire document of a typed duty log (not validated).
#[uniffi::export]
pub fn duty_log_to_json(log: DutyLog) -> String {
    duty_log_json(&log)
}

/// Validate any of the ten archive record documents (`schema` + `schema_version` say which):
/// every problem at once, or the canonical JSON of the current version (an older version is migrated).
#[uniffi::export]
pub fn validate_record_json(json: String) -> ArchiveValidation {
    validation(&json)
}

/// Migrate a record of an older version to the current version's canonical JSON (validated; a
/// current record comes back canonical). An invalid record throws its first problem as
/// `Archive` (use [`validate_record_json`] for all of them).
#[uniffi::export]
pub fn migrate_record_json(json: String) -> FfiResult<String> {
    guard(|| core::migrate_json(&json).map_err(first_error))
}

/// The audiences of archive data (core `privacy::Role`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum ViewerRole {
    /// 班主任: their own class; never answers or counselling content.
    HeadTeacher,
    /// 心理健康教育教师: their own cases in full.
    PsychologyTeacher,
    /// 校长: their school; not answers or counselling content.
    Principal,
    /// Aggregates only (no record view).
    District,
    /// Aggregates only (no record view).
    City,
    /// The transfer package addressed to it.
    ReceivingSchool,
}

/// Who is looking (core `privacy::Viewer`).
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct Viewer {
    pub role: ViewerRole,
    pub school: Option<String>,
    /// A head teacher's class.
    pub class_id: Option<String>,
    /// Pseudonymous staff id (a psychology teacher's cases name it).
    pub staff_id: Option<String>,
    pub district: Option<String>,
}

/// Where the student a record is about belongs (from the student file).
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct Subject {
    pub school: String,
    pub class_id: String,
    pub district: Option<String>,
}

/// A record as one role may see it: `data_json` has the record's shape with every field outside
/// the role's clearance removed.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct RecordView {
    pub kind: String,
    pub role: ViewerRole,
    pub data_json: String,
}

fn role(r: ViewerRole) -> privacy::Role {
    match r {
        ViewerRole::HeadTeacher => privacy::Role::HeadTeacher,
        ViewerRole::PsychologyTeacher => privacy::Role::PsychologyTeacher,
        ViewerRole::Principal => privacy::Role::Principal,
        ViewerRole::District => privacy::Role::District,
        ViewerRole::City => privacy::Role::City,
        ViewerRole::ReceivingSchool => privacy::Role::ReceivingSchool,
    }
}

/// The record (a JSON document of any kind) as `viewer` may see it: validated, scope checked, then
/// every field outside the role's clearance removed (core `privacy::view`, the library's only
/// per-role export). An invalid record throws its first problem (`Archive`); a record outside the
/// viewer's scope throws `Privacy` `privacy.out_of_scope`; a missing school or subject
/// `privacy.invalid`.
#[uniffi::export]
pub fn view_record_json(viewer: Viewer, json: String, subject: Option<Subject>) -> FfiResult<RecordView> {
    guard(|| {
        let record = core::validate(&json).map_err(first_error)?;
        let v = privacy::Viewer {
            role: role(viewer.role),
            staff_id: viewer.staff_id.unwrap_or_default(),
            school: viewer.school,
            class: viewer.class_id,
            district: viewer.district,
        };
        let s = subject.map(|s| privacy::Subject {
            school: s.school,
            class: s.class_id,
            district: s.district,
        });
        let view = privacy::view(&v, &record, s.as_ref())?;
        Ok(RecordView {
            kind: view.kind.name().to_owned(),
            role: viewer.role,
            data_json: view.data.to_string(),
        })
    })
}

/// Keyed pseudonyms (HMAC-SHA-256, core `privacy::Pseudonymiser`): `p-` + 32 hex digits per id, in
/// order; stable under one key, unlinkable across keys. The key (at least 16 bytes, 32 random bytes
/// recommended) is never kept; a short key throws `Privacy` `privacy.invalid`.
#[uniffi::export]
pub fn pseudonymise(key: Vec<u8>, ids: Vec<String>) -> FfiResult<Vec<String>> {
    guard(|| {
        let p = privacy::Pseudonymiser::new(&key)?;
        Ok(ids.iter().map(|id| p.pseudonym(id)).collect())
    })
}

fn staff_role_back(r: core::StaffRole) -> StaffRole {
    match r {
        core::StaffRole::HeadTeacher => StaffRole::HeadTeacher,
        core::StaffRole::PsychologyTeacher => StaffRole::PsychologyTeacher,
        core::StaffRole::Principal => StaffRole::Principal,
        core::StaffRole::CentreCounsellor => StaffRole::CentreCounsellor,
        core::StaffRole::Clinician => StaffRole::Clinician,
        core::StaffRole::OtherStaff => StaffRole::OtherStaff,
    }
}

fn staff_back(s: &core::StaffRef) -> StaffRef {
    StaffRef {
        id: s.id.clone(),
        role: staff_role_back(s.role),
    }
}

fn modality_back(m: core::Modality) -> Modality {
    match m {
        core::Modality::FaceToFace => Modality::FaceToFace,
        core::Modality::Phone => Modality::Phone,
        core::Modality::Hotline96111 => Modality::Hotline96111,
        core::Modality::Online => Modality::Online,
    }
}

fn case_status_back(s: core::CaseStatus) -> CaseStatus {
    match s {
        core::CaseStatus::Open => CaseStatus::Open,
        core::CaseStatus::Closed => CaseStatus::Closed,
    }
}

fn party_back(p: core::InformedParty) -> InformedParty {
    match p {
        core::InformedParty::Guardian => InformedParty::Guardian,
        core::InformedParty::HeadTeacher => InformedParty::HeadTeacher,
        core::InformedParty::SchoolLeadership => InformedParty::SchoolLeadership,
        core::InformedParty::MedicalInstitution => InformedParty::MedicalInstitution,
        core::InformedParty::Police => InformedParty::Police,
        core::InformedParty::CivilAffairs => InformedParty::CivilAffairs,
    }
}

fn wrong_kind(want: RecordKind, got: RecordKind) -> ChangkaixinError {
    CoreError::new(
        changkaixin_core::ErrorCode::ArchiveInvalidValue,
        "/schema",
        format!("expected a {} record, got a {} record", want.name(), got.name()),
    )
    .into()
}

/// Read a counselling record document (any supported version; an older one is migrated) into the
/// typed record, after the core has validated it: times come back in UTC (`…Z`), as in the
/// canonical JSON. An invalid document throws its first problem (`Archive`); a document of another
/// kind throws `archive.invalid_value` at `/schema`.
#[uniffi::export]
pub fn counselling_record_from_json(json: String) -> FfiResult<CounsellingRecord> {
    guard(|| match core::validate(&json).map_err(first_error)? {
        core::Record::CounsellingRecord(c) => Ok(CounsellingRecord {
            record_id: c.record_id,
            student: c.student,
            counsellor: staff_back(&c.counsellor),
            modality: modality_back(c.modality),
            started_at: c.started_at.to_string(),
            ended_at: c.ended_at.to_string(),
            parts: CounsellingParts {
                current_state: c.parts.current_state,
                main_problem: c.parts.main_problem,
                assessment: c.parts.assessment,
                analysis: c.parts.analysis,
                countermeasures: c.parts.countermeasures,
                effect_evaluation: c.parts.effect_evaluation,
            },
            informed_consent: InformedConsent {
                given: c.informed_consent.given,
                recorded_at: c.informed_consent.recorded_at.to_string(),
            },
            confidentiality_break: c.confidentiality_break.map(|b| ConfidentialityBreak {
                risk: b.risk,
                informed: b
                    .informed
                    .iter()
                    .map(|p| PartyInformed {
                        party: party_back(p.party),
                        at: p.at.to_string(),
                    })
                    .collect(),
            }),
            case_status: case_status_back(c.case_status),
        }),
        other => Err(wrong_kind(RecordKind::CounsellingRecord, other.kind())),
    })
}

/// Read a duty log document into the typed record, after the core has validated it (times in
/// UTC). Errors as [`counselling_record_from_json`].
#[uniffi::export]
pub fn duty_log_from_json(json: String) -> FfiResult<DutyLog> {
    guard(|| match core::validate(&json).map_err(first_error)? {
        core::Record::DutyLog(d) => Ok(DutyLog {
            record_id: d.record_id,
            school: d.school,
            room: d.room,
            date: d.date.to_string(),
            shifts: d
                .shifts
                .iter()
                .map(|s| DutyShift {
                    staff: staff_back(&s.staff),
                    from: s.from.to_string(),
                    to: s.to.to_string(),
                })
                .collect(),
            visits: d.visits,
        }),
        other => Err(wrong_kind(RecordKind::DutyLog, other.kind())),
    })
}

/// The declared class of one leaf of a record or a view (core `privacy::leaf_classes`).
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct LeafClass {
    /// JSON pointer of the leaf (`/parts/main_problem`, `/shifts/0/from`).
    pub path: String,
    /// The sensitivity class of the declaration governing it (`operational`, `quasi_identifier`,
    /// `direct_identifier`, `sensitive_health`); `None` when no declaration covers it (then no view
    /// may hold it).
    pub sensitivity: Option<String>,
    /// The roles that may see the field (core `Role::may_see`: in the declaration's audience —
    /// the roles whose duty needs it — and cleared for its class); never `District` or `City`.
    pub audience: Vec<ViewerRole>,
}

const ALL_ROLES: [ViewerRole; 6] = [
    ViewerRole::HeadTeacher,
    ViewerRole::PsychologyTeacher,
    ViewerRole::Principal,
    ViewerRole::District,
    ViewerRole::City,
    ViewerRole::ReceivingSchool,
];

fn kind_of(name: &str) -> FfiResult<RecordKind> {
    RecordKind::from_name(name)
        .ok_or_else(|| CoreError::new(changkaixin_core::ErrorCode::ArchiveUnknownSchema, "/kind", format!("no record kind {name:?}")).into())
}

/// Every leaf of `json` (a record of `kind`, or a [`RecordView`]'s `data_json`) with the class and
/// audience the core declares for it — the table views are derived from, for audits and tests:
/// a view's leaf must have a class within the role's [`viewer_role_clearance`] and an audience
/// naming the role. An unknown kind throws `archive.unknown_schema`, text that is not JSON `archive.parse`.
#[uniffi::export]
pub fn leaf_classes(kind: String, json: String) -> FfiResult<Vec<LeafClass>> {
    guard(|| {
        let kind = kind_of(&kind)?;
        let value: Value = serde_json::from_str(&json).map_err(|e| {
            ChangkaixinError::from(CoreError::new(
                changkaixin_core::ErrorCode::ArchiveParse,
                format!("line {} column {}", e.line(), e.column()),
                "the text is not a JSON document",
            ))
        })?;
        Ok(privacy::leaf_classes(kind, &value)
            .into_iter()
            .map(|(path, g)| LeafClass {
                path,
                sensitivity: g.map(|(c, _)| c.as_str().to_owned()),
                audience: g
                    .map(|(c, a)| ALL_ROLES.into_iter().filter(|r| role(*r).may_see(c, a)).collect())
                    .unwrap_or_default(),
            })
            .collect())
    })
}

/// The sensitivity classes a role may ever see (core `Role::clearance`): every class for the
/// roles that see records, none for `District` and `City` (aggregates only).
#[uniffi::export]
pub fn viewer_role_clearance(role: ViewerRole) -> Vec<String> {
    self::role(role).clearance().iter().map(|c| c.as_str().to_owned()).collect()
}
