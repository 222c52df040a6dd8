//! Fuzz archive validation and the privacy views: raw bytes as a record (inputs starting with
//! `{`), or byte-driven edits of a counselling record and a referral. Whatever the input, nothing
//! panics; every error has a stable code and a JSON pointer; a record that validates round-trips
//! (its canonical JSON validates to the same record); and every role's view of it holds only
//! declared fields the role is cleared for.
#![no_main]

use changkaixin_core::archive::{validate, Record};
use changkaixin_core::privacy::{leaf_classes, view, Role, Subject, Viewer};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

const SEEDS: [&str; 2] = [
    r#"{"schema":"changkaixin.archive.counselling_record","schema_version":2,"record_id":"cns-1","student":"stu-1",
 "counsellor":{"id":"staff-07","role":"psychology_teacher"},"modality":"hotline_96111","started_at":"2024-03-06T07:00:00Z",
 "ended_at":"2024-03-06T07:45:00+08:00","parts":{"current_state":"s","main_problem":"p","assessment":"a","analysis":"n",
 "countermeasures":"c","effect_evaluation":"e"},"informed_consent":{"given":true,"recorded_at":"2024-03-06T07:00:00Z"},
 "confidentiality_break":{"risk":"r","informed":[{"party":"guardian","at":"2024-03-06T08:00:00Z"}]},"case_status":"closed"}"#,
    r#"{"schema":"changkaixin.archive.referral","schema_version":1,"record_id":"ref-1","student":"stu-1",
 "from":{"kind":"school","id":"sch-01"},"to":{"kind":"medical_institution","id":"hosp-01"},"reason":"r","urgency":"urgent",
 "green_channel":true,"referred_at":"2024-03-07T01:00:00Z","received_at":"2024-03-07T06:00:00Z",
 "outcome":{"status":"accepted","at":"2024-03-08T02:00:00Z","note":"n"}}"#,
];

fn leaves(v: &Value, out: &mut Vec<Vec<String>>, path: &mut Vec<String>) {
    match v {
        Value::Object(m) if !m.is_empty() => m.iter().for_each(|(k, c)| {
            path.push(k.clone());
            leaves(c, out, path);
            path.pop();
        }),
        Value::Array(a) if !a.is_empty() => a.iter().enumerate().for_each(|(i, c)| {
            path.push(i.to_string());
            leaves(c, out, path);
            path.pop();
        }),
        _ => out.push(path.clone()),
    }
}

fn edit(data: &[u8]) -> String {
    let mut v: Value = serde_json::from_str(SEEDS[usize::from(data[0] & 1)]).unwrap_or_default();
    for chunk in data[1..].chunks(2) {
        let mut ls = Vec::new();
        leaves(&v, &mut ls, &mut Vec::new());
        let (Some(&a), Some(&b)) = (chunk.first(), chunk.get(1)) else { break };
        let Some(path) = ls.get(usize::from(a) % ls.len().max(1)).cloned() else { break };
        let mut node = &mut v;
        for seg in &path[..path.len().saturating_sub(1)] {
            node = match node {
                Value::Object(m) => m.get_mut(seg).unwrap_or_else(|| unreachable!()),
                Value::Array(x) => &mut x[seg.parse::<usize>().unwrap_or(0)],
                _ => unreachable!(),
            };
        }
        let last = path.last().cloned().unwrap_or_default();
        let new = match b % 8 {
            0 => Value::Null,
            1 => Value::from(i64::from(b) - 100),
            2 => Value::String(String::new()),
            3 => Value::String("2024-03-05T00:00:00Z".into()),
            4 => Value::Bool(b & 16 != 0),
            5 => Value::String(format!("x{b}")),
            6 => Value::Array(vec![]),
            _ => Value::String("closed".into()),
        };
        match node {
            Value::Object(m) if b % 8 == 7 && b & 64 != 0 => {
                m.remove(&last);
            }
            Value::Object(m) => {
                m.insert(last, new);
            }
            Value::Array(x) => {
                if let Some(slot) = last.parse::<usize>().ok().and_then(|i| x.get_mut(i)) {
                    *slot = new;
                }
            }
            _ => {}
        }
    }
    v.to_string()
}

fn check(text: &str) {
    match validate(text) {
        Ok(rec) => {
            let again = validate(&rec.to_json());
            assert_eq!(again.as_ref().ok(), Some(&rec), "the canonical form validates to the same record");
            views(&rec);
        }
        Err(errs) => {
            assert!(!errs.is_empty());
            for e in &errs {
                // A JSON pointer, or — for text that is not JSON at all (`archive.parse`) — the
                // position in the text, "line L column C", as every JSON-text parse error of the library.
                let position = e.code() == "archive.parse" && e.path().starts_with("line ") && e.path().contains(" column ");
                assert!(e.path().is_empty() || e.path().starts_with('/') || position, "{}: {}", e.code(), e.path());
            }
        }
    }
}

fn views(rec: &Record) {
    let subject = Subject { school: "sch-01".into(), class: "c-1".into(), district: Some("d-1".into()) };
    for &role in Role::ALL {
        let viewer = Viewer { role, staff_id: "staff-07".into(), school: Some("sch-01".into()), class: Some("c-1".into()), district: Some("d-1".into()) };
        if let Ok(v) = view(&viewer, rec, Some(&subject)) {
            assert!(!matches!(role, Role::District | Role::City));
            for (path, class) in leaf_classes(rec.kind(), &v.data) {
                let (class, audience) = class.unwrap_or_else(|| panic!("undeclared {path}"));
                assert!(role.may_see(class, audience), "{role:?} sees {path}");
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    if data.first() == Some(&b'{') {
        if let Ok(text) = std::str::from_utf8(data) {
            check(text);
        }
    } else if !data.is_empty() {
        check(&edit(data));
    }
});
