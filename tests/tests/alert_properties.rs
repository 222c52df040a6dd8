//! Properties of the alert engine under the built-in Changzhou default policy, on
//! generated evidence (screening reports drawn from the golden vectors).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use changkaixin_core::alert::{
    evaluate, evaluate_batch, evaluate_tier_only, AgencyNotice, AlertPolicy, Change, ClinicalNotice, CompiledPolicy, CompletedAction, LifeEvent,
    NoticeSeverity, Observation, Person, PreviousTier, RaisedBy, Review, Screening, SpecialPeriod, StudentEvidence, Timestamp,
};
use changkaixin_core::scoring::report::InstrumentRef;
use changkaixin_core::{Catalog, Instrument, ScoreReport};
use proptest::prelude::*;
use serde_json::Value;
use std::path::PathBuf;
use std::sync::OnceLock;

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The built-in policy, linted against the real catalog once it loads, the stub catalog until then.
fn policy() -> &'static CompiledPolicy {
    static P: OnceLock<CompiledPolicy> = OnceLock::new();
    P.get_or_init(|| {
        if Catalog::builtin().ids().next().is_some() {
            return CompiledPolicy::changzhou_default().unwrap().clone();
        }
        let text = std::fs::read_to_string(repo_root().join("tests/fixtures/alert/stub_catalog.json")).unwrap();
        let specs: Vec<Value> = serde_json::from_str(&text).unwrap();
        let catalog = specs
            .iter()
            .fold(Catalog::empty(), |c, s| c.with_instrument(Instrument::from_json(&s.to_string()).unwrap()));
        AlertPolicy::changzhou_default().unwrap().compile(&catalog).unwrap()
    })
}

/// Every distinct screening report in the golden vectors.
fn reports() -> &'static Vec<ScoreReport> {
    static R: OnceLock<Vec<ScoreReport>> = OnceLock::new();
    R.get_or_init(|| {
        let text = std::fs::read_to_string(repo_root().join("tests/vectors/alert/changzhou_default.json")).unwrap();
        let file: Value = serde_json::from_str(&text).unwrap();
        let mut out: Vec<ScoreReport> = Vec::new();
        for case in file["cases"].as_array().unwrap() {
            for s in case["evidence"]["screenings"].as_array().into_iter().flatten() {
                let r: ScoreReport = if s["report"].is_object() {
                    serde_json::from_value(s["report"].clone()).unwrap()
                } else if let Ok(inst) = serde_json::from_value::<InstrumentRef>(s["instrument"].clone()) {
                    // Answers: score them as the engine does (skip the ones an error case makes unscorable).
                    let Ok(i) = policy().catalog().instrument_with(&inst.id, &inst.settings) else {
                        continue;
                    };
                    match i.score(&serde_json::from_value(s["response"].clone()).unwrap()) {
                        Ok(r) => r,
                        Err(_) => continue,
                    }
                } else {
                    continue;
                };
                // Only reports the policy accepts (the vectors' tampered ones are refused by design).
                if policy().verify_report(&r).is_err() {
                    continue;
                }
                if !out.contains(&r) {
                    out.push(r);
                }
            }
        }
        assert!(out.len() > 20);
        out
    })
}

const AT: i64 = 1_709_539_200; // 2024-03-04T08:00:00Z
const HOUR: i64 = 3600;

fn at() -> Timestamp {
    Timestamp::from_unix(AT)
}

fn t(hours_ago: i64) -> String {
    Timestamp::from_unix(AT - hours_ago * HOUR).to_string()
}

fn vocab(f: impl Fn(&AlertPolicy) -> Vec<String>) -> Vec<String> {
    f(policy().policy())
}

