//! Arrow in and out: `Instrument.score_arrow` (and through it `changkaixin.spark` and
//! `changkaixin.dask`) reads any object exposing the Arrow PyCapsule interface
//! (`__arrow_c_array__` / `__arrow_c_stream__`: pyarrow, Polars, DuckDB, pandas with Arrow) through
//! the Arrow C data interface (pyo3-arrow), scores each record batch with the core's batch
//! engine and returns pyarrow record batches. The core stays free of Arrow: this module only
//! moves buffers between the two layouts.
//!
//! Input: one integer column per item (any integer type, nulls = missing), gathered into the
//! core's row-major buffer in one pass; or one `FixedSizeList<int>[n_items]` column, whose child
//! values already *are* that buffer and are read in place when they hold no null.
//!
//! Output per input batch (the layout `changkaixin/_arrow.py` documents), for each scale `s`:
//! `{p}{s}` and `{p}{s}_score` as `decimal128(18, d)` (exact; null where unscored),
//! `{p}{s}_band` dictionary-encoded band ids (null for no band), `{p}{s}_answered` uint16,
//! `{p}{s}_prorated` bool; per flag `{p}flag_{id}` bool (null = indeterminate, never false);
//! `{p}flags` / `{p}flags_indeterminate` uint64 bitsets; `{p}validity` uint8 (0 valid,
//! 1 incomplete, 2 invalid); `{p}screen` uint8 verdict code (0 negative, 1 positive,
//! 2 indeterminate) when the instrument has a screen-positive rule. Kept input columns come first.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{ArrowPrimitiveType, Int16Type, Int32Type, Int64Type, Int8Type, UInt16Type, UInt32Type, UInt64Type, UInt8Type};
use arrow_array::{
    Array, ArrayRef, BooleanArray, Decimal128Array, DictionaryArray, Int8Array, PrimitiveArray, RecordBatch, RecordBatchOptions, StringArray, UInt16Array,
    UInt64Array, UInt8Array,
};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use changkaixin_core::scoring::batch::{BatchGroups, Code, UNSCORED};
use changkaixin_core::scoring::recode::CodeMap;
use changkaixin_core::{BatchColumns, BatchInput, Error, ErrorCode, Instrument};
use pyo3::exceptions::{PyKeyError, PyTypeError};
use pyo3::prelude::*;
use pyo3_arrow::input::AnyRecordBatch;
use pyo3_arrow::{PyRecordBatch, PyTable};

use crate::batch::effective_threads;
use crate::instrument::{NativeCodeMap, NativeInstrument};

/// Decimal precision of every score column: the core's limits keep a value within
/// ±10^9 with at most 6 decimals (|mantissa| < 10^16), so 18 digits always hold it.
pub(crate) const DECIMAL_PRECISION: u8 = 18;

/// A failure of one batch: a core error (rendered as the matching `changkaixin` exception) or
/// a wrong Arrow type (a Python `TypeError` / `KeyError`).
enum Fail {
    Core(Error),
    Type(String),
    Key(String),
}

impl From<Error> for Fail {
    fn from(e: Error) -> Fail {
        Fail::Core(e)
    }
}

impl Fail {
    fn into_py(self, py: Python<'_>) -> PyErr {
        match self {
            Fail::Core(e) => crate::error::to_py(py, &e),
            Fail::Type(m) => PyTypeError::new_err(m),
            Fail::Key(m) => PyKeyError::new_err(m),
        }
    }
}

fn shape(path: &str, msg: String) -> Fail {
    Fail::Core(Error::new(ErrorCode::BatchShape, path, msg))
}

/// Norm groups of one batch: the group index of each row and the distinct groups.
type Groups = (Vec<u32>, Vec<BTreeMap<String, String>>);

/// What one call scores with (the same for every batch of the input).
struct Options<'a> {
    instrument: &'a Instrument,
    items: &'a [String],
    missing: Option<i64>,
    refused: Option<i64>,
    group_columns: &'a [String],
    duration_column: Option<&'a str>,
    keep: &'a [String],
    prefix: &'a str,
    threads: usize,
    code_map: Option<&'a CodeMap>,
}

