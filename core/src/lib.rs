//! # changkaixin-core
//!
//! The embeddable core of the 青果·常开心 student mental-health platform:
//! screening-instrument **scoring rules** as data, exact scoring (one response and
//! columnar batches), **alert tiers** (the three-level warning system as explainable
//! policy, [`alert`]), **compliance checks** of a school's facts against the plan's duties
//! ([`compliance`]), and later archive schemas.
//!
//! Pure Rust, no I/O, no clock: time is always an input. Every score is exact
//! (integers and fractions; `rust_decimal` where a non-integer is reported);
//! decimals cross every boundary as strings. Same input, same bytes.
//!
//! ```
//! use changkaixin_core::{Catalog, Response};
//! let phq9 = Catalog::builtin().instrument("phq9").unwrap();
//! let r = Response::from_codes(&[Some(1), Some(2), Some(1), Some(2), Some(1), Some(1), Some(1), Some(2), Some(1), None]);
//! let report = phq9.score(&r).unwrap();
//! assert_eq!(report.scale("total").unwrap().raw.unwrap().to_string(), "12");
//! assert_eq!(report.scale("total").unwrap().band.as_ref().unwrap().id, "moderate");
//! assert!(report.has_flag("item9_self_harm"));
//! ```
#![deny(missing_docs)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod alert;
pub mod archive;
pub mod compliance;
pub mod decimal;
pub mod error;
pub mod fhir;
pub mod instrument;
mod json_string;
pub mod limits;
pub mod privacy;
pub mod report;
pub mod scoring;
pub mod source;
pub mod time;

pub use alert::{evaluate, evaluate_batch, AlertDecision, AlertPolicy, CompiledPolicy, StudentEvidence, Timestamp};
pub use compliance::{check, CompiledPack, ComplianceReport, RequirementPack, SchoolFacts};
pub use decimal::{Dec, Ratio, Rounding};
pub use error::{Error, ErrorCategory, ErrorCode, Result};
pub use instrument::catalog::Catalog;
pub use instrument::spec::InstrumentSpec;
pub use instrument::Instrument;
pub use scoring::batch::{BatchColumns, BatchInput, BatchKernel, ScaleColumns};
pub use scoring::report::{Answer, Response, ScoreReport, ValidityStatus, Verdict};
