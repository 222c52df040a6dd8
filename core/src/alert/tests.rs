//! Unit tests of the alert engine, against a stub catalog whose ids mirror the real one.

use super::*;
use crate::error::ErrorCode;
use crate::instrument::catalog::Catalog;
use crate::instrument::Instrument;
use crate::scoring::report::{Response, ScoreReport};
use std::sync::OnceLock;

const STUB_CATALOG: &str = include_str!("../../../tests/fixtures/alert/stub_catalog.json");
const MHT_STUB: &str = include_str!("../../../tests/fixtures/alert/mht_external_stub.json");

fn catalog() -> &'static Catalog {
    static C: OnceLock<Catalog> = OnceLock::new();
    C.get_or_init(|| {
        let specs: Vec<serde_json::Value> = serde_json::from_str(STUB_CATALOG).unwrap();
        specs
            .iter()
            .fold(Catalog::empty(), |c, s| c.with_instrument(Instrument::from_json(&s.to_string()).unwrap()))
    })
}

fn policy() -> &'static CompiledPolicy {
    static P: OnceLock<CompiledPolicy> = OnceLock::new();
    P.get_or_init(|| AlertPolicy::changzhou_default().unwrap().compile(catalog()).unwrap())
}

fn report(instrument: &str, codes: &[Option<i64>]) -> ScoreReport {
    let inst = if instrument == "mht" {
        Instrument::from_json(MHT_STUB).unwrap()
    } else {
        catalog().instrument(instrument).unwrap()
    };
    inst.score(&Response::from_codes(codes)).unwrap()
}

/// The report as three-valued scoring gives it when `flag` is undecided by the missing `items`
/// (listed as indeterminate, in spec order).
fn with_indeterminate(mut r: ScoreReport, flag: &str, items: &[u32]) -> ScoreReport {
    use crate::scoring::report::{FlagResult, Verdict};
    let inst = catalog().instrument(&r.instrument.id).unwrap();
    let order: Vec<&str> = inst.spec().flags.iter().map(|f| f.id.as_str()).collect();
    let f = inst.spec().flags.iter().find(|f| f.id == flag).unwrap();
    r.flags.retain(|x| x.id != flag);
    r.flags.push(FlagResult {
        id: f.id.clone(),
        verdict: Verdict::Indeterminate,
        level: f.level,
        label: f.label.clone(),
        reason: f.reason.clone(),
        items: items.to_vec(),
        missing_items: items.to_vec(),
        refused_items: vec![],
        evidence: vec![],
        source: f.source.clone(),
    });
    r.flags.sort_by_key(|x| order.iter().position(|o| *o == x.id));
    r
}

fn screening(at: &str, instrument: &str, codes: &[Option<i64>]) -> Screening {
    Screening::from_report(Some(format!("{instrument}@{at}")), at, report(instrument, codes))
}

fn ts(s: &str) -> Timestamp {
    Timestamp::parse(s).unwrap()
}

fn person(name: &str, role: &str) -> Person {
    Person {
        name: name.to_owned(),
        role: role.to_owned(),
    }
}

fn student() -> StudentEvidence {
    StudentEvidence {
        student: "s-001".to_owned(),
        ..StudentEvidence::default()
    }
}

fn some(v: &[i64]) -> Vec<Option<i64>> {
    v.iter().map(|x| Some(*x)).collect()
}

fn fired(d: &AlertDecision) -> Vec<&str> {
    d.fired_rules.iter().map(|r| r.rule.as_str()).collect()
}

const AT: &str = "2024-03-04T08:00:00Z";

#[test]
fn default_policy_lints_clean_and_cites_sources() {
    let p = AlertPolicy::changzhou_default().unwrap();
    let errs = p.lint_against(catalog());
    assert!(errs.is_empty(), "{errs:#?}");
    for r in &p.rules {
        assert!(!r.sources.is_empty(), "{}", r.id);
    }
    assert_eq!(policy().tier_ids().collect::<Vec<_>>(), ["none", "watch", "key", "crisis"]);
}

#[test]
fn empty_evidence_is_none_with_no_rules() {
    let d = evaluate(policy(), &student(), ts(AT)).unwrap();
    assert_eq!(d.tier.id, "none");
    assert_eq!(d.change, Change::Unchanged);
    assert!(d.fired_rules.is_empty() && d.actions.is_empty() && d.next_review_at.is_none());
    assert!(d.requires_confirmation);
    assert!(d.summary.en.contains("No rule fired"), "{}", d.summary.en);
}

#[test]
fn asq_acute_positive_is_crisis_with_explanation() {
    let mut e = student();
    e.screenings.push(screening("2024-03-04T07:00:00Z", "asq", &some(&[1, 0, 0, 0, 1])));
    let d = evaluate(policy(), &e, ts(AT)).unwrap();
    assert_eq!(d.tier.id, "crisis");
    assert_eq!(d.change, Change::Raised);
    assert!(fired(&d).contains(&"crisis.asq_acute_positive"), "{:?}", fired(&d));
    let r = d.fired_rules.iter().find(|r| r.rule == "crisis.asq_acute_positive").unwrap();
    assert_eq!(r.evidence[0].path, "/screenings/0");
    assert!(r.evidence[0].detail.contains("acute_positive"), "{}", r.evidence[0].detail);
    assert!(r.sources.iter().any(|s| s.id == "nimh_asq"));
    // Deadlines count from the screening, not from the evaluation.
    let safety = d.actions.iter().find(|a| a.id == "safety_precautions").unwrap();
    assert_eq!(safety.due_at.to_string(), "2024-03-04T07:00:00Z");
    assert!(safety.overdue);
    let eval = d.actions.iter().find(|a| a.id == "emergency_evaluation").unwrap();
    assert_eq!(eval.due_at.to_string(), "2024-03-04T09:00:00Z");
    assert!(!eval.overdue);
    assert_eq!(d.level(), Some(HandlingLevel::Society));
    assert!(d.summary.zh.contains("危机"), "{}", d.summary.zh);
    assert!(d.notifications.iter().any(|n| n.who == "guardian" && n.within == "PT12H"));
}

