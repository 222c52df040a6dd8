//! wasm-bindgen tests, run inside WebAssembly under Node (`wasm-bindgen-test-runner`):
//! every golden vector through the JS-facing API, compared with the stored Rust result
//! after JSON normalisation, plus the API's error and batch contracts.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use changkaixin_tests::normalise;
use changkaixin_wasm::*;
use js_sys::{Reflect, JSON};
use serde_json::Value;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;

include!(concat!(env!("OUT_DIR"), "/embedded_files.rs"));

/// Install the built-in data as the package entry point does (once per module instance): the
/// core's own texts, passed through `installBuiltinData`.
fn setup() {
    use changkaixin_core::alert::CHANGZHOU_DEFAULT_JSON;
    use changkaixin_core::instrument::catalog::BUILTIN_SPECS;
    static DONE: std::sync::OnceLock<()> = std::sync::OnceLock::new();
    DONE.get_or_init(|| {
        let list = |items: &[(&str, &str)]| -> Value { items.iter().map(|(id, t)| serde_json::json!([id, t])).collect() };
        let data = serde_json::json!({
            "format": "changkaixin.wasm-data/1",
            "instruments": list(BUILTIN_SPECS),
            "policies": list(&[("changzhou_default", CHANGZHOU_DEFAULT_JSON)]),
            "schemas": changkaixin_core::archive::exported_schemas()
                .into_iter()
                .map(|(file, text)| serde_json::json!([file.trim_end_matches(".schema.json"), text]))
                .collect::<Value>(),
        });
        install_builtin_data(js_of(&data)).unwrap();
        // A second install is refused.
        assert!(install_builtin_data(js_of(&data)).is_err());
    });
}

fn js_of(v: &Value) -> JsValue {
    JSON::parse(&v.to_string()).unwrap()
}

fn value_of(v: &JsValue) -> Value {
    serde_json::from_str(&JSON::stringify(v).unwrap().as_string().unwrap()).unwrap()
}

fn err<T>(r: Result<T, JsValue>) -> JsValue {
    match r {
        Ok(_) => panic!("expected an error"),
        Err(e) => e,
    }
}

fn prop(v: &JsValue, k: &str) -> JsValue {
    Reflect::get(v, &JsValue::from_str(k)).unwrap()
}

/// The error a vector stores, rebuilt from the thrown JS error's properties.
fn error_fields(e: &JsValue) -> Value {
    assert!(e.is_instance_of::<js_sys::Error>(), "thrown value is not an Error: {e:?}");
    assert_eq!(prop(e, "name").as_string().as_deref(), Some("ChangkaixinError"));
    assert!(is_changkaixin_error(e));
    let mut m = serde_json::Map::new();
    m.insert("code".into(), Value::String(prop(e, "code").as_string().unwrap()));
    m.insert("path".into(), Value::String(prop(e, "path").as_string().unwrap()));
    if let Some(i) = prop(e, "item").as_f64() {
        m.insert("item".into(), Value::from(i as u64));
    }
    if let Some(r) = prop(e, "row").as_f64() {
        m.insert("row".into(), Value::from(r as u64));
    }
    m.insert("message".into(), Value::String(prop(e, "message").as_string().unwrap()));
    Value::Object(m)
}

fn instrument_for(file: &Value, case: &Value) -> Result<Instrument, JsValue> {
    let settings = case.get("settings").map(|s| js_of(s).unchecked_into());
    match file.get("spec_file").and_then(Value::as_str) {
        Some(path) => {
            let (_, text) = FIXTURE_FILES
                .iter()
                .chain(VECTOR_FILES)
                .find(|(p, _)| *p == path)
                .unwrap_or_else(|| panic!("spec file {path} not embedded"));
            Instrument::from_spec(JsValue::from_str(text).unchecked_into(), settings)
        }
        None => Instrument::from_catalog(file["instrument"].as_str().unwrap(), settings),
    }
}

