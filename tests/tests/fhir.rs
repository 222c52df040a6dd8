//! FHIR import, QuestionnaireResponse scoring and Observation export.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use changkaixin_core::fhir::{export_observation, import_questionnaire, score_questionnaire_response};
use changkaixin_core::{Catalog, Instrument};
use changkaixin_tests::repo_root;
use serde_json::{json, Value};

fn fixture(name: &str) -> String {
    std::fs::read_to_string(repo_root().join("tests/fixtures/fhir").join(name)).unwrap()
}
const Q: &str = "phq9_loinc_44249-1_lhncbc_lforms-fhir-app.json";
const QR: &str = "phq9_response_synthetic.json";

#[test]
fn imports_the_lhc_forms_phq9() {
    let spec = import_questionnaire(&fixture(Q)).unwrap();
    assert_eq!(spec.items.len(), 10);
    assert!(spec.items[..9].iter().all(|i| i.scored));
    assert!(!spec.items[9].scored, "the difficulty item has no weights and is not scored");
    assert_eq!(spec.items[8].fhir.as_ref().unwrap().link_id, "/44260-8");
    let fhir = spec.fhir.as_ref().unwrap();
    assert_eq!(fhir.calculated_link_ids, vec!["/44261-6".to_string()]);
    assert_eq!(fhir.observation_codes["total"].code, "44261-6");
    let inst = Instrument::from_spec(spec).unwrap();
    let rep = score_questionnaire_response(&inst, &fixture(QR)).unwrap();
    // answers 1,2,1,0,1,1,0,0,1 -> 7; the stored total of 99 is ignored
    assert_eq!(rep.scale("total").unwrap().raw.unwrap().to_string(), "7");
}

#[test]
fn scores_a_response_against_the_catalog_phq9() {
    let phq9 = Catalog::builtin().instrument("phq9").unwrap();
    let rep = score_questionnaire_response(&phq9, &fixture(QR)).unwrap();
    let total = rep.scale("total").unwrap();
    assert_eq!(total.raw.unwrap().to_string(), "7");
    assert_eq!(total.band.as_ref().unwrap().id, "mild");
    assert!(rep.has_flag("item9_self_harm"), "item 9 = several days must flag even with a mild total");
    let obs = export_observation(&phq9, &rep, "total", "Patient/synthetic-0001", "2026-09-01T09:00:00+08:00").unwrap();
    assert_eq!(obs["resourceType"], "Observation");
    assert_eq!(obs["code"]["coding"][0]["code"], "44261-6");
    assert_eq!(obs["code"]["coding"][0]["system"], "http://loinc.org");
    assert_eq!(obs["valueInteger"], 7);
}

#[test]
fn bad_responses_are_typed_errors() {
    let phq9 = Catalog::builtin().instrument("phq9").unwrap();
    let mut qr: Value = serde_json::from_str(&fixture(QR)).unwrap();
    qr["item"][0]["linkId"] = json!("/99999-9");
    let e = score_questionnaire_response(&phq9, &qr.to_string()).unwrap_err();
    assert_eq!(e.code(), "fhir.unknown_link_id");
    assert_eq!(e.path(), "/item/0/linkId");

    let mut qr: Value = serde_json::from_str(&fixture(QR)).unwrap();
    qr["item"][8]["answer"][0]["valueCoding"]["code"] = json!("LA0000-0");
    let e = score_questionnaire_response(&phq9, &qr.to_string()).unwrap_err();
    assert_eq!((e.code(), e.item()), ("fhir.unknown_answer", Some(9)));

    let e = score_questionnaire_response(&phq9, "{\"resourceType\": \"Patient\"}").unwrap_err();
    assert_eq!(e.code(), "fhir.parse");
    assert_eq!(import_questionnaire("not json").unwrap_err().code(), "fhir.parse");
}

/// A two-item questionnaire with weights on answerOption; `extra` is spliced into the item list.
fn small_q(extra: &str, opt1_ext: &str) -> String {
    let opts = |ext: &str| {
        format!(
            r#"[{{"valueCoding": {{"code": "a"}}, "extension": [{{"url": "http://hl7.org/fhir/StructureDefinition/itemWeight", "valueDecimal": 0.0}}]}},
                {{"valueCoding": {{"code": "b"{ext}}}, "extension": [{{"url": "http://hl7.org/fhir/StructureDefinition/itemWeight", "valueDecimal": 1e0}}]}},
                {{"valueCoding": {{"code": "c"}}, "extension": [{{"url": "http://hl7.org/fhir/StructureDefinition/ordinalValue", "valueInteger": 3}}]}}]"#
        )
    };
    format!(
        r#"{{"resourceType": "Questionnaire", "id": "t", "status": "draft", "item": [
            {{"linkId": "1", "type": "choice", "answerOption": {}}},
            {{"linkId": "n", "type": "decimal", "extension": [
                {{"url": "http://hl7.org/fhir/StructureDefinition/questionnaire-unit", "valueCoding": {{"code": "{{score}}"}}}},
                {{"url": "http://hl7.org/fhir/StructureDefinition/minValue", "valueDecimal": 0}},
                {{"url": "http://hl7.org/fhir/StructureDefinition/maxValue", "valueDecimal": 3}}]}},
            {{"linkId": "T", "type": "decimal", "readOnly": true}}{extra}]}}"#,
        opts(opt1_ext)
    )
}

