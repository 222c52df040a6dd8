//! The student mental-health archive: every record the plan names, defined once, validated with
//! every problem reported at once, versioned with exact migrations.
//!
//! Record types ([`RecordKind`]; each document carries `schema` and `schema_version`):
//!
//! | kind | 中文 | plan clause | version |
//! |---|---|---|---|
//! | [`StudentFile`] | 一人一档 学生心理健康电子档案 | 二(三)9 | 2 |
//! | [`ScreeningRecord`] | 心理普测记录 | 二(三)9 | 1 |
//! | [`AlertRecord`] | 预警记录 | 二(三)9 | 1 |
//! | [`IndividualPlan`] | 一人一策 + 一人一帮 | 二(三)9 | 1 |
//! | [`CounsellingRecord`] | 辅导记录 | 二(三)7, 二(四)12 | 2 |
//! | [`DutyLog`] | 心理辅导室值班记录 | 二(四)12 | 1 |
//! | [`Referral`] | 转介记录 | 二(四)12, 二(三)9 | 1 |
//! | [`CrisisCaseReport`] | 心理危机个案分析报告 / 专家会诊 | 二(三)9 | 1 |
//! | [`HotlineCall`] | 96111 热线辅导记录 | 二(三)7 | 1 |
//! | [`TransferPackage`] | 档案移交 | 二(五)16 | 1 |
//!
//! [`validate`] checks, in this order: the JSON and its `schema`/`schema_version`
//! (`archive.parse`, `archive.unknown_schema`, `archive.unsupported_version`); the shape against
//! the record type's own JSON Schema (every missing/unknown field, wrong type, bad enum value or
//! malformed time at once); then the semantic rules of [`rules`](self) (non-empty parts, time
//! order, references, cross-field rules) and, for a screening record, the **integrity** of the
//! stored report: it is re-derived from the answers with the named instrument version and every
//! disagreement is an `archive.report_mismatch` naming both values.
//!
//! ```
//! use changkaixin_core::archive::{validate, Record};
//! let json = r#"{"schema": "changkaixin.archive.referral", "schema_version": 1, "record_id": "ref-1",
//!   "student": "stu-0001", "from": {"kind": "school", "id": "sch-01"},
//!   "to": {"kind": "medical_institution", "id": "hosp-01"}, "reason": "synthetic: persistent low mood",
//!   "green_channel": true, "referred_at": "2024-03-04T09:00:00+08:00"}"#;
//! let errors = validate(json).unwrap_err();
//! assert_eq!(errors[0].code(), "archive.required_when");     // a green channel needs an urgency
//! assert_eq!(errors[0].path(), "/urgency");
//! ```

pub mod migrate;
mod position;
pub mod records;
pub(crate) mod rules;
pub mod schema;
pub mod sensitivity;
pub(crate) mod structure;

#[cfg(test)]
mod tests;

pub use records::*;
pub use schema::{exported_schemas, record_schema, YearMonth};

use crate::error::{excerpt, Error, ErrorCode};
use crate::instrument::catalog::Catalog;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::sync::OnceLock;

/// Prefix of every record's `schema`.
pub const SCHEMA_PREFIX: &str = "changkaixin.archive.";

/// The closed set of archive record types.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    /// [`StudentFile`].
    StudentFile,
    /// [`ScreeningRecord`].
    ScreeningRecord,
    /// [`AlertRecord`].
    AlertRecord,
    /// [`IndividualPlan`].
    IndividualPlan,
    /// [`CounsellingRecord`].
    CounsellingRecord,
    /// [`DutyLog`].
    DutyLog,
    /// [`Referral`].
    Referral,
    /// [`CrisisCaseReport`].
    CrisisCaseReport,
    /// [`HotlineCall`].
    HotlineCall,
    /// [`TransferPackage`].
    TransferPackage,
}

const Q7: &str = "电话咨询和心理面询均有辅导记录,辅导记录一般包括学生目前的心理状况、辅导的主要问题及问题的评估和鉴定,并有相应的分析、对策与辅导效果评价。";
const Q9A: &str = "全面建立学生心理健康电子档案,健全学生心理健康档案管理制度,科学分类归档";
const Q9B: &str = "建立个别化的心理发展与诊疗档案,实行\"一人一档、一人一策、一人一帮\"。";
const Q9C: &str = "全面建立中小学生心理危机个案分析报告制度和专家会诊机制,确保及时发现、妥善应对、适时转介的措施到位。";
const Q12A: &str = "心理辅导室有值班记录、辅导过程记录完整并及时归档,有相应的分析、对策与辅导效果评价。心理辅导要在学生知情自愿的基础上进行,依法保护学生隐私";
const Q12B: &str = "对个别有严重心理疾病的学生,能够及时识别、转介到相关心理诊治部门并记录在案。";
const Q16: &str = "健全值班、预约、辅导、档案建设及移交等管理制度";
const Q9S: &str = "学校要根据学生心理普测测评报告,全面建立学生心理健康电子档案";

