//! The block-columnar fast path of batch scoring.
//!
//! Rows are processed in blocks of [`BLOCK`]. Each block is decoded once from the
//! row-major buffer into item-major columns through the items' lookup tables;
//! scales, bands, flags, validity and screen-positive are then computed
//! column-wise in tight loops the compiler vectorises, with the condition tree
//! interpreted once per block rather than once per row.
//!
//! The columns are first computed as for *complete* rows (every item answered
//! with a valid code: every scale complete, every verdict decided). For byte-wide
//! buffers, rows whose only non-option cells are missing or refused stay on the
//! block path: their scales come from the row evaluator's per-value functions and
//! conditions are evaluated in three-valued logic (see "Rows with missing or
//! refused cells" below). Rows with an invalid code (and, for wider buffers, any
//! unanswered cell) are marked and re-scored by the generic row evaluator
//! ([`super::eval`]), which is also what single scoring uses, so all paths share
//! one definition of every rule. Property tests check that batch results equal
//! one-by-one scoring and that the block path equals the row path.

use super::batch::Code;
use super::plan::*;
use super::simd::{self, BatchKernel, ByteItem};
use crate::decimal::Ratio;
use crate::instrument::spec::{BandBasis, CmpOp, ItemBasis, ItemStateKind, ValidityVerdict};

/// Rows per block.
pub(crate) const BLOCK: usize = 1024;

/// Whether the fast path can evaluate every condition of the plan, and the condition-tree depth.
pub(crate) fn analyse(plan: &Plan) -> Option<usize> {
    fn depth(c: &CondPlan) -> Option<usize> {
        Some(match c {
            CondPlan::Any(v) | CondPlan::All(v) => 1 + v.iter().map(depth).try_fold(0, |a, d| d.map(|d| a.max(d)))?,
            CondPlan::CountOf { of, .. } => {
                if of.len() > 255 {
                    return None;
                }
                1 + of.iter().map(depth).try_fold(0, |a, d| d.map(|d| a.max(d)))?
            }
            CondPlan::Not(c) => depth(c)?,
            CondPlan::StraightLine { .. } => return None,
            _ => 0,
        })
    }
    let mut d = 0;
    for c in plan
        .flags
        .iter()
        .map(|f| &f.cond)
        .chain(plan.validity.iter().map(|v| &v.cond))
        .chain(plan.screen_positive.iter().map(|s| &s.cond))
    {
        d = d.max(depth(c)?);
    }
    Some(d)
}

/// Reusable column buffers for one batch call.
pub(crate) struct Scratch {
    pub val: Vec<i16>,
    pub code: Vec<u8>,
    pub slow: Vec<bool>,
    pub sums: Vec<i32>,
    pub band: Vec<u8>,
    pub score_mant: Vec<i64>,
    pub flags: Vec<u8>,
    pub pool: Vec<Vec<u8>>,
    pub tmp: Vec<u8>,
    pub norm_group: Vec<u32>,
    pub durations: Vec<i64>,
    /// Byte-wide buffers: item-major offsets `value − vmin` (see [`super::simd`]).
    pub dcol: Vec<u8>,
    /// Byte-wide buffers: `0xFF` per row whose every cell is an option.
    pub ok: Vec<u8>,
    pub acc8: Vec<u8>,
    pub acc16: Vec<u16>,
    /// The block's flag words and validity codes, written to the output columns once.
    pub words: Vec<u64>,
    pub validity: Vec<u8>,
    /// Three-valued block path ([`Scratch::with_tri`]): undecided columns of the flags, the
    /// condition pool and the temporary.
    pub flags_u: Vec<u8>,
    pub pool_u: Vec<Vec<u8>>,
    pub tmp_u: Vec<u8>,
}

impl Scratch {
    pub fn new(plan: &Plan, depth: usize) -> Scratch {
        let (n, s, f) = (plan.items.len(), plan.scales.len(), plan.flags.len());
        Scratch {
            val: vec![0; n * BLOCK],
            code: vec![0; n * BLOCK],
            slow: vec![false; BLOCK],
            sums: vec![0; s * BLOCK],
            band: vec![NO_BAND; s * BLOCK],
            score_mant: vec![0; s * BLOCK],
            flags: vec![0; f.max(1) * BLOCK],
            pool: (0..depth + 2).map(|_| vec![0u8; BLOCK]).collect(),
            tmp: vec![0; BLOCK],
            norm_group: vec![0; BLOCK],
            durations: vec![-1; BLOCK],
            dcol: Vec::new(),
            ok: Vec::new(),
            acc8: Vec::new(),
            acc16: Vec::new(),
            words: vec![0; BLOCK],
            validity: vec![0; BLOCK],
            flags_u: Vec::new(),
            pool_u: Vec::new(),
            tmp_u: Vec::new(),
        }
    }

    /// Add the buffers of the byte-wide decoder.
    pub fn with_bytes(mut self, plan: &Plan) -> Scratch {
        self.dcol = vec![0; plan.items.len() * BLOCK];
        self.ok = vec![0; BLOCK];
        self.acc8 = vec![0; BLOCK];
        self.acc16 = vec![0; BLOCK];
        self
    }
}

/// How a byte-wide buffer is decoded and summed for one call (see [`super::simd`]).
pub(crate) struct BytePlan {
    pub items: Vec<ByteItem>,
    /// Per scale: the sum over offsets, for `sum`/`mean` scales.
    pub sums: Vec<Option<OffsetSum>>,
    /// Items whose value column a `count` aggregation reads (conditions read the offsets).
    pub val_items: Vec<usize>,
    /// Items whose code column a condition reads.
    pub code_items: Vec<usize>,
}

/// A scale's integer sum as `base + Σ offsets`, the offsets added in chunks whose largest sum fits a byte.
pub(crate) struct OffsetSum {
    pub base: i32,
    pub chunks: Vec<Vec<usize>>,
}

