//! Fuzz compliance packs and school facts: raw bytes as pack or facts JSON (inputs starting
//! with `{`), or byte-driven edits of the built-in Changzhou pack and of a small facts document.
//! Whatever the input, nothing panics; a pack that compiles checks facts; compile's error is
//! lint's first problem; a report never fails without measured and required values, never
//! passes without evidence, and its summary agrees with `check_summary`.
#![no_main]

mod common;

use changkaixin_core::compliance::{check, check_summary, CompiledPack, RequirementPack, SchoolFacts, Status, CHANGZHOU_2022_2024_JSON};
use changkaixin_core::time::Date;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use std::sync::OnceLock;

const FACTS: &str = r#"{"format": "changkaixin.compliance-facts/1", "school": {"id": "f1", "district": "天宁区"},
 "profile": {"stage": "junior", "location": "urban"},
 "calendar": {"school_year": "2023-2024", "start": "2023-09-01", "end": "2024-08-31",
   "terms": [{"id": "t1", "start": "2023-09-04", "end": "2023-09-29", "holidays": ["2023-09-29"]}],
   "special_periods": [{"kind": "school_entry", "from": "2023-09-04", "to": "2023-09-15"}]},
 "classes": [{"id": "7-1", "grade": 7,
   "psychology_lessons": {"from": "2023-09-01", "to": "2024-08-31", "entries": [{"date": "2023-09-05", "periods": 1}, {"date": "2023-09-19", "periods": 1}]},
   "sport": {"from": "2023-09-01", "to": "2024-08-31", "entries": [{"date": "2023-09-04", "minutes": 60}, {"date": "2023-09-05", "minutes": 45}]},
   "home_contact": [{"term": "t1", "families": 40, "contacted": 39}]}],
 "staff": [{"id": "t2", "psychology_teacher": "full_time", "professional_training_hours": "80", "mental_health_training_hours": "9.5"}],
 "room_duty": {"from": "2023-09-01", "to": "2024-08-31", "entries": [{"date": "2023-09-04", "open": "12:00", "close": "14:00", "teacher": "t2"}, {"date": "2023-09-05", "open": "12:00", "close": "13:00", "teacher": false}]},
 "room": {"zones": ["individual", "group"], "rules": ["duty"], "inspections": [{"date": "2024-05-20", "result": "passed"}]},
 "screening_runs": [{"id": "r1", "kind": "entry", "window_from": "2023-09-11", "window_to": "2023-09-22", "responsible": "t2", "status": "completed", "completed_on": "2023-09-25"}],
 "e_archives": {"screened_students": 40, "with_e_archive": 39}, "special_care": {"students": 2, "with_file": 2, "with_plan": 1, "with_helper": 2},
 "crisis_screenings": {"from": "2023-09-01", "to": "2024-08-31", "entries": [{"date": "2023-09-15"}]},
 "attestations": [{"requirement": "cz.attest.tutor_system", "met": true, "by": {"name": "p", "role": "principal"}, "on": "2024-06-01"}]}"#;

fn pack_value() -> &'static Value {
    static V: OnceLock<Value> = OnceLock::new();
    V.get_or_init(|| serde_json::from_str(CHANGZHOU_2022_2024_JSON).unwrap_or_default())
}

fn facts_value() -> &'static Value {
    static V: OnceLock<Value> = OnceLock::new();
    V.get_or_init(|| serde_json::from_str(FACTS).unwrap_or_default())
}

fn invariants(pack: &CompiledPack, facts: &SchoolFacts, at: Date) {
    let Ok(report) = check(pack, facts, at) else { return };
    for f in &report.findings {
        match f.status {
            Status::Fail => assert!(f.measured.is_some() && f.shortfall.is_some() && !f.failures.is_empty()),
            Status::Pass => assert!(f.measured.is_some() && f.units.passed > 0),
            Status::InsufficientEvidence => assert!(!f.missing.is_empty()),
            Status::NotApplicable => assert!(f.reason.is_some()),
        }
    }
    if let Ok(s) = check_summary(pack, facts, at) {
        assert_eq!(s, report.summarize());
    }
    let _ = serde_json::to_string(&report);
}

fuzz_target!(|data: &[u8]| {
    let at = Date::from_days(19_600 + i32::from(data.first().copied().unwrap_or(0)) * 3);
    let raw = data.get(1) == Some(&b'{');
    let which = data.first().copied().unwrap_or(0) % 2;
    let body = data.get(1..).unwrap_or(&[]);
    if which == 0 {
        // Packs.
        let text = if raw {
            match std::str::from_utf8(body) {
                Ok(t) => t.to_owned(),
                Err(_) => return,
            }
        } else {
            let mut v = pack_value().clone();
            common::mutate(&mut v, body);
            v.to_string()
        };
        let Ok(pack) = RequirementPack::from_json(&text) else { return };
        match pack.compile() {
            Ok(compiled) => {
                if let Ok(facts) = SchoolFacts::from_json(FACTS) {
                    invariants(&compiled, &facts, at);
                }
            }
            Err(e) => assert_eq!(pack.lint().first(), Some(&e), "compile's error is lint's first problem"),
        }
    } else {
        // Facts.
        let text = if raw {
            match std::str::from_utf8(body) {
                Ok(t) => t.to_owned(),
                Err(_) => return,
            }
        } else {
            let mut v = facts_value().clone();
            common::mutate(&mut v, body);
            v.to_string()
        };
        let Ok(pack) = CompiledPack::changzhou_2022_2024() else { return };
        if let Ok(facts) = SchoolFacts::from_json(&text) {
            invariants(pack, &facts, at);
        }
    }
});
