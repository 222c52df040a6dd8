//! Columnar batch scoring over numpy buffers: C-order read in place, output moved to numpy,
//! GIL released.
//!
//! Everything per cell or per row happens in Rust with the GIL released: scoring (the core's
//! parallel batch, which also writes the verdict column of each flag in its threads) and the
//! F-order → row-major pass for column-major arrays. The GIL is held only to look at the arrays
//! and to wrap the finished columns (`into_pyarray`: numpy takes ownership of the Rust
//! allocation, nothing is copied).

use crate::error::IntoPyResult;
use crate::instrument::NativeCodeMap;
use crate::instrument::NativeInstrument;
use changkaixin_core::scoring::batch::{BatchGroups, Code};
use changkaixin_core::scoring::compact::{CompactColumns, Values};
use changkaixin_core::scoring::recode::CodeMap;
use changkaixin_core::{BatchColumns, BatchInput, Error, ErrorCode};
use numpy::{IntoPyArray, PyArray2, PyArrayMethods, PyReadonlyArray1, PyReadonlyArray2, PyUntypedArrayMethods};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use std::collections::BTreeMap;

fn shape_err(py: Python<'_>, path: &str, msg: String) -> PyErr {
    crate::error::to_py(py, &Error::new(ErrorCode::BatchShape, path, msg))
}

/// A Python sentinel (any int up to u64) as the buffer's element type, or a `batch.shape` error.
fn sentinel<T: Code + TryFrom<i128>>(py: Python<'_>, name: &str, v: i128, dtype: &str) -> PyResult<T> {
    T::try_from(v).map_err(|_| {
        shape_err(
            py,
            name,
            format!("the {name} sentinel {v} does not fit the array's dtype {dtype}; pick one that does (e.g. 255 for uint8)"),
        )
    })
}

struct Extras<'a> {
    threads: usize,
    missing: i128,
    refused: Option<i128>,
    groups: Option<BatchGroups<'a>>,
    durations: Option<&'a [i64]>,
    code_map: Option<&'a CodeMap>,
}

/// Threads actually used for `n_rows` rows (0 = every core). Below a few blocks per thread,
/// starting a thread costs more than it saves, so small batches stay on the calling thread.
pub(crate) fn effective_threads(threads: usize, n_rows: usize) -> usize {
    /// Rows per extra thread at least (a thread start is ~20-50 µs; 16,384 PHQ-9 rows are ~0.2 ms).
    const MIN_ROWS_PER_THREAD: usize = 16_384;
    let t = match threads {
        0 => std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get),
        t => t,
    };
    t.min(n_rows / MIN_ROWS_PER_THREAD).max(1)
}

/// Column-major `src` (`n_items` columns of `n_rows`) into row-major order, in cache-sized row
/// blocks (each block reads `n_items` short runs and writes one contiguous range), split over
/// `threads` threads. Values are only moved, never interpreted: validation stays in the core.
fn to_row_major<T: Copy + Default + Send + Sync>(src: &[T], n_rows: usize, n_items: usize, threads: usize) -> Vec<T> {
    const BLOCK_ROWS: usize = 2048;
    let mut out = vec![T::default(); n_rows * n_items];
    if n_items == 0 || n_rows == 0 {
        return out;
    }
    let fill = |dst: &mut [T], first_row: usize| {
        for (b, chunk) in dst.chunks_mut(BLOCK_ROWS * n_items).enumerate() {
            let r0 = first_row + b * BLOCK_ROWS;
            let bn = chunk.len() / n_items;
            for j in 0..n_items {
                let col = &src[j * n_rows + r0..j * n_rows + r0 + bn];
                for (o, &v) in chunk[j..].iter_mut().step_by(n_items).zip(col) {
                    *o = v;
                }
            }
        }
    };
    let threads = threads.max(1);
    if threads == 1 {
        fill(&mut out, 0);
        return out;
    }
    let per = n_rows.div_ceil(threads);
    std::thread::scope(|scope| {
        let mut parts = out.chunks_mut(per * n_items).enumerate();
        let first = parts.next();
        for (t, part) in parts {
            let fill = &fill;
            scope.spawn(move || fill(part, t * per));
        }
        if let Some((_, part)) = first {
            fill(part, 0);
        }
    });
    out
}

/// What the GIL-free part hands back: the core's columns (wide or compact) and the flag
/// verdict columns.
struct Scored<C> {
    columns: C,
    verdicts: Vec<Vec<u8>>,
}

