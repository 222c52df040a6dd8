//! Whole schools or cities at once: one compiled policy, many students.
//!
//! The policy is compiled once; each student's evidence is checked and reduced into
//! reused buffers, so the tier-only path allocates nothing per student (beyond what
//! it reports: overdue items and errors). Full explained decisions are built only
//! on request ([`BatchOptions::decisions`]).

use crate::alert::datetime::Timestamp;
use crate::alert::decision::{AlertDecision, PolicyRef};
use crate::alert::engine::{Evaluator, TierOutcome};
use crate::alert::evidence::StudentEvidence;
use crate::alert::policy::CompiledPolicy;
use crate::error::Error;
use serde::{Deserialize, Serialize};

/// Which students get a full decision in a batch.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DecisionFilter {
    /// None: tiers, counts and overdue items only (the fast path).
    #[default]
    None,
    /// Students above the lowest tier, or whose tier changed.
    Flagged,
    /// Every student.
    All,
}

/// Batch options.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchOptions {
    /// The date overdue obligations are listed at (default: the evaluation time).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overdue_at: Option<Timestamp>,
    /// Which full decisions to build.
    #[serde(default)]
    pub decisions: DecisionFilter,
}

/// Students per tier.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TierCount {
    /// Tier id.
    pub tier: String,
    /// Number of students.
    pub count: u64,
}

/// What kind of obligation is overdue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ObligationKind {
    /// An action.
    Action,
    /// A notification (`notify:<role>`).
    Notification,
    /// The tier's periodic review.
    Review,
}

/// An obligation not recorded as done whose due time has passed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OverdueItem {
    /// Row in the input.
    pub row: u32,
    /// Student id.
    pub student: String,
    /// Kind.
    pub kind: ObligationKind,
    /// Action id, `notify:<role>`, or `review:<tier>`.
    pub id: String,
    /// Roles that must act.
    pub roles: Vec<String>,
    /// When it was due.
    pub due_at: Timestamp,
}

/// A student whose evidence was refused.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchError {
    /// Row in the input.
    pub row: u32,
    /// Student id.
    pub student: String,
    /// Why (`evidence.invalid` with a path into that student's evidence).
    pub error: Error,
}

/// The result of a batch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchDecisions {
    /// Policy that decided.
    pub policy: PolicyRef,
    /// Evaluation time.
    pub evaluated_at: Timestamp,
    /// The date overdue items are listed at.
    pub overdue_at: Timestamp,
    /// Tier ids by index (legend for `rows`).
    pub tiers: Vec<String>,
    /// Rule ids by index (legend for `rows[].rules`).
    pub rules: Vec<String>,
    /// One row per student, in input order (`null` where the evidence was refused).
    pub rows: Vec<Option<TierOutcome>>,
    /// Students per tier, lowest tier first (refused students are not counted).
    pub tier_counts: Vec<TierCount>,
    /// Overdue obligations, sorted by due time, row and id.
    pub overdue: Vec<OverdueItem>,
    /// Refused evidence.
    pub errors: Vec<BatchError>,
    /// Full decisions, when requested, in input order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub decisions: Vec<AlertDecision>,
}

/// Evaluate every student at `at`; overdue obligations are listed at `at`.
pub fn evaluate_batch(policy: &CompiledPolicy, students: &[StudentEvidence], at: Timestamp) -> BatchDecisions {
    evaluate_batch_with(policy, students, at, BatchOptions::default())
}

/// Evaluate every student at `at` with options.
pub fn evaluate_batch_with(policy: &CompiledPolicy, students: &[StudentEvidence], at: Timestamp, options: BatchOptions) -> BatchDecisions {
    let overdue_at = options.overdue_at.unwrap_or(at);
    let mut ev = Evaluator::new(policy);
    let mut counts = vec![0u64; policy.tier_count()];
    let mut rows = Vec::with_capacity(students.len());
    let mut overdue = Vec::new();
    let mut errors = Vec::new();
    let mut decisions = Vec::new();
    for (row, s) in students.iter().enumerate() {
        let row32 = u32::try_from(row).unwrap_or(u32::MAX);
        match ev.tier_only(s, at) {
            Ok(o) => {
                if let Some(c) = counts.get_mut(usize::from(o.tier)) {
                    *c += 1;
                }
                collect_overdue(&ev, &o, row32, s, overdue_at.unix(), &mut overdue);
                let wanted = match options.decisions {
                    DecisionFilter::None => false,
                    DecisionFilter::Flagged => o.tier > 0 || o.change != crate::alert::decision::Change::Unchanged,
                    DecisionFilter::All => true,
                };
                if wanted {
                    if let Ok(d) = ev.decide(s, at) {
                        decisions.push(d);
                    }
                }
                rows.push(Some(o));
            }
            Err(error) => {
                errors.push(BatchError {
                    row: row32,
                    student: s.student.clone(),
                    error,
                });
                rows.push(None);
            }
        }
    }
    overdue.sort_by(|a: &OverdueItem, b: &OverdueItem| a.due_at.cmp(&b.due_at).then(a.row.cmp(&b.row)).then_with(|| a.id.cmp(&b.id)));
    BatchDecisions {
        policy: PolicyRef {
            id: policy.id().to_owned(),
            version: policy.version().to_owned(),
        },
        evaluated_at: at,
        overdue_at,
        tiers: policy.tier_ids().map(str::to_owned).collect(),
        rules: policy.rule_ids().map(str::to_owned).collect(),
        rows,
        tier_counts: policy
            .tier_ids()
            .zip(counts)
            .map(|(t, count)| TierCount { tier: t.to_owned(), count })
            .collect(),
        overdue,
        errors,
        decisions,
    }
}

fn collect_overdue(ev: &Evaluator<'_>, o: &TierOutcome, row: u32, s: &StudentEvidence, date: i64, out: &mut Vec<OverdueItem>) {
    ev.overdue_into(o, date, |id, role, due| {
        let kind = if id.starts_with("notify:") {
            ObligationKind::Notification
        } else {
            ObligationKind::Action
        };
        out.push(OverdueItem {
            row,
            student: s.student.clone(),
            kind,
            id: id.to_owned(),
            roles: vec![role.to_owned()],
            due_at: Timestamp::from_unix(due),
        });
    });
    if let Some(next) = ev.next_review_for(o) {
        if next < date {
            let policy = ev.policy();
            let tier = policy.tiers.get(usize::from(o.tier));
            out.push(OverdueItem {
                row,
                student: s.student.clone(),
                kind: ObligationKind::Review,
                id: format!("review:{}", tier.map_or("", |t| t.id.as_str())),
                roles: tier
                    .map(|t| t.roles.iter().filter_map(|r| policy.roles.get(usize::from(*r)).map(|x| x.id.clone())).collect())
                    .unwrap_or_default(),
                due_at: Timestamp::from_unix(next),
            });
        }
    }
}
