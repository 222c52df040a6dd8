//! The fused tile kernel of batch scoring: decode, sums, bands, flags, validity and screen
//! verdicts of 64 rows computed in SIMD registers, the output columns written once.
//!
//! The block-columnar path ([`super::fast`]) makes a dozen passes over each block's scratch
//! columns (decode, sums, band lookups, one pass per condition node, flag packing, validity,
//! screen). For the common shape of a screening instrument — at most 16 byte-coded items whose
//! options are one run of consecutive codes (the affine decode of [`super::simd`]), `sum` scales
//! without norms whose offsets fit a byte, at most 8 flags, and conditions built from item and
//! scale comparisons, `any`/`all`/`not`/`count_of` and flag references — the plan is compiled
//! here once per call into a flat *lane program*: each condition node becomes one instruction
//! over 16-byte vectors (unsigned byte comparisons, and/or/not, mask counting), and each band
//! table a short list of steps (`band = base + Σ [sum ≥ tᵢ]·δᵢ`, wrapping bytes). The program runs
//! on 4 tiles of 16 rows at a time (one dispatch per instruction per 64 rows), straight from the
//! transposed rows of the input.
//!
//! It runs in x86_64 builds (SSE2, the baseline) and WebAssembly builds with SIMD128, for
//! byte-wide buffers and [`super::simd::BatchKernel::Auto`]. WebAssembly runs every group
//! three-valued (the same columns for complete rows), so the module carries one copy of the
//! program's code, not two.
//!
//! Rows with missing or refused cells run here too when every scale is `require_all` (the
//! screening instruments' rule) and every item's value range is its decode's: a group holding
//! such a row runs the program three-valued, each register a pair of lane masks — the *sure*
//! world and the *possible* one ([`tri_bits`]) — where an unanswered item's test takes the
//! verdict its options give (the row evaluator's [`item_test_unanswered`]) and a scale test is
//! decided on the interval from the answered items' sum to that sum with every unanswered item
//! at its largest value, as the block path's [`super::eval::range_test`] does. A scale with an
//! unanswered listing is unscored and makes the row incomplete, as in the block path.
//!
//! Nothing here defines a rule: every test is the one the block path derives from the plan
//! ([`super::fast::int_test`], [`super::fast::narrow`], the plan's own band tables), applied to
//! the same byte offsets. A block with an invalid cell (or, for a plan that is not three-valued,
//! any unanswered cell) is left to the block path, which rewrites all of the block's columns; so
//! are plans outside the shape and [`super::simd::BatchKernel::Scalar`]. Property tests and the
//! golden vectors compare this path with the scalar block path and with one-by-one scoring.

// Without a SIMD backend the lane program is compiled by nothing and run by nothing.
#![cfg_attr(not(any(target_arch = "x86_64", all(target_arch = "wasm32", target_feature = "simd128"))), allow(dead_code))]

use super::eval::{item_test_unanswered, Tri};
use super::fast::{int_test, narrow, BytePlan, IntTest};
use super::plan::{AggPlan, CondPlan, MissingPlan, Plan, NO_BAND};
use crate::instrument::spec::{BandBasis, CmpOp, ItemBasis, ItemStateKind, ValidityVerdict};

/// Tiles of 16 rows per dispatch of the lane program.
pub(crate) const GROUP: usize = 4;
/// Rows per dispatch.
pub(crate) const GROUP_ROWS: usize = GROUP * 16;
/// Registers of the lane program (one per instruction result).
pub(crate) const MAX_REGS: usize = 256;
/// Band steps per scale.
const MAX_STEPS: usize = 32;

/// An operand of a comparison: an item's decoded offset `value − vmin`, an item's raw byte, a
/// scale's offset sum `sum − base`, a register (a `count_of` counter), an item's state (`0`
/// answered, `1` missing, `2` refused) or a scale's count of unanswered listings.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Src {
    Off(u8),
    Raw(u8),
    Sum(u8),
    Reg(u8),
    State(u8),
    Unans(u8),
}

/// Item states in [`Src::State`] lanes.
pub(crate) const STATE_MISSING: u8 = 1;
pub(crate) const STATE_REFUSED: u8 = 2;

/// An unsigned byte relation (the others are their negations).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Rel {
    Ge,
    Le,
    Eq,
}

/// How an instruction's result is combined into its register.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Acc {
    /// `dst = x`
    Set,
    /// `dst &= x`
    And,
    /// `dst |= x`
    Or,
    /// `dst −= x` (a true mask is `0xFF` = −1): counts the true lanes.
    Count,
}

/// One instruction of the lane program. Instruction `i` owns register `i` (a node's result); an
/// `any`/`all`/`count_of` node's children are combined into the node's register in place, a
/// comparison leaf directly ([`Op::Cmp`] with an [`Acc`]), any other child through [`Op::Combine`].
#[derive(Clone, Copy, Debug)]
pub(crate) enum Op {
    /// `dst (acc)= (src REL k)`, the comparison negated when `neg`. For an item operand
    /// ([`Src::Off`], [`Src::Raw`]) in a row where the item is unanswered, the leaf's verdict over
    /// the item's options instead: `un` bit 0 its truth, bit 1 its possibility (see [`tri_bits`]).
    Cmp {
        src: Src,
        rel: Rel,
        k: u8,
        neg: bool,
        un: u8,
        dst: u8,
        acc: Acc,
    },
    Const {
        on: bool,
        dst: u8,
    },
    /// `dst (acc)= a`.
    Combine {
        a: u8,
        dst: u8,
        acc: Acc,
    },
    Not {
        a: u8,
        dst: u8,
    },
}

