//! The instrument spec: a versioned JSON format (`"format": "changkaixin.instrument/1"`).
//!
//! The full format is documented in `docs/instrument-format.md`. These types are the
//! serde shape of that document; [`crate::Instrument::from_json`] parses them, applies
//! the chosen [settings](SettingSpec), lints the result and compiles it into a plan.

use crate::decimal::{Dec, Rounding};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The format tag every spec must carry.
pub const INSTRUMENT_FORMAT: &str = "changkaixin.instrument/1";

/// Text in the locales the platform serves. At least one must be present where text is required.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Localized {
    /// Simplified Chinese.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zh: Option<String>,
    /// English.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub en: Option<String>,
}

impl Localized {
    /// Both locales.
    pub fn new(zh: &str, en: &str) -> Localized {
        Localized {
            zh: Some(zh.to_owned()),
            en: Some(en.to_owned()),
        }
    }
    /// Whether neither locale is present.
    pub fn is_empty(&self) -> bool {
        self.zh.as_deref().is_none_or(str::is_empty) && self.en.as_deref().is_none_or(str::is_empty)
    }
}

/// A whole instrument.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstrumentSpec {
    /// Must be [`INSTRUMENT_FORMAT`].
    pub format: String,
    /// Stable id, lowercase `[a-z0-9_]`, e.g. `phq9`.
    pub id: String,
    /// Version of this spec (semver-like string); reported with every score.
    pub version: String,
    /// Instrument name.
    pub name: Localized,
    /// The publication(s) the scoring rules come from.
    pub citation: String,
    /// Licence of the instrument and of the item texts.
    pub license: License,
    /// Ages the instrument is meant for, in years.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub age_range: Option<AgeRange>,
    /// Recall period as an ISO-8601 duration (`P2W`, `P1M`) or free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recall_period: Option<String>,
    /// Free notes: provenance, what is NOT established, how a licensed key is loaded.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// FHIR/LOINC identity of the instrument (panel code and total-score code).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fhir: Option<FhirInstrumentLink>,
    /// Named option sets that items refer to by name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub option_sets: BTreeMap<String, Vec<OptionSpec>>,
    /// Items in printed order.
    pub items: Vec<ItemSpec>,
    /// Scales in evaluation order (a composite scale may only use scales listed before it).
    pub scales: Vec<ScaleSpec>,
    /// Critical items and composite rules, in evaluation order (a flag may only refer to earlier flags).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flags: Vec<FlagSpec>,
    /// The instrument's overall screen-positive rule, where it defines one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub screen_positive: Option<ScreenPositiveSpec>,
    /// Validity rules (lie scales, too few answers, straight-lining, too fast).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub validity: Vec<ValidityRuleSpec>,
    /// The group keys norm tables are indexed by, e.g. `["grade", "sex"]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub norm_group_keys: Vec<String>,
    /// Norm tables converting raw scores to standard scores.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub norms: Vec<NormTableSpec>,
    /// Named choices where sources disagree or a rule is not established.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub settings: Vec<SettingSpec>,
}

/// Licence information.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct License {
    /// `public-domain`, `free-with-attribution`, `proprietary`, `not-established`, `synthetic`.
    pub id: String,
    /// What the licence allows and where that is stated.
    pub text: String,
    /// Whether this spec carries item texts (only allowed for public-domain or free instruments).
    #[serde(default)]
    pub item_texts: bool,
}

/// Age range in whole years (inclusive).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgeRange {
    /// Minimum age.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_years: Option<u32>,
    /// Maximum age.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_years: Option<u32>,
}

/// FHIR identity of an instrument.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FhirInstrumentLink {
    /// Questionnaire canonical URL or LOINC panel code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub questionnaire: Option<String>,
    /// Observation codes for scale totals, by scale id (e.g. `total` → LOINC `44261-6`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub observation_codes: BTreeMap<String, Coding>,
    /// linkIds of computed items (stored totals). Their answers in a QuestionnaireResponse
    /// are ignored: a stored total is never trusted; the engine recomputes it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub calculated_link_ids: Vec<String>,
    /// Which scale a computed item claims to hold (`linkId → scale id`, e.g. `H1/TS → total`).
    /// A stored value is only ever *compared* with the recomputed scale and reported
    /// (`fhir::StoredTotal`), never used.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub calculated_scales: BTreeMap<String, String>,
    /// linkIds of items that carry no score (free text, dates, booleans, unweighted multi-select,
    /// numeric items without a `{score}` unit). Their answers in a QuestionnaireResponse are not
    /// scoring input and are skipped.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ignored_link_ids: Vec<String>,
}

