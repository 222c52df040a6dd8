//! Instruments, the catalog and single-response scoring.

use crate::error::{to_py, IntoPyResult};
use changkaixin_core::scoring::recode::CodeMap;
use changkaixin_core::{Answer, Catalog, Error, ErrorCode, Instrument, Response, ScoreReport};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyInt, PyList, PyString, PyTuple};
use std::collections::BTreeMap;

/// A linted, compiled instrument (native handle; the public class is `changkaixin.Instrument`).
#[pyclass(frozen, module = "changkaixin._core")]
pub struct NativeInstrument {
    pub(crate) inner: Instrument,
}

/// A set of compiled instruments (native handle; the public class is `changkaixin.Catalog`).
#[pyclass(frozen, module = "changkaixin._core")]
pub struct NativeCatalog {
    pub(crate) inner: Catalog,
}

/// A declared recode checked against one instrument (native handle; the public class is `changkaixin.CodeMap`).
#[pyclass(frozen, module = "changkaixin._core")]
pub struct NativeCodeMap {
    pub(crate) inner: CodeMap,
}

#[pymethods]
impl NativeCodeMap {
    /// The instrument id the map was checked against.
    #[getter]
    fn instrument(&self) -> &str {
        self.inner.instrument()
    }
}

#[pymethods]
impl NativeCatalog {
    /// The built-in catalog.
    #[staticmethod]
    fn builtin() -> NativeCatalog {
        NativeCatalog {
            inner: Catalog::builtin().clone(),
        }
    }
    /// An empty catalog.
    #[staticmethod]
    fn empty() -> NativeCatalog {
        NativeCatalog { inner: Catalog::empty() }
    }
    /// A copy with one more (or a replaced) instrument.
    fn with_instrument(&self, instrument: &NativeInstrument) -> NativeCatalog {
        NativeCatalog {
            inner: self.inner.with_instrument(instrument.inner.clone()),
        }
    }
    /// Instrument ids, sorted.
    fn ids(&self) -> Vec<String> {
        self.inner.ids().map(str::to_owned).collect()
    }
    /// The instrument with this id and setting options.
    #[pyo3(signature = (id, settings=None))]
    fn instrument(&self, py: Python<'_>, id: &str, settings: Option<BTreeMap<String, String>>) -> PyResult<NativeInstrument> {
        let inner = self.inner.instrument_with(id, &settings.unwrap_or_default()).py(py)?;
        Ok(NativeInstrument { inner })
    }
    /// Verify a score report (JSON text) against the catalog: known instrument, version and
    /// settings, values within range, bands, flags and verdicts consistent. Returns the report's
    /// canonical JSON; raises `EvidenceError` (`evidence.*`, path into the report) otherwise.
    fn verify_report(&self, py: Python<'_>, report_json: &str) -> PyResult<String> {
        let report = parse_report(report_json).py(py)?;
        self.inner.verify_report(&report).py(py)?;
        Ok(report.to_json())
    }
    /// Built-in specs that failed lint, as `(id, code, message)` (empty in a correct build).
    fn load_errors(&self) -> Vec<(String, &'static str, String)> {
        self.inner.load_errors().iter().map(|(id, e)| (id.clone(), e.code(), e.to_string())).collect()
    }
}

