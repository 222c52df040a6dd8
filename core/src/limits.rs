//! Resource limits on what a spec or policy may ask the compiler to build.
//!
//! Specs and policies are data, and data can be hostile: a few kilobytes of JSON whose scales sum
//! earlier scales double the value range with every scale, forty norm tables over a wide raw range
//! ask for gigabytes of lookup tables, a condition tree built through the Rust API may nest a
//! hundred thousand levels deep. An allocation failure aborts the process (no binding can catch
//! it) and a stack overflow kills it, so every such size is bounded here, checked **before**
//! anything proportional to it is allocated or recursed over, and reported as a typed error
//! (`spec.limit_exceeded` / `policy.limit_exceeded`, `spec.invalid_value` /
//! `policy.invalid_value` for out-of-range numbers) with the JSON path of the offending part.
//!
//! The limits are far above every instrument and policy we know of (the largest built-in spec,
//! SCL-90, has 90 items, 13 scales and a value range of 361; the MHT-shaped fixture has 144 norm
//! tables) and are documented in `docs/instrument-format.md` and `docs/alert-tiers.md`. The policy
//! limits live beside the policy format: [`crate::alert::policy::MAX_RULES`] and friends.

use crate::decimal::{Dec, Ratio};
use crate::error::{excerpt_raw, Error, ErrorCode, Result};
use serde::Serialize;

/// Most items an instrument may have.
pub const MAX_ITEMS: usize = 1000;
/// Most named option sets.
pub const MAX_OPTION_SETS: usize = 1000;
/// Most scales an instrument may have.
pub const MAX_SCALES: usize = 256;
/// Most flags (batch flag bitsets are 64-bit words).
pub const MAX_FLAGS: usize = 64;
/// Most validity rules.
pub const MAX_VALIDITY_RULES: usize = 64;
/// Most bands per scale (band positions are bytes).
pub const MAX_BANDS_PER_SCALE: usize = 100;
/// Widest value range of one scale: `max − min` of its integer numerator (the sum, the count, or
/// the sum behind a mean) may be at most this. Band lookup and norm tables have one entry per value.
pub const MAX_SCALE_RANGE: i64 = 100_000;
/// Largest magnitude of a scale's integer numerator (keeps every sum far inside `i32`, which the
/// batch fast path accumulates in, and every product of scoring inside `i64`).
pub const MAX_SCALE_MAGNITUDE: i64 = 1_000_000_000;
/// Most lookup-table entries one compilation may build: band-by-value tables of all scales plus
/// the rows of all norm tables (one entry per raw value per table).
pub const MAX_TABLE_ENTRIES: usize = 1_000_000;
/// Most norm tables.
pub const MAX_NORM_TABLES: usize = 2000;
/// Most rows in one norm table.
pub const MAX_NORM_ROWS: usize = MAX_SCALE_RANGE as usize + 1;
/// Most norm group keys (e.g. `grade`, `sex`).
pub const MAX_NORM_GROUP_KEYS: usize = 8;
/// Largest magnitude of a decimal constant in a spec or policy (band bounds, thresholds,
/// standard scores).
pub const MAX_SPEC_NUMBER: i64 = 1_000_000;
/// Most decimal places of a decimal constant in a spec or policy, as written (`"2.50"` has two).
pub const MAX_SPEC_DECIMALS: u32 = 6;
/// Deepest condition tree (the root is depth 0), in specs and policies alike.
pub const MAX_CONDITION_DEPTH: usize = 32;
/// Most condition nodes in one spec (flags, screen-positive, validity and every setting's patches).
pub const MAX_CONDITION_NODES: usize = 10_000;
/// Most settings of one instrument.
pub const MAX_SETTINGS: usize = 16;
/// Most setting options in total over all settings (each option is compiled when the spec loads).
pub const MAX_SETTING_OPTIONS: usize = 64;
/// Longest string (in bytes) anywhere in a spec or policy: texts, citations, notes, labels, ids,
/// map keys. Ids are further limited to 64 characters.
pub const MAX_TEXT_BYTES: usize = 16 * 1024;

/// A bounded decimal constant of a spec or policy as an exact fraction: at most
/// [`MAX_SPEC_DECIMALS`] places and magnitude at most [`MAX_SPEC_NUMBER`]; otherwise `code` at `path`.
pub(crate) fn spec_number(d: Dec, code: ErrorCode, path: &str) -> Result<Ratio> {
    let bound = rust_decimal::Decimal::from(MAX_SPEC_NUMBER);
    let ratio = d.to_ratio().filter(|_| d.0.scale() <= MAX_SPEC_DECIMALS && d.0.abs() <= bound);
    ratio.ok_or_else(|| {
        Error::new(
            code,
            path,
            format!(
                "{} is out of range: decimal constants must lie within ±{MAX_SPEC_NUMBER} with at most {MAX_SPEC_DECIMALS} decimal places",
                excerpt_raw(&d.to_string())
            ),
        )
    })
}

