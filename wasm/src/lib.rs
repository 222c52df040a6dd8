//! # changkaixin-wasm
//!
//! The WebAssembly binding of [`changkaixin_core`] for the 青果·常开心 web frontend.
//! A thin translation: JS values in, the core called, JS values out. No scoring
//! rule lives here; every number, band, flag and error code comes from the core.
//!
//! * Data crosses as the core's own JSON shapes (so reports are byte-for-byte the
//!   Rust ones), typed in the generated `.d.ts` by `src/types.d.ts`.
//! * Batches cross as typed arrays (`Int8Array`, `Uint8Array`, `Int16Array`,
//!   `Int32Array` in; typed-array columns out).
//! * Alert tiers: [`AlertPolicy`] evaluates a student's evidence into a decision.
//! * Archive records (feature `archive`): `validateRecord` returns every problem at once as data;
//!   `viewRecord` is the one per-role export.
//! * City report (feature `report`): an `Aggregator` counts typed-array chunks into the core's
//!   exact aggregate, merges, round-trips as JSON and builds the published report and its HTML.
//! * Every failure is thrown as a real `Error` named `ChangkaixinError` carrying the
//!   core's stable `code`, its `category`, `path`, and `item`/`row` where known.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

#[cfg(feature = "alert")]
mod alert;
#[cfg(feature = "archive")]
mod archive;
#[cfg(any(feature = "batch", feature = "compact"))]
mod batch;
#[cfg(feature = "compliance")]
mod compliance;
mod data;
mod error;
#[cfg(feature = "fhir")]
mod fhir;
mod instrument;
mod json;
mod read;
#[cfg(feature = "report")]
mod report;
mod summary;
mod types;

#[cfg(feature = "alert")]
pub use alert::AlertPolicy;
#[cfg(feature = "archive")]
pub use archive::{migrate_record, record_kinds, record_schema, validate_record, view_record};
#[cfg(feature = "compliance")]
pub use compliance::compliance_check;
pub use data::install_builtin_data;
pub use error::{error_codes, is_changkaixin_error};
#[cfg(feature = "fhir")]
pub use fhir::import_questionnaire;
pub use instrument::{catalog_ids, catalog_spec, package_version, unscored, verdict_of_code, verify_report, Instrument};
#[cfg(feature = "report")]
pub use report::{report_html, Aggregator};

#[cfg(feature = "dev")]
#[wasm_bindgen::prelude::wasm_bindgen(start)]
fn start() {
    // Development builds only: log Rust panics (which trap as `RuntimeError: unreachable`) to the console.
    console_error_panic_hook::set_once();
}
