//! Replays every FHIR golden vector in `tests/vectors/fhir/` (format: docs/golden-vectors.md, "FHIR vectors").
//!
//! For each case: import the Questionnaire file (if any), pick the instrument (the imported skeleton
//! or a built-in id), score the QuestionnaireResponse file (if any) with
//! `score_questionnaire_response_detailed`, export the Observation (if asked). The hand-written
//! `expect` / `expect_error` must hold, and the canonical outputs (`spec`, `report`,
//! `stored_totals`, `observation`, `error`) must equal the stored ones after JSON normalisation.
//!
//! `UPDATE_VECTORS=1 cargo test -p changkaixin-tests --test fhir_vectors` rewrites the canonical
//! outputs (never `expect`); review the diff before committing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use changkaixin_core::fhir::{bind_questionnaire, export_observation, import_questionnaire, score_questionnaire_response_detailed};
use changkaixin_core::{Catalog, Error, Instrument};
use changkaixin_tests::{normalise, repo_root, vector_files};
use serde_json::{json, Value};
use std::collections::BTreeSet;

/// The canonical outputs of one case, and the error that stopped it (with its stage).
#[derive(Default)]
struct Outcome {
    spec: Option<Value>,
    report: Option<Value>,
    stored_totals: Option<Value>,
    observation: Option<Value>,
    error: Option<(&'static str, Error)>,
}

fn read(case: &Value, key: &str) -> Option<String> {
    let rel = case.get(key)?.as_str()?;
    Some(std::fs::read_to_string(repo_root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}")))
}

fn run(case: &Value) -> Outcome {
    let mut out = Outcome::default();
    let mut imported = None;
    let questionnaire = read(case, "questionnaire_file");
    if let Some(text) = &questionnaire {
        match import_questionnaire(text) {
            Ok(spec) => {
                out.spec = Some(serde_json::to_value(&spec).unwrap());
                imported = Some(spec);
            }
            Err(e) => {
                out.error = Some(("import", e));
                return out;
            }
        }
    }
    let named = case["instrument"].as_str().expect("case names an instrument");
    let inst = match named.strip_prefix("bind:") {
        _ if named == "import" => Instrument::from_spec(imported.expect("instrument \"import\" needs questionnaire_file")),
        Some(id) => {
            let builtin = Catalog::builtin().instrument(id).expect("a built-in instrument");
            match bind_questionnaire(&builtin, questionnaire.as_deref().expect("\"bind:\" needs questionnaire_file")) {
                Ok(i) => Ok(i),
                Err(e) => {
                    out.error = Some(("bind", e));
                    return out;
                }
            }
        }
        None => Catalog::builtin().instrument(named),
    };
    let inst = match inst {
        Ok(i) => i,
        Err(e) => {
            out.error = Some(("import", e));
            return out;
        }
    };
    let Some(text) = read(case, "response_file") else { return out };
    let scored = match score_questionnaire_response_detailed(&inst, &text) {
        Ok(s) => s,
        Err(e) => {
            out.error = Some(("score", e));
            return out;
        }
    };
    out.report = Some(serde_json::to_value(&scored.report).unwrap());
    out.stored_totals = Some(serde_json::to_value(&scored.stored_totals).unwrap());
    if let Some(x) = case.get("export") {
        let s = |k: &str| x[k].as_str().unwrap_or_else(|| panic!("export.{k}"));
        match export_observation(&inst, &scored.report, s("scale"), s("subject"), s("effective")) {
            Ok(o) => out.observation = Some(o),
            Err(e) => out.error = Some(("export", e)),
        }
    }
    out
}

fn same(bad: &mut Vec<String>, what: &str, want: &Value, got: Value) {
    if *want != got {
        bad.push(format!("{what}: expected {want}, got {got}"));
    }
}

/// Check the hand-written expectations; returns the mismatches.
fn check(case: &Value, out: &Outcome) -> Vec<String> {
    let mut bad = Vec::new();
    match (case.get("expect_error"), &out.error) {
        (Some(want), Some((stage, e))) => {
            same(&mut bad, "error stage", &want["stage"], json!(stage));
            same(&mut bad, "error code", &want["code"], json!(e.code()));
            if let Some(p) = want.get("path") {
                same(&mut bad, "error path", p, json!(e.path()));
            }
            if let Some(i) = want.get("item") {
                same(&mut bad, "error item", i, json!(e.item()));
            }
        }
        (Some(want), None) => bad.push(format!("expected error {want}, got none")),
        (None, Some((stage, e))) => bad.push(format!("unexpected error at {stage}: {e}")),
        (None, None) => {}
    }
    let Some(expect) = case.get("expect") else { return bad };
    if let Some(want) = expect.get("spec") {
        let spec = out.spec.clone().unwrap_or(Value::Null);
        let items = spec["items"].as_array().cloned().unwrap_or_default();
        let fhir = &spec["fhir"];
        let or_empty = |v: &Value, empty: Value| if v.is_null() { empty } else { v.clone() };
        same(&mut bad, "spec.items", &want["items"], json!(items.len()));
        same(
            &mut bad,
            "spec.scored_items",
            &want["scored_items"],
            json!(items.iter().filter(|i| i.get("scored") != Some(&json!(false))).count()),
        );
        same(
            &mut bad,
            "spec.calculated_link_ids",
            &want["calculated_link_ids"],
            or_empty(&fhir["calculated_link_ids"], json!([])),
        );
        same(
            &mut bad,
            "spec.calculated_scales",
            &want["calculated_scales"],
            or_empty(&fhir["calculated_scales"], json!({})),
        );
        same(
            &mut bad,
            "spec.ignored_link_ids",
            &want["ignored_link_ids"],
            or_empty(&fhir["ignored_link_ids"], json!([])),
        );
        same(
            &mut bad,
            "spec.total_code",
            &want["total_code"],
            fhir["observation_codes"]["total"]["code"].clone(),
        );
    }
    let report = out.report.clone().unwrap_or(Value::Null);
    let total = report["scales"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["id"] == "total"))
        .cloned()
        .unwrap_or(Value::Null);
    if let Some(w) = expect.get("total") {
        same(&mut bad, "total", w, total["raw"].clone());
    }
    if let Some(w) = expect.get("band") {
        same(&mut bad, "band", w, total["band"]["id"].clone());
    }
    if let Some(w) = expect.get("validity") {
        same(&mut bad, "validity", w, report["validity"]["status"].clone());
    }
    if let Some(w) = expect.get("answered") {
        same(&mut bad, "answered", w, report["items"]["answered"].clone());
    }
    if let Some(w) = expect.get("item9_flag") {
        let positive = report["flags"]
            .as_array()
            .is_some_and(|f| f.iter().any(|f| f["id"] == "item9_self_harm" && f["verdict"] == "positive"));
        same(&mut bad, "item9_flag", w, json!(positive));
    }
    if let Some(w) = expect.get("stored_totals").and_then(Value::as_array) {
        let got = out.stored_totals.clone().unwrap_or(json!([]));
        let got = got.as_array().cloned().unwrap_or_default();
        if got.len() != w.len() {
            bad.push(format!("stored_totals: expected {} entries, got {}", w.len(), got.len()));
        }
        for (want, got) in w.iter().zip(&got) {
            for key in ["link_id", "stored", "status"] {
                same(&mut bad, &format!("stored_totals.{key}"), &want[key], got[key].clone());
            }
        }
    }
    if let Some(w) = expect.get("observation") {
        let obs = out.observation.clone().unwrap_or(Value::Null);
        same(&mut bad, "observation.code", &w["code"], obs["code"]["coding"][0]["code"].clone());
        let value = obs
            .get("valueInteger")
            .or_else(|| obs.pointer("/valueQuantity/value"))
            .map_or(Value::Null, |v| json!(v.to_string()));
        same(&mut bad, "observation.value", &w["value"], value);
    }
    bad
}

#[test]
fn fhir_vectors_replay() {
    let update = std::env::var("UPDATE_VECTORS").is_ok_and(|v| v == "1");
    let files = vector_files("fhir");
    assert!(!files.is_empty(), "no FHIR vectors found");
    let mut failures = Vec::new();
    let mut n_cases = 0;
    let mut codes = BTreeSet::new();
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        let mut file: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(file["format"], "changkaixin.vectors/1", "{}", path.display());
        assert_eq!(file["kind"], "fhir", "{}", path.display());
        let cases = file["cases"].as_array_mut().unwrap_or_else(|| panic!("{}: no cases", path.display()));
        assert!(!cases.is_empty(), "{}: empty", path.display());
        for case in cases.iter_mut() {
            n_cases += 1;
            let name = format!("{} / {}", path.file_name().unwrap().to_string_lossy(), case["name"].as_str().unwrap_or("?"));
            let out = run(case);
            if let Some((_, e)) = &out.error {
                codes.insert(e.code());
            }
            let bad = check(case, &out);
            if !bad.is_empty() {
                failures.push(format!("{name}: {}", bad.join("; ")));
            }
            let error = out.error.as_ref().map(|(_, e)| serde_json::to_value(e).unwrap());
            let outputs = [
                ("spec", out.spec),
                ("report", out.report),
                ("stored_totals", out.stored_totals),
                ("observation", out.observation),
                ("error", error),
            ];
            for (key, got) in outputs {
                if update {
                    let obj = case.as_object_mut().unwrap();
                    match got {
                        Some(v) => {
                            obj.insert(key.to_owned(), v);
                        }
                        None => {
                            obj.remove(key);
                        }
                    }
                    continue;
                }
                match (case.get(key), got) {
                    (None, None) => {}
                    (Some(want), Some(got)) if normalise(want) == normalise(&got) => {}
                    (Some(want), Some(got)) => failures.push(format!(
                        "{name}: {key} differs from the stored vector\n  want {}\n  got  {}",
                        normalise(want),
                        normalise(&got)
                    )),
                    (None, Some(_)) => failures.push(format!("{name}: no stored {key} (run with UPDATE_VECTORS=1 once the expectations pass)")),
                    (Some(_), None) => failures.push(format!("{name}: stored {key}, but the engine produced none")),
                }
            }
        }
        if update {
            changkaixin_tests::write_vectors(path, &file);
        }
    }
    assert!(failures.is_empty(), "{} of {n_cases} cases failed:\n{}", failures.len(), failures.join("\n"));
    // Every fhir.* error code has a vector.
    let missing: Vec<&str> = changkaixin_core::ErrorCode::ALL
        .iter()
        .map(|c| c.as_str())
        .filter(|c| c.starts_with("fhir.") && !codes.contains(c))
        .collect();
    assert!(missing.is_empty(), "FHIR error codes without a vector: {missing:?}");
    eprintln!("{n_cases} FHIR vector cases passed");
}
