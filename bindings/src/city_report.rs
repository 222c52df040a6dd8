//! The city screening report (issue 13): a [`CityReportSpec`] (layout and measures, from its JSON),
//! a [`ReportAggregator`] that counts chunks of plain columns ([`ReportColumns`]) and merges
//! partial aggregates, the aggregate as JSON (to hand to another process, verified when read back),
//! and the published report as canonical JSON or its HTML page.
//!
//! Everything is the core's `report::api` façade: the spec is validated, an aggregate from JSON is
//! verified, the disclosure control (primary and complementary suppression), the Wilson intervals
//! and the bytes of the report are the core's. Errors are `Report` (`report.parse`, `report.shape`,
//! `report.invalid_code` with the chunk's `row`, `report.overflow`, `report.unprotectable`).
//! See `docs/report.md`.

use crate::error::{guard, FfiResult};
use changkaixin_core::report::{self as core, Aggregate, InstrumentRows, ReportRequest, ReportRows, ReportSpec};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// The layout (districts, schools, grades, sexes) and the measures of a city report, validated.
#[derive(Debug, uniffi::Object)]
pub struct CityReportSpec {
    spec: ReportSpec,
}

#[uniffi::export]
impl CityReportSpec {
    /// Parse and validate a report spec (`{"layout": {...}, "measures": [...]}`, `docs/report.md`):
    /// `report.parse` (with `line L column C`) or `report.shape`.
    #[uniffi::constructor]
    pub fn from_json(json: String) -> FfiResult<Arc<Self>> {
        guard(|| {
            Ok(Arc::new(CityReportSpec {
                spec: ReportSpec::from_json(&json)?,
            }))
        })
    }

    /// The spec as the core's canonical JSON.
    pub fn to_json(&self) -> String {
        self.spec.to_json()
    }

    /// The district code of every school, by school code (a row's `district` must be its school's).
    pub fn school_districts(&self) -> Vec<u16> {
        self.spec.layout.schools.iter().map(|s| s.district).collect()
    }
}

/// One instrument's columns of a chunk, one entry per row (as `scoreBatch` gives them): band codes
/// (`255` = no band), screen verdict codes (0/1/2), positive and indeterminate flag bitsets
/// (`flags_indeterminate` may be empty: none indeterminate). Columns a measure does not read may be empty.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct InstrumentColumns {
    pub band: Vec<u8>,
    pub screen: Vec<u8>,
    pub flags: Vec<u64>,
    pub flags_indeterminate: Vec<u64>,
}

/// One chunk of rows, one per screened student: codes into the spec's layout (district, school,
/// grade, sex), the alert tier code (needed by tier measures, else may be empty) and per instrument
/// its columns.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct ReportColumns {
    pub district: Vec<u16>,
    pub school: Vec<u32>,
    pub grade: Vec<u8>,
    pub sex: Vec<u8>,
    pub tiers: Vec<u8>,
    pub instruments: Vec<InstrumentColumns>,
}

/// Exact counts for one spec, added to in chunks and merged (in any order and grouping: same
/// aggregate). Thread-safe; a failed `add` or `merge` leaves the counts unchanged.
#[derive(Debug, uniffi::Object)]
pub struct ReportAggregator {
    spec: Arc<CityReportSpec>,
    agg: Mutex<Aggregate>,
}

impl ReportAggregator {
    fn counts(&self) -> MutexGuard<'_, Aggregate> {
        // A panic while the lock was held was caught by `guard` before any count changed (both
        // `add` and `merge` work on a copy), so a poisoned lock still holds consistent counts.
        self.agg.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[uniffi::export]
impl ReportAggregator {
    /// An empty aggregate for `spec`.
    #[uniffi::constructor]
    pub fn new(spec: Arc<CityReportSpec>) -> FfiResult<Arc<Self>> {
        guard(|| {
            let agg = Aggregate::new(&spec.spec)?;
            Ok(Arc::new(ReportAggregator { spec, agg: Mutex::new(agg) }))
        })
    }

