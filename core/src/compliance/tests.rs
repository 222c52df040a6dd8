//! Unit tests of the compliance module: pack lint, facts parsing and validation.

use super::*;
use crate::compliance::facts::SchoolFacts;
use serde_json::{json, Value};

fn pack_value() -> Value {
    serde_json::from_str(CHANGZHOU_2022_2024_JSON).unwrap()
}

fn lint_codes(v: &Value) -> Vec<(String, String)> {
    let p = RequirementPack::from_json(&v.to_string()).unwrap();
    p.lint().into_iter().map(|e| (e.code().to_owned(), e.path().to_owned())).collect()
}

#[test]
fn builtin_packs_lint_clean() {
    for p in [RequirementPack::changzhou_2022_2024().unwrap(), RequirementPack::national_2023().unwrap()] {
        assert_eq!(p.lint(), Vec::<crate::Error>::new(), "{}", p.id);
        assert!(p
            .requirements
            .iter()
            .all(|r| !r.sources.is_empty() && r.sources.iter().all(|s| !s.quote.is_empty())));
    }
    assert!(CompiledPack::changzhou_2022_2024().is_ok());
    assert!(CompiledPack::national_2023().is_ok());
    assert_eq!(CompiledPack::builtin("x").unwrap_err().code(), "compliance.unknown_ref");
}

#[test]
fn every_metric_is_used_by_a_builtin_pack() {
    let p = RequirementPack::changzhou_2022_2024().unwrap();
    let n = RequirementPack::national_2023().unwrap();
    for m in METRICS {
        assert!(
            p.requirements.iter().chain(&n.requirements).any(|r| r.check.metric == m.id),
            "metric {} unused",
            m.id
        );
    }
}

#[test]
fn lint_catches_each_kind_of_broken_pack() {
    type Edit = Box<dyn Fn(&mut Value)>;
    let cases: Vec<(&str, Edit, &str, &str)> = vec![
        (
            "unknown metric",
            Box::new(|v| v["requirements"][0]["check"]["metric"] = json!("lessons")),
            "compliance.unknown_metric",
            "/requirements/0/check/metric",
        ),
        (
            "no source",
            Box::new(|v| v["requirements"][1]["sources"] = json!([])),
            "compliance.missing_source",
            "/requirements/1/sources",
        ),
        (
            "empty quote",
            Box::new(|v| v["requirements"][1]["sources"][0]["quote"] = json!(" ")),
            "compliance.missing_source",
            "/requirements/1/sources/0/quote",
        ),
        (
            "unknown document",
            Box::new(|v| v["requirements"][2]["sources"][0]["document"] = json!("nope")),
            "compliance.unknown_ref",
            "/requirements/2/sources/0/document",
        ),
        (
            "percent above 100",
            Box::new(|v| v["requirements"][9]["check"]["value"] = json!("100.5")),
            "compliance.impossible_threshold",
            "/requirements/9/check/value",
        ),
        (
            "negative",
            Box::new(|v| v["requirements"][0]["check"]["value"] = json!(-1)),
            "compliance.impossible_threshold",
            "/requirements/0/check/value",
        ),
        (
            "ge 0 is vacuous",
            Box::new(|v| v["requirements"][0]["check"]["value"] = json!(0)),
            "compliance.impossible_threshold",
            "/requirements/0/check/value",
        ),
        (
            "minutes beyond a day",
            Box::new(|v| v["requirements"][2]["check"]["value"] = json!(1441)),
            "compliance.impossible_threshold",
            "/requirements/2/check/value",
        ),
        (
            "bad period",
            Box::new(|v| v["requirements"][0]["check"]["period"] = json!("school_day")),
            "compliance.bad_check",
            "/requirements/0/check/period",
        ),
        (
            "bad op",
            Box::new(|v| v["requirements"][0]["check"]["op"] = json!("all_of")),
            "compliance.bad_check",
            "/requirements/0/check/op",
        ),
        (
            "missing value",
            Box::new(|v| {
                v["requirements"][0]["check"].as_object_mut().unwrap().remove("value");
            }),
            "compliance.bad_check",
            "/requirements/0/check/value",
        ),
        (
            "unknown kind",
            Box::new(|v| v["requirements"][11]["check"]["kinds"][0] = json!("winter")),
            "compliance.unknown_ref",
            "/requirements/11/check/kinds/0",
        ),
        (
            "kinds not taken",
            Box::new(|v| v["requirements"][0]["check"]["kinds"] = json!(["entry"])),
            "compliance.bad_check",
            "/requirements/0/check/kinds",
        ),
        (
            "overlapping versions",
            Box::new(|v| {
                let r = v["requirements"][0].clone();
                let mut r2 = r;
                r2["version"] = json!("2");
                v["requirements"].as_array_mut().unwrap().push(r2);
            }),
            "compliance.overlapping_versions",
            "/requirements/36",
        ),
        (
            "reversed dates",
            Box::new(|v| {
                v["requirements"][0]["effective_from"] = json!("2024-06-01");
                v["requirements"][0]["effective_until"] = json!("2024-01-01");
            }),
            "compliance.invalid_value",
            "/requirements/0/effective_until",
        ),
        (
            "before the pack",
            Box::new(|v| v["requirements"][0]["effective_from"] = json!("2021-01-01")),
            "compliance.invalid_value",
            "/requirements/0/effective_from",
        ),
        (
            "no English title",
            Box::new(|v| {
                v["requirements"][3]["title"].as_object_mut().unwrap().remove("en");
            }),
            "compliance.invalid_value",
            "/requirements/3/title",
        ),
        (
            "duplicate document",
            Box::new(|v| {
                let d = v["documents"][0].clone();
                v["documents"].as_array_mut().unwrap().push(d);
            }),
            "compliance.duplicate_id",
            "/documents/2/id",
        ),
        (
            "fractional count",
            Box::new(|v| v["requirements"][1]["check"]["value"] = json!("1.5")),
            "compliance.invalid_value",
            "/requirements/1/check/value",
        ),
        (
            "yes/no above 1",
            Box::new(|v| v["requirements"][7]["check"]["value"] = json!(2)),
            "compliance.impossible_threshold",
            "/requirements/7/check/value",
        ),
    ];
    for (name, edit, code, path) in cases {
        let mut v = pack_value();
        edit(&mut v);
        let got = lint_codes(&v);
        assert!(
            got.contains(&(code.to_owned(), path.to_owned())),
            "{name}: expected {code} at {path}, got {got:?}"
        );
    }
    // Disjoint versions are fine.
    let mut v = pack_value();
    let mut r2 = v["requirements"][0].clone();
    v["requirements"][0]["effective_until"] = json!("2022-12-31");
    r2["version"] = json!("2");
    r2["effective_from"] = json!("2023-01-01");
    v["requirements"].as_array_mut().unwrap().push(r2);
    assert_eq!(lint_codes(&v), vec![]);
}

