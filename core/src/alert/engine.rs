//! Evaluation: evidence in, tier out — lean ([`Evaluator::tier_only`]) or with its
//! full explanation ([`Evaluator::decide`]).
//!
//! The tier is `max(tier implied by the rules, previous tier)`, except that a valid
//! review lowers the previous tier by exactly one step when no rule still requires
//! it. A review is valid when it reviews the tier in force, is by one of that tier's
//! responsible roles, and comes after the tier's minimum dwell time. Evidence older
//! than a rule's window stops making the rule fire, but the tier only falls through
//! such a review: a tier never drops by itself.

use crate::alert::datetime::Timestamp;
use crate::alert::decision::*;
use crate::alert::evidence::{Prepared, PreparedEvidence, StudentEvidence, NO_BAND};
use crate::alert::policy::{CompiledPolicy, HandlingLevel, Node, ScreeningLeaf, ANY_INSTRUMENT, MAX_RULES};
use crate::scoring::report::Verdict;

/// Bits of verdicts in a leaf's verdict masks (1 << [`Verdict::code`]).
const POSITIVE_BIT: u8 = 1 << 1;
const INDETERMINATE_BIT: u8 = 1 << 2;
use crate::error::Result;
use crate::error::{Error, ErrorCode};
use crate::instrument::spec::Localized;
use serde::{Deserialize, Serialize};

/// A set of rule indices (policy order), at most [`MAX_RULES`]. Serialises as a sorted index list.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct RuleSet([u64; 4]);

impl RuleSet {
    /// The empty set.
    pub const EMPTY: RuleSet = RuleSet([0; 4]);
    /// Add a rule index (indices ≥ 256 are ignored).
    pub fn insert(&mut self, i: usize) {
        if i < MAX_RULES {
            self.0[i / 64] |= 1u64 << (i % 64);
        }
    }
    /// Whether a rule index is in the set.
    pub fn contains(&self, i: usize) -> bool {
        i < MAX_RULES && self.0[i / 64] & (1u64 << (i % 64)) != 0
    }
    /// Number of rules in the set.
    pub fn len(&self) -> usize {
        self.0.iter().map(|w| w.count_ones() as usize).sum()
    }
    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.0 == [0; 4]
    }
    /// Rule indices, ascending.
    pub fn iter(&self) -> impl Iterator<Item = usize> {
        let mut words = self.0;
        let mut word = 0usize;
        std::iter::from_fn(move || {
            while let Some(w) = words.get_mut(word) {
                if *w == 0 {
                    word += 1;
                    continue;
                }
                let bit = w.trailing_zeros() as usize;
                *w &= *w - 1;
                return Some(word * 64 + bit);
            }
            None
        })
    }
}

impl Serialize for RuleSet {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for RuleSet {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let v = Vec::<usize>::deserialize(d)?;
        let mut r = RuleSet::EMPTY;
        for i in v {
            if i >= MAX_RULES {
                return Err(serde::de::Error::custom(format!("rule index {i} is out of range")));
            }
            r.insert(i);
        }
        Ok(r)
    }
}

/// The lean result: the tier and why, as indices (no strings built).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TierOutcome {
    /// Proposed tier index.
    pub tier: u8,
    /// Tier index the rules alone imply.
    pub rule_tier: u8,
    /// Previous tier index.
    pub previous: Option<u8>,
    /// How the tier moved.
    pub change: Change,
    /// Rules that fired.
    pub rules: RuleSet,
    /// Why the tier is above `rule_tier`.
    pub held_by: Option<HoldReason>,
}

#[derive(Clone, Copy, Debug)]
struct ReviewPick {
    /// Position in `Prepared::reviews`.
    pos: usize,
    status: ReviewStatus,
    reason: Option<HoldReason>,
}

#[derive(Clone, Copy, Debug)]
struct Outcome {
    lean: TierOutcome,
    review: Option<ReviewPick>,
    tier_since: i64,
    next_review: Option<i64>,
}

/// A reusable evaluator: holds scratch buffers so a batch allocates nothing per student
/// on the tier-only path.
#[derive(Debug)]
pub struct Evaluator<'p> {
    policy: &'p CompiledPolicy,
    prep: Prepared,
    since: Vec<i64>,
    /// The outcome of the last evaluation (the batch reads obligations from it).
    last: Option<Outcome>,
    /// Scratch for obligations.
    obligations: Vec<(Obligation<'p>, u16, i64)>,
}

/// Evaluate one student's evidence at `at` into a full, explained decision.
///
/// ```
/// # use changkaixin_core::alert::*;
/// # fn demo(policy: &CompiledPolicy) -> changkaixin_core::Result<()> {
/// let evidence = StudentEvidence::from_json(r#"{"student": "s-001"}"#)?;
/// let at = Timestamp::parse("2024-03-04T08:00:00Z")?;
/// let d = evaluate(policy, &evidence, at)?;
/// assert_eq!(d.tier.index, 0);
/// assert!(d.requires_confirmation);
/// # Ok(()) }
/// ```
pub fn evaluate(policy: &CompiledPolicy, evidence: &StudentEvidence, at: Timestamp) -> Result<AlertDecision> {
    Evaluator::new(policy).decide(evidence, at)
}

/// Evaluate one student's evidence at `at` into tier indices and a rule set only.
pub fn evaluate_tier_only(policy: &CompiledPolicy, evidence: &StudentEvidence, at: Timestamp) -> Result<TierOutcome> {
    Evaluator::new(policy).tier_only(evidence, at)
}

fn min_opt(a: Option<i64>, b: i64) -> Option<i64> {
    Some(a.map_or(b, |a| a.min(b)))
}

impl<'p> Evaluator<'p> {
    /// A new evaluator for a compiled policy.
    pub fn new(policy: &'p CompiledPolicy) -> Evaluator<'p> {
        Evaluator {
            policy,
            prep: Prepared::default(),
            since: vec![0; policy.rules.len()],
            last: None,
            obligations: Vec::new(),
        }
    }

    /// The policy.
    pub fn policy(&self) -> &'p CompiledPolicy {
        self.policy
    }

    /// Tier indices and fired rules only.
    pub fn tier_only(&mut self, evidence: &StudentEvidence, at: Timestamp) -> Result<TierOutcome> {
        self.last = None;
        self.prep.fill(self.policy, evidence)?;
        self.prep.at_time(self.policy, at)?;
        let o = self.outcome();
        self.last = Some(o);
        Ok(o.lean)
    }

    /// Check evidence against the policy and reduce it once, for evaluation at any time
    /// with [`Evaluator::tier_only_prepared`] (no re-parsing per evaluation).
    pub fn prepare(&self, evidence: &StudentEvidence) -> Result<PreparedEvidence> {
        let mut prep = Prepared::default();
        prep.fill(self.policy, evidence)?;
        // Engine-scored reports only serve explanations; prepared evidence is evaluated tier-only.
        prep.reports = Vec::new();
        Ok(PreparedEvidence {
            student: evidence.student.clone(),
            policy: self.policy.fingerprint,
            prep,
        })
    }

