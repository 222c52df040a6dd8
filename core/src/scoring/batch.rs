//! Columnar batch scoring.
//!
//! Input: row-major codes in one flat buffer (`n_rows × n_items`, any integer
//! type) with a missing sentinel and an optional refused sentinel; optional
//! per-row norm-group indices and completion times. Output: columns — per
//! scale the raw value and standard score as exact decimal mantissas, the band
//! ordinal index, the answered count; per row a flag bitset, the validity code
//! and the screen-positive verdict. Nothing is allocated per row: the output
//! columns are sized once and the row state is reused.
//!
//! ```
//! use changkaixin_core::{Catalog, BatchInput};
//! let phq9 = Catalog::builtin().instrument("phq9").unwrap();
//! // two respondents × 10 items, -1 = missing
//! let codes: Vec<i8> = vec![0,0,0,0,0,0,0,0,0,-1,  3,3,3,3,3,3,3,3,1,2];
//! let out = phq9.score_batch(&BatchInput::new(&codes, 10, -1)).unwrap();
//! let total = out.scale("total").unwrap();
//! assert_eq!(total.raw, vec![0, 25]);
//! assert_eq!(total.band, vec![0, 4]);
//! assert_eq!(out.flag_column("item9_self_harm"), Some(vec![false, true]));
//! ```

use crate::error::{Error, ErrorCode, Result};
use crate::instrument::Instrument;
use crate::scoring::eval::{self, RowState, ANSWERED, MISSING, REFUSED};
use crate::scoring::fast;
use crate::scoring::plan::{Plan, NO_BAND};
use std::collections::BTreeMap;

/// Integer types a code buffer may hold.
pub trait Code: Copy + PartialEq + Send + Sync + 'static {
    /// Whether the type is one byte wide (decoded through a 256-entry table without range checks).
    const BYTE: bool;
    /// Widen to i64 (saturating for u64).
    fn to_i64(self) -> i64;
    /// The low byte (only meaningful when `BYTE`).
    fn byte(self) -> u8;
}
macro_rules! impl_code {
    ($byte:expr; $($t:ty),*) => {$(
        impl Code for $t {
            const BYTE: bool = $byte;
            #[inline(always)]
            fn to_i64(self) -> i64 { self as i64 }
            #[inline(always)]
            fn byte(self) -> u8 { self as u8 }
        }
    )*};
}
impl_code!(true; i8, u8);
impl_code!(false; i16, i32, i64, u16, u32);
impl Code for u64 {
    const BYTE: bool = false;
    #[inline(always)]
    fn to_i64(self) -> i64 {
        i64::try_from(self).unwrap_or(i64::MAX)
    }
    #[inline(always)]
    fn byte(self) -> u8 {
        self as u8
    }
}

/// Norm groups for a batch: a group index per row into a list of group-key maps.
#[derive(Clone, Copy, Debug)]
pub struct BatchGroups<'a> {
    /// Group index of each row.
    pub row_group: &'a [u32],
    /// The distinct groups, e.g. `{"grade": "7", "sex": "F"}`.
    pub groups: &'a [BTreeMap<String, String>],
}

/// A batch of responses in one flat row-major buffer.
#[derive(Clone, Copy, Debug)]
pub struct BatchInput<'a, T: Code> {
    /// `n_rows × n_items` codes, row-major.
    pub codes: &'a [T],
    /// Items per row (must equal the instrument's item count).
    pub n_items: usize,
    /// The code meaning "missing".
    pub missing: T,
    /// The code meaning "refused", if the buffer distinguishes it.
    pub refused: Option<T>,
    /// Norm groups (required when the instrument has norms).
    pub groups: Option<BatchGroups<'a>>,
    /// Completion time per row in whole seconds (negative = unknown).
    pub durations: Option<&'a [i64]>,
}

impl<'a, T: Code> BatchInput<'a, T> {
    /// A batch with a missing sentinel and nothing else.
    pub fn new(codes: &'a [T], n_items: usize, missing: T) -> Self {
        BatchInput {
            codes,
            n_items,
            missing,
            refused: None,
            groups: None,
            durations: None,
        }
    }
}

/// Sentinel for "not scored" in the mantissa columns.
pub const UNSCORED: i64 = i64::MIN;

