//! Row evaluation shared by single and batch scoring: one code path computes
//! every scale, band, flag and validity verdict, so the two cannot disagree.
//!
//! Conditions are evaluated in Kleene three-valued logic ([`Tri`]). An unanswered
//! item (missing or refused) is an unknown: a *value* test on it is true when it
//! holds for every option of the item, false when it holds for none, and
//! undecided otherwise; a scale's *complete value* lies in an interval computed
//! from the answered items and the value ranges of the unanswered ones, and a
//! scale or band test is decided only when it holds for all of that interval or
//! for none of it. Facts about the response itself (`item_state`, `answered`,
//! `straight_line`, `scale_unscored`, `duration_seconds`) are always decided.
//! An unanswered item whose skip logic (`asked_if`) is false was not asked and is
//! no unknown: value tests on it are false.

use crate::decimal::Ratio;
use crate::instrument::compile::band_pos;
use crate::instrument::spec::{BandBasis, CmpOp, ItemBasis, ItemStateKind, ValidityVerdict};
use crate::scoring::fast::{int_test, IntTest};
use crate::scoring::plan::*;
use crate::scoring::report::Verdict;

pub(crate) const ANSWERED: u8 = 0;
pub(crate) const MISSING: u8 = 1;
pub(crate) const REFUSED: u8 = 2;

/// A three-valued truth value (Kleene): false, true, undecided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tri {
    F,
    T,
    U,
}

impl Tri {
    #[inline]
    pub fn from_bool(b: bool) -> Tri {
        if b {
            Tri::T
        } else {
            Tri::F
        }
    }
    #[inline]
    pub fn not(self) -> Tri {
        match self {
            Tri::F => Tri::T,
            Tri::T => Tri::F,
            Tri::U => Tri::U,
        }
    }
    pub fn verdict(self) -> Verdict {
        match self {
            Tri::F => Verdict::Negative,
            Tri::T => Verdict::Positive,
            Tri::U => Verdict::Indeterminate,
        }
    }
}

/// Why a scale is unscored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Unscored {
    No,
    Missing,
}

/// Reusable per-row state; allocated once per call (or once per batch), never per row.
#[derive(Debug)]
pub(crate) struct RowState {
    pub code: Vec<i64>,
    pub value: Vec<i32>,
    pub state: Vec<u8>,
    /// Per item: whether the skip logic asks it (T for items without `asked_if`).
    pub applicable: Vec<Tri>,
    pub raw: Vec<Option<Ratio>>,
    pub score: Vec<Option<Ratio>>,
    /// Index into the norm table's `scores`, when normed.
    pub norm_slot: Vec<Option<(usize, usize)>>,
    pub answered: Vec<u32>,
    pub prorated: Vec<bool>,
    pub unscored: Vec<Unscored>,
    pub band: Vec<u8>,
    /// Per scale: the numerator interval (over the scale's `den`) of the value the scale would
    /// take if every unanswered item were answered. Equal ends when the scale is complete.
    pub lo: Vec<i64>,
    pub hi: Vec<i64>,
    pub flags: Vec<Tri>,
    pub duration: Option<i64>,
    /// Norm group index per scale (resolved by the caller).
    pub group: Vec<Option<usize>>,
}

impl RowState {
    pub fn new(plan: &Plan) -> RowState {
        let n = plan.items.len();
        let s = plan.scales.len();
        RowState {
            code: vec![0; n],
            value: vec![0; n],
            state: vec![MISSING; n],
            applicable: vec![Tri::T; n],
            raw: vec![None; s],
            score: vec![None; s],
            norm_slot: vec![None; s],
            answered: vec![0; s],
            prorated: vec![false; s],
            unscored: vec![Unscored::No; s],
            band: vec![NO_BAND; s],
            lo: vec![0; s],
            hi: vec![0; s],
            flags: vec![Tri::F; plan.flags.len()],
            duration: None,
            group: vec![None; s],
        }
    }
}

