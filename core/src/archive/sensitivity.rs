//! The sensitivity class and the need-to-know audience of every field of every record type,
//! declared **once**, here beside the schemas. Views ([`crate::privacy::view`]) are derived from
//! this table and nothing else; a field that is not declared is in no view.
//!
//! A declaration names a JSON pointer into the record (`*` stands for every element of an array);
//! a value is governed by the **most specific** declaration covering it, so
//! `/decision/tier` can be shown to a head teacher while the rest of `/decision` (the rules and
//! the evidence behind them) is not. Classes follow PIPL 28 and GB/T 35273 / GB/T 37964:
//!
//! * [`Sensitivity::Operational`]: dates, statuses, record ids, who wrote a record;
//! * [`Sensitivity::QuasiIdentifier`]: school, grade, class, sex, birth year-month — identifying in combination;
//! * [`Sensitivity::DirectIdentifier`]: the student's (pseudonymous) id, which links every record of one person;
//! * [`Sensitivity::SensitiveHealth`]: answers, reports, tiers, plans, counselling content, referrals, crises.
//!
//! Audiences are the roles of [`crate::privacy::Role`] whose duty needs the field (least
//! privilege); district and city roles are in no audience: they see aggregates only.

use serde::{Deserialize, Serialize};

use super::RecordKind;

/// The sensitivity class of a field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sensitivity {
    /// Dates, statuses, ids of records and staff.
    Operational,
    /// Identifying in combination (school, grade, class, sex, birth year-month).
    QuasiIdentifier,
    /// Identifies (links) the student.
    DirectIdentifier,
    /// Sensitive health data (PIPL 28): answers, scores, tiers, plans, counselling content.
    SensitiveHealth,
}

impl Sensitivity {
    /// Every class.
    pub const ALL: &'static [Sensitivity] = &[
        Sensitivity::Operational,
        Sensitivity::QuasiIdentifier,
        Sensitivity::DirectIdentifier,
        Sensitivity::SensitiveHealth,
    ];
    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Sensitivity::Operational => "operational",
            Sensitivity::QuasiIdentifier => "quasi_identifier",
            Sensitivity::DirectIdentifier => "direct_identifier",
            Sensitivity::SensitiveHealth => "sensitive_health",
        }
    }
}

/// Audience bit: head teacher of the student's class.
pub const HT: u8 = 1;
/// Audience bit: psychology teacher (of the case, or of the school for screenings and alerts).
pub const PT: u8 = 2;
/// Audience bit: principal of the student's school.
pub const PR: u8 = 4;
/// Audience bit: the receiving school of a transfer package.
pub const RS: u8 = 8;

/// One declaration: a field, its class, the roles that need it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldClass {
    /// JSON pointer into the record; `*` matches every array element.
    pub path: &'static str,
    /// Sensitivity class.
    pub class: Sensitivity,
    /// Audience bits ([`HT`], [`PT`], [`PR`], [`RS`]).
    pub audience: u8,
}

const fn f(path: &'static str, class: Sensitivity, audience: u8) -> FieldClass {
    FieldClass { path, class, audience }
}

use Sensitivity::{DirectIdentifier as DI, Operational as OP, QuasiIdentifier as QI, SensitiveHealth as SH};

const HEADER_ALL: [FieldClass; 2] = [f("/schema", OP, HT | PT | PR | RS), f("/schema_version", OP, HT | PT | PR | RS)];

const STUDENT_FILE: &[FieldClass] = &[
    HEADER_ALL[0],
    HEADER_ALL[1],
    f("/student", DI, HT | PT | PR),
    f("/school", QI, HT | PT | PR),
    f("/grade", QI, HT | PT | PR),
    f("/class", QI, HT | PT | PR),
    f("/sex", QI, HT | PT | PR),
    f("/birth_year_month", QI, PT | PR),
    f("/filing_class", SH, HT | PT | PR),
    f("/consents", OP, PT | PR),
    f("/opened_at", OP, PT | PR),
];