    /// Tier indices and fired rules of prepared evidence at `at`. Evidence prepared for
    /// another policy, or dated after `at` beyond the policy's tolerance, is `evidence.invalid`.
    pub fn tier_only_prepared(&mut self, evidence: &PreparedEvidence, at: Timestamp) -> Result<TierOutcome> {
        self.last = None;
        if evidence.policy != self.policy.fingerprint {
            return Err(Error::new(
                ErrorCode::EvidenceInvalid,
                "",
                "this evidence was prepared for another policy (or policy version); prepare it again",
            ));
        }
        self.prep.clone_from(&evidence.prep);
        self.prep.at_time(self.policy, at)?;
        let o = self.outcome();
        self.last = Some(o);
        Ok(o.lean)
    }

    /// The full decision with explanations.
    pub fn decide(&mut self, evidence: &StudentEvidence, at: Timestamp) -> Result<AlertDecision> {
        self.last = None;
        self.prep.fill(self.policy, evidence)?;
        self.prep.at_time(self.policy, at)?;
        let o = self.outcome();
        self.last = Some(o);
        Ok(self.build(evidence, at, &o))
    }

    /// After `tier_only`: the overdue obligations of the last student at `date`, as
    /// (obligation index, due). Obligation indices: actions, then notifications by role,
    /// then reviews by tier (see `batch::obligation_legend`). Used by the batch.
    pub(crate) fn overdue_into(&mut self, date: i64, mut sink: impl FnMut(u32, i64)) {
        let Some(o) = self.last else { return };
        let (n_actions, n_roles) = (self.policy.actions.len() as u32, self.policy.roles.len() as u32);
        let mut buf = std::mem::take(&mut self.obligations);
        self.obligations_into(&o.lean, o.tier_since, &mut buf);
        for &(key, _, due) in &buf {
            if due >= date {
                continue;
            }
            let (done, index) = match key {
                Obligation::Action(a, anchor) => (self.prep.done_actions.iter().any(|(x, t)| *x == a && *t >= anchor), u32::from(a)),
                Obligation::Notify(r, anchor, _) => (
                    self.prep.done_notifications.iter().any(|(x, t)| *x == r && *t >= anchor),
                    n_actions + u32::from(r),
                ),
            };
            if !done {
                sink(index, due);
            }
        }
        self.obligations = buf;
        if let Some(next) = o.next_review.filter(|n| *n < date) {
            sink(n_actions + n_roles + u32::from(o.lean.tier), next);
        }
    }

    /// Load evidence that `fill` reduces straight into the evaluator's buffers (the columnar
    /// entry, `alert::columnar`: the engine's own columns, no `StudentEvidence` built). `fill`
    /// starts from cleared buffers; the evaluation time and the future-tolerance check are
    /// applied after it, exactly as on the row paths. Then [`Evaluator::decide_loaded`].
    pub(crate) fn load_with(&mut self, at: Timestamp, fill: impl FnOnce(&mut Prepared) -> Result<()>) -> Result<()> {
        self.last = None;
        self.prep.clear();
        fill(&mut self.prep)?;
        self.prep.at_time(self.policy, at)
    }

    /// The evidence loaded by [`Evaluator::load_with`].
    pub(crate) fn loaded(&self) -> &Prepared {
        &self.prep
    }

    /// Tier-only evaluation of the evidence loaded by [`Evaluator::load_with`].
    pub(crate) fn decide_loaded(&mut self) -> TierOutcome {
        let o = self.outcome();
        self.last = Some(o);
        o.lean
    }

    /// After a tier-only evaluation: every obligation of the last student with its due time,
    /// as the full decision lists them (actions and notifications, deduplicated to the earliest
    /// due per id, withheld notifications left out; then the tier's next review), whether done
    /// or not. Indices as in `batch::obligation_legend`.
    pub(crate) fn due_into(&mut self, mut sink: impl FnMut(u32, i64)) {
        let Some(o) = self.last else { return };
        let (n_actions, n_roles) = (self.policy.actions.len() as u32, self.policy.roles.len() as u32);
        let mut buf = std::mem::take(&mut self.obligations);
        self.obligations_into(&o.lean, o.tier_since, &mut buf);
        for &(key, _, due) in &buf {
            let index = match key {
                Obligation::Action(a, _) => u32::from(a),
                Obligation::Notify(r, _, _) => n_actions + u32::from(r),
            };
            sink(index, due);
        }
        self.obligations = buf;
        if let Some(next) = o.next_review {
            sink(n_actions + n_roles + u32::from(o.lean.tier), next);
        }
    }

    // --- condition evaluation -------------------------------------------------------------

    /// `Some(t)`: the node holds, and has held since `t`.
    fn eval(&self, n: u32) -> Option<i64> {
        let cp = self.policy;
        let p = &self.prep;
        match cp.nodes.get(n as usize)? {
            Node::Any(s, e) => {
                let mut best = None;
                for &c in cp.children.get(*s as usize..*e as usize)? {
                    if let Some(t) = self.eval(c) {
                        best = min_opt(best, t);
                    }
                }
                best
            }
            Node::All(s, e) => {
                let mut worst = i64::MIN;
                for &c in cp.children.get(*s as usize..*e as usize)? {
                    worst = worst.max(self.eval(c)?);
                }
                Some(if worst == i64::MIN { p.at } else { worst })
            }
            Node::Not(c) => match self.eval(*c) {
                Some(_) => None,
                None => Some(p.at),
            },
            Node::Screening(l) => {
                let mut best = None;
                for (k, _) in self.matching_screenings(l) {
                    best = min_opt(best, k);
                }
                best
            }
            Node::Observation { cats, within, min_count } => {
                let cutoff = p.at.saturating_sub(*within);
                if *min_count <= 1 {
                    let mut best = None;
                    for &(c, t) in &p.observations {
                        if cats >> c & 1 == 1 && t >= cutoff {
                            best = min_opt(best, t);
                        }
                    }
                    best
                } else {
                    let mut ts: Vec<i64> = p
                        .observations
                        .iter()
                        .filter(|(c, t)| cats >> c & 1 == 1 && *t >= cutoff)
                        .map(|(_, t)| *t)
                        .collect();
                    ts.sort_unstable();
                    ts.get(*min_count as usize - 1).copied()
                }
            }
            Node::LifeEvent { kinds, within } => first_in(&p.events, *kinds, p.at.saturating_sub(*within)),
            Node::Clinical { kinds, within } => first_in(&p.clinical, *kinds, p.at.saturating_sub(*within)),
            Node::Agency { agencies, severities, within } => {
                let cutoff = p.at.saturating_sub(*within);
                let mut best = None;
                for &(a, s, t) in &p.agency {
                    if agencies >> a & 1 == 1 && severities >> s & 1 == 1 && t >= cutoff {
                        best = min_opt(best, t);
                    }
                }
                best
            }
            Node::SpecialPeriod { kinds } => {
                let mut best = None;
                for &(k, from, _) in &p.periods {
                    if kinds >> k & 1 == 1 {
                        best = min_opt(best, from);
                    }
                }
                best
            }
            Node::PreviousTierAtLeast(k) => p.previous.filter(|(t, _)| t >= k).map(|(_, since)| since),
        }
    }

