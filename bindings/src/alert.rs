//! Alert tiers (三级预警): the compiled policy as an object, `evaluate` for one student and
//! `evaluate_batch` for a class or school, and the decision as an object whose accessors return
//! typed records (tier, fired rules with their evidence and sources, actions and notifications
//! with due times, the next review, the summary). Times cross as RFC 3339 strings.
//!
//! Evidence goes in as the typed [`StudentEvidence`](crate::evidence::StudentEvidence) record
//! (`evaluate`, `evaluate_batch`); `evaluate_json` / `evaluate_batch_json` take the documented JSON
//! document (`docs/alert-tiers.md`) for apps that relay it from a server unchanged.

use crate::error::{guard, FfiResult};
use crate::evidence::StudentEvidence;
use crate::instrument::Catalog;
use changkaixin_core::alert::{self as core, Change, CompiledPolicy, Timestamp};
use changkaixin_core::instrument::spec::Localized;
use std::sync::Arc;

/// How the tier moved.
#[uniffi::remote(Enum)]
pub enum Change {
    Raised,
    Unchanged,
    Held,
    LoweredByReview,
}

/// A linted, compiled alert policy (core `CompiledPolicy`).
#[derive(uniffi::Object)]
pub struct AlertPolicy {
    inner: CompiledPolicy,
}

/// A problem the policy lint found (same fields as an error).
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct LintFinding {
    pub code: String,
    pub path: String,
    pub item: Option<u32>,
    pub detail: String,
}

/// Lint a policy document against a catalog without compiling it; empty when it is sound.
#[uniffi::export]
pub fn lint_alert_policy(json: String, catalog: &Catalog) -> FfiResult<Vec<LintFinding>> {
    guard(|| {
        let policy = core::AlertPolicy::from_json(&json)?;
        Ok(policy
            .lint_against(catalog.core())
            .into_iter()
            .map(|e| LintFinding {
                code: e.code().to_owned(),
                path: e.path().to_owned(),
                item: e.item(),
                detail: e.message().to_owned(),
            })
            .collect())
    })
}

#[uniffi::export]
impl AlertPolicy {
    /// The built-in Changzhou default policy (`core/policies/changzhou_default.json`).
    #[uniffi::constructor]
    pub fn changzhou_default() -> FfiResult<Arc<AlertPolicy>> {
        guard(|| {
            Ok(Arc::new(AlertPolicy {
                inner: CompiledPolicy::changzhou_default()?.clone(),
            }))
        })
    }
    /// Parse, lint (against `catalog`) and compile a policy document (`changkaixin.alert-policy/1`).
    #[uniffi::constructor]
    pub fn from_json(json: String, catalog: &Catalog) -> FfiResult<Arc<AlertPolicy>> {
        guard(|| {
            Ok(Arc::new(AlertPolicy {
                inner: CompiledPolicy::from_json(&json, catalog.core())?,
            }))
        })
    }
    /// Policy id.
    pub fn id(&self) -> String {
        self.inner.id().to_owned()
    }
    /// Policy version.
    pub fn version(&self) -> String {
        self.inner.version().to_owned()
    }
    /// Tier ids from lowest to highest (`none`, `watch`, `key`, `crisis` in the default).
    pub fn tier_ids(&self) -> Vec<String> {
        self.inner.tier_ids().map(str::to_owned).collect()
    }
    /// Rule ids.
    pub fn rule_ids(&self) -> Vec<String> {
        self.inner.rule_ids().map(str::to_owned).collect()
    }
    /// The policy document as JSON.
    pub fn policy_json(&self) -> String {
        self.inner.policy().to_json()
    }
    /// Evaluate one student's evidence at time `at` (RFC 3339). Bad evidence is `evidence.invalid`
    /// with a path into the record (`/observations/0/observed_by/role`).
    pub fn evaluate(&self, evidence: StudentEvidence, at: String) -> FfiResult<Arc<AlertDecision>> {
        guard(|| self.decide(&evidence.into(), &at))
    }
    /// Evaluate one student's evidence given as its JSON document (`StudentEvidence`, as relayed
    /// from a server) at time `at`; the same decision as `evaluate` on the parsed record.
    pub fn evaluate_json(&self, evidence_json: String, at: String) -> FfiResult<Arc<AlertDecision>> {
        guard(|| self.decide(&core::StudentEvidence::from_json(&evidence_json)?, &at))
    }
    /// Evaluate many students at `at`: tier per row, tier counts, overdue obligations and per-row
    /// errors (a bad row does not stop the batch).
    pub fn evaluate_batch(&self, students: Vec<StudentEvidence>, at: String) -> FfiResult<AlertBatch> {
        guard(|| {
            let at = Timestamp::parse(&at)?;
            let students: Vec<core::StudentEvidence> = students.into_iter().map(Into::into).collect();
            Ok(batch_result(core::evaluate_batch(&self.inner, &students, at)))
        })
    }
    /// `evaluate_batch` with one evidence JSON document per student. A document that does not parse
    /// fails the call with its row as the path prefix (`/2/...`).
    pub fn evaluate_batch_json(&self, evidence_jsons: Vec<String>, at: String) -> FfiResult<AlertBatch> {
        guard(|| {
            let at = Timestamp::parse(&at)?;
            let mut students = Vec::with_capacity(evidence_jsons.len());
            for (i, j) in evidence_jsons.iter().enumerate() {
                students.push(core::StudentEvidence::from_json(j).map_err(|e| e.prefixed(&format!("/{i}")))?);
            }
            Ok(batch_result(core::evaluate_batch(&self.inner, &students, at)))
        })
    }
}

