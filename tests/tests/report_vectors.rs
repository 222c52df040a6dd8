//! Replays `tests/vectors/report/*.json` (kind `city_report`): each case's hand-written `expect`
//! (students screened, chosen cells published with their count, rate and Wilson bounds or
//! suppressed, coverage, change) or `expect_error` (code, row), the generated `report` / `error`
//! (byte for byte after JSON normalisation), the audit (every suppressed cell protected), and that
//! neither the report JSON nor its HTML holds a suppressed cell's value at the cell's place.
//!
//! `UPDATE_VECTORS=1 cargo test -p changkaixin-tests --test report_vectors` rewrites `report` /
//! `error` (never `expect`); review the diff before committing.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use changkaixin_core::report::{to_html, CellState, CityReport};
use changkaixin_tests::report::run_case;
use changkaixin_tests::{normalise, vector_files, write_vectors};
use serde_json::Value;

fn table<'a>(m: &'a Value, name: &str) -> &'a Value {
    &m[name]
}

fn find_cell<'a>(rep: &'a Value, want: &Value) -> Option<&'a Value> {
    let m = rep["measures"].as_array()?.iter().find(|m| m["id"] == want["measure"])?;
    let t = table(m, want["table"].as_str()?);
    let r = t["rows"].as_array()?.iter().position(|h| h["id"] == want["row"])?;
    let c = t["cols"].as_array()?.iter().position(|h| h["id"] == want["col"])?;
    let k = m["categories"].as_array()?.iter().position(|h| h["id"] == want["category"])?;
    let k_n = m["categories"].as_array()?.len();
    let cols = t["cols"].as_array()?.len();
    t["cells"].get((r * cols + c) * k_n + k)
}

fn check_expect(report: &CityReport, expect: &Value) -> Vec<String> {
    let rep = serde_json::to_value(report).unwrap();
    let mut bad = Vec::new();
    if let Some(n) = expect.get("screened") {
        if rep["screened"] != *n {
            bad.push(format!("screened {} (expected {n})", rep["screened"]));
        }
    }
    for want in expect.get("cells").and_then(Value::as_array).into_iter().flatten() {
        let Some(cell) = find_cell(&rep, want) else {
            bad.push(format!("no cell {want}"));
            continue;
        };
        match want["count"] {
            Value::Null => {
                if cell["state"] != "suppressed" {
                    bad.push(format!("{want}: expected suppressed, got {cell}"));
                }
            }
            ref n => {
                if cell["count"] != *n || cell["state"] != "published" {
                    bad.push(format!("{want}: got {cell}"));
                }
                for k in ["pct", "lo", "hi", "change", "change_pct", "previous_pct"] {
                    if let Some(w) = want.get(k) {
                        if cell[k] != *w {
                            bad.push(format!("{want}: {k} {} (expected {w})", cell[k]));
                        }
                    }
                }
            }
        }
    }
    for want in expect.get("coverage").and_then(Value::as_array).into_iter().flatten() {
        let t = &rep["coverage"][want["table"].as_str().unwrap()];
        let r = t["rows"].as_array().unwrap().iter().position(|h| h["id"] == want["row"]);
        let c = t["cols"].as_array().unwrap().iter().position(|h| h["id"] == want["col"]);
        let (Some(r), Some(c)) = (r, c) else {
            bad.push(format!("no coverage cell {want}"));
            continue;
        };
        let cell = &t["cells"][r * t["cols"].as_array().unwrap().len() + c];
        for k in ["screened", "enrolled", "coverage"] {
            if let Some(w) = want.get(k) {
                if cell[k] != *w {
                    bad.push(format!("coverage {want}: {k} {} (expected {w})", cell[k]));
                }
            }
        }
    }
    bad
}

