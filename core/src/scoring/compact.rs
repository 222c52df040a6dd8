//! Compact batch columns: the same results as [`BatchColumns`], in the narrowest types that hold
//! them.
//!
//! [`BatchColumns`] is wide by design (every value an `i64` mantissa, every flag set a `u64`
//! word): one row of PHQ-9 is 38 bytes of output for 10 bytes of input, so writing it costs more
//! than scoring it. [`CompactColumns`] carries the same decisions in 7 bytes a row for PHQ-9:
//!
//! * values as `i16`, `i32` or `i64` mantissas ([`Values`]), the width fixed per scale by the
//!   compiled plan's range (so an instrument always gives the same types, whatever the data);
//! * `score` only where the scale has norms (without norms it equals `raw`, and is not repeated);
//! * `prorated` only where the scale's missing-data rule can prorate;
//! * flag sets as `⌈flags / 8⌉` bytes a row ([`CompactColumns::flag_bytes`]);
//! * no `answered` counts (ask [`Instrument::score_batch`] for them).
//!
//! Every kept column holds exactly the values of the wide one (a test compares them for every
//! built-in instrument, with and without gaps, on the SIMD and the scalar kernel). The rows are
//! scored in chunks into a small cache-resident wide buffer per thread and narrowed from there,
//! so the wide columns are never written to memory.
//!
//! ```
//! use changkaixin_core::{Catalog, BatchInput};
//! use changkaixin_core::scoring::compact::{CompactColumns, Values};
//! let phq9 = Catalog::builtin().instrument("phq9").unwrap();
//! let codes: Vec<i8> = vec![0,0,0,0,0,0,0,0,0,-1,  3,3,3,3,3,3,3,3,1,2,  0,0,0,0,0,0,0,0,-1,-1];
//! let out = phq9.score_batch_compact(&BatchInput::new(&codes, 10, -1), 1).unwrap();
//! let total = out.scale("total").unwrap();
//! assert_eq!(total.raw, Values::I16(vec![0, 25, i16::MIN])); // i16::MIN: unscored
//! assert_eq!(total.band, vec![0, 4, -1]);
//! assert_eq!(out.flag_verdicts("item9_self_harm"), Some(vec![0, 1, 2])); // 2: indeterminate
//! assert_eq!(out.screen, vec![0, 1, 0]);
//! ```

use crate::error::{Error, ErrorCode, Result};
use crate::scoring::batch::{fit, split_rows, verdict_of_bits, BatchColumns, UNSCORED};
use crate::scoring::plan::{AggPlan, MissingPlan, Plan, ScalePlan};

#[allow(unused_imports)]
use crate::Instrument;

/// A column of exact decimal mantissas in the width the plan's range needs. The type's minimum
/// (`i16::MIN`, `i32::MIN`, `i64::MIN`) marks a row where the scale is not scored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Values {
    /// Every value of the scale fits 16 bits.
    I16(Vec<i16>),
    /// Every value fits 32 bits.
    I32(Vec<i32>),
    /// Wider.
    I64(Vec<i64>),
}

impl Default for Values {
    fn default() -> Values {
        Values::I64(Vec::new())
    }
}

/// The width of a [`Values`] column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Width {
    /// `i16`.
    I16,
    /// `i32`.
    I32,
    /// `i64`.
    I64,
}

impl Width {
    /// The narrowest width whose range (without its minimum, the unscored marker) holds every
    /// mantissa of magnitude up to `bound`.
    fn holding(bound: i128) -> Width {
        if bound <= i128::from(i16::MAX) {
            Width::I16
        } else if bound <= i128::from(i32::MAX) {
            Width::I32
        } else {
            Width::I64
        }
    }
    /// The width's name as numpy, Arrow and typed arrays spell it.
    pub fn name(self) -> &'static str {
        match self {
            Width::I16 => "int16",
            Width::I32 => "int32",
            Width::I64 => "int64",
        }
    }
}

impl Values {
    /// The column's width.
    pub fn width(&self) -> Width {
        match self {
            Values::I16(_) => Width::I16,
            Values::I32(_) => Width::I32,
            Values::I64(_) => Width::I64,
        }
    }
    /// Number of rows.
    pub fn len(&self) -> usize {
        match self {
            Values::I16(v) => v.len(),
            Values::I32(v) => v.len(),
            Values::I64(v) => v.len(),
        }
    }
    /// Whether the column has no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Row `i` as an `i64` mantissa ([`UNSCORED`] where unscored); `None` past the end.
    pub fn get(&self, i: usize) -> Option<i64> {
        match self {
            Values::I16(v) => v.get(i).map(|&x| if x == i16::MIN { UNSCORED } else { i64::from(x) }),
            Values::I32(v) => v.get(i).map(|&x| if x == i32::MIN { UNSCORED } else { i64::from(x) }),
            Values::I64(v) => v.get(i).copied(),
        }
    }
    /// The column widened to `i64` mantissas, as in [`BatchColumns`].
    pub fn to_i64(&self) -> Vec<i64> {
        (0..self.len()).filter_map(|i| self.get(i)).collect()
    }
    fn fit(&mut self, width: Width, n: usize) {
        match (width, &mut *self) {
            (Width::I16, Values::I16(v)) => fit(v, n, i16::MIN),
            (Width::I32, Values::I32(v)) => fit(v, n, i32::MIN),
            (Width::I64, Values::I64(v)) => fit(v, n, i64::MIN),
            (Width::I16, _) => *self = Values::I16(vec![i16::MIN; n]),
            (Width::I32, _) => *self = Values::I32(vec![i32::MIN; n]),
            (Width::I64, _) => *self = Values::I64(vec![i64::MIN; n]),
        }
    }
}

