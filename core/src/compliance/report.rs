//! Compliance reports (one school), roll-ups (districts and the city) and the flat
//! one-row-per-school-×-requirement table bindings turn into data frames.

use crate::compliance::facts::SchoolRef;
use crate::compliance::pack::{CompiledPack, Op, Period, Scope, Severity, Unit};
use crate::decimal::{Dec, Ratio, Rounding};
use crate::error::{Error, ErrorCode, Result};
use crate::instrument::spec::Localized;
use crate::source::SourceCitation;
use crate::time::Date;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The format tag of a compliance report.
pub const COMPLIANCE_REPORT_FORMAT: &str = "changkaixin.compliance-report/1";
/// The format tag of a roll-up.
pub const COMPLIANCE_ROLLUP_FORMAT: &str = "changkaixin.compliance-rollup/1";
/// Most failing (or missing) units listed in one finding; the rest are counted in `*_omitted`.
pub const MAX_LISTED_UNITS: usize = 100;
/// Worst gaps listed per requirement in a roll-up.
pub const MAX_WORST_GAPS: usize = 5;

/// The outcome of one requirement for one school.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Evidence shows the duty met in every assessed unit.
    Pass,
    /// Evidence shows at least one unit below the requirement (measured and required values given).
    Fail,
    /// The requirement does not apply (stage, location, dates, nothing due yet); `reason` says why.
    NotApplicable,
    /// Facts needed are missing (`missing` lists them); no unit failed.
    InsufficientEvidence,
}

impl Status {
    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::NotApplicable => "not_applicable",
            Status::InsufficientEvidence => "insufficient_evidence",
        }
    }
}

/// How a requirement is checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Measured from facts.
    Measured,
    /// No fact can measure it: the school's attestation is the evidence.
    Attestation,
}

/// The pack a report was checked against.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackRef {
    /// Pack id.
    pub id: String,
    /// Pack version.
    pub version: String,
}

/// A measured value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Quantity {
    /// The value (a decimal string; percentages 0–100, rounded towards the threshold's far side to 2 places).
    pub value: Dec,
    /// Its unit.
    pub unit: Unit,
}

/// What the requirement demands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Required {
    /// Comparison.
    pub op: Op,
    /// Threshold (`ge` / `le`; for `all_of` the number of entries required; for `attested`, 1).
    pub value: Dec,
    /// For `all_of`: the entries required.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kinds: Vec<String>,
    /// Unit.
    pub unit: Unit,
}

/// One assessed unit below the requirement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnitFinding {
    /// What the unit is.
    pub scope: Scope,
    /// Class, staff, run or kind id; grade number; absent for the school.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// First day of the unit's period.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<Date>,
    /// Last day of the unit's period.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<Date>,
    /// Measured value.
    pub measured: Dec,
    /// How far below (or above, for `le`) the requirement.
    pub shortfall: Dec,
    /// What is missing, for `all_of` units (e.g. the zones absent).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lacking: Vec<String>,
}

/// A fact needed and not given.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MissingFact {
    /// JSON pointer into the facts document (`/classes/3/sport`, `/staff/2/mental_health_training_hours`).
    pub fact: String,
    /// The unit it was needed for.
    pub scope: Scope,
    /// Unit id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// First day it was needed for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<Date>,
    /// Last day it was needed for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<Date>,
}

/// How many units a finding assessed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnitCounts {
    /// Units with a measured value (passed + failed).
    pub assessed: u32,
    /// Units meeting the requirement.
    pub passed: u32,
    /// Units below it.
    pub failed: u32,
    /// Units whose facts are missing.
    pub missing: u32,
    /// Units whose period has not ended by `as_of` and not yet met (not judged).
    pub pending: u32,
}