/// The row-major code buffer of one batch, in the narrowest type the input allows.
enum Codes<'b> {
    I8(std::borrow::Cow<'b, [i8]>, i8),
    U8(std::borrow::Cow<'b, [u8]>, u8),
    I16(std::borrow::Cow<'b, [i16]>, i16),
    U16(std::borrow::Cow<'b, [u16]>, u16),
    I32(std::borrow::Cow<'b, [i32]>, i32),
    U32(std::borrow::Cow<'b, [u32]>, u32),
    I64(std::borrow::Cow<'b, [i64]>, i64),
    U64(std::borrow::Cow<'b, [u64]>, u64),
}

/// Integer Arrow types the item columns may have, with their sentinel candidates.
trait Native: Copy + PartialOrd + Default + Send + Sync + Code + TryFrom<i64> + 'static {
    /// Values tried as the "missing" sentinel, in order, when the caller gives none: outside
    /// every option code (codes are small non-negative integers) and checked against the data.
    const CANDIDATES: [Self; 4];
    fn wrap<'b>(codes: std::borrow::Cow<'b, [Self]>, missing: Self) -> Codes<'b>;
}

macro_rules! native {
    ($t:ty, $v:ident, $a:expr, $b:expr, $c:expr, $d:expr) => {
        impl Native for $t {
            const CANDIDATES: [Self; 4] = [$a, $b, $c, $d];
            fn wrap<'b>(codes: std::borrow::Cow<'b, [Self]>, missing: Self) -> Codes<'b> {
                Codes::$v(codes, missing)
            }
        }
    };
}
native!(i8, I8, i8::MIN, i8::MAX, i8::MIN + 1, i8::MAX - 1);
native!(u8, U8, u8::MAX, u8::MAX - 1, u8::MAX - 2, u8::MAX - 3);
native!(i16, I16, i16::MIN, i16::MAX, i16::MIN + 1, i16::MAX - 1);
native!(u16, U16, u16::MAX, u16::MAX - 1, u16::MAX - 2, u16::MAX - 3);
native!(i32, I32, i32::MIN, i32::MAX, i32::MIN + 1, i32::MAX - 1);
native!(u32, U32, u32::MAX, u32::MAX - 1, u32::MAX - 2, u32::MAX - 3);
native!(i64, I64, i64::MIN, i64::MAX, i64::MIN + 1, i64::MAX - 1);
native!(u64, U64, u64::MAX, u64::MAX - 1, u64::MAX - 2, u64::MAX - 3);

/// Column `name` of `batch`, or a `KeyError` naming it.
fn column<'b>(batch: &'b RecordBatch, name: &str, role: &str) -> Result<&'b ArrayRef, Fail> {
    batch
        .column_by_name(name)
        .ok_or_else(|| Fail::Key(format!("{role} column {name:?} is not in the Arrow data")))
}

/// The sentinel for "missing": the caller's code (nulls are filled with it), or the first
/// candidate that no non-null cell holds and that is not the refused code.
fn pick_missing<N: Native>(cols: &[&PrimitiveArray<impl ArrowPrimitiveType<Native = N>>], o: &Options<'_>) -> Option<N> {
    if let Some(m) = o.missing {
        return N::try_from(m).ok();
    }
    let refused = o.refused.and_then(|r| N::try_from(r).ok());
    'candidate: for c in N::CANDIDATES {
        if Some(c) == refused {
            continue;
        }
        for col in cols {
            if col.iter().flatten().any(|v| v == c) {
                continue 'candidate;
            }
        }
        return Some(c);
    }
    None
}

/// Gather `cols` (one per item, same type) into one row-major buffer, nulls as `fill`.
fn gather<T: ArrowPrimitiveType>(cols: &[&PrimitiveArray<T>], n: usize, fill: T::Native) -> Vec<T::Native> {
    let k = cols.len();
    let mut out = vec![T::Native::default(); n * k];
    for (j, col) in cols.iter().enumerate() {
        let values = col.values();
        match col.nulls().filter(|nb| nb.null_count() > 0) {
            None => {
                for (r, v) in values.iter().enumerate() {
                    out[r * k + j] = *v;
                }
            }
            Some(nb) => {
                for (r, v) in values.iter().enumerate() {
                    out[r * k + j] = if nb.is_valid(r) { *v } else { fill };
                }
            }
        }
    }
    out
}

/// The codes of one batch from item columns of one primitive type `T`.
fn typed_codes<'b, T>(arrays: &[&'b ArrayRef], n: usize, o: &Options<'_>) -> Result<Option<Codes<'b>>, Fail>
where
    T: ArrowPrimitiveType,
    T::Native: Native,
{
    let cols: Vec<&PrimitiveArray<T>> = arrays.iter().map(|a| a.as_primitive::<T>()).collect();
    let Some(missing) = pick_missing(&cols, o) else {
        return Ok(None);
    };
    Ok(Some(T::Native::wrap(std::borrow::Cow::Owned(gather(&cols, n, missing)), missing)))
}

/// The codes of one `FixedSizeList<T>[k]` column: its child values in place when nothing is null.
fn list_codes<'b, T>(values: &'b ArrayRef, o: &Options<'_>) -> Result<Option<Codes<'b>>, Fail>
where
    T: ArrowPrimitiveType,
    T::Native: Native,
{
    let child = values.as_primitive::<T>();
    let Some(missing) = pick_missing(&[child], o) else {
        return Ok(None);
    };
    let buf: std::borrow::Cow<'b, [T::Native]> = match child.nulls().filter(|nb| nb.null_count() > 0) {
        None => std::borrow::Cow::Borrowed(child.values().as_ref()),
        Some(nb) => std::borrow::Cow::Owned(
            child
                .values()
                .iter()
                .enumerate()
                .map(|(i, v)| if nb.is_valid(i) { *v } else { missing })
                .collect(),
        ),
    };
    Ok(Some(T::Native::wrap(buf, missing)))
}

fn is_integer(t: &DataType) -> bool {
    t.is_integer()
}

