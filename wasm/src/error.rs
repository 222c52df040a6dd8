//! Core errors as real JS `Error` objects.

use changkaixin_core::Error;
use js_sys::Reflect;
use wasm_bindgen::prelude::*;

/// The `name` of every error this package throws.
pub const ERROR_NAME: &str = "ChangkaixinError";

/// Render a core error as a JS `Error` with `name`, `code`, `category`, `path`, `item`, `row`.
pub(crate) fn to_js(e: &Error) -> JsValue {
    let err = js_sys::Error::new(e.message());
    err.set_name(ERROR_NAME);
    fill(&err, e);
    err.into()
}

/// A core error as a plain JS object `{ code, category, path, message, item?, row? }` (the
/// same members as the thrown `Error`): a problem returned as data, e.g. by `validateRecord`.
#[cfg_attr(not(feature = "archive"), allow(dead_code))]
pub(crate) fn problem(e: &Error) -> JsValue {
    let o = js_sys::Object::new();
    fill(&o, e);
    // Setting a property on a fresh object cannot fail.
    let _ = Reflect::set(&o, &JsValue::from_str("message"), &JsValue::from_str(e.message()));
    o.into()
}

fn fill(err: &js_sys::Object, e: &Error) {
    let set = |k: &str, v: JsValue| {
        // Setting a property on a fresh Error object cannot fail; ignore the Result rather than panic.
        let _ = Reflect::set(err, &JsValue::from_str(k), &v);
    };
    set("code", JsValue::from_str(e.code()));
    set("category", JsValue::from_str(&category(e)));
    set("path", JsValue::from_str(e.path()));
    if let Some(i) = e.item() {
        set("item", JsValue::from(i));
    }
    if let Some(r) = e.row() {
        // Rows are buffer indices, far below 2^53.
        set("row", JsValue::from(r as f64));
    }
}

/// The core's category in its serde wire form (`"spec"`, `"score"`, …).
fn category(e: &Error) -> String {
    serde_json::to_value(e.category())
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// Shorthand: map a core result into a JS result.
pub(crate) fn js<T>(r: changkaixin_core::Result<T>) -> Result<T, JsValue> {
    r.map_err(|e| to_js(&e))
}

/// Every stable error code the core can produce, in declaration order.
#[wasm_bindgen(js_name = errorCodes, unchecked_return_type = "ErrorCode[]")]
pub fn error_codes() -> js_sys::Array {
    changkaixin_core::ErrorCode::ALL.iter().map(|c| JsValue::from_str(c.as_str())).collect()
}

/// Whether `value` is an error thrown by this package (a type guard in TypeScript).
#[wasm_bindgen(js_name = isChangkaixinError, unchecked_return_type = "value is ChangkaixinError")]
pub fn is_changkaixin_error(#[wasm_bindgen(unchecked_param_type = "unknown")] value: &JsValue) -> bool {
    value.is_instance_of::<js_sys::Error>() && Reflect::get(value, &JsValue::from_str("name")).ok().and_then(|n| n.as_string()).as_deref() == Some(ERROR_NAME)
}
