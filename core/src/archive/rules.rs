//! Semantic rules of each record type (after the shape is known good): required parts present and
//! non-empty, timestamps in order, references resolved, cross-field rules, and the integrity of a
//! screening record's stored report. Every rule appends to one list, so all problems come at once.

use crate::error::{excerpt, Error, ErrorCode};
use crate::instrument::catalog::Catalog;
use crate::scoring::report::Response;
use crate::time::{Date, Timestamp};
use serde_json::Value;
use std::collections::BTreeSet;

use super::records::*;
use super::{ArchiveSettings, RecordKind};

pub(crate) struct Ctx<'a> {
    pub errors: Vec<Error>,
    pub settings: &'a ArchiveSettings,
    pub catalog: &'a Catalog,
}

impl Ctx<'_> {
    fn err(&mut self, code: ErrorCode, path: impl Into<String>, msg: impl Into<String>) {
        self.errors.push(Error::new(code, path, msg));
    }
    fn text(&mut self, path: &str, s: &str) {
        if s.trim().is_empty() {
            self.err(ErrorCode::ArchiveEmpty, path, "required text is empty");
        }
    }
    fn list<T>(&mut self, path: &str, v: &[T]) {
        if v.is_empty() {
            self.err(ErrorCode::ArchiveEmpty, path, "at least one entry is required");
        }
    }
    fn header(&mut self, kind: RecordKind, schema: &str, version: u32) {
        if schema != kind.schema_id() {
            self.err(
                ErrorCode::ArchiveUnknownSchema,
                "/schema",
                format!("expected {:?}, found {}", kind.schema_id(), excerpt(schema)),
            );
        }
        if version != kind.current_version() {
            self.err(
                ErrorCode::ArchiveUnsupportedVersion,
                "/schema_version",
                format!("a typed {} record is version {}, found {version}", kind.name(), kind.current_version()),
            );
        }
    }
    fn grade(&mut self, g: u8) {
        if !(1..=12).contains(&g) {
            self.err(ErrorCode::ArchiveInvalidValue, "/grade", format!("expected a grade from 1 to 12, found {g}"));
        }
    }
    fn staff(&mut self, path: &str, s: &StaffRef) {
        self.text(&format!("{path}/id"), &s.id);
    }
    /// `later` must not precede `earlier`.
    fn not_before(&mut self, later_path: &str, later: Timestamp, earlier_path: &str, earlier: Timestamp) {
        if later < earlier {
            self.err(ErrorCode::ArchiveTimeOrder, later_path, format!("{later} is before {earlier_path} ({earlier})"));
        }
    }
    fn date_not_before(&mut self, later_path: &str, later: Date, earlier_path: &str, earlier: Date) {
        if later < earlier {
            self.err(ErrorCode::ArchiveTimeOrder, later_path, format!("{later} is before {earlier_path} ({earlier})"));
        }
    }
    fn unique<'s>(&mut self, path: &str, ids: impl Iterator<Item = &'s str>) -> BTreeSet<&'s str> {
        let mut seen = BTreeSet::new();
        for (i, id) in ids.enumerate() {
            if !seen.insert(id) {
                self.err(
                    ErrorCode::ArchiveBadReference,
                    format!("{path}/{i}/id"),
                    format!("id {} is used twice", excerpt(id)),
                );
            }
        }
        seen
    }
    fn parts(&mut self, path: &str, p: &CounsellingParts, closed: bool, why: &str) {
        self.text(&format!("{path}/current_state"), &p.current_state);
        self.text(&format!("{path}/main_problem"), &p.main_problem);
        self.text(&format!("{path}/assessment"), &p.assessment);
        self.text(&format!("{path}/analysis"), &p.analysis);
        self.text(&format!("{path}/countermeasures"), &p.countermeasures);
        match &p.effect_evaluation {
            Some(e) => self.text(&format!("{path}/effect_evaluation"), e),
            None if closed => self.err(
                ErrorCode::ArchiveRequiredWhen,
                format!("{path}/effect_evaluation"),
                format!("{why} needs the evaluation of effect (辅导效果评价, 二(三)7, 二(四)12)"),
            ),
            None => {}
        }
    }
}

