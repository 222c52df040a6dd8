//! What the engine proposes ([`AlertDecision`]) and what people record about it
//! ([`Confirmation`], [`Override`]).
//!
//! A decision is a proposal (PIPL Art. 24: no decision with significant effect is
//! made solely by automation). It carries the tier, every rule that fired with the
//! evidence it used and its sources (SAFE-T step 5; C-SSRS "the answer and its time
//! window is the reason"), the actions and notifications with due times, and a
//! plain-language summary in Chinese and English. The shape is stable and
//! deterministic: the same input gives the same bytes.

use crate::alert::datetime::Timestamp;
use crate::alert::evidence::Person;
use crate::alert::policy::{CompiledPolicy, HandlingLevel, Reliability};
use crate::error::{Error, ErrorCode, Result};
use crate::instrument::spec::Localized;
use serde::{Deserialize, Serialize};

/// The format tag of a serialised decision.
pub const ALERT_DECISION_FORMAT: &str = "changkaixin.alert-decision/1";

/// The engine's proposal for one student.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertDecision {
    /// [`ALERT_DECISION_FORMAT`].
    pub format: String,
    /// The student's pseudonymous id, from the evidence.
    pub student: String,
    /// Which policy (and version) decided.
    pub policy: PolicyRef,
    /// The evaluation time (an input, never a clock reading).
    pub evaluated_at: Timestamp,
    /// The proposed tier.
    pub tier: TierRef,
    /// The tier in force before, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_tier: Option<PreviousTierRef>,
    /// The tier the rules alone imply (before hysteresis).
    pub rule_tier: TierRef,
    /// How the tier moved.
    pub change: Change,
    /// Since when the proposed tier is warranted: deadlines of tier actions count from here.
    pub tier_since: Timestamp,
    /// Who is responsible at this tier.
    pub responsible_roles: Vec<RoleRef>,
    /// Every rule that fired, in policy order.
    pub fired_rules: Vec<FiredRule>,
    /// Why the tier is above what the rules alone imply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub held_by: Option<HeldBy>,
    /// The review of the previous tier that was considered, and what came of it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review: Option<ReviewOutcome>,
    /// Special periods active at the evaluation time.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub special_periods_active: Vec<String>,
    /// Actions, sorted by due time then id.
    pub actions: Vec<ActionDue>,
    /// Notifications, sorted by due time then role.
    pub notifications: Vec<NotificationDue>,
    /// Notifications a fired rule withholds (e.g. the guardian when the guardian may be the source of harm).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub withheld_notifications: Vec<WithheldNotification>,
    /// When the tier must next be reviewed (absent for the lowest tier).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_review_at: Option<Timestamp>,
    /// Plain-language summary.
    pub summary: Summary,
    /// Always `true`: a named person must confirm or override the proposal.
    pub requires_confirmation: bool,
}

/// Policy identity.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyRef {
    /// Policy id.
    pub id: String,
    /// Policy version.
    pub version: String,
}

/// A tier, with its place on the scale.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TierRef {
    /// Tier id.
    pub id: String,
    /// Index on the scale (0 = lowest).
    pub index: u8,
    /// Handling level.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<HandlingLevel>,
    /// Label.
    pub label: Localized,
}

/// The previous tier and since when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PreviousTierRef {
    /// The tier.
    pub tier: TierRef,
    /// In force since.
    pub since: Timestamp,
    /// Who confirmed it (from the evidence).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmed_by: Option<Person>,
}

/// A role with its label.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleRef {
    /// Role id.
    pub id: String,
    /// Label.
    pub label: Localized,
}

/// How the tier moved relative to the previous tier (none counts as the lowest tier).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// The rules imply a higher tier than before.
    Raised,
    /// The rules imply the same tier as before.
    Unchanged,
    /// The rules imply a lower tier, but without a valid review the tier stays.
    Held,
    /// A valid review lowered the tier by one step.
    LoweredByReview,
}

