//! Replays `tests/vectors/compliance/*.json`: each case's hand-written `expect` (per requirement:
//! status, decisive measured value, shortfall, unit counts, missing facts) or `expect_error`
//! (code and path), and the generated `report`, which must match byte for byte after JSON
//! normalisation. Every requirement of each pack must be expected, somewhere in its file, to
//! pass, to fail, to be not applicable and to lack evidence, and at least once at its boundary.
//!
//! `UPDATE_VECTORS=1 cargo test -p changkaixin-tests --test compliance_vectors` rewrites the
//! `report` fields (never `expect`); review the diff before committing.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use changkaixin_core::compliance::{check, CompiledPack, ComplianceReport, SchoolFacts};
use changkaixin_core::time::Date;
use changkaixin_tests::{normalise, vector_files};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

fn pack_for(name: &str) -> &'static CompiledPack {
    let id = name.strip_prefix("builtin:").expect("vector packs are builtin:<id>");
    CompiledPack::builtin(id).expect("built-in pack compiles")
}

fn run(pack: &CompiledPack, case: &Value) -> Result<ComplianceReport, changkaixin_core::Error> {
    let as_of = Date::parse(case["as_of"].as_str().unwrap_or("")).expect("case as_of");
    let facts = SchoolFacts::from_json(&case["facts"].to_string())?;
    check(pack, &facts, as_of)
}

fn check_expect(report: &ComplianceReport, expect: &Value) -> Vec<String> {
    let mut bad = Vec::new();
    let rep = serde_json::to_value(report).unwrap();
    for (id, want) in expect.as_object().expect("expect is an object") {
        let Some(f) = rep["findings"].as_array().unwrap().iter().find(|f| f["requirement"] == id.as_str()) else {
            bad.push(format!("{id}: no finding"));
            continue;
        };
        let mut cmp = |what: &str, got: &Value, want: Option<&Value>| {
            if let Some(w) = want {
                if got != w {
                    bad.push(format!("{id}: {what} {got} (expected {w})"));
                }
            }
        };
        cmp("status", &f["status"], want.get("status"));
        cmp("measured", &f["measured"]["value"], want.get("measured"));
        cmp("shortfall", &f["shortfall"], want.get("shortfall"));
        cmp("failed units", &f["units"]["failed"], want.get("failed_units"));
        cmp("assessed units", &f["units"]["assessed"], want.get("assessed"));
        cmp("pending units", &f["units"]["pending"], want.get("pending"));
        cmp("missing units", &f["units"]["missing"], want.get("missing_units"));
        if let Some(facts) = want.get("missing").and_then(Value::as_array) {
            let got: BTreeSet<&str> = f["missing"]
                .as_array()
                .map(|a| a.iter().filter_map(|m| m["fact"].as_str()).collect())
                .unwrap_or_default();
            for w in facts.iter().filter_map(Value::as_str) {
                if !got.contains(w) {
                    bad.push(format!("{id}: missing facts {got:?} lack {w}"));
                }
            }
        }
        if let Some(lacking) = want.get("lacking") {
            let got: Vec<Value> = f["failures"]
                .as_array()
                .map(|a| a.iter().flat_map(|u| u["lacking"].as_array().cloned().unwrap_or_default()).collect())
                .unwrap_or_default();
            if &Value::Array(got.clone()) != lacking {
                bad.push(format!("{id}: lacking {got:?} (expected {lacking})"));
            }
        }
        // The invariants every finding keeps.
        match f["status"].as_str() {
            Some("fail") => {
                if f["measured"].is_null()
                    || f["required"]["value"].is_null()
                    || f["shortfall"].is_null()
                    || f["failures"].as_array().is_none_or(|a| a.is_empty())
                {
                    bad.push(format!("{id}: a fail without measured, required, shortfall and failing units"));
                }
            }
            Some("pass") => {
                if f["measured"].is_null() || f["units"]["passed"].as_u64().unwrap_or(0) == 0 {
                    bad.push(format!("{id}: a pass without evidence"));
                }
            }
            Some("insufficient_evidence") => {
                if f["missing"].as_array().is_none_or(|a| a.is_empty()) {
                    bad.push(format!("{id}: insufficient evidence without the missing facts"));
                }
            }
            Some("not_applicable") => {
                if f["reason"].is_null() {
                    bad.push(format!("{id}: not applicable without a reason"));
                }
            }
            _ => bad.push(format!("{id}: unknown status")),
        }
    }
    bad
}

#[test]
fn compliance_vectors_replay() {
    let update = std::env::var("UPDATE_VECTORS").is_ok_and(|v| v == "1");
    let files = vector_files("compliance");
    assert!(files.len() >= 2, "compliance vector files missing");
    for path in files {
        let text = std::fs::read_to_string(&path).expect("read vectors");
        let mut file: Value = serde_json::from_str(&text).expect("vector JSON");
        assert_eq!(file["format"], "changkaixin.vectors/1");
        assert_eq!(file["kind"], "compliance");
        let pack = pack_for(file["pack"].as_str().expect("pack"));
        let mut failures = Vec::new();
        let mut changed = false;
        let mut seen: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for case in file["cases"].as_array_mut().expect("cases") {
            let name = case["name"].as_str().unwrap_or("?").to_owned();
            let result = run(pack, case);
            if let Some(want) = case.get("expect_error") {
                match result {
                    Ok(_) => failures.push(format!("{name}: expected {want}, got a report")),
                    Err(e) => {
                        if want["code"] != e.code() || want.get("path").is_some_and(|p| p != e.path()) {
                            failures.push(format!("{name}: expected {want}, got {e}"));
                        }
                    }
                }
                continue;
            }
            let report = match result {
                Ok(r) => r,
                Err(e) => {
                    failures.push(format!("{name}: unexpected error {e}"));
                    continue;
                }
            };
            failures.extend(check_expect(&report, &case["expect"]).into_iter().map(|m| format!("{name}: {m}")));
            for (id, want) in case["expect"].as_object().unwrap() {
                let s = seen.entry(id.clone()).or_default();
                s.insert(want["status"].as_str().unwrap_or("").to_owned());
                if want.get("boundary") == Some(&Value::Bool(true)) {
                    s.insert("boundary".into());
                }
            }
            let generated = serde_json::to_value(&report).expect("report JSON");
            if normalise(&case["report"]) != normalise(&generated) {
                if update {
                    case["report"] = generated;
                    changed = true;
                } else {
                    failures.push(format!(
                        "{name}: report differs from the vector (run with UPDATE_VECTORS=1 and review the diff)"
                    ));
                }
            }
        }
        for id in pack.requirement_ids() {
            let s = seen.get(id).cloned().unwrap_or_default();
            for want in ["pass", "fail", "not_applicable", "insufficient_evidence", "boundary"] {
                if !s.contains(want) {
                    failures.push(format!("{}: requirement {id} is never expected to be {want}", path.display()));
                }
            }
        }
        if update && changed {
            changkaixin_tests::write_vectors(&path, &file);
        }
        assert!(
            failures.is_empty(),
            "{} failure(s) in {}:\n{}",
            failures.len(),
            path.display(),
            failures.join("\n")
        );
    }
}
