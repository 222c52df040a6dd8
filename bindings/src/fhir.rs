//! FHIR R4: score a `QuestionnaireResponse` by linkId, turn it into a typed [`Response`], and export
//! a scored scale as an `Observation`. FHIR resources are JSON documents by nature, so they cross as
//! JSON text; everything the engine computes crosses typed.

use crate::error::{guard, FfiResult};
use crate::instrument::Instrument;
use crate::report::{Response, ScoreReport};
use changkaixin_core::fhir;

#[uniffi::export]
impl Instrument {
    /// Score a FHIR `QuestionnaireResponse` (answers matched by linkId; stored totals are ignored).
    pub fn score_questionnaire_response(&self, json: String) -> FfiResult<ScoreReport> {
        guard(|| Ok(fhir::score_questionnaire_response(&self.inner, &json)?.into()))
    }
    /// The answers of a FHIR `QuestionnaireResponse` as a typed [`Response`].
    pub fn response_from_questionnaire_response(&self, json: String) -> FfiResult<Response> {
        guard(|| Ok(fhir::response_from_questionnaire_response(&self.inner, &json)?.into()))
    }
    /// One scored scale of `report` as a FHIR `Observation` (JSON). `subject` is a reference such as
    /// `Patient/pseudonym-123`, `effective` an RFC 3339 time.
    pub fn export_observation(&self, report: ScoreReport, scale_id: String, subject: String, effective: String) -> FfiResult<String> {
        guard(|| Ok(fhir::export_observation(&self.inner, &report.into(), &scale_id, &subject, &effective)?.to_string()))
    }
}