/// Compute applicability, scales, bands and flags for the row in `st` (items already decoded).
pub(crate) fn evaluate(plan: &Plan, st: &mut RowState) {
    for (i, it) in plan.items.iter().enumerate() {
        st.applicable[i] = match &it.asked_if {
            None => Tri::T,
            Some(c) => cond3(c, plan, st),
        };
    }
    for (si, sc) in plan.scales.iter().enumerate() {
        let (value, answered, prorated) = scale_value(sc, st);
        let (lo, hi) = complete_interval(plan, sc, st);
        st.lo[si] = lo;
        st.hi[si] = hi;
        st.answered[si] = answered;
        st.prorated[si] = prorated;
        st.raw[si] = value;
        st.unscored[si] = if value.is_some() { Unscored::No } else { Unscored::Missing };
        let (score, slot, band) = score_and_band(sc, value, st.group[si]);
        st.score[si] = score;
        st.norm_slot[si] = slot;
        st.band[si] = band;
    }
    for fi in 0..plan.flags.len() {
        st.flags[fi] = cond3(&plan.flags[fi].cond, plan, st);
    }
}

/// A scale's standard score, norm-table slot and band position from its raw value and the
/// row's norm group for the scale (shared by the row evaluator and the block path).
#[inline]
pub(crate) fn score_and_band(sc: &ScalePlan, value: Option<Ratio>, group: Option<usize>) -> (Option<Ratio>, Option<(usize, usize)>, u8) {
    let mut score = value;
    let mut norm_slot = None;
    if let (Some(norms), Some(v)) = (&sc.norms, value) {
        match group {
            Some(g) if v.is_integer() => {
                let slot = (v.num() - norms.raw_min) as usize;
                let table = &norms.groups[g];
                score = table.scores.get(slot).and_then(|d| d.to_ratio());
                norm_slot = Some((g, slot));
            }
            _ => score = None,
        }
    }
    let band = if sc.bands.is_empty() {
        NO_BAND
    } else if sc.bands_on == BandBasis::Raw {
        match value {
            None => NO_BAND,
            Some(v) => lookup_sum(sc, v).unwrap_or_else(|| band_pos(&sc.bands, v)),
        }
    } else {
        match (norm_slot, &sc.norms) {
            (Some((g, slot)), Some(norms)) => norms.groups[g].band_by_raw.get(slot).copied().unwrap_or(NO_BAND),
            _ => NO_BAND,
        }
    };
    (score, norm_slot, band)
}

/// Band position from the precomputed table for a complete value `sum / den`.
#[inline]
fn lookup_sum(sc: &ScalePlan, v: Ratio) -> Option<u8> {
    let den = sc.den.max(1);
    if den % v.den() != 0 {
        return None;
    }
    let sum = v.num() * (den / v.den());
    sc.band_by_sum.get(usize::try_from(sum - sc.sum_min).ok()?).copied()
}

#[inline]
pub(crate) fn count_hit(t: &CountTerm, value: i32) -> bool {
    t.op.holds(Ratio::int(i64::from(value)).cmp(&t.value))
}

fn scale_value(sc: &ScalePlan, st: &RowState) -> (Option<Ratio>, u32, bool) {
    let (sum, answered) = match &sc.agg {
        AggPlan::Sum(items) | AggPlan::Mean(items) => {
            let mut sum = 0i64;
            let mut answered = 0u32;
            for &i in items {
                if st.state[i] == ANSWERED {
                    sum += i64::from(st.value[i]);
                    answered += 1;
                }
            }
            (sum, answered)
        }
        AggPlan::Count(terms) => {
            let mut count = 0i64;
            let mut answered = 0u32;
            for t in terms {
                if st.state[t.idx] == ANSWERED {
                    answered += 1;
                    if count_hit(t, st.value[t.idx]) {
                        count += 1;
                    }
                }
            }
            (count, answered)
        }
        AggPlan::SumOfScales(parts) => {
            let mut sum = 0i64;
            let mut answered = 0u32;
            for &j in parts {
                if let Some(v) = st.raw[j] {
                    sum += v.num();
                    answered += 1;
                }
            }
            return value_of_parts(sc, sum, answered);
        }
    };
    value_of_sum(sc, sum, answered)
}

