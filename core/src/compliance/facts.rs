//! School facts: what a school reports for one school year, as plain serde data
//! (`"format": "changkaixin.compliance-facts/1"`).
//!
//! **A missing fact is not a zero.** Every fact is optional; an absent field means "not
//! reported" and makes the requirements that need it *insufficient evidence*, never a pass or a
//! fail. Logs carry the dates they cover (`from`, `to`): inside that range an absent entry is a
//! real zero (no lesson that day), outside it nothing is known. [`StaffRef`] distinguishes a
//! named person (`"t-03"`) from an explicit "nobody" (`false`) and from not reported (absent).
//!
//! [`SchoolFacts::from_json`] parses (errors `facts.parse` with a JSON pointer) and validates
//! (errors `facts.invalid`, `facts.unknown_ref`, `facts.duplicate_id` with the path).

use crate::compliance::pack::{Location, Stage, ACTIVITY_KINDS, ROOM_RULES, ROOM_ZONES, SCREENING_KINDS, SPECIAL_PERIOD_KINDS};
use crate::decimal::Dec;
use crate::error::{Error, ErrorCode, Result};
use crate::time::{Date, TimeOfDay};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// The format tag of a facts document.
pub const COMPLIANCE_FACTS_FORMAT: &str = "changkaixin.compliance-facts/1";

/// Most classes, staff members or entries of one log accepted in one facts document.
pub const MAX_FACTS_ENTRIES: usize = 100_000;

/// One school's facts for one school year.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchoolFacts {
    /// Must be [`COMPLIANCE_FACTS_FORMAT`].
    pub format: String,
    /// Which school.
    pub school: SchoolRef,
    /// Stage, location, enrolment.
    #[serde(default)]
    pub profile: Profile,
    /// The school year: terms, school days, special periods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calendar: Option<Calendar>,
    /// Classes with their lesson, meeting, sport and home-contact logs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub classes: Option<Vec<ClassFacts>>,
    /// Every staff member (教职员工), with psychology-teacher role and training hours.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub staff: Option<Vec<StaffMember>>,
    /// The counselling room's duty log (心理辅导室值班记录).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub room_duty: Option<Log<DutySession>>,
    /// The counselling room: zones, rules, inspections.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub room: Option<RoomFacts>,
    /// Screening runs of the school year (普测、分类测、重点学生监控测).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub screening_runs: Option<Vec<ScreeningRun>>,
    /// Electronic mental-health archives of screened students.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub e_archives: Option<ArchiveCounts>,
    /// Students needing special care and their 一人一档、一人一策、一人一帮.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub special_care: Option<SpecialCareCounts>,
    /// Crisis screenings (心理危机排查) held.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crisis_screenings: Option<Log<DatedEvent>>,
    /// Counselling sessions and their records.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counselling_records: Option<RecordCounts>,
    /// Referrals to mental-health services and whether each was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referrals: Option<ReferralCounts>,
    /// Parent lectures on mental health (家长学校专题课).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_lectures: Option<Log<DatedEvent>>,
    /// Parent certificates by initial grade.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_certificates: Option<Vec<GradeCertificates>>,
    /// Student psychology societies (学生心理社团).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub societies: Option<Vec<Society>>,
    /// Leadership of mental-health work.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub governance: Option<Governance>,
    /// Meetings on students' mental health (专题会).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meetings: Option<Log<DatedEvent>>,
    /// Themed activities (心理健康文化节、世界精神卫生日 …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activities: Option<Log<Activity>>,
    /// The school's attestations for duties no fact can measure.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attestations: Vec<Attestation>,
}

/// Which school.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchoolRef {
    /// Stable school id.
    pub id: String,
    /// Name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// District (辖市(区)) for roll-ups.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub district: Option<String>,
}

/// The school's profile.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// School stage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<Stage>,
    /// Location.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// Students enrolled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enrolment: Option<u32>,
    /// Classes per grade (`{"7": 6}`); checked against `classes` when both are given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub classes_per_grade: Option<BTreeMap<String, u32>>,
}

