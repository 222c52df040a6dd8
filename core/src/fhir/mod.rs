//! HL7 FHIR R4 (and R5 item types) interoperability, as FHIR is found in the wild.
//!
//! * [`import_questionnaire`]: a `Questionnaire` (LHC-Forms, the HL7 SDC examples, form builders)
//!   into an instrument skeleton: items, options with their codings, and a `total` sum scale over
//!   the items that carry scores. Bands, flags and citations are for the author to add.
//! * [`bind_questionnaire`]: the same import, paired item by item and weight by value with an
//!   existing instrument (e.g. the built-in `phq9`), so responses to that Questionnaire get the
//!   instrument's bands, flags and screen rules; anything that does not line up is an error.
//! * [`score_questionnaire_response`] / [`score_questionnaire_response_detailed`]: score a
//!   `QuestionnaireResponse` against an instrument by linkId. A stored total (a calculated item,
//!   or the total's LOINC code) is **never used**: the engine recomputes every scale, and the
//!   detailed form reports each stored value next to the recomputed one ([`StoredTotal`]).
//! * [`export_observation`]: a scored scale as an `Observation` (LOINC code where the spec names
//!   one, e.g. 44261-6 for the PHQ-9 total).
//!
//! ## What carries a score
//! Exactly what SDC's own `weight()`/`ordinal()` FHIRPath sums, so the recomputed total is the
//! one the questionnaire's `calculatedExpression` describes:
//! * `choice` / `coding` / `open-choice` items whose options carry a weight: the
//!   `itemWeight` extension (formerly `ordinalValue`; the STU3 `questionnaire-ordinalValue`,
//!   `valueset-ordinalValue` and `iso21090-CO-value` are read too) on `answerOption`, on
//!   `answerOption.valueCoding`, on a contained `ValueSet`'s `compose.include.concept` or
//!   `expansion.contains` (extension or `property`), or on a contained `CodeSystem` concept
//!   (extension or `itemWeight` property). Weights found in two places must agree.
//! * `integer` / `decimal` / `quantity` input items whose unit is `{score}`
//!   (`questionnaire-unit` / `questionnaire-unitOption`), bounded by `minValue`/`maxValue`
//!   (or SDC `minQuantity`/`maxQuantity`). They are answered with `valueInteger`,
//!   `valueDecimal` or `valueQuantity`; the value must be an exact integer in range.
//!
//! Weights, numeric answers and stored totals are read from the JSON text (a strict reader that
//! keeps number literals, nesting bounded by [`MAX_JSON_DEPTH`]), never through `f64`.
//! A weight or answer that is not an exact integer is an error, not rounded.
//!
//! ## What is skipped, and what is refused
//! * `group` items are descended into; `display` items are skipped.
//! * Computed items (`calculatedExpression`, `cqf-expression`, `cqf-calculatedValue`, or
//!   `readOnly`) are listed in `calculated_link_ids`; a single computed numeric item is the
//!   stored total of `total` (`calculated_scales`).
//! * Items that carry no score (`string`, `text`, `boolean`, `date`, `dateTime`, `time`, `url`,
//!   `attachment`, `reference`, numeric items without a `{score}` unit, unweighted multi-select
//!   or nested choice items) are listed in `ignored_link_ids`; their answers are not read.
//! * Unweighted single-choice items (the PHQ-9 difficulty item) become unscored items.
//! * Refused with typed errors (codes `fhir.*`, JSON-pointer paths): a scored item that is
//!   conditional (`enableWhen`/`enableWhenExpression`, on it or on a group around it), that
//!   repeats, or that is nested under a question item; options that cannot be resolved offline;
//!   malformed, fractional or conflicting weights; scored numeric items without bounds; in a
//!   response: several answers to one item, an item answered twice, an answer type the item does
//!   not take, a numeric answer that is not an exact option value, an `entered-in-error` response.

mod bind;
mod import;
pub(crate) mod json;
mod response;

use crate::decimal::Dec;
use crate::error::{Error, ErrorCode, Result};
use crate::instrument::spec::Coding;
use crate::instrument::Instrument;
use crate::scoring::report::{Response, ScoreReport};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

pub use bind::bind_questionnaire;
pub use import::{import_questionnaire, MAX_OPTIONS};
pub use json::MAX_DEPTH as MAX_JSON_DEPTH;