fn categories() -> Vec<String> {
    vocab(|p| p.vocabulary.observation_categories.iter().map(|v| v.id.clone()).collect())
}
fn event_kinds() -> Vec<String> {
    vocab(|p| p.vocabulary.life_event_kinds.iter().map(|v| v.id.clone()).collect())
}
fn clinical_kinds() -> Vec<String> {
    vocab(|p| p.vocabulary.clinical_kinds.iter().map(|v| v.id.clone()).collect())
}
fn agencies() -> Vec<String> {
    vocab(|p| p.vocabulary.agencies.iter().map(|v| v.id.clone()).collect())
}
fn periods() -> Vec<String> {
    vocab(|p| p.vocabulary.special_periods.iter().map(|v| v.id.clone()).collect())
}
fn roles() -> Vec<String> {
    vocab(|p| p.roles.iter().map(|v| v.id.clone()).collect())
}
fn tiers() -> Vec<String> {
    policy().tier_ids().map(str::to_owned).collect()
}
fn action_ids() -> Vec<String> {
    vocab(|p| p.actions.iter().map(|a| a.id.clone()).collect())
}

fn pick(list: &[String], i: usize) -> String {
    list[i % list.len()].clone()
}

/// One piece of risk evidence (anything but reviews, the previous tier and completed actions).
#[derive(Clone, Debug)]
enum Item {
    Screening(usize, i64),
    Observation(usize, usize, i64),
    LifeEvent(usize, i64),
    Clinical(usize, i64),
    Agency(usize, bool, i64),
    Period(usize, i64, i64),
}

fn item() -> impl Strategy<Value = Item> {
    prop_oneof![
        4 => (any::<usize>(), 0i64..2400).prop_map(|(r, h)| Item::Screening(r, h)),
        3 => (any::<usize>(), any::<usize>(), 0i64..1200).prop_map(|(c, r, h)| Item::Observation(c, r, h)),
        2 => (any::<usize>(), 0i64..9000).prop_map(|(k, h)| Item::LifeEvent(k, h)),
        1 => (any::<usize>(), 0i64..9000).prop_map(|(k, h)| Item::Clinical(k, h)),
        1 => (any::<usize>(), any::<bool>(), 0i64..2400).prop_map(|(a, u, h)| Item::Agency(a, u, h)),
        1 => (any::<usize>(), -2400i64..2400, 1i64..2400).prop_map(|(k, s, len)| Item::Period(k, s, len)),
    ]
}

fn add(e: &mut StudentEvidence, it: &Item) {
    let staff = |r: usize| Person {
        name: "staff".into(),
        role: pick(&roles(), r),
    };
    match *it {
        Item::Screening(r, h) => {
            let reps = reports();
            e.screenings.push(Screening::from_report(None, t(h), reps[r % reps.len()].clone()));
        }
        Item::Observation(c, r, h) => e.observations.push(Observation {
            id: None,
            category: pick(&categories(), c),
            at: t(h),
            observed_by: staff(r),
        }),
        Item::LifeEvent(k, h) => e.life_events.push(LifeEvent {
            id: None,
            kind: pick(&event_kinds(), k),
            at: t(h),
            reported_by: None,
        }),
        Item::Clinical(k, h) => e.clinical.push(ClinicalNotice {
            id: None,
            kind: pick(&clinical_kinds(), k),
            at: t(h),
            institution: "hospital".into(),
        }),
        Item::Agency(a, urgent, h) => e.agency_notices.push(AgencyNotice {
            id: None,
            agency: pick(&agencies(), a),
            severity: if urgent { NoticeSeverity::Urgent } else { NoticeSeverity::Concern },
            at: t(h),
        }),
        Item::Period(k, start, len) => e.special_periods.push(SpecialPeriod {
            kind: pick(&periods(), k),
            from: t(start),
            to: t(start - len),
        }),
    }
}

/// The tier-keeping part of the evidence: previous tier, reviews, completed actions.
#[derive(Clone, Debug)]
struct History {
    previous: Option<(usize, i64)>,
    /// A rule recorded as having raised the previous tier (index into the policy's rules, modulo), or a retired one.
    raised: Option<(usize, bool)>,
    reviews: Vec<(bool, bool, usize, i64)>,
    done: Vec<(usize, i64)>,
}

