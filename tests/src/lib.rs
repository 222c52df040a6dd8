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

pub mod report;

use changkaixin_core::scoring::recode::CodeMapSpec;
use changkaixin_core::{Answer, Catalog, Instrument, Response, ScoreReport, Verdict};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The repository root (parent of this crate).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_default()
}

/// Rewrite a vector file after `UPDATE_VECTORS=1` (pretty JSON and a final newline: the one layout
/// every vector file has, so a regeneration changes only what the engine changed).
#[allow(clippy::expect_used)]
pub fn write_vectors(path: &Path, file: &Value) {
    let mut out = serde_json::to_string_pretty(file).expect("serialise vectors");
    out.push('\n');
    std::fs::write(path, out).expect("write vectors");
    eprintln!("updated {}", path.display());
}

/// Every built-in instrument, the MHT-shaped fixture, and each of them under every single setting
/// option: the variants the property tests range over. Built once per test binary; a fixture that
/// does not load or a setting that does not apply fails the test loudly.
#[allow(clippy::expect_used)]
pub fn instrument_variants() -> &'static [Instrument] {
    static ALL: std::sync::OnceLock<Vec<Instrument>> = std::sync::OnceLock::new();
    ALL.get_or_init(|| {
        let mut v: Vec<Instrument> = Catalog::builtin().instruments().cloned().collect();
        let mht = std::fs::read_to_string(repo_root().join("tests/fixtures/mht_synthetic.json")).expect("MHT-shaped fixture");
        v.push(Instrument::from_json(&mht).expect("MHT-shaped fixture compiles"));
        let mut extra = Vec::new();
        for i in &v {
            for s in &i.source_spec().settings {
                for o in &s.options {
                    extra.push(
                        i.with_settings(&BTreeMap::from([(s.id.clone(), o.id.clone())]))
                            .expect("every setting option applies"),
                    );
                }
            }
        }
        v.extend(extra);
        v
    })
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

/// Score a case; `Err` carries the core error.
///
/// The case gives either `response` (a `Response`, scored with `Instrument::score`) or
/// `answers_list` (a positional list, scored with `Instrument::score_answers`); an optional
/// `code_map` (a `CodeMapSpec`) is checked with `Instrument::code_map` and applied.
pub fn score_case(inst: &Instrument, case: &Value) -> Result<Result<ScoreReport, changkaixin_core::Error>, String> {
    let map = match case.get("code_map") {
        None => None,
        Some(v) => {
            let spec: CodeMapSpec = serde_json::from_value(v.clone()).map_err(|e| format!("bad code_map in vector: {e}"))?;
            match inst.code_map(&spec) {
                Ok(m) => Some(m),
                Err(e) => return Ok(Err(e)),
            }
        }
    };
    if let Some(list) = case.get("answers_list") {
        let answers: Vec<Answer> = serde_json::from_value(list.clone()).map_err(|e| format!("bad answers_list in vector: {e}"))?;
        return Ok(match &map {
            Some(m) => inst.score_answers_with_code_map(&answers, m),
            None => inst.score_answers(&answers),
        });
    }
    let resp: Response = serde_json::from_value(case.get("response").cloned().unwrap_or(Value::Null)).map_err(|e| format!("bad response in vector: {e}"))?;
    Ok(match &map {
        Some(m) => inst.score_with_code_map(&resp, m),
        None => inst.score(&resp),
    })
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
    // `flags`: the exact set of positive flags; `flags_indeterminate`: the exact set of
    // indeterminate ones (absent = none, whenever `flags` is given).
    if expect.get("flags").is_some() || expect.get("flags_indeterminate").is_some() {
        for (key, verdict) in [("flags", Verdict::Positive), ("flags_indeterminate", Verdict::Indeterminate)] {
            let mut want: Vec<&str> = expect
                .get(key)
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            want.sort_unstable();
            let mut got: Vec<&str> = report.flags.iter().filter(|f| f.verdict == verdict).map(|f| f.id.as_str()).collect();
            got.sort_unstable();
            if want != got {
                bad.push(format!("{key}: expected {want:?}, got {got:?}"));
            }
        }
    }
    // `screen_positive`: the screen verdict, "positive" | "negative" | "indeterminate".
    if let Some(sp) = expect.get("screen_positive") {
        let got = report.screen_positive.as_ref().map(|s| s.verdict.as_str());
        match sp.as_str() {
            Some(want) if Some(want) == got => {}
            Some(_) => bad.push(format!("screen_positive: expected {sp}, got {got:?}")),
            None => bad.push(format!("screen_positive: expected a verdict string, the vector has {sp}")),
        }
    }
    for (key, pick) in [("screen_missing_items", 0), ("screen_refused_items", 1)] {
        if let Some(want) = expect.get(key) {
            let got = report
                .screen_positive
                .as_ref()
                .map(|s| if pick == 0 { s.missing_items.clone() } else { s.refused_items.clone() });
            let want: Option<Vec<u32>> = serde_json::from_value(want.clone()).ok();
            if want != got {
                bad.push(format!("{key}: expected {want:?}, got {got:?}"));
            }
        }
    }
    bad
}