fn small_qr(items: &str) -> String {
    format!(r#"{{"resourceType": "QuestionnaireResponse", "status": "completed", "item": [{items}]}}"#)
}

#[test]
fn weights_are_exact_and_may_agree_in_two_places() {
    // "1e0" is 1; the same weight on the valueCoding agrees, so it is accepted.
    let ext = r#", "extension": [{"url": "http://hl7.org/fhir/StructureDefinition/ordinalValue", "valueDecimal": 1.000}]"#;
    let inst = Instrument::from_spec(import_questionnaire(&small_q("", ext)).unwrap()).unwrap();
    let values: Vec<i32> = match &inst.spec().items[0].options {
        changkaixin_core::instrument::spec::OptionsRef::Inline(o) => o.iter().map(|o| o.value).collect(),
        _ => unreachable!(),
    };
    assert_eq!(values, vec![0, 1, 3]);
    let qr = small_qr(
        r#"{"linkId": "1", "answer": [{"valueCoding": {"code": "c"}}]}, {"linkId": "n", "answer": [{"valueDecimal": 2.0}]},
           {"linkId": "T", "answer": [{"valueDecimal": 5.000}]}"#,
    );
    let s = changkaixin_core::fhir::score_questionnaire_response_detailed(&inst, &qr).unwrap();
    assert_eq!(s.report.scale("total").unwrap().raw.unwrap().to_string(), "5");
    assert_eq!(s.stored_totals[0].stored.unwrap().to_string(), "5.000", "the stored literal is kept");
    assert_eq!(s.stored_totals[0].status, changkaixin_core::fhir::StoredTotalStatus::Agrees);
}

#[test]
fn a_decimal_an_f64_would_round_is_refused() {
    let inst = Instrument::from_spec(import_questionnaire(&small_q("", "")).unwrap()).unwrap();
    // 2.000000000000000000000000001 is 2.0 as an f64; read exactly it is not a whole number.
    let qr = small_qr(r#"{"linkId": "n", "answer": [{"valueDecimal": 2.000000000000000000000000001}]}"#);
    let e = score_questionnaire_response(&inst, &qr).unwrap_err();
    assert_eq!((e.code(), e.item()), ("fhir.invalid_value", Some(2)));
}

#[test]
fn a_duplicate_member_cannot_hide_a_second_answer() {
    let inst = Instrument::from_spec(import_questionnaire(&small_q("", "")).unwrap()).unwrap();
    let qr = small_qr(r#"{"linkId": "1", "answer": [{"valueCoding": {"code": "a"}, "valueCoding": {"code": "c"}}]}"#);
    assert_eq!(score_questionnaire_response(&inst, &qr).unwrap_err().code(), "fhir.parse");
}

#[test]
fn unweighted_multi_select_and_conditional_unscored_items_are_accepted() {
    let extra = r#", {"linkId": "m", "type": "choice", "repeats": true, "answerOption": [{"valueCoding": {"code": "x"}}, {"valueCoding": {"code": "y"}}]},
                   {"linkId": "d", "type": "choice", "enableWhen": [{"question": "1", "operator": "exists", "answerBoolean": true}],
                    "answerOption": [{"valueCoding": {"code": "x"}}]},
                   {"linkId": "s", "type": "string", "item": [{"linkId": "s1", "type": "choice", "answerOption": [{"valueCoding": {"code": "x"}}]}]}"#;
    let spec = import_questionnaire(&small_q(extra, "")).unwrap();
    let f = spec.fhir.as_ref().unwrap();
    assert_eq!(f.ignored_link_ids, vec!["m", "s", "s1"]);
    assert_eq!(f.calculated_link_ids, vec!["T"]);
    assert_eq!(spec.items.len(), 3, "1, n and the conditional unscored d");
    assert!(!spec.items[2].scored);
    let inst = Instrument::from_spec(spec).unwrap();
    let qr = small_qr(
        r#"{"linkId": "1", "answer": [{"valueCoding": {"code": "b"}}]}, {"linkId": "n", "answer": [{"valueInteger": 3}]},
           {"linkId": "m", "answer": [{"valueCoding": {"code": "x"}}, {"valueCoding": {"code": "y"}}]},
           {"linkId": "s", "answer": [{"valueString": "free text", "item": [{"linkId": "s1", "answer": [{"valueCoding": {"code": "x"}}]}]}]}"#,
    );
    assert_eq!(
        score_questionnaire_response(&inst, &qr)
            .unwrap()
            .scale("total")
            .unwrap()
            .raw
            .unwrap()
            .to_string(),
        "4"
    );
}

#[test]
fn messages_echo_only_a_short_prefix_of_input() {
    let phq9 = Catalog::builtin().instrument("phq9").unwrap();
    let long = "x".repeat(100_000);
    let qr = small_qr(&format!(r#"{{"linkId": "{long}", "answer": [{{"valueInteger": 1}}]}}"#));
    let e = score_questionnaire_response(&phq9, &qr).unwrap_err();
    assert_eq!(e.code(), "fhir.unknown_link_id");
    assert!(e.message().len() < 200, "{}", e.message());
}