#[test]
fn phq_a_item9_is_key_and_moderate_band_is_watch() {
    let mut e = student();
    // total 10 (moderate), item 9 = 1.
    e.screenings.push(screening(
        "2024-03-01T08:00:00Z",
        "phq_a",
        &[
            Some(2),
            Some(1),
            Some(1),
            Some(1),
            Some(1),
            Some(1),
            Some(1),
            Some(1),
            Some(1),
            Some(0),
            Some(0),
        ],
    ));
    let d = evaluate(policy(), &e, ts(AT)).unwrap();
    assert_eq!(d.tier.id, "key");
    let f = fired(&d);
    for r in ["key.phq_item9", "key.any_critical_flag", "watch.moderate_band", "watch.any_screen_positive"] {
        assert!(f.contains(&r), "{r} not in {f:?}");
    }
    // Same input, same bytes.
    assert_eq!(d.to_json(), evaluate(policy(), &e, ts(AT)).unwrap().to_json());
    let mut e2 = student();
    e2.screenings
        .push(screening("2024-03-01T08:00:00Z", "phq9", &some(&[2, 1, 1, 1, 1, 2, 1, 1, 0])));
    let d2 = evaluate(policy(), &e2, ts(AT)).unwrap();
    assert_eq!(d2.tier.id, "watch");
    assert!(fired(&d2).contains(&"watch.moderate_band"));
    assert!(d2.actions.iter().any(|a| a.id == "rescreen_in_two_weeks"));
}

#[test]
fn evidence_outside_the_window_does_not_fire_but_tier_holds() {
    let mut e = student();
    e.screenings
        .push(screening("2024-01-01T08:00:00Z", "phq9", &some(&[2, 1, 1, 1, 1, 2, 1, 1, 0])));
    let d = evaluate(policy(), &e, ts(AT)).unwrap();
    assert_eq!(d.tier.id, "watch", "any_screen_positive has a 90-day window");
    assert_eq!(fired(&d), ["watch.any_screen_positive"]);
    e.previous = Some(PreviousTier {
        tier: "key".to_owned(),
        since: "2024-01-01T09:00:00Z".to_owned(),
        confirmed_by: None,
        ..PreviousTier::default()
    });
    let d = evaluate(policy(), &e, ts(AT)).unwrap();
    assert_eq!(d.tier.id, "key");
    assert_eq!(d.change, Change::Held);
    assert_eq!(d.held_by.as_ref().unwrap().reason, HoldReason::AwaitingReview);
    assert_eq!(d.rule_tier.id, "watch");
}

fn held_key_student(review_at: &str, role: &str, to: &str) -> StudentEvidence {
    let mut e = student();
    e.previous = Some(PreviousTier {
        tier: "key".to_owned(),
        since: "2024-01-10T08:00:00Z".to_owned(),
        confirmed_by: None,
        ..PreviousTier::default()
    });
    e.reviews.push(Review {
        id: Some("rv-1".to_owned()),
        by: person("王老师", role),
        at: review_at.to_owned(),
        from_tier: "key".to_owned(),
        to_tier: to.to_owned(),
        reason: "Re-screen negative, attends counselling, family engaged.".to_owned(),
    });
    e
}

#[test]
fn review_lowers_one_step_after_dwell() {
    let d = evaluate(policy(), &held_key_student("2024-03-01T08:00:00Z", "psychology_teacher", "watch"), ts(AT)).unwrap();
    assert_eq!(d.tier.id, "watch");
    assert_eq!(d.change, Change::LoweredByReview);
    assert_eq!(d.review.as_ref().unwrap().status, ReviewStatus::Applied);
    // The rules give none, so the tier is held one step above by "one step per review".
    assert_eq!(d.held_by.as_ref().unwrap().reason, HoldReason::OneStepPerReview);
    assert_eq!(d.tier_since.to_string(), "2024-03-01T08:00:00Z");
    assert_eq!(d.next_review_at.unwrap().to_string(), "2024-03-31T08:00:00Z");
}