/// A `sum`/`mean`/`count` scale's value, answered count and whether it was prorated, from the
/// sum over its answered items (shared by the row evaluator and the block path).
pub(crate) fn value_of_sum(sc: &ScalePlan, sum: i64, answered: u32) -> (Option<Ratio>, u32, bool) {
    let n = sc.n;
    if answered == n {
        return (Some(Ratio::new(sum, sc.den.max(1))), answered, false);
    }
    if answered == 0 {
        return (None, 0, false);
    }
    match sc.missing {
        MissingPlan::RequireAll => (None, answered, false),
        MissingPlan::Prorate {
            min_answered,
            rounding,
            decimals,
        } => {
            if answered >= min_answered {
                let exact = Ratio::new(sum * i64::from(n), i64::from(answered));
                let m = exact.round_mantissa(decimals, rounding);
                (Some(Ratio::new(m, 10i64.pow(decimals))), answered, true)
            } else {
                (None, answered, false)
            }
        }
        MissingPlan::SumAnswered { max_missing } => {
            if n - answered <= max_missing {
                (Some(Ratio::int(sum)), answered, false)
            } else {
                (None, answered, false)
            }
        }
        MissingPlan::MeanOfAnswered { min_answered } => {
            if answered >= min_answered {
                (Some(Ratio::new(sum, i64::from(answered))), answered, false)
            } else {
                (None, answered, false)
            }
        }
    }
}

/// A `sum_of_scales` scale's value from the numerators of its scored parts.
#[inline]
pub(crate) fn value_of_parts(sc: &ScalePlan, sum: i64, answered: u32) -> (Option<Ratio>, u32, bool) {
    if answered == sc.n {
        (Some(Ratio::int(sum)), answered, false)
    } else {
        (None, answered, false)
    }
}

/// The numerator interval of the scale's complete value over every answer the unanswered
/// items could take. (Items with skip logic are in no scale, so every unanswered item of a
/// scale is an unknown.)
fn complete_interval(plan: &Plan, sc: &ScalePlan, st: &RowState) -> (i64, i64) {
    let (mut lo, mut hi) = (0i64, 0i64);
    match &sc.agg {
        AggPlan::Sum(items) | AggPlan::Mean(items) => {
            for &i in items {
                if st.state[i] == ANSWERED {
                    lo += i64::from(st.value[i]);
                    hi += i64::from(st.value[i]);
                } else {
                    lo += i64::from(plan.items[i].vmin);
                    hi += i64::from(plan.items[i].vmax);
                }
            }
        }
        AggPlan::Count(terms) => {
            for t in terms {
                if st.state[t.idx] == ANSWERED {
                    let hit = i64::from(count_hit(t, st.value[t.idx]));
                    lo += hit;
                    hi += hit;
                } else {
                    lo += i64::from(t.always);
                    hi += i64::from(t.possible);
                }
            }
        }
        AggPlan::SumOfScales(parts) => {
            for &j in parts {
                lo = lo.saturating_add(st.lo[j]);
                hi = hi.saturating_add(st.hi[j]);
            }
        }
    }
    (lo, hi)
}

/// `s / den OP k` for integer `s`, as an integer test on `s`.
pub(crate) fn num_test(op: CmpOp, k: Ratio, den: i64) -> IntTest {
    match k.num().checked_mul(den.max(1)) {
        Some(n) => int_test(op, Ratio::new(n, k.den())),
        None => {
            // The threshold lies beyond every value a scale can take.
            let above = k.num() > 0;
            IntTest::Const(match op {
                CmpOp::Ge | CmpOp::Gt => !above,
                CmpOp::Le | CmpOp::Lt => above,
                CmpOp::Eq => false,
                CmpOp::Ne => true,
            })
        }
    }
}

