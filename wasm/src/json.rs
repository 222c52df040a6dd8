//! Moving the core's serde shapes across the boundary as JSON.
//!
//! Going through `JSON.stringify`/`JSON.parse` keeps the exact serde semantics of the
//! core (the same `deny_unknown_fields`, the same decimal rules: a JS float where a
//! decimal is expected is refused, as in Rust) and makes a report byte-for-byte the
//! Rust one. It is also the fastest path for small documents: one string crosses,
//! and the engine's native JSON parser builds the objects.
//!
//! Errors point into the JS object the caller gave, as JSON pointers (`/answers/3`), never
//! as positions in a JSON text the caller never saw:
//! * a parse error of the core (path `line L column C` in the stringified text) is mapped
//!   back to the pointer of the value at that position ([`pointer_at`]) (JSON text given by the
//!   caller keeps the core's error unchanged: the position is in the caller's own text);
//! * values `JSON.stringify` would silently turn into something else (`NaN` and `±Infinity`
//!   become `null`, `undefined` and functions in arrays become `null`, a `Map` or `Set`
//!   becomes `{}`) or cannot write (a `BigInt`, a cycle) are refused with their pointer
//!   ([`misfit`]), so a wrong JS value never reads as a missing answer.

use changkaixin_core::{Error, ErrorCode};
use js_sys::{Array, Object, Reflect};
use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// A serde value as a JS value (via `JSON.parse`).
pub(crate) fn to_js<T: Serialize + ?Sized>(v: &T) -> Result<JsValue, JsValue> {
    let text = serde_json::to_string(v).map_err(|e| crate::error::to_js(&Error::new(ErrorCode::SpecParse, "", e.to_string())))?;
    js_sys::JSON::parse(&text)
}

/// The JSON text of a JS input, and whether the caller gave it as text.
pub(crate) struct Input {
    pub(crate) text: String,
    given_as_text: bool,
}

impl Input {
    /// An input that may be an object or its JSON text (a string is taken as JSON text).
    pub(crate) fn object_or_text(v: &JsValue, code: ErrorCode) -> Result<Input, JsValue> {
        match v.as_string() {
            Some(text) => Ok(Input { text, given_as_text: true }),
            None => Input::object(v, code),
        }
    }

    /// An input that is a JS value (a string is a JSON string, not JSON text).
    pub(crate) fn object(v: &JsValue, code: ErrorCode) -> Result<Input, JsValue> {
        let fail = |path: String, message: String| crate::error::to_js(&Error::new(code, path, message));
        if v.is_undefined() {
            return Err(fail(String::new(), "expected a value, got undefined".into()));
        }
        let text = js_sys::JSON::stringify(v).ok().and_then(|s| s.as_string());
        // Only when the text could hide a silent conversion (a `null` or an empty object), or
        // when stringify failed, is the JS value walked to find the offending value.
        let suspicious = text.as_deref().is_none_or(|t| t.contains("null") || t.contains("{}"));
        if suspicious {
            let mut path = String::new();
            if let Some(message) = misfit(v, &mut path, 0) {
                return Err(fail(path, message));
            }
        }
        match text {
            Some(text) => Ok(Input { text, given_as_text: false }),
            None => Err(fail(String::new(), "the value cannot be written as JSON".into())),
        }
    }

    /// Run a core parse/compile step on the text. For an object, the core's `line L column C`
    /// paths (positions in a text the caller never saw) become JSON pointers into the object;
    /// for JSON text the caller gave, errors stay exactly the core's (a position in their text).
    pub(crate) fn run<T>(&self, f: impl FnOnce(&str) -> changkaixin_core::Result<T>) -> Result<T, JsValue> {
        f(&self.text).map_err(|e| crate::error::to_js(&self.remap(e)))
    }

    /// Deserialize into a core serde type; failures carry `code` and a JSON pointer.
    pub(crate) fn parse<T: serde::de::DeserializeOwned>(&self, code: ErrorCode) -> Result<T, JsValue> {
        self.run(|t| serde_json::from_str(t).map_err(|e| Error::new(code, position(e.line(), e.column()), e.to_string())))
    }

