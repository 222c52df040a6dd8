//! The evidence about one student that the engine turns into a tier.
//!
//! [`StudentEvidence`] is the wire shape (JSON, serde): screenings (answers, or whole
//! [`ScoreReport`]s), staff observations, life events, clinical notices, notices
//! from outside agencies, the special periods that apply to the student, the tier in
//! force (with the rules that raised it) with its reviews, and the actions already done.
//! Timestamps are RFC 3339 strings; vocabularies are the policy's ids.
//!
//! Before evaluation the evidence is checked against the compiled policy and
//! reduced to compact indices (`Prepared`): a bad date, an unknown category or a
//! review that skips a tier is an `evidence.invalid` error whose path points into
//! the evidence document (`/observations/2/at`). Screenings are scored (answers) or
//! verified (reports) here, on every path: `evidence.unknown_instrument`,
//! `evidence.version_mismatch`, `evidence.unknown_setting`, `evidence.out_of_range`,
//! `evidence.report_inconsistent` (`/screenings/0/report/scales/0/raw`), or the scoring
//! errors of the answers (`/screenings/0/response/answers/9`).

use crate::alert::datetime::Timestamp;
use crate::alert::policy::{
    instrument_channel, verdict_bit, CompiledPolicy, NoticeSeverity, VocabEntry, ANY_INSTRUMENT, CH_AGENCY, CH_ANY_SCREENING, CH_CLINICAL, CH_LIFE_EVENT,
    CH_OBSERVATION, CH_PERIOD, CH_PREVIOUS, NO_SCREEN,
};
use crate::decimal::Ratio;
use crate::error::{Error, ErrorCode, Result};
use crate::scoring::report::{InstrumentRef, Response, ScoreReport, Verdict};
use serde::{Deserialize, Serialize};

/// Everything known about one student at evaluation time.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StudentEvidence {
    /// The student's pseudonymous id (echoed in decisions; never a name).
    pub student: String,
    /// Scored screenings.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub screenings: Vec<Screening>,
    /// Structured observations by staff.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub observations: Vec<Observation>,
    /// Life events.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub life_events: Vec<LifeEvent>,
    /// Clinical information from hospitals.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub clinical: Vec<ClinicalNotice>,
    /// Warnings sent back to the school by the society level (三级预警).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub agency_notices: Vec<AgencyNotice>,
    /// Special periods that apply to this student (from the school calendar and the student's grade).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub special_periods: Vec<SpecialPeriod>,
    /// The tier in force (as last confirmed by a person), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<PreviousTier>,
    /// Documented reviews of the tier.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reviews: Vec<Review>,
    /// Actions and notifications already done.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub completed_actions: Vec<CompletedAction>,
}

impl StudentEvidence {
    /// Parse the JSON form. Syntax and shape errors are `evidence.invalid` with a line/column path.
    pub fn from_json(json: &str) -> Result<StudentEvidence> {
        serde_json::from_str(json).map_err(|e| Error::from_json(ErrorCode::EvidenceInvalid, &e))
    }
    /// Canonical JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// A named person acting in a role (the role is a policy role id).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Person {
    /// Name or staff id.
    pub name: String,
    /// Policy role id, e.g. `head_teacher`.
    pub role: String,
}

/// A screening: either the answers, which the engine scores, or a score report, which the
/// engine verifies. Exactly one of `report` and (`instrument` with `response`) is given.
///
/// * `{"at", "instrument": {"id", "version", "settings"?}, "response": {"answers": {...}, ...}}`:
///   the engine scores the [`Response`] with that instrument id and version from the catalog the
///   policy was compiled against (a setting not named takes its default). A version the catalog
///   does not hold is `evidence.version_mismatch`; scoring errors keep their `score.*` codes with
///   paths under `/screenings/<i>/response`.
/// * `{"at", "report": {...}}`: a [`ScoreReport`], verified before use
///   ([`crate::Instrument::verify_report`]) against the catalog, or against the policy's
///   declaration when the policy declares the instrument external. An instrument neither knows
///   is `evidence.unknown_instrument` at `/screenings/<i>/report/instrument/id`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Screening {
    /// Platform id of the screening (quoted in explanations).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// When it was completed (RFC 3339).
    pub at: String,
    /// A score report (verified against the catalog before use).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report: Option<ScoreReport>,
    /// With `response`: the instrument (id, version, setting options) to score the answers with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instrument: Option<InstrumentRef>,
    /// With `instrument`: the answers, scored by the engine.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<Response>,
}