/// Columns for one scale.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScaleColumns {
    /// Scale id.
    pub id: String,
    /// Decimal places of `raw` (value = mantissa / 10^raw_decimals).
    pub raw_decimals: u32,
    /// Raw value mantissas; [`UNSCORED`] where the scale is not scored.
    pub raw: Vec<i64>,
    /// Decimal places of `score`.
    pub score_decimals: u32,
    /// Standard-score mantissas (equal to `raw` without norms); [`UNSCORED`] where absent.
    pub score: Vec<i64>,
    /// Band ordinal index, or -1 for no band.
    pub band: Vec<i8>,
    /// Band ids by ordinal index.
    pub band_ids: Vec<String>,
    /// Items (or component scales) answered.
    pub answered: Vec<u16>,
    /// Whether the value was prorated.
    pub prorated: Vec<bool>,
}

/// The result of a batch.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BatchColumns {
    /// Number of rows.
    pub n_rows: usize,
    /// One entry per scale, in spec order.
    pub scales: Vec<ScaleColumns>,
    /// Flag ids; flag `i` is bit `i` of each `flags` word.
    pub flag_ids: Vec<String>,
    /// Flag bitset per row.
    pub flags: Vec<u64>,
    /// Validity per row: 0 valid, 1 incomplete, 2 invalid.
    pub validity: Vec<u8>,
    /// Screen-positive per row: 1 positive, 0 negative, -1 the instrument defines none.
    pub screen_positive: Vec<i8>,
}

impl BatchColumns {
    /// The columns of one scale.
    pub fn scale(&self, id: &str) -> Option<&ScaleColumns> {
        self.scales.iter().find(|s| s.id == id)
    }
    /// One flag as a boolean column.
    pub fn flag_column(&self, id: &str) -> Option<Vec<bool>> {
        let bit = self.flag_ids.iter().position(|f| f == id)?;
        Some(self.flags.iter().map(|w| w >> bit & 1 == 1).collect())
    }
}

impl Instrument {
    /// Score a batch into new columns.
    pub fn score_batch<T: Code>(&self, input: &BatchInput<'_, T>) -> Result<BatchColumns> {
        let mut out = BatchColumns::default();
        self.score_batch_into(input, &mut out)?;
        Ok(out)
    }

