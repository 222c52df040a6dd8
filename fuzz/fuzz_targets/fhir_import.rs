//! Any text given to the FHIR importer or the QuestionnaireResponse scorer yields a result or a typed error.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(spec) = changkaixin_core::fhir::import_questionnaire(text) {
        let _ = changkaixin_core::Instrument::from_spec(spec);
    }
    if let Ok(phq9) = changkaixin_core::Catalog::builtin().instrument("phq9") {
        let _ = changkaixin_core::fhir::score_questionnaire_response(&phq9, text);
    }
});
