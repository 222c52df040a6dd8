//! Evaluation: one school's facts against a compiled pack, as of a day.
//!
//! Every requirement is split into **units** (a class × fortnight, a school day, a staff
//! member, a screening run, an initial grade, a special period, or the school as a whole).
//! Each unit in force and due is measured (pass or fail), or its facts are missing. A unit
//! whose period has not ended by `as_of` is judged early only when it already meets a `ge`
//! threshold (more evidence can only add to it); otherwise it is *pending* and not judged.
//! The finding is `fail` if any unit fails, else `insufficient_evidence` if any unit's facts
//! are missing, else `pass` if any unit passed, else `not_applicable` with the reason.

use crate::compliance::facts::{Calendar, Dated, InspectionResult, Log, PsychRole, RunStatus, SchoolFacts, StaffRef};
use crate::compliance::pack::{CReq, CompiledPack, Op, Period, Scope, Stage, Unit, Vocab, PSYCH_ROLES};
use crate::compliance::report::*;
use crate::decimal::{Dec, Ratio, Rounding};
use crate::error::Result;
use crate::instrument::spec::Localized;
use crate::time::Date;

/// Check one school's facts against a pack as of a day (inclusive: periods ending on or before
/// `as_of` are judged). The facts are validated first (`facts.*` errors). No clock, no I/O.
///
/// ```
/// use changkaixin_core::compliance::{check, CompiledPack, SchoolFacts, Status};
/// use changkaixin_core::time::Date;
/// let pack = CompiledPack::changzhou_2022_2024().unwrap();
/// let facts = SchoolFacts::from_json(r#"{"format": "changkaixin.compliance-facts/1",
///     "school": {"id": "cz-001"}, "profile": {"stage": "junior", "location": "urban"}}"#).unwrap();
/// let report = check(pack, &facts, Date::parse("2024-07-01").unwrap()).unwrap();
/// // Nothing reported: every applicable requirement lacks evidence, none passes or fails.
/// assert!(report.findings.iter().all(|f| matches!(f.status, Status::InsufficientEvidence | Status::NotApplicable)));
/// ```
pub fn check(pack: &CompiledPack, facts: &SchoolFacts, as_of: Date) -> Result<ComplianceReport> {
    facts.validate()?;
    Ok(check_validated(pack, facts, as_of))
}

/// [`check`] on facts already validated (by [`SchoolFacts::from_json`] or [`SchoolFacts::validate`]).
pub fn check_validated(pack: &CompiledPack, facts: &SchoolFacts, as_of: Date) -> ComplianceReport {
    let cal = facts.calendar.as_ref().map(Cal::new);
    let mut ctx = Ctx {
        f: facts,
        as_of,
        cal,
        buf: Vec::new(),
        sums: Vec::new(),
    };
    let mut counts = StatusCounts::default();
    let mut findings = Vec::with_capacity(pack.reqs.len());
    for r in &pack.reqs {
        let spec = &pack.source.requirements[r.index];
        let mut t = Tally::new(r, true);
        ctx.requirement(r, &mut t);
        let f = t.finish(spec, r);
        counts.add(f.status);
        findings.push(f);
    }
    let summary = Localized {
        zh: Some(format!(
            "{}（{}）截至{}：符合{}项，不符合{}项，证据不足{}项，不适用{}项。证据不足不等于符合。",
            facts.school.name.as_deref().unwrap_or(&facts.school.id),
            pack.source.name.zh.as_deref().unwrap_or(&pack.source.id),
            as_of,
            counts.pass,
            counts.fail,
            counts.insufficient_evidence,
            counts.not_applicable
        )),
        en: Some(format!(
            "{} against {} as of {as_of}: {} met, {} not met, {} with insufficient evidence, {} not applicable. Insufficient evidence is not compliance.",
            facts.school.name.as_deref().unwrap_or(&facts.school.id),
            pack.source.id,
            counts.pass,
            counts.fail,
            counts.insufficient_evidence,
            counts.not_applicable
        )),
    };
    ComplianceReport {
        format: COMPLIANCE_REPORT_FORMAT.to_owned(),
        pack: PackRef {
            id: pack.source.id.clone(),
            version: pack.source.version.clone(),
        },
        school: facts.school.clone(),
        school_year: facts.calendar.as_ref().map(|c| c.school_year.clone()),
        as_of,
        counts,
        findings,
        summary,
    }
}

/// The lean form of [`check`] for whole cities: per requirement the status, the decisive measured
/// value, the shortfall and the unit counts — the same evaluation as [`check`], without titles,
/// citations, explanations or unit lists. [`crate::compliance::rollup_summaries`] rolls these up.
///
/// ```
/// use changkaixin_core::compliance::{check, check_summary, CompiledPack, SchoolFacts};
/// use changkaixin_core::time::Date;
/// let pack = CompiledPack::changzhou_2022_2024().unwrap();
/// let facts = SchoolFacts::from_json(r#"{"format": "changkaixin.compliance-facts/1", "school": {"id": "s"}}"#).unwrap();
/// let day = Date::parse("2024-07-01").unwrap();
/// assert_eq!(check_summary(pack, &facts, day).unwrap(), check(pack, &facts, day).unwrap().summarize());
/// ```
pub fn check_summary(pack: &CompiledPack, facts: &SchoolFacts, as_of: Date) -> Result<SchoolSummary> {
    facts.validate()?;
    Ok(check_summary_validated(pack, facts, as_of))
}

/// [`check_summary`] on facts already validated.
pub fn check_summary_validated(pack: &CompiledPack, facts: &SchoolFacts, as_of: Date) -> SchoolSummary {
    let cal = facts.calendar.as_ref().map(Cal::new);
    let mut ctx = Ctx {
        f: facts,
        as_of,
        cal,
        buf: Vec::new(),
        sums: Vec::new(),
    };
    let mut counts = StatusCounts::default();
    let findings = pack
        .reqs
        .iter()
        .map(|r| {
            let mut t = Tally::new(r, false);
            ctx.requirement(r, &mut t);
            let f = t.summary(r);
            counts.add(f.status);
            f
        })
        .collect();
    SchoolSummary {
        pack: PackRef {
            id: pack.source.id.clone(),
            version: pack.source.version.clone(),
        },
        school: facts.school.clone(),
        as_of,
        counts,
        findings,
    }
}

// ---------------------------------------------------------------------------------------------
// The calendar.

struct Cal<'a> {
    c: &'a Calendar,
    start: Date,
    /// Per day offset: school day?
    school: Vec<bool>,
}