    /// Screenings (time, index) passing every test of the leaf.
    fn matching_screenings<'a>(&'a self, l: &'a ScreeningLeaf) -> impl Iterator<Item = (i64, usize)> + 'a {
        let p = &self.prep;
        let cutoff = p.at.saturating_sub(l.within);
        p.screenings.iter().enumerate().filter_map(move |(i, s)| {
            if (l.inst != ANY_INSTRUMENT && s.inst != l.inst) || s.at < cutoff {
                return None;
            }
            if l.validity != 0 && l.validity >> s.validity & 1 == 0 {
                return None;
            }
            if l.screen != 0 && l.screen & s.screen == 0 {
                return None;
            }
            let (pos, ind) = (l.flag_verdicts & POSITIVE_BIT != 0, l.flag_verdicts & INDETERMINATE_BIT != 0);
            if let Some(lv) = l.flag_level {
                let need = lv as u8 + 1;
                if !((pos && s.max_flag >= need) || (ind && s.max_flag_ind >= need)) {
                    return None;
                }
            }
            if l.severity.is_some_and(|sv| s.max_severity < sv as u8 + 1) {
                return None;
            }
            if let Some(bit) = l.flag {
                if !((pos && s.flags >> bit & 1 == 1) || (ind && s.flags_ind >> bit & 1 == 1)) {
                    return None;
                }
            }
            if let Some((slot, min)) = l.band {
                let b = p.slot_band.get(s.slot as usize + usize::from(slot)).copied().unwrap_or(NO_BAND);
                if b == NO_BAND || b < min {
                    return None;
                }
            }
            if let Some((slot, threshold, _)) = l.scale {
                match p.slot_score.get(s.slot as usize + usize::from(slot)).copied().flatten() {
                    Some(v) if v >= threshold => {}
                    _ => return None,
                }
            }
            Some((s.at, i))
        })
    }

    // --- the decision -----------------------------------------------------------------------

    /// The latest review of the tier in force since it began, and its verdict.
    fn pick_review(&self, rule_tier: u8) -> Option<ReviewPick> {
        let (prev, since) = self.prep.previous?;
        let mut pick: Option<(usize, i64)> = None;
        for (pos, r) in self.prep.reviews.iter().enumerate() {
            if r.from == prev && r.at >= since && pick.is_none_or(|(_, t)| r.at >= t) {
                pick = Some((pos, r.at));
            }
        }
        let (pos, _) = pick?;
        let r = self.prep.reviews.get(pos)?;
        let tier = self.policy.tiers.get(usize::from(prev))?;
        let (status, reason) = if r.to == r.from {
            (ReviewStatus::Kept, None)
        } else if rule_tier >= prev {
            (ReviewStatus::Rejected, Some(HoldReason::RulesStillRequire))
        } else if !tier.roles.contains(&r.role) {
            (ReviewStatus::Rejected, Some(HoldReason::ReviewerNotResponsible))
        } else if r.at < since.saturating_add(tier.min_dwell) {
            (ReviewStatus::Rejected, Some(HoldReason::ReviewBeforeMinDwell))
        } else {
            (ReviewStatus::Applied, None)
        };
        Some(ReviewPick { pos, status, reason })
    }

    fn outcome(&mut self) -> Outcome {
        let cp = self.policy;
        let mut rules = RuleSet::EMPTY;
        let mut rule_tier = 0u8;
        if self.since.len() != cp.rules.len() {
            self.since = vec![0; cp.rules.len()];
        }
        let channels = self.prep.channels;
        for (i, r) in cp.rules.iter().enumerate() {
            if r.relevant & channels == 0 {
                continue;
            }
            if let Some(t) = self.eval(r.root) {
                rules.insert(i);
                if let Some(slot) = self.since.get_mut(i) {
                    *slot = t;
                }
                rule_tier = rule_tier.max(r.tier);
            }
        }
        let previous = self.prep.previous.map(|(t, _)| t);
        let prev = previous.unwrap_or(0);
        let review = self.pick_review(rule_tier);
        let (tier, change, held_by) = if rule_tier > prev {
            (rule_tier, Change::Raised, None)
        } else if rule_tier == prev {
            (prev, Change::Unchanged, None)
        } else {
            match review {
                None => (prev, Change::Held, Some(HoldReason::AwaitingReview)),
                Some(ReviewPick {
                    status: ReviewStatus::Kept, ..
                }) => (prev, Change::Held, Some(HoldReason::ReviewKeptTier)),
                Some(ReviewPick {
                    status: ReviewStatus::Rejected,
                    reason,
                    ..
                }) => (prev, Change::Held, reason),
                Some(ReviewPick {
                    status: ReviewStatus::Applied, ..
                }) => {
                    let lowered = prev.saturating_sub(1);
                    (lowered, Change::LoweredByReview, (rule_tier < lowered).then_some(HoldReason::OneStepPerReview))
                }
            }
        };
        let lean = TierOutcome {
            tier,
            rule_tier,
            previous,
            change,
            rules,
            held_by,
        };
        let tier_since = self.tier_since(&lean);
        let next_review = self.next_review(&lean, tier_since);
        Outcome {
            lean,
            review,
            tier_since,
            next_review,
        }
    }

    /// Since when the proposed tier is warranted (deadlines of tier actions count from here).
    fn tier_since(&self, o: &TierOutcome) -> i64 {
        let p = &self.prep;
        match o.change {
            Change::Raised => {
                let mut best = None;
                for i in o.rules.iter() {
                    if self.policy.rules.get(i).is_some_and(|r| r.tier == o.tier) {
                        best = min_opt(best, self.since.get(i).copied().unwrap_or(p.at));
                    }
                }
                best.unwrap_or(p.at)
            }
            Change::LoweredByReview => self.pick_review(o.rule_tier).and_then(|r| p.reviews.get(r.pos)).map_or(p.at, |r| r.at),
            Change::Unchanged | Change::Held => p.previous.map_or(p.at, |(_, s)| s),
        }
    }

    fn next_review(&self, o: &TierOutcome, tier_since: i64) -> Option<i64> {
        let p = &self.prep;
        let tier = self.policy.tiers.get(usize::from(o.tier))?;
        let interval = match (p.period_mask != 0, tier.special_review, tier.review) {
            (true, Some(s), _) => s,
            (_, _, Some(r)) => r,
            _ => return None,
        };
        let mut anchor = tier_since;
        if matches!(o.change, Change::Unchanged | Change::Held) {
            // The latest review of this tier by a responsible role restarts the clock.
            for r in &p.reviews {
                if r.from == o.tier && r.at >= tier_since && tier.roles.contains(&r.role) {
                    anchor = anchor.max(r.at);
                }
            }
        }
        Some(anchor.saturating_add(interval))
    }

