//! Replays every scoring golden vector in `tests/vectors/scoring/`.
//!
//! For each case: the hand-written `expect` (or `expect_error`) must hold, and
//! the canonical report must equal the stored `report` byte for byte after
//! normalisation. `UPDATE_VECTORS=1` rewrites `report` fields only.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use changkaixin_tests::*;
use serde_json::Value;

#[test]
fn scoring_vectors_replay() {
    let update = std::env::var("UPDATE_VECTORS").is_ok_and(|v| v == "1");
    let files = vector_files("scoring");
    assert!(!files.is_empty(), "no scoring vectors found");
    let mut failures = Vec::new();
    let mut n_cases = 0;
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        let mut file: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(file["format"], "changkaixin.vectors/1", "{}", path.display());
        assert_eq!(file["kind"], "score", "{}", path.display());
        let file_meta = file.clone();
        let cases = file["cases"].as_array_mut().unwrap_or_else(|| panic!("{}: no cases", path.display()));
        assert!(!cases.is_empty(), "{}: empty", path.display());
        for case in cases.iter_mut() {
            n_cases += 1;
            let name = format!("{} / {}", path.file_name().unwrap().to_string_lossy(), case["name"].as_str().unwrap_or("?"));
            let inst = match instrument_for(&file_meta, case) {
                Ok(i) => i,
                Err(e) => {
                    if let Some(want) = case.get("expect_error") {
                        if e.starts_with(want["code"].as_str().unwrap_or("?")) {
                            continue;
                        }
                    }
                    failures.push(format!("{name}: cannot load instrument: {e}"));
                    continue;
                }
            };
            match (score_case(&inst, case), case.get("expect_error").cloned()) {
                (Err(e), _) => failures.push(format!("{name}: {e}")),
                (Ok(Ok(rep)), None) => {
                    let bad = check_expect(&rep, &case["expect"]);
                    if !bad.is_empty() {
                        failures.push(format!("{name}: {}", bad.join("; ")));
                    }
                    let got = serde_json::to_value(&rep).unwrap();
                    if update {
                        case["report"] = got;
                    } else {
                        match case.get("report") {
                            None => failures.push(format!("{name}: no stored report (run with UPDATE_VECTORS=1 once the expectations pass)")),
                            Some(want) if normalise(want) != normalise(&got) => failures.push(format!(
                                "{name}: report differs from stored vector\n  want {}\n  got  {}",
                                normalise(want),
                                normalise(&got)
                            )),
                            _ => {}
                        }
                    }
                }
                (Ok(Ok(_)), Some(want)) => failures.push(format!("{name}: expected error {want}, got a report")),
                (Ok(Err(e)), None) => failures.push(format!("{name}: unexpected error {e}")),
                (Ok(Err(e)), Some(want)) => {
                    if want["code"].as_str() != Some(e.code()) {
                        failures.push(format!("{name}: expected error {}, got {}", want["code"], e.code()));
                    }
                    if let Some(item) = want.get("item").and_then(Value::as_u64) {
                        if e.item() != Some(item as u32) {
                            failures.push(format!("{name}: expected error item {item}, got {:?}", e.item()));
                        }
                    }
                    let got = serde_json::to_value(&e).unwrap();
                    if update {
                        case["error"] = got;
                    } else if case.get("error").is_some_and(|w| normalise(w) != normalise(&got)) {
                        failures.push(format!("{name}: error differs from stored vector: {}", normalise(&got)));
                    }
                }
            }
        }
        if update {
            changkaixin_tests::write_vectors(path, &file);
        }
    }
    assert!(failures.is_empty(), "{} of {n_cases} cases failed:\n{}", failures.len(), failures.join("\n"));
    eprintln!("{n_cases} scoring vector cases passed");
}

#[test]
fn every_builtin_instrument_loads_and_has_vectors() {
    let cat = changkaixin_core::Catalog::builtin();
    assert!(cat.load_errors().is_empty(), "built-in specs failing lint: {:?}", cat.load_errors());
    let ids: Vec<&str> = cat.ids().collect();
    assert_eq!(ids.len(), 16, "{ids:?}");
    for id in ids {
        let p = repo_root().join(format!("tests/vectors/scoring/{id}.json"));
        assert!(p.exists(), "no golden vectors for {id}");
    }
}
