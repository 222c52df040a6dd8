//! Columnar batch scoring: one flat row-major byte buffer of option codes in, columns out.
//!
//! Codes are bytes (`ByteArray` in Kotlin, `Data` in Swift) read as signed 8-bit values, so a
//! Kotlin `-1` is the usual missing sentinel. Every instrument's codes fit (the spec format keeps
//! them in 0..=127).

use crate::error::{guard, FfiResult};
use crate::instrument::Instrument;
use crate::recode::CodeMap;
use changkaixin_core::scoring::batch::{BatchGroups, UNSCORED};
use changkaixin_core::scoring::compact::{CompactColumns, CompactScale, Values};
use changkaixin_core::{BatchColumns, BatchInput};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// A batch of responses.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct BatchRequest {
    /// `n_rows × n_items` codes, row-major, as signed bytes.
    pub codes: Vec<u8>,
    /// Items per row (must equal the instrument's item count).
    pub n_items: u32,
    /// The code meaning "missing" (e.g. -1).
    pub missing: i8,
    /// The code meaning "refused", if the buffer distinguishes it.
    #[uniffi(default = None)]
    pub refused: Option<i8>,
    /// Norm group index of each row into `groups` (required when the instrument has norms).
    #[uniffi(default = None)]
    pub row_group: Option<Vec<u32>>,
    /// The distinct norm groups, e.g. `{"grade": "7", "sex": "F"}`.
    #[uniffi(default)]
    pub groups: Vec<HashMap<String, String>>,
    /// Completion time per row in whole seconds (negative = unknown).
    #[uniffi(default = None)]
    pub durations: Option<Vec<i64>>,
    /// A declared recode of the buffer's codes (`Instrument.codeMap`); sentinels are checked against it.
    #[uniffi(default = None)]
    pub code_map: Option<Arc<CodeMap>>,
    /// Worker threads for the core's parallel batch (rows split in ranges; the result is identical
    /// to the single-threaded one). `null`/`nil` or 1 = this thread only, 0 = all cores.
    #[uniffi(default = None)]
    pub threads: Option<u32>,
}

/// Columns of one scale. Values are exact decimals given as integer mantissas:
/// value = mantissa / 10^decimals; [`unscored_mantissa`] marks a row where the scale is not scored.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct ScaleColumns {
    pub id: String,
    pub raw_decimals: u32,
    pub raw: Vec<i64>,
    pub score_decimals: u32,
    pub score: Vec<i64>,
    /// Band ordinal index, -1 for no band.
    pub band: Vec<i8>,
    /// Band ids by ordinal index.
    pub band_ids: Vec<String>,
    pub answered: Vec<u16>,
    pub prorated: Vec<bool>,
}

/// The result of a batch.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct BatchResult {
    pub n_rows: u64,
    pub scales: Vec<ScaleColumns>,
    /// Flag ids; flag `i` is bit `i` of each `flags` and `flags_indeterminate` word.
    pub flag_ids: Vec<String>,
    /// Per row, the bitset of flags that are **positive**.
    pub flags: Vec<u64>,
    /// Per row, the bitset of flags that are **indeterminate** (items missing or refused). A flag
    /// whose bit is set in neither word is determined negative. See [`batch_flag_verdicts`].
    pub flags_indeterminate: Vec<u64>,
    /// Per row: 0 valid, 1 incomplete, 2 invalid.
    pub validity: Vec<u8>,
    /// Per row: the screen verdict code (`verdictCode`: 0 negative, 1 positive, 2 indeterminate).
    /// Empty when the instrument defines no screen-positive rule.
    pub screen: Vec<u8>,
    /// Per flag (in `flag_ids` order), its column of verdict codes per row: 0 negative,
    /// 1 positive, 2 indeterminate. Written by the core's scoring threads block by block, so no
    /// pass over the bitsets is needed afterwards ([`batch_flag_verdicts`] reads the same codes).
    pub verdicts: Vec<Vec<u8>>,
}

