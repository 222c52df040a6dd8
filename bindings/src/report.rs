//! Scoring inputs and outputs as UniFFI records: mirrors of `changkaixin_core::scoring::report`
//! with `From` conversions both ways (so a report handed back from Kotlin/Swift turns into the core
//! type again, e.g. for [`ScoreReport::to_json`] or FHIR export). Field names and meanings are the
//! core's (`docs/score-report.md`); maps are `HashMap` because that is what UniFFI carries.

use crate::error::{ChangkaixinError, FfiResult};
use changkaixin_core::decimal::Dec;
use changkaixin_core::instrument::spec::{FlagLevel, Localized, Severity, ValidityVerdict};
use changkaixin_core::scoring::report::{self as core, Verdict};
use changkaixin_core::ValidityStatus;
use std::collections::{BTreeMap, HashMap};

// Exact decimals cross as strings: Kotlin and Swift see `typealias Dec = String` ("2.50", "17").
uniffi::custom_type!(Dec, String, {
    remote,
    lower: |d| d.to_string(),
    try_lift: |s| s.parse::<Dec>().map_err(|why| {
        uniffi::deps::anyhow::Error::new(ChangkaixinError::Spec {
            code: changkaixin_core::ErrorCode::SpecInvalidValue.as_str().to_owned(),
            path: "decimal".to_owned(),
            item: None,
            row: None,
            detail: why,
        })
    }),
});

/// Text in the platform's locales (Simplified Chinese and English).
#[uniffi::remote(Record)]
pub struct Localized {
    pub zh: Option<String>,
    pub en: Option<String>,
}

/// Coarse cross-instrument severity of a band.
#[uniffi::remote(Enum)]
pub enum Severity {
    None,
    Mild,
    Moderate,
    High,
    Severe,
}

/// Flag levels (`critical` = same-day follow-up).
#[uniffi::remote(Enum)]
pub enum FlagLevel {
    Info,
    Warning,
    Critical,
}

/// Verdict of one validity reason.
#[uniffi::remote(Enum)]
pub enum ValidityVerdict {
    Note,
    Incomplete,
    Invalid,
}

/// Overall validity status of a report.
#[uniffi::remote(Enum)]
pub enum ValidityStatus {
    Valid,
    Incomplete,
    Invalid,
}

/// A three-valued verdict of a flag or of the screen-positive rule (core `Verdict`).
///
/// `Indeterminate` means the answers given do not decide it (items missing or refused): it is never
/// a negative. Batch columns carry [`verdict_code`]: 0 negative, 1 positive, 2 indeterminate.
#[uniffi::remote(Enum)]
pub enum Verdict {
    /// Determined negative: false for every possible answer to the unanswered items.
    Negative,
    /// Determined positive: true for every possible answer to the unanswered items.
    Positive,
    /// Not decidable from the answers given.
    Indeterminate,
}

/// The batch code of a verdict: 0 negative, 1 positive, 2 indeterminate (the same in every binding).
#[uniffi::export]
pub fn verdict_code(verdict: Verdict) -> u8 {
    verdict.code()
}

/// The verdict with this batch code (0, 1, 2), `null`/`nil` for any other byte.
#[uniffi::export]
pub fn verdict_from_code(code: u8) -> Option<Verdict> {
    core::Verdict::from_code(code)
}

/// One answer: an option code, an option id, missing (skipped / not shown) or refused.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum Answer {
    /// The option code chosen.
    Code { code: i64 },
    /// The stable id of the option chosen (a LOINC answer code such as `LA6568-5`, or a slug such
    /// as `strongly_agree`; see `Instrument.describe()`). Never recoded by a code map.
    OptionId { id: String },
    /// No answer.
    Missing,
    /// The respondent declined to answer.
    Refused,
}

impl From<Answer> for core::Answer {
    fn from(a: Answer) -> Self {
        match a {
            Answer::Code { code } => core::Answer::Code(code),
            Answer::OptionId { id } => core::Answer::OptionId(id),
            Answer::Missing => core::Answer::Missing,
            Answer::Refused => core::Answer::Refused,
        }
    }
}

impl From<core::Answer> for Answer {
    fn from(a: core::Answer) -> Self {
        match a {
            core::Answer::Code(code) => Answer::Code { code },
            core::Answer::OptionId(id) => Answer::OptionId { id },
            core::Answer::Missing => Answer::Missing,
            core::Answer::Refused => Answer::Refused,
        }
    }
}

/// A respondent's answers to one instrument (core `Response`): answers keyed by item number
/// (`"9"`) or item id; RFC 3339 start/finish times; norm-group keys such as `grade`, `sex`.
#[derive(Clone, Debug, Default, PartialEq, Eq, uniffi::Record)]
pub struct Response {
    pub answers: HashMap<String, Answer>,
    #[uniffi(default = None)]
    pub started_at: Option<String>,
    #[uniffi(default = None)]
    pub finished_at: Option<String>,
    #[uniffi(default)]
    pub group: HashMap<String, String>,
}