    /// Every obligation: (what, role, due), deduplicated to the earliest due per id.
    fn obligations(&self, o: &TierOutcome, tier_since: i64) -> Vec<(Obligation<'p>, u16, i64)> {
        let mut out = Vec::new();
        self.obligations_into(o, tier_since, &mut out);
        out
    }

    fn obligations_into(&self, o: &TierOutcome, tier_since: i64, out: &mut Vec<(Obligation<'p>, u16, i64)>) {
        out.clear();
        let cp: &'p CompiledPolicy = self.policy;
        let withheld = self.withheld_mask(o);
        let mut add = |ob: Obligation<'p>, role: u16, due: i64| {
            if matches!(ob, Obligation::Notify(..)) && withheld >> role & 1 == 1 {
                return;
            }
            if let Some(e) = out.iter_mut().find(|(x, _, _)| x.same(&ob)) {
                if due < e.2 {
                    *e = (ob, role, due);
                }
            } else {
                out.push((ob, role, due));
            }
        };
        if let Some(t) = cp.tiers.get(usize::from(o.tier)) {
            for &a in &t.actions {
                if let Some(act) = cp.actions.get(usize::from(a)) {
                    add(Obligation::Action(a, tier_since), act.role, tier_since.saturating_add(act.due));
                }
            }
            for n in &t.notifications {
                add(
                    Obligation::Notify(n.role, tier_since, &n.within_text),
                    n.role,
                    tier_since.saturating_add(n.within),
                );
            }
        }
        for i in o.rules.iter() {
            let Some(r) = cp.rules.get(i) else { continue };
            let anchor = self.since.get(i).copied().unwrap_or(self.prep.at);
            for &a in &r.actions {
                if let Some(act) = cp.actions.get(usize::from(a)) {
                    add(Obligation::Action(a, anchor), act.role, anchor.saturating_add(act.due));
                }
            }
            for n in &r.notifications {
                add(Obligation::Notify(n.role, anchor, &n.within_text), n.role, anchor.saturating_add(n.within));
            }
        }
    }

    /// Roles whose notifications a fired rule withholds.
    fn withheld_mask(&self, o: &TierOutcome) -> u64 {
        o.rules.iter().filter_map(|i| self.policy.rules.get(i)).fold(0, |m, r| m | r.withhold)
    }

    // --- explanations ---------------------------------------------------------------------

    fn tier_ref(&self, i: u8) -> TierRef {
        match self.policy.tiers.get(usize::from(i)) {
            Some(t) => TierRef {
                id: t.id.clone(),
                index: i,
                level: t.level,
                label: t.label.clone(),
            },
            None => TierRef {
                id: String::new(),
                index: i,
                level: None,
                label: Localized::default(),
            },
        }
    }

    fn role_ref(&self, r: u16) -> RoleRef {
        match self.policy.roles.get(usize::from(r)) {
            Some(x) => RoleRef {
                id: x.id.clone(),
                label: x.label.clone(),
            },
            None => RoleRef {
                id: String::new(),
                label: Localized::default(),
            },
        }
    }

    /// The evidence a (true) node used, appended to `out`.
    fn collect(&self, ev: &StudentEvidence, n: u32, out: &mut Vec<EvidenceUsed>, depth: usize) {
        let cp = self.policy;
        let p = &self.prep;
        let Some(node) = cp.nodes.get(n as usize) else { return };
        if depth > 64 {
            return;
        }
        let ts = Timestamp::from_unix;
        match node {
            Node::Any(s, e) | Node::All(s, e) => {
                for &c in cp.children.get(*s as usize..*e as usize).unwrap_or(&[]) {
                    if self.eval(c).is_some() {
                        self.collect(ev, c, out, depth + 1);
                    }
                }
            }
            Node::Not(_) => {}
            Node::Screening(l) => {
                for (t, i) in self.matching_screenings(l) {
                    let (Some(s), Some(r)) = (ev.screenings.get(i), p.report(ev, i)) else {
                        continue;
                    };
                    out.push(EvidenceUsed {
                        kind: EvidenceKind::Screening,
                        path: format!("/screenings/{i}"),
                        id: s.id.clone(),
                        at: ts(t),
                        detail: self.screening_detail(l, r),
                    });
                }
            }
            Node::Observation { cats, within, .. } => {
                let cutoff = p.at.saturating_sub(*within);
                for (i, &(c, t)) in p.observations.iter().enumerate() {
                    if cats >> c & 1 == 1 && t >= cutoff {
                        let Some(o) = ev.observations.get(i) else { continue };
                        out.push(EvidenceUsed {
                            kind: EvidenceKind::Observation,
                            path: format!("/observations/{i}"),
                            id: o.id.clone(),
                            at: ts(t),
                            detail: format!("observation {} by {} ({})", o.category, o.observed_by.name, o.observed_by.role),
                        });
                    }
                }
            }
            Node::LifeEvent { kinds, within } => {
                let cutoff = p.at.saturating_sub(*within);
                for (i, &(k, t)) in p.events.iter().enumerate() {
                    if kinds >> k & 1 == 1 && t >= cutoff {
                        let Some(e) = ev.life_events.get(i) else { continue };
                        out.push(EvidenceUsed {
                            kind: EvidenceKind::LifeEvent,
                            path: format!("/life_events/{i}"),
                            id: e.id.clone(),
                            at: ts(t),
                            detail: format!("life event {}", e.kind),
                        });
                    }
                }
            }
            Node::Clinical { kinds, within } => {
                let cutoff = p.at.saturating_sub(*within);
                for (i, &(k, t)) in p.clinical.iter().enumerate() {
                    if kinds >> k & 1 == 1 && t >= cutoff {
                        let Some(c) = ev.clinical.get(i) else { continue };
                        out.push(EvidenceUsed {
                            kind: EvidenceKind::Clinical,
                            path: format!("/clinical/{i}"),
                            id: c.id.clone(),
                            at: ts(t),
                            detail: format!("clinical notice {} from {}", c.kind, c.institution),
                        });
                    }
                }
            }
            Node::Agency { agencies, severities, within } => {
                let cutoff = p.at.saturating_sub(*within);
                for (i, &(a, s, t)) in p.agency.iter().enumerate() {
                    if agencies >> a & 1 == 1 && severities >> s & 1 == 1 && t >= cutoff {
                        let Some(x) = ev.agency_notices.get(i) else { continue };
                        let sev = if s == 1 { "urgent" } else { "concern" };
                        out.push(EvidenceUsed {
                            kind: EvidenceKind::AgencyNotice,
                            path: format!("/agency_notices/{i}"),
                            id: x.id.clone(),
                            at: ts(t),
                            detail: format!("{sev} notice from {}", x.agency),
                        });
                    }
                }
            }
            Node::SpecialPeriod { kinds } => {
                for &(k, from, i) in &p.periods {
                    if kinds >> k & 1 == 1 {
                        let kind = cp.special_periods.get(usize::from(k)).map_or("", |v| v.id.as_str());
                        out.push(EvidenceUsed {
                            kind: EvidenceKind::SpecialPeriod,
                            path: format!("/special_periods/{i}"),
                            id: None,
                            at: ts(from),
                            detail: format!("special period {kind} active"),
                        });
                    }
                }
            }
            Node::PreviousTierAtLeast(k) => {
                if let Some((t, since)) = p.previous.filter(|(t, _)| t >= k) {
                    out.push(EvidenceUsed {
                        kind: EvidenceKind::PreviousTier,
                        path: "/previous".to_owned(),
                        id: None,
                        at: ts(since),
                        detail: format!("previous tier {} (at least {})", self.tier_ref(t).id, self.tier_ref(*k).id),
                    });
                }
            }
        }
    }