impl BytePlan {
    /// `None` when an item's values span more than a byte or a scale's offsets could overflow `u16`.
    pub fn new(plan: &Plan, tables: &DecodeTables) -> Option<BytePlan> {
        if tables.val.len() != plan.items.len() || plan.items.is_empty() {
            return None;
        }
        let items = tables.val.iter().map(ByteItem::new).collect::<Option<Vec<_>>>()?;
        let mut sums = Vec::with_capacity(plan.scales.len());
        for sc in &plan.scales {
            let (AggPlan::Sum(idx) | AggPlan::Mean(idx)) = &sc.agg else {
                sums.push(None);
                continue;
            };
            let mut base = 0i32;
            let mut total = 0u32;
            let mut chunks: Vec<Vec<usize>> = Vec::new();
            let mut room = 0u32;
            for &j in idx {
                let it = items.get(j)?;
                base += i32::from(it.vmin);
                let range = u32::from(it.dtab.iter().copied().max().unwrap_or(0));
                total += range;
                match chunks.last_mut() {
                    Some(c) if room + range <= 255 => {
                        c.push(j);
                        room += range;
                    }
                    _ => {
                        chunks.push(vec![j]);
                        room = range;
                    }
                }
            }
            if total > u32::from(u16::MAX) {
                return None;
            }
            sums.push(Some(OffsetSum { base, chunks }));
        }
        let (mut val_items, mut code_items) = (Vec::new(), Vec::new());
        // Value tests read the offset columns directly (see `cond`); code tests need the codes.
        fn walk(c: &CondPlan, code: &mut Vec<usize>) {
            match c {
                CondPlan::Any(v) | CondPlan::All(v) => v.iter().for_each(|c| walk(c, code)),
                CondPlan::CountOf { of, .. } => of.iter().for_each(|c| walk(c, code)),
                CondPlan::Not(c) => walk(c, code),
                CondPlan::Item { idx, on: ItemBasis::Code, .. } => code.push(*idx),
                _ => {}
            }
        }
        for c in plan
            .flags
            .iter()
            .map(|f| &f.cond)
            .chain(plan.validity.iter().map(|v| &v.cond))
            .chain(plan.screen_positive.iter().map(|s| &s.cond))
        {
            walk(c, &mut code_items);
        }
        for sc in &plan.scales {
            if let AggPlan::Count(terms) = &sc.agg {
                val_items.extend(terms.iter().map(|t| t.idx));
            }
        }
        val_items.sort_unstable();
        val_items.dedup();
        code_items.sort_unstable();
        code_items.dedup();
        Some(BytePlan {
            items,
            sums,
            val_items,
            code_items,
        })
    }
}

/// Decode a block of a byte-wide buffer through the kernel, mark rows that need the generic path,
/// fill the value/code columns conditions read and the sums of `sum`/`mean` scales.
#[allow(clippy::too_many_arguments)]
#[inline(never)]
pub(crate) fn decode_bytes<T: Code>(
    plan: &Plan,
    bp: &BytePlan,
    tables: &DecodeTables,
    kernel: BatchKernel,
    codes: &[T],
    r0: usize,
    bn: usize,
    s: &mut Scratch,
) {
    let n = plan.items.len();
    simd::decode_block(kernel, codes, n, r0, bn, &bp.items, BLOCK, &mut s.dcol, &mut s.ok);
    for (f, &m) in s.slow[..bn].iter_mut().zip(&s.ok[..bn]) {
        *f = m != 0xFF;
    }
    for &j in &bp.val_items {
        let vmin = bp.items[j].vmin;
        let d = &s.dcol[j * BLOCK..j * BLOCK + bn];
        for (o, &x) in s.val[j * BLOCK..j * BLOCK + bn].iter_mut().zip(d) {
            *o = vmin.wrapping_add(i16::from(x));
        }
    }
    let rows = &codes[r0 * n..(r0 + bn) * n];
    for &j in &bp.code_items {
        let out = &mut s.code[j * BLOCK..j * BLOCK + bn];
        if tables.code.is_empty() {
            for (o, row) in out.iter_mut().zip(rows.chunks_exact(n)) {
                *o = row[j].to_i64().clamp(0, 255) as u8;
            }
        } else {
            let lut = &tables.code[j];
            for (o, row) in out.iter_mut().zip(rows.chunks_exact(n)) {
                *o = lut[row[j].byte() as usize];
            }
        }
    }
    for (si, sum) in bp.sums.iter().enumerate() {
        let Some(sum) = sum else { continue };
        let out = &mut s.sums[si * BLOCK..si * BLOCK + bn];
        let acc16 = &mut s.acc16[..bn];
        acc16.fill(0);
        for chunk in &sum.chunks {
            let acc8 = &mut s.acc8[..bn];
            acc8.fill(0);
            for &j in chunk {
                for (a, &d) in acc8.iter_mut().zip(&s.dcol[j * BLOCK..j * BLOCK + bn]) {
                    *a = a.wrapping_add(d);
                }
            }
            for (a, &d) in acc16.iter_mut().zip(acc8.iter()) {
                *a = a.wrapping_add(u16::from(d));
            }
        }
        for (o, &a) in out.iter_mut().zip(acc16.iter()) {
            *o = sum.base + i32::from(a);
        }
    }
}

/// Per-call tables derived from the plan: norm score mantissas at the column's decimals.
pub(crate) struct CallTables {
    pub score_decimals: Vec<u32>,
    /// Band ordinal index by band position, per scale.
    pub band_index: Vec<Vec<i8>>,
    /// The output band column's value by band position (`NO_BAND` → −1), per scale.
    pub band_out: Vec<[i8; 256]>,
    /// Per normed scale: `(width, score mantissas, band positions)` of all groups in one table
    /// indexed by `group · width + raw − raw_min` (empty for scales without norms).
    pub norm_flat: Vec<(usize, Vec<i64>, Vec<u8>)>,
}

impl CallTables {
    pub fn new(plan: &Plan) -> CallTables {
        let score_decimals: Vec<u32> = plan.scales.iter().map(super::batch::score_decimals).collect();
        // For each scale: for each norm group: score mantissa by `raw - raw_min`.
        let score_mant: Vec<Vec<Vec<i64>>> = plan
            .scales
            .iter()
            .zip(&score_decimals)
            .map(|(sc, &d)| match &sc.norms {
                None => Vec::new(),
                Some(n) => n
                    .groups
                    .iter()
                    .map(|g| {
                        // Norm scores are bounded at compile time, so `to_ratio` always succeeds here.
                        g.scores
                            .iter()
                            .map(|s| s.to_ratio().map_or(super::batch::UNSCORED, |r| r.round_mantissa(d, crate::Rounding::HalfUp)))
                            .collect()
                    })
                    .collect(),
            })
            .collect();
        let band_index: Vec<Vec<i8>> = plan.scales.iter().map(|sc| sc.bands.iter().map(|b| b.index as i8).collect()).collect();
        let band_out = band_index
            .iter()
            .map(|lut: &Vec<i8>| {
                let mut t = [-1i8; 256];
                for (o, &i) in t.iter_mut().zip(lut) {
                    *o = i;
                }
                t[NO_BAND as usize] = -1;
                t
            })
            .collect();
        let norm_flat = plan
            .scales
            .iter()
            .zip(&score_mant)
            .map(|(sc, mant): (&ScalePlan, &Vec<Vec<i64>>)| {
                let Some(n) = &sc.norms else { return (0, Vec::new(), Vec::new()) };
                let width = mant.iter().map(Vec::len).chain(n.groups.iter().map(|g| g.band_by_raw.len())).max().unwrap_or(0);
                let mut m = vec![0i64; width * mant.len()];
                let mut b = vec![NO_BAND; width * n.groups.len()];
                for (g, row) in mant.iter().enumerate() {
                    m[g * width..g * width + row.len()].copy_from_slice(row);
                }
                for (g, gr) in n.groups.iter().enumerate() {
                    b[g * width..g * width + gr.band_by_raw.len()].copy_from_slice(&gr.band_by_raw);
                }
                (width, m, b)
            })
            .collect();
        CallTables {
            score_decimals,
            band_index,
            band_out,
            norm_flat,
        }
    }
}

