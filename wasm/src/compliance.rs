//! Compliance checks (issue 11): a school's facts against a built-in requirement pack, as of a day.

use crate::error::js;
use crate::json::{to_js, Input};
use changkaixin_core::compliance::{check, CompiledPack, SchoolFacts};
use changkaixin_core::{Error, ErrorCode};
use std::collections::BTreeMap;
use std::sync::OnceLock;
use wasm_bindgen::prelude::*;

static PACKS: OnceLock<BTreeMap<String, Result<CompiledPack, Error>>> = OnceLock::new();

fn pack(id: &str) -> changkaixin_core::Result<&'static CompiledPack> {
    let packs = PACKS.get_or_init(|| crate::data::pack_texts().iter().map(|(k, t)| (k.clone(), CompiledPack::from_json(t))).collect());
    match packs.get(id) {
        Some(Ok(p)) => Ok(p),
        Some(Err(e)) => Err(e.clone()),
        None => Err(Error::new(
            ErrorCode::ComplianceUnknownRef,
            "/pack",
            format!("no built-in requirement pack {id:?}"),
        )),
    }
}

/// Check a school's facts (`changkaixin.compliance-facts/1`, object or JSON text) against a
/// built-in requirement pack (`"changzhou_2022_2024"`, `"national_2023"`) as of a `YYYY-MM-DD`
/// day: per requirement pass / fail / not_applicable / insufficient_evidence with the clause,
/// measured and required values and an explanation (zh/en).
#[wasm_bindgen(js_name = complianceCheck, unchecked_return_type = "ComplianceReport")]
pub fn compliance_check(
    #[wasm_bindgen(js_name = packId)] pack_id: &str,
    #[wasm_bindgen(unchecked_param_type = "SchoolFacts | string")] facts: JsValue,
    #[wasm_bindgen(js_name = asOf)] as_of: &str,
) -> Result<JsValue, JsValue> {
    let pack = js(pack(pack_id))?;
    let as_of = js(changkaixin_core::time::Date::parse(as_of).map_err(|e| e.prefixed("as_of")))?;
    let facts: SchoolFacts = Input::object_or_text(&facts, ErrorCode::FactsParse)?.run(SchoolFacts::from_json)?;
    to_js(&js(check(pack, &facts, as_of))?)
}
