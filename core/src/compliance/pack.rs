//! Requirement packs: the versioned JSON document (`"format": "changkaixin.compliance-pack/1"`),
//! the closed set of metrics a requirement may measure, the pack's lint, and its compilation
//! into a [`CompiledPack`].
//!
//! JSON → [`RequirementPack`] → lint → [`CompiledPack`] (metrics resolved, thresholds exact,
//! citations rendered) → [`crate::compliance::check`]. Evaluation never re-validates what lint proved.

use crate::decimal::{Dec, Ratio};
use crate::error::{Error, ErrorCode, Result};
use crate::instrument::spec::Localized;
use crate::source::{ClauseRef, Document, SourceCitation};
use crate::time::Date;
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

/// The format tag every requirement pack carries.
pub const COMPLIANCE_PACK_FORMAT: &str = "changkaixin.compliance-pack/1";

/// The built-in Changzhou 2022–2024 pack (`core/compliance/changzhou_2022_2024.json`).
pub const CHANGZHOU_2022_2024_JSON: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/compliance/changzhou_2022_2024.json"));
/// The built-in national 2023 pack (`core/compliance/national_2023.json`).
pub const NATIONAL_2023_JSON: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/compliance/national_2023.json"));

/// Most requirements a pack may have.
pub const MAX_REQUIREMENTS: usize = 512;

/// School stage (学段) as the plan and the facts name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// 小学 (grades 1–6).
    Primary,
    /// 初中 (grades 7–9).
    Junior,
    /// 高中 (grades 10–12).
    Senior,
    /// 九年一贯制 (grades 1–9).
    NineYear,
    /// 十二年一贯制 / 完全学校 (grades 1–12).
    TwelveYear,
    /// 中等职业学校 (vocational; years written as grades 10–12).
    Vocational,
    /// 特殊教育学校.
    Special,
}

impl Stage {
    /// Every stage, in declaration order.
    pub const ALL: [Stage; 7] = [
        Stage::Primary,
        Stage::Junior,
        Stage::Senior,
        Stage::NineYear,
        Stage::TwelveYear,
        Stage::Vocational,
        Stage::Special,
    ];
    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Primary => "primary",
            Stage::Junior => "junior",
            Stage::Senior => "senior",
            Stage::NineYear => "nine_year",
            Stage::TwelveYear => "twelve_year",
            Stage::Vocational => "vocational",
            Stage::Special => "special",
        }
    }
    /// Chinese name.
    pub fn zh(self) -> &'static str {
        match self {
            Stage::Primary => "小学",
            Stage::Junior => "初中",
            Stage::Senior => "高中",
            Stage::NineYear => "九年一贯制学校",
            Stage::TwelveYear => "十二年一贯制学校",
            Stage::Vocational => "中等职业学校",
            Stage::Special => "特殊教育学校",
        }
    }
    /// The initial grade (起始年级) of each section of the stage (`各学段初始年级`).
    pub fn initial_grades(self) -> &'static [u8] {
        match self {
            Stage::Primary | Stage::Special => &[1],
            Stage::Junior => &[7],
            Stage::Senior | Stage::Vocational => &[10],
            Stage::NineYear => &[1, 7],
            Stage::TwelveYear => &[1, 7, 10],
        }
    }
    fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

/// Where the school is (the plan's 城区 / 乡镇中心学校 / other rural schools).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Location {
    /// 城区学校.
    Urban,
    /// 乡镇中心学校.
    TownshipCentral,
    /// Other rural schools (村小、教学点 …).
    Rural,
}

impl Location {
    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Location::Urban => "urban",
            Location::TownshipCentral => "township_central",
            Location::Rural => "rural",
        }
    }
    /// Chinese name.
    pub fn zh(self) -> &'static str {
        match self {
            Location::Urban => "城区学校",
            Location::TownshipCentral => "乡镇中心学校",
            Location::Rural => "农村学校",
        }
    }
    fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

/// How bad a miss is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// An aspiration of the text (力争, "strive for"): reported, never a breach.
    Target,
    /// A duty whose miss is a shortcoming to correct.
    Minor,
    /// A core duty of the plan.
    Major,
    /// A duty that protects students directly (counselling access, crisis screening).
    Critical,
}

/// The period a requirement is measured over.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    /// Every school day of the calendar.
    SchoolDay,
    /// 7-day blocks from each term's first day.
    Week,
    /// 14-day blocks (两周) from each term's first day.
    Fortnight,
    /// Each term (学期).
    Term,
    /// The school year the facts cover (学年).
    SchoolYear,
    /// Each special period of the calendar (春季、入学季、考试季、毕业季).
    SpecialPeriod,
    /// The state on the day checked (`as_of`, or the school year's last day if earlier).
    AsOf,
}

impl Period {
    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Period::SchoolDay => "school_day",
            Period::Week => "week",
            Period::Fortnight => "fortnight",
            Period::Term => "term",
            Period::SchoolYear => "school_year",
            Period::SpecialPeriod => "special_period",
            Period::AsOf => "as_of",
        }
    }
}

