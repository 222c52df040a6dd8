//! The city-wide screening report (plan 二(三)8: 统一形成全市中小学生心理普测测评报告):
//! exact aggregates with Wilson intervals, disclosure control that holds across linked tables,
//! and a self-contained HTML report.
//!
//! * [`aggregate`]: the layout (districts, schools, grades, sexes), the measures (band, screen
//!   verdict, flag, tier classifications) and plain per-row columns, counted into an exact
//!   [`Aggregate`] that is added to in chunks and merged (commutative, associative, checked).
//! * [`suppress`]: primary and complementary cell suppression over the linked tables
//!   district × grade, school × grade and grade × sex, and the exact audit (integer witnesses:
//!   see the module docs for the attacker model and why no floating-point LP is needed).
//! * [`build`]: the published [`CityReport`] (serde; suppressed cells carry no count, rate,
//!   interval or change) and the internal [`Audit`] (true values; never publish it).
//! * [`html`]: the report as one self-contained HTML page (inline SVG charts, no network).
//! * [`wilson`]: rates and Wilson 95 % intervals in integer arithmetic.
//!
//! Same input, same bytes. See `docs/report.md`.
//!
//! ```
//! use changkaixin_core::report::*;
//! let l = |id: &str| Label::new(id, id, id);
//! let spec = ReportSpec {
//!     layout: Layout {
//!         districts: vec![l("d1")],
//!         schools: vec![School { id: "s1".into(), zh: "一中".into(), en: "No. 1".into(), district: 0 }],
//!         grades: vec![l("7")],
//!         sexes: vec![l("M"), l("F")],
//!     },
//!     measures: vec![Measure::tiers("tier", "预警等级", "alert tier", vec![l("none"), l("watch")])],
//! };
//! let mut agg = Aggregate::new(&spec).unwrap();
//! let tiers = [0u8, 0, 1, 0];
//! agg.add(&spec, &ReportRows { district: &[0; 4], school: &[0; 4], grade: &[0; 4], sex: &[0, 1, 0, 1],
//!                              tiers: &tiers, ..Default::default() }).unwrap();
//! let opts = ReportOptions { round: Round { id: "r".into(), zh: "r".into(), en: "r".into() },
//!                            suppression: Settings::default(), enrolment: None, previous: None };
//! let report = city_report(&spec, &agg, &opts).unwrap();
//! // four students: every tier count is suppressed, the number screened is published
//! assert_eq!(report.screened, 4);
//! assert!(report.measures[0].grade_sex.cells.iter().all(|c| c.count.is_none()));
//! ```

pub mod aggregate;
pub mod api;
pub mod build;
pub mod html;
pub mod suppress;
pub mod wilson;

pub use aggregate::{
    band_codes, verdict_categories, Aggregate, InstrumentRows, Label, Layout, Measure, MeasureSource, ReportRows, ReportSpec, School, AGGREGATE_FORMAT,
};
pub use api::{city_report_json, report_for, report_html_from_json, report_json, PreviousRound, ReportRequest};
pub use build::{
    city_report, city_report_audited, Audit, Cell, CellState, CityReport, Coverage, CoverageCell, CoverageTable, Head, MeasureAudit, MeasureReport, Method,
    ReportOptions, Round, Table, REPORT_FORMAT,
};
pub use html::to_html;
pub use suppress::{AuditCell, Level, Pattern, Pos, Sel, Settings, Status};