/// Compact columns of one scale.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CompactScale {
    /// Scale id.
    pub id: String,
    /// Decimal places of `raw` (value = mantissa / 10^raw_decimals).
    pub raw_decimals: u32,
    /// Raw value mantissas; the width's minimum where the scale is not scored.
    pub raw: Values,
    /// Decimal places of `score` (equal to `raw_decimals` without norms).
    pub score_decimals: u32,
    /// Standard-score mantissas, only for a scale with norms (without norms the score is `raw`).
    pub score: Option<Values>,
    /// Band ordinal index, or -1 for no band.
    pub band: Vec<i8>,
    /// Band ids by ordinal index.
    pub band_ids: Vec<String>,
    /// Whether the value was prorated, only for a scale whose missing-data rule prorates
    /// (for every other scale it is `false` on every row).
    pub prorated: Option<Vec<bool>>,
}

/// The result of a compact batch: the decisions of [`BatchColumns`] in narrow columns.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CompactColumns {
    /// Number of rows.
    pub n_rows: usize,
    /// One entry per scale, in spec order.
    pub scales: Vec<CompactScale>,
    /// Flag ids; flag `i` is bit `i % 8` of byte `i / 8` of a row's flag bytes.
    pub flag_ids: Vec<String>,
    /// Bytes per row of `flags` and `flags_indeterminate`: `⌈flag_ids.len() / 8⌉`.
    pub flag_bytes: usize,
    /// Row-major, `flag_bytes` per row: the flags that are **positive**.
    pub flags: Vec<u8>,
    /// Row-major, `flag_bytes` per row: the flags that are **indeterminate** (their items were
    /// missing or refused). A flag whose bit is set in neither is determined negative.
    pub flags_indeterminate: Vec<u8>,
    /// Validity per row: 0 valid, 1 incomplete, 2 invalid.
    pub validity: Vec<u8>,
    /// Screen verdict per row: 0 negative, 1 positive, 2 indeterminate. Empty when the
    /// instrument defines no screen-positive rule.
    pub screen: Vec<u8>,
    /// Per flag, its column of verdict codes ([`CompactColumns::flag_verdicts`]), written by the
    /// batch's own threads, each for its rows, when this is `Some` before the call (a batch
    /// leaves `None` alone). For a caller that hands every flag's verdicts on as columns: it
    /// saves a second pass and a second set of threads.
    pub verdicts: Option<Vec<Vec<u8>>>,
}

impl CompactColumns {
    /// The columns of one scale.
    pub fn scale(&self, id: &str) -> Option<&CompactScale> {
        self.scales.iter().find(|s| s.id == id)
    }
    /// One flag as a column of verdict codes: 0 negative, 1 positive, 2 indeterminate.
    pub fn flag_verdicts(&self, id: &str) -> Option<Vec<u8>> {
        let i = self.flag_ids.iter().position(|f| f == id)?;
        let mut out = vec![0u8; self.n_rows];
        self.fill_flag_verdicts(0, i, &mut out);
        Some(out)
    }
    /// Every flag's verdict column, in flag order: [`CompactColumns::verdicts`] taken out when
    /// the batch wrote them, else [`CompactColumns::flag_verdicts`] of each flag.
    pub fn take_verdict_columns(&mut self) -> Vec<Vec<u8>> {
        let asked = self.verdicts.take();
        crate::scoring::batch::take_verdicts(asked, &self.flag_ids, |f| self.flag_verdicts(f))
    }
    /// Verdict codes of flag `flag` for rows `first_row..first_row + out.len()` into `out`
    /// (a row past the last is written 0). One strided pass over the flag bytes.
    pub fn fill_flag_verdicts(&self, first_row: usize, flag: usize, out: &mut [u8]) {
        fill_verdicts(&self.flags, &self.flags_indeterminate, self.flag_bytes, first_row, flag, out);
    }
    /// Whether every kept column equals the corresponding wide column of `wide`.
    pub fn matches(&self, wide: &BatchColumns) -> bool {
        if self.n_rows != wide.n_rows || self.flag_ids != wide.flag_ids || self.validity != wide.validity || self.screen != wide.screen {
            return false;
        }
        let b = self.flag_bytes;
        let word = |v: &[u8], r: usize| (0..b).fold(0u64, |w, k| w | u64::from(v.get(r * b + k).copied().unwrap_or(0)) << (8 * k));
        if (0..self.n_rows).any(|r| word(&self.flags, r) != wide.flags[r] || word(&self.flags_indeterminate, r) != wide.flags_indeterminate[r]) {
            return false;
        }
        self.scales.len() == wide.scales.len()
            && self.scales.iter().zip(&wide.scales).all(|(c, w)| {
                c.id == w.id
                    && c.raw_decimals == w.raw_decimals
                    && c.score_decimals == w.score_decimals
                    && c.raw.to_i64() == w.raw
                    && c.score.as_ref().map_or(w.score == w.raw, |s| s.to_i64() == w.score)
                    && c.band == w.band
                    && c.band_ids == w.band_ids
                    && c.prorated.as_ref().map_or(!w.prorated.contains(&true), |p| *p == w.prorated)
            })
    }
}