/// The comparison a requirement makes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    /// Measured value at least `value`.
    Ge,
    /// Measured value at most `value`.
    Le,
    /// Every entry of `kinds` is present.
    AllOf,
    /// The school attests that the duty is met (no fact can measure it).
    Attested,
}

impl Op {
    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Ge => "ge",
            Op::Le => "le",
            Op::AllOf => "all_of",
            Op::Attested => "attested",
        }
    }
}

/// The unit a metric is measured in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// Lesson periods (课时).
    Periods,
    /// A count of events or people.
    Count,
    /// Minutes.
    Minutes,
    /// Hours (学时).
    Hours,
    /// Percent (0–100).
    Percent,
    /// 1 = yes, 0 = no.
    YesNo,
    /// Required entries present.
    Items,
    /// 1 = attested met, 0 = attested not met.
    Attestation,
}

impl Unit {
    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Unit::Periods => "periods",
            Unit::Count => "count",
            Unit::Minutes => "minutes",
            Unit::Hours => "hours",
            Unit::Percent => "percent",
            Unit::YesNo => "yes_no",
            Unit::Items => "items",
            Unit::Attestation => "attestation",
        }
    }
    pub(crate) fn zh(self) -> &'static str {
        match self {
            Unit::Periods => "课时",
            Unit::Count => "次",
            Unit::Minutes => "分钟",
            Unit::Hours => "学时",
            Unit::Percent => "%",
            Unit::YesNo | Unit::Attestation => "",
            Unit::Items => "项",
        }
    }
    pub(crate) fn en(self) -> &'static str {
        match self {
            Unit::Periods => " periods",
            Unit::Count => "",
            Unit::Minutes => " min",
            Unit::Hours => " h",
            Unit::Percent => " %",
            Unit::YesNo | Unit::Attestation => "",
            Unit::Items => " items",
        }
    }
}

/// What one assessed unit of a requirement is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// The school as a whole.
    School,
    /// Each class.
    Class,
    /// Each staff member the metric concerns.
    Staff,
    /// Each screening run.
    ScreeningRun,
    /// Each initial grade.
    Grade,
    /// Each listed kind (of special period or activity).
    Kind,
}

/// Which closed vocabulary a metric's `kinds` come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Vocab {
    None,
    ScreeningKinds,
    SpecialPeriods,
    ActivityKinds,
    PsychRoles,
    RoomZones,
    RoomRules,
}

/// Screening run kinds (二(三)8: 入学普测、成长过程分类测、重点学生监控测).
pub const SCREENING_KINDS: &[&str] = &["entry", "growth", "key_students", "other"];
/// Special periods (二(三)9: 春季、入学季、考试季、毕业季).
pub const SPECIAL_PERIOD_KINDS: &[&str] = &["spring", "school_entry", "exam", "graduation"];
/// Activity kinds the facts may log.
pub const ACTIVITY_KINDS: &[&str] = &[
    "culture_festival",
    "world_mental_health_day",
    "mental_health_month",
    "group_counselling",
    "other",
];
/// Psychology-teacher roles.
pub const PSYCH_ROLES: &[&str] = &["full_time", "part_time"];
/// Counselling-room zones (教基一厅函〔2015〕36号: 个别辅导室、团体活动室、办公接待区; optional ones after).
pub const ROOM_ZONES: &[&str] = &["individual", "group", "reception", "assessment", "relaxation", "self_help"];
/// Counselling-room management rules (二(五)16: 值班、预约、辅导、档案建设及移交).
pub const ROOM_RULES: &[&str] = &["duty", "appointment", "counselling", "archive", "transfer"];

impl Vocab {
    pub(crate) fn words(self) -> &'static [&'static str] {
        match self {
            Vocab::None => &[],
            Vocab::ScreeningKinds => SCREENING_KINDS,
            Vocab::SpecialPeriods => SPECIAL_PERIOD_KINDS,
            Vocab::ActivityKinds => ACTIVITY_KINDS,
            Vocab::PsychRoles => PSYCH_ROLES,
            Vocab::RoomZones => ROOM_ZONES,
            Vocab::RoomRules => ROOM_RULES,
        }
    }
}

/// A metric the engine can measure from school facts.
#[derive(Clone, Copy, Debug)]
pub struct MetricDef {
    /// Metric id used in packs.
    pub id: &'static str,
    /// What one unit is.
    pub scope: Scope,
    /// Periods the metric can be measured over.
    pub periods: &'static [Period],
    /// Comparisons allowed.
    pub ops: &'static [Op],
    /// The unit of the measured value.
    pub unit: Unit,
    pub(crate) vocab: Vocab,
    /// Whether `kinds` must be given (otherwise optional; for `Vocab::None`, forbidden).
    pub(crate) kinds_required: bool,
    /// What is measured, in Chinese.
    pub what_zh: &'static str,
    /// What is measured, in English.
    pub what_en: &'static str,
    /// The facts read (JSON pointers into the facts document; `*` = every entry).
    pub facts: &'static str,
}