/// A column of exact decimal mantissas in the narrowest width the instrument's compiled plan
/// needs for the scale (fixed per instrument, whatever the data). The width's minimum
/// (`Short.MIN_VALUE`, `Int.MIN_VALUE`, `Long.MIN_VALUE`) marks a row where the scale is not scored.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum MantissaColumn {
    I16 { values: Vec<i16> },
    I32 { values: Vec<i32> },
    I64 { values: Vec<i64> },
}

/// Compact columns of one scale: the values of [`ScaleColumns`] in narrow types.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct CompactScaleColumns {
    pub id: String,
    /// value = mantissa / 10^raw_decimals.
    pub raw_decimals: u32,
    pub raw: MantissaColumn,
    pub score_decimals: u32,
    /// Standard-score mantissas, only for a scale with norms (`null`/`nil`: the score is `raw`).
    pub score: Option<MantissaColumn>,
    /// Band ordinal index, -1 for no band.
    pub band: Vec<i8>,
    /// Band ids by ordinal index.
    pub band_ids: Vec<String>,
    /// Whether the value was prorated, only for a scale whose missing-data rule can prorate
    /// (`null`/`nil`: `false` on every row).
    pub prorated: Option<Vec<bool>>,
}

/// The result of [`Instrument::score_batch_compact`]: the decisions of [`BatchResult`] in the
/// narrowest columns that hold them (7 bytes a row for PHQ-9 against 38, so less to carry
/// across the FFI boundary), without the `answered` counts.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct CompactBatchResult {
    pub n_rows: u64,
    pub scales: Vec<CompactScaleColumns>,
    /// Flag ids; flag `i` is bit `i % 8` of byte `i / 8` of a row's `flag_bytes` bytes.
    pub flag_ids: Vec<String>,
    /// Bytes per row of `flags` and `flags_indeterminate`: ⌈flags / 8⌉.
    pub flag_bytes: u32,
    /// Row-major, `flag_bytes` a row: the flags that are **positive**.
    pub flags: Vec<u8>,
    /// Row-major, `flag_bytes` a row: the flags that are **indeterminate** (items missing or
    /// refused). A flag set in neither is determined negative.
    pub flags_indeterminate: Vec<u8>,
    /// Per row: 0 valid, 1 incomplete, 2 invalid.
    pub validity: Vec<u8>,
    /// Per row: the screen verdict code (0 negative, 1 positive, 2 indeterminate); empty when the
    /// instrument defines no screen-positive rule.
    pub screen: Vec<u8>,
    /// Per flag (in `flag_ids` order), its column of verdict codes, written by the core's threads.
    pub verdicts: Vec<Vec<u8>>,
}

/// The mantissa that marks "not scored" in [`ScaleColumns`] (`i64::MIN`).
#[uniffi::export]
pub fn unscored_mantissa() -> i64 {
    UNSCORED
}

/// One flag of a batch result as a boolean column: `true` where the flag is **positive**; an
/// indeterminate row reads `false` here, so use [`batch_flag_verdicts`] wherever "cannot tell"
/// matters (`null`/`nil` if the instrument has no such flag).
#[uniffi::export]
pub fn batch_flag_column(result: &BatchResult, flag_id: String) -> Option<Vec<bool>> {
    to_core(result).flag_column(&flag_id)
}

/// One flag of a batch result as verdict codes per row (0 negative, 1 positive, 2 indeterminate;
/// `null`/`nil` if the instrument has no such flag).
#[uniffi::export]
pub fn batch_flag_verdicts(result: &BatchResult, flag_id: String) -> Option<Vec<u8>> {
    to_core(result).flag_verdicts(&flag_id)
}

fn to_core(r: &BatchResult) -> BatchColumns {
    BatchColumns {
        n_rows: usize::try_from(r.n_rows).unwrap_or(usize::MAX),
        scales: Vec::new(),
        flag_ids: r.flag_ids.clone(),
        flags: r.flags.clone(),
        flags_indeterminate: r.flags_indeterminate.clone(),
        validity: Vec::new(),
        ..BatchColumns::default()
    }
}

