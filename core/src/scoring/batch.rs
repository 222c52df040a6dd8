//! Columnar batch scoring.
//!
//! Input: row-major codes in one flat buffer (`n_rows × n_items`, any integer
//! type) with a missing sentinel and an optional refused sentinel; optional
//! per-row norm-group indices and completion times. Output: columns — per
//! scale the raw value and standard score as exact decimal mantissas, the band
//! ordinal index, the answered count; per row the bitsets of positive and of
//! indeterminate flags, the validity code and the screen verdict code (0 negative,
//! 1 positive, 2 indeterminate). Nothing is allocated per row: the output
//! columns are sized once and the row state is reused. [`Instrument::score_batch_parallel`]
//! splits the rows over scoped threads with identical results; a [`CodeMap`] in the input
//! recodes an export's own coding through the decode tables.
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
//! assert_eq!(out.screen, vec![0, 1]); // verdict codes: negative, positive
//!
//! // item 9 missing: the flag is indeterminate (2), never negative
//! let codes: Vec<i8> = vec![0,0,0,0,0,0,0,0,-1,-1];
//! let out = phq9.score_batch(&BatchInput::new(&codes, 10, -1)).unwrap();
//! assert_eq!(out.flag_verdicts("item9_self_harm"), Some(vec![2]));
//! assert_eq!(out.screen, vec![0]); // 0..3 < 10 whatever item 9 is
//! ```

use crate::error::{Error, ErrorCode, Result};
use crate::instrument::Instrument;
use crate::scoring::compact::{CompactColumns, CompactMut};
use crate::scoring::eval::{self, RowState, Tri, ANSWERED, MISSING, REFUSED};
use crate::scoring::fast;
use crate::scoring::plan::{Plan, NO_BAND};
use crate::scoring::recode::CodeMap;
pub use crate::scoring::simd::BatchKernel;
use std::collections::BTreeMap;

/// Integer types a code buffer may hold.
pub trait Code: Copy + PartialEq + Send + Sync + 'static {
    /// Whether the type is one byte wide (decoded through a 256-entry table without range checks).
    const BYTE: bool;
    /// Widen to i64 (saturating for u64).
    fn to_i64(self) -> i64;
    /// The low byte (only meaningful when `BYTE`).
    fn byte(self) -> u8;
    /// A byte-wide buffer as its bytes (`None` for wider types), so the SIMD kernels are
    /// compiled once, for `u8`, rather than once per code type.
    #[inline(always)]
    fn bytes(_codes: &[Self]) -> Option<&[u8]> {
        None
    }
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
macro_rules! impl_byte_code {
    ($($t:ty),*) => {$(
        impl Code for $t {
            const BYTE: bool = true;
            #[inline(always)]
            fn to_i64(self) -> i64 { self as i64 }
            #[inline(always)]
            fn byte(self) -> u8 { self as u8 }
            #[inline(always)]
            fn bytes(codes: &[Self]) -> Option<&[u8]> {
                // SAFETY: `i8` and `u8` have the same size and alignment and every bit pattern is
                // valid for both, so the slice is read as the same bytes, with the same length and
                // lifetime.
                #[allow(unsafe_code)]
                Some(unsafe { std::slice::from_raw_parts(codes.as_ptr().cast::<u8>(), codes.len()) })
            }
        }
    )*};
}
impl_byte_code!(i8, u8);
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
    /// A declared recode of the buffer's codes ([`Instrument::code_map`]); applied through the
    /// decode tables, so it costs the fast path nothing. Sentinels are checked against it.
    pub code_map: Option<&'a CodeMap>,
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
            code_map: None,
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
    /// Flag ids; flag `i` is bit `i` of each `flags` and `flags_indeterminate` word.
    pub flag_ids: Vec<String>,
    /// Per row, the bitset of flags that are **positive**.
    pub flags: Vec<u64>,
    /// Per row, the bitset of flags that are **indeterminate** (their items were missing or
    /// refused). A flag whose bit is set in neither word is determined negative.
    pub flags_indeterminate: Vec<u64>,
    /// Validity per row: 0 valid, 1 incomplete, 2 invalid.
    pub validity: Vec<u8>,
    /// Screen verdict per row ([`crate::scoring::report::Verdict::code`]): 0 negative,
    /// 1 positive, 2 indeterminate. Empty when the instrument defines no screen-positive rule.
    pub screen: Vec<u8>,
    /// Per flag, its column of verdict codes ([`BatchColumns::flag_verdicts`]), written by the
    /// scoring threads block by block while the block's flag words are in cache, when this is
    /// `Some` on entry (a batch leaves `None` alone). For a caller that hands every flag's
    /// verdicts on as columns (the Python binding): no second pass over the bitsets.
    pub verdicts: Option<Vec<Vec<u8>>>,
}