impl From<Response> for core::Response {
    fn from(r: Response) -> Self {
        core::Response {
            answers: r.answers.into_iter().map(|(k, v)| (k, v.into())).collect(),
            started_at: r.started_at,
            finished_at: r.finished_at,
            group: r.group.into_iter().collect(),
        }
    }
}

impl From<core::Response> for Response {
    fn from(r: core::Response) -> Self {
        Response {
            answers: r.answers.into_iter().map(|(k, v)| (k, v.into())).collect(),
            started_at: r.started_at,
            finished_at: r.finished_at,
            group: r.group.into_iter().collect(),
        }
    }
}

/// The result of scoring one response (core `ScoreReport`).
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct ScoreReport {
    pub instrument: InstrumentRef,
    pub validity: Validity,
    pub items: ItemCounts,
    pub duration_seconds: Option<i64>,
    pub scales: Vec<ScaleResult>,
    pub flags: Vec<FlagResult>,
    pub screen_positive: Option<ScreenPositiveResult>,
}

/// Which instrument, version and settings produced a report.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct InstrumentRef {
    pub id: String,
    pub version: String,
    pub settings: HashMap<String, String>,
}

/// Validity with reasons.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct Validity {
    pub status: ValidityStatus,
    pub reasons: Vec<ValidityReason>,
}

/// One validity reason.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct ValidityReason {
    pub rule: String,
    pub verdict: ValidityVerdict,
    pub message: Localized,
    pub source: Option<String>,
}

/// Items answered / missing / refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Record)]
pub struct ItemCounts {
    pub answered: u32,
    pub missing: u32,
    pub refused: u32,
}

/// One scale's result. `raw`/`score` are exact decimals as strings.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct ScaleResult {
    pub id: String,
    pub scored: bool,
    pub raw: Option<Dec>,
    pub raw_exact: Option<String>,
    pub score: Option<Dec>,
    pub answered: u32,
    pub of: u32,
    pub prorated: bool,
    pub band: Option<BandResult>,
    pub unscored_reason: Option<String>,
}

/// The band a value fell in, with the rule that produced it.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct BandResult {
    pub id: String,
    pub label: Localized,
    pub index: u32,
    pub severity: Severity,
    pub rule: String,
    pub evidence: String,
    pub source: Option<String>,
}

/// A flag that is positive or indeterminate (e.g. PHQ-9 item 9). `ScoreReport.flags` lists every
/// flag whose verdict is positive **or** indeterminate, in spec order; a flag absent from the list
/// is determined negative. Use `hasFlag` (positive only) or `flagVerdict` to read one.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct FlagResult {
    pub id: String,
    /// `Positive` or `Indeterminate` (a negative flag is not listed).
    pub verdict: Verdict,
    pub level: FlagLevel,
    pub label: Localized,
    pub reason: Localized,
    pub items: Vec<u32>,
    /// When indeterminate: the missing items that leave the flag undecided.
    #[uniffi(default)]
    pub missing_items: Vec<u32>,
    /// When indeterminate: the refused items that leave the flag undecided.
    #[uniffi(default)]
    pub refused_items: Vec<u32>,
    pub evidence: Vec<String>,
    pub source: String,
}

/// The overall screen verdict: positive, negative or indeterminate (never a bool, so "cannot tell"
/// cannot be read as negative).
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct ScreenPositiveResult {
    pub verdict: Verdict,
    /// When indeterminate: the missing items whose absence makes the verdict undecidable.
    #[uniffi(default)]
    pub missing_items: Vec<u32>,
    /// When indeterminate: the refused items whose absence makes the verdict undecidable.
    #[uniffi(default)]
    pub refused_items: Vec<u32>,
    pub reason: Localized,
    pub evidence: Vec<String>,
    pub source: String,
}

#[uniffi::export]
impl ScoreReport {
    /// The report as canonical JSON (the core's serialisation: same input, same bytes).
    pub fn to_json(&self) -> String {
        core::ScoreReport::from(self.clone()).to_json()
    }
    /// The scale with this id.
    pub fn scale(&self, id: String) -> Option<ScaleResult> {
        core::ScoreReport::from(self.clone()).scale(&id).cloned().map(Into::into)
    }
    /// Whether the flag with this id is **positive** (an indeterminate flag is not; see `flagVerdict`).
    pub fn has_flag(&self, id: String) -> bool {
        core::ScoreReport::from(self.clone()).has_flag(&id)
    }
    /// The verdict of the flag with this id: positive, indeterminate, or negative when it is not listed.
    pub fn flag_verdict(&self, id: String) -> Verdict {
        core::ScoreReport::from(self.clone()).flag_verdict(&id)
    }
    /// The screen verdict, `null`/`nil` where the instrument defines no screen-positive rule.
    pub fn screen_verdict(&self) -> Option<Verdict> {
        core::ScoreReport::from(self.clone()).screen_verdict()
    }
}

/// Parse a report from its JSON form (e.g. one stored by a server) into the typed record.
#[uniffi::export]
pub fn score_report_from_json(json: String) -> FfiResult<ScoreReport> {
    crate::error::guard(|| {
        serde_json::from_str::<core::ScoreReport>(&json).map(Into::into).map_err(|e| {
            changkaixin_core::Error::new(
                changkaixin_core::ErrorCode::ResponseParse,
                format!("line {} column {}", e.line(), e.column()),
                format!("not a score report: {e}"),
            )
            .into()
        })
    })
}

