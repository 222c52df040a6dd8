//! The city report (issue 13): spec and aggregate handles, chunked counting of numpy columns,
//! and the core's JSON façade (`changkaixin_core::report::api`). The public classes are in
//! `changkaixin/report.py`; nothing here counts, suppresses or rounds anything itself.
//!
//! Columns: a 1-D C-contiguous numpy array of any integer dtype. One of the core's column type
//! (`uint16` district, `uint32` school, `uint8` grade/sex/tier/band/screen, `uint64` flags) is
//! read in place; any other integer dtype is converted in one pass, and a value that does not fit
//! is `report.invalid_code` at its row (never truncated). Counting, conversion and the report are
//! done with the GIL released; the aggregate's lock is only taken with the GIL released, so a
//! thread waiting for it never holds the GIL that the counting thread needs back.

use crate::error::IntoPyResult;
use changkaixin_core::report::{self, Aggregate, InstrumentRows, ReportRequest, ReportRows, ReportSpec};
use changkaixin_core::{Error, ErrorCode};
use numpy::{PyArray1, PyArrayMethods, PyReadonlyArray1};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use std::borrow::Cow;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// A validated report spec (native handle; the public class is `changkaixin.report.ReportSpec`).
#[pyclass(frozen, module = "changkaixin._core")]
pub struct NativeReportSpec {
    inner: Arc<ReportSpec>,
}

#[pymethods]
impl NativeReportSpec {
    /// Parse and validate spec JSON.
    #[staticmethod]
    fn from_json(py: Python<'_>, text: &str) -> PyResult<NativeReportSpec> {
        let inner = py.detach(|| ReportSpec::from_json(text)).py(py)?;
        Ok(NativeReportSpec { inner: Arc::new(inner) })
    }
    /// Canonical JSON.
    fn to_json(&self) -> String {
        self.inner.to_json()
    }
    /// Whether both specs are the same (every unit, label and measure).
    fn same(&self, other: &NativeReportSpec) -> bool {
        self.inner == other.inner
    }
}

/// An exact, mergeable aggregate of one spec (native handle; public: `changkaixin.report.Aggregate`).
#[pyclass(frozen, module = "changkaixin._core")]
pub struct NativeAggregate {
    spec: Arc<ReportSpec>,
    inner: Mutex<Aggregate>,
}

impl NativeAggregate {
    /// Call only with the GIL released (see the module docs).
    fn lock(&self) -> MutexGuard<'_, Aggregate> {
        // Poisoned only by a panic elsewhere; `Aggregate::add` counts nothing of a chunk it refuses.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn other_spec() -> Error {
    Error::new(ErrorCode::ReportShape, "aggregate", "the aggregate was counted for another report spec")
}