/// The verdict code of flag `bit` from a row's positive and indeterminate bitsets: 1 positive,
/// 2 indeterminate, 0 negative. Positive wins (a flag the answers already decide positive is
/// positive whatever else is unanswered). The one rule every column type and binding reads
/// verdicts by.
#[inline(always)]
pub fn verdict_code(positive: u64, indeterminate: u64, bit: usize) -> u8 {
    verdict_of_bits(((positive >> bit) & 1) as u8, ((indeterminate >> bit) & 1) as u8)
}

/// The verdict code from a flag's positive bit `p` and indeterminate bit `u` (each 0 or 1): the
/// rule of [`verdict_code`], on bytes so that a loop over byte columns vectorises.
#[inline(always)]
pub fn verdict_of_bits(p: u8, u: u8) -> u8 {
    p | ((u & !p & 1) << 1)
}

impl BatchColumns {
    /// The columns of one scale.
    pub fn scale(&self, id: &str) -> Option<&ScaleColumns> {
        self.scales.iter().find(|s| s.id == id)
    }
    /// One flag as a boolean column: `true` where the flag is **positive** (indeterminate rows
    /// read `false` here; use [`BatchColumns::flag_verdicts`] to tell them from negative rows).
    pub fn flag_column(&self, id: &str) -> Option<Vec<bool>> {
        let bit = self.flag_ids.iter().position(|f| f == id)?;
        Some(self.flags.iter().map(|w| w >> bit & 1 == 1).collect())
    }
    /// One flag as a column of verdict codes: 0 negative, 1 positive, 2 indeterminate.
    pub fn flag_verdicts(&self, id: &str) -> Option<Vec<u8>> {
        let bit = self.flag_ids.iter().position(|f| f == id)?;
        Some(
            self.flags
                .iter()
                .zip(self.flags_indeterminate.iter().chain(std::iter::repeat(&0)))
                .map(|(&p, &u)| verdict_code(p, u, bit))
                .collect(),
        )
    }

    /// Every flag's verdict column, in flag order: [`BatchColumns::verdicts`] taken out when the
    /// batch wrote them, else [`BatchColumns::flag_verdicts`] of each flag.
    pub fn take_verdict_columns(&mut self) -> Vec<Vec<u8>> {
        let asked = self.verdicts.take();
        take_verdicts(asked, &self.flag_ids, |f| self.flag_verdicts(f))
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
        self.batch_into(input, out, 1, BatchKernel::Auto)
    }

    /// [`Instrument::score_batch`] with a chosen decode kernel ([`BatchKernel::Scalar`] forces the
    /// portable scalar kernel). Every kernel gives identical columns and errors.
    ///
    /// ```
    /// use changkaixin_core::{Catalog, BatchInput, BatchKernel};
    /// let phq9 = Catalog::builtin().instrument("phq9").unwrap();
    /// let codes: Vec<i8> = (0..10 * 1000).map(|i| (i % 5) as i8 - 1).collect();
    /// let input = BatchInput::new(&codes, 10, -1);
    /// let simd = phq9.score_batch_with_kernel(&input, BatchKernel::Auto).unwrap();
    /// assert_eq!(simd, phq9.score_batch_with_kernel(&input, BatchKernel::Scalar).unwrap());
    /// ```
    pub fn score_batch_with_kernel<T: Code>(&self, input: &BatchInput<'_, T>, kernel: BatchKernel) -> Result<BatchColumns> {
        let mut out = BatchColumns::default();
        self.batch_into(input, &mut out, 1, kernel)?;
        Ok(out)
    }

    /// The most general entry: into existing columns, on up to `threads` threads (0 = the
    /// machine's parallelism), with a chosen decode kernel.
    pub fn score_batch_into_with_kernel<T: Code>(&self, input: &BatchInput<'_, T>, out: &mut BatchColumns, threads: usize, kernel: BatchKernel) -> Result<()> {
        self.batch_into(input, out, threads, kernel)
    }

    /// Score a batch on up to `threads` threads (0 = the machine's available parallelism).
    ///
    /// The rows are split into contiguous ranges of whole blocks, one per thread (the calling
    /// thread takes the first), each writing its own disjoint slice of the preallocated columns;
    /// nothing is allocated per row. The result — row order, every column, the error for a bad
    /// batch — is identical to [`Instrument::score_batch`].
    ///
    /// ```
    /// use changkaixin_core::{Catalog, BatchInput};
    /// let phq9 = Catalog::builtin().instrument("phq9").unwrap();
    /// let codes: Vec<i8> = (0..10 * 5000).map(|i| (i % 4) as i8).collect();
    /// let input = BatchInput::new(&codes, 10, -1);
    /// assert_eq!(phq9.score_batch_parallel(&input, 4).unwrap(), phq9.score_batch(&input).unwrap());
    /// ```
    pub fn score_batch_parallel<T: Code>(&self, input: &BatchInput<'_, T>, threads: usize) -> Result<BatchColumns> {
        let mut out = BatchColumns::default();
        self.batch_into(input, &mut out, threads, BatchKernel::Auto)?;
        Ok(out)
    }

