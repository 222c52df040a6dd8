//! Catalog, specs and single-respondent scoring.

use crate::error::js;
use crate::json::{from_js, to_js, Input};
use crate::types::*;
use changkaixin_core as core;
use changkaixin_core::scoring::recode::CodeMap;
use changkaixin_core::{Answer, ErrorCode};
use std::cell::OnceCell;
use std::collections::BTreeMap;
use std::rc::Rc;
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
    /// The JS strings of its ids (made on first use by the summary path).
    pub(crate) ids: OnceCell<Rc<crate::summary::Ids>>,
    /// `labels()`, made on first use.
    pub(crate) labels: OnceCell<JsValue>,
}

impl Instrument {
    pub(crate) fn new(inner: core::Instrument) -> Instrument {
        Instrument {
            inner,
            ids: OnceCell::new(),
            labels: OnceCell::new(),
        }
    }

    /// A declared recode from JS (object or JSON text), checked against this instrument.
    pub(crate) fn code_map_of(&self, code_map: Option<CodeMapInput>) -> Result<Option<CodeMap>, JsValue> {
        match code_map {
            None => Ok(None),
            Some(m) if m.is_undefined() || m.is_null() => Ok(None),
            Some(m) => {
                let input = Input::object_or_text(&m, ErrorCode::ScoreCodeMapInvalid)?;
                input.run(|text| self.inner.code_map_json(text)).map(Some)
            }
        }
    }
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
        js(crate::data::instrument(id, &settings)).map(Instrument::new)
    }

    /// Parse, lint and compile a spec (an object or its JSON text), optionally with setting choices.
    #[wasm_bindgen(js_name = fromSpec)]
    pub fn from_spec(spec: SpecInput, settings: Option<SettingsJs>) -> Result<Instrument, JsValue> {
        let settings = settings_of(settings)?;
        let input = Input::object_or_text(&spec, ErrorCode::SpecParse)?;
        input.run(|text| core::Instrument::from_json_with(text, &settings)).map(Instrument::new)
    }

    /// The same instrument with other setting options.
    #[wasm_bindgen(js_name = withSettings)]
    pub fn with_settings(&self, settings: SettingsJs) -> Result<Instrument, JsValue> {
        let settings = settings_of(Some(settings))?;
        js(self.inner.with_settings(&settings)).map(Instrument::new)
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

    /// Score one response. Answers are option codes or option ids (`"LA6568-5"`). Unknown
    /// items, codes that are not options and items answered twice throw (`score.unknown_item`,
    /// `score.unknown_option`, `score.duplicate_answer`). With `codeMap`, the codes follow an
    /// export's own coding, declared once and checked to be a bijection onto the options.
    pub fn score(&self, response: ResponseJs, #[wasm_bindgen(js_name = codeMap)] code_map: Option<CodeMapInput>) -> Result<ScoreReportJs, JsValue> {
        let response = crate::read::response_with(&response, &self.ids().items)?;
        let report = match self.code_map_of(code_map)? {
            None => js(self.inner.score(&response))?,
            Some(map) => js(self.inner.score_with_code_map(&response, &map))?,
        };
        Ok(to_js(&report)?.unchecked_into())
    }

    /// Score answers given positionally in item order: one entry per item, or exactly one per
    /// **scored** item (nine for the PHQ-9, whose item 10 is not scored); `null` = missing.
    #[wasm_bindgen(js_name = scoreAnswers)]
    pub fn score_answers(&self, answers: AnswerList, #[wasm_bindgen(js_name = codeMap)] code_map: Option<CodeMapInput>) -> Result<ScoreReportJs, JsValue> {
        let answers: Vec<Answer> = crate::read::answer_list(&answers)?;
        let report = match self.code_map_of(code_map)? {
            None => js(self.inner.score_answers(&answers))?,
            Some(map) => js(self.inner.score_answers_with_code_map(&answers, &map))?,
        };
        Ok(to_js(&report)?.unchecked_into())
    }

    /// Verify a report that arrived from elsewhere (a server, storage, another page) against this
    /// instrument: identity, settings, every value within its scale's range, bands, flags and the
    /// screen verdict consistent with the values. Throws `evidence.*` errors with a JSON pointer
    /// into the report (`/scales/0/raw`); returns nothing when the report is one this instrument
    /// could have produced.
    #[wasm_bindgen(js_name = verifyReport)]
    pub fn verify_report(&self, report: ScoreReportJs) -> Result<(), JsValue> {
        let report: core::ScoreReport = Input::object(&report, ErrorCode::EvidenceInvalid)?.parse(ErrorCode::EvidenceInvalid)?;
        js(self.inner.verify_report(&report))
    }

    /// Check a declared recode (`source code → option code or id`, for `all` items and/or per
    /// item) against this instrument: throws `score.code_map_invalid` /
    /// `score.code_map_not_bijective` with the path and item, or returns nothing.
    #[wasm_bindgen(js_name = checkCodeMap)]
    pub fn check_code_map(&self, #[wasm_bindgen(js_name = codeMap)] code_map: CodeMapInput) -> Result<(), JsValue> {
        self.code_map_of(Some(code_map)).map(|_| ())
    }

    /// What this instrument expects and computes: every item's code table (code, option id,
    /// scored value, label), the scales with their ranges and bands, the flags, the screen rule.
    #[wasm_bindgen(unchecked_return_type = "InstrumentDescription")]
    pub fn describe(&self) -> Result<JsValue, JsValue> {
        to_js(&self.inner.describe())
    }

    /// The description as stable plain text (the same in every binding), code tables included.
    #[wasm_bindgen(js_name = toString)]
    pub fn to_text(&self) -> String {
        self.inner.describe().to_string()
    }
}

/// Verify a report against the built-in catalog: the instrument it names must be known (id,
/// version, settings; `evidence.unknown_instrument` at `/instrument/id` otherwise), then as
/// `Instrument.verifyReport`.
#[wasm_bindgen(js_name = verifyReport)]
pub fn verify_report(report: ScoreReportJs) -> Result<(), JsValue> {
    let report: core::ScoreReport = Input::object(&report, ErrorCode::EvidenceInvalid)?.parse(ErrorCode::EvidenceInvalid)?;
    js(crate::data::catalog().verify_report(&report))
}

/// Ids of the built-in instruments, sorted.
#[wasm_bindgen(js_name = catalogIds, unchecked_return_type = "string[]")]
pub fn catalog_ids() -> js_sys::Array {
    crate::data::catalog().ids().map(JsValue::from_str).collect()
}

/// The spec of a built-in instrument (default settings), with its item texts and labels.
#[wasm_bindgen(js_name = catalogSpec, unchecked_return_type = "InstrumentSpec")]
pub fn catalog_spec(id: &str) -> Result<JsValue, JsValue> {
    let inst = js(crate::data::instrument(id, &BTreeMap::new()))?;
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

/// The verdict a batch code stands for: 0 `"negative"`, 1 `"positive"`, 2 `"indeterminate"`;
/// `undefined` for any other value.
#[wasm_bindgen(js_name = verdictOfCode, unchecked_return_type = "Verdict | undefined")]
pub fn verdict_of_code(code: f64) -> Option<String> {
    let code = u8::try_from(code as i64).ok().filter(|&c| f64::from(c) == code)?;
    core::scoring::report::Verdict::from_code(code).map(|v| v.as_str().to_owned())
}
