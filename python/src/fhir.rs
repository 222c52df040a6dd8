//! HL7 FHIR R4: Questionnaire import, QuestionnaireResponse scoring, Observation export.

use crate::error::IntoPyResult;
use crate::instrument::{parse_report, NativeInstrument};
use changkaixin_core::fhir;
use pyo3::prelude::*;

/// Import a FHIR `Questionnaire` (JSON text) into an instrument spec skeleton (JSON text).
#[pyfunction]
pub fn import_questionnaire(py: Python<'_>, text: &str) -> PyResult<String> {
    let spec = fhir::import_questionnaire(text).py(py)?;
    Ok(serde_json::to_string(&spec).unwrap_or_default())
}

/// Bind a FHIR `Questionnaire` (JSON text) to an instrument: the same instrument (bands, flags,
/// screen rule) reading that Questionnaire's linkIds and codings (`fhir.incompatible` otherwise).
#[pyfunction]
pub fn bind_questionnaire(py: Python<'_>, instrument: &NativeInstrument, text: &str) -> PyResult<NativeInstrument> {
    let inner = fhir::bind_questionnaire(&instrument.inner, text).py(py)?;
    Ok(NativeInstrument { inner })
}

/// Score a `QuestionnaireResponse` (JSON text) against an instrument; returns the report JSON.
#[pyfunction]
pub fn score_questionnaire_response(py: Python<'_>, instrument: &NativeInstrument, text: &str) -> PyResult<String> {
    Ok(fhir::score_questionnaire_response(&instrument.inner, text).py(py)?.to_json())
}

/// Score a `QuestionnaireResponse` and compare each stored total with the recomputed scale;
/// returns `(report JSON, stored totals JSON array)`.
#[pyfunction]
pub fn score_questionnaire_response_detailed(py: Python<'_>, instrument: &NativeInstrument, text: &str) -> PyResult<(String, String)> {
    let scored = fhir::score_questionnaire_response_detailed(&instrument.inner, text).py(py)?;
    Ok((scored.report.to_json(), serde_json::to_string(&scored.stored_totals).unwrap_or_default()))
}

/// Export one scored scale of a report (JSON) as a FHIR `Observation` (JSON text).
///
/// The report crosses from Python, so it is verified against the instrument first
/// (`evidence.*` errors): an edited report is never exported.
#[pyfunction]
pub fn export_observation(
    py: Python<'_>,
    instrument: &NativeInstrument,
    report_json: &str,
    scale_id: &str,
    subject: &str,
    effective: &str,
) -> PyResult<String> {
    let report = parse_report(report_json).py(py)?;
    instrument.inner.verify_report(&report).py(py)?;
    let obs = fhir::export_observation(&instrument.inner, &report, scale_id, subject, effective).py(py)?;
    Ok(obs.to_string())
}