impl<'a> Cal<'a> {
    fn new(c: &'a Calendar) -> Cal<'a> {
        let n = (c.start.days_until(c.end).max(0) + 1) as usize;
        let mut school = vec![false; n];
        for t in &c.terms {
            let mut d = t.start;
            while d <= t.end {
                let wd = !d.is_weekend();
                let is = (wd && !t.holidays.contains(&d)) || t.make_up_days.contains(&d);
                if let Some(x) = school.get_mut(c.start.days_until(d) as usize) {
                    *x = is;
                }
                d = d.plus_days(1);
            }
        }
        Cal { c, start: c.start, school }
    }
    fn off(&self, d: Date) -> usize {
        self.start.days_until(d).max(0) as usize
    }
    fn has_school_day(&self, from: Date, to: Date) -> bool {
        let (a, b) = (self.off(from), self.off(to).min(self.school.len().saturating_sub(1)));
        self.school.get(a..=b).is_some_and(|s| s.iter().any(|x| *x))
    }
    fn blocks(&self, period: Period) -> Vec<(Date, Date)> {
        let mut out = Vec::new();
        match period {
            Period::SchoolDay => {
                for (i, s) in self.school.iter().enumerate() {
                    if *s {
                        let d = self.start.plus_days(i as i32);
                        out.push((d, d));
                    }
                }
            }
            Period::Week | Period::Fortnight => {
                let len = if period == Period::Week { 7 } else { 14 };
                for t in &self.c.terms {
                    let mut chunks: Vec<(Date, Date)> = Vec::new();
                    let mut s = t.start;
                    while s <= t.end {
                        let e = s.plus_days(len - 1).min(t.end);
                        chunks.push((s, e));
                        s = e.plus_days(1);
                    }
                    // A trailing fragment shorter than half a block joins the block before it.
                    if chunks.len() >= 2 {
                        if let Some(&(ls, le)) = chunks.last() {
                            if ls.days_until(le) + 1 < len / 2 {
                                chunks.pop();
                                if let Some(prev) = chunks.last_mut() {
                                    prev.1 = le;
                                }
                            }
                        }
                    }
                    out.extend(chunks.into_iter().filter(|(a, b)| self.has_school_day(*a, *b)));
                }
            }
            Period::Term => out.extend(self.c.terms.iter().filter(|t| self.has_school_day(t.start, t.end)).map(|t| (t.start, t.end))),
            Period::SchoolYear => out.push((self.c.start, self.c.end)),
            Period::SpecialPeriod | Period::AsOf => {}
        }
        out
    }
}

// ---------------------------------------------------------------------------------------------
// Tallying units into a finding.

struct Tally {
    /// Whether failing units and missing facts are listed (full reports) or only counted (summaries).
    detail: bool,
    op: Op,
    threshold: Ratio,
    counts: UnitCounts,
    worst_pass: Option<Ratio>,
    worst_fail: Option<Ratio>,
    max_short: Option<Ratio>,
    failures: Vec<UnitFinding>,
    failures_omitted: u32,
    missing: Vec<MissingFact>,
    missing_omitted: u32,
    na: Option<Localized>,
    empty_reason: Option<Localized>,
    out_of_scope: u32,
    first_pending_end: Option<Date>,
    attestation: Option<AttestationUsed>,
    from: Date,
    until: Option<Date>,
}

type Subject = (Scope, Option<String>, Option<Date>, Option<Date>);

fn lz(zh: String, en: String) -> Localized {
    Localized { zh: Some(zh), en: Some(en) }
}

impl Tally {
    fn new(r: &CReq, detail: bool) -> Tally {
        Tally {
            detail,
            op: r.op,
            threshold: r.threshold,
            counts: UnitCounts::default(),
            worst_pass: None,
            worst_fail: None,
            max_short: None,
            failures: Vec::new(),
            failures_omitted: 0,
            missing: Vec::new(),
            missing_omitted: 0,
            na: None,
            empty_reason: None,
            out_of_scope: 0,
            first_pending_end: None,
            attestation: None,
            from: r.from,
            until: r.until,
        }
    }

    fn in_scope(&mut self, from: Date, to: Date) -> bool {
        let ok = to >= self.from && self.until.is_none_or(|u| from <= u);
        if !ok {
            self.out_of_scope += 1;
        }
        ok
    }

    fn meets(&self, v: Ratio) -> bool {
        match self.op {
            Op::Le => v <= self.threshold,
            _ => v >= self.threshold,
        }
    }

    fn worse(&self, a: Ratio, b: Ratio) -> Ratio {
        match self.op {
            Op::Le => a.max(b),
            _ => a.min(b),
        }
    }

    /// A measured unit. `due`: its period has ended by `as_of`.
    fn value(&mut self, v: Ratio, due: bool, subject: impl FnOnce() -> Subject) {
        self.value_lacking(v, due, subject, Vec::new);
    }

    fn value_lacking(&mut self, v: Ratio, due: bool, subject: impl FnOnce() -> Subject, lacking: impl FnOnce() -> Vec<String>) {
        if self.meets(v) {
            self.counts.assessed += 1;
            self.counts.passed += 1;
            self.worst_pass = Some(self.worst_pass.map_or(v, |w| self.worse(w, v)));
            return;
        }
        if !due {
            self.counts.pending += 1;
            let (_, _, _, to) = subject();
            if let Some(to) = to {
                self.first_pending_end = Some(self.first_pending_end.map_or(to, |x| x.min(to)));
            }
            return;
        }
        self.counts.assessed += 1;
        self.counts.failed += 1;
        self.worst_fail = Some(self.worst_fail.map_or(v, |w| self.worse(w, v)));
        let short = match self.op {
            Op::Le => sub(v, self.threshold),
            _ => sub(self.threshold, v),
        };
        self.max_short = Some(self.max_short.map_or(short, |m| m.max(short)));
        if !self.detail {
            return;
        }
        if self.failures.len() < MAX_LISTED_UNITS {
            let (scope, id, from, to) = subject();
            self.failures.push(UnitFinding {
                scope,
                id,
                from,
                to,
                measured: show(v, self.op),
                shortfall: show_up(short),
                lacking: lacking(),
            });
        } else {
            self.failures_omitted += 1;
        }
    }

    /// `n` units whose facts are missing, listed once.
    fn missing_n(&mut self, n: u32, fact: impl FnOnce() -> String, subject: impl FnOnce() -> Subject) {
        if n == 0 {
            return;
        }
        self.counts.missing += n;
        if !self.detail {
            return;
        }
        if self.missing.len() < MAX_LISTED_UNITS {
            let (scope, id, from, to) = subject();
            self.missing.push(MissingFact {
                fact: fact(),
                scope,
                id,
                from,
                to,
            });
        } else {
            self.missing_omitted += 1;
        }
    }

    fn missing(&mut self, fact: impl FnOnce() -> String, subject: impl FnOnce() -> Subject) {
        self.missing_n(1, fact, subject);
    }

    fn status(&self) -> Status {
        if self.na.is_some() {
            Status::NotApplicable
        } else if self.counts.failed > 0 {
            Status::Fail
        } else if self.counts.missing > 0 {
            Status::InsufficientEvidence
        } else if self.counts.passed > 0 {
            Status::Pass
        } else {
            Status::NotApplicable
        }
    }

    fn summary(&self, r: &CReq) -> FindingSummary {
        let status = self.status();
        let measured = match status {
            Status::Fail => self.worst_fail,
            _ => self.worst_pass,
        };
        FindingSummary {
            status,
            measured: measured.map(|v| show(v, self.op)),
            required: required_value(r),
            shortfall: if status == Status::Fail { self.max_short.map(show_up) } else { None },
            units: self.counts,
        }
    }

