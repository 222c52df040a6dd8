//! Reading a response straight from the JS object, without a JSON text in between.
//!
//! `score` / `scoreAnswers` / `scoreSummary` are the hot calls (a page scores on every answer),
//! so their input is read member by member with `js-sys` instead of `JSON.stringify` + serde.
//! That is faster and every error names the value the caller wrote, as a JSON pointer
//! (`/answers/3`): a code given as the string `"2"` is an option id the item does not have, `1.5`
//! is not an integer code, an extra member is an unknown field. The accepted shapes are exactly
//! the core's serde shapes ([`Response`], [`Answer`]); a string is JSON text and goes to the core's
//! own parser unchanged.

use crate::error::to_js;
use changkaixin_core::{Answer, Error, ErrorCode, Response};
use js_sys::{Array, Object, Reflect};
use std::collections::BTreeMap;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

const ANSWER_EXPECTED: &str = "an integer option code, an option id (string), null (missing) or \"refused\"";
const RESPONSE_FIELDS: &str = "`answers`, `started_at`, `finished_at`, `group`";

fn fail(path: &str, message: String) -> JsValue {
    to_js(&Error::new(ErrorCode::ResponseParse, path, message))
}

/// How serde names a JS value in "invalid type" messages.
fn unexpected(v: &JsValue) -> String {
    if let Some(n) = v.as_f64() {
        if !n.is_finite() {
            return format!("{n} (not a JSON number)");
        }
        return format!("floating point `{n}`");
    }
    if let Some(b) = v.as_bool() {
        return format!("boolean `{b}`");
    }
    if v.is_null() {
        return "null".into();
    }
    if v.is_bigint() {
        return "a BigInt (give a number)".into();
    }
    if Array::is_array(v) {
        return "sequence".into();
    }
    if v.is_instance_of::<js_sys::Map>() || v.is_instance_of::<js_sys::Set>() {
        return "a Map or Set (give a plain object)".into();
    }
    if v.is_object() {
        return "map".into();
    }
    v.js_typeof().as_string().unwrap_or_default()
}

fn invalid(path: &str, v: &JsValue, expected: &str) -> JsValue {
    fail(path, format!("invalid type: {}, expected {expected}", unexpected(v)))
}

/// Append `/segment` with JSON-pointer escaping.
fn push(path: &mut String, segment: &str) {
    path.push('/');
    for c in segment.chars() {
        match c {
            '~' => path.push_str("~0"),
            '/' => path.push_str("~1"),
            c => path.push(c),
        }
    }
}

/// A plain object (not an array, Map, Set, null or function).
fn plain_object(v: &JsValue) -> bool {
    v.is_object() && !Array::is_array(v) && !v.is_instance_of::<js_sys::Map>() && !v.is_instance_of::<js_sys::Set>()
}

/// JSON skips `undefined`, functions and symbols as object members: so do we.
fn absent(v: &JsValue) -> bool {
    v.is_undefined() || v.is_function() || v.is_symbol()
}

/// One answer, as serde reads the JSON value `JSON.stringify` would write for it.
pub(crate) fn answer(v: &JsValue, path: &str) -> Result<Answer, JsValue> {
    if v.is_null() {
        return Ok(Answer::Missing);
    }
    if let Some(n) = v.as_f64() {
        // An integral number within i64 is what JSON writes as an integer; 1.5, NaN and 1e300 are not codes.
        if n.is_finite() && n.fract() == 0.0 && n.abs() < 9.223_372_036_854_775e18 {
            return Ok(Answer::Code(n as i64));
        }
        return Err(invalid(path, v, ANSWER_EXPECTED));
    }
    if let Some(s) = v.as_string() {
        return Ok(match s.as_str() {
            "refused" => Answer::Refused,
            "missing" => Answer::Missing,
            _ => Answer::OptionId(s),
        });
    }
    if v.is_undefined() || v.is_function() || v.is_symbol() {
        // Only reached for array elements (object members of these kinds are absent, as in JSON).
        return Err(fail(
            path,
            format!(
                "{} is not a JSON value (use null for a missing answer)",
                v.js_typeof().as_string().unwrap_or_default()
            ),
        ));
    }
    Err(invalid(path, v, ANSWER_EXPECTED))
}

fn optional_string(v: &JsValue, path: &str) -> Result<Option<String>, JsValue> {
    if v.is_null() {
        return Ok(None);
    }
    v.as_string().map(Some).ok_or_else(|| invalid(path, v, "a string"))
}

fn entries(v: &JsValue) -> impl Iterator<Item = (String, JsValue)> + '_ {
    Object::keys(v.unchecked_ref::<Object>()).into_iter().filter_map(move |k| {
        let key = k.as_string()?;
        let value = Reflect::get(v, &k).ok()?;
        (!absent(&value)).then_some((key, value))
    })
}