impl RecordKind {
    /// Every kind, in documentation order.
    pub const ALL: &'static [RecordKind] = &[
        RecordKind::StudentFile,
        RecordKind::ScreeningRecord,
        RecordKind::AlertRecord,
        RecordKind::IndividualPlan,
        RecordKind::CounsellingRecord,
        RecordKind::DutyLog,
        RecordKind::Referral,
        RecordKind::CrisisCaseReport,
        RecordKind::HotlineCall,
        RecordKind::TransferPackage,
    ];

    /// Short name, e.g. `counselling_record`.
    pub const fn name(self) -> &'static str {
        match self {
            RecordKind::StudentFile => "student_file",
            RecordKind::ScreeningRecord => "screening_record",
            RecordKind::AlertRecord => "alert_record",
            RecordKind::IndividualPlan => "individual_plan",
            RecordKind::CounsellingRecord => "counselling_record",
            RecordKind::DutyLog => "duty_log",
            RecordKind::Referral => "referral",
            RecordKind::CrisisCaseReport => "crisis_case_report",
            RecordKind::HotlineCall => "hotline_call",
            RecordKind::TransferPackage => "transfer_package",
        }
    }

    /// The kind with this short name.
    pub fn from_name(name: &str) -> Option<RecordKind> {
        RecordKind::ALL.iter().copied().find(|k| k.name() == name)
    }

    /// The wire `schema` value, e.g. `changkaixin.archive.counselling_record`.
    pub fn schema_id(self) -> &'static str {
        match self {
            RecordKind::StudentFile => "changkaixin.archive.student_file",
            RecordKind::ScreeningRecord => "changkaixin.archive.screening_record",
            RecordKind::AlertRecord => "changkaixin.archive.alert_record",
            RecordKind::IndividualPlan => "changkaixin.archive.individual_plan",
            RecordKind::CounsellingRecord => "changkaixin.archive.counselling_record",
            RecordKind::DutyLog => "changkaixin.archive.duty_log",
            RecordKind::Referral => "changkaixin.archive.referral",
            RecordKind::CrisisCaseReport => "changkaixin.archive.crisis_case_report",
            RecordKind::HotlineCall => "changkaixin.archive.hotline_call",
            RecordKind::TransferPackage => "changkaixin.archive.transfer_package",
        }
    }

    /// The current `schema_version`.
    pub const fn current_version(self) -> u32 {
        match self {
            RecordKind::StudentFile | RecordKind::CounsellingRecord => 2,
            _ => 1,
        }
    }

    /// The plan clauses (常教办〔2021〕90号) the record rests on, with the text quoted.
    pub fn clauses(self) -> &'static [(&'static str, &'static str)] {
        match self {
            RecordKind::StudentFile => &[("二(三)9", Q9A), ("二(三)9", Q9B)],
            RecordKind::ScreeningRecord => &[("二(三)9", Q9S)],
            RecordKind::AlertRecord => &[("二(三)9", Q9C)],
            RecordKind::IndividualPlan => &[("二(三)9", Q9B)],
            RecordKind::CounsellingRecord => &[("二(三)7", Q7), ("二(四)12", Q12A)],
            RecordKind::DutyLog => &[("二(四)12", Q12A), ("二(五)16", Q16)],
            RecordKind::Referral => &[("二(四)12", Q12B), ("二(三)9", Q9C)],
            RecordKind::CrisisCaseReport => &[("二(三)9", Q9C)],
            RecordKind::HotlineCall => &[("二(三)7", Q7)],
            RecordKind::TransferPackage => &[("二(五)16", Q16)],
        }
    }

    pub(crate) fn generate(self) -> Value {
        use schema::generate;
        match self {
            RecordKind::StudentFile => generate::<StudentFile>(),
            RecordKind::ScreeningRecord => generate::<ScreeningRecord>(),
            RecordKind::AlertRecord => generate::<AlertRecord>(),
            RecordKind::IndividualPlan => generate::<IndividualPlan>(),
            RecordKind::CounsellingRecord => generate::<CounsellingRecord>(),
            RecordKind::DutyLog => generate::<DutyLog>(),
            RecordKind::Referral => generate::<Referral>(),
            RecordKind::CrisisCaseReport => generate::<CrisisCaseReport>(),
            RecordKind::HotlineCall => generate::<HotlineCall>(),
            RecordKind::TransferPackage => generate::<TransferPackage>(),
        }
    }

    /// The versions that exist (1..=current) .
    pub fn versions(self) -> std::ops::RangeInclusive<u32> {
        1..=self.current_version()
    }
}