/// Verdict codes of flag `flag` for rows `first_row..first_row + out.len()` of the flag bytes
/// `pos` / `und` (`b` a row) into `out` (a row past the last is written 0).
fn fill_verdicts(pos: &[u8], und: &[u8], b: usize, first_row: usize, flag: usize, out: &mut [u8]) {
    let (byte, bit) = (flag / 8, flag % 8);
    out.fill(0);
    if b == 0 || byte >= b {
        return;
    }
    let at = first_row.saturating_mul(b).saturating_add(byte);
    let (pos, und) = (pos.get(at..).unwrap_or(&[]), und.get(at..).unwrap_or(&[]));
    if b == 1 {
        // One byte a row (up to 8 flags): contiguous, so the loop vectorises.
        for ((o, &p), &u) in out.iter_mut().zip(pos).zip(und) {
            *o = verdict_of_bits((p >> bit) & 1, (u >> bit) & 1);
        }
    } else {
        for ((o, &p), &u) in out.iter_mut().zip(pos.iter().step_by(b)).zip(und.iter().step_by(b)) {
            *o = verdict_of_bits((p >> bit) & 1, (u >> bit) & 1);
        }
    }
}

/// A bound on the magnitude of any value a scale can take (complete, partial, mean of answered,
/// prorated), in the scale's units: `n × max |item value|` for sums and means, `n` for counts,
/// `n × max(component bound + 1)` for sums of scales (the +1 covers a component's rounding).
fn value_bound(plan: &Plan, si: usize, depth: u32) -> i128 {
    let Some(sc) = plan.scales.get(si) else { return i128::MAX };
    let n = i128::from(sc.n.max(1));
    match &sc.agg {
        AggPlan::Sum(v) | AggPlan::Mean(v) => {
            let m = v
                .iter()
                .filter_map(|&i| plan.items.get(i))
                .map(|it| i128::from(it.vmin).abs().max(i128::from(it.vmax).abs()))
                .max()
                .unwrap_or(0);
            n.saturating_mul(m)
        }
        AggPlan::Count(_) => n,
        AggPlan::SumOfScales(v) if depth < 8 => {
            let m = v.iter().map(|&j| value_bound(plan, j, depth + 1).saturating_add(1)).max().unwrap_or(0);
            n.saturating_mul(m)
        }
        AggPlan::SumOfScales(_) => i128::MAX,
    }
}

/// The widths of a scale's raw and score columns.
fn widths(plan: &Plan, si: usize, sc: &ScalePlan) -> (Width, Width) {
    let pow = |d: u32| 10i128.checked_pow(d).unwrap_or(i128::MAX);
    let raw = Width::holding(value_bound(plan, si, 0).saturating_add(1).saturating_mul(pow(sc.decimals)));
    let score = match &sc.norms {
        None => raw,
        Some(n) => {
            let d = crate::scoring::batch::score_decimals(sc);
            let m = n
                .groups
                .iter()
                .flat_map(|g| g.scores.iter())
                .map(|s| {
                    let up = d.saturating_sub(s.0.scale());
                    s.0.mantissa().saturating_abs().saturating_mul(pow(up))
                })
                .max()
                .unwrap_or(0);
            Width::holding(m)
        }
    };
    (raw, score)
}

/// Size `out` for `n_rows` rows of `plan` (allocations of the right size are reused).
pub(crate) fn prepare(plan: &Plan, out: &mut CompactColumns, n_rows: usize) {
    out.n_rows = n_rows;
    out.flag_ids = plan.flags.iter().map(|f| f.id.clone()).collect();
    out.flag_bytes = plan.flags.len().div_ceil(8);
    fit(&mut out.flags, n_rows * out.flag_bytes, 0);
    fit(&mut out.flags_indeterminate, n_rows * out.flag_bytes, 0);
    fit(&mut out.validity, n_rows, 0);
    if plan.screen_positive.is_some() {
        fit(&mut out.screen, n_rows, 0);
    } else {
        out.screen.clear();
    }
    crate::scoring::batch::fit_verdicts(&mut out.verdicts, plan.flags.len(), n_rows);
    out.scales.resize_with(plan.scales.len(), CompactScale::default);
    for (si, (sc, col)) in plan.scales.iter().zip(out.scales.iter_mut()).enumerate() {
        col.id.clone_from(&sc.id);
        col.raw_decimals = sc.decimals;
        col.score_decimals = crate::scoring::batch::score_decimals(sc);
        let mut ids = vec![String::new(); sc.bands.len()];
        for b in &sc.bands {
            if let Some(slot) = ids.get_mut(b.index as usize) {
                slot.clone_from(&b.id);
            }
        }
        col.band_ids = ids;
        let (rw, sw) = widths(plan, si, sc);
        col.raw.fit(rw, n_rows);
        match (&sc.norms, &mut col.score) {
            (None, s) => *s = None,
            (Some(_), Some(s)) => s.fit(sw, n_rows),
            (Some(_), s) => {
                let mut v = Values::default();
                v.fit(sw, n_rows);
                *s = Some(v);
            }
        }
        fit(&mut col.band, n_rows, -1);
        match (&sc.missing, &mut col.prorated) {
            (MissingPlan::Prorate { .. }, Some(p)) => fit(p, n_rows, false),
            (MissingPlan::Prorate { .. }, p) => *p = Some(vec![false; n_rows]),
            (_, p) => *p = None,
        }
    }
}

