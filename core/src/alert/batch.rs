//! Whole schools or cities at once: one compiled policy, many students.
//!
//! The policy is compiled once; each student's evidence is checked and reduced into
//! reused buffers, so the tier-only path allocates nothing per student (beyond what
//! it reports: overdue items and errors). Full explained decisions are built only
//! on request ([`BatchOptions::decisions`]).

use crate::alert::datetime::Timestamp;
use crate::alert::decision::{AlertDecision, PolicyRef};
use crate::alert::engine::{Evaluator, TierOutcome};
use crate::alert::evidence::{PreparedEvidence, StudentEvidence};
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

/// One obligation of the policy (legend entry for [`OverdueItem::obligation`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObligationInfo {
    /// Kind.
    pub kind: ObligationKind,
    /// Action id, `notify:<role>`, or `review:<tier>`.
    pub id: String,
    /// Roles that must act.
    pub roles: Vec<String>,
}

/// An obligation not recorded as done whose due time has passed. Compact: the student
/// is `row` of the input, the obligation an index into [`BatchDecisions::obligations`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OverdueItem {
    /// Row in the input.
    pub row: u32,
    /// Index into [`BatchDecisions::obligations`].
    pub obligation: u32,
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
    /// Why (an `evidence.*` error, or a `score.*` error for answers that do not fit their
    /// instrument, with a path into that student's evidence).
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
    /// Obligations by index (legend for `overdue[].obligation`): actions, notifications by role, reviews by tier.
    pub obligations: Vec<ObligationInfo>,
    /// One row per student, in input order (`null` where the evidence was refused).
    pub rows: Vec<Option<TierOutcome>>,
    /// Students per tier, lowest tier first (refused students are not counted).
    pub tier_counts: Vec<TierCount>,
    /// Overdue obligations, sorted by due time, row and obligation.
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
    run(
        policy,
        students.len(),
        at,
        options,
        |ev, row| {
            (
                students.get(row).map_or("", |s| s.student.as_str()),
                students.get(row).map(|s| ev.tier_only(s, at)),
            )
        },
        |ev, row| students.get(row).and_then(|s| ev.decide(s, at).ok()),
    )
}

/// Evaluate prepared evidence (see [`Evaluator::prepare`]) at `at`: the fast path for
/// re-evaluating a school or city whose evidence has not changed. Full decisions need the
/// original evidence, so `options.decisions` is ignored here.
pub fn evaluate_prepared_batch(policy: &CompiledPolicy, students: &[PreparedEvidence], at: Timestamp, options: BatchOptions) -> BatchDecisions {
    let options = BatchOptions {
        decisions: DecisionFilter::None,
        ..options
    };
    run(
        policy,
        students.len(),
        at,
        options,
        |ev, row| {
            (
                students.get(row).map_or("", |s| s.student()),
                students.get(row).map(|s| ev.tier_only_prepared(s, at)),
            )
        },
        |_, _| None,
    )
}

fn run<'a, 'p>(
    policy: &'p CompiledPolicy,
    n: usize,
    at: Timestamp,
    options: BatchOptions,
    mut tier: impl FnMut(&mut Evaluator<'p>, usize) -> (&'a str, Option<Result<TierOutcome, Error>>),
    mut full: impl FnMut(&mut Evaluator<'p>, usize) -> Option<AlertDecision>,
) -> BatchDecisions {
    let overdue_at = options.overdue_at.unwrap_or(at);
    let mut ev = Evaluator::new(policy);
    let mut counts = vec![0u64; policy.tier_count()];
    let mut rows = Vec::with_capacity(n);
    let mut overdue = Vec::new();
    let mut errors = Vec::new();
    let mut decisions = Vec::new();
    for row in 0..n {
        let row32 = u32::try_from(row).unwrap_or(u32::MAX);
        let (student, result) = tier(&mut ev, row);
        match result {
            Some(Ok(o)) => {
                if let Some(c) = counts.get_mut(usize::from(o.tier)) {
                    *c += 1;
                }
                ev.overdue_into(overdue_at.unix(), |obligation, due| {
                    overdue.push(OverdueItem {
                        row: row32,
                        obligation,
                        due_at: Timestamp::from_unix(due),
                    })
                });
                let wanted = match options.decisions {
                    DecisionFilter::None => false,
                    DecisionFilter::Flagged => o.tier > 0 || o.change != crate::alert::decision::Change::Unchanged,
                    DecisionFilter::All => true,
                };
                if wanted {
                    if let Some(d) = full(&mut ev, row) {
                        decisions.push(d);
                    }
                }
                rows.push(Some(o));
            }
            Some(Err(error)) => {
                errors.push(BatchError {
                    row: row32,
                    student: student.to_owned(),
                    error,
                });
                rows.push(None);
            }
            None => rows.push(None),
        }
    }
    overdue.sort_unstable_by_key(|o: &OverdueItem| (o.due_at, o.row, o.obligation));
    BatchDecisions {
        policy: PolicyRef {
            id: policy.id().to_owned(),
            version: policy.version().to_owned(),
        },
        evaluated_at: at,
        overdue_at,
        tiers: policy.tier_ids().map(str::to_owned).collect(),
        rules: policy.rule_ids().map(str::to_owned).collect(),
        obligations: obligation_legend(policy),
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

impl BatchDecisions {
    /// The legend entry of an overdue item.
    pub fn obligation(&self, item: &OverdueItem) -> Option<&ObligationInfo> {
        self.obligations.get(item.obligation as usize)
    }
}

/// Every obligation of the policy: actions (by action index), then notifications (by
/// role index), then tier reviews (by tier index). The engine's overdue indices use this order.
pub(crate) fn obligation_legend(policy: &CompiledPolicy) -> Vec<ObligationInfo> {
    let role_id = |r: u16| policy.roles.get(usize::from(r)).map_or(String::new(), |x| x.id.clone());
    let actions = policy.actions.iter().map(|a| ObligationInfo {
        kind: ObligationKind::Action,
        id: a.id.clone(),
        roles: vec![role_id(a.role)],
    });
    let notes = policy.roles.iter().map(|r| ObligationInfo {
        kind: ObligationKind::Notification,
        id: r.notify_key.clone(),
        roles: vec![r.id.clone()],
    });
    let reviews = policy.tiers.iter().map(|t| ObligationInfo {
        kind: ObligationKind::Review,
        id: format!("review:{}", t.id),
        roles: t.roles.iter().map(|r| role_id(*r)).collect(),
    });
    actions.chain(notes).chain(reviews).collect()
}