    /// [`Instrument::score_batch_parallel`] into existing columns (reusing their allocations).
    pub fn score_batch_into_parallel<T: Code>(&self, input: &BatchInput<'_, T>, out: &mut BatchColumns, threads: usize) -> Result<()> {
        self.batch_into(input, out, threads, BatchKernel::Auto)
    }

    fn batch_into<T: Code>(&self, input: &BatchInput<'_, T>, out: &mut BatchColumns, threads: usize, kernel: BatchKernel) -> Result<()> {
        self.batch_out(input, out, threads, kernel)
    }

    /// Score a batch into [`CompactColumns`] (the same decisions in narrow columns, see
    /// [`crate::scoring::compact`]) on up to `threads` threads (0 = the machine's parallelism).
    pub fn score_batch_compact<T: Code>(&self, input: &BatchInput<'_, T>, threads: usize) -> Result<CompactColumns> {
        let mut out = CompactColumns::default();
        self.batch_out(input, &mut out, threads, BatchKernel::Auto)?;
        Ok(out)
    }

    /// [`Instrument::score_batch_compact`] into existing columns (reusing their allocations),
    /// with a chosen decode kernel.
    pub fn score_batch_compact_into<T: Code>(&self, input: &BatchInput<'_, T>, out: &mut CompactColumns, threads: usize, kernel: BatchKernel) -> Result<()> {
        self.batch_out(input, out, threads, kernel)
    }

    fn batch_out<T: Code, O: Output>(&self, input: &BatchInput<'_, T>, out: O, threads: usize, kernel: BatchKernel) -> Result<()> {
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
        let missing = input.missing.to_i64();
        let refused = input.refused.map(Code::to_i64);
        if let Some(m) = input.code_map {
            m.check_for(self)?;
        }
        // A sentinel that is also a valid option (or a source code of the recode) would make a cell ambiguous.
        for (j, it) in plan.items.iter().enumerate() {
            for (name, s) in [("missing", Some(missing)), ("refused", refused)] {
                let Some(s) = s else { continue };
                let decodes = match input.code_map {
                    Some(m) if m.covers(j) => m.apply(j, s).is_ok(),
                    _ => it.value_of(s).is_some(),
                };
                if decodes {
                    return Err(Error::new(
                        ErrorCode::BatchShape,
                        name,
                        format!(
                            "the {name} sentinel {s} is a valid {} of item {}; choose a code outside 0..=127 (e.g. -1 or 255)",
                            if input.code_map.is_some_and(|m| m.covers(j)) {
                                "source code of the code map"
                            } else {
                                "option code"
                            },
                            it.number
                        ),
                    ));
                }
            }
        }
        // The fast path needs one norm table index per row: per group, the index every normed
        // scale resolves to (`None` when they differ, and such rows take the row path).
        let group_fast: Vec<Option<u32>> = group_table
            .iter()
            .map(|g| {
                let first = g.iter().flatten().next().copied();
                if g.iter().flatten().any(|x| Some(*x) != first) {
                    None
                } else {
                    Some(first.unwrap_or(0) as u32)
                }
            })
            .collect();
        let mut shared = Shared {
            plan,
            input,
            missing,
            group_table: &group_table,
            group_fast: &group_fast,
            has_norms,
            kernel,
            fast: plan.fast_depth.map(|depth| {
                let luts = fast::DecodeTables::new(plan, T::BYTE, input.code_map);
                let bytes = if T::BYTE { fast::BytePlan::new(plan, &luts) } else { None };
                let tri = (bytes.is_some() && fast::tri_ok(plan)).then(|| fast::TriPlan::new(plan));
                (depth, fast::CallTables::new(plan), luts, fast::uses_codes(plan), bytes, tri)
            }),
            fused: None,
        };
        // Rows of the common screening shape take the fused tile kernel (SIMD builds,
        // `BatchKernel::Auto`, batches of at least one 64-row group: for fewer, compiling the lane
        // program costs more than it saves), with unanswered cells too for a three-valued plan;
        // everything else, and any block the kernel gives back, the block path.
        if kernel.uses_simd() && !has_norms && input.durations.is_none() && n_rows >= super::fused::GROUP_ROWS {
            if let Some((_, tables, _, _, Some(bp), _)) = &shared.fast {
                shared.fused = super::fused::FusedPlan::new(
                    plan,
                    bp,
                    &tables.band_out,
                    input.code_map.is_some(),
                    input.missing.byte(),
                    input.refused.map(Code::byte),
                );
            }
        }
        // Row ranges of whole blocks, one per thread; each writes only its own rows.
        let blocks = n_rows.div_ceil(fast::BLOCK);
        let threads = match threads {
            0 => std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get),
            t => t,
        }
        .clamp(1, blocks.max(1));
        let per = blocks.div_ceil(threads) * fast::BLOCK;
        let bounds: Vec<usize> = if threads == 1 {
            vec![n_rows]
        } else {
            (1..=threads).map(|t| (t * per).min(n_rows)).collect()
        };
        out.score(plan, &shared, n_rows, &bounds)
    }
}