#[wasm_bindgen_test]
fn scoring_vectors_match_rust() {
    setup();
    let mut n = 0;
    let mut failures = Vec::new();
    for (path, text) in VECTOR_FILES.iter().filter(|(p, _)| p.starts_with("tests/vectors/scoring/")) {
        let file: Value = serde_json::from_str(text).unwrap();
        assert_eq!(file["kind"], "score", "{path}");
        for case in file["cases"].as_array().unwrap() {
            n += 1;
            let name = format!("{path} / {}", case["name"].as_str().unwrap_or("?"));
            // `code_map` (a declared recode) and `answers_list` (positional answers) are optional case fields.
            let code_map = || case.get("code_map").map(|m| js_of(m).unchecked_into());
            let result = instrument_for(&file, case).and_then(|inst| match case.get("answers_list") {
                Some(list) => inst.score_answers(js_of(list).unchecked_into(), code_map()).map(JsValue::from),
                None => inst.score(js_of(&case["response"]).unchecked_into(), code_map()).map(JsValue::from),
            });
            match (result, case.get("expect_error")) {
                (Ok(report), None) => {
                    let got = normalise(&value_of(&report));
                    let want = normalise(&case["report"]);
                    if got != want {
                        failures.push(format!("{name}: report differs\n  want {want}\n  got  {got}"));
                    }
                }
                (Err(e), Some(want)) => {
                    let got = error_fields(&e);
                    if got["code"] != want["code"] {
                        failures.push(format!("{name}: expected {}, got {}", want["code"], got["code"]));
                    }
                    if let Some(item) = want.get("item") {
                        if &got["item"] != item {
                            failures.push(format!("{name}: expected item {item}, got {}", got["item"]));
                        }
                    }
                    if let Some(stored) = case.get("error") {
                        if normalise(stored) != normalise(&got) {
                            failures.push(format!("{name}: error differs\n  want {}\n  got  {}", normalise(stored), normalise(&got)));
                        }
                    }
                }
                (Ok(_), Some(want)) => failures.push(format!("{name}: expected error {want}, got a report")),
                (Err(e), None) => failures.push(format!("{name}: unexpected error {}", error_fields(&e))),
            }
        }
    }
    assert!(n > 300, "only {n} cases found");
    assert!(failures.is_empty(), "{} of {n} cases failed:\n{}", failures.len(), failures.join("\n"));
}

#[wasm_bindgen_test]
fn catalog_lists_every_builtin_spec_with_chinese_texts() {
    setup();
    let ids: Vec<String> = catalog_ids().iter().map(|v| v.as_string().unwrap()).collect();
    assert_eq!(ids.len(), 16);
    for id in &ids {
        let spec = value_of(&catalog_spec(id).unwrap());
        assert_eq!(spec["id"], Value::String(id.clone()));
    }
    let phq9 = value_of(&catalog_spec("phq9").unwrap());
    assert!(phq9["items"][8]["text"]["zh"].as_str().is_some_and(|s| !s.is_empty()));
    let e = err(catalog_spec("nope"));
    assert_eq!(error_fields(&e)["code"], "catalog.unknown_instrument");
}

#[wasm_bindgen_test]
fn errors_are_real_errors_with_code_path_and_item() {
    setup();
    let phq9 = Instrument::from_catalog("phq9", None).unwrap();
    let e = err(phq9.score(js_of(&serde_json::json!({"answers": {"1": 7}})).unchecked_into(), None));
    let f = error_fields(&e);
    assert_eq!(f["code"], "score.unknown_option");
    assert_eq!(f["item"], 1);
    assert_eq!(f["path"], "/answers/1");
    assert_eq!(prop(&e, "category").as_string().as_deref(), Some("score"));
    // A float where a decimal belongs is refused exactly as in Rust.
    let e = err(Instrument::from_spec(JsValue::from_str("{\"format\": 1}").unchecked_into(), None));
    assert_eq!(error_fields(&e)["code"], "spec.parse");
    // Unknown fields in a response are refused (the core's deny_unknown_fields).
    let e = err(phq9.score(js_of(&serde_json::json!({"answer": {}})).unchecked_into(), None));
    assert_eq!(error_fields(&e)["code"], "score.parse");
    // A BigInt cannot be written as JSON: an error, not a trap.
    let big = js_sys::Object::new();
    Reflect::set(&big, &"answers".into(), &js_sys::BigInt::from(1u32).into()).unwrap();
    let e = err(phq9.score(JsValue::from(big).unchecked_into(), None));
    assert_eq!(error_fields(&e)["code"], "score.parse");
    let codes: Vec<String> = error_codes().iter().map(|v| v.as_string().unwrap()).collect();
    assert!(codes.contains(&"batch.unknown_option".to_owned()));
}

