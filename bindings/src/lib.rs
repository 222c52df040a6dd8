//! # changkaixin-ffi
//!
//! Kotlin and Swift bindings of `changkaixin-core` through UniFFI (proc-macros). Thin wrappers
//! only: every function converts types and errors and calls the core; no domain rule lives here.
//!
//! - [`instrument`]: `Catalog` and `Instrument` objects, the typed spec summary `InstrumentInfo`,
//!   single-response scoring.
//! - [`report`]: `Response` in, `ScoreReport` out (mirrors of the core records; decimals are the
//!   custom type `Dec`, a string on the foreign side).
//! - [`describe`]: `Instrument.describe()`, each item's code table and the scales, flags, screen rule.
//! - [`recode`]: declared recodes (`CodeMapSpec` → checked `CodeMap`) for single and batch scoring.
//! - [`batch`]: columnar batch scoring from a byte buffer (verdict codes 0/1/2 per row).
//! - [`fhir`]: FHIR Questionnaire import and binding, QuestionnaireResponse scoring (with stored
//!   totals), Observation export.
//! - [`evidence`]: alert evidence about one student as typed records (`StudentEvidence` and its parts).
//! - [`compliance`]: requirement packs and one school's compliance check, the report as typed records.
//! - [`alert`]: alert policy, one-student `evaluate` and `evaluate_batch`, the decision's reasons and deadlines.
//! - [`archive`]: archive records — the counselling record and duty log as typed records, every kind
//!   validated (all problems at once) and migrated as JSON, the role-scoped view, keyed pseudonyms.
//! - [`city_report`]: the city screening report — a spec, an aggregator that counts chunks of columns
//!   and merges partial aggregates (JSON out and, verified, back in), the report as canonical JSON and HTML.
//! - [`error`]: `ChangkaixinError` (Kotlin `ChangkaixinException`), carrying the core's stable codes.
//!
//! See `bindings/README.md` for Android/iOS integration.

uniffi::setup_scaffolding!();

pub mod alert;
pub mod archive;
pub mod batch;
pub mod city_report;
pub mod compliance;
pub mod describe;
pub mod error;
pub mod evidence;
pub mod fhir;
pub mod instrument;
pub mod recode;
pub mod report;

pub use error::{ChangkaixinError, FfiResult};

/// The version of the library (the workspace version), for diagnostics.
#[uniffi::export]
pub fn library_version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}

/// Every stable error code the core can report (for documentation and binding tests).
#[uniffi::export]
pub fn error_codes() -> Vec<String> {
    changkaixin_core::ErrorCode::ALL.iter().map(|c| c.as_str().to_owned()).collect()
}

/// Panics on purpose, so the Kotlin and Swift test programs can prove that a Rust panic reaches them
/// as a catchable `ChangkaixinError.Internal` (code `internal.panic`). Only in `selftest` builds.
#[cfg(feature = "selftest")]
#[uniffi::export]
#[allow(clippy::panic)]
pub fn selftest_panic(message: String) -> FfiResult<()> {
    error::guard(|| panic!("{message}"))
}
