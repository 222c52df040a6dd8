//! `changkaixin._core`: the native half of the `changkaixin` Python package.
//!
//! A thin PyO3 translation of `changkaixin-core`: it converts Python values to
//! core types, calls the core, and converts results and errors back. The
//! public, documented Python API (classes, enums, exceptions, pandas helper)
//! lives in the pure-Python package `python/changkaixin/`, which wraps these
//! functions; no scoring rule is implemented here or there.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

mod alert;
mod alloc;
mod archive;
#[cfg(feature = "arrow")]
mod arrow;
mod batch;
mod compliance;
mod error;
mod fhir;
mod instrument;
mod report;

use pyo3::prelude::*;

/// Huge-page hints for large blocks, as numpy gives its own arrays (see [`alloc`]).
#[global_allocator]
static ALLOC: alloc::HugeHint = alloc::HugeHint;

/// Every stable error code as `(code, category)`, in the core's declaration order.
#[pyfunction]
fn error_codes() -> Vec<(&'static str, String)> {
    changkaixin_core::ErrorCode::ALL
        .iter()
        .map(|c| (c.as_str(), error::category_name(c.category()).to_owned()))
        .collect()
}

/// The version of the core crate this module was built from.
#[pyfunction]
fn core_version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<instrument::NativeInstrument>()?;
    m.add_class::<instrument::NativeCatalog>()?;
    m.add_class::<instrument::NativeCodeMap>()?;
    m.add_class::<alert::NativePolicy>()?;
    m.add_class::<compliance::NativePack>()?;
    m.add_class::<archive::NativeLedger>()?;
    m.add_function(wrap_pyfunction!(archive::archive_validate, m)?)?;
    m.add_function(wrap_pyfunction!(archive::archive_validate_many, m)?)?;
    m.add_function(wrap_pyfunction!(archive::archive_kinds, m)?)?;
    m.add_function(wrap_pyfunction!(archive::archive_schema, m)?)?;
    m.add_function(wrap_pyfunction!(archive::archive_view, m)?)?;
    m.add_function(wrap_pyfunction!(archive::archive_field_classes, m)?)?;
    m.add_function(wrap_pyfunction!(archive::archive_aggregate, m)?)?;
    m.add_function(wrap_pyfunction!(archive::pseudonymise, m)?)?;
    m.add_function(wrap_pyfunction!(archive::check_share, m)?)?;
    m.add_class::<report::NativeReportSpec>()?;
    m.add_class::<report::NativeAggregate>()?;
    m.add_function(wrap_pyfunction!(report::report_city_json, m)?)?;
    m.add_function(wrap_pyfunction!(report::report_html_from_json, m)?)?;
    m.add_function(wrap_pyfunction!(error_codes, m)?)?;
    m.add_function(wrap_pyfunction!(core_version, m)?)?;
    m.add_function(wrap_pyfunction!(batch::score_batch, m)?)?;
    #[cfg(feature = "arrow")]
    {
        m.add_function(wrap_pyfunction!(arrow::score_arrow, m)?)?;
        m.add_function(wrap_pyfunction!(arrow::arrow_score_schema, m)?)?;
        m.add_function(wrap_pyfunction!(arrow::tiers_answers_arrow, m)?)?;
    }
    m.add_function(wrap_pyfunction!(batch::codes_from_float, m)?)?;
    m.add_function(wrap_pyfunction!(batch::factorize_i64, m)?)?;
    m.add_function(wrap_pyfunction!(alert::previous_tier, m)?)?;
    m.add_function(wrap_pyfunction!(fhir::import_questionnaire, m)?)?;
    m.add_function(wrap_pyfunction!(fhir::bind_questionnaire, m)?)?;
    m.add_function(wrap_pyfunction!(fhir::score_questionnaire_response, m)?)?;
    m.add_function(wrap_pyfunction!(fhir::score_questionnaire_response_detailed, m)?)?;
    m.add_function(wrap_pyfunction!(fhir::export_observation, m)?)?;
    Ok(())
}
