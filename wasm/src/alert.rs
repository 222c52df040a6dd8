//! Alert tiers (the Changzhou three-level warning system): policy, one student, a batch.

use crate::error::{js, to_js as err_to_js};
use crate::json::{to_js, Input};
use crate::types::*;
use changkaixin_core::alert::{self, CompiledPolicy, StudentEvidence, Timestamp};
use changkaixin_core::ErrorCode;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// A linted, compiled alert policy, ready to evaluate evidence.
///
/// ```ts
/// const policy = AlertPolicy.changzhouDefault();
/// const decision = policy.evaluate({ student: "s-1", screenings: [{ at, report }] }, at);
/// ```
#[wasm_bindgen]
#[derive(Clone, Debug)]
pub struct AlertPolicy {
    inner: CompiledPolicy,
}

fn evidence_of(v: &JsValue) -> Result<StudentEvidence, JsValue> {
    Input::object(v, ErrorCode::EvidenceInvalid)?.run(StudentEvidence::from_json)
}

#[wasm_bindgen]
impl AlertPolicy {
    /// The built-in Changzhou default policy (linted against the built-in catalog).
    #[wasm_bindgen(js_name = changzhouDefault)]
    pub fn changzhou_default() -> Result<AlertPolicy, JsValue> {
        js(crate::data::changzhou_default()).map(|p| AlertPolicy { inner: p.clone() })
    }

    /// Parse, lint and compile a policy document (object or JSON text) against the built-in catalog.
    #[wasm_bindgen(js_name = fromJson)]
    pub fn from_json(policy: AlertPolicyInput) -> Result<AlertPolicy, JsValue> {
        let input = Input::object_or_text(&policy, ErrorCode::PolicyParse)?;
        input
            .run(|text| CompiledPolicy::from_json(text, crate::data::catalog()))
            .map(|inner| AlertPolicy { inner })
    }

    /// Lint a policy document against the built-in catalog: every problem as a `ChangkaixinError` (empty = clean).
    #[wasm_bindgen(unchecked_return_type = "ChangkaixinError[]")]
    pub fn lint(policy: AlertPolicyInput) -> Result<js_sys::Array, JsValue> {
        let doc = Input::object_or_text(&policy, ErrorCode::PolicyParse)?.run(alert::AlertPolicy::from_json)?;
        Ok(doc.lint_against(crate::data::catalog()).iter().map(err_to_js).collect())
    }

    /// Policy id.
    #[wasm_bindgen(getter)]
    pub fn id(&self) -> String {
        self.inner.id().to_owned()
    }

    /// Policy version.
    #[wasm_bindgen(getter)]
    pub fn version(&self) -> String {
        self.inner.version().to_owned()
    }

    /// The policy document as written.
    #[wasm_bindgen(unchecked_return_type = "AlertPolicyDocument")]
    pub fn document(&self) -> Result<JsValue, JsValue> {
        to_js(self.inner.policy())
    }

    /// Evaluate one student's evidence at time `at` (RFC 3339): the proposed tier with every
    /// rule that fired, actions and notifications with due times, and a summary.
    pub fn evaluate(&self, evidence: StudentEvidenceJs, at: &str) -> Result<AlertDecisionJs, JsValue> {
        let at = js(Timestamp::parse(at))?;
        let evidence = evidence_of(&evidence)?;
        let decision = js(alert::evaluate(&self.inner, &evidence, at))?;
        Ok(to_js(&decision)?.unchecked_into())
    }

    /// Evaluate many students at once: a tier per row, tier counts and overdue obligations.
    #[wasm_bindgen(js_name = evaluateBatch)]
    pub fn evaluate_batch(&self, students: StudentEvidenceList, at: &str) -> Result<BatchDecisionsJs, JsValue> {
        let at = js(Timestamp::parse(at))?;
        let students: Vec<StudentEvidence> = Input::object(&students, ErrorCode::EvidenceInvalid)?.parse(ErrorCode::EvidenceInvalid)?;
        let out = alert::evaluate_batch(&self.inner, &students, at);
        Ok(to_js(&out)?.unchecked_into())
    }
}