/// Why a tier is held above what the rules imply, or why a review was not applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HoldReason {
    /// No review of the tier since it began.
    AwaitingReview,
    /// The latest review kept the tier.
    ReviewKeptTier,
    /// The latest review is not by a role responsible for the tier.
    ReviewerNotResponsible,
    /// The latest review came before the tier's minimum dwell time had passed.
    ReviewBeforeMinDwell,
    /// A review lowers one step at a time; the rules would allow more.
    OneStepPerReview,
    /// A review asked to lower the tier, but rules still require it.
    RulesStillRequire,
}

/// Why the tier is held above what the rules now imply, and the grounds it stands on.
///
/// A held tier (or one a review lowered by one step while the rules would allow more) has no
/// fired rule at its level, so it cites what it rests on: the rules that raised the tier in
/// force and when (`raised_by`, from `previous.raised_by`), the reason recorded with it, the
/// tier's own sources, and until when it is held (`dwell_until`, `review_by`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeldBy {
    /// Machine-readable reason.
    pub reason: HoldReason,
    /// Explanation.
    pub message: Localized,
    /// The rules that raised the tier in force, with when they fired and their sources
    /// (empty when the tier record names none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub raised_by: Vec<PriorRule>,
    /// The reason recorded with the tier in force (an override's reason), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recorded_reason: Option<String>,
    /// Sources of the proposed tier's definition in the policy.
    pub tier_sources: Vec<SourceCitation>,
    /// The earliest time a documented review may lower the proposed tier (when it began plus its minimum dwell).
    pub dwell_until: Timestamp,
    /// The roles whose documented review may lower it.
    pub review_by: Vec<RoleRef>,
}

/// A rule that raised the tier in force, as recorded with it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriorRule {
    /// Rule id.
    pub rule: String,
    /// The rule's tier in this policy (absent when this policy version no longer has the rule).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier: Option<String>,
    /// What fired, in words (absent when this policy version no longer has the rule).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<Localized>,
    /// Since when its condition held.
    pub since: Timestamp,
    /// Its sources (this policy's, or the recorded ones it still knows).
    pub sources: Vec<SourceCitation>,
}

/// What came of a review.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewStatus {
    /// The review lowered the tier.
    Applied,
    /// The review kept the tier.
    Kept,
    /// The review was not applied (see `reason`).
    Rejected,
}

/// The review the engine considered.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewOutcome {
    /// JSON pointer of the review in the evidence.
    pub path: String,
    /// Platform id of the review.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Reviewer.
    pub by: Person,
    /// When.
    pub at: Timestamp,
    /// Tier reviewed.
    pub from_tier: String,
    /// Tier decided.
    pub to_tier: String,
    /// Outcome.
    pub status: ReviewStatus,
    /// Why it was rejected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<HoldReason>,
}

/// A rule that fired.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FiredRule {
    /// Rule id.
    pub rule: String,
    /// The tier it implies.
    pub tier: String,
    /// What fired, in words.
    pub label: Localized,
    /// Since when the condition has held (from the evidence dates).
    pub since: Timestamp,
    /// Sources the rule cites.
    pub sources: Vec<SourceCitation>,
    /// The evidence the condition used.
    pub evidence: Vec<EvidenceUsed>,
}

/// A cited source.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceCitation {
    /// Source id.
    pub id: String,
    /// Citation.
    pub citation: String,
    /// Reliability.
    pub reliability: Reliability,
}

/// Kinds of evidence.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EvidenceKind {
    /// A scored screening.
    Screening,
    /// A staff observation.
    Observation,
    /// A life event.
    LifeEvent,
    /// A clinical notice.
    Clinical,
    /// An agency notice.
    AgencyNotice,
    /// A special period.
    SpecialPeriod,
    /// The previous tier.
    PreviousTier,
}

/// One piece of evidence a rule used.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvidenceUsed {
    /// Kind.
    pub kind: EvidenceKind,
    /// JSON pointer into the evidence document.
    pub path: String,
    /// Platform id, when the evidence carries one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Its date.
    pub at: Timestamp,
    /// What matched, e.g. `phq_a flag item9_self_harm (critical)`.
    pub detail: String,
}