const DAY: &[Period] = &[Period::SchoolDay];
const BLOCKS: &[Period] = &[Period::Week, Period::Fortnight, Period::Term, Period::SchoolYear];
const TERMISH: &[Period] = &[Period::Term, Period::SchoolYear];
const YEAR: &[Period] = &[Period::SchoolYear];
const STATE: &[Period] = &[Period::AsOf];
const NUM: &[Op] = &[Op::Ge, Op::Le];
const GE: &[Op] = &[Op::Ge];

macro_rules! metric {
    ($id:literal, $scope:ident, $periods:expr, $ops:expr, $unit:ident, $vocab:ident, $req:literal, $zh:literal, $en:literal, $facts:literal) => {
        MetricDef {
            id: $id,
            scope: Scope::$scope,
            periods: $periods,
            ops: $ops,
            unit: Unit::$unit,
            vocab: Vocab::$vocab,
            kinds_required: $req,
            what_zh: $zh,
            what_en: $en,
            facts: $facts,
        }
    };
}

/// Every metric, in documentation order (`docs/compliance.md` lists them).
pub const METRICS: &[MetricDef] = &[
    metric!(
        "psychology_lessons",
        Class,
        BLOCKS,
        NUM,
        Periods,
        None,
        false,
        "心理健康教育课课时",
        "psychology lesson periods",
        "/classes/*/psychology_lessons"
    ),
    metric!(
        "themed_class_meetings",
        Class,
        TERMISH,
        NUM,
        Count,
        None,
        false,
        "心理健康教育专题班团队会",
        "themed class/league/pioneer meetings on mental health",
        "/classes/*/themed_meetings"
    ),
    metric!(
        "sunshine_sport_minutes",
        Class,
        DAY,
        NUM,
        Minutes,
        None,
        false,
        "阳光体育运动时间",
        "minutes of sunshine sport",
        "/classes/*/sport"
    ),
    metric!(
        "labour_lessons",
        Class,
        BLOCKS,
        NUM,
        Periods,
        None,
        false,
        "劳动教育课课时",
        "labour education periods",
        "/classes/*/labour_lessons"
    ),
    metric!(
        "labour_spirit_hours",
        Class,
        TERMISH,
        NUM,
        Hours,
        None,
        false,
        "劳动精神、劳模精神、工匠精神专题教育学时",
        "hours of labour, model-worker and craftsman-spirit education",
        "/classes/*/labour_spirit"
    ),
    metric!(
        "positive_psychology_societies",
        School,
        STATE,
        GE,
        Count,
        None,
        false,
        "基于积极心理学的学生心理社团",
        "student psychology societies based on positive psychology",
        "/societies"
    ),
    metric!(
        "screening_runs",
        School,
        YEAR,
        GE,
        Count,
        ScreeningKinds,
        false,
        "心理健康测评（普测）",
        "screening runs",
        "/screening_runs"
    ),
    metric!(
        "screening_run_responsible",
        ScreeningRun,
        YEAR,
        GE,
        YesNo,
        None,
        false,
        "指定专人负责测评",
        "a designated person responsible for the run",
        "/screening_runs/*/responsible"
    ),
    metric!(
        "screening_run_in_window",
        ScreeningRun,
        YEAR,
        GE,
        YesNo,
        None,
        false,
        "在规定时间内完成测评",
        "run completed within its window",
        "/screening_runs/*/status, completed_on"
    ),
    metric!(
        "e_archive_coverage",
        School,
        STATE,
        GE,
        Percent,
        None,
        false,
        "已建立心理健康电子档案的受测学生比例",
        "share of screened students with an electronic mental-health archive",
        "/e_archives"
    ),
    metric!(
        "special_care_coverage",
        School,
        STATE,
        GE,
        Percent,
        None,
        false,
        "需特别关爱学生中“一人一档、一人一策、一人一帮”落实比例",
        "share of students needing special care with a file, a plan and a helper (一人一档一策一帮)",
        "/special_care"
    ),
    metric!(
        "special_period_crisis_screenings",
        Kind,
        &[Period::SpecialPeriod],
        GE,
        Count,
        SpecialPeriods,
        true,
        "特殊节点心理危机排查",
        "crisis screenings in the special period",
        "/calendar/special_periods, /crisis_screenings"
    ),
    metric!(
        "room_open_minutes",
        School,
        DAY,
        NUM,
        Minutes,
        None,
        false,
        "心理辅导室开放时间",
        "minutes the counselling room was open",
        "/room_duty"
    ),
    metric!(
        "room_psychology_teacher_on_duty",
        School,
        DAY,
        GE,
        YesNo,
        None,
        false,
        "专兼职心理健康教育教师值班",
        "a psychology teacher on duty whenever the room was open",
        "/room_duty, /staff"
    ),
    metric!(
        "counselling_records_complete",
        School,
        STATE,
        GE,
        Percent,
        None,
        false,
        "辅导过程记录完整并及时归档的比例",
        "share of counselling sessions with complete, archived records",
        "/counselling_records"
    ),
    metric!(
        "referrals_recorded",
        School,
        STATE,
        GE,
        Percent,
        None,
        false,
        "转介记录在案的比例",
        "share of referrals recorded",
        "/referrals"
    ),
    metric!(
        "psychology_teacher_training_hours",
        Staff,
        YEAR,
        NUM,
        Hours,
        PsychRoles,
        false,
        "心理健康教育教师专业培训学时",
        "hours of professional training per psychology teacher",
        "/staff/*/professional_training_hours"
    ),
    metric!(
        "staff_mental_health_training_hours",
        Staff,
        YEAR,
        NUM,
        Hours,
        None,
        false,
        "教职员工心理健康教育专题培训学时",
        "hours of mental-health training per staff member",
        "/staff/*/mental_health_training_hours"
    ),
    metric!(
        "families_contacted",
        Class,
        &[Period::Term],
        GE,
        Percent,
        None,
        false,
        "学校与家庭直接沟通联系的比例",
        "share of families contacted directly",
        "/classes/*/home_contact"
    ),
    metric!(
        "parent_lectures",
        School,
        TERMISH,
        NUM,
        Count,
        None,
        false,
        "面向家长的心理健康教育知识普及课",
        "parent lectures on mental health",
        "/parent_lectures"
    ),
    metric!(
        "initial_grade_parents_certified",
        Grade,
        YEAR,
        GE,
        Percent,
        None,
        false,
        "初始年级家长持合格家长证书的比例",
        "share of initial-grade families holding a parent certificate",
        "/parent_certificates"
    ),
    metric!(
        "psychology_teachers",
        School,
        STATE,
        GE,
        Count,
        PsychRoles,
        true,
        "心理健康教育教师人数",
        "psychology teachers on the staff",
        "/staff/*/psychology_teacher"
    ),
    metric!(
        "room_zones",
        School,
        STATE,
        &[Op::AllOf],
        Items,
        RoomZones,
        true,
        "心理辅导室功能区",
        "counselling-room zones",
        "/room/zones"
    ),
    metric!(
        "room_rules",
        School,
        STATE,
        &[Op::AllOf],
        Items,
        RoomRules,
        true,
        "心理辅导室管理制度",
        "counselling-room management rules",
        "/room/rules"
    ),
    metric!(
        "room_inspections_passed",
        School,
        YEAR,
        GE,
        Count,
        None,
        false,
        "通过属地教育主管部门年检",
        "annual inspections passed",
        "/room/inspections"
    ),
    metric!(
        "leadership_group_led_by_principal",
        School,
        STATE,
        GE,
        YesNo,
        None,
        false,
        "校长负责的心理健康教育领导小组",
        "a mental-health leadership group led by the principal",
        "/governance/leadership_group"
    ),
    metric!(
        "mental_health_meetings",
        School,
        YEAR,
        NUM,
        Count,
        None,
        false,
        "研究学生心理健康教育工作的专题会",
        "meetings on students' mental health",
        "/meetings"
    ),
    metric!(
        "themed_activities",
        Kind,
        YEAR,
        GE,
        Count,
        ActivityKinds,
        true,
        "主题教育活动",
        "themed activities",
        "/activities"
    ),
    metric!(
        "attestation",
        School,
        YEAR,
        &[Op::Attested],
        Attestation,
        None,
        false,
        "学校书面确认",
        "the school's attestation",
        "/attestations"
    ),
];