/// A borrowed 1-D integer column as the dtype it has.
#[derive(Clone, Copy)]
enum Src<'a> {
    I8(&'a [i8]),
    U8(&'a [u8]),
    I16(&'a [i16]),
    U16(&'a [u16]),
    I32(&'a [i32]),
    U32(&'a [u32]),
    I64(&'a [i64]),
    U64(&'a [u64]),
}

/// The numpy guard that keeps a column's buffer readable (and unwritten) while it is counted.
enum Ro<'py> {
    I8(PyReadonlyArray1<'py, i8>),
    U8(PyReadonlyArray1<'py, u8>),
    I16(PyReadonlyArray1<'py, i16>),
    U16(PyReadonlyArray1<'py, u16>),
    I32(PyReadonlyArray1<'py, i32>),
    U32(PyReadonlyArray1<'py, u32>),
    I64(PyReadonlyArray1<'py, i64>),
    U64(PyReadonlyArray1<'py, u64>),
}

impl<'py> Ro<'py> {
    fn new(obj: &Bound<'py, PyAny>, name: &str) -> PyResult<Ro<'py>> {
        macro_rules! try_dtype {
            ($($t:ty => $v:ident),*) => {
                $( if let Ok(a) = obj.cast::<PyArray1<$t>>() {
                    return Ok(Ro::$v(a.try_readonly()?));
                } )*
            };
        }
        try_dtype!(i8 => I8, u8 => U8, i16 => I16, u16 => U16, i32 => I32, u32 => U32, i64 => I64, u64 => U64);
        Err(PyTypeError::new_err(format!(
            "{name} must be a 1-D numpy array of an integer dtype (int8/16/32/64 or uint8/16/32/64)"
        )))
    }

    fn src(&self, py: Python<'_>, name: &str) -> PyResult<Src<'_>> {
        let bad = |e: numpy::AsSliceError| {
            crate::error::to_py(
                py,
                &Error::new(
                    ErrorCode::ReportShape,
                    name,
                    format!("{name} cannot be read as one buffer ({e}): pass np.ascontiguousarray"),
                ),
            )
        };
        Ok(match self {
            Ro::I8(a) => Src::I8(a.as_slice().map_err(bad)?),
            Ro::U8(a) => Src::U8(a.as_slice().map_err(bad)?),
            Ro::I16(a) => Src::I16(a.as_slice().map_err(bad)?),
            Ro::U16(a) => Src::U16(a.as_slice().map_err(bad)?),
            Ro::I32(a) => Src::I32(a.as_slice().map_err(bad)?),
            Ro::U32(a) => Src::U32(a.as_slice().map_err(bad)?),
            Ro::I64(a) => Src::I64(a.as_slice().map_err(bad)?),
            Ro::U64(a) => Src::U64(a.as_slice().map_err(bad)?),
        })
    }
}

/// A core column type: read in place when the array has it, converted (range-checked) otherwise.
trait Target: Copy + Send + Sync + TryFrom<i8> + TryFrom<u8> + TryFrom<i16> + TryFrom<u16> + TryFrom<i32> + TryFrom<u32> + TryFrom<i64> + TryFrom<u64> {
    const NAME: &'static str;
    const MAX: u64;
    fn borrow<'a>(s: Src<'a>) -> Option<&'a [Self]>;
}

macro_rules! target {
    ($t:ty, $v:ident, $name:literal) => {
        impl Target for $t {
            const NAME: &'static str = $name;
            const MAX: u64 = <$t>::MAX as u64;
            fn borrow<'a>(s: Src<'a>) -> Option<&'a [Self]> {
                match s {
                    Src::$v(x) => Some(x),
                    _ => None,
                }
            }
        }
    };
}
target!(u8, U8, "uint8");
target!(u16, U16, "uint16");
target!(u32, U32, "uint32");
target!(u64, U64, "uint64");

fn convert<X: Copy + Into<i128>, T: Target + TryFrom<X>>(s: &[X], name: &str) -> Result<Vec<T>, Error> {
    let mut out = Vec::with_capacity(s.len());
    for (r, &v) in s.iter().enumerate() {
        match T::try_from(v) {
            Ok(t) => out.push(t),
            Err(_) => {
                return Err(Error::new(
                    ErrorCode::ReportInvalidCode,
                    name,
                    format!("{name} code {} does not fit {} (0..={})", v.into(), T::NAME, T::MAX),
                )
                .with_row(r as u64))
            }
        }
    }
    Ok(out)
}

fn column<'a, T: Target>(s: Option<Src<'a>>, name: &str) -> Result<Cow<'a, [T]>, Error> {
    let Some(s) = s else { return Ok(Cow::Borrowed(&[])) };
    if let Some(x) = T::borrow(s) {
        return Ok(Cow::Borrowed(x));
    }
    Ok(Cow::Owned(match s {
        Src::I8(x) => convert(x, name)?,
        Src::U8(x) => convert(x, name)?,
        Src::I16(x) => convert(x, name)?,
        Src::U16(x) => convert(x, name)?,
        Src::I32(x) => convert(x, name)?,
        Src::U32(x) => convert(x, name)?,
        Src::I64(x) => convert(x, name)?,
        Src::U64(x) => convert(x, name)?,
    }))
}

/// One instrument's columns as given: band, screen, flags, flags_indeterminate (each optional).
type InstrumentArgs<'py> = (
    Option<Bound<'py, PyAny>>,
    Option<Bound<'py, PyAny>>,
    Option<Bound<'py, PyAny>>,
    Option<Bound<'py, PyAny>>,
);

fn guard<'py>(obj: Option<&Bound<'py, PyAny>>, name: &str) -> PyResult<Option<Ro<'py>>> {
    obj.filter(|o| !o.is_none()).map(|o| Ro::new(o, name)).transpose()
}

fn src<'a>(py: Python<'_>, ro: &'a Option<Ro<'_>>, name: &str) -> PyResult<Option<Src<'a>>> {
    ro.as_ref().map(|r| r.src(py, name)).transpose()
}

/// Count converted columns into `agg` (GIL released by the caller).
#[allow(clippy::too_many_arguments)]
fn count(
    spec: &ReportSpec,
    agg: &mut Aggregate,
    district: Option<Src<'_>>,
    school: Option<Src<'_>>,
    grade: Option<Src<'_>>,
    sex: Option<Src<'_>>,
    tiers: Option<Src<'_>>,
    inst: &[[Option<Src<'_>>; 4]],
) -> Result<(), Error> {
    let district: Cow<'_, [u16]> = column(district, "district")?;
    let school: Cow<'_, [u32]> = column(school, "school")?;
    let grade: Cow<'_, [u8]> = column(grade, "grade")?;
    let sex: Cow<'_, [u8]> = column(sex, "sex")?;
    let tiers: Cow<'_, [u8]> = column(tiers, "tier")?;
    let mut cols = Vec::with_capacity(inst.len());
    for (i, [b, s, f, u]) in inst.iter().enumerate() {
        let band: Cow<'_, [u8]> = column(*b, &format!("instruments/{i}/band"))?;
        let screen: Cow<'_, [u8]> = column(*s, &format!("instruments/{i}/screen"))?;
        let flags: Cow<'_, [u64]> = column(*f, &format!("instruments/{i}/flags"))?;
        let und: Cow<'_, [u64]> = column(*u, &format!("instruments/{i}/flags_indeterminate"))?;
        cols.push((band, screen, flags, und));
    }
    let rows: Vec<InstrumentRows<'_>> = cols
        .iter()
        .map(|(band, screen, flags, und)| InstrumentRows {
            band,
            screen,
            flags,
            flags_indeterminate: und,
        })
        .collect();
    agg.add(
        spec,
        &ReportRows {
            district: &district,
            school: &school,
            grade: &grade,
            sex: &sex,
            instruments: &rows,
            tiers: &tiers,
        },
    )
}

#[pymethods]
impl NativeAggregate {
    /// An empty aggregate of `spec`.
    #[new]
    fn new(py: Python<'_>, spec: &NativeReportSpec) -> PyResult<NativeAggregate> {
        let inner = Aggregate::new(&spec.inner).py(py)?;
        Ok(NativeAggregate {
            spec: spec.inner.clone(),
            inner: Mutex::new(inner),
        })
    }
    /// Parse an aggregate and verify it against `spec` (fits, at most MAX_N students, sums).
    #[staticmethod]
    fn from_json(py: Python<'_>, text: &str, spec: &NativeReportSpec) -> PyResult<NativeAggregate> {
        let inner = py.detach(|| Aggregate::from_json(text, &spec.inner)).py(py)?;
        Ok(NativeAggregate {
            spec: spec.inner.clone(),
            inner: Mutex::new(inner),
        })
    }
    /// The spec it counts for.
    fn spec(&self) -> NativeReportSpec {
        NativeReportSpec { inner: self.spec.clone() }
    }
    /// Count one chunk of rows (every column as long as `school`); on an error nothing is counted.
    #[pyo3(signature = (district, school, grade, sex, tiers=None, instruments=Vec::new()))]
    #[allow(clippy::too_many_arguments)]
    fn add<'py>(
        &self,
        py: Python<'py>,
        district: Option<Bound<'py, PyAny>>,
        school: Option<Bound<'py, PyAny>>,
        grade: Option<Bound<'py, PyAny>>,
        sex: Option<Bound<'py, PyAny>>,
        tiers: Option<Bound<'py, PyAny>>,
        instruments: Vec<InstrumentArgs<'py>>,
    ) -> PyResult<()> {
        let g_district = guard(district.as_ref(), "district")?;
        let g_school = guard(school.as_ref(), "school")?;
        let g_grade = guard(grade.as_ref(), "grade")?;
        let g_sex = guard(sex.as_ref(), "sex")?;
        let g_tiers = guard(tiers.as_ref(), "tier")?;
        let mut g_inst = Vec::with_capacity(instruments.len());
        for (i, (b, s, f, u)) in instruments.iter().enumerate() {
            g_inst.push([
                guard(b.as_ref(), &format!("instruments[{i}].band"))?,
                guard(s.as_ref(), &format!("instruments[{i}].screen"))?,
                guard(f.as_ref(), &format!("instruments[{i}].flags"))?,
                guard(u.as_ref(), &format!("instruments[{i}].flags_indeterminate"))?,
            ]);
        }
        let (d, s, g, x, t) = (
            src(py, &g_district, "district")?,
            src(py, &g_school, "school")?,
            src(py, &g_grade, "grade")?,
            src(py, &g_sex, "sex")?,
            src(py, &g_tiers, "tier")?,
        );
        let mut inst = Vec::with_capacity(g_inst.len());
        for (i, [b, sc, f, u]) in g_inst.iter().enumerate() {
            inst.push([
                src(py, b, &format!("instruments/{i}/band"))?,
                src(py, sc, &format!("instruments/{i}/screen"))?,
                src(py, f, &format!("instruments/{i}/flags"))?,
                src(py, u, &format!("instruments/{i}/flags_indeterminate"))?,
            ]);
        }
        py.detach(|| count(&self.spec, &mut self.lock(), d, s, g, x, t, &inst)).py(py)
    }
    /// Merge another aggregate of the same spec into this one (checked; overflow is an error).
    fn merge(&self, py: Python<'_>, other: &NativeAggregate) -> PyResult<()> {
        py.detach(|| {
            if *self.spec != *other.spec {
                return Err(other_spec());
            }
            // Merging an aggregate into itself: copy it first (the lock is not re-entrant).
            let theirs = other.lock().clone();
            self.lock().merge(&theirs)
        })
        .py(py)
    }
    /// An independent copy.
    fn copy(&self, py: Python<'_>) -> NativeAggregate {
        let inner = py.detach(|| self.lock().clone());
        NativeAggregate {
            spec: self.spec.clone(),
            inner: Mutex::new(inner),
        }
    }
    /// Canonical JSON (what `from_json` reads back).
    fn to_json(&self, py: Python<'_>) -> String {
        py.detach(|| self.lock().to_json())
    }
    /// Students counted.
    fn total(&self, py: Python<'_>) -> u64 {
        py.detach(|| self.lock().total())
    }
    /// Whether both hold the same counts for the same spec.
    fn same(&self, py: Python<'_>, other: &NativeAggregate) -> bool {
        py.detach(|| {
            if std::ptr::eq(self, other) {
                return true;
            }
            let theirs = other.lock().clone();
            *self.spec == *other.spec && *self.lock() == theirs
        })
    }
}

/// The published report as the core's canonical JSON: `request_json` is the core's
/// `ReportRequest` (`{round, settings?, enrolment?, previous?: {round, aggregate}}`).
#[pyfunction]
pub fn report_city_json(py: Python<'_>, spec: &NativeReportSpec, aggregate: &NativeAggregate, request_json: &str) -> PyResult<String> {
    py.detach(|| {
        if *aggregate.spec != *spec.inner {
            return Err(other_spec());
        }
        let req = ReportRequest::from_json(request_json, &spec.inner)?;
        let agg = aggregate.lock().clone();
        report::report_for(&spec.inner, &agg, &req).map(|r| report::report_json(&r))
    })
    .py(py)
}

/// A published report (JSON) as its self-contained HTML page (the core re-reads and escapes it).
#[pyfunction]
pub fn report_html_from_json(py: Python<'_>, report_json: &str) -> PyResult<String> {
    py.detach(|| report::report_html_from_json(report_json)).py(py)
}