/// At most this many characters of an input value are echoed in an error message.
const ECHO_CHARS: usize = 40;

/// A short, quoted-safe prefix of an input value for messages (inputs may be huge or personal).
pub(crate) fn short(s: &str) -> String {
    if s.chars().count() <= ECHO_CHARS {
        s.to_owned()
    } else {
        let mut out: String = s.chars().take(ECHO_CHARS).collect();
        out.push('…');
        out
    }
}

fn perr(path: impl Into<String>, msg: impl Into<String>) -> Error {
    Error::new(ErrorCode::FhirParse, path, msg)
}

/// Parse a FHIR resource of the given type.
fn parse_resource(text: &str, kind: &str) -> Result<json::J> {
    let v = json::parse(text)?;
    if v.as_object().is_none() {
        return Err(perr("", format!("expected a {kind} resource (a JSON object), found {}", v.kind())));
    }
    match v.str_at("resourceType") {
        Some(k) if k == kind => Ok(v),
        Some(other) => Err(perr("/resourceType", format!("expected a {kind}, found {:?}", short(other)))),
        None => Err(perr("/resourceType", format!("expected a {kind}, found no resourceType"))),
    }
}

/// A FHIR `Coding` from a JSON object (`code` required).
fn coding_of(v: &json::J) -> Option<Coding> {
    Some(Coding {
        system: v.str_at("system").map(str::to_owned),
        code: v.str_at("code")?.to_owned(),
        display: v.str_at("display").map(str::to_owned),
    })
}

/// How a stored total compares with the engine's recomputed value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StoredTotalStatus {
    /// The stored value equals the recomputed scale value.
    Agrees,
    /// The stored value differs from the recomputed scale value (the recomputed one is used).
    Disagrees,
    /// Nothing to compare: the stored value is not a readable number, the item is not linked to a
    /// scale, or the scale could not be scored.
    NotCompared,
}

/// A total stored in a `QuestionnaireResponse` (a calculated item's answer), reported next to the
/// value the engine recomputed. It is never used for scoring.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoredTotal {
    /// The computed item's linkId.
    pub link_id: String,
    /// JSON pointer of the stored answer in the QuestionnaireResponse.
    pub path: String,
    /// The scale the item claims to hold, where the instrument links it to one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale: Option<String>,
    /// The stored value exactly as written (absent when it is not a readable number).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stored: Option<Dec>,
    /// The engine's value of `scale` (its reported `raw`), when scored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recomputed: Option<Dec>,
    /// The comparison.
    pub status: StoredTotalStatus,
}

/// A scored `QuestionnaireResponse`: the report, and what the response claimed its totals were.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScoredQuestionnaireResponse {
    /// The engine's report (stored totals play no part in it).
    pub report: ScoreReport,
    /// Every stored total found, in document order.
    pub stored_totals: Vec<StoredTotal>,
}

/// Turn a `QuestionnaireResponse` into a [`Response`] for `instrument` (by linkId).
///
/// Stored totals are skipped; `authored` becomes `finished_at`.
pub fn response_from_questionnaire_response(instrument: &Instrument, json: &str) -> Result<Response> {
    response::read(instrument, json).map(|r| r.response)
}

/// Score a `QuestionnaireResponse` against an instrument (stored totals are never used).
///
/// ```
/// use changkaixin_core::{fhir, Instrument};
/// let q = include_str!("../../../tests/fixtures/fhir/sdc_phq9_questionnaire_hl7-sdc.json");
/// let qr = include_str!("../../../tests/fixtures/fhir/sdc_phq9_response_hl7-sdc.json");
/// let inst = Instrument::from_spec(fhir::import_questionnaire(q).unwrap()).unwrap();
/// let scored = fhir::score_questionnaire_response_detailed(&inst, qr).unwrap();
/// // The HL7 example stores a total of 13; its answers add up to 10.
/// assert_eq!(scored.report.scale("total").unwrap().raw.unwrap().to_string(), "10");
/// assert_eq!(scored.stored_totals[0].stored.unwrap().to_string(), "13");
/// assert_eq!(scored.stored_totals[0].status, fhir::StoredTotalStatus::Disagrees);
/// ```
pub fn score_questionnaire_response(instrument: &Instrument, json: &str) -> Result<ScoreReport> {
    score_questionnaire_response_detailed(instrument, json).map(|s| s.report)
}

