//! Older schema versions and their migrations to the current one.
//!
//! | record | version | what changed in the next version |
//! |---|---|---|
//! | `student_file` | 1 | `birth_date` (`YYYY-MM-DD`) → `birth_year_month` (`YYYY-MM`): the day is dropped (minimum necessary, PIPL 6) |
//! | `counselling_record` | 1 | flat part names (`situation`, `problem`, `evaluation`, `analysis`, `measures`, `effect`) → `parts` with the plan's six names; `duration_minutes` → `ended_at`; `informed_consent: bool` → `{given, recorded_at}` (v1 took consent at the start, so `recorded_at` = `started_at`); modality `hotline` → `hotline_96111`; `confidentiality_break` is new (absent in a migrated record) |
//!
//! A migration is exact: it never invents content. Every other record type is at version 1.
//! Validation errors of a migrated record point into the **current** shape (the message says so).

use crate::time::{Date, IsoDuration, Timestamp};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::records::{CaseStatus, ConsentEntry, CounsellingParts, CounsellingRecord, FilingClass, InformedConsent, Modality, Sex, StaffRef, StudentFile};
use super::schema::YearMonth;

/// `student_file` version 1.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StudentFileV1 {
    /// `changkaixin.archive.student_file`.
    pub schema: String,
    /// 1.
    pub schema_version: u32,
    /// Pseudonymous student id.
    pub student: String,
    /// School id.
    pub school: String,
    /// Grade 1–12.
    #[schemars(range(min = 1, max = 12))]
    pub grade: u8,
    /// Class id.
    pub class: String,
    /// Sex.
    pub sex: Sex,
    /// Full birth date (version 2 keeps the year and month only).
    pub birth_date: Date,
    /// Filing class.
    pub filing_class: FilingClass,
    /// Consents.
    #[serde(default)]
    pub consents: Vec<ConsentEntry>,
    /// When opened.
    pub opened_at: Timestamp,
}

/// Modality of `counselling_record` version 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ModalityV1 {
    /// Face to face.
    FaceToFace,
    /// Phone.
    Phone,
    /// The 96111 hotline.
    Hotline,
    /// Online.
    Online,
}

/// `counselling_record` version 1.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CounsellingRecordV1 {
    /// `changkaixin.archive.counselling_record`.
    pub schema: String,
    /// 1.
    pub schema_version: u32,
    /// Id.
    pub record_id: String,
    /// Pseudonymous student id.
    pub student: String,
    /// Counsellor.
    pub counsellor: StaffRef,
    /// Modality.
    pub modality: ModalityV1,
    /// Start.
    pub started_at: Timestamp,
    /// Length in minutes.
    pub duration_minutes: u32,
    /// The student's current state.
    pub situation: String,
    /// The main problem.
    pub problem: String,
    /// Its assessment.
    pub evaluation: String,
    /// The analysis.
    pub analysis: String,
    /// The countermeasures.
    pub measures: String,
    /// The evaluation of effect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effect: Option<String>,
    /// Whether the student agreed.
    pub informed_consent: bool,
    /// Open or closed.
    pub case_status: CaseStatus,
}

/// Version 1 → 2 of the student file.
pub fn student_file_v1_to_v2(v1: StudentFileV1) -> Option<StudentFile> {
    Some(StudentFile {
        schema: v1.schema,
        schema_version: 2,
        student: v1.student,
        school: v1.school,
        grade: v1.grade,
        class: v1.class,
        sex: v1.sex,
        birth_year_month: YearMonth::of_date(v1.birth_date)?,
        filing_class: v1.filing_class,
        consents: v1.consents,
        opened_at: v1.opened_at,
    })
}

/// Version 1 → 2 of the counselling record.
pub fn counselling_v1_to_v2(v1: CounsellingRecordV1) -> CounsellingRecord {
    CounsellingRecord {
        schema: v1.schema,
        schema_version: 2,
        record_id: v1.record_id,
        student: v1.student,
        counsellor: v1.counsellor,
        modality: match v1.modality {
            ModalityV1::FaceToFace => Modality::FaceToFace,
            ModalityV1::Phone => Modality::Phone,
            ModalityV1::Hotline => Modality::Hotline96111,
            ModalityV1::Online => Modality::Online,
        },
        started_at: v1.started_at,
        ended_at: v1.started_at.plus(IsoDuration::from_seconds(i64::from(v1.duration_minutes) * 60)),
        parts: CounsellingParts {
            current_state: v1.situation,
            main_problem: v1.problem,
            assessment: v1.evaluation,
            analysis: v1.analysis,
            countermeasures: v1.measures,
            effect_evaluation: v1.effect,
        },
        informed_consent: InformedConsent {
            given: v1.informed_consent,
            recorded_at: v1.started_at,
        },
        confidentiality_break: None,
        case_status: v1.case_status,
    }
}
