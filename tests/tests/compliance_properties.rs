//! Properties of the compliance checks on generated school facts (perturbations of the
//! golden-vector schools): adding evidence of compliance never turns a pass into a fail; a
//! requirement outside its effective dates is never failed; the same input gives the same bytes
//! (whatever the order of log entries, and through a JSON round trip); the lean summary agrees
//! with the full report; a fail always carries measured and required values, a pass evidence.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use changkaixin_core::compliance::{check, check_summary, CompiledPack, RequirementPack, SchoolFacts, Status};
use changkaixin_core::time::Date;
use changkaixin_tests::{repo_root, vector_files};
use proptest::prelude::*;
use serde_json::{json, Value};
use std::sync::OnceLock;

/// The facts of the first two Changzhou vector cases (every duty met; one unit short everywhere).
fn bases() -> &'static Vec<Value> {
    static B: OnceLock<Vec<Value>> = OnceLock::new();
    B.get_or_init(|| {
        let path = vector_files("compliance")
            .into_iter()
            .find(|p| p.ends_with("changzhou_2022_2024.json"))
            .unwrap();
        let v: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        v["cases"].as_array().unwrap().iter().take(2).map(|c| c["facts"].clone()).collect()
    })
}

struct G(u64);
impl G {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n.max(1)
    }
    fn chance(&mut self, pct: u64) -> bool {
        self.below(100) < pct
    }
}

const SCHOOL_DAYS: &[&str] = &[
    "2023-09-05",
    "2023-09-12",
    "2023-09-20",
    "2023-09-27",
    "2024-03-05",
    "2024-03-13",
    "2024-03-19",
    "2024-03-28",
];

/// A school: a base with entries dropped, values changed and whole facts left unreported.
fn perturb(seed: u64) -> Value {
    let mut g = G(seed);
    let mut f = bases()[g.below(2) as usize].clone();
    for c in f["classes"].as_array_mut().unwrap() {
        for log in ["psychology_lessons", "labour_lessons", "themed_meetings", "sport"] {
            if g.chance(5) {
                c.as_object_mut().unwrap().remove(log);
                continue;
            }
            let e = c[log]["entries"].as_array_mut().unwrap();
            e.retain(|_| !g.chance(8));
            for x in e.iter_mut() {
                if x.get("minutes").is_some() && g.chance(10) {
                    x["minutes"] = json!(30 + g.below(60));
                }
            }
        }
        if g.chance(10) {
            c["home_contact"][0]["contacted"] = json!(40 + g.below(6));
        }
    }
    let duty = f["room_duty"]["entries"].as_array_mut().unwrap();
    duty.retain(|_| !g.chance(5));
    for s in duty.iter_mut() {
        if g.chance(5) {
            s["close"] = json!(format!("13:{:02}", g.below(60)));
        }
        if g.chance(3) {
            s["teacher"] = json!("t3");
        }
    }
    for m in f["staff"].as_array_mut().unwrap() {
        if g.chance(30) {
            m["mental_health_training_hours"] = json!(g.below(20).to_string());
        }
    }
    if g.chance(30) {
        f["staff"][1]["professional_training_hours"] = json!((60 + g.below(40)).to_string());
    }
    for a in f["attestations"].as_array_mut().unwrap() {
        a["met"] = json!(g.chance(70));
    }
    let keys: Vec<String> = f.as_object().unwrap().keys().cloned().collect();
    for k in keys {
        if !["format", "school", "profile", "calendar"].contains(&k.as_str()) && g.chance(6) {
            f.as_object_mut().unwrap().remove(&k);
        }
    }
    f
}

