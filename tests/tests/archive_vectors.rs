//! Replays `tests/vectors/archive/*.json`: every case's record is validated; a valid case must
//! validate and its canonical JSON (the current version, times in UTC) must equal the stored
//! `canonical`; an invalid case must fail with exactly the hand-written `expect_errors`
//! (code + path), or with at least `expect_errors_include`. Every record kind has a file, every
//! kind has a valid case for each of its versions, and every `archive.*` validation code is
//! expected somewhere.
//!
//! `UPDATE_VECTORS=1 cargo test -p changkaixin-tests --test archive_vectors` rewrites the
//! `canonical` fields (never the expectations); `tests/scripts/make_archive_vectors.py` writes the
//! cases and keeps `canonical`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use changkaixin_core::archive::{self, RecordKind};
use changkaixin_tests::{normalise, vector_files, write_vectors};
use serde_json::{json, Value};
use std::collections::BTreeSet;

fn pairs(v: &Value) -> BTreeSet<(String, String)> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|e| (e["code"].as_str().unwrap().to_owned(), e["path"].as_str().unwrap().to_owned()))
        .collect()
}

#[test]
fn archive_vectors() {
    let update = std::env::var("UPDATE_VECTORS").is_ok();
    let files = vector_files("archive");
    let mut kinds = BTreeSet::new();
    let mut versions_valid = BTreeSet::new();
    let mut codes_seen = BTreeSet::new();
    let mut failures = Vec::new();
    let mut cases = 0;
    for path in &files {
        let mut file: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        assert_eq!(file["kind"], "archive", "{}", path.display());
        let kind = RecordKind::from_name(file["record_kind"].as_str().unwrap()).expect("record_kind");
        kinds.insert(kind);
        let mut changed = false;
        for case in file["cases"].as_array_mut().unwrap() {
            cases += 1;
            let name = case["name"].as_str().unwrap().to_owned();
            let text = case["record"].to_string();
            let got = archive::validate(&text);
            match (case.get("expect").and_then(Value::as_str), got) {
                (Some("valid"), Ok(rec)) => {
                    assert_eq!(rec.kind(), kind, "{name}");
                    versions_valid.insert((kind, case["record"]["schema_version"].as_u64().unwrap()));
                    let canon: Value = serde_json::from_str(&rec.to_json()).unwrap();
                    // Round trip: the canonical form validates to the same record.
                    let again = archive::validate(&rec.to_json()).unwrap_or_else(|e| panic!("{name}: canonical form refused: {e:?}"));
                    assert_eq!(again, rec, "{name}: canonical form round-trips");
                    if update {
                        case["canonical"] = canon;
                        changed = true;
                    } else if case.get("canonical").map(normalise) != Some(normalise(&canon)) {
                        failures.push(format!("{}: {name}: canonical differs", path.display()));
                    }
                }
                (Some("valid"), Err(errs)) => failures.push(format!("{}: {name}: expected valid, got {errs:?}", path.display())),
                (_, Ok(_)) => failures.push(format!("{}: {name}: expected errors, validated", path.display())),
                (_, Err(errs)) => {
                    let got: BTreeSet<(String, String)> = errs.iter().map(|e| (e.code().to_owned(), e.path().to_owned())).collect();
                    for e in &errs {
                        codes_seen.insert(e.code().to_owned());
                        assert!(!e.message().is_empty());
                    }
                    if let Some(want) = case.get("expect_errors") {
                        if pairs(want) != got {
                            failures.push(format!("{}: {name}: errors {got:?}, expected {:?}", path.display(), pairs(want)));
                        }
                    }
                    if let Some(want) = case.get("expect_errors_include") {
                        if !pairs(want).is_subset(&got) {
                            failures.push(format!("{}: {name}: errors {got:?} lack {:?}", path.display(), pairs(want)));
                        }
                    }
                    assert!(
                        case.get("expect_errors").is_some() || case.get("expect_errors_include").is_some(),
                        "{name}: no expectation"
                    );
                }
            }
        }
        if changed {
            write_vectors(path, &file);
        }
    }
    assert!(failures.is_empty(), "{} failing cases:\n{}", failures.len(), failures.join("\n"));
    assert_eq!(kinds.len(), RecordKind::ALL.len(), "a vector file for every record kind");
    for &k in RecordKind::ALL {
        for v in k.versions() {
            assert!(versions_valid.contains(&(k, u64::from(v))), "a valid {} version {v} case", k.name());
        }
    }
    for code in [
        "archive.unknown_schema",
        "archive.unsupported_version",
        "archive.missing_field",
        "archive.unknown_field",
        "archive.invalid_type",
        "archive.invalid_value",
        "archive.empty",
        "archive.time_order",
        "archive.required_when",
        "archive.inconsistent",
        "archive.bad_reference",
        "archive.report_mismatch",
    ] {
        assert!(codes_seen.contains(code), "no vector expects {code}");
    }
    assert!(cases > 100, "{cases} cases");
    let _ = json!(null);
}

/// A version-1 record and the version-2 record it migrates to validate to the same record.
#[test]
fn migrations_reach_the_current_version() {
    for (kind, old_name, new_name) in [
        (
            "student_file",
            "version 1 with a full birth date migrates to year-month",
            "valid file with a withdrawn consent",
        ),
        ("counselling_record", "version 1 migrates to version 2", "open case, five parts"),
    ] {
        let path = changkaixin_tests::repo_root().join(format!("tests/vectors/archive/{kind}.json"));
        let file: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let find = |n: &str| file["cases"].as_array().unwrap().iter().find(|c| c["name"] == n).unwrap()["record"].to_string();
        let old = archive::validate(&find(old_name)).unwrap();
        let new = archive::validate(&find(new_name)).unwrap();
        assert_eq!(old, new, "{kind}: migrated v1 equals v2");
    }
}
