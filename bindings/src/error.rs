//! The one error type of the bindings: Kotlin sees `ChangkaixinException` (a sealed class with one
//! subclass per category), Swift a `ChangkaixinError` enum that functions `throw`.
//!
//! Each variant carries the core's stable `code` (e.g. `"score.unknown_option"`), the `path`, the
//! `item` and batch `row` when the core gives them, and the message as `detail` (a field named
//! `message` would clash with `Throwable.message` in the generated Kotlin, mozilla/uniffi-rs#1434).

use changkaixin_core::{Error as CoreError, ErrorCategory};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Every failure the library reports, one variant per [`ErrorCategory`] of the core, plus
/// `Internal` for a Rust panic caught at the boundary (a bug; it never crashes the app).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum ChangkaixinError {
    /// An instrument spec is malformed or fails lint (`spec.*`).
    #[error("{code}: {detail} (at {path})")]
    Spec {
        code: String,
        path: String,
        item: Option<u32>,
        row: Option<u64>,
        detail: String,
    },
    /// A response does not fit the instrument (`score.*`).
    #[error("{code}: {detail} (at {path})")]
    Score {
        code: String,
        path: String,
        item: Option<u32>,
        row: Option<u64>,
        detail: String,
    },
    /// Batch buffers are malformed (`batch.*`).
    #[error("{code}: {detail} (at {path})")]
    Batch {
        code: String,
        path: String,
        item: Option<u32>,
        row: Option<u64>,
        detail: String,
    },
    /// Catalog lookups (`catalog.*`).
    #[error("{code}: {detail} (at {path})")]
    Catalog {
        code: String,
        path: String,
        item: Option<u32>,
        row: Option<u64>,
        detail: String,
    },
    /// FHIR import/export (`fhir.*`).
    #[error("{code}: {detail} (at {path})")]
    Fhir {
        code: String,
        path: String,
        item: Option<u32>,
        row: Option<u64>,
        detail: String,
    },
    /// Alert policy documents (`policy.*`).
    #[error("{code}: {detail} (at {path})")]
    Policy {
        code: String,
        path: String,
        item: Option<u32>,
        row: Option<u64>,
        detail: String,
    },
    /// Alert evidence (`evidence.*`).
    #[error("{code}: {detail} (at {path})")]
    Evidence {
        code: String,
        path: String,
        item: Option<u32>,
        row: Option<u64>,
        detail: String,
    },
    /// Times and durations (`time.*`).
    #[error("{code}: {detail} (at {path})")]
    Time {
        code: String,
        path: String,
        item: Option<u32>,
        row: Option<u64>,
        detail: String,
    },
    /// Compliance requirement packs and roll-ups (`compliance.*`).
    #[error("{code}: {detail} (at {path})")]
    Compliance {
        code: String,
        path: String,
        item: Option<u32>,
        row: Option<u64>,
        detail: String,
    },
    /// School facts given to a compliance check (`facts.*`).
    #[error("{code}: {detail} (at {path})")]
    Facts {
        code: String,
        path: String,
        item: Option<u32>,
        row: Option<u64>,
        detail: String,
    },
    /// Archive records: schemas, validation, migrations (`archive.*`).
    #[error("{code}: {detail} (at {path})")]
    Archive {
        code: String,
        path: String,
        item: Option<u32>,
        row: Option<u64>,
        detail: String,
    },
    /// Privacy: views, pseudonyms, the consent and disclosure ledger (`privacy.*`).
    #[error("{code}: {detail} (at {path})")]
    Privacy {
        code: String,
        path: String,
        item: Option<u32>,
        row: Option<u64>,
        detail: String,
    },
    /// City screening report inputs or disclosure control (`report.*`).
    #[error("{code}: {detail} (at {path})")]
    Report {
        code: String,
        path: String,
        item: Option<u32>,
        row: Option<u64>,
        detail: String,
    },
    /// A Rust panic caught at the boundary (`internal.panic`). Always a bug: please report it.
    #[error("{code}: {detail}")]
    Internal { code: String, detail: String },
}