#[wasm_bindgen_test]
fn batch_over_every_buffer_type_equals_single_scoring() {
    setup();
    let phq9 = Instrument::from_catalog("phq9", None).unwrap();
    let rows: [[i32; 10]; 3] = [[1, 2, 1, 2, 1, 1, 1, 2, 1, -1], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0], [3, 3, 3, 3, 3, 3, 3, 3, 3, -1]];
    let flat: Vec<i32> = rows.iter().flatten().copied().collect();
    let opts = |missing: i32| {
        let o = js_sys::Object::new();
        Reflect::set(&o, &"missing".into(), &missing.into()).unwrap();
        JsValue::from(o).unchecked_into()
    };
    let i8s: Vec<i8> = flat.iter().map(|&c| c as i8).collect();
    let u8s: Vec<u8> = flat.iter().map(|&c| if c < 0 { 255 } else { c as u8 }).collect();
    let i16s: Vec<i16> = flat.iter().map(|&c| c as i16).collect();
    let buffers: Vec<(JsValue, i32)> = vec![
        (js_sys::Int8Array::from(&i8s[..]).into(), -1),
        (js_sys::Uint8Array::from(&u8s[..]).into(), 255),
        (js_sys::Int16Array::from(&i16s[..]).into(), -1),
        (js_sys::Int32Array::from(&flat[..]).into(), -1),
    ];
    for (buf, missing) in buffers {
        let cols: JsValue = phq9.score_batch(buf.unchecked_into(), opts(missing)).unwrap().into();
        assert_eq!(prop(&cols, "n_rows").as_f64(), Some(3.0));
        let total = js_sys::Array::from(&prop(&cols, "scales")).get(0);
        let raw = prop(&total, "raw").dyn_into::<js_sys::BigInt64Array>().unwrap().to_vec();
        let band = prop(&total, "band").dyn_into::<js_sys::Int8Array>().unwrap().to_vec();
        let self_harm = prop(&prop(&cols, "flag_verdicts"), "item9_self_harm")
            .dyn_into::<js_sys::Uint8Array>()
            .unwrap()
            .to_vec();
        let screen = prop(&cols, "screen").dyn_into::<js_sys::Uint8Array>().unwrap().to_vec();
        for (r, row) in rows.iter().enumerate() {
            let answers: Value = row.iter().map(|&c| if c < 0 { Value::Null } else { Value::from(c) }).collect();
            let report = value_of(&phq9.score_answers(js_of(&answers).unchecked_into(), None).unwrap().into());
            let total = &report["scales"][0];
            assert_eq!(raw[r].to_string(), total["raw"].as_str().unwrap());
            assert_eq!(i64::from(band[r]), total["band"]["index"].as_i64().unwrap());
            let verdict = report["flags"]
                .as_array()
                .unwrap()
                .iter()
                .find(|f| f["id"] == "item9_self_harm")
                .map_or("negative", |f| f["verdict"].as_str().unwrap());
            assert_eq!(verdict_of_code(f64::from(self_harm[r])).as_deref(), Some(verdict));
            assert_eq!(verdict_of_code(f64::from(screen[r])).as_deref(), report["screen_positive"]["verdict"].as_str());
        }
    }
    // Bad shapes and codes are errors naming row and item.
    let bad = js_sys::Int8Array::from(&[0i8, 0, 0, 0, 0, 0, 0, 0, 9, 0][..]);
    let e = err(phq9.score_batch(JsValue::from(bad).unchecked_into(), opts(-1)));
    let f = error_fields(&e);
    assert_eq!(f["code"], "batch.unknown_option");
    assert_eq!((f["row"].as_u64(), f["item"].as_u64()), (Some(0), Some(9)));
    let short = js_sys::Int8Array::from(&[0i8; 7][..]);
    assert_eq!(
        error_fields(&err(phq9.score_batch(JsValue::from(short).unchecked_into(), opts(-1))))["code"],
        "batch.shape"
    );
    let floats = js_sys::Float64Array::new_with_length(10);
    assert_eq!(
        error_fields(&err(phq9.score_batch(JsValue::from(floats).unchecked_into(), opts(-1))))["code"],
        "batch.shape"
    );
    let u8buf = js_sys::Uint8Array::new_with_length(10);
    assert_eq!(
        error_fields(&err(phq9.score_batch(JsValue::from(u8buf).unchecked_into(), opts(-1))))["code"],
        "batch.shape"
    );
}