#[test]
fn reviews_that_cannot_lower() {
    // Too early: key's minimum dwell is 30 days from 2024-01-10.
    let d = evaluate(policy(), &held_key_student("2024-02-01T08:00:00Z", "principal", "watch"), ts(AT)).unwrap();
    assert_eq!((d.tier.id.as_str(), d.change), ("key", Change::Held));
    assert_eq!(d.held_by.as_ref().unwrap().reason, HoldReason::ReviewBeforeMinDwell);
    assert_eq!(d.review.as_ref().unwrap().status, ReviewStatus::Rejected);
    // Not a responsible role.
    let d = evaluate(policy(), &held_key_student("2024-03-01T08:00:00Z", "head_teacher", "watch"), ts(AT)).unwrap();
    assert_eq!(d.held_by.as_ref().unwrap().reason, HoldReason::ReviewerNotResponsible);
    // Kept.
    let d = evaluate(policy(), &held_key_student("2024-03-01T08:00:00Z", "principal", "key"), ts(AT)).unwrap();
    assert_eq!(d.held_by.as_ref().unwrap().reason, HoldReason::ReviewKeptTier);
    assert_eq!(d.next_review_at.unwrap().to_string(), "2024-03-15T08:00:00Z");
    // Rules still require key.
    let mut e = held_key_student("2024-03-01T08:00:00Z", "principal", "watch");
    e.observations.push(Observation {
        id: None,
        category: "suicide_talk".to_owned(),
        at: "2024-03-02T08:00:00Z".to_owned(),
        observed_by: person("李老师", "all_staff"),
    });
    let d = evaluate(policy(), &e, ts(AT)).unwrap();
    assert_eq!((d.tier.id.as_str(), d.change), ("key", Change::Unchanged));
    assert_eq!(d.review.as_ref().unwrap().reason, Some(HoldReason::RulesStillRequire));
    assert!(d.held_by.is_none());
}

#[test]
fn bad_evidence_is_refused_with_paths() {
    let cases: Vec<(StudentEvidence, &str)> = vec![
        (held_key_student("2024-03-01T08:00:00Z", "principal", "none"), "/reviews/0/to_tier"),
        (held_key_student("2024-03-01T08:00:00Z", "principal", "crisis"), "/reviews/0/to_tier"),
        (held_key_student("2024-03-01", "principal", "watch"), "/reviews/0/at"),
        (held_key_student("2024-03-01T08:00:00Z", "janitor", "watch"), "/reviews/0/by/role"),
        (
            {
                let mut e = student();
                e.previous = Some(PreviousTier {
                    tier: "red".to_owned(),
                    since: AT.to_owned(),
                    confirmed_by: None,
                    ..PreviousTier::default()
                });
                e
            },
            "/previous/tier",
        ),
        (
            {
                let mut e = student();
                e.observations.push(Observation {
                    id: None,
                    category: "sad".to_owned(),
                    at: AT.to_owned(),
                    observed_by: person("x", "head_teacher"),
                });
                e
            },
            "/observations/0/category",
        ),
        (
            {
                let mut e = student();
                e.life_events.push(LifeEvent {
                    id: None,
                    kind: "bereavement".to_owned(),
                    at: "2024-03-05T08:00:00Z".to_owned(),
                    reported_by: None,
                });
                e
            },
            "/life_events/0/at",
        ),
        (
            {
                let mut e = student();
                e.special_periods.push(SpecialPeriod {
                    kind: "exam".to_owned(),
                    from: "2024-06-01T00:00:00Z".to_owned(),
                    to: "2024-05-01T00:00:00Z".to_owned(),
                });
                e
            },
            "/special_periods/0/to",
        ),
    ];
    for (e, path) in cases {
        let err = evaluate(policy(), &e, ts(AT)).unwrap_err();
        assert_eq!(err.code(), "evidence.invalid", "{err}");
        assert_eq!(err.path(), path, "{err}");
        assert_eq!(evaluate_tier_only(policy(), &e, ts(AT)).unwrap_err(), err);
    }
    let err = StudentEvidence::from_json("{\"student\": 1}").unwrap_err();
    assert_eq!(err.code(), "evidence.invalid");
    assert!(err.path().starts_with("line 1"), "{}", err.path());
}

#[test]
fn invalid_screening_is_not_reassurance() {
    // MHT-shaped report: total 8 (total_high), lie 2 (lie_high -> invalid).
    let mut e = student();
    e.screenings
        .push(screening("2024-03-01T08:00:00Z", "mht", &some(&[1, 1, 1, 1, 1, 1, 1, 1, 1, 1])));
    let d = evaluate(policy(), &e, ts(AT)).unwrap();
    assert_eq!(d.tier.id, "key");
    let f = fired(&d);
    for r in ["key.mht_total_high", "key.invalid_but_worrying", "none.invalid_rescreen"] {
        assert!(f.contains(&r), "{r} not in {f:?}");
    }
    // Invalid without anything worrying: re-screen, tier none.
    let mut e = student();
    e.screenings
        .push(screening("2024-03-01T08:00:00Z", "mht", &some(&[0, 0, 0, 0, 0, 0, 0, 0, 1, 1])));
    let d = evaluate(policy(), &e, ts(AT)).unwrap();
    assert_eq!(d.tier.id, "none");
    assert_eq!(fired(&d), ["none.invalid_rescreen"]);
    assert_eq!(d.actions[0].id, "rescreen_invalid");
}

#[test]
fn special_periods_shorten_reviews_and_rescreen_key_students() {
    let mut e = student();
    e.previous = Some(PreviousTier {
        tier: "key".to_owned(),
        since: "2024-02-20T08:00:00Z".to_owned(),
        confirmed_by: None,
        ..PreviousTier::default()
    });
    let d = evaluate(policy(), &e, ts(AT)).unwrap();
    assert_eq!(d.next_review_at.unwrap().to_string(), "2024-03-05T08:00:00Z");
    e.special_periods.push(SpecialPeriod {
        kind: "exam".to_owned(),
        from: "2024-03-01T00:00:00Z".to_owned(),
        to: "2024-03-31T00:00:00Z".to_owned(),
    });
    let d = evaluate(policy(), &e, ts(AT)).unwrap();
    assert_eq!(d.special_periods_active, ["exam"]);
    assert_eq!(d.next_review_at.unwrap().to_string(), "2024-02-27T08:00:00Z");
    assert_eq!(fired(&d), ["watch.special_period_key_rescreen"]);
    assert_eq!(d.tier.id, "key");
    let a = d.actions.iter().find(|a| a.id == "special_period_rescreen").unwrap();
    assert_eq!(
        a.due_at.to_string(),
        "2024-03-15T00:00:00Z",
        "counts from the later of period start and previous tier"
    );
}

