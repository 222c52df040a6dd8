use super::*;
use crate::archive::{validate, DataCategory, LegalBasis, StudentFile};
use crate::time::Timestamp;

fn case(file: &str, i: usize) -> Record {
    let v: Value = serde_json::from_str(file).unwrap();
    validate(&v["cases"][i]["record"].to_string()).unwrap()
}
const ALERT: &str = include_str!("../../../tests/vectors/archive/alert_record.json");
const FILE: &str = include_str!("../../../tests/vectors/archive/student_file.json");
const TRANSFER: &str = include_str!("../../../tests/vectors/archive/transfer_package.json");
const SCREENING: &str = include_str!("../../../tests/vectors/archive/screening_record.json");

fn viewer(role: Role) -> Viewer {
    Viewer {
        role,
        staff_id: "staff-07".into(),
        school: Some("sch-01".into()),
        class: Some("c-8-2".into()),
        district: Some("d-01".into()),
    }
}
fn subject() -> Subject {
    Subject {
        school: "sch-01".into(),
        class: "c-8-2".into(),
        district: Some("d-01".into()),
    }
}

#[test]
fn head_teacher_sees_tier_actions_and_due_dates_only() {
    let rec = case(ALERT, 0);
    let v = view(&viewer(Role::HeadTeacher), &rec, Some(&subject())).unwrap();
    let d = &v.data["decision"];
    assert_eq!(d["tier"]["id"], "watch");
    assert!(d["actions"][0]["due_at"].is_string());
    assert!(d.get("fired_rules").is_none() && d.get("summary").is_none());
    assert!(v.data.get("confirmation").unwrap().get("by").is_none());
    assert!(v.data["reviews"][0].get("note").is_none());
    // Another class: refused.
    let mut other = viewer(Role::HeadTeacher);
    other.class = Some("c-7-1".into());
    assert_eq!(view(&other, &rec, Some(&subject())).unwrap_err().code(), "privacy.out_of_scope");
    // Screening: the head teacher learns that it took place, not the answers.
    let s = view(&viewer(Role::HeadTeacher), &case(SCREENING, 0), Some(&subject())).unwrap();
    assert!(s.data.get("answers").is_none() && s.data.get("report").is_none() && s.data.get("instrument").is_none());
    assert_eq!(s.data["context"], "routine");
}

#[test]
fn psychology_teacher_sees_the_whole_decision_principal_not_the_evidence() {
    let rec = case(ALERT, 0);
    let pt = view(&viewer(Role::PsychologyTeacher), &rec, Some(&subject())).unwrap();
    assert_eq!(pt.data, rec.to_value());
    let pr = view(&viewer(Role::Principal), &rec, Some(&subject())).unwrap();
    assert!(pr.data["decision"].get("fired_rules").is_none());
    assert!(pr.data.get("confirmation").is_some());
}

#[test]
fn district_and_city_get_aggregates_only() {
    let rec = case(ALERT, 0);
    for role in [Role::District, Role::City] {
        let e = view(&viewer(role), &rec, Some(&subject())).unwrap_err();
        assert_eq!(e.code(), "privacy.out_of_scope");
    }
    let items: Vec<(Subject, Record)> = (0..12).map(|_| (subject(), rec.clone())).chain([(subject(), case(FILE, 0))]).collect();
    let cells = aggregate(&viewer(Role::District), &items, AggregateSettings::default()).unwrap();
    assert_eq!(cells.len(), 2);
    let alerts = cells.iter().find(|c| c.kind == RecordKind::AlertRecord).unwrap();
    assert_eq!((alerts.tier.as_deref(), alerts.count), (Some("watch"), Some(12)));
    let files = cells.iter().find(|c| c.kind == RecordKind::StudentFile).unwrap();
    assert_eq!(files.count, None, "a cell of 1 is suppressed");
    assert!(aggregate(&viewer(Role::Principal), &items, AggregateSettings::default()).is_err());
    assert!(aggregate(&viewer(Role::City), &items, AggregateSettings { min_cell: 3 }).is_err());
}

#[test]
fn receiving_school_gets_its_transfer_package_only() {
    let t = case(TRANSFER, 0);
    let mut rs = viewer(Role::ReceivingSchool);
    rs.school = Some("sch-02".into());
    let v = view(&rs, &t, None).unwrap();
    assert_eq!(v.data, t.to_value());
    assert_eq!(view(&rs, &case(ALERT, 0), Some(&subject())).unwrap_err().code(), "privacy.out_of_scope");
    rs.school = Some("sch-03".into());
    assert_eq!(view(&rs, &t, None).unwrap_err().code(), "privacy.out_of_scope");
}

fn file() -> StudentFile {
    match case(FILE, 0) {
        Record::StudentFile(f) => f,
        _ => unreachable!(),
    }
}