/// The school year's calendar.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Calendar {
    /// Label, e.g. `2023-2024`.
    pub school_year: String,
    /// First day of the school year (学年).
    pub start: Date,
    /// Last day of the school year.
    pub end: Date,
    /// Terms in order; school days are the weekdays of a term, less `holidays`, plus `make_up_days`.
    pub terms: Vec<Term>,
    /// Special periods (春季、入学季、考试季、毕业季) as the school's calendar sets them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub special_periods: Option<Vec<SpecialPeriod>>,
}

/// A term.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Term {
    /// Term id, e.g. `2023-autumn`.
    pub id: String,
    /// First day.
    pub start: Date,
    /// Last day.
    pub end: Date,
    /// Weekdays without school (public holidays).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub holidays: Vec<Date>,
    /// Weekend days with school (调休补课日).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub make_up_days: Vec<Date>,
}

/// A special period of the calendar.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpecialPeriod {
    /// `spring`, `school_entry`, `exam` or `graduation`.
    pub kind: String,
    /// First day.
    pub from: Date,
    /// Last day.
    pub to: Date,
}

/// A log: entries, and the dates the log covers (inside them, no entry means none happened).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Log<T> {
    /// First day recorded.
    pub from: Date,
    /// Last day recorded.
    pub to: Date,
    /// The entries, each dated within `from`..=`to`.
    #[serde(default = "Vec::new")]
    pub entries: Vec<T>,
}

impl<T> Log<T> {
    /// Whether the log covers every day of `from..=to`.
    pub fn covers(&self, from: Date, to: Date) -> bool {
        self.from <= from && to <= self.to
    }
}

/// A dated entry of a log.
pub trait Dated {
    /// The entry's date.
    fn date(&self) -> Date;
}

/// A class.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassFacts {
    /// Class id, unique in the school (e.g. `7-1`).
    pub id: String,
    /// Grade 1–12 (vocational years as 10–12).
    pub grade: u8,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Psychology lessons held (心理健康教育课).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub psychology_lessons: Option<Log<Lesson>>,
    /// Labour-education lessons held (劳动教育课).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labour_lessons: Option<Log<Lesson>>,
    /// Themed class/league/pioneer meetings on mental health (心理健康教育专题班团队会).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub themed_meetings: Option<Log<DatedEvent>>,
    /// Sunshine sport per day (阳光体育运动).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sport: Option<Log<SportDay>>,
    /// Labour, model-worker and craftsman-spirit education (vocational schools).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labour_spirit: Option<Log<HoursEntry>>,
    /// Direct home–school contact per term.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub home_contact: Option<Vec<HomeContact>>,
}

/// Lesson periods held on a day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lesson {
    /// Date.
    pub date: Date,
    /// Periods (课时) held that day.
    pub periods: u32,
}

/// Sport minutes on a day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SportDay {
    /// Date.
    pub date: Date,
    /// Minutes of sunshine sport the class took part in.
    pub minutes: u32,
}

/// Hours of an education activity on a day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HoursEntry {
    /// Date.
    pub date: Date,
    /// Hours (学时), a decimal string or integer.
    pub hours: Dec,
}

/// An event on a day (a meeting, a lecture, a crisis screening).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatedEvent {
    /// Date.
    pub date: Date,
    /// What it was about (free text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
}

/// A themed activity.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Activity {
    /// Date.
    pub date: Date,
    /// Kind (`culture_festival`, `world_mental_health_day`, `mental_health_month`, `group_counselling`, `other`).
    pub kind: String,
    /// What it was about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
}

macro_rules! dated {
    ($($t:ty),*) => { $(impl Dated for $t { fn date(&self) -> Date { self.date } })* };
}
dated!(Lesson, SportDay, HoursEntry, DatedEvent, Activity, DutySession);

