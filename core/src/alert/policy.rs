//! The alert policy: a versioned JSON document (`"format": "changkaixin.alert-policy/1"`),
//! its lint, and its compilation into a flat [`CompiledPolicy`].
//!
//! A policy names its tiers (ordered, lowest first), the roles and vocabularies it
//! uses, the actions tiers and rules demand (each with a deadline), and the rules:
//! a small condition tree over the evidence, the tier it implies, and the sources it
//! rests on. The format is documented in `docs/alert-tiers.md`.
//!
//! Data flows one way: JSON → [`AlertPolicy`] → lint against a [`Catalog`] →
//! [`CompiledPolicy`] (ids resolved to indices, durations to seconds, bands to
//! ordinal indices) → evaluation. Evaluation never re-validates what lint proved.

use crate::alert::datetime::IsoDuration;
use crate::decimal::{Dec, Ratio};
use crate::error::{excerpt, excerpt_debug, Error, ErrorCode, Result};
use crate::instrument::catalog::Catalog;
use crate::instrument::spec::{FlagLevel, Localized, Severity};
use crate::instrument::Instrument;
use crate::scoring::report::{InstrumentRef, Response, ScoreReport, ValidityStatus, Verdict};
use crate::scoring::verify::{echo, within};
use serde::{Deserialize, Serialize};
use std::sync::{Arc, OnceLock, RwLock};

/// The format tag every alert policy must carry.
pub const ALERT_POLICY_FORMAT: &str = "changkaixin.alert-policy/1";

/// The built-in Changzhou default policy, as JSON (`core/policies/changzhou_default.json`).
pub const CHANGZHOU_DEFAULT_JSON: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/policies/changzhou_default.json"));

/// Most rules a policy may have (fired rules are kept in a fixed 256-bit set).
pub const MAX_RULES: usize = 256;
/// Most tiers a policy may have.
pub const MAX_TIERS: usize = 16;
/// Most entries per vocabulary list, roles included (they are kept in 64-bit masks).
pub const MAX_VOCABULARY: usize = 64;
/// Most flags of one instrument a policy may refer to.
pub const MAX_FLAGS_PER_INSTRUMENT: usize = 64;
/// Deepest condition tree accepted (the root is depth 0).
pub const MAX_CONDITION_DEPTH: usize = 32;
/// Most condition nodes over all rules.
pub const MAX_CONDITION_NODES: usize = 10_000;
/// Most sources a policy may cite.
pub const MAX_SOURCES: usize = 1024;
/// Most actions a policy may define (and a tier or rule may demand).
pub const MAX_ACTIONS: usize = 1024;
/// Most notifications (or withheld notifications) of one tier or rule.
pub const MAX_NOTIFICATIONS: usize = 64;
/// Most external instruments, and most scales or flags of one external instrument.
pub const MAX_EXTERNAL_INSTRUMENTS: usize = 256;
/// Most bands of one external scale.
pub const MAX_EXTERNAL_BANDS: usize = 100;
/// Longest string anywhere in a policy, in bytes (ids are further limited to 64 characters).
pub const MAX_TEXT_BYTES: usize = crate::limits::MAX_TEXT_BYTES;

/// A whole alert policy (the serde shape of the JSON document).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertPolicy {
    /// Must be [`ALERT_POLICY_FORMAT`].
    pub format: String,
    /// Stable policy id, e.g. `changzhou_default`.
    pub id: String,
    /// Version of this policy; every decision records it.
    pub version: String,
    /// Display name.
    pub name: Localized,
    /// What the policy is for and what it is built on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Free notes (what is a configurable default, what is not established).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// How far after the evaluation time evidence may be dated and still count (clock skew), as an ISO-8601 duration.
    pub future_tolerance: String,
    /// Default look-back windows per evidence kind, used where a condition names none.
    pub windows: DefaultWindows,
    /// The documents rules, tiers and actions cite.
    pub sources: Vec<SourceSpec>,
    /// The roles tiers, actions and notifications name (班主任, 校长, 监护人, …).
    pub roles: Vec<VocabEntry>,
    /// Closed vocabularies of the evidence.
    pub vocabulary: Vocabulary,
    /// Instruments loaded by the platform at runtime (e.g. a licensed MHT key), which the catalog does not hold.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub external_instruments: Vec<ExternalInstrument>,
    /// How a flag or screen test that names no verdict treats an indeterminate verdict
    /// (default [`Indeterminate::Explicit`]).
    #[serde(default, skip_serializing_if = "Indeterminate::is_default")]
    pub indeterminate: Indeterminate,
    /// Every action tiers and rules may demand, each with its deadline.
    pub actions: Vec<ActionSpec>,
    /// The ordered tier scale, lowest first (the first tier is "no concern").
    pub tiers: Vec<TierSpec>,
    /// The rules.
    pub rules: Vec<RuleSpec>,
}

/// How a screening test of a flag (`flag`, `flag_level_at_least`) or of the screen verdict
/// (`screen_positive: true`) that names no verdict treats an **indeterminate** verdict (a
/// screen or flag the answers given cannot decide because items are missing or refused).
///
/// Whatever the setting, a test can name the verdicts it matches (`flag_verdict`,
/// `screen_verdict`). Under `explicit` the lint requires a policy whose rules test flags or
/// screen verdicts to have at least one rule matching indeterminate verdicts, so "cannot tell"
/// is never silently read as negative.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Indeterminate {
    /// Default: such a test matches positive verdicts only; indeterminate verdicts count only
    /// in tests that name them (`flag_verdict` / `screen_verdict: ["indeterminate"]`).
    #[default]
    Explicit,
    /// Worst-case reading: such a test also matches an indeterminate verdict, as if positive.
    AsPositive,
}

impl Indeterminate {
    fn is_default(&self) -> bool {
        *self == Indeterminate::Explicit
    }
}

/// Default look-back windows (ISO-8601 durations).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DefaultWindows {
    /// Scored screenings.
    pub screening: String,
    /// Staff observations.
    pub observation: String,
    /// Life events.
    pub life_event: String,
    /// Clinical notices.
    pub clinical: String,
    /// Notices from outside agencies.
    pub agency_notice: String,
}

/// How reliable a source is (the tags of the project's reference notes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reliability {
    /// Official text or a verbatim reprint ([O]).
    Official,
    /// A secondary report of an official text or instrument rule ([S]).
    Secondary,
    /// A school template or commercial material: practice, not a requirement ([T]).
    Template,
    /// A choice made by this policy where no source fixes the value.
    PolicyDefault,
}

/// A cited document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceSpec {
    /// Short id rules cite, e.g. `plan_2_3_11`.
    pub id: String,
    /// The citation: document, clause, and the sentence relied on.
    pub citation: String,
    /// How reliable it is.
    pub reliability: Reliability,
}

/// An entry of a closed vocabulary.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VocabEntry {
    /// Stable id used in evidence and rules.
    pub id: String,
    /// Display label.
    pub label: Localized,
}

/// The closed vocabularies evidence is written in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Vocabulary {
    /// Categories of staff observations (self-harm behaviour, talk of suicide, withdrawal, …).
    pub observation_categories: Vec<VocabEntry>,
    /// Kinds of life events (bullying victim, bereavement, left-behind child, …).
    pub life_event_kinds: Vec<VocabEntry>,
    /// Kinds of clinical notices (diagnosis, discharge, danger notice, …).
    pub clinical_kinds: Vec<VocabEntry>,
    /// Outside agencies of the society level (growth-guidance centre, psychiatric hospital, police, …).
    pub agencies: Vec<VocabEntry>,
    /// Special periods (spring, school entry, exam season, graduation).
    pub special_periods: Vec<VocabEntry>,
}

/// An instrument loaded at runtime, declared so rules about it can be linted and its reports
/// verified: a report of an external instrument may carry only the declared scales (values
/// within their declared range, bands among the declared ones at their position) and the
/// declared flags (at their declared level), and the declared version when one is given.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExternalInstrument {
    /// Instrument id the platform's reports carry (e.g. `mht`).
    pub id: String,
    /// The spec version reports must carry (absent: any version).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// What it is and how it is loaded.
    pub description: String,
    /// Scales rules may name, with band ids in ordinal order (index 0 first).
    #[serde(default)]
    pub scales: Vec<ExternalScale>,
    /// Flags rules may name.
    #[serde(default)]
    pub flags: Vec<ExternalFlag>,
}

/// A scale of an external instrument.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExternalScale {
    /// Scale id.
    pub id: String,
    /// Band ids in ordinal order (may be empty).
    #[serde(default)]
    pub bands: Vec<String>,
    /// The least value the scale can take (reports below it are refused).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<Dec>,
    /// The greatest value the scale can take (reports above it are refused).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<Dec>,
}

/// A flag of an external instrument.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExternalFlag {
    /// Flag id.
    pub id: String,
    /// Its level.
    pub level: FlagLevel,
}

/// Whether a rule or action is demanded by its source, or is this policy's configurable choice.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// The cited source itself demands this response to this evidence.
    Established,
    /// The source supports the concern; the tier, window or deadline is this policy's default.
    ConfigurableDefault,
}

/// An action with its deadline.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionSpec {
    /// Stable id; completed-action records name it.
    pub id: String,
    /// What to do.
    pub label: Localized,
    /// The role that does it.
    pub role: String,
    /// Deadline as an ISO-8601 duration from when the obligation arose. Required (lint).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due: Option<String>,
    /// Sources (ids of `sources`).
    pub sources: Vec<String>,
    /// Established or configurable.
    pub basis: Basis,
}

/// Who must be told, and how soon.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotificationSpec {
    /// Role id to tell.
    pub who: String,
    /// ISO-8601 duration from when the obligation arose. Required (lint).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub within: Option<String>,
}

/// The three levels of the plan's warning system (班级—学校—社会, 二(三)11).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HandlingLevel {
    /// 一级预警: the class, led by the head teacher (班主任).
    Class,
    /// 二级预警: the school, led by the principal (校长).
    School,
    /// 三级预警: outside the school — growth-guidance centre, psychiatric hospital, police, … .
    Society,
}