/// The row-major codes of `batch` (item columns or one fixed-size list column).
fn codes<'b>(batch: &'b RecordBatch, o: &Options<'_>, n_items: usize, widened: &'b mut Option<Vec<ArrayRef>>) -> Result<Codes<'b>, Fail> {
    let n = batch.num_rows();
    if o.items.len() == 1 && n_items != 1 {
        let col = column(batch, &o.items[0], "answer")?;
        let DataType::FixedSizeList(_, k) = col.data_type() else {
            return Err(Fail::Type(format!(
                "answer column {:?} must be a FixedSizeList of {n_items} integers (or give one column per item), not {}",
                o.items[0],
                col.data_type()
            )));
        };
        if *k as usize != n_items {
            return Err(shape(
                "codes",
                format!("answer column {:?} holds {k} codes per row; the instrument has {n_items} items", o.items[0]),
            ));
        }
        let list = col.as_fixed_size_list();
        if list.null_count() > 0 {
            return Err(shape(
                "codes",
                format!("answer column {:?} has null rows: give a list of nulls for a row with no answer", o.items[0]),
            ));
        }
        // The child values of this slice, in row order.
        let values = list.values().slice(list.offset() * n_items, n * n_items);
        let values: &'b ArrayRef = widened.insert(vec![values]).first().ok_or_else(|| shape("codes", String::new()))?;
        let t = values.data_type().clone();
        let got = match t {
            DataType::Int8 => list_codes::<Int8Type>(values, o)?,
            DataType::UInt8 => list_codes::<UInt8Type>(values, o)?,
            DataType::Int16 => list_codes::<Int16Type>(values, o)?,
            DataType::UInt16 => list_codes::<UInt16Type>(values, o)?,
            DataType::Int32 => list_codes::<Int32Type>(values, o)?,
            DataType::UInt32 => list_codes::<UInt32Type>(values, o)?,
            DataType::Int64 => list_codes::<Int64Type>(values, o)?,
            DataType::UInt64 => list_codes::<UInt64Type>(values, o)?,
            other => return Err(Fail::Type(format!("answer column {:?} must hold integers, not {other}", o.items[0]))),
        };
        return got.ok_or_else(no_sentinel);
    }
    if o.items.len() != n_items {
        return Err(shape(
            "codes",
            format!("{} answer columns given; the instrument has {n_items} items", o.items.len()),
        ));
    }
    let mut arrays: Vec<&ArrayRef> = Vec::with_capacity(n_items);
    for name in o.items {
        let a = column(batch, name, "answer")?;
        if !is_integer(a.data_type()) {
            return Err(Fail::Type(format!(
                "answer column {name:?} must have an integer type (nulls for missing answers), not {}",
                a.data_type()
            )));
        }
        arrays.push(a);
    }
    let t = arrays.first().map(|a| a.data_type().clone()).unwrap_or(DataType::Int8);
    if arrays.iter().all(|a| *a.data_type() == t) {
        let got = match t {
            DataType::Int8 => typed_codes::<Int8Type>(&arrays, n, o)?,
            DataType::UInt8 => typed_codes::<UInt8Type>(&arrays, n, o)?,
            DataType::Int16 => typed_codes::<Int16Type>(&arrays, n, o)?,
            DataType::UInt16 => typed_codes::<UInt16Type>(&arrays, n, o)?,
            DataType::Int32 => typed_codes::<Int32Type>(&arrays, n, o)?,
            DataType::UInt32 => typed_codes::<UInt32Type>(&arrays, n, o)?,
            DataType::Int64 => typed_codes::<Int64Type>(&arrays, n, o)?,
            _ => typed_codes::<UInt64Type>(&arrays, n, o)?,
        };
        if let Some(c) = got {
            return Ok(c);
        }
        if matches!(t, DataType::Int64 | DataType::UInt64) {
            return Err(no_sentinel());
        }
    }
    // Mixed integer types (or every sentinel candidate taken): widen to Int64 (exact for all
    // but u64 values above i64::MAX, which no option code is: refused by the cast).
    let mut wide = Vec::with_capacity(arrays.len());
    for (a, name) in arrays.iter().zip(o.items) {
        let w = if *a.data_type() == DataType::Int64 {
            Arc::clone(a)
        } else {
            arrow_cast::cast(a, &DataType::Int64).map_err(|e| shape("codes", format!("answer column {name:?} does not fit a 64-bit integer: {e}")))?
        };
        if w.null_count() > a.null_count() {
            return Err(shape("codes", format!("answer column {name:?} holds a value above 2^63 - 1")));
        }
        wide.push(w);
    }
    let wide: &'b Vec<ArrayRef> = widened.insert(wide);
    let refs: Vec<&ArrayRef> = wide.iter().collect();
    typed_codes::<Int64Type>(&refs, n, o)?.ok_or_else(no_sentinel)
}

fn no_sentinel() -> Fail {
    shape(
        "missing",
        "the answer columns use every candidate missing code: give missing= (a code that is no answer)".to_owned(),
    )
}