/// Evidence of compliance added to a school: more lessons, meetings, screenings, lectures,
/// activities and passed inspections; longer sport and room hours (with a psychology teacher);
/// more training hours; more archived records; rooms completed; later attestations that duties are met.
fn add_evidence(f: &mut Value, seed: u64) {
    let mut g = G(seed ^ 0x9e37_79b9);
    if let Some(classes) = f.get_mut("classes").and_then(Value::as_array_mut) {
        for c in classes {
            for log in ["psychology_lessons", "labour_lessons"] {
                if let Some(e) = c.get_mut(log).and_then(|l| l["entries"].as_array_mut()) {
                    for _ in 0..g.below(4) {
                        e.push(json!({"date": SCHOOL_DAYS[g.below(8) as usize], "periods": 1}));
                    }
                }
            }
            if let Some(e) = c.get_mut("themed_meetings").and_then(|l| l["entries"].as_array_mut()) {
                e.push(json!({"date": SCHOOL_DAYS[g.below(8) as usize]}));
            }
            if let Some(e) = c.get_mut("sport").and_then(|l| l["entries"].as_array_mut()) {
                for x in e.iter_mut() {
                    if g.chance(30) {
                        x["minutes"] = json!(x["minutes"].as_u64().unwrap_or(0) + g.below(40));
                    }
                }
            }
            if let Some(h) = c.get_mut("home_contact").and_then(Value::as_array_mut) {
                for x in h {
                    if g.chance(50) {
                        x["contacted"] = x["families"].clone();
                    }
                }
            }
        }
    }
    if let Some(e) = f.get_mut("room_duty").and_then(|l| l["entries"].as_array_mut()) {
        for _ in 0..g.below(10) {
            e.push(json!({"date": SCHOOL_DAYS[g.below(8) as usize], "open": "15:00", "close": "16:30", "teacher": "t2"}));
        }
    }
    for (log, entry) in [
        ("crisis_screenings", json!({"date": "2024-03-21"})),
        ("parent_lectures", json!({"date": "2024-03-22"})),
        ("meetings", json!({"date": "2024-01-10"})),
        ("activities", json!({"date": "2024-05-26", "kind": "culture_festival"})),
    ] {
        if let Some(e) = f.get_mut(log).and_then(|l| l["entries"].as_array_mut()) {
            if g.chance(60) {
                e.push(entry);
            }
        }
    }
    if let Some(i) = f.get_mut("room").and_then(|r| r.get_mut("inspections")).and_then(Value::as_array_mut) {
        i.push(json!({"date": "2024-06-20", "result": "passed"}));
    }
    if let Some(r) = f.get_mut("room") {
        if g.chance(50) {
            r["zones"] = json!(["individual", "group", "reception"]);
            r["rules"] = json!(["duty", "appointment", "counselling", "archive", "transfer"]);
        }
    }
    if let Some(staff) = f.get_mut("staff").and_then(Value::as_array_mut) {
        for m in staff {
            for k in ["mental_health_training_hours", "professional_training_hours"] {
                if let Some(h) = m.get(k).and_then(Value::as_str).and_then(|s| s.parse::<f64>().ok()) {
                    m[k] = json!(format!("{}", h.floor() as u64 + g.below(30)));
                }
            }
        }
    }
    if let Some(a) = f.get_mut("e_archives") {
        a["with_e_archive"] = a["screened_students"].clone();
    }
    if let Some(s) = f.get_mut("societies").and_then(Value::as_array_mut) {
        s.push(json!({"name": "新社团 (synthetic)", "positive_psychology": true}));
    }
    if let Some(a) = f.get_mut("attestations").and_then(Value::as_array_mut) {
        let ids: Vec<Value> = a.iter().filter(|x| x["met"] == json!(true)).map(|x| x["requirement"].clone()).collect();
        for id in ids {
            a.push(json!({"requirement": id, "met": true, "by": {"name": "校长", "role": "principal"}, "on": "2024-07-01"}));
        }
    }
}

fn pack() -> &'static CompiledPack {
    CompiledPack::changzhou_2022_2024().unwrap()
}

fn day(s: &str) -> Date {
    Date::parse(s).unwrap()
}