impl Screening {
    /// A screening given as a score report (verified before use).
    pub fn from_report(id: Option<String>, at: impl Into<String>, report: ScoreReport) -> Screening {
        Screening {
            id,
            at: at.into(),
            report: Some(report),
            instrument: None,
            response: None,
        }
    }
    /// A screening given as answers, scored by the engine with the named instrument version.
    pub fn from_answers(id: Option<String>, at: impl Into<String>, instrument: InstrumentRef, response: Response) -> Screening {
        Screening {
            id,
            at: at.into(),
            report: None,
            instrument: Some(instrument),
            response: Some(response),
        }
    }
}

/// A structured observation by a member of staff.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Observation {
    /// Platform id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Observation category (policy vocabulary), e.g. `withdrawal`.
    pub category: String,
    /// When it was observed (RFC 3339).
    pub at: String,
    /// Who observed it.
    pub observed_by: Person,
}

/// A life event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LifeEvent {
    /// Platform id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Kind (policy vocabulary), e.g. `bereavement`.
    pub kind: String,
    /// When it happened or became known to the school (RFC 3339).
    pub at: String,
    /// Who recorded it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reported_by: Option<Person>,
}

/// Clinical information from a hospital.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClinicalNotice {
    /// Platform id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Kind (policy vocabulary), e.g. `diagnosis`, `discharge`, `danger_notice`.
    pub kind: String,
    /// Date of the notice (RFC 3339).
    pub at: String,
    /// The institution that sent it.
    pub institution: String,
}

/// A warning sent back to the school by an outside agency.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgencyNotice {
    /// Platform id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Agency (policy vocabulary), e.g. `growth_centre`, `police`.
    pub agency: String,
    /// How urgent.
    pub severity: NoticeSeverity,
    /// When it was received (RFC 3339).
    pub at: String,
}

/// A special period that applies to the student: active when `from <= at < to`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpecialPeriod {
    /// Kind (policy vocabulary), e.g. `exam`.
    pub kind: String,
    /// Start (RFC 3339, inclusive).
    pub from: String,
    /// End (RFC 3339, exclusive).
    pub to: String,
}

/// The tier in force before this evaluation.
///
/// `raised_by` and `reason` record the grounds the tier was set on, so that a decision that
/// holds the tier (no rule fires at it any more, no valid review yet) can still cite them.
/// Both are optional: records written before they existed stay readable, and the decision then
/// cites the tier's own sources. [`PreviousTier::from_decision`] builds the record from a
/// confirmed decision.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PreviousTier {
    /// Tier id.
    pub tier: String,
    /// Since when it has been in force (RFC 3339); dwell time counts from here.
    pub since: String,
    /// Who confirmed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmed_by: Option<Person>,
    /// The rules that raised the tier, as recorded when it was confirmed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub raised_by: Vec<RaisedBy>,
    /// Why the tier was set, when a person set it (an override's reason).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A rule that raised the tier in force (a fired rule of the decision that set it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RaisedBy {
    /// Rule id (of the policy version that raised the tier).
    pub rule: String,
    /// Since when the rule's condition held (RFC 3339).
    pub since: String,
    /// Source ids the rule cited. Optional: while the policy still has the rule, its current
    /// sources are cited; these are cited for a rule the policy no longer has.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<String>,
}