#[wasm_bindgen_test]
fn fhir_round_trip() {
    setup();
    let (_, q) = FIXTURE_FILES
        .iter()
        .find(|(p, _)| p.ends_with("phq9_loinc_44249-1_lhncbc_lforms-fhir-app.json"))
        .unwrap();
    let spec = value_of(&import_questionnaire(JsValue::from_str(q).unchecked_into()).unwrap());
    assert_eq!(spec["items"].as_array().unwrap().len(), 10);
    let phq9 = Instrument::from_catalog("phq9", None).unwrap();
    let (_, qr) = FIXTURE_FILES.iter().find(|(p, _)| p.ends_with("phq9_response_synthetic.json")).unwrap();
    let report = phq9.score_questionnaire_response(JSON::parse(qr).unwrap().unchecked_into()).unwrap();
    let obs = value_of(
        &phq9
            .export_observation(report, "total", "Patient/synthetic-1", "2026-01-01T08:00:00Z")
            .unwrap()
            .into(),
    );
    assert_eq!(obs["resourceType"], "Observation");
    assert!(obs["valueInteger"].is_i64());
    let e = err(import_questionnaire(JsValue::from_str("{\"resourceType\": \"Patient\"}").unchecked_into()));
    assert_eq!(error_fields(&e)["code"], "fhir.parse");
}

#[wasm_bindgen_test]
fn alert_vectors_match_rust() {
    setup();
    let policy = AlertPolicy::changzhou_default().unwrap();
    let mut n = 0;
    let mut failures = Vec::new();
    for (path, text) in VECTOR_FILES.iter().filter(|(p, _)| p.starts_with("tests/vectors/alert/")) {
        let file: Value = serde_json::from_str(text).unwrap();
        assert_eq!(file["kind"], "alert", "{path}");
        assert_eq!(file["policy"], "builtin:changzhou_default", "{path}");
        for case in file["cases"].as_array().unwrap() {
            n += 1;
            let name = format!("{path} / {}", case["name"].as_str().unwrap_or("?"));
            let result = policy.evaluate(js_of(&case["evidence"]).unchecked_into(), case["at"].as_str().unwrap());
            match (result, case.get("expect_error")) {
                (Ok(d), None) => {
                    let got = normalise(&value_of(&d.into()));
                    let want = normalise(&case["decision"]);
                    if got != want {
                        failures.push(format!("{name}: decision differs\n  want {want}\n  got  {got}"));
                    }
                }
                (Err(e), Some(want)) => {
                    let got = error_fields(&e);
                    if got["code"] != want["code"] || want.get("path").is_some_and(|p| *p != got["path"]) {
                        failures.push(format!("{name}: expected {want}, got {got}"));
                    }
                }
                (Ok(_), Some(want)) => failures.push(format!("{name}: expected error {want}, got a decision")),
                (Err(e), None) => failures.push(format!("{name}: unexpected error {}", error_fields(&e))),
            }
        }
    }
    assert!(n > 0, "no alert vectors");
    assert!(failures.is_empty(), "{} of {n} alert cases failed:\n{}", failures.len(), failures.join("\n"));
}

