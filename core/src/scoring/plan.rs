//! The compiled, flat form of an instrument that scoring runs.
//!
//! Built once by [`crate::instrument::compile::compile`]; every reference is an
//! index, every constant an exact [`Ratio`], every band lookup on the common
//! path a table indexed by the integer sum.

use crate::decimal::{Dec, Ratio, Rounding};
use crate::instrument::spec::{BandBasis, CmpOp, FlagLevel, ItemBasis, ItemStateKind, Localized, Severity, ValidityVerdict};
use std::collections::BTreeMap;

/// Codes are 0..=127 so that every integer buffer type (int8 included) can carry them.
pub(crate) const CODE_SLOTS: usize = 128;
/// Marker in an item's lookup table for a code that is not an option.
pub(crate) const NOT_AN_OPTION: i16 = i16::MIN;
/// Marker in band lookup tables for "no band".
pub(crate) const NO_BAND: u8 = u8::MAX;

#[derive(Debug)]
pub(crate) struct Plan {
    pub id: String,
    pub items: Vec<ItemPlan>,
    pub scales: Vec<ScalePlan>,
    pub flags: Vec<FlagPlan>,
    pub screen_positive: Option<ScreenPlan>,
    pub validity: Vec<ValidityPlan>,
    pub norm_group_keys: Vec<String>,
    /// `Some(depth)` when the block-columnar fast path covers every condition.
    pub fast_depth: Option<usize>,
}

#[derive(Debug)]
pub(crate) struct ItemPlan {
    pub number: u32,
    pub id: String,
    pub scored: bool,
    /// code → scored value, or [`NOT_AN_OPTION`].
    pub lut: Box<[i16; CODE_SLOTS]>,
    /// The options in printed order.
    pub options: Vec<OptionPlan>,
    /// Smallest and largest scored value over the options.
    pub vmin: i32,
    pub vmax: i32,
    /// Skip logic: asked only when this holds (refers to earlier items only; the item is in no scale).
    pub asked_if: Option<CondPlan>,
}

/// One option of an item, as compiled.
#[derive(Debug, Clone)]
pub(crate) struct OptionPlan {
    pub code: i64,
    /// The effective option id (unique within the item).
    pub id: String,
    /// The scored value (after reversal or an explicit `values` map).
    pub value: i32,
    pub label: Option<Localized>,
}

impl ItemPlan {
    /// The option code with this id.
    pub fn code_of_id(&self, id: &str) -> Option<i64> {
        self.options.iter().find(|o| o.id == id).map(|o| o.code)
    }
    /// The scored value of a code, if the code is an option.
    #[inline]
    pub fn value_of(&self, code: i64) -> Option<i32> {
        if (0..CODE_SLOTS as i64).contains(&code) {
            let v = self.lut[code as usize];
            (v != NOT_AN_OPTION).then_some(v as i32)
        } else {
            None
        }
    }
}

#[derive(Debug)]
pub(crate) enum AggPlan {
    Sum(Vec<usize>),
    Mean(Vec<usize>),
    /// `count` and `count_groups`: one test per item.
    Count(Vec<CountTerm>),
    SumOfScales(Vec<usize>),
}

/// One item of a count aggregation with its test.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CountTerm {
    pub idx: usize,
    pub op: CmpOp,
    pub value: Ratio,
    /// Whether every option of the item satisfies the test (an unanswered item surely counts).
    pub always: bool,
    /// Whether some option satisfies it (an unanswered item may count).
    pub possible: bool,
}

impl AggPlan {
    /// The item indices a (non-composite) aggregation reads.
    pub fn item_indices(&self) -> Vec<usize> {
        match self {
            AggPlan::Sum(v) | AggPlan::Mean(v) => v.clone(),
            AggPlan::Count(t) => t.iter().map(|t| t.idx).collect(),
            AggPlan::SumOfScales(_) => Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum MissingPlan {
    RequireAll,
    Prorate { min_answered: u32, rounding: Rounding, decimals: u32 },
    SumAnswered { max_missing: u32 },
    MeanOfAnswered { min_answered: u32 },
}

#[derive(Debug)]
pub(crate) struct ScalePlan {
    pub id: String,
    pub agg: AggPlan,
    pub missing: MissingPlan,
    /// Number of items (or component scales).
    pub n: u32,
    /// Denominator of the complete value: 1, or `n` for a mean.
    pub den: i64,
    /// Range of the integer numerator when complete.
    pub sum_min: i64,
    pub sum_max: i64,
    pub decimals: u32,
    pub rounding: Rounding,
    pub bands_on: BandBasis,
    pub bands: Vec<BandPlan>,
    /// Band position by `sum - sum_min` for complete raw values (when bands are on raw).
    pub band_by_sum: Vec<u8>,
    pub norms: Option<NormPlan>,
}

#[derive(Debug)]
pub(crate) struct BandPlan {
    pub id: String,
    pub label: Localized,
    pub index: u32,
    pub severity: Severity,
    pub lo: Option<(Ratio, bool)>,
    pub hi: Option<(Ratio, bool)>,
    pub evidence: String,
    pub rule: String,
    pub source: Option<String>,
}

impl BandPlan {
    pub fn contains(&self, v: Ratio) -> bool {
        let lo_ok = match self.lo {
            None => true,
            Some((b, true)) => v >= b,
            Some((b, false)) => v > b,
        };
        let hi_ok = match self.hi {
            None => true,
            Some((b, true)) => v <= b,
            Some((b, false)) => v < b,
        };
        lo_ok && hi_ok
    }
}

#[derive(Debug)]
pub(crate) struct NormPlan {
    pub raw_min: i64,
    /// One table per group: `(group keys, score by raw - raw_min, band position by raw - raw_min)`.
    pub groups: Vec<NormGroup>,
}

#[derive(Debug)]
pub(crate) struct NormGroup {
    pub key: BTreeMap<String, String>,
    pub scores: Vec<Dec>,
    pub band_by_raw: Vec<u8>,
}

#[derive(Debug)]
pub(crate) enum CondPlan {
    Any(Vec<CondPlan>),
    All(Vec<CondPlan>),
    Not(Box<CondPlan>),
    Item { idx: usize, op: CmpOp, value: Ratio, on: ItemBasis },
    ItemState { idx: usize, state: ItemStateKind },
    Scale { idx: usize, op: CmpOp, value: Ratio, basis: BandBasis },
    ScaleUnscored(usize),
    Band { idx: usize, op: CmpOp, index: u32 },
    CountOf { of: Vec<CondPlan>, op: CmpOp, value: u32 },
    Answered { items: Vec<usize>, op: CmpOp, value: u32 },
    StraightLine { items: Vec<usize>, min_answered: u32 },
    Duration { op: CmpOp, value: Ratio },
    Flag(usize),
}

#[derive(Debug)]
pub(crate) struct FlagPlan {
    pub id: String,
    pub label: Localized,
    pub level: FlagLevel,
    pub reason: Localized,
    pub source: String,
    pub cond: CondPlan,
}

#[derive(Debug)]
pub(crate) struct ScreenPlan {
    pub reason: Localized,
    pub source: String,
    pub cond: CondPlan,
}

#[derive(Debug)]
pub(crate) struct ValidityPlan {
    pub id: String,
    pub verdict: ValidityVerdict,
    pub reason: Localized,
    pub source: String,
    pub cond: CondPlan,
}