/// A FHIR coding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Coding {
    /// Code system, e.g. `http://loinc.org`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    /// The code.
    pub code: String,
    /// Display text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
}

/// One response option.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OptionSpec {
    /// Stable option id, unique within the item: the LOINC answer code (`LA6568-5`) where the
    /// option has one, otherwise a slug of its meaning (`strongly_agree`). Answers may name an
    /// option by this id instead of its code. When absent, the id is the `fhir` coding's code, or
    /// `code_<code>` (see [`OptionSpec::effective_id`]); the built-in catalog states every id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The raw code a respondent's answer carries (0..=127, so it fits every integer buffer).
    pub code: i64,
    /// The scored value before reversal.
    pub value: i32,
    /// Option label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<Localized>,
    /// FHIR answer coding (LOINC answer code such as `LA6568-5`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fhir: Option<Coding>,
}

impl OptionSpec {
    /// The option's id: `id` if given, else the `fhir` coding's code, else `code_<code>`.
    pub fn effective_id(&self) -> String {
        match (&self.id, &self.fhir) {
            (Some(id), _) => id.clone(),
            (None, Some(c)) if !c.code.is_empty() => c.code.clone(),
            _ => format!("code_{}", self.code),
        }
    }
}

/// Options of an item: the name of an option set, or an inline list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum OptionsRef {
    /// Name of an entry of `option_sets`.
    Named(String),
    /// Inline options.
    Inline(Vec<OptionSpec>),
}

/// One item.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemSpec {
    /// Printed item number, 1-based, unique.
    pub number: u32,
    /// Stable item id tied to content, e.g. `rses_satisfied` (reverse keys follow content, not numbers).
    pub id: String,
    /// Item text (only where the licence allows).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<Localized>,
    /// Response options.
    pub options: OptionsRef,
    /// Reverse-scored: value becomes `min + max − value` over the option values.
    #[serde(default, skip_serializing_if = "is_false")]
    pub reverse: bool,
    /// Explicit code → value map (keys are codes as strings). Overrides option values and `reverse`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<BTreeMap<String, i32>>,
    /// Whether the item counts towards scales at all (PHQ-9 item 10 does not).
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub scored: bool,
    /// Skip logic: the item is asked only when this condition holds (e.g. C-SSRS items 3-5 only
    /// after item 2 = yes). It may refer only to earlier items (`item`, `item_state`, `answered`,
    /// `any`/`all`/`not`/`count_of`), and an item with `asked_if` may not be part of a scale.
    /// An unanswered item whose condition is false was not asked: comparisons with it are false,
    /// it is no unknown. An unanswered item that should have been asked (or may have been) is an
    /// unknown whose possible answers the three-valued verdicts take into account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asked_if: Option<Condition>,
    /// FHIR linkId and item code for import and QuestionnaireResponse scoring.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fhir: Option<FhirItemLink>,
}

/// FHIR identity of an item.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FhirItemLink {
    /// The Questionnaire linkId.
    pub link_id: String,
    /// The item code (LOINC question code).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<Coding>,
    /// The item is answered with a number (`valueInteger`, `valueDecimal`, `valueQuantity`) whose
    /// exact value selects the option with that `value`, instead of with a `valueCoding`.
    #[serde(default, skip_serializing_if = "is_false")]
    pub numeric: bool,
}

fn yes() -> bool {
    true
}
fn is_true(b: &bool) -> bool {
    *b
}
fn is_false(b: &bool) -> bool {
    !*b
}

/// A set of items: numbers, or `"a-b"` ranges (inclusive).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ItemRef {
    /// One item number.
    One(u32),
    /// An inclusive range written `"1-90"`.
    Range(String),
}

/// What a scale counts in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScaleKind {
    /// The instrument total.
    #[default]
    Total,
    /// A subscale.
    Subscale,
    /// A factor.
    Factor,
    /// A validity/lie scale.
    Validity,
    /// A derived index (e.g. a positive-item count).
    Index,
}