/// Per-item decode tables over the buffer's raw codes 0..=255.
///
/// Without a code map they are built only for byte-wide buffers (entries 128..=255 are not
/// options; wider buffers use the items' own 128-entry tables with a range check). With a code
/// map the recode is composed into them (source code → option value, and → option code for the
/// code column), so recoded batches decode at the same speed.
pub(crate) struct DecodeTables {
    pub val: Vec<[i16; 256]>,
    /// Source code → option code, only with a code map (empty otherwise).
    pub code: Vec<[u8; 256]>,
}

impl DecodeTables {
    pub fn new(plan: &Plan, byte: bool, map: Option<&super::recode::CodeMap>) -> DecodeTables {
        let Some(map) = map else {
            let val = if byte {
                plan.items
                    .iter()
                    .map(|it| {
                        let mut t = [NOT_AN_OPTION; 256];
                        t[..CODE_SLOTS].copy_from_slice(&it.lut[..]);
                        t
                    })
                    .collect()
            } else {
                Vec::new()
            };
            return DecodeTables { val, code: Vec::new() };
        };
        let mut val = Vec::with_capacity(plan.items.len());
        let mut code = Vec::with_capacity(plan.items.len());
        for (j, it) in plan.items.iter().enumerate() {
            let mut v = [NOT_AN_OPTION; 256];
            let mut c = [0u8; 256];
            for src in 0..CODE_SLOTS {
                if let Ok(opt) = map.apply(j, src as i64) {
                    if (0..CODE_SLOTS as i64).contains(&opt) {
                        v[src] = it.lut[opt as usize];
                        c[src] = opt as u8;
                    }
                }
            }
            val.push(v);
            code.push(c);
        }
        DecodeTables { val, code }
    }
}

/// Whether any condition compares raw codes (only then is the code column filled).
pub(crate) fn uses_codes(plan: &Plan) -> bool {
    fn walk(c: &CondPlan) -> bool {
        match c {
            CondPlan::Any(v) | CondPlan::All(v) => v.iter().any(walk),
            CondPlan::CountOf { of, .. } => of.iter().any(walk),
            CondPlan::Not(c) => walk(c),
            CondPlan::Item { on, .. } => *on == ItemBasis::Code,
            _ => false,
        }
    }
    plan.flags
        .iter()
        .map(|f| &f.cond)
        .chain(plan.validity.iter().map(|v| &v.cond))
        .chain(plan.screen_positive.iter().map(|s| &s.cond))
        .any(walk)
}

/// Decode a block into item-major columns; marks rows that need the generic path.
#[inline]
pub(crate) fn decode<T: Code>(plan: &Plan, tables: &DecodeTables, with_codes: bool, codes: &[T], r0: usize, bn: usize, s: &mut Scratch) {
    let n = plan.items.len();
    let rows = &codes[r0 * n..(r0 + bn) * n];
    let mapped = !tables.code.is_empty();
    // Item-major: one item's lookup table stays hot while its column is written contiguously.
    for j in 0..n {
        let col = &mut s.val[j * BLOCK..j * BLOCK + bn];
        if T::BYTE {
            let lut = &tables.val[j];
            for (o, row) in col.iter_mut().zip(rows.chunks_exact(n)) {
                *o = lut[row[j].byte() as usize];
            }
        } else if mapped {
            let lut = &tables.val[j];
            for (o, row) in col.iter_mut().zip(rows.chunks_exact(n)) {
                let c = row[j].to_i64();
                *o = if (c as u64) < 256 { lut[c as usize] } else { NOT_AN_OPTION };
            }
        } else {
            let lut = &plan.items[j].lut;
            for (o, row) in col.iter_mut().zip(rows.chunks_exact(n)) {
                let c = row[j].to_i64();
                *o = if (c as u64) < CODE_SLOTS as u64 { lut[c as usize] } else { NOT_AN_OPTION };
            }
        }
        if with_codes {
            let out = &mut s.code[j * BLOCK..j * BLOCK + bn];
            if mapped {
                let lut = &tables.code[j];
                for (o, row) in out.iter_mut().zip(rows.chunks_exact(n)) {
                    *o = lut[row[j].to_i64().clamp(0, 255) as usize];
                }
            } else {
                for (o, row) in out.iter_mut().zip(rows.chunks_exact(n)) {
                    *o = row[j].to_i64().clamp(0, 255) as u8;
                }
            }
        }
    }
    // A row needs the generic path if any cell is not an option (missing, refused or invalid).
    let slow = &mut s.slow[..bn];
    slow.fill(false);
    for j in 0..n {
        for (f, &v) in slow.iter_mut().zip(&s.val[j * BLOCK..j * BLOCK + bn]) {
            *f |= v == NOT_AN_OPTION;
        }
    }
}

/// `x OP p/q` for integer `x`, rewritten as an integer test (or a constant).
#[derive(Clone, Copy, Debug)]
pub(crate) enum IntTest {
    Cmp(CmpOp, i64),
    Const(bool),
}

pub(crate) fn int_test(op: CmpOp, v: Ratio) -> IntTest {
    let (floor, ceil) = (v.round_mantissa(0, crate::Rounding::Floor), v.round_mantissa(0, crate::Rounding::Ceil));
    let int = v.is_integer();
    match op {
        CmpOp::Ge => IntTest::Cmp(CmpOp::Ge, ceil),
        CmpOp::Gt => IntTest::Cmp(CmpOp::Gt, floor),
        CmpOp::Le => IntTest::Cmp(CmpOp::Le, floor),
        CmpOp::Lt => IntTest::Cmp(CmpOp::Lt, ceil),
        CmpOp::Eq if int => IntTest::Cmp(CmpOp::Eq, floor),
        CmpOp::Ne if int => IntTest::Cmp(CmpOp::Ne, floor),
        CmpOp::Eq => IntTest::Const(false),
        CmpOp::Ne => IntTest::Const(true),
    }
}

/// Resolve a test whose threshold lies outside `[min, max]` (the column type's range) to a constant.
pub(crate) fn narrow(t: IntTest, min: i64, max: i64) -> IntTest {
    match t {
        IntTest::Cmp(op, k) if k < min || k > max => IntTest::Const(match op {
            CmpOp::Lt | CmpOp::Le => k > max,
            CmpOp::Gt | CmpOp::Ge => k < min,
            CmpOp::Eq => false,
            CmpOp::Ne => true,
        }),
        t => t,
    }
}