#[test]
fn completed_actions_are_not_overdue() {
    let mut e = student();
    e.observations.push(Observation {
        id: Some("ob-1".into()),
        category: "withdrawal".to_owned(),
        at: "2024-02-20T08:00:00Z".to_owned(),
        observed_by: person("李老师", "head_teacher"),
    });
    let d = evaluate(policy(), &e, ts(AT)).unwrap();
    assert_eq!(d.tier.id, "watch");
    let overdue: Vec<String> = d.overdue_at(ts(AT)).into_iter().map(|x| x.0).collect();
    assert_eq!(overdue, ["head_teacher_talk", "notify:psychology_teacher", "archive_entry", "guardian_contact"]);
    e.completed_actions.push(CompletedAction {
        action: "head_teacher_talk".to_owned(),
        done_at: "2024-02-21T08:00:00Z".to_owned(),
        by: None,
    });
    e.completed_actions.push(CompletedAction {
        action: "notify:psychology_teacher".to_owned(),
        done_at: "2024-02-21T08:00:00Z".to_owned(),
        by: None,
    });
    // Done before the obligation arose does not count.
    e.completed_actions.push(CompletedAction {
        action: "archive_entry".to_owned(),
        done_at: "2024-02-01T08:00:00Z".to_owned(),
        by: None,
    });
    let d = evaluate(policy(), &e, ts(AT)).unwrap();
    let overdue: Vec<String> = d.overdue_at(ts(AT)).into_iter().map(|x| x.0).collect();
    assert_eq!(overdue, ["archive_entry", "guardian_contact"]);
    let b = evaluate_batch(policy(), &[e.clone(), student()], ts(AT));
    assert_eq!(b.tier_counts.iter().map(|c| c.count).collect::<Vec<_>>(), [1, 1, 0, 0]);
    assert_eq!(
        b.overdue.iter().map(|o| b.obligation(o).unwrap().id.as_str()).collect::<Vec<_>>(),
        ["guardian_contact", "archive_entry"]
    );
}

#[test]
fn batch_matches_single_evaluation_and_reports_errors() {
    let mut crisis = student();
    crisis.student = "s-002".into();
    crisis
        .screenings
        .push(screening("2024-03-04T07:00:00Z", "cssrs_screen", &some(&[1, 1, 1, 1, 0, 0])));
    let mut bad = student();
    bad.student = "s-003".into();
    bad.previous = Some(PreviousTier {
        tier: "amber".into(),
        since: AT.into(),
        confirmed_by: None,
        ..PreviousTier::default()
    });
    let all = [student(), crisis.clone(), bad];
    let b = evaluate_batch_with(
        policy(),
        &all,
        ts(AT),
        BatchOptions {
            overdue_at: Some(ts("2024-03-12T00:00:00Z")),
            decisions: DecisionFilter::Flagged,
        },
    );
    assert_eq!(b.tier_counts.iter().map(|c| c.count).collect::<Vec<_>>(), [1, 0, 0, 1]);
    assert_eq!(b.errors.len(), 1);
    assert_eq!(b.errors[0].error.path(), "/previous/tier");
    assert!(b.rows[2].is_none());
    assert_eq!(b.decisions.len(), 1);
    assert_eq!(b.decisions[0], evaluate(policy(), &crisis, ts(AT)).unwrap());
    let lean = b.rows[1].unwrap();
    assert_eq!(lean, evaluate_tier_only(policy(), &crisis, ts(AT)).unwrap());
    assert!(lean.rules.iter().any(|i| policy().rule_ids().nth(i) == Some("crisis.cssrs_high_risk")));
    // Overdue at the later date includes the tier review (7 days after 2024-03-04T07:00).
    assert!(b
        .overdue
        .iter()
        .any(|o| b.obligation(o).is_some_and(|x| x.kind == ObligationKind::Review && x.id == "review:crisis") && o.row == 1));
    let json = serde_json::to_string(&b).unwrap();
    assert!(json.contains("\"tier_counts\""));
}

#[test]
fn confirmation_and_override_serialise_and_validate() {
    let d = evaluate(policy(), &student(), ts(AT)).unwrap();
    let c = d.confirm(person("张校长", "principal"), ts("2024-03-04T09:00:00Z"), None);
    assert!(c.validate(policy()).is_ok());
    assert_eq!(c.decision.fingerprint.len(), 16);
    let back: Confirmation = serde_json::from_str(&serde_json::to_string(&c).unwrap()).unwrap();
    assert_eq!(back, c);
    let o = d.override_with(
        person("张校长", "principal"),
        ts("2024-03-04T09:00:00Z"),
        "watch",
        "Teacher reports a sudden change not yet recorded.",
    );
    assert!(o.validate(policy()).is_ok());
    let mut bad = o.clone();
    bad.reason = " ".into();
    assert_eq!(bad.validate(policy()).unwrap_err().path(), "/reason");
    bad.tier = "orange".into();
    assert_eq!(bad.validate(policy()).unwrap_err().path(), "/tier");
    let d2 = AlertDecision::from_json(&d.to_json()).unwrap();
    assert_eq!(d2, d);
}