/// Mutable views of the compact columns over a range of rows.
pub(crate) struct CompactMut<'a> {
    pub scales: Vec<CompactScaleMut<'a>>,
    /// Set when the fused kernel met a value its column's width cannot hold (the plan's range
    /// rules it out; reported as an error rather than written wrong).
    pub overflow: bool,
    pub flag_bytes: usize,
    pub flags: &'a mut [u8],
    pub flags_indeterminate: &'a mut [u8],
    pub validity: &'a mut [u8],
    pub screen: &'a mut [u8],
    /// Per flag, this range's rows of its verdict column (empty when none was asked for).
    pub verdicts: Vec<&'a mut [u8]>,
}

impl CompactMut<'_> {
    /// Write this range's verdict columns from its flag bytes (after its rows are scored).
    pub(crate) fn fill_verdicts(&mut self) {
        for (f, col) in self.verdicts.iter_mut().enumerate() {
            fill_verdicts(self.flags, self.flags_indeterminate, self.flag_bytes, 0, f, col);
        }
    }
}

pub(crate) struct CompactScaleMut<'a> {
    pub id: &'a str,
    pub raw: ValuesMut<'a>,
    pub score: Option<ValuesMut<'a>>,
    pub band: &'a mut [i8],
    pub prorated: Option<&'a mut [bool]>,
}

pub(crate) enum ValuesMut<'a> {
    I16(&'a mut [i16]),
    I32(&'a mut [i32]),
    I64(&'a mut [i64]),
}

/// Split a values column at the ascending row bounds, in its own width.
fn split_values<'a>(v: &'a mut Values, bounds: &[usize]) -> Vec<ValuesMut<'a>> {
    match v {
        Values::I16(x) => split_rows(x, bounds, 1).into_iter().map(ValuesMut::I16).collect(),
        Values::I32(x) => split_rows(x, bounds, 1).into_iter().map(ValuesMut::I32).collect(),
        Values::I64(x) => split_rows(x, bounds, 1).into_iter().map(ValuesMut::I64).collect(),
    }
}

/// Views of `out`'s columns for consecutive row ranges ending at `bounds` (the last is `n_rows`).
pub(crate) fn split_compact<'a>(out: &'a mut CompactColumns, bounds: &[usize]) -> Vec<CompactMut<'a>> {
    let fb = out.flag_bytes;
    let mut scales: Vec<std::vec::IntoIter<CompactScaleMut<'a>>> = out
        .scales
        .iter_mut()
        .map(|c| {
            let raw = split_values(&mut c.raw, bounds);
            let score: Vec<Option<ValuesMut<'a>>> = match c.score.as_mut() {
                Some(s) => split_values(s, bounds).into_iter().map(Some).collect(),
                None => bounds.iter().map(|_| None).collect(),
            };
            let band = split_rows(&mut c.band, bounds, 1);
            let prorated: Vec<Option<&'a mut [bool]>> = match c.prorated.as_mut() {
                Some(p) => split_rows(p, bounds, 1).into_iter().map(Some).collect(),
                None => bounds.iter().map(|_| None).collect(),
            };
            let id: &'a str = &c.id;
            raw.into_iter()
                .zip(score)
                .zip(band)
                .zip(prorated)
                .map(|(((raw, score), band), prorated)| CompactScaleMut {
                    id,
                    raw,
                    score,
                    band,
                    prorated,
                })
                .collect::<Vec<_>>()
                .into_iter()
        })
        .collect();
    let flags = split_rows(&mut out.flags, bounds, fb);
    let flags_u = split_rows(&mut out.flags_indeterminate, bounds, fb);
    let validity = split_rows(&mut out.validity, bounds, 1);
    let screen_k = usize::from(!out.screen.is_empty());
    let screen = split_rows(&mut out.screen, bounds, screen_k);
    let mut verdicts: Vec<std::vec::IntoIter<&'a mut [u8]>> = out.verdicts.iter_mut().flatten().map(|col| split_rows(col, bounds, 1).into_iter()).collect();
    flags
        .into_iter()
        .zip(flags_u)
        .zip(validity)
        .zip(screen)
        .map(|(((flags, flags_indeterminate), validity), screen)| CompactMut {
            verdicts: verdicts.iter_mut().filter_map(Iterator::next).collect(),
            scales: scales.iter_mut().filter_map(Iterator::next).collect(),
            overflow: false,
            flag_bytes: fb,
            flags,
            flags_indeterminate,
            validity,
            screen,
        })
        .collect()
}