/// An integer test over every integer of `lo..=hi`: true for all, for none, or undecided.
pub(crate) fn range_test(t: IntTest, lo: i64, hi: i64) -> Tri {
    let (op, m) = match t {
        IntTest::Const(b) => return Tri::from_bool(b),
        IntTest::Cmp(op, m) => (op, m),
    };
    let (all, none) = match op {
        CmpOp::Ge => (lo >= m, hi < m),
        CmpOp::Gt => (lo > m, hi <= m),
        CmpOp::Le => (hi <= m, lo > m),
        CmpOp::Lt => (hi < m, lo >= m),
        CmpOp::Eq => (lo == m && hi == m, m < lo || m > hi),
        CmpOp::Ne => (m < lo || m > hi, lo == m && hi == m),
    };
    if all {
        Tri::T
    } else if none {
        Tri::F
    } else {
        Tri::U
    }
}

/// Fold booleans into a verdict: all true, all false, or mixed.
#[derive(Default)]
struct Seen {
    t: bool,
    f: bool,
}
impl Seen {
    #[inline]
    fn add(&mut self, b: bool) -> bool {
        if b {
            self.t = true;
        } else {
            self.f = true;
        }
        self.t && self.f
    }
    fn tri(&self) -> Tri {
        match (self.t, self.f) {
            (true, false) => Tri::T,
            (false, _) => Tri::F,
            (true, true) => Tri::U,
        }
    }
}

fn item_test(plan: &Plan, st: &RowState, idx: usize, op: CmpOp, value: Ratio, on: ItemBasis) -> Tri {
    let holds = |x: i64| op.holds(Ratio::int(x).cmp(&value));
    if st.state[idx] == ANSWERED {
        let x = match on {
            ItemBasis::Value => i64::from(st.value[idx]),
            ItemBasis::Code => st.code[idx],
        };
        return Tri::from_bool(holds(x));
    }
    item_test_unanswered(plan, idx, op, value, on, st.applicable[idx])
}

/// An item test on an unanswered item whose skip logic gives `app` (shared with the block path).
pub(crate) fn item_test_unanswered(plan: &Plan, idx: usize, op: CmpOp, value: Ratio, on: ItemBasis, app: Tri) -> Tri {
    let holds = |x: i64| op.holds(Ratio::int(x).cmp(&value));
    if app == Tri::F {
        return Tri::F; // not asked: no value to compare
    }
    // If it may not have been asked, "not asked" (false) is among the possibilities.
    let mut seen = Seen { t: false, f: app == Tri::U };
    for o in &plan.items[idx].options {
        let x = match on {
            ItemBasis::Value => i64::from(o.value),
            ItemBasis::Code => o.code,
        };
        if seen.add(holds(x)) {
            return Tri::U;
        }
    }
    seen.tri()
}

fn scale_test(plan: &Plan, st: &RowState, idx: usize, op: CmpOp, value: Ratio, basis: BandBasis) -> Tri {
    scale_test_at(plan, idx, op, value, basis, st.lo[idx], st.hi[idx], st.group[idx])
}

/// A scale test given the scale's complete-value interval `lo..=hi` and norm group (shared with
/// the block path).
#[allow(clippy::too_many_arguments)]
pub(crate) fn scale_test_at(plan: &Plan, idx: usize, op: CmpOp, value: Ratio, basis: BandBasis, lo: i64, hi: i64, group: Option<usize>) -> Tri {
    let sc = &plan.scales[idx];
    if let (BandBasis::Score, Some(norms)) = (basis, &sc.norms) {
        let Some(g) = group else { return Tri::F };
        let table = &norms.groups[g].scores;
        let (Ok(a), Ok(b)) = (usize::try_from(lo - norms.raw_min), usize::try_from(hi - norms.raw_min)) else {
            return Tri::F;
        };
        let Some(slots) = table.get(a..=b) else { return Tri::F };
        // Norm scores passed `spec_number` at compile time, so they always convert.
        let holds = |d: &crate::Dec| d.to_ratio().is_some_and(|r| op.holds(r.cmp(&value)));
        return match op {
            // Norm tables never decrease, so an order test is decided by the two ends.
            CmpOp::Ge | CmpOp::Gt | CmpOp::Le | CmpOp::Lt => match (slots.first(), slots.last()) {
                (Some(x), Some(y)) => match (holds(x), holds(y)) {
                    (true, true) => Tri::T,
                    (false, false) => Tri::F,
                    _ => Tri::U,
                },
                _ => Tri::F,
            },
            CmpOp::Eq | CmpOp::Ne => {
                let mut seen = Seen::default();
                for d in slots {
                    if seen.add(holds(d)) {
                        return Tri::U;
                    }
                }
                seen.tri()
            }
        };
    }
    range_test(num_test(op, value, sc.den), lo, hi)
}