/// An item's affine decode in all 16 lanes ([`super::simd::Affine`]), packed for the kernel.
#[derive(Clone, Copy, Debug)]
pub(crate) struct LaneDecode {
    pub lo: [u8; 16],
    pub range: [u8; 16],
    pub x: [u8; 16],
    pub y: [u8; 16],
    pub falling: bool,
}

/// One `sum` scale of the fused path.
#[derive(Clone, Debug)]
pub(crate) struct FusedScale {
    /// Items summed (their offsets), with repetition.
    pub items: Vec<u8>,
    /// `Σ vmin` of the items: the sum is `base + Σ offsets`.
    pub base: i64,
    /// `10^decimals`: the raw mantissa is `sum · k`.
    pub k: i64,
    /// Band output value (`−1` as `0xFF`) at offset sum 0, and the steps `(t, δ)`.
    pub band0: u8,
    pub steps: Vec<(u8, u8)>,
    /// Items listed (the `answered` column of a complete row).
    pub answered: u16,
}

/// One compiled lane program and the registers of its results.
#[derive(Clone, Debug, Default)]
pub(crate) struct Program {
    pub ops: Vec<Op>,
    /// The register holding each flag's truth.
    pub flags: Vec<u8>,
    /// `(register, verdict code)` of each validity rule that is not a note.
    pub validity: Vec<(u8, u8)>,
    pub screen: Option<u8>,
}

/// A plan compiled for the fused kernel.
#[derive(Clone, Debug)]
pub(crate) struct FusedPlan {
    pub n: usize,
    /// Per item, its decode.
    pub decode: Vec<LaneDecode>,
    /// Whether a condition reads raw bytes (code tests).
    pub reads_raw: bool,
    pub scales: Vec<FusedScale>,
    /// The program for groups of complete rows: item states, answered counts and unscored
    /// scales are the constants they are in a complete row.
    pub complete: Program,
    /// The three-valued program (every register a sure/possible pair), when it fits the
    /// register file: for groups with unanswered cells, and for every group in WebAssembly.
    pub tri: Option<Program>,
    /// Whether rows with missing or refused cells run here (with [`FusedPlan::tri`]): every
    /// scale `require_all` and every item's value range its decode's.
    pub partial: bool,
    /// Per item: the offset of its largest value (an unanswered item's upper bound in a sum).
    pub hi_un: Vec<u8>,
    /// The buffer's missing and refused sentinels as bytes.
    pub missing: u8,
    pub refused: Option<u8>,
}

/// A three-valued verdict as two bits: bit 0 "true", bit 1 "possibly true" (true or undecided).
///
/// The lane program evaluates three-valued conditions as two boolean worlds, the *sure* one
/// (undecided read as false) and the *possible* one (undecided read as true): `and`/`or` act on
/// each world alone, `not` swaps them (`sure' = ¬possible`, `possible' = ¬sure`), and a
/// comparison of an interval `lo..=hi` is sure on one end and possible on the other. This is
/// Kleene's logic exactly: a verdict is true when sure, undecided when possible but not sure.
pub(crate) fn tri_bits(t: Tri) -> u8 {
    match t {
        Tri::T => 3,
        Tri::U => 2,
        Tri::F => 0,
    }
}

struct Builder<'a> {
    plan: &'a Plan,
    bp: &'a BytePlan,
    bases: &'a [i64],
    mapped: bool,
    /// Building the three-valued program (item states read from lanes, not constants).
    tri: bool,
    ops: Vec<Op>,
    flags: Vec<u8>,
}

/// An integer test on a byte operand, narrowed to the byte range exactly as the block path does:
/// `Err(constant)` or `Ok((relation, k, negated))`.
fn byte_test(test: IntTest) -> Option<Result<(Rel, u8, bool), bool>> {
    Some(match narrow(test, 0, 255) {
        IntTest::Const(on) => Err(on),
        IntTest::Cmp(op, k) => {
            let k = u8::try_from(k).ok()?;
            Ok(match op {
                CmpOp::Ge => (Rel::Ge, k, false),
                CmpOp::Le => (Rel::Le, k, false),
                CmpOp::Eq => (Rel::Eq, k, false),
                CmpOp::Lt => (Rel::Ge, k, true),
                CmpOp::Gt => (Rel::Le, k, true),
                CmpOp::Ne => (Rel::Eq, k, true),
            })
        }
    })
}

