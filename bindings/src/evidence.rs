//! Alert evidence as typed UniFFI records: mirrors of `changkaixin_core::alert::evidence`
//! (`StudentEvidence` and its parts), so a phone builds the evidence about one student from its own
//! data instead of assembling a JSON document.
//!
//! Field names and meanings are the core's (`docs/alert-tiers.md`, "Evidence"); Kotlin and Swift see
//! them in camelCase (`observedBy`). Times are RFC 3339 strings, decimals (inside the screenings'
//! `ScoreReport`s) the custom type `Dec`, vocabularies (categories, kinds, roles, tiers) the policy's
//! ids. The one conversion into the core types is [`From<StudentEvidence>`] for
//! `core::StudentEvidence` below; every check (dates, vocabularies, roles, tiers, reviews) stays in
//! the core, whose `evidence.invalid` errors carry a path into this record with the snake_case
//! field names (`/observations/0/observed_by/role`), the same path as in the JSON document.
//!
//! The one core type whose name is changed: core `Observation` is [`StaffObservation`] here, so it
//! cannot be mistaken for a FHIR `Observation` (`Instrument.exportObservation`) or Apple's
//! `Observation` framework.

use crate::error::{guard, FfiResult};
use crate::report::{InstrumentRef, Response, ScoreReport};
use changkaixin_core::alert::{self as core, NoticeSeverity};

/// How urgent a notice from an outside agency is.
#[uniffi::remote(Enum)]
pub enum NoticeSeverity {
    /// A concern to follow up.
    Concern,
    /// Danger now: act immediately.
    Urgent,
}

/// Everything known about one student at evaluation time (core `StudentEvidence`).
#[derive(Clone, Debug, Default, PartialEq, Eq, uniffi::Record)]
pub struct StudentEvidence {
    /// The student's pseudonymous id (echoed in decisions; never a name).
    pub student: String,
    /// Scored screenings.
    #[uniffi(default)]
    pub screenings: Vec<Screening>,
    /// Structured observations by staff.
    #[uniffi(default)]
    pub observations: Vec<StaffObservation>,
    /// Life events.
    #[uniffi(default)]
    pub life_events: Vec<LifeEvent>,
    /// Clinical information from hospitals.
    #[uniffi(default)]
    pub clinical: Vec<ClinicalNotice>,
    /// Warnings sent back to the school by the society level (三级预警).
    #[uniffi(default)]
    pub agency_notices: Vec<AgencyNotice>,
    /// Special periods that apply to this student (from the school calendar and the student's grade).
    #[uniffi(default)]
    pub special_periods: Vec<SpecialPeriod>,
    /// The tier in force (as last confirmed by a person), if any.
    #[uniffi(default = None)]
    pub previous: Option<PreviousTier>,
    /// Documented reviews of the tier.
    #[uniffi(default)]
    pub reviews: Vec<Review>,
    /// Actions and notifications already done.
    #[uniffi(default)]
    pub completed_actions: Vec<CompletedAction>,
}

/// A named person acting in a role (the role is a policy role id, e.g. `head_teacher`).
#[derive(Clone, Debug, Default, PartialEq, Eq, uniffi::Record)]
pub struct Person {
    /// Name or staff id.
    pub name: String,
    /// Policy role id.
    pub role: String,
}

/// A scored screening (core `Screening`).
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct Screening {
    /// Platform id of the screening (quoted in explanations).
    #[uniffi(default = None)]
    pub id: Option<String>,
    /// When it was completed (RFC 3339).
    pub at: String,
    /// A score report (the core verifies it against the catalog before use). Give either this,
    /// or `instrument` with `response`.
    #[uniffi(default = None)]
    pub report: Option<ScoreReport>,
    /// With `response`: the instrument (id, version, settings) the core scores the answers with.
    #[uniffi(default = None)]
    pub instrument: Option<InstrumentRef>,
    /// With `instrument`: the answers, scored by the core.
    #[uniffi(default = None)]
    pub response: Option<Response>,
}