// --- lint --------------------------------------------------------------------------------------

fn lint(edit: impl FnOnce(&mut serde_json::Value)) -> Vec<crate::Error> {
    let mut v: serde_json::Value = serde_json::from_str(CHANGZHOU_DEFAULT_JSON).unwrap();
    edit(&mut v);
    match AlertPolicy::from_json(&v.to_string()) {
        Ok(p) => p.lint_against(catalog()),
        Err(e) => vec![e],
    }
}

fn rule_index(v: &serde_json::Value, id: &str) -> usize {
    v["rules"].as_array().unwrap().iter().position(|r| r["id"] == id).unwrap()
}

#[test]
fn lint_reports_typed_errors_with_paths() {
    let check = |errs: Vec<crate::Error>, code: ErrorCode, path: &str| {
        assert!(
            errs.iter().any(|e| e.error_code() == code && e.path() == path),
            "expected {code} at {path}, got {errs:#?}"
        );
    };
    check(
        lint(|v| {
            let i = rule_index(v, "key.phq_item9");
            v["rules"][i]["when"]["any"][0]["screening"]["instrument"] = "phq10".into();
        }),
        ErrorCode::PolicyUnknownInstrument,
        &format!("/rules/{}/when/any/0/screening/instrument", 7),
    );
    check(
        lint(|v| {
            let i = rule_index(v, "crisis.asq_acute_positive");
            v["rules"][i]["when"]["screening"]["flag"] = "acute".into();
        }),
        ErrorCode::PolicyUnknownFlag,
        "/rules/0/when/screening/flag",
    );
    check(
        lint(|v| {
            let i = rule_index(v, "watch.moderate_band");
            v["rules"][i]["when"]["any"][2]["screening"]["band_at_least"]["band"] = "moderately_severe".into();
        }),
        ErrorCode::PolicyUnknownBand,
        "/rules/23/when/any/2/screening/band_at_least/band",
    );
    // MHT is allowed only because the policy declares it external.
    check(
        lint(|v| v["external_instruments"] = serde_json::json!([])),
        ErrorCode::PolicyUnknownInstrument,
        "/rules/15/when/screening/instrument",
    );
    check(
        lint(|v| {
            v["actions"][0].as_object_mut().unwrap().remove("due");
        }),
        ErrorCode::PolicyMissingDeadline,
        "/actions/0/due",
    );
    check(
        lint(|v| {
            v["tiers"][2]["notifications"][0].as_object_mut().unwrap().remove("within");
        }),
        ErrorCode::PolicyMissingDeadline,
        "/tiers/2/notifications/0/within",
    );
    check(
        lint(|v| {
            let rules: Vec<serde_json::Value> = v["rules"].as_array().unwrap().iter().filter(|r| r["tier"] != "crisis").cloned().collect();
            v["rules"] = rules.into();
        }),
        ErrorCode::PolicyUnreachableTier,
        "/tiers/3",
    );
    check(
        lint(|v| v["rules"][1]["id"] = v["rules"][0]["id"].clone()),
        ErrorCode::PolicyDuplicateId,
        "/rules/1/id",
    );
    check(
        lint(|v| v["rules"][0]["sources"] = serde_json::json!([])),
        ErrorCode::PolicyMissingSource,
        "/rules/0/sources",
    );
    check(
        lint(|v| v["rules"][0]["when"]["screening"]["within"] = "P1M".into()),
        ErrorCode::PolicyInvalidValue,
        "/rules/0/when/screening/within",
    );
    check(lint(|v| v["rules"][0]["tier"] = "red".into()), ErrorCode::PolicyUnknownRef, "/rules/0/tier");
    check(
        lint(|v| v["format"] = "changkaixin.alert-policy/2".into()),
        ErrorCode::PolicyUnsupportedFormat,
        "/format",
    );
    check(
        lint(|v| v["rules"][0]["when"] = serde_json::json!({"all": []})),
        ErrorCode::PolicyLint,
        "/rules/0/when/all",
    );
    let e = AlertPolicy::from_json("{\n \"format\": ").unwrap_err();
    assert_eq!(e.code(), "policy.parse");
    assert!(e.path().starts_with("line 2 column"), "{}", e.path());
    // compile returns the first error.
    let p = AlertPolicy::from_json(&{
        let mut v: serde_json::Value = serde_json::from_str(CHANGZHOU_DEFAULT_JSON).unwrap();
        v["rules"][0]["tier"] = "red".into();
        v.to_string()
    })
    .unwrap();
    assert_eq!(p.compile(catalog()).unwrap_err().code(), "policy.unknown_ref");
}