/// One tier of the scale.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TierSpec {
    /// Stable id, e.g. `key`.
    pub id: String,
    /// Display label.
    pub label: Localized,
    /// Handling level (absent only for the lowest tier).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<HandlingLevel>,
    /// Roles responsible; a review lowering this tier must be by one of them.
    #[serde(default)]
    pub responsible_roles: Vec<String>,
    /// Least time in this tier before a review may lower it (hysteresis). Required above the lowest tier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_dwell: Option<String>,
    /// How often the tier is reviewed. Required above the lowest tier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review_interval: Option<String>,
    /// Shorter review interval while a special period is active.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub special_period_review_interval: Option<String>,
    /// Action ids the tier demands.
    #[serde(default)]
    pub actions: Vec<String>,
    /// Who must be told.
    #[serde(default)]
    pub notifications: Vec<NotificationSpec>,
    /// Sources of the tier's definition.
    #[serde(default)]
    pub sources: Vec<String>,
}

/// A rule: when the condition holds, the student is at least at `tier`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    /// Stable id, e.g. `crisis.asq_acute_positive`.
    pub id: String,
    /// The tier the rule implies (at least).
    pub tier: String,
    /// What fired, in plain words (used in summaries).
    pub label: Localized,
    /// Sources (ids of `sources`); at least one.
    pub sources: Vec<String>,
    /// Established or configurable.
    pub basis: Basis,
    /// Why this tier for this evidence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rationale: Option<String>,
    /// The condition.
    pub when: RuleCondition,
    /// Extra action ids.
    #[serde(default)]
    pub actions: Vec<String>,
    /// Extra notifications.
    #[serde(default)]
    pub notifications: Vec<NotificationSpec>,
    /// Roles that must NOT be notified automatically while this rule fires (e.g. the
    /// guardian when the guardian may be the source of harm); decisions list them as withheld.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub withhold_notifications: Vec<String>,
}

/// A condition over the evidence. Without `not`, every condition is monotone:
/// more evidence never makes it false.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum RuleCondition {
    /// True if any child is true.
    Any(Vec<RuleCondition>),
    /// True if every child is true.
    All(Vec<RuleCondition>),
    /// Negation (makes a rule non-monotone; the default policy does not use it).
    Not(Box<RuleCondition>),
    /// Some screening within the window passes every test given.
    Screening(ScreeningTest),
    /// Staff observations of the given categories within the window.
    Observation(ObservationTest),
    /// A life event of the given kinds within the window.
    LifeEvent(KindTest),
    /// A clinical notice of the given kinds within the window.
    Clinical(KindTest),
    /// A notice from an outside agency within the window.
    AgencyNotice(AgencyTest),
    /// A special period is active at the evaluation time.
    SpecialPeriod(SpecialPeriodTest),
    /// The tier in force before this evaluation is at least this tier id.
    PreviousTierAtLeast(String),
}

impl RuleCondition {
    /// The sub-conditions of this node (for the iterative walks that bound depth before any recursion).
    pub(crate) fn kids(&self) -> crate::limits::Kids<'_, RuleCondition> {
        use crate::limits::Kids;
        match self {
            RuleCondition::Any(v) | RuleCondition::All(v) => Kids::Many(v),
            RuleCondition::Not(c) => Kids::One(c),
            _ => Kids::None,
        }
    }
}

/// Conditions are freed iteratively: a tree nested 100,000 deep (buildable through the Rust API)
/// must not overflow the stack when it is dropped.
impl Drop for RuleCondition {
    fn drop(&mut self) {
        fn detach(c: &mut RuleCondition, out: &mut Vec<RuleCondition>) {
            match c {
                RuleCondition::Any(v) | RuleCondition::All(v) => out.append(v),
                RuleCondition::Not(b) => out.push(std::mem::replace(&mut **b, RuleCondition::All(Vec::new()))),
                _ => {}
            }
        }
        let mut stack = Vec::new();
        detach(self, &mut stack);
        while let Some(mut c) = stack.pop() {
            detach(&mut c, &mut stack);
        }
    }
}

/// Tests on one screening; all given tests must hold for the same screening.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScreeningTest {
    /// Instrument id (absent: any instrument; then only generic tests are allowed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instrument: Option<String>,
    /// Look-back window (default: the policy's screening window).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub within: Option<String>,
    /// A scale's band is at least this band (by ordinal index).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub band_at_least: Option<BandAtLeast>,
    /// Some scale's band has at least this coarse severity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub band_severity_at_least: Option<Severity>,
    /// A scale's reported score is at least this value (compared exactly).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale_at_least: Option<ScaleAtLeast>,
    /// This flag fired (its verdict is one of `flag_verdict`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flag: Option<String>,
    /// Some flag of at least this level fired (its verdict is one of `flag_verdict`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flag_level_at_least: Option<FlagLevel>,
    /// The verdicts `flag` and `flag_level_at_least` match: `positive` and/or `indeterminate`
    /// (default: `positive`, plus `indeterminate` when the policy says `indeterminate: as_positive`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flag_verdict: Vec<Verdict>,
    /// The instrument's screen verdict is positive (`true`) or negative (`false`; also when the
    /// instrument defines no screen). See the policy's `indeterminate` setting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub screen_positive: Option<bool>,
    /// The instrument's screen verdict is one of these (`negative`, `positive`, `indeterminate`);
    /// an instrument without a screen rule matches none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub screen_verdict: Vec<Verdict>,
    /// The validity status is one of these.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub validity: Vec<ValidityStatus>,
}

/// `band_at_least`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BandAtLeast {
    /// Scale id.
    pub scale: String,
    /// Band id or ordinal index.
    pub band: BandRef,
}

/// A band named by id or by ordinal index.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum BandRef {
    /// Ordinal index.
    Index(u32),
    /// Band id.
    Id(String),
}

/// `scale_at_least`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScaleAtLeast {
    /// Scale id.
    pub scale: String,
    /// Threshold (a decimal string or an integer).
    pub value: Dec,
}

/// `observation`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObservationTest {
    /// Categories (empty: any).
    #[serde(default)]
    pub categories: Vec<String>,
    /// Look-back window (default: the policy's observation window).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub within: Option<String>,
    /// How many matching observations are needed (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_count: Option<u32>,
}

/// `life_event` and `clinical`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KindTest {
    /// Kinds (empty: any).
    #[serde(default)]
    pub kinds: Vec<String>,
    /// Look-back window (default: the policy's window for this evidence kind).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub within: Option<String>,
}

/// How urgent a notice from an outside agency is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeSeverity {
    /// A concern to follow up.
    Concern,
    /// Danger now: act immediately.
    Urgent,
}

/// `agency_notice`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgencyTest {
    /// Agencies (empty: any).
    #[serde(default)]
    pub agencies: Vec<String>,
    /// Severities (empty: any).
    #[serde(default)]
    pub severities: Vec<NoticeSeverity>,
    /// Look-back window (default: the policy's agency-notice window).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub within: Option<String>,
}

/// `special_period`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpecialPeriodTest {
    /// Kinds (empty: any).
    #[serde(default)]
    pub kinds: Vec<String>,
}

impl AlertPolicy {
    /// Parse policy JSON (shape and format tag only; see [`AlertPolicy::lint_against`]).
    ///
    /// ```
    /// use changkaixin_core::alert::AlertPolicy;
    /// let err = AlertPolicy::from_json("{\"format\": 1").unwrap_err();
    /// assert_eq!(err.code(), "policy.parse");
    /// assert!(err.path().starts_with("line 1 column"));
    /// ```
    pub fn from_json(json: &str) -> Result<AlertPolicy> {
        let p: AlertPolicy = serde_json::from_str(json).map_err(|e| Error::from_json(ErrorCode::PolicyParse, &e))?;
        if p.format != ALERT_POLICY_FORMAT {
            return Err(Error::new(
                ErrorCode::PolicyUnsupportedFormat,
                "/format",
                format!("expected {ALERT_POLICY_FORMAT:?}, found {}", excerpt(&p.format)),
            ));
        }
        Ok(p)
    }

    /// The built-in Changzhou default policy (parsed, not yet linted).
    pub fn changzhou_default() -> Result<AlertPolicy> {
        AlertPolicy::from_json(CHANGZHOU_DEFAULT_JSON)
    }

    /// Every lint problem against the instruments of `catalog` (empty when the policy is sound).
    ///
    /// A policy over a resource limit (see [`AlertPolicy::check_limits`]) reports only that
    /// problem: nothing else is looked at.
    pub fn lint_against(&self, catalog: &Catalog) -> Vec<Error> {
        if let Err(e) = self.check_limits() {
            return vec![e];
        }
        let mut c = Compiler::new(self, catalog);
        c.run();
        c.errors
    }

    /// Lint and compile; the first problem is the error. The compiled policy keeps (a cheap
    /// copy of) `catalog`: evidence is scored and verified against it.
    pub fn compile(&self, catalog: &Catalog) -> Result<CompiledPolicy> {
        self.check_limits()?;
        let mut c = Compiler::new(self, catalog);
        let mut compiled = c.run();
        match c.errors.into_iter().next() {
            Some(e) => Err(e),
            None => {
                compiled.fingerprint = catalog_fingerprint(compiled.fingerprint, catalog);
                compiled.catalog = catalog.clone();
                Ok(compiled)
            }
        }
    }