/// A documented review of the tier by a responsible person.
///
/// A review either keeps the tier (`to_tier == from_tier`) or lowers it by exactly
/// one step. Raising is not a review: record an [`crate::alert::Override`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Review {
    /// Platform id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
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

/// An action (or notification, as `notify:<role>`) recorded as done.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompletedAction {
    /// Action id, or `notify:<role>` for a notification.
    pub action: String,
    /// When it was done (RFC 3339).
    pub done_at: String,
    /// Who did it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<Person>,
}

// ---------------------------------------------------------------------------------------------
// Prepared evidence: indices and seconds, built into reusable buffers.

/// No band on a referenced scale.
pub(crate) const NO_BAND: u32 = u32::MAX;

#[derive(Clone, Copy, Debug)]
pub(crate) struct PScreening {
    pub inst: u16,
    pub at: i64,
    /// Bit position of the validity status (0 valid, 1 incomplete, 2 invalid).
    pub validity: u8,
    /// Bit of the screen verdict (1 << verdict code), or `NO_SCREEN`.
    pub screen: u8,
    /// 0 = no positive flag; otherwise highest positive flag level + 1.
    pub max_flag: u8,
    /// The same for indeterminate flags.
    pub max_flag_ind: u8,
    /// 0 = no band; otherwise highest band severity + 1.
    pub max_severity: u8,
    /// Positive flags the policy names (bit = position in the compiled instrument's flags).
    pub flags: u64,
    /// Indeterminate flags the policy names.
    pub flags_ind: u64,
    /// Start of this screening's slots in `slot_band` / `slot_score`.
    pub slot: u32,
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct PReview {
    pub index: usize,
    pub role: u16,
    pub at: i64,
    pub from: u8,
    pub to: u8,
}

/// A rule recorded as having raised the tier in force: (rule index in the policy, if it still
/// has it; since; index in `previous.raised_by`).
pub(crate) type PRaised = (Option<u16>, i64, usize);

#[derive(Clone, Debug, Default)]
pub(crate) struct Prepared {
    pub at: i64,
    /// Reports the engine scored from answers: (screening index, report). Kept for explanations only
    /// (cleared in prepared evidence, which is evaluated tier-only).
    pub reports: Vec<(usize, ScoreReport)>,
    /// `previous.raised_by`, checked.
    pub raised: Vec<PRaised>,
    /// Evidence channels present (see `policy::relevance`).
    pub channels: u64,
    pub screenings: Vec<PScreening>,
    pub slot_band: Vec<u32>,
    pub slot_score: Vec<Option<Ratio>>,
    pub observations: Vec<(u8, i64)>,
    pub events: Vec<(u8, i64)>,
    pub clinical: Vec<(u8, i64)>,
    pub agency: Vec<(u8, u8, i64)>,
    /// Active special periods at `at`: (kind, start, index in evidence).
    pub periods: Vec<(u8, i64, usize)>,
    /// Every special period: (kind, start, end, index in evidence).
    pub all_periods: Vec<(u8, i64, i64, usize)>,
    /// The latest dated item (time, where), for the future-tolerance check at evaluation time.
    pub latest: Option<(i64, Dated)>,
    pub period_mask: u64,
    pub previous: Option<(u8, i64)>,
    pub reviews: Vec<PReview>,
    pub done_actions: Vec<(u16, i64)>,
    pub done_notifications: Vec<(u16, i64)>,
}

fn bad(path: String, msg: String) -> Error {
    Error::new(ErrorCode::EvidenceInvalid, path, msg)
}

fn vocab(list: &[VocabEntry], id: &str, path: impl FnOnce() -> String, what: &str) -> Result<u8> {
    match list.iter().position(|v| v.id == id) {
        Some(k) => Ok(k as u8),
        None => Err(bad(
            path(),
            format!(
                "unknown {what} {} (the policy knows: {})",
                crate::error::excerpt(id),
                list.iter().map(|v| v.id.as_str()).collect::<Vec<_>>().join(", ")
            ),
        )),
    }
}

/// The value a `scale_at_least` test compares: the exact raw value when the scale has no norms
/// (`raw_exact` when rounding lost precision), else the standard score.
pub(crate) fn slot_score(x: &crate::scoring::report::ScaleResult) -> Option<Ratio> {
    match (&x.raw_exact, x.raw, x.score) {
        (Some(exact), Some(raw), Some(score)) if raw == score => parse_ratio(exact),
        (_, _, Some(score)) => score.to_ratio(),
        _ => None,
    }
}

/// Parse "a/b" or "a" into an exact ratio.
fn parse_ratio(s: &str) -> Option<Ratio> {
    let (n, d) = match s.split_once('/') {
        Some((n, d)) => (n.trim().parse::<i64>().ok()?, d.trim().parse::<i64>().ok()?),
        None => (s.trim().parse::<i64>().ok()?, 1),
    };
    (d > 0).then(|| Ratio::new(n, d))
}

impl Prepared {
    pub(crate) fn clear(&mut self) {
        self.reports.clear();
        self.raised.clear();
        self.channels = 0;
        self.screenings.clear();
        self.slot_band.clear();
        self.slot_score.clear();
        self.observations.clear();
        self.events.clear();
        self.clinical.clear();
        self.agency.clear();
        self.periods.clear();
        self.all_periods.clear();
        self.latest = None;
        self.period_mask = 0;
        self.previous = None;
        self.reviews.clear();
        self.done_actions.clear();
        self.done_notifications.clear();
    }