#[test]
fn every_default_rule_can_fire() {
    // A student with every kind of evidence fires every rule of the default policy.
    let mut e = student();
    let s = |inst: &str, codes: Vec<Option<i64>>| screening("2024-03-03T08:00:00Z", inst, &codes);
    e.screenings = vec![
        s("asq", some(&[1, 0, 0, 0, 1])),
        s("asq", vec![Some(1), Some(0), Some(0), Some(0), None]),
        s("asq", some(&[1, 0, 0, 0, 0])),
        s("cssrs_screen", some(&[1, 1, 1, 1, 0, 0])),
        s("cssrs_screen", some(&[1, 1, 1, 0, 0, 0])),
        s("cssrs_screen", some(&[1, 0, 0, 0, 0, 0])),
        s("phq_a", some(&[3, 3, 3, 3, 3, 3, 3, 3, 1, 1, 1])),
        s("phq9", vec![Some(1), Some(1), Some(1), Some(1), Some(1), Some(1), Some(1), Some(1), None]),
        // Item 9 missing: item9_self_harm cannot be decided (three-valued scoring).
        Screening::from_report(
            None,
            "2024-03-03T08:00:00Z",
            with_indeterminate(
                report("phq9", &[Some(0), Some(0), Some(0), Some(0), Some(0), Some(0), Some(0), Some(0), None]),
                "item9_self_harm",
                &[9],
            ),
        ),
        s("gad7", some(&[3, 3, 3, 3, 3, 3, 3])),
        s("scl90", vec![Some(3); 90]),
        s("mht", some(&[1, 1, 1, 1, 1, 1, 1, 1, 1, 1])),
    ];
    let at = |d: &str| format!("2024-03-0{d}T08:00:00Z");
    for c in ["self_harm", "harm_to_others", "suicide_talk", "withdrawal"] {
        e.observations.push(Observation {
            id: None,
            category: c.into(),
            at: at("2"),
            observed_by: person("李老师", "head_teacher"),
        });
    }
    for k in ["bullying_victim", "domestic_violence_victim", "bereavement", "left_behind"] {
        e.life_events.push(LifeEvent {
            id: None,
            kind: k.into(),
            at: at("1"),
            reported_by: None,
        });
    }
    for k in ["danger_notice", "diagnosis"] {
        e.clinical.push(ClinicalNotice {
            id: None,
            kind: k.into(),
            at: at("1"),
            institution: "常州市德安医院".into(),
        });
    }
    for s in [NoticeSeverity::Urgent, NoticeSeverity::Concern] {
        e.agency_notices.push(AgencyNotice {
            id: None,
            agency: "growth_centre".into(),
            severity: s,
            at: at("1"),
        });
    }
    e.special_periods.push(SpecialPeriod {
        kind: "spring".into(),
        from: "2024-03-01T00:00:00Z".into(),
        to: "2024-04-30T00:00:00Z".into(),
    });
    e.previous = Some(PreviousTier {
        tier: "key".into(),
        since: "2024-02-01T00:00:00Z".into(),
        confirmed_by: None,
        ..PreviousTier::default()
    });
    let d = evaluate(policy(), &e, ts(AT)).unwrap();
    let f = fired(&d);
    let missing: Vec<&str> = policy().rule_ids().filter(|r| !f.contains(r)).collect();
    assert!(missing.is_empty(), "never fired: {missing:?}");
    assert_eq!(d.tier.id, "crisis");
    for r in &d.fired_rules {
        assert!(!r.evidence.is_empty(), "{} fired without evidence", r.rule);
    }
}

#[test]
fn prepared_evidence_evaluates_like_fresh_evidence() {
    let mut e = student();
    e.screenings
        .push(screening("2024-03-01T08:00:00Z", "phq9", &some(&[2, 1, 1, 1, 1, 2, 1, 1, 1])));
    e.special_periods.push(SpecialPeriod {
        kind: "exam".into(),
        from: "2024-03-05T00:00:00Z".into(),
        to: "2024-03-20T00:00:00Z".into(),
    });
    e.previous = Some(PreviousTier {
        tier: "key".into(),
        since: "2024-01-01T00:00:00Z".into(),
        confirmed_by: None,
        ..PreviousTier::default()
    });
    let mut ev = Evaluator::new(policy());
    let prepared = ev.prepare(&e).unwrap();
    assert_eq!(prepared.student(), "s-001");
    for day in ["2024-03-04T08:00:00Z", "2024-03-06T08:00:00Z", "2024-04-30T08:00:00Z"] {
        let fresh = evaluate_tier_only(policy(), &e, ts(day)).unwrap();
        assert_eq!(ev.tier_only_prepared(&prepared, ts(day)).unwrap(), fresh, "{day}");
    }
    // Evidence dated after the evaluation time is refused at evaluation, with its path.
    let err = ev.tier_only_prepared(&prepared, ts("2024-02-01T00:00:00Z")).unwrap_err();
    assert_eq!((err.code(), err.path()), ("evidence.invalid", "/screenings/0/at"));
    // Prepared for another policy version.
    let mut other = AlertPolicy::changzhou_default().unwrap();
    other.version = "1.0.1".into();
    let other = other.compile(catalog()).unwrap();
    assert_eq!(
        Evaluator::new(&other).tier_only_prepared(&prepared, ts(AT)).unwrap_err().code(),
        "evidence.invalid"
    );
    let b = evaluate_prepared_batch(policy(), std::slice::from_ref(&prepared), ts(AT), BatchOptions::default());
    assert_eq!(b.rows[0], Some(evaluate_tier_only(policy(), &e, ts(AT)).unwrap()));
    assert_eq!(b, evaluate_batch(policy(), std::slice::from_ref(&e), ts(AT)));
}