/// Apply an integer test to a column of narrow integers.
macro_rules! int_loop {
    ($test:expr, $out:expr, $bn:expr, $col:expr, $ty:ty) => {{
        match narrow($test, <$ty>::MIN as i64, <$ty>::MAX as i64) {
            IntTest::Const(b) => $out[..$bn].fill(u8::from(b)),
            IntTest::Cmp(op, k) => {
                let k = k as $ty;
                let col = &$col[..$bn];
                let out = &mut $out[..$bn];
                match op {
                    CmpOp::Lt => {
                        for (o, &x) in out.iter_mut().zip(col) {
                            *o = u8::from(x < k);
                        }
                    }
                    CmpOp::Le => {
                        for (o, &x) in out.iter_mut().zip(col) {
                            *o = u8::from(x <= k);
                        }
                    }
                    CmpOp::Gt => {
                        for (o, &x) in out.iter_mut().zip(col) {
                            *o = u8::from(x > k);
                        }
                    }
                    CmpOp::Ge => {
                        for (o, &x) in out.iter_mut().zip(col) {
                            *o = u8::from(x >= k);
                        }
                    }
                    CmpOp::Eq => {
                        for (o, &x) in out.iter_mut().zip(col) {
                            *o = u8::from(x == k);
                        }
                    }
                    CmpOp::Ne => {
                        for (o, &x) in out.iter_mut().zip(col) {
                            *o = u8::from(x != k);
                        }
                    }
                }
            }
        }
    }};
}

macro_rules! cmp_loop {
    ($op:expr, $out:expr, $bn:expr, |$r:ident| $lhs:expr, $rhs:expr) => {{
        let rhs = $rhs;
        match $op {
            CmpOp::Lt => {
                for $r in 0..$bn {
                    $out[$r] = u8::from($lhs < rhs);
                }
            }
            CmpOp::Le => {
                for $r in 0..$bn {
                    $out[$r] = u8::from($lhs <= rhs);
                }
            }
            CmpOp::Gt => {
                for $r in 0..$bn {
                    $out[$r] = u8::from($lhs > rhs);
                }
            }
            CmpOp::Ge => {
                for $r in 0..$bn {
                    $out[$r] = u8::from($lhs >= rhs);
                }
            }
            CmpOp::Eq => {
                for $r in 0..$bn {
                    $out[$r] = u8::from($lhs == rhs);
                }
            }
            CmpOp::Ne => {
                for $r in 0..$bn {
                    $out[$r] = u8::from($lhs != rhs);
                }
            }
        }
    }};
}

/// Compute scales and bands for the block (valid for complete rows).
/// With `bytes`, the sums of its `sum`/`mean` scales are already in the scratch.
pub(crate) fn scales(plan: &Plan, t: &CallTables, bytes: Option<&BytePlan>, bn: usize, s: &mut Scratch) {
    for (si, sc) in plan.scales.iter().enumerate() {
        let (done, rest) = s.sums.split_at_mut(si * BLOCK);
        let sum = &mut rest[..BLOCK];
        let presummed = bytes.is_some_and(|b| b.sums.get(si).is_some_and(Option::is_some));
        if !presummed {
            sum[..bn].fill(0);
        }
        match &sc.agg {
            _ if presummed => {}
            AggPlan::Sum(items) | AggPlan::Mean(items) => {
                for &j in items {
                    let col = &s.val[j * BLOCK..j * BLOCK + bn];
                    for (a, &v) in sum[..bn].iter_mut().zip(col) {
                        *a += i32::from(v);
                    }
                }
            }
            AggPlan::Count(terms) => {
                for t in terms {
                    let (j, test) = (t.idx, int_test(t.op, t.value));
                    let col = &s.val[j * BLOCK..j * BLOCK + bn];
                    let tmp = &mut s.tmp;
                    int_loop!(test, tmp, bn, col, i16);
                    for (a, &v) in sum[..bn].iter_mut().zip(tmp.iter()) {
                        *a += i32::from(v);
                    }
                }
            }
            AggPlan::SumOfScales(parts) => {
                for &j in parts {
                    let col = &done[j * BLOCK..j * BLOCK + bn];
                    for (a, &v) in sum[..bn].iter_mut().zip(col) {
                        *a += v;
                    }
                }
            }
        }
        let band = &mut s.band[si * BLOCK..si * BLOCK + bn];
        if sc.bands.is_empty() {
            band.fill(NO_BAND);
        }
        match &sc.norms {
            None => {
                if !sc.bands.is_empty() {
                    let lut = &sc.band_by_sum;
                    for (b, &v) in band.iter_mut().zip(&sum[..bn]) {
                        *b = lut.get((i64::from(v) - sc.sum_min) as usize).copied().unwrap_or(NO_BAND);
                    }
                }
            }
            Some(norms) => {
                let mant = &mut s.score_mant[si * BLOCK..si * BLOCK + bn];
                // One flat table per scale: entry `g · width + slot` (0 / NO_BAND outside a group's table).
                let (width, flat_mant, flat_band) = &t.norm_flat[si];
                let on_score = sc.bands_on == BandBasis::Score;
                for r in 0..bn {
                    let g = s.norm_group[r] as usize;
                    let slot = (i64::from(sum[r]) - norms.raw_min) as usize;
                    let at = if slot < *width {
                        g.wrapping_mul(*width).wrapping_add(slot)
                    } else {
                        usize::MAX
                    };
                    mant[r] = flat_mant.get(at).copied().unwrap_or(0);
                    if on_score {
                        band[r] = flat_band.get(at).copied().unwrap_or(NO_BAND);
                    } else if !sc.bands.is_empty() {
                        band[r] = sc.band_by_sum.get(slot).copied().unwrap_or(NO_BAND);
                    }
                }
            }
        }
    }
}