    /// Check `ev` against the policy and reduce it into these buffers. Nothing here depends
    /// on the evaluation time; [`Prepared::at_time`] does the rest.
    pub(crate) fn fill(&mut self, cp: &CompiledPolicy, ev: &StudentEvidence) -> Result<()> {
        self.clear();
        let mut latest: Option<(i64, Dated)> = None;
        let mut time = |s: &str, at: Dated| -> Result<i64> {
            let t = Timestamp::parse(s).map_err(|e| bad(at.path(), e.message().to_owned()))?.unix();
            if latest.is_none_or(|(l, _)| t > l) {
                latest = Some((t, at));
            }
            Ok(t)
        };
        let role = |r: &str, path: &dyn Fn() -> String| -> Result<u16> {
            cp.role_index(r).ok_or_else(|| {
                bad(
                    path(),
                    format!(
                        "unknown role {} (the policy knows: {})",
                        crate::error::excerpt(r),
                        cp.roles.iter().map(|x| x.id.as_str()).collect::<Vec<_>>().join(", ")
                    ),
                )
            })
        };
        let tier = |t: &str, path: &dyn Fn() -> String| -> Result<u8> {
            cp.tier_index(t).ok_or_else(|| {
                bad(
                    path(),
                    format!(
                        "unknown tier {} (the policy's tiers: {})",
                        crate::error::excerpt(t),
                        cp.tier_ids().collect::<Vec<_>>().join(", ")
                    ),
                )
            })
        };

        for (i, s) in ev.screenings.iter().enumerate() {
            let t = time(&s.at, Dated::Screening(i))?;
            let scored = match (&s.report, &s.instrument, &s.response) {
                (Some(r), None, None) => {
                    cp.verify_report(r).map_err(|e| e.prefixed(&format!("/screenings/{i}/report")))?;
                    None
                }
                (None, Some(inst), Some(resp)) => Some(cp.score_screening(inst, resp).map_err(|e| e.prefixed(&format!("/screenings/{i}")))?),
                (None, None, None) => {
                    return Err(bad(
                        format!("/screenings/{i}"),
                        "a screening carries either a report, or an instrument and the response to score with it".to_owned(),
                    ))
                }
                (Some(_), _, _) => {
                    return Err(bad(
                        format!("/screenings/{i}"),
                        "a screening carries either a report or an instrument with a response, not both".to_owned(),
                    ))
                }
                (None, None, Some(_)) => {
                    return Err(bad(
                        format!("/screenings/{i}/instrument"),
                        "answers need the instrument (id and version) to score them with".to_owned(),
                    ))
                }
                (None, Some(_), None) => {
                    return Err(bad(
                        format!("/screenings/{i}/response"),
                        "an instrument without a response: give the answers to score".to_owned(),
                    ))
                }
            };
            let Some(r) = scored.as_ref().or(s.report.as_ref()) else { continue };
            let inst = cp.instrument_index(&r.instrument.id);
            let mut p = PScreening {
                inst,
                at: t,
                validity: r.validity.status.code(),
                screen: r.screen_positive.as_ref().map_or(NO_SCREEN, |sp| verdict_bit(sp.verdict)),
                max_flag: 0,
                max_flag_ind: 0,
                max_severity: 0,
                flags: 0,
                flags_ind: 0,
                slot: self.slot_band.len() as u32,
            };
            for sc in &r.scales {
                if let Some(b) = &sc.band {
                    p.max_severity = p.max_severity.max(b.severity as u8 + 1);
                }
            }
            let ci = cp.instruments.get(usize::from(inst)).filter(|_| inst != ANY_INSTRUMENT);
            // Listed flags are positive or indeterminate (verified); absent ones are negative.
            for f in &r.flags {
                let positive = f.verdict == Verdict::Positive;
                let level = if positive { &mut p.max_flag } else { &mut p.max_flag_ind };
                *level = (*level).max(f.level as u8 + 1);
                if let Some(ci) = ci {
                    if let Some(bit) = ci.flags.iter().position(|(id, _)| *id == f.id) {
                        if positive {
                            p.flags |= 1u64 << bit;
                        } else {
                            p.flags_ind |= 1u64 << bit;
                        }
                    }
                }
            }
            if let Some(ci) = ci {
                for cs in &ci.scales {
                    let found = r.scales.iter().find(|x| x.id == cs.id && x.scored);
                    self.slot_band.push(found.and_then(|x| x.band.as_ref()).map_or(NO_BAND, |b| b.index));
                    self.slot_score.push(if cs.needs_score { found.and_then(slot_score) } else { None });
                }
            }
            self.screenings.push(p);
            if let Some(r) = scored {
                self.reports.push((i, r));
            }
        }
        for (i, o) in ev.observations.iter().enumerate() {
            let c = vocab(
                &cp.observation_categories,
                &o.category,
                || format!("/observations/{i}/category"),
                "observation category",
            )?;
            role(&o.observed_by.role, &|| format!("/observations/{i}/observed_by/role"))?;
            let t = time(&o.at, Dated::Observation(i))?;
            self.observations.push((c, t));
        }
        for (i, e) in ev.life_events.iter().enumerate() {
            let k = vocab(&cp.life_event_kinds, &e.kind, || format!("/life_events/{i}/kind"), "life event kind")?;
            if let Some(p) = &e.reported_by {
                role(&p.role, &|| format!("/life_events/{i}/reported_by/role"))?;
            }
            let t = time(&e.at, Dated::LifeEvent(i))?;
            self.events.push((k, t));
        }
        for (i, c) in ev.clinical.iter().enumerate() {
            let k = vocab(&cp.clinical_kinds, &c.kind, || format!("/clinical/{i}/kind"), "clinical notice kind")?;
            let t = time(&c.at, Dated::Clinical(i))?;
            self.clinical.push((k, t));
        }
        for (i, a) in ev.agency_notices.iter().enumerate() {
            let k = vocab(&cp.agencies, &a.agency, || format!("/agency_notices/{i}/agency"), "agency")?;
            let t = time(&a.at, Dated::Agency(i))?;
            self.agency.push((k, a.severity as u8, t));
        }
        for (i, sp) in ev.special_periods.iter().enumerate() {
            let k = vocab(&cp.special_periods, &sp.kind, || format!("/special_periods/{i}/kind"), "special period")?;
            // Calendar periods may lie in the future: no tolerance check, only well-formedness.
            let from = Timestamp::parse(&sp.from)
                .map_err(|e| bad(format!("/special_periods/{i}/from"), e.message().to_owned()))?
                .unix();
            let to = Timestamp::parse(&sp.to)
                .map_err(|e| bad(format!("/special_periods/{i}/to"), e.message().to_owned()))?
                .unix();
            if to <= from {
                return Err(bad(
                    format!("/special_periods/{i}/to"),
                    format!("the period ends ({}) before or when it starts ({})", sp.to, sp.from),
                ));
            }
            self.all_periods.push((k, from, to, i));
        }
        self.channels |= if self.screenings.is_empty() { 0 } else { CH_ANY_SCREENING };
        for s in &self.screenings {
            if s.inst != ANY_INSTRUMENT {
                self.channels |= instrument_channel(s.inst);
            }
        }
        for (present, ch) in [
            (!self.observations.is_empty(), CH_OBSERVATION),
            (!self.events.is_empty(), CH_LIFE_EVENT),
            (!self.clinical.is_empty(), CH_CLINICAL),
            (!self.agency.is_empty(), CH_AGENCY),
            (ev.previous.is_some(), CH_PREVIOUS),
        ] {
            if present {
                self.channels |= ch;
            }
        }
        if let Some(p) = &ev.previous {
            let k = tier(&p.tier, &|| "/previous/tier".to_owned())?;
            if let Some(by) = &p.confirmed_by {
                role(&by.role, &|| "/previous/confirmed_by/role".to_owned())?;
            }
            let since = time(&p.since, Dated::Previous)?;
            self.previous = Some((k, since));
            for (j, g) in p.raised_by.iter().enumerate() {
                // A rule of an older policy version is kept (cited with its recorded sources), not refused.
                let rule = cp.rules.iter().position(|r| r.id == g.rule).and_then(|x| u16::try_from(x).ok());
                let t = time(&g.since, Dated::RaisedBy(j))?;
                self.raised.push((rule, t, j));
            }
        }
        for (i, r) in ev.reviews.iter().enumerate() {
            let from = tier(&r.from_tier, &|| format!("/reviews/{i}/from_tier"))?;
            let to = tier(&r.to_tier, &|| format!("/reviews/{i}/to_tier"))?;
            if to > from {
                return Err(bad(
                    format!("/reviews/{i}/to_tier"),
                    format!(
                        "a review may keep or lower the tier, not raise it ({} -> {}); record an override instead",
                        r.from_tier, r.to_tier
                    ),
                ));
            }
            if from - to > 1 {
                return Err(bad(
                    format!("/reviews/{i}/to_tier"),
                    format!(
                        "a review may lower the tier by one step at most ({} -> {} skips a tier)",
                        r.from_tier, r.to_tier
                    ),
                ));
            }
            if r.by.name.trim().is_empty() {
                return Err(bad(format!("/reviews/{i}/by/name"), "a review must name its reviewer".to_owned()));
            }
            if r.reason.trim().is_empty() {
                return Err(bad(format!("/reviews/{i}/reason"), "a review must give its reason".to_owned()));
            }
            let rl = role(&r.by.role, &|| format!("/reviews/{i}/by/role"))?;
            let t = time(&r.at, Dated::Review(i))?;
            self.reviews.push(PReview {
                index: i,
                role: rl,
                at: t,
                from,
                to,
            });
        }
        for (i, c) in ev.completed_actions.iter().enumerate() {
            let t = time(&c.done_at, Dated::Completed(i))?;
            if let Some(by) = &c.by {
                role(&by.role, &|| format!("/completed_actions/{i}/by/role"))?;
            }
            // Ids the policy does not know (an older policy version's actions) are kept out, not refused.
            if let Some(k) = cp.actions.iter().position(|a| a.id == c.action) {
                self.done_actions.push((k as u16, t));
            } else if let Some(k) = cp.roles.iter().position(|r| r.notify_key == c.action) {
                self.done_notifications.push((k as u16, t));
            }
        }
        self.latest = latest;
        Ok(())
    }

