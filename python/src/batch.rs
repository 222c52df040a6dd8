//! Columnar batch scoring over numpy buffers: zero-copy in, zero-copy out, GIL released.

use crate::error::IntoPyResult;
use crate::instrument::NativeInstrument;
use changkaixin_core::scoring::batch::{BatchGroups, Code};
use changkaixin_core::{BatchColumns, BatchInput, Error, ErrorCode, Instrument, ScaleColumns};
use numpy::{PyArray1, PyReadonlyArray1, PyReadonlyArray2, PyUntypedArrayMethods};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::PyDict;
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
}

fn run<T: Code + TryFrom<i128> + numpy::Element>(
    py: Python<'_>,
    inst: &NativeInstrument,
    codes: &PyReadonlyArray2<'_, T>,
    x: &Extras<'_>,
    dtype: &str,
) -> PyResult<BatchColumns> {
    if !codes.is_c_contiguous() {
        return Err(shape_err(py, "codes", "the codes array must be C-contiguous (np.ascontiguousarray)".to_owned()));
    }
    let n_items = codes.shape()[1];
    let slice = codes
        .as_slice()
        .map_err(|e| shape_err(py, "codes", format!("the codes array cannot be read as one buffer: {e}")))?;
    let input = BatchInput {
        codes: slice,
        n_items,
        missing: sentinel::<T>(py, "missing", x.missing, dtype)?,
        refused: x.refused.map(|r| sentinel::<T>(py, "refused", r, dtype)).transpose()?,
        groups: x.groups,
        durations: x.durations,
        code_map: None,
    };
    let inner = &inst.inner;
    let threads = x.threads;
    py.detach(|| score_parallel(inner, &input, threads)).py(py)
}

/// Below this many rows a batch is scored on the calling thread only.
const MIN_ROWS_PER_THREAD: usize = 1 << 16;

/// Score row ranges on up to `threads` threads (0 = one per available core) and join the columns.
///
/// Rows are independent, so this is the same computation as one `score_batch` call. If any
/// range fails, the whole batch is scored again on one thread, so the error (its row, item
/// and path) is exactly the one the core reports for the whole batch.
fn score_parallel<T: Code>(inst: &Instrument, input: &BatchInput<'_, T>, threads: usize) -> Result<BatchColumns, Error> {
    let threads = if threads == 0 {
        std::thread::available_parallelism().map_or(1, usize::from).min(8)
    } else {
        threads
    };
    let n_items = input.n_items;
    let n_rows = input.codes.len().checked_div(n_items).unwrap_or(0);
    let shapes_ok = n_items > 0
        && input.codes.len() % n_items == 0
        && input.groups.is_none_or(|g| g.row_group.len() == n_rows)
        && input.durations.is_none_or(|d| d.len() == n_rows);
    let threads = threads.min(n_rows / MIN_ROWS_PER_THREAD);
    if threads <= 1 || !shapes_ok {
        return inst.score_batch(input);
    }
    let chunk = n_rows.div_ceil(threads);
    let parts: Vec<Option<BatchColumns>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let (r0, r1) = ((t * chunk).min(n_rows), ((t + 1) * chunk).min(n_rows));
                let sub = BatchInput {
                    codes: &input.codes[r0 * n_items..r1 * n_items],
                    n_items,
                    missing: input.missing,
                    refused: input.refused,
                    groups: input.groups.map(|g| BatchGroups {
                        row_group: &g.row_group[r0..r1],
                        groups: g.groups,
                    }),
                    durations: input.durations.map(|d| &d[r0..r1]),
                    code_map: input.code_map,
                };
                s.spawn(move || inst.score_batch(&sub).ok())
            })
            .collect();
        handles.into_iter().map(|h| h.join().ok().flatten()).collect()
    });
    let mut parts = parts.into_iter();
    let Some(Some(mut out)) = parts.next() else {
        return inst.score_batch(input);
    };
    let rest: Vec<BatchColumns> = match parts.collect::<Option<Vec<_>>>() {
        Some(r) => r,
        None => return inst.score_batch(input),
    };
    // Grow the first part's columns in place (a large realloc is a remap, not a copy) and append the rest.
    fn join<X: Copy>(dst: &mut Vec<X>, n: usize, srcs: impl Iterator<Item = Vec<X>>) {
        dst.reserve_exact(n.saturating_sub(dst.len()));
        for s in srcs {
            dst.extend_from_slice(&s);
        }
    }
    let mut rest_scales: Vec<std::vec::IntoIter<ScaleColumns>> = Vec::with_capacity(rest.len());
    let mut flags = Vec::with_capacity(rest.len());
    let mut flags_u = Vec::with_capacity(rest.len());
    let mut validity = Vec::with_capacity(rest.len());
    let mut screen = Vec::with_capacity(rest.len());
    for p in rest {
        rest_scales.push(p.scales.into_iter());
        flags.push(p.flags);
        flags_u.push(p.flags_indeterminate);
        validity.push(p.validity);
        screen.push(p.screen);
    }
    join(&mut out.flags, n_rows, flags.into_iter());
    join(&mut out.flags_indeterminate, n_rows, flags_u.into_iter());
    join(&mut out.validity, n_rows, validity.into_iter());
    join(&mut out.screen, n_rows, screen.into_iter());
    for col in &mut out.scales {
        let mut raw = Vec::new();
        let mut score = Vec::new();
        let mut band = Vec::new();
        let mut answered = Vec::new();
        let mut prorated = Vec::new();
        for it in &mut rest_scales {
            if let Some(c) = it.next() {
                raw.push(c.raw);
                score.push(c.score);
                band.push(c.band);
                answered.push(c.answered);
                prorated.push(c.prorated);
            }
        }
        join(&mut col.raw, n_rows, raw.into_iter());
        join(&mut col.score, n_rows, score.into_iter());
        join(&mut col.band, n_rows, band.into_iter());
        join(&mut col.answered, n_rows, answered.into_iter());
        join(&mut col.prorated, n_rows, prorated.into_iter());
    }
    out.n_rows = n_rows;
    Ok(out)
}

