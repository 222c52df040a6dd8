//! The block-columnar fast path of batch scoring.
//!
//! Rows are processed in blocks of [`BLOCK`]. Each block is decoded once from the
//! row-major buffer into item-major columns through the items' lookup tables;
//! scales, bands, flags, validity and screen-positive are then computed
//! column-wise in tight loops the compiler vectorises, with the condition tree
//! interpreted once per block rather than once per row.
//!
//! The fast path handles *complete* rows (every item answered with a valid
//! code): then every scale is complete, no missing-data rule applies and every
//! verdict is decided (two-valued logic suffices). Rows
//! with a missing, refused or invalid cell are marked and re-scored by the
//! generic row evaluator ([`super::eval`]), which is also what single scoring
//! uses, so both paths share one definition of every rule. A property test
//! checks that batch results equal one-by-one scoring.

use super::batch::Code;
use super::plan::*;
use super::simd::{self, BatchKernel, ByteItem};
use crate::decimal::Ratio;
use crate::instrument::spec::{BandBasis, CmpOp, ItemBasis, ItemStateKind, ValidityVerdict};

/// Rows per block.
pub(crate) const BLOCK: usize = 256;

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
    /// Items whose value column a condition or a `count` aggregation reads.
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
        fn walk(c: &CondPlan, val: &mut Vec<usize>, code: &mut Vec<usize>) {
            match c {
                CondPlan::Any(v) | CondPlan::All(v) => v.iter().for_each(|c| walk(c, val, code)),
                CondPlan::CountOf { of, .. } => of.iter().for_each(|c| walk(c, val, code)),
                CondPlan::Not(c) => walk(c, val, code),
                CondPlan::Item { idx, on, .. } => match on {
                    ItemBasis::Value => val.push(*idx),
                    ItemBasis::Code => code.push(*idx),
                },
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
            walk(c, &mut val_items, &mut code_items);
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
    /// For each scale: for each norm group: score mantissa by `raw - raw_min`.
    pub score_mant: Vec<Vec<Vec<i64>>>,
    pub score_decimals: Vec<u32>,
    /// Band ordinal index by band position, per scale.
    pub band_index: Vec<Vec<i8>>,
}

impl CallTables {
    pub fn new(plan: &Plan) -> CallTables {
        let score_decimals: Vec<u32> = plan.scales.iter().map(super::batch::score_decimals).collect();
        let score_mant = plan
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
        let band_index = plan.scales.iter().map(|sc| sc.bands.iter().map(|b| b.index as i8).collect()).collect();
        CallTables {
            score_mant,
            score_decimals,
            band_index,
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
                for r in 0..bn {
                    let g = s.norm_group[r] as usize;
                    let slot = (i64::from(sum[r]) - norms.raw_min) as usize;
                    mant[r] = t.score_mant[si].get(g).and_then(|m| m.get(slot)).copied().unwrap_or(0);
                    if sc.bands_on == BandBasis::Score {
                        band[r] = norms.groups.get(g).and_then(|gr| gr.band_by_raw.get(slot)).copied().unwrap_or(NO_BAND);
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
                cond(ch, plan, t, bn, s_val, s_code, sums, band, score_mant, flags, durations, tmp, rest);
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
            cond(ch, plan, t, bn, s_val, s_code, sums, band, score_mant, flags, durations, out, pool);
            for o in &mut out[..bn] {
                *o ^= 1;
            }
        }
        CondPlan::CountOf { of, op, value } => {
            let Some((tmp, rest)) = pool.split_first_mut() else { return };
            let mut counts = [0u8; BLOCK];
            for ch in of {
                cond(ch, plan, t, bn, s_val, s_code, sums, band, score_mant, flags, durations, tmp, rest);
                for (a, &x) in counts[..bn].iter_mut().zip(tmp.iter()) {
                    *a += x;
                }
            }
            cmp_loop!(*op, out, bn, |r| u32::from(counts[r]), *value);
        }
        CondPlan::Item { idx, op, value, on } => {
            let test = int_test(*op, *value);
            match on {
                ItemBasis::Value => int_loop!(test, out, bn, &s_val[idx * BLOCK..], i16),
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

/// Evaluate flags, validity and screen-positive, and write the block's output columns.
pub(crate) fn finish_block(plan: &Plan, t: &CallTables, r0: usize, bn: usize, s: &mut Scratch, out: &mut super::batch::ColsMut<'_>) {
    let Scratch {
        val,
        code,
        sums,
        band,
        score_mant,
        flags,
        pool,
        durations,
        tmp,
        words,
        validity: validity_scratch,
        ..
    } = s;
    for (fi, f) in plan.flags.iter().enumerate() {
        let (before, rest) = flags.split_at_mut(fi * BLOCK);
        let o = &mut rest[..BLOCK];
        cond(&f.cond, plan, t, bn, val, code, sums, band, score_mant, before, durations, o, pool);
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
                for (m, &v) in raw.iter_mut().zip(sum) {
                    *m = i64::from(v) * k;
                }
            }
        }
        if sc.norms.is_some() {
            col.score[r0..r0 + bn].copy_from_slice(&score_mant[si * BLOCK..si * BLOCK + bn]);
        } else {
            col.score[r0..r0 + bn].copy_from_slice(&col.raw[r0..r0 + bn]);
        }
        let lut = &t.band_index[si];
        for (o, &p) in col.band[r0..r0 + bn].iter_mut().zip(&band[si * BLOCK..si * BLOCK + bn]) {
            *o = if p == NO_BAND { -1 } else { lut[p as usize] };
        }
        col.answered[r0..r0 + bn].fill(u16::try_from(sc.n).unwrap_or(u16::MAX));
        col.prorated[r0..r0 + bn].fill(false);
    }
    out.flags_indeterminate[r0..r0 + bn].fill(0);
    // Flag words and validity are built in the scratch and written to the output columns once.
    let bits = &mut words[..bn];
    bits.fill(0);
    for fi in 0..plan.flags.len() {
        let f = &flags[fi * BLOCK..fi * BLOCK + bn];
        for (w, &x) in bits.iter_mut().zip(f) {
            *w |= u64::from(x) << fi;
        }
    }
    out.flags[r0..r0 + bn].copy_from_slice(bits);
    let validity = &mut validity_scratch[..bn];
    validity.fill(0);
    for v in &plan.validity {
        let verdict = match v.verdict {
            ValidityVerdict::Note => continue,
            ValidityVerdict::Incomplete => 1u8,
            ValidityVerdict::Invalid => 2u8,
        };
        cond(&v.cond, plan, t, bn, val, code, sums, band, score_mant, flags, durations, tmp, pool);
        for (o, &x) in validity.iter_mut().zip(tmp.iter()) {
            if x == 1 && verdict > *o {
                *o = verdict;
            }
        }
    }
    out.validity[r0..r0 + bn].copy_from_slice(validity);
    if let Some(sp) = &plan.screen_positive {
        cond(&sp.cond, plan, t, bn, val, code, sums, band, score_mant, flags, durations, tmp, pool);
        for (o, &x) in out.screen[r0..r0 + bn].iter_mut().zip(tmp.iter()) {
            *o = x;
        }
    }
}
