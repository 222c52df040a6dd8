//! Moving the core's serde shapes across the boundary as JSON.
//!
//! Going through `JSON.stringify`/`JSON.parse` keeps the exact serde semantics of the
//! core (the same `deny_unknown_fields`, the same decimal rules: a JS float where a
//! decimal is expected is refused, as in Rust) and makes a report byte-for-byte the
//! Rust one. It is also the fastest path for small documents: one string crosses,
//! and the engine's native JSON parser builds the objects.

use changkaixin_core::{Error, ErrorCode};
use serde::Serialize;
use wasm_bindgen::prelude::*;

/// A serde value as a JS value (via `JSON.parse`).
pub(crate) fn to_js<T: Serialize + ?Sized>(v: &T) -> Result<JsValue, JsValue> {
    let text = serde_json::to_string(v).map_err(|e| crate::error::to_js(&Error::new(ErrorCode::SpecParse, "", e.to_string())))?;
    js_sys::JSON::parse(&text)
}

/// The JSON text of a JS value: a string is taken as JSON text already, anything else is
/// `JSON.stringify`-ed. A value that cannot be stringified (a BigInt, a cycle) is an
/// error with the given parse `code`.
pub(crate) fn text_of(v: &JsValue, code: ErrorCode) -> Result<String, JsValue> {
    if let Some(s) = v.as_string() {
        return Ok(s);
    }
    if v.is_undefined() {
        return Err(crate::error::to_js(&Error::new(code, "", "expected a value, got undefined")));
    }
    js_sys::JSON::stringify(v)
        .ok()
        .and_then(|s| s.as_string())
        .ok_or_else(|| crate::error::to_js(&Error::new(code, "", "the value cannot be written as JSON (BigInt, cycle or function?)")))
}

/// The JSON text of a JS object (a string is JSON-encoded as a string, not taken as text).
pub(crate) fn stringify(v: &JsValue, code: ErrorCode) -> Result<String, JsValue> {
    if v.is_undefined() {
        return Err(crate::error::to_js(&Error::new(code, "", "expected a value, got undefined")));
    }
    js_sys::JSON::stringify(v)
        .ok()
        .and_then(|s| s.as_string())
        .ok_or_else(|| crate::error::to_js(&Error::new(code, "", "the value cannot be written as JSON (BigInt, cycle or function?)")))
}

/// Deserialize a JS object into a core serde type, mapping failures onto `code`.
pub(crate) fn from_js<T: serde::de::DeserializeOwned>(v: &JsValue, code: ErrorCode) -> Result<T, JsValue> {
    let text = stringify(v, code)?;
    serde_json::from_str(&text).map_err(|e| crate::error::to_js(&Error::new(code, format!("line {} column {}", e.line(), e.column()), e.to_string())))
}
