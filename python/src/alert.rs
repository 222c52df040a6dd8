//! Alert tiers (三级预警): policy load and lint, one student, many students.

use crate::error::IntoPyResult;
use crate::instrument::NativeCatalog;
use changkaixin_core::alert::{
    evaluate, evaluate_batch_with, AlertDecision, AlertPolicy, BatchOptions, CompiledPolicy, DecisionFilter, Person, PreviousTier, StudentEvidence, Timestamp,
};
use changkaixin_core::{Catalog, Error, ErrorCode};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

/// A linted, compiled alert policy (native handle; the public class is `changkaixin.AlertPolicy`).
#[pyclass(frozen, module = "changkaixin._core")]
pub struct NativePolicy {
    pub(crate) inner: CompiledPolicy,
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

fn catalog_of(catalog: Option<&NativeCatalog>) -> Catalog {
    catalog.map_or_else(|| Catalog::builtin().clone(), |c| c.inner.clone())
}

#[pymethods]
impl NativePolicy {
    /// The built-in Changzhou default policy, compiled against the built-in catalog.
    #[staticmethod]
    fn changzhou_default(py: Python<'_>) -> PyResult<NativePolicy> {
        let inner = CompiledPolicy::changzhou_default().py(py)?.clone();
        Ok(NativePolicy { inner })
    }
    /// Parse, lint and compile policy JSON against a catalog (default: the built-in one).
    #[staticmethod]
    #[pyo3(signature = (text, catalog=None))]
    fn from_json(py: Python<'_>, text: &str, catalog: Option<&NativeCatalog>) -> PyResult<NativePolicy> {
        let inner = CompiledPolicy::from_json(text, &catalog_of(catalog)).py(py)?;
        Ok(NativePolicy { inner })
    }
    /// Every lint problem of policy JSON (a parse error raises).
    #[staticmethod]
    #[pyo3(signature = (text, catalog=None))]
    fn lint(py: Python<'_>, text: &str, catalog: Option<&NativeCatalog>) -> PyResult<Vec<Problem>> {
        let policy = AlertPolicy::from_json(text).py(py)?;
        Ok(policy.lint_against(&catalog_of(catalog)).iter().map(problem).collect())
    }
    /// Policy id.
    #[getter]
    fn id(&self) -> &str {
        self.inner.id()
    }
    /// Policy version.
    #[getter]
    fn version(&self) -> &str {
        self.inner.version()
    }
    /// Tier ids, lowest first.
    fn tier_ids(&self) -> Vec<String> {
        self.inner.tier_ids().map(str::to_owned).collect()
    }
    /// Rule ids in policy order.
    fn rule_ids(&self) -> Vec<String> {
        self.inner.rule_ids().map(str::to_owned).collect()
    }
    /// The policy as written, canonical JSON.
    fn policy_json(&self) -> String {
        self.inner.policy().to_json()
    }
    /// Evaluate one student's evidence (JSON) at an RFC 3339 time; returns the decision JSON.
    fn evaluate(&self, py: Python<'_>, evidence_json: &str, at: &str) -> PyResult<String> {
        let at = Timestamp::parse(at).py(py)?;
        let inner = &self.inner;
        py.detach(|| {
            let ev = StudentEvidence::from_json(evidence_json)?;
            evaluate(inner, &ev, at).map(|d| serde_json::to_string(&d).unwrap_or_default())
        })
        .py(py)
    }
    /// Evaluate many students (evidence JSON each) at one time; returns the batch JSON.
    /// Evidence that does not parse raises (with its row); evidence the engine refuses is listed in `errors`.
    #[pyo3(signature = (evidence_jsons, at, overdue_at=None, decisions="none"))]
    fn evaluate_batch(&self, py: Python<'_>, evidence_jsons: Vec<String>, at: &str, overdue_at: Option<&str>, decisions: &str) -> PyResult<String> {
        let at = Timestamp::parse(at).py(py)?;
        let overdue_at = overdue_at.map(Timestamp::parse).transpose().py(py)?;
        let decisions: DecisionFilter = serde_json::from_value(serde_json::Value::String(decisions.to_owned()))
            .map_err(|_| PyValueError::new_err(format!("decisions must be \"none\", \"flagged\" or \"all\", not {decisions:?}")))?;
        let inner = &self.inner;
        py.detach(|| {
            let students = evidence_jsons
                .iter()
                .enumerate()
                .map(|(i, t)| StudentEvidence::from_json(t).map_err(|e| e.prefixed(&format!("students[{i}] ")).with_row(i as u64)))
                .collect::<Result<Vec<_>, _>>()?;
            let out = evaluate_batch_with(inner, &students, at, BatchOptions { overdue_at, decisions });
            Ok::<_, Error>(serde_json::to_string(&out).unwrap_or_default())
        })
        .py(py)
    }
    fn __repr__(&self) -> String {
        format!("NativePolicy({:?}, version={:?})", self.inner.id(), self.inner.version())
    }
}

/// The tier record for the next evaluation (`PreviousTier` JSON) from a confirmed decision (JSON)
/// and who confirmed it (`{"name", "role"}` JSON or `None`): the core's `PreviousTier::from_decision`.
#[pyfunction]
#[pyo3(signature = (decision_json, confirmed_by_json=None))]
pub fn previous_tier(py: Python<'_>, decision_json: &str, confirmed_by_json: Option<&str>) -> PyResult<String> {
    let bad = |what: &str, e: serde_json::Error| {
        Error::new(
            ErrorCode::EvidenceInvalid,
            format!("line {} column {}", e.line(), e.column()),
            format!("not {what}: {}", crate::error::short(&e.to_string())),
        )
    };
    let d: AlertDecision = serde_json::from_str(decision_json).map_err(|e| bad("an alert decision", e)).py(py)?;
    let by: Option<Person> = confirmed_by_json
        .map(|t| serde_json::from_str(t).map_err(|e| bad("a person ({\"name\", \"role\"})", e)))
        .transpose()
        .py(py)?;
    Ok(serde_json::to_string(&PreviousTier::from_decision(&d, by)).unwrap_or_default())
}