/// A structured observation by a member of staff (core `Observation`).
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct StaffObservation {
    /// Platform id.
    #[uniffi(default = None)]
    pub id: Option<String>,
    /// Observation category (policy vocabulary), e.g. `withdrawal`.
    pub category: String,
    /// When it was observed (RFC 3339).
    pub at: String,
    /// Who observed it.
    pub observed_by: Person,
}

/// A life event (core `LifeEvent`).
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct LifeEvent {
    /// Platform id.
    #[uniffi(default = None)]
    pub id: Option<String>,
    /// Kind (policy vocabulary), e.g. `bereavement`.
    pub kind: String,
    /// When it happened or became known to the school (RFC 3339).
    pub at: String,
    /// Who recorded it.
    #[uniffi(default = None)]
    pub reported_by: Option<Person>,
}

/// Clinical information from a hospital (core `ClinicalNotice`).
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct ClinicalNotice {
    /// Platform id.
    #[uniffi(default = None)]
    pub id: Option<String>,
    /// Kind (policy vocabulary), e.g. `diagnosis`, `discharge`, `danger_notice`.
    pub kind: String,
    /// Date of the notice (RFC 3339).
    pub at: String,
    /// The institution that sent it.
    pub institution: String,
}

/// A warning sent back to the school by an outside agency (core `AgencyNotice`).
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct AgencyNotice {
    /// Platform id.
    #[uniffi(default = None)]
    pub id: Option<String>,
    /// Agency (policy vocabulary), e.g. `growth_centre`, `police`.
    pub agency: String,
    /// How urgent.
    pub severity: NoticeSeverity,
    /// When it was received (RFC 3339).
    pub at: String,
}

/// A special period that applies to the student: active when `from <= at < to` (core `SpecialPeriod`).
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct SpecialPeriod {
    /// Kind (policy vocabulary), e.g. `exam`.
    pub kind: String,
    /// Start (RFC 3339, inclusive).
    pub from: String,
    /// End (RFC 3339, exclusive).
    pub to: String,
}

/// The tier in force before this evaluation (core `PreviousTier`).
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct PreviousTier {
    /// Tier id.
    pub tier: String,
    /// Since when it has been in force (RFC 3339); dwell time counts from here.
    pub since: String,
    /// Who confirmed it.
    #[uniffi(default = None)]
    pub confirmed_by: Option<Person>,
    /// The rules that raised the tier, as recorded when it was confirmed.
    #[uniffi(default)]
    pub raised_by: Vec<RaisedBy>,
    /// Why the tier was set, when a person set it (an override's reason).
    #[uniffi(default = None)]
    pub reason: Option<String>,
}

/// A rule that raised the tier in force (core `RaisedBy`).
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct RaisedBy {
    /// Rule id.
    pub rule: String,
    /// Since when the rule's condition held (RFC 3339).
    pub since: String,
    /// Source ids the rule cited.
    #[uniffi(default)]
    pub sources: Vec<String>,
}

/// A documented review of the tier by a responsible person (core `Review`): it keeps the tier
/// (`to_tier == from_tier`) or lowers it by exactly one step.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct Review {
    /// Platform id.
    #[uniffi(default = None)]
    pub id: Option<String>,
    /// The reviewer.
    pub by: Person,
    /// When the review took place (RFC 3339).
    pub at: String,
    /// The tier reviewed.
    pub from_tier: String,
    /// The tier the reviewer decided on.
    pub to_tier: String,
    /// Why (SAFE-T step 5: the rationale).
    pub reason: String,
}

/// An action (or a notification, as `notify:<role>`) recorded as done (core `CompletedAction`).
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct CompletedAction {
    /// Action id, or `notify:<role>` for a notification.
    pub action: String,
    /// When it was done (RFC 3339).
    pub done_at: String,
    /// Who did it.
    #[uniffi(default = None)]
    pub by: Option<Person>,
}

