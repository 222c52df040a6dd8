//! Replays `tests/vectors/alert/*.json`: each case's hand-written `expect` (tier, exact
//! set of fired rules, change, hold reason) or `expect_error` (code and path), and the
//! generated `decision`, which must match byte for byte after JSON normalisation.
//!
//! `UPDATE_VECTORS=1 cargo test -p changkaixin-tests --test alert_vectors` rewrites the
//! `decision` fields (never `expect`); review the diff before committing.
//!
//! A case's `report_sources` say how each report-form screening is produced: scored by the
//! engine from `instrument` + `response` (or, for the external `mht`, with the MHT-shaped
//! synthetic key in `spec_file`, relabelled and reduced to the policy's declaration), with
//! `indeterminate` marking three-valued verdicts the answers leave undecided (kept when the
//! engine already reports them so) and `edits` tampering with the result (JSON pointers; `-`
//! appends). The replay regenerates every such report and requires the stored one to match;
//! `UPDATE_VECTORS=1` rewrites them too.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use changkaixin_core::alert::{evaluate, AlertPolicy, CompiledPolicy, StudentEvidence, Timestamp};
use changkaixin_core::scoring::report::{FlagResult, Verdict};
use changkaixin_core::{Catalog, Instrument, Response, ScoreReport};
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

/// Produce a report-form screening's report from its `report_sources` entry.
fn build_report(policy: &CompiledPolicy, src: &Value) -> Result<Value, String> {
    let response: Response = serde_json::from_value(src["response"].clone()).map_err(|e| format!("response: {e}"))?;
    let (inst, external) = if let Some(file) = src.get("spec_file").and_then(Value::as_str) {
        let text = std::fs::read_to_string(repo_root().join(file)).map_err(|e| format!("{file}: {e}"))?;
        (
            Instrument::from_json(&text).map_err(|e| e.to_string())?,
            src.get("as_external").and_then(Value::as_str),
        )
    } else {
        let r: changkaixin_core::scoring::report::InstrumentRef = serde_json::from_value(src["instrument"].clone()).map_err(|e| format!("instrument: {e}"))?;
        let inst = policy.catalog().instrument_with(&r.id, &r.settings).map_err(|e| e.to_string())?;
        if inst.version() != r.version {
            return Err(format!("{} is version {} in the catalog, not {}", r.id, inst.version(), r.version));
        }
        (inst, None)
    };
    let mut report: ScoreReport = inst.score(&response).map_err(|e| e.to_string())?;
    if let Some(id) = external {
        // The platform reports its licensed key under the external id and the declared interface.
        let decl = policy.external_instrument(id).ok_or(format!("{id} is not declared external"))?;
        let prefix = format!("{}/", report.instrument.id);
        report.instrument.id = id.to_owned();
        report.scales.retain(|s| decl.scales.iter().any(|d| d.id == s.id));
        report.flags.retain(|f| decl.flags.iter().any(|d| d.id == f.id));
        for r in &mut report.validity.reasons {
            if let Some(rest) = r.rule.strip_prefix(&prefix) {
                r.rule = format!("{id}/{rest}");
            }
        }
    }
    // Marks stand in for three-valued scoring until the engine reports indeterminate verdicts
    // itself; once it does (for this report), a mark must agree with it.
    let three_valued = report.flags.iter().any(|f| f.verdict == Verdict::Indeterminate)
        || report.screen_positive.as_ref().is_some_and(|s| s.verdict == Verdict::Indeterminate);
    for mark in src.get("indeterminate").and_then(Value::as_array).into_iter().flatten() {
        let items = |k: &str| -> Vec<u32> { serde_json::from_value(mark.get(k).cloned().unwrap_or(Value::Array(vec![]))).unwrap_or_default() };
        let (missing, refused) = (items("missing_items"), items("refused_items"));
        if mark.get("screen").is_some() {
            let sp = report.screen_positive.as_mut().ok_or("no screen verdict to mark")?;
            if sp.verdict == Verdict::Positive {
                return Err("the engine decides the screen positive; it cannot be marked indeterminate".into());
            }
            if sp.verdict == Verdict::Negative {
                if three_valued {
                    return Err("the engine (three-valued) decides the screen negative: correct the mark".into());
                }
                sp.verdict = Verdict::Indeterminate;
                sp.missing_items = missing;
                sp.refused_items = refused;
            }
            continue;
        }
        let id = mark["flag"].as_str().ok_or("indeterminate: flag or screen")?;
        match report.flags.iter().find(|f| f.id == id).map(|f| f.verdict) {
            Some(Verdict::Positive) => return Err(format!("the engine decides flag {id} positive; it cannot be marked indeterminate")),
            Some(_) => {}
            None if three_valued => return Err(format!("the engine (three-valued) decides flag {id} negative: correct the mark")),
            None => {
                let spec = inst.spec().flags.iter().find(|f| f.id == id).ok_or(format!("no flag {id}"))?;
                let mut all = missing.clone();
                all.extend(&refused);
                all.sort_unstable();
                report.flags.push(FlagResult {
                    id: spec.id.clone(),
                    verdict: Verdict::Indeterminate,
                    level: spec.level,
                    label: spec.label.clone(),
                    reason: spec.reason.clone(),
                    items: all,
                    missing_items: missing,
                    refused_items: refused,
                    evidence: Vec::new(),
                    source: spec.source.clone(),
                });
                let order: Vec<&str> = inst.spec().flags.iter().map(|f| f.id.as_str()).collect();
                report.flags.sort_by_key(|f| order.iter().position(|o| *o == f.id));
            }
        }
    }
    let mut v = serde_json::to_value(&report).map_err(|e| e.to_string())?;
    for edit in src.get("edits").and_then(Value::as_array).into_iter().flatten() {
        let pointer = edit["pointer"].as_str().ok_or("edit without pointer")?;
        let (parent, last) = pointer.rsplit_once('/').ok_or("bad pointer")?;
        let target = v.pointer_mut(parent).ok_or(format!("no {parent} in the report"))?;
        let remove = edit.get("remove").is_some_and(|r| r == true);
        match target {
            Value::Array(a) if last == "-" => a.push(edit["value"].clone()),
            Value::Array(a) => {
                let i: usize = last.parse().map_err(|_| format!("bad index in {pointer}"))?;
                if i >= a.len() {
                    return Err(format!("no {pointer} in the report"));
                }
                if remove {
                    a.remove(i);
                } else {
                    a[i] = edit["value"].clone();
                }
            }
            Value::Object(m) => {
                if remove {
                    m.remove(last);
                } else {
                    m.insert(last.to_owned(), edit["value"].clone());
                }
            }
            _ => return Err(format!("{parent} is not a container")),
        }
    }
    Ok(v)
}