#[test]
fn scale_thresholds_compare_exactly() {
    // A city rule on the PHQ-9 total (e.g. Richardson et al.'s 11 for adolescents) compares exactly.
    let mut v: serde_json::Value = serde_json::from_str(CHANGZHOU_DEFAULT_JSON).unwrap();
    v["rules"].as_array_mut().unwrap().push(serde_json::json!({
        "id": "city.phq9_over_12_5", "tier": "key", "label": {"en": "PHQ-9 total above 12.5"}, "sources": ["no_national_thresholds"],
        "basis": "configurable_default", "when": {"screening": {"instrument": "phq9", "scale_at_least": {"scale": "total", "value": "12.5"}}}
    }));
    let p = AlertPolicy::from_json(&v.to_string()).unwrap().compile(catalog()).unwrap();
    let eval = |codes: &[i64]| {
        let mut e = student();
        e.screenings.push(screening("2024-03-01T08:00:00Z", "phq9", &some(codes)));
        evaluate(&p, &e, ts(AT)).unwrap()
    };
    let d = eval(&[2, 2, 2, 1, 1, 2, 1, 2, 0]);
    assert!(d.fired_rules.iter().any(|r| r.rule == "city.phq9_over_12_5"), "13 >= 12.5");
    assert!(d.fired_rules.iter().find(|r| r.rule == "city.phq9_over_12_5").unwrap().evidence[0]
        .detail
        .contains("total score 13 >= 12.5"));
    assert!(
        !eval(&[2, 2, 1, 1, 1, 2, 1, 1, 0]).fired_rules.iter().any(|r| r.rule == "city.phq9_over_12_5"),
        "12 < 12.5"
    );
}

#[test]
fn rule_set_iterates_set_bits() {
    let mut r = RuleSet::EMPTY;
    for i in [0, 5, 63, 64, 130, 255, 256] {
        r.insert(i);
    }
    assert_eq!(r.iter().collect::<Vec<_>>(), [0, 5, 63, 64, 130, 255]);
    assert_eq!(r.len(), 6);
    assert!(r.contains(130) && !r.contains(131) && !r.contains(256));
}

impl AlertDecision {
    fn level(&self) -> Option<HandlingLevel> {
        self.tier.level
    }
}

// --- evidence verification, grounds of held tiers, indeterminate verdicts ------------------------

#[test]
fn evidence_reports_are_verified_and_answers_are_scored() {
    let codes = [Some(1), Some(0), Some(0), Some(0), Some(1)];
    // Relabelled: an instrument id neither the catalog nor the policy knows.
    let mut e = student();
    let mut r = report("asq", &codes);
    r.instrument.id = "asq_relabelled".into();
    e.screenings.push(Screening::from_report(None, "2024-03-03T08:00:00Z", r));
    let err = evaluate(policy(), &e, ts(AT)).unwrap_err();
    assert_eq!((err.code(), err.path()), ("evidence.unknown_instrument", "/screenings/0/report/instrument/id"));
    // Every path verifies: lean, prepared, batch.
    assert_eq!(evaluate_tier_only(policy(), &e, ts(AT)).unwrap_err().code(), "evidence.unknown_instrument");
    assert_eq!(Evaluator::new(policy()).prepare(&e).unwrap_err().code(), "evidence.unknown_instrument");
    let b = evaluate_batch(policy(), std::slice::from_ref(&e), ts(AT));
    assert_eq!(b.errors[0].error.path(), "/screenings/0/report/instrument/id");
    // Tampered: a flag removed that the answers... cannot be re-derived, but a wrong version can.
    let mut e = student();
    let mut r = report("asq", &codes);
    r.instrument.version = "0.9".into();
    e.screenings.push(Screening::from_report(None, "2024-03-03T08:00:00Z", r));
    let err = evaluate(policy(), &e, ts(AT)).unwrap_err();
    assert_eq!(
        (err.code(), err.path()),
        ("evidence.version_mismatch", "/screenings/0/report/instrument/version")
    );
    // Answers are scored by the engine: the same decision as the engine's own report.
    let inst = crate::scoring::report::InstrumentRef {
        id: "asq".into(),
        version: catalog().instrument("asq").unwrap().version().to_owned(),
        settings: Default::default(),
    };
    let mut a = student();
    a.screenings.push(Screening::from_answers(
        Some("asq@x".into()),
        "2024-03-03T08:00:00Z",
        inst.clone(),
        Response::from_codes(&codes),
    ));
    let mut b = student();
    b.screenings
        .push(Screening::from_report(Some("asq@x".into()), "2024-03-03T08:00:00Z", report("asq", &codes)));
    let (da, db) = (evaluate(policy(), &a, ts(AT)).unwrap(), evaluate(policy(), &b, ts(AT)).unwrap());
    assert_eq!(da.to_json(), db.to_json());
    assert_eq!(da.tier.id, "crisis");
    // Scoring errors keep their codes, with paths into the screening.
    a.screenings[0].response.as_mut().unwrap().answers.insert("1".into(), crate::Answer::Code(7));
    let err = evaluate(policy(), &a, ts(AT)).unwrap_err();
    assert_eq!((err.code(), err.path()), ("score.unknown_option", "/screenings/0/response/answers/1"));
    // A version the catalog does not hold.
    a.screenings[0].instrument.as_mut().unwrap().version = "2.0.0".into();
    let err = evaluate(policy(), &a, ts(AT)).unwrap_err();
    assert_eq!((err.code(), err.path()), ("evidence.version_mismatch", "/screenings/0/instrument/version"));
    // Both or neither.
    a.screenings[0].report = Some(report("asq", &codes));
    assert_eq!(evaluate(policy(), &a, ts(AT)).unwrap_err().path(), "/screenings/0");
}