/// A scale.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScaleSpec {
    /// Unique id within the instrument.
    pub id: String,
    /// Display name.
    pub name: Localized,
    /// What kind of scale this is.
    #[serde(default)]
    pub kind: ScaleKind,
    /// How the value is computed.
    pub aggregate: Aggregate,
    /// What happens when items (or component scales) are missing.
    #[serde(default)]
    pub missing: MissingPolicy,
    /// Decimal places the value is reported with (default 0, or 2 for means). Bands compare the exact value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report_decimals: Option<u32>,
    /// Rounding for the reported value of a mean (default half-up).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report_rounding: Option<Rounding>,
    /// Which value the bands apply to.
    #[serde(default)]
    pub bands_on: BandBasis,
    /// Whether the bands must cover the whole possible range (`full`) or may leave the ends open (`partial`).
    #[serde(default)]
    pub band_coverage: BandCoverage,
    /// Severity bands.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bands: Vec<BandSpec>,
    /// Where the scale definition comes from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// How a scale is aggregated.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case", deny_unknown_fields)]
pub enum Aggregate {
    /// Sum of item values.
    Sum {
        /// Items summed.
        items: Vec<ItemRef>,
    },
    /// Mean of item values (exact fraction).
    Mean {
        /// Items averaged.
        items: Vec<ItemRef>,
    },
    /// Number of items whose value satisfies a comparison (e.g. SCL-90 positive items: value ≥ 2).
    Count {
        /// Items counted.
        items: Vec<ItemRef>,
        /// The condition on each item's scored value.
        #[serde(rename = "where")]
        condition: ValueTest,
    },
    /// Number of items whose value satisfies their group's comparison (e.g. the PHQ-A GLAD-PC
    /// positive-symptom count: value >= 2 on items 1-8, >= 1 on item 9). An item may be in one group only.
    CountGroups {
        /// The groups.
        groups: Vec<CountGroup>,
    },
    /// Sum of other (earlier, integer-valued) scales.
    SumOfScales {
        /// Component scale ids.
        scales: Vec<String>,
    },
}

/// One group of a `count_groups` aggregation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CountGroup {
    /// Items of the group.
    pub items: Vec<ItemRef>,
    /// The condition on each item's scored value.
    #[serde(rename = "where")]
    pub condition: ValueTest,
}

/// A comparison of a value with a constant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValueTest {
    /// Operator.
    pub op: CmpOp,
    /// Constant.
    pub value: Dec,
}

/// Comparison operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CmpOp {
    /// less than
    #[serde(rename = "<")]
    Lt,
    /// at most
    #[serde(rename = "<=")]
    Le,
    /// more than
    #[serde(rename = ">")]
    Gt,
    /// at least
    #[serde(rename = ">=")]
    Ge,
    /// equal
    #[serde(rename = "==")]
    Eq,
    /// not equal
    #[serde(rename = "!=")]
    Ne,
}

impl CmpOp {
    /// Apply to an ordering of `lhs` against `rhs`.
    pub fn holds(self, ord: std::cmp::Ordering) -> bool {
        use std::cmp::Ordering::*;
        match self {
            CmpOp::Lt => ord == Less,
            CmpOp::Le => ord != Greater,
            CmpOp::Gt => ord == Greater,
            CmpOp::Ge => ord != Less,
            CmpOp::Eq => ord == Equal,
            CmpOp::Ne => ord != Equal,
        }
    }
    /// The operator's symbol.
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
        }
    }
}

/// Missing-data policy of a scale.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case", deny_unknown_fields)]
pub enum MissingPolicy {
    /// Every item (or component scale) must be answered; otherwise the scale is not scored.
    #[default]
    RequireAll,
    /// Score if at least `min_answered` items are answered, prorating the sum to the full length:
    /// `round(sum × n / answered)` to `decimals` places with `rounding`.
    Prorate {
        /// Minimum number of answered items.
        min_answered: u32,
        /// Rounding rule of the prorated value.
        rounding: Rounding,
        /// Decimal places of the prorated value (0 for SDQ).
        #[serde(default)]
        decimals: u32,
    },
    /// Sum the answered items if at most `max_missing` are missing.
    SumAnswered {
        /// Maximum number of missing items.
        max_missing: u32,
    },
    /// For a mean: average the answered items if at least `min_answered` are answered.
    MeanOfAnswered {
        /// Minimum number of answered items.
        min_answered: u32,
    },
}

/// Which value bands and scale comparisons use by default.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BandBasis {
    /// The raw value.
    #[default]
    Raw,
    /// The norm-converted standard score.
    Score,
}

/// Whether bands must cover the whole possible range.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BandCoverage {
    /// Every possible value falls in exactly one band.
    #[default]
    Full,
    /// Values below the first or above the last band get no band (e.g. RSES above 25).
    Partial,
}