    fn screening_detail(&self, l: &ScreeningLeaf, r: &crate::scoring::report::ScoreReport) -> String {
        let inst = self.policy.instruments.get(usize::from(l.inst));
        let mut parts: Vec<String> = Vec::new();
        if let (Some((slot, min)), Some(ci)) = (l.band, inst) {
            if let Some(cs) = ci.scales.get(usize::from(slot)) {
                let min_id = cs.bands.iter().find(|(k, _)| *k == min).map_or(String::new(), |(_, id)| id.clone());
                if let Some(b) = r.scale(&cs.id).and_then(|x| x.band.as_ref()) {
                    parts.push(format!("{} band {} (index {}) >= {} (index {min})", cs.id, b.id, b.index, min_id));
                }
            }
        }
        if let (Some((slot, _, threshold)), Some(ci)) = (l.scale, inst) {
            if let Some(cs) = ci.scales.get(usize::from(slot)) {
                if let Some(v) = r.scale(&cs.id).and_then(|x| x.score) {
                    parts.push(format!("{} score {v} >= {threshold}", cs.id));
                }
            }
        }
        let wanted = |v: Verdict| l.flag_verdicts & (1 << v.code()) != 0;
        if let (Some(bit), Some(ci)) = (l.flag, inst) {
            if let Some((id, level)) = ci.flags.get(usize::from(bit)) {
                match r.flags.iter().find(|f| &f.id == id && wanted(f.verdict)) {
                    Some(f) if f.verdict == Verdict::Indeterminate => parts.push(format!(
                        "flag {id} ({}) indeterminate{}",
                        level_word(*level),
                        undecided(&f.missing_items, &f.refused_items)
                    )),
                    _ => parts.push(format!("flag {id} ({})", level_word(*level))),
                }
            }
        }
        if let Some(lv) = l.flag_level {
            let flags: Vec<String> = r
                .flags
                .iter()
                .filter(|f| wanted(f.verdict) && f.level >= lv)
                .map(|f| {
                    if f.verdict == Verdict::Indeterminate {
                        format!(
                            "{} ({}) indeterminate{}",
                            f.id,
                            level_word(f.level),
                            undecided(&f.missing_items, &f.refused_items)
                        )
                    } else {
                        format!("{} ({})", f.id, level_word(f.level))
                    }
                })
                .collect();
            parts.push(format!("flags {}", flags.join(", ")));
        }
        if let Some(sv) = l.severity {
            let bands: Vec<String> = r
                .scales
                .iter()
                .filter_map(|x| {
                    x.band
                        .as_ref()
                        .filter(|b| b.severity >= sv)
                        .map(|b| format!("{} band {} ({:?})", x.id, b.id, b.severity).to_lowercase())
                })
                .collect();
            parts.push(bands.join(", "));
        }
        if l.screen != 0 {
            parts.push(match &r.screen_positive {
                Some(sp) if sp.verdict == Verdict::Indeterminate => format!("screen indeterminate{}", undecided(&sp.missing_items, &sp.refused_items)),
                Some(sp) => format!("screen {}", sp.verdict),
                None => "no screen verdict".to_owned(),
            });
        }
        if l.validity != 0 {
            parts.push(format!("validity {}", validity_word(r.validity.status)));
        }
        format!("{} {}: {}", r.instrument.id, r.instrument.version, parts.join("; "))
    }