/// Score a 2-D integer array (rows × items); returns a dict of numpy columns (see `changkaixin.BatchResult`).
#[pyfunction]
#[pyo3(signature = (instrument, codes, missing, refused=None, row_group=None, groups=None, durations=None, threads=1))]
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
    };
    macro_rules! try_dtype {
            ($($t:ty => $name:literal),*) => {
                $( if let Ok(a) = codes.extract::<PyReadonlyArray2<'py, $t>>() {
                    return columns(py, run::<$t>(py, instrument, &a, &x, $name)?);
                } )*
            };
        }
    try_dtype!(i8 => "int8", u8 => "uint8", i16 => "int16", u16 => "uint16", i32 => "int32", u32 => "uint32", i64 => "int64", u64 => "uint64");
    Err(PyTypeError::new_err(
        "codes must be a 2-D numpy array of an integer dtype (int8/16/32/64 or uint8/16/32/64)",
    ))
}

/// Move the core's columns into numpy arrays without copying.
fn columns(py: Python<'_>, mut out: BatchColumns) -> PyResult<Bound<'_, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("n_rows", out.n_rows)?;
    let scales = pyo3::types::PyList::empty(py);
    for s in std::mem::take(&mut out.scales) {
        let sd = PyDict::new(py);
        sd.set_item("id", s.id)?;
        sd.set_item("raw_decimals", s.raw_decimals)?;
        sd.set_item("score_decimals", s.score_decimals)?;
        sd.set_item("band_ids", s.band_ids)?;
        sd.set_item("raw", PyArray1::from_vec(py, s.raw))?;
        sd.set_item("score", PyArray1::from_vec(py, s.score))?;
        sd.set_item("band", PyArray1::from_vec(py, s.band))?;
        sd.set_item("answered", PyArray1::from_vec(py, s.answered))?;
        sd.set_item("prorated", PyArray1::from_vec(py, s.prorated))?;
        scales.append(sd)?;
    }
    d.set_item("scales", scales)?;
    let flag_columns = pyo3::types::PyList::empty(py);
    for id in &out.flag_ids {
        flag_columns.append(PyArray1::from_vec(py, out.flag_column(id).unwrap_or_default()))?;
    }
    d.set_item("flag_columns", flag_columns)?;
    d.set_item("flag_ids", out.flag_ids)?;
    d.set_item("flags", PyArray1::from_vec(py, out.flags))?;
    d.set_item("validity", PyArray1::from_vec(py, out.validity))?;
    // Verdict codes (0 negative, 1 positive, 2 indeterminate) or -1 where the instrument defines no
    // screen; the binding team exposes the core's `screen`/`flags_indeterminate` columns later.
    let screen: Vec<i8> = if out.screen.len() == out.n_rows {
        out.screen.iter().map(|&v| v as i8).collect()
    } else {
        vec![-1; out.n_rows]
    };
    d.set_item("screen_positive", PyArray1::from_vec(py, screen))?;
    Ok(d)
}