/// Settings of validation where neither the plan nor a source fixes a rule (documented defaults).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ArchiveSettings {
    /// UTC offset of the local day a duty log's date means. Default 28 800 s (China Standard Time, UTC+8).
    pub utc_offset_seconds: i32,
    /// Whether every crisis case report must record an expert consultation. Default `false`:
    /// 二(三)9 establishes 专家会诊 as a mechanism, not as a step of every case.
    pub crisis_requires_expert_consultation: bool,
}

impl Default for ArchiveSettings {
    fn default() -> Self {
        ArchiveSettings {
            utc_offset_seconds: 8 * 3600,
            crisis_requires_expert_consultation: false,
        }
    }
}

/// A validated archive record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
#[allow(clippy::large_enum_variant)]
pub enum Record {
    /// 一人一档.
    StudentFile(StudentFile),
    /// A screening with its verified report.
    ScreeningRecord(ScreeningRecord),
    /// An alert.
    AlertRecord(AlertRecord),
    /// 一人一策 + 一人一帮.
    IndividualPlan(IndividualPlan),
    /// A counselling session.
    CounsellingRecord(CounsellingRecord),
    /// A duty log.
    DutyLog(DutyLog),
    /// A referral.
    Referral(Referral),
    /// A crisis case report.
    CrisisCaseReport(CrisisCaseReport),
    /// A hotline call.
    HotlineCall(HotlineCall),
    /// A transfer package.
    TransferPackage(TransferPackage),
}

impl Record {
    /// Its kind.
    pub fn kind(&self) -> RecordKind {
        match self {
            Record::StudentFile(_) => RecordKind::StudentFile,
            Record::ScreeningRecord(_) => RecordKind::ScreeningRecord,
            Record::AlertRecord(_) => RecordKind::AlertRecord,
            Record::IndividualPlan(_) => RecordKind::IndividualPlan,
            Record::CounsellingRecord(_) => RecordKind::CounsellingRecord,
            Record::DutyLog(_) => RecordKind::DutyLog,
            Record::Referral(_) => RecordKind::Referral,
            Record::CrisisCaseReport(_) => RecordKind::CrisisCaseReport,
            Record::HotlineCall(_) => RecordKind::HotlineCall,
            Record::TransferPackage(_) => RecordKind::TransferPackage,
        }
    }

    /// The student the record is about (`None` for a duty log and an anonymous hotline call).
    pub fn student(&self) -> Option<&str> {
        match self {
            Record::StudentFile(r) => Some(&r.student),
            Record::ScreeningRecord(r) => Some(&r.student),
            Record::AlertRecord(r) => Some(&r.student),
            Record::IndividualPlan(r) => Some(&r.student),
            Record::CounsellingRecord(r) => Some(&r.student),
            Record::DutyLog(_) => None,
            Record::Referral(r) => Some(&r.student),
            Record::CrisisCaseReport(r) => Some(&r.student),
            Record::HotlineCall(r) => r.student.as_deref(),
            Record::TransferPackage(r) => Some(&r.student),
        }
    }