/// No suppressed cell's value at its place: the JSON cell has no number, the HTML cell shows `S`.
fn check_no_leak(report: &CityReport) -> Vec<String> {
    let html = to_html(report);
    let mut bad = Vec::new();
    for m in &report.measures {
        for (name, t) in [
            ("district_grade", &m.district_grade),
            ("school_grade", &m.school_grade),
            ("grade_sex", &m.grade_sex),
        ] {
            let k_n = m.categories.len();
            for r in 0..t.rows.len() {
                for c in 0..t.cols.len() {
                    for k in 0..k_n {
                        let cell = t.cell(r, c, k, k_n).unwrap();
                        if cell.state != CellState::Suppressed {
                            continue;
                        }
                        if cell.count.is_some() || cell.pct.is_some() || cell.lo.is_some() || cell.hi.is_some() || cell.change.is_some() {
                            bad.push(format!("{} {name} {r} {c} {k}: suppressed cell carries a value", m.id));
                        }
                        let key = format!("{}|{name}|{}|{}|{}", m.id, t.rows[r].id, t.cols[c].id, m.categories[k].id);
                        let td = format!(r#"<td class="sup" data-k="{key}" title="已抑制 suppressed">S</td>"#);
                        if !html.contains(&td) {
                            bad.push(format!("{key}: the HTML cell is not the suppression mark"));
                        }
                        if html.contains(&format!(r#"<rect class="bar" data-k="{key}""#)) {
                            bad.push(format!("{key}: a chart draws a suppressed cell"));
                        }
                    }
                }
            }
        }
    }
    bad
}

#[test]
fn report_vectors() {
    let update = std::env::var("UPDATE_VECTORS").is_ok();
    let files = vector_files("report");
    assert!(!files.is_empty(), "no report vectors");
    let mut failures = Vec::new();
    let mut n = 0;
    for path in files {
        let mut file: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(file["kind"], "city_report");
        let mut changed = false;
        for case in file["cases"].as_array_mut().unwrap() {
            n += 1;
            let name = case["name"].as_str().unwrap_or("").to_owned();
            let out = run_case(case).unwrap_or_else(|e| panic!("{name}: malformed case: {e}"));
            match (out, case.get("expect_error").cloned()) {
                (Ok((report, audit)), None) => {
                    for b in check_expect(&report, &case["expect"]) {
                        failures.push(format!("{name}: {b}"));
                    }
                    for b in check_no_leak(&report) {
                        failures.push(format!("{name}: {b}"));
                    }
                    if !audit.all_protected() {
                        failures.push(format!("{name}: audit failed"));
                    }
                    for m in &audit.measures {
                        for c in &m.cells {
                            if c.hi < c.lo + c.required || c.value < c.lo || c.value > c.hi {
                                failures.push(format!("{name}: audit cell {c:?}"));
                            }
                        }
                    }
                    let got = serde_json::to_value(&report).unwrap();
                    if update {
                        case["report"] = got;
                        changed = true;
                    } else if normalise(&case["report"]) != normalise(&got) {
                        failures.push(format!("{name}: report differs from the stored one"));
                    }
                }
                (Err(e), Some(want)) => {
                    if e.code() != want["code"].as_str().unwrap_or("") {
                        failures.push(format!("{name}: error {} (expected {})", e.code(), want["code"]));
                    }
                    if let Some(r) = want.get("row").and_then(Value::as_u64) {
                        if e.row() != Some(r) {
                            failures.push(format!("{name}: error row {:?} (expected {r})", e.row()));
                        }
                    }
                    let got = serde_json::to_value(&e).unwrap();
                    if update {
                        case["error"] = got;
                        changed = true;
                    } else if normalise(&case["error"]) != normalise(&got) {
                        failures.push(format!("{name}: error differs from the stored one"));
                    }
                }
                (Ok(_), Some(w)) => failures.push(format!("{name}: expected error {w}, got a report")),
                (Err(e), None) => failures.push(format!("{name}: unexpected error {e}")),
            }
        }
        if update && changed {
            write_vectors(&path, &file);
        }
    }
    assert!(n >= 8);
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
}

/// A chunked replay numbers an error's row from the first row of all the columns: a bad grade
/// code in row 10 is reported at row 10 when the rows are added seven at a time (the core says
/// row 3 of the second chunk).
#[test]
fn chunked_errors_are_numbered_from_the_first_row() {
    let file = vector_files("report").into_iter().next().unwrap();
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let spec: changkaixin_core::report::ReportSpec = serde_json::from_value(doc["cases"][0]["spec"].clone()).unwrap();
    let groups: Vec<Value> = vec![
        serde_json::json!({"school": 0, "grade": 0, "sex": 0, "n": 10, "screen": [0]}),
        serde_json::json!({"school": 0, "grade": 99, "sex": 0, "n": 1, "screen": [0]}),
    ];
    let cols = changkaixin_tests::report::Columns::from_groups(&spec, &groups);
    let e = changkaixin_tests::report::aggregate(&spec, &cols, 7).unwrap_err();
    assert_eq!((e.code(), e.row()), ("report.invalid_code", Some(10)), "{e}");
    let e = changkaixin_tests::report::aggregate(&spec, &cols, 1000).unwrap_err();
    assert_eq!(e.row(), Some(10));
}