    fn finish(self, spec: &crate::compliance::pack::Requirement, r: &CReq) -> Finding {
        let m = r.metric;
        let required = Required {
            op: r.op,
            value: required_value(r),
            kinds: if r.op == Op::AllOf {
                r.kinds.iter().map(|k| m.vocab.words()[*k].to_owned()).collect()
            } else {
                Vec::new()
            },
            unit: m.unit,
        };
        let status = self.status();
        let measured_r = match status {
            Status::Fail => self.worst_fail,
            _ => self.worst_pass,
        };
        let measured = measured_r.map(|v| Quantity {
            value: show(v, self.op),
            unit: m.unit,
        });
        let shortfall = if status == Status::Fail { self.max_short.map(show_up) } else { None };
        let reason = if status != Status::NotApplicable {
            None
        } else if let Some(na) = &self.na {
            Some(na.clone())
        } else if self.counts.pending > 0 {
            let when = self.first_pending_end.map(|d| d.to_string()).unwrap_or_default();
            Some(lz(
                format!("尚未到期：{}个单元的期限在{when}及以后结束，且尚未达到要求。", self.counts.pending),
                format!(
                    "Not yet due: {} unit(s) end on or after {when} and have not yet met the requirement.",
                    self.counts.pending
                ),
            ))
        } else if self.out_of_scope > 0 {
            Some(lz(
                format!(
                    "所查期间不在本要求的有效期内（{}起{}）。",
                    r.from,
                    r.until.map(|u| format!("至{u}")).unwrap_or_default()
                ),
                format!(
                    "The periods checked lie outside this requirement's effective dates (from {}{}).",
                    r.from,
                    r.until.map(|u| format!(" until {u}")).unwrap_or_default()
                ),
            ))
        } else {
            Some(
                self.empty_reason
                    .clone()
                    .unwrap_or_else(|| lz("没有需要评估的对象。".into(), "There is nothing to assess.".into())),
            )
        };
        let method = if r.op == Op::Attested { Method::Attestation } else { Method::Measured };
        let explanation = explain(&self, status, m, r, &required, measured.as_ref(), shortfall, reason.as_ref());
        Finding {
            requirement: spec.id.clone(),
            version: spec.version.clone(),
            title: spec.title.clone(),
            clause: r.clause.clone(),
            sources: r.sources.clone(),
            severity: spec.severity,
            method,
            status,
            metric: m.id.to_owned(),
            period: r.period,
            measured,
            required,
            shortfall,
            units: self.counts,
            failures: self.failures,
            failures_omitted: self.failures_omitted,
            missing: self.missing,
            missing_omitted: self.missing_omitted,
            reason,
            attestation: self.attestation,
            interpretation: spec.interpretation.clone(),
            explanation,
        }
    }
}

fn required_value(r: &CReq) -> Dec {
    match r.op {
        Op::Ge | Op::Le => r.value.unwrap_or_default(),
        Op::AllOf => Dec::from_i64(r.kinds.len() as i64),
        Op::Attested => Dec::from_i64(1),
    }
}

fn sub(a: Ratio, b: Ratio) -> Ratio {
    let den = a.den().saturating_mul(b.den());
    Ratio::new(a.num().saturating_mul(b.den()).saturating_sub(b.num().saturating_mul(a.den())), den)
}

/// A measured value for display: exact when it has at most 2 decimals, otherwise rounded away
/// from compliance (down for `ge`, up for `le`), so a failing value never reads as the threshold.
fn show(v: Ratio, op: Op) -> Dec {
    let rounding = if op == Op::Le { Rounding::Ceil } else { Rounding::Floor };
    Dec(v.round_to_dec(2, rounding).0.normalize())
}

fn show_up(v: Ratio) -> Dec {
    Dec(v.round_to_dec(2, Rounding::Ceil).0.normalize())
}

fn pct(num: u32, den: u32) -> Ratio {
    Ratio::new(i64::from(num) * 100, i64::from(den.max(1)))
}

// ---------------------------------------------------------------------------------------------
// Metrics.

struct Ctx<'a> {
    f: &'a SchoolFacts,
    as_of: Date,
    cal: Option<Cal<'a>>,
    buf: Vec<i64>,
    sums: Vec<i64>,
}

fn school() -> Subject {
    (Scope::School, None, None, None)
}