    /// Check the policy's resource limits ([`MAX_RULES`], [`MAX_CONDITION_DEPTH`],
    /// [`MAX_CONDITION_NODES`], [`MAX_TEXT_BYTES`], …) without recursing over or copying it:
    /// condition depth is measured iteratively, so a tree nested 100,000 deep built through the
    /// Rust API is refused before anything clones, serialises or compiles it. Errors are
    /// `policy.limit_exceeded` with the path of the offending list, condition or string.
    pub fn check_limits(&self) -> Result<()> {
        let over = |path: String, what: &str, limit: usize, found: usize| {
            Err(Error::new(
                ErrorCode::PolicyLimitExceeded,
                path,
                format!("at most {limit} {what} are supported, found {found}"),
            ))
        };
        let v = &self.vocabulary;
        let lists: [(&str, &str, usize, usize); 11] = [
            ("/rules", "rules", MAX_RULES, self.rules.len()),
            ("/tiers", "tiers", MAX_TIERS, self.tiers.len()),
            ("/sources", "sources", MAX_SOURCES, self.sources.len()),
            ("/actions", "actions", MAX_ACTIONS, self.actions.len()),
            ("/roles", "role entries", MAX_VOCABULARY, self.roles.len()),
            (
                "/vocabulary/observation_categories",
                "observation category entries",
                MAX_VOCABULARY,
                v.observation_categories.len(),
            ),
            (
                "/vocabulary/life_event_kinds",
                "life event kind entries",
                MAX_VOCABULARY,
                v.life_event_kinds.len(),
            ),
            (
                "/vocabulary/clinical_kinds",
                "clinical notice kind entries",
                MAX_VOCABULARY,
                v.clinical_kinds.len(),
            ),
            ("/vocabulary/agencies", "agency entries", MAX_VOCABULARY, v.agencies.len()),
            ("/vocabulary/special_periods", "special period entries", MAX_VOCABULARY, v.special_periods.len()),
            (
                "/external_instruments",
                "external instruments",
                MAX_EXTERNAL_INSTRUMENTS,
                self.external_instruments.len(),
            ),
        ];
        for (path, what, limit, found) in lists {
            if found > limit {
                return over(path.to_owned(), what, limit, found);
            }
        }
        for (i, e) in self.external_instruments.iter().enumerate() {
            let p = format!("/external_instruments/{i}");
            if e.scales.len() > MAX_EXTERNAL_INSTRUMENTS {
                return over(format!("{p}/scales"), "scales", MAX_EXTERNAL_INSTRUMENTS, e.scales.len());
            }
            if e.flags.len() > MAX_FLAGS_PER_INSTRUMENT {
                return over(format!("{p}/flags"), "flags", MAX_FLAGS_PER_INSTRUMENT, e.flags.len());
            }
            for (k, s) in e.scales.iter().enumerate() {
                if s.bands.len() > MAX_EXTERNAL_BANDS {
                    return over(format!("{p}/scales/{k}/bands"), "bands", MAX_EXTERNAL_BANDS, s.bands.len());
                }
            }
        }
        let demands = self
            .tiers
            .iter()
            .enumerate()
            .map(|(i, t)| (format!("/tiers/{i}"), t.actions.len(), t.notifications.len(), 0))
            .chain(
                self.rules
                    .iter()
                    .enumerate()
                    .map(|(i, r)| (format!("/rules/{i}"), r.actions.len(), r.notifications.len(), r.withhold_notifications.len())),
            );
        for (p, actions, notifications, withheld) in demands {
            if actions > MAX_ACTIONS {
                return over(format!("{p}/actions"), "actions", MAX_ACTIONS, actions);
            }
            if notifications > MAX_NOTIFICATIONS {
                return over(format!("{p}/notifications"), "notifications", MAX_NOTIFICATIONS, notifications);
            }
            if withheld > MAX_NOTIFICATIONS {
                return over(format!("{p}/withhold_notifications"), "withheld notifications", MAX_NOTIFICATIONS, withheld);
            }
        }
        self.check_conditions()?;
        if let Some((path, len)) = crate::limits::long_string(self) {
            return Err(Error::new(
                ErrorCode::PolicyLimitExceeded,
                path,
                format!("strings may be at most {MAX_TEXT_BYTES} bytes long; found {len}"),
            ));
        }
        Ok(())
    }

    /// Condition depth and size, measured iteratively.
    fn check_conditions(&self) -> Result<()> {
        let mut budget = MAX_CONDITION_NODES;
        for (i, r) in self.rules.iter().enumerate() {
            let path = format!("/rules/{i}/when");
            match crate::limits::measure_tree(&r.when, RuleCondition::kids, MAX_CONDITION_DEPTH, &mut budget) {
                Ok(()) => {}
                Err(crate::limits::TreeExcess::Depth) => {
                    return Err(Error::new(
                        ErrorCode::PolicyLimitExceeded,
                        path,
                        format!("conditions may nest at most {MAX_CONDITION_DEPTH} deep"),
                    ))
                }
                Err(crate::limits::TreeExcess::Nodes) => {
                    return Err(Error::new(
                        ErrorCode::PolicyLimitExceeded,
                        path,
                        format!("a policy may have at most {MAX_CONDITION_NODES} condition nodes in total"),
                    ))
                }
            }
        }
        Ok(())
    }

