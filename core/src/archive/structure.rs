//! Structural validation against a record type's own exported JSON Schema, reporting **every**
//! problem (missing and unknown fields, wrong types, values outside their closed sets, malformed
//! timestamps) with its JSON pointer — serde stops at the first.
//!
//! Only the keywords `schemars` emits for the archive types are interpreted: `$ref` (to
//! `#/$defs/…`), `type`, `enum`, `const`, `oneOf`/`anyOf`, `properties`, `required`,
//! `additionalProperties`, `items`, `minItems`, `minimum`/`maximum` (integers), and `format`
//! (`date-time`, `date`, `year-month`, checked with the crate's own parsers). The fast path of
//! [`super::validate`] deserializes directly; this walk runs only when that fails.

use crate::error::{excerpt, Error, ErrorCode};
use crate::time::{Date, Timestamp};
use serde_json::Value;

use super::schema::YearMonth;

/// At most this many structural errors are reported for one record (the rest are counted).
pub const MAX_ERRORS: usize = 100;

/// Walk `instance` against `root` (a schema with `$defs`), appending errors.
pub(crate) fn check(root: &Value, instance: &Value, errors: &mut Vec<Error>) {
    let mut path = String::new();
    walk(root, root, instance, &mut path, errors, 0);
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn type_matches(t: &str, v: &Value) -> bool {
    let actual = type_name(v);
    t == actual || (t == "number" && actual == "integer")
}

fn resolve<'a>(root: &'a Value, reference: &str) -> Option<&'a Value> {
    reference.strip_prefix('#').and_then(|p| root.pointer(p))
}

fn push_segment(path: &mut String, seg: &str) -> usize {
    let len = path.len();
    path.push('/');
    path.push_str(&seg.replace('~', "~0").replace('/', "~1"));
    len
}

fn short_value(v: &Value) -> String {
    match v {
        Value::String(s) => format!("{}", excerpt(s)),
        Value::Array(_) => "an array".into(),
        Value::Object(_) => "an object".into(),
        other => excerpt(&other.to_string()).to_string(),
    }
}

fn allowed_consts(alts: &[Value]) -> Option<Vec<String>> {
    alts.iter()
        .map(|a| a.get("const").map(|c| c.as_str().map_or_else(|| c.to_string(), str::to_owned)))
        .collect()
}

