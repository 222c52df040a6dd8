//! Archive records and privacy (issue 12): validation with every problem at once, JSON Schemas,
//! role-scoped views, keyed pseudonyms, the consent and disclosure ledger. JSON text in and out;
//! the pure-Python layer (`changkaixin/archive.py`) turns it into dicts and DataFrames.

use crate::error::IntoPyResult;
use changkaixin_core::archive::{self, RecordKind};
use changkaixin_core::error::ErrorCode;
use changkaixin_core::privacy::{self, AggregateSettings, Ledger, Pseudonymiser, ShareRequest, Subject, Viewer};
use changkaixin_core::Error;
use pyo3::prelude::*;

/// One problem as `(code, category, path, message)`.
type Problem = (&'static str, &'static str, String, String);

fn problem(e: &Error) -> Problem {
    (e.code(), crate::error::category_name(e.category()), e.path().to_owned(), e.message().to_owned())
}

fn parse<T: serde::de::DeserializeOwned>(text: &str, what: &str) -> Result<T, Error> {
    serde_json::from_str(text).map_err(|e| {
        Error::new(
            ErrorCode::PrivacyInvalid,
            format!("/{what}"),
            changkaixin_core::error::excerpt_raw(&e.to_string()).to_string(),
        )
    })
}

fn record(text: &str) -> Result<archive::Record, Error> {
    archive::validate(text).map_err(|errs| {
        errs.into_iter()
            .next()
            .unwrap_or_else(|| Error::new(ErrorCode::ArchiveParse, "", "invalid record"))
    })
}

/// Validate one record: `(canonical JSON or None, problems)`.
#[pyfunction]
pub fn archive_validate(py: Python<'_>, text: &str) -> (Option<String>, Vec<Problem>) {
    py.detach(|| match archive::validate(text) {
        Ok(r) => (Some(r.to_json()), Vec::new()),
        Err(errs) => (None, errs.iter().map(problem).collect()),
    })
}

/// Validate many records: per record `(canonical JSON or None, problems)`.
#[pyfunction]
pub fn archive_validate_many(py: Python<'_>, texts: Vec<String>) -> Vec<(Option<String>, Vec<Problem>)> {
    py.detach(|| {
        texts
            .iter()
            .map(|t| match archive::validate(t) {
                Ok(r) => (Some(r.to_json()), Vec::new()),
                Err(errs) => (None, errs.iter().map(problem).collect()),
            })
            .collect()
    })
}

/// Every record kind as `(name, schema id, current version)`.
#[pyfunction]
pub fn archive_kinds() -> Vec<(&'static str, &'static str, u32)> {
    RecordKind::ALL.iter().map(|k| (k.name(), k.schema_id(), k.current_version())).collect()
}

/// The JSON Schema of a kind (current version unless given), as JSON text.
#[pyfunction]
#[pyo3(signature = (kind, version=None))]
pub fn archive_schema(py: Python<'_>, kind: &str, version: Option<u32>) -> PyResult<String> {
    let k = RecordKind::from_name(kind).ok_or_else(|| Error::new(ErrorCode::ArchiveUnknownSchema, "/kind", format!("unknown record kind {kind:?}")));
    let k = k.py(py)?;
    let v = version.unwrap_or(k.current_version());
    archive::schema_of(k, v)
        .map(|s| serde_json::to_string(s).unwrap_or_default())
        .ok_or_else(|| Error::new(ErrorCode::ArchiveUnsupportedVersion, "/version", format!("{kind} has no version {v}")))
        .py(py)
}

/// The record (JSON) as the viewer (JSON) may see it; the view's data as JSON.
#[pyfunction]
#[pyo3(signature = (viewer, record_json, subject=None))]
pub fn archive_view(py: Python<'_>, viewer: &str, record_json: &str, subject: Option<&str>) -> PyResult<String> {
    py.detach(|| {
        let viewer: Viewer = parse(viewer, "viewer")?;
        let subject: Option<Subject> = subject.map(|s| parse(s, "subject")).transpose()?;
        let rec = record(record_json)?;
        privacy::view(&viewer, &rec, subject.as_ref()).map(|v| v.data.to_string())
    })
    .py(py)
}