/// The band positions the scale's complete value can fall in.
fn band_positions(sc: &ScalePlan, lo: i64, hi: i64, group: Option<usize>) -> &[u8] {
    if sc.bands_on == BandBasis::Raw {
        let (Ok(a), Ok(b)) = (usize::try_from(lo - sc.sum_min), usize::try_from(hi - sc.sum_min)) else {
            return &[];
        };
        return sc.band_by_sum.get(a..=b).unwrap_or(&[]);
    }
    match (&sc.norms, group) {
        (Some(norms), Some(g)) => {
            let (Ok(a), Ok(b)) = (usize::try_from(lo - norms.raw_min), usize::try_from(hi - norms.raw_min)) else {
                return &[];
            };
            norms.groups[g].band_by_raw.get(a..=b).unwrap_or(&[])
        }
        _ => &[],
    }
}

fn band_test(plan: &Plan, st: &RowState, idx: usize, op: CmpOp, index: u32) -> Tri {
    band_test_at(plan, idx, op, index, st.lo[idx], st.hi[idx], st.group[idx])
}

/// A band test given the scale's complete-value interval and norm group (shared with the block path).
pub(crate) fn band_test_at(plan: &Plan, idx: usize, op: CmpOp, index: u32, lo: i64, hi: i64, group: Option<usize>) -> Tri {
    let sc = &plan.scales[idx];
    let mut seen = Seen::default();
    for &p in band_positions(sc, lo, hi, group) {
        let holds = p != NO_BAND && op.holds(sc.bands[p as usize].index.cmp(&index));
        if seen.add(holds) {
            return Tri::U;
        }
    }
    seen.tri()
}

/// Evaluate a condition on a row in three-valued logic.
pub(crate) fn cond3(c: &CondPlan, plan: &Plan, st: &RowState) -> Tri {
    match c {
        CondPlan::Any(v) => {
            let mut r = Tri::F;
            for c in v {
                match cond3(c, plan, st) {
                    Tri::T => return Tri::T,
                    Tri::U => r = Tri::U,
                    Tri::F => {}
                }
            }
            r
        }
        CondPlan::All(v) => {
            let mut r = Tri::T;
            for c in v {
                match cond3(c, plan, st) {
                    Tri::F => return Tri::F,
                    Tri::U => r = Tri::U,
                    Tri::T => {}
                }
            }
            r
        }
        CondPlan::Not(c) => cond3(c, plan, st).not(),
        CondPlan::Item { idx, op, value, on } => item_test(plan, st, *idx, *op, *value, *on),
        CondPlan::ItemState { idx, state } => {
            let s = st.state[*idx];
            Tri::from_bool(match state {
                ItemStateKind::Answered => s == ANSWERED,
                ItemStateKind::Missing => s == MISSING,
                ItemStateKind::Refused => s == REFUSED,
                ItemStateKind::Unanswered => s != ANSWERED,
            })
        }
        CondPlan::Scale { idx, op, value, basis } => scale_test(plan, st, *idx, *op, *value, *basis),
        CondPlan::ScaleUnscored(idx) => Tri::from_bool(st.raw[*idx].is_none() || st.score[*idx].is_none()),
        CondPlan::Band { idx, op, index } => band_test(plan, st, *idx, *op, *index),
        CondPlan::CountOf { of, op, value } => {
            let (t, u) = count_of(of, plan, st);
            range_test(IntTest::Cmp(*op, i64::from(*value)), t, t + u)
        }
        CondPlan::Answered { items, op, value } => {
            let n = items.iter().filter(|&&i| st.state[i] == ANSWERED).count() as u32;
            Tri::from_bool(op.holds(n.cmp(value)))
        }
        CondPlan::StraightLine { items, min_answered } => {
            let mut first = None;
            let mut n = 0u32;
            for &i in items {
                if st.state[i] == ANSWERED {
                    n += 1;
                    match first {
                        None => first = Some(st.code[i]),
                        Some(c) if c != st.code[i] => return Tri::F,
                        _ => {}
                    }
                }
            }
            Tri::from_bool(n >= *min_answered)
        }
        CondPlan::Duration { op, value } => Tri::from_bool(st.duration.is_some_and(|d| op.holds(Ratio::int(d).cmp(value)))),
        CondPlan::Flag(i) => st.flags[*i],
    }
}