/// The attestation a finding rests on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttestationUsed {
    /// Whether the school states the duty is met.
    pub met: bool,
    /// Who.
    pub by: String,
    /// Their role.
    pub role: String,
    /// When.
    pub on: Date,
    /// What it rests on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// One requirement's outcome for one school.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Finding {
    /// Requirement id.
    pub requirement: String,
    /// Requirement version.
    pub version: String,
    /// Title.
    pub title: Localized,
    /// The first source's clause (e.g. `二(一)2`).
    pub clause: String,
    /// Every source, cited.
    pub sources: Vec<SourceCitation>,
    /// Severity of a miss.
    pub severity: Severity,
    /// Measured or attested.
    pub method: Method,
    /// Outcome.
    pub status: Status,
    /// Metric id.
    pub metric: String,
    /// Period.
    pub period: Period,
    /// The decisive measured value: the worst unit's (lowest for `ge`, highest for `le`). Always
    /// present for `pass` and `fail`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub measured: Option<Quantity>,
    /// What is required.
    pub required: Required,
    /// The largest shortfall of a failing unit (present exactly when `fail`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shortfall: Option<Dec>,
    /// Unit counts.
    pub units: UnitCounts,
    /// Failing units (at most [`MAX_LISTED_UNITS`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failures: Vec<UnitFinding>,
    /// Failing units not listed.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub failures_omitted: u32,
    /// Missing facts (at most [`MAX_LISTED_UNITS`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<MissingFact>,
    /// Missing facts not listed.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub missing_omitted: u32,
    /// Why the requirement does not apply (`not_applicable` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<Localized>,
    /// The attestation used (attestation-only requirements).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attestation: Option<AttestationUsed>,
    /// The pack's reading of the text, where the text leaves a choice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interpretation: Option<Localized>,
    /// What the finding means, for a principal.
    pub explanation: Localized,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// Findings by status.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusCounts {
    /// Passed.
    pub pass: u32,
    /// Failed.
    pub fail: u32,
    /// Not applicable.
    pub not_applicable: u32,
    /// Insufficient evidence.
    pub insufficient_evidence: u32,
}

impl StatusCounts {
    pub(crate) fn add(&mut self, s: Status) {
        match s {
            Status::Pass => self.pass += 1,
            Status::Fail => self.fail += 1,
            Status::NotApplicable => self.not_applicable += 1,
            Status::InsufficientEvidence => self.insufficient_evidence += 1,
        }
    }
}

/// One school's compliance report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComplianceReport {
    /// [`COMPLIANCE_REPORT_FORMAT`].
    pub format: String,
    /// The pack checked against.
    pub pack: PackRef,
    /// The school.
    pub school: SchoolRef,
    /// The school year of the facts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub school_year: Option<String>,
    /// The day checked (inclusive: periods ending on or before it are judged).
    pub as_of: Date,
    /// Findings by status.
    pub counts: StatusCounts,
    /// One finding per requirement version of the pack, in pack order.
    pub findings: Vec<Finding>,
    /// The report in two sentences.
    pub summary: Localized,
}

impl ComplianceReport {
    /// Canonical JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
    /// Parse a report back.
    pub fn from_json(json: &str) -> Result<ComplianceReport> {
        crate::compliance::parse_json(json, ErrorCode::CompliancePackParse)
    }
    /// The finding of a requirement id (the version in force, or the first).
    pub fn finding(&self, requirement: &str) -> Option<&Finding> {
        self.findings
            .iter()
            .find(|f| f.requirement == requirement && f.status != Status::NotApplicable)
            .or_else(|| self.findings.iter().find(|f| f.requirement == requirement))
    }
}

/// The lean outcome of one requirement (see [`crate::compliance::check_summary`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FindingSummary {
    /// Outcome.
    pub status: Status,
    /// The decisive measured value (as in [`Finding::measured`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub measured: Option<Dec>,
    /// The required value.
    pub required: Dec,
    /// The largest shortfall (fail only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shortfall: Option<Dec>,
    /// Unit counts.
    pub units: UnitCounts,
}

/// One school's lean compliance outcome: one [`FindingSummary`] per requirement, in pack order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchoolSummary {
    /// The pack.
    pub pack: PackRef,
    /// The school.
    pub school: SchoolRef,
    /// The day checked.
    pub as_of: Date,
    /// Findings by status.
    pub counts: StatusCounts,
    /// Per requirement, in pack order.
    pub findings: Vec<FindingSummary>,
}

impl ComplianceReport {
    /// The lean form of this report.
    pub fn summarize(&self) -> SchoolSummary {
        SchoolSummary {
            pack: self.pack.clone(),
            school: self.school.clone(),
            as_of: self.as_of,
            counts: self.counts,
            findings: self
                .findings
                .iter()
                .map(|f| FindingSummary {
                    status: f.status,
                    measured: f.measured.as_ref().map(|q| q.value),
                    required: f.required.value,
                    shortfall: f.shortfall,
                    units: f.units,
                })
                .collect(),
        }
    }
}

