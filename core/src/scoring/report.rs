//! Inputs and outputs of scoring: [`Response`] in, [`ScoreReport`] out.
//!
//! Both are stable, documented serde shapes (see `docs/score-report.md`); every
//! binding and every golden vector uses them. Decimals are strings.

use crate::decimal::Dec;
use crate::instrument::spec::{FlagLevel, Localized, Severity, ValidityVerdict};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Answer {
    /// The option code chosen.
    Code(i64),
    /// No answer (skipped, not shown). Serialised as `null`.
    Missing,
    /// The respondent declined to answer. Serialised as `"refused"`.
    Refused,
}

impl Serialize for Answer {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Answer::Code(c) => s.serialize_i64(*c),
            Answer::Missing => s.serialize_none(),
            Answer::Refused => s.serialize_str("refused"),
        }
    }
}

impl<'de> Deserialize<'de> for Answer {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Answer;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an integer option code, null (missing) or \"refused\"")
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Answer, E> {
                Ok(Answer::Code(v))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Answer, E> {
                i64::try_from(v).map(Answer::Code).map_err(|_| E::custom("code too large"))
            }
            fn visit_unit<E: serde::de::Error>(self) -> Result<Answer, E> {
                Ok(Answer::Missing)
            }
            fn visit_none<E: serde::de::Error>(self) -> Result<Answer, E> {
                Ok(Answer::Missing)
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Answer, E> {
                match v {
                    "refused" => Ok(Answer::Refused),
                    "missing" => Ok(Answer::Missing),
                    other => Err(E::custom(format!("expected a code, null or \"refused\", got {}", crate::error::excerpt(other)))),
                }
            }
        }
        d.deserialize_any(V)
    }
}

/// A respondent's answers to one instrument.
///
/// `answers` is keyed by item number (`"9"`) or item id (`"phq9_9"`); items not
/// present are missing. `started_at`/`finished_at` are RFC 3339 timestamps used
/// only for completion-time validity rules; `group` carries norm group keys
/// (e.g. `{"grade": "7", "sex": "F"}`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Response {
    /// Answers by item number or item id.
    #[serde(default)]
    pub answers: BTreeMap<String, Answer>,
    /// When the respondent started (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    /// When the respondent finished (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<String>,
    /// Norm group keys.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub group: BTreeMap<String, String>,
}

impl Response {
    /// A response from answers in item order (`None` = missing). The list length must equal the item count.
    pub fn from_codes(codes: &[Option<i64>]) -> Response {
        let answers = codes
            .iter()
            .enumerate()
            .map(|(i, c)| ((i + 1).to_string(), c.map_or(Answer::Missing, Answer::Code)))
            .collect();
        Response {
            answers,
            ..Response::default()
        }
    }
    /// Parse the JSON form.
    pub fn from_json(json: &str) -> crate::Result<Response> {
        serde_json::from_str(json).map_err(|e| crate::Error::from_json(crate::ErrorCode::ResponseParse, &e))
    }
}

/// The result of scoring one response.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScoreReport {
    /// Which instrument, version and settings produced this report.
    pub instrument: InstrumentRef,
    /// Validity verdict with reasons.
    pub validity: Validity,
    /// Items answered / missing / refused (scored and unscored items alike).
    pub items: ItemCounts,
    /// Completion time in whole seconds, when both times were given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_seconds: Option<i64>,
    /// Every scale, in spec order.
    pub scales: Vec<ScaleResult>,
    /// Flags that fired, in spec order.
    pub flags: Vec<FlagResult>,
    /// The overall screen-positive verdict, where the instrument defines one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub screen_positive: Option<ScreenPositiveResult>,
}

impl ScoreReport {
    /// The scale with this id.
    pub fn scale(&self, id: &str) -> Option<&ScaleResult> {
        self.scales.iter().find(|s| s.id == id)
    }
    /// Whether the flag with this id fired.
    pub fn has_flag(&self, id: &str) -> bool {
        self.flags.iter().any(|f| f.id == id)
    }
    /// Serialise to canonical JSON (same input, same bytes).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// Identity of the instrument that produced a report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstrumentRef {
    /// Instrument id.
    pub id: String,
    /// Spec version.
    pub version: String,
    /// The setting options in effect (`setting id → option id`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub settings: BTreeMap<String, String>,
}

/// Validity status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ValidityStatus {
    /// Usable.
    Valid,
    /// Some scales could not be scored, or an incompleteness rule fired.
    Incomplete,
    /// A validity rule says the answers should not be trusted.
    Invalid,
}

impl ValidityStatus {
    /// Batch code: 0 valid, 1 incomplete, 2 invalid.
    pub fn code(self) -> u8 {
        match self {
            ValidityStatus::Valid => 0,
            ValidityStatus::Incomplete => 1,
            ValidityStatus::Invalid => 2,
        }
    }
}

/// Validity with reasons.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Validity {
    /// Overall status (the worst verdict among reasons).
    pub status: ValidityStatus,
    /// Why.
    pub reasons: Vec<ValidityReason>,
}

/// One validity reason.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValidityReason {
    /// The rule id (`validity/<id>` for spec rules, `scale/<id>/missing` for unscored scales).
    pub rule: String,
    /// The verdict of this reason.
    pub verdict: ValidityVerdict,
    /// Explanation.
    pub message: Localized,
    /// Source of the rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// Answer counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemCounts {
    /// Items answered with a code.
    pub answered: u32,
    /// Items missing.
    pub missing: u32,
    /// Items refused.
    pub refused: u32,
}

/// One scale's result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScaleResult {
    /// Scale id.
    pub id: String,
    /// Whether the scale could be scored.
    pub scored: bool,
    /// Raw value, rounded to the scale's report decimals (absent if unscored).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw: Option<Dec>,
    /// The exact fraction (`"17/6"`) when `raw` is a rounded display of it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw_exact: Option<String>,
    /// Standard score after norms (equals `raw` when the scale has no norms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<Dec>,
    /// Items (or component scales) answered.
    pub answered: u32,
    /// Items (or component scales) in the scale.
    pub of: u32,
    /// Whether missing data were prorated.
    pub prorated: bool,
    /// The band, if bands are defined and the value falls in one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub band: Option<BandResult>,
    /// Why the scale is unscored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unscored_reason: Option<String>,
}

/// The band a value fell in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BandResult {
    /// Band id.
    pub id: String,
    /// Label.
    pub label: Localized,
    /// Ordinal index (0 = least severe).
    pub index: u32,
    /// Coarse severity.
    pub severity: Severity,
    /// The rule that produced it: `<instrument>/<scale>/bands/<band>`.
    pub rule: String,
    /// The boundaries, e.g. `"10 <= raw <= 14"`.
    pub evidence: String,
    /// Source of the cut-off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// A flag that fired.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlagResult {
    /// Flag id.
    pub id: String,
    /// Level.
    pub level: FlagLevel,
    /// Label.
    pub label: Localized,
    /// Why it matters.
    pub reason: Localized,
    /// Items whose answers made the flag fire.
    pub items: Vec<u32>,
    /// The conditions that held, in words (e.g. `item 9 value 1 >= 1`).
    pub evidence: Vec<String>,
    /// Source of the rule.
    pub source: String,
}

/// Screen-positive verdict.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScreenPositiveResult {
    /// Whether the screen is positive.
    pub positive: bool,
    /// What a positive screen means.
    pub reason: Localized,
    /// Evidence when positive.
    pub evidence: Vec<String>,
    /// Source.
    pub source: String,
}
