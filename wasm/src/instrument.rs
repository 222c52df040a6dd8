//! Catalog, specs and single-respondent scoring.

use crate::error::js;
use crate::json::{from_js, stringify, text_of, to_js};
use crate::types::*;
use changkaixin_core as core;
use changkaixin_core::{Answer, Catalog, ErrorCode, Response};
use std::collections::BTreeMap;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// A linted, compiled instrument, ready to score.
///
/// ```ts
/// const phq9 = Instrument.fromCatalog("phq9");
/// const report = phq9.score({ answers: { "1": 1, "9": 1 } });
/// ```
#[wasm_bindgen]
#[derive(Clone, Debug)]
pub struct Instrument {
    pub(crate) inner: core::Instrument,
}

fn settings_of(settings: Option<SettingsJs>) -> Result<BTreeMap<String, String>, JsValue> {
    match settings {
        None => Ok(BTreeMap::new()),
        Some(s) if s.is_undefined() || s.is_null() => Ok(BTreeMap::new()),
        Some(s) => from_js(&s, ErrorCode::SpecUnknownSetting),
    }
}

#[wasm_bindgen]
impl Instrument {
    /// A built-in instrument by id (`"phq9"`, `"asq"`, …), optionally with setting choices.
    #[wasm_bindgen(js_name = fromCatalog)]
    pub fn from_catalog(id: &str, settings: Option<SettingsJs>) -> Result<Instrument, JsValue> {
        let settings = settings_of(settings)?;
        js(Catalog::builtin().instrument_with(id, &settings)).map(|inner| Instrument { inner })
    }

    /// Parse, lint and compile a spec (an object or its JSON text), optionally with setting choices.
    #[wasm_bindgen(js_name = fromSpec)]
    pub fn from_spec(spec: SpecInput, settings: Option<SettingsJs>) -> Result<Instrument, JsValue> {
        let settings = settings_of(settings)?;
        let text = text_of(&spec, ErrorCode::SpecParse)?;
        js(core::Instrument::from_json_with(&text, &settings)).map(|inner| Instrument { inner })
    }

    /// The same instrument with other setting options.
    #[wasm_bindgen(js_name = withSettings)]
    pub fn with_settings(&self, settings: SettingsJs) -> Result<Instrument, JsValue> {
        let settings = settings_of(Some(settings))?;
        js(self.inner.with_settings(&settings)).map(|inner| Instrument { inner })
    }

    /// Instrument id.
    #[wasm_bindgen(getter)]
    pub fn id(&self) -> String {
        self.inner.id().to_owned()
    }

    /// Spec version.
    #[wasm_bindgen(getter)]
    pub fn version(&self) -> String {
        self.inner.version().to_owned()
    }

    /// Number of items (the row width of a batch buffer).
    #[wasm_bindgen(getter, js_name = itemCount)]
    pub fn item_count(&self) -> usize {
        self.inner.spec().items.len()
    }

    /// The setting options in effect.
    #[wasm_bindgen(unchecked_return_type = "Settings")]
    pub fn settings(&self) -> Result<JsValue, JsValue> {
        to_js(self.inner.settings())
    }

    /// The spec with the chosen settings applied.
    #[wasm_bindgen(unchecked_return_type = "InstrumentSpec")]
    pub fn spec(&self) -> Result<JsValue, JsValue> {
        to_js(self.inner.spec())
    }

    /// The spec as written, before settings.
    #[wasm_bindgen(js_name = sourceSpec, unchecked_return_type = "InstrumentSpec")]
    pub fn source_spec(&self) -> Result<JsValue, JsValue> {
        to_js(self.inner.source_spec())
    }

    /// Score one response. Unknown items, codes that are not options and items answered
    /// twice throw (`score.unknown_item`, `score.unknown_option`, `score.duplicate_answer`).
    pub fn score(&self, response: ResponseJs) -> Result<ScoreReportJs, JsValue> {
        let text = stringify(&response, ErrorCode::ResponseParse)?;
        let response = js(Response::from_json(&text))?;
        let report = js(self.inner.score(&response))?;
        Ok(to_js(&report)?.unchecked_into())
    }

    /// Score answers given positionally in item order (one entry per item; `null` = missing).
    #[wasm_bindgen(js_name = scoreAnswers)]
    pub fn score_answers(&self, answers: AnswerList) -> Result<ScoreReportJs, JsValue> {
        let answers: Vec<Answer> = from_js(&answers, ErrorCode::ResponseParse)?;
        let report = js(self.inner.score_answers(&answers))?;
        Ok(to_js(&report)?.unchecked_into())
    }
}

/// Ids of the built-in instruments, sorted.
#[wasm_bindgen(js_name = catalogIds, unchecked_return_type = "string[]")]
pub fn catalog_ids() -> js_sys::Array {
    Catalog::builtin().ids().map(JsValue::from_str).collect()
}

/// The spec of a built-in instrument (default settings), with its item texts and labels.
#[wasm_bindgen(js_name = catalogSpec, unchecked_return_type = "InstrumentSpec")]
pub fn catalog_spec(id: &str) -> Result<JsValue, JsValue> {
    let inst = js(Catalog::builtin().instrument(id))?;
    to_js(inst.spec())
}

/// The sentinel mantissa of an unscored cell in batch columns (`-(2n ** 63n)`).
#[wasm_bindgen]
pub fn unscored() -> i64 {
    core::scoring::batch::UNSCORED
}

/// The version of this package (equal to the core's).
#[wasm_bindgen(js_name = packageVersion)]
pub fn package_version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}
