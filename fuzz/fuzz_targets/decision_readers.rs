//! The record readers: alert decisions, confirmations, overrides and student evidence as JSON
//! (what a platform stores and reads back). Any text is a record or a typed error, never a panic;
//! what parses writes back to the same record, and validating or preparing it never panics.
//!
//! Input: JSON text, or (not starting with `{`) byte-driven edits of a decision produced by the
//! engine for a rich evidence record.
#![no_main]

mod common;

use changkaixin_core::alert::{evaluate, AlertDecision, Confirmation, Evaluator, Override, Person, StudentEvidence, Timestamp};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use std::sync::OnceLock;

const EVIDENCE: &str = r#"{"student": "s-1",
 "observations": [{"category": "suicide_talk", "at": "2024-03-02T08:00:00Z", "observed_by": {"name": "t", "role": "head_teacher"}}],
 "life_events": [{"kind": "bullying_victim", "at": "2024-02-01T08:00:00Z"}],
 "previous": {"tier": "watch", "since": "2024-02-01T00:00:00Z"}}"#;

/// A real decision, a confirmation and an override of it, as JSON values (mutation seeds).
fn seeds() -> &'static [Value; 3] {
    static S: OnceLock<[Value; 3]> = OnceLock::new();
    S.get_or_init(|| {
        let policy = common::policy();
        let at = Timestamp::from_unix(1_709_539_200);
        let ev = StudentEvidence::from_json(EVIDENCE).ok();
        let d = ev.and_then(|e| evaluate(policy, &e, at).ok());
        let person = Person { name: "p".into(), role: "principal".into() };
        let to = |s: String| serde_json::from_str(&s).unwrap_or(Value::Null);
        match d {
            Some(d) => [
                to(d.to_json()),
                serde_json::to_value(d.confirm(person.clone(), at, Some("ok".into()))).unwrap_or(Value::Null),
                serde_json::to_value(d.override_with(person, at, "key", "seen in person")).unwrap_or(Value::Null),
            ],
            None => [Value::Null, Value::Null, Value::Null],
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let policy = common::policy();
    let texts: Vec<String> = if data.first() == Some(&b'{') {
        match std::str::from_utf8(data) {
            Ok(t) => vec![t.to_owned()],
            Err(_) => return,
        }
    } else {
        seeds()
            .iter()
            .map(|s| {
                let mut v = s.clone();
                common::mutate(&mut v, data);
                v.to_string()
            })
            .collect()
    };
    for text in &texts {
        match AlertDecision::from_json(text) {
            Ok(d) => {
                let json = d.to_json();
                assert_eq!(AlertDecision::from_json(&json).ok().as_ref(), Some(&d), "decision does not round-trip");
                let r = d.reference();
                assert_eq!(r.fingerprint.len(), 16);
                let _ = d.overdue_at(Timestamp::from_unix(1_709_539_200));
            }
            Err(e) => assert_eq!(e.code(), "evidence.invalid"),
        }
        if let Ok(c) = serde_json::from_str::<Confirmation>(text) {
            let back: Option<Confirmation> = serde_json::to_string(&c).ok().and_then(|j| serde_json::from_str(&j).ok());
            assert_eq!(back.as_ref(), Some(&c), "confirmation does not round-trip");
            if let Err(e) = c.validate(policy) {
                assert_eq!(e.code(), "evidence.invalid");
            }
        }
        if let Ok(o) = serde_json::from_str::<Override>(text) {
            let back: Option<Override> = serde_json::to_string(&o).ok().and_then(|j| serde_json::from_str(&j).ok());
            assert_eq!(back.as_ref(), Some(&o), "override does not round-trip");
            if let Err(e) = o.validate(policy) {
                assert_eq!(e.code(), "evidence.invalid");
            }
        }
        match StudentEvidence::from_json(text) {
            Ok(ev) => {
                assert_eq!(StudentEvidence::from_json(&ev.to_json()).ok().as_ref(), Some(&ev), "evidence does not round-trip");
                let _ = Evaluator::new(policy).prepare(&ev);
            }
            Err(e) => assert_eq!(e.code(), "evidence.invalid"),
        }
    }
});