/// One node's children, for the iterative tree walks.
pub(crate) enum Kids<'a, T> {
    None,
    One(&'a T),
    Many(&'a [T]),
}

/// Why a tree is too big.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TreeExcess {
    /// Deeper than the limit.
    Depth,
    /// More nodes than the budget.
    Nodes,
}

/// Walk a tree without recursion, counting its nodes against `budget` (decremented) and its depth
/// against `max_depth`; stops at the first excess. Safe on trees of any depth.
pub(crate) fn measure_tree<'a, T>(
    root: &'a T,
    kids: impl Fn(&'a T) -> Kids<'a, T>,
    max_depth: usize,
    budget: &mut usize,
) -> std::result::Result<(), TreeExcess> {
    let mut stack: Vec<(&'a T, usize)> = vec![(root, 0)];
    while let Some((node, depth)) = stack.pop() {
        if depth > max_depth {
            return Err(TreeExcess::Depth);
        }
        if *budget == 0 {
            return Err(TreeExcess::Nodes);
        }
        *budget -= 1;
        match kids(node) {
            Kids::None => {}
            Kids::One(c) => stack.push((c, depth + 1)),
            Kids::Many(cs) => {
                if cs.len() > *budget {
                    return Err(TreeExcess::Nodes);
                }
                stack.extend(cs.iter().map(|c| (c, depth + 1)));
            }
        }
    }
    Ok(())
}

/// Check every string (values and map keys) of a serialisable document against
/// [`MAX_TEXT_BYTES`]. Returns the JSON path and length (in bytes, unescaped) of the first string
/// that is too long, in serialisation order. Only call on documents whose depth is already
/// bounded (serialisation recurses).
///
/// The document is written once as compact JSON and the text is scanned. This reuses the
/// `serde_json` serializer every binding already carries for the spec and policy types instead of
/// a serializer of its own (a second serializer instantiated over every spec and policy type cost
/// the web modules about 46 KB of code); the scan itself is iterative and not generic.
pub(crate) fn long_string<T: Serialize + ?Sized>(doc: &T) -> Option<(String, usize)> {
    let text = serde_json::to_vec(doc).ok()?;
    long_string_in_json(&text)
}

/// One open container of the JSON text being scanned.
enum Frame {
    /// An object and the key of the member being read (once its key is read).
    Object(Option<String>),
    /// An array and the index of the element being read.
    Array(usize),
}

fn json_path(stack: &[Frame]) -> String {
    let mut path = String::new();
    for f in stack {
        match f {
            Frame::Object(Some(k)) => {
                path.push('/');
                path.push_str(k);
            }
            Frame::Object(None) => {}
            Frame::Array(i) => {
                path.push('/');
                path.push_str(&i.to_string());
            }
        }
    }
    path
}

/// The first string (member value, array element or object key) of JSON text longer than
/// [`MAX_TEXT_BYTES`], with its path: `/a/0/b` for values, the parent's path and the key's
/// excerpt for a key. Iterative, safe on any text (invalid text gives `None`).
fn long_string_in_json(t: &[u8]) -> Option<(String, usize)> {
    let mut stack: Vec<Frame> = Vec::new();
    // Whether the next string is an object key.
    let mut key_next = false;
    let mut i = 0;
    while let Some(&b) = t.get(i) {
        match b {
            b'{' => {
                stack.push(Frame::Object(None));
                key_next = true;
            }
            b'[' => stack.push(Frame::Array(0)),
            b'}' | b']' => {
                stack.pop();
                key_next = false;
            }
            b',' => match stack.last_mut() {
                Some(Frame::Array(n)) => *n += 1,
                Some(Frame::Object(k)) => {
                    *k = None;
                    key_next = true;
                }
                None => {}
            },
            b'"' => {
                let mut end = i;
                let text = crate::json_string::read(t, &mut end).ok()?;
                let len = text.len();
                if key_next {
                    let key = text;
                    if len > MAX_TEXT_BYTES {
                        return Some((format!("{}/{}", json_path(&stack), excerpt_raw(&key)), len));
                    }
                    if let Some(Frame::Object(k)) = stack.last_mut() {
                        *k = Some(key);
                    }
                    key_next = false;
                } else if len > MAX_TEXT_BYTES {
                    return Some((json_path(&stack), len));
                }
                i = end;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[derive(serde::Serialize)]
    struct Doc {
        name: String,
        items: Vec<Item>,
        map: BTreeMap<String, String>,
    }
    #[derive(serde::Serialize)]
    #[serde(rename_all = "snake_case")]
    enum Item {
        Text(String),
        Pair { a: String },
    }

    #[test]
    fn finds_the_first_long_string_with_its_path() {
        let long = "x".repeat(MAX_TEXT_BYTES + 1);
        let mut d = Doc {
            name: "ok".into(),
            items: vec![Item::Text("a".into()), Item::Pair { a: "b".into() }],
            map: BTreeMap::new(),
        };
        assert_eq!(long_string(&d), None);
        d.items.push(Item::Pair { a: long.clone() });
        assert_eq!(long_string(&d), Some(("/items/2/pair/a".into(), long.len())));
        d.items.pop();
        d.items.push(Item::Text(long.clone()));
        assert_eq!(long_string(&d), Some(("/items/2/text".into(), long.len())));
        d.items.pop();
        d.map.insert("grade".into(), long.clone());
        assert_eq!(long_string(&d), Some(("/map/grade".into(), long.len())));
        d.map.clear();
        d.map.insert(long.clone(), "v".into());
        let (path, len) = long_string(&d).unwrap();
        assert!(path.starts_with("/map/xxx") && path.len() < 120 && len == long.len(), "{path}");
    }

    #[test]
    fn lengths_are_of_the_text_not_of_its_escapes() {
        // Exactly at the limit after unescaping, though the JSON text of each is longer.
        for unit in ["\"", "\\", "\n", "\u{1}", "é", "中", "😀"] {
            let at = unit.repeat(MAX_TEXT_BYTES / unit.len());
            assert!(at.len() <= MAX_TEXT_BYTES);
            let d = Doc {
                name: at.clone(),
                items: vec![],
                map: BTreeMap::from([(at.clone(), at.clone())]),
            };
            assert_eq!(long_string(&d), None, "{unit:?}");
            let over = format!("{at}{unit}{unit}{unit}{unit}");
            let d = Doc {
                name: "n".into(),
                items: vec![Item::Text("t".into()), Item::Text(over.clone())],
                map: BTreeMap::new(),
            };
            assert_eq!(long_string(&d), Some(("/items/1/text".into(), over.len())), "{unit:?}");
        }
        // The first in serialisation order; keys with escapes are unescaped in the path.
        let long = "y".repeat(MAX_TEXT_BYTES + 1);
        let d = Doc {
            name: long.clone(),
            items: vec![Item::Text(long.clone())],
            map: BTreeMap::from([("k\"/".into(), long.clone())]),
        };
        assert_eq!(long_string(&d), Some(("/name".into(), long.len())));
        let d = Doc {
            name: "n".into(),
            items: vec![],
            map: BTreeMap::from([("a\"b".into(), "v".into()), ("c\td".into(), long.clone())]),
        };
        assert_eq!(long_string(&d), Some(("/map/c\td".into(), long.len())));
        assert_eq!(long_string(&long), Some((String::new(), long.len())));
        assert_eq!(long_string_in_json(b"{\"a\":[1,\"x"), None);
        // Escaped surrogate pairs (serde_json writes such characters raw; other JSON may not).
        let pairs = "\\ud83d\\ude00".repeat(MAX_TEXT_BYTES / 4 + 1);
        let text = format!("{{\"a\":[\"{pairs}\"]}}");
        assert_eq!(long_string_in_json(text.as_bytes()), Some(("/a/0".into(), MAX_TEXT_BYTES + 4)));
    }

    #[test]
    fn trees_are_measured_without_recursion() {
        enum T {
            Leaf,
            Not(Box<T>),
            Any(Vec<T>),
        }
        fn kids(t: &T) -> Kids<'_, T> {
            match t {
                T::Leaf => Kids::None,
                T::Not(b) => Kids::One(b),
                T::Any(v) => Kids::Many(v),
            }
        }
        let mut t = T::Leaf;
        for _ in 0..100_000 {
            t = T::Not(Box::new(t));
        }
        let mut budget = usize::MAX;
        assert_eq!(measure_tree(&t, kids, MAX_CONDITION_DEPTH, &mut budget), Err(TreeExcess::Depth));
        // Free it iteratively (this test type has no iterative Drop).
        let mut cur = t;
        while let T::Not(b) = cur {
            cur = *b;
        }
        let wide = T::Any((0..50).map(|_| T::Leaf).collect());
        let mut budget = 10;
        assert_eq!(measure_tree(&wide, kids, MAX_CONDITION_DEPTH, &mut budget), Err(TreeExcess::Nodes));
        let mut budget = 100;
        assert_eq!(measure_tree(&wide, kids, MAX_CONDITION_DEPTH, &mut budget), Ok(()));
        assert_eq!(budget, 49);
        let mut budget = 100;
        assert_eq!(measure_tree(&T::Not(Box::new(T::Leaf)), kids, 0, &mut budget), Err(TreeExcess::Depth));
    }

    #[test]
    fn spec_numbers_are_bounded() {
        let ok: Dec = "999999.999999".parse().unwrap();
        assert!(spec_number(ok, ErrorCode::SpecInvalidValue, "/x").is_ok());
        for bad in ["1000000.5", "0.0000001", "-9223372036854775808", "79228162514264337593543950335"] {
            let d: Dec = bad.parse().unwrap();
            let e = spec_number(d, ErrorCode::SpecInvalidValue, "/x").unwrap_err();
            assert_eq!(e.code(), "spec.invalid_value");
        }
    }
}