    /// Canonical JSON of the policy (empty when a condition is nested deeper than
    /// [`MAX_CONDITION_DEPTH`] or the conditions exceed [`MAX_CONDITION_NODES`]: serialisation
    /// recurses, so such a tree is not written).
    pub fn to_json(&self) -> String {
        if self.check_conditions().is_err() {
            return String::new();
        }
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// Bit of an instrument without a screen rule, in screen verdict masks.
pub(crate) const NO_SCREEN: u8 = 1 << 3;

/// The bit of a verdict in verdict masks.
pub(crate) fn verdict_bit(v: Verdict) -> u8 {
    1 << v.code()
}

/// Whether a condition holds when the tier in force is `prev` and there is no other evidence,
/// in Kleene three-valued logic: evidence tests are unknown (`None`), `previous_tier_at_least` is
/// decided. `Some(true)` means it holds whatever the evidence. Depth is bounded by `check_limits`.
fn holds_without_evidence(c: &RuleCondition, tiers: &[TierSpec], prev: usize, depth: usize) -> Option<bool> {
    if depth > MAX_CONDITION_DEPTH {
        return None;
    }
    let kid = |x: &RuleCondition| holds_without_evidence(x, tiers, prev, depth + 1);
    match c {
        RuleCondition::Any(v) => {
            let mut unknown = false;
            for x in v {
                match kid(x) {
                    Some(true) => return Some(true),
                    None => unknown = true,
                    Some(false) => {}
                }
            }
            if unknown {
                None
            } else {
                Some(false)
            }
        }
        RuleCondition::All(v) => {
            let mut unknown = false;
            for x in v {
                match kid(x) {
                    Some(false) => return Some(false),
                    None => unknown = true,
                    Some(true) => {}
                }
            }
            if unknown {
                None
            } else {
                Some(true)
            }
        }
        RuleCondition::Not(x) => kid(x).map(|b| !b),
        RuleCondition::PreviousTierAtLeast(id) => tiers.iter().position(|t| &t.id == id).map(|k| k <= prev),
        _ => None,
    }
}

/// The path of the first `previous_tier_at_least` leaf that holds at tier `prev`.
fn held_by_previous_tier(c: &RuleCondition, tiers: &[TierSpec], prev: usize, path: &str, depth: usize) -> Option<String> {
    if depth > MAX_CONDITION_DEPTH {
        return None;
    }
    match c {
        RuleCondition::Any(v) | RuleCondition::All(v) => {
            let key = if matches!(c, RuleCondition::Any(_)) { "any" } else { "all" };
            v.iter()
                .enumerate()
                .find_map(|(i, x)| held_by_previous_tier(x, tiers, prev, &format!("{path}/{key}/{i}"), depth + 1))
        }
        RuleCondition::Not(x) => held_by_previous_tier(x, tiers, prev, &format!("{path}/not"), depth + 1),
        RuleCondition::PreviousTierAtLeast(id) => tiers
            .iter()
            .position(|t| &t.id == id)
            .filter(|k| *k <= prev)
            .map(|_| format!("{path}/previous_tier_at_least")),
        _ => None,
    }
}

/// Sentinel: "any instrument" in a screening leaf, or "instrument not named by the policy" in evidence.
pub(crate) const ANY_INSTRUMENT: u16 = u16::MAX;

// Evidence channels: a rule is only evaluated for a student who has evidence on one of
// its channels (rules indexed by instrument and evidence kind). Instruments with an
// index below `INSTRUMENT_CHANNELS` get a bit of their own; the rest share `CH_ANY_SCREENING`.
pub(crate) const INSTRUMENT_CHANNELS: u16 = 56;
pub(crate) const CH_ANY_SCREENING: u64 = 1 << 63;
pub(crate) const CH_OBSERVATION: u64 = 1 << 62;
pub(crate) const CH_LIFE_EVENT: u64 = 1 << 61;
pub(crate) const CH_CLINICAL: u64 = 1 << 60;
pub(crate) const CH_AGENCY: u64 = 1 << 59;
pub(crate) const CH_PERIOD: u64 = 1 << 58;
pub(crate) const CH_PREVIOUS: u64 = 1 << 57;

/// The channel bit of a screening of this (compiled) instrument.
pub(crate) fn instrument_channel(inst: u16) -> u64 {
    if inst < INSTRUMENT_CHANNELS {
        1u64 << inst
    } else {
        CH_ANY_SCREENING
    }
}

/// Channels at least one of which must carry evidence for the node to hold
/// (all channels for `not`, which holds on no evidence).
fn relevance(nodes: &[Node], children: &[u32], n: u32, depth: usize) -> u64 {
    let kids = |s: &u32, e: &u32| children.get(*s as usize..*e as usize).unwrap_or(&[]);
    match nodes.get(n as usize) {
        _ if depth > MAX_CONDITION_DEPTH + 1 => u64::MAX,
        None | Some(Node::Not(_)) => u64::MAX,
        Some(Node::Any(s, e)) => kids(s, e).iter().fold(0, |m, c| m | relevance(nodes, children, *c, depth + 1)),
        // Every child must hold, so any one child's channels are necessary: keep the narrowest.
        Some(Node::All(s, e)) => kids(s, e)
            .iter()
            .map(|c| relevance(nodes, children, *c, depth + 1))
            .min_by_key(|m| m.count_ones())
            .unwrap_or(u64::MAX),
        Some(Node::Screening(l)) => {
            if l.inst == ANY_INSTRUMENT {
                CH_ANY_SCREENING
            } else {
                instrument_channel(l.inst)
            }
        }
        Some(Node::Observation { .. }) => CH_OBSERVATION,
        Some(Node::LifeEvent { .. }) => CH_LIFE_EVENT,
        Some(Node::Clinical { .. }) => CH_CLINICAL,
        Some(Node::Agency { .. }) => CH_AGENCY,
        Some(Node::SpecialPeriod { .. }) => CH_PERIOD,
        Some(Node::PreviousTierAtLeast(_)) => CH_PREVIOUS,
    }
}

#[derive(Clone, Debug)]
pub(crate) struct CInstrument {
    pub id: String,
    pub external: bool,
    /// Flags the policy refers to; the position is the bit in a screening's flag mask.
    pub flags: Vec<(String, FlagLevel)>,
    /// Scales the policy refers to, with their band ids in ordinal order.
    pub scales: Vec<CScale>,
}

#[derive(Clone, Debug)]
pub(crate) struct CScale {
    pub id: String,
    pub bands: Vec<(u32, String)>,
    /// Whether a rule compares this scale's score (otherwise only its band is read).
    pub needs_score: bool,
}

#[derive(Clone, Debug)]
pub(crate) struct ScreeningLeaf {
    pub inst: u16,
    pub within: i64,
    pub band: Option<(u16, u32)>,
    pub severity: Option<Severity>,
    pub scale: Option<(u16, Ratio, Dec)>,
    pub flag: Option<u8>,
    pub flag_level: Option<FlagLevel>,
    /// Bits (1 << verdict code) of the flag verdicts `flag` / `flag_level` match.
    pub flag_verdicts: u8,
    /// Bits (1 << verdict code) of the screen verdicts matched, plus [`NO_SCREEN`]; 0 = no test.
    pub screen: u8,
    /// Bit 0 valid, 1 incomplete, 2 invalid; 0 = any.
    pub validity: u8,
}

#[derive(Clone, Debug)]
pub(crate) enum Node {
    Any(u32, u32),
    All(u32, u32),
    Not(u32),
    Screening(Box<ScreeningLeaf>),
    Observation { cats: u64, within: i64, min_count: u32 },
    LifeEvent { kinds: u64, within: i64 },
    Clinical { kinds: u64, within: i64 },
    Agency { agencies: u64, severities: u8, within: i64 },
    SpecialPeriod { kinds: u64 },
    PreviousTierAtLeast(u8),
}

#[derive(Clone, Debug)]
pub(crate) struct CNotification {
    pub role: u16,
    pub within: i64,
    pub within_text: String,
}

#[derive(Clone, Debug)]
pub(crate) struct CAction {
    pub id: String,
    pub label: Localized,
    pub role: u16,
    pub due: i64,
    pub due_text: String,
}

#[derive(Clone, Debug)]
pub(crate) struct CTier {
    /// Sources of the tier's definition (indices into `sources`).
    pub sources: Vec<u16>,
    pub id: String,
    pub label: Localized,
    pub level: Option<HandlingLevel>,
    pub roles: Vec<u16>,
    pub min_dwell: i64,
    pub review: Option<i64>,
    pub special_review: Option<i64>,
    pub actions: Vec<u16>,
    pub notifications: Vec<CNotification>,
}

#[derive(Clone, Debug)]
pub(crate) struct CRule {
    pub id: String,
    pub tier: u8,
    pub label: Localized,
    pub sources: Vec<u16>,
    pub root: u32,
    pub actions: Vec<u16>,
    pub notifications: Vec<CNotification>,
    /// Bit per role index: notifications withheld while the rule fires.
    pub withhold: u64,
    /// Evidence channels the rule needs (see [`relevance`]).
    pub relevant: u64,
}

#[derive(Clone, Debug)]
pub(crate) struct CRole {
    pub id: String,
    pub label: Localized,
    /// The completed-action key that marks a notification to this role as done: `notify:<role>`.
    pub notify_key: String,
}

/// A linted policy compiled into flat, index-resolved tables. Cheap to share (`&`), never re-parsed.
#[derive(Clone, Debug)]
pub struct CompiledPolicy {
    pub(crate) source: AlertPolicy,
    pub(crate) tiers: Vec<CTier>,
    pub(crate) rules: Vec<CRule>,
    pub(crate) nodes: Vec<Node>,
    pub(crate) children: Vec<u32>,
    /// Sorted by id.
    pub(crate) instruments: Vec<CInstrument>,
    pub(crate) actions: Vec<CAction>,
    pub(crate) roles: Vec<CRole>,
    pub(crate) sources: Vec<SourceSpec>,
    pub(crate) observation_categories: Vec<VocabEntry>,
    pub(crate) life_event_kinds: Vec<VocabEntry>,
    pub(crate) clinical_kinds: Vec<VocabEntry>,
    pub(crate) agencies: Vec<VocabEntry>,
    pub(crate) special_periods: Vec<VocabEntry>,
    pub(crate) future_tolerance: i64,
    /// FNV-1a hash of the policy's canonical JSON and of the catalog it was compiled against:
    /// ties prepared evidence to its policy and catalog.
    pub(crate) fingerprint: u64,
    /// The catalog the policy was compiled against: screenings are scored and verified with it.
    pub(crate) catalog: Catalog,
    /// Catalog instruments with non-default settings, compiled on first use.
    pub(crate) variants: Arc<RwLock<Vec<Instrument>>>,
}

static CHANGZHOU: OnceLock<Result<CompiledPolicy>> = OnceLock::new();

impl CompiledPolicy {
    /// Parse, lint and compile policy JSON against a catalog.
    pub fn from_json(json: &str, catalog: &Catalog) -> Result<CompiledPolicy> {
        AlertPolicy::from_json(json)?.compile(catalog)
    }

    /// The built-in Changzhou default policy compiled against the built-in catalog (once, shared).
    pub fn changzhou_default() -> Result<&'static CompiledPolicy> {
        CHANGZHOU
            .get_or_init(|| AlertPolicy::changzhou_default()?.compile(Catalog::builtin()))
            .as_ref()
            .map_err(Clone::clone)
    }

    /// The policy as written.
    pub fn policy(&self) -> &AlertPolicy {
        &self.source
    }
    /// Policy id.
    pub fn id(&self) -> &str {
        &self.source.id
    }
    /// Policy version.
    pub fn version(&self) -> &str {
        &self.source.version
    }
    /// Tier ids, lowest first (the position is the tier index).
    pub fn tier_ids(&self) -> impl Iterator<Item = &str> {
        self.tiers.iter().map(|t| t.id.as_str())
    }
    /// Rule ids in policy order (the position is the bit in a [`crate::alert::RuleSet`]).
    pub fn rule_ids(&self) -> impl Iterator<Item = &str> {
        self.rules.iter().map(|r| r.id.as_str())
    }
    /// The index of a tier id.
    pub fn tier_index(&self, id: &str) -> Option<u8> {
        self.tiers.iter().position(|t| t.id == id).and_then(|i| u8::try_from(i).ok())
    }
    /// Number of tiers.
    pub fn tier_count(&self) -> usize {
        self.tiers.len()
    }
    /// Number of rules.
    pub fn rule_count(&self) -> usize {
        self.rules.len()
    }
    pub(crate) fn instrument_index(&self, id: &str) -> u16 {
        // A policy names a handful of instruments: an equality scan (length first) beats a binary search.
        self.instruments
            .iter()
            .position(|i| i.id == id)
            .and_then(|i| u16::try_from(i).ok())
            .unwrap_or(ANY_INSTRUMENT)
    }
    pub(crate) fn role_index(&self, id: &str) -> Option<u16> {
        self.roles.iter().position(|r| r.id == id).and_then(|i| u16::try_from(i).ok())
    }

    /// The catalog the policy was compiled against (screenings are scored and verified with it).
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// The policy's declaration of an external instrument (one the catalog does not hold).
    pub fn external_instrument(&self, id: &str) -> Option<&ExternalInstrument> {
        if self.catalog.contains(id) || self.catalog.load_errors().iter().any(|(x, _)| x == id) {
            return None;
        }
        self.source.external_instruments.iter().find(|e| e.id == id)
    }

    fn unknown_instrument(&self, id: &str) -> Error {
        let mut known: Vec<&str> = self.catalog.ids().collect();
        known.extend(self.source.external_instruments.iter().map(|e| e.id.as_str()));
        Error::new(
            ErrorCode::EvidenceUnknownInstrument,
            "/id",
            format!(
                "instrument {} is neither in the catalog nor declared external by policy {} (known: {})",
                echo(id),
                self.source.id,
                known.join(", ")
            ),
        )
    }

    /// The catalog instrument a reference names, with its settings applied (a setting not named
    /// takes its default). Paths relative to the reference (`/id`, `/version`, `/settings/<id>`).
    pub(crate) fn instrument_for(&self, r: &InstrumentRef) -> Result<Instrument> {
        let base = self.catalog.report_base(r).map_err(|e| {
            if e.error_code() == ErrorCode::EvidenceUnknownInstrument {
                self.unknown_instrument(&r.id)
            } else {
                e
            }
        })?;
        if r.settings.is_empty() || &r.settings == base.settings() {
            return Ok(base);
        }
        let mut merged = base.settings().clone();
        merged.extend(r.settings.iter().map(|(k, v)| (k.clone(), v.clone())));
        if let Ok(cache) = self.variants.read() {
            if let Some(v) = cache.iter().find(|v| v.id() == r.id && v.settings() == &merged) {
                return Ok(v.clone());
            }
        }
        let v = base
            .with_settings(&merged)
            .map_err(|e| Error::new(ErrorCode::EvidenceUnknownSetting, "/settings", e.message().to_owned()))?;
        if let Ok(mut cache) = self.variants.write() {
            // Settings are a closed set per instrument, so the cache is bounded by the catalog.
            if !cache.iter().any(|x| x.id() == v.id() && x.settings() == v.settings()) {
                cache.push(v.clone());
            }
        }
        Ok(v)
    }

    /// Verify a score report as evidence under this policy: against the catalog the policy was
    /// compiled with ([`Instrument::verify_report`]), or, for an instrument the policy declares
    /// external, against that declaration. Paths are JSON pointers into the report.
    ///
    /// Errors: `evidence.unknown_instrument` (`/instrument/id`), `evidence.version_mismatch`,
    /// `evidence.unknown_setting`, `evidence.out_of_range`, `evidence.report_inconsistent`.
    pub fn verify_report(&self, r: &ScoreReport) -> Result<()> {
        if let Some(decl) = self.external_instrument(&r.instrument.id) {
            return verify_external(decl, r);
        }
        let inst = self.instrument_for(&r.instrument).map_err(|e| e.prefixed("/instrument"))?;
        inst.verify_report(r)
    }

    /// Score answers given as evidence, with the named instrument id and version from the
    /// catalog (a setting not named takes its default). Paths: `/instrument/...` for the
    /// reference, `/response/...` for the answers (scoring errors keep their `score.*` codes).
    pub fn score_screening(&self, instrument: &InstrumentRef, response: &Response) -> Result<ScoreReport> {
        if self.external_instrument(&instrument.id).is_some() {
            return Err(Error::new(
                ErrorCode::EvidenceUnknownInstrument,
                "/instrument/id",
                format!(
                    "{} is an external instrument: the engine holds no key to score its answers; give the platform's report instead",
                    echo(&instrument.id)
                ),
            ));
        }
        let inst = self.instrument_for(instrument).map_err(|e| e.prefixed("/instrument"))?;
        inst.score(response).map_err(|e| e.prefixed("/response"))
    }
}

/// Verify a report of an external instrument against the policy's declaration.
fn verify_external(decl: &ExternalInstrument, r: &ScoreReport) -> Result<()> {
    let bad = |path: String, msg: String| Error::new(ErrorCode::EvidenceReportInconsistent, path, msg);
    if let Some(v) = &decl.version {
        if &r.instrument.version != v {
            return Err(Error::new(
                ErrorCode::EvidenceVersionMismatch,
                "/instrument/version",
                format!(
                    "the policy declares {} version {v}; the report is version {}",
                    decl.id,
                    echo(&r.instrument.version)
                ),
            ));
        }
    }
    let mut any_unscored = false;
    for (k, sc) in r.scales.iter().enumerate() {
        let path = format!("/scales/{k}");
        let Some(d) = decl.scales.iter().find(|x| x.id == sc.id) else {
            return Err(bad(
                format!("{path}/id"),
                format!(
                    "the policy declares no scale {} for external instrument {} (declared: {})",
                    echo(&sc.id),
                    decl.id,
                    decl.scales.iter().map(|x| x.id.as_str()).collect::<Vec<_>>().join(", ")
                ),
            ));
        };
        if r.scales[..k].iter().any(|x| x.id == sc.id) {
            return Err(bad(format!("{path}/id"), format!("scale {} is reported twice", sc.id)));
        }
        if sc.answered > sc.of {
            return Err(bad(format!("{path}/answered"), format!("{} answered of {}", sc.answered, sc.of)));
        }
        if sc.scored != sc.raw.is_some() {
            return Err(bad(format!("{path}/scored"), "a scale is scored exactly when it has a raw value".to_owned()));
        }
        any_unscored |= !sc.scored;
        for (field, v) in [("raw", sc.raw), ("score", sc.score)] {
            if let Some(v) = v {
                if !within(v, d.min, d.max) {
                    return Err(Error::new(
                        ErrorCode::EvidenceOutOfRange,
                        format!("{path}/{field}"),
                        format!(
                            "scale {} of {}: {v} is outside the declared range {} to {}",
                            sc.id,
                            decl.id,
                            d.min.map_or("-".to_owned(), |x| x.to_string()),
                            d.max.map_or("-".to_owned(), |x| x.to_string())
                        ),
                    ));
                }
            }
        }
        if let Some(b) = &sc.band {
            match d.bands.iter().position(|x| x == &b.id) {
                Some(i) if i as u64 == u64::from(b.index) => {}
                _ => {
                    return Err(bad(
                        format!("{path}/band"),
                        format!(
                            "band {} (index {}) is not a declared band of {}/{} (declared, in order: {})",
                            echo(&b.id),
                            b.index,
                            decl.id,
                            sc.id,
                            d.bands.join(", ")
                        ),
                    ))
                }
            }
            if !sc.scored {
                return Err(bad(format!("{path}/band"), "an unscored scale has no band".to_owned()));
            }
        }
    }
    for (k, f) in r.flags.iter().enumerate() {
        let path = format!("/flags/{k}");
        match decl.flags.iter().find(|x| x.id == f.id) {
            Some(d) if d.level == f.level => {}
            Some(d) => {
                return Err(bad(
                    format!("{path}/level"),
                    format!("the policy declares flag {} at level {:?}", d.id, d.level).to_lowercase(),
                ))
            }
            None => {
                return Err(bad(
                    format!("{path}/id"),
                    format!(
                        "the policy declares no flag {} for external instrument {} (declared: {})",
                        echo(&f.id),
                        decl.id,
                        decl.flags.iter().map(|x| x.id.as_str()).collect::<Vec<_>>().join(", ")
                    ),
                ))
            }
        }
        if r.flags[..k].iter().any(|x| x.id == f.id) {
            return Err(bad(format!("{path}/id"), format!("flag {} is reported twice", f.id)));
        }
    }
    if any_unscored && r.validity.status == ValidityStatus::Valid {
        return Err(bad("/validity/status".to_owned(), "a report with an unscored scale cannot be valid".to_owned()));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Lint + compile in one pass.

/// An instrument as rules see it: scales with their (index, band id) lists, and flags with levels.
type InstrumentInterface = (Vec<(String, Vec<(u32, String)>)>, Vec<(String, FlagLevel)>);

struct Compiler<'a> {
    p: &'a AlertPolicy,
    catalog: &'a Catalog,
    errors: Vec<Error>,
    out: CompiledPolicy,
    /// Some rule tests a flag or a positive screen verdict.
    tests_verdicts: bool,
    /// Some rule matches an indeterminate flag or screen verdict.
    matches_indeterminate: bool,
}

fn valid_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'.' | b'-'))
}