/// Norm groups of one batch from the group columns (any type castable to text), factorized.
fn groups(batch: &RecordBatch, o: &Options<'_>) -> Result<Option<Groups>, Fail> {
    if o.group_columns.is_empty() {
        return Ok(None);
    }
    let n = batch.num_rows();
    let mut texts: Vec<StringArray> = Vec::with_capacity(o.group_columns.len());
    for name in o.group_columns {
        let a = column(batch, name, "group")?;
        let s = arrow_cast::cast(a, &DataType::Utf8).map_err(|e| Fail::Type(format!("group column {name:?} cannot be read as text: {e}")))?;
        if let Some(r) = (0..n).find(|&r| s.is_null(r)) {
            return Err(Fail::Core(
                Error::new(ErrorCode::BatchUnknownGroup, "groups", format!("group column {name:?} is null")).with_row(r as u64),
            ));
        }
        texts.push(s.as_string::<i32>().clone());
    }
    // Each column's values → small codes, then the code tuple → one group index.
    let mut per_col: Vec<Vec<u32>> = Vec::with_capacity(texts.len());
    let mut dicts: Vec<Vec<String>> = Vec::with_capacity(texts.len());
    for t in &texts {
        let mut seen: HashMap<&str, u32> = HashMap::new();
        let mut ids = Vec::new();
        let codes: Vec<u32> = t
            .iter()
            .map(|v| {
                let v = v.unwrap_or_default();
                let next = seen.len() as u32;
                *seen.entry(v).or_insert_with(|| {
                    ids.push(v.to_owned());
                    next
                })
            })
            .collect();
        per_col.push(codes);
        dicts.push(ids);
    }
    let mut index: HashMap<Vec<u32>, u32> = HashMap::new();
    let mut row_group = Vec::with_capacity(n);
    let mut list = Vec::new();
    let mut key = vec![0u32; per_col.len()];
    for r in 0..n {
        for (k, c) in key.iter_mut().zip(&per_col) {
            *k = c[r];
        }
        let g = match index.get(&key) {
            Some(g) => *g,
            None => {
                let g = list.len() as u32;
                let map: BTreeMap<String, String> = o
                    .group_columns
                    .iter()
                    .zip(key.iter().zip(&dicts))
                    .map(|(name, (c, d))| (name.clone(), d[*c as usize].clone()))
                    .collect();
                list.push(map);
                index.insert(key.clone(), g);
                g
            }
        };
        row_group.push(g);
    }
    Ok(Some((row_group, list)))
}

/// Completion times in whole seconds (null → -1, unknown).
fn durations(batch: &RecordBatch, o: &Options<'_>) -> Result<Option<Vec<i64>>, Fail> {
    let Some(name) = o.duration_column else {
        return Ok(None);
    };
    let a = column(batch, name, "duration")?;
    if !is_integer(a.data_type()) {
        return Err(Fail::Type(format!(
            "duration column {name:?} must hold whole seconds (integers), not {}",
            a.data_type()
        )));
    }
    let w = arrow_cast::cast(a, &DataType::Int64).map_err(|e| shape("durations", format!("duration column {name:?}: {e}")))?;
    if w.null_count() > a.null_count() {
        return Err(shape("durations", format!("duration column {name:?} holds a value above 2^63 - 1")));
    }
    Ok(Some(w.as_primitive::<Int64Type>().iter().map(|v| v.unwrap_or(-1)).collect()))
}

#[allow(clippy::too_many_arguments)]
fn score_codes<T: Code>(
    inst: &Instrument,
    codes: &[T],
    missing: T,
    refused: Option<T>,
    n_items: usize,
    g: Option<&Groups>,
    d: Option<&[i64]>,
    o: &Options<'_>,
    n_rows: usize,
) -> Result<BatchColumns, Error> {
    let input = BatchInput {
        codes,
        n_items,
        missing,
        refused,
        groups: g.map(|(row_group, groups)| BatchGroups { row_group, groups }),
        durations: d,
        code_map: o.code_map,
    };
    inst.score_batch_parallel(&input, effective_threads(o.threads, n_rows))
}

/// The refused code in the buffer's type (a code that does not fit cannot occur in it).
fn refused_as<T: TryFrom<i64>>(o: &Options<'_>) -> Option<T> {
    o.refused.and_then(|r| T::try_from(r).ok())
}

/// Score one batch: the output record batch (kept columns, then the score columns).
fn score_one(batch: &RecordBatch, o: &Options<'_>, schema: &SchemaRef) -> Result<RecordBatch, Fail> {
    let n_items = o.instrument.item_count();
    let n = batch.num_rows();
    let mut widened = None;
    let codes = codes(batch, o, n_items, &mut widened)?;
    let g = groups(batch, o)?;
    let d = durations(batch, o)?;
    let inst = o.instrument;
    let (g, d) = (g.as_ref(), d.as_deref());
    let cols = match &codes {
        Codes::I8(c, m) => score_codes(inst, c, *m, refused_as(o), n_items, g, d, o, n),
        Codes::U8(c, m) => score_codes(inst, c, *m, refused_as(o), n_items, g, d, o, n),
        Codes::I16(c, m) => score_codes(inst, c, *m, refused_as(o), n_items, g, d, o, n),
        Codes::U16(c, m) => score_codes(inst, c, *m, refused_as(o), n_items, g, d, o, n),
        Codes::I32(c, m) => score_codes(inst, c, *m, refused_as(o), n_items, g, d, o, n),
        Codes::U32(c, m) => score_codes(inst, c, *m, refused_as(o), n_items, g, d, o, n),
        Codes::I64(c, m) => score_codes(inst, c, *m, refused_as(o), n_items, g, d, o, n),
        Codes::U64(c, m) => score_codes(inst, c, *m, refused_as::<u64>(o), n_items, g, d, o, n),
    }?;
    let mut arrays: Vec<ArrayRef> = Vec::with_capacity(schema.fields().len());
    for name in o.keep {
        arrays.push(Arc::clone(column(batch, name, "kept")?));
    }
    arrays.extend(score_arrays(cols, o.instrument));
    RecordBatch::try_new_with_options(Arc::clone(schema), arrays, &RecordBatchOptions::new().with_row_count(Some(n)))
        .map_err(|e| shape("output", format!("output batch: {e}")))
}

