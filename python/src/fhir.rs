//! HL7 FHIR R4: Questionnaire import, QuestionnaireResponse scoring, Observation export.

use crate::error::IntoPyResult;
use crate::instrument::NativeInstrument;
use changkaixin_core::{fhir, Error, ErrorCode, ScoreReport};
use pyo3::prelude::*;

/// Import a FHIR `Questionnaire` (JSON text) into an instrument spec skeleton (JSON text).
#[pyfunction]
pub fn import_questionnaire(py: Python<'_>, text: &str) -> PyResult<String> {
    let spec = fhir::import_questionnaire(text).py(py)?;
    Ok(serde_json::to_string(&spec).unwrap_or_default())
}

/// Score a `QuestionnaireResponse` (JSON text) against an instrument; returns the report JSON.
#[pyfunction]
pub fn score_questionnaire_response(py: Python<'_>, instrument: &NativeInstrument, text: &str) -> PyResult<String> {
    Ok(fhir::score_questionnaire_response(&instrument.inner, text).py(py)?.to_json())
}

/// Export one scored scale of a report (canonical report JSON) as a FHIR `Observation` (JSON text).
#[pyfunction]
pub fn export_observation(
    py: Python<'_>,
    instrument: &NativeInstrument,
    report_json: &str,
    scale_id: &str,
    subject: &str,
    effective: &str,
) -> PyResult<String> {
    let report: ScoreReport = serde_json::from_str(report_json)
        .map_err(|e| Error::new(ErrorCode::ResponseParse, "report", format!("not a changkaixin score report: {e}")))
        .py(py)?;
    let obs = fhir::export_observation(&instrument.inner, &report, scale_id, subject, effective).py(py)?;
    Ok(obs.to_string())
}
