//! HL7 FHIR R4: Questionnaire import, QuestionnaireResponse scoring, Observation export.

use crate::error::js;
use crate::instrument::Instrument;
use crate::json::{stringify, text_of, to_js};
use crate::types::*;
use changkaixin_core::{fhir, ErrorCode, ScoreReport};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// Import a FHIR R4 `Questionnaire` (object or JSON text) into an instrument spec skeleton.
#[wasm_bindgen(js_name = importQuestionnaire, unchecked_return_type = "InstrumentSpec")]
pub fn import_questionnaire(questionnaire: FhirInput) -> Result<JsValue, JsValue> {
    let text = text_of(&questionnaire, ErrorCode::FhirParse)?;
    to_js(&js(fhir::import_questionnaire(&text))?)
}

#[wasm_bindgen]
impl Instrument {
    /// Score a FHIR `QuestionnaireResponse` (object or JSON text) by linkId.
    #[wasm_bindgen(js_name = scoreQuestionnaireResponse)]
    pub fn score_questionnaire_response(&self, questionnaire_response: FhirInput) -> Result<ScoreReportJs, JsValue> {
        let text = text_of(&questionnaire_response, ErrorCode::FhirParse)?;
        let report = js(fhir::score_questionnaire_response(&self.inner, &text))?;
        Ok(to_js(&report)?.unchecked_into())
    }

    /// The [`Response`](changkaixin_core::Response) a FHIR `QuestionnaireResponse` amounts to.
    #[wasm_bindgen(js_name = responseFromQuestionnaireResponse)]
    pub fn response_from_questionnaire_response(&self, questionnaire_response: FhirInput) -> Result<ResponseJs, JsValue> {
        let text = text_of(&questionnaire_response, ErrorCode::FhirParse)?;
        let response = js(fhir::response_from_questionnaire_response(&self.inner, &text))?;
        Ok(to_js(&response)?.unchecked_into())
    }

    /// Export one scored scale of a report as a FHIR `Observation`.
    #[wasm_bindgen(js_name = exportObservation)]
    pub fn export_observation(&self, report: ScoreReportJs, scale_id: &str, subject: &str, effective: &str) -> Result<FhirObservationJs, JsValue> {
        let text = stringify(&report, ErrorCode::ResponseParse)?;
        let report: ScoreReport = serde_json::from_str(&text).map_err(|e| {
            crate::error::to_js(&changkaixin_core::Error::new(
                ErrorCode::ResponseParse,
                "/report",
                format!("not a ScoreReport: {e}"),
            ))
        })?;
        let obs = js(fhir::export_observation(&self.inner, &report, scale_id, subject, effective))?;
        Ok(to_js(&obs)?.unchecked_into())
    }
}