/// How many sub-conditions are true, and how many undecided.
pub(crate) fn count_of(of: &[CondPlan], plan: &Plan, st: &RowState) -> (i64, i64) {
    let (mut t, mut u) = (0i64, 0i64);
    for c in of {
        match cond3(c, plan, st) {
            Tri::T => t += 1,
            Tri::U => u += 1,
            Tri::F => {}
        }
    }
    (t, u)
}

/// Whether a condition certainly holds (validity rules fire only then).
pub(crate) fn cond(c: &CondPlan, plan: &Plan, st: &RowState) -> bool {
    cond3(c, plan, st) == Tri::T
}

/// The unanswered items of a scale (through composite scales), as item indices.
pub(crate) fn scale_unanswered(plan: &Plan, st: &RowState, idx: usize, out: &mut Vec<usize>) {
    match &plan.scales[idx].agg {
        AggPlan::SumOfScales(parts) => {
            for &j in parts {
                scale_unanswered(plan, st, j, out);
            }
        }
        agg => out.extend(agg.item_indices().into_iter().filter(|&i| st.state[i] != ANSWERED)),
    }
}

/// The unanswered items whose answers would decide an undecided condition (item indices).
pub(crate) fn undecided_items(c: &CondPlan, plan: &Plan, st: &RowState, out: &mut Vec<usize>) {
    if cond3(c, plan, st) != Tri::U {
        return;
    }
    match c {
        CondPlan::Any(v) | CondPlan::All(v) | CondPlan::CountOf { of: v, .. } => {
            for c in v {
                undecided_items(c, plan, st, out);
            }
        }
        CondPlan::Not(c) => undecided_items(c, plan, st, out),
        CondPlan::Item { idx, .. } => {
            out.push(*idx);
            if let Some(a) = &plan.items[*idx].asked_if {
                undecided_items(a, plan, st, out);
            }
        }
        CondPlan::Scale { idx, .. } | CondPlan::Band { idx, .. } => scale_unanswered(plan, st, *idx, out),
        CondPlan::Flag(i) => undecided_items(&plan.flags[*i].cond, plan, st, out),
        _ => {}
    }
}

/// The validity status code (0 valid, 1 incomplete, 2 invalid) of an evaluated row.
pub(crate) fn validity_code(plan: &Plan, st: &RowState) -> u8 {
    let mut worst = 0u8;
    if st.unscored.contains(&Unscored::Missing) {
        worst = 1;
    }
    for v in &plan.validity {
        let code = match v.verdict {
            ValidityVerdict::Note => 0,
            ValidityVerdict::Incomplete => 1,
            ValidityVerdict::Invalid => 2,
        };
        if code > worst && cond(&v.cond, plan, st) {
            worst = code;
        }
    }
    worst
}