fn request(basis: LegalBasis, consent: Option<&str>, cats: Vec<DataCategory>, at: &str) -> ShareRequest {
    ShareRequest {
        student: "stu-0001".into(),
        recipient: RecipientKind::Hospital,
        recipient_id: "hosp-01".into(),
        purpose: "synthetic: referral".into(),
        legal_basis: basis,
        consent_id: consent.map(str::to_owned),
        purpose_version: Some("2024-1".into()),
        rationale: None,
        categories: cats,
        records: vec!["cns-0001".into()],
        at: Timestamp::parse(at).unwrap(),
    }
}

#[test]
fn ledger_grants_within_consent_and_refuses_beyond_it_with_the_reason() {
    let f = file();
    let mut ledger = Ledger::new();
    let ok = request(LegalBasis::Consent, Some("con-1"), vec![DataCategory::Counselling], "2024-03-10T08:00:00Z");
    let d = ledger.share(&f, &ok, 8 * 3600).unwrap();
    assert_eq!(d.id, "dis-1");
    assert!(!d.confidentiality_flag);
    // Beyond the scope of the consent.
    let beyond = request(
        LegalBasis::Consent,
        Some("con-1"),
        vec![DataCategory::Counselling, DataCategory::Crisis],
        "2024-03-11T08:00:00Z",
    );
    let e = ledger.share(&f, &beyond, 8 * 3600).unwrap_err();
    assert_eq!((e.code(), e.path()), ("privacy.share_refused", "/categories"));
    assert!(e.message().contains("crisis"));
    // Withdrawn.
    let e = check_share(
        &f,
        &request(LegalBasis::Consent, Some("con-2"), vec![DataCategory::Referral], "2024-03-21T08:00:00Z"),
        0,
    )
    .unwrap_err();
    assert!(e.message().contains("withdrawn"));
    // Before withdrawal it was fine.
    assert!(check_share(
        &f,
        &request(LegalBasis::Consent, Some("con-2"), vec![DataCategory::Referral], "2024-03-19T08:00:00Z"),
        0
    )
    .is_ok());
    // A new purpose needs a new consent.
    let mut p = ok.clone();
    p.purpose_version = Some("2025-1".into());
    assert_eq!(check_share(&f, &p, 0).unwrap_err().path(), "/purpose_version");
    // No consent at all.
    assert_eq!(
        check_share(&f, &request(LegalBasis::Consent, None, vec![DataCategory::Profile], "2024-03-10T08:00:00Z"), 0)
            .unwrap_err()
            .code(),
        "privacy.share_refused"
    );
    // Time order of the ledger.
    assert_eq!(
        ledger
            .share(
                &f,
                &request(LegalBasis::Consent, Some("con-1"), vec![DataCategory::Profile], "2024-01-01T00:00:00Z"),
                0
            )
            .unwrap_err()
            .code(),
        "privacy.invalid"
    );
    assert_eq!(Ledger::from_json(&ledger.to_json()).unwrap(), ledger);
    assert_eq!(ledger.for_student("stu-0001").count(), 1);
}

#[test]
fn under_14_needs_the_guardian() {
    let mut f = file();
    f.consents[0].given_by = crate::archive::ConsentGiver::Student;
    // Born 2011-05: under 14 until June 2025 begins.
    let early = request(LegalBasis::Consent, Some("con-1"), vec![DataCategory::Profile], "2025-05-31T08:00:00Z");
    assert!(check_share(&f, &early, 8 * 3600).unwrap_err().message().contains("under 14"));
    let late = request(LegalBasis::Consent, Some("con-1"), vec![DataCategory::Profile], "2025-06-01T08:00:00Z");
    assert!(check_share(&f, &late, 8 * 3600).is_ok());
}

#[test]
fn emergency_and_legal_duty_need_their_reason_and_police_shares_carry_art_103() {
    let f = file();
    let mut r = request(LegalBasis::VitalInterest, None, vec![DataCategory::Crisis], "2024-03-10T08:00:00Z");
    r.recipient = RecipientKind::Police;
    assert_eq!(check_share(&f, &r, 0).unwrap_err().path(), "/rationale");
    r.rationale = Some("synthetic: imminent risk to life".into());
    let d = check_share(&f, &r, 0).unwrap();
    assert!(d.confidentiality_flag && d.post_hoc_notice_due);
    let mut duty = request(LegalBasis::LegalDuty, None, vec![DataCategory::Crisis], "2024-03-10T08:00:00Z");
    assert!(check_share(&f, &duty, 0).is_err());
    duty.rationale = Some("未成年人保护法 11: mandatory report".into());
    assert!(!check_share(&f, &duty, 0).unwrap().post_hoc_notice_due);
}