/// The class of every leaf of a record: `(pointer, class or None)`.
#[pyfunction]
pub fn archive_field_classes(py: Python<'_>, record_json: &str) -> PyResult<Vec<(String, Option<&'static str>)>> {
    let rec = record(record_json).py(py)?;
    Ok(privacy::leaf_classes(rec.kind(), &rec.to_value())
        .into_iter()
        .map(|(p, c)| (p, c.map(|(c, _)| c.as_str())))
        .collect())
}

/// Aggregate counts for a district or city viewer over `[(subject, record)]` (JSON array of pairs).
#[pyfunction]
#[pyo3(signature = (viewer, items_json, min_cell=10))]
pub fn archive_aggregate(py: Python<'_>, viewer: &str, items_json: &str, min_cell: u32) -> PyResult<String> {
    py.detach(|| {
        let viewer: Viewer = parse(viewer, "viewer")?;
        let items: Vec<(Subject, serde_json::Value)> = parse(items_json, "items")?;
        let items = items
            .into_iter()
            .enumerate()
            .map(|(i, (s, r))| {
                record(&r.to_string())
                    .map(|r| (s, r))
                    .map_err(|e| e.prefixed(&format!("/items/{i}/1")).with_row(i as u64))
            })
            .collect::<Result<Vec<_>, Error>>()?;
        privacy::aggregate(&viewer, &items, AggregateSettings { min_cell }).map(|c| serde_json::to_string(&c).unwrap_or_default())
    })
    .py(py)
}

/// Pseudonyms of a column of ids (`None` stays `None`) under `key`; the key never leaves this call.
#[pyfunction]
pub fn pseudonymise(py: Python<'_>, key: &[u8], ids: Vec<Option<String>>) -> PyResult<Vec<Option<String>>> {
    let p = Pseudonymiser::new(key).py(py)?;
    Ok(py.detach(|| p.column(&ids)))
}

/// Check a share (request JSON) against a student file (record JSON): the disclosure JSON.
#[pyfunction]
#[pyo3(signature = (file_json, request_json, utc_offset_seconds=28800))]
pub fn check_share(py: Python<'_>, file_json: &str, request_json: &str, utc_offset_seconds: i32) -> PyResult<String> {
    (|| {
        let archive::Record::StudentFile(file) = record(file_json)? else {
            return Err(Error::new(ErrorCode::PrivacyInvalid, "/file", "a share is checked against a student file"));
        };
        let req: ShareRequest = parse(request_json, "request")?;
        privacy::check_share(&file, &req, utc_offset_seconds).map(|d| serde_json::to_string(&d).unwrap_or_default())
    })()
    .py(py)
}

/// The disclosure ledger (native handle; the public class is `changkaixin.archive.Ledger`).
#[pyclass(frozen, module = "changkaixin._core")]
pub struct NativeLedger {
    inner: std::sync::Mutex<Ledger>,
}

impl NativeLedger {
    fn lock(&self) -> std::sync::MutexGuard<'_, Ledger> {
        // A poisoned lock only means a panic elsewhere; the ledger itself is append-only and intact.
        self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[pymethods]
impl NativeLedger {
    #[new]
    fn new() -> NativeLedger {
        NativeLedger {
            inner: std::sync::Mutex::new(Ledger::new()),
        }
    }
    /// Parse a serialised ledger.
    #[staticmethod]
    fn from_json(py: Python<'_>, text: &str) -> PyResult<NativeLedger> {
        Ok(NativeLedger {
            inner: std::sync::Mutex::new(Ledger::from_json(text).py(py)?),
        })
    }
    /// Check and record a share; the recorded disclosure JSON.
    #[pyo3(signature = (file_json, request_json, utc_offset_seconds=28800))]
    fn share(&self, py: Python<'_>, file_json: &str, request_json: &str, utc_offset_seconds: i32) -> PyResult<String> {
        let mut guard = self.lock();
        let inner = &mut *guard;
        (|| {
            let archive::Record::StudentFile(file) = record(file_json)? else {
                return Err(Error::new(ErrorCode::PrivacyInvalid, "/file", "a share is checked against a student file"));
            };
            let req: ShareRequest = parse(request_json, "request")?;
            inner
                .share(&file, &req, utc_offset_seconds)
                .map(|d| serde_json::to_string(d).unwrap_or_default())
        })()
        .py(py)
    }
    /// Canonical JSON.
    fn to_json(&self) -> String {
        self.lock().to_json()
    }
    fn __len__(&self) -> usize {
        self.lock().entries.len()
    }
}