pub(crate) fn student_file(c: &mut Ctx, r: &StudentFile) {
    c.header(RecordKind::StudentFile, &r.schema, r.schema_version);
    c.text("/student", &r.student);
    c.text("/school", &r.school);
    c.text("/class", &r.class);
    c.grade(r.grade);
    c.unique("/consents", r.consents.iter().map(|e| e.id.as_str()));
    for (i, e) in r.consents.iter().enumerate() {
        let p = format!("/consents/{i}");
        c.text(&format!("{p}/id"), &e.id);
        c.list(&format!("{p}/scope"), &e.scope);
        c.text(&format!("{p}/purpose"), &e.purpose);
        c.text(&format!("{p}/purpose_version"), &e.purpose_version);
        if e.legal_basis != LegalBasis::Consent {
            c.err(
                ErrorCode::ArchiveInconsistent,
                format!("{p}/legal_basis"),
                "a consent entry records consent; a legal duty or an emergency is recorded in the disclosure ledger",
            );
        }
        if let Some(w) = e.withdrawn_at {
            c.not_before(&format!("{p}/withdrawn_at"), w, &format!("{p}/given_at"), e.given_at);
        }
    }
}

pub(crate) fn screening(c: &mut Ctx, r: &ScreeningRecord, raw: Option<&Value>) {
    c.header(RecordKind::ScreeningRecord, &r.schema, r.schema_version);
    c.text("/record_id", &r.record_id);
    c.text("/student", &r.student);
    c.not_before("/finished_at", r.finished_at, "/administered_at", r.administered_at);
    if r.report.instrument != r.instrument {
        c.err(
            ErrorCode::ArchiveInconsistent,
            "/report/instrument",
            format!(
                "the report names {} {}, the record {} {}",
                excerpt(&r.report.instrument.id),
                excerpt(&r.report.instrument.version),
                excerpt(&r.instrument.id),
                excerpt(&r.instrument.version)
            ),
        );
        return;
    }
    // Integrity: re-derive the report from the answers with the named instrument version.
    let inst = match c.catalog.instrument_for_report(&r.instrument) {
        Ok(i) => i,
        Err(e) => return c.errors.push(e.prefixed("/instrument")),
    };
    let response = Response {
        answers: r.answers.clone(),
        started_at: Some(r.administered_at.to_string()),
        finished_at: Some(r.finished_at.to_string()),
        group: Default::default(),
    };
    let derived = match inst.score(&response) {
        Ok(d) => d,
        Err(e) => {
            // Scoring paths are `/answers/<item>` already; keep the score.* code.
            return c.errors.push(e);
        }
    };
    if derived == r.report {
        return;
    }
    let stored = match raw.and_then(|v| v.get("report")) {
        Some(v) => v.clone(),
        None => serde_json::to_value(&r.report).unwrap_or(Value::Null),
    };
    let fresh = serde_json::to_value(&derived).unwrap_or(Value::Null);
    let mut diffs = Vec::new();
    diff(&stored, &fresh, &mut String::from("/report"), &mut diffs);
    if diffs.is_empty() {
        diffs.push(("/report".to_owned(), "the stored report".to_owned(), "a different report".to_owned()));
    }
    for (path, s, d) in diffs.into_iter().take(20) {
        c.err(
            ErrorCode::ArchiveReportMismatch,
            path,
            format!("stored {s}, re-derived from the answers with {} {}: {d}", r.instrument.id, r.instrument.version),
        );
    }
}

fn show(v: Option<&Value>) -> String {
    match v {
        None => "(absent)".into(),
        Some(v) => {
            let t = v.to_string();
            excerpt(&t).to_string()
        }
    }
}

/// Leaf-level differences between the stored and the re-derived report.
fn diff(a: &Value, b: &Value, path: &mut String, out: &mut Vec<(String, String, String)>) {
    if a == b || out.len() >= 20 {
        return;
    }
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for k in keys {
                let len = path.len();
                path.push('/');
                path.push_str(k);
                match (x.get(k), y.get(k)) {
                    (Some(p), Some(q)) => diff(p, q, path, out),
                    (p, q) => out.push((path.clone(), show(p), show(q))),
                }
                path.truncate(len);
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                let len = path.len();
                path.push_str(&format!("/{i}"));
                diff(p, q, path, out);
                path.truncate(len);
            }
        }
        _ => out.push((path.clone(), show(Some(a)), show(Some(b)))),
    }
}