impl AlertPolicy {
    fn decide(&self, evidence: &core::StudentEvidence, at: &str) -> FfiResult<Arc<AlertDecision>> {
        let at = Timestamp::parse(at)?;
        Ok(Arc::new(AlertDecision {
            inner: core::evaluate(&self.inner, evidence, at)?,
        }))
    }
}

fn batch_result(out: core::BatchDecisions) -> AlertBatch {
    AlertBatch {
        tiers: out.tiers.clone(),
        row_tiers: out
            .rows
            .iter()
            .map(|r| r.as_ref().and_then(|t| out.tiers.get(usize::from(t.tier)).cloned()))
            .collect(),
        tier_counts: out
            .tier_counts
            .iter()
            .map(|t| TierCount {
                tier: t.tier.clone(),
                count: t.count,
            })
            .collect(),
        overdue: out
            .overdue
            .iter()
            .map(|o| {
                let info = out.obligation(o);
                OverdueObligation {
                    row: o.row,
                    kind: info.map(|i| enum_name(&i.kind)).unwrap_or_default(),
                    id: info.map(|i| i.id.clone()).unwrap_or_default(),
                    roles: info.map(|i| i.roles.clone()).unwrap_or_default(),
                    due_at: o.due_at.to_string(),
                }
            })
            .collect(),
        errors: out
            .errors
            .into_iter()
            .map(|e| AlertBatchError {
                row: e.row,
                student: e.student,
                error: e.error.into(),
            })
            .collect(),
    }
}

/// The result of a batch evaluation.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct AlertBatch {
    /// Tier ids, lowest first.
    pub tiers: Vec<String>,
    /// The proposed tier of each row (`null`/`nil` for a row in `errors`).
    pub row_tiers: Vec<Option<String>>,
    pub tier_counts: Vec<TierCount>,
    pub overdue: Vec<OverdueObligation>,
    pub errors: Vec<AlertBatchError>,
}

/// How many students a tier holds.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct TierCount {
    pub tier: String,
    pub count: u64,
}

/// An action, notification or review that is past due.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct OverdueObligation {
    pub row: u32,
    /// `action`, `notification` or `review`.
    pub kind: String,
    pub id: String,
    pub roles: Vec<String>,
    pub due_at: String,
}

/// A row that could not be evaluated.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct AlertBatchError {
    pub row: u32,
    pub student: String,
    pub error: crate::ChangkaixinError,
}

/// The engine's proposal for one student (core `AlertDecision`). A named person must confirm or
/// override it; `toJson()` gives the full decision document.
#[derive(uniffi::Object)]
pub struct AlertDecision {
    inner: core::AlertDecision,
}

/// A tier reference.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct TierRef {
    pub id: String,
    pub index: u8,
    /// `class`, `school` or `society` (一级/二级/三级预警), absent for `none`.
    pub level: Option<String>,
    pub label: Localized,
}

/// A rule that fired, with its evidence and sources.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct FiredRule {
    pub rule: String,
    pub tier: String,
    pub label: Localized,
    pub since: String,
    pub sources: Vec<SourceCitation>,
    pub evidence: Vec<EvidenceUsed>,
}

/// A source a rule cites.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct SourceCitation {
    pub id: String,
    pub citation: String,
    /// `official`, `secondary`, `template` or `policy_default`.
    pub reliability: String,
}

/// One piece of evidence a rule used.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct EvidenceUsed {
    pub kind: String,
    pub path: String,
    pub id: Option<String>,
    pub at: String,
    pub detail: String,
}

/// An action with its deadline.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct ActionDue {
    pub id: String,
    pub label: Localized,
    pub role: String,
    pub origins: Vec<String>,
    pub triggered_at: String,
    /// The deadline as the policy states it (ISO-8601 duration, e.g. `PT24H`).
    pub due: String,
    pub due_at: String,
    pub done_at: Option<String>,
    pub overdue: bool,
}

/// A notification with its deadline.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct NotificationDue {
    pub who: String,
    pub who_label: Localized,
    pub origins: Vec<String>,
    pub triggered_at: String,
    pub within: String,
    pub due_at: String,
    pub done_at: Option<String>,
    pub overdue: bool,
}

/// A role responsible for the tier.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct RoleRef {
    pub id: String,
    pub label: Localized,
}

fn enum_name<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

fn tier_ref(t: &core::TierRef) -> TierRef {
    TierRef {
        id: t.id.clone(),
        index: t.index,
        level: t.level.as_ref().map(enum_name),
        label: t.label.clone(),
    }
}

