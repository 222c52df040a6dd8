//! FHIR R4: import a `Questionnaire` (as a spec, or bound to a catalog instrument), score a
//! `QuestionnaireResponse` by linkId (with the stored totals it carried, never used for scoring),
//! turn it into a typed [`Response`], and export a scored scale as an `Observation`. FHIR resources
//! are JSON documents by nature, so they cross as JSON text (pass the file's text unchanged: the core
//! reads FHIR decimals from their literal text); everything the engine computes crosses typed.

use crate::error::{guard, FfiResult};
use crate::instrument::Instrument;
use crate::report::{Response, ScoreReport};
use changkaixin_core::decimal::Dec;
use changkaixin_core::fhir::{self, StoredTotalStatus};
use std::sync::Arc;

/// How a stored total compares with the engine's recomputed value.
#[uniffi::remote(Enum)]
pub enum StoredTotalStatus {
    /// The stored value equals the recomputed scale value.
    Agrees,
    /// The stored value differs (the recomputed one is used).
    Disagrees,
    /// Nothing to compare (unreadable value, no linked scale, or the scale is unscored).
    NotCompared,
}

/// A total stored in a `QuestionnaireResponse`, next to the value the engine recomputed (core
/// `StoredTotal`). It is never used for scoring.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct StoredTotal {
    /// The computed item's linkId.
    pub link_id: String,
    /// JSON pointer of the stored answer in the QuestionnaireResponse.
    pub path: String,
    /// The scale the item claims to hold, where the instrument links it to one.
    pub scale: Option<String>,
    /// The stored value exactly as written (absent when it is not a readable number).
    pub stored: Option<Dec>,
    /// The engine's value of `scale` (its reported `raw`), when scored.
    pub recomputed: Option<Dec>,
    pub status: StoredTotalStatus,
}

/// A scored `QuestionnaireResponse` (core `ScoredQuestionnaireResponse`).
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct ScoredQuestionnaireResponse {
    /// The engine's report (stored totals play no part in it).
    pub report: ScoreReport,
    /// Every stored total found, in document order.
    pub stored_totals: Vec<StoredTotal>,
}

/// Import a FHIR `Questionnaire` as an instrument spec skeleton (items, options with codings, a
/// `total` sum scale), returned as the spec's JSON (`changkaixin.instrument/1`, the same format as
/// `Instrument.specJson()`); compile it with `Instrument.fromJson`. Unsupported constructs are
/// `Fhir` errors with a JSON-pointer path.
#[uniffi::export]
pub fn import_questionnaire(json: String) -> FfiResult<String> {
    guard(|| {
        let spec = fhir::import_questionnaire(&json)?;
        serde_json::to_string(&spec)
            .map_err(|e| changkaixin_core::Error::new(changkaixin_core::ErrorCode::SpecParse, "", format!("cannot write the spec: {e}")).into())
    })
}

#[uniffi::export]
impl Instrument {
    /// Pair a FHIR `Questionnaire` with this instrument (items by code or order, options by weight =
    /// scored value), so responses to that Questionnaire get this instrument's bands, flags and
    /// screen rules; anything that does not line up is `fhir.incompatible`.
    pub fn bind_questionnaire(&self, json: String) -> FfiResult<Arc<Instrument>> {
        guard(|| Ok(Instrument::wrap(fhir::bind_questionnaire(&self.inner, &json)?)))
    }
    /// Score a FHIR `QuestionnaireResponse` (answers matched by linkId; stored totals are ignored).
    pub fn score_questionnaire_response(&self, json: String) -> FfiResult<ScoreReport> {
        guard(|| Ok(fhir::score_questionnaire_response(&self.inner, &json)?.into()))
    }
    /// Score a FHIR `QuestionnaireResponse` and report each stored total next to the recomputed scale.
    pub fn score_questionnaire_response_detailed(&self, json: String) -> FfiResult<ScoredQuestionnaireResponse> {
        guard(|| {
            let s = fhir::score_questionnaire_response_detailed(&self.inner, &json)?;
            Ok(ScoredQuestionnaireResponse {
                report: s.report.into(),
                stored_totals: s
                    .stored_totals
                    .into_iter()
                    .map(|t| StoredTotal {
                        link_id: t.link_id,
                        path: t.path,
                        scale: t.scale,
                        stored: t.stored,
                        recomputed: t.recomputed,
                        status: t.status,
                    })
                    .collect(),
            })
        })
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