/// Where a batch writes: each output type is its own instantiation of the driver, so a build that
/// only scores into wide columns (the web module) carries no compact code.
trait Output {
    fn score<T: Code>(self, plan: &Plan, shared: &Shared<'_, '_, T>, n_rows: usize, bounds: &[usize]) -> Result<()>;
}

impl Output for &mut BatchColumns {
    fn score<T: Code>(self, plan: &Plan, shared: &Shared<'_, '_, T>, n_rows: usize, bounds: &[usize]) -> Result<()> {
        prepare(plan, self, n_rows);
        let views = split_columns(self, bounds);
        in_threads(views, bounds, |mut v, a, b| shared.run(a, b, WideDest(&mut v)))
    }
}

impl Output for &mut CompactColumns {
    fn score<T: Code>(self, plan: &Plan, shared: &Shared<'_, '_, T>, n_rows: usize, bounds: &[usize]) -> Result<()> {
        super::compact::prepare(plan, self, n_rows);
        let views = super::compact::split_compact(self, bounds);
        in_threads(views, bounds, |mut v, a, b| {
            // Wide columns for one block (cache-resident), where the block and row paths
            // write before their rows are narrowed; the fused kernel writes compact directly.
            let mut wide = BatchColumns::default();
            let rows = fast::BLOCK.min(b - a);
            prepare(plan, &mut wide, rows);
            let mut w = split_columns(&mut wide, &[rows]);
            let Some(w) = w.first_mut() else { return Ok(()) };
            shared.run(a, b, CompactDest { scratch: w, out: &mut v })?;
            if let Some(sc) = v.scales.iter().find(|_| v.overflow) {
                return Err(super::compact::out_of_range(sc.id, "raw"));
            }
            v.fill_verdicts();
            Ok(())
        })
    }
}

/// Where a worker writes its rows.
trait Dest<'a> {
    /// Score a block through the fused kernel straight into the destination (see
    /// [`super::simd::fused_block`]).
    fn fused<T: Code>(&mut self, fp: &super::fused::FusedPlan, codes: &[T], r0: usize, bn: usize, k: usize, regs: &mut super::simd::Regs) -> bool;
    /// The wide view the block starting at worker row `k` is written to, and its row there.
    fn block_view(&mut self, k: usize) -> (&mut ColsMut<'a>, usize);
    /// After the block path wrote `bn` rows from worker row `k`.
    fn block_done(&mut self, k: usize, bn: usize) -> Result<()>;
}

/// The wide columns' view of the worker's rows.
struct WideDest<'x, 'a>(&'x mut ColsMut<'a>);

/// Compact columns: the fused kernel writes `out` directly; the block and row paths write one
/// block into `scratch` (wide, row 0), which is then narrowed into `out`.
struct CompactDest<'x, 'a, 'c> {
    scratch: &'x mut ColsMut<'a>,
    out: &'x mut CompactMut<'c>,
}

impl<'a> Dest<'a> for WideDest<'_, 'a> {
    #[inline(always)]
    fn fused<T: Code>(&mut self, fp: &super::fused::FusedPlan, codes: &[T], r0: usize, bn: usize, k: usize, regs: &mut super::simd::Regs) -> bool {
        let done = super::simd::fused_block(fp, codes, r0, bn, k, &mut *self.0, regs);
        if done {
            self.0.fill_verdicts(k, bn);
        }
        done
    }
    #[inline(always)]
    fn block_view(&mut self, k: usize) -> (&mut ColsMut<'a>, usize) {
        (&mut *self.0, k)
    }
    #[inline(always)]
    fn block_done(&mut self, k: usize, bn: usize) -> Result<()> {
        self.0.fill_verdicts(k, bn);
        Ok(())
    }
}

impl<'a> Dest<'a> for CompactDest<'_, 'a, '_> {
    #[inline(always)]
    fn fused<T: Code>(&mut self, fp: &super::fused::FusedPlan, codes: &[T], r0: usize, bn: usize, k: usize, regs: &mut super::simd::Regs) -> bool {
        super::simd::fused_block(fp, codes, r0, bn, k, &mut *self.out, regs)
    }
    #[inline(always)]
    fn block_view(&mut self, _: usize) -> (&mut ColsMut<'a>, usize) {
        (&mut *self.scratch, 0)
    }
    #[inline(always)]
    fn block_done(&mut self, k: usize, bn: usize) -> Result<()> {
        super::compact::narrow_rows(self.scratch, bn, k, self.out)
    }
}