#[test]
fn pack_parse_errors_have_json_pointers() {
    let mut v = pack_value();
    v["requirements"][4]["severity"] = json!("awful");
    let e = RequirementPack::from_json(&v.to_string()).unwrap_err();
    assert_eq!((e.code(), e.path()), ("compliance.parse", "/requirements/4/severity"));
    let mut v = pack_value();
    v["format"] = json!("changkaixin.compliance-pack/9");
    assert_eq!(RequirementPack::from_json(&v.to_string()).unwrap_err().code(), "compliance.unsupported_format");
    let e = RequirementPack::from_json("{\"format\": ").unwrap_err();
    assert!(e.path().starts_with("line 1"), "{}", e.path());
}

fn facts(extra: Value) -> Value {
    let mut v = json!({"format": "changkaixin.compliance-facts/1", "school": {"id": "s1"},
        "calendar": {"school_year": "2023-2024", "start": "2023-09-01", "end": "2024-08-31",
            "terms": [{"id": "t1", "start": "2023-09-01", "end": "2024-01-19"}, {"id": "t2", "start": "2024-02-19", "end": "2024-07-05"}]}});
    if let (Some(o), Some(e)) = (v.as_object_mut(), extra.as_object()) {
        for (k, x) in e {
            o.insert(k.clone(), x.clone());
        }
    }
    v
}