/// The metric with this id.
pub fn metric(id: &str) -> Option<(usize, &'static MetricDef)> {
    METRICS.iter().enumerate().find(|(_, m)| m.id == id)
}

/// A whole requirement pack (the serde shape of the JSON document).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequirementPack {
    /// Must be [`COMPLIANCE_PACK_FORMAT`].
    pub format: String,
    /// Stable pack id, e.g. `changzhou_2022_2024`.
    pub id: String,
    /// Version of this pack; every report records it.
    pub version: String,
    /// Display name.
    pub name: Localized,
    /// What the pack is built on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Free notes (interpretations, what is not established).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// First day the pack's requirements are in force (requirements may start later).
    pub effective_from: Date,
    /// Last day in force (requirements may end earlier); absent: open-ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective_until: Option<Date>,
    /// The documents requirements cite.
    pub documents: Vec<Document>,
    /// The requirements, in report order.
    pub requirements: Vec<Requirement>,
}

/// One duty.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Requirement {
    /// Stable id, e.g. `cz.lessons.psychology_fortnightly`. Versions of one requirement share it.
    pub id: String,
    /// Version of this requirement (default `"1"`); versions may not be in force on the same day.
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub version: String,
    /// Title.
    pub title: Localized,
    /// The clauses it rests on, with quoted text; at least one.
    pub sources: Vec<ClauseRef>,
    /// Which schools it applies to (empty lists: all).
    #[serde(default, skip_serializing_if = "Applicability::is_all")]
    pub applies_to: Applicability,
    /// First day in force (default: the pack's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective_from: Option<Date>,
    /// Last day in force (default: the pack's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective_until: Option<Date>,
    /// What is measured and the threshold.
    pub check: Check,
    /// How bad a miss is.
    pub severity: Severity,
    /// Where the text leaves a choice open and the pack made one, the choice in plain words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interpretation: Option<Localized>,
}