    fn build(&self, ev: &StudentEvidence, at: Timestamp, o: &Outcome) -> AlertDecision {
        let cp = self.policy;
        let p = &self.prep;
        let lean = &o.lean;
        let ts = Timestamp::from_unix;
        let tier = self.tier_ref(lean.tier);
        let ctier = cp.tiers.get(usize::from(lean.tier));

        let mut fired = Vec::new();
        for i in lean.rules.iter() {
            let Some(r) = cp.rules.get(i) else { continue };
            let mut evidence = Vec::new();
            self.collect(ev, r.root, &mut evidence, 0);
            fired.push(FiredRule {
                rule: r.id.clone(),
                tier: self.tier_ref(r.tier).id,
                label: r.label.clone(),
                since: ts(self.since.get(i).copied().unwrap_or(p.at)),
                sources: r
                    .sources
                    .iter()
                    .filter_map(|s| cp.sources.get(usize::from(*s)))
                    .map(|s| SourceCitation {
                        id: s.id.clone(),
                        citation: s.citation.clone(),
                        reliability: s.reliability,
                    })
                    .collect(),
                evidence,
            });
        }

        let previous_tier = p.previous.map(|(t, since)| PreviousTierRef {
            tier: self.tier_ref(t),
            since: ts(since),
            confirmed_by: ev.previous.as_ref().and_then(|x| x.confirmed_by.clone()),
        });
        let review = o.review.and_then(|pick| {
            let pr = p.reviews.get(pick.pos)?;
            let r = ev.reviews.get(pr.index)?;
            Some(ReviewOutcome {
                path: format!("/reviews/{}", pr.index),
                id: r.id.clone(),
                by: r.by.clone(),
                at: ts(pr.at),
                from_tier: r.from_tier.clone(),
                to_tier: r.to_tier.clone(),
                status: pick.status,
                reason: pick.reason,
            })
        });

        // Obligations.
        let mut actions: Vec<ActionDue> = Vec::new();
        let mut notifications: Vec<NotificationDue> = Vec::new();
        let origin_tier = format!("tier:{}", tier.id);
        let rule_origins = |what: &dyn Fn(&crate::alert::policy::CRule) -> bool| -> Vec<String> {
            lean.rules
                .iter()
                .filter_map(|i| cp.rules.get(i))
                .filter(|r| what(r))
                .map(|r| format!("rule:{}", r.id))
                .collect()
        };
        for (ob, role, due) in self.obligations(lean, o.tier_since) {
            match ob {
                Obligation::Action(a, anchor) => {
                    let Some(act) = cp.actions.get(usize::from(a)) else { continue };
                    let mut origins = Vec::new();
                    if ctier.is_some_and(|t| t.actions.contains(&a)) {
                        origins.push(origin_tier.clone());
                    }
                    origins.extend(rule_origins(&|r| r.actions.contains(&a)));
                    let done_at = p.done_actions.iter().filter(|(x, t)| *x == a && *t >= anchor).map(|(_, t)| *t).min();
                    actions.push(ActionDue {
                        id: act.id.clone(),
                        label: act.label.clone(),
                        role: self.role_ref(role).id,
                        origins,
                        triggered_at: ts(anchor),
                        due: act.due_text.clone(),
                        due_at: ts(due),
                        done_at: done_at.map(ts),
                        overdue: done_at.is_none() && due < p.at,
                    });
                }
                Obligation::Notify(r, anchor, text) => {
                    let mut origins = Vec::new();
                    if ctier.is_some_and(|t| t.notifications.iter().any(|n| n.role == r)) {
                        origins.push(origin_tier.clone());
                    }
                    origins.extend(rule_origins(&|x| x.notifications.iter().any(|n| n.role == r)));
                    let done_at = p.done_notifications.iter().filter(|(x, t)| *x == r && *t >= anchor).map(|(_, t)| *t).min();
                    let who = self.role_ref(role);
                    notifications.push(NotificationDue {
                        who: who.id,
                        who_label: who.label,
                        origins,
                        triggered_at: ts(anchor),
                        within: text.to_owned(),
                        due_at: ts(due),
                        done_at: done_at.map(ts),
                        overdue: done_at.is_none() && due < p.at,
                    });
                }
            }
        }
        actions.sort_by(|a, b| a.due_at.cmp(&b.due_at).then_with(|| a.id.cmp(&b.id)));
        notifications.sort_by(|a, b| a.due_at.cmp(&b.due_at).then_with(|| a.who.cmp(&b.who)));

        let withheld = self.withheld_mask(lean);
        let mut withheld_notifications: Vec<WithheldNotification> = Vec::new();
        if withheld != 0 {
            let would_notify = |role: u16| {
                ctier.is_some_and(|t| t.notifications.iter().any(|n| n.role == role))
                    || lean
                        .rules
                        .iter()
                        .filter_map(|i| cp.rules.get(i))
                        .any(|r| r.notifications.iter().any(|n| n.role == role))
            };
            for (k, role) in cp.roles.iter().enumerate() {
                if withheld >> k & 1 == 1 && would_notify(k as u16) {
                    withheld_notifications.push(WithheldNotification {
                        who: role.id.clone(),
                        who_label: role.label.clone(),
                        by_rules: lean
                            .rules
                            .iter()
                            .filter_map(|i| cp.rules.get(i))
                            .filter(|r| r.withhold >> k & 1 == 1)
                            .map(|r| r.id.clone())
                            .collect(),
                    });
                }
            }
        }
        let dwell_until = o.tier_since.saturating_add(ctier.map_or(0, |t| t.min_dwell));
        let held_by = lean.held_by.map(|reason| HeldBy {
            reason,
            message: self.hold_message(reason, lean, dwell_until),
            raised_by: self.prior_rules(ev),
            recorded_reason: ev.previous.as_ref().and_then(|x| x.reason.clone()),
            tier_sources: ctier.map(|t| self.cite(&t.sources)).unwrap_or_default(),
            dwell_until: ts(dwell_until),
            review_by: ctier.map(|t| t.roles.iter().map(|r| self.role_ref(*r)).collect()).unwrap_or_default(),
        });
        let special_periods_active: Vec<String> = {
            let mut v: Vec<String> = p
                .periods
                .iter()
                .filter_map(|(k, _, _)| cp.special_periods.get(usize::from(*k)).map(|x| x.id.clone()))
                .collect();
            v.sort();
            v.dedup();
            v
        };
        let responsible_roles = ctier.map(|t| t.roles.iter().map(|r| self.role_ref(*r)).collect()).unwrap_or_default();
        let mut d = AlertDecision {
            format: ALERT_DECISION_FORMAT.to_owned(),
            student: ev.student.clone(),
            policy: PolicyRef {
                id: cp.source.id.clone(),
                version: cp.source.version.clone(),
            },
            evaluated_at: at,
            tier,
            previous_tier,
            rule_tier: self.tier_ref(lean.rule_tier),
            change: lean.change,
            tier_since: ts(o.tier_since),
            responsible_roles,
            fired_rules: fired,
            held_by,
            review,
            special_periods_active,
            actions,
            notifications,
            withheld_notifications,
            next_review_at: o.next_review.map(ts),
            summary: Summary {
                zh: String::new(),
                en: String::new(),
            },
            requires_confirmation: true,
        };
        d.summary = summarise(&d);
        d
    }

    /// Source citations by index.
    fn cite(&self, sources: &[u16]) -> Vec<SourceCitation> {
        sources
            .iter()
            .filter_map(|s| self.policy.sources.get(usize::from(*s)))
            .map(|s| SourceCitation {
                id: s.id.clone(),
                citation: s.citation.clone(),
                reliability: s.reliability,
            })
            .collect()
    }

    /// The rules recorded as having raised the tier in force (`previous.raised_by`).
    fn prior_rules(&self, ev: &StudentEvidence) -> Vec<PriorRule> {
        let cp = self.policy;
        let recorded = ev.previous.as_ref().map(|p| p.raised_by.as_slice()).unwrap_or_default();
        self.prep
            .raised
            .iter()
            .filter_map(|&(rule, since, j)| {
                let g = recorded.get(j)?;
                let current = rule.and_then(|r| cp.rules.get(usize::from(r)));
                Some(match current {
                    Some(r) => PriorRule {
                        rule: r.id.clone(),
                        tier: Some(self.tier_ref(r.tier).id),
                        label: Some(r.label.clone()),
                        since: Timestamp::from_unix(since),
                        sources: self.cite(&r.sources),
                    },
                    None => {
                        let known: Vec<u16> = g
                            .sources
                            .iter()
                            .filter_map(|id| cp.sources.iter().position(|s| &s.id == id))
                            .filter_map(|k| u16::try_from(k).ok())
                            .collect();
                        PriorRule {
                            rule: g.rule.clone(),
                            tier: None,
                            label: None,
                            since: Timestamp::from_unix(since),
                            sources: self.cite(&known),
                        }
                    }
                })
            })
            .collect()
    }

