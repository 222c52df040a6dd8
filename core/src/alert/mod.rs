//! Alert tiers: the Changzhou plan's three-level warning system (班级—学校—社会,
//! 常教办〔2021〕90号 二(三)9–11) as explainable, configurable policy.
//!
//! * [`policy`]: the versioned policy document (`changkaixin.alert-policy/1`), its
//!   lint against a [`crate::Catalog`], and compilation into a [`CompiledPolicy`].
//!   The built-in Changzhou default lives in `core/policies/changzhou_default.json`.
//! * [`evidence`]: what is known about a student — screenings, staff observations, life
//!   events, clinical and agency notices, special periods, the tier in force (with the rules
//!   that raised it) and its reviews, the actions already done. Evidence is verified, not
//!   trusted: a screening's answers are scored by the engine with the named instrument version,
//!   a score report is verified against the catalog the policy was compiled with (or against the
//!   policy's declaration of an external instrument) on every evaluation path.
//! * [`engine`]: [`evaluate`] turns evidence into an [`AlertDecision`] — the tier,
//!   every rule that fired with its evidence and sources (a held tier cites the rules that
//!   raised it, its own sources and why it is held), actions and notifications with due times,
//!   the next review, and a summary in Chinese and English.
//! * [`decision`]: the decision, and the [`Confirmation`] / [`Override`] a named
//!   person records about it (the engine records neither).
//! * [`batch`]: whole schools or cities, with tier counts and overdue obligations.
//! * [`columnar`]: whole cities from columns (batch columns of several instruments, event
//!   tables, previous tiers) to a tier column, fired-rule sets and due obligations, without
//!   per-student objects; full decisions only for the rows someone opens.
//!
//! Time is always an input ([`Timestamp`]); the engine never reads a clock. A tier
//! never drops by itself: lowering needs a documented review by a responsible role,
//! after the tier's minimum dwell time, one step at a time, and only when no rule
//! still requires the tier. See `docs/alert-tiers.md`.
//!
//! ```
//! use changkaixin_core::alert::{AlertPolicy, Timestamp};
//! let policy = AlertPolicy::changzhou_default().unwrap();
//! assert_eq!(policy.tiers.iter().map(|t| t.id.as_str()).collect::<Vec<_>>(), ["none", "watch", "key", "crisis"]);
//! assert!(policy.rules.iter().all(|r| !r.sources.is_empty()));
//! let at = Timestamp::parse("2024-03-04T16:00:00+08:00").unwrap();
//! assert_eq!(at.to_string(), "2024-03-04T08:00:00Z");
//! ```

pub mod batch;
pub mod columnar;
pub use crate::time as datetime;
pub mod decision;
pub mod engine;
pub mod evidence;
pub mod policy;

#[cfg(test)]
mod tests;

pub use batch::{
    evaluate_batch, evaluate_batch_with, evaluate_prepared_batch, BatchDecisions, BatchError, BatchOptions, DecisionFilter, ObligationInfo, ObligationKind,
    OverdueItem, TierCount,
};
pub use columnar::{evaluate_columns, CohortColumns, ColumnarTiers, ScreeningColumns};
pub use datetime::{IsoDuration, Timestamp};
pub use decision::{
    ActionDue, AlertDecision, Change, Confirmation, DecisionRef, EvidenceKind, EvidenceUsed, FiredRule, HeldBy, HoldReason, NotificationDue, Override,
    PolicyRef, PreviousTierRef, PriorRule, ReviewOutcome, ReviewStatus, RoleRef, SourceCitation, Summary, TierRef, WithheldNotification, ALERT_DECISION_FORMAT,
};
pub use engine::{evaluate, evaluate_tier_only, Evaluator, RuleSet, TierOutcome};
pub use evidence::{
    AgencyNotice, ClinicalNotice, CompletedAction, LifeEvent, Observation, Person, PreparedEvidence, PreviousTier, RaisedBy, Review, Screening, SpecialPeriod,
    StudentEvidence,
};
pub use policy::{
    AlertPolicy, Basis, CompiledPolicy, ExternalInstrument, ExternalScale, HandlingLevel, Indeterminate, NoticeSeverity, Reliability, RuleCondition,
    ALERT_POLICY_FORMAT, CHANGZHOU_DEFAULT_JSON,
};
