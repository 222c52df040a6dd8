//! Row evaluation shared by single and batch scoring: one code path computes
//! every scale, band, flag and validity verdict, so the two cannot disagree.

use crate::decimal::Ratio;
use crate::instrument::compile::band_pos;
use crate::instrument::spec::{BandBasis, CmpOp, ItemBasis, ItemStateKind, ValidityVerdict};
use crate::scoring::plan::*;

pub(crate) const ANSWERED: u8 = 0;
pub(crate) const MISSING: u8 = 1;
pub(crate) const REFUSED: u8 = 2;

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
    pub raw: Vec<Option<Ratio>>,
    pub score: Vec<Option<Ratio>>,
    /// Index into the norm table's `scores`, when normed.
    pub norm_slot: Vec<Option<(usize, usize)>>,
    pub answered: Vec<u32>,
    pub prorated: Vec<bool>,
    pub unscored: Vec<Unscored>,
    pub band: Vec<u8>,
    pub flags: Vec<bool>,
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
            raw: vec![None; s],
            score: vec![None; s],
            norm_slot: vec![None; s],
            answered: vec![0; s],
            prorated: vec![false; s],
            unscored: vec![Unscored::No; s],
            band: vec![NO_BAND; s],
            flags: vec![false; plan.flags.len()],
            duration: None,
            group: vec![None; s],
        }
    }
}

/// Compute scales, bands and flags for the row in `st` (items already decoded).
pub(crate) fn evaluate(plan: &Plan, st: &mut RowState) {
    for (si, sc) in plan.scales.iter().enumerate() {
        let (value, answered, prorated) = scale_value(sc, st);
        st.answered[si] = answered;
        st.prorated[si] = prorated;
        st.raw[si] = value;
        st.unscored[si] = if value.is_some() { Unscored::No } else { Unscored::Missing };
        st.score[si] = value;
        st.norm_slot[si] = None;
        if let (Some(norms), Some(v)) = (&sc.norms, value) {
            match st.group[si] {
                Some(g) if v.is_integer() => {
                    let slot = (v.num() - norms.raw_min) as usize;
                    let table = &norms.groups[g];
                    st.score[si] = table.scores.get(slot).and_then(|d| d.to_ratio());
                    st.norm_slot[si] = Some((g, slot));
                }
                _ => st.score[si] = None,
            }
        }
        st.band[si] = if sc.bands.is_empty() {
            NO_BAND
        } else if sc.bands_on == BandBasis::Raw {
            match value {
                None => NO_BAND,
                Some(v) => lookup_sum(sc, v).unwrap_or_else(|| band_pos(&sc.bands, v)),
            }
        } else {
            match (st.norm_slot[si], &sc.norms) {
                (Some((g, slot)), Some(norms)) => norms.groups[g].band_by_raw.get(slot).copied().unwrap_or(NO_BAND),
                _ => NO_BAND,
            }
        };
    }
    for fi in 0..plan.flags.len() {
        st.flags[fi] = cond(&plan.flags[fi].cond, plan, st);
    }
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
        AggPlan::Count(items, op, k) => {
            let mut count = 0i64;
            let mut answered = 0u32;
            for &i in items {
                if st.state[i] == ANSWERED {
                    answered += 1;
                    if op.holds(Ratio::int(i64::from(st.value[i])).cmp(k)) {
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
            return if answered == sc.n {
                (Some(Ratio::int(sum)), answered, false)
            } else {
                (None, answered, false)
            };
        }
    };
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

#[inline]
fn cmp_ratio(a: Ratio, op: CmpOp, b: Ratio) -> bool {
    op.holds(a.cmp(&b))
}

/// Evaluate a condition on a row.
pub(crate) fn cond(c: &CondPlan, plan: &Plan, st: &RowState) -> bool {
    match c {
        CondPlan::Any(v) => v.iter().any(|c| cond(c, plan, st)),
        CondPlan::All(v) => v.iter().all(|c| cond(c, plan, st)),
        CondPlan::Not(c) => !cond(c, plan, st),
        CondPlan::Item { idx, op, value, on } => {
            st.state[*idx] == ANSWERED && {
                let x = match on {
                    ItemBasis::Value => i64::from(st.value[*idx]),
                    ItemBasis::Code => st.code[*idx],
                };
                cmp_ratio(Ratio::int(x), *op, *value)
            }
        }
        CondPlan::ItemState { idx, state } => {
            let s = st.state[*idx];
            match state {
                ItemStateKind::Answered => s == ANSWERED,
                ItemStateKind::Missing => s == MISSING,
                ItemStateKind::Refused => s == REFUSED,
                ItemStateKind::Unanswered => s != ANSWERED,
            }
        }
        CondPlan::Scale { idx, op, value, basis } => {
            let v = if *basis == BandBasis::Raw { st.raw[*idx] } else { st.score[*idx] };
            v.is_some_and(|v| cmp_ratio(v, *op, *value))
        }
        CondPlan::ScaleUnscored(idx) => st.raw[*idx].is_none() || st.score[*idx].is_none(),
        CondPlan::Band { idx, op, index } => {
            let pos = st.band[*idx];
            pos != NO_BAND && op.holds(plan.scales[*idx].bands[pos as usize].index.cmp(index))
        }
        CondPlan::CountOf { of, op, value } => {
            let n = of.iter().filter(|c| cond(c, plan, st)).count() as u32;
            op.holds(n.cmp(value))
        }
        CondPlan::Answered { items, op, value } => {
            let n = items.iter().filter(|&&i| st.state[i] == ANSWERED).count() as u32;
            op.holds(n.cmp(value))
        }
        CondPlan::StraightLine { items, min_answered } => {
            let mut first = None;
            let mut n = 0u32;
            for &i in items {
                if st.state[i] == ANSWERED {
                    n += 1;
                    match first {
                        None => first = Some(st.code[i]),
                        Some(c) if c != st.code[i] => return false,
                        _ => {}
                    }
                }
            }
            n >= *min_answered
        }
        CondPlan::Duration { op, value } => st.duration.is_some_and(|d| cmp_ratio(Ratio::int(d), *op, *value)),
        CondPlan::Flag(i) => st.flags[*i],
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
