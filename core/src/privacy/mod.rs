//! Privacy by design for the archive: role-scoped views, keyed pseudonyms, and the consent and
//! disclosure ledger (PIPL 13, 14, 15, 23, 28, 29, 31, 51; 未成年人保护法 103; GB/T 35273 §6.2).
//!
//! * [`view`] is the **one place** where a record is shown to a role. It checks the record is in
//!   the viewer's scope (a head teacher's own class, a psychology teacher's own cases, a
//!   principal's school, a receiving school's transfer packages; district and city roles get
//!   `privacy.out_of_scope` and use [`aggregate`]) and keeps only the fields whose declared
//!   class ([`crate::archive::sensitivity`]) is within the role's clearance and whose audience
//!   names the role. Nothing else produces a per-role export.
//! * [`Pseudonymiser`]: HMAC-SHA-256 under a caller-held key; the key never appears in output
//!   (its `Debug` is redacted), one key gives stable pseudonyms, two keys unlinkable ones.
//! * [`check_share`] / [`Ledger`]: a share with a hospital, the police, civil affairs or another
//!   agency is checked against the student's consents and the stated legal basis, refused with the
//!   reason (`privacy.share_refused`) or recorded with recipient, purpose, basis, what and when.
//!
//! Time is always an input. See `docs/archive.md`.

mod ledger;
mod pseudonym;
#[cfg(test)]
mod tests;

pub use ledger::{check_share, Disclosure, Ledger, RecipientKind, ShareRequest, LEDGER_FORMAT};
pub use pseudonym::{Pseudonymiser, MIN_KEY_BYTES, PSEUDONYM_PREFIX};

use crate::archive::sensitivity::{governing, has_deeper, Sensitivity, HT, PR, PT, RS};
use crate::archive::{Record, RecordKind};
use crate::error::{excerpt, Error, ErrorCode, Result};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// The audiences of archive data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 班主任: their own class — tiers, actions, due dates, plans; never answers or counselling content.
    HeadTeacher,
    /// 心理健康教育教师: their school's screenings and alerts, and their own cases in full.
    PsychologyTeacher,
    /// 校长: their school's tiers, plans, referrals and crisis reports; not answers or counselling content.
    Principal,
    /// District bureau: aggregates only.
    District,
    /// City bureau: aggregates only.
    City,
    /// The school a student moves to: the transfer package addressed to it, nothing else.
    ReceivingSchool,
}

impl Role {
    /// Every role.
    pub const ALL: &'static [Role] = &[
        Role::HeadTeacher,
        Role::PsychologyTeacher,
        Role::Principal,
        Role::District,
        Role::City,
        Role::ReceivingSchool,
    ];

    /// The sensitivity classes the role may ever see (district and city: none, aggregates only).
    pub fn clearance(self) -> &'static [Sensitivity] {
        match self {
            Role::District | Role::City => &[],
            _ => Sensitivity::ALL,
        }
    }

    /// The audience bit of the field declarations.
    pub(crate) fn audience_bit(self) -> u8 {
        match self {
            Role::HeadTeacher => HT,
            Role::PsychologyTeacher => PT,
            Role::Principal => PR,
            Role::ReceivingSchool => RS,
            Role::District | Role::City => 0,
        }
    }

    /// Whether a field of this class and audience may be shown to the role.
    pub fn may_see(self, class: Sensitivity, audience: u8) -> bool {
        audience & self.audience_bit() != 0 && self.clearance().contains(&class)
    }
}

/// Who is looking.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Viewer {
    /// Role.
    pub role: Role,
    /// Pseudonymous staff id (a psychology teacher's cases are those naming this id).
    #[serde(default)]
    pub staff_id: String,
    /// School (every role but district and city).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub school: Option<String>,
    /// Class (head teacher).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class: Option<String>,
    /// District (district role).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub district: Option<String>,
}

/// Where the student a record is about belongs (from the student file; records other than the
/// file do not repeat it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Subject {
    /// School.
    pub school: String,
    /// Class.
    pub class: String,
    /// District.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub district: Option<String>,
}

/// A record as one role may see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RecordView {
    /// The record type.
    pub kind: RecordKind,
    /// For whom.
    pub role: Role,
    /// The fields within the role's clearance (same shape as the record, other fields absent).
    pub data: Value,
}

fn out_of_scope(msg: impl Into<String>) -> Error {
    Error::new(ErrorCode::PrivacyOutOfScope, "", msg)
}

fn need_school(viewer: &Viewer) -> Result<&str> {
    viewer
        .school
        .as_deref()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| Error::new(ErrorCode::PrivacyInvalid, "/viewer/school", "this role needs its school"))
}

