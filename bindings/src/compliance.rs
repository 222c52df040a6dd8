//! Compliance checks (issue 11): a school's facts for a school year checked against a versioned
//! requirement pack, duty by duty. The pack is an object ([`CompliancePack`]: the built-in
//! Changzhou 2022–2024 and national 2023 packs, or a pack document); the facts cross as their JSON
//! document (`changkaixin.compliance-facts/1`, `docs/compliance.md`), as a platform exports them;
//! the report comes back as typed records ([`ComplianceReport`]) or as the core's canonical JSON.
//!
//! Enum-like fields whose names would clash on the foreign side (`Unit` is Kotlin's `Unit`,
//! `Severity` the scoring one) are their wire strings: `period`, `op`, `unit`, `scope`,
//! `severity`. The finding status and method are enums. Dates are `YYYY-MM-DD` strings.

use crate::alert::SourceCitation;
use crate::error::{guard, FfiResult};
use changkaixin_core::compliance::{self as core, CompiledPack};
use changkaixin_core::instrument::spec::Localized;
use std::sync::Arc;

/// A finding's outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum ComplianceStatus {
    /// Measured (or attested) and meets the requirement.
    Pass,
    /// Measured (or attested) and misses it: `measured`, `required`, `shortfall` and the failing units say by how much.
    Fail,
    /// The requirement does not apply to this school on this day (`reason` says why).
    NotApplicable,
    /// Facts needed to decide are missing (`missing` lists them); never a pass, never a fail.
    InsufficientEvidence,
}

/// How a requirement is checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum ComplianceMethod {
    /// From the facts.
    Measured,
    /// By a named person's attestation (no fact can measure it).
    Attestation,
}

/// A compiled, linted requirement pack (core `CompiledPack`).
#[derive(uniffi::Object)]
pub struct CompliancePack {
    inner: Arc<CompiledPack>,
}

/// The result of checking one school (core `ComplianceReport`).
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct ComplianceReport {
    pub format: String,
    pub pack_id: String,
    pub pack_version: String,
    pub school: SchoolRef,
    pub school_year: Option<String>,
    pub as_of: String,
    pub counts: StatusCounts,
    pub findings: Vec<Finding>,
    pub summary: Localized,
}

/// The school a report is about.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct SchoolRef {
    pub id: String,
    pub name: Option<String>,
    pub district: Option<String>,
}

/// How many findings have each status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Record)]
pub struct StatusCounts {
    pub pass: u32,
    pub fail: u32,
    pub not_applicable: u32,
    pub insufficient_evidence: u32,
}

/// One requirement checked (core `Finding`).
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct Finding {
    pub requirement: String,
    pub version: String,
    pub title: Localized,
    /// The clause of the document, e.g. `二(一)2`.
    pub clause: String,
    pub sources: Vec<SourceCitation>,
    /// `target`, `minor`, `major`, `critical`.
    pub severity: String,
    pub method: ComplianceMethod,
    pub status: ComplianceStatus,
    pub metric: String,
    /// `school_day`, `week`, `fortnight`, `term`, `school_year`, `special_period`, `as_of`.
    pub period: String,
    pub measured: Option<Quantity>,
    pub required: Required,
    pub shortfall: Option<String>,
    pub units: UnitCounts,
    /// The failing units (which classes in which fortnights, which days), at most 100.
    pub failures: Vec<UnitFinding>,
    pub failures_omitted: u32,
    pub missing: Vec<MissingFact>,
    pub missing_omitted: u32,
    pub reason: Option<Localized>,
    pub attestation: Option<AttestationUsed>,
    pub interpretation: Option<Localized>,
    pub explanation: Localized,
}

/// A measured value with its unit (`periods`, `count`, `minutes`, `hours`, `percent`, `yes_no`, `items`).
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct Quantity {
    pub value: String,
    pub unit: String,
}

/// What the requirement asks: `op` (`ge`, `le`, `all_of`, `attested`) and the threshold.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct Required {
    pub op: String,
    pub value: String,
    pub kinds: Vec<String>,
    pub unit: String,
}

/// Counts of the units a requirement was assessed on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Record)]
pub struct UnitCounts {
    pub assessed: u32,
    pub passed: u32,
    pub failed: u32,
    pub missing: u32,
    pub pending: u32,
}

/// One failing unit: `scope` (`school`, `class`, `staff`, `screening_run`, `grade`, `kind`), its id, period and shortfall.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct UnitFinding {
    pub scope: String,
    pub id: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub measured: String,
    pub shortfall: String,
    pub lacking: Vec<String>,
}

/// A fact that is missing (never read as zero).
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct MissingFact {
    pub fact: String,
    pub scope: String,
    pub id: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
}

/// The attestation an attestation-only requirement was decided on.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct AttestationUsed {
    pub met: bool,
    pub by: String,
    pub role: String,
    pub on: String,
    pub note: Option<String>,
}

fn wire<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