#[wasm_bindgen_test]
fn wrong_js_values_are_refused_with_a_pointer_into_the_object() {
    setup();
    let phq9 = Instrument::from_catalog("phq9", None).unwrap();
    fn fields<T>(r: Result<T, JsValue>) -> (String, String) {
        let f = error_fields(&err(r));
        (f["code"].as_str().unwrap().to_owned(), f["path"].as_str().unwrap().to_owned())
    }
    // A wrong JSON type: the core's serde error, mapped from the text position to the member.
    let r = phq9.score(js_of(&serde_json::json!({"answers": {"1": 1, "3": true}})).unchecked_into(), None);
    assert_eq!(fields(r), ("score.parse".into(), "/answers/3".into()));
    let r = phq9.score(js_of(&serde_json::json!({"answers": {"1": 1}, "group": {"grade": 7}})).unchecked_into(), None);
    assert_eq!(fields(r), ("score.parse".into(), "/group/grade".into()));
    let r = phq9.score_answers(js_of(&serde_json::json!([1, 2, {"x": 1}])).unchecked_into(), None);
    assert_eq!(fields(r), ("score.parse".into(), "/2".into()));
    // Values JSON.stringify would silently turn into `null` (a missing answer) or `{}`.
    let answers = js_sys::Object::new();
    Reflect::set(&answers, &"1".into(), &1.into()).unwrap();
    Reflect::set(&answers, &"3".into(), &f64::NAN.into()).unwrap();
    let response = js_sys::Object::new();
    Reflect::set(&response, &"answers".into(), &answers).unwrap();
    let r = phq9.score(JsValue::from(response).unchecked_into(), None);
    assert_eq!(fields(r), ("score.parse".into(), "/answers/3".into()));
    let list = js_sys::Array::of3(&1.into(), &JsValue::UNDEFINED, &f64::INFINITY.into());
    let r = phq9.score_answers(JsValue::from(list).unchecked_into(), None);
    assert_eq!(fields(r), ("score.parse".into(), "/1".into()));
    let response = js_sys::Object::new();
    Reflect::set(&response, &"answers".into(), &js_sys::Map::new()).unwrap();
    let r = phq9.score(JsValue::from(response).unchecked_into(), None);
    assert_eq!(fields(r), ("score.parse".into(), "/answers".into()));
    let response = js_sys::Object::new();
    let answers = js_sys::Object::new();
    Reflect::set(&answers, &"9".into(), &js_sys::BigInt::from(2u32).into()).unwrap();
    Reflect::set(&response, &"answers".into(), &answers).unwrap();
    let r = phq9.score(JsValue::from(response).unchecked_into(), None);
    assert_eq!(fields(r), ("score.parse".into(), "/answers/9".into()));
    // A cycle is refused, not a trap.
    let cyclic = js_sys::Object::new();
    Reflect::set(&cyclic, &"answers".into(), &cyclic).unwrap();
    assert_eq!(fields(phq9.score(JsValue::from(cyclic).unchecked_into(), None)).0, "score.parse");
    // Alert evidence: a wrong type deep inside names its member.
    let policy = AlertPolicy::changzhou_default().unwrap();
    let e = err(policy.evaluate(
        js_of(&serde_json::json!({"student": "s-1", "screenings": [{"at": 5}]})).unchecked_into(),
        "2026-01-05T08:00:00Z",
    ));
    assert_eq!(error_fields(&e)["path"], "/screenings/0/at");
    // A spec given as JSON text keeps the core's error: the position in the caller's text.
    let e = err(Instrument::from_spec(JsValue::from_str("{\n \"format\": 1}").unchecked_into(), None));
    assert!(error_fields(&e)["path"].as_str().unwrap().starts_with("line 2 column"));
    // The same spec as an object: the pointer of the member.
    let e = err(Instrument::from_spec(js_of(&serde_json::json!({"format": 1})).unchecked_into(), None));
    assert_eq!(error_fields(&e)["path"], "/format");
}