fn history() -> impl Strategy<Value = History> {
    (
        proptest::option::of((any::<usize>(), 0i64..3000)),
        proptest::option::of((any::<usize>(), any::<bool>())),
        proptest::collection::vec((any::<bool>(), any::<bool>(), any::<usize>(), 0i64..3000), 0..3),
        proptest::collection::vec((any::<usize>(), 0i64..3000), 0..3),
    )
        .prop_map(|(previous, raised, reviews, done)| History {
            previous,
            raised,
            reviews,
            done,
        })
}

fn apply(e: &mut StudentEvidence, h: &History) {
    let tiers = tiers();
    let Some((tier, since_h)) = h.previous else { return };
    let prev = tier % tiers.len();
    let rules: Vec<&str> = policy().rule_ids().collect();
    e.previous = Some(PreviousTier {
        tier: tiers[prev].clone(),
        since: t(since_h),
        confirmed_by: None,
        raised_by: h
            .raised
            .map(|(k, retired)| RaisedBy {
                rule: if retired {
                    "retired.rule".to_owned()
                } else {
                    rules[k % rules.len()].to_owned()
                },
                since: t(since_h + 1),
                sources: if retired { vec!["plan_2_3_11".to_owned()] } else { vec![] },
            })
            .into_iter()
            .collect(),
        reason: None,
    });
    for &(of_current, lower, role, at_h) in &h.reviews {
        // A review of the tier in force (or of the one above it, as history), keeping or lowering one step.
        let from = if of_current || prev + 1 >= tiers.len() { prev } else { prev + 1 };
        let to = if lower && from > 0 { from - 1 } else { from };
        e.reviews.push(Review {
            id: None,
            by: Person {
                name: "reviewer".into(),
                role: pick(&roles(), role),
            },
            at: t(at_h.min(since_h + 3000).max(0)),
            from_tier: tiers[from].clone(),
            to_tier: tiers[to].clone(),
            reason: "documented".into(),
        });
    }
    for &(a, h) in &h.done {
        e.completed_actions.push(CompletedAction {
            action: pick(&action_ids(), a),
            done_at: t(h),
            by: None,
        });
    }
}