pub(crate) fn alert(c: &mut Ctx, r: &AlertRecord) {
    c.header(RecordKind::AlertRecord, &r.schema, r.schema_version);
    c.text("/record_id", &r.record_id);
    c.text("/student", &r.student);
    let d = &r.decision;
    if d.student != r.student {
        c.err(
            ErrorCode::ArchiveInconsistent,
            "/decision/student",
            format!("the decision is about {}, the record about {}", excerpt(&d.student), excerpt(&r.student)),
        );
    }
    if r.confirmation.is_some() && r.r#override.is_some() {
        c.err(
            ErrorCode::ArchiveInconsistent,
            "/override",
            "a decision is either confirmed or overridden, not both",
        );
    }
    let reference = d.reference();
    if let Some(conf) = &r.confirmation {
        if conf.decision != reference {
            c.err(
                ErrorCode::ArchiveInconsistent,
                "/confirmation/decision",
                format!(
                    "confirms another decision (fingerprint {}, this decision {})",
                    excerpt(&conf.decision.fingerprint),
                    reference.fingerprint
                ),
            );
        }
        c.text("/confirmation/by/name", &conf.by.name);
        c.not_before("/confirmation/at", conf.at, "/decision/evaluated_at", d.evaluated_at);
    }
    if let Some(o) = &r.r#override {
        if o.decision != reference {
            c.err(
                ErrorCode::ArchiveInconsistent,
                "/override/decision",
                format!(
                    "overrides another decision (fingerprint {}, this decision {})",
                    excerpt(&o.decision.fingerprint),
                    reference.fingerprint
                ),
            );
        }
        c.text("/override/by/name", &o.by.name);
        c.text("/override/reason", &o.reason);
        c.text("/override/tier", &o.tier);
        c.not_before("/override/at", o.at, "/decision/evaluated_at", d.evaluated_at);
    }
    if !r.reviews.is_empty() && r.confirmation.is_none() && r.r#override.is_none() {
        c.err(
            ErrorCode::ArchiveRequiredWhen,
            "/confirmation",
            "a reviewed alert needs the named person's confirmation or override first (PIPL 24: human-confirmed tiers)",
        );
    }
    let mut prev = d.evaluated_at;
    let mut prev_path = "/decision/evaluated_at".to_owned();
    for (i, rv) in r.reviews.iter().enumerate() {
        let p = format!("/reviews/{i}");
        c.staff(&format!("{p}/by"), &rv.by);
        c.text(&format!("{p}/note"), &rv.note);
        c.not_before(&format!("{p}/at"), rv.at, &prev_path, prev);
        prev = rv.at;
        prev_path = format!("{p}/at");
        if i + 1 < r.reviews.len() && rv.result == ReviewResult::Closed {
            c.err(ErrorCode::ArchiveInconsistent, format!("{p}/result"), "a closed alert has no later reviews");
        }
    }
}

pub(crate) fn plan(c: &mut Ctx, r: &IndividualPlan) {
    c.header(RecordKind::IndividualPlan, &r.schema, r.schema_version);
    c.text("/record_id", &r.record_id);
    c.text("/student", &r.student);
    c.list("/goals", &r.goals);
    c.list("/measures", &r.measures);
    c.list("/helpers", &r.helpers);
    c.list("/review_dates", &r.review_dates);
    let goals = c.unique("/goals", r.goals.iter().map(|g| g.id.as_str()));
    for (i, g) in r.goals.iter().enumerate() {
        c.text(&format!("/goals/{i}/id"), &g.id);
        c.text(&format!("/goals/{i}/text"), &g.text);
    }
    for (i, m) in r.measures.iter().enumerate() {
        if !goals.contains(m.goal.as_str()) {
            c.err(
                ErrorCode::ArchiveBadReference,
                format!("/measures/{i}/goal"),
                format!("goal {} is not one of the plan's goals", excerpt(&m.goal)),
            );
        }
        c.text(&format!("/measures/{i}/text"), &m.text);
        c.staff(&format!("/measures/{i}/responsible"), &m.responsible);
    }
    for (i, h) in r.helpers.iter().enumerate() {
        c.staff(&format!("/helpers/{i}/staff"), &h.staff);
    }
    let mut prev = (r.opened_on, "/opened_on".to_owned());
    for (i, d) in r.review_dates.iter().enumerate() {
        let p = format!("/review_dates/{i}");
        c.date_not_before(&p, *d, &prev.1, prev.0);
        prev = (*d, p);
    }
    match (r.status, r.closed_on) {
        (CaseStatus::Closed, None) => c.err(ErrorCode::ArchiveRequiredWhen, "/closed_on", "a closed plan needs its closing date"),
        (CaseStatus::Open, Some(_)) => c.err(ErrorCode::ArchiveInconsistent, "/closed_on", "an open plan has no closing date"),
        (_, Some(d)) => c.date_not_before("/closed_on", d, "/opened_on", r.opened_on),
        _ => {}
    }
}

