//! TypeScript declarations of the core's data shapes, and the opaque JS types that
//! carry them across the boundary (so the generated `.d.ts` has real types, no `any`).

use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = include_str!("types.d.ts");

#[wasm_bindgen]
extern "C" {
    /// `InstrumentSpec | string` (a spec object or its JSON text).
    #[wasm_bindgen(typescript_type = "InstrumentSpec | string")]
    pub type SpecInput;
    /// `InstrumentSpec`
    #[wasm_bindgen(typescript_type = "InstrumentSpec")]
    pub type SpecOut;
    /// `Settings`
    #[wasm_bindgen(typescript_type = "Settings")]
    pub type SettingsJs;
    /// `Response`
    #[wasm_bindgen(typescript_type = "Response")]
    pub type ResponseJs;
    /// `Answer[]`
    #[wasm_bindgen(typescript_type = "Answer[]")]
    pub type AnswerList;
    /// `CodeMapSpec | string`
    #[wasm_bindgen(typescript_type = "CodeMapSpec | string")]
    pub type CodeMapInput;
    /// `ScoreReport`
    #[wasm_bindgen(typescript_type = "ScoreReport")]
    pub type ScoreReportJs;
    /// `ScoreSummary`
    #[wasm_bindgen(typescript_type = "ScoreSummary")]
    pub type ScoreSummaryJs;
    /// `CodeBuffer`
    #[wasm_bindgen(typescript_type = "CodeBuffer")]
    pub type CodeBufferJs;
    /// `BatchOptions`
    #[wasm_bindgen(typescript_type = "BatchOptions")]
    pub type BatchOptionsJs;
    /// `BatchColumns`
    #[wasm_bindgen(typescript_type = "BatchColumns")]
    pub type BatchColumnsJs;
    /// `CompactBatchColumns`
    #[cfg(feature = "compact")]
    #[wasm_bindgen(typescript_type = "CompactBatchColumns")]
    pub type CompactBatchColumnsJs;
    /// `FhirResource | string`
    #[wasm_bindgen(typescript_type = "FhirResource | string")]
    pub type FhirInput;
    /// `ScoredQuestionnaireResponse`
    #[wasm_bindgen(typescript_type = "ScoredQuestionnaireResponse")]
    pub type ScoredQuestionnaireResponseJs;
    /// `FhirObservation`
    #[wasm_bindgen(typescript_type = "FhirObservation")]
    pub type FhirObservationJs;
    /// `string[]`
    #[wasm_bindgen(typescript_type = "string[]")]
    pub type StringList;
    /// `ErrorCode[]`
    #[wasm_bindgen(typescript_type = "ErrorCode[]")]
    pub type ErrorCodeList;
    /// `AlertPolicyDocument | string`
    #[wasm_bindgen(typescript_type = "AlertPolicyDocument | string")]
    pub type AlertPolicyInput;
    /// `StudentEvidence`
    #[wasm_bindgen(typescript_type = "StudentEvidence")]
    pub type StudentEvidenceJs;
    /// `StudentEvidence[]`
    #[wasm_bindgen(typescript_type = "StudentEvidence[]")]
    pub type StudentEvidenceList;
    /// `AlertDecision`
    #[wasm_bindgen(typescript_type = "AlertDecision")]
    pub type AlertDecisionJs;
    /// `BatchDecisions`
    #[wasm_bindgen(typescript_type = "BatchDecisions")]
    pub type BatchDecisionsJs;
}