/// Coarse cross-instrument severity of a band (for dashboards; alert rules use band ids and indices).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// No problem indicated.
    None,
    /// Mild / borderline.
    Mild,
    /// Moderate.
    Moderate,
    /// High / moderately severe.
    High,
    /// Severe.
    Severe,
}

/// A band with explicit boundaries.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BandSpec {
    /// Unique id within the scale.
    pub id: String,
    /// Label.
    pub label: Localized,
    /// Ordinal index, 0 = least severe.
    pub index: u32,
    /// Coarse severity.
    pub severity: Severity,
    /// Lower bound (absent = unbounded below).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<Dec>,
    /// Whether the lower bound is included (default true).
    #[serde(default = "yes")]
    pub min_inclusive: bool,
    /// Upper bound (absent = unbounded above).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<Dec>,
    /// Whether the upper bound is included (default true).
    #[serde(default = "yes")]
    pub max_inclusive: bool,
    /// Source of the cut-off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// A small condition tree over items, scales, flags and timing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Condition {
    /// True if any child is true (false if empty).
    Any(Vec<Condition>),
    /// True if every child is true (true if empty).
    All(Vec<Condition>),
    /// Negation.
    Not(Box<Condition>),
    /// An item's scored value (or raw code) compared with a constant. False when the item is not answered.
    Item(ItemTest),
    /// An item's answer state.
    ItemState(ItemStateTest),
    /// A scale's value compared with a constant. False when the scale is not scored.
    Scale(ScaleTest),
    /// Whether a scale could not be scored (missing data or missing norms).
    ScaleUnscored(String),
    /// A scale's band index compared with a constant. False when there is no band.
    Band(BandTest),
    /// How many of the sub-conditions are true, compared with a constant.
    CountOf(CountOfTest),
    /// How many of the items are answered, compared with a constant.
    Answered(AnsweredTest),
    /// All answered items among `items` carry the same raw code, with at least `min_answered` answered.
    StraightLine(StraightLineTest),
    /// Completion time in whole seconds compared with a constant. False when times are absent.
    DurationSeconds(ValueTest),
    /// An earlier flag fired.
    Flag(String),
}

impl Condition {
    /// The sub-conditions of this node (for the iterative walks that bound depth before any recursion).
    pub(crate) fn kids(&self) -> crate::limits::Kids<'_, Condition> {
        use crate::limits::Kids;
        match self {
            Condition::Any(v) | Condition::All(v) => Kids::Many(v),
            Condition::CountOf(t) => Kids::Many(&t.of),
            Condition::Not(c) => Kids::One(c),
            _ => Kids::None,
        }
    }
}

/// Conditions are freed iteratively: a tree nested 100,000 deep (buildable through the Rust API)
/// must not overflow the stack when it is dropped after being refused.
impl Drop for Condition {
    fn drop(&mut self) {
        fn detach(c: &mut Condition, out: &mut Vec<Condition>) {
            match c {
                Condition::Any(v) | Condition::All(v) => out.append(v),
                Condition::CountOf(t) => out.append(&mut t.of),
                Condition::Not(b) => out.push(std::mem::replace(&mut **b, Condition::All(Vec::new()))),
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

/// `item` condition.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemTest {
    /// Item number.
    pub item: u32,
    /// Operator.
    pub op: CmpOp,
    /// Constant.
    pub value: Dec,
    /// Compare the scored value (default) or the raw code.
    #[serde(default)]
    pub on: ItemBasis,
}

/// What an item test compares.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemBasis {
    /// The scored value (after reversal).
    #[default]
    Value,
    /// The raw code.
    Code,
}

/// `item_state` condition.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemStateTest {
    /// Item number.
    pub item: u32,
    /// The state tested.
    pub state: ItemStateKind,
}

/// Answer states.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemStateKind {
    /// Answered with a code.
    Answered,
    /// Not answered (skipped, not shown, lost).
    Missing,
    /// The respondent declined to answer.
    Refused,
    /// Missing or refused.
    Unanswered,
}

/// `scale` condition.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScaleTest {
    /// Scale id.
    pub scale: String,
    /// Operator.
    pub op: CmpOp,
    /// Constant.
    pub value: Dec,
    /// Compare the raw value or the standard score (default: the scale's `bands_on`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on: Option<BandBasis>,
}

/// `band` condition.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BandTest {
    /// Scale id.
    pub scale: String,
    /// Operator.
    pub op: CmpOp,
    /// Band ordinal index.
    pub index: u32,
}