impl Ctx<'_> {
    fn state_date(&self) -> Date {
        self.cal.as_ref().map_or(self.as_of, |c| self.as_of.min(c.c.end))
    }

    fn requirement(&mut self, r: &CReq, t: &mut Tally) {
        let p = &self.f.profile;
        if r.stages != 0 {
            match p.stage {
                None => return t.missing(|| "/profile/stage".into(), school),
                Some(s) if r.stages & (1 << (s as u16)) == 0 => {
                    let list: Vec<&str> = Stage::ALL.iter().filter(|x| r.stages & (1 << (**x as u16)) != 0).map(|x| x.zh()).collect();
                    let list_en: Vec<&str> = Stage::ALL.iter().filter(|x| r.stages & (1 << (**x as u16)) != 0).map(|x| x.as_str()).collect();
                    t.na = Some(lz(
                        format!("本要求适用于{}，本校为{}。", list.join("、"), s.zh()),
                        format!("Applies to {} schools; this school is {}.", list_en.join(", "), s.as_str()),
                    ));
                    return;
                }
                _ => {}
            }
        }
        if r.locations != 0 {
            match p.location {
                None => return t.missing(|| "/profile/location".into(), school),
                Some(l) if r.locations & (1 << (l as u16)) == 0 => {
                    t.na = Some(lz(
                        format!("本要求适用于城区学校和乡镇中心学校，本校为{}。", l.zh()),
                        format!("Applies to urban and township-central schools; this school is {}.", l.as_str()),
                    ));
                    return;
                }
                _ => {}
            }
        }
        if self.as_of < r.from {
            t.na = Some(lz(
                format!("本要求自{}起生效，检查日期为{}。", r.from, self.as_of),
                format!("In force from {}; checked as of {}.", r.from, self.as_of),
            ));
            return;
        }
        let period_start = self.cal.as_ref().map_or(self.as_of, |c| c.c.start);
        if let Some(u) = r.until.filter(|u| period_start > *u) {
            t.na = Some(lz(
                format!("本要求有效期至{u}，所查学年自{period_start}开始。"),
                format!("In force until {u}; the school year checked starts on {period_start}."),
            ));
            return;
        }
        let m = r.metric.id;
        match m {
            "psychology_lessons" => self.class_log(r, t, |c| c.psychology_lessons.as_ref(), "psychology_lessons", |x| i64::from(x.periods), 1),
            "labour_lessons" => self.class_log(r, t, |c| c.labour_lessons.as_ref(), "labour_lessons", |x| i64::from(x.periods), 1),
            "themed_class_meetings" => self.class_log(r, t, |c| c.themed_meetings.as_ref(), "themed_meetings", |_| 1, 1),
            "sunshine_sport_minutes" => self.class_log(r, t, |c| c.sport.as_ref(), "sport", |x| i64::from(x.minutes), 1),
            "labour_spirit_hours" => self.class_log(r, t, |c| c.labour_spirit.as_ref(), "labour_spirit", |x| scaled(x.hours), 10_000),
            "parent_lectures" => self.school_log(r, t, self.f.parent_lectures.as_ref(), "/parent_lectures", |_| true),
            "mental_health_meetings" => self.school_log(r, t, self.f.meetings.as_ref(), "/meetings", |_| true),
            "room_open_minutes" => self.room_minutes(r, t),
            "room_psychology_teacher_on_duty" => self.room_teacher(t),
            "positive_psychology_societies" => self.societies(t),
            "screening_runs" => self.screening_runs(r, t),
            "screening_run_responsible" | "screening_run_in_window" => self.run_units(m == "screening_run_responsible", t),
            "e_archive_coverage" => self.state(
                t,
                self.f.e_archives.as_ref().map(|a| (a.with_e_archive, a.screened_students)),
                "/e_archives",
                ("没有学生接受测评。", "No student was screened."),
            ),
            "counselling_records_complete" => self.state(
                t,
                self.f.counselling_records.as_ref().map(|a| (a.complete_and_archived, a.sessions)),
                "/counselling_records",
                ("本学年没有开展心理辅导。", "No counselling session was held this school year."),
            ),
            "referrals_recorded" => self.state(
                t,
                self.f.referrals.as_ref().map(|a| (a.recorded, a.made)),
                "/referrals",
                ("本学年没有转介。", "No referral was made this school year."),
            ),
            "special_care_coverage" => self.special_care(t),
            "special_period_crisis_screenings" => self.special_periods(r, t),
            "psychology_teacher_training_hours" | "staff_mental_health_training_hours" => self.training(r, t, m == "psychology_teacher_training_hours"),
            "families_contacted" => self.families(t),
            "initial_grade_parents_certified" => self.certificates(t),
            "psychology_teachers" => self.psych_teachers(r, t),
            "room_zones" | "room_rules" => self.room_items(r, t, m == "room_zones"),
            "room_inspections_passed" => self.inspections(t),
            "leadership_group_led_by_principal" => self.leadership(t),
            "themed_activities" => self.activities(r, t),
            "attestation" => self.attestation(r, t),
            _ => {}
        }
    }

    fn need_cal(&self, t: &mut Tally) -> bool {
        if self.cal.is_none() {
            t.missing(|| "/calendar".into(), school);
            return false;
        }
        true
    }

    /// Sum a class log over the requirement's blocks, for every class.
    fn class_log<T: Dated>(
        &mut self,
        r: &CReq,
        t: &mut Tally,
        get: impl Fn(&crate::compliance::facts::ClassFacts) -> Option<&Log<T>>,
        name: &str,
        val: impl Fn(&T) -> i64,
        scale: i64,
    ) {
        if !self.need_cal(t) {
            return;
        }
        let Some(classes) = &self.f.classes else {
            return t.missing(|| "/classes".into(), school);
        };
        let Some(cal) = &self.cal else { return };
        let blocks: Vec<(Date, Date)> = cal.blocks(r.period).into_iter().filter(|(a, b)| t.in_scope(*a, *b)).collect();
        if classes.is_empty() {
            t.empty_reason = Some(lz("学校未列出任何班级。".into(), "The school lists no class.".into()));
        }
        let as_of = self.as_of;
        let n = cal.school.len();
        for (ci, c) in classes.iter().enumerate() {
            let Some(log) = get(c) else {
                let due = blocks.iter().filter(|b| b.1 <= as_of).count() as u32;
                let last = blocks.iter().filter(|b| b.1 <= as_of).map(|b| b.1).max();
                t.missing_n(
                    due,
                    || format!("/classes/{ci}/{name}"),
                    || (Scope::Class, Some(c.id.clone()), blocks.first().map(|b| b.0), last),
                );
                for b in blocks.iter().filter(|b| b.1 > as_of) {
                    t.value(Ratio::int(0), false, || (Scope::Class, Some(c.id.clone()), Some(b.0), Some(b.1)));
                }
                continue;
            };
            // Block sums in one merge pass when the entries are in date order (the usual export);
            // otherwise per-day sums and prefix sums.
            let entries = &log.entries;
            self.sums.clear();
            let mut sorted = true;
            let (mut k, mut prev) = (0usize, Date::from_days(i32::MIN));
            for &(a, b) in &blocks {
                let end = b.min(as_of);
                let mut sum = 0i64;
                while k < entries.len() {
                    let d = entries[k].date();
                    if d < prev {
                        sorted = false;
                        break;
                    }
                    if d > end {
                        break;
                    }
                    if d >= a {
                        sum += val(&entries[k]);
                    }
                    prev = d;
                    k += 1;
                }
                if !sorted {
                    break;
                }
                self.sums.push(sum);
            }
            sorted =
                sorted && entries[k.min(entries.len())..].windows(2).all(|w| w[0].date() <= w[1].date()) && entries.get(k).is_none_or(|e| e.date() >= prev);
            if !sorted {
                self.buf.clear();
                self.buf.resize(n + 1, 0);
                for e in entries {
                    let d = e.date();
                    if d > as_of || d < cal.start {
                        continue;
                    }
                    let o = cal.off(d);
                    if o < n {
                        self.buf[o + 1] += val(e);
                    }
                }
                for i in 1..=n {
                    self.buf[i] += self.buf[i - 1];
                }
                self.sums.clear();
                for &(a, b) in &blocks {
                    let end = b.min(as_of);
                    self.sums.push(if end < a {
                        0
                    } else {
                        self.buf[cal.off(end).min(n - 1) + 1] - self.buf[cal.off(a)]
                    });
                }
            }
            for (bi, &(a, b)) in blocks.iter().enumerate() {
                let due = b <= as_of;
                if due && !log.covers(a, b) {
                    t.missing(|| format!("/classes/{ci}/{name}"), || (Scope::Class, Some(c.id.clone()), Some(a), Some(b)));
                    continue;
                }
                let sum = self.sums.get(bi).copied().unwrap_or(0);
                t.value(Ratio::new(sum, scale), due, || (Scope::Class, Some(c.id.clone()), Some(a), Some(b)));
            }
        }
    }

    /// Count school-level log entries over the requirement's blocks.
    fn school_log<T: Dated>(&self, r: &CReq, t: &mut Tally, log: Option<&Log<T>>, path: &str, keep: impl Fn(&T) -> bool) {
        if !self.need_cal(t) {
            return;
        }
        let Some(cal) = &self.cal else { return };
        let blocks: Vec<(Date, Date)> = cal.blocks(r.period).into_iter().filter(|(a, b)| t.in_scope(*a, *b)).collect();
        for (a, b) in blocks {
            let due = b <= self.as_of;
            let subject = || (Scope::School, None, Some(a), Some(b));
            let Some(log) = log else {
                if due {
                    t.missing(|| path.into(), subject);
                } else {
                    t.value(Ratio::int(0), false, subject);
                }
                continue;
            };
            if due && !log.covers(a, b) {
                t.missing(|| path.into(), subject);
                continue;
            }
            let end = b.min(self.as_of);
            let n = log.entries.iter().filter(|e| e.date() >= a && e.date() <= end && keep(e)).count();
            t.value(Ratio::int(n as i64), due, subject);
        }
    }

    fn room_minutes(&self, r: &CReq, t: &mut Tally) {
        if !self.need_cal(t) {
            return;
        }
        let Some(cal) = &self.cal else { return };
        let days: Vec<(Date, Date)> = cal.blocks(Period::SchoolDay).into_iter().filter(|(a, b)| t.in_scope(*a, *b)).collect();
        let _ = r;
        let Some(log) = &self.f.room_duty else {
            let due: Vec<&(Date, Date)> = days.iter().filter(|d| d.0 <= self.as_of).collect();
            t.missing_n(
                due.len() as u32,
                || "/room_duty".into(),
                || (Scope::School, None, due.first().map(|d| d.0), due.last().map(|d| d.0)),
            );
            for d in days.iter().filter(|d| d.0 > self.as_of) {
                t.value(Ratio::int(0), false, || (Scope::School, None, Some(d.0), Some(d.0)));
            }
            return;
        };
        let mut sessions: Vec<(Date, u16, u16)> = log
            .entries
            .iter()
            .filter(|s| s.date <= self.as_of)
            .map(|s| (s.date, s.open.minutes(), s.close.minutes()))
            .collect();
        sessions.sort_unstable();
        let mut k = 0;
        for (d, _) in days {
            while k < sessions.len() && sessions[k].0 < d {
                k += 1;
            }
            let due = d <= self.as_of;
            if due && !log.covers(d, d) {
                t.missing(|| "/room_duty".into(), || (Scope::School, None, Some(d), Some(d)));
                continue;
            }
            // Union of the day's opening intervals.
            let (mut total, mut cur_end) = (0i64, 0u16);
            let mut cur_start: Option<u16> = None;
            while k < sessions.len() && sessions[k].0 == d {
                let (_, o, c) = sessions[k];
                match cur_start {
                    Some(_) if o <= cur_end => cur_end = cur_end.max(c),
                    Some(s) => {
                        total += i64::from(cur_end - s);
                        cur_start = Some(o);
                        cur_end = c;
                    }
                    None => {
                        cur_start = Some(o);
                        cur_end = c;
                    }
                }
                k += 1;
            }
            if let Some(s) = cur_start {
                total += i64::from(cur_end - s);
            }
            t.value(Ratio::int(total), due, || (Scope::School, None, Some(d), Some(d)));
        }
    }

    fn room_teacher(&self, t: &mut Tally) {
        if !self.need_cal(t) {
            return;
        }
        let Some(cal) = &self.cal else { return };
        let Some(log) = &self.f.room_duty else {
            return t.missing(|| "/room_duty".into(), school);
        };
        let psych: Option<Vec<&str>> = self
            .f
            .staff
            .as_ref()
            .map(|s| s.iter().filter(|m| m.psychology_teacher.is_some()).map(|m| m.id.as_str()).collect());
        let mut by_day: Vec<(Date, usize)> = log
            .entries
            .iter()
            .enumerate()
            .filter(|(_, s)| s.date <= self.as_of)
            .map(|(i, s)| (s.date, i))
            .collect();
        by_day.sort_unstable();
        let mut i = 0;
        while i < by_day.len() {
            let d = by_day[i].0;
            let mut j = i;
            while j < by_day.len() && by_day[j].0 == d {
                j += 1;
            }
            let day = &by_day[i..j];
            i = j;
            if !cal.school.get(cal.start.days_until(d).max(0) as usize).copied().unwrap_or(false) || !t.in_scope(d, d) {
                continue;
            }
            let mut unknown = None;
            let mut lacking = Vec::new();
            let mut need_staff = false;
            for &(_, k) in day {
                let s = &log.entries[k];
                match &s.teacher {
                    None => unknown = Some(k),
                    Some(StaffRef::Nobody) => lacking.push(format!("{}-{}", s.open, s.close)),
                    Some(StaffRef::Staff(id)) => match &psych {
                        None => need_staff = true,
                        Some(psych) => {
                            if !psych.contains(&id.as_str()) {
                                lacking.push(format!("{}-{}", s.open, s.close));
                            }
                        }
                    },
                }
            }
            if !lacking.is_empty() {
                t.value_lacking(Ratio::int(0), true, || (Scope::School, None, Some(d), Some(d)), || lacking);
            } else if let Some(k) = unknown {
                t.missing(|| format!("/room_duty/entries/{k}/teacher"), || (Scope::School, None, Some(d), Some(d)));
            } else if need_staff {
                t.missing(|| "/staff".into(), || (Scope::School, None, Some(d), Some(d)));
            } else {
                t.value(Ratio::int(1), true, || (Scope::School, None, Some(d), Some(d)));
            }
        }
        if t.counts.assessed + t.counts.missing == 0 {
            t.empty_reason = Some(lz(
                "心理辅导室在所查期间没有开放记录（见开放时间要求）。".into(),
                "The room has no opening on record in the period (see the opening-hours requirement).".into(),
            ));
        }
    }

    fn state_in_scope(&self, t: &mut Tally) -> Option<Date> {
        let d = self.state_date();
        t.in_scope(d, d).then_some(d)
    }

    fn societies(&self, t: &mut Tally) {
        let Some(d) = self.state_in_scope(t) else { return };
        let Some(s) = &self.f.societies else {
            return t.missing(|| "/societies".into(), school);
        };
        let n = s
            .iter()
            .filter(|x| x.positive_psychology && x.founded.is_none_or(|f| f <= d) && x.dissolved.is_none_or(|e| e > d))
            .count();
        t.value(Ratio::int(n as i64), true, || (Scope::School, None, Some(d), Some(d)));
    }

    fn screening_runs(&self, r: &CReq, t: &mut Tally) {
        if !self.need_cal(t) {
            return;
        }
        let Some(cal) = &self.cal else { return };
        let (a, b) = (cal.c.start, cal.c.end);
        if !t.in_scope(a, b) {
            return;
        }
        let Some(runs) = &self.f.screening_runs else {
            return t.missing(|| "/screening_runs".into(), school);
        };
        let kinds: Vec<&str> = r.kinds.iter().map(|k| Vocab::ScreeningKinds.words()[*k]).collect();
        let n = runs
            .iter()
            .filter(|x| (kinds.is_empty() || kinds.contains(&x.kind.as_str())) && x.window_from >= a && x.window_from <= b.min(self.as_of))
            .count();
        t.value(Ratio::int(n as i64), b <= self.as_of, || (Scope::School, None, Some(a), Some(b)));
    }

    fn run_units(&self, responsible: bool, t: &mut Tally) {
        let Some(runs) = &self.f.screening_runs else {
            return t.missing(|| "/screening_runs".into(), school);
        };
        for (i, x) in runs.iter().enumerate() {
            if x.window_from > self.as_of || !t.in_scope(x.window_from, x.window_to) {
                continue;
            }
            let subject = || (Scope::ScreeningRun, Some(x.id.clone()), Some(x.window_from), Some(x.window_to));
            if responsible {
                match &x.responsible {
                    None => t.missing(|| format!("/screening_runs/{i}/responsible"), subject),
                    Some(StaffRef::Nobody) => t.value(Ratio::int(0), true, subject),
                    Some(StaffRef::Staff(_)) => t.value(Ratio::int(1), true, subject),
                }
                continue;
            }
            let due = x.window_to <= self.as_of;
            match (x.status, x.completed_on) {
                (Some(RunStatus::Completed), Some(on)) if on <= self.as_of => {
                    let ok = on >= x.window_from && on <= x.window_to;
                    t.value(Ratio::int(i64::from(ok)), true, subject);
                }
                (None, _) if due => t.missing(|| format!("/screening_runs/{i}/status"), subject),
                _ => t.value(Ratio::int(0), due, subject),
            }
        }
        if t.counts.assessed + t.counts.missing + t.counts.pending == 0 {
            t.empty_reason = Some(lz("所查期间没有测评批次。".into(), "No screening run in the period.".into()));
        }
    }

    fn state(&self, t: &mut Tally, counts: Option<(u32, u32)>, path: &str, empty: (&str, &str)) {
        let Some(d) = self.state_in_scope(t) else { return };
        let Some((num, den)) = counts else {
            return t.missing(|| path.into(), school);
        };
        if den == 0 {
            t.empty_reason = Some(lz(empty.0.into(), empty.1.into()));
            return;
        }
        t.value(pct(num, den), true, || (Scope::School, None, Some(d), Some(d)));
    }

    fn special_care(&self, t: &mut Tally) {
        let Some(d) = self.state_in_scope(t) else { return };
        let Some(s) = &self.f.special_care else {
            return t.missing(|| "/special_care".into(), school);
        };
        if s.students == 0 {
            t.empty_reason = Some(lz("没有需要特别关爱的学生。".into(), "No student needs special care.".into()));
            return;
        }
        let min = s.with_file.min(s.with_plan).min(s.with_helper);
        let lacking = || {
            [("with_file", s.with_file), ("with_plan", s.with_plan), ("with_helper", s.with_helper)]
                .iter()
                .filter(|(_, v)| *v < s.students)
                .map(|(k, v)| format!("{k} {v}/{}", s.students))
                .collect()
        };
        t.value_lacking(pct(min, s.students), true, || (Scope::School, None, Some(d), Some(d)), lacking);
    }

    fn special_periods(&self, r: &CReq, t: &mut Tally) {
        if !self.need_cal(t) {
            return;
        }
        let Some(cal) = &self.cal else { return };
        let Some(periods) = &cal.c.special_periods else {
            return t.missing(|| "/calendar/special_periods".into(), school);
        };
        for &k in &r.kinds {
            let kind = Vocab::SpecialPeriods.words()[k];
            let mine: Vec<_> = periods.iter().filter(|p| p.kind == kind).collect();
            if mine.is_empty() {
                t.missing(|| "/calendar/special_periods".into(), || (Scope::Kind, Some(kind.to_owned()), None, None));
                continue;
            }
            for p in mine {
                if !t.in_scope(p.from, p.to) || p.from > self.as_of {
                    continue;
                }
                let due = p.to <= self.as_of;
                let subject = || (Scope::Kind, Some(kind.to_owned()), Some(p.from), Some(p.to));
                match &self.f.crisis_screenings {
                    None if due => t.missing(|| "/crisis_screenings".into(), subject),
                    Some(log) if due && !log.covers(p.from, p.to) => t.missing(|| "/crisis_screenings".into(), subject),
                    None => t.value(Ratio::int(0), false, subject),
                    Some(log) => {
                        let end = p.to.min(self.as_of);
                        let n = log.entries.iter().filter(|e| e.date >= p.from && e.date <= end).count();
                        t.value(Ratio::int(n as i64), due, subject);
                    }
                }
            }
        }
    }

    fn training(&self, r: &CReq, t: &mut Tally, psych: bool) {
        if !self.need_cal(t) {
            return;
        }
        let Some(cal) = &self.cal else { return };
        let (a, b) = (cal.c.start, cal.c.end);
        if !t.in_scope(a, b) {
            return;
        }
        let Some(staff) = &self.f.staff else {
            return t.missing(|| "/staff".into(), school);
        };
        let roles: Vec<PsychRole> = if r.kinds.is_empty() {
            vec![PsychRole::FullTime, PsychRole::PartTime]
        } else {
            r.kinds
                .iter()
                .map(|k| {
                    if PSYCH_ROLES[*k] == "full_time" {
                        PsychRole::FullTime
                    } else {
                        PsychRole::PartTime
                    }
                })
                .collect()
        };
        let due = b <= self.as_of;
        for (i, m) in staff.iter().enumerate() {
            if psych && !m.psychology_teacher.is_some_and(|x| roles.contains(&x)) {
                continue;
            }
            let (field, hours) = if psych {
                ("professional_training_hours", m.professional_training_hours)
            } else {
                ("mental_health_training_hours", m.mental_health_training_hours)
            };
            let subject = || (Scope::Staff, Some(m.id.clone()), Some(a), Some(b));
            match hours {
                None if due => t.missing(|| format!("/staff/{i}/{field}"), subject),
                None => t.value(Ratio::int(0), false, subject),
                Some(h) => t.value(Ratio::new(scaled(h), 10_000), due, subject),
            }
        }
        if t.counts.assessed + t.counts.missing + t.counts.pending == 0 {
            t.empty_reason = Some(if psych {
                lz(
                    "教职员工名单中没有心理健康教育教师（配备要求另行检查）。".into(),
                    "The staff list has no psychology teacher (staffing is checked separately).".into(),
                )
            } else {
                lz("教职员工名单为空。".into(), "The staff list is empty.".into())
            });
        }
    }

    fn families(&self, t: &mut Tally) {
        if !self.need_cal(t) {
            return;
        }
        let Some(cal) = &self.cal else { return };
        let Some(classes) = &self.f.classes else {
            return t.missing(|| "/classes".into(), school);
        };
        for term in &cal.c.terms {
            if !t.in_scope(term.start, term.end) || term.start > self.as_of {
                continue;
            }
            let due = term.end <= self.as_of;
            for (ci, c) in classes.iter().enumerate() {
                let subject = || (Scope::Class, Some(c.id.clone()), Some(term.start), Some(term.end));
                match c.home_contact.as_ref().map(|h| h.iter().find(|x| x.term == term.id)) {
                    None | Some(None) if due => t.missing(|| format!("/classes/{ci}/home_contact"), subject),
                    None | Some(None) => t.value(Ratio::int(0), false, subject),
                    Some(Some(h)) if h.families == 0 => {}
                    Some(Some(h)) => t.value(pct(h.contacted, h.families), due, subject),
                }
            }
        }
    }

    fn certificates(&self, t: &mut Tally) {
        if !self.need_cal(t) {
            return;
        }
        let Some(cal) = &self.cal else { return };
        let (a, b) = (cal.c.start, cal.c.end);
        if !t.in_scope(a, b) {
            return;
        }
        let Some(stage) = self.f.profile.stage else {
            return t.missing(|| "/profile/stage".into(), school);
        };
        let Some(certs) = &self.f.parent_certificates else {
            return t.missing(|| "/parent_certificates".into(), school);
        };
        let due = b <= self.as_of;
        for &g in stage.initial_grades() {
            let subject = || (Scope::Grade, Some(g.to_string()), Some(a), Some(b));
            match certs.iter().find(|x| x.grade == g) {
                None if due => t.missing(|| "/parent_certificates".into(), subject),
                None => t.value(Ratio::int(0), false, subject),
                Some(x) if x.families == 0 => {}
                Some(x) => t.value(pct(x.certified, x.families), due, subject),
            }
        }
    }

    fn psych_teachers(&self, r: &CReq, t: &mut Tally) {
        let Some(d) = self.state_in_scope(t) else { return };
        let Some(staff) = &self.f.staff else {
            return t.missing(|| "/staff".into(), school);
        };
        let roles: Vec<PsychRole> = r
            .kinds
            .iter()
            .map(|k| {
                if PSYCH_ROLES[*k] == "full_time" {
                    PsychRole::FullTime
                } else {
                    PsychRole::PartTime
                }
            })
            .collect();
        let n = staff.iter().filter(|m| m.psychology_teacher.is_some_and(|x| roles.contains(&x))).count();
        t.value(Ratio::int(n as i64), true, || (Scope::School, None, Some(d), Some(d)));
    }

    fn room_items(&self, r: &CReq, t: &mut Tally, zones: bool) {
        let Some(d) = self.state_in_scope(t) else { return };
        let (path, list) = if zones {
            ("/room/zones", self.f.room.as_ref().and_then(|x| x.zones.as_ref()))
        } else {
            ("/room/rules", self.f.room.as_ref().and_then(|x| x.rules.as_ref()))
        };
        let Some(list) = list else {
            return t.missing(|| path.into(), school);
        };
        let words = r.metric.vocab.words();
        let lacking: Vec<String> = r
            .kinds
            .iter()
            .map(|k| words[*k])
            .filter(|w| !list.iter().any(|x| x == w))
            .map(str::to_owned)
            .collect();
        let present = r.kinds.len() - lacking.len();
        t.value_lacking(Ratio::int(present as i64), true, || (Scope::School, None, Some(d), Some(d)), || lacking);
    }

    fn inspections(&self, t: &mut Tally) {
        if !self.need_cal(t) {
            return;
        }
        let Some(cal) = &self.cal else { return };
        let (a, b) = (cal.c.start, cal.c.end);
        if !t.in_scope(a, b) {
            return;
        }
        let Some(list) = self.f.room.as_ref().and_then(|x| x.inspections.as_ref()) else {
            return t.missing(|| "/room/inspections".into(), school);
        };
        let end = b.min(self.as_of);
        let n = list
            .iter()
            .filter(|x| x.result == InspectionResult::Passed && x.date >= a && x.date <= end)
            .count();
        t.value(Ratio::int(n as i64), b <= self.as_of, || (Scope::School, None, Some(a), Some(b)));
    }

    fn leadership(&self, t: &mut Tally) {
        let Some(d) = self.state_in_scope(t) else { return };
        let subject = || (Scope::School, None, Some(d), Some(d));
        match self.f.governance.as_ref().and_then(|g| g.leadership_group.as_ref()) {
            None => t.missing(|| "/governance/leadership_group".into(), school),
            Some(g) if !g.exists => t.value_lacking(Ratio::int(0), true, subject, || vec!["leadership_group".into()]),
            Some(g) => match g.led_by_principal {
                None => t.missing(|| "/governance/leadership_group/led_by_principal".into(), school),
                Some(false) => t.value_lacking(Ratio::int(0), true, subject, || vec!["led_by_principal".into()]),
                Some(true) => t.value(Ratio::int(1), true, subject),
            },
        }
    }

    fn activities(&self, r: &CReq, t: &mut Tally) {
        if !self.need_cal(t) {
            return;
        }
        let Some(cal) = &self.cal else { return };
        let (a, b) = (cal.c.start, cal.c.end);
        if !t.in_scope(a, b) {
            return;
        }
        let due = b <= self.as_of;
        for &k in &r.kinds {
            let kind = Vocab::ActivityKinds.words()[k];
            let subject = || (Scope::Kind, Some(kind.to_owned()), Some(a), Some(b));
            match &self.f.activities {
                None if due => t.missing(|| "/activities".into(), subject),
                Some(log) if due && !log.covers(a, b) => t.missing(|| "/activities".into(), subject),
                None => t.value(Ratio::int(0), false, subject),
                Some(log) => {
                    let end = b.min(self.as_of);
                    let n = log.entries.iter().filter(|e| e.kind == kind && e.date >= a && e.date <= end).count();
                    t.value(Ratio::int(n as i64), due, subject);
                }
            }
        }
    }

    fn attestation(&self, r: &CReq, t: &mut Tally) {
        let (a, b) = match &self.cal {
            Some(c) => (c.c.start, c.c.end.min(self.as_of)),
            None => (r.from, self.as_of),
        };
        if !t.in_scope(a, b.max(a)) {
            return;
        }
        let found = self
            .f
            .attestations
            .iter()
            .enumerate()
            .filter(|(_, x)| x.requirement == r.id && x.on >= a && x.on <= b)
            .max_by_key(|(i, x)| (x.on, *i))
            .map(|(_, x)| x);
        match found {
            None => t.missing(|| "/attestations".into(), || (Scope::School, None, Some(a), Some(b))),
            Some(x) => {
                t.attestation = Some(AttestationUsed {
                    met: x.met,
                    by: x.by.name.clone(),
                    role: x.by.role.clone(),
                    on: x.on,
                    note: x.note.clone(),
                });
                t.value(Ratio::int(i64::from(x.met)), true, || (Scope::School, None, Some(x.on), Some(x.on)));
            }
        }
    }
}