    /// Fix the evaluation time: refuse evidence dated after it (beyond the policy's
    /// tolerance) and find the active special periods.
    /// The report of screening `i`: the evidence's own, or the one the engine scored from its answers.
    pub(crate) fn report<'a>(&'a self, ev: &'a StudentEvidence, i: usize) -> Option<&'a ScoreReport> {
        let s = ev.screenings.get(i)?;
        s.report.as_ref().or_else(|| self.reports.iter().find(|(k, _)| *k == i).map(|(_, r)| r))
    }

    pub(crate) fn at_time(&mut self, cp: &CompiledPolicy, at: Timestamp) -> Result<()> {
        self.at = at.unix();
        if let Some((t, what)) = self.latest {
            if t > self.at.saturating_add(cp.future_tolerance) {
                return Err(bad(
                    what.path(),
                    format!(
                        "{} is after the evaluation time {at} by more than the policy's future tolerance {}; evaluate at a later time or correct the date",
                        Timestamp::from_unix(t),
                        cp.source.future_tolerance
                    ),
                ));
            }
        }
        self.periods.clear();
        self.period_mask = 0;
        self.channels &= !CH_PERIOD;
        for &(k, from, to, i) in &self.all_periods {
            if from <= self.at && self.at < to {
                self.periods.push((k, from, i));
                self.period_mask |= 1u64 << k;
                self.channels |= CH_PERIOD;
            }
        }
        Ok(())
    }
}

/// Where a dated item sits in the evidence document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dated {
    Screening(usize),
    Observation(usize),
    LifeEvent(usize),
    Clinical(usize),
    Agency(usize),
    Previous,
    RaisedBy(usize),
    Review(usize),
    Completed(usize),
}