    fn hold_message(&self, reason: HoldReason, lean: &TierOutcome, dwell_until: i64) -> Localized {
        let t = self.tier_ref(lean.tier);
        let rt = self.tier_ref(lean.rule_tier);
        let roles = self.policy.tiers.get(usize::from(lean.tier)).map(|x| x.roles.clone()).unwrap_or_default();
        let (roles_zh, roles_en) = role_words(&roles.iter().map(|r| self.role_ref(*r)).collect::<Vec<_>>());
        let earliest = Timestamp::from_unix(dwell_until);
        let (tz, te) = (loc_zh(&t.label, &t.id), loc_en(&t.label, &t.id));
        let (rz, re) = (loc_zh(&rt.label, &rt.id), loc_en(&rt.label, &rt.id));
        match reason {
            HoldReason::AwaitingReview => Localized::new(
                &format!("规则目前仅提示“{rz}”，但级别不会自动下调：需由{roles_zh}在 {earliest} 之后完成有记录的复评，方可下调一级。"),
                &format!("The rules now give only {re}, but a tier never drops by itself: lowering it needs a documented review by the {roles_en} on or after {earliest}."),
            ),
            HoldReason::ReviewKeptTier => Localized::new(
                &format!("最近一次复评决定维持“{tz}”；如需下调，须由{roles_zh}再次完成有记录的复评。"),
                &format!("The latest review decided to keep the tier at {te}; lowering it needs another documented review by the {roles_en}."),
            ),
            HoldReason::ReviewerNotResponsible => Localized::new(
                &format!("最近一次复评的复评人不属于“{tz}”的负责角色（{roles_zh}），不能据此下调；须由上述角色在 {earliest} 之后完成有记录的复评。"),
                &format!("The latest review is not by a role responsible for {te} ({roles_en}), so it cannot lower the tier; that needs a documented review by one of them on or after {earliest}."),
            ),
            HoldReason::ReviewBeforeMinDwell => Localized::new(
                &format!("最近一次复评早于“{tz}”的最短保持期（最早 {earliest}），不能据此下调。"),
                &format!("The latest review came before the minimum dwell time of {te} had passed (earliest {earliest}), so it cannot lower the tier."),
            ),
            HoldReason::OneStepPerReview => Localized::new(
                &format!("复评每次只能下调一级；规则虽仅提示“{rz}”，本次下调至“{tz}”，再下调需由{roles_zh}在 {earliest} 之后再次完成有记录的复评。"),
                &format!("A review lowers one step at a time: the rules give only {re}, so the tier is now {te}; going lower needs another documented review by the {roles_en} on or after {earliest}."),
            ),
            HoldReason::RulesStillRequire => Localized::new(
                &format!("仍有规则要求“{tz}”，复评不能下调。"),
                &format!("Rules still require {te}, so the review cannot lower it."),
            ),
        }
    }
}

/// ` (missing items 3, 9; refused item 5)`, or empty.
fn undecided(missing: &[u32], refused: &[u32]) -> String {
    let list = |what: &str, v: &[u32]| {
        let items: Vec<String> = v.iter().map(u32::to_string).collect();
        format!("{what} item{} {}", if v.len() == 1 { "" } else { "s" }, items.join(", "))
    };
    let mut parts = Vec::new();
    if !missing.is_empty() {
        parts.push(list("missing", missing));
    }
    if !refused.is_empty() {
        parts.push(list("refused", refused));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!(" ({})", parts.join("; "))
    }
}

fn first_in(list: &[(u8, i64)], mask: u64, cutoff: i64) -> Option<i64> {
    let mut best = None;
    for &(k, t) in list {
        if mask >> k & 1 == 1 && t >= cutoff {
            best = min_opt(best, t);
        }
    }
    best
}

#[derive(Clone, Copy, Debug)]
enum Obligation<'p> {
    /// Action index, anchor time.
    Action(u16, i64),
    /// Role index, anchor time, the deadline as written.
    Notify(u16, i64, &'p str),
}

impl Obligation<'_> {
    fn same(&self, other: &Obligation<'_>) -> bool {
        match (self, other) {
            (Obligation::Action(a, _), Obligation::Action(b, _)) | (Obligation::Notify(a, _, _), Obligation::Notify(b, _, _)) => a == b,
            _ => false,
        }
    }
}

fn level_word(l: crate::instrument::spec::FlagLevel) -> &'static str {
    match l {
        crate::instrument::spec::FlagLevel::Info => "info",
        crate::instrument::spec::FlagLevel::Warning => "warning",
        crate::instrument::spec::FlagLevel::Critical => "critical",
    }
}

fn validity_word(v: crate::scoring::report::ValidityStatus) -> &'static str {
    match v {
        crate::scoring::report::ValidityStatus::Valid => "valid",
        crate::scoring::report::ValidityStatus::Incomplete => "incomplete",
        crate::scoring::report::ValidityStatus::Invalid => "invalid",
    }
}

fn loc_zh(l: &Localized, fallback: &str) -> String {
    l.zh.clone().or_else(|| l.en.clone()).unwrap_or_else(|| fallback.to_owned())
}

fn loc_en(l: &Localized, fallback: &str) -> String {
    l.en.clone().or_else(|| l.zh.clone()).unwrap_or_else(|| fallback.to_owned())
}

fn role_words(roles: &[RoleRef]) -> (String, String) {
    (
        roles.iter().map(|r| loc_zh(&r.label, &r.id)).collect::<Vec<_>>().join("或"),
        roles.iter().map(|r| loc_en(&r.label, &r.id)).collect::<Vec<_>>().join(" or "),
    )
}

fn level_words(l: Option<HandlingLevel>) -> (&'static str, &'static str) {
    match l {
        Some(HandlingLevel::Class) => ("班级层面", "class level"),
        Some(HandlingLevel::School) => ("学校层面", "school level"),
        Some(HandlingLevel::Society) => ("社会层面", "society level"),
        None => ("无需预警", "no warning level"),
    }
}

/// The grounds of a held (or one-step lowered) tier in words: the rules that raised the tier in
/// force and when, the recorded reason, and the tier's own sources.
fn grounds_words(d: &AlertDecision, h: &HeldBy) -> (String, String) {
    let (mut zh, mut en): (Vec<String>, Vec<String>) = (Vec::new(), Vec::new());
    if h.raised_by.is_empty() {
        let (since, by_zh, by_en) = match &d.previous_tier {
            Some(p) => (
                p.since.to_string(),
                p.confirmed_by
                    .as_ref()
                    .map_or(String::new(), |b| format!("（经 {}（{}）确认）", b.name, b.role)),
                p.confirmed_by
                    .as_ref()
                    .map_or(String::new(), |b| format!(" (confirmed by {}, {})", b.name, b.role)),
            ),
            None => (d.tier_since.to_string(), String::new(), String::new()),
        };
        zh.push(format!("自 {since} 起生效的级别记录{by_zh}未列明提出该级别的规则"));
        en.push(format!("the tier record in force since {since}{by_en} names no rule that raised it"));
    } else {
        for r in &h.raised_by {
            let sources: Vec<&str> = r.sources.iter().map(|s| s.id.as_str()).collect();
            let src = if sources.is_empty() {
                String::new()
            } else {
                format!("，来源 {}", sources.join("、"))
            };
            let src_en = if sources.is_empty() {
                String::new()
            } else {
                format!(", sources {}", sources.join(", "))
            };
            match &r.label {
                Some(l) => {
                    zh.push(format!("此前由规则“{}”（{}，自 {} 起{src}）提出", loc_zh(l, &r.rule), r.rule, r.since));
                    en.push(format!("raised by {} (rule {}, since {}{src_en})", loc_en(l, &r.rule), r.rule, r.since));
                }
                None => {
                    zh.push(format!("此前由规则 {}（本政策版本已无此规则，自 {} 起{src}）提出", r.rule, r.since));
                    en.push(format!("raised by rule {} (not in this policy version, since {}{src_en})", r.rule, r.since));
                }
            }
        }
    }
    if let Some(reason) = &h.recorded_reason {
        zh.push(format!("记录的理由：{reason}"));
        en.push(format!("recorded reason: {reason}"));
    }
    let tier_sources: Vec<&str> = h.tier_sources.iter().map(|s| s.id.as_str()).collect();
    if !tier_sources.is_empty() {
        zh.push(format!("级别定义来源 {}", tier_sources.join("、")));
        en.push(format!("the tier is defined by {}", tier_sources.join(", ")));
    }
    (zh.join("；"), en.join("; "))
}