/// The JS strings `"1"`, `"2"`, … of an instrument's item numbers, with their Rust twins: keys of
/// `answers` looked up directly, so the usual response (`{ answers: { "1": 2, … } }`) is read
/// without turning every key into a Rust string first.
#[derive(Debug)]
pub(crate) struct ItemKeys {
    keys: Vec<(JsValue, String)>,
    answers: JsValue,
}

impl ItemKeys {
    pub(crate) fn new(n_items: usize) -> ItemKeys {
        ItemKeys {
            keys: (1..=n_items).map(|i| (JsValue::from_str(&i.to_string()), i.to_string())).collect(),
            answers: JsValue::from_str("answers"),
        }
    }
}

/// The fast path of [`response`]: `{ answers }` alone, every key an item number with a defined
/// value. `None` when the object is anything else (the general path then reads it, so both
/// paths accept and refuse exactly the same inputs).
fn item_number_response(v: &JsValue, keys: &ItemKeys) -> Option<Result<Response, JsValue>> {
    if Object::keys(v.unchecked_ref::<Object>()).length() != 1 {
        return None;
    }
    let answers = Reflect::get(v, &keys.answers).ok()?;
    if !plain_object(&answers) {
        return None;
    }
    let n = Object::keys(answers.unchecked_ref::<Object>()).length() as usize;
    if n > keys.keys.len() {
        return None;
    }
    let mut out = BTreeMap::new();
    let mut path = String::new();
    for (js_key, key) in &keys.keys {
        if out.len() == n {
            break;
        }
        let Ok(a) = Reflect::get(&answers, js_key) else { return None };
        if a.is_undefined() {
            continue;
        }
        if absent(&a) {
            return None;
        }
        path.clear();
        path.push_str("/answers/");
        path.push_str(key);
        match answer(&a, &path) {
            Ok(a) => out.insert(key.clone(), a),
            Err(e) => return Some(Err(e)),
        };
    }
    (out.len() == n).then(|| {
        Ok(Response {
            answers: out,
            ..Response::default()
        })
    })
}

/// [`response`], taking the fast path for the usual shape.
pub(crate) fn response_with(v: &JsValue, keys: &ItemKeys) -> Result<Response, JsValue> {
    if plain_object(v) {
        if let Some(r) = item_number_response(v, keys) {
            return r;
        }
    }
    response(v)
}

/// A [`Response`] from a JS object (or its JSON text, parsed by the core).
pub(crate) fn response(v: &JsValue) -> Result<Response, JsValue> {
    if let Some(text) = v.as_string() {
        return Response::from_json(&text).map_err(|e| to_js(&e));
    }
    if !plain_object(v) {
        return Err(invalid("", v, "struct Response"));
    }
    let mut out = Response::default();
    let mut path = String::new();
    for (key, value) in entries(v) {
        path.clear();
        push(&mut path, &key);
        match key.as_str() {
            "answers" => {
                if !plain_object(&value) {
                    return Err(invalid(&path, &value, "a map"));
                }
                let mut answers = BTreeMap::new();
                for (item, a) in entries(&value) {
                    let mut p = path.clone();
                    push(&mut p, &item);
                    let a = answer(&a, &p)?;
                    answers.insert(item, a);
                }
                out.answers = answers;
            }
            "started_at" => out.started_at = optional_string(&value, &path)?,
            "finished_at" => out.finished_at = optional_string(&value, &path)?,
            "group" => {
                if !plain_object(&value) {
                    return Err(invalid(&path, &value, "a map"));
                }
                for (k, g) in entries(&value) {
                    let mut p = path.clone();
                    push(&mut p, &k);
                    let g = g.as_string().ok_or_else(|| invalid(&p, &g, "a string"))?;
                    out.group.insert(k, g);
                }
            }
            other => {
                return Err(fail(
                    &path,
                    format!(
                        "unknown field `{}`, expected one of {RESPONSE_FIELDS}",
                        changkaixin_core::error::excerpt_raw(other)
                    ),
                ))
            }
        }
    }
    Ok(out)
}

/// Answers in item order from a JS array (`null` = missing).
pub(crate) fn answer_list(v: &JsValue) -> Result<Vec<Answer>, JsValue> {
    if let Some(text) = v.as_string() {
        return serde_json::from_str(&text).map_err(|e| to_js(&Error::new(ErrorCode::ResponseParse, "", e.to_string())));
    }
    let Some(a) = v.dyn_ref::<Array>() else {
        return Err(invalid("", v, "a sequence of answers"));
    };
    let mut out = Vec::with_capacity(a.length() as usize);
    let mut path = String::new();
    for (i, e) in a.iter().enumerate() {
        path.clear();
        path.push('/');
        path.push_str(&i.to_string());
        out.push(answer(&e, &path)?);
    }
    Ok(out)
}
