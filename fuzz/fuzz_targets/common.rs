//! Shared by the alert fuzz targets: the stub catalog, the default policy, and a
//! byte-driven JSON mutator that keeps inputs close to valid documents.
#![allow(dead_code)]

use changkaixin_core::alert::{AlertPolicy, CompiledPolicy};
use changkaixin_core::{Catalog, Instrument};
use serde_json::Value;
use std::sync::OnceLock;

/// The built-in catalog, or (while its files are placeholders) the stub with the same ids.
pub fn catalog() -> &'static Catalog {
    static C: OnceLock<Catalog> = OnceLock::new();
    C.get_or_init(|| {
        if Catalog::builtin().ids().next().is_some() {
            return Catalog::builtin().clone();
        }
        let specs: Vec<Value> = serde_json::from_str(include_str!("../../tests/fixtures/alert/stub_catalog.json")).unwrap_or_default();
        specs.iter().filter_map(|s| Instrument::from_json(&s.to_string()).ok()).fold(Catalog::empty(), |c, i| c.with_instrument(i))
    })
}

/// The default policy as a JSON value (parsed once; targets clone it).
pub fn default_policy_value() -> &'static Value {
    static V: OnceLock<Value> = OnceLock::new();
    V.get_or_init(|| serde_json::from_str(changkaixin_core::alert::CHANGZHOU_DEFAULT_JSON).unwrap_or_default())
}

pub fn policy() -> &'static CompiledPolicy {
    static P: OnceLock<CompiledPolicy> = OnceLock::new();
    P.get_or_init(|| match AlertPolicy::changzhou_default().and_then(|p| p.compile(catalog())) {
        Ok(p) => p,
        Err(e) => panic!("the default policy must compile against the catalog: {e}"),
    })
}

/// Strings worth splicing in: ids the policy knows, ids it does not, good and bad times and durations.
const WORDS: &[&str] = &[
    "none", "watch", "key", "crisis", "red", "", "phq9", "phq_a", "asq", "mht", "gad7", "cssrs_screen", "scl90", "k10", "total", "lie", "moderate",
    "severe", "item9_self_harm", "acute_positive", "total_high", "principal", "head_teacher", "psychology_teacher", "guardian", "janitor",
    "self_harm", "withdrawal", "bereavement", "left_behind", "danger_notice", "growth_centre", "urgent", "concern", "exam", "spring",
    "2024-03-04T08:00:00Z", "2024-03-05T08:00:00Z", "1970-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "0000-01-01T00:00:00Z", "2024-02-30T00:00:00Z",
    "2024-03-04T16:00:00+08:00", "P1D", "PT0S", "P2W", "P36500D", "P1M", "PT", "invalid", "valid", "incomplete", "notify:guardian", "review:key",
];

/// Apply byte-driven edits to a JSON value: each 3 bytes pick a node (DFS order) and an edit.
pub fn mutate(root: &mut Value, data: &[u8]) {
    for chunk in data.chunks(3).take(16) {
        let (a, b, c) = (chunk[0] as usize, chunk.get(1).copied().unwrap_or(0) as usize, chunk.get(2).copied().unwrap_or(0) as usize);
        let count = count_nodes(root);
        if count == 0 {
            return;
        }
        let target = (a * 256 + b) % count;
        let mut i = 0;
        edit_nth(root, target, &mut i, c);
    }
}

fn count_nodes(v: &Value) -> usize {
    1 + match v {
        Value::Array(a) => a.iter().map(count_nodes).sum(),
        Value::Object(m) => m.values().map(count_nodes).sum(),
        _ => 0,
    }
}

fn edit_nth(v: &mut Value, target: usize, i: &mut usize, op: usize) -> bool {
    if *i == target {
        apply(v, op);
        return true;
    }
    *i += 1;
    match v {
        Value::Array(a) => a.iter_mut().any(|x| edit_nth(x, target, i, op)),
        Value::Object(m) => m.values_mut().any(|x| edit_nth(x, target, i, op)),
        _ => false,
    }
}

fn apply(v: &mut Value, op: usize) {
    let word = WORDS[op % WORDS.len()];
    match op % 9 {
        0 | 1 | 2 => *v = Value::String(word.to_owned()),
        3 => *v = Value::from((op as i64) - 128),
        4 => match v {
            Value::Array(a) if !a.is_empty() => {
                let x = a[op % a.len()].clone();
                a.push(x);
            }
            _ => *v = Value::Array(vec![]),
        },
        5 => match v {
            Value::Array(a) if !a.is_empty() => {
                a.remove(op % a.len());
            }
            Value::Object(m) if !m.is_empty() => {
                let k = m.keys().nth(op % m.len()).cloned().unwrap_or_default();
                m.remove(&k);
            }
            _ => *v = Value::Null,
        },
        6 => *v = Value::Bool(op % 2 == 0),
        7 => *v = serde_json::json!({ word: [word] }),
        _ => {
            if let Value::Object(m) = v {
                m.insert(word.to_owned(), Value::String(word.to_owned()));
            }
        }
    }
}