/// Families of a class contacted directly in a term.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HomeContact {
    /// Term id of the calendar.
    pub term: String,
    /// Families of the class.
    pub families: u32,
    /// Families contacted directly at least once (家访、面谈、电话).
    pub contacted: u32,
}

/// Full- or part-time psychology teacher.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PsychRole {
    /// 专职心理健康教育教师.
    FullTime,
    /// 兼职心理健康教育教师.
    PartTime,
}

/// A staff member.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaffMember {
    /// Staff id, unique in the school.
    pub id: String,
    /// Name (or pseudonym).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Roles (free ids: `principal`, `head_teacher`, …).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
    /// Psychology-teacher role; absent: not a psychology teacher.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub psychology_teacher: Option<PsychRole>,
    /// Professional training hours this school year (psychology teachers; 专业培训和临床心理咨询体验).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub professional_training_hours: Option<Dec>,
    /// Mental-health training hours this school year (every staff member; 专题培训和团队拓展训练).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mental_health_training_hours: Option<Dec>,
}

/// A reference to a staff member: their id, or `false` for "nobody". Absent: not reported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StaffRef {
    /// A staff id.
    Staff(String),
    /// Explicitly nobody (written `false`).
    Nobody,
}

impl Serialize for StaffRef {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        match self {
            StaffRef::Staff(id) => s.serialize_str(id),
            StaffRef::Nobody => s.serialize_bool(false),
        }
    }
}

impl<'de> Deserialize<'de> for StaffRef {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = StaffRef;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a staff id, or false for nobody")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> std::result::Result<StaffRef, E> {
                Ok(StaffRef::Staff(v.to_owned()))
            }
            fn visit_bool<E: serde::de::Error>(self, v: bool) -> std::result::Result<StaffRef, E> {
                if v {
                    Err(E::custom("true is not a staff id: give the id, or false for nobody"))
                } else {
                    Ok(StaffRef::Nobody)
                }
            }
        }
        d.deserialize_any(V)
    }
}

/// One opening of the counselling room.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DutySession {
    /// Date.
    pub date: Date,
    /// Opened at.
    pub open: TimeOfDay,
    /// Closed at (after `open`).
    pub close: TimeOfDay,
    /// Teacher on duty (a staff id, or `false` for nobody); absent: not recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub teacher: Option<StaffRef>,
}

/// The counselling room.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoomFacts {
    /// Functional zones present (`individual`, `group`, `reception`, `assessment`, `relaxation`, `self_help`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zones: Option<Vec<String>>,
    /// Management rules in writing (`duty`, `appointment`, `counselling`, `archive`, `transfer`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rules: Option<Vec<String>>,
    /// Inspections by the education authority (年检).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inspections: Option<Vec<Inspection>>,
}

/// Outcome of an inspection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InspectionResult {
    /// Passed.
    Passed,
    /// Failed.
    Failed,
}

/// An inspection of the counselling room.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Inspection {
    /// Date.
    pub date: Date,
    /// Result.
    pub result: InspectionResult,
    /// Inspecting body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
}

/// State of a screening run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// Completed (`completed_on` is required).
    Completed,
    /// Started, not finished.
    InProgress,
    /// Not held.
    NotDone,
}

/// A screening run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScreeningRun {
    /// Run id, unique in the facts.
    pub id: String,
    /// `entry` (入学普测), `growth` (成长过程分类测), `key_students` (重点学生监控测) or `other`.
    pub kind: String,
    /// First day of the window set for the run (规定时间).
    pub window_from: Date,
    /// Last day of the window.
    pub window_to: Date,
    /// The person designated responsible (a staff id, or `false` for nobody); absent: not reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub responsible: Option<StaffRef>,
    /// State; absent: not reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<RunStatus>,
    /// Day the run was completed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed_on: Option<Date>,
    /// Students expected to take part.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub students_expected: Option<u32>,
    /// Students screened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub students_screened: Option<u32>,
}

/// Electronic archives of screened students.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArchiveCounts {
    /// Students screened this school year.
    pub screened_students: u32,
    /// Of them, students with an electronic mental-health archive.
    pub with_e_archive: u32,
}