/// The plain-language summary of a decision, in Chinese and English.
fn summarise(d: &AlertDecision) -> Summary {
    let (tz, te) = (loc_zh(&d.tier.label, &d.tier.id), loc_en(&d.tier.label, &d.tier.id));
    let (lz, le) = level_words(d.tier.level);
    let prev = d
        .previous_tier
        .as_ref()
        .map(|p| (loc_zh(&p.tier.label, &p.tier.id), loc_en(&p.tier.label, &p.tier.id)));
    let (cz, ce) = match (d.change, &prev) {
        (Change::Raised, Some((pz, pe))) => (format!("由“{pz}”上调"), format!("raised from {pe}")),
        (Change::Raised, None) => ("新提示".to_owned(), "newly raised".to_owned()),
        (Change::Unchanged, Some(_)) => ("维持不变".to_owned(), "unchanged".to_owned()),
        (Change::Unchanged, None) => ("无变化".to_owned(), "no change".to_owned()),
        (Change::Held, _) => ("暂维持（未经有效复评不下调）".to_owned(), "held (no valid review to lower it)".to_owned()),
        (Change::LoweredByReview, Some((pz, pe))) => (format!("经复评由“{pz}”下调一级"), format!("lowered one step from {pe} by review")),
        (Change::LoweredByReview, None) => ("经复评下调一级".to_owned(), "lowered one step by review".to_owned()),
    };
    let mut zh = format!("建议级别：{tz}（{lz}），{cz}。");
    let mut en = format!("Proposed tier: {te} ({le}), {ce}.");
    let why_zh: Vec<String> = d.fired_rules.iter().map(|r| loc_zh(&r.label, &r.rule)).collect();
    let why_en: Vec<String> = d.fired_rules.iter().map(|r| loc_en(&r.label, &r.rule)).collect();
    match &d.held_by {
        None if d.fired_rules.is_empty() => {
            zh.push_str("未触发任何规则。");
            en.push_str(" No rule fired.");
        }
        None => {
            zh.push_str(&format!("依据：{}。", why_zh.join("；")));
            en.push_str(&format!(" Why: {}.", why_en.join("; ")));
        }
        Some(h) => {
            let (rz, re) = (loc_zh(&d.rule_tier.label, &d.rule_tier.id), loc_en(&d.rule_tier.label, &d.rule_tier.id));
            if !d.fired_rules.is_empty() {
                zh.push_str(&format!("当前触发的规则（仅提示“{rz}”）：{}。", why_zh.join("；")));
                en.push_str(&format!(" Rules firing now (they alone give {re}): {}.", why_en.join("; ")));
            }
            let (gz, ge) = grounds_words(d, h);
            zh.push_str(&format!("“{tz}”的依据：{gz}。"));
            en.push_str(&format!(" Grounds of the {te} tier: {ge}."));
            zh.push_str(&loc_zh(&h.message, ""));
            en.push(' ');
            en.push_str(&loc_en(&h.message, ""));
        }
    }
    if !d.responsible_roles.is_empty() {
        let (rz, re) = role_words(&d.responsible_roles);
        zh.push_str(&format!("负责：{}。", rz.replace('或', "、")));
        en.push_str(&format!(" Responsible: {}.", re.replace(" or ", ", ")));
    }
    let open: Vec<&ActionDue> = d.actions.iter().filter(|a| a.done_at.is_none()).collect();
    if !open.is_empty() {
        let az: Vec<String> = open
            .iter()
            .map(|a| format!("{}（{} 前{}）", loc_zh(&a.label, &a.id), a.due_at, if a.overdue { "，已逾期" } else { "" }))
            .collect();
        let ae: Vec<String> = open
            .iter()
            .map(|a| format!("{} (by {}{})", loc_en(&a.label, &a.id), a.due_at, if a.overdue { ", overdue" } else { "" }))
            .collect();
        zh.push_str(&format!("待办：{}。", az.join("；")));
        en.push_str(&format!(" To do: {}.", ae.join("; ")));
    }
    let tell: Vec<&NotificationDue> = d.notifications.iter().filter(|n| n.done_at.is_none()).collect();
    if !tell.is_empty() {
        let nz: Vec<String> = tell
            .iter()
            .map(|n| format!("{}（{} 前{}）", loc_zh(&n.who_label, &n.who), n.due_at, if n.overdue { "，已逾期" } else { "" }))
            .collect();
        let ne: Vec<String> = tell
            .iter()
            .map(|n| format!("{} (by {}{})", loc_en(&n.who_label, &n.who), n.due_at, if n.overdue { ", overdue" } else { "" }))
            .collect();
        zh.push_str(&format!("须告知：{}。", nz.join("；")));
        en.push_str(&format!(" Tell: {}.", ne.join("; ")));
    }
    if !d.withheld_notifications.is_empty() {
        let wz: Vec<String> = d.withheld_notifications.iter().map(|w| loc_zh(&w.who_label, &w.who)).collect();
        let we: Vec<String> = d.withheld_notifications.iter().map(|w| loc_en(&w.who_label, &w.who)).collect();
        zh.push_str(&format!("暂不自动告知：{}（已触发的规则要求由负责人先行判断）。", wz.join("、")));
        en.push_str(&format!(
            " Not told automatically: {} (a fired rule withholds it; the responsible person decides).",
            we.join(", ")
        ));
    }
    if let Some(n) = d.next_review_at {
        zh.push_str(&format!("下次复评：{n} 前。"));
        en.push_str(&format!(" Next review by {n}."));
    }
    zh.push_str("此为系统建议，须由具名人员确认或更改（更改须说明理由）。");
    en.push_str(" This is a proposal: a named person must confirm it or override it with a reason.");
    Summary { zh, en }
}
