//! Core errors → the Python exception hierarchy defined in `changkaixin/_errors.py`.
//!
//! The exception classes are plain Python (so validation errors can also subclass
//! `ValueError`); this module builds an instance through `_errors._from_core`.

use changkaixin_core::{Error, ErrorCategory};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;

static FROM_CORE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// The category's wire name (the part of the code before the dot).
pub(crate) fn category_name(c: ErrorCategory) -> &'static str {
    match c {
        ErrorCategory::Spec => "spec",
        ErrorCategory::Score => "score",
        ErrorCategory::Batch => "batch",
        ErrorCategory::Catalog => "catalog",
        ErrorCategory::Fhir => "fhir",
        ErrorCategory::Policy => "policy",
        ErrorCategory::Evidence => "evidence",
        ErrorCategory::Time => "time",
        ErrorCategory::Compliance => "compliance",
        ErrorCategory::Facts => "facts",
        ErrorCategory::Archive => "archive",
        ErrorCategory::Privacy => "privacy",
        ErrorCategory::Report => "report",
    }
}

/// A short prefix of a message built from input (a parser's message may quote the input whole):
/// the core's shared excerpt helper, so every binding cuts the same way.
pub(crate) fn short(s: &str) -> String {
    changkaixin_core::error::excerpt_raw(s).to_string()
}

/// Convert a core error into the matching `changkaixin` exception.
pub(crate) fn to_py(py: Python<'_>, e: &Error) -> PyErr {
    let build = || -> PyResult<PyErr> {
        let f = FROM_CORE.get_or_try_init(py, || -> PyResult<Py<PyAny>> {
            Ok(py.import("changkaixin._errors")?.getattr("_from_core")?.unbind())
        })?;
        let exc = f
            .bind(py)
            .call1((e.code(), category_name(e.category()), e.path(), e.item(), e.row(), e.message()))?;
        Ok(PyErr::from_value(exc))
    };
    // Only reachable if the pure-Python half is missing: still a ValueError with the code.
    build().unwrap_or_else(|_| PyValueError::new_err(e.to_string()))
}

/// `Result<T, core::Error>` → `PyResult<T>`.
pub(crate) trait IntoPyResult<T> {
    fn py(self, py: Python<'_>) -> PyResult<T>;
}

impl<T> IntoPyResult<T> for Result<T, Error> {
    fn py(self, py: Python<'_>) -> PyResult<T> {
        self.map_err(|e| to_py(py, &e))
    }
}