/// Hours in ten-thousandths (facts are validated to at most 4 decimals and 0–10000).
fn scaled(h: Dec) -> i64 {
    let scale = h.0.scale().min(4);
    let m = i64::try_from(h.0.mantissa()).unwrap_or(0);
    m.saturating_mul(10i64.pow(4 - scale))
}

// ---------------------------------------------------------------------------------------------
// Explanations.

fn unit_noun(scope: Scope, period: Period) -> (&'static str, &'static str) {
    match (scope, period) {
        (Scope::Class, Period::Fortnight) => ("个班级两周周期", "class-fortnights"),
        (Scope::Class, Period::Week) => ("个班级教学周", "class-weeks"),
        (Scope::Class, Period::SchoolDay) => ("个班级上学日", "class school days"),
        (Scope::Class, Period::Term) => ("个班级学期", "class-terms"),
        (Scope::Class, _) => ("个班级", "classes"),
        (Scope::School, Period::SchoolDay) => ("个上学日", "school days"),
        (Scope::School, Period::Week) => ("个教学周", "weeks"),
        (Scope::School, Period::Fortnight) => ("个两周周期", "fortnights"),
        (Scope::School, Period::Term) => ("个学期", "terms"),
        (Scope::School, Period::SchoolYear) => ("个学年", "school years"),
        (Scope::School, _) => ("项", "checks"),
        (Scope::Staff, _) => ("名教职员工", "staff members"),
        (Scope::ScreeningRun, _) => ("个测评批次", "screening runs"),
        (Scope::Grade, _) => ("个初始年级", "initial grades"),
        (Scope::Kind, Period::SpecialPeriod) => ("个特殊节点", "special periods"),
        (Scope::Kind, _) => ("类活动", "kinds of activity"),
    }
}