impl Builder<'_> {
    /// Append an instruction; register `i` belongs to instruction `i`. A program longer than the
    /// register file is outside the shape.
    fn push(&mut self, op: impl FnOnce(u8) -> Op) -> Option<u8> {
        let at = u8::try_from(self.ops.len()).ok()?;
        self.ops.push(op(at));
        Some(at)
    }

    /// A comparison leaf (item, item state, scale or unscored-scale test) as `(operand, test,
    /// verdict bits where the item is unanswered)`; `Some(None)` for any other node, `None` when
    /// the leaf is outside the shape.
    fn leaf(&self, c: &CondPlan) -> Option<Option<(Src, IntTest, u8)>> {
        Some(match c {
            CondPlan::Item { idx, op, value, on } => {
                let j = u8::try_from(*idx).ok()?;
                let test = int_test(*op, *value);
                // No skip logic in the shape: an unanswered item is always an unknown answer.
                let un = tri_bits(item_test_unanswered(self.plan, *idx, *op, *value, *on, Tri::T));
                let leaf = match on {
                    ItemBasis::Value => {
                        let vmin = i64::from(self.bp.items.get(*idx)?.vmin);
                        let test = match test {
                            IntTest::Cmp(op, k) => IntTest::Cmp(op, k.saturating_sub(vmin)),
                            c => c,
                        };
                        (Src::Off(j), test)
                    }
                    // With a code map the code column is the recoded option code, not the byte.
                    ItemBasis::Code if self.mapped => return None,
                    ItemBasis::Code => (Src::Raw(j), test),
                };
                Some((leaf.0, leaf.1, un))
            }
            CondPlan::ItemState { idx, state } if self.tri => {
                let j = u8::try_from(*idx).ok()?;
                let (op, k) = match state {
                    ItemStateKind::Answered => (CmpOp::Eq, 0),
                    ItemStateKind::Missing => (CmpOp::Eq, i64::from(STATE_MISSING)),
                    ItemStateKind::Refused => (CmpOp::Eq, i64::from(STATE_REFUSED)),
                    ItemStateKind::Unanswered => (CmpOp::Ne, 0),
                };
                Some((Src::State(j), IntTest::Cmp(op, k), 0))
            }
            // Unscored (`require_all`, no norms: the only scales of a three-valued plan) exactly
            // when an item is unanswered; never in a complete row.
            CondPlan::ScaleUnscored(idx) if self.tri => Some((Src::Unans(u8::try_from(*idx).ok()?), IntTest::Cmp(CmpOp::Ge, 1), 0)),
            CondPlan::Scale { idx, op, value, basis } => {
                // Every scale of a fused plan is fused, in plan order: the same index.
                let f = u8::try_from(*idx).ok()?;
                let sc = self.plan.scales.get(*idx)?;
                if *basis == BandBasis::Score && sc.norms.is_some() {
                    return None;
                }
                // sum / den OP p / q  <=>  sum OP p·den / q, with den = 1 for a `sum` scale.
                let test = match int_test(*op, *value) {
                    IntTest::Cmp(op, k) => IntTest::Cmp(op, k.saturating_sub(*self.bases.get(usize::from(f))?)),
                    c => c,
                };
                Some((Src::Sum(f), test, 0))
            }
            _ => None,
        })
    }

    /// A comparison into a new register.
    fn cmp(&mut self, src: Src, test: IntTest, un: u8) -> Option<u8> {
        match byte_test(test)? {
            // A test constant over the byte range is that constant over the options too (an
            // unanswered item's verdict), and a counter is never undecided as a whole.
            Err(on) => self.push(|dst| Op::Const { on, dst }),
            Ok((rel, k, neg)) => self.push(|dst| Op::Cmp {
                src,
                rel,
                k,
                neg,
                un,
                dst,
                acc: Acc::Set,
            }),
        }
    }

    /// Combine child `c` into register `dst`.
    fn into(&mut self, c: &CondPlan, dst: u8, acc: Acc) -> Option<()> {
        match self.leaf(c)? {
            Some((src, test, un)) => match byte_test(test)? {
                Ok((rel, k, neg)) => {
                    self.push(|_| Op::Cmp {
                        src,
                        rel,
                        k,
                        neg,
                        un,
                        dst,
                        acc,
                    })?;
                }
                Err(on) => {
                    let a = self.push(|dst| Op::Const { on, dst })?;
                    self.push(|_| Op::Combine { a, dst, acc })?;
                }
            },
            None => {
                let a = self.cond(c)?;
                self.push(|_| Op::Combine { a, dst, acc })?;
            }
        }
        Some(())
    }

    fn cond(&mut self, c: &CondPlan) -> Option<u8> {
        if let Some((src, test, un)) = self.leaf(c)? {
            return self.cmp(src, test, un);
        }
        match c {
            CondPlan::Any(v) | CondPlan::All(v) => {
                let any = matches!(c, CondPlan::Any(_));
                // The empty `any` is false, the empty `all` true (as in the block path).
                let dst = self.push(|dst| Op::Const { on: !any, dst })?;
                for ch in v {
                    self.into(ch, dst, if any { Acc::Or } else { Acc::And })?;
                }
                Some(dst)
            }
            CondPlan::Not(ch) => {
                let a = self.cond(ch)?;
                self.push(|dst| Op::Not { a, dst })
            }
            CondPlan::CountOf { of, op, value } => {
                if of.len() > 255 {
                    return None;
                }
                let acc = self.push(|dst| Op::Const { on: false, dst })?;
                for ch in of {
                    self.into(ch, acc, Acc::Count)?;
                }
                self.cmp(Src::Reg(acc), IntTest::Cmp(*op, i64::from(*value)), 0)
            }
            // In a complete row: every item answered, every scale scored.
            CondPlan::ItemState { state, .. } => {
                let on = matches!(state, ItemStateKind::Answered);
                self.push(|dst| Op::Const { on, dst })
            }
            CondPlan::ScaleUnscored(_) => self.push(|dst| Op::Const { on: false, dst }),
            CondPlan::Answered { items, op, value } if !self.tri => {
                let on = op.holds((items.len() as u32).cmp(value));
                self.push(|dst| Op::Const { on, dst })
            }
            CondPlan::Answered { items, op, value } => {
                if items.len() > 255 {
                    return None;
                }
                // A counter of answered items (exact: an item's state is never undecided).
                let acc = self.push(|dst| Op::Const { on: false, dst })?;
                for &i in items {
                    let j = u8::try_from(i).ok()?;
                    self.push(|_| Op::Cmp {
                        src: Src::State(j),
                        rel: Rel::Eq,
                        k: 0,
                        neg: false,
                        un: 0,
                        dst: acc,
                        acc: Acc::Count,
                    })?;
                }
                self.cmp(Src::Reg(acc), IntTest::Cmp(*op, i64::from(*value)), 0)
            }
            CondPlan::Flag(i) => self.flags.get(*i).copied(),
            CondPlan::Item { .. } | CondPlan::Scale { .. } | CondPlan::Band { .. } | CondPlan::Duration { .. } | CondPlan::StraightLine { .. } => None,
        }
    }
}