impl Dated {
    fn path(self) -> String {
        match self {
            Dated::Screening(i) => format!("/screenings/{i}/at"),
            Dated::Observation(i) => format!("/observations/{i}/at"),
            Dated::LifeEvent(i) => format!("/life_events/{i}/at"),
            Dated::Clinical(i) => format!("/clinical/{i}/at"),
            Dated::Agency(i) => format!("/agency_notices/{i}/at"),
            Dated::Previous => "/previous/since".to_owned(),
            Dated::RaisedBy(i) => format!("/previous/raised_by/{i}/since"),
            Dated::Review(i) => format!("/reviews/{i}/at"),
            Dated::Completed(i) => format!("/completed_actions/{i}/done_at"),
        }
    }
}

/// Evidence checked against one compiled policy and reduced to indices and seconds:
/// prepare once (when evidence changes), evaluate at any time without re-parsing.
///
/// ```
/// # use changkaixin_core::alert::*;
/// # fn demo(policy: &CompiledPolicy, evidence: &StudentEvidence) -> changkaixin_core::Result<()> {
/// let mut ev = Evaluator::new(policy);
/// let prepared = ev.prepare(evidence)?;
/// for day in ["2024-03-04T08:00:00Z", "2024-03-05T08:00:00Z"] {
///     let outcome = ev.tier_only_prepared(&prepared, Timestamp::parse(day)?)?;
///     let _ = outcome.tier;
/// }
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct PreparedEvidence {
    pub(crate) student: String,
    pub(crate) policy: u64,
    pub(crate) prep: Prepared,
}

impl PreparedEvidence {
    /// The student's id.
    pub fn student(&self) -> &str {
        &self.student
    }
}