impl Instrument {
    /// Run a batch into `out` (wide or compact): the request read once, the same checks and the
    /// same threads for both outputs.
    fn run_batch<O>(
        &self,
        request: BatchRequest,
        out: &mut O,
        score: impl FnOnce(&changkaixin_core::Instrument, &BatchInput<'_, i8>, &mut O, usize) -> changkaixin_core::Result<()>,
    ) -> FfiResult<()> {
        // Reinterpret the bytes as i8 (a type conversion only; codes are 0..=127, sentinels negative).
        let codes: Vec<i8> = request.codes.iter().map(|&b| b as i8).collect();
        let groups: Vec<BTreeMap<String, String>> = request.groups.into_iter().map(|g| g.into_iter().collect()).collect();
        let mut input = BatchInput::new(&codes, request.n_items as usize, request.missing);
        input.refused = request.refused;
        input.durations = request.durations.as_deref();
        input.groups = request.row_group.as_deref().map(|row_group| BatchGroups { row_group, groups: &groups });
        input.code_map = request.code_map.as_deref().map(|m| &m.inner);
        // `None` or 1: this thread only; 0: all cores.
        let threads = request.threads.map_or(1, |n| n as usize);
        score(&self.inner, &input, out, threads)?;
        Ok(())
    }
}

fn mantissas(v: Values) -> MantissaColumn {
    match v {
        Values::I16(values) => MantissaColumn::I16 { values },
        Values::I32(values) => MantissaColumn::I32 { values },
        Values::I64(values) => MantissaColumn::I64 { values },
    }
}

fn compact_scale(s: CompactScale) -> CompactScaleColumns {
    CompactScaleColumns {
        id: s.id,
        raw_decimals: s.raw_decimals,
        raw: mantissas(s.raw),
        score_decimals: s.score_decimals,
        score: s.score.map(mantissas),
        band: s.band,
        band_ids: s.band_ids,
        prorated: s.prorated,
    }
}

#[uniffi::export]
impl Instrument {
    /// Score a batch into columns.
    pub fn score_batch(&self, request: BatchRequest) -> FfiResult<BatchResult> {
        guard(|| {
            // The core's threads write each flag's verdict column while the block is in cache.
            let mut out = BatchColumns {
                verdicts: Some(Vec::new()),
                ..BatchColumns::default()
            };
            self.run_batch(request, &mut out, |inst, input, out, threads| {
                inst.score_batch_into_with_kernel(input, out, threads, changkaixin_core::BatchKernel::Auto)
            })?;
            let verdicts = out.take_verdict_columns();
            Ok(BatchResult {
                n_rows: out.n_rows as u64,
                scales: out
                    .scales
                    .into_iter()
                    .map(|s| ScaleColumns {
                        id: s.id,
                        raw_decimals: s.raw_decimals,
                        raw: s.raw,
                        score_decimals: s.score_decimals,
                        score: s.score,
                        band: s.band,
                        band_ids: s.band_ids,
                        answered: s.answered,
                        prorated: s.prorated,
                    })
                    .collect(),
                flag_ids: out.flag_ids,
                flags: out.flags,
                flags_indeterminate: out.flags_indeterminate,
                validity: out.validity,
                screen: out.screen,
                verdicts,
            })
        })
    }

    /// Score a batch into compact columns: the same decisions as [`Instrument::score_batch`]
    /// (every kept column equal to the wide one), in the narrowest types, with no `answered`
    /// counts.
    pub fn score_batch_compact(&self, request: BatchRequest) -> FfiResult<CompactBatchResult> {
        guard(|| {
            let mut out = CompactColumns {
                verdicts: Some(Vec::new()),
                ..CompactColumns::default()
            };
            self.run_batch(request, &mut out, |inst, input, out, threads| {
                inst.score_batch_compact_into(input, out, threads, changkaixin_core::BatchKernel::Auto)
            })?;
            let verdicts = out.take_verdict_columns();
            Ok(CompactBatchResult {
                n_rows: out.n_rows as u64,
                scales: out.scales.into_iter().map(compact_scale).collect(),
                flag_ids: out.flag_ids,
                flag_bytes: u32::try_from(out.flag_bytes).unwrap_or(u32::MAX),
                flags: out.flags,
                flags_indeterminate: out.flags_indeterminate,
                validity: out.validity,
                screen: out.screen,
                verdicts,
            })
        })
    }
}