impl From<CoreError> for ChangkaixinError {
    fn from(e: CoreError) -> Self {
        let code = e.code().to_owned();
        let path = e.path().to_owned();
        let (item, row, detail) = (e.item(), e.row(), e.message().to_owned());
        match e.category() {
            ErrorCategory::Spec => Self::Spec { code, path, item, row, detail },
            ErrorCategory::Score => Self::Score { code, path, item, row, detail },
            ErrorCategory::Batch => Self::Batch { code, path, item, row, detail },
            ErrorCategory::Catalog => Self::Catalog { code, path, item, row, detail },
            ErrorCategory::Fhir => Self::Fhir { code, path, item, row, detail },
            ErrorCategory::Policy => Self::Policy { code, path, item, row, detail },
            ErrorCategory::Evidence => Self::Evidence { code, path, item, row, detail },
            ErrorCategory::Time => Self::Time { code, path, item, row, detail },
            ErrorCategory::Compliance => Self::Compliance { code, path, item, row, detail },
            ErrorCategory::Facts => Self::Facts { code, path, item, row, detail },
            ErrorCategory::Archive => Self::Archive { code, path, item, row, detail },
            ErrorCategory::Privacy => Self::Privacy { code, path, item, row, detail },
            ErrorCategory::Report => Self::Report { code, path, item, row, detail },
        }
    }
}

/// The fields every variant shares, for code that does not care about the category.
#[uniffi::export]
impl ChangkaixinError {
    /// The stable wire code, e.g. `"score.unknown_option"` (`"internal.panic"` for a caught panic).
    pub fn error_code(&self) -> String {
        match self {
            Self::Spec { code, .. }
            | Self::Score { code, .. }
            | Self::Batch { code, .. }
            | Self::Catalog { code, .. }
            | Self::Fhir { code, .. }
            | Self::Policy { code, .. }
            | Self::Evidence { code, .. }
            | Self::Time { code, .. }
            | Self::Compliance { code, .. }
            | Self::Facts { code, .. }
            | Self::Archive { code, .. }
            | Self::Privacy { code, .. }
            | Self::Report { code, .. }
            | Self::Internal { code, .. } => code.clone(),
        }
    }
    /// Where the problem is (JSON pointer or row/item locator); empty for `Internal`.
    pub fn error_path(&self) -> String {
        match self {
            Self::Spec { path, .. }
            | Self::Score { path, .. }
            | Self::Batch { path, .. }
            | Self::Catalog { path, .. }
            | Self::Fhir { path, .. }
            | Self::Policy { path, .. }
            | Self::Evidence { path, .. }
            | Self::Time { path, .. }
            | Self::Compliance { path, .. }
            | Self::Facts { path, .. }
            | Self::Archive { path, .. }
            | Self::Privacy { path, .. }
            | Self::Report { path, .. } => path.clone(),
            Self::Internal { .. } => String::new(),
        }
    }
    /// The human-readable message (what was expected, what was found).
    pub fn error_detail(&self) -> String {
        match self {
            Self::Spec { detail, .. }
            | Self::Score { detail, .. }
            | Self::Batch { detail, .. }
            | Self::Catalog { detail, .. }
            | Self::Fhir { detail, .. }
            | Self::Policy { detail, .. }
            | Self::Evidence { detail, .. }
            | Self::Time { detail, .. }
            | Self::Compliance { detail, .. }
            | Self::Facts { detail, .. }
            | Self::Archive { detail, .. }
            | Self::Privacy { detail, .. }
            | Self::Report { detail, .. }
            | Self::Internal { detail, .. } => detail.clone(),
        }
    }
}

/// Result alias of the bindings.
pub type FfiResult<T> = Result<T, ChangkaixinError>;

/// Runs `f`, turning a core error into [`ChangkaixinError`] and a panic into `Internal`, so a bug in
/// Rust reaches Kotlin/Swift as an ordinary exception instead of aborting the app (UniFFI's own
/// panic path reaches Swift only as a non-public error type, mozilla/uniffi-rs#1192).
pub(crate) fn guard<T>(f: impl FnOnce() -> Result<T, ChangkaixinError>) -> FfiResult<T> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "non-string panic payload".to_owned());
            Err(ChangkaixinError::Internal {
                code: "internal.panic".to_owned(),
                detail: format!("a Rust panic was caught at the FFI boundary: {what}"),
            })
        }
    }
}