fn empty_compiled(p: &AlertPolicy) -> CompiledPolicy {
    CompiledPolicy {
        source: p.clone(),
        tiers: Vec::new(),
        rules: Vec::new(),
        nodes: Vec::new(),
        children: Vec::new(),
        instruments: Vec::new(),
        actions: Vec::new(),
        roles: Vec::new(),
        sources: Vec::new(),
        observation_categories: Vec::new(),
        life_event_kinds: Vec::new(),
        clinical_kinds: Vec::new(),
        agencies: Vec::new(),
        special_periods: Vec::new(),
        future_tolerance: 0,
        fingerprint: fnv1a(0xcbf2_9ce4_8422_2325u64, p.to_json().as_bytes()),
        catalog: Catalog::empty(),
        variants: Arc::new(RwLock::new(Vec::new())),
    }
}

fn fnv1a(h: u64, bytes: &[u8]) -> u64 {
    bytes.iter().fold(h, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3))
}

/// Mix a catalog's instruments (id, version, settings, resolved spec) into a fingerprint.
fn catalog_fingerprint(mut h: u64, catalog: &Catalog) -> u64 {
    for i in catalog.instruments() {
        h = fnv1a(h, i.id().as_bytes());
        h = fnv1a(h, i.version().as_bytes());
        for (k, v) in i.settings() {
            h = fnv1a(fnv1a(h, k.as_bytes()), v.as_bytes());
        }
        h = fnv1a(h, i.to_json().as_bytes());
    }
    h
}

impl<'a> Compiler<'a> {
    fn new(p: &'a AlertPolicy, catalog: &'a Catalog) -> Self {
        let out = empty_compiled(p);
        Compiler {
            p,
            catalog,
            errors: Vec::new(),
            out,
            tests_verdicts: false,
            matches_indeterminate: false,
        }
    }

    fn err(&mut self, code: ErrorCode, path: impl Into<String>, msg: impl Into<String>) {
        self.errors.push(Error::new(code, path, msg));
    }

    fn duration(&mut self, text: &str, path: &str) -> Option<i64> {
        match IsoDuration::parse(text) {
            Ok(d) => Some(d.seconds()),
            Err(e) => {
                self.err(ErrorCode::PolicyInvalidValue, path, e.message().to_owned());
                None
            }
        }
    }

    fn required_duration(&mut self, text: Option<&String>, path: &str, what: &str) -> Option<i64> {
        match text {
            Some(t) => self.duration(t, path),
            None => {
                self.err(
                    ErrorCode::PolicyMissingDeadline,
                    path,
                    format!("{what} is required (an ISO-8601 duration such as \"P7D\")"),
                );
                None
            }
        }
    }

    fn check_id(&mut self, id: &str, path: &str) {
        if !valid_id(id) {
            self.err(
                ErrorCode::PolicyInvalidValue,
                path,
                format!("ids are 1-64 characters of a-z, 0-9, '_', '.', '-'; found {}", excerpt(id)),
            );
        }
    }

    fn unique<'b, I: IntoIterator<Item = &'b str>>(&mut self, ids: I, path: &str, what: &str) {
        let mut seen: Vec<&str> = Vec::new();
        for (i, id) in ids.into_iter().enumerate() {
            self.check_id(id, &format!("{path}/{i}/id"));
            if seen.contains(&id) {
                self.err(
                    ErrorCode::PolicyDuplicateId,
                    format!("{path}/{i}/id"),
                    format!("{what} id {} is defined twice", excerpt(id)),
                );
            }
            seen.push(id);
        }
    }

    fn vocab(&mut self, list: &[VocabEntry], path: &str, what: &str) -> Vec<VocabEntry> {
        // The count is bounded by `check_limits` (MAX_VOCABULARY) before compilation starts.
        self.unique(list.iter().map(|v| v.id.as_str()), path, what);
        list.to_vec()
    }