/// Score a `QuestionnaireResponse` and report each stored total against the recomputed scale.
pub fn score_questionnaire_response_detailed(instrument: &Instrument, json: &str) -> Result<ScoredQuestionnaireResponse> {
    let read = response::read(instrument, json)?;
    let mut resp = read.response;
    resp.finished_at = None; // `authored` alone gives no completion time
    let report = instrument.score(&resp)?;
    let stored_totals = read
        .stored
        .into_iter()
        .map(|mut s| {
            s.recomputed = s.scale.as_deref().and_then(|id| report.scale(id)).and_then(|r| r.raw);
            s.status = match (s.stored, s.recomputed) {
                (Some(a), Some(b)) if a.0 == b.0 => StoredTotalStatus::Agrees,
                (Some(_), Some(_)) => StoredTotalStatus::Disagrees,
                _ => StoredTotalStatus::NotCompared,
            };
            s
        })
        .collect();
    Ok(ScoredQuestionnaireResponse { report, stored_totals })
}

/// Export one scored scale as a FHIR `Observation` (JSON value).
///
/// `subject` is a reference such as `Patient/pseudonym-123`; `effective` an RFC 3339 time.
/// The code is the spec's observation code for that scale (LOINC where known).
pub fn export_observation(instrument: &Instrument, report: &ScoreReport, scale_id: &str, subject: &str, effective: &str) -> Result<Value> {
    let spec = instrument.spec();
    let scale = report.scale(scale_id).ok_or_else(|| {
        Error::new(
            ErrorCode::SpecUnknownScale,
            format!("/scales/{}", crate::error::excerpt_raw(scale_id)),
            format!("the report has no scale {}", crate::error::excerpt(scale_id)),
        )
    })?;
    let raw = scale.raw.ok_or_else(|| {
        Error::new(
            ErrorCode::FhirUnsupported,
            format!("/scales/{scale_id}"),
            "the scale is not scored; nothing to export",
        )
    })?;
    let code = spec.fhir.as_ref().and_then(|f| f.observation_codes.get(scale_id)).cloned().unwrap_or(Coding {
        system: Some("urn:changkaixin:scale".to_owned()),
        code: format!("{}/{}", spec.id, scale_id),
        display: spec
            .scales
            .iter()
            .find(|s| s.id == scale_id)
            .and_then(|s| s.name.en.clone().or_else(|| s.name.zh.clone())),
    });
    let mut obs = Map::new();
    obs.insert("resourceType".into(), json!("Observation"));
    obs.insert("status".into(), json!("final"));
    obs.insert(
        "category".into(),
        json!([{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "survey"}]}]),
    );
    obs.insert("code".into(), json!({"coding": [serde_json::to_value(&code).unwrap_or(Value::Null)]}));
    obs.insert("subject".into(), json!({"reference": subject}));
    obs.insert("effectiveDateTime".into(), json!(effective));
    if raw.0.scale() == 0 {
        let v = i64::try_from(raw.0.mantissa()).map_err(|_| Error::new(ErrorCode::FhirUnsupported, "/value", "value out of range"))?;
        obs.insert("valueInteger".into(), json!(v));
    } else {
        // FHIR decimals are JSON numbers; keep exactness by writing the decimal literally.
        let n: serde_json::Number =
            serde_json::from_str(&Dec::to_string(&raw)).map_err(|_| Error::new(ErrorCode::FhirUnsupported, "/value", "value is not a JSON number"))?;
        obs.insert(
            "valueQuantity".into(),
            json!({"value": n, "unit": "{score}", "system": "http://unitsofmeasure.org", "code": "{score}"}),
        );
    }
    if let Some(b) = &scale.band {
        obs.insert(
            "interpretation".into(),
            json!([{"coding": [{"system": "urn:changkaixin:band", "code": b.rule}], "text": b.label.en.clone().or_else(|| b.label.zh.clone())}]),
        );
    }
    obs.insert(
        "method".into(),
        json!({"text": format!("changkaixin {} {} ({})", report.instrument.id, report.instrument.version, report.instrument.settings.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(","))}),
    );
    Ok(Value::Object(obs))
}