/// The English unit after a value ("1 period", "2 periods").
fn en_unit(v: Dec, unit: Unit) -> &'static str {
    if unit == Unit::Periods && v.0 == rust_decimal::Decimal::ONE {
        " period"
    } else {
        unit.en()
    }
}

fn req_text(req: &Required, zh: bool) -> String {
    let v = req.value;
    let u = if zh { req.unit.zh() } else { en_unit(v, req.unit) };
    match (req.op, zh) {
        (Op::Ge, true) => match req.unit {
            Unit::YesNo => "要求：是".into(),
            _ => format!("不少于{v}{u}"),
        },
        (Op::Ge, false) => match req.unit {
            Unit::YesNo => "required: yes".into(),
            _ => format!("at least {v}{u}"),
        },
        (Op::Le, true) => format!("不超过{v}{u}"),
        (Op::Le, false) => format!("at most {v}{u}"),
        (Op::AllOf, true) => format!("全部具备：{}", req.kinds.join("、")),
        (Op::AllOf, false) => format!("all of: {}", req.kinds.join(", ")),
        (Op::Attested, true) => "学校书面确认已落实".into(),
        (Op::Attested, false) => "the school attests the duty is met".into(),
    }
}

fn val_text(v: Dec, unit: Unit, zh: bool) -> String {
    match unit {
        Unit::YesNo | Unit::Attestation => match (v.0.is_zero(), zh) {
            (true, true) => "否".into(),
            (true, false) => "no".into(),
            (false, true) => "是".into(),
            (false, false) => "yes".into(),
        },
        _ => format!("{v}{}", if zh { unit.zh() } else { en_unit(v, unit) }),
    }
}