    /// [`Input::run`] for a core step that reports every problem at once: each error remapped
    /// like `run`'s, kept as core errors (the caller decides whether they are thrown).
    #[cfg_attr(not(feature = "archive"), allow(dead_code))]
    pub(crate) fn run_all<T>(&self, f: impl FnOnce(&str) -> Result<T, Vec<Error>>) -> Result<T, Vec<Error>> {
        f(&self.text).map_err(|es| es.into_iter().map(|e| self.remap(e)).collect())
    }

    /// [`Input::parse`] keeping the core error (for a caller that prefixes its path).
    #[cfg_attr(not(feature = "archive"), allow(dead_code))]
    pub(crate) fn parse_core<T: serde::de::DeserializeOwned>(&self, code: ErrorCode) -> Result<T, Error> {
        serde_json::from_str(&self.text).map_err(|e| self.remap(Error::new(code, position(e.line(), e.column()), e.to_string())))
    }

    fn remap(&self, e: Error) -> Error {
        if self.given_as_text {
            return e;
        }
        let Some((line, column)) = parse_position(e.path()) else { return e };
        let pointer = offset_of(&self.text, line, column).map(|o| pointer_at(&self.text, o)).unwrap_or_default();
        let suffix = format!(" at line {line} column {column}");
        let message = e.message().strip_suffix(suffix.as_str()).unwrap_or(e.message());
        let mut out = Error::new(e.error_code(), pointer, message.to_owned());
        if let Some(i) = e.item() {
            out = out.with_item(i);
        }
        if let Some(r) = e.row() {
            out = out.with_row(r);
        }
        out
    }
}

/// Deserialize a JS object into a core serde type, mapping failures onto `code`.
pub(crate) fn from_js<T: serde::de::DeserializeOwned>(v: &JsValue, code: ErrorCode) -> Result<T, JsValue> {
    Input::object(v, code)?.parse(code)
}

fn position(line: usize, column: usize) -> String {
    format!("line {line} column {column}")
}

/// `line L column C` → `(L, C)`.
fn parse_position(path: &str) -> Option<(usize, usize)> {
    let rest = path.strip_prefix("line ")?;
    let (l, c) = rest.split_once(" column ")?;
    Some((l.parse().ok()?, c.parse().ok()?))
}

/// The byte offset just after serde_json's (1-based line, byte column) position.
fn offset_of(text: &str, line: usize, column: usize) -> Option<usize> {
    let start = if line <= 1 {
        0
    } else {
        text.match_indices('\n').nth(line - 2).map(|(i, _)| i + 1)?
    };
    Some((start + column).min(text.len()))
}

enum Frame {
    Object { key: Option<String>, expecting_key: bool },
    Array { index: usize },
}

/// The JSON pointer of the value being read at byte `offset` of the JSON `text`: the innermost
/// array element or object member open (or just finished) there.
pub(crate) fn pointer_at(text: &str, offset: usize) -> String {
    let bytes = text.as_bytes();
    let end = offset.min(bytes.len());
    let mut stack: Vec<Frame> = Vec::new();
    let mut i = 0;
    while i < end {
        match bytes[i] {
            b'"' => {
                // A string: find its end (or `end`), decoding it when it is an object key.
                let is_key = matches!(stack.last(), Some(Frame::Object { expecting_key: true, .. }));
                let start = i + 1;
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                if is_key {
                    let raw = &text[start..i.min(text.len())];
                    let key = serde_json::from_str::<String>(&format!("\"{raw}\"")).unwrap_or_else(|_| raw.to_owned());
                    if let Some(Frame::Object { key: k, expecting_key }) = stack.last_mut() {
                        *k = Some(key);
                        *expecting_key = false;
                    }
                }
            }
            b'{' => stack.push(Frame::Object {
                key: None,
                expecting_key: true,
            }),
            b'[' => stack.push(Frame::Array { index: 0 }),
            b'}' | b']' => {
                stack.pop();
            }
            b',' => match stack.last_mut() {
                Some(Frame::Object { key, expecting_key }) => {
                    *key = None;
                    *expecting_key = true;
                }
                Some(Frame::Array { index }) => *index += 1,
                None => {}
            },
            _ => {}
        }
        i += 1;
    }
    let mut out = String::new();
    for f in &stack {
        match f {
            Frame::Object { key: Some(k), .. } => push_segment(&mut out, k),
            Frame::Object { key: None, .. } => break,
            Frame::Array { index } => push_segment(&mut out, &index.to_string()),
        }
    }
    out
}

