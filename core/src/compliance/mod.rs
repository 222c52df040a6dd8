//! Compliance checks: the plan's duties as cited, versioned requirements that a school's facts
//! are checked against, duty by duty, with roll-ups per district and for the city.
//!
//! * [`pack`]: requirement packs (`changkaixin.compliance-pack/1`) — every requirement cites its
//!   document, clause and quoted text, names a metric from a closed set ([`pack::METRICS`]), a
//!   period, a comparison and a threshold, the stages and locations it applies to, its effective
//!   dates and the severity of a miss. Built in: `core/compliance/changzhou_2022_2024.json`
//!   (常教办〔2021〕90号) and `core/compliance/national_2023.json` (教体艺〔2023〕1号).
//!   Packs are linted on load.
//! * [`facts`]: what a school reports for one school year (`changkaixin.compliance-facts/1`).
//!   A missing fact is never a zero.
//! * [`check`]: facts × pack × day → [`ComplianceReport`]: per requirement `pass`, `fail`,
//!   `not_applicable` (with the reason) or `insufficient_evidence` (with the missing facts), the
//!   measured and required values, the shortfall, the clause, the failing units (which classes in
//!   which fortnights, which days) and an explanation in Chinese and English.
//! * [`rollup`] and [`finding_rows`]: districts and the city; one row per school × requirement.
//!
//! Plain serde data in and out, decimals as strings ([`crate::Dec`]), dates as `YYYY-MM-DD`
//! ([`crate::time::Date`]), no clock and no I/O. See `docs/compliance.md`.
//!
//! ```
//! use changkaixin_core::compliance::{check_json, Status};
//! let facts = r#"{"format": "changkaixin.compliance-facts/1", "school": {"id": "cz-001"},
//!   "profile": {"stage": "junior", "location": "urban"},
//!   "staff": [{"id": "t1", "psychology_teacher": "part_time"}]}"#;
//! let report = check_json("changzhou_2022_2024", facts, "2024-03-01").unwrap();
//! let f = report.finding("cz.staff.full_time_psychology_teacher").unwrap();
//! assert_eq!(f.status, Status::Fail);                       // by 2024: a full-time teacher
//! assert_eq!(f.measured.as_ref().unwrap().value.to_string(), "0");
//! assert_eq!(f.required.value.to_string(), "1");
//! assert_eq!(f.clause, "二(五)15");
//! ```

pub mod eval;
pub mod facts;
pub mod pack;
pub mod report;

#[cfg(test)]
mod tests;

pub use eval::{check, check_summary, check_summary_validated, check_validated};
pub use facts::{SchoolFacts, COMPLIANCE_FACTS_FORMAT};
pub use pack::{
    metric, Applicability, Check, CompiledPack, Location, MetricDef, Op, Period, Requirement, RequirementPack, Scope, Severity, Stage, Unit,
    CHANGZHOU_2022_2024_JSON, COMPLIANCE_PACK_FORMAT, METRICS, NATIONAL_2023_JSON,
};
pub use report::{
    finding_rows, rollup, rollup_summaries, AttestationUsed, ComplianceReport, Finding, FindingRow, FindingSummary, Gap, GroupRollup, Method, MissingFact,
    PackRef, Quantity, Required, RequirementRollup, Rollup, SchoolSummary, Status, StatusCounts, UnitCounts, UnitFinding, COMPLIANCE_REPORT_FORMAT,
    COMPLIANCE_ROLLUP_FORMAT,
};

use crate::error::{Error, ErrorCode, Result};
use crate::time::Date;

/// Check facts JSON against a built-in pack (`changzhou_2022_2024`, `national_2023`) as of a
/// `YYYY-MM-DD` day — the one-call form bindings expose.
pub fn check_json(pack_id: &str, facts_json: &str, as_of: &str) -> Result<ComplianceReport> {
    let pack = CompiledPack::builtin(pack_id)?;
    let as_of = Date::parse(as_of).map_err(|e| e.prefixed("as_of"))?;
    let facts = SchoolFacts::from_json(facts_json)?;
    Ok(check_validated(pack, &facts, as_of))
}

/// Parse JSON with serde, reporting where a value does not fit as a JSON pointer.
pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(json: &str, code: ErrorCode) -> Result<T> {
    let mut de = serde_json::Deserializer::from_str(json);
    let out: std::result::Result<T, _> = serde_path_to_error::deserialize(&mut de);
    match out {
        Ok(v) => match de.end() {
            Ok(()) => Ok(v),
            Err(e) => Err(Error::from_json(code, &e)),
        },
        Err(e) => {
            let inner = e.inner();
            let pointer = pointer(e.path());
            let path = if inner.is_syntax() || inner.is_eof() || pointer.is_empty() && inner.line() > 0 && !inner.is_data() {
                format!("line {} column {}", inner.line(), inner.column())
            } else {
                pointer
            };
            Err(Error::new(code, path, strip_position(&inner.to_string())))
        }
    }
}

fn pointer(p: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for s in p.iter() {
        match s {
            Segment::Seq { index } => out.push_str(&format!("/{index}")),
            Segment::Map { key } => out.push_str(&format!("/{}", key.replace('~', "~0").replace('/', "~1"))),
            Segment::Enum { variant } => out.push_str(&format!("/{variant}")),
            Segment::Unknown => {}
        }
    }
    out
}

/// serde_json appends " at line L column C"; the path says where, so drop it.
fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_owned(),
        None => msg.to_owned(),
    }
}

/// At most the first 40 characters of an input value, quoted.
pub(crate) fn short(s: &str) -> String {
    let mut out: String = s.chars().take(40).collect();
    if out.len() < s.len() {
        out.push('…');
    }
    format!("{out:?}")
}
