//! Archive records and role views (issue 12): validate a form's record in the browser before it
//! is sent (every problem at once, as data), migrate an older version, the JSON Schema of every
//! record type, and the one per-role export (`privacy::view`).
//!
//! Records cross as JSON (`JSON.stringify` of the object, or the caller's JSON text) into the
//! core's own `archive::validate_with`, with the built-in catalog installed by the entry point
//! (a screening record's report is re-derived from its answers with it).

use crate::error::{js, problem, to_js as err_to_js};
use crate::json::{to_js, Input};
use changkaixin_core::archive::{self, ArchiveSettings, Record, RecordKind};
use changkaixin_core::privacy::{self, Subject, Viewer};
use changkaixin_core::{Error, ErrorCode};
use js_sys::{Array, Object, Reflect};
use serde::Serialize;
use serde_json::Value;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_ARCHIVE: &'static str = include_str!("archive.d.ts");

/// The schema of `kind` at `version` as validation uses it: the core's exported schemas, read
/// as data (installed with the built-in data by the entry point, so the module carries no schema
/// generator); `Ok(None)` for a version that does not exist.
fn schema_of(kind: RecordKind, version: u32) -> Result<Option<&'static Value>, JsValue> {
    js(crate::data::record_schema(kind, version))
}

#[wasm_bindgen]
extern "C" {
    /// `ArchiveRecordInput | string`
    #[wasm_bindgen(typescript_type = "ArchiveRecordInput | string")]
    pub type RecordInput;
    /// `ArchiveViewer`
    #[wasm_bindgen(typescript_type = "ArchiveViewer")]
    pub type ViewerJs;
    /// `ArchiveSubject`
    #[wasm_bindgen(typescript_type = "ArchiveSubject")]
    pub type SubjectJs;
}

/// The record as JSON text, or a thrown error for a value that is not a record at all (a misuse:
/// `undefined`, a number, an array, `null`). Values inside the object that JSON would change or
/// cannot write (`NaN`, a `BigInt`, a `Map`) are problems of the record, with their pointer.
fn record_input(v: &JsValue) -> Result<Result<Input, Vec<Error>>, JsValue> {
    if v.as_string().is_none() && (!v.is_object() || Array::is_array(v) || v.is_function()) {
        let got = if v.is_null() {
            "null".to_owned()
        } else if Array::is_array(v) {
            "an array".to_owned()
        } else {
            v.js_typeof().as_string().unwrap_or_default()
        };
        return Err(err_to_js(&Error::new(
            ErrorCode::ArchiveParse,
            "",
            format!("expected an archive record (an object or its JSON text), got {got}"),
        )));
    }
    Ok(match Input::object_or_text(v, ErrorCode::ArchiveInvalidValue) {
        Ok(input) => Ok(input),
        // `Input` reports the misfit as a thrown-style error: read it back as a problem.
        Err(e) => Err(vec![from_js_error(&e)]),
    })
}

/// A core error back from the JS `Error` the JSON layer built (code and path kept).
fn from_js_error(e: &JsValue) -> Error {
    let get = |k: &str| Reflect::get(e, &JsValue::from_str(k)).ok().and_then(|v| v.as_string()).unwrap_or_default();
    let code = ErrorCode::ALL
        .iter()
        .copied()
        .find(|c| c.as_str() == get("code"))
        .unwrap_or(ErrorCode::ArchiveInvalidValue);
    Error::new(code, get("path"), get("message"))
}

fn validate_input(v: &JsValue) -> Result<Result<Record, Vec<Error>>, JsValue> {
    // The schemas are installed with the catalog: a module without them refuses to validate.
    schema_of(RecordKind::StudentFile, 1)?;
    let lookup = |k, v| schema_of(k, v).ok().flatten();
    Ok(record_input(v)?
        .and_then(|input| input.run_all(|text| archive::validate_with_schemas(text, &ArchiveSettings::default(), crate::data::catalog(), &lookup))))
}

/// The problems as plain objects.
fn problems(errors: &[Error]) -> Array {
    errors.iter().map(problem).collect()
}

/// A thrown error for an invalid record: the first problem, with every problem in `problems`.
fn invalid_record(errors: &[Error], prefix: &str) -> JsValue {
    let errors: Vec<Error> = errors.iter().map(|e| e.clone().prefixed(prefix)).collect();
    let first = errors
        .first()
        .cloned()
        .unwrap_or_else(|| Error::new(ErrorCode::ArchiveParse, prefix, "invalid record"));
    let err = err_to_js(&first);
    let _ = Reflect::set(&err, &JsValue::from_str("problems"), &problems(&errors));
    err
}