/// Append `/segment` with JSON-pointer escaping (`~` → `~0`, `/` → `~1`).
fn push_segment(path: &mut String, segment: &str) {
    path.push('/');
    for c in segment.chars() {
        match c {
            '~' => path.push_str("~0"),
            '/' => path.push_str("~1"),
            c => path.push(c),
        }
    }
}

/// How deep [`misfit`] walks (deeper values are refused: the core's documents are far shallower,
/// and a cycle ends here).
const MAX_DEPTH: usize = 128;

/// The first value in `v` that JSON would silently change or cannot write, with its pointer in
/// `path`: a non-finite number, a `BigInt`, `undefined`/a function/a symbol as an array element,
/// a `Map`/`Set`, a cycle. `None` when `v` is plain JSON data.
fn misfit(v: &JsValue, path: &mut String, depth: usize) -> Option<String> {
    if let Some(n) = v.as_f64() {
        return (!n.is_finite()).then(|| format!("{n} is not a JSON number (a number was expected to be finite)"));
    }
    if v.is_bigint() {
        return Some("a BigInt cannot cross as JSON: give a number or a decimal string".into());
    }
    if v.is_undefined() || v.is_function() || v.is_symbol() {
        // Reached only for array elements and the top level: object members of these kinds are
        // skipped by JSON (absent), as in the caller's object.
        return Some(format!("{} is not a JSON value (use null for a missing answer)", type_name(v)));
    }
    if !v.is_object() {
        return None;
    }
    if depth >= MAX_DEPTH {
        return Some(format!("nested deeper than {MAX_DEPTH} levels (or cyclic)"));
    }
    if v.is_instance_of::<js_sys::Map>() || v.is_instance_of::<js_sys::Set>() {
        return Some("a Map or Set would cross as {}: give a plain object or an array".into());
    }
    if Reflect::get(v, &JsValue::from_str("toJSON")).is_ok_and(|f| f.is_function()) {
        // Dates and the like: JSON.stringify writes what `toJSON` returns.
        return None;
    }
    let len = path.len();
    if let Some(a) = v.dyn_ref::<Array>() {
        for (i, e) in a.iter().enumerate() {
            push_segment(path, &i.to_string());
            if let Some(m) = misfit(&e, path, depth + 1) {
                return Some(m);
            }
            path.truncate(len);
        }
        return None;
    }
    for k in Object::keys(v.unchecked_ref::<Object>()).iter() {
        let Some(key) = k.as_string() else { continue };
        let Ok(e) = Reflect::get(v, &k) else { continue };
        if e.is_undefined() || e.is_function() || e.is_symbol() {
            continue;
        }
        push_segment(path, &key);
        if let Some(m) = misfit(&e, path, depth + 1) {
            return Some(m);
        }
        path.truncate(len);
    }
    None
}

fn type_name(v: &JsValue) -> String {
    v.js_typeof().as_string().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::pointer_at;

    fn at(text: &str, needle: &str) -> String {
        pointer_at(text, text.find(needle).unwrap() + needle.len())
    }

    #[test]
    fn pointers_name_the_value_at_a_position() {
        let t = r#"{"answers":{"1":2,"3":true},"group":{"a/b~":"x"},"l":[1,[2,{"k":null}]]}"#;
        assert_eq!(at(t, "true"), "/answers/3");
        assert_eq!(at(t, r#""3""#), "/answers/3");
        assert_eq!(at(t, r#"true}"#), "/answers");
        assert_eq!(at(t, r#""x""#), "/group/a~1b~0");
        assert_eq!(at(t, "null"), "/l/1/1/k");
        assert_eq!(at(t, "[2"), "/l/1/0");
        assert_eq!(pointer_at(t, t.len()), "");
        assert_eq!(pointer_at(r#"{"a\"b":1}"#, 9), "/a\"b");
    }
}