/// Whether `viewer` may see `record` at all (scope), given the student's [`Subject`].
pub fn check_scope(viewer: &Viewer, record: &Record, subject: Option<&Subject>) -> Result<()> {
    let kind = record.kind();
    let subject_school = || -> Result<&Subject> {
        subject.ok_or_else(|| {
            Error::new(
                ErrorCode::PrivacyInvalid,
                "/subject",
                format!("a {} view needs the student's school and class", kind.name()),
            )
        })
    };
    let me = viewer.staff_id.as_str();
    match viewer.role {
        Role::District | Role::City => Err(out_of_scope(
            "district and city roles see aggregates only (统计法 25; PIPL 4/73), never individual records",
        )),
        Role::ReceivingSchool => match record {
            Record::TransferPackage(t) if Some(t.to_school.as_str()) == viewer.school.as_deref() => Ok(()),
            Record::TransferPackage(_) => Err(out_of_scope("this transfer package is addressed to another school")),
            _ => Err(out_of_scope(
                "a receiving school gets the transfer package only (二(五)16), not the sender's records",
            )),
        },
        role => {
            let school = need_school(viewer)?;
            let record_school = match record {
                Record::DutyLog(d) => d.school.clone(),
                Record::TransferPackage(t) => t.from_school.clone(),
                Record::StudentFile(f) => f.school.clone(),
                Record::HotlineCall(_) => String::new(),
                _ => subject_school()?.school.clone(),
            };
            if let Record::HotlineCall(h) = record {
                return if role == Role::PsychologyTeacher && !me.is_empty() && h.counsellor.id == me {
                    Ok(())
                } else {
                    Err(out_of_scope("a hotline call record is seen by the counsellor who took the call only"))
                };
            }
            if record_school != school {
                return Err(out_of_scope(format!("the record belongs to another school ({})", excerpt(&record_school))));
            }
            match role {
                Role::HeadTeacher => {
                    let class = match record {
                        Record::StudentFile(f) => f.class.clone(),
                        Record::DutyLog(_) | Record::TransferPackage(_) => String::new(),
                        _ => subject_school()?.class.clone(),
                    };
                    if viewer.class.as_deref().is_none_or(|c| c != class) {
                        return Err(out_of_scope("a head teacher sees the students of their own class only"));
                    }
                    match kind {
                        RecordKind::StudentFile | RecordKind::ScreeningRecord | RecordKind::AlertRecord | RecordKind::IndividualPlan => Ok(()),
                        _ => Err(out_of_scope(format!("a head teacher has no need to know {} records", kind.name()))),
                    }
                }
                Role::PsychologyTeacher => {
                    let own = match record {
                        Record::CounsellingRecord(c) => c.counsellor.id == me,
                        Record::IndividualPlan(p) => p.helpers.iter().any(|h| h.staff.id == me) || p.measures.iter().any(|m| m.responsible.id == me),
                        Record::CrisisCaseReport(c) => c.reported_by.id == me || c.actions.iter().any(|a| a.by.id == me),
                        Record::Referral(_)
                        | Record::StudentFile(_)
                        | Record::ScreeningRecord(_)
                        | Record::AlertRecord(_)
                        | Record::DutyLog(_)
                        | Record::TransferPackage(_) => true,
                        Record::HotlineCall(_) => false,
                    };
                    if own && !me.is_empty() {
                        Ok(())
                    } else {
                        Err(out_of_scope(
                            "a psychology teacher sees their own cases (the counsellor, a helper or a responsible person named in the record)",
                        ))
                    }
                }
                Role::Principal => Ok(()),
                _ => Err(out_of_scope("no access")),
            }
        }
    }
}

/// The record as `viewer` may see it: scope checked, then every field not within the role's
/// clearance removed. **The only per-role export of the library.**
///
/// ```
/// use changkaixin_core::archive::validate;
/// use changkaixin_core::privacy::{view, Role, Subject, Viewer};
/// let json = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/vectors/archive/counselling_record.json")).unwrap();
/// let file: serde_json::Value = serde_json::from_str(&json).unwrap();
/// let record = validate(&file["cases"][0]["record"].to_string()).unwrap();
/// let subject = Subject { school: "sch-01".into(), class: "c-8-2".into(), district: None };
/// let principal = Viewer { role: Role::Principal, staff_id: "staff-01".into(), school: Some("sch-01".into()), class: None, district: None };
/// let v = view(&principal, &record, Some(&subject)).unwrap();
/// assert!(v.data.get("parts").is_none());          // counselling content stays with the counsellor
/// assert_eq!(v.data["case_status"], "open");
/// let head = Viewer { role: Role::HeadTeacher, class: Some("c-8-2".into()), ..principal.clone() };
/// assert_eq!(view(&head, &record, Some(&subject)).unwrap_err().code(), "privacy.out_of_scope");
/// ```
pub fn view(viewer: &Viewer, record: &Record, subject: Option<&Subject>) -> Result<RecordView> {
    check_scope(viewer, record, subject)?;
    let kind = record.kind();
    let value = record.to_value();
    let mut path = Vec::new();
    let data = project(kind, viewer.role, &value, &mut path).unwrap_or_else(|| Value::Object(Map::new()));
    Ok(RecordView { kind, role: viewer.role, data })
}