fn decimal(mantissas: &[i64], decimals: u32) -> ArrayRef {
    let a: Decimal128Array = mantissas.iter().map(|&m| (m != UNSCORED).then_some(i128::from(m))).collect();
    // Precision 18 holds every value the core's limits allow; the scale is the scale's decimals.
    let scale = i8::try_from(decimals).unwrap_or(i8::MAX);
    Arc::new(
        a.with_precision_and_scale(DECIMAL_PRECISION, scale)
            .unwrap_or_else(|_| Decimal128Array::from(Vec::<i128>::new())),
    )
}

/// The output arrays of one scored batch, in the order of [`score_fields`].
fn score_arrays(cols: BatchColumns, inst: &Instrument) -> Vec<ArrayRef> {
    let mut out: Vec<ArrayRef> = Vec::new();
    let has_screen = inst.spec().screen_positive.is_some();
    for s in cols.scales {
        out.push(decimal(&s.raw, s.raw_decimals));
        out.push(decimal(&s.score, s.score_decimals));
        let keys: Int8Array = s.band.iter().map(|&b| (b >= 0).then_some(b)).collect();
        let values = StringArray::from(s.band_ids.clone());
        let dict = DictionaryArray::<Int8Type>::try_new(keys, Arc::new(values))
            .unwrap_or_else(|_| DictionaryArray::<Int8Type>::from_iter(std::iter::empty::<Option<&str>>()));
        out.push(Arc::new(dict));
        out.push(Arc::new(UInt16Array::from(s.answered)));
        out.push(Arc::new(BooleanArray::from(s.prorated)));
    }
    for bit in 0..cols.flag_ids.len() {
        let col: BooleanArray = cols
            .flags
            .iter()
            .zip(&cols.flags_indeterminate)
            .map(|(p, u)| {
                if p >> bit & 1 == 1 {
                    Some(true)
                } else if u >> bit & 1 == 1 {
                    None
                } else {
                    Some(false)
                }
            })
            .collect();
        out.push(Arc::new(col));
    }
    out.push(Arc::new(UInt64Array::from(cols.flags)));
    out.push(Arc::new(UInt64Array::from(cols.flags_indeterminate)));
    out.push(Arc::new(UInt8Array::from(cols.validity)));
    if has_screen {
        out.push(Arc::new(UInt8Array::from(cols.screen)));
    }
    out
}

/// The score fields of `inst` with column-name prefix `prefix` (see the module doc).
fn score_fields(inst: &Instrument, prefix: &str) -> Result<Vec<Field>, Fail> {
    // Decimals and band ids as the engine reports them: score a batch of no rows.
    let empty: [i8; 0] = [];
    let groups: Vec<BTreeMap<String, String>> = Vec::new();
    let input = BatchInput {
        codes: &empty[..],
        n_items: inst.item_count(),
        missing: i8::MIN,
        refused: None,
        groups: Some(BatchGroups {
            row_group: &[],
            groups: &groups,
        }),
        durations: None,
        code_map: None,
    };
    let cols = inst.score_batch(&input)?;
    let mut f = Vec::new();
    let dict = DataType::Dictionary(Box::new(DataType::Int8), Box::new(DataType::Utf8));
    for s in &cols.scales {
        let dec = |d: u32| DataType::Decimal128(DECIMAL_PRECISION, i8::try_from(d).unwrap_or(i8::MAX));
        f.push(Field::new(format!("{prefix}{}", s.id), dec(s.raw_decimals), true));
        f.push(Field::new(format!("{prefix}{}_score", s.id), dec(s.score_decimals), true));
        f.push(Field::new(format!("{prefix}{}_band", s.id), dict.clone(), true));
        f.push(Field::new(format!("{prefix}{}_answered", s.id), DataType::UInt16, false));
        f.push(Field::new(format!("{prefix}{}_prorated", s.id), DataType::Boolean, false));
    }
    for id in &cols.flag_ids {
        f.push(Field::new(format!("{prefix}flag_{id}"), DataType::Boolean, true));
    }
    f.push(Field::new(format!("{prefix}flags"), DataType::UInt64, false));
    f.push(Field::new(format!("{prefix}flags_indeterminate"), DataType::UInt64, false));
    f.push(Field::new(format!("{prefix}validity"), DataType::UInt8, false));
    if inst.spec().screen_positive.is_some() {
        f.push(Field::new(format!("{prefix}screen"), DataType::UInt8, false));
    }
    Ok(f)
}