fn walk(root: &Value, schema: &Value, v: &Value, path: &mut String, errors: &mut Vec<Error>, depth: u32) {
    if errors.len() >= MAX_ERRORS || depth > 64 {
        return;
    }
    let Some(s) = schema.as_object() else {
        if schema == &Value::Bool(false) {
            errors.push(Error::new(ErrorCode::ArchiveUnknownField, path.clone(), "no value is allowed here"));
        }
        return;
    };
    if let Some(r) = s.get("$ref").and_then(Value::as_str) {
        if let Some(target) = resolve(root, r) {
            walk(root, target, v, path, errors, depth + 1);
        }
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(alts) = s.get(key).and_then(Value::as_array) {
            alternatives(root, alts, v, path, errors, depth);
        }
    }
    if let Some(t) = s.get("type") {
        let ok = match t {
            Value::String(t) => type_matches(t, v),
            Value::Array(ts) => ts.iter().filter_map(Value::as_str).any(|t| type_matches(t, v)),
            _ => true,
        };
        if !ok {
            let expected = match t {
                Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(" or "),
                other => other.as_str().unwrap_or("").to_owned(),
            };
            errors.push(Error::new(
                ErrorCode::ArchiveInvalidType,
                path.clone(),
                format!("expected {expected}, found {} {}", type_name(v), short_value(v)),
            ));
            return;
        }
    }
    if let Some(allowed) = s.get("enum").and_then(Value::as_array) {
        if !allowed.contains(v) {
            let list: Vec<String> = allowed.iter().map(|a| a.as_str().map_or_else(|| a.to_string(), str::to_owned)).collect();
            errors.push(Error::new(
                ErrorCode::ArchiveInvalidValue,
                path.clone(),
                format!("expected one of {}, found {}", list.join(", "), short_value(v)),
            ));
        }
    }
    if let Some(c) = s.get("const") {
        if c != v {
            errors.push(Error::new(
                ErrorCode::ArchiveInvalidValue,
                path.clone(),
                format!("expected {c}, found {}", short_value(v)),
            ));
        }
    }
    match v {
        Value::String(text) => {
            let ok = match s.get("format").and_then(Value::as_str) {
                Some("date-time") => Timestamp::parse(text).is_ok(),
                Some("date") => Date::parse(text).is_ok(),
                Some("year-month") => YearMonth::parse(text).is_some(),
                _ => true,
            };
            if !ok {
                let want = s.get("format").and_then(Value::as_str).unwrap_or("");
                let example = match want {
                    "date-time" => "an RFC 3339 timestamp such as \"2024-03-04T08:00:00Z\"",
                    "date" => "a date YYYY-MM-DD",
                    _ => "a year-month YYYY-MM",
                };
                errors.push(Error::new(
                    ErrorCode::ArchiveInvalidValue,
                    path.clone(),
                    format!("expected {example}, found {}", excerpt(text)),
                ));
            }
        }
        Value::Number(n) => {
            let as_int = |x: &Value| x.as_i64().map(i128::from).or_else(|| x.as_u64().map(i128::from));
            if let Some(x) = as_int(v) {
                if let Some(min) = s.get("minimum").and_then(as_int) {
                    if x < min {
                        errors.push(Error::new(
                            ErrorCode::ArchiveInvalidValue,
                            path.clone(),
                            format!("expected at least {min}, found {n}"),
                        ));
                    }
                }
                if let Some(max) = s.get("maximum").and_then(as_int) {
                    if x > max {
                        errors.push(Error::new(
                            ErrorCode::ArchiveInvalidValue,
                            path.clone(),
                            format!("expected at most {max}, found {n}"),
                        ));
                    }
                }
            }
        }
        Value::Array(items) => {
            if let Some(min) = s.get("minItems").and_then(Value::as_u64) {
                if (items.len() as u64) < min {
                    errors.push(Error::new(
                        ErrorCode::ArchiveEmpty,
                        path.clone(),
                        format!("expected at least {min} entries, found {}", items.len()),
                    ));
                }
            }
            if let Some(item_schema) = s.get("items") {
                for (i, item) in items.iter().enumerate() {
                    let len = push_segment(path, &i.to_string());
                    walk(root, item_schema, item, path, errors, depth + 1);
                    path.truncate(len);
                }
            }
        }
        Value::Object(map) => {
            let props = s.get("properties").and_then(Value::as_object);
            if let Some(required) = s.get("required").and_then(Value::as_array) {
                for name in required.iter().filter_map(Value::as_str) {
                    if !map.contains_key(name) {
                        let len = push_segment(path, name);
                        errors.push(Error::new(
                            ErrorCode::ArchiveMissingField,
                            path.clone(),
                            format!("required field {name:?} is absent"),
                        ));
                        path.truncate(len);
                    }
                }
            }
            let additional = s.get("additionalProperties");
            for (k, val) in map {
                let len = push_segment(path, k);
                match props.and_then(|p| p.get(k)) {
                    Some(ps) => walk(root, ps, val, path, errors, depth + 1),
                    None => match additional {
                        Some(Value::Bool(false)) => {
                            let known: Vec<&str> = props.map(|p| p.keys().map(String::as_str).collect()).unwrap_or_default();
                            errors.push(Error::new(
                                ErrorCode::ArchiveUnknownField,
                                path.clone(),
                                format!("unknown field {}; expected one of {}", excerpt(k), known.join(", ")),
                            ));
                        }
                        Some(extra) => walk(root, extra, val, path, errors, depth + 1),
                        None => {}
                    },
                }
                path.truncate(len);
            }
        }
        _ => {}
    }
}

fn alternatives(root: &Value, alts: &[Value], v: &Value, path: &mut String, errors: &mut Vec<Error>, depth: u32) {
    let mut best: Option<Vec<Error>> = None;
    for alt in alts {
        let mut scratch = Vec::new();
        walk(root, alt, v, path, &mut scratch, depth + 1);
        if scratch.is_empty() {
            return;
        }
        // Prefer the alternative whose problems are deeper than a type mismatch at this node.
        let type_only = scratch.len() == 1 && scratch[0].error_code() == ErrorCode::ArchiveInvalidType && scratch[0].path() == path.as_str();
        if !type_only && best.is_none() {
            best = Some(scratch);
        }
    }
    let type_fits = |a: &Value| match a.get("type") {
        Some(Value::String(t)) => type_matches(t, v),
        _ => true,
    };
    match (best, allowed_consts(alts)) {
        (_, Some(_)) if !alts.iter().any(type_fits) => {
            errors.push(Error::new(
                ErrorCode::ArchiveInvalidType,
                path.clone(),
                format!("expected a string, found {} {}", type_name(v), short_value(v)),
            ));
        }
        (_, Some(list)) => {
            errors.push(Error::new(
                ErrorCode::ArchiveInvalidValue,
                path.clone(),
                format!("expected one of {}, found {}", list.join(", "), short_value(v)),
            ));
        }
        (Some(errs), None) => errors.extend(errs),
        (None, None) => errors.push(Error::new(
            ErrorCode::ArchiveInvalidType,
            path.clone(),
            format!("found {} {}, which none of the allowed shapes takes", type_name(v), short_value(v)),
        )),
    }
}