#[pymethods]
impl NativeInstrument {
    /// Parse, lint and compile a spec.
    #[staticmethod]
    #[pyo3(signature = (text, settings=None))]
    fn from_json(py: Python<'_>, text: &str, settings: Option<BTreeMap<String, String>>) -> PyResult<NativeInstrument> {
        let inner = Instrument::from_json_with(text, &settings.unwrap_or_default()).py(py)?;
        Ok(NativeInstrument { inner })
    }
    /// The same instrument with other setting options.
    fn with_settings(&self, py: Python<'_>, settings: BTreeMap<String, String>) -> PyResult<NativeInstrument> {
        let inner = self.inner.with_settings(&settings).py(py)?;
        Ok(NativeInstrument { inner })
    }
    /// Instrument id.
    #[getter]
    fn id(&self) -> &str {
        self.inner.id()
    }
    /// Spec version.
    #[getter]
    fn version(&self) -> &str {
        self.inner.version()
    }
    /// Setting options in effect.
    #[getter]
    fn settings(&self) -> BTreeMap<String, String> {
        self.inner.settings().clone()
    }
    /// Number of items (columns of a batch).
    #[getter]
    fn n_items(&self) -> usize {
        self.inner.item_count()
    }
    /// A scale's possible raw range when complete, as decimal strings `(min, max)`; `None` for an unknown scale.
    fn scale_range(&self, scale_id: &str) -> Option<(String, String)> {
        self.inner.scale_range(scale_id).map(|(lo, hi)| (lo.to_string(), hi.to_string()))
    }
    /// Option codes of an item (1-based number), ascending; `None` for an unknown item.
    fn option_codes(&self, item: u32) -> Option<Vec<i64>> {
        self.inner.option_codes(item)
    }
    /// The scored value of an option code of an item (after reversal); `None` if not an option.
    fn option_value(&self, item: u32, code: i64) -> Option<i32> {
        self.inner.option_value(item, code)
    }
    /// The core's description (code tables, scales, flags, screen rule) as stable text.
    fn describe_text(&self) -> String {
        self.inner.describe().to_string()
    }
    /// The core's description as JSON (`InstrumentDescription`).
    fn describe_json(&self) -> String {
        serde_json::to_string(&self.inner.describe()).unwrap_or_default()
    }
    /// The resolved spec (settings applied) as canonical JSON.
    fn spec_json(&self) -> String {
        self.inner.to_json()
    }
    /// The spec as written (before settings) as JSON.
    fn source_spec_json(&self) -> String {
        serde_json::to_string(self.inner.source_spec()).unwrap_or_default()
    }
    /// Check a declared recode (`CodeMapSpec` JSON: `{"all": {...}, "items": {...}}`) against this instrument.
    fn code_map(&self, py: Python<'_>, spec_json: &str) -> PyResult<NativeCodeMap> {
        let inner = self.inner.code_map_json(spec_json).py(py)?;
        Ok(NativeCodeMap { inner })
    }
    /// Score one response (a dict keyed by item, or a positional list); returns the canonical report JSON.
    #[pyo3(signature = (answers, started_at=None, finished_at=None, group=None, code_map=None))]
    fn score(
        &self,
        py: Python<'_>,
        answers: &Bound<'_, PyAny>,
        started_at: Option<String>,
        finished_at: Option<String>,
        group: Option<BTreeMap<String, String>>,
        code_map: Option<PyRef<'_, NativeCodeMap>>,
    ) -> PyResult<String> {
        let map = code_map.as_deref().map(|m| &m.inner);
        let mut response = Response {
            started_at,
            finished_at,
            group: group.unwrap_or_default(),
            ..Response::default()
        };
        if let Ok(d) = answers.cast::<PyDict>() {
            for (k, v) in d.iter() {
                let key = answer_key(&k)?;
                let a = answer(py, &v, &key)?;
                response.answers.insert(key, a);
            }
        } else if answers.is_instance_of::<PyList>() || answers.is_instance_of::<PyTuple>() {
            let mut list = Vec::new();
            for (i, v) in answers.try_iter()?.enumerate() {
                list.push(answer(py, &v?, &(i + 1).to_string())?);
            }
            // One value per item, or exactly one per scored item, with the times and group
            // of `response`: the core places them.
            return self.inner.score_answers_in(&list, &response, map).py(py).map(|r| r.to_json());
        } else {
            return Err(PyTypeError::new_err(format!(
                "answers must be a dict (item number or id → code) or a list in item order, not {}",
                answers.get_type().name()?
            )));
        }
        let r = match map {
            Some(m) => self.inner.score_with_code_map(&response, m),
            None => self.inner.score(&response),
        };
        Ok(r.py(py)?.to_json())
    }
    /// Verify a score report (JSON text) against this instrument; returns its canonical JSON.
    fn verify_report(&self, py: Python<'_>, report_json: &str) -> PyResult<String> {
        let report = parse_report(report_json).py(py)?;
        self.inner.verify_report(&report).py(py)?;
        Ok(report.to_json())
    }
    /// Score a response given as JSON text (the core `Response` shape); returns the report JSON.
    fn score_json(&self, py: Python<'_>, text: &str) -> PyResult<String> {
        Ok(self.inner.score_json(text).py(py)?.to_json())
    }
    fn __repr__(&self) -> String {
        format!("NativeInstrument({:?}, version={:?})", self.inner.id(), self.inner.version())
    }
}

/// A score report from outside (JSON text), not yet verified.
pub(crate) fn parse_report(text: &str) -> Result<ScoreReport, Error> {
    serde_json::from_str(text).map_err(|e| {
        Error::new(
            ErrorCode::EvidenceInvalid,
            format!("line {} column {}", e.line(), e.column()),
            format!("not a changkaixin score report: {}", crate::error::short(&e.to_string())),
        )
    })
}

fn answer_key(k: &Bound<'_, PyAny>) -> PyResult<String> {
    if k.is_instance_of::<PyString>() {
        return k.extract::<String>();
    }
    if k.is_instance_of::<PyInt>() && !k.is_instance_of::<PyBool>() {
        return Ok(k.extract::<i128>()?.to_string());
    }
    Err(PyTypeError::new_err(format!(
        "answer keys are item numbers (int or str) or item ids (str), not {}",
        k.get_type().name()?
    )))
}

/// A Python answer value: int code, option id (str), None (missing), "refused" / "missing".
fn answer(py: Python<'_>, v: &Bound<'_, PyAny>, key: &str) -> PyResult<Answer> {
    if v.is_none() {
        return Ok(Answer::Missing);
    }
    if v.is_instance_of::<PyInt>() && !v.is_instance_of::<PyBool>() {
        if let Ok(c) = v.extract::<i64>() {
            return Ok(Answer::Code(c));
        }
    } else if let Ok(s) = v.extract::<&str>() {
        return Ok(match s {
            "refused" => Answer::Refused,
            "missing" => Answer::Missing,
            id => Answer::OptionId(id.to_owned()),
        });
    } else if let Ok(c) = v.call_method0("__index__").and_then(|i| i.extract::<i64>()) {
        // numpy integers and other int-likes (but not bool, handled above as not-int).
        if !v.is_instance_of::<PyBool>() {
            return Ok(Answer::Code(c));
        }
    }
    let shown = v.repr().map(|r| crate::error::short(&r.to_string())).unwrap_or_default();
    Err(to_py(
        py,
        &Error::new(
            ErrorCode::ResponseParse,
            format!("/answers/{}", changkaixin_core::error::excerpt_raw(key)),
            format!("expected an integer option code, an option id (str), None (missing) or \"refused\", got {shown}"),
        ),
    ))
}