#[uniffi::export]
impl StudentEvidence {
    /// The evidence as the core's canonical JSON document (what `evaluateJson` reads).
    pub fn to_json(&self) -> String {
        core::StudentEvidence::from(self.clone()).to_json()
    }
}

/// Parse an evidence document (`docs/alert-tiers.md`, e.g. as received from the server) into the
/// typed record. Syntax and shape errors are `evidence.invalid` with a line/column path.
#[uniffi::export]
pub fn student_evidence_from_json(json: String) -> FfiResult<StudentEvidence> {
    guard(|| Ok(core::StudentEvidence::from_json(&json)?.into()))
}

// ---- the conversions (the only place where the typed records meet the core types) -------------

fn person(p: Person) -> core::Person {
    core::Person { name: p.name, role: p.role }
}

fn person_back(p: core::Person) -> Person {
    Person { name: p.name, role: p.role }
}

impl From<StudentEvidence> for core::StudentEvidence {
    fn from(e: StudentEvidence) -> Self {
        core::StudentEvidence {
            student: e.student,
            screenings: e
                .screenings
                .into_iter()
                .map(|s| core::Screening {
                    id: s.id,
                    at: s.at,
                    report: s.report.map(Into::into),
                    instrument: s.instrument.map(|i| changkaixin_core::scoring::report::InstrumentRef {
                        id: i.id,
                        version: i.version,
                        settings: i.settings.into_iter().collect(),
                    }),
                    response: s.response.map(Into::into),
                })
                .collect(),
            observations: e
                .observations
                .into_iter()
                .map(|o| core::Observation {
                    id: o.id,
                    category: o.category,
                    at: o.at,
                    observed_by: person(o.observed_by),
                })
                .collect(),
            life_events: e
                .life_events
                .into_iter()
                .map(|l| core::LifeEvent {
                    id: l.id,
                    kind: l.kind,
                    at: l.at,
                    reported_by: l.reported_by.map(person),
                })
                .collect(),
            clinical: e
                .clinical
                .into_iter()
                .map(|c| core::ClinicalNotice {
                    id: c.id,
                    kind: c.kind,
                    at: c.at,
                    institution: c.institution,
                })
                .collect(),
            agency_notices: e
                .agency_notices
                .into_iter()
                .map(|a| core::AgencyNotice {
                    id: a.id,
                    agency: a.agency,
                    severity: a.severity,
                    at: a.at,
                })
                .collect(),
            special_periods: e
                .special_periods
                .into_iter()
                .map(|p| core::SpecialPeriod {
                    kind: p.kind,
                    from: p.from,
                    to: p.to,
                })
                .collect(),
            previous: e.previous.map(|p| core::PreviousTier {
                tier: p.tier,
                since: p.since,
                confirmed_by: p.confirmed_by.map(person),
                raised_by: p
                    .raised_by
                    .into_iter()
                    .map(|r| core::RaisedBy {
                        rule: r.rule,
                        since: r.since,
                        sources: r.sources,
                    })
                    .collect(),
                reason: p.reason,
            }),
            reviews: e
                .reviews
                .into_iter()
                .map(|r| core::Review {
                    id: r.id,
                    by: person(r.by),
                    at: r.at,
                    from_tier: r.from_tier,
                    to_tier: r.to_tier,
                    reason: r.reason,
                })
                .collect(),
            completed_actions: e
                .completed_actions
                .into_iter()
                .map(|c| core::CompletedAction {
                    action: c.action,
                    done_at: c.done_at,
                    by: c.by.map(person),
                })
                .collect(),
        }
    }
}