#[test]
fn malformed_facts_are_typed_errors_with_paths() {
    let cases = [
        (
            json!({"classes": [{"id": "a", "grade": 7}, {"id": "a", "grade": 8}]}),
            "facts.duplicate_id",
            "/classes/1/id",
        ),
        (json!({"classes": [{"id": "a", "grade": 13}]}), "facts.invalid", "/classes/0/grade"),
        (
            json!({"classes": [{"id": "a", "grade": 7, "sport": {"from": "2023-09-01", "to": "2023-09-30", "entries": [{"date": "2023-10-01", "minutes": 60}]}}]}),
            "facts.invalid",
            "/classes/0/sport/entries/0/date",
        ),
        (
            json!({"classes": [{"id": "a", "grade": 7, "home_contact": [{"term": "t9", "families": 3, "contacted": 1}]}]}),
            "facts.unknown_ref",
            "/classes/0/home_contact/0/term",
        ),
        (
            json!({"room_duty": {"from": "2023-09-01", "to": "2023-09-30", "entries": [{"date": "2023-09-04", "open": "13:00", "close": "12:00", "teacher": false}]}}),
            "facts.invalid",
            "/room_duty/entries/0/close",
        ),
        (
            json!({"staff": [{"id": "t1"}], "room_duty": {"from": "2023-09-01", "to": "2023-09-30", "entries": [{"date": "2023-09-04", "open": "12:00", "close": "13:00", "teacher": "t2"}]}}),
            "facts.unknown_ref",
            "/room_duty/entries/0/teacher",
        ),
        (
            json!({"e_archives": {"screened_students": 10, "with_e_archive": 11}}),
            "facts.invalid",
            "/e_archives/with_e_archive",
        ),
        (
            json!({"screening_runs": [{"id": "r", "kind": "entry", "window_from": "2023-09-01", "window_to": "2023-09-30", "status": "completed"}]}),
            "facts.invalid",
            "/screening_runs/0/completed_on",
        ),
        (json!({"room": {"zones": ["individual", "sauna"]}}), "facts.unknown_ref", "/room/zones/1"),
        (
            json!({"activities": {"from": "2023-09-01", "to": "2024-08-31", "entries": [{"date": "2023-10-10", "kind": "party"}]}}),
            "facts.unknown_ref",
            "/activities/entries/0/kind",
        ),
        (
            json!({"profile": {"classes_per_grade": {"7": 2}}, "classes": [{"id": "a", "grade": 7}]}),
            "facts.invalid",
            "/profile/classes_per_grade/7",
        ),
        (json!({"format": "changkaixin.compliance-facts/2"}), "facts.unsupported_format", "/format"),
    ];
    for (extra, code, path) in cases {
        let e = SchoolFacts::from_json(&facts(extra.clone()).to_string()).unwrap_err();
        assert_eq!((e.code(), e.path()), (code, path), "{extra}: {e}");
    }
    let parse = [
        (
            json!({"classes": [{"id": "a", "grade": 7, "sport": {"from": "2023-09-01", "to": "2023-09-30", "entries": [{"date": "2023-09-04", "minutes": -5}]}}]}),
            "/classes/0/sport/entries/0/minutes",
        ),
        (
            json!({"staff": [{"id": "t", "mental_health_training_hours": 2.5}]}),
            "/staff/0/mental_health_training_hours",
        ),
        (
            json!({"calendar": {"school_year": "x", "start": "2023-02-30", "end": "2024-01-01", "terms": []}}),
            "/calendar/start",
        ),
        (
            json!({"room_duty": {"from": "2023-09-01", "to": "2023-09-30", "entries": [{"date": "2023-09-04", "open": "12:00", "close": "13:00", "teacher": true}]}}),
            "/room_duty/entries/0/teacher",
        ),
        (json!({"profile": {"stage": "college"}}), "/profile/stage"),
        (json!({"surprise": 1}), "/surprise"),
    ];
    for (extra, path) in parse {
        let e = SchoolFacts::from_json(&facts(extra.clone()).to_string()).unwrap_err();
        assert_eq!((e.code(), e.path()), ("facts.parse", path), "{extra}: {e}");
    }
}

#[test]
fn fortnights_follow_the_term_and_merge_short_tails() {
    // Term of 2023-09-01 (Fri) .. 2023-09-22: blocks 09-01..09-14 and 09-15..09-22 (8 days: kept).
    let f = SchoolFacts::from_json(
        &facts(json!({"calendar": {"school_year": "x", "start": "2023-09-01", "end": "2023-09-30",
        "terms": [{"id": "t1", "start": "2023-09-01", "end": "2023-09-19"}]},
        "classes": [{"id": "a", "grade": 7, "psychology_lessons": {"from": "2023-09-01", "to": "2023-09-30", "entries": [{"date": "2023-09-04", "periods": 1}]}}]}))
        .to_string(),
    )
    .unwrap();
    let pack = CompiledPack::changzhou_2022_2024().unwrap();
    let r = check(pack, &f, crate::time::Date::parse("2023-09-30").unwrap()).unwrap();
    let fi = r.finding("cz.lessons.psychology_fortnightly").unwrap();
    // 09-15..09-19 is 5 days (< 7): merged into the first block, so one block of 19 days with 1 period.
    assert_eq!(fi.status, Status::Pass, "{fi:?}");
    assert_eq!(fi.units.assessed, 1);
}
