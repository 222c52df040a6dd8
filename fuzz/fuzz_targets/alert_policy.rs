//! Fuzz the alert policy parser, lint and compiler: raw bytes as policy JSON, or (for
//! inputs not starting with `{`) byte-driven edits of the built-in default policy.
//! Whatever the input, nothing panics; a policy that compiles also evaluates.
#![no_main]

mod common;

use changkaixin_core::alert::{evaluate, evaluate_tier_only, AlertPolicy, StudentEvidence, Timestamp};
use libfuzzer_sys::fuzz_target;

const STUDENT: &str = r#"{"student": "s", "observations": [{"category": "withdrawal", "at": "2024-03-01T08:00:00Z", "observed_by": {"name": "t", "role": "head_teacher"}}],
 "life_events": [{"kind": "bereavement", "at": "2024-02-01T08:00:00Z"}], "agency_notices": [{"agency": "police", "severity": "urgent", "at": "2024-03-01T08:00:00Z"}],
 "special_periods": [{"kind": "exam", "from": "2024-03-01T00:00:00Z", "to": "2024-03-31T00:00:00Z"}],
 "previous": {"tier": "key", "since": "2024-01-01T00:00:00Z"}, "reviews": [{"by": {"name": "p", "role": "principal"}, "at": "2024-03-01T00:00:00Z", "from_tier": "key", "to_tier": "watch", "reason": "r"}]}"#;

fuzz_target!(|data: &[u8]| {
    let text = if data.first() == Some(&b'{') {
        match std::str::from_utf8(data) {
            Ok(t) => t.to_owned(),
            Err(_) => return,
        }
    } else {
        let mut v = common::default_policy_value().clone();
        common::mutate(&mut v, data);
        v.to_string()
    };
    let Ok(policy) = AlertPolicy::from_json(&text) else { return };
    match policy.compile(common::catalog()) {
        Ok(compiled) => {
            let Ok(student) = StudentEvidence::from_json(STUDENT) else { return };
            let at = Timestamp::from_unix(1_709_539_200);
            if let (Ok(d), Ok(lean)) = (evaluate(&compiled, &student, at), evaluate_tier_only(&compiled, &student, at)) {
                assert_eq!(d.tier.index, lean.tier);
            }
        }
        Err(e) => assert_eq!(policy.lint_against(common::catalog()).first(), Some(&e), "compile's error is lint's first problem"),
    }
});