/// An action with its due time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionDue {
    /// Action id.
    pub id: String,
    /// What to do.
    pub label: Localized,
    /// Role that does it.
    pub role: String,
    /// Which tier or rules demand it (`tier:key`, `rule:key.phq_item9`).
    pub origins: Vec<String>,
    /// When the obligation arose.
    pub triggered_at: Timestamp,
    /// The policy's deadline (ISO-8601 duration).
    pub due: String,
    /// `triggered_at + due`.
    pub due_at: Timestamp,
    /// When it was recorded as done (at or after `triggered_at`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub done_at: Option<Timestamp>,
    /// Not done and `due_at` is before the evaluation time.
    pub overdue: bool,
}

/// A notification with its due time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotificationDue {
    /// Role to tell.
    pub who: String,
    /// Its label.
    pub who_label: Localized,
    /// Which tier or rules demand it.
    pub origins: Vec<String>,
    /// When the obligation arose.
    pub triggered_at: Timestamp,
    /// The policy's deadline (ISO-8601 duration).
    pub within: String,
    /// `triggered_at + within`.
    pub due_at: Timestamp,
    /// When it was recorded as done (`notify:<role>` in completed actions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub done_at: Option<Timestamp>,
    /// Not done and `due_at` is before the evaluation time.
    pub overdue: bool,
}

/// A notification withheld by rules.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WithheldNotification {
    /// Role not told automatically.
    pub who: String,
    /// Its label.
    pub who_label: Localized,
    /// The fired rules that withhold it.
    pub by_rules: Vec<String>,
}

/// Plain-language summary.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Summary {
    /// Simplified Chinese.
    pub zh: String,
    /// English.
    pub en: String,
}

/// A reference to a decision, for confirmations and overrides.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionRef {
    /// Student id.
    pub student: String,
    /// Policy.
    pub policy: PolicyRef,
    /// Evaluation time.
    pub evaluated_at: Timestamp,
    /// The proposed tier id.
    pub tier: String,
    /// FNV-1a 64-bit hash of the decision's canonical JSON, in hex (identifies, does not secure).
    pub fingerprint: String,
}

/// A named person confirms a proposed decision.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Confirmation {
    /// The decision confirmed.
    pub decision: DecisionRef,
    /// Who confirmed.
    pub by: Person,
    /// When.
    pub at: Timestamp,
    /// Optional note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A named person sets a different tier than proposed, with a reason.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Override {
    /// The decision overridden.
    pub decision: DecisionRef,
    /// Who overrode.
    pub by: Person,
    /// When.
    pub at: Timestamp,
    /// The tier set instead.
    pub tier: String,
    /// Why (required).
    pub reason: String,
}

fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

fn check_person(policy: &CompiledPolicy, p: &Person, path: &str) -> Result<()> {
    if p.name.trim().is_empty() {
        return Err(Error::new(ErrorCode::EvidenceInvalid, format!("{path}/name"), "a named person is required"));
    }
    if policy.role_index(&p.role).is_none() {
        return Err(Error::new(
            ErrorCode::EvidenceInvalid,
            format!("{path}/role"),
            format!("unknown role {}", crate::error::excerpt(&p.role)),
        ));
    }
    Ok(())
}

impl AlertDecision {
    /// Canonical JSON (same decision, same bytes).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Parse a serialised decision.
    pub fn from_json(json: &str) -> Result<AlertDecision> {
        serde_json::from_str(json).map_err(|e| Error::from_json(ErrorCode::EvidenceInvalid, &e))
    }

    /// A reference to this decision (with a fingerprint of its canonical JSON).
    pub fn reference(&self) -> DecisionRef {
        DecisionRef {
            student: self.student.clone(),
            policy: self.policy.clone(),
            evaluated_at: self.evaluated_at,
            tier: self.tier.id.clone(),
            fingerprint: format!("{:016x}", fnv1a(self.to_json().as_bytes())),
        }
    }