fn output_schema(inst: &Instrument, input: &Schema, o: &Options<'_>) -> Result<SchemaRef, Fail> {
    let mut fields: Vec<Field> = Vec::new();
    for name in o.keep {
        let f = input
            .field_with_name(name)
            .map_err(|_| Fail::Key(format!("kept column {name:?} is not in the Arrow data")))?;
        fields.push(f.clone());
    }
    fields.extend(score_fields(inst, o.prefix)?);
    // One metadata entry (a map's order is not fixed; one key keeps the schema's bytes stable).
    let about = serde_json::json!({
        "instrument": inst.spec().id,
        "version": inst.spec().version,
        "verdict_codes": "0 negative, 1 positive, 2 indeterminate",
        "validity_codes": "0 valid, 1 incomplete, 2 invalid",
        "flags": "null = indeterminate",
    });
    let meta = [("changkaixin".to_owned(), about.to_string())];
    Ok(Arc::new(Schema::new_with_metadata(fields, meta.into_iter().collect())))
}

/// The pyarrow schema `score_arrow` returns for `instrument` (no kept columns).
#[pyfunction]
#[pyo3(signature = (instrument, prefix=String::new()))]
pub fn arrow_score_schema<'py>(py: Python<'py>, instrument: &NativeInstrument, prefix: String) -> PyResult<Bound<'py, PyAny>> {
    let o = Options {
        instrument: &instrument.inner,
        items: &[],
        missing: None,
        refused: None,
        group_columns: &[],
        duration_column: None,
        keep: &[],
        prefix: &prefix,
        threads: 1,
        code_map: None,
    };
    let schema = output_schema(&instrument.inner, &Schema::empty(), &o).map_err(|f| f.into_py(py))?;
    pyo3_arrow::PySchema::new(schema).into_pyarrow(py)
}

/// Score Arrow data (see the module doc); a pyarrow `RecordBatch` for a record-batch input,
/// a pyarrow `Table` (one output batch per input batch) for a stream or table.
#[pyfunction]
#[pyo3(signature = (instrument, data, items, missing=None, refused=None, group_columns=Vec::new(), duration_column=None, keep=Vec::new(), prefix=String::new(), threads=1, code_map=None))]
#[allow(clippy::too_many_arguments)]
pub fn score_arrow<'py>(
    py: Python<'py>,
    instrument: &NativeInstrument,
    data: AnyRecordBatch,
    items: Vec<String>,
    missing: Option<i64>,
    refused: Option<i64>,
    group_columns: Vec<String>,
    duration_column: Option<String>,
    keep: Vec<String>,
    prefix: String,
    threads: usize,
    code_map: Option<PyRef<'py, NativeCodeMap>>,
) -> PyResult<Bound<'py, PyAny>> {
    let single = matches!(data, AnyRecordBatch::RecordBatch(_));
    let reader = data.into_reader()?;
    let in_schema = reader.schema();
    let batches: Vec<RecordBatch> = reader
        .collect::<Result<_, _>>()
        .map_err(|e| PyTypeError::new_err(format!("reading the Arrow data: {e}")))?;
    let o = Options {
        instrument: &instrument.inner,
        items: &items,
        missing,
        refused,
        group_columns: &group_columns,
        duration_column: duration_column.as_deref(),
        keep: &keep,
        prefix: &prefix,
        threads,
        code_map: code_map.as_deref().map(|m| &m.inner),
    };
    let result = py.detach(|| -> Result<(SchemaRef, Vec<RecordBatch>), (usize, Fail)> {
        let schema = output_schema(o.instrument, &in_schema, &o).map_err(|f| (0, f))?;
        let mut out = Vec::with_capacity(batches.len());
        let mut first_row = 0usize;
        for b in &batches {
            let scored = score_one(b, &o, &schema).map_err(|f| (first_row, f))?;
            first_row += b.num_rows();
            out.push(scored);
        }
        Ok((schema, out))
    });
    to_pyarrow(py, single, result)
}

/// The output of a call over record batches: a pyarrow `RecordBatch` for a record-batch input,
/// a `Table` otherwise; a failure as its Python exception, its row counted from the whole input
/// (the batch's first row is the offset), not from its batch.
fn to_pyarrow<'py>(py: Python<'py>, single: bool, result: Result<(SchemaRef, Vec<RecordBatch>), (usize, Fail)>) -> PyResult<Bound<'py, PyAny>> {
    let (schema, out) = result.map_err(|(offset, f)| match f {
        Fail::Core(e) => {
            let e = match e.row() {
                Some(r) if offset > 0 => e.with_row(r + offset as u64),
                _ => e,
            };
            Fail::Core(e).into_py(py)
        }
        other => other.into_py(py),
    })?;
    if single {
        let batch = match out.into_iter().next() {
            Some(b) => b,
            None => RecordBatch::new_empty(schema),
        };
        PyRecordBatch::new(batch).into_pyarrow(py)
    } else {
        PyTable::try_new(out, schema)?.into_pyarrow(py)
    }
}