#[test]
fn held_and_lowered_tiers_cite_their_grounds() {
    // Crisis raised by the ASQ rule in January; the evidence has left its window.
    let d0 = {
        let mut e = student();
        e.screenings.push(screening("2024-01-05T08:00:00Z", "asq", &some(&[1, 0, 0, 0, 1])));
        evaluate(policy(), &e, ts("2024-01-06T08:00:00Z")).unwrap()
    };
    assert_eq!(d0.tier.id, "crisis");
    let previous = PreviousTier::from_decision(&d0, Some(person("张校长", "principal")));
    assert_eq!(previous.raised_by[0].rule, "crisis.asq_acute_positive");
    let mut e = student();
    e.previous = Some(previous);
    let d = evaluate(policy(), &e, ts(AT)).unwrap();
    assert_eq!((d.tier.id.as_str(), d.change), ("crisis", Change::Held));
    let h = d.held_by.as_ref().unwrap();
    assert_eq!(h.raised_by[0].rule, "crisis.asq_acute_positive");
    assert!(!h.raised_by[0].sources.is_empty() && !h.tier_sources.is_empty());
    assert!(!h.review_by.is_empty());
    assert!(
        !d.summary.en.contains("No rule fired") && d.summary.en.contains("crisis.asq_acute_positive"),
        "{}",
        d.summary.en
    );
    assert!(
        !d.summary.zh.contains("未触发任何规则") && d.summary.zh.contains("crisis.asq_acute_positive"),
        "{}",
        d.summary.zh
    );
    // An old record without grounds still cites the tier's sources.
    e.previous.as_mut().unwrap().raised_by.clear();
    let d = evaluate(policy(), &e, ts(AT)).unwrap();
    let h = d.held_by.as_ref().unwrap();
    assert!(h.raised_by.is_empty() && !h.tier_sources.is_empty());
    assert!(d.summary.en.contains("names no rule"), "{}", d.summary.en);
    // A review lowers it one step; the lowered tier (rules give none) still cites the crisis grounds.
    let mut e = student();
    e.previous = Some(PreviousTier::from_decision(&d0, None));
    e.reviews.push(Review {
        id: None,
        by: person("张校长", "principal"),
        at: "2024-03-01T08:00:00Z".into(),
        from_tier: "crisis".into(),
        to_tier: "key".into(),
        reason: "Evaluated at hospital, safety plan in place.".into(),
    });
    let d = evaluate(policy(), &e, ts(AT)).unwrap();
    assert_eq!((d.tier.id.as_str(), d.change), ("key", Change::LoweredByReview));
    let h = d.held_by.as_ref().unwrap();
    assert_eq!(h.reason, HoldReason::OneStepPerReview);
    assert_eq!(h.raised_by[0].rule, "crisis.asq_acute_positive");
    assert_eq!(h.dwell_until.to_string(), "2024-03-31T08:00:00Z", "key's 30-day dwell from the review");
    // A rule of an older policy version is cited with the sources it recorded.
    let mut e = student();
    let mut p = PreviousTier::from_decision(&d0, None);
    p.raised_by[0].rule = "crisis.retired_rule".into();
    e.previous = Some(p);
    let d = evaluate(policy(), &e, ts(AT)).unwrap();
    let g = &d.held_by.as_ref().unwrap().raised_by[0];
    assert!(g.label.is_none() && !g.sources.is_empty());
}

#[test]
fn indeterminate_verdicts_follow_the_policy() {
    let undecided = with_indeterminate(
        report("phq9", &[Some(0), Some(0), Some(0), Some(0), Some(0), Some(0), Some(0), Some(0), None]),
        "item9_self_harm",
        &[9],
    );
    let mut e = student();
    e.screenings.push(Screening::from_report(None, "2024-03-03T08:00:00Z", undecided));
    let d = evaluate(policy(), &e, ts(AT)).unwrap();
    assert_eq!(d.tier.id, "watch");
    assert!(fired(&d).contains(&"watch.suicide_screen_indeterminate"), "{:?}", fired(&d));
    let r = d.fired_rules.iter().find(|r| r.rule == "watch.suicide_screen_indeterminate").unwrap();
    assert!(
        r.evidence[0].detail.contains("item9_self_harm (critical) indeterminate (missing item 9)"),
        "{}",
        r.evidence[0].detail
    );
    assert!(d.actions.iter().any(|a| a.id == "complete_suicide_screen"));
    // as_positive: the flag test counts the indeterminate flag as positive (key).
    let mut v: serde_json::Value = serde_json::from_str(CHANGZHOU_DEFAULT_JSON).unwrap();
    v["indeterminate"] = "as_positive".into();
    let p = AlertPolicy::from_json(&v.to_string()).unwrap().compile(catalog()).unwrap();
    let d = evaluate(&p, &e, ts(AT)).unwrap();
    assert_eq!(d.tier.id, "key");
    assert!(fired(&d).contains(&"key.phq_item9"));
    // explicit without any rule matching indeterminate verdicts: lint.
    let errs = lint(|v| {
        let rules = v["rules"].as_array_mut().unwrap();
        rules.retain(|r| r["id"] != "watch.suicide_screen_indeterminate" && r["id"] != "none.indeterminate_rescreen");
    });
    assert!(errs.iter().any(|e| e.code() == "policy.lint" && e.path() == "/indeterminate"), "{errs:#?}");
    // A report claiming an indeterminate flag with every item answered is refused.
    let fake = with_indeterminate(report("phq9", &some(&[0, 0, 0, 0, 0, 0, 0, 0, 0])), "item9_self_harm", &[9]);
    let mut e = student();
    e.screenings.push(Screening::from_report(None, "2024-03-03T08:00:00Z", fake));
    let err = evaluate(policy(), &e, ts(AT)).unwrap_err();
    assert_eq!(err.code(), "evidence.report_inconsistent");
}
