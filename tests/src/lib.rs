//! Shared helpers for golden-vector replay.
//!
//! Golden vectors live in `tests/vectors/` in one documented format
//! (`docs/golden-vectors.md`). Every binding replays the same files; this crate
//! replays them in Rust. Each scoring case carries hand-written expectations
//! (`expect` / `expect_error`, derived from the instrument references, never
//! from running the engine) and the full canonical report (`report`), which is
//! what bindings compare byte for byte. `UPDATE_VECTORS=1 cargo test` rewrites
//! `report` fields after a deliberate behaviour change; `expect` is never
//! rewritten.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

use changkaixin_core::{Catalog, Instrument, Response, ScoreReport};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The repository root (parent of this crate).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_default()
}

/// All `*.json` files under `tests/vectors/<sub>`, sorted.
pub fn vector_files(sub: &str) -> Vec<PathBuf> {
    let dir = repo_root().join("tests/vectors").join(sub);
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "json"))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// Canonical JSON: keys sorted, no whitespace (what bindings compare).
pub fn normalise(v: &Value) -> String {
    fn sort(v: &Value) -> Value {
        match v {
            Value::Object(m) => {
                let sorted: BTreeMap<&String, Value> = m.iter().map(|(k, v)| (k, sort(v))).collect();
                Value::Object(sorted.into_iter().map(|(k, v)| (k.clone(), v)).collect())
            }
            Value::Array(a) => Value::Array(a.iter().map(sort).collect()),
            other => other.clone(),
        }
    }
    sort(v).to_string()
}

/// The instrument a vector file (or case) targets, with the case's settings.
pub fn instrument_for(file: &Value, case: &Value) -> Result<Instrument, String> {
    let settings: BTreeMap<String, String> = case
        .get("settings")
        .cloned()
        .map(serde_json::from_value)
        .transpose()
        .map_err(|e| e.to_string())?
        .unwrap_or_default();
    if let Some(spec_file) = file.get("spec_file").and_then(Value::as_str) {
        let text = std::fs::read_to_string(repo_root().join(spec_file)).map_err(|e| format!("{spec_file}: {e}"))?;
        return Instrument::from_json_with(&text, &settings).map_err(|e| e.to_string());
    }
    let id = file
        .get("instrument")
        .and_then(Value::as_str)
        .ok_or("vector file names no instrument or spec_file")?;
    Catalog::builtin().instrument_with(id, &settings).map_err(|e| e.to_string())
}

/// Score a case's response; `Err` carries the core error.
pub fn score_case(inst: &Instrument, case: &Value) -> Result<Result<ScoreReport, changkaixin_core::Error>, String> {
    let resp: Response = serde_json::from_value(case.get("response").cloned().unwrap_or(Value::Null)).map_err(|e| format!("bad response in vector: {e}"))?;
    Ok(inst.score(&resp))
}

/// Check a report against a hand-written `expect` block; returns the list of mismatches.
pub fn check_expect(report: &ScoreReport, expect: &Value) -> Vec<String> {
    let mut bad = Vec::new();
    let rep = serde_json::to_value(report).unwrap_or(Value::Null);
    if let Some(v) = expect.get("validity").and_then(Value::as_str) {
        let got = rep["validity"]["status"].as_str().unwrap_or("");
        if got != v {
            bad.push(format!("validity: expected {v}, got {got}"));
        }
    }
    if let Some(scales) = expect.get("scales").and_then(Value::as_object) {
        for (id, want) in scales {
            let Some(got) = report.scale(id) else {
                bad.push(format!("scale {id}: not in report"));
                continue;
            };
            if let Some(s) = want.get("scored").and_then(Value::as_bool) {
                if got.scored != s {
                    bad.push(format!("scale {id}: scored expected {s}, got {}", got.scored));
                }
            }
            for key in ["raw", "score"] {
                if let Some(w) = want.get(key) {
                    let g = if key == "raw" { got.raw } else { got.score };
                    let g = g.map(|d| d.to_string());
                    if w.as_str().map(str::to_owned) != g {
                        bad.push(format!("scale {id}: {key} expected {w}, got {g:?}"));
                    }
                }
            }
            if let Some(w) = want.get("band") {
                let g = got.band.as_ref().map(|b| b.id.clone());
                if w.as_str().map(str::to_owned) != g {
                    bad.push(format!("scale {id}: band expected {w}, got {g:?}"));
                }
            }
            if let Some(w) = want.get("prorated").and_then(Value::as_bool) {
                if got.prorated != w {
                    bad.push(format!("scale {id}: prorated expected {w}, got {}", got.prorated));
                }
            }
        }
    }
    if let Some(flags) = expect.get("flags").and_then(Value::as_array) {
        let mut want: Vec<&str> = flags.iter().filter_map(Value::as_str).collect();
        want.sort_unstable();
        let mut got: Vec<&str> = report.flags.iter().map(|f| f.id.as_str()).collect();
        got.sort_unstable();
        if want != got {
            bad.push(format!("flags: expected {want:?}, got {got:?}"));
        }
    }
    if let Some(sp) = expect.get("screen_positive") {
        let want = match sp {
            Value::Bool(true) => Some("positive"),
            Value::Bool(false) => Some("negative"),
            other => other.as_str(),
        };
        let got = report.screen_positive.as_ref().map(|s| s.verdict.as_str());
        if want != got {
            bad.push(format!("screen_positive: expected {sp}, got {got:?}"));
        }
    }
    bad
}
