use super::*;
use crate::error::ErrorCode;

fn referral() -> serde_json::Value {
    serde_json::json!({"schema": "changkaixin.archive.referral", "schema_version": 1, "record_id": "ref-1",
        "student": "stu-0001", "from": {"kind": "school", "id": "sch-01"},
        "to": {"kind": "medical_institution", "id": "hosp-01"}, "reason": "synthetic",
        "urgency": "urgent", "green_channel": true, "referred_at": "2024-03-04T09:00:00+08:00"})
}

fn codes(errs: &[crate::Error]) -> Vec<(&'static str, String)> {
    errs.iter().map(|e| (e.code(), e.path().to_owned())).collect()
}

#[test]
fn valid_record_round_trips_in_utc() {
    let r = validate(&referral().to_string()).unwrap();
    assert_eq!(r.kind(), RecordKind::Referral);
    assert!(r.to_json().contains("\"referred_at\":\"2024-03-04T01:00:00Z\""));
    assert_eq!(validate(&r.to_json()).unwrap(), r);
}

#[test]
fn every_structural_problem_at_once() {
    let mut v = referral();
    v["urgency"] = "asap".into();
    v["green_channel"] = "yes".into();
    v.as_object_mut().unwrap().remove("reason");
    v["to"]["kind"] = "zoo".into();
    v["referred_at"] = "2024-13-01T00:00:00Z".into();
    v["colour"] = "red".into();
    let errs = validate(&v.to_string()).unwrap_err();
    let got = codes(&errs);
    for want in [
        ("archive.invalid_value", "/urgency"),
        ("archive.invalid_type", "/green_channel"),
        ("archive.missing_field", "/reason"),
        ("archive.invalid_value", "/to/kind"),
        ("archive.invalid_value", "/referred_at"),
        ("archive.unknown_field", "/colour"),
    ] {
        assert!(got.contains(&(want.0, want.1.to_owned())), "{want:?} not in {got:?}");
    }
    assert_eq!(got.len(), 6, "{got:?}");
}

#[test]
fn header_errors() {
    let e = validate("[1]").unwrap_err();
    assert_eq!(e[0].code(), "archive.parse");
    let e = validate("{").unwrap_err();
    assert_eq!(e[0].code(), "archive.parse");
    let e = validate(r#"{"schema_version": 1}"#).unwrap_err();
    assert_eq!(codes(&e), vec![("archive.missing_field", "/schema".to_owned())]);
    let e = validate(r#"{"schema": "changkaixin.archive.referral", "schema_version": 2}"#).unwrap_err();
    assert_eq!(e[0].error_code(), ErrorCode::ArchiveUnsupportedVersion);
    assert!(e[0].message().contains("never guessed"));
    let e = validate(r#"{"schema": "changkaixin.archive.referral", "schema_version": "1"}"#).unwrap_err();
    assert_eq!(e[0].code(), "archive.invalid_type");
    let e = validate(r#"{"schema": "x", "schema_version": 1}"#).unwrap_err();
    assert_eq!(e[0].code(), "archive.unknown_schema");
}

/// A field named twice is refused, never read as its last value (the fuzz smoke found that such a
/// record came back as an error with no problem in it: the parsed JSON value keeps the last copy,
/// so neither the schema walk nor the value deserializer saw anything wrong).
#[test]
fn duplicate_field_is_refused_with_a_position() {
    let text = referral().to_string();
    assert!(validate(&text).is_ok());
    // Everything else is sound: only the duplicate is reported, at its place in the text.
    let dup = text.replacen("\"reason\"", "\"reason\":\"synthetic: twice\",\"reason\"", 1);
    let e = validate(&dup).unwrap_err();
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!(e[0].code(), "archive.parse");
    assert!(e[0].path().starts_with("line 1 column "), "{}", e[0].path());
    assert!(e[0].message().contains("duplicate field `reason`"), "{}", e[0].message());
    // The same in a record of an older version, which goes through its migration.
    let v1 = r#"{"schema":"changkaixin.archive.counselling_record","schema_version":1,"record_id":"a","record_id":"b"}"#;
    let e = validate(v1).unwrap_err();
    assert!(!e.is_empty());
}

#[test]
fn settings_change_only_what_they_say() {
    let crisis = serde_json::json!({"schema": "changkaixin.archive.crisis_case_report", "schema_version": 1,
        "record_id": "c1", "student": "stu-1",
        "incident": {"at": "2024-03-10T02:00:00Z", "kind": "other", "description": "synthetic"},
        "timeline": [{"at": "2024-03-10T02:00:00Z", "text": "synthetic"}],
        "actions": [{"at": "2024-03-10T02:00:00Z", "by": {"id": "s1", "role": "principal"}, "action": "synthetic"}],
        "outcome": {"status": "closed", "summary": "synthetic"}, "reported_by": {"id": "s1", "role": "principal"},
        "reported_at": "2024-03-10T03:00:00Z"})
    .to_string();
    assert!(validate(&crisis).is_ok());
    let strict = ArchiveSettings {
        crisis_requires_expert_consultation: true,
        ..ArchiveSettings::default()
    };
    let e = validate_with(&crisis, &strict, Catalog::builtin()).unwrap_err();
    assert_eq!(codes(&e), vec![("archive.required_when", "/expert_consultation".to_owned())]);
}

#[test]
fn every_kind_has_a_schema_for_every_version_and_clauses() {
    for &k in RecordKind::ALL {
        assert_eq!(RecordKind::from_name(k.name()), Some(k));
        assert!(k.schema_id().starts_with(SCHEMA_PREFIX));
        assert!(!k.clauses().is_empty());
        for v in k.versions() {
            let s = schema_of(k, v).unwrap();
            assert_eq!(s["properties"]["schema_version"]["const"], v);
            assert_eq!(s["additionalProperties"], false);
        }
        assert!(schema_of(k, k.current_version() + 1).is_none());
    }
}

#[test]
fn archive_codes_are_in_the_error_family() {
    for c in ErrorCode::ALL {
        if c.as_str().starts_with("archive.") {
            assert_eq!(c.category(), crate::ErrorCategory::Archive);
        }
        if c.as_str().starts_with("privacy.") {
            assert_eq!(c.category(), crate::ErrorCategory::Privacy);
        }
    }
}