/// The two column layouts a batch is scored into.
trait Layout: Sized + Send {
    fn score<T: Code>(inst: &changkaixin_core::Instrument, input: &BatchInput<'_, T>, threads: usize) -> Result<Self, Error>;
    fn verdicts(&mut self) -> Vec<Vec<u8>>;
}

impl Layout for BatchColumns {
    fn score<T: Code>(inst: &changkaixin_core::Instrument, input: &BatchInput<'_, T>, threads: usize) -> Result<Self, Error> {
        // The core writes the verdict columns in its threads, block by block (no second pass).
        let mut out = BatchColumns {
            verdicts: Some(Vec::new()),
            ..BatchColumns::default()
        };
        inst.score_batch_into_with_kernel(input, &mut out, threads, changkaixin_core::BatchKernel::Auto)?;
        Ok(out)
    }
    fn verdicts(&mut self) -> Vec<Vec<u8>> {
        self.take_verdict_columns()
    }
}

impl Layout for CompactColumns {
    fn score<T: Code>(inst: &changkaixin_core::Instrument, input: &BatchInput<'_, T>, threads: usize) -> Result<Self, Error> {
        // The core writes the verdict columns in its own threads, each for its rows.
        let mut out = CompactColumns {
            verdicts: Some(Vec::new()),
            ..CompactColumns::default()
        };
        inst.score_batch_compact_into(input, &mut out, threads, changkaixin_core::BatchKernel::Auto)?;
        Ok(out)
    }
    fn verdicts(&mut self) -> Vec<Vec<u8>> {
        self.take_verdict_columns()
    }
}

fn run<T: Code + TryFrom<i128> + numpy::Element + Default, L: Layout>(
    py: Python<'_>,
    inst: &NativeInstrument,
    codes: &PyReadonlyArray2<'_, T>,
    x: &Extras<'_>,
    dtype: &str,
) -> PyResult<Scored<L>> {
    let (n_rows, n_items) = (codes.shape()[0], codes.shape()[1]);
    // C order is read in place. F order (e.g. `DataFrame.to_numpy()` of one integer dtype) is
    // brought into row order below, in Rust with the GIL released; anything else is refused
    // here and converted by the Python wrapper.
    let fortran = !codes.is_c_contiguous() && codes.is_fortran_contiguous() && n_items > 1 && n_rows > 1;
    if !fortran && !codes.is_c_contiguous() {
        return Err(shape_err(
            py,
            "codes",
            "the codes array must be C- or F-contiguous (np.ascontiguousarray)".to_owned(),
        ));
    }
    let slice = codes
        .as_slice()
        .map_err(|e| shape_err(py, "codes", format!("the codes array cannot be read as one buffer: {e}")))?;
    let missing = sentinel::<T>(py, "missing", x.missing, dtype)?;
    let refused = x.refused.map(|r| sentinel::<T>(py, "refused", r, dtype)).transpose()?;
    let inner = &inst.inner;
    let threads = effective_threads(x.threads, n_rows);
    let (groups, durations, code_map) = (x.groups, x.durations, x.code_map);
    py.detach(move || {
        let row_major;
        let codes = if fortran {
            row_major = to_row_major(slice, n_rows, n_items, threads);
            &row_major[..]
        } else {
            slice
        };
        let input = BatchInput {
            codes,
            n_items,
            missing,
            refused,
            groups,
            durations,
            code_map,
        };
        // The core splits the rows over threads (same bytes as one thread).
        let mut columns = L::score(inner, &input, threads)?;
        let verdicts = columns.verdicts();
        Ok(Scored { columns, verdicts })
    })
    .py(py)
}

/// Score a 2-D integer array (rows × items) on `threads` threads (0 = every core; the core's
/// parallel batch, identical to one thread); returns a dict of numpy columns (see `changkaixin.BatchResult`).
#[pyfunction]
#[pyo3(signature = (instrument, codes, missing, refused=None, row_group=None, groups=None, durations=None, threads=1, code_map=None, compact=false))]
#[allow(clippy::too_many_arguments)]
pub fn score_batch<'py>(
    py: Python<'py>,
    instrument: &NativeInstrument,
    codes: &Bound<'py, PyAny>,
    missing: i128,
    refused: Option<i128>,
    row_group: Option<PyReadonlyArray1<'py, u32>>,
    groups: Option<Vec<BTreeMap<String, String>>>,
    durations: Option<PyReadonlyArray1<'py, i64>>,
    threads: usize,
    code_map: Option<PyRef<'py, NativeCodeMap>>,
    compact: bool,
) -> PyResult<Bound<'py, PyDict>> {
    let rg = match &row_group {
        Some(a) => Some(a.as_slice().map_err(|e| shape_err(py, "groups", format!("row groups: {e}")))?),
        None => None,
    };
    let group_list = groups.unwrap_or_default();
    let groups = rg.map(|row_group| BatchGroups {
        row_group,
        groups: &group_list,
    });
    let durations = match &durations {
        Some(a) => Some(a.as_slice().map_err(|e| shape_err(py, "durations", format!("durations: {e}")))?),
        None => None,
    };
    let x = Extras {
        threads,
        missing,
        refused,
        groups,
        durations,
        code_map: code_map.as_deref().map(|m| &m.inner),
    };
    let has_screen = instrument.inner.spec().screen_positive.is_some();
    macro_rules! try_dtype {
        ($($t:ty => $name:literal),*) => {
            $( if let Ok(a) = codes.cast::<PyArray2<$t>>() {
                let a = a.try_readonly()?;
                if compact {
                    return compact_columns(py, run::<$t, CompactColumns>(py, instrument, &a, &x, $name)?, has_screen);
                }
                return columns(py, run::<$t, BatchColumns>(py, instrument, &a, &x, $name)?, has_screen);
            } )*
        };
    }
    try_dtype!(i8 => "int8", u8 => "uint8", i16 => "int16", u16 => "uint16", i32 => "int32", u32 => "uint32", i64 => "int64", u64 => "uint64");
    Err(PyTypeError::new_err(
        "codes must be a 2-D numpy array of an integer dtype (int8/16/32/64 or uint8/16/32/64)",
    ))
}