impl FusedPlan {
    /// Compile `plan` for the fused kernel; `None` when it is outside the shape (see the module
    /// documentation). `band_out` is the block path's band output table per scale.
    /// `missing` and `refused` are the buffer's sentinels as bytes.
    pub fn new(plan: &Plan, bp: &BytePlan, band_out: &[[i8; 256]], mapped: bool, missing: u8, refused: Option<u8>) -> Option<FusedPlan> {
        let n = plan.items.len();
        if n == 0 || n > 16 || bp.items.len() != n || plan.flags.len() > 8 || plan.scales.len() > 16 {
            return None;
        }
        if bp.items.iter().any(|it| it.affine.is_none()) || plan.items.iter().any(|it| it.asked_if.is_some()) {
            return None;
        }
        // Three-valued rows need an unanswered item's value range in offsets: `vmin` the decode's
        // own (its offset 0, what a sum adds for it) and `vmax` within a byte.
        let hi_un: Option<Vec<u8>> = plan
            .items
            .iter()
            .zip(&bp.items)
            .map(|(it, b)| (it.vmin == i32::from(b.vmin)).then(|| u8::try_from(it.vmax - it.vmin).ok()).flatten())
            .collect();
        let mut tri = hi_un.is_some();
        let hi_un = hi_un.unwrap_or_else(|| vec![0; n]);
        let mut scales = Vec::with_capacity(plan.scales.len());
        let mut bases = Vec::with_capacity(plan.scales.len());
        for (si, sc) in plan.scales.iter().enumerate() {
            let AggPlan::Sum(idx) = &sc.agg else { return None };
            if sc.norms.is_some() || sc.den != 1 {
                return None;
            }
            let mut base = 0i64;
            let mut range = 0u32;
            let mut hi = 0u32;
            let mut items = Vec::with_capacity(idx.len());
            for &j in idx {
                let it = bp.items.get(j)?;
                base += i64::from(it.vmin);
                range += u32::from(it.dtab.iter().copied().max().unwrap_or(0));
                hi += u32::from(*hi_un.get(j)?);
                items.push(u8::try_from(j).ok()?);
            }
            if range > 255 {
                return None;
            }
            // An unanswered listing leaves the scale unscored (and the row incomplete) only under
            // `require_all`; its upper bound must fit a byte like the sum's.
            tri &= matches!(sc.missing, MissingPlan::RequireAll) && sc.n as usize == idx.len() && hi <= 255;
            let k = 10i64.checked_pow(sc.decimals)?;
            // The band column as a function of the offset sum: the block path's lookups, as steps.
            let tab = band_out.get(si)?;
            let out_at = |s: u32| -> u8 {
                let pos = if sc.bands.is_empty() {
                    NO_BAND
                } else {
                    usize::try_from(base + i64::from(s) - sc.sum_min)
                        .ok()
                        .and_then(|at| sc.band_by_sum.get(at).copied())
                        .unwrap_or(NO_BAND)
                };
                tab[usize::from(pos)] as u8
            };
            let band0 = out_at(0);
            let mut steps = Vec::new();
            for s in 1..=range {
                let (a, b) = (out_at(s - 1), out_at(s));
                if a != b {
                    steps.push((s as u8, b.wrapping_sub(a)));
                }
            }
            if steps.len() > MAX_STEPS {
                return None;
            }
            scales.push(FusedScale {
                items,
                base,
                k,
                band0,
                steps,
                answered: u16::try_from(sc.n).unwrap_or(u16::MAX),
            });
            bases.push(base);
        }
        let program = |tri: bool| -> Option<Program> {
            let mut b = Builder {
                plan,
                bp,
                bases: &bases,
                mapped,
                tri,
                ops: Vec::new(),
                flags: Vec::new(),
            };
            for f in &plan.flags {
                let r = b.cond(&f.cond)?;
                b.flags.push(r);
            }
            let mut validity = Vec::new();
            for v in &plan.validity {
                let code = match v.verdict {
                    ValidityVerdict::Note => continue,
                    ValidityVerdict::Incomplete => 1u8,
                    ValidityVerdict::Invalid => 2u8,
                };
                validity.push((b.cond(&v.cond)?, code));
            }
            let screen = match &plan.screen_positive {
                Some(sp) => Some(b.cond(&sp.cond)?),
                None => None,
            };
            Some(Program {
                ops: b.ops,
                flags: b.flags,
                validity,
                screen,
            })
        };
        let complete = program(false)?;
        let tri_program = program(true);
        // WebAssembly runs the three-valued program only (see the module documentation).
        if cfg!(target_arch = "wasm32") && tri_program.is_none() {
            return None;
        }
        let decode = bp
            .items
            .iter()
            .map(|it| {
                it.affine.map(|a| LaneDecode {
                    lo: a.lo16,
                    range: a.range16,
                    x: a.x16,
                    y: a.y16,
                    falling: a.x != 0,
                })
            })
            .collect::<Option<Vec<_>>>()?;
        let reads_raw = complete
            .ops
            .iter()
            .chain(tri_program.iter().flat_map(|p| &p.ops))
            .any(|op| matches!(op, Op::Cmp { src: Src::Raw(_), .. }));
        Some(FusedPlan {
            n,
            decode,
            reads_raw,
            scales,
            complete,
            partial: tri && tri_program.is_some(),
            tri: tri_program,
            hi_un,
            missing,
            refused,
        })
    }
}