    /// A confirmation of this decision by a named person.
    pub fn confirm(&self, by: Person, at: Timestamp, note: Option<String>) -> Confirmation {
        Confirmation {
            decision: self.reference(),
            by,
            at,
            note,
        }
    }

    /// An override of this decision by a named person, with a reason.
    pub fn override_with(&self, by: Person, at: Timestamp, tier: &str, reason: &str) -> Override {
        Override {
            decision: self.reference(),
            by,
            at,
            tier: tier.to_owned(),
            reason: reason.to_owned(),
        }
    }

    /// Actions and notifications not done and due before `at` (ids, as `notify:<role>` for notifications).
    pub fn overdue_at(&self, at: Timestamp) -> Vec<(String, Timestamp)> {
        let mut out: Vec<(String, Timestamp)> = self
            .actions
            .iter()
            .filter(|a| a.done_at.is_none() && a.due_at < at)
            .map(|a| (a.id.clone(), a.due_at))
            .chain(
                self.notifications
                    .iter()
                    .filter(|n| n.done_at.is_none() && n.due_at < at)
                    .map(|n| (format!("notify:{}", n.who), n.due_at)),
            )
            .collect();
        out.sort_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
        out
    }
}

impl crate::alert::evidence::PreviousTier {
    /// The tier record for the next evaluation, from a decision a person confirmed: the proposed
    /// tier since `tier_since`, raised by the decision's fired rules at that tier (or, for a held
    /// or one-step lowered tier, by the rules its own record named), with the recorded reason kept.
    pub fn from_decision(d: &AlertDecision, confirmed_by: Option<Person>) -> Self {
        use crate::alert::evidence::RaisedBy;
        let at_tier: Vec<RaisedBy> = d
            .fired_rules
            .iter()
            .filter(|r| r.tier == d.tier.id)
            .map(|r| RaisedBy {
                rule: r.rule.clone(),
                since: r.since.to_string(),
                sources: r.sources.iter().map(|s| s.id.clone()).collect(),
            })
            .collect();
        let (raised_by, reason) = match (&d.held_by, at_tier.is_empty()) {
            (Some(h), true) => (
                h.raised_by
                    .iter()
                    .map(|r| RaisedBy {
                        rule: r.rule.clone(),
                        since: r.since.to_string(),
                        sources: r.sources.iter().map(|s| s.id.clone()).collect(),
                    })
                    .collect(),
                h.recorded_reason.clone(),
            ),
            _ => (at_tier, None),
        };
        Self {
            tier: d.tier.id.clone(),
            since: d.tier_since.to_string(),
            confirmed_by,
            raised_by,
            reason,
        }
    }

    /// The tier record for the next evaluation, from an override: the tier a person set, since
    /// then, with the override's reason as the recorded ground.
    pub fn from_override(o: &Override) -> Self {
        Self {
            tier: o.tier.clone(),
            since: o.at.to_string(),
            confirmed_by: Some(o.by.clone()),
            raised_by: Vec::new(),
            reason: Some(o.reason.clone()),
        }
    }
}

impl Confirmation {
    /// Check the confirmation names a person in a known role. Errors are `evidence.invalid`.
    pub fn validate(&self, policy: &CompiledPolicy) -> Result<()> {
        check_person(policy, &self.by, "/by")
    }
}

impl Override {
    /// Check the override names a person in a known role, a known tier and a reason. Errors are `evidence.invalid`.
    pub fn validate(&self, policy: &CompiledPolicy) -> Result<()> {
        check_person(policy, &self.by, "/by")?;
        if policy.tier_index(&self.tier).is_none() {
            return Err(Error::new(
                ErrorCode::EvidenceInvalid,
                "/tier",
                format!("unknown tier {}", crate::error::excerpt(&self.tier)),
            ));
        }
        if self.reason.trim().is_empty() {
            return Err(Error::new(ErrorCode::EvidenceInvalid, "/reason", "an override must give its reason"));
        }
        Ok(())
    }
}