#[uniffi::export]
impl AlertDecision {
    /// Parse a decision document (e.g. one stored by the server).
    #[uniffi::constructor]
    pub fn from_json(json: String) -> FfiResult<Arc<AlertDecision>> {
        guard(|| {
            Ok(Arc::new(AlertDecision {
                inner: core::AlertDecision::from_json(&json)?,
            }))
        })
    }
    /// The full decision as canonical JSON.
    pub fn to_json(&self) -> String {
        self.inner.to_json()
    }
    /// The student's (pseudonymous) id.
    pub fn student(&self) -> String {
        self.inner.student.clone()
    }
    /// When the decision was evaluated.
    pub fn evaluated_at(&self) -> String {
        self.inner.evaluated_at.to_string()
    }
    /// The proposed tier.
    pub fn tier(&self) -> TierRef {
        tier_ref(&self.inner.tier)
    }
    /// The tier the rules alone imply (lower than `tier` while a tier is held).
    pub fn rule_tier(&self) -> TierRef {
        tier_ref(&self.inner.rule_tier)
    }
    /// The tier in force before, if any.
    pub fn previous_tier(&self) -> Option<TierRef> {
        self.inner.previous_tier.as_ref().map(|p| tier_ref(&p.tier))
    }
    /// How the tier moved.
    pub fn change(&self) -> Change {
        self.inner.change
    }
    /// Since when the tier holds.
    pub fn tier_since(&self) -> String {
        self.inner.tier_since.to_string()
    }
    /// Why the tier is held above the rule tier (`awaiting_review`, …), if it is.
    pub fn held_by(&self) -> Option<String> {
        self.inner.held_by.as_ref().map(|h| enum_name(&h.reason))
    }
    /// Roles responsible for the tier.
    pub fn responsible_roles(&self) -> Vec<RoleRef> {
        self.inner
            .responsible_roles
            .iter()
            .map(|r| RoleRef {
                id: r.id.clone(),
                label: r.label.clone(),
            })
            .collect()
    }
    /// The rules that fired, with evidence and sources (the reasons).
    pub fn fired_rules(&self) -> Vec<FiredRule> {
        self.inner
            .fired_rules
            .iter()
            .map(|f| FiredRule {
                rule: f.rule.clone(),
                tier: f.tier.clone(),
                label: f.label.clone(),
                since: f.since.to_string(),
                sources: f
                    .sources
                    .iter()
                    .map(|s| SourceCitation {
                        id: s.id.clone(),
                        citation: s.citation.clone(),
                        reliability: enum_name(&s.reliability),
                    })
                    .collect(),
                evidence: f
                    .evidence
                    .iter()
                    .map(|e| EvidenceUsed {
                        kind: enum_name(&e.kind),
                        path: e.path.clone(),
                        id: e.id.clone(),
                        at: e.at.to_string(),
                        detail: e.detail.clone(),
                    })
                    .collect(),
            })
            .collect()
    }
    /// Actions with deadlines.
    pub fn actions(&self) -> Vec<ActionDue> {
        self.inner
            .actions
            .iter()
            .map(|a| ActionDue {
                id: a.id.clone(),
                label: a.label.clone(),
                role: a.role.clone(),
                origins: a.origins.clone(),
                triggered_at: a.triggered_at.to_string(),
                due: a.due.clone(),
                due_at: a.due_at.to_string(),
                done_at: a.done_at.map(|t| t.to_string()),
                overdue: a.overdue,
            })
            .collect()
    }
    /// Notifications with deadlines.
    pub fn notifications(&self) -> Vec<NotificationDue> {
        self.inner
            .notifications
            .iter()
            .map(|n| NotificationDue {
                who: n.who.clone(),
                who_label: n.who_label.clone(),
                origins: n.origins.clone(),
                triggered_at: n.triggered_at.to_string(),
                within: n.within.clone(),
                due_at: n.due_at.to_string(),
                done_at: n.done_at.map(|t| t.to_string()),
                overdue: n.overdue,
            })
            .collect()
    }
    /// When the tier must next be reviewed.
    pub fn next_review_at(&self) -> Option<String> {
        self.inner.next_review_at.map(|t| t.to_string())
    }
    /// The summary in Chinese and English.
    pub fn summary(&self) -> Localized {
        Localized {
            zh: Some(self.inner.summary.zh.clone()),
            en: Some(self.inner.summary.en.clone()),
        }
    }
    /// Always true: the engine proposes, a named person decides.
    pub fn requires_confirmation(&self) -> bool {
        self.inner.requires_confirmation
    }
    /// Obligations (action or notification ids) not done by `at` whose deadline has passed, with deadlines.
    pub fn overdue_at(&self, at: String) -> FfiResult<Vec<OverdueObligation>> {
        guard(|| {
            let at = Timestamp::parse(&at)?;
            Ok(self
                .inner
                .overdue_at(at)
                .into_iter()
                .map(|(id, due)| OverdueObligation {
                    row: 0,
                    kind: String::new(),
                    id,
                    roles: Vec::new(),
                    due_at: due.to_string(),
                })
                .collect())
        })
    }
}