    fn source_refs(&mut self, ids: &[String], path: &str, required: bool) -> Vec<u16> {
        if required && ids.is_empty() {
            self.err(ErrorCode::PolicyMissingSource, path, "cite at least one source (an id of /sources)");
        }
        let mut out = Vec::new();
        for (i, s) in ids.iter().enumerate() {
            match self.p.sources.iter().position(|x| &x.id == s) {
                Some(k) => out.push(k as u16),
                None => self.err(
                    ErrorCode::PolicyUnknownRef,
                    format!("{path}/{i}"),
                    format!("no source {} in /sources", excerpt(s)),
                ),
            }
        }
        out
    }

    fn role_ref(&mut self, id: &str, path: &str) -> u16 {
        match self.p.roles.iter().position(|r| r.id == id) {
            Some(k) => k as u16,
            None => {
                let known: Vec<&str> = self.p.roles.iter().map(|r| r.id.as_str()).collect();
                self.err(
                    ErrorCode::PolicyUnknownRef,
                    path,
                    format!("no role {} in /roles (known: {})", excerpt(id), known.join(", ")),
                );
                0
            }
        }
    }

    fn action_refs(&mut self, ids: &[String], path: &str) -> Vec<u16> {
        let mut out = Vec::new();
        for (i, a) in ids.iter().enumerate() {
            match self.p.actions.iter().position(|x| &x.id == a) {
                Some(k) if !out.contains(&(k as u16)) => out.push(k as u16),
                Some(_) => self.err(
                    ErrorCode::PolicyDuplicateId,
                    format!("{path}/{i}"),
                    format!("action {} is listed twice", excerpt(a)),
                ),
                None => self.err(
                    ErrorCode::PolicyUnknownRef,
                    format!("{path}/{i}"),
                    format!("no action {} in /actions", excerpt(a)),
                ),
            }
        }
        out
    }

    fn notifications(&mut self, list: &[NotificationSpec], path: &str) -> Vec<CNotification> {
        let mut out = Vec::new();
        for (i, n) in list.iter().enumerate() {
            let role = self.role_ref(&n.who, &format!("{path}/{i}/who"));
            let within = self.required_duration(n.within.as_ref(), &format!("{path}/{i}/within"), "a notification deadline");
            if out.iter().any(|x: &CNotification| x.role == role) && self.p.roles.iter().any(|r| r.id == n.who) {
                self.err(
                    ErrorCode::PolicyDuplicateId,
                    format!("{path}/{i}/who"),
                    format!("{} is notified twice", excerpt(&n.who)),
                );
            }
            out.push(CNotification {
                role,
                within: within.unwrap_or(0),
                within_text: n.within.clone().unwrap_or_default(),
            });
        }
        out
    }

    fn run(&mut self) -> CompiledPolicy {
        let p = self.p;
        if p.format != ALERT_POLICY_FORMAT {
            self.err(
                ErrorCode::PolicyUnsupportedFormat,
                "/format",
                format!("expected {ALERT_POLICY_FORMAT:?}, found {}", excerpt(&p.format)),
            );
        }
        self.check_id(&p.id, "/id");
        if p.version.trim().is_empty() {
            self.err(ErrorCode::PolicyInvalidValue, "/version", "the policy needs a version");
        }
        self.out.future_tolerance = self.duration(&p.future_tolerance, "/future_tolerance").unwrap_or(0);
        for (name, text) in [
            ("screening", &p.windows.screening),
            ("observation", &p.windows.observation),
            ("life_event", &p.windows.life_event),
            ("clinical", &p.windows.clinical),
            ("agency_notice", &p.windows.agency_notice),
        ] {
            self.duration(text, &format!("/windows/{name}"));
        }

        // Sources, roles, vocabularies.
        self.unique(p.sources.iter().map(|s| s.id.as_str()), "/sources", "source");
        for (i, s) in p.sources.iter().enumerate() {
            if s.citation.trim().is_empty() {
                self.err(ErrorCode::PolicyInvalidValue, format!("/sources/{i}/citation"), "a source needs a citation");
            }
        }
        self.out.sources = p.sources.clone();
        let roles = self.vocab(&p.roles, "/roles", "role");
        self.out.roles = roles
            .into_iter()
            .map(|r| CRole {
                notify_key: format!("notify:{}", r.id),
                id: r.id,
                label: r.label,
            })
            .collect();
        self.out.observation_categories = self.vocab(
            &p.vocabulary.observation_categories,
            "/vocabulary/observation_categories",
            "observation category",
        );
        self.out.life_event_kinds = self.vocab(&p.vocabulary.life_event_kinds, "/vocabulary/life_event_kinds", "life event kind");
        self.out.clinical_kinds = self.vocab(&p.vocabulary.clinical_kinds, "/vocabulary/clinical_kinds", "clinical notice kind");
        self.out.agencies = self.vocab(&p.vocabulary.agencies, "/vocabulary/agencies", "agency");
        self.out.special_periods = self.vocab(&p.vocabulary.special_periods, "/vocabulary/special_periods", "special period");

        // External instruments.
        self.unique(
            p.external_instruments.iter().map(|e| e.id.as_str()),
            "/external_instruments",
            "external instrument",
        );
        for (i, e) in p.external_instruments.iter().enumerate() {
            let path = format!("/external_instruments/{i}");
            self.unique(e.scales.iter().map(|s| s.id.as_str()), &format!("{path}/scales"), "scale");
            self.unique(e.flags.iter().map(|s| s.id.as_str()), &format!("{path}/flags"), "flag");
            if e.version.as_ref().is_some_and(|v| v.trim().is_empty()) {
                self.err(ErrorCode::PolicyInvalidValue, format!("{path}/version"), "a declared version must not be empty");
            }
            for (k, s) in e.scales.iter().enumerate() {
                if let (Some(lo), Some(hi)) = (s.min, s.max) {
                    if lo > hi {
                        self.err(
                            ErrorCode::PolicyInvalidValue,
                            format!("{path}/scales/{k}/max"),
                            format!("max {hi} is below min {lo}"),
                        );
                    }
                }
                let mut seen: Vec<&str> = Vec::new();
                for (b, band) in s.bands.iter().enumerate() {
                    if seen.contains(&band.as_str()) {
                        self.err(
                            ErrorCode::PolicyDuplicateId,
                            format!("{path}/scales/{k}/bands/{b}"),
                            format!("band {} appears twice", excerpt(band)),
                        );
                    }
                    seen.push(band);
                }
            }
        }

        // Actions.
        self.unique(p.actions.iter().map(|a| a.id.as_str()), "/actions", "action");
        for (i, a) in p.actions.iter().enumerate() {
            let path = format!("/actions/{i}");
            if a.label.is_empty() {
                self.err(ErrorCode::PolicyInvalidValue, format!("{path}/label"), "an action needs a label");
            }
            let role = self.role_ref(&a.role, &format!("{path}/role"));
            let due = self.required_duration(a.due.as_ref(), &format!("{path}/due"), "an action deadline");
            self.source_refs(&a.sources, &format!("{path}/sources"), true);
            self.out.actions.push(CAction {
                id: a.id.clone(),
                label: a.label.clone(),
                role,
                due: due.unwrap_or(0),
                due_text: a.due.clone().unwrap_or_default(),
            });
        }

        // Tiers.
        self.unique(p.tiers.iter().map(|t| t.id.as_str()), "/tiers", "tier");
        if p.tiers.len() < 2 || p.tiers.len() > MAX_TIERS {
            self.err(
                ErrorCode::PolicyLint,
                "/tiers",
                format!("a policy needs 2 to {MAX_TIERS} tiers (lowest first), found {}", p.tiers.len()),
            );
        }
        for (i, t) in p.tiers.iter().enumerate() {
            let path = format!("/tiers/{i}");
            let lowest = i == 0;
            if t.label.is_empty() {
                self.err(ErrorCode::PolicyInvalidValue, format!("{path}/label"), "a tier needs a label");
            }
            if !lowest && t.level.is_none() {
                self.err(
                    ErrorCode::PolicyLint,
                    format!("{path}/level"),
                    "every tier above the lowest needs a handling level (class, school or society)",
                );
            }
            if !lowest && t.responsible_roles.is_empty() {
                self.err(
                    ErrorCode::PolicyLint,
                    format!("{path}/responsible_roles"),
                    "every tier above the lowest needs responsible roles",
                );
            }
            let roles: Vec<u16> = t
                .responsible_roles
                .iter()
                .enumerate()
                .map(|(k, r)| self.role_ref(r, &format!("{path}/responsible_roles/{k}")))
                .collect();
            let min_dwell = if lowest {
                t.min_dwell.as_ref().and_then(|d| self.duration(d, &format!("{path}/min_dwell")))
            } else {
                self.required_duration(t.min_dwell.as_ref(), &format!("{path}/min_dwell"), "a minimum dwell time")
            };
            let review = if lowest {
                t.review_interval.as_ref().and_then(|d| self.duration(d, &format!("{path}/review_interval")))
            } else {
                self.required_duration(t.review_interval.as_ref(), &format!("{path}/review_interval"), "a review interval")
            };
            let special_review = t
                .special_period_review_interval
                .as_ref()
                .and_then(|d| self.duration(d, &format!("{path}/special_period_review_interval")));
            let actions = self.action_refs(&t.actions, &format!("{path}/actions"));
            let notifications = self.notifications(&t.notifications, &format!("{path}/notifications"));
            // A tier above the lowest is cited whenever it is held without a rule firing at it.
            let sources = self.source_refs(&t.sources, &format!("{path}/sources"), !lowest);
            self.out.tiers.push(CTier {
                sources,
                id: t.id.clone(),
                label: t.label.clone(),
                level: t.level,
                roles,
                min_dwell: min_dwell.unwrap_or(0),
                review,
                special_review,
                actions,
                notifications,
            });
        }

        // Instruments referenced by rules are collected while compiling conditions.
        // The rule count is bounded by `check_limits` (MAX_RULES) before compilation starts.
        self.unique(p.rules.iter().map(|r| r.id.as_str()), "/rules", "rule");
        self.collect_instruments();
        for (i, r) in p.rules.iter().enumerate() {
            let path = format!("/rules/{i}");
            let tier = match p.tiers.iter().position(|t| t.id == r.tier) {
                Some(k) => k as u8,
                None => {
                    self.err(
                        ErrorCode::PolicyUnknownRef,
                        format!("{path}/tier"),
                        format!("no tier {} in /tiers", excerpt(&r.tier)),
                    );
                    0
                }
            };
            if r.label.is_empty() {
                self.err(
                    ErrorCode::PolicyInvalidValue,
                    format!("{path}/label"),
                    "a rule needs a label (it is quoted in summaries)",
                );
            }
            let sources = self.source_refs(&r.sources, &format!("{path}/sources"), true);
            let root = self.condition(&r.when, &format!("{path}/when"), 0);
            let actions = self.action_refs(&r.actions, &format!("{path}/actions"));
            let notifications = self.notifications(&r.notifications, &format!("{path}/notifications"));
            let mut withhold = 0u64;
            for (k, w) in r.withhold_notifications.iter().enumerate() {
                let role = self.role_ref(w, &format!("{path}/withhold_notifications/{k}"));
                withhold |= 1u64.checked_shl(u32::from(role)).unwrap_or(0);
            }
            let relevant = relevance(&self.out.nodes, &self.out.children, root, 0);
            self.out.rules.push(CRule {
                relevant,
                withhold,
                id: r.id.clone(),
                tier,
                label: r.label.clone(),
                sources,
                root,
                actions,
                notifications,
            });
        }
        if self.tests_verdicts && !self.matches_indeterminate && p.indeterminate == Indeterminate::Explicit {
            self.err(
                ErrorCode::PolicyLint,
                "/indeterminate",
                "rules test flags or screen verdicts, but none matches an indeterminate verdict, so \"cannot tell\" would read as negative: add a rule with flag_verdict or screen_verdict [\"indeterminate\"], or set indeterminate to \"as_positive\"",
            );
        }
        self.lint_unreviewable();
        for (i, t) in p.tiers.iter().enumerate().skip(1) {
            if !p.rules.iter().any(|r| r.tier == t.id) {
                self.err(
                    ErrorCode::PolicyUnreachableTier,
                    format!("/tiers/{i}"),
                    format!("no rule implies tier {}, so no evidence can ever reach it", excerpt(&t.id)),
                );
            }
        }
        std::mem::replace(&mut self.out, empty_compiled(p))
    }

