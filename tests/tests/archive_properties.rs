//! Property tests of the archive and privacy modules, over records generated from the valid golden
//! fixtures of every kind by random edits (a leaf replaced by a random string, integer, boolean or
//! null; a key removed; a key added), so both valid and invalid records are generated.
//!
//! * A record validates ⇔ it round-trips unchanged: when `validate` accepts a document, the
//!   record's canonical JSON is the document itself (up to key order, UTC times and `null` for an
//!   absent optional field), and validating it again gives the same record; when it refuses, it
//!   returns at least one error, each with a stable code and a JSON pointer.
//! * No role's view contains a field above its clearance: for every generated valid record and
//!   every role, every leaf of the view is governed by a declaration whose class the role is
//!   cleared for and whose audience names the role; a head teacher's view never holds answers,
//!   score reports or counselling content; district and city roles get no record view at all.
//! * Pseudonyms are stable per key and differ across keys.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use changkaixin_core::archive::{self, sensitivity, Record, RecordKind};
use changkaixin_core::privacy::{leaf_classes, view, Pseudonymiser, Role, Subject, Viewer};
use changkaixin_core::time::Timestamp;
use changkaixin_tests::vector_files;
use proptest::prelude::*;
use serde_json::Value;
use std::sync::OnceLock;

/// Valid version-current fixtures with UTC times (so the canonical form equals the input).
fn templates() -> &'static [Value] {
    static T: OnceLock<Vec<Value>> = OnceLock::new();
    T.get_or_init(|| {
        let mut out = Vec::new();
        for path in vector_files("archive") {
            let file: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
            for c in file["cases"].as_array().unwrap() {
                if c["expect"] == "valid" && c["canonical"] == c["record"] {
                    out.push(c["record"].clone());
                }
            }
        }
        assert!(out.len() >= 15, "{} templates", out.len());
        out
    })
}

/// Leaf pointers of a value (objects and arrays walked).
fn leaves(v: &Value, path: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            for (k, c) in m {
                path.push(k.clone());
                leaves(c, path, out);
                path.pop();
            }
        }
        Value::Array(a) if !a.is_empty() => {
            for (i, c) in a.iter().enumerate() {
                path.push(i.to_string());
                leaves(c, path, out);
                path.pop();
            }
        }
        _ => out.push(path.clone()),
    }
}

fn get_mut<'a>(v: &'a mut Value, path: &[String]) -> Option<&'a mut Value> {
    path.iter().try_fold(v, |v, seg| match v {
        Value::Object(m) => m.get_mut(seg),
        Value::Array(a) => seg.parse::<usize>().ok().and_then(|i| a.get_mut(i)),
        _ => None,
    })
}

#[derive(Debug, Clone)]
enum Edit {
    Text(usize, String),
    Int(usize, i64),
    Bool(usize, bool),
    Null(usize),
    Remove(usize),
    Add(usize, String),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        3 => (any::<usize>(), "[a-z0-9 :._-]{0,12}").prop_map(|(i, s)| Edit::Text(i, s)),
        1 => (any::<usize>(), -3i64..30).prop_map(|(i, n)| Edit::Int(i, n)),
        1 => (any::<usize>(), any::<bool>()).prop_map(|(i, b)| Edit::Bool(i, b)),
        1 => any::<usize>().prop_map(Edit::Null),
        1 => any::<usize>().prop_map(Edit::Remove),
        1 => (any::<usize>(), "[a-z]{1,6}").prop_map(|(i, k)| Edit::Add(i, k)),
    ]
}