/// Per-tile results in bytes, before they are widened into the output columns.
pub(crate) struct TileOut {
    pub sums: [[u8; 16]; 16],
    pub bands: [[u8; 16]; 16],
    /// Per scale, unanswered listings (three-valued tiles only).
    pub unans: [[u8; 16]; 16],
    pub flags: [u8; 16],
    /// Undecided flags (three-valued tiles only).
    pub flags_u: [u8; 16],
    pub validity: [u8; 16],
    pub screen: [u8; 16],
}

impl TileOut {
    pub fn new() -> TileOut {
        TileOut {
            sums: [[0; 16]; 16],
            bands: [[0; 16]; 16],
            unans: [[0; 16]; 16],
            flags: [0; 16],
            flags_u: [0; 16],
            validity: [0; 16],
            screen: [0; 16],
        }
    }
}

/// Write `m ≤ 16` rows of one tile's results into the output view at row `w`. `TRI`: the tile
/// may hold rows with unanswered cells, whose scales with an unanswered listing are unscored
/// (the block path's `write_scale` of an unscored `require_all` sum: no value, no band, the
/// listings answered, not prorated).
#[inline(always)]
pub(crate) fn write_tile<const TRI: bool>(fp: &FusedPlan, t: &TileOut, m: usize, w: usize, out: &mut super::batch::ColsMut<'_>) {
    use super::batch::UNSCORED;
    let rows = w..w + m;
    for (si, (sc, col)) in fp.scales.iter().zip(out.scales.iter_mut()).enumerate() {
        // Zipped loops over the tile's bytes: the compiler vectorises each.
        let (s, bd) = (&t.sums[si & 15][..m], &t.bands[si & 15][..m]);
        if TRI {
            let un = &t.unans[si & 15][..m];
            for (((r, o), &x), &u) in col.raw[rows.clone()].iter_mut().zip(col.score[rows.clone()].iter_mut()).zip(s).zip(un) {
                // Branch-free, as in the compact columns.
                let keep = i64::from(u == 0).wrapping_neg();
                let v = (((sc.base + i64::from(x)) * sc.k) & keep) | (UNSCORED & !keep);
                *r = v;
                *o = v;
            }
            for (o, &u) in col.answered[rows.clone()].iter_mut().zip(un) {
                *o = sc.answered - u16::from(u);
            }
        } else {
            for ((r, o), &x) in col.raw[rows.clone()].iter_mut().zip(col.score[rows.clone()].iter_mut()).zip(s) {
                let v = (sc.base + i64::from(x)) * sc.k;
                *r = v;
                *o = v;
            }
            col.answered[rows.clone()].fill(sc.answered);
        }
        for (o, &x) in col.band[rows.clone()].iter_mut().zip(bd) {
            *o = x as i8;
        }
        col.prorated[rows.clone()].fill(false);
    }
    for (o, &x) in out.flags[rows.clone()].iter_mut().zip(&t.flags[..m]) {
        *o = u64::from(x);
    }
    if TRI {
        for (o, &x) in out.flags_indeterminate[rows.clone()].iter_mut().zip(&t.flags_u[..m]) {
            *o = u64::from(x);
        }
    } else {
        out.flags_indeterminate[rows.clone()].fill(0);
    }
    out.validity[rows.clone()].copy_from_slice(&t.validity[..m]);
    if fp.complete.screen.is_some() {
        out.screen[rows].copy_from_slice(&t.screen[..m]);
    }
}