pub(crate) fn counselling(c: &mut Ctx, r: &CounsellingRecord) {
    c.header(RecordKind::CounsellingRecord, &r.schema, r.schema_version);
    c.text("/record_id", &r.record_id);
    c.text("/student", &r.student);
    c.staff("/counsellor", &r.counsellor);
    c.not_before("/ended_at", r.ended_at, "/started_at", r.started_at);
    c.parts("/parts", &r.parts, r.case_status == CaseStatus::Closed, "a closed case");
    if !r.informed_consent.given {
        c.err(
            ErrorCode::ArchiveRequiredWhen,
            "/informed_consent/given",
            "counselling rests on the student's informed, voluntary agreement (知情自愿, 二(四)12)",
        );
    }
    if r.informed_consent.recorded_at > r.ended_at {
        c.err(
            ErrorCode::ArchiveTimeOrder,
            "/informed_consent/recorded_at",
            "consent is recorded after the session ended",
        );
    }
    if let Some(b) = &r.confidentiality_break {
        c.text("/confidentiality_break/risk", &b.risk);
        if b.informed.is_empty() {
            c.err(
                ErrorCode::ArchiveRequiredWhen,
                "/confidentiality_break/informed",
                "broken confidentiality needs the people informed and when",
            );
        }
        for (i, p) in b.informed.iter().enumerate() {
            c.not_before(&format!("/confidentiality_break/informed/{i}/at"), p.at, "/started_at", r.started_at);
        }
    }
}

pub(crate) fn duty_log(c: &mut Ctx, r: &DutyLog) {
    c.header(RecordKind::DutyLog, &r.schema, r.schema_version);
    c.text("/record_id", &r.record_id);
    c.text("/school", &r.school);
    c.text("/room", &r.room);
    c.list("/shifts", &r.shifts);
    let offset = c.settings.utc_offset_seconds;
    let mut prev: Option<(Timestamp, String)> = None;
    for (i, s) in r.shifts.iter().enumerate() {
        let p = format!("/shifts/{i}");
        c.staff(&format!("{p}/staff"), &s.staff);
        if s.to <= s.from {
            c.err(
                ErrorCode::ArchiveTimeOrder,
                format!("{p}/to"),
                format!("a shift ends after it starts ({} ≤ {})", s.to, s.from),
            );
        }
        if Date::of_timestamp(s.from, offset) != r.date {
            c.err(
                ErrorCode::ArchiveInconsistent,
                format!("{p}/from"),
                format!("the shift starts on another day than the log's {} (UTC offset {offset} s)", r.date),
            );
        }
        if let Some((end, ref prev_path)) = prev {
            if s.from < end {
                c.err(
                    ErrorCode::ArchiveTimeOrder,
                    format!("{p}/from"),
                    format!("starts before {prev_path} ends ({end}): shifts are in time order and do not overlap"),
                );
            }
        }
        prev = Some((s.to, format!("{p}/to")));
    }
}

