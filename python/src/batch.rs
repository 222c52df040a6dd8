//! Columnar batch scoring over numpy buffers: zero-copy in, zero-copy out, GIL released.

use crate::error::IntoPyResult;
use crate::instrument::NativeCodeMap;
use crate::instrument::NativeInstrument;
use changkaixin_core::scoring::batch::{BatchGroups, Code};
use changkaixin_core::scoring::recode::CodeMap;
use changkaixin_core::{BatchColumns, BatchInput, Error, ErrorCode};
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
    code_map: Option<&'a CodeMap>,
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
        code_map: x.code_map,
    };
    let inner = &inst.inner;
    let threads = x.threads;
    // The core splits the rows over threads (same bytes as one thread); the GIL is released meanwhile.
    py.detach(|| inner.score_batch_parallel(&input, threads)).py(py)
}

/// Score a 2-D integer array (rows × items) on `threads` threads (0 = every core; the core's
/// parallel batch, identical to one thread); returns a dict of numpy columns (see `changkaixin.BatchResult`).
#[pyfunction]
#[pyo3(signature = (instrument, codes, missing, refused=None, row_group=None, groups=None, durations=None, threads=1, code_map=None))]
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
                $( if let Ok(a) = codes.extract::<PyReadonlyArray2<'py, $t>>() {
                    return columns(py, run::<$t>(py, instrument, &a, &x, $name)?, has_screen);
                } )*
            };
        }
    try_dtype!(i8 => "int8", u8 => "uint8", i16 => "int16", u16 => "uint16", i32 => "int32", u32 => "uint32", i64 => "int64", u64 => "uint64");
    Err(PyTypeError::new_err(
        "codes must be a 2-D numpy array of an integer dtype (int8/16/32/64 or uint8/16/32/64)",
    ))
}

/// Move the core's columns into numpy arrays without copying.
fn columns(py: Python<'_>, mut out: BatchColumns, has_screen: bool) -> PyResult<Bound<'_, PyDict>> {
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
    // One column of verdict codes per flag (0 negative, 1 positive, 2 indeterminate).
    let flag_columns = pyo3::types::PyList::empty(py);
    for id in &out.flag_ids {
        flag_columns.append(PyArray1::from_vec(py, out.flag_verdicts(id).unwrap_or_default()))?;
    }
    d.set_item("flag_columns", flag_columns)?;
    d.set_item("flag_ids", out.flag_ids)?;
    d.set_item("flags", PyArray1::from_vec(py, out.flags))?;
    d.set_item("flags_indeterminate", PyArray1::from_vec(py, out.flags_indeterminate))?;
    d.set_item("validity", PyArray1::from_vec(py, out.validity))?;
    // Screen verdict codes; `None` when the instrument defines no screen-positive rule.
    if out.screen.len() == out.n_rows && has_screen {
        d.set_item("screen", PyArray1::from_vec(py, out.screen))?;
    } else {
        d.set_item("screen", py.None())?;
    }
    Ok(d)
}