fn project(kind: RecordKind, role: Role, v: &Value, path: &mut Vec<String>) -> Option<Value> {
    let segs: Vec<&str> = path.iter().map(String::as_str).collect();
    let allowed = governing(kind, &segs).is_some_and(|d| role.may_see(d.class, d.audience));
    if !has_deeper(kind, &segs) {
        return allowed.then(|| v.clone());
    }
    match v {
        Value::Object(m) => {
            let mut out = Map::new();
            for (k, child) in m {
                path.push(k.clone());
                if let Some(c) = project(kind, role, child, path) {
                    out.insert(k.clone(), c);
                }
                path.pop();
            }
            (!out.is_empty() || (allowed && m.is_empty())).then_some(Value::Object(out))
        }
        Value::Array(items) => {
            let mut out = Vec::new();
            for (i, child) in items.iter().enumerate() {
                path.push(i.to_string());
                // Elements keep their place only while something of them is visible.
                if let Some(c) = project(kind, role, child, path) {
                    out.push(c);
                }
                path.pop();
            }
            (!out.is_empty() || (allowed && items.is_empty())).then_some(Value::Array(out))
        }
        _ => allowed.then(|| v.clone()),
    }
}

/// Every leaf of a view with the class and audience of the declaration governing it (for audits
/// and the property tests): `(pointer, class, audience)`. A leaf no declaration covers has `None`.
pub fn leaf_classes(kind: RecordKind, data: &Value) -> Vec<(String, Option<(Sensitivity, u8)>)> {
    fn walk(kind: RecordKind, v: &Value, path: &mut Vec<String>, out: &mut Vec<(String, Option<(Sensitivity, u8)>)>) {
        match v {
            Value::Object(m) if !m.is_empty() => {
                for (k, c) in m {
                    path.push(k.clone());
                    walk(kind, c, path, out);
                    path.pop();
                }
            }
            Value::Array(a) if !a.is_empty() => {
                for (i, c) in a.iter().enumerate() {
                    path.push(i.to_string());
                    walk(kind, c, path, out);
                    path.pop();
                }
            }
            _ => {
                let segs: Vec<&str> = path.iter().map(String::as_str).collect();
                let g = governing(kind, &segs).map(|d| (d.class, d.audience));
                out.push((format!("/{}", path.join("/")), g));
            }
        }
    }
    let mut out = Vec::new();
    walk(kind, data, &mut Vec::new(), &mut out);
    out
}

/// Settings of aggregate views.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AggregateSettings {
    /// Cells with a count from 1 to `min_cell - 1` are suppressed (`null`). Default **10**
    /// (NCES 2011-603's most common minimum group size; no Chinese official number was found),
    /// allowed 5 to 30.
    pub min_cell: u32,
}

impl Default for AggregateSettings {
    fn default() -> Self {
        AggregateSettings { min_cell: 10 }
    }
}

/// One cell of an aggregate view.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AggregateCell {
    /// School id (district view) or district id (city view).
    pub unit: String,
    /// Record kind.
    pub kind: RecordKind,
    /// For alert records: the tier in force (the override's tier, else the decision's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier: Option<String>,
    /// The count; `None` when suppressed (1 ≤ n < `min_cell`).
    pub count: Option<u32>,
}

/// Counts for a district (per school of the district) or the city (per district), with small cells
/// suppressed: the only view district and city roles get. Complementary suppression is not done
/// here (the report module's city report does it); a caller that publishes totals beside these
/// cells must apply it.
pub fn aggregate(viewer: &Viewer, items: &[(Subject, Record)], settings: AggregateSettings) -> Result<Vec<AggregateCell>> {
    if !(5..=30).contains(&settings.min_cell) {
        return Err(Error::new(
            ErrorCode::PrivacyInvalid,
            "/min_cell",
            format!("expected 5 to 30, found {}", settings.min_cell),
        ));
    }
    let mut counts: BTreeMap<(String, RecordKind, Option<String>), u32> = BTreeMap::new();
    for (i, (subject, record)) in items.iter().enumerate() {
        let unit = match viewer.role {
            Role::District => {
                let want = viewer
                    .district
                    .as_deref()
                    .ok_or_else(|| Error::new(ErrorCode::PrivacyInvalid, "/viewer/district", "a district view needs its district"))?;
                if subject.district.as_deref() != Some(want) {
                    continue;
                }
                subject.school.clone()
            }
            Role::City => subject.district.clone().ok_or_else(|| {
                Error::new(
                    ErrorCode::PrivacyInvalid,
                    format!("/items/{i}/district"),
                    "a city view needs each subject's district",
                )
            })?,
            _ => return Err(out_of_scope("aggregate views are for district and city roles; schools use view()")),
        };
        let tier = match record {
            Record::AlertRecord(a) => Some(a.r#override.as_ref().map_or_else(|| a.decision.tier.id.clone(), |o| o.tier.clone())),
            _ => None,
        };
        *counts.entry((unit, record.kind(), tier)).or_default() += 1;
    }
    Ok(counts
        .into_iter()
        .map(|((unit, kind, tier), n)| AggregateCell {
            unit,
            kind,
            tier,
            count: (n >= settings.min_cell).then_some(n),
        })
        .collect())
}