fn apply(mut v: Value, edits: &[Edit]) -> Value {
    for e in edits {
        let mut ls = Vec::new();
        leaves(&v, &mut Vec::new(), &mut ls);
        // Keep the header: edits of schema/schema_version are covered by the vectors.
        ls.retain(|p| p.len() > 1 || (p[0] != "schema" && p[0] != "schema_version"));
        if ls.is_empty() {
            break;
        }
        let pick = |i: &usize| ls[i % ls.len()].clone();
        match e {
            Edit::Text(i, s) => *get_mut(&mut v, &pick(i)).unwrap() = Value::String(s.clone()),
            Edit::Int(i, n) => *get_mut(&mut v, &pick(i)).unwrap() = Value::from(*n),
            Edit::Bool(i, b) => *get_mut(&mut v, &pick(i)).unwrap() = Value::Bool(*b),
            Edit::Null(i) => *get_mut(&mut v, &pick(i)).unwrap() = Value::Null,
            Edit::Remove(i) | Edit::Add(i, _) => {
                let p = pick(i);
                let (last, parent) = p.split_last().unwrap();
                if let Some(Value::Object(m)) = get_mut(&mut v, parent) {
                    match e {
                        Edit::Add(_, k) => {
                            m.insert(format!("x_{k}"), Value::from(1));
                        }
                        _ => {
                            m.remove(last);
                        }
                    }
                }
            }
        }
    }
    v
}

/// Sorted keys, `null` members dropped, timestamps in UTC.
fn norm(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().filter(|k| !m[*k].is_null()).collect();
            keys.sort();
            Value::Object(keys.into_iter().map(|k| (k.clone(), norm(&m[k]))).collect())
        }
        Value::Array(a) => Value::Array(a.iter().map(norm).collect()),
        Value::String(s) if s.len() >= 20 && s.as_bytes().get(10) == Some(&b'T') => match Timestamp::parse(s) {
            Ok(t) => Value::String(t.to_string()),
            Err(_) => v.clone(),
        },
        other => other.clone(),
    }
}

fn viewers() -> Vec<(Viewer, Subject)> {
    let subject = Subject {
        school: "sch-01".into(),
        class: "c-8-2".into(),
        district: Some("d-01".into()),
    };
    let base = Viewer {
        role: Role::Principal,
        staff_id: "staff-07".into(),
        school: Some("sch-01".into()),
        class: Some("c-8-2".into()),
        district: Some("d-01".into()),
    };
    let mut out = Vec::new();
    for &role in Role::ALL {
        let mut v = base.clone();
        v.role = role;
        if role == Role::ReceivingSchool {
            v.school = Some("sch-02".into());
        }
        out.push((v, subject.clone()));
    }
    // Psychology teachers and counsellors named in the fixtures.
    for id in ["staff-03", "cc-02", "exp-01"] {
        let mut v = base.clone();
        v.role = Role::PsychologyTeacher;
        v.staff_id = id.into();
        out.push((v, subject.clone()));
    }
    out
}

fn check_views(rec: &Record) -> Result<(), TestCaseError> {
    for (viewer, subject) in viewers() {
        match view(&viewer, rec, Some(&subject)) {
            Ok(v) => {
                prop_assert!(!matches!(viewer.role, Role::District | Role::City), "aggregate-only role got a record view");
                for (path, class) in leaf_classes(rec.kind(), &v.data) {
                    let Some((class, audience)) = class else {
                        return Err(TestCaseError::fail(format!("{:?}: undeclared field {path} in the view", viewer.role)));
                    };
                    prop_assert!(viewer.role.clearance().contains(&class), "{:?} sees {path} ({class:?})", viewer.role);
                    prop_assert!(audience & role_bit(viewer.role) != 0, "{:?} is not in the audience of {path}", viewer.role);
                }
                if viewer.role == Role::HeadTeacher {
                    for banned in ["answers", "report", "parts", "instrument", "fired_rules", "evidence"] {
                        prop_assert!(!v.data.to_string().contains(&format!("\"{banned}\"")), "head teacher view holds {banned}");
                    }
                }
                if viewer.role == Role::Principal {
                    for banned in ["answers", "report", "parts", "reason_text"] {
                        prop_assert!(v.data.get(banned).is_none(), "principal view holds {banned}");
                    }
                }
            }
            Err(e) => prop_assert!(e.code() == "privacy.out_of_scope" || e.code() == "privacy.invalid", "{}", e.code()),
        }
    }
    Ok(())
}

