//! Compliance checks (issue 11): requirement packs, school facts × pack × day → report, roll-ups.

use crate::error::IntoPyResult;
use changkaixin_core::compliance::{check, finding_rows, rollup, CompiledPack, RequirementPack, SchoolFacts};
use changkaixin_core::time::Date;
use changkaixin_core::Error;
use pyo3::prelude::*;

/// A linted, compiled requirement pack (native handle; the public class is `changkaixin.compliance.RequirementPack`).
#[pyclass(frozen, module = "changkaixin._core")]
pub struct NativePack {
    inner: CompiledPack,
}

/// One lint problem as `(code, category, path, item, row, message)`.
type Problem = (&'static str, &'static str, String, Option<u32>, Option<u64>, String);

fn problem(e: &Error) -> Problem {
    (
        e.code(),
        crate::error::category_name(e.category()),
        e.path().to_owned(),
        e.item(),
        e.row(),
        e.message().to_owned(),
    )
}

#[pymethods]
impl NativePack {
    /// A built-in pack (`changzhou_2022_2024`, `national_2023`).
    #[staticmethod]
    fn builtin(py: Python<'_>, id: &str) -> PyResult<NativePack> {
        let inner = CompiledPack::builtin(id).py(py)?.clone();
        Ok(NativePack { inner })
    }
    /// Parse, lint and compile pack JSON.
    #[staticmethod]
    fn from_json(py: Python<'_>, text: &str) -> PyResult<NativePack> {
        let inner = CompiledPack::from_json(text).py(py)?;
        Ok(NativePack { inner })
    }
    /// Every lint problem of pack JSON (a parse error raises).
    #[staticmethod]
    fn lint(py: Python<'_>, text: &str) -> PyResult<Vec<Problem>> {
        let pack = RequirementPack::from_json(text).py(py)?;
        Ok(pack.lint().iter().map(problem).collect())
    }
    /// Pack id.
    #[getter]
    fn id(&self) -> &str {
        self.inner.id()
    }
    /// Pack version.
    #[getter]
    fn version(&self) -> &str {
        self.inner.version()
    }
    /// Requirement ids in pack order.
    fn requirement_ids(&self) -> Vec<String> {
        self.inner.requirement_ids().map(str::to_owned).collect()
    }
    /// The pack as written, canonical JSON.
    fn pack_json(&self) -> String {
        self.inner.pack().to_json()
    }
    /// Check one school's facts (JSON) as of a `YYYY-MM-DD` day; returns the report JSON.
    fn check(&self, py: Python<'_>, facts_json: &str, as_of: &str) -> PyResult<String> {
        let inner = &self.inner;
        py.detach(|| {
            let as_of = Date::parse(as_of).map_err(|e| e.prefixed("as_of"))?;
            let facts = SchoolFacts::from_json(facts_json)?;
            check(inner, &facts, as_of).map(|r| r.to_json())
        })
        .py(py)
    }
    /// Check many schools (facts JSON each) as of one day; returns `(report JSONs, finding rows
    /// JSON, roll-up JSON)`. Facts that do not parse or validate raise with their row.
    fn check_many(&self, py: Python<'_>, facts_jsons: Vec<String>, as_of: &str) -> PyResult<(Vec<String>, String, String)> {
        let inner = &self.inner;
        py.detach(|| {
            let as_of = Date::parse(as_of).map_err(|e| e.prefixed("as_of"))?;
            let reports = facts_jsons
                .iter()
                .enumerate()
                .map(|(i, t)| {
                    SchoolFacts::from_json(t)
                        .and_then(|f| check(inner, &f, as_of))
                        .map_err(|e| e.prefixed(&format!("schools[{i}] ")).with_row(i as u64))
                })
                .collect::<Result<Vec<_>, Error>>()?;
            let rows = serde_json::to_string(&finding_rows(&reports)).unwrap_or_default();
            let up = serde_json::to_string(&rollup(inner, &reports)?).unwrap_or_default();
            Ok::<_, Error>((reports.iter().map(|r| r.to_json()).collect(), rows, up))
        })
        .py(py)
    }
    fn __repr__(&self) -> String {
        format!("NativePack({:?}, version={:?})", self.inner.id(), self.inner.version())
    }
}