const SCREENING: &[FieldClass] = &[
    HEADER_ALL[0],
    HEADER_ALL[1],
    f("/record_id", OP, HT | PT | PR),
    f("/student", DI, HT | PT | PR),
    f("/context", OP, HT | PT | PR),
    f("/administered_at", OP, HT | PT | PR),
    f("/finished_at", OP, HT | PT | PR),
    f("/instrument", SH, PT),
    f("/answers", SH, PT),
    f("/report", SH, PT),
];

const ALERT: &[FieldClass] = &[
    HEADER_ALL[0],
    HEADER_ALL[1],
    f("/record_id", OP, HT | PT | PR),
    f("/student", DI, HT | PT | PR),
    // The whole decision (rules fired, the evidence behind them) is for the psychology teacher.
    f("/decision", SH, PT),
    f("/decision/evaluated_at", OP, HT | PT | PR),
    // Tier, actions and due dates: what the head teacher and the principal act on (二(三)11).
    f("/decision/tier/id", SH, HT | PT | PR),
    f("/decision/tier/level", SH, HT | PT | PR),
    f("/decision/tier/label", SH, HT | PT | PR),
    f("/decision/actions/*/id", SH, HT | PT | PR),
    f("/decision/actions/*/label", SH, HT | PT | PR),
    f("/decision/actions/*/role", SH, HT | PT | PR),
    f("/decision/actions/*/due_at", SH, HT | PT | PR),
    f("/decision/actions/*/overdue", SH, HT | PT | PR),
    f("/decision/next_review_at", SH, HT | PT | PR),
    f("/confirmation", SH, PT | PR),
    f("/confirmation/at", OP, HT | PT | PR),
    f("/override", SH, PT | PR),
    f("/reviews", SH, PT | PR),
    f("/reviews/*/at", OP, HT | PT | PR),
];

const PLAN: &[FieldClass] = &[
    HEADER_ALL[0],
    HEADER_ALL[1],
    f("/record_id", OP, HT | PT | PR),
    f("/student", DI, HT | PT | PR),
    f("/opened_on", OP, HT | PT | PR),
    f("/goals", SH, HT | PT | PR),
    f("/measures", SH, HT | PT | PR),
    f("/helpers", OP, HT | PT | PR),
    f("/review_dates", OP, HT | PT | PR),
    f("/status", OP, HT | PT | PR),
    f("/closed_on", OP, HT | PT | PR),
];

const COUNSELLING: &[FieldClass] = &[
    f("/schema", OP, PT | PR),
    f("/schema_version", OP, PT | PR),
    f("/record_id", OP, PT | PR),
    f("/student", DI, PT | PR),
    f("/counsellor", OP, PT | PR),
    f("/modality", OP, PT | PR),
    f("/started_at", OP, PT | PR),
    f("/ended_at", OP, PT | PR),
    // The content of counselling stays with the counsellor (二(四)12: 依法保护学生隐私).
    f("/parts", SH, PT),
    f("/informed_consent", OP, PT | PR),
    f("/confidentiality_break", SH, PT),
    // Who was told, and when, is what the school's leadership must be able to audit.
    f("/confidentiality_break/informed", SH, PT | PR),
    f("/case_status", OP, PT | PR),
];

const DUTY: &[FieldClass] = &[
    f("/schema", OP, PT | PR),
    f("/schema_version", OP, PT | PR),
    f("/record_id", OP, PT | PR),
    f("/school", OP, PT | PR),
    f("/room", OP, PT | PR),
    f("/date", OP, PT | PR),
    f("/shifts", OP, PT | PR),
    f("/visits", OP, PT | PR),
];

const REFERRAL: &[FieldClass] = &[
    f("/schema", OP, PT | PR),
    f("/schema_version", OP, PT | PR),
    f("/record_id", OP, PT | PR),
    f("/student", DI, PT | PR),
    f("/from", SH, PT | PR),
    f("/to", SH, PT | PR),
    f("/reason", SH, PT),
    f("/urgency", SH, PT | PR),
    f("/green_channel", SH, PT | PR),
    f("/referred_at", OP, PT | PR),
    f("/received_at", OP, PT | PR),
    f("/outcome", SH, PT | PR),
    f("/outcome/note", SH, PT),
];

