//! JSON Schemas of the record types (exported with `schemars`), their metadata (the plan clauses
//! each record rests on), and the schema pieces for the crate's own wire types.
//!
//! The exported schemas are committed under `schemas/` and a test regenerates and compares them.
//! The core's validation walks the same schema to report every structural problem at once
//! ([`super::structure`]), so the exported schema and the validator cannot drift apart.

use crate::time::{Date, Timestamp};
use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::borrow::Cow;
use std::fmt;

use super::RecordKind;

/// Dialect of the exported schemas.
pub const JSON_SCHEMA_DIALECT: &str = "https://json-schema.org/draft/2020-12/schema";

impl JsonSchema for Timestamp {
    fn schema_name() -> Cow<'static, str> {
        "Timestamp".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({"type": "string", "format": "date-time", "description": "RFC 3339 instant (written back in UTC, `2024-03-04T08:00:00Z`)."})
    }
}

impl JsonSchema for Date {
    fn schema_name() -> Cow<'static, str> {
        "Date".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({"type": "string", "format": "date", "description": "Calendar date `YYYY-MM-DD`."})
    }
}

/// A year and month (`YYYY-MM`): the most precise birth date an archive keeps.
///
/// ```
/// use changkaixin_core::archive::YearMonth;
/// let ym = YearMonth::parse("2012-09").unwrap();
/// assert_eq!((ym.year(), ym.month()), (2012, 9));
/// assert!(YearMonth::parse("2012-13").is_none());
/// assert!(YearMonth::parse("2012-09-01").is_none());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct YearMonth {
    year: u16,
    month: u8,
}

impl YearMonth {
    /// Parse `YYYY-MM` (years 1900–2999).
    pub fn parse(s: &str) -> Option<YearMonth> {
        let b = s.as_bytes();
        if b.len() != 7 || b[4] != b'-' || !b.iter().enumerate().all(|(i, c)| i == 4 || c.is_ascii_digit()) {
            return None;
        }
        let year = s.get(0..4)?.parse::<u16>().ok()?;
        let month = s.get(5..7)?.parse::<u8>().ok()?;
        ((1900..=2999).contains(&year) && (1..=12).contains(&month)).then_some(YearMonth { year, month })
    }
    /// From a date (the day is dropped).
    pub fn of_date(d: Date) -> Option<YearMonth> {
        let (y, m, _) = d.ymd();
        YearMonth::parse(&format!("{y:04}-{m:02}"))
    }
    /// The year.
    pub fn year(self) -> u16 {
        self.year
    }
    /// The month, 1–12.
    pub fn month(self) -> u8 {
        self.month
    }
}

impl fmt::Display for YearMonth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl Serialize for YearMonth {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for YearMonth {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = Cow::<'de, str>::deserialize(d)?;
        YearMonth::parse(&s).ok_or_else(|| serde::de::Error::custom(format!("expected a year-month YYYY-MM, found {}", crate::error::excerpt(&s))))
    }
}

impl JsonSchema for YearMonth {
    fn schema_name() -> Cow<'static, str> {
        "YearMonth".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({"type": "string", "pattern": "^(19|2[0-9])[0-9]{2}-(0[1-9]|1[0-2])$", "format": "year-month",
            "description": "Year and month `YYYY-MM` (never a day: minimum necessary)."})
    }
}

/// A document the core checks itself (a score report, an alert decision): any JSON object here.
pub(crate) fn any_object(_: &mut SchemaGenerator) -> Schema {
    json_schema!({"type": "object", "description": "Checked by the core against its own documented shape (see docs/archive.md)."})
}

/// Answers keyed by item number or id: an option code, an option id, `null` or `"refused"`.
pub(crate) fn any_answer(_: &mut SchemaGenerator) -> Schema {
    json_schema!({"type": "object", "additionalProperties": {"type": ["integer", "string", "null"]},
        "description": "Answers by item number or item id: an option code, an option id, null (missing) or \"refused\"."})
}

/// `{id, version, settings?}` of an instrument.
pub(crate) fn instrument_ref_schema(_: &mut SchemaGenerator) -> Schema {
    json_schema!({"type": "object", "additionalProperties": false, "required": ["id", "version"],
        "properties": {"id": {"type": "string"}, "version": {"type": "string"},
            "settings": {"type": "object", "additionalProperties": {"type": "string"}}}})
}

/// The exported JSON Schema of one record type, with its metadata: `$id`, title, the plan
/// clauses it rests on (`x-changkaixin-clauses`), `schema` and `schema_version` as constants.
pub fn record_schema(kind: RecordKind) -> Value {
    with_meta(kind, kind.current_version(), kind.generate())
}

/// The schema of an older version (`student_file` 1, `counselling_record` 1; see [`super::migrate`]).
pub fn old_schema(kind: RecordKind, version: u32) -> Value {
    use super::migrate::{CounsellingRecordV1, StudentFileV1};
    match (kind, version) {
        (RecordKind::StudentFile, 1) => with_meta(kind, 1, generate::<StudentFileV1>()),
        (RecordKind::CounsellingRecord, 1) => with_meta(kind, 1, generate::<CounsellingRecordV1>()),
        _ => Value::Null,
    }
}

fn with_meta(kind: RecordKind, version: u32, schema: Value) -> Value {
    let Value::Object(generated) = schema else { return schema };
    let mut obj = serde_json::Map::new();
    obj.insert("$schema".into(), json!(JSON_SCHEMA_DIALECT));
    obj.insert(
        "$id".into(),
        json!(format!("https://changkaixin.invalid/schemas/{}.v{version}.schema.json", kind.name())),
    );
    obj.insert("title".into(), json!(kind.schema_id()));
    let clauses: Vec<Value> = kind
        .clauses()
        .iter()
        .map(|(c, q)| json!({"document": "cz_plan_2022", "clause": c, "quote": q}))
        .collect();
    obj.insert("x-changkaixin-clauses".into(), Value::Array(clauses));
    for (k, v) in generated {
        if k != "$schema" && k != "title" {
            obj.insert(k, v);
        }
    }
    if let Some(props) = obj.get_mut("properties").and_then(Value::as_object_mut) {
        if let Some(p) = props.get_mut("schema").and_then(Value::as_object_mut) {
            p.insert("const".into(), json!(kind.schema_id()));
        }
        if let Some(p) = props.get_mut("schema_version").and_then(Value::as_object_mut) {
            p.insert("const".into(), json!(version));
        }
    }
    Value::Object(obj)
}

/// Every exported schema as `(file name, pretty JSON + newline)`, in [`RecordKind::ALL`] order
/// (what `schemas/` holds).
pub fn exported_schemas() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for &k in RecordKind::ALL {
        for v in k.versions() {
            let schema = if v == k.current_version() { record_schema(k) } else { old_schema(k, v) };
            let text = serde_json::to_string_pretty(&schema).unwrap_or_default();
            out.push((format!("{}.v{v}.schema.json", k.name()), text + "\n"));
        }
    }
    out
}

pub(crate) fn generate<T: JsonSchema>() -> Value {
    let settings = schemars::generate::SchemaSettings::draft2020_12();
    settings.into_generator().into_root_schema_for::<T>().to_value()
}