/// Evaluate a condition column-wise for a block of complete rows.
#[allow(clippy::too_many_arguments)]
pub(crate) fn cond(
    c: &CondPlan,
    plan: &Plan,
    t: &CallTables,
    bn: usize,
    s_val: &[i16],
    s_code: &[u8],
    by: Option<(&[u8], &[ByteItem])>,
    sums: &[i32],
    band: &[u8],
    score_mant: &[i64],
    flags: &[u8],
    durations: &[i64],
    out: &mut [u8],
    pool: &mut [Vec<u8>],
) {
    match c {
        CondPlan::Any(v) | CondPlan::All(v) => {
            let any = matches!(c, CondPlan::Any(_));
            out[..bn].fill(u8::from(!any));
            let Some((tmp, rest)) = pool.split_first_mut() else { return };
            for ch in v {
                cond(ch, plan, t, bn, s_val, s_code, by, sums, band, score_mant, flags, durations, tmp, rest);
                if any {
                    for (o, &x) in out[..bn].iter_mut().zip(tmp.iter()) {
                        *o |= x;
                    }
                } else {
                    for (o, &x) in out[..bn].iter_mut().zip(tmp.iter()) {
                        *o &= x;
                    }
                }
            }
        }
        CondPlan::Not(ch) => {
            cond(ch, plan, t, bn, s_val, s_code, by, sums, band, score_mant, flags, durations, out, pool);
            for o in &mut out[..bn] {
                *o ^= 1;
            }
        }
        CondPlan::CountOf { of, op, value } => {
            let Some((tmp, rest)) = pool.split_first_mut() else { return };
            let mut counts = [0u8; BLOCK];
            for ch in of {
                cond(ch, plan, t, bn, s_val, s_code, by, sums, band, score_mant, flags, durations, tmp, rest);
                for (a, &x) in counts[..bn].iter_mut().zip(tmp.iter()) {
                    *a += x;
                }
            }
            cmp_loop!(*op, out, bn, |r| u32::from(counts[r]), *value);
        }
        CondPlan::Item { idx, op, value, on } => {
            let test = int_test(*op, *value);
            match on {
                // Byte-wide decode: `value = vmin + offset`, so `value OP k` ⇔ `offset OP k − vmin`
                // on the offset column (16 rows per vector op).
                ItemBasis::Value => match by.and_then(|(d, items)| items.get(*idx).map(|it| (d, it.vmin))) {
                    Some((d, vmin)) => {
                        let test = match test {
                            IntTest::Cmp(op, k) => IntTest::Cmp(op, k.saturating_sub(i64::from(vmin))),
                            c => c,
                        };
                        int_loop!(test, out, bn, &d[idx * BLOCK..], u8)
                    }
                    None => int_loop!(test, out, bn, &s_val[idx * BLOCK..], i16),
                },
                ItemBasis::Code => int_loop!(test, out, bn, &s_code[idx * BLOCK..], u8),
            }
        }
        CondPlan::ItemState { state, .. } => out[..bn].fill(u8::from(matches!(state, ItemStateKind::Answered))),
        CondPlan::Answered { items, op, value } => out[..bn].fill(u8::from(op.holds((items.len() as u32).cmp(value)))),
        CondPlan::ScaleUnscored(_) => out[..bn].fill(0),
        CondPlan::Scale { idx, op, value, basis } => {
            let sc = &plan.scales[*idx];
            let (p, q) = (value.num(), value.den());
            if *basis == BandBasis::Score && sc.norms.is_some() {
                let m = &score_mant[idx * BLOCK..];
                let scale = 10i64.pow(t.score_decimals[*idx]);
                cmp_loop!(*op, out, bn, |r| m[r] * q, p * scale)
            } else {
                // sum / den OP p / q  <=>  sum OP p·den / q
                let test = int_test(*op, Ratio::new(p * sc.den.max(1), q));
                int_loop!(test, out, bn, &sums[idx * BLOCK..], i32)
            }
        }
        CondPlan::Band { idx, op, index } => {
            let b = &band[idx * BLOCK..];
            let lut = &t.band_index[*idx];
            for r in 0..bn {
                out[r] = match b[r] {
                    NO_BAND => 0,
                    pos => u8::from(op.holds((lut[pos as usize] as u32).cmp(index))),
                };
            }
        }
        CondPlan::Duration { op, value } => {
            let (p, q) = (value.num(), value.den());
            for r in 0..bn {
                let d = durations[r];
                // Durations come from the caller (any i64): compare in i128, never overflowing.
                out[r] = u8::from(d >= 0 && op.holds((i128::from(d) * i128::from(q)).cmp(&i128::from(p))));
            }
        }
        CondPlan::Flag(i) => out[..bn].copy_from_slice(&flags[i * BLOCK..i * BLOCK + bn]),
        CondPlan::StraightLine { .. } => out[..bn].fill(0), // excluded by `analyse`
    }
}

/// Pack per-flag 0/1 columns into the output's flag words (bytes first for up to 8 flags).
fn pack_flags(nf: usize, src: &[u8], bn: usize, bytes: &mut [u8], words: &mut [u64], dst: &mut [u64]) {
    if nf <= 8 {
        // Up to 8 flags: bytes first (16 rows per vector op), widened once into the output.
        let bits = &mut bytes[..bn];
        bits.fill(0);
        for fi in 0..nf {
            let f = &src[fi * BLOCK..fi * BLOCK + bn];
            for (w, &x) in bits.iter_mut().zip(f) {
                *w |= x << fi;
            }
        }
        for (o, &w) in dst[..bn].iter_mut().zip(bits.iter()) {
            *o = u64::from(w);
        }
    } else {
        let bits = &mut words[..bn];
        bits.fill(0);
        for fi in 0..nf {
            let f = &src[fi * BLOCK..fi * BLOCK + bn];
            for (w, &x) in bits.iter_mut().zip(f) {
                *w |= u64::from(x) << fi;
            }
        }
        dst[..bn].copy_from_slice(bits);
    }
}