/// One row per school × requirement (what bindings turn into a data frame).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FindingRow {
    /// School id.
    pub school: String,
    /// District.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub district: Option<String>,
    /// Requirement id.
    pub requirement: String,
    /// Requirement version.
    pub version: String,
    /// Clause.
    pub clause: String,
    /// Severity.
    pub severity: Severity,
    /// Method.
    pub method: Method,
    /// Status.
    pub status: Status,
    /// Measured value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub measured: Option<Dec>,
    /// Required value.
    pub required: Dec,
    /// Shortfall.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shortfall: Option<Dec>,
    /// Unit.
    pub unit: Unit,
    /// Failing units.
    pub failed_units: u32,
    /// Units with missing facts.
    pub missing_units: u32,
}

/// Flatten reports into rows, reports in order, findings in pack order.
pub fn finding_rows(reports: &[ComplianceReport]) -> Vec<FindingRow> {
    reports
        .iter()
        .flat_map(|r| {
            r.findings.iter().map(move |f| FindingRow {
                school: r.school.id.clone(),
                district: r.school.district.clone(),
                requirement: f.requirement.clone(),
                version: f.version.clone(),
                clause: f.clause.clone(),
                severity: f.severity,
                method: f.method,
                status: f.status,
                measured: f.measured.as_ref().map(|q| q.value),
                required: f.required.value,
                shortfall: f.shortfall,
                unit: f.required.unit,
                failed_units: f.units.failed,
                missing_units: f.units.missing,
            })
        })
        .collect()
}

/// A school among the worst gaps of a requirement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Gap {
    /// School id.
    pub school: String,
    /// Measured (worst unit).
    pub measured: Dec,
    /// Required.
    pub required: Dec,
    /// Shortfall.
    pub shortfall: Dec,
    /// Failing units.
    pub failed_units: u32,
}

/// One requirement across a group of schools.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequirementRollup {
    /// Requirement id.
    pub requirement: String,
    /// Version.
    pub version: String,
    /// Title.
    pub title: Localized,
    /// Clause.
    pub clause: String,
    /// Severity.
    pub severity: Severity,
    /// Method.
    pub method: Method,
    /// Schools where it applies (pass + fail + insufficient evidence).
    pub applicable: u32,
    /// Schools passing.
    pub pass: u32,
    /// Schools failing.
    pub fail: u32,
    /// Schools with insufficient evidence (never counted as compliant).
    pub insufficient_evidence: u32,
    /// Schools where it does not apply.
    pub not_applicable: u32,
    /// pass / applicable as a percentage (1 decimal, rounded down); absent when nothing applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compliance_rate: Option<Dec>,
    /// The failing schools with the largest relative shortfall (at most [`MAX_WORST_GAPS`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub worst_gaps: Vec<Gap>,
    /// Every failing school, by id.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failing_schools: Vec<String>,
    /// Every school with insufficient evidence, by id (listed apart from failures).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub insufficient_schools: Vec<String>,
}

/// A group of schools (a district, or the city).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupRollup {
    /// District name, or `city`.
    pub name: String,
    /// Schools in the group.
    pub schools: u32,
    /// Per requirement, in pack order.
    pub requirements: Vec<RequirementRollup>,
}

/// Compliance across schools: the city and each district.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rollup {
    /// [`COMPLIANCE_ROLLUP_FORMAT`].
    pub format: String,
    /// The pack.
    pub pack: PackRef,
    /// The day checked.
    pub as_of: Date,
    /// The whole city.
    pub city: GroupRollup,
    /// Each district, by name (schools without one under `unassigned`).
    pub districts: Vec<GroupRollup>,
}

/// Roll reports up by district and for the city.
///
/// Every report must come from `pack` (same id and version) and the same `as_of`
/// (`compliance.rollup_mismatch` otherwise, path `/<index>`).
pub fn rollup(pack: &CompiledPack, reports: &[ComplianceReport]) -> Result<Rollup> {
    let summaries: Vec<SchoolSummary> = reports.iter().map(ComplianceReport::summarize).collect();
    rollup_summaries(pack, &summaries)
}