    /// A rule whose condition holds whatever the evidence once its own tier is in force (e.g. a
    /// crisis rule conditioned on `previous_tier_at_least: crisis`) keeps that tier forever: a
    /// review lowers a tier only when no rule still requires it. Such a rule is an error
    /// (`policy.unreviewable_rule`), pointing at the `previous_tier_at_least` that holds it.
    fn lint_unreviewable(&mut self) {
        let p = self.p;
        for (i, r) in p.rules.iter().enumerate() {
            let Some(tier) = p.tiers.iter().position(|t| t.id == r.tier).filter(|t| *t > 0) else {
                continue;
            };
            if holds_without_evidence(&r.when, &p.tiers, tier, 0) != Some(true) {
                continue;
            }
            let when = format!("/rules/{i}/when");
            let path = held_by_previous_tier(&r.when, &p.tiers, tier, &when, 0).unwrap_or(when);
            self.err(
                ErrorCode::PolicyUnreviewableRule,
                path,
                format!(
                    "rule {} (tier {}) holds whatever the evidence while the tier in force is {} or higher, so no review can ever lower {} once it is reached; require current evidence instead",
                    excerpt(&r.id),
                    excerpt(&r.tier),
                    excerpt(&r.tier),
                    excerpt(&r.tier)
                ),
            );
        }
    }

    /// Resolve every instrument named by a rule against the catalog, then the external declarations.
    fn collect_instruments(&mut self) {
        let mut ids: Vec<String> = Vec::new();
        fn walk(c: &RuleCondition, ids: &mut Vec<String>, depth: usize) {
            if depth > MAX_CONDITION_DEPTH {
                return;
            }
            match c {
                RuleCondition::Any(v) | RuleCondition::All(v) => v.iter().for_each(|x| walk(x, ids, depth + 1)),
                RuleCondition::Not(x) => walk(x, ids, depth + 1),
                RuleCondition::Screening(t) => {
                    if let Some(i) = &t.instrument {
                        if !ids.contains(i) {
                            ids.push(i.clone());
                        }
                    }
                }
                _ => {}
            }
        }
        for r in &self.p.rules {
            walk(&r.when, &mut ids, 0);
        }
        ids.sort();
        for id in ids {
            if self.catalog.instrument(&id).is_ok() {
                self.out.instruments.push(CInstrument {
                    id,
                    external: false,
                    flags: Vec::new(),
                    scales: Vec::new(),
                });
            } else if self.p.external_instruments.iter().any(|e| e.id == id) {
                self.out.instruments.push(CInstrument {
                    id,
                    external: true,
                    flags: Vec::new(),
                    scales: Vec::new(),
                });
            }
            // Unknown ones are reported at each use, with the rule's path.
        }
    }

    fn push_node(&mut self, n: Node) -> u32 {
        self.out.nodes.push(n);
        (self.out.nodes.len() - 1) as u32
    }

    fn window(&mut self, within: Option<&String>, default: &str, path: &str) -> i64 {
        match within {
            Some(w) => self.duration(w, &format!("{path}/within")).unwrap_or(0),
            None => IsoDuration::parse(default).map(|d| d.seconds()).unwrap_or(0),
        }
    }

    fn vocab_mask(&mut self, ids: &[String], list: &[VocabEntry], path: &str, what: &str) -> u64 {
        if ids.is_empty() {
            return u64::MAX;
        }
        let mut mask = 0u64;
        for (i, id) in ids.iter().enumerate() {
            match list.iter().position(|v| &v.id == id) {
                Some(k) if k < 64 => mask |= 1 << k,
                _ => {
                    let known: Vec<&str> = list.iter().map(|v| v.id.as_str()).collect();
                    self.err(
                        ErrorCode::PolicyUnknownRef,
                        format!("{path}/{i}"),
                        format!("no {what} {} in the vocabulary (known: {})", excerpt(id), known.join(", ")),
                    );
                }
            }
        }
        mask
    }

    fn condition(&mut self, c: &RuleCondition, path: &str, depth: usize) -> u32 {
        if depth > MAX_CONDITION_DEPTH {
            // Unreachable after `check_limits`; kept so the recursion is bounded on its own.
            self.err(
                ErrorCode::PolicyLimitExceeded,
                path,
                format!("conditions may nest at most {MAX_CONDITION_DEPTH} deep"),
            );
            return self.push_node(Node::Any(0, 0));
        }
        let p = self.p;
        match c {
            RuleCondition::Any(v) | RuleCondition::All(v) => {
                let is_any = matches!(c, RuleCondition::Any(_));
                let key = if is_any { "any" } else { "all" };
                if v.is_empty() {
                    self.err(
                        ErrorCode::PolicyLint,
                        format!("{path}/{key}"),
                        if is_any {
                            "an empty any never holds, so the rule can never fire"
                        } else {
                            "an empty all always holds, so the rule would fire for every student"
                        },
                    );
                }
                let kids: Vec<u32> = v
                    .iter()
                    .enumerate()
                    .map(|(i, x)| self.condition(x, &format!("{path}/{key}/{i}"), depth + 1))
                    .collect();
                let start = self.out.children.len() as u32;
                self.out.children.extend(kids);
                let end = self.out.children.len() as u32;
                self.push_node(if is_any { Node::Any(start, end) } else { Node::All(start, end) })
            }
            RuleCondition::Not(x) => {
                let k = self.condition(x, &format!("{path}/not"), depth + 1);
                self.push_node(Node::Not(k))
            }
            RuleCondition::Screening(t) => self.screening(t, &format!("{path}/screening")),
            RuleCondition::Observation(t) => {
                let path = format!("{path}/observation");
                let cats = self.vocab_mask(
                    &t.categories,
                    &p.vocabulary.observation_categories,
                    &format!("{path}/categories"),
                    "observation category",
                );
                let within = self.window(t.within.as_ref(), &p.windows.observation, &path);
                let min_count = t.min_count.unwrap_or(1);
                if min_count == 0 {
                    self.err(ErrorCode::PolicyInvalidValue, format!("{path}/min_count"), "min_count must be at least 1");
                }
                self.push_node(Node::Observation {
                    cats,
                    within,
                    min_count: min_count.max(1),
                })
            }
            RuleCondition::LifeEvent(t) => {
                let path = format!("{path}/life_event");
                let kinds = self.vocab_mask(&t.kinds, &p.vocabulary.life_event_kinds, &format!("{path}/kinds"), "life event kind");
                let within = self.window(t.within.as_ref(), &p.windows.life_event, &path);
                self.push_node(Node::LifeEvent { kinds, within })
            }
            RuleCondition::Clinical(t) => {
                let path = format!("{path}/clinical");
                let kinds = self.vocab_mask(&t.kinds, &p.vocabulary.clinical_kinds, &format!("{path}/kinds"), "clinical notice kind");
                let within = self.window(t.within.as_ref(), &p.windows.clinical, &path);
                self.push_node(Node::Clinical { kinds, within })
            }
            RuleCondition::AgencyNotice(t) => {
                let path = format!("{path}/agency_notice");
                let agencies = self.vocab_mask(&t.agencies, &p.vocabulary.agencies, &format!("{path}/agencies"), "agency");
                let severities = if t.severities.is_empty() {
                    0b11
                } else {
                    t.severities.iter().fold(0u8, |m, s| m | (1 << (*s as u8)))
                };
                let within = self.window(t.within.as_ref(), &p.windows.agency_notice, &path);
                self.push_node(Node::Agency { agencies, severities, within })
            }
            RuleCondition::SpecialPeriod(t) => {
                let kinds = self.vocab_mask(
                    &t.kinds,
                    &p.vocabulary.special_periods,
                    &format!("{path}/special_period/kinds"),
                    "special period",
                );
                self.push_node(Node::SpecialPeriod { kinds })
            }
            RuleCondition::PreviousTierAtLeast(id) => {
                let k = match p.tiers.iter().position(|t| &t.id == id) {
                    Some(k) => k as u8,
                    None => {
                        self.err(
                            ErrorCode::PolicyUnknownRef,
                            format!("{path}/previous_tier_at_least"),
                            format!("no tier {} in /tiers", excerpt(id)),
                        );
                        0
                    }
                };
                self.push_node(Node::PreviousTierAtLeast(k))
            }
        }
    }