/// Evaluate flags, validity and screen-positive, and write the block's output columns. With
/// partial rows (`pr`), conditions are evaluated in three-valued logic and the partial rows'
/// scale columns, undecided flags, validity and screen verdicts are written from their own state.
#[allow(clippy::too_many_arguments)]
pub(crate) fn finish_block(
    plan: &Plan,
    t: &CallTables,
    bytes: Option<&BytePlan>,
    r0: usize,
    bn: usize,
    s: &mut Scratch,
    out: &mut super::batch::ColsMut<'_>,
    pr: Option<&Partials>,
) {
    let Scratch {
        val,
        code,
        dcol,
        sums,
        band,
        score_mant,
        flags,
        pool,
        durations,
        tmp,
        words,
        validity: validity_scratch,
        flags_u,
        pool_u,
        tmp_u,
        ..
    } = s;
    let by = bytes.map(|bp| (&dcol[..], &bp.items[..]));
    let tri = pr.filter(|p| !p.rows.is_empty());
    let blk = tri.map(|pr| Blk {
        plan,
        t,
        bn,
        val,
        code,
        by,
        sums,
        band,
        score_mant,
        durations,
        pr,
    });
    for (fi, f) in plan.flags.iter().enumerate() {
        let (before, rest) = flags.split_at_mut(fi * BLOCK);
        let o = &mut rest[..BLOCK];
        match &blk {
            None => cond(&f.cond, plan, t, bn, val, code, by, sums, band, score_mant, before, durations, o, pool),
            Some(b) => {
                let (before_u, rest_u) = flags_u.split_at_mut(fi * BLOCK);
                cond_tri(&f.cond, b, before, before_u, o, &mut rest_u[..BLOCK], pool, pool_u);
            }
        }
    }
    for (si, sc) in plan.scales.iter().enumerate() {
        let col = &mut out.scales[si];
        let sum = &sums[si * BLOCK..si * BLOCK + bn];
        let raw = &mut col.raw[r0..r0 + bn];
        match sc.agg {
            AggPlan::Mean(_) => {
                let n = sc.den.max(1);
                for (m, &v) in raw.iter_mut().zip(sum) {
                    *m = Ratio::new(i64::from(v), n).round_mantissa(sc.decimals, sc.rounding);
                }
            }
            _ => {
                let k = 10i64.pow(sc.decimals);
                // raw and (without norms) score in one pass over the sums
                match (k, sc.norms.is_some()) {
                    (1, false) => {
                        for ((m, o), &v) in raw.iter_mut().zip(col.score[r0..r0 + bn].iter_mut()).zip(sum) {
                            *m = i64::from(v);
                            *o = i64::from(v);
                        }
                    }
                    (_, false) => {
                        for ((m, o), &v) in raw.iter_mut().zip(col.score[r0..r0 + bn].iter_mut()).zip(sum) {
                            *m = i64::from(v) * k;
                            *o = i64::from(v) * k;
                        }
                    }
                    (_, true) => {
                        for (m, &v) in raw.iter_mut().zip(sum) {
                            *m = i64::from(v) * k;
                        }
                    }
                }
            }
        }
        if sc.norms.is_some() {
            col.score[r0..r0 + bn].copy_from_slice(&score_mant[si * BLOCK..si * BLOCK + bn]);
        } else if matches!(sc.agg, AggPlan::Mean(_)) {
            col.score[r0..r0 + bn].copy_from_slice(&col.raw[r0..r0 + bn]);
        }
        let tab = &t.band_out[si];
        for (o, &p) in col.band[r0..r0 + bn].iter_mut().zip(&band[si * BLOCK..si * BLOCK + bn]) {
            *o = tab[p as usize];
        }
        col.answered[r0..r0 + bn].fill(u16::try_from(sc.n).unwrap_or(u16::MAX));
        col.prorated[r0..r0 + bn].fill(false);
    }
    let nf = plan.flags.len();
    // Flag words and validity are built in the scratch and written to the output columns once.
    pack_flags(nf, flags, bn, tmp, words, &mut out.flags[r0..r0 + bn]);
    match tri {
        None => out.flags_indeterminate[r0..r0 + bn].fill(0),
        Some(_) => pack_flags(nf, flags_u, bn, tmp, words, &mut out.flags_indeterminate[r0..r0 + bn]),
    }
    let validity = &mut validity_scratch[..bn];
    validity.fill(0);
    for v in &plan.validity {
        let verdict = match v.verdict {
            ValidityVerdict::Note => continue,
            ValidityVerdict::Incomplete => 1u8,
            ValidityVerdict::Invalid => 2u8,
        };
        match &blk {
            None => cond(&v.cond, plan, t, bn, val, code, by, sums, band, score_mant, flags, durations, tmp, pool),
            Some(b) => cond_tri(&v.cond, b, flags, flags_u, tmp, tmp_u, pool, pool_u),
        }
        for (o, &x) in validity.iter_mut().zip(tmp.iter()) {
            if x == 1 && verdict > *o {
                *o = verdict;
            }
        }
    }
    if let Some(pr) = tri {
        let ns = plan.scales.len();
        for (p, &r) in pr.rows.iter().enumerate() {
            // A scale left unscored by missing data makes the row incomplete at least.
            if pr.value[p * ns..(p + 1) * ns].iter().any(Option::is_none) {
                validity[r] = validity[r].max(1);
            }
            for (si, sc) in plan.scales.iter().enumerate() {
                let k = p * ns + si;
                if pr.full[k] {
                    continue; // written by the block, as for a complete row
                }
                super::batch::write_scale(
                    sc,
                    &mut out.scales[si],
                    r0 + r,
                    pr.value[k],
                    pr.score[k],
                    pr.band[k],
                    pr.answered[k],
                    pr.prorated[k],
                );
            }
        }
    }
    out.validity[r0..r0 + bn].copy_from_slice(validity);
    if let Some(sp) = &plan.screen_positive {
        let screen = &mut out.screen[r0..r0 + bn];
        match &blk {
            None => {
                cond(&sp.cond, plan, t, bn, val, code, by, sums, band, score_mant, flags, durations, tmp, pool);
                screen.copy_from_slice(&tmp[..bn]);
            }
            Some(b) => {
                cond_tri(&sp.cond, b, flags, flags_u, tmp, tmp_u, pool, pool_u);
                for ((o, &x), &u) in screen.iter_mut().zip(tmp.iter()).zip(tmp_u.iter()) {
                    *o = x | (u << 1);
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Rows with missing or refused cells on the block path (byte-wide buffers).
//
// A row whose cells are all options, missing or refused (no invalid code) stays on the block
// path. The block's columns are computed for every row as for complete rows; then the rows with
// unanswered cells ("partial rows", a short list per block) get their scale values, intervals and
// bands from the per-row functions the row evaluator uses ([`super::eval`]), and every condition
// is evaluated column-wise in Kleene three-valued logic: a truth column and an undecided column,
// combined for `any`/`all`/`not`/`count_of` over the whole block, with the leaves that depend on
// unanswered cells re-decided for the partial rows only. Rows with an invalid code (whose error
// the row path reports) still take the row path.
// ---------------------------------------------------------------------------------------------

/// Whether rows with unanswered cells can stay on the block path: no item has skip logic (an
/// unanswered item is then always an unknown whose value tests are decided from its options).
pub(crate) fn tri_ok(plan: &Plan) -> bool {
    plan.items.iter().all(|it| it.asked_if.is_none())
}

/// Per-call tables of the three-valued block path.
pub(crate) struct TriPlan {
    /// Per item: the `sum`/`mean` scales listing it (once per listing).
    pub item_scales: Vec<Vec<usize>>,
}

impl TriPlan {
    pub fn new(plan: &Plan) -> TriPlan {
        let mut item_scales = vec![Vec::new(); plan.items.len()];
        for (si, sc) in plan.scales.iter().enumerate() {
            if let AggPlan::Sum(idx) | AggPlan::Mean(idx) = &sc.agg {
                for &j in idx {
                    if let Some(v) = item_scales.get_mut(j) {
                        v.push(si);
                    }
                }
            }
        }
        TriPlan { item_scales }
    }
}

/// The block's rows with unanswered cells and their per-row scale state.
pub(crate) struct Partials {
    /// Block rows with at least one missing or refused cell and no invalid cell.
    pub rows: Vec<usize>,
    /// Item states `state[r · n + j]` (`eval::ANSWERED`, `MISSING`, `REFUSED`), for rows in `rows`.
    pub state: Vec<u8>,
    /// The unanswered items of partial row `p`: `unans[unans_at[p]..unans_at[p + 1]]`.
    pub unans: Vec<u32>,
    pub unans_at: Vec<u32>,
    /// Per partial row `p` and scale `si`, at `p · scales + si`.
    pub lo: Vec<i64>,
    pub hi: Vec<i64>,
    pub value: Vec<Option<Ratio>>,
    pub score: Vec<Option<Ratio>>,
    pub band: Vec<u8>,
    pub answered: Vec<u32>,
    pub prorated: Vec<bool>,
    pub group: Vec<Option<usize>>,
    /// Whether the scale has no unanswered item in this row: then the block's own columns (as for
    /// a complete row) are its columns and verdicts, and `score`/`band`/`group` are not computed.
    pub full: Vec<bool>,
    /// Per scale: unanswered listings, and the sums of their `vmin` in the byte decode, of the
    /// items' own `vmin` and `vmax` (one partial row at a time).
    cnt: Vec<u32>,
    corr: Vec<i64>,
    add_lo: Vec<i64>,
    add_hi: Vec<i64>,
}

impl Partials {
    pub fn new(plan: &Plan) -> Partials {
        let (n, s) = (plan.items.len(), plan.scales.len());
        Partials {
            rows: Vec::with_capacity(BLOCK),
            state: vec![0; n * BLOCK],
            unans: Vec::with_capacity(BLOCK),
            unans_at: Vec::with_capacity(BLOCK + 1),
            lo: vec![0; s * BLOCK],
            hi: vec![0; s * BLOCK],
            value: vec![None; s * BLOCK],
            score: vec![None; s * BLOCK],
            band: vec![NO_BAND; s * BLOCK],
            answered: vec![0; s * BLOCK],
            prorated: vec![false; s * BLOCK],
            group: vec![None; s * BLOCK],
            full: vec![false; s * BLOCK],
            cnt: vec![0; s],
            corr: vec![0; s],
            add_lo: vec![0; s],
            add_hi: vec![0; s],
        }
    }
}

impl Scratch {
    /// Add the buffers of the three-valued block path.
    pub fn with_tri(mut self, plan: &Plan, depth: usize) -> Scratch {
        self.flags_u = vec![0; plan.flags.len().max(1) * BLOCK];
        self.pool_u = (0..depth + 2).map(|_| vec![0u8; BLOCK]).collect();
        self.tmp_u = vec![0; BLOCK];
        self
    }
}

/// Find the block's rows whose non-option cells are all missing or refused: they leave the slow
/// list and their item states are recorded. Rows with an invalid code stay slow.
#[allow(clippy::too_many_arguments)]
pub(crate) fn classify<T: Code>(
    bp: &BytePlan,
    codes: &[T],
    n: usize,
    r0: usize,
    bn: usize,
    missing: T,
    refused: Option<T>,
    s: &mut Scratch,
    pr: &mut Partials,
) {
    use super::eval::{ANSWERED, MISSING, REFUSED};
    pr.rows.clear();
    pr.unans.clear();
    pr.unans_at.clear();
    for r in 0..bn {
        if s.ok[r] == 0xFF {
            continue;
        }
        let Some(row) = codes.get((r0 + r) * n..(r0 + r + 1) * n) else { continue };
        let Some(st) = pr.state.get_mut(r * n..(r + 1) * n) else { continue };
        let start = pr.unans.len();
        let mut bad = false;
        for (j, ((&c, o), it)) in row.iter().zip(st.iter_mut()).zip(&bp.items).enumerate() {
            if it.oktab[c.byte() as usize] != 0 {
                *o = ANSWERED;
            } else if c == missing {
                *o = MISSING;
                pr.unans.push(j as u32);
            } else if Some(c) == refused {
                *o = REFUSED;
                pr.unans.push(j as u32);
            } else {
                bad = true;
                break;
            }
        }
        if bad {
            pr.unans.truncate(start);
            continue;
        }
        pr.unans_at.push(start as u32);
        pr.rows.push(r);
        s.slow[r] = false;
    }
    pr.unans_at.push(pr.unans.len() as u32);
}

/// Scale values, intervals and bands of the block's partial rows, through the row evaluator's
/// own per-value functions. `group(r, si)` is the norm group of block row `r` for scale `si`.
pub(crate) fn partial_scales(plan: &Plan, bp: &BytePlan, tp: &TriPlan, s: &Scratch, pr: &mut Partials, group: impl Fn(usize, usize) -> Option<usize>) {
    use super::eval::{count_hit, score_and_band, value_of_parts, value_of_sum, ANSWERED};
    let (n, ns) = (plan.items.len(), plan.scales.len());
    let Partials {
        rows,
        state,
        unans,
        unans_at,
        lo,
        hi,
        value,
        score,
        band,
        answered,
        prorated,
        group: pgroup,
        full,
        cnt,
        corr,
        add_lo,
        add_hi,
    } = pr;
    for (p, &r) in rows.iter().enumerate() {
        cnt.fill(0);
        corr.fill(0);
        add_lo.fill(0);
        add_hi.fill(0);
        let (a, b) = (unans_at[p] as usize, unans_at[p + 1] as usize);
        for &j in &unans[a..b] {
            let j = j as usize;
            let (bv, it) = (i64::from(bp.items[j].vmin), &plan.items[j]);
            for &si in &tp.item_scales[j] {
                cnt[si] += 1;
                corr[si] += bv;
                add_lo[si] += i64::from(it.vmin);
                add_hi[si] += i64::from(it.vmax);
            }
        }
        let st = &state[r * n..(r + 1) * n];
        for (si, sc) in plan.scales.iter().enumerate() {
            let k = p * ns + si;
            let (v, ans, pro, l, h, f) = match &sc.agg {
                AggPlan::Sum(idx) | AggPlan::Mean(idx) => {
                    // The byte decode summed `vmin` for each unanswered cell (offset 0).
                    let sum = i64::from(s.sums[si * BLOCK + r]) - corr[si];
                    let ans = (idx.len() as u32).saturating_sub(cnt[si]);
                    let (v, ans, pro) = value_of_sum(sc, sum, ans);
                    (v, ans, pro, sum + add_lo[si], sum + add_hi[si], cnt[si] == 0)
                }
                AggPlan::Count(terms) => {
                    let (mut count, mut ans, mut l, mut h) = (0i64, 0u32, 0i64, 0i64);
                    for t in terms {
                        if st[t.idx] == ANSWERED {
                            let hit = i64::from(count_hit(t, i32::from(s.val[t.idx * BLOCK + r])));
                            ans += 1;
                            count += hit;
                            l += hit;
                            h += hit;
                        } else {
                            l += i64::from(t.always);
                            h += i64::from(t.possible);
                        }
                    }
                    let f = ans as usize == terms.len();
                    let (v, ans, pro) = value_of_sum(sc, count, ans);
                    (v, ans, pro, l, h, f)
                }
                AggPlan::SumOfScales(parts) => {
                    let (mut sum, mut ans, mut l, mut h, mut f) = (0i64, 0u32, 0i64, 0i64, true);
                    for &j in parts {
                        let kj = p * ns + j;
                        f &= full[kj];
                        if let Some(x) = value[kj] {
                            sum += x.num();
                            ans += 1;
                        }
                        l = l.saturating_add(lo[kj]);
                        h = h.saturating_add(hi[kj]);
                    }
                    let (v, ans, pro) = value_of_parts(sc, sum, ans);
                    (v, ans, pro, l, h, f)
                }
            };
            // (A scale with every item answered is scored, as on the block's complete rows.)
            let f = f && v.is_some();
            full[k] = f;
            if !f {
                let g = group(r, si);
                let (sco, _, bnd) = score_and_band(sc, v, g);
                score[k] = sco;
                band[k] = bnd;
                pgroup[k] = g;
            }
            lo[k] = l;
            hi[k] = h;
            value[k] = v;
            answered[k] = ans;
            prorated[k] = pro;
        }
    }
}

#[inline]
fn put(out: &mut [u8], outu: &mut [u8], r: usize, t: super::eval::Tri) {
    use super::eval::Tri;
    out[r] = u8::from(t == Tri::T);
    outu[r] = u8::from(t == Tri::U);
}

/// Read-only block state for [`cond_tri`].
pub(crate) struct Blk<'a> {
    pub plan: &'a Plan,
    pub t: &'a CallTables,
    pub bn: usize,
    pub val: &'a [i16],
    pub code: &'a [u8],
    pub by: Option<(&'a [u8], &'a [ByteItem])>,
    pub sums: &'a [i32],
    pub band: &'a [u8],
    pub score_mant: &'a [i64],
    pub durations: &'a [i64],
    pub pr: &'a Partials,
}

/// Evaluate a condition column-wise in three-valued logic: `out` true, `outu` undecided (only
/// partial rows can be undecided; complete rows get exactly [`cond`]'s column).
#[allow(clippy::too_many_arguments)]
pub(crate) fn cond_tri(c: &CondPlan, b: &Blk<'_>, flags: &[u8], flags_u: &[u8], out: &mut [u8], outu: &mut [u8], pool: &mut [Vec<u8>], poolu: &mut [Vec<u8>]) {
    use super::eval::{self, Tri, ANSWERED, MISSING, REFUSED};
    let (plan, bn, pr) = (b.plan, b.bn, b.pr);
    let (n, ns) = (plan.items.len(), plan.scales.len());
    match c {
        CondPlan::Any(v) | CondPlan::All(v) => {
            let any = matches!(c, CondPlan::Any(_));
            out[..bn].fill(u8::from(!any));
            outu[..bn].fill(0);
            let (Some((tmp, rest)), Some((tmpu, restu))) = (pool.split_first_mut(), poolu.split_first_mut()) else {
                return;
            };
            for ch in v {
                cond_tri(ch, b, flags, flags_u, tmp, tmpu, rest, restu);
                let it = out[..bn].iter_mut().zip(outu[..bn].iter_mut()).zip(tmp[..bn].iter().zip(&tmpu[..bn]));
                if any {
                    for ((o, ou), (&x, &xu)) in it {
                        let t = *o | x;
                        *ou = (*ou | xu) & (t ^ 1);
                        *o = t;
                    }
                } else {
                    for ((o, ou), (&x, &xu)) in it {
                        let t = *o & x;
                        *ou = (*o | *ou) & (x | xu) & (t ^ 1);
                        *o = t;
                    }
                }
            }
        }
        CondPlan::Not(ch) => {
            cond_tri(ch, b, flags, flags_u, out, outu, pool, poolu);
            for (o, &u) in out[..bn].iter_mut().zip(&outu[..bn]) {
                *o = (*o ^ 1) & (u ^ 1);
            }
        }
        CondPlan::CountOf { of, op, value } => {
            let (Some((tmp, rest)), Some((tmpu, restu))) = (pool.split_first_mut(), poolu.split_first_mut()) else {
                return;
            };
            let mut counts = [0u8; BLOCK];
            let mut undecided = [0u8; BLOCK];
            for ch in of {
                cond_tri(ch, b, flags, flags_u, tmp, tmpu, rest, restu);
                for (a, &x) in counts[..bn].iter_mut().zip(&tmp[..bn]) {
                    *a += x;
                }
                for (a, &x) in undecided[..bn].iter_mut().zip(&tmpu[..bn]) {
                    *a += x;
                }
            }
            cmp_loop!(*op, out, bn, |r| u32::from(counts[r]), *value);
            outu[..bn].fill(0);
            for &r in &pr.rows {
                let (t, u) = (i64::from(counts[r]), i64::from(undecided[r]));
                put(out, outu, r, eval::range_test(IntTest::Cmp(*op, i64::from(*value)), t, t + u));
            }
        }
        CondPlan::Flag(i) => {
            out[..bn].copy_from_slice(&flags[i * BLOCK..i * BLOCK + bn]);
            outu[..bn].copy_from_slice(&flags_u[i * BLOCK..i * BLOCK + bn]);
        }
        leaf => {
            cond(
                leaf,
                plan,
                b.t,
                bn,
                b.val,
                b.code,
                b.by,
                b.sums,
                b.band,
                b.score_mant,
                flags,
                b.durations,
                out,
                pool,
            );
            outu[..bn].fill(0);
            let st = |r: usize, j: usize| pr.state[r * n + j];
            match leaf {
                CondPlan::Item { idx, op, value, on } => {
                    let un = eval::item_test_unanswered(plan, *idx, *op, *value, *on, Tri::T);
                    for &r in &pr.rows {
                        if st(r, *idx) != ANSWERED {
                            put(out, outu, r, un);
                        }
                    }
                }
                CondPlan::ItemState { idx, state } => {
                    for &r in &pr.rows {
                        let s = st(r, *idx);
                        out[r] = u8::from(match state {
                            ItemStateKind::Answered => s == ANSWERED,
                            ItemStateKind::Missing => s == MISSING,
                            ItemStateKind::Refused => s == REFUSED,
                            ItemStateKind::Unanswered => s != ANSWERED,
                        });
                    }
                }
                CondPlan::Answered { items, op, value } => {
                    for &r in &pr.rows {
                        let k = items.iter().filter(|&&i| st(r, i) == ANSWERED).count() as u32;
                        out[r] = u8::from(op.holds(k.cmp(value)));
                    }
                }
                CondPlan::ScaleUnscored(idx) => {
                    for (p, &r) in pr.rows.iter().enumerate() {
                        let k = p * ns + idx;
                        if pr.full[k] {
                            continue;
                        }
                        out[r] = u8::from(pr.value[k].is_none() || pr.score[k].is_none());
                    }
                }
                CondPlan::Scale { idx, op, value, basis } => {
                    let sc = &plan.scales[*idx];
                    // Without norms on the score, the test is one integer test on the interval
                    // (what `scale_test_at` does per row), built once per block.
                    let int = (!(*basis == BandBasis::Score && sc.norms.is_some())).then(|| eval::num_test(*op, *value, sc.den));
                    for (p, &r) in pr.rows.iter().enumerate() {
                        let k = p * ns + idx;
                        if pr.full[k] {
                            continue;
                        }
                        let v = match int {
                            Some(test) => eval::range_test(test, pr.lo[k], pr.hi[k]),
                            None => eval::scale_test_at(plan, *idx, *op, *value, *basis, pr.lo[k], pr.hi[k], pr.group[k]),
                        };
                        put(out, outu, r, v);
                    }
                }
                CondPlan::Band { idx, op, index } => {
                    for (p, &r) in pr.rows.iter().enumerate() {
                        let k = p * ns + idx;
                        if pr.full[k] {
                            continue;
                        }
                        put(out, outu, r, eval::band_test_at(plan, *idx, *op, *index, pr.lo[k], pr.hi[k], pr.group[k]));
                    }
                }
                _ => {}
            }
        }
    }
}