/// A scale's entry of the result dict: its id, decimals and band ids (both layouts).
fn scale_dict<'py>(py: Python<'py>, id: String, raw_decimals: u32, score_decimals: u32, band_ids: Vec<String>) -> PyResult<Bound<'py, PyDict>> {
    let sd = PyDict::new(py);
    sd.set_item("id", id)?;
    sd.set_item("raw_decimals", raw_decimals)?;
    sd.set_item("score_decimals", score_decimals)?;
    sd.set_item("band_ids", band_ids)?;
    Ok(sd)
}

/// The per-row entries both layouts share: one verdict-code column per flag (0 negative,
/// 1 positive, 2 indeterminate), the flag ids, validity, and the screen verdict codes (`None`
/// when the instrument defines no screen-positive rule).
fn row_columns(
    d: &Bound<'_, PyDict>,
    verdicts: Vec<Vec<u8>>,
    flag_ids: Vec<String>,
    validity: Vec<u8>,
    screen: Vec<u8>,
    n_rows: usize,
    has_screen: bool,
) -> PyResult<()> {
    let py = d.py();
    let flag_columns = PyList::empty(py);
    for col in verdicts {
        flag_columns.append(col.into_pyarray(py))?;
    }
    d.set_item("flag_columns", flag_columns)?;
    d.set_item("flag_ids", flag_ids)?;
    d.set_item("validity", validity.into_pyarray(py))?;
    if screen.len() == n_rows && has_screen {
        d.set_item("screen", screen.into_pyarray(py))?;
    } else {
        d.set_item("screen", py.None())?;
    }
    Ok(())
}

