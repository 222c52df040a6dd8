//! HL7 FHIR R4: Questionnaire import, QuestionnaireResponse scoring, Observation export.

use crate::error::js;
use crate::instrument::Instrument;
use crate::json::{to_js, Input};
use crate::types::*;
use changkaixin_core::{fhir, ErrorCode, ScoreReport};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// Import a FHIR R4 `Questionnaire` (object or JSON text) into an instrument spec skeleton.
#[wasm_bindgen(js_name = importQuestionnaire, unchecked_return_type = "InstrumentSpec")]
pub fn import_questionnaire(questionnaire: FhirInput) -> Result<JsValue, JsValue> {
    let input = Input::object_or_text(&questionnaire, ErrorCode::FhirParse)?;
    to_js(&input.run(fhir::import_questionnaire)?)
}

#[wasm_bindgen]
impl Instrument {
    /// Score a FHIR `QuestionnaireResponse` (object or JSON text) by linkId.
    #[wasm_bindgen(js_name = scoreQuestionnaireResponse)]
    pub fn score_questionnaire_response(&self, questionnaire_response: FhirInput) -> Result<ScoreReportJs, JsValue> {
        let input = Input::object_or_text(&questionnaire_response, ErrorCode::FhirParse)?;
        let report = input.run(|text| fhir::score_questionnaire_response(&self.inner, text))?;
        Ok(to_js(&report)?.unchecked_into())
    }

    /// Score a FHIR `QuestionnaireResponse` and report every total it stores beside the engine's
    /// value (`agrees` / `disagrees` / `not_compared`): stored totals are never scoring input.
    /// Pass the JSON **text** to keep decimals exact (`"12.50"`); a parsed object has lost them.
    #[wasm_bindgen(js_name = scoreQuestionnaireResponseDetailed)]
    pub fn score_questionnaire_response_detailed(
        &self,
        #[wasm_bindgen(js_name = questionnaireResponse)] questionnaire_response: FhirInput,
    ) -> Result<ScoredQuestionnaireResponseJs, JsValue> {
        let input = Input::object_or_text(&questionnaire_response, ErrorCode::FhirParse)?;
        let scored = input.run(|text| fhir::score_questionnaire_response_detailed(&self.inner, text))?;
        Ok(to_js(&scored)?.unchecked_into())
    }

    /// This built-in instrument bound to a FHIR `Questionnaire` that asks it (items by code or
    /// order, options by weight = scored value), so responses to that form get this instrument's
    /// bands and flags. `fhir.incompatible` (with a path) when the form does not match.
    #[wasm_bindgen(js_name = bindQuestionnaire)]
    pub fn bind_questionnaire(&self, questionnaire: FhirInput) -> Result<Instrument, JsValue> {
        let input = Input::object_or_text(&questionnaire, ErrorCode::FhirParse)?;
        input.run(|text| fhir::bind_questionnaire(&self.inner, text)).map(Instrument::new)
    }

    /// The [`Response`](changkaixin_core::Response) a FHIR `QuestionnaireResponse` amounts to.
    #[wasm_bindgen(js_name = responseFromQuestionnaireResponse)]
    pub fn response_from_questionnaire_response(&self, questionnaire_response: FhirInput) -> Result<ResponseJs, JsValue> {
        let input = Input::object_or_text(&questionnaire_response, ErrorCode::FhirParse)?;
        let response = input.run(|text| fhir::response_from_questionnaire_response(&self.inner, text))?;
        Ok(to_js(&response)?.unchecked_into())
    }

    /// Export one scored scale of a report as a FHIR `Observation`. The report is verified
    /// against this instrument first (`evidence.*` errors with a path into the report).
    #[wasm_bindgen(js_name = exportObservation)]
    pub fn export_observation(&self, report: ScoreReportJs, scale_id: &str, subject: &str, effective: &str) -> Result<FhirObservationJs, JsValue> {
        let report: ScoreReport = Input::object(&report, ErrorCode::ResponseParse)?.parse(ErrorCode::ResponseParse)?;
        // A report from JS is data, not trusted: it must be one this instrument could have produced.
        js(self.inner.verify_report(&report))?;
        let obs = js(fhir::export_observation(&self.inner, &report, scale_id, subject, effective))?;
        Ok(to_js(&obs)?.unchecked_into())
    }
}
