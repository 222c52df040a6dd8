//! Replays `tests/vectors/alert/*.json`: each case's hand-written `expect` (tier, exact
//! set of fired rules, change, hold reason) or `expect_error` (code and path), and the
//! generated `decision`, which must match byte for byte after JSON normalisation.
//!
//! `UPDATE_VECTORS=1 cargo test -p changkaixin-tests --test alert_vectors` rewrites the
//! `decision` fields (never `expect`); review the diff before committing.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use changkaixin_core::alert::{evaluate, AlertPolicy, CompiledPolicy, StudentEvidence, Timestamp};
use changkaixin_core::{Catalog, Instrument};
use changkaixin_tests::{normalise, repo_root, vector_files};
use serde_json::Value;
use std::collections::BTreeSet;

fn policy_for(name: &str) -> CompiledPolicy {
    assert_eq!(name, "builtin:changzhou_default", "unknown policy {name}");
    if Catalog::builtin().ids().next().is_some() {
        return CompiledPolicy::changzhou_default()
            .expect("the built-in policy must lint against the built-in catalog")
            .clone();
    }
    eprintln!("note: built-in catalog is placeholders; linting the policy against tests/fixtures/alert/stub_catalog.json");
    let text = std::fs::read_to_string(repo_root().join("tests/fixtures/alert/stub_catalog.json")).expect("stub catalog");
    let specs: Vec<Value> = serde_json::from_str(&text).expect("stub catalog JSON");
    let catalog = specs.iter().fold(Catalog::empty(), |c, s| {
        c.with_instrument(Instrument::from_json(&s.to_string()).expect("stub spec"))
    });
    AlertPolicy::changzhou_default()
        .and_then(|p| p.compile(&catalog))
        .expect("policy compiles against the stub catalog")
}

/// Canonical text of a JSON value: object keys sorted, no whitespace.
#[test]
fn alert_vectors_replay() {
    let update = std::env::var("UPDATE_VECTORS").is_ok_and(|v| v == "1");
    let files = vector_files("alert");
    assert!(!files.is_empty(), "no alert vector files");
    for path in files {
        let text = std::fs::read_to_string(&path).expect("read vectors");
        let mut file: Value = serde_json::from_str(&text).expect("vector JSON");
        assert_eq!(file["format"], "changkaixin.vectors/1");
        assert_eq!(file["kind"], "alert");
        let policy = policy_for(file["policy"].as_str().expect("policy"));
        let mut failures = Vec::new();
        let mut changed = false;
        let mut covered: BTreeSet<String> = BTreeSet::new();
        let cases = file["cases"].as_array_mut().expect("cases");
        for case in cases.iter_mut() {
            let name = case["name"].as_str().unwrap_or("?").to_owned();
            let at = Timestamp::parse(case["at"].as_str().unwrap_or("")).expect("case time");
            let result = StudentEvidence::from_json(&case["evidence"].to_string()).and_then(|e| evaluate(&policy, &e, at));
            if let Some(want) = case.get("expect_error") {
                match result {
                    Ok(d) => failures.push(format!("{name}: expected {want}, got tier {}", d.tier.id)),
                    Err(e) => {
                        if want["code"] != e.code() || want.get("path").is_some_and(|p| p != e.path()) {
                            failures.push(format!("{name}: expected {want}, got {e}"));
                        }
                    }
                }
                continue;
            }
            let d = match result {
                Ok(d) => d,
                Err(e) => {
                    failures.push(format!("{name}: unexpected error {e}"));
                    continue;
                }
            };
            let want = &case["expect"];
            let got_rules: BTreeSet<String> = d.fired_rules.iter().map(|r| r.rule.clone()).collect();
            let want_rules: BTreeSet<String> = want["rules"]
                .as_array()
                .map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_owned)).collect())
                .unwrap_or_default();
            covered.extend(want_rules.iter().cloned());
            if want["tier"] != d.tier.id.as_str() {
                failures.push(format!("{name}: tier {} (expected {})", d.tier.id, want["tier"]));
            }
            if got_rules != want_rules {
                failures.push(format!("{name}: rules {got_rules:?} (expected {want_rules:?})"));
            }
            let change = serde_json::to_value(d.change).unwrap_or_default();
            if want["change"] != change {
                failures.push(format!("{name}: change {change} (expected {})", want["change"]));
            }
            let held = d
                .held_by
                .as_ref()
                .map(|h| serde_json::to_value(h.reason).unwrap_or_default())
                .unwrap_or(Value::Null);
            if want.get("held_by").cloned().unwrap_or(Value::Null) != held {
                failures.push(format!(
                    "{name}: held_by {held} (expected {})",
                    want.get("held_by").cloned().unwrap_or(Value::Null)
                ));
            }
            // Explained decisions: every tier above the lowest has a fired rule at that tier or a hold reason.
            if d.tier.index > 0 && d.held_by.is_none() && !d.fired_rules.iter().any(|r| r.tier == d.tier.id) {
                failures.push(format!("{name}: tier {} is not explained", d.tier.id));
            }
            let generated = serde_json::to_value(&d).expect("decision JSON");
            if update {
                if normalise(&case["decision"]) != normalise(&generated) {
                    case["decision"] = generated;
                    changed = true;
                }
            } else if normalise(&case["decision"]) != normalise(&generated) {
                failures.push(format!(
                    "{name}: decision differs from the vector (run with UPDATE_VECTORS=1 and review the diff)"
                ));
            }
        }
        let all_rules: Vec<String> = policy.rule_ids().map(str::to_owned).collect();
        let uncovered: Vec<&String> = all_rules.iter().filter(|r| !covered.contains(*r)).collect();
        if !uncovered.is_empty() {
            failures.push(format!("rules never expected to fire in {}: {uncovered:?}", path.display()));
        }
        if update && changed {
            let mut out = serde_json::to_string_pretty(&file).expect("serialise vectors");
            out.push('\n');
            std::fs::write(&path, out).expect("write vectors");
            eprintln!("updated {}", path.display());
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