/// Students needing special care (需要特别关爱的学生).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpecialCareCounts {
    /// Students needing special care.
    pub students: u32,
    /// With an individual file (一人一档).
    pub with_file: u32,
    /// With an individual plan (一人一策).
    pub with_plan: u32,
    /// With a named helper (一人一帮).
    pub with_helper: u32,
}

/// Counselling sessions and their records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordCounts {
    /// Counselling sessions held this school year.
    pub sessions: u32,
    /// Sessions whose record is complete and archived (辅导过程记录完整并及时归档).
    pub complete_and_archived: u32,
}

/// Referrals of students with serious mental illness.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReferralCounts {
    /// Referrals made this school year.
    pub made: u32,
    /// Referrals recorded (记录在案).
    pub recorded: u32,
}

/// Parent certificates of one grade.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GradeCertificates {
    /// Grade.
    pub grade: u8,
    /// Families of the grade.
    pub families: u32,
    /// Families with a qualified parent certificate (合格家长证书).
    pub certified: u32,
}

/// A student society.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Society {
    /// Name.
    pub name: String,
    /// Whether it is a psychology society based on positive psychology.
    pub positive_psychology: bool,
    /// Founded (absent: before the school year).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub founded: Option<Date>,
    /// Dissolved (absent: still active).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dissolved: Option<Date>,
}

/// Leadership of mental-health work.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Governance {
    /// The mental-health leadership group (心理健康教育领导小组); absent: not reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leadership_group: Option<LeadershipGroup>,
}

/// The leadership group.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeadershipGroup {
    /// Whether the school has one.
    pub exists: bool,
    /// Whether the principal leads it (校长负责); absent: not reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub led_by_principal: Option<bool>,
}

/// Who attests.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attester {
    /// Name.
    pub name: String,
    /// Role (e.g. `principal`).
    pub role: String,
}