pub(crate) fn referral(c: &mut Ctx, r: &Referral) {
    c.header(RecordKind::Referral, &r.schema, r.schema_version);
    c.text("/record_id", &r.record_id);
    c.text("/student", &r.student);
    c.text("/from/id", &r.from.id);
    c.text("/to/id", &r.to.id);
    c.text("/reason", &r.reason);
    if r.from == r.to {
        c.err(ErrorCode::ArchiveInconsistent, "/to", "a referral goes to another organisation");
    }
    if r.green_channel && r.urgency.is_none() {
        c.err(ErrorCode::ArchiveRequiredWhen, "/urgency", "a green-channel referral needs an urgency");
    }
    if let Some(t) = r.received_at {
        c.not_before("/received_at", t, "/referred_at", r.referred_at);
    }
    if let Some(o) = &r.outcome {
        c.not_before("/outcome/at", o.at, "/referred_at", r.referred_at);
        c.text("/outcome/note", &o.note);
    }
}

pub(crate) fn crisis(c: &mut Ctx, r: &CrisisCaseReport) {
    c.header(RecordKind::CrisisCaseReport, &r.schema, r.schema_version);
    c.text("/record_id", &r.record_id);
    c.text("/student", &r.student);
    c.text("/incident/description", &r.incident.description);
    c.list("/timeline", &r.timeline);
    c.list("/actions", &r.actions);
    let mut prev: Option<Timestamp> = None;
    for (i, t) in r.timeline.iter().enumerate() {
        c.text(&format!("/timeline/{i}/text"), &t.text);
        if let Some(p) = prev {
            c.not_before(&format!("/timeline/{i}/at"), t.at, &format!("/timeline/{}/at", i - 1), p);
        }
        prev = Some(t.at);
    }
    for (i, a) in r.actions.iter().enumerate() {
        c.staff(&format!("/actions/{i}/by"), &a.by);
        c.text(&format!("/actions/{i}/action"), &a.action);
        c.not_before(&format!("/actions/{i}/at"), a.at, "/incident/at", r.incident.at);
    }
    match &r.expert_consultation {
        Some(e) => {
            c.list("/expert_consultation/experts", &e.experts);
            for (i, x) in e.experts.iter().enumerate() {
                c.staff(&format!("/expert_consultation/experts/{i}"), x);
            }
            c.text("/expert_consultation/conclusion", &e.conclusion);
            c.not_before("/expert_consultation/at", e.at, "/incident/at", r.incident.at);
        }
        None if c.settings.crisis_requires_expert_consultation => c.err(
            ErrorCode::ArchiveRequiredWhen,
            "/expert_consultation",
            "the settings require an expert consultation (专家会诊) for every crisis case",
        ),
        None => {}
    }
    c.text("/outcome/summary", &r.outcome.summary);
    c.staff("/reported_by", &r.reported_by);
    c.not_before("/reported_at", r.reported_at, "/incident/at", r.incident.at);
}

pub(crate) fn hotline(c: &mut Ctx, r: &HotlineCall) {
    c.header(RecordKind::HotlineCall, &r.schema, r.schema_version);
    c.text("/record_id", &r.record_id);
    c.text("/centre", &r.centre);
    if let Some(s) = &r.student {
        c.text("/student", s);
    }
    c.staff("/counsellor", &r.counsellor);
    c.not_before("/ended_at", r.ended_at, "/started_at", r.started_at);
    c.parts("/parts", &r.parts, true, "a hotline call (closed when it ends)");
}

pub(crate) fn transfer(c: &mut Ctx, r: &TransferPackage) {
    c.header(RecordKind::TransferPackage, &r.schema, r.schema_version);
    c.text("/record_id", &r.record_id);
    c.text("/student", &r.student);
    c.text("/from_school", &r.from_school);
    c.text("/to_school", &r.to_school);
    c.staff("/prepared_by", &r.prepared_by);
    c.grade(r.grade);
    if r.from_school == r.to_school {
        c.err(ErrorCode::ArchiveInconsistent, "/to_school", "the receiving school is the sending school");
    }
    if r.legal_basis == LegalBasis::Consent && r.consent_id.as_deref().is_none_or(|s| s.trim().is_empty()) {
        c.err(
            ErrorCode::ArchiveRequiredWhen,
            "/consent_id",
            "a hand-over on the basis of consent names the consent entry",
        );
    }
    for (i, h) in r.held_by_sender.iter().enumerate() {
        if RecordKind::from_name(&h.kind).is_none() {
            c.err(
                ErrorCode::ArchiveInvalidValue,
                format!("/held_by_sender/{i}/kind"),
                format!("{} is not a record kind", excerpt(&h.kind)),
            );
        }
    }
}