fn evidence(items: &[Item], h: &History) -> StudentEvidence {
    let mut e = StudentEvidence {
        student: "s".into(),
        ..StudentEvidence::default()
    };
    for it in items {
        add(&mut e, it);
    }
    apply(&mut e, h);
    e
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Adding any piece of risk evidence never lowers the tier (monotonicity).
    #[test]
    fn adding_evidence_never_lowers_the_tier(items in proptest::collection::vec(item(), 0..6), extra in item(), h in history()) {
        let e = evidence(&items, &h);
        let before = evaluate_tier_only(policy(), &e, at()).unwrap();
        let mut more = e.clone();
        add(&mut more, &extra);
        let after = evaluate_tier_only(policy(), &more, at()).unwrap();
        prop_assert!(after.tier >= before.tier, "{:?} -> {:?} after adding {:?}", before, after, extra);
        prop_assert!(after.rule_tier >= before.rule_tier);
    }

    /// Every tier above the lowest is explained: by a fired rule at that tier, or by a hold reason;
    /// and it cites at least one ground with a source (a fired rule at the tier, or the hold's
    /// rules that raised the tier or the tier's own sources), in a summary that never says
    /// "no rule fired".
    #[test]
    fn every_tier_above_none_is_explained(items in proptest::collection::vec(item(), 0..6), h in history()) {
        let d = evaluate(policy(), &evidence(&items, &h), at()).unwrap();
        if d.tier.index > 0 {
            let by_rule = d.fired_rules.iter().any(|r| r.tier == d.tier.id && !r.sources.is_empty());
            let by_hold = d.held_by.as_ref().is_some_and(|x| x.raised_by.iter().any(|r| !r.sources.is_empty()) || !x.tier_sources.is_empty());
            prop_assert!(by_rule || by_hold, "tier {} cites no ground", d.tier.id);
            prop_assert!(!d.summary.en.contains("No rule fired") && !d.summary.zh.contains("未触发任何规则"), "{}", d.summary.en);
            if let Some(x) = &d.held_by {
                let recorded = h.raised.is_some() && d.previous_tier.is_some();
                prop_assert!(!recorded || !x.raised_by.is_empty(), "the recorded raising rule is not cited");
                prop_assert!(!x.review_by.is_empty());
            }
        }
        if d.tier.index > d.rule_tier.index {
            prop_assert!(d.held_by.is_some(), "tier {} above rule tier {} without a hold reason", d.tier.id, d.rule_tier.id);
        } else if d.tier.index > 0 {
            prop_assert!(d.fired_rules.iter().any(|r| r.tier == d.tier.id), "tier {} without a rule", d.tier.id);
        }
        for r in &d.fired_rules {
            prop_assert!(!r.sources.is_empty() && !r.evidence.is_empty(), "rule {} lacks sources or evidence", r.rule);
        }
        prop_assert!(d.requires_confirmation);
    }

    /// The same input gives the same bytes (also after a JSON round trip of the evidence).
    #[test]
    fn same_input_same_bytes(items in proptest::collection::vec(item(), 0..6), h in history()) {
        let e = evidence(&items, &h);
        let a = evaluate(policy(), &e, at()).unwrap().to_json();
        let b = evaluate(policy(), &e, at()).unwrap().to_json();
        prop_assert_eq!(&a, &b);
        let again = StudentEvidence::from_json(&e.to_json()).unwrap();
        prop_assert_eq!(a, evaluate(policy(), &again, at()).unwrap().to_json());
    }

    /// The tier never drops without a valid review, and never by more than one step.
    #[test]
    fn no_de_escalation_without_review(items in proptest::collection::vec(item(), 0..6), h in history()) {
        let mut e = evidence(&items, &h);
        let d = evaluate(policy(), &e, at()).unwrap();
        if let Some(prev) = &d.previous_tier {
            prop_assert!(d.tier.index + 1 >= prev.tier.index, "dropped more than one step");
            if d.tier.index < prev.tier.index {
                prop_assert_eq!(d.change, Change::LoweredByReview);
                let r = d.review.as_ref().expect("a lowering names its review");
                prop_assert_eq!(&r.from_tier, &prev.tier.id);
                prop_assert_eq!(&r.to_tier, &d.tier.id);
                let tier = policy().policy().tiers.iter().find(|t| t.id == prev.tier.id).unwrap();
                prop_assert!(tier.responsible_roles.contains(&r.by.role));
                prop_assert!(r.at >= prev.since);
            }
        }
        // Without reviews, the tier is never below the previous tier.
        e.reviews.clear();
        let d = evaluate(policy(), &e, at()).unwrap();
        if let Some(prev) = &d.previous_tier {
            prop_assert!(d.tier.index >= prev.tier.index);
            prop_assert!(d.change != Change::LoweredByReview);
        }
    }

    /// The lean path, the full decision and the batch agree.
    #[test]
    fn lean_full_and_batch_agree(items in proptest::collection::vec(item(), 0..6), h in history()) {
        let e = evidence(&items, &h);
        let lean = evaluate_tier_only(policy(), &e, at()).unwrap();
        let full = evaluate(policy(), &e, at()).unwrap();
        prop_assert_eq!(lean.tier, full.tier.index);
        let ids: Vec<&str> = policy().rule_ids().collect();
        let lean_rules: Vec<&str> = lean.rules.iter().map(|i| ids[i]).collect();
        let full_rules: Vec<&str> = full.fired_rules.iter().map(|r| r.rule.as_str()).collect();
        prop_assert_eq!(lean_rules, full_rules);
        let batch = evaluate_batch(policy(), std::slice::from_ref(&e), at());
        prop_assert_eq!(batch.rows[0], Some(lean));
        let overdue: Vec<String> = batch.overdue.iter().map(|o| batch.obligation(o).unwrap().id.clone()).filter(|id| !id.starts_with("review:")).collect();
        let from_decision: Vec<String> = full.overdue_at(at()).into_iter().map(|(id, _)| id).collect();
        let mut a = overdue.clone();
        a.sort();
        let mut b = from_decision.clone();
        b.sort();
        prop_assert_eq!(a, b);
    }
}