/// The school's statement that a duty no fact can measure is (or is not) met.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attestation {
    /// Requirement id.
    pub requirement: String,
    /// Whether the school states the duty is met.
    pub met: bool,
    /// Who attests.
    pub by: Attester,
    /// When (must lie in the school year, on or before the check date, to count).
    pub on: Date,
    /// What the statement rests on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl SchoolFacts {
    /// Parse and validate facts JSON.
    ///
    /// ```
    /// use changkaixin_core::compliance::SchoolFacts;
    /// let bad = r#"{"format": "changkaixin.compliance-facts/1", "school": {"id": "s"},
    ///   "classes": [{"id": "7-1", "grade": 7, "sport": {"from": "2023-09-01", "to": "2023-09-30",
    ///   "entries": [{"date": "2023-09-04", "minutes": "sixty"}]}}]}"#;
    /// let err = SchoolFacts::from_json(bad).unwrap_err();
    /// assert_eq!((err.code(), err.path()), ("facts.parse", "/classes/0/sport/entries/0/minutes"));
    /// ```
    pub fn from_json(json: &str) -> Result<SchoolFacts> {
        let f: SchoolFacts = crate::compliance::parse_json(json, ErrorCode::FactsParse)?;
        f.validate()?;
        Ok(f)
    }

    /// Canonical JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Check the facts are consistent; the first problem is the error (`facts.*`, with its path).
    pub fn validate(&self) -> Result<()> {
        let e = |code: ErrorCode, path: String, msg: String| Err(Error::new(code, path, msg));
        if self.format != COMPLIANCE_FACTS_FORMAT {
            return e(
                ErrorCode::FactsUnsupportedFormat,
                "/format".into(),
                format!("expected {COMPLIANCE_FACTS_FORMAT:?}, found {}", crate::compliance::short(&self.format)),
            );
        }
        if self.school.id.trim().is_empty() {
            return e(ErrorCode::FactsInvalid, "/school/id".into(), "the school needs an id".into());
        }
        if let Some(c) = &self.calendar {
            if c.end < c.start {
                return e(ErrorCode::FactsInvalid, "/calendar/end".into(), "the school year ends before it starts".into());
            }
            if c.start.days_until(c.end) > 400 {
                return e(ErrorCode::FactsInvalid, "/calendar/end".into(), "a school year is at most 400 days".into());
            }
            if c.terms.len() > 8 {
                return e(ErrorCode::FactsInvalid, "/calendar/terms".into(), "at most 8 terms".into());
            }
            for (i, t) in c.terms.iter().enumerate() {
                let p = format!("/calendar/terms/{i}");
                if c.terms[..i].iter().any(|x| x.id == t.id) {
                    return e(
                        ErrorCode::FactsDuplicateId,
                        format!("{p}/id"),
                        format!("term {} is defined twice", crate::compliance::short(&t.id)),
                    );
                }
                if t.end < t.start || t.start < c.start || t.end > c.end {
                    return e(
                        ErrorCode::FactsInvalid,
                        p,
                        "a term must lie within the school year, start before it ends".into(),
                    );
                }
                if i > 0 && t.start <= c.terms[i - 1].end {
                    return e(
                        ErrorCode::FactsInvalid,
                        format!("{p}/start"),
                        "terms must be in order without overlapping".into(),
                    );
                }
                for (k, d) in t.holidays.iter().enumerate() {
                    if *d < t.start || *d > t.end {
                        return e(ErrorCode::FactsInvalid, format!("{p}/holidays/{k}"), "a holiday outside its term".into());
                    }
                }
                for (k, d) in t.make_up_days.iter().enumerate() {
                    if *d < t.start || *d > t.end {
                        return e(
                            ErrorCode::FactsInvalid,
                            format!("{p}/make_up_days/{k}"),
                            "a make-up day outside its term".into(),
                        );
                    }
                }
            }
            if let Some(sp) = &c.special_periods {
                for (i, s) in sp.iter().enumerate() {
                    let p = format!("/calendar/special_periods/{i}");
                    if !SPECIAL_PERIOD_KINDS.contains(&s.kind.as_str()) {
                        return e(
                            ErrorCode::FactsUnknownRef,
                            format!("{p}/kind"),
                            format!(
                                "no special period {} (known: {})",
                                crate::compliance::short(&s.kind),
                                SPECIAL_PERIOD_KINDS.join(", ")
                            ),
                        );
                    }
                    if s.to < s.from {
                        return e(ErrorCode::FactsInvalid, format!("{p}/to"), "a special period ends before it starts".into());
                    }
                }
            }
        }
        let terms: Vec<&str> = self
            .calendar
            .as_ref()
            .map(|c| c.terms.iter().map(|t| t.id.as_str()).collect())
            .unwrap_or_default();
        if let Some(classes) = &self.classes {
            too_many(classes.len(), "/classes")?;
            let mut ids: Vec<&str> = Vec::with_capacity(classes.len());
            for (i, c) in classes.iter().enumerate() {
                let p = format!("/classes/{i}");
                ids.push(&c.id);
                if !(1..=12).contains(&c.grade) {
                    return e(ErrorCode::FactsInvalid, format!("{p}/grade"), format!("grades are 1-12, found {}", c.grade));
                }
                log_ok(&c.psychology_lessons, &format!("{p}/psychology_lessons"))?;
                log_ok(&c.labour_lessons, &format!("{p}/labour_lessons"))?;
                log_ok(&c.themed_meetings, &format!("{p}/themed_meetings"))?;
                log_ok(&c.sport, &format!("{p}/sport"))?;
                log_ok(&c.labour_spirit, &format!("{p}/labour_spirit"))?;
                for (name, log) in [("psychology_lessons", &c.psychology_lessons), ("labour_lessons", &c.labour_lessons)] {
                    for (k, l) in log.iter().flat_map(|l| l.entries.iter().enumerate()) {
                        if l.periods > 20 {
                            return e(
                                ErrorCode::FactsInvalid,
                                format!("{p}/{name}/entries/{k}/periods"),
                                format!("{} periods in one day", l.periods),
                            );
                        }
                    }
                }
                if let Some(s) = &c.sport {
                    for (k, d) in s.entries.iter().enumerate() {
                        if d.minutes > 1440 {
                            return e(
                                ErrorCode::FactsInvalid,
                                format!("{p}/sport/entries/{k}/minutes"),
                                "more minutes than a day has".into(),
                            );
                        }
                    }
                }
                if let Some(h) = &c.labour_spirit {
                    for (k, x) in h.entries.iter().enumerate() {
                        hours_ok(x.hours, &format!("{p}/labour_spirit/entries/{k}/hours"))?;
                    }
                }
                if let Some(hc) = &c.home_contact {
                    for (k, h) in hc.iter().enumerate() {
                        let hp = format!("{p}/home_contact/{k}");
                        if self.calendar.is_some() && !terms.contains(&h.term.as_str()) {
                            return e(
                                ErrorCode::FactsUnknownRef,
                                format!("{hp}/term"),
                                format!("no term {} in /calendar/terms", crate::compliance::short(&h.term)),
                            );
                        }
                        if hc[..k].iter().any(|x| x.term == h.term) {
                            return e(ErrorCode::FactsDuplicateId, format!("{hp}/term"), "two entries for one term".into());
                        }
                        if h.contacted > h.families {
                            return e(
                                ErrorCode::FactsInvalid,
                                format!("{hp}/contacted"),
                                "more families contacted than the class has".into(),
                            );
                        }
                    }
                }
            }
            let mut sorted = ids.clone();
            sorted.sort_unstable();
            if let Some(w) = sorted.windows(2).find(|w| w[0] == w[1]) {
                let i = ids.iter().rposition(|x| *x == w[0]).unwrap_or(0);
                return e(
                    ErrorCode::FactsDuplicateId,
                    format!("/classes/{i}/id"),
                    format!("class {} is defined twice", crate::compliance::short(w[0])),
                );
            }
            if let Some(cpg) = &self.profile.classes_per_grade {
                for (g, n) in cpg {
                    let have = classes.iter().filter(|c| c.grade.to_string() == *g).count();
                    if have != *n as usize {
                        return e(
                            ErrorCode::FactsInvalid,
                            format!("/profile/classes_per_grade/{g}"),
                            format!("the profile says {n} classes in grade {g}, /classes lists {have}"),
                        );
                    }
                }
            }
        }
        let staff_ids: Option<Vec<&str>> = self.staff.as_ref().map(|s| s.iter().map(|m| m.id.as_str()).collect());
        if let Some(staff) = &self.staff {
            too_many(staff.len(), "/staff")?;
            let mut sorted: Vec<&str> = staff.iter().map(|m| m.id.as_str()).collect();
            sorted.sort_unstable();
            if let Some(w) = sorted.windows(2).find(|w| w[0] == w[1]) {
                let i = staff.iter().rposition(|x| x.id == w[0]).unwrap_or(0);
                return e(
                    ErrorCode::FactsDuplicateId,
                    format!("/staff/{i}/id"),
                    format!("staff member {} is listed twice", crate::compliance::short(w[0])),
                );
            }
            for (i, m) in staff.iter().enumerate() {
                if let Some(h) = m.professional_training_hours {
                    hours_ok(h, &format!("/staff/{i}/professional_training_hours"))?;
                }
                if let Some(h) = m.mental_health_training_hours {
                    hours_ok(h, &format!("/staff/{i}/mental_health_training_hours"))?;
                }
            }
        }
        let known_staff = |r: &Option<StaffRef>, path: String| -> Result<()> {
            if let (Some(StaffRef::Staff(id)), Some(ids)) = (r, &staff_ids) {
                if !ids.contains(&id.as_str()) {
                    return e(
                        ErrorCode::FactsUnknownRef,
                        path,
                        format!("no staff member {} in /staff", crate::compliance::short(id)),
                    );
                }
            }
            Ok(())
        };
        if let Some(d) = &self.room_duty {
            log_ok(&self.room_duty, "/room_duty")?;
            for (i, s) in d.entries.iter().enumerate() {
                if s.close <= s.open {
                    return e(
                        ErrorCode::FactsInvalid,
                        format!("/room_duty/entries/{i}/close"),
                        format!("closes at {} before it opens at {}", s.close, s.open),
                    );
                }
                known_staff(&s.teacher, format!("/room_duty/entries/{i}/teacher"))?;
            }
        }
        if let Some(room) = &self.room {
            vocab_list(&room.zones, ROOM_ZONES, "/room/zones", "zone")?;
            vocab_list(&room.rules, ROOM_RULES, "/room/rules", "rule")?;
        }
        if let Some(runs) = &self.screening_runs {
            too_many(runs.len(), "/screening_runs")?;
            for (i, r) in runs.iter().enumerate() {
                let p = format!("/screening_runs/{i}");
                if runs[..i].iter().any(|x| x.id == r.id) {
                    return e(
                        ErrorCode::FactsDuplicateId,
                        format!("{p}/id"),
                        format!("run {} is listed twice", crate::compliance::short(&r.id)),
                    );
                }
                if !SCREENING_KINDS.contains(&r.kind.as_str()) {
                    return e(
                        ErrorCode::FactsUnknownRef,
                        format!("{p}/kind"),
                        format!(
                            "no screening kind {} (known: {})",
                            crate::compliance::short(&r.kind),
                            SCREENING_KINDS.join(", ")
                        ),
                    );
                }
                if r.window_to < r.window_from {
                    return e(ErrorCode::FactsInvalid, format!("{p}/window_to"), "the window ends before it starts".into());
                }
                match (r.status, r.completed_on) {
                    (Some(RunStatus::Completed), None) => {
                        return e(
                            ErrorCode::FactsInvalid,
                            format!("{p}/completed_on"),
                            "a completed run needs completed_on".into(),
                        )
                    }
                    (Some(RunStatus::InProgress | RunStatus::NotDone) | None, Some(_)) => {
                        return e(
                            ErrorCode::FactsInvalid,
                            format!("{p}/completed_on"),
                            "completed_on is only given for a completed run".into(),
                        )
                    }
                    _ => {}
                }
                if let (Some(x), Some(s)) = (r.students_expected, r.students_screened) {
                    if s > x {
                        return e(
                            ErrorCode::FactsInvalid,
                            format!("{p}/students_screened"),
                            "more students screened than expected".into(),
                        );
                    }
                }
                known_staff(&r.responsible, format!("{p}/responsible"))?;
            }
        }
        if let Some(a) = &self.e_archives {
            if a.with_e_archive > a.screened_students {
                return e(
                    ErrorCode::FactsInvalid,
                    "/e_archives/with_e_archive".into(),
                    "more archives than screened students".into(),
                );
            }
        }
        if let Some(s) = &self.special_care {
            for (name, v) in [("with_file", s.with_file), ("with_plan", s.with_plan), ("with_helper", s.with_helper)] {
                if v > s.students {
                    return e(
                        ErrorCode::FactsInvalid,
                        format!("/special_care/{name}"),
                        "more than the students needing special care".into(),
                    );
                }
            }
        }
        if let Some(r) = &self.counselling_records {
            if r.complete_and_archived > r.sessions {
                return e(
                    ErrorCode::FactsInvalid,
                    "/counselling_records/complete_and_archived".into(),
                    "more records than sessions".into(),
                );
            }
        }
        if let Some(r) = &self.referrals {
            if r.recorded > r.made {
                return e(ErrorCode::FactsInvalid, "/referrals/recorded".into(), "more recorded than made".into());
            }
        }
        log_ok(&self.crisis_screenings, "/crisis_screenings")?;
        log_ok(&self.parent_lectures, "/parent_lectures")?;
        log_ok(&self.meetings, "/meetings")?;
        log_ok(&self.activities, "/activities")?;
        if let Some(a) = &self.activities {
            for (i, x) in a.entries.iter().enumerate() {
                if !ACTIVITY_KINDS.contains(&x.kind.as_str()) {
                    return e(
                        ErrorCode::FactsUnknownRef,
                        format!("/activities/entries/{i}/kind"),
                        format!("no activity kind {} (known: {})", crate::compliance::short(&x.kind), ACTIVITY_KINDS.join(", ")),
                    );
                }
            }
        }
        if let Some(pc) = &self.parent_certificates {
            for (i, g) in pc.iter().enumerate() {
                if g.certified > g.families {
                    return e(
                        ErrorCode::FactsInvalid,
                        format!("/parent_certificates/{i}/certified"),
                        "more certified than families".into(),
                    );
                }
                if pc[..i].iter().any(|x| x.grade == g.grade) {
                    return e(
                        ErrorCode::FactsDuplicateId,
                        format!("/parent_certificates/{i}/grade"),
                        "two entries for one grade".into(),
                    );
                }
            }
        }
        if let Some(s) = &self.societies {
            for (i, x) in s.iter().enumerate() {
                if let (Some(f), Some(d)) = (x.founded, x.dissolved) {
                    if d < f {
                        return e(
                            ErrorCode::FactsInvalid,
                            format!("/societies/{i}/dissolved"),
                            "dissolved before it was founded".into(),
                        );
                    }
                }
            }
        }
        too_many(self.attestations.len(), "/attestations")?;
        Ok(())
    }
}