/// Run `job(view, first_row, end_row)` for each view and its row range (ending at `bounds`),
/// the first on the calling thread, the others on scoped threads. The error is the earliest
/// range's (the error the single-threaded run reports: each range stops at its first bad row).
fn in_threads<V: Send>(views: Vec<V>, bounds: &[usize], job: impl Fn(V, usize, usize) -> Result<()> + Sync) -> Result<()> {
    let mut views = views.into_iter();
    if bounds.len() <= 1 {
        return match (views.next(), bounds.first()) {
            (Some(v), Some(&end)) => job(v, 0, end),
            _ => Ok(()),
        };
    }
    let job = &job;
    std::thread::scope(|scope| {
        let first = views.next();
        let mut handles = Vec::with_capacity(bounds.len() - 1);
        let mut start = bounds[0];
        for (view, &end) in views.zip(&bounds[1..]) {
            let a = start;
            start = end;
            handles.push(std::thread::Builder::new().spawn_scoped(scope, move || job(view, a, end)));
        }
        // The calling thread takes the first range.
        let mut result = match first {
            Some(v) => job(v, 0, bounds[0]),
            None => Ok(()),
        };
        for h in handles {
            let r = match h {
                Ok(h) => h
                    .join()
                    .unwrap_or_else(|_| Err(Error::new(ErrorCode::BatchShape, "threads", "a scoring thread stopped unexpectedly"))),
                Err(e) => Err(Error::new(ErrorCode::BatchShape, "threads", format!("could not start a scoring thread: {e}"))),
            };
            if result.is_ok() {
                result = r;
            }
        }
        result
    })
}

/// The fast path's per-call tables: condition depth, call tables, decode tables, whether code
/// columns are read, the byte-wide decoder's plan and the three-valued block path's plan.
type FastTables = (usize, fast::CallTables, fast::DecodeTables, bool, Option<fast::BytePlan>, Option<fast::TriPlan>);

/// Everything a worker needs, shared read-only between threads.
struct Shared<'a, 'b, T: Code> {
    plan: &'a Plan,
    input: &'a BatchInput<'b, T>,
    missing: i64,
    group_table: &'a [Vec<Option<usize>>],
    /// Per group: the single norm table index of the fast path, `None` when scales disagree.
    group_fast: &'a [Option<u32>],
    has_norms: bool,
    kernel: BatchKernel,
    /// Fast-path depth and tables when the fast path covers the plan (with the byte-wide decoder
    /// when the buffer is one byte per code and every item fits it).
    /// With the byte-wide decoder, rows with missing or refused cells stay on the block path
    /// (three-valued, [`fast::TriPlan`]) unless an item has skip logic.
    fast: Option<FastTables>,
    /// The plan compiled for the fused tile kernel, when it is in that shape ([`super::fused`]).
    fused: Option<super::fused::FusedPlan>,
}