/// Parse a response from its JSON form (`{"answers": {"1": 2, "9": null, "10": "refused"}, …}`).
#[uniffi::export]
pub fn response_from_json(json: String) -> FfiResult<Response> {
    crate::error::guard(|| Ok(core::Response::from_json(&json)?.into()))
}

fn sorted(m: HashMap<String, String>) -> BTreeMap<String, String> {
    m.into_iter().collect()
}

impl From<InstrumentRef> for core::InstrumentRef {
    fn from(i: InstrumentRef) -> Self {
        core::InstrumentRef {
            id: i.id,
            version: i.version,
            settings: sorted(i.settings),
        }
    }
}

impl From<core::ScoreReport> for ScoreReport {
    fn from(r: core::ScoreReport) -> Self {
        ScoreReport {
            instrument: InstrumentRef {
                id: r.instrument.id,
                version: r.instrument.version,
                settings: r.instrument.settings.into_iter().collect(),
            },
            validity: Validity {
                status: r.validity.status,
                reasons: r
                    .validity
                    .reasons
                    .into_iter()
                    .map(|v| ValidityReason {
                        rule: v.rule,
                        verdict: v.verdict,
                        message: v.message,
                        source: v.source,
                    })
                    .collect(),
            },
            items: ItemCounts {
                answered: r.items.answered,
                missing: r.items.missing,
                refused: r.items.refused,
            },
            duration_seconds: r.duration_seconds,
            scales: r.scales.into_iter().map(Into::into).collect(),
            flags: r
                .flags
                .into_iter()
                .map(|f| FlagResult {
                    id: f.id,
                    verdict: f.verdict,
                    level: f.level,
                    label: f.label,
                    reason: f.reason,
                    items: f.items,
                    missing_items: f.missing_items,
                    refused_items: f.refused_items,
                    evidence: f.evidence,
                    source: f.source,
                })
                .collect(),
            screen_positive: r.screen_positive.map(|s| ScreenPositiveResult {
                verdict: s.verdict,
                missing_items: s.missing_items,
                refused_items: s.refused_items,
                reason: s.reason,
                evidence: s.evidence,
                source: s.source,
            }),
        }
    }
}

impl From<core::ScaleResult> for ScaleResult {
    fn from(s: core::ScaleResult) -> Self {
        ScaleResult {
            id: s.id,
            scored: s.scored,
            raw: s.raw,
            raw_exact: s.raw_exact,
            score: s.score,
            answered: s.answered,
            of: s.of,
            prorated: s.prorated,
            band: s.band.map(|b| BandResult {
                id: b.id,
                label: b.label,
                index: b.index,
                severity: b.severity,
                rule: b.rule,
                evidence: b.evidence,
                source: b.source,
            }),
            unscored_reason: s.unscored_reason,
        }
    }
}

impl From<ScaleResult> for core::ScaleResult {
    fn from(s: ScaleResult) -> Self {
        core::ScaleResult {
            id: s.id,
            scored: s.scored,
            raw: s.raw,
            raw_exact: s.raw_exact,
            score: s.score,
            answered: s.answered,
            of: s.of,
            prorated: s.prorated,
            band: s.band.map(|b| core::BandResult {
                id: b.id,
                label: b.label,
                index: b.index,
                severity: b.severity,
                rule: b.rule,
                evidence: b.evidence,
                source: b.source,
            }),
            unscored_reason: s.unscored_reason,
        }
    }
}

impl From<ScoreReport> for core::ScoreReport {
    fn from(r: ScoreReport) -> Self {
        core::ScoreReport {
            instrument: core::InstrumentRef {
                id: r.instrument.id,
                version: r.instrument.version,
                settings: sorted(r.instrument.settings),
            },
            validity: core::Validity {
                status: r.validity.status,
                reasons: r
                    .validity
                    .reasons
                    .into_iter()
                    .map(|v| core::ValidityReason {
                        rule: v.rule,
                        verdict: v.verdict,
                        message: v.message,
                        source: v.source,
                    })
                    .collect(),
            },
            items: core::ItemCounts {
                answered: r.items.answered,
                missing: r.items.missing,
                refused: r.items.refused,
            },
            duration_seconds: r.duration_seconds,
            scales: r.scales.into_iter().map(Into::into).collect(),
            flags: r
                .flags
                .into_iter()
                .map(|f| core::FlagResult {
                    id: f.id,
                    verdict: f.verdict,
                    level: f.level,
                    label: f.label,
                    reason: f.reason,
                    items: f.items,
                    missing_items: f.missing_items,
                    refused_items: f.refused_items,
                    evidence: f.evidence,
                    source: f.source,
                })
                .collect(),
            screen_positive: r.screen_positive.map(|s| core::ScreenPositiveResult {
                verdict: s.verdict,
                missing_items: s.missing_items,
                refused_items: s.refused_items,
                reason: s.reason,
                evidence: s.evidence,
                source: s.source,
            }),
        }
    }
}