/// [`rollup`] from lean summaries ([`crate::compliance::check_summary`]); the same result.
pub fn rollup_summaries(pack: &CompiledPack, reports: &[SchoolSummary]) -> Result<Rollup> {
    let as_of = reports.first().map(|r| r.as_of).unwrap_or(Date::from_days(0));
    for (i, r) in reports.iter().enumerate() {
        if r.pack.id != pack.id() || r.pack.version != pack.version() {
            return Err(Error::new(
                ErrorCode::ComplianceRollupMismatch,
                format!("/{i}/pack"),
                format!("report checked against {} {}, not {} {}", r.pack.id, r.pack.version, pack.id(), pack.version()),
            ));
        }
        if r.as_of != as_of {
            return Err(Error::new(
                ErrorCode::ComplianceRollupMismatch,
                format!("/{i}/as_of"),
                format!("report as of {}, others as of {as_of}", r.as_of),
            ));
        }
        if r.findings.len() != pack.source.requirements.len() {
            return Err(Error::new(
                ErrorCode::ComplianceRollupMismatch,
                format!("/{i}/findings"),
                "the report does not have one finding per requirement of the pack",
            ));
        }
    }
    let mut by_district: BTreeMap<&str, Vec<&SchoolSummary>> = BTreeMap::new();
    for r in reports {
        by_district.entry(r.school.district.as_deref().unwrap_or("unassigned")).or_default().push(r);
    }
    let all: Vec<&SchoolSummary> = reports.iter().collect();
    Ok(Rollup {
        format: COMPLIANCE_ROLLUP_FORMAT.to_owned(),
        pack: PackRef {
            id: pack.id().to_owned(),
            version: pack.version().to_owned(),
        },
        as_of,
        city: group(pack, "city", &all),
        districts: by_district.into_iter().map(|(d, rs)| group(pack, d, &rs)).collect(),
    })
}

fn group(pack: &CompiledPack, name: &str, reports: &[&SchoolSummary]) -> GroupRollup {
    let requirements = pack
        .source
        .requirements
        .iter()
        .enumerate()
        .map(|(k, req)| {
            let mut rr = RequirementRollup {
                requirement: req.id.clone(),
                version: req.version.clone(),
                title: req.title.clone(),
                clause: req.sources.first().map(|s| s.clause.clone()).unwrap_or_default(),
                severity: req.severity,
                method: if req.check.op == Op::Attested {
                    Method::Attestation
                } else {
                    Method::Measured
                },
                applicable: 0,
                pass: 0,
                fail: 0,
                insufficient_evidence: 0,
                not_applicable: 0,
                compliance_rate: None,
                worst_gaps: Vec::new(),
                failing_schools: Vec::new(),
                insufficient_schools: Vec::new(),
            };
            let mut gaps: Vec<(Ratio, Gap)> = Vec::new();
            for r in reports {
                let Some(f) = r.findings.get(k) else { continue };
                match f.status {
                    Status::Pass => rr.pass += 1,
                    Status::Fail => {
                        rr.fail += 1;
                        rr.failing_schools.push(r.school.id.clone());
                        // Values in a report were computed by the engine from checked inputs, so they
                        // convert; one that did not would only lose its place in the gap ranking.
                        if let (Some(m), Some(s), Some(req_r)) = (f.measured, f.shortfall, f.required.to_ratio()) {
                            let sr = s.to_ratio().unwrap_or(Ratio::int(0));
                            let rel = if req_r.num() == 0 {
                                sr
                            } else {
                                Ratio::new(sr.num().saturating_mul(req_r.den()), sr.den().saturating_mul(req_r.num()).max(1))
                            };
                            gaps.push((
                                rel,
                                Gap {
                                    school: r.school.id.clone(),
                                    measured: m,
                                    required: f.required,
                                    shortfall: s,
                                    failed_units: f.units.failed,
                                },
                            ));
                        }
                    }
                    Status::InsufficientEvidence => {
                        rr.insufficient_evidence += 1;
                        rr.insufficient_schools.push(r.school.id.clone());
                    }
                    Status::NotApplicable => rr.not_applicable += 1,
                }
            }
            rr.applicable = rr.pass + rr.fail + rr.insufficient_evidence;
            if rr.applicable > 0 {
                rr.compliance_rate = Some(Ratio::new(i64::from(rr.pass) * 100, i64::from(rr.applicable)).round_to_dec(1, Rounding::Floor));
            }
            gaps.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.failed_units.cmp(&a.1.failed_units)).then(a.1.school.cmp(&b.1.school)));
            rr.worst_gaps = gaps.into_iter().take(MAX_WORST_GAPS).map(|g| g.1).collect();
            rr
        })
        .collect();
    GroupRollup {
        name: name.to_owned(),
        schools: reports.len() as u32,
        requirements,
    }
}