    /// Score a batch into existing columns (reusing their allocations).
    pub fn score_batch_into<T: Code>(&self, input: &BatchInput<'_, T>, out: &mut BatchColumns) -> Result<()> {
        let plan = self.plan();
        let n_items = plan.items.len();
        if input.n_items != n_items {
            return Err(Error::new(
                ErrorCode::BatchShape,
                "n_items",
                format!("instrument {} has {n_items} items, the batch declares {}", plan.id, input.n_items),
            ));
        }
        if input.codes.len() % n_items != 0 {
            return Err(Error::new(
                ErrorCode::BatchShape,
                "codes",
                format!("{} codes is not a multiple of {n_items} items", input.codes.len()),
            ));
        }
        let n_rows = input.codes.len() / n_items;
        if let Some(d) = input.durations {
            if d.len() != n_rows {
                return Err(Error::new(
                    ErrorCode::BatchShape,
                    "durations",
                    format!("{} durations for {n_rows} rows", d.len()),
                ));
            }
        }
        if input.refused == Some(input.missing) {
            return Err(Error::new(ErrorCode::BatchShape, "refused", "the refused sentinel equals the missing sentinel"));
        }
        // Resolve norm groups once per distinct group, not per row.
        let has_norms = plan.scales.iter().any(|s| s.norms.is_some());
        let mut group_table: Vec<Vec<Option<usize>>> = Vec::new();
        if has_norms {
            let Some(g) = input.groups else {
                return Err(Error::new(
                    ErrorCode::ScoreNormGroupNotFound,
                    "groups",
                    format!("instrument {} has norms; the batch must give norm groups", plan.id),
                ));
            };
            if g.row_group.len() != n_rows {
                return Err(Error::new(
                    ErrorCode::BatchShape,
                    "groups.row_group",
                    format!("{} group indices for {n_rows} rows", g.row_group.len()),
                ));
            }
            for (gi, key) in g.groups.iter().enumerate() {
                let mut v = vec![None; plan.scales.len()];
                crate::scoring::resolve_groups(plan, key, &mut v).map_err(|s| {
                    Error::new(
                        ErrorCode::ScoreNormGroupNotFound,
                        format!("groups.groups[{gi}]"),
                        format!("no norm table of scale {s:?} matches group {}", crate::error::excerpt_debug(key)),
                    )
                })?;
                group_table.push(v);
            }
        }
        prepare(plan, out, n_rows);
        let missing = input.missing.to_i64();
        let refused = input.refused.map(Code::to_i64);
        // A sentinel that is also a valid option would make a cell ambiguous.
        for it in &plan.items {
            for (name, s) in [("missing", Some(missing)), ("refused", refused)] {
                if s.and_then(|s| it.value_of(s)).is_some() {
                    return Err(Error::new(
                        ErrorCode::BatchShape,
                        name,
                        format!(
                            "the {name} sentinel {} is a valid option code of item {}; choose a code outside 0..=127 (e.g. -1 or 255)",
                            s.unwrap_or(0),
                            it.number
                        ),
                    ));
                }
            }
        }
        let mut ctx = RowCtx {
            plan,
            input,
            missing,
            group_table: &group_table,
            has_norms,
            st: RowState::new(plan),
        };
        match plan.fast_depth {
            None => {
                for r in 0..n_rows {
                    ctx.score_row(r, out)?;
                }
            }
            Some(depth) => {
                let tables = fast::CallTables::new(plan);
                let mut s = fast::Scratch::new(plan, depth);
                let luts = if T::BYTE { fast::byte_luts(plan) } else { Vec::new() };
                let with_codes = fast::uses_codes(plan);
                let mut r0 = 0;
                while r0 < n_rows {
                    let bn = fast::BLOCK.min(n_rows - r0);
                    fast::decode(plan, &luts, with_codes, input.codes, r0, bn, &mut s);
                    if has_norms {
                        let rg = input.groups.map(|g| g.row_group).unwrap_or(&[]);
                        for r in 0..bn {
                            // Unknown groups are reported by the row path; mark the row slow.
                            let gi = rg.get(r0 + r).copied().unwrap_or(u32::MAX) as usize;
                            match group_table.get(gi) {
                                Some(g) => s.norm_group[r] = g.iter().flatten().next().copied().unwrap_or(0) as u32,
                                None => s.slow[r] = true,
                            }
                            if let Some(g) = group_table.get(gi) {
                                // Every normed scale must resolve to the same table index for the fast path.
                                let first = g.iter().flatten().next().copied();
                                if g.iter().flatten().any(|x| Some(*x) != first) {
                                    s.slow[r] = true;
                                }
                            }
                        }
                    }
                    match input.durations {
                        Some(d) => s.durations[..bn].copy_from_slice(&d[r0..r0 + bn]),
                        None => s.durations[..bn].fill(-1),
                    }
                    fast::scales(plan, &tables, bn, &mut s);
                    fast::finish_block(plan, &tables, r0, bn, &mut s, out);
                    for r in 0..bn {
                        if s.slow[r] {
                            ctx.score_row(r0 + r, out)?;
                        }
                    }
                    r0 += bn;
                }
            }
        }
        Ok(())
    }
}

/// The generic per-row path (rows with missing, refused or invalid cells, and
/// instruments whose conditions the fast path does not cover).
struct RowCtx<'a, 'b, T: Code> {
    plan: &'a Plan,
    input: &'a BatchInput<'b, T>,
    missing: i64,
    group_table: &'a [Vec<Option<usize>>],
    has_norms: bool,
    st: RowState,
}