    /// Canonical JSON (same record, same bytes; times in UTC).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The JSON value.
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

/// Validate one record with the default [`ArchiveSettings`] and the built-in catalog.
pub fn validate(json: &str) -> Result<Record, Vec<Error>> {
    validate_with(json, &ArchiveSettings::default(), Catalog::builtin())
}

#[derive(Deserialize)]
struct Head {
    #[serde(default)]
    schema: Option<Value>,
    #[serde(default)]
    schema_version: Option<Value>,
}

/// The record type and version a document declares (no other check).
pub fn peek(json: &str) -> Result<(RecordKind, u32), Error> {
    // serde would read a struct from an array too: a record is an object.
    if !json.trim_start().starts_with('{') {
        return Err(Error::new(ErrorCode::ArchiveParse, "", "expected a JSON object (an archive record)"));
    }
    let head: Head = serde_json::from_str(json).map_err(|e| {
        let mut err = Error::from_json(ErrorCode::ArchiveParse, &e);
        if e.is_data() {
            err = Error::new(ErrorCode::ArchiveParse, "", "expected a JSON object (an archive record)");
        }
        err
    })?;
    let kind = match &head.schema {
        None => return Err(Error::new(ErrorCode::ArchiveMissingField, "/schema", "required field \"schema\" is absent")),
        Some(Value::String(s)) => s.strip_prefix(SCHEMA_PREFIX).and_then(RecordKind::from_name).ok_or_else(|| {
            let known: Vec<&str> = RecordKind::ALL.iter().map(|k| k.schema_id()).collect();
            Error::new(
                ErrorCode::ArchiveUnknownSchema,
                "/schema",
                format!("{} is not an archive record type (known: {})", excerpt(s), known.join(", ")),
            )
        })?,
        Some(other) => {
            return Err(Error::new(
                ErrorCode::ArchiveInvalidType,
                "/schema",
                format!("expected a string, found {}", excerpt(&other.to_string())),
            ))
        }
    };
    let version = match &head.schema_version {
        None => {
            return Err(Error::new(
                ErrorCode::ArchiveMissingField,
                "/schema_version",
                "required field \"schema_version\" is absent",
            ))
        }
        Some(Value::Number(n)) => match n.as_u64() {
            Some(v) if v >= 1 && v <= u64::from(kind.current_version()) => v as u32,
            _ => {
                return Err(Error::new(
                    ErrorCode::ArchiveUnsupportedVersion,
                    "/schema_version",
                    format!(
                        "{} version {n} is not known to this library (versions 1 to {}); a newer version needs a newer library, it is never guessed",
                        kind.name(),
                        kind.current_version()
                    ),
                ))
            }
        },
        Some(other) => {
            return Err(Error::new(
                ErrorCode::ArchiveInvalidType,
                "/schema_version",
                format!("expected an integer, found {}", excerpt(&other.to_string())),
            ))
        }
    };
    Ok((kind, version))
}

/// The JSON Schema (as used by validation) of a kind at a version.
pub fn schema_of(kind: RecordKind, version: u32) -> Option<&'static Value> {
    static CURRENT: OnceLock<Vec<Value>> = OnceLock::new();
    static OLD: OnceLock<Vec<Value>> = OnceLock::new();
    if version == kind.current_version() {
        let all = CURRENT.get_or_init(|| RecordKind::ALL.iter().map(|&k| schema::record_schema(k)).collect());
        return RecordKind::ALL.iter().position(|&k| k == kind).and_then(|i| all.get(i));
    }
    let old = OLD.get_or_init(|| {
        vec![
            schema::old_schema(RecordKind::StudentFile, 1),
            schema::old_schema(RecordKind::CounsellingRecord, 1),
        ]
    });
    match (kind, version) {
        (RecordKind::StudentFile, 1) => old.first(),
        (RecordKind::CounsellingRecord, 1) => old.get(1),
        _ => None,
    }
}

/// Where validation finds the JSON Schema of a record kind at a version: [`schema_of`] (the
/// schemas generated from the record types) or the same schemas read back from their exported
/// text (a build that leaves the generator out, e.g. the WebAssembly module, passes those).
pub type SchemaLookup<'s> = &'s dyn Fn(RecordKind, u32) -> Option<&'s Value>;

/// Parse as `T` (straight from the text); on failure, walk the schema to report every
/// structural problem.
fn parse<T: DeserializeOwned>(json: &str, kind: RecordKind, version: u32, schemas: SchemaLookup<'_>) -> Result<T, Vec<Error>> {
    let original = match serde_json::from_str::<T>(json) {
        Ok(t) => return Ok(t),
        Err(e) => e,
    };
    let mut errors = Vec::new();
    let value: Value = serde_json::from_str(json).map_err(|e| vec![Error::from_json(ErrorCode::ArchiveParse, &e)])?;
    if let Some(schema) = schemas(kind, version) {
        structure::check(schema, &value, &mut errors);
    }
    if errors.is_empty() {
        let text = original.to_string();
        if text.starts_with("duplicate field `") {
            // Only the text itself is wrong where its parsed value is not: a field named twice
            // (a JSON value keeps the last, a record refuses the ambiguity). serde's finding,
            // at its position in the text.
            errors.push(Error::from_json(ErrorCode::ArchiveParse, &original));
        } else {
            // The schema walk found nothing: serde's own finding, at the pointer of the value
            // it is about (its message without the text position the pointer replaces).
            let at = format!(" at line {} column {}", original.line(), original.column());
            let message = text.strip_suffix(at.as_str()).unwrap_or(&text);
            errors.push(Error::new(
                ErrorCode::ArchiveInvalidValue,
                position::pointer_of(json, &original),
                crate::error::excerpt_raw(message).to_string(),
            ));
        }
    }
    Err(errors)
}