    fn screening(&mut self, t: &ScreeningTest, path: &str) -> u32 {
        let p = self.p;
        let within = self.window(t.within.as_ref(), &p.windows.screening, path);
        let mut leaf = ScreeningLeaf {
            inst: ANY_INSTRUMENT,
            within,
            band: None,
            severity: t.band_severity_at_least,
            scale: None,
            flag: None,
            flag_level: t.flag_level_at_least,
            flag_verdicts: 0,
            screen: 0,
            validity: t.validity.iter().fold(0u8, |m, v| m | (1 << v.code())),
        };
        let tests_something = t.band_at_least.is_some()
            || t.band_severity_at_least.is_some()
            || t.scale_at_least.is_some()
            || t.flag.is_some()
            || t.flag_level_at_least.is_some()
            || t.screen_positive.is_some()
            || !t.screen_verdict.is_empty()
            || !t.validity.is_empty();
        if !tests_something {
            self.err(
                ErrorCode::PolicyLint,
                path,
                "a screening condition must test something (band, severity, score, flag, flag level, screen verdict or validity)",
            );
        }
        let as_positive = p.indeterminate == Indeterminate::AsPositive;
        leaf.flag_verdicts = if t.flag_verdict.is_empty() {
            verdict_bit(Verdict::Positive) | if as_positive { verdict_bit(Verdict::Indeterminate) } else { 0 }
        } else {
            if t.flag.is_none() && t.flag_level_at_least.is_none() {
                self.err(
                    ErrorCode::PolicyLint,
                    format!("{path}/flag_verdict"),
                    "flag_verdict qualifies flag or flag_level_at_least; give one of them",
                );
            }
            if t.flag_verdict.contains(&Verdict::Negative) {
                self.err(
                    ErrorCode::PolicyLint,
                    format!("{path}/flag_verdict"),
                    "a flag test matches positive or indeterminate flags (a negative flag is not listed in a report)",
                );
            }
            t.flag_verdict.iter().fold(0, |m, v| m | verdict_bit(*v))
        };
        leaf.screen = match (t.screen_positive, t.screen_verdict.is_empty()) {
            (Some(_), false) => {
                self.err(
                    ErrorCode::PolicyLint,
                    format!("{path}/screen_verdict"),
                    "give either screen_positive or screen_verdict, not both",
                );
                0
            }
            (Some(true), true) => verdict_bit(Verdict::Positive) | if as_positive { verdict_bit(Verdict::Indeterminate) } else { 0 },
            (Some(false), true) => verdict_bit(Verdict::Negative) | NO_SCREEN,
            (None, false) => t.screen_verdict.iter().fold(0, |m, v| m | verdict_bit(*v)),
            (None, true) => 0,
        };
        let ind = verdict_bit(Verdict::Indeterminate);
        let tests_flags = t.flag.is_some() || t.flag_level_at_least.is_some();
        self.tests_verdicts |= tests_flags || leaf.screen & verdict_bit(Verdict::Positive) != 0;
        self.matches_indeterminate |= (tests_flags && leaf.flag_verdicts & ind != 0) || leaf.screen & ind != 0;
        let Some(inst_id) = &t.instrument else {
            for (field, present) in [
                ("band_at_least", t.band_at_least.is_some()),
                ("scale_at_least", t.scale_at_least.is_some()),
                ("flag", t.flag.is_some()),
            ] {
                if present {
                    self.err(
                        ErrorCode::PolicyLint,
                        format!("{path}/{field}"),
                        format!("{field} names a scale or flag, so the condition must name its instrument"),
                    );
                }
            }
            return self.push_node(Node::Screening(Box::new(leaf)));
        };
        let Some(ci) = self.out.instruments.iter().position(|i| &i.id == inst_id) else {
            let cause = match self.catalog.instrument(inst_id) {
                Err(e) if e.error_code() != ErrorCode::CatalogUnknownInstrument => format!(" (the catalog could not load it: {e})"),
                _ => String::new(),
            };
            self.err(
                ErrorCode::PolicyUnknownInstrument,
                format!("{path}/instrument"),
                format!(
                    "instrument {} is neither in the catalog (known: {}) nor declared in /external_instruments{cause}",
                    excerpt(inst_id),
                    self.catalog.ids().collect::<Vec<_>>().join(", ")
                ),
            );
            return self.push_node(Node::Screening(Box::new(leaf)));
        };
        leaf.inst = ci as u16;
        let external = self.out.instruments[ci].external;
        // The instrument's interface: scales with (index, band id), and flags with levels.
        let (scales, flags): InstrumentInterface = if external {
            match self.p.external_instruments.iter().find(|e| &e.id == inst_id) {
                Some(e) => (
                    e.scales
                        .iter()
                        .map(|s| (s.id.clone(), s.bands.iter().enumerate().map(|(k, b)| (k as u32, b.clone())).collect()))
                        .collect(),
                    e.flags.iter().map(|f| (f.id.clone(), f.level)).collect(),
                ),
                None => (Vec::new(), Vec::new()),
            }
        } else {
            match self.catalog.instrument(inst_id) {
                Ok(inst) => {
                    let spec = inst.spec();
                    (
                        spec.scales
                            .iter()
                            .map(|s| (s.id.clone(), s.bands.iter().map(|b| (b.index, b.id.clone())).collect()))
                            .collect(),
                        spec.flags.iter().map(|f| (f.id.clone(), f.level)).collect(),
                    )
                }
                Err(_) => (Vec::new(), Vec::new()),
            }
        };
        let scale_slot = |me: &mut Self, scale: &str, field_path: &str| -> Option<(u16, Vec<(u32, String)>)> {
            let Some((_, bands)) = scales.iter().find(|(id, _)| id == scale) else {
                me.err(
                    ErrorCode::PolicyUnknownScale,
                    field_path,
                    format!(
                        "instrument {} has no scale {} (scales: {})",
                        excerpt(inst_id),
                        excerpt(scale),
                        scales.iter().map(|s| s.0.as_str()).collect::<Vec<_>>().join(", ")
                    ),
                );
                return None;
            };
            let inst = &mut me.out.instruments[ci];
            let slot = match inst.scales.iter().position(|s| s.id == scale) {
                Some(k) => k,
                None => {
                    inst.scales.push(CScale {
                        id: scale.to_owned(),
                        bands: bands.clone(),
                        needs_score: false,
                    });
                    inst.scales.len() - 1
                }
            };
            Some((slot as u16, bands.clone()))
        };
        if let Some(b) = &t.band_at_least {
            if let Some((slot, bands)) = scale_slot(self, &b.scale, &format!("{path}/band_at_least/scale")) {
                let idx = match &b.band {
                    BandRef::Index(i) => bands.iter().find(|(k, _)| k == i).map(|(k, _)| *k),
                    BandRef::Id(id) => bands.iter().find(|(_, bid)| bid == id).map(|(k, _)| *k),
                };
                match idx {
                    Some(k) => leaf.band = Some((slot, k)),
                    None => self.err(
                        ErrorCode::PolicyUnknownBand,
                        format!("{path}/band_at_least/band"),
                        format!(
                            "scale {inst_id}/{} has no band {} (bands: {})",
                            b.scale,
                            excerpt_debug(&b.band),
                            bands.iter().map(|(k, id)| format!("{id}={k}")).collect::<Vec<_>>().join(", ")
                        ),
                    ),
                }
            }
        }
        if let Some(s) = &t.scale_at_least {
            if let Some((slot, _)) = scale_slot(self, &s.scale, &format!("{path}/scale_at_least/scale")) {
                let value = match crate::limits::spec_number(s.value, ErrorCode::PolicyInvalidValue, &format!("{path}/scale_at_least/value")) {
                    Ok(v) => v,
                    Err(e) => {
                        self.errors.push(e);
                        Ratio::int(0)
                    }
                };
                leaf.scale = Some((slot, value, s.value));
                if let Some(cs) = self.out.instruments.get_mut(ci).and_then(|i| i.scales.get_mut(usize::from(slot))) {
                    cs.needs_score = true;
                }
            }
        }
        if let Some(f) = &t.flag {
            match flags.iter().find(|(id, _)| id == f) {
                Some((_, level)) => {
                    let inst = &mut self.out.instruments[ci];
                    let bit = match inst.flags.iter().position(|(id, _)| id == f) {
                        Some(k) => k,
                        None => {
                            inst.flags.push((f.clone(), *level));
                            inst.flags.len() - 1
                        }
                    };
                    if bit >= MAX_FLAGS_PER_INSTRUMENT {
                        self.err(
                            ErrorCode::PolicyLint,
                            format!("{path}/flag"),
                            format!("at most {MAX_FLAGS_PER_INSTRUMENT} flags of one instrument may be named"),
                        );
                    } else {
                        leaf.flag = Some(bit as u8);
                    }
                }
                None => self.err(
                    ErrorCode::PolicyUnknownFlag,
                    format!("{path}/flag"),
                    format!(
                        "instrument {} has no flag {} (flags: {})",
                        excerpt(inst_id),
                        excerpt(f),
                        flags.iter().map(|f| f.0.as_str()).collect::<Vec<_>>().join(", ")
                    ),
                ),
            }
        }
        self.push_node(Node::Screening(Box::new(leaf)))
    }
}