fn one() -> String {
    "1".to_owned()
}
fn is_one(s: &String) -> bool {
    s == "1"
}

/// Stages and locations a requirement applies to.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Applicability {
    /// School stages (empty: every stage).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stages: Vec<Stage>,
    /// Locations (empty: every location).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub locations: Vec<Location>,
}

impl Applicability {
    fn is_all(&self) -> bool {
        self.stages.is_empty() && self.locations.is_empty()
    }
}

/// What a requirement measures.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Check {
    /// A metric id of [`METRICS`].
    pub metric: String,
    /// The period measured over.
    pub period: Period,
    /// The comparison.
    pub op: Op,
    /// The threshold (`ge` / `le`), a decimal string or an integer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Dec>,
    /// Metric parameters: which kinds count (screening kinds, special periods, activity kinds,
    /// psychology-teacher roles) or, for `all_of`, the entries required.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kinds: Vec<String>,
}

impl RequirementPack {
    /// Parse pack JSON (shape and format tag; see [`RequirementPack::lint`]). Errors carry a JSON pointer.
    ///
    /// ```
    /// use changkaixin_core::compliance::RequirementPack;
    /// let err = RequirementPack::from_json(r#"{"format": "changkaixin.compliance-pack/1", "id": 3}"#).unwrap_err();
    /// assert_eq!((err.code(), err.path()), ("compliance.parse", "/id"));
    /// ```
    pub fn from_json(json: &str) -> Result<RequirementPack> {
        let p: RequirementPack = crate::compliance::parse_json(json, ErrorCode::CompliancePackParse)?;
        if p.format != COMPLIANCE_PACK_FORMAT {
            return Err(Error::new(
                ErrorCode::ComplianceUnsupportedFormat,
                "/format",
                format!("expected {COMPLIANCE_PACK_FORMAT:?}, found {}", crate::compliance::short(&p.format)),
            ));
        }
        Ok(p)
    }

    /// The built-in Changzhou 2022–2024 pack (parsed, not yet linted).
    pub fn changzhou_2022_2024() -> Result<RequirementPack> {
        RequirementPack::from_json(CHANGZHOU_2022_2024_JSON)
    }

    /// The built-in national 2023 pack (parsed, not yet linted).
    pub fn national_2023() -> Result<RequirementPack> {
        RequirementPack::from_json(NATIONAL_2023_JSON)
    }

    /// Every lint problem (empty when the pack is sound).
    pub fn lint(&self) -> Vec<Error> {
        let mut c = Compiler { p: self, errors: Vec::new() };
        let _ = c.run();
        c.errors
    }

    /// Lint and compile; the first problem is the error.
    pub fn compile(&self) -> Result<CompiledPack> {
        let mut c = Compiler { p: self, errors: Vec::new() };
        let reqs = c.run();
        match c.errors.into_iter().next() {
            Some(e) => Err(e),
            None => Ok(CompiledPack { source: self.clone(), reqs }),
        }
    }

    /// Canonical JSON of the pack.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// A requirement resolved for evaluation.
#[derive(Clone, Debug)]
pub(crate) struct CReq {
    pub index: usize,
    pub id: String,
    pub metric: &'static MetricDef,
    pub period: Period,
    pub op: Op,
    pub value: Option<Dec>,
    pub threshold: Ratio,
    /// Indices into the metric's vocabulary (sorted, unique).
    pub kinds: Vec<usize>,
    pub stages: u16,
    pub locations: u16,
    pub from: Date,
    pub until: Option<Date>,
    pub sources: Vec<SourceCitation>,
    pub clause: String,
}

/// A linted pack, ready to check facts against. Cheap to share (`&`), never re-parsed.
#[derive(Clone, Debug)]
pub struct CompiledPack {
    pub(crate) source: RequirementPack,
    pub(crate) reqs: Vec<CReq>,
}

static CHANGZHOU: OnceLock<Result<CompiledPack>> = OnceLock::new();
static NATIONAL: OnceLock<Result<CompiledPack>> = OnceLock::new();

impl CompiledPack {
    /// Parse, lint and compile pack JSON.
    pub fn from_json(json: &str) -> Result<CompiledPack> {
        RequirementPack::from_json(json)?.compile()
    }
    /// The built-in Changzhou 2022–2024 pack, compiled once and shared.
    pub fn changzhou_2022_2024() -> Result<&'static CompiledPack> {
        CHANGZHOU
            .get_or_init(|| RequirementPack::changzhou_2022_2024()?.compile())
            .as_ref()
            .map_err(Clone::clone)
    }
    /// The built-in national 2023 pack, compiled once and shared.
    pub fn national_2023() -> Result<&'static CompiledPack> {
        NATIONAL
            .get_or_init(|| RequirementPack::national_2023()?.compile())
            .as_ref()
            .map_err(Clone::clone)
    }
    /// A built-in pack by id (`changzhou_2022_2024`, `national_2023`); `compliance.unknown_ref` otherwise.
    pub fn builtin(id: &str) -> Result<&'static CompiledPack> {
        match id {
            "changzhou_2022_2024" => CompiledPack::changzhou_2022_2024(),
            "national_2023" => CompiledPack::national_2023(),
            _ => Err(Error::new(
                ErrorCode::ComplianceUnknownRef,
                "",
                format!(
                    "no built-in pack {} (built in: changzhou_2022_2024, national_2023)",
                    crate::compliance::short(id)
                ),
            )),
        }
    }
    /// The pack as written.
    pub fn pack(&self) -> &RequirementPack {
        &self.source
    }
    /// Pack id.
    pub fn id(&self) -> &str {
        &self.source.id
    }
    /// Pack version.
    pub fn version(&self) -> &str {
        &self.source.version
    }
    /// Requirement ids in pack order (a versioned requirement appears once per version).
    pub fn requirement_ids(&self) -> impl Iterator<Item = &str> {
        self.source.requirements.iter().map(|r| r.id.as_str())
    }
}