impl<T: Code> Shared<'_, '_, T> {
    /// Score rows `a..b` into `dest` (whose row 0 is row `a`). No allocation per row or block.
    fn run<'a, D: Dest<'a>>(&self, a: usize, b: usize, mut dest: D) -> Result<()> {
        let plan = self.plan;
        let mut st = RowState::new(plan);
        let Some((depth, tables, luts, with_codes, bytes, tri)) = &self.fast else {
            let mut r0 = a;
            while r0 < b {
                let bn = fast::BLOCK.min(b - r0);
                let (view, w) = dest.block_view(r0 - a);
                for r in r0..r0 + bn {
                    self.score_row(&mut st, r, w + r - r0, view)?;
                }
                dest.block_done(r0 - a, bn)?;
                r0 += bn;
            }
            return Ok(());
        };
        let mut s = fast::Scratch::new(plan, *depth);
        if bytes.is_some() {
            s = s.with_bytes(plan);
        }
        let (bp_tri, mut partials) = match (bytes, tri) {
            (Some(bp), Some(tp)) => {
                s = s.with_tri(plan, *depth);
                (Some((bp, tp)), Some(fast::Partials::new(plan)))
            }
            _ => (None, None),
        };
        let rg = self.input.groups.map(|g| g.row_group).unwrap_or(&[]);
        let mut regs = self.fused.as_ref().map(|_| super::simd::new_regs());
        // After a block the fused kernel gave back (an invalid cell, or an unanswered one for a
        // plan that is not three-valued), the next `FUSED_BACKOFF` blocks go straight to the block
        // path: such data pays the failed try rarely.
        const FUSED_BACKOFF: u32 = 7;
        let mut backoff = 0u32;
        let mut r0 = a;
        while r0 < b {
            let bn = fast::BLOCK.min(b - r0);
            if let (Some(fp), Some(regs)) = (&self.fused, regs.as_deref_mut()) {
                if backoff == 0 {
                    // The fused kernel writes its tiles straight into the destination.
                    if dest.fused(fp, self.input.codes, r0, bn, r0 - a, regs) {
                        r0 += bn;
                        continue;
                    }
                    backoff = FUSED_BACKOFF;
                } else {
                    backoff -= 1;
                }
            }
            match bytes {
                Some(bp) => fast::decode_bytes(plan, bp, luts, self.kernel, self.input.codes, r0, bn, &mut s),
                None => fast::decode(plan, luts, *with_codes, self.input.codes, r0, bn, &mut s),
            }
            if let (Some((bp, _)), Some(pr)) = (bp_tri, partials.as_mut()) {
                // Rows whose only non-option cells are missing or refused stay on the block path.
                fast::classify(
                    bp,
                    self.input.codes,
                    plan.items.len(),
                    r0,
                    bn,
                    self.input.missing,
                    self.input.refused,
                    &mut s,
                    pr,
                );
            }
            if self.has_norms {
                for r in 0..bn {
                    // Unknown groups (reported by the row path) and groups whose normed scales
                    // resolve to different tables take the row path.
                    let gi = rg.get(r0 + r).copied().unwrap_or(u32::MAX) as usize;
                    match self.group_fast.get(gi).copied().flatten() {
                        Some(g) => s.norm_group[r] = g,
                        None => s.slow[r] = true,
                    }
                }
            }
            match self.input.durations {
                Some(d) => s.durations[..bn].copy_from_slice(&d[r0..r0 + bn]),
                None => s.durations[..bn].fill(-1),
            }
            fast::scales(plan, tables, bytes.as_ref(), bn, &mut s);
            if let (Some((bp, tp)), Some(pr)) = (bp_tri, partials.as_mut()) {
                if !pr.rows.is_empty() {
                    // The row path's norm group per scale (rows with an unknown group are slow
                    // and rescored by the row path below, which reports the error).
                    let has_norms = self.has_norms;
                    let table = self.group_table;
                    let group = |r: usize, si: usize| -> Option<usize> {
                        if !has_norms {
                            return None;
                        }
                        let gi = rg.get(r0 + r).copied().unwrap_or(u32::MAX) as usize;
                        table.get(gi).and_then(|g| g.get(si).copied().flatten())
                    };
                    fast::partial_scales(plan, bp, tp, &s, pr, group);
                }
            }
            let (out, w) = dest.block_view(r0 - a);
            fast::finish_block(plan, tables, bytes.as_ref(), w, bn, &mut s, out, partials.as_ref());
            if s.slow[..bn].contains(&true) {
                for r in 0..bn {
                    if s.slow[r] {
                        self.score_row(&mut st, r0 + r, w + r, out)?;
                    }
                }
            }
            dest.block_done(r0 - a, bn)?;
            r0 += bn;
        }
        Ok(())
    }

    /// The generic per-row path (rows with missing, refused or invalid cells, and instruments
    /// whose conditions the fast path does not cover). `r` is the batch row, `w` the view row.
    fn score_row(&self, st: &mut RowState, r: usize, w: usize, out: &mut ColsMut<'_>) -> Result<()> {
        let plan = self.plan;
        let n_items = plan.items.len();
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
                let opt = match self.input.code_map {
                    Some(m) => m.apply(i, c).ok(),
                    None => Some(c),
                };
                let Some((c, v)) = opt.and_then(|c| plan.items[i].value_of(c).map(|v| (c, v))) else {
                    let what = if self.input.code_map.is_some_and(|m| m.covers(i)) {
                        "a source code of the code map"
                    } else {
                        "an option"
                    };
                    return Err(Error::new(
                        ErrorCode::BatchUnknownOption,
                        format!("row {r} / item {}", plan.items[i].number),
                        format!("code {c} is not {what} of item {} (missing sentinel is {})", plan.items[i].number, self.missing),
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
        write_row(plan, st, out, w);
        Ok(())
    }
}

/// Mutable views of one scale's columns over a range of rows.
pub(crate) struct ScaleColsMut<'a> {
    pub score_decimals: u32,
    pub raw: &'a mut [i64],
    pub score: &'a mut [i64],
    pub band: &'a mut [i8],
    pub answered: &'a mut [u16],
    pub prorated: &'a mut [bool],
}

/// Mutable views of every output column over a range of rows (row 0 of the view is the
/// range's first row). Threads write disjoint views of the same preallocated columns.
pub(crate) struct ColsMut<'a> {
    pub scales: Vec<ScaleColsMut<'a>>,
    pub flags: &'a mut [u64],
    pub flags_indeterminate: &'a mut [u64],
    pub validity: &'a mut [u8],
    /// Empty when the instrument defines no screen-positive rule.
    pub screen: &'a mut [u8],
    /// One per flag when [`BatchColumns::verdicts`] was asked for, else none.
    pub verdicts: Vec<&'a mut [u8]>,
}

impl ColsMut<'_> {
    /// Rows `k..k + bn` of each verdict column, from the view's flag words of those rows (in
    /// cache: the block was just written). The words' byte of flags `8g..8g + 8` is copied out
    /// once per chunk, so each flag's column is one byte-wide pass ([`verdict_of_bits`]) that
    /// vectorises, instead of a shift and narrowing of a `u64` per row and flag.
    #[inline]
    fn fill_verdicts(&mut self, k: usize, bn: usize) {
        const CHUNK: usize = 256;
        if self.verdicts.is_empty() {
            return;
        }
        let (Some(pos), Some(und)) = (self.flags.get(k..k + bn), self.flags_indeterminate.get(k..k + bn)) else {
            return;
        };
        let (mut pb, mut ub) = ([0u8; CHUNK], [0u8; CHUNK]);
        for (c, (pos, und)) in pos.chunks(CHUNK).zip(und.chunks(CHUNK)).enumerate() {
            let (at, n) = (k + c * CHUNK, pos.len());
            let mut group = usize::MAX;
            for (bit, col) in self.verdicts.iter_mut().enumerate() {
                if bit / 8 != group {
                    group = bit / 8;
                    let shift = 8 * group as u32; // < 64: a plan has at most 64 flags
                    for (b, &w) in pb.iter_mut().zip(pos) {
                        *b = w.checked_shr(shift).unwrap_or(0) as u8;
                    }
                    for (b, &w) in ub.iter_mut().zip(und) {
                        *b = w.checked_shr(shift).unwrap_or(0) as u8;
                    }
                }
                let s = (bit % 8) as u32;
                if let Some(o) = col.get_mut(at..at + n) {
                    for ((o, &p), &u) in o.iter_mut().zip(&pb[..n]).zip(&ub[..n]) {
                        *o = verdict_of_bits((p >> s) & 1, (u >> s) & 1);
                    }
                }
            }
        }
    }
}