fn role_bit(r: Role) -> u8 {
    match r {
        Role::HeadTeacher => sensitivity::HT,
        Role::PsychologyTeacher => sensitivity::PT,
        Role::Principal => sensitivity::PR,
        Role::ReceivingSchool => sensitivity::RS,
        Role::District | Role::City => 0,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 384, ..ProptestConfig::default() })]

    /// A record validates ⇔ it round-trips unchanged (and an invalid one says why, with a code and a pointer).
    #[test]
    fn validates_iff_round_trips(t in 0usize..1000, edits in prop::collection::vec(edit(), 0..3)) {
        let ts = templates();
        let doc = apply(ts[t % ts.len()].clone(), &edits);
        match archive::validate(&doc.to_string()) {
            Ok(rec) => {
                let back: Value = serde_json::from_str(&rec.to_json()).unwrap();
                prop_assert_eq!(norm(&back), norm(&doc));
                prop_assert_eq!(archive::validate(&rec.to_json()).unwrap(), rec.clone());
                check_views(&rec)?;
            }
            Err(errs) => {
                prop_assert!(!errs.is_empty());
                for e in &errs {
                    prop_assert!(e.code().starts_with("archive.") || e.code().starts_with("score.") || e.code().starts_with("evidence."), "{}", e.code());
                    prop_assert!(e.path().is_empty() || e.path().starts_with('/'), "{}", e.path());
                }
            }
        }
    }

    /// Pseudonyms are stable per key and differ across keys (and across ids).
    #[test]
    fn pseudonyms_stable_per_key_and_unlinkable_across(id in "[a-z0-9-]{1,24}", other in "[a-z0-9-]{1,24}", k1 in prop::collection::vec(any::<u8>(), 16..48), k2 in prop::collection::vec(any::<u8>(), 16..48)) {
        let a = Pseudonymiser::new(&k1).unwrap();
        let b = Pseudonymiser::new(&k2).unwrap();
        prop_assert_eq!(a.pseudonym(&id), a.pseudonym(&id));
        prop_assert_eq!(a.pseudonym(&id), Pseudonymiser::new(&k1).unwrap().pseudonym(&id));
        if k1 != k2 {
            prop_assert_ne!(a.pseudonym(&id), b.pseudonym(&id));
        }
        if id != other {
            prop_assert_ne!(a.pseudonym(&id), a.pseudonym(&other));
        }
        let p = a.pseudonym(&id);
        prop_assert!(p.len() == 34 && p.starts_with("p-") && p[2..].bytes().all(|c| c.is_ascii_hexdigit()), "{}", p);
    }
}

/// Every leaf of every valid fixture (every kind, every version) has a declared class.
#[test]
fn every_field_of_every_fixture_is_declared() {
    for path in vector_files("archive") {
        let file: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let kind = RecordKind::from_name(file["record_kind"].as_str().unwrap()).unwrap();
        for c in file["cases"].as_array().unwrap() {
            if c["expect"] == "valid" {
                for (p, class) in leaf_classes(kind, &c["canonical"]) {
                    assert!(class.is_some(), "{}: {p} has no sensitivity class", kind.name());
                }
            }
        }
    }
}

/// Every declaration names a field the record type's schema has (no stale declarations).
#[test]
fn every_declaration_names_a_schema_field() {
    for &k in RecordKind::ALL {
        let schema = archive::schema_of(k, k.current_version()).unwrap();
        for d in sensitivity::field_classes(k) {
            let top = d.path.split('/').nth(1).unwrap();
            assert!(schema["properties"].get(top).is_some(), "{}: {} is not a field", k.name(), d.path);
        }
        for top in schema["properties"].as_object().unwrap().keys() {
            assert!(sensitivity::governing(k, &[top.as_str()]).is_some(), "{}: /{top} has no class", k.name());
        }
    }
}