impl From<core::StudentEvidence> for StudentEvidence {
    fn from(e: core::StudentEvidence) -> Self {
        StudentEvidence {
            student: e.student,
            screenings: e
                .screenings
                .into_iter()
                .map(|s| Screening {
                    id: s.id,
                    at: s.at,
                    report: s.report.map(Into::into),
                    instrument: s.instrument.map(|i| InstrumentRef {
                        id: i.id,
                        version: i.version,
                        settings: i.settings.into_iter().collect(),
                    }),
                    response: s.response.map(Into::into),
                })
                .collect(),
            observations: e
                .observations
                .into_iter()
                .map(|o| StaffObservation {
                    id: o.id,
                    category: o.category,
                    at: o.at,
                    observed_by: person_back(o.observed_by),
                })
                .collect(),
            life_events: e
                .life_events
                .into_iter()
                .map(|l| LifeEvent {
                    id: l.id,
                    kind: l.kind,
                    at: l.at,
                    reported_by: l.reported_by.map(person_back),
                })
                .collect(),
            clinical: e
                .clinical
                .into_iter()
                .map(|c| ClinicalNotice {
                    id: c.id,
                    kind: c.kind,
                    at: c.at,
                    institution: c.institution,
                })
                .collect(),
            agency_notices: e
                .agency_notices
                .into_iter()
                .map(|a| AgencyNotice {
                    id: a.id,
                    agency: a.agency,
                    severity: a.severity,
                    at: a.at,
                })
                .collect(),
            special_periods: e
                .special_periods
                .into_iter()
                .map(|p| SpecialPeriod {
                    kind: p.kind,
                    from: p.from,
                    to: p.to,
                })
                .collect(),
            previous: e.previous.map(|p| PreviousTier {
                tier: p.tier,
                since: p.since,
                confirmed_by: p.confirmed_by.map(person_back),
                raised_by: p
                    .raised_by
                    .into_iter()
                    .map(|r| RaisedBy {
                        rule: r.rule,
                        since: r.since,
                        sources: r.sources,
                    })
                    .collect(),
                reason: p.reason,
            }),
            reviews: e
                .reviews
                .into_iter()
                .map(|r| Review {
                    id: r.id,
                    by: person_back(r.by),
                    at: r.at,
                    from_tier: r.from_tier,
                    to_tier: r.to_tier,
                    reason: r.reason,
                })
                .collect(),
            completed_actions: e
                .completed_actions
                .into_iter()
                .map(|c| CompletedAction {
                    action: c.action,
                    done_at: c.done_at,
                    by: c.by.map(person_back),
                })
                .collect(),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn json_round_trip_is_lossless() {
        let json = r#"{"student":"s-1","observations":[{"id":"o1","category":"withdrawal","at":"2024-03-01T08:00:00Z","observed_by":{"name":"李老师","role":"head_teacher"}}],
            "agency_notices":[{"agency":"police","severity":"urgent","at":"2024-03-01T08:00:00Z"}],
            "special_periods":[{"kind":"exam","from":"2024-03-01T00:00:00Z","to":"2024-03-08T00:00:00Z"}],
            "previous":{"tier":"watch","since":"2024-02-01T00:00:00Z"},
            "reviews":[{"by":{"name":"王","role":"psychology_teacher"},"at":"2024-03-01T09:00:00Z","from_tier":"watch","to_tier":"none","reason":"r"}],
            "completed_actions":[{"action":"notify:guardian","done_at":"2024-03-01T09:00:00Z"}],
            "life_events":[{"kind":"bereavement","at":"2024-03-01T08:00:00Z","reported_by":{"name":"x","role":"head_teacher"}}],
            "clinical":[{"kind":"discharge","at":"2024-03-01T08:00:00Z","institution":"h"}]}"#;
        let core_ev = core::StudentEvidence::from_json(json).unwrap();
        let typed: StudentEvidence = core_ev.clone().into();
        assert_eq!(core::StudentEvidence::from(typed.clone()), core_ev);
        assert_eq!(typed.to_json(), core_ev.to_json());
        assert_eq!(student_evidence_from_json(json.to_owned()).unwrap(), typed);
        assert_eq!(typed.agency_notices[0].severity, NoticeSeverity::Urgent);
    }
}