/// Split `v`, a column of `k` elements a row, at the ascending row bounds (the last bound is
/// the row count). A short column gives empty pieces at the end instead of panicking.
pub(crate) fn split_rows<'a, X>(mut v: &'a mut [X], bounds: &[usize], k: usize) -> Vec<&'a mut [X]> {
    let mut out = Vec::with_capacity(bounds.len());
    let mut start = 0;
    for &end in bounds {
        let at = ((end - start) * k).min(v.len());
        let (head, tail) = std::mem::take(&mut v).split_at_mut(at);
        out.push(head);
        v = tail;
        start = end;
    }
    out
}

/// Views of `out`'s columns for consecutive row ranges ending at `bounds`.
fn split_columns<'a>(out: &'a mut BatchColumns, bounds: &[usize]) -> Vec<ColsMut<'a>> {
    let mut scales: Vec<std::vec::IntoIter<ScaleColsMut<'a>>> = out
        .scales
        .iter_mut()
        .map(|c| {
            let d = c.score_decimals;
            let mut raw = split_rows(&mut c.raw, bounds, 1).into_iter();
            let mut score = split_rows(&mut c.score, bounds, 1).into_iter();
            let mut band = split_rows(&mut c.band, bounds, 1).into_iter();
            let mut answered = split_rows(&mut c.answered, bounds, 1).into_iter();
            let mut prorated = split_rows(&mut c.prorated, bounds, 1).into_iter();
            let mut parts = Vec::with_capacity(bounds.len());
            for _ in bounds {
                let (Some(raw), Some(score), Some(band), Some(answered), Some(prorated)) =
                    (raw.next(), score.next(), band.next(), answered.next(), prorated.next())
                else {
                    break;
                };
                parts.push(ScaleColsMut {
                    score_decimals: d,
                    raw,
                    score,
                    band,
                    answered,
                    prorated,
                });
            }
            parts.into_iter()
        })
        .collect();
    let mut flags = split_rows(&mut out.flags, bounds, 1).into_iter();
    let mut flags_u = split_rows(&mut out.flags_indeterminate, bounds, 1).into_iter();
    let mut validity = split_rows(&mut out.validity, bounds, 1).into_iter();
    let screen_bounds: Vec<usize> = if out.screen.is_empty() { vec![0; bounds.len()] } else { bounds.to_vec() };
    let mut screen = split_rows(&mut out.screen, &screen_bounds, 1).into_iter();
    let mut verdicts: Vec<std::vec::IntoIter<&'a mut [u8]>> = out.verdicts.iter_mut().flatten().map(|col| split_rows(col, bounds, 1).into_iter()).collect();
    let mut views = Vec::with_capacity(bounds.len());
    for _ in bounds {
        let (Some(flags), Some(flags_indeterminate), Some(validity), Some(screen)) = (flags.next(), flags_u.next(), validity.next(), screen.next()) else {
            break;
        };
        views.push(ColsMut {
            scales: scales.iter_mut().filter_map(Iterator::next).collect(),
            flags,
            flags_indeterminate,
            validity,
            screen,
            verdicts: verdicts.iter_mut().filter_map(Iterator::next).collect(),
        });
    }
    views
}

