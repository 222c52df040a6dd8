//! Fuzz the alert evaluator with the built-in default policy: raw bytes as evidence JSON,
//! or (for inputs not starting with `{`) byte-driven edits of a rich evidence document.
//! Nothing panics, and the lean, prepared, full and batch paths agree.
#![no_main]

mod common;

use changkaixin_core::alert::{evaluate, evaluate_batch, evaluate_tier_only, Evaluator, StudentEvidence, Timestamp};
use libfuzzer_sys::fuzz_target;

const SEED: &str = r#"{"student": "s-1",
 "screenings": [{"id": "x", "at": "2024-03-01T08:00:00Z", "instrument": {"id": "asq", "version": "1.1.0"},
   "response": {"answers": {"1": 1, "2": 0, "3": 0, "4": 0, "5": 1}}},
  {"id": "y", "at": "2024-03-01T08:00:00Z", "instrument": {"id": "phq9", "version": "1.0.0"},
   "response": {"answers": {"1": 2, "2": 2, "3": null, "4": 1, "5": 1, "6": 1, "7": 1, "8": 1, "9": 1}}}],
 "observations": [{"category": "suicide_talk", "at": "2024-03-02T08:00:00Z", "observed_by": {"name": "t", "role": "head_teacher"}}],
 "life_events": [{"kind": "domestic_violence_victim", "at": "2024-02-01T08:00:00Z"}],
 "clinical": [{"kind": "discharge", "at": "2023-12-01T08:00:00Z", "institution": "h"}],
 "agency_notices": [{"agency": "court", "severity": "concern", "at": "2024-03-01T08:00:00Z"}],
 "special_periods": [{"kind": "graduation", "from": "2024-03-01T00:00:00Z", "to": "2024-06-30T00:00:00Z"}],
 "previous": {"tier": "crisis", "since": "2024-02-01T00:00:00Z"},
 "reviews": [{"by": {"name": "p", "role": "principal"}, "at": "2024-03-01T00:00:00Z", "from_tier": "crisis", "to_tier": "key", "reason": "r"}],
 "completed_actions": [{"action": "safety_precautions", "done_at": "2024-03-01T09:00:00Z"}, {"action": "notify:guardian", "done_at": "2024-03-01T10:00:00Z"}]}"#;

fuzz_target!(|data: &[u8]| {
    let policy = common::policy();
    let evidence = if data.first() == Some(&b'{') {
        match std::str::from_utf8(data).ok().map(StudentEvidence::from_json) {
            Some(Ok(e)) => e,
            _ => return,
        }
    } else {
        let mut v: serde_json::Value = serde_json::from_str(SEED).unwrap_or_default();
        let (head, rest) = data.split_at(data.len().min(2));
        common::mutate(&mut v, rest);
        match serde_json::from_value::<StudentEvidence>(v) {
            Ok(e) => {
                // Vary the evaluation time around the seed's dates.
                let shift = head.iter().fold(0i64, |a, b| a * 256 + i64::from(*b)) - 32_768;
                return check(policy, &e, Timestamp::from_unix(1_709_539_200 + shift * 3600));
            }
            Err(_) => return,
        }
    };
    check(policy, &evidence, Timestamp::from_unix(1_709_539_200));
});

fn check(policy: &changkaixin_core::alert::CompiledPolicy, e: &StudentEvidence, at: Timestamp) {
    let full = evaluate(policy, e, at);
    let lean = evaluate_tier_only(policy, e, at);
    match (&full, &lean) {
        (Ok(d), Ok(l)) => {
            assert_eq!(d.tier.index, l.tier);
            assert_eq!(d.fired_rules.len(), l.rules.len());
            if let Some(p) = &d.previous_tier {
                assert!(d.tier.index + 1 >= p.tier.index, "dropped more than one step");
            }
            assert_eq!(d.to_json(), evaluate(policy, e, at).map(|x| x.to_json()).unwrap_or_default(), "not deterministic");
            let mut ev = Evaluator::new(policy);
            if let Ok(p) = ev.prepare(e) {
                assert_eq!(ev.tier_only_prepared(&p, at).ok(), Some(*l));
            }
            let b = evaluate_batch(policy, std::slice::from_ref(e), at);
            assert_eq!(b.rows[0], Some(*l));
        }
        (Err(a), Err(b)) => assert_eq!(a, b),
        _ => panic!("full and lean paths disagree: {:?} vs {:?}", full.as_ref().map(|d| d.tier.index), lean),
    }
}