const CRISIS: &[FieldClass] = &[
    f("/schema", OP, PT | PR),
    f("/schema_version", OP, PT | PR),
    f("/record_id", OP, PT | PR),
    f("/student", DI, PT | PR),
    f("/incident", SH, PT | PR),
    f("/timeline", SH, PT | PR),
    f("/actions", SH, PT | PR),
    f("/expert_consultation", SH, PT | PR),
    f("/outcome", SH, PT | PR),
    f("/reported_by", OP, PT | PR),
    f("/reported_at", OP, PT | PR),
];

const HOTLINE: &[FieldClass] = &[
    f("/schema", OP, PT),
    f("/schema_version", OP, PT),
    f("/record_id", OP, PT),
    f("/centre", OP, PT),
    f("/caller", OP, PT),
    f("/student", DI, PT),
    f("/counsellor", OP, PT),
    f("/started_at", OP, PT),
    f("/ended_at", OP, PT),
    f("/parts", SH, PT),
    f("/referred", SH, PT),
];

const TRANSFER: &[FieldClass] = &[
    HEADER_ALL[0],
    HEADER_ALL[1],
    f("/record_id", OP, PT | PR | RS),
    f("/student", DI, PT | PR | RS),
    f("/from_school", QI, PT | PR | RS),
    f("/to_school", QI, PT | PR | RS),
    f("/transferred_on", OP, PT | PR | RS),
    f("/prepared_by", OP, PT | PR | RS),
    f("/legal_basis", OP, PT | PR | RS),
    f("/consent_id", OP, PT | PR | RS),
    f("/grade", QI, PT | PR | RS),
    f("/filing_class", SH, PT | PR | RS),
    f("/support", SH, PT | PR | RS),
    f("/held_by_sender", OP, PT | PR | RS),
];

/// The declarations of one record type.
pub fn field_classes(kind: RecordKind) -> &'static [FieldClass] {
    match kind {
        RecordKind::StudentFile => STUDENT_FILE,
        RecordKind::ScreeningRecord => SCREENING,
        RecordKind::AlertRecord => ALERT,
        RecordKind::IndividualPlan => PLAN,
        RecordKind::CounsellingRecord => COUNSELLING,
        RecordKind::DutyLog => DUTY,
        RecordKind::Referral => REFERRAL,
        RecordKind::CrisisCaseReport => CRISIS,
        RecordKind::HotlineCall => HOTLINE,
        RecordKind::TransferPackage => TRANSFER,
    }
}

/// Whether declaration `decl` covers the pointer segments `path` (a prefix match, `*` = any index).
fn covers(decl: &str, path: &[&str]) -> Option<usize> {
    let segs: Vec<&str> = decl.split('/').skip(1).collect();
    if segs.len() > path.len() {
        return None;
    }
    segs.iter().zip(path).all(|(d, p)| *d == "*" || d == p).then_some(segs.len())
}

/// The most specific declaration covering a value at `path` (pointer segments), if any.
pub fn governing(kind: RecordKind, path: &[&str]) -> Option<&'static FieldClass> {
    field_classes(kind)
        .iter()
        .filter_map(|d| covers(d.path, path).map(|n| (n, d)))
        .max_by_key(|(n, _)| *n)
        .map(|(_, d)| d)
}

/// Whether some declaration lies strictly below `path` (so a subtree must be walked, not cut).
pub(crate) fn has_deeper(kind: RecordKind, path: &[&str]) -> bool {
    field_classes(kind).iter().any(|d| {
        let segs: Vec<&str> = d.path.split('/').skip(1).collect();
        segs.len() > path.len() && segs.iter().zip(path).all(|(s, p)| *s == "*" || s == p)
    })
}