/// `count_of` condition.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CountOfTest {
    /// Sub-conditions.
    pub of: Vec<Condition>,
    /// Operator.
    pub op: CmpOp,
    /// Constant.
    pub value: u32,
}

/// `answered` condition.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnsweredTest {
    /// Items considered.
    pub items: Vec<ItemRef>,
    /// Operator.
    pub op: CmpOp,
    /// Constant.
    pub value: u32,
}

/// `straight_line` condition.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StraightLineTest {
    /// Items considered.
    pub items: Vec<ItemRef>,
    /// Minimum answered items for the test to apply.
    pub min_answered: u32,
}

/// Flag levels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlagLevel {
    /// Informational.
    Info,
    /// Needs attention.
    Warning,
    /// Needs same-day follow-up (e.g. a self-harm item).
    Critical,
}

/// A flag: a critical item or a composite rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlagSpec {
    /// Unique id within the instrument (also unique against scale ids is not required).
    pub id: String,
    /// Short label.
    pub label: Localized,
    /// Level.
    pub level: FlagLevel,
    /// When the flag fires.
    pub when: Condition,
    /// What the flag means and what it asks for.
    pub reason: Localized,
    /// Source of the rule.
    pub source: String,
}

/// The instrument's overall screen-positive rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScreenPositiveSpec {
    /// When the screen is positive.
    pub when: Condition,
    /// What a positive screen means.
    pub reason: Localized,
    /// Source of the rule.
    pub source: String,
}

/// Validity verdicts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ValidityVerdict {
    /// Recorded as a reason only; the response stays valid.
    Note,
    /// The response is incomplete.
    Incomplete,
    /// The response is invalid (e.g. lie scale high).
    Invalid,
}

/// A validity rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValidityRuleSpec {
    /// Unique id.
    pub id: String,
    /// When the rule fires.
    pub when: Condition,
    /// Verdict when it fires.
    pub verdict: ValidityVerdict,
    /// Explanation.
    pub reason: Localized,
    /// Source.
    pub source: String,
}

/// A norm table for one scale and one group.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NormTableSpec {
    /// Scale id (must be integer-valued).
    pub scale: String,
    /// Group key values, e.g. `{"grade": "7", "sex": "F"}`; keys must equal `norm_group_keys`.
    pub group: BTreeMap<String, String>,
    /// Rows covering the raw range without overlap.
    pub rows: Vec<NormRow>,
    /// Source of the table.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// One norm row: raw scores `raw_min..=raw_max` map to `score`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NormRow {
    /// Lowest raw score of the row.
    pub raw_min: i64,
    /// Highest raw score of the row.
    pub raw_max: i64,
    /// Standard score.
    pub score: Dec,
}

/// A named setting: where sources conflict or a rule is not established.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettingSpec {
    /// Setting id, e.g. `bands`.
    pub id: String,
    /// What the setting decides and why it is a setting (which sources disagree).
    pub description: String,
    /// The default option id.
    pub default: String,
    /// Why this default.
    pub default_rationale: String,
    /// The options.
    pub options: Vec<SettingOption>,
}

/// One option of a setting.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettingOption {
    /// Option id, e.g. `abs`.
    pub id: String,
    /// What this option does and its source.
    pub description: String,
    /// What it changes in the spec.
    #[serde(default)]
    pub patch: SpecPatch,
}

/// A patch applied by a setting option.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpecPatch {
    /// Replace the whole item list (e.g. a different printed item order).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items: Option<Vec<ItemSpec>>,
    /// Patch scales by id.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub scales: BTreeMap<String, ScalePatch>,
    /// Replace flags by id (the flag must exist).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub flags: BTreeMap<String, FlagPatch>,
    /// Replace the screen-positive rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub screen_positive: Option<ScreenPositiveSpec>,
}

/// Fields of a scale a setting may replace.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScalePatch {
    /// New bands.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bands: Option<Vec<BandSpec>>,
    /// New band coverage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub band_coverage: Option<BandCoverage>,
    /// New missing-data policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub missing: Option<MissingPolicy>,
    /// New band basis.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bands_on: Option<BandBasis>,
    /// New aggregation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aggregate: Option<Aggregate>,
}

/// Fields of a flag a setting may replace.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlagPatch {
    /// New condition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<Condition>,
    /// New reason text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<Localized>,
    /// New source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}