fn unit_label(u: &UnitFinding, zh: bool) -> String {
    let id = u.id.clone().unwrap_or_default();
    let when = match (u.from, u.to) {
        (Some(a), Some(b)) if a == b => a.to_string(),
        (Some(a), Some(b)) => {
            if zh {
                format!("{a}至{b}")
            } else {
                format!("{a} to {b}")
            }
        }
        _ => String::new(),
    };
    match (id.is_empty(), when.is_empty()) {
        (true, true) => String::new(),
        (true, false) => when,
        (false, true) => id,
        (false, false) => {
            if zh {
                format!("{id}（{when}）")
            } else {
                format!("{id} ({when})")
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn explain(
    t: &Tally,
    status: Status,
    m: &crate::compliance::pack::MetricDef,
    r: &CReq,
    req: &Required,
    measured: Option<&Quantity>,
    shortfall: Option<Dec>,
    reason: Option<&Localized>,
) -> Localized {
    let (nzh, nen) = unit_noun(m.scope, r.period);
    let c = &t.counts;
    match status {
        Status::Pass => {
            let (wz, we) = measured
                .map(|q| (val_text(q.value, q.unit, true), val_text(q.value, q.unit, false)))
                .unwrap_or_default();
            if r.op == Op::Attested {
                let a = t.attestation.as_ref();
                return lz(
                    format!(
                        "符合（依据学校书面确认，非实测）：{}（{}）于{}确认已落实。",
                        a.map(|x| x.by.as_str()).unwrap_or(""),
                        a.map(|x| x.role.as_str()).unwrap_or(""),
                        a.map(|x| x.on.to_string()).unwrap_or_default()
                    ),
                    format!(
                        "Met, on the school's attestation (not measured): {} ({}) attested on {}.",
                        a.map(|x| x.by.as_str()).unwrap_or(""),
                        a.map(|x| x.role.as_str()).unwrap_or(""),
                        a.map(|x| x.on.to_string()).unwrap_or_default()
                    ),
                );
            }
            let pend_zh = if c.pending > 0 {
                format!("另有{}个尚未到期。", c.pending)
            } else {
                String::new()
            };
            let pend_en = if c.pending > 0 {
                format!(" {} more are not yet due.", c.pending)
            } else {
                String::new()
            };
            lz(
                format!(
                    "符合。{}：已评估的{}{}全部达到要求（{}；最低{}）。{pend_zh}",
                    m.what_zh,
                    c.assessed,
                    nzh,
                    req_text(req, true),
                    wz
                ),
                format!(
                    "Met. {}: all {} {} assessed meet the requirement ({}; lowest {}).{pend_en}",
                    m.what_en,
                    c.assessed,
                    nen,
                    req_text(req, false),
                    we
                ),
            )
        }
        Status::Fail => {
            let (wz, we) = measured
                .map(|q| (val_text(q.value, q.unit, true), val_text(q.value, q.unit, false)))
                .unwrap_or_default();
            let shown: Vec<&UnitFinding> = t.failures.iter().take(10).collect();
            let more = c.failed as usize - shown.len();
            let list_zh: Vec<String> = shown
                .iter()
                .map(|u| {
                    let l = unit_label(u, true);
                    let lack = if u.lacking.is_empty() {
                        String::new()
                    } else {
                        format!("，缺：{}", u.lacking.join("、"))
                    };
                    format!("{}{}{}{lack}", l, if l.is_empty() { "" } else { "：" }, val_text(u.measured, req.unit, true))
                })
                .collect();
            let list_en: Vec<String> = shown
                .iter()
                .map(|u| {
                    let l = unit_label(u, false);
                    let lack = if u.lacking.is_empty() {
                        String::new()
                    } else {
                        format!(", lacking {}", u.lacking.join(", "))
                    };
                    format!("{}{}{}{lack}", l, if l.is_empty() { "" } else { ": " }, val_text(u.measured, req.unit, false))
                })
                .collect();
            let more_zh = if more > 0 { format!("等，另有{more}个") } else { String::new() };
            let more_en = if more > 0 { format!("; and {more} more") } else { String::new() };
            let sf = shortfall.map(|s| s.to_string()).unwrap_or_default();
            let att_zh = if r.op == Op::Attested { "学校书面确认未落实。" } else { "" };
            let att_en = if r.op == Op::Attested {
                " The school attests the duty is not met."
            } else {
                ""
            };
            lz(
                format!(
                    "不符合。{}：{}/{}{}未达到要求（{}）；最差{}，最大差距{}{}。未达标：{}{more_zh}。{att_zh}",
                    m.what_zh,
                    c.failed,
                    c.assessed,
                    nzh,
                    req_text(req, true),
                    wz,
                    sf,
                    req.unit.zh(),
                    list_zh.join("；")
                ),
                format!(
                    "Not met. {}: {} of {} {} fall short ({}); worst {}, largest shortfall {}{}. Below the requirement: {}{more_en}.{att_en}",
                    m.what_en,
                    c.failed,
                    c.assessed,
                    nen,
                    req_text(req, false),
                    we,
                    sf,
                    en_unit(shortfall.unwrap_or_default(), req.unit),
                    list_en.join("; ")
                ),
            )
        }
        Status::InsufficientEvidence => {
            let facts: Vec<String> = t
                .missing
                .iter()
                .take(10)
                .map(|x| {
                    let when = match (x.from, x.to) {
                        (Some(a), Some(b)) if a == b => format!(" {a}"),
                        (Some(a), Some(b)) => format!(" {a}..{b}"),
                        _ => String::new(),
                    };
                    format!("{}{}{}", x.fact, x.id.as_ref().map(|i| format!(" [{i}]")).unwrap_or_default(), when)
                })
                .collect();
            let more = t.missing.len().saturating_sub(10) + t.missing_omitted as usize;
            let att = r.op == Op::Attested;
            lz(
                format!(
                    "证据不足，无法判定（不视为符合）。{}缺少{}个单元的事实：{}{}。{}",
                    if c.assessed > 0 {
                        format!("已评估的{}{}均达标，但", c.assessed, nzh)
                    } else {
                        String::new()
                    },
                    c.missing,
                    facts.join("；"),
                    if more > 0 { format!("等{more}项") } else { String::new() },
                    if att {
                        "本要求无法由数据测量，需学校书面确认。"
                    } else {
                        ""
                    }
                ),
                format!(
                    "Insufficient evidence; not judged (and not compliant). {}Facts missing for {} unit(s): {}{}.{}",
                    if c.assessed > 0 {
                        format!("The {} {} assessed meet it, but ", c.assessed, nen)
                    } else {
                        String::new()
                    },
                    c.missing,
                    facts.join("; "),
                    if more > 0 { format!(" and {more} more") } else { String::new() },
                    if att {
                        " No fact can measure this duty: it needs the school's attestation."
                    } else {
                        ""
                    }
                ),
            )
        }
        Status::NotApplicable => reason.cloned().unwrap_or_default(),
    }
}