/// Where the fused kernel writes a tile's results: the wide columns or compact ones.
pub(crate) trait TileSink {
    /// Write `m ≤ 16` rows of one tile's results at row `w` (see [`write_tile`]).
    fn write_tile<const TRI: bool>(&mut self, fp: &FusedPlan, t: &TileOut, m: usize, w: usize);
}

impl TileSink for super::batch::ColsMut<'_> {
    #[inline(always)]
    fn write_tile<const TRI: bool>(&mut self, fp: &FusedPlan, t: &TileOut, m: usize, w: usize) {
        // A whole tile (all but a block's last) with its length known: straight vector code
        // (not in WebAssembly, where the second copy would count against the module's size).
        if m == 16 && !cfg!(target_arch = "wasm32") {
            write_tile::<TRI>(fp, t, 16, w, self);
        } else {
            write_tile::<TRI>(fp, t, m, w, self);
        }
    }
}

impl TileSink for super::compact::CompactMut<'_> {
    /// The compact columns of [`write_tile`]: values in the column's width (a complete sum fits
    /// it by the plan's range; a value that does not sets `overflow`, reported as an error).
    #[inline(always)]
    fn write_tile<const TRI: bool>(&mut self, fp: &FusedPlan, t: &TileOut, m: usize, w: usize) {
        // A whole tile (all but a block's last) with its length known: straight vector code
        // (not in WebAssembly, where the second copy would count against the module's size).
        if m == 16 && !cfg!(target_arch = "wasm32") {
            write_compact::<TRI>(self, fp, t, 16, w);
        } else {
            write_compact::<TRI>(self, fp, t, m, w);
        }
    }
}