fn file_text(path: &str) -> &'static str {
    FIXTURE_FILES
        .iter()
        .chain(VECTOR_FILES)
        .find(|(p, _)| *p == path)
        .map(|(_, t)| *t)
        .unwrap_or_else(|| panic!("{path} not embedded"))
}

/// One FHIR vector case through the JS-facing API (docs/golden-vectors.md, "FHIR vectors"): the
/// canonical outputs produced, and the error that stopped the case with its stage.
fn fhir_case(case: &Value) -> (serde_json::Map<String, Value>, Option<(&'static str, JsValue)>) {
    let mut out = serde_json::Map::new();
    let text = |key: &str| case.get(key).and_then(Value::as_str).map(|p| JsValue::from_str(file_text(p)));
    let questionnaire = text("questionnaire_file");
    let mut imported = None;
    if let Some(q) = &questionnaire {
        match import_questionnaire(q.clone().unchecked_into()) {
            Ok(spec) => {
                out.insert("spec".into(), value_of(&spec));
                imported = Some(spec);
            }
            Err(e) => return (out, Some(("import", e))),
        }
    }
    let named = case["instrument"].as_str().unwrap();
    let inst = if named == "import" {
        Instrument::from_spec(imported.unwrap().unchecked_into(), None).map_err(|e| ("import", e))
    } else if let Some(id) = named.strip_prefix("bind:") {
        Instrument::from_catalog(id, None)
            .unwrap()
            .bind_questionnaire(questionnaire.clone().unwrap().unchecked_into())
            .map_err(|e| ("bind", e))
    } else {
        Instrument::from_catalog(named, None).map_err(|e| ("import", e))
    };
    let inst = match inst {
        Ok(i) => i,
        Err(e) => return (out, Some(e)),
    };
    let Some(response) = text("response_file") else { return (out, None) };
    let scored: JsValue = match inst.score_questionnaire_response_detailed(response.clone().unchecked_into()) {
        Ok(s) => s.into(),
        Err(e) => return (out, Some(("score", e))),
    };
    let report = prop(&scored, "report");
    // The plain call returns the same report.
    let plain: JsValue = inst.score_questionnaire_response(response.unchecked_into()).unwrap().into();
    assert_eq!(normalise(&value_of(&plain)), normalise(&value_of(&report)));
    out.insert("report".into(), value_of(&report));
    out.insert("stored_totals".into(), value_of(&prop(&scored, "stored_totals")));
    if let Some(x) = case.get("export") {
        let s = |k: &str| x[k].as_str().unwrap();
        match inst.export_observation(report.unchecked_into(), s("scale"), s("subject"), s("effective")) {
            Ok(o) => {
                out.insert("observation".into(), value_of(&o.into()));
            }
            Err(e) => return (out, Some(("export", e))),
        }
    }
    (out, None)
}

#[wasm_bindgen_test]
fn fhir_vectors_match_rust() {
    setup();
    let mut n = 0;
    let mut failures = Vec::new();
    for (path, text) in VECTOR_FILES.iter().filter(|(p, _)| p.starts_with("tests/vectors/fhir/")) {
        let file: Value = serde_json::from_str(text).unwrap();
        assert_eq!(file["kind"], "fhir", "{path}");
        for case in file["cases"].as_array().unwrap() {
            n += 1;
            let name = format!("{path} / {}", case["name"].as_str().unwrap_or("?"));
            let (out, error) = fhir_case(case);
            for key in ["spec", "report", "stored_totals", "observation"] {
                let (want, got) = (case.get(key), out.get(key));
                if want.map(normalise) != got.map(normalise) {
                    failures.push(format!("{name}: {key} differs\n  want {want:?}\n  got  {got:?}"));
                }
            }
            match (error, case.get("expect_error")) {
                (None, None) => {}
                (Some((stage, e)), Some(want)) => {
                    let got = error_fields(&e);
                    if want["stage"] != stage || want["code"] != got["code"] || want.get("path").is_some_and(|p| *p != got["path"]) {
                        failures.push(format!("{name}: expected {want}, got {stage} {got}"));
                    }
                    if case.get("error").is_some_and(|stored| normalise(stored) != normalise(&got)) {
                        failures.push(format!(
                            "{name}: error differs\n  want {}\n  got  {}",
                            normalise(&case["error"]),
                            normalise(&got)
                        ));
                    }
                }
                (Some((stage, e)), None) => failures.push(format!("{name}: unexpected error at {stage}: {}", error_fields(&e))),
                (None, Some(want)) => failures.push(format!("{name}: expected error {want}, got none")),
            }
        }
    }
    assert!(n >= 50, "only {n} FHIR cases");
    assert!(failures.is_empty(), "{} of {n} FHIR cases failed:\n{}", failures.len(), failures.join("\n"));
}

#[wasm_bindgen_test]
fn reports_from_js_are_verified_and_evidence_may_carry_answers() {
    setup();
    let phq9 = Instrument::from_catalog("phq9", None).unwrap();
    let answers = serde_json::json!({"1": 1, "2": 1, "3": 1, "4": 1, "5": 1, "6": 1, "7": 1, "8": 1, "9": 1});
    let report = phq9.score(js_of(&serde_json::json!({ "answers": answers })).unchecked_into(), None).unwrap();
    let mut tampered = value_of(&report.clone());
    phq9.verify_report(report.clone().unchecked_into()).unwrap();
    verify_report(report.clone().unchecked_into()).unwrap();
    tampered["scales"][0]["raw"] = Value::from("99");
    let f = error_fields(&err(phq9.verify_report(js_of(&tampered).unchecked_into())));
    assert_eq!((f["code"].as_str(), f["path"].as_str()), (Some("evidence.out_of_range"), Some("/scales/0/raw")));
    let f = error_fields(&err(phq9.export_observation(
        js_of(&tampered).unchecked_into(),
        "total",
        "Patient/x",
        "2026-01-01T08:00:00Z",
    )));
    assert_eq!(f["code"], "evidence.out_of_range");
    let mut relabelled = value_of(&report.clone());
    relabelled["instrument"]["id"] = Value::from("asq_copy");
    let f = error_fields(&err(verify_report(js_of(&relabelled).unchecked_into())));
    assert_eq!(
        (f["code"].as_str(), f["path"].as_str()),
        (Some("evidence.unknown_instrument"), Some("/instrument/id"))
    );
    // Evidence: a tampered report is refused with its path; answers are scored by the engine.
    let policy = AlertPolicy::changzhou_default().unwrap();
    let at = "2026-01-05T08:00:00Z";
    let e = err(policy.evaluate(
        js_of(&serde_json::json!({"student": "s-1", "screenings": [{"at": at, "report": tampered}]})).unchecked_into(),
        at,
    ));
    assert_eq!(error_fields(&e)["path"], "/screenings/0/report/scales/0/raw");
    let version = phq9.version();
    let evidence =
        serde_json::json!({"student": "s-1", "screenings": [{"at": at, "instrument": {"id": "phq9", "version": version}, "response": {"answers": answers}}]});
    let by_answers = value_of(&policy.evaluate(js_of(&evidence).unchecked_into(), at).unwrap().into());
    let by_report = value_of(
        &policy
            .evaluate(
                js_of(&serde_json::json!({"student": "s-1", "screenings": [{"at": at, "report": value_of(&report.into())}]})).unchecked_into(),
                at,
            )
            .unwrap()
            .into(),
    );
    assert_eq!(by_answers["tier"], by_report["tier"]);
    assert_eq!(by_answers["tier"]["id"], "key");
}