/// Move the core's columns into numpy arrays without copying (numpy owns the Rust allocations).
fn columns(py: Python<'_>, scored: Scored<BatchColumns>, has_screen: bool) -> PyResult<Bound<'_, PyDict>> {
    let Scored { columns: out, verdicts } = scored;
    let d = PyDict::new(py);
    d.set_item("compact", false)?;
    d.set_item("n_rows", out.n_rows)?;
    let scales = PyList::empty(py);
    for s in out.scales {
        let sd = scale_dict(py, s.id, s.raw_decimals, s.score_decimals, s.band_ids)?;
        sd.set_item("raw", s.raw.into_pyarray(py))?;
        sd.set_item("score", s.score.into_pyarray(py))?;
        sd.set_item("band", s.band.into_pyarray(py))?;
        sd.set_item("answered", s.answered.into_pyarray(py))?;
        sd.set_item("prorated", s.prorated.into_pyarray(py))?;
        scales.append(sd)?;
    }
    d.set_item("scales", scales)?;
    d.set_item("flags", out.flags.into_pyarray(py))?;
    d.set_item("flags_indeterminate", out.flags_indeterminate.into_pyarray(py))?;
    row_columns(&d, verdicts, out.flag_ids, out.validity, out.screen, out.n_rows, has_screen)?;
    Ok(d)
}

/// A compact value column as the numpy array of its width (moved, not copied).
fn values_array(py: Python<'_>, v: Values) -> Bound<'_, PyAny> {
    match v {
        Values::I16(v) => v.into_pyarray(py).into_any(),
        Values::I32(v) => v.into_pyarray(py).into_any(),
        Values::I64(v) => v.into_pyarray(py).into_any(),
    }
}

/// Row-major flag bytes (`b` a row, flag `i` bit `i % 8` of byte `i / 8`) as one little-endian
/// word a row in the narrowest of `uint8`/`uint16`/`uint32`/`uint64` that holds `8 b` bits,
/// so bit `i` of a row's word is flag `i`, as in the wide `uint64` bitsets. One byte a row
/// (up to 8 flags: every built-in instrument) is moved as it is.
fn flag_words(py: Python<'_>, bytes: Vec<u8>, b: usize, n_rows: usize) -> Bound<'_, PyAny> {
    fn pack<W: Default + Copy + From<u8> + std::ops::Shl<u32, Output = W> + std::ops::BitOr<Output = W>>(bytes: &[u8], b: usize, n: usize) -> Vec<W> {
        let mut out = vec![W::default(); n];
        for (w, row) in out.iter_mut().zip(bytes.chunks_exact(b.max(1))) {
            *w = row.iter().enumerate().fold(W::default(), |acc, (k, &x)| acc | (W::from(x) << (8 * k as u32)));
        }
        out
    }
    match b {
        0 => vec![0u8; n_rows].into_pyarray(py).into_any(),
        1 => bytes.into_pyarray(py).into_any(),
        2 => pack::<u16>(&bytes, b, n_rows).into_pyarray(py).into_any(),
        3 | 4 => pack::<u32>(&bytes, b, n_rows).into_pyarray(py).into_any(),
        _ => pack::<u64>(&bytes, b, n_rows).into_pyarray(py).into_any(),
    }
}

/// Move the core's compact columns into numpy arrays (see `changkaixin.BatchResult`, compact).
fn compact_columns(py: Python<'_>, scored: Scored<CompactColumns>, has_screen: bool) -> PyResult<Bound<'_, PyDict>> {
    let Scored { columns: out, verdicts } = scored;
    let d = PyDict::new(py);
    d.set_item("compact", true)?;
    d.set_item("n_rows", out.n_rows)?;
    let scales = PyList::empty(py);
    for s in out.scales {
        let sd = scale_dict(py, s.id, s.raw_decimals, s.score_decimals, s.band_ids)?;
        sd.set_item("raw", values_array(py, s.raw))?;
        // `None`: no norms (the score is the raw value) / a rule that never prorates.
        sd.set_item("score", s.score.map(|v| values_array(py, v)))?;
        sd.set_item("band", s.band.into_pyarray(py))?;
        sd.set_item("prorated", s.prorated.map(|p| p.into_pyarray(py)))?;
        scales.append(sd)?;
    }
    d.set_item("scales", scales)?;
    d.set_item("flags", flag_words(py, out.flags, out.flag_bytes, out.n_rows))?;
    d.set_item("flags_indeterminate", flag_words(py, out.flags_indeterminate, out.flag_bytes, out.n_rows))?;
    row_columns(&d, verdicts, out.flag_ids, out.validity, out.screen, out.n_rows, has_screen)?;
    Ok(d)
}

/// Integer code types a float frame may be converted to (the narrowest that holds every code
/// and the missing sentinel, so the batch reads as few bytes as possible).
trait FromCode: Copy + Default + Send + Sync + numpy::Element {
    const MIN: i64;
    const MAX: i64;
    /// Truncating cast (the caller keeps the result only when every value was in range).
    fn wrap(v: i64) -> Self;
}
macro_rules! from_code {
    ($($t:ty),*) => {$(
        impl FromCode for $t {
            const MIN: i64 = <$t>::MIN as i64;
            const MAX: i64 = <$t>::MAX as i64;
            #[inline(always)]
            fn wrap(v: i64) -> Self {
                v as $t
            }
        }
    )*};
}
from_code!(i8, i16, i32, i64);

/// The outcome of one conversion pass over float codes.
struct FloatPass<T> {
    out: Vec<T>,
    /// Least and greatest code seen (NaN cells excluded).
    lo: i64,
    hi: i64,
    /// The first cell in row-major order that is neither NaN nor an exact integer.
    bad: Option<(usize, usize)>,
}

/// One fused pass: float `values` (row-major, or columns of `n_rows` when `fortran`) → row-major
/// codes of type `T` (NaN → `missing`), with the range of the codes and the first non-integer cell.
/// Values are truncated to `T`; the caller keeps the result only if `lo..=hi` fits.
fn float_pass<T: FromCode>(values: &[f64], n_rows: usize, n_cols: usize, fortran: bool, missing: T) -> FloatPass<T> {
    /// Integers beyond 2^53 are not exact in f64 (and no option code is near).
    const EXACT: i64 = 1 << 53;
    let (mut lo, mut hi) = (i64::MAX, i64::MIN);
    let mut bad: Option<(usize, usize)> = None;
    // `k`: the cell's index in `values`.
    let (rows, cols) = (n_rows.max(1), n_cols.max(1));
    let mut cell = |v: f64, k: usize| -> T {
        if v.is_nan() {
            return missing;
        }
        let i = v as i64;
        if i as f64 != v || !(-EXACT..=EXACT).contains(&i) {
            let at = if fortran { (k % rows, k / rows) } else { (k / cols, k % cols) };
            bad = Some(bad.map_or(at, |b| b.min(at)));
        }
        lo = lo.min(i);
        hi = hi.max(i);
        T::wrap(i)
    };
    let out = if !fortran || n_cols <= 1 || n_rows <= 1 {
        values.iter().enumerate().map(|(k, &v)| cell(v, k)).collect()
    } else {
        const BLOCK_ROWS: usize = 2048;
        let mut out = vec![T::default(); n_rows * n_cols];
        for (b, chunk) in out.chunks_mut(BLOCK_ROWS * n_cols).enumerate() {
            let r0 = b * BLOCK_ROWS;
            let bn = chunk.len() / n_cols;
            for j in 0..n_cols {
                let col = &values[j * n_rows + r0..j * n_rows + r0 + bn];
                let k0 = j * n_rows + r0;
                for (r, (o, &v)) in chunk[j..].iter_mut().step_by(n_cols).zip(col).enumerate() {
                    *o = cell(v, k0 + r);
                }
            }
        }
        out
    };
    FloatPass { out, lo, hi, bad }
}

/// Converted codes in the narrowest type that holds them and the missing sentinel.
enum Codes {
    I8(Vec<i8>),
    I16(Vec<i16>),
    I32(Vec<i32>),
    I64(Vec<i64>),
}

/// [`float_pass`] into int8 first (answer codes and -1 / 255-style sentinels nearly always fit),
/// then, only if the codes need more, once more into the narrowest type that fits.
fn convert_float(values: &[f64], n_rows: usize, n_cols: usize, fortran: bool, missing: i64) -> Result<Codes, (usize, usize)> {
    fn fits<T: FromCode>(lo: i64, hi: i64, missing: i64) -> bool {
        (T::MIN..=T::MAX).contains(&lo.min(missing)) && (T::MIN..=T::MAX).contains(&hi.max(missing))
    }
    let first = float_pass::<i8>(values, n_rows, n_cols, fortran, i8::wrap(missing));
    if let Some(at) = first.bad {
        return Err(at);
    }
    let (lo, hi) = (first.lo, first.hi);
    Ok(if fits::<i8>(lo, hi, missing) {
        Codes::I8(first.out)
    } else if fits::<i16>(lo, hi, missing) {
        Codes::I16(float_pass(values, n_rows, n_cols, fortran, i16::wrap(missing)).out)
    } else if fits::<i32>(lo, hi, missing) {
        Codes::I32(float_pass(values, n_rows, n_cols, fortran, i32::wrap(missing)).out)
    } else {
        Codes::I64(float_pass(values, n_rows, n_cols, fortran, missing).out)
    })
}

/// `(codes, None)` or `(None, (row, column))` of the first bad cell.
type Converted<'py> = (Option<Bound<'py, PyAny>>, Option<(usize, usize)>);

/// The pandas path's conversion: a 2-D float64 array (C or F order) of answer codes with NaN
/// for missing → a C-order integer array of the narrowest dtype that holds every code and
/// `missing` (int8 for most exports), in one pass with the GIL released. Returns
/// `(codes, None)`, or `(None, (row, column))` of the first cell that is not an integer code
/// (the caller names it with the frame's labels). Codes are only converted here; whether they
/// are options is the core's check when the batch is scored.
#[pyfunction]
pub fn codes_from_float<'py>(py: Python<'py>, values: PyReadonlyArray2<'py, f64>, missing: i64) -> PyResult<Converted<'py>> {
    let (n_rows, n_cols) = (values.shape()[0], values.shape()[1]);
    let fortran = !values.is_c_contiguous() && values.is_fortran_contiguous();
    if !fortran && !values.is_c_contiguous() {
        return Err(shape_err(py, "codes", "the values array must be C- or F-contiguous".to_owned()));
    }
    let slice = values
        .as_slice()
        .map_err(|e| shape_err(py, "codes", format!("the values array cannot be read as one buffer: {e}")))?;
    let converted = py.detach(move || convert_float(slice, n_rows, n_cols, fortran, missing));
    let shape = [n_rows, n_cols];
    let array = match converted {
        Err(at) => return Ok((None, Some(at))),
        Ok(Codes::I8(v)) => v.into_pyarray(py).reshape(shape)?.into_any(),
        Ok(Codes::I16(v)) => v.into_pyarray(py).reshape(shape)?.into_any(),
        Ok(Codes::I32(v)) => v.into_pyarray(py).reshape(shape)?.into_any(),
        Ok(Codes::I64(v)) => v.into_pyarray(py).reshape(shape)?.into_any(),
    };
    Ok((Some(array), None))
}

/// Factorise an int64 column: for each row the rank of its value among the distinct values
/// (ascending, as `np.unique(..., return_inverse=True)` numbers them), and for each distinct value,
/// in that order, the first row holding it. Used to turn norm-group key columns into the row
/// group index without sorting a million values; a direct table when the values span less than
/// 2^20, a hash map otherwise.
#[pyfunction]
pub fn factorize_i64<'py>(py: Python<'py>, keys: PyReadonlyArray1<'py, i64>) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyAny>)> {
    let slice = keys
        .as_slice()
        .map_err(|e| shape_err(py, "groups", format!("a group key column cannot be read as one buffer: {e}")))?;
    let (inverse, first) = py.detach(move || factorize(slice));
    Ok((inverse.into_pyarray(py).into_any(), first.into_pyarray(py).into_any()))
}

fn factorize(keys: &[i64]) -> (Vec<u32>, Vec<i64>) {
    const TABLE: u64 = 1 << 20;
    let (Some(&lo), Some(&hi)) = (keys.iter().min(), keys.iter().max()) else {
        return (Vec::new(), Vec::new());
    };
    let span = hi.abs_diff(lo);
    if span < TABLE {
        // first[v - lo]: first row of value v (u32::MAX = absent); then ranks in value order.
        let mut first_row = vec![u32::MAX; span as usize + 1];
        for (r, &k) in keys.iter().enumerate() {
            let slot = &mut first_row[k.abs_diff(lo) as usize];
            if *slot == u32::MAX {
                *slot = u32::try_from(r).unwrap_or(u32::MAX - 1);
            }
        }
        let mut rank = vec![0u32; first_row.len()];
        let mut firsts = Vec::new();
        for (slot, &f) in first_row.iter().enumerate() {
            if f != u32::MAX {
                rank[slot] = firsts.len() as u32;
                firsts.push(i64::from(f));
            }
        }
        let inverse = keys.iter().map(|&k| rank[k.abs_diff(lo) as usize]).collect();
        return (inverse, firsts);
    }
    let mut seen: std::collections::HashMap<i64, usize> = std::collections::HashMap::new();
    for (r, &k) in keys.iter().enumerate() {
        seen.entry(k).or_insert(r);
    }
    let mut distinct: Vec<(i64, usize)> = seen.into_iter().collect();
    distinct.sort_unstable();
    let rank: std::collections::HashMap<i64, u32> = distinct.iter().enumerate().map(|(i, &(k, _))| (k, i as u32)).collect();
    let inverse = keys.iter().map(|k| rank.get(k).copied().unwrap_or(0)).collect();
    (inverse, distinct.into_iter().map(|(_, r)| r as i64).collect())
}