fn as_of(g: u64) -> Date {
    ["2023-09-20", "2024-01-01", "2024-03-20", "2024-08-31", "2025-01-31"].map(day)[g as usize % 5]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, .. ProptestConfig::default() })]

    #[test]
    fn adding_evidence_never_turns_a_pass_into_a_fail(seed in any::<u64>()) {
        let before_v = perturb(seed);
        let mut after_v = before_v.clone();
        add_evidence(&mut after_v, seed);
        let at = as_of(seed >> 7);
        let before = check(pack(), &SchoolFacts::from_json(&before_v.to_string()).unwrap(), at).unwrap();
        let after = check(pack(), &SchoolFacts::from_json(&after_v.to_string()).unwrap(), at).unwrap();
        for (b, a) in before.findings.iter().zip(&after.findings) {
            prop_assert!(!(b.status == Status::Pass && a.status == Status::Fail), "{} passed, then failed after evidence was added: {:?}", b.requirement, a.explanation.en);
        }
    }

    #[test]
    fn a_requirement_outside_its_effective_dates_is_never_failed(seed in any::<u64>(), before in any::<bool>(), gap in 0i32..400) {
        let facts = SchoolFacts::from_json(&perturb(seed).to_string()).unwrap();
        let at = as_of(seed >> 9);
        let start = facts.calendar.as_ref().unwrap().start;
        let mut p: Value = serde_json::from_str(&RequirementPack::changzhou_2022_2024().unwrap().to_json()).unwrap();
        p["effective_from"] = json!("2000-01-01");
        p.as_object_mut().unwrap().remove("effective_until");
        for r in p["requirements"].as_array_mut().unwrap() {
            let (from, until) = if before {
                ("2000-01-01".to_owned(), Some(start.plus_days(-1 - gap).to_string()))
            } else {
                (at.plus_days(1 + gap).to_string(), None)
            };
            r["effective_from"] = json!(from);
            match until {
                Some(u) => r["effective_until"] = json!(u),
                None => { r.as_object_mut().unwrap().remove("effective_until"); }
            }
        }
        let pack = CompiledPack::from_json(&p.to_string()).unwrap();
        let report = check(&pack, &facts, at).unwrap();
        for f in &report.findings {
            prop_assert_eq!(f.status, Status::NotApplicable, "{}: {:?}", f.requirement, f.explanation.en);
        }
    }

    #[test]
    fn same_input_same_bytes_whatever_the_entry_order(seed in any::<u64>()) {
        let v = perturb(seed);
        let at = as_of(seed >> 3);
        let facts = SchoolFacts::from_json(&v.to_string()).unwrap();
        let a = check(pack(), &facts, at).unwrap().to_json();
        let b = check(pack(), &SchoolFacts::from_json(&facts.to_json()).unwrap(), at).unwrap().to_json();
        prop_assert_eq!(&a, &b);
        // Reverse every log's entries: the report must not change.
        let mut r = v.clone();
        fn reverse_logs(x: &mut Value) {
            match x {
                Value::Object(m) => {
                    if let Some(Value::Array(e)) = m.get_mut("entries") { e.reverse(); }
                    for (_, y) in m.iter_mut() { reverse_logs(y); }
                }
                Value::Array(a) => for y in a { reverse_logs(y); },
                _ => {}
            }
        }
        reverse_logs(&mut r);
        let c = check(pack(), &SchoolFacts::from_json(&r.to_string()).unwrap(), at).unwrap().to_json();
        prop_assert_eq!(&a, &c);
    }

    #[test]
    fn summaries_agree_with_reports_and_findings_keep_their_invariants(seed in any::<u64>()) {
        let facts = SchoolFacts::from_json(&perturb(seed).to_string()).unwrap();
        let at = as_of(seed >> 5);
        let report = check(pack(), &facts, at).unwrap();
        prop_assert_eq!(report.summarize(), check_summary(pack(), &facts, at).unwrap());
        for f in &report.findings {
            match f.status {
                Status::Fail => prop_assert!(f.measured.is_some() && f.shortfall.is_some() && !f.failures.is_empty(), "{}", f.requirement),
                Status::Pass => prop_assert!(f.measured.is_some() && f.units.passed > 0, "{}", f.requirement),
                Status::InsufficientEvidence => prop_assert!(!f.missing.is_empty() && f.units.failed == 0, "{}", f.requirement),
                Status::NotApplicable => prop_assert!(f.reason.is_some(), "{}", f.requirement),
            }
        }
    }
}

#[test]
fn the_repo_root_holds_the_packs() {
    assert!(repo_root().join("core/compliance/changzhou_2022_2024.json").exists());
}