/// Size a column for `n` rows. Every cell of every row is overwritten by the fused, block or row
/// path (`compact::tests::every_cell_is_overwritten` checks it), so an existing column of the
/// right length is reused without clearing. (A new column from zeroed memory instead of a fill
/// was tried, so that its pages would first be touched by the worker threads: one thread then
/// took 9.0 ms instead of 5.9 for 1M PHQ-9 rows, every call faulting fresh pages in.)
pub(crate) fn fit<X: Clone>(v: &mut Vec<X>, n: usize, x: X) {
    if v.len() != n {
        v.clear();
        v.resize(n, x);
    }
}

/// Size the verdict columns, when asked for (`Some`), to one column of `n_rows` per flag (both
/// column types).
pub(crate) fn fit_verdicts(verdicts: &mut Option<Vec<Vec<u8>>>, n_flags: usize, n_rows: usize) {
    if let Some(v) = verdicts.as_mut() {
        v.resize_with(n_flags, Vec::new);
        for col in v.iter_mut() {
            fit(col, n_rows, 0);
        }
    }
}

/// Every flag's verdict column in flag order: the columns a batch wrote when asked for, taken
/// out, else (not asked for) computed one flag at a time by `one` (both column types).
pub(crate) fn take_verdicts(asked: Option<Vec<Vec<u8>>>, flag_ids: &[String], one: impl Fn(&str) -> Option<Vec<u8>>) -> Vec<Vec<u8>> {
    match asked {
        Some(v) if v.len() == flag_ids.len() => v,
        _ => flag_ids.iter().filter_map(|f| one(f)).collect(),
    }
}

fn prepare(plan: &Plan, out: &mut BatchColumns, n_rows: usize) {
    out.n_rows = n_rows;
    out.flag_ids = plan.flags.iter().map(|f| f.id.clone()).collect();
    fit(&mut out.flags, n_rows, 0);
    fit(&mut out.validity, n_rows, 0);
    fit(&mut out.flags_indeterminate, n_rows, 0);
    if plan.screen_positive.is_some() {
        fit(&mut out.screen, n_rows, 0);
    } else {
        out.screen.clear();
    }
    fit_verdicts(&mut out.verdicts, plan.flags.len(), n_rows);
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

/// One row of one scale's output columns (shared by the row path and the block path's rows
/// with unanswered cells).
#[allow(clippy::too_many_arguments)]
#[inline]
pub(crate) fn write_scale(
    sc: &crate::scoring::plan::ScalePlan,
    col: &mut ScaleColsMut<'_>,
    r: usize,
    raw: Option<crate::decimal::Ratio>,
    score: Option<crate::decimal::Ratio>,
    band: u8,
    answered: u32,
    prorated: bool,
) {
    col.raw[r] = raw.map_or(UNSCORED, |v| v.round_mantissa(sc.decimals, sc.rounding));
    col.score[r] = if sc.norms.is_some() {
        score.map_or(UNSCORED, |v| v.round_mantissa(col.score_decimals, crate::Rounding::HalfUp))
    } else {
        col.raw[r]
    };
    col.band[r] = if band == NO_BAND { -1 } else { sc.bands[band as usize].index as i8 };
    col.answered[r] = u16::try_from(answered).unwrap_or(u16::MAX);
    col.prorated[r] = prorated;
}

#[inline]
fn write_row(plan: &Plan, st: &RowState, out: &mut ColsMut<'_>, r: usize) {
    for (si, sc) in plan.scales.iter().enumerate() {
        write_scale(
            sc,
            &mut out.scales[si],
            r,
            st.raw[si],
            st.score[si],
            st.band[si],
            st.answered[si],
            st.prorated[si],
        );
    }
    let (mut pos, mut und) = (0u64, 0u64);
    for (fi, &f) in st.flags.iter().enumerate() {
        pos |= u64::from(f == Tri::T) << fi;
        und |= u64::from(f == Tri::U) << fi;
    }
    out.flags[r] = pos;
    out.flags_indeterminate[r] = und;
    out.validity[r] = eval::validity_code(plan, st);
    if let Some(s) = &plan.screen_positive {
        out.screen[r] = eval::cond3(&s.cond, plan, st).verdict().code();
    }
}

#[cfg(test)]
mod tests {
    use super::{verdict_code, verdict_of_bits};

    /// Positive wins over indeterminate; a flag in neither set is negative.
    #[test]
    fn verdict_rule() {
        assert_eq!(
            [verdict_of_bits(0, 0), verdict_of_bits(1, 0), verdict_of_bits(0, 1), verdict_of_bits(1, 1)],
            [0, 1, 2, 1]
        );
        // Bit 5 of the words decides flag 5; the other bits do not.
        assert_eq!(verdict_code(1 << 5, 0, 5), 1);
        assert_eq!(verdict_code(!(1 << 5), 1 << 5, 5), 2);
        assert_eq!(verdict_code(!(1 << 5), !(1 << 5), 5), 0);
        assert_eq!(verdict_code(1 << 63, 1 << 63, 63), 1);
    }
}