impl From<core::ComplianceReport> for ComplianceReport {
    fn from(r: core::ComplianceReport) -> Self {
        ComplianceReport {
            format: r.format,
            pack_id: r.pack.id,
            pack_version: r.pack.version,
            school: SchoolRef {
                id: r.school.id,
                name: r.school.name,
                district: r.school.district,
            },
            school_year: r.school_year,
            as_of: r.as_of.to_string(),
            counts: StatusCounts {
                pass: r.counts.pass,
                fail: r.counts.fail,
                not_applicable: r.counts.not_applicable,
                insufficient_evidence: r.counts.insufficient_evidence,
            },
            findings: r.findings.into_iter().map(finding).collect(),
            summary: r.summary,
        }
    }
}

fn finding(f: core::Finding) -> Finding {
    Finding {
        requirement: f.requirement,
        version: f.version,
        title: f.title,
        clause: f.clause,
        sources: f.sources.iter().map(crate::alert::source_citation).collect(),
        severity: wire(&f.severity),
        method: match f.method {
            core::Method::Measured => ComplianceMethod::Measured,
            core::Method::Attestation => ComplianceMethod::Attestation,
        },
        status: match f.status {
            core::Status::Pass => ComplianceStatus::Pass,
            core::Status::Fail => ComplianceStatus::Fail,
            core::Status::NotApplicable => ComplianceStatus::NotApplicable,
            core::Status::InsufficientEvidence => ComplianceStatus::InsufficientEvidence,
        },
        metric: f.metric,
        period: wire(&f.period),
        measured: f.measured.map(|q| Quantity {
            value: q.value.to_string(),
            unit: wire(&q.unit),
        }),
        required: Required {
            op: wire(&f.required.op),
            value: f.required.value.to_string(),
            kinds: f.required.kinds,
            unit: wire(&f.required.unit),
        },
        shortfall: f.shortfall.map(|d| d.to_string()),
        units: UnitCounts {
            assessed: f.units.assessed,
            passed: f.units.passed,
            failed: f.units.failed,
            missing: f.units.missing,
            pending: f.units.pending,
        },
        failures: f
            .failures
            .into_iter()
            .map(|u| UnitFinding {
                scope: wire(&u.scope),
                id: u.id,
                from: u.from.map(|d| d.to_string()),
                to: u.to.map(|d| d.to_string()),
                measured: u.measured.to_string(),
                shortfall: u.shortfall.to_string(),
                lacking: u.lacking,
            })
            .collect(),
        failures_omitted: f.failures_omitted,
        missing: f
            .missing
            .into_iter()
            .map(|m| MissingFact {
                fact: m.fact,
                scope: wire(&m.scope),
                id: m.id,
                from: m.from.map(|d| d.to_string()),
                to: m.to.map(|d| d.to_string()),
            })
            .collect(),
        missing_omitted: f.missing_omitted,
        reason: f.reason,
        attestation: f.attestation.map(|a| AttestationUsed {
            met: a.met,
            by: a.by,
            role: a.role,
            on: a.on.to_string(),
            note: a.note,
        }),
        interpretation: f.interpretation,
        explanation: f.explanation,
    }
}

impl CompliancePack {
    fn run(&self, facts_json: &str, as_of: &str) -> FfiResult<core::ComplianceReport> {
        let as_of = changkaixin_core::time::Date::parse(as_of).map_err(|e| e.prefixed("as_of"))?;
        let facts = core::SchoolFacts::from_json(facts_json)?;
        Ok(core::check(&self.inner, &facts, as_of)?)
    }
}

#[uniffi::export]
impl CompliancePack {
    /// A built-in pack: `changzhou_2022_2024` (常教办〔2021〕90号) or `national_2023` (教体艺〔2023〕1号).
    #[uniffi::constructor]
    pub fn builtin(id: String) -> FfiResult<Arc<CompliancePack>> {
        guard(|| {
            Ok(Arc::new(CompliancePack {
                inner: Arc::new(CompiledPack::builtin(&id)?.clone()),
            }))
        })
    }
    /// Parse, lint and compile a pack document (`changkaixin.compliance-pack/1`).
    #[uniffi::constructor]
    pub fn from_json(json: String) -> FfiResult<Arc<CompliancePack>> {
        guard(|| {
            Ok(Arc::new(CompliancePack {
                inner: Arc::new(CompiledPack::from_json(&json)?),
            }))
        })
    }
    /// Pack id.
    pub fn id(&self) -> String {
        self.inner.id().to_owned()
    }
    /// Pack version.
    pub fn version(&self) -> String {
        self.inner.version().to_owned()
    }
    /// Requirement ids, in pack order.
    pub fn requirement_ids(&self) -> Vec<String> {
        self.inner.requirement_ids().map(str::to_owned).collect()
    }
    /// The pack document as canonical JSON.
    pub fn pack_json(&self) -> String {
        self.inner.pack().to_json()
    }
    /// Check a school's facts (the facts JSON document) as of a `YYYY-MM-DD` day. Malformed facts
    /// are `Facts` errors with a JSON pointer (`facts.parse`, `facts.invalid`, `facts.unknown_ref`).
    pub fn check(&self, facts_json: String, as_of: String) -> FfiResult<ComplianceReport> {
        guard(|| Ok(self.run(&facts_json, &as_of)?.into()))
    }
    /// [`CompliancePack::check`], the report as the core's canonical JSON (`changkaixin.compliance-report/1`).
    pub fn check_to_json(&self, facts_json: String, as_of: String) -> FfiResult<String> {
        guard(|| Ok(self.run(&facts_json, &as_of)?.to_json()))
    }
}