/// Validate one archive record (object or JSON text) with every problem at once: `{ ok: true,
/// record }` (the record at its current `schema_version`, an older one migrated, times in UTC) or
/// `{ ok: false, errors }` (each `{ code, category, path, message }`, `path` a JSON pointer into
/// the record). Validation problems are returned, never thrown; only a value that is not a
/// record at all (`undefined`, `null`, a number, an array) throws.
#[wasm_bindgen(js_name = validateRecord, unchecked_return_type = "ArchiveValidation")]
pub fn validate_record(record: RecordInput) -> Result<JsValue, JsValue> {
    let out = Object::new();
    let set = |k: &str, v: &JsValue| Reflect::set(&out, &JsValue::from_str(k), v).map(|_| ());
    match validate_input(&record)? {
        Ok(r) => {
            set("ok", &JsValue::TRUE)?;
            set("record", &to_js(&r)?)?;
        }
        Err(errors) => {
            set("ok", &JsValue::FALSE)?;
            set("errors", &problems(&errors))?;
        }
    }
    Ok(out.into())
}

/// The record (object or JSON text) at the current `schema_version`, as its canonical JSON text
/// (byte-for-byte the core's `migrate_json`; a current record comes back unchanged but for UTC
/// times). An invalid record throws an `ArchiveRecordError`: the first problem, every problem in
/// `problems` (a record is migrated only once it validates; a migration never invents content).
#[wasm_bindgen(js_name = migrateRecord)]
pub fn migrate_record(record: RecordInput) -> Result<String, JsValue> {
    match validate_input(&record)? {
        Ok(r) => Ok(r.to_json()),
        Err(errors) => Err(invalid_record(&errors, "")),
    }
}

/// The JSON Schema (draft 2020-12) of a record kind (`"counselling_record"`, …) at a
/// `schema_version` (default: the current one), exactly as validation uses it and as committed
/// under `schemas/`.
#[wasm_bindgen(js_name = recordSchema, unchecked_return_type = "JsonObject")]
pub fn record_schema(#[wasm_bindgen(unchecked_param_type = "ArchiveRecordKind")] kind: &str, version: Option<f64>) -> Result<JsValue, JsValue> {
    let k = js(RecordKind::from_name(kind).ok_or_else(|| {
        let known: Vec<&str> = RecordKind::ALL.iter().map(|k| k.name()).collect();
        Error::new(
            ErrorCode::ArchiveUnknownSchema,
            "/kind",
            format!(
                "{} is not an archive record kind (known: {})",
                changkaixin_core::error::excerpt_raw(kind),
                known.join(", ")
            ),
        )
    }))?;
    let v = version.unwrap_or(f64::from(k.current_version()));
    let schema = (v.fract() == 0.0 && (1.0..=f64::from(u32::MAX)).contains(&v))
        .then(|| schema_of(k, v as u32))
        .transpose()?
        .flatten();
    match schema {
        Some(s) => to_js(s),
        None => Err(err_to_js(&Error::new(
            ErrorCode::ArchiveUnsupportedVersion,
            "/version",
            format!("{} has no version {v} (versions 1 to {})", k.name(), k.current_version()),
        ))),
    }
}

/// The record as `viewer` may see it (`privacy::view`, the only per-role export): the scope is
/// checked (`privacy.out_of_scope`) and every field above the role's clearance or outside its
/// audience removed. `subject` is the student's school and class (from the student file), which
/// every record but a student file, a duty log, a transfer package and a hotline call needs.
/// The record is validated first: an invalid one throws an `ArchiveRecordError` (paths under
/// `/record`); a malformed viewer or subject throws `privacy.invalid` (under `/viewer`, `/subject`).
#[wasm_bindgen(js_name = viewRecord, unchecked_return_type = "ArchiveRecordView")]
pub fn view_record(viewer: ViewerJs, record: RecordInput, subject: Option<SubjectJs>) -> Result<JsValue, JsValue> {
    let viewer: Viewer = Input::object(&viewer, ErrorCode::PrivacyInvalid)?
        .parse_core(ErrorCode::PrivacyInvalid)
        .map_err(|e| err_to_js(&e.prefixed("/viewer")))?;
    let subject: Option<Subject> = match subject {
        Some(s) => Some(
            Input::object(&s, ErrorCode::PrivacyInvalid)?
                .parse_core(ErrorCode::PrivacyInvalid)
                .map_err(|e| err_to_js(&e.prefixed("/subject")))?,
        ),
        None => None,
    };
    let record = validate_input(&record)?.map_err(|errors| invalid_record(&errors, "/record"))?;
    to_js(&js(privacy::view(&viewer, &record, subject.as_ref()))?)
}

#[derive(Serialize)]
struct KindInfo {
    kind: &'static str,
    schema: &'static str,
    current_version: u32,
    versions: Vec<u32>,
}

/// Every archive record kind: its short name, its `schema` value, its current version and the
/// versions that exist (older ones are migrated on validation).
#[wasm_bindgen(js_name = recordKinds, unchecked_return_type = "ArchiveKindInfo[]")]
pub fn record_kinds() -> Result<JsValue, JsValue> {
    let kinds: Vec<KindInfo> = RecordKind::ALL
        .iter()
        .map(|&k| KindInfo {
            kind: k.name(),
            schema: k.schema_id(),
            current_version: k.current_version(),
            versions: k.versions().collect(),
        })
        .collect();
    to_js(&kinds)
}