fn finish<T>(
    value: T,
    settings: &ArchiveSettings,
    catalog: &Catalog,
    check: impl FnOnce(&mut rules::Ctx, &T),
    wrap: fn(T) -> Record,
) -> Result<Record, Vec<Error>> {
    let mut ctx = rules::Ctx {
        errors: Vec::new(),
        settings,
        catalog,
    };
    check(&mut ctx, &value);
    if ctx.errors.is_empty() {
        Ok(wrap(value))
    } else {
        Err(ctx.errors)
    }
}

/// Validate one record: every problem at once, each with a JSON pointer and a stable code.
/// An older `schema_version` is migrated to the current one first (see [`migrate`]); semantic
/// errors of a migrated record point into the current shape.
pub fn validate_with(json: &str, settings: &ArchiveSettings, catalog: &Catalog) -> Result<Record, Vec<Error>> {
    validate_with_schemas(json, settings, catalog, &|k, v| schema_of(k, v))
}

/// [`validate_with`] with the record schemas from `schemas` (for every kind and version they
/// must be [`schema_of`]'s: the exported schemas under `schemas/`, parsed).
pub fn validate_with_schemas(json: &str, settings: &ArchiveSettings, catalog: &Catalog, schemas: SchemaLookup<'_>) -> Result<Record, Vec<Error>> {
    let (kind, version) = peek(json).map_err(|e| vec![e])?;
    let s = settings;
    let c = catalog;
    macro_rules! current {
        ($t:ty, $check:expr, $wrap:expr) => {{
            let v: $t = parse(json, kind, version, schemas)?;
            finish(v, s, c, $check, $wrap)
        }};
    }
    match (kind, version) {
        (RecordKind::StudentFile, 1) => {
            let v1: migrate::StudentFileV1 = parse(json, kind, 1, schemas)?;
            let v2 = migrate::student_file_v1_to_v2(v1)
                .ok_or_else(|| vec![Error::new(ErrorCode::ArchiveInvalidValue, "/birth_date", "the birth year is outside 1900–2999")])?;
            finish(v2, s, c, rules::student_file, Record::StudentFile).map_err(migrated)
        }
        (RecordKind::CounsellingRecord, 1) => {
            let v1: migrate::CounsellingRecordV1 = parse(json, kind, 1, schemas)?;
            finish(migrate::counselling_v1_to_v2(v1), s, c, rules::counselling, Record::CounsellingRecord).map_err(migrated)
        }
        (RecordKind::StudentFile, _) => current!(StudentFile, rules::student_file, Record::StudentFile),
        (RecordKind::ScreeningRecord, _) => current!(ScreeningRecord, |c, r| rules::screening(c, r, None), Record::ScreeningRecord),
        (RecordKind::AlertRecord, _) => current!(AlertRecord, rules::alert, Record::AlertRecord),
        (RecordKind::IndividualPlan, _) => current!(IndividualPlan, rules::plan, Record::IndividualPlan),
        (RecordKind::CounsellingRecord, _) => current!(CounsellingRecord, rules::counselling, Record::CounsellingRecord),
        (RecordKind::DutyLog, _) => current!(DutyLog, rules::duty_log, Record::DutyLog),
        (RecordKind::Referral, _) => current!(Referral, rules::referral, Record::Referral),
        (RecordKind::CrisisCaseReport, _) => current!(CrisisCaseReport, rules::crisis, Record::CrisisCaseReport),
        (RecordKind::HotlineCall, _) => current!(HotlineCall, rules::hotline, Record::HotlineCall),
        (RecordKind::TransferPackage, _) => current!(TransferPackage, rules::transfer, Record::TransferPackage),
    }
}

fn migrated(errors: Vec<Error>) -> Vec<Error> {
    errors
        .into_iter()
        .map(|e| {
            let msg = format!("{} (in the record migrated to the current version)", e.message());
            Error::new(e.error_code(), e.path(), msg)
        })
        .collect()
}

/// Migrate a record of an older version to the current version's JSON (validated).
pub fn migrate_json(json: &str) -> Result<String, Vec<Error>> {
    validate(json).map(|r| r.to_json())
}