    /// An aggregate written by [`ReportAggregator::to_json`] (here or in another process), verified
    /// against `spec`: the same layout and measures, at most the largest supported number of
    /// students, every measure's categories adding up to each group's number screened
    /// (`report.parse`, `report.shape`, `report.overflow`).
    #[uniffi::constructor]
    pub fn from_json(spec: Arc<CityReportSpec>, json: String) -> FfiResult<Arc<Self>> {
        guard(|| {
            let agg = Aggregate::from_json(&json, &spec.spec)?;
            Ok(Arc::new(ReportAggregator { spec, agg: Mutex::new(agg) }))
        })
    }

    /// Count one chunk of rows. A column of the wrong length is `report.shape`; a code outside the
    /// layout or a measure's categories is `report.invalid_code` with the `row` in this chunk.
    /// On an error nothing of the chunk is counted.
    pub fn add(&self, columns: ReportColumns) -> FfiResult<()> {
        guard(|| {
            let inst: Vec<InstrumentRows<'_>> = columns
                .instruments
                .iter()
                .map(|i| InstrumentRows {
                    band: &i.band,
                    screen: &i.screen,
                    flags: &i.flags,
                    flags_indeterminate: &i.flags_indeterminate,
                })
                .collect();
            let rows = ReportRows {
                district: &columns.district,
                school: &columns.school,
                grade: &columns.grade,
                sex: &columns.sex,
                instruments: &inst,
                tiers: &columns.tiers,
            };
            let mut counts = self.counts();
            let mut next = counts.clone();
            next.add(&self.spec.spec, &rows)?;
            *counts = next;
            Ok(())
        })
    }

    /// Add another partial aggregate (of the same spec) to this one: `report.shape` for another
    /// shape, `report.overflow` when a count would exceed 2^32 − 1.
    pub fn merge(&self, other: Arc<ReportAggregator>) -> FfiResult<()> {
        guard(|| {
            // Copy the other side first: merging an aggregator into itself must not lock twice.
            let theirs = other.counts().clone();
            let mut counts = self.counts();
            let mut next = counts.clone();
            next.merge(&theirs)?;
            *counts = next;
            Ok(())
        })
    }

    /// Students counted so far.
    pub fn screened(&self) -> u64 {
        self.counts().total()
    }

    /// The aggregate as the core's canonical JSON (`changkaixin.report-aggregate/1`), for
    /// [`ReportAggregator::from_json`], [`city_report_json`] or a request's `previous.aggregate`.
    pub fn to_json(&self) -> String {
        self.counts().to_json()
    }

    /// The published report of these counts as canonical JSON (`changkaixin.city-report/1`).
    /// `request_json` is `{"round": {id, zh, en}, "settings"?: {...}, "enrolment"?: [...],
    /// "previous"?: {"round": {...}, "aggregate": <an aggregate's JSON>}}` (the previous aggregate is
    /// verified like any other). Suppressed cells carry no count, rate, interval or change.
    pub fn report_json(&self, request_json: String) -> FfiResult<String> {
        guard(|| {
            let spec = &self.spec.spec;
            let request = ReportRequest::from_json(&request_json, spec)?;
            let counts = self.counts().clone();
            Ok(core::report_json(&core::report_for(spec, &counts, &request)?))
        })
    }
}

/// The published report as canonical JSON from the spec, an aggregate and a request, all as JSON
/// (the core's `city_report_json`; the same bytes as [`ReportAggregator::report_json`]).
#[uniffi::export]
pub fn city_report_json(spec_json: String, aggregate_json: String, request_json: String) -> FfiResult<String> {
    guard(|| Ok(core::city_report_json(&spec_json, &aggregate_json, &request_json)?))
}

/// A published report (its JSON, as [`city_report_json`] returns it) as one self-contained HTML
/// page: tables and inline SVG charts, suppressed cells shown as `S`, every text escaped (the
/// report is re-read into its typed form first, so no markup in it survives).
#[uniffi::export]
pub fn city_report_html(report_json: String) -> FfiResult<String> {
    guard(|| Ok(core::report_html_from_json(&report_json)?))
}