/// Whether a decision cites a ground for its tier: a fired rule at the tier with sources, or a
/// hold that names the rules that raised the tier (with sources) or the tier's own sources.
fn cites_its_grounds(d: &changkaixin_core::AlertDecision) -> bool {
    d.tier.index == 0
        || d.fired_rules.iter().any(|r| r.tier == d.tier.id && !r.sources.is_empty())
        || d.held_by
            .as_ref()
            .is_some_and(|h| h.raised_by.iter().any(|r| !r.sources.is_empty()) || !h.tier_sources.is_empty())
}

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
            let sources = case.get("report_sources").and_then(Value::as_array).cloned().unwrap_or_default();
            for src in &sources {
                let i = src["screening"].as_u64().expect("report_sources[].screening") as usize;
                match build_report(&policy, src) {
                    Ok(report) => {
                        let slot = &mut case["evidence"]["screenings"][i]["report"];
                        if normalise(slot) != normalise(&report) {
                            if update {
                                *slot = report;
                                changed = true;
                            } else {
                                failures.push(format!(
                                    "{name}: screening {i}'s report differs from what its report_sources produce (run with UPDATE_VECTORS=1 and review the diff)"
                                ));
                            }
                        }
                    }
                    Err(e) => failures.push(format!("{name}: report_sources for screening {i}: {e}")),
                }
            }
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
            // ... and cites its grounds, in both languages, never "no rule fired".
            if !cites_its_grounds(&d) {
                failures.push(format!("{name}: tier {} cites no ground", d.tier.id));
            }
            if d.tier.index > 0 && (d.summary.en.contains("No rule fired") || d.summary.zh.contains("未触发任何规则")) {
                failures.push(format!("{name}: the summary of tier {} says no rule fired", d.tier.id));
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