impl<T: Code> RowCtx<'_, '_, T> {
    fn score_row(&mut self, r: usize, out: &mut BatchColumns) -> Result<()> {
        let plan = self.plan;
        let n_items = plan.items.len();
        let st = &mut self.st;
        let row = &self.input.codes[r * n_items..(r + 1) * n_items];
        for (i, &code) in row.iter().enumerate() {
            // Sentinels are compared in the buffer's own type: `to_i64` saturates u64 codes above
            // i64::MAX, which must not collapse onto a u64::MAX sentinel (found by fuzzing).
            let c = code.to_i64();
            if code == self.input.missing {
                st.state[i] = MISSING;
            } else if Some(code) == self.input.refused {
                st.state[i] = REFUSED;
            } else {
                let Some(v) = plan.items[i].value_of(c) else {
                    return Err(Error::new(
                        ErrorCode::BatchUnknownOption,
                        format!("row {r} / item {}", plan.items[i].number),
                        format!(
                            "code {c} is not an option of item {} (missing sentinel is {})",
                            plan.items[i].number, self.missing
                        ),
                    )
                    .with_row(r as u64)
                    .with_item(plan.items[i].number));
                };
                st.state[i] = ANSWERED;
                st.code[i] = c;
                st.value[i] = v;
            }
        }
        if self.has_norms {
            let gi = self.input.groups.map_or(0, |g| g.row_group[r]) as usize;
            let Some(gs) = self.group_table.get(gi) else {
                return Err(Error::new(
                    ErrorCode::BatchUnknownGroup,
                    format!("row {r}"),
                    format!("group index {gi} is outside the {} groups", self.group_table.len()),
                )
                .with_row(r as u64));
            };
            st.group.copy_from_slice(gs);
        }
        st.duration = self.input.durations.and_then(|d| (d[r] >= 0).then_some(d[r]));
        eval::evaluate(plan, st);
        write_row(plan, st, out, r);
        Ok(())
    }
}

/// Size a column for `n` rows. Every row is overwritten by the fast or the row path, so an
/// existing column of the right length is reused without clearing.
fn fit<X: Clone>(v: &mut Vec<X>, n: usize, x: X) {
    if v.len() != n {
        v.clear();
        v.resize(n, x);
    }
}

fn prepare(plan: &Plan, out: &mut BatchColumns, n_rows: usize) {
    out.n_rows = n_rows;
    out.flag_ids = plan.flags.iter().map(|f| f.id.clone()).collect();
    fit(&mut out.flags, n_rows, 0);
    fit(&mut out.validity, n_rows, 0);
    fit(&mut out.screen_positive, n_rows, -1);
    if plan.screen_positive.is_none() {
        out.screen_positive.fill(-1);
    }
    out.scales.resize_with(plan.scales.len(), ScaleColumns::default);
    for (sc, col) in plan.scales.iter().zip(out.scales.iter_mut()) {
        col.id.clone_from(&sc.id);
        col.raw_decimals = sc.decimals;
        col.score_decimals = score_decimals(sc);
        let mut ids = vec![String::new(); sc.bands.len()];
        for b in &sc.bands {
            ids[b.index as usize].clone_from(&b.id);
        }
        col.band_ids = ids;
        fit(&mut col.raw, n_rows, UNSCORED);
        fit(&mut col.score, n_rows, UNSCORED);
        fit(&mut col.band, n_rows, -1);
        fit(&mut col.answered, n_rows, 0);
        fit(&mut col.prorated, n_rows, false);
    }
}

pub(crate) fn score_decimals(sc: &crate::scoring::plan::ScalePlan) -> u32 {
    match &sc.norms {
        None => sc.decimals,
        Some(n) => n.groups.iter().flat_map(|g| g.scores.iter()).map(|d| d.0.scale()).max().unwrap_or(0),
    }
}

#[inline]
fn write_row(plan: &Plan, st: &RowState, out: &mut BatchColumns, r: usize) {
    for (si, sc) in plan.scales.iter().enumerate() {
        let col = &mut out.scales[si];
        col.raw[r] = st.raw[si].map_or(UNSCORED, |v| v.round_mantissa(sc.decimals, sc.rounding));
        col.score[r] = if sc.norms.is_some() {
            st.score[si].map_or(UNSCORED, |v| v.round_mantissa(col.score_decimals, crate::Rounding::HalfUp))
        } else {
            col.raw[r]
        };
        col.band[r] = if st.band[si] == NO_BAND {
            -1
        } else {
            sc.bands[st.band[si] as usize].index as i8
        };
        col.answered[r] = u16::try_from(st.answered[si]).unwrap_or(u16::MAX);
        col.prorated[r] = st.prorated[si];
    }
    let mut bits = 0u64;
    for (fi, &f) in st.flags.iter().enumerate() {
        bits |= u64::from(f) << fi;
    }
    out.flags[r] = bits;
    out.validity[r] = eval::validity_code(plan, st);
    if let Some(s) = &plan.screen_positive {
        out.screen_positive[r] = i8::from(eval::cond(&s.cond, plan, st));
    }
}