// ---------------------------------------------------------------------------------------------
// Tiers from answer columns: the core's columnar alert entry (`alert::columnar`), no evidence
// JSON and no per-student objects.

/// The tier columns (`changkaixin.arrow.TIER_COLUMNS`) after the kept input fields.
fn tier_fields(input: &Schema, keep: &[String]) -> Result<Vec<Field>, Fail> {
    let mut fields = Vec::with_capacity(keep.len() + 8);
    for k in keep {
        let f = input
            .field_with_name(k)
            .map_err(|_| Fail::Key(format!("kept column {k:?} is not in the input")))?;
        fields.push(f.clone());
    }
    let list = DataType::List(Arc::new(Field::new("item", DataType::Utf8, true)));
    for (name, t) in [
        ("tier", DataType::Utf8),
        ("tier_index", DataType::Int8),
        ("rule_tier", DataType::Utf8),
        ("change", DataType::Utf8),
        ("rules", list),
        ("overdue", DataType::Int32),
        ("error", DataType::Utf8),
        ("error_message", DataType::Utf8),
    ] {
        if keep.iter().any(|k| k == name) {
            return Err(Fail::Type(format!("kept column {name:?} has the name of a tier column: rename it first")));
        }
        fields.push(Field::new(name, t, true));
    }
    Ok(fields)
}

/// One screening of the cohort: an instrument and its answer columns.
struct Screening<'a> {
    instrument: &'a Instrument,
    items: &'a [String],
}

/// Tier one record batch from its answer columns.
#[allow(clippy::too_many_arguments)]
fn tier_one(
    batch: &RecordBatch,
    policy: &changkaixin_core::alert::CompiledPolicy,
    screenings: &[Screening<'_>],
    o: &TierOptions<'_>,
    schema: &SchemaRef,
) -> Result<RecordBatch, Fail> {
    use changkaixin_core::alert::columnar::{Times, REFUSED};
    use changkaixin_core::alert::{evaluate_columns, CohortColumns, ScreeningColumns};
    use changkaixin_core::scoring::report::InstrumentRef;
    let n = batch.num_rows();
    let ids_col = column(batch, o.student, "student")?;
    let ids_str = arrow_cast::cast(ids_col, &DataType::Utf8).map_err(|e| Fail::Type(format!("student column {:?}: {e}", o.student)))?;
    let ids_str = ids_str.as_string::<i32>();
    if let Some(r) = (0..n).find(|&r| ids_str.is_null(r)) {
        return Err(Fail::Core(
            Error::new(
                ErrorCode::BatchShape,
                "student",
                format!("student column {:?} is null at row {r}: every student needs an id", o.student),
            )
            .with_row(r as u64),
        ));
    }
    let ids: Vec<String> = (0..n).map(|r| ids_str.value(r).to_owned()).collect();
    let mut widened: Vec<Option<Vec<ArrayRef>>> = screenings.iter().map(|_| None).collect();
    let mut buffers = Vec::with_capacity(screenings.len());
    for (s, w) in screenings.iter().zip(widened.iter_mut()) {
        let so = Options {
            instrument: s.instrument,
            items: s.items,
            missing: o.missing,
            refused: o.refused,
            group_columns: &[],
            duration_column: None,
            keep: &[],
            prefix: "",
            threads: 1,
            code_map: None,
        };
        buffers.push(codes(batch, &so, s.instrument.item_count(), w)?);
    }
    let mut cohort = CohortColumns::new(policy, n).with_ids(ids)?;
    for (s, c) in screenings.iter().zip(&buffers) {
        let inst = s.instrument;
        let r = InstrumentRef {
            id: inst.id().to_owned(),
            version: inst.version().to_owned(),
            settings: inst.settings().clone(),
        };
        let k = inst.item_count();
        let refused = o.refused;
        macro_rules! screen {
            ($codes:expr, $m:expr) => {{
                let input = BatchInput {
                    codes: &$codes[..],
                    n_items: k,
                    missing: *$m,
                    refused: refused.and_then(|x| x.try_into().ok()),
                    groups: None,
                    durations: None,
                    code_map: None,
                };
                ScreeningColumns::score(policy, &r, input, Times::Same(o.screened_at))
            }};
        }
        let sc = match c {
            Codes::I8(v, m) => screen!(v, m),
            Codes::U8(v, m) => screen!(v, m),
            Codes::I16(v, m) => screen!(v, m),
            Codes::U16(v, m) => screen!(v, m),
            Codes::I32(v, m) => screen!(v, m),
            Codes::U32(v, m) => screen!(v, m),
            Codes::I64(v, m) => screen!(v, m),
            Codes::U64(v, m) => screen!(v, m),
        }?;
        cohort = cohort.with_screening(sc)?;
    }
    let t = evaluate_columns(policy, &cohort, o.at)?;
    let name = |c: u8| (c != REFUSED).then(|| t.tier_ids.get(usize::from(c)).cloned()).flatten();
    let tier: StringArray = t.tier.iter().map(|&c| name(c)).collect();
    let tier_index: Int8Array = t.tier.iter().map(|&c| (c != REFUSED).then(|| i8::try_from(c).ok()).flatten()).collect();
    let rule_tier: StringArray = t
        .tier
        .iter()
        .zip(&t.rule_tier)
        .map(|(&c, &rc)| if c == REFUSED { None } else { name(rc) })
        .collect();
    let change: StringArray = t
        .tier
        .iter()
        .zip(&t.change)
        .map(|(&c, ch)| {
            (c != REFUSED).then_some(match ch {
                changkaixin_core::alert::Change::Raised => "raised",
                changkaixin_core::alert::Change::Unchanged => "unchanged",
                changkaixin_core::alert::Change::Held => "held",
                changkaixin_core::alert::Change::LoweredByReview => "lowered_by_review",
            })
        })
        .collect();
    let mut rules = arrow_array::builder::ListBuilder::new(arrow_array::builder::StringBuilder::new());
    for (&c, set) in t.tier.iter().zip(&t.rules) {
        if c == REFUSED {
            rules.append_null();
        } else {
            for i in set.iter() {
                rules.values().append_value(t.rule_ids.get(i).map_or("", String::as_str));
            }
            rules.append(true);
        }
    }
    let mut overdue = vec![0i32; n];
    for (&row, &due) in t.due.row.iter().zip(&t.due.due_at) {
        if due < o.overdue_at {
            if let Some(x) = overdue.get_mut(row as usize) {
                *x += 1;
            }
        }
    }
    let mut error: Vec<Option<String>> = vec![None; n];
    let mut message: Vec<Option<String>> = vec![None; n];
    for e in &t.errors {
        let r = e.row as usize;
        if r < n {
            error[r] = Some(e.error.code().to_owned());
            message[r] = Some(format!("{} (at {})", e.error.message(), e.error.path()));
        }
    }
    let mut arrays: Vec<ArrayRef> = Vec::with_capacity(schema.fields().len());
    for k in o.keep {
        arrays.push(Arc::clone(column(batch, k, "kept")?));
    }
    arrays.extend([
        Arc::new(tier) as ArrayRef,
        Arc::new(tier_index),
        Arc::new(rule_tier),
        Arc::new(change),
        Arc::new(rules.finish()),
        Arc::new(arrow_array::Int32Array::from(overdue)),
        Arc::new(StringArray::from(error)),
        Arc::new(StringArray::from(message)),
    ]);
    RecordBatch::try_new_with_options(Arc::clone(schema), arrays, &RecordBatchOptions::new().with_row_count(Some(n)))
        .map_err(|e| shape("output", format!("output batch: {e}")))
}

struct TierOptions<'a> {
    student: &'a str,
    keep: &'a [String],
    missing: Option<i64>,
    refused: Option<i64>,
    screened_at: i64,
    at: changkaixin_core::alert::Timestamp,
    overdue_at: i64,
}