pub(crate) fn out_of_range(id: &str, what: &str) -> Error {
    Error::new(
        ErrorCode::BatchShape,
        format!("scales.{id}.{what}"),
        format!("a {what} value of scale {id} does not fit its compact column (the plan's range is wrong; please report it)"),
    )
}

/// Narrow `src` into `dst` (same length), keeping `UNSCORED` as the width's minimum. `false`
/// when a value does not fit (which the plan's range rules out).
#[inline]
fn narrow(src: &[i64], dst: &mut ValuesMut<'_>, at: usize) -> bool {
    macro_rules! go {
        ($d:expr, $t:ty) => {{
            let d = &mut $d[at..at + src.len()];
            let mut ok = true;
            for (o, &v) in d.iter_mut().zip(src) {
                let x = if v == UNSCORED { <$t>::MIN } else { v as $t };
                ok &= v == UNSCORED || (i64::from(x) == v && x != <$t>::MIN);
                *o = x;
            }
            ok
        }};
    }
    match dst {
        ValuesMut::I16(d) => go!(d, i16),
        ValuesMut::I32(d) => go!(d, i32),
        ValuesMut::I64(d) => {
            d[at..at + src.len()].copy_from_slice(src);
            true
        }
    }
}

/// Narrow rows `0..m` of the wide view `wide` into rows `at..at + m` of `out`.
pub(crate) fn narrow_rows(wide: &super::batch::ColsMut<'_>, m: usize, at: usize, out: &mut CompactMut<'_>) -> Result<()> {
    for (w, c) in wide.scales.iter().zip(out.scales.iter_mut()) {
        if !narrow(&w.raw[..m], &mut c.raw, at) {
            return Err(out_of_range(c.id, "raw"));
        }
        if let Some(s) = c.score.as_mut() {
            if !narrow(&w.score[..m], s, at) {
                return Err(out_of_range(c.id, "score"));
            }
        }
        c.band[at..at + m].copy_from_slice(&w.band[..m]);
        if let Some(p) = c.prorated.as_deref_mut() {
            p[at..at + m].copy_from_slice(&w.prorated[..m]);
        }
    }
    let fb = out.flag_bytes;
    match fb {
        0 => {}
        1 => {
            for (o, &x) in out.flags[at..at + m].iter_mut().zip(&wide.flags[..m]) {
                *o = x as u8;
            }
            for (o, &x) in out.flags_indeterminate[at..at + m].iter_mut().zip(&wide.flags_indeterminate[..m]) {
                *o = x as u8;
            }
        }
        _ => {
            for (dst, src) in [
                (&mut *out.flags, &wide.flags[..m]),
                (&mut *out.flags_indeterminate, &wide.flags_indeterminate[..m]),
            ] {
                for (o, &x) in dst[at * fb..(at + m) * fb].chunks_exact_mut(fb).zip(src) {
                    let k = fb.min(8);
                    o[..k].copy_from_slice(&x.to_le_bytes()[..k]);
                }
            }
        }
    }
    out.validity[at..at + m].copy_from_slice(&wide.validity[..m]);
    if !out.screen.is_empty() {
        out.screen[at..at + m].copy_from_slice(&wide.screen[..m]);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scoring::batch::{BatchGroups, BatchInput};
    use crate::scoring::simd::BatchKernel;
    use crate::scoring::testutil::{synthetic_rows, Gaps};
    use crate::Catalog;
    use std::collections::BTreeMap;

    /// Synthetic rows, a cell in 53 unanswered when `gaps` (a third of those refused), and the
    /// cell at `bad` (when given) set to a code no option has.
    fn rows(inst: &crate::Instrument, n_rows: usize, seed: u64, gaps: bool, bad: Option<usize>) -> Vec<i8> {
        let gaps = gaps.then_some(Gaps { every: 53, refused: true });
        let mut out = synthetic_rows(inst, n_rows, seed, gaps);
        if let Some(c) = bad.and_then(|at| out.get_mut(at)) {
            *c = 127;
        }
        out
    }

    /// A norm group of the instrument (the first table's key), so normed instruments batch too.
    fn group_of(inst: &crate::Instrument) -> Vec<BTreeMap<String, String>> {
        inst.plan()
            .scales
            .iter()
            .find_map(|s| s.norms.as_ref())
            .and_then(|n| n.groups.first())
            .map(|g| vec![g.key.clone()])
            .unwrap_or_default()
    }

    /// The tests' batch over `codes` (`-1` missing, `-2` refused), every row in the norm group
    /// `groups` when the instrument has one ([`group_of`]).
    fn input_of<'a>(codes: &'a [i8], n: usize, row_group: &'a [u32], groups: &'a [BTreeMap<String, String>]) -> BatchInput<'a, i8> {
        let mut input = BatchInput::new(codes, n, -1);
        input.refused = Some(-2);
        if !groups.is_empty() {
            input.groups = Some(BatchGroups { row_group, groups });
        }
        input
    }

    /// Compact columns hold exactly the wide columns' values, for every built-in instrument, at
    /// lengths around the block (1024) and chunk (4096) boundaries, with and without gaps, on the
    /// SIMD and the scalar kernel, on one and on three threads; a bad cell gives the same error.
    #[test]
    fn compact_columns_equal_the_wide_columns() {
        let cat = Catalog::builtin();
        for id in cat.ids().map(str::to_string).collect::<Vec<_>>() {
            let inst = cat.instrument(&id).unwrap();
            let n = inst.plan().items.len();
            let groups = group_of(&inst);
            let mut compared = 0;
            for (k, &len) in [0usize, 1, 63, 64, 1025, 4095, 4096, 4097, 9000].iter().enumerate() {
                for (gaps, bad) in [(false, None), (true, None), (true, Some(len * n * 2 / 3 + 1))] {
                    let codes = rows(&inst, len, 0x51_7CC1 + k as u64, gaps, bad.filter(|_| len > 0));
                    let row_group = vec![0u32; len];
                    let input = input_of(&codes, n, &row_group, &groups);
                    for kernel in [BatchKernel::Auto, BatchKernel::Scalar] {
                        let wide = inst.score_batch_with_kernel(&input, kernel);
                        for threads in [1, 3] {
                            // With the verdict columns asked for on one thread count, not the other.
                            let mut c = CompactColumns {
                                verdicts: (threads == 3).then(Vec::new),
                                ..CompactColumns::default()
                            };
                            let got = inst.score_batch_compact_into(&input, &mut c, threads, kernel);
                            match (&wide, got) {
                                (Ok(w), Ok(())) => {
                                    assert!(c.matches(w), "{id} len {len} gaps {gaps} {kernel:?} threads {threads}");
                                    for (i, f) in w.flag_ids.iter().enumerate() {
                                        assert_eq!(c.flag_verdicts(f), w.flag_verdicts(f), "{id} len {len} flag {f}");
                                        if let Some(v) = &c.verdicts {
                                            assert_eq!(v.get(i), w.flag_verdicts(f).as_ref(), "{id} len {len} verdict column {f}");
                                        }
                                    }
                                    assert_eq!(c.verdicts.as_ref().map(Vec::len), (threads == 3).then_some(w.flag_ids.len()));
                                    compared += usize::from(len > 0);
                                }
                                (Err(a), Err(b)) => assert_eq!(a, &b, "{id} len {len}"),
                                (w, g) => panic!("{id} len {len}: wide {w:?} vs compact {g:?}"),
                            }
                        }
                    }
                }
            }
            assert!(compared >= 40, "{id}: only {compared} batches scored (the rest were errors)");
        }
    }

    /// Every cell of every wide output column set to a value no batch writes there.
    fn scramble_wide(c: &mut crate::scoring::batch::BatchColumns) {
        for s in &mut c.scales {
            s.raw.fill(12_345);
            s.score.fill(-7);
            s.band.fill(99);
            s.answered.fill(999);
            s.prorated.fill(true);
        }
        for v in [&mut c.flags, &mut c.flags_indeterminate] {
            v.fill(u64::MAX);
        }
        c.validity.fill(0xEE);
        c.screen.fill(0xEE);
        c.verdicts.iter_mut().flatten().for_each(|v| v.fill(0xEE));
    }

    /// Every cell of every compact output column (the verdict columns too) set to a value no batch
    /// writes there.
    fn scramble_compact(c: &mut CompactColumns) {
        c.verdicts.iter_mut().flatten().for_each(|v| v.fill(0xEE));
        for s in &mut c.scales {
            for v in std::iter::once(&mut s.raw).chain(s.score.as_mut()) {
                match v {
                    Values::I16(x) => x.fill(12_345),
                    Values::I32(x) => x.fill(12_345),
                    Values::I64(x) => x.fill(12_345),
                }
            }
            s.band.fill(99);
            if let Some(p) = s.prorated.as_mut() {
                p.fill(true);
            }
        }
        for v in [&mut c.flags, &mut c.flags_indeterminate, &mut c.validity, &mut c.screen] {
            v.fill(0xEE);
        }
    }

    /// Every cell of every output column is written by a batch, on every path (fused, block and
    /// row; SIMD and scalar kernels; one and two threads): columns of the right length filled with
    /// garbage come back equal to fresh ones. `batch::fit` relies on it: reused columns are not
    /// cleared.
    #[test]
    fn every_cell_is_overwritten() {
        use crate::scoring::batch::BatchColumns;
        let cat = Catalog::builtin();
        for id in cat.ids().map(str::to_string).collect::<Vec<_>>() {
            let inst = cat.instrument(&id).unwrap();
            let n = inst.plan().items.len();
            let groups = group_of(&inst);
            // Complete rows, then rows with gaps and refusals: two blocks and a short tail each.
            let len = 2 * 1024 + 77;
            let mut codes = rows(&inst, len, 0xC1EA4, false, None);
            codes.extend(rows(&inst, len, 0xC1EA5, true, None));
            let row_group = vec![0u32; 2 * len];
            let input = input_of(&codes, n, &row_group, &groups);
            for kernel in [BatchKernel::Auto, BatchKernel::Scalar] {
                for threads in [1, 2] {
                    let mut fresh = BatchColumns {
                        verdicts: Some(Vec::new()),
                        ..BatchColumns::default()
                    };
                    inst.score_batch_into_with_kernel(&input, &mut fresh, threads, kernel).unwrap();
                    // The verdict columns the threads write block by block are each flag's verdicts.
                    let expected: Vec<Vec<u8>> = fresh.flag_ids.iter().filter_map(|f| fresh.flag_verdicts(f)).collect();
                    assert_eq!(fresh.verdicts.as_ref(), Some(&expected), "{id} wide verdicts {kernel:?} threads {threads}");
                    let mut dirty = fresh.clone();
                    scramble_wide(&mut dirty);
                    inst.score_batch_into_with_kernel(&input, &mut dirty, threads, kernel).unwrap();
                    assert_eq!(dirty, fresh, "{id} wide {kernel:?} threads {threads}");

                    let mut fresh = CompactColumns {
                        verdicts: Some(Vec::new()),
                        ..CompactColumns::default()
                    };
                    inst.score_batch_compact_into(&input, &mut fresh, threads, kernel).unwrap();
                    let mut dirty = fresh.clone();
                    scramble_compact(&mut dirty);
                    inst.score_batch_compact_into(&input, &mut dirty, threads, kernel).unwrap();
                    assert_eq!(dirty, fresh, "{id} compact {kernel:?} threads {threads}");
                }
            }
        }
    }

    /// More than 8 flags (the MHT-shaped fixture's 9: a second byte of each flag word): the wide
    /// verdict columns the threads write are each flag's verdicts, on every kernel and on one and
    /// two threads, with and without gaps; `take_verdict_columns` of either column type gives
    /// them whether or not they were asked for.
    #[test]
    fn wide_verdict_columns_past_eight_flags() {
        use crate::scoring::batch::BatchColumns;
        let inst = crate::Instrument::from_json(include_str!("../../../tests/fixtures/mht_synthetic.json")).unwrap();
        assert!(inst.plan().flags.len() > 8);
        let n = inst.plan().items.len();
        let groups = group_of(&inst);
        let len = 3 * 1024 + 5;
        for gaps in [false, true] {
            let codes = rows(&inst, len, 0x9F1A6, gaps, None);
            let row_group = vec![0u32; len];
            let input = input_of(&codes, n, &row_group, &groups);
            for kernel in [BatchKernel::Auto, BatchKernel::Scalar] {
                for threads in [1, 2] {
                    let mut out = BatchColumns {
                        verdicts: Some(Vec::new()),
                        ..BatchColumns::default()
                    };
                    inst.score_batch_into_with_kernel(&input, &mut out, threads, kernel).unwrap();
                    let expected: Vec<Vec<u8>> = out.flag_ids.iter().filter_map(|f| out.flag_verdicts(f)).collect();
                    assert_eq!(expected.len(), out.flag_ids.len());
                    assert_eq!(out.verdicts.as_ref(), Some(&expected), "gaps {gaps} {kernel:?} threads {threads}");
                    // Taken out when written, computed per flag when not asked for: the same.
                    let mut plain = BatchColumns::default();
                    inst.score_batch_into_with_kernel(&input, &mut plain, threads, kernel).unwrap();
                    assert_eq!(plain.take_verdict_columns(), expected);
                    assert_eq!(out.take_verdict_columns(), expected);
                    assert!(out.verdicts.is_none());
                    let mut compact = CompactColumns::default();
                    inst.score_batch_compact_into(&input, &mut compact, threads, kernel).unwrap();
                    assert_eq!(compact.take_verdict_columns(), expected);
                    compact.verdicts = Some(Vec::new());
                    inst.score_batch_compact_into(&input, &mut compact, threads, kernel).unwrap();
                    assert_eq!(compact.take_verdict_columns(), expected);
                    if gaps {
                        assert!(expected.iter().flatten().any(|&v| v == 2), "the gaps leave some flag indeterminate");
                    }
                }
            }
        }
    }

    /// Large batches (70,000 rows, many blocks a thread) on two and three threads give the bytes of
    /// one thread, wide and compact (each with and without the verdict columns), into fresh columns, into columns
    /// left by a batch of another length and into columns of the right length filled with garbage.
    #[test]
    fn large_threaded_batches_give_the_bytes_of_one_thread() {
        use crate::scoring::batch::BatchColumns;
        let cat = Catalog::builtin();
        for id in ["phq9", "cesd", "sdq_s11_17"] {
            let inst = cat.instrument(id).unwrap();
            let n = inst.plan().items.len();
            let groups = group_of(&inst);
            let len = 70_000 + 29;
            let codes = rows(&inst, len, 0x5EED_F111, true, None);
            let row_group = vec![0u32; len];
            let input = input_of(&codes, n, &row_group, &groups);
            let short = rows(&inst, 3000, 0x5EED_F112, false, None);
            let short_group = vec![0u32; 3000];
            let short_input = input_of(&short, n, &short_group, &groups);
            let wide = inst.score_batch_with_kernel(&input, BatchKernel::Auto).unwrap();
            // The wide verdict columns, asked for, are each flag's `flag_verdicts`.
            let asked = || BatchColumns {
                verdicts: Some(Vec::new()),
                ..BatchColumns::default()
            };
            let mut wide_v = asked();
            inst.score_batch_into_with_kernel(&input, &mut wide_v, 1, BatchKernel::Auto).unwrap();
            let expected: Vec<Vec<u8>> = wide.flag_ids.iter().filter_map(|f| wide.flag_verdicts(f)).collect();
            assert_eq!(expected.len(), wide.flag_ids.len());
            assert_eq!(wide_v.verdicts.as_ref(), Some(&expected), "{id} wide verdict columns");
            assert_eq!(
                BatchColumns {
                    verdicts: None,
                    ..wide_v.clone()
                },
                wide,
                "{id} asking for verdicts changes no other column"
            );
            let mut compact = CompactColumns {
                verdicts: Some(Vec::new()),
                ..CompactColumns::default()
            };
            inst.score_batch_compact_into(&input, &mut compact, 1, BatchKernel::Auto).unwrap();
            assert!(compact.matches(&wide), "{id}");
            for threads in [2, 3] {
                let mut fresh = BatchColumns::default();
                inst.score_batch_into_with_kernel(&input, &mut fresh, threads, BatchKernel::Auto).unwrap();
                assert_eq!(fresh, wide, "{id} wide fresh threads {threads}");
                let mut reused = BatchColumns::default();
                inst.score_batch_into_with_kernel(&short_input, &mut reused, threads, BatchKernel::Auto)
                    .unwrap();
                inst.score_batch_into_with_kernel(&input, &mut reused, threads, BatchKernel::Auto).unwrap();
                assert_eq!(reused, wide, "{id} wide reused threads {threads}");
                scramble_wide(&mut reused);
                inst.score_batch_into_with_kernel(&input, &mut reused, threads, BatchKernel::Auto).unwrap();
                assert_eq!(reused, wide, "{id} wide garbage threads {threads}");
                let mut fresh = asked();
                inst.score_batch_into_with_kernel(&input, &mut fresh, threads, BatchKernel::Auto).unwrap();
                assert_eq!(fresh, wide_v, "{id} wide with verdicts fresh threads {threads}");
                let mut reused = asked();
                inst.score_batch_into_with_kernel(&short_input, &mut reused, threads, BatchKernel::Auto)
                    .unwrap();
                inst.score_batch_into_with_kernel(&input, &mut reused, threads, BatchKernel::Auto).unwrap();
                assert_eq!(reused, wide_v, "{id} wide with verdicts reused threads {threads}");
                scramble_wide(&mut reused);
                inst.score_batch_into_with_kernel(&input, &mut reused, threads, BatchKernel::Auto).unwrap();
                assert_eq!(reused, wide_v, "{id} wide with verdicts garbage threads {threads}");

                let mut fresh = CompactColumns {
                    verdicts: Some(Vec::new()),
                    ..CompactColumns::default()
                };
                inst.score_batch_compact_into(&input, &mut fresh, threads, BatchKernel::Auto).unwrap();
                assert_eq!(fresh, compact, "{id} compact fresh threads {threads}");
                let mut reused = CompactColumns {
                    verdicts: Some(Vec::new()),
                    ..CompactColumns::default()
                };
                inst.score_batch_compact_into(&short_input, &mut reused, threads, BatchKernel::Auto).unwrap();
                inst.score_batch_compact_into(&input, &mut reused, threads, BatchKernel::Auto).unwrap();
                assert_eq!(reused, compact, "{id} compact reused threads {threads}");
                scramble_compact(&mut reused);
                inst.score_batch_compact_into(&input, &mut reused, threads, BatchKernel::Auto).unwrap();
                assert_eq!(reused, compact, "{id} compact garbage threads {threads}");
            }
        }
    }

    /// The widths follow the plan's range: PHQ-9's total (0..=27) is `i16`, flags are one byte.
    #[test]
    fn widths_follow_the_plan() {
        let phq9 = Catalog::builtin().instrument("phq9").unwrap();
        let codes = vec![1i8; 10 * 3];
        let c = phq9.score_batch_compact(&BatchInput::new(&codes, 10, -1), 1).unwrap();
        let t = c.scale("total").unwrap();
        assert_eq!(t.raw.width(), Width::I16);
        assert_eq!(t.raw.to_i64(), vec![9, 9, 9]);
        assert!(t.score.is_none() && t.prorated.is_none());
        assert_eq!((c.flag_bytes, c.flags.len()), (1, 3));
        assert_eq!(Width::holding(32767), Width::I16);
        assert_eq!(Width::holding(32768), Width::I32);
        assert_eq!(Width::holding(i128::from(i32::MAX) + 1), Width::I64);
    }

    /// Reused columns are resized, not trusted: a longer earlier batch leaves nothing behind.
    #[test]
    fn reused_columns_are_resized() {
        let phq9 = Catalog::builtin().instrument("phq9").unwrap();
        let mut c = CompactColumns::default();
        let long = vec![3i8; 10 * 5000];
        phq9.score_batch_compact_into(&BatchInput::new(&long, 10, -1), &mut c, 2, BatchKernel::Auto)
            .unwrap();
        let short = vec![0i8; 10 * 2];
        phq9.score_batch_compact_into(&BatchInput::new(&short, 10, -1), &mut c, 2, BatchKernel::Auto)
            .unwrap();
        assert_eq!(c, phq9.score_batch_compact(&BatchInput::new(&short, 10, -1), 1).unwrap());
        assert_eq!(c.scale("total").unwrap().raw.to_i64(), vec![0, 0]);
    }
}