fn too_many(n: usize, path: &str) -> Result<()> {
    if n > MAX_FACTS_ENTRIES {
        return Err(Error::new(
            ErrorCode::FactsInvalid,
            path,
            format!("at most {MAX_FACTS_ENTRIES} entries, found {n}"),
        ));
    }
    Ok(())
}

fn hours_ok(h: Dec, path: &str) -> Result<()> {
    if h.0.is_sign_negative() || h.0 > rust_decimal::Decimal::from(10_000) || h.0.scale() > 4 {
        return Err(Error::new(
            ErrorCode::FactsInvalid,
            path,
            format!("hours are 0-10000 with at most 4 decimals, found {h}"),
        ));
    }
    Ok(())
}

fn log_ok<T: Dated>(log: &Option<Log<T>>, path: &str) -> Result<()> {
    let Some(l) = log else { return Ok(()) };
    if l.to < l.from {
        return Err(Error::new(ErrorCode::FactsInvalid, format!("{path}/to"), "the log ends before it starts"));
    }
    if l.from.days_until(l.to) > 400 {
        return Err(Error::new(
            ErrorCode::FactsInvalid,
            format!("{path}/to"),
            "a log covers at most 400 days (one school year)",
        ));
    }
    too_many(l.entries.len(), &format!("{path}/entries"))?;
    for (i, x) in l.entries.iter().enumerate() {
        let d = x.date();
        if d < l.from || d > l.to {
            return Err(Error::new(
                ErrorCode::FactsInvalid,
                format!("{path}/entries/{i}/date"),
                format!("{d} lies outside the dates the log covers ({} to {})", l.from, l.to),
            ));
        }
    }
    Ok(())
}

fn vocab_list(list: &Option<Vec<String>>, words: &[&str], path: &str, what: &str) -> Result<()> {
    let Some(list) = list else { return Ok(()) };
    for (i, w) in list.iter().enumerate() {
        if !words.contains(&w.as_str()) {
            return Err(Error::new(
                ErrorCode::FactsUnknownRef,
                format!("{path}/{i}"),
                format!("no {what} {} (known: {})", crate::compliance::short(w), words.join(", ")),
            ));
        }
        if list[..i].contains(w) {
            return Err(Error::new(ErrorCode::FactsDuplicateId, format!("{path}/{i}"), format!("{w} is listed twice")));
        }
    }
    Ok(())
}