struct Compiler<'a> {
    p: &'a RequirementPack,
    errors: Vec<Error>,
}

pub(crate) fn valid_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'.' | b'-'))
}

fn localized_full(l: &Localized) -> bool {
    l.zh.as_deref().is_some_and(|s| !s.trim().is_empty()) && l.en.as_deref().is_some_and(|s| !s.trim().is_empty())
}

impl Compiler<'_> {
    fn err(&mut self, code: ErrorCode, path: impl Into<String>, msg: impl Into<String>) {
        self.errors.push(Error::new(code, path, msg));
    }

    fn run(&mut self) -> Vec<CReq> {
        let p = self.p;
        if p.format != COMPLIANCE_PACK_FORMAT {
            self.err(
                ErrorCode::ComplianceUnsupportedFormat,
                "/format",
                format!("expected {COMPLIANCE_PACK_FORMAT:?}, found {}", crate::compliance::short(&p.format)),
            );
        }
        if !valid_id(&p.id) {
            self.err(ErrorCode::ComplianceInvalidValue, "/id", "ids are 1-64 characters of a-z, 0-9, '_', '.', '-'");
        }
        if p.version.trim().is_empty() {
            self.err(ErrorCode::ComplianceInvalidValue, "/version", "the pack needs a version");
        }
        if !localized_full(&p.name) {
            self.err(ErrorCode::ComplianceInvalidValue, "/name", "the pack needs a name in Chinese and English");
        }
        if p.effective_until.is_some_and(|u| u < p.effective_from) {
            self.err(
                ErrorCode::ComplianceInvalidValue,
                "/effective_until",
                "effective_until is before effective_from",
            );
        }
        for (i, d) in p.documents.iter().enumerate() {
            if !valid_id(&d.id) {
                self.err(
                    ErrorCode::ComplianceInvalidValue,
                    format!("/documents/{i}/id"),
                    "ids are 1-64 characters of a-z, 0-9, '_', '.', '-'",
                );
            }
            if p.documents[..i].iter().any(|x| x.id == d.id) {
                self.err(
                    ErrorCode::ComplianceDuplicateId,
                    format!("/documents/{i}/id"),
                    format!("document id {} is defined twice", d.id),
                );
            }
            if d.title.trim().is_empty() {
                self.err(ErrorCode::ComplianceInvalidValue, format!("/documents/{i}/title"), "a document needs a title");
            }
        }
        if p.requirements.is_empty() {
            self.err(ErrorCode::ComplianceInvalidValue, "/requirements", "a pack needs at least one requirement");
        }
        if p.requirements.len() > MAX_REQUIREMENTS {
            self.err(
                ErrorCode::ComplianceInvalidValue,
                "/requirements",
                format!("at most {MAX_REQUIREMENTS} requirements, found {}", p.requirements.len()),
            );
        }
        let mut out = Vec::new();
        for (i, r) in p.requirements.iter().enumerate().take(MAX_REQUIREMENTS) {
            if let Some(c) = self.requirement(i, r) {
                out.push(c);
            }
        }
        // Versions of one requirement may not be in force on the same day.
        for (i, r) in p.requirements.iter().enumerate() {
            for (j, o) in p.requirements[..i].iter().enumerate() {
                if o.id != r.id {
                    continue;
                }
                let (a0, a1) = (r.effective_from.unwrap_or(p.effective_from), r.effective_until.or(p.effective_until));
                let (b0, b1) = (o.effective_from.unwrap_or(p.effective_from), o.effective_until.or(p.effective_until));
                let overlap = a1.is_none_or(|a1| b0 <= a1) && b1.is_none_or(|b1| a0 <= b1);
                if overlap {
                    self.err(
                        ErrorCode::ComplianceOverlappingVersions,
                        format!("/requirements/{i}"),
                        format!(
                            "requirement {} version {} is in force on the same days as version {} (/requirements/{j}); give them disjoint effective dates",
                            r.id, r.version, o.version
                        ),
                    );
                } else if o.version == r.version {
                    self.err(
                        ErrorCode::ComplianceDuplicateId,
                        format!("/requirements/{i}/version"),
                        format!("requirement {} has two entries with version {}", r.id, r.version),
                    );
                }
            }
        }
        out
    }

    fn requirement(&mut self, i: usize, r: &Requirement) -> Option<CReq> {
        let p = self.p;
        let path = format!("/requirements/{i}");
        if !valid_id(&r.id) {
            self.err(
                ErrorCode::ComplianceInvalidValue,
                format!("{path}/id"),
                "ids are 1-64 characters of a-z, 0-9, '_', '.', '-'",
            );
        }
        if r.version.trim().is_empty() {
            self.err(ErrorCode::ComplianceInvalidValue, format!("{path}/version"), "an empty version");
        }
        if !localized_full(&r.title) {
            self.err(
                ErrorCode::ComplianceInvalidValue,
                format!("{path}/title"),
                "a requirement needs a title in Chinese and English",
            );
        }
        if r.sources.is_empty() {
            self.err(
                ErrorCode::ComplianceMissingSource,
                format!("{path}/sources"),
                "cite at least one source: a document of /documents, the clause, and the quoted text",
            );
        }
        let mut sources = Vec::new();
        for (k, s) in r.sources.iter().enumerate() {
            let sp = format!("{path}/sources/{k}");
            match p.documents.iter().find(|d| d.id == s.document) {
                Some(doc) => sources.push(s.cite(doc)),
                None => self.err(
                    ErrorCode::ComplianceUnknownRef,
                    format!("{sp}/document"),
                    format!("no document {} in /documents", crate::compliance::short(&s.document)),
                ),
            }
            if s.clause.trim().is_empty() {
                self.err(
                    ErrorCode::ComplianceMissingSource,
                    format!("{sp}/clause"),
                    "a source needs its clause (e.g. 二(一)2)",
                );
            }
            if s.quote.trim().is_empty() {
                self.err(
                    ErrorCode::ComplianceMissingSource,
                    format!("{sp}/quote"),
                    "a source needs the quoted text it relies on",
                );
            }
        }
        let from = r.effective_from.unwrap_or(p.effective_from);
        let until = r.effective_until.or(p.effective_until);
        if r.effective_from.is_some_and(|f| f < p.effective_from) {
            self.err(
                ErrorCode::ComplianceInvalidValue,
                format!("{path}/effective_from"),
                "a requirement cannot start before its pack",
            );
        }
        if let (Some(u), Some(pu)) = (r.effective_until, p.effective_until) {
            if u > pu {
                self.err(
                    ErrorCode::ComplianceInvalidValue,
                    format!("{path}/effective_until"),
                    "a requirement cannot end after its pack",
                );
            }
        }
        if until.is_some_and(|u| u < from) {
            self.err(
                ErrorCode::ComplianceInvalidValue,
                format!("{path}/effective_until"),
                "effective_until is before effective_from",
            );
        }
        let mut stages = 0u16;
        for (k, s) in r.applies_to.stages.iter().enumerate() {
            if stages & s.bit() != 0 {
                self.err(
                    ErrorCode::ComplianceDuplicateId,
                    format!("{path}/applies_to/stages/{k}"),
                    format!("stage {} listed twice", s.as_str()),
                );
            }
            stages |= s.bit();
        }
        let mut locations = 0u16;
        for (k, l) in r.applies_to.locations.iter().enumerate() {
            if locations & l.bit() != 0 {
                self.err(
                    ErrorCode::ComplianceDuplicateId,
                    format!("{path}/applies_to/locations/{k}"),
                    format!("location {} listed twice", l.as_str()),
                );
            }
            locations |= l.bit();
        }
        let c = &r.check;
        let cp = format!("{path}/check");
        let Some((_, m)) = metric(&c.metric) else {
            self.err(
                ErrorCode::ComplianceUnknownMetric,
                format!("{cp}/metric"),
                format!(
                    "no metric {} (known: {})",
                    crate::compliance::short(&c.metric),
                    METRICS.iter().map(|m| m.id).collect::<Vec<_>>().join(", ")
                ),
            );
            return None;
        };
        if !m.periods.contains(&c.period) {
            self.err(
                ErrorCode::ComplianceBadCheck,
                format!("{cp}/period"),
                format!(
                    "metric {} is measured per {}, not per {}",
                    m.id,
                    m.periods.iter().map(|p| p.as_str()).collect::<Vec<_>>().join(" / "),
                    c.period.as_str()
                ),
            );
        }
        if !m.ops.contains(&c.op) {
            self.err(
                ErrorCode::ComplianceBadCheck,
                format!("{cp}/op"),
                format!(
                    "metric {} takes op {}, not {}",
                    m.id,
                    m.ops.iter().map(|o| o.as_str()).collect::<Vec<_>>().join(" / "),
                    c.op.as_str()
                ),
            );
        }
        // Kinds.
        let words = m.vocab.words();
        let mut kinds = Vec::new();
        if m.vocab == Vocab::None && !c.kinds.is_empty() {
            self.err(ErrorCode::ComplianceBadCheck, format!("{cp}/kinds"), format!("metric {} takes no kinds", m.id));
        }
        if m.kinds_required && c.kinds.is_empty() {
            self.err(
                ErrorCode::ComplianceBadCheck,
                format!("{cp}/kinds"),
                format!("metric {} needs kinds (from: {})", m.id, words.join(", ")),
            );
        }
        for (k, w) in c.kinds.iter().enumerate() {
            match words.iter().position(|x| x == w) {
                Some(ix) if kinds.contains(&ix) => self.err(ErrorCode::ComplianceDuplicateId, format!("{cp}/kinds/{k}"), format!("{w} is listed twice")),
                Some(ix) => kinds.push(ix),
                None if m.vocab != Vocab::None => self.err(
                    ErrorCode::ComplianceUnknownRef,
                    format!("{cp}/kinds/{k}"),
                    format!("no kind {} for metric {} (known: {})", crate::compliance::short(w), m.id, words.join(", ")),
                ),
                None => {}
            }
        }
        kinds.sort_unstable();
        // Threshold.
        let mut threshold = Ratio::int(1);
        match c.op {
            Op::Ge | Op::Le => match c.value {
                None => self.err(
                    ErrorCode::ComplianceBadCheck,
                    format!("{cp}/value"),
                    format!("op {} needs a value", c.op.as_str()),
                ),
                Some(v) => {
                    // threshold() reports a value beyond the exact range as a lint error.
                    threshold = v.to_ratio().unwrap_or(threshold);
                    self.threshold(&cp, m, c.op, v);
                }
            },
            Op::AllOf | Op::Attested => {
                if c.value.is_some() {
                    self.err(
                        ErrorCode::ComplianceBadCheck,
                        format!("{cp}/value"),
                        format!("op {} takes no value", c.op.as_str()),
                    );
                }
                if c.op == Op::AllOf {
                    threshold = Ratio::int(kinds.len() as i64);
                }
            }
        }
        Some(CReq {
            index: i,
            id: r.id.clone(),
            metric: m,
            period: c.period,
            op: c.op,
            value: c.value,
            threshold,
            kinds,
            stages,
            locations,
            from,
            until,
            clause: r.sources.first().map(|s| s.clause.clone()).unwrap_or_default(),
            sources,
        })
    }

    fn threshold(&mut self, cp: &str, m: &MetricDef, op: Op, v: Dec) {
        let path = format!("{cp}/value");
        let Some(r) = v.to_ratio() else {
            self.err(ErrorCode::ComplianceImpossibleThreshold, path, format!("{v} is beyond any plausible value"));
            return;
        };
        let (max, what): (Option<i64>, &str) = match m.unit {
            Unit::Percent => (Some(100), "a percentage"),
            Unit::YesNo => (Some(1), "a yes/no metric (1 = yes)"),
            Unit::Minutes => (Some(1440), "minutes in a day"),
            _ => (None, ""),
        };
        if r < Ratio::int(0) {
            self.err(
                ErrorCode::ComplianceImpossibleThreshold,
                path,
                format!("a threshold below zero ({v}) for {} can never be measured", m.id),
            );
            return;
        }
        if v.0.scale() > 4 {
            self.err(ErrorCode::ComplianceInvalidValue, path.clone(), format!("at most 4 decimal places, found {v}"));
        }
        if let Some(max) = max {
            if r > Ratio::int(max) {
                self.err(
                    ErrorCode::ComplianceImpossibleThreshold,
                    path,
                    format!("{v} is more than {what} can reach ({max})"),
                );
                return;
            }
        }
        if r > Ratio::int(1_000_000) {
            self.err(ErrorCode::ComplianceImpossibleThreshold, path, format!("{v} is beyond any plausible value"));
            return;
        }
        match op {
            Op::Ge if r == Ratio::int(0) => self.err(
                ErrorCode::ComplianceImpossibleThreshold,
                path,
                "`ge 0` is always met, so the requirement checks nothing",
            ),
            Op::Le if max.is_some_and(|mx| r == Ratio::int(mx)) => self.err(
                ErrorCode::ComplianceImpossibleThreshold,
                path,
                format!("`le {v}` is always met, so the requirement checks nothing"),
            ),
            Op::Ge if m.unit == Unit::YesNo && r != Ratio::int(1) => {
                self.err(ErrorCode::ComplianceImpossibleThreshold, path, "a yes/no metric is checked with `ge 1` (yes)")
            }
            Op::Le if m.unit == Unit::YesNo => self.err(ErrorCode::ComplianceBadCheck, path, "a yes/no metric is checked with `ge 1` (yes)"),
            _ if matches!(m.unit, Unit::Count) && !r.is_integer() => self.err(
                ErrorCode::ComplianceInvalidValue,
                path,
                format!("{} counts whole events, so the threshold is an integer (found {v})", m.id),
            ),
            _ => {}
        }
    }
}