/// [`TileSink::write_tile`] into compact columns.
#[inline(always)]
fn write_compact<const TRI: bool>(this: &mut super::compact::CompactMut<'_>, fp: &FusedPlan, t: &TileOut, m: usize, w: usize) {
    {
        use super::compact::ValuesMut;
        let rows = w..w + m;
        let mut overflow = false;
        for (si, (sc, col)) in fp.scales.iter().zip(this.scales.iter_mut()).enumerate() {
            let (s, bd) = (&t.sums[si & 15][..m], &t.bands[si & 15][..m]);
            let un = &t.unans[si & 15][..m];
            // (In WebAssembly one loop for both, for the module's size.)
            let plain = !cfg!(target_arch = "wasm32") && sc.base == 0 && sc.k == 1;
            macro_rules! put {
                ($d:expr, $t:ty) => {{
                    let d = &mut $d[rows.clone()];
                    if plain {
                        // The sum itself: widen the bytes (vectorised).
                        for ((o, &x), &u) in d.iter_mut().zip(s).zip(un) {
                            // Branch-free (a branch per row is mispredicted at every
                            // partial row): all ones where scored, the sentinel elsewhere.
                            let keep = <$t>::from(!TRI || u == 0).wrapping_neg();
                            *o = (<$t>::from(x) & keep) | (<$t>::MIN & !keep);
                        }
                    } else {
                        for ((o, &x), &u) in d.iter_mut().zip(s).zip(un) {
                            let v = (sc.base + i64::from(x)) * sc.k;
                            let n = <$t>::try_from(v).ok().filter(|&n| n != <$t>::MIN);
                            let scored = !(TRI && u != 0);
                            overflow |= scored && n.is_none();
                            *o = if scored { n.unwrap_or(<$t>::MIN) } else { <$t>::MIN };
                        }
                    }
                }};
            }
            for vals in std::iter::once(&mut col.raw).chain(col.score.as_mut()) {
                match vals {
                    ValuesMut::I16(d) => put!(d, i16),
                    ValuesMut::I32(d) => put!(d, i32),
                    ValuesMut::I64(d) => put!(d, i64),
                }
            }
            for (o, &x) in col.band[rows.clone()].iter_mut().zip(bd) {
                *o = x as i8;
            }
            if let Some(p) = col.prorated.as_deref_mut() {
                p[rows.clone()].fill(false);
            }
        }
        this.overflow |= overflow;
        // A fused plan has at most 8 flags: the tile's flag byte is the row's first flag byte.
        let fb = this.flag_bytes;
        if fb == 1 {
            this.flags[rows.clone()].copy_from_slice(&t.flags[..m]);
            if TRI {
                this.flags_indeterminate[rows.clone()].copy_from_slice(&t.flags_u[..m]);
            } else {
                this.flags_indeterminate[rows.clone()].fill(0);
            }
        } else if fb > 1 {
            for (r, i) in rows.clone().enumerate() {
                let (p, u) = (&mut this.flags[i * fb..(i + 1) * fb], &mut this.flags_indeterminate[i * fb..(i + 1) * fb]);
                p.fill(0);
                u.fill(0);
                p[0] = t.flags[r];
                u[0] = if TRI { t.flags_u[r] } else { 0 };
            }
        }
        this.validity[rows.clone()].copy_from_slice(&t.validity[..m]);
        if fp.complete.screen.is_some() && !this.screen.is_empty() {
            this.screen[rows].copy_from_slice(&t.screen[..m]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scoring::testutil::{synthetic_rows, Gaps, Xorshift};
    use crate::Catalog;

    fn fused_of(id: &str) -> Option<FusedPlan> {
        let inst = Catalog::builtin().instrument(id).ok()?;
        let plan = inst.plan();
        let luts = super::super::fast::DecodeTables::new(plan, true, None);
        let bp = BytePlan::new(plan, &luts)?;
        let t = super::super::fast::CallTables::new(plan);
        FusedPlan::new(plan, &bp, &t.band_out, false, 0xFF, None)
    }

    /// The short screening instruments are in the fused shape (so the fast path is the one
    /// their batches take); instruments with norms or more than 16 items are not.
    #[test]
    fn screening_instruments_compile_to_lane_programs() {
        for id in ["phq9", "gad7", "k6", "k10"] {
            let fp = fused_of(id).unwrap_or_else(|| panic!("{id} is in the fused shape"));
            assert!(fp.complete.ops.len() <= MAX_REGS && !fp.scales.is_empty(), "{id}");
            assert!(fp.partial, "{id}: rows with unanswered cells run fused too");
        }
        let phq9 = fused_of("phq9").unwrap();
        // Total 0..=27: bands change at 5, 10, 15, 20.
        assert_eq!(phq9.scales[0].steps.iter().map(|s| s.0).collect::<Vec<_>>(), vec![5, 10, 15, 20]);
        assert_eq!(phq9.complete.flags.len(), 3);
        assert!(phq9.complete.screen.is_some());
        assert!(fused_of("cesd").is_none(), "20 items: outside the shape");
    }

    /// Synthetic rows, a cell in 97 missing when `gaps`.
    fn rows(inst: &crate::Instrument, n_rows: usize, seed: u64, gaps: bool) -> Vec<i8> {
        synthetic_rows(inst, n_rows, seed, gaps.then_some(Gaps { every: 97, refused: false }))
    }

    /// The fused kernel gives the block path's columns byte for byte, at every batch length
    /// around the tile (16), group (64) and block (1024) boundaries, for complete rows, rows with
    /// gaps (the block is given back) and through `u8` buffers as well as `i8`.
    #[test]
    fn fused_columns_equal_the_scalar_block_path() {
        use crate::scoring::batch::BatchInput;
        use crate::scoring::simd::BatchKernel;
        if !BatchKernel::Auto.uses_simd() {
            return;
        }
        let cat = Catalog::builtin();
        let mut fused = 0;
        for id in cat.ids().map(str::to_string).collect::<Vec<_>>() {
            let inst = cat.instrument(&id).unwrap();
            if fused_of(&id).is_some() {
                fused += 1;
            }
            let n = inst.plan().items.len();
            for (k, &len) in [1usize, 15, 16, 17, 63, 64, 65, 127, 1023, 1024, 1025, 3000].iter().enumerate() {
                for gaps in [false, true] {
                    let codes = rows(&inst, len, 0x9E37_79B9 + k as u64, gaps);
                    let input = BatchInput::new(&codes, n, -1);
                    let (Ok(a), Ok(b)) = (
                        inst.score_batch_with_kernel(&input, BatchKernel::Auto),
                        inst.score_batch_with_kernel(&input, BatchKernel::Scalar),
                    ) else {
                        continue; // instruments that need norm groups
                    };
                    assert_eq!(a, b, "{id}, {len} rows, gaps {gaps}");
                    let bytes: Vec<u8> = codes.iter().map(|&c| c as u8).collect();
                    let input = BatchInput::new(&bytes, n, 0xFF);
                    assert_eq!(inst.score_batch_with_kernel(&input, BatchKernel::Auto).unwrap(), b, "{id}, u8, {len} rows");
                }
            }
        }
        assert!(fused >= 4, "the short instruments take the fused kernel");
    }

    /// K6 with flags and validity rules that use every node and operand of the lane program
    /// (`not`, nested `any`/`all`, `count_of`, `answered`, item states, `scale_unscored`, code
    /// tests, every relation on items and on the scale, flag references): synthetic.
    fn busy_k6() -> crate::Instrument {
        let mut v: serde_json::Value = serde_json::from_str(include_str!("../../catalog/k6.json")).unwrap();
        let flag = |id: &str, when: serde_json::Value| {
            serde_json::json!({"id": id, "label": {"zh": id, "en": id}, "level": "info", "when": when,
                "reason": {"zh": "测试", "en": "test"}, "source": "synthetic test rule"})
        };
        let item = |i: u32, op: &str, x: i64| serde_json::json!({"item": {"item": i, "op": op, "value": x}});
        let total = |op: &str, x: i64| serde_json::json!({"scale": {"scale": "total", "op": op, "value": x}});
        v["flags"] = serde_json::json!([
            flag("f_not", serde_json::json!({"not": {"any": [item(1, ">=", 3), total(">=", 10)]}})),
            flag(
                "f_count",
                serde_json::json!({"count_of": {"of": [item(1, "==", 2), item(2, "!=", 1), item(3, "<", 2),
                item(4, ">", 3), item(5, "<=", 0), {"not": item(6, ">=", 2)}], "op": ">=", "value": 3}})
            ),
            flag("f_answered", serde_json::json!({"answered": {"items": ["1-6"], "op": "<", "value": 5}})),
            flag("f_unscored", serde_json::json!({"scale_unscored": "total"})),
            flag("f_code", serde_json::json!({"item": {"item": 2, "op": "==", "value": 3, "on": "code"}})),
            flag(
                "f_state",
                serde_json::json!({"any": [{"item_state": {"item": 3, "state": "missing"}},
                {"item_state": {"item": 4, "state": "refused"}}, {"all": [{"flag": "f_not"}, {"not": {"flag": "f_count"}}]}]})
            ),
            flag(
                "f_scale",
                serde_json::json!({"all": [{"not": total("==", 12)}, total("<=", 15), total("!=", 7), total(">", 2), total("<", 20)]})
            ),
            flag(
                "f_ref",
                serde_json::json!({"any": [{"all": [{"flag": "f_unscored"}, {"not": {"flag": "f_answered"}}]},
                {"count_of": {"of": [{"flag": "f_code"}, {"flag": "f_scale"}, item(6, "==", 4)], "op": "<=", "value": 1}}]})
            ),
        ]);
        v["validity"] = serde_json::json!([
            {"id": "v_many", "when": {"count_of": {"of": [item(1, "==", 4), item(2, "==", 4), item(3, "==", 4)], "op": ">=", "value": 3}},
             "verdict": "invalid", "reason": {"zh": "测试", "en": "test"}, "source": "synthetic test rule"},
            {"id": "v_few", "when": {"answered": {"items": ["1-6"], "op": "<", "value": 3}},
             "verdict": "incomplete", "reason": {"zh": "测试", "en": "test"}, "source": "synthetic test rule"},
        ]);
        crate::Instrument::from_json(&v.to_string()).unwrap()
    }

    /// Three-valued blocks (missing and refused cells, from none to most) give the block path's
    /// columns byte for byte through every instruction of the lane program.
    #[test]
    fn three_valued_lane_program_equals_the_block_path() {
        use crate::scoring::batch::BatchInput;
        use crate::scoring::simd::BatchKernel;
        let inst = busy_k6();
        let plan = inst.plan();
        let luts = super::super::fast::DecodeTables::new(plan, true, None);
        let bp = BytePlan::new(plan, &luts).unwrap();
        let t = super::super::fast::CallTables::new(plan);
        let fp = FusedPlan::new(plan, &bp, &t.band_out, false, 0xFF, Some(0xFE)).expect("in the fused shape");
        assert!(fp.partial, "require_all sums: three-valued rows run fused");
        let tri = fp.tri.as_ref().unwrap();
        for src in ["Off", "Raw", "Sum", "Reg", "State", "Unans"] {
            assert!(
                tri.ops
                    .iter()
                    .any(|op| matches!(op, Op::Cmp { src: s, .. } if format!("{s:?}").starts_with(src))),
                "{src}"
            );
        }
        assert!(tri.ops.iter().any(|op| matches!(op, Op::Not { .. })));
        if !BatchKernel::Auto.uses_simd() {
            return;
        }
        let mut rng = Xorshift::new(0x2545_F491_4F6C_DD1D);
        for (k, per_mille) in [0u64, 5, 30, 150, 500, 950].into_iter().enumerate() {
            for len in [64usize, 80, 1000, 2100] {
                let codes: Vec<i8> = (0..len * 6)
                    .map(|_| {
                        let x = rng.next_u64();
                        match x % 1000 {
                            r if r < per_mille / 2 => -1,
                            r if r < per_mille => -2,
                            _ => ((x >> 20) % 5) as i8,
                        }
                    })
                    .collect();
                let mut input = BatchInput::new(&codes, 6, -1);
                input.refused = Some(-2);
                let a = inst.score_batch_with_kernel(&input, BatchKernel::Auto).unwrap();
                let b = inst.score_batch_with_kernel(&input, BatchKernel::Scalar).unwrap();
                assert_eq!(a, b, "{per_mille} per mille unanswered, {len} rows (case {k})");
                // And the row evaluator's columns (an `i16` buffer takes the row path for them).
                let wide: Vec<i16> = codes.iter().map(|&c| i16::from(c)).collect();
                let mut input = BatchInput::new(&wide, 6, -1);
                input.refused = Some(-2);
                assert_eq!(inst.score_batch_with_kernel(&input, BatchKernel::Auto).unwrap(), a, "row path, case {k}");
            }
        }
    }
}