/// Tiers from answer columns (see `changkaixin.arrow.tiers_from_answers`): every row one
/// student, `screenings` the instruments and their item columns, all screened at `screened_at`.
#[pyfunction]
#[pyo3(signature = (policy, data, screenings, screened_at, at, student, keep=Vec::new(), overdue_at=None, missing=None, refused=None))]
#[allow(clippy::too_many_arguments)]
pub fn tiers_answers_arrow<'py>(
    py: Python<'py>,
    policy: &crate::alert::NativePolicy,
    data: AnyRecordBatch,
    screenings: Vec<(PyRef<'py, NativeInstrument>, Vec<String>)>,
    screened_at: &str,
    at: &str,
    student: String,
    keep: Vec<String>,
    overdue_at: Option<&str>,
    missing: Option<i64>,
    refused: Option<i64>,
) -> PyResult<Bound<'py, PyAny>> {
    use changkaixin_core::alert::Timestamp;
    let parse = |s: &str| Timestamp::parse(s).map_err(|e| crate::error::to_py(py, &e));
    let at_t = parse(at)?;
    let screened = parse(screened_at)?;
    let overdue = overdue_at.map(parse).transpose()?.unwrap_or(at_t);
    let single = matches!(data, AnyRecordBatch::RecordBatch(_));
    let reader = data.into_reader()?;
    let in_schema = reader.schema();
    let batches: Vec<RecordBatch> = reader
        .collect::<Result<_, _>>()
        .map_err(|e| PyTypeError::new_err(format!("reading the Arrow data: {e}")))?;
    let list: Vec<Screening<'_>> = screenings.iter().map(|(i, items)| Screening { instrument: &i.inner, items }).collect();
    let o = TierOptions {
        student: &student,
        keep: &keep,
        missing,
        refused,
        screened_at: screened.unix(),
        at: at_t,
        overdue_at: overdue.unix(),
    };
    let inner = &policy.inner;
    let result = py.detach(|| -> Result<(SchemaRef, Vec<RecordBatch>), (usize, Fail)> {
        let schema: SchemaRef = Arc::new(Schema::new(tier_fields(&in_schema, o.keep).map_err(|f| (0, f))?));
        let mut out = Vec::with_capacity(batches.len());
        let mut first_row = 0usize;
        for b in &batches {
            out.push(tier_one(b, inner, &list, &o, &schema).map_err(|f| (first_row, f))?);
            first_row += b.num_rows();
        }
        Ok((schema, out))
    });
    to_pyarrow(py, single, result)
}
