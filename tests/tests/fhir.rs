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
