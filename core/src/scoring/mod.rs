//! Scoring: one response into a [`report::ScoreReport`], or many into columns ([`batch`]).

pub mod batch;
pub(crate) mod eval;
pub(crate) mod fast;
pub(crate) mod plan;
pub mod report;

use crate::decimal::{Dec, Ratio};
use crate::error::{Error, ErrorCode, Result};
use crate::instrument::spec::{BandBasis, ItemBasis, ItemStateKind, Localized, ValidityVerdict};
use crate::instrument::Instrument;
use eval::{RowState, Unscored, ANSWERED, MISSING, REFUSED};
use plan::{CondPlan, Plan, NO_BAND};
use report::*;
use std::collections::BTreeMap;

impl Instrument {
    /// Score one response set.
    ///
    /// Answers are keyed by item number or item id; absent items are missing. An
    /// unknown item, a code that is not an option, or an item answered twice is an
    /// error naming the item — never a silent zero.
    pub fn score(&self, response: &Response) -> Result<ScoreReport> {
        let plan = self.plan();
        let mut st = RowState::new(plan);
        let mut seen = vec![false; plan.items.len()];
        for (key, ans) in &response.answers {
            let path = format!("/answers/{}", crate::error::excerpt_raw(key));
            let idx = resolve_item(plan, key).ok_or_else(|| {
                let e = Error::new(
                    ErrorCode::ScoreUnknownItem,
                    path.clone(),
                    format!(
                        "instrument {} has no item {} (items are numbered 1..{} or named by id)",
                        plan.id,
                        crate::error::excerpt(key),
                        plan.items.len()
                    ),
                );
                match key.parse::<u32>() {
                    Ok(n) => e.with_item(n),
                    Err(_) => e,
                }
            })?;
            if seen[idx] {
                return Err(Error::new(
                    ErrorCode::ScoreDuplicateAnswer,
                    path,
                    format!("item {} is answered twice (by number and by id)", plan.items[idx].number),
                )
                .with_item(plan.items[idx].number));
            }
            seen[idx] = true;
            set_answer(plan, &mut st, idx, *ans, &path)?;
        }
        self.finish(st, response)
    }

    /// Score answers given positionally in item order. The list must have one entry per item.
    pub fn score_answers(&self, answers: &[Answer]) -> Result<ScoreReport> {
        let plan = self.plan();
        if answers.len() != plan.items.len() {
            return Err(Error::new(
                ErrorCode::ScoreWrongItemCount,
                "/answers",
                format!("instrument {} has {} items but {} answers were given", plan.id, plan.items.len(), answers.len()),
            ));
        }
        let mut st = RowState::new(plan);
        for (i, a) in answers.iter().enumerate() {
            set_answer(plan, &mut st, i, *a, &format!("/answers/{}", i + 1))?;
        }
        self.finish(st, &Response::default())
    }

    /// Score a response given as JSON (the [`Response`] shape); returns the report.
    pub fn score_json(&self, response_json: &str) -> Result<ScoreReport> {
        self.score(&Response::from_json(response_json)?)
    }

    fn finish(&self, mut st: RowState, response: &Response) -> Result<ScoreReport> {
        let plan = self.plan();
        st.duration = duration_seconds(response)?;
        resolve_groups(plan, &response.group, &mut st.group).map_err(|missing| {
            Error::new(
                ErrorCode::ScoreNormGroupNotFound,
                "/group",
                format!(
                    "scale {missing:?} needs norms, but no norm table matches group {} (keys: {:?})",
                    crate::error::excerpt_debug(&response.group),
                    plan.norm_group_keys
                ),
            )
        })?;
        eval::evaluate(plan, &mut st);
        Ok(build_report(self, plan, &st))
    }
}

/// Find an item by number or id.
pub(crate) fn resolve_item(plan: &Plan, key: &str) -> Option<usize> {
    if let Ok(n) = key.parse::<u32>() {
        return (n >= 1 && (n as usize) <= plan.items.len()).then(|| n as usize - 1);
    }
    plan.items.iter().position(|it| it.id == key)
}

fn set_answer(plan: &Plan, st: &mut RowState, idx: usize, ans: Answer, path: &str) -> Result<()> {
    match ans {
        Answer::Missing => st.state[idx] = MISSING,
        Answer::Refused => st.state[idx] = REFUSED,
        Answer::Code(c) => {
            let item = &plan.items[idx];
            let Some(v) = item.value_of(c) else {
                let codes: Vec<String> = (0..plan::CODE_SLOTS as i64)
                    .filter(|k| item.value_of(*k).is_some())
                    .map(|k| k.to_string())
                    .collect();
                return Err(Error::new(
                    ErrorCode::ScoreUnknownOption,
                    path.to_owned(),
                    format!("item {} has no option with code {c} (options: {})", item.number, codes.join(", ")),
                )
                .with_item(item.number));
            };
            st.state[idx] = ANSWERED;
            st.code[idx] = c;
            st.value[idx] = v;
        }
    }
    Ok(())
}

/// For each normed scale, the index of the norm group matching `group`; `Err(scale id)` if none matches.
pub(crate) fn resolve_groups(plan: &Plan, group: &BTreeMap<String, String>, out: &mut [Option<usize>]) -> std::result::Result<(), String> {
    for (si, sc) in plan.scales.iter().enumerate() {
        out[si] = None;
        if let Some(norms) = &sc.norms {
            let found = norms.groups.iter().position(|g| g.key.iter().all(|(k, v)| group.get(k) == Some(v)));
            match found {
                Some(g) => out[si] = Some(g),
                None => return Err(sc.id.clone()),
            }
        }
    }
    Ok(())
}

fn duration_seconds(r: &Response) -> Result<Option<i64>> {
    use time::format_description::well_known::Rfc3339;
    use time::OffsetDateTime;
    let parse = |s: &str, path: &str| {
        OffsetDateTime::parse(s, &Rfc3339).map_err(|e| {
            Error::new(
                ErrorCode::ScoreInvalidTime,
                path.to_owned(),
                format!("{} is not an RFC 3339 timestamp: {e}", crate::error::excerpt(s)),
            )
        })
    };
    match (&r.started_at, &r.finished_at) {
        (Some(a), Some(b)) => {
            let a = parse(a, "/started_at")?;
            let b = parse(b, "/finished_at")?;
            let d = (b - a).whole_seconds();
            if d < 0 {
                return Err(Error::new(ErrorCode::ScoreInvalidTime, "/finished_at", "finished_at is before started_at"));
            }
            Ok(Some(d))
        }
        (Some(a), None) => parse(a, "/started_at").map(|_| None),
        (None, Some(b)) => parse(b, "/finished_at").map(|_| None),
        (None, None) => Ok(None),
    }
}

fn ratio_dec(v: Ratio, decimals: u32, sc: &plan::ScalePlan) -> Dec {
    v.round_to_dec(decimals, sc.rounding)
}

fn build_report(inst: &Instrument, plan: &Plan, st: &RowState) -> ScoreReport {
    let mut counts = ItemCounts {
        answered: 0,
        missing: 0,
        refused: 0,
    };
    for s in &st.state {
        match *s {
            ANSWERED => counts.answered += 1,
            REFUSED => counts.refused += 1,
            _ => counts.missing += 1,
        }
    }
    let mut scales = Vec::with_capacity(plan.scales.len());
    let mut reasons = Vec::new();
    for (si, sc) in plan.scales.iter().enumerate() {
        let raw = st.raw[si];
        let score = match (&sc.norms, st.norm_slot[si]) {
            (Some(n), Some((g, slot))) => n.groups[g].scores.get(slot).copied(),
            (Some(_), None) => None,
            (None, _) => raw.map(|v| ratio_dec(v, sc.decimals, sc)),
        };
        let band = (st.band[si] != NO_BAND).then(|| {
            let b = &sc.bands[st.band[si] as usize];
            BandResult {
                id: b.id.clone(),
                label: b.label.clone(),
                index: b.index,
                severity: b.severity,
                rule: b.rule.clone(),
                evidence: b.evidence.clone(),
                source: b.source.clone(),
            }
        });
        let unscored_reason = (st.unscored[si] == Unscored::Missing).then(|| {
            let what = if matches!(sc.agg, plan::AggPlan::SumOfScales(_)) {
                "component scales"
            } else {
                "items"
            };
            format!("{} of {} {what} answered; the missing-data rule does not allow scoring", st.answered[si], sc.n)
        });
        if let Some(why) = &unscored_reason {
            reasons.push(ValidityReason {
                rule: format!("{}/{}/missing", plan.id, sc.id),
                verdict: ValidityVerdict::Incomplete,
                message: Localized {
                    zh: Some(format!("量表 {} 无法计分：{why}", sc.id)),
                    en: Some(format!("scale {} not scored: {why}", sc.id)),
                },
                source: None,
            });
        }
        scales.push(ScaleResult {
            id: sc.id.clone(),
            scored: raw.is_some(),
            raw: raw.map(|v| ratio_dec(v, sc.decimals, sc)),
            raw_exact: raw.filter(|v| !v.exact_at(sc.decimals)).map(Ratio::to_fraction_string),
            score,
            answered: st.answered[si],
            of: sc.n,
            prorated: st.prorated[si],
            band,
            unscored_reason,
        });
    }
    for v in &plan.validity {
        if eval::cond(&v.cond, plan, st) {
            reasons.push(ValidityReason {
                rule: format!("{}/validity/{}", plan.id, v.id),
                verdict: v.verdict,
                message: v.reason.clone(),
                source: Some(v.source.clone()),
            });
        }
    }
    let status = match eval::validity_code(plan, st) {
        0 => ValidityStatus::Valid,
        1 => ValidityStatus::Incomplete,
        _ => ValidityStatus::Invalid,
    };
    let mut flags = Vec::new();
    for (fi, f) in plan.flags.iter().enumerate() {
        if st.flags[fi] {
            let mut ev = Vec::new();
            let mut items = Vec::new();
            explain(&f.cond, plan, st, &mut ev, &mut items);
            items.sort_unstable();
            items.dedup();
            flags.push(FlagResult {
                id: f.id.clone(),
                level: f.level,
                label: f.label.clone(),
                reason: f.reason.clone(),
                items,
                evidence: ev,
                source: f.source.clone(),
            });
        }
    }
    let screen_positive = plan.screen_positive.as_ref().map(|s| {
        let positive = eval::cond(&s.cond, plan, st);
        let mut ev = Vec::new();
        if positive {
            let mut items = Vec::new();
            explain(&s.cond, plan, st, &mut ev, &mut items);
        }
        ScreenPositiveResult {
            positive,
            reason: s.reason.clone(),
            evidence: ev,
            source: s.source.clone(),
        }
    });
    ScoreReport {
        instrument: InstrumentRef {
            id: inst.id().to_owned(),
            version: inst.version().to_owned(),
            settings: inst.settings().clone(),
        },
        validity: Validity { status, reasons },
        items: counts,
        duration_seconds: st.duration,
        scales,
        flags,
        screen_positive,
    }
}

fn fmt_ratio(v: Ratio) -> String {
    if v.is_integer() {
        v.num().to_string()
    } else {
        let mut d = 0;
        while !v.exact_at(d) && d < 6 {
            d += 1;
        }
        if v.exact_at(d) {
            v.round_to_dec(d, crate::Rounding::HalfUp).to_string()
        } else {
            v.to_fraction_string()
        }
    }
}

/// Collect human-readable evidence for a condition that holds (only true leaves are reported).
fn explain(c: &CondPlan, plan: &Plan, st: &RowState, ev: &mut Vec<String>, items: &mut Vec<u32>) {
    if !eval::cond(c, plan, st) {
        return;
    }
    match c {
        CondPlan::Any(v) | CondPlan::All(v) => {
            for c in v {
                explain(c, plan, st, ev, items);
            }
        }
        CondPlan::CountOf { of, op, value } => {
            let n = of.iter().filter(|c| eval::cond(c, plan, st)).count();
            ev.push(format!("{n} of {} conditions hold ({} {value})", of.len(), op.symbol()));
            for c in of {
                explain(c, plan, st, ev, items);
            }
        }
        CondPlan::Not(inner) => ev.push(format!("not ({})", describe(inner, plan))),
        CondPlan::Item { idx, op, value, on } => {
            let it = &plan.items[*idx];
            items.push(it.number);
            let (what, x) = match on {
                ItemBasis::Value => ("value", i64::from(st.value[*idx])),
                ItemBasis::Code => ("code", st.code[*idx]),
            };
            ev.push(format!("item {} {what} {x} {} {}", it.number, op.symbol(), fmt_ratio(*value)));
        }
        CondPlan::ItemState { idx, state } => {
            let it = &plan.items[*idx];
            items.push(it.number);
            let s = match st.state[*idx] {
                ANSWERED => "answered",
                REFUSED => "refused",
                _ => "missing",
            };
            ev.push(format!("item {} is {s} (rule: {})", it.number, state_name(*state)));
        }
        CondPlan::Scale { idx, op, value, basis } => {
            let sc = &plan.scales[*idx];
            let v = if *basis == BandBasis::Raw { st.raw[*idx] } else { st.score[*idx] };
            let what = if *basis == BandBasis::Raw { "raw" } else { "score" };
            if let Some(v) = v {
                ev.push(format!("scale {} {what} {} {} {}", sc.id, fmt_ratio(v), op.symbol(), fmt_ratio(*value)));
            }
        }
        CondPlan::ScaleUnscored(idx) => ev.push(format!("scale {} is not scored", plan.scales[*idx].id)),
        CondPlan::Band { idx, op, index } => {
            let sc = &plan.scales[*idx];
            let b = &sc.bands[st.band[*idx] as usize];
            ev.push(format!("scale {} band {} (index {}) {} {index}", sc.id, b.id, b.index, op.symbol()));
        }
        CondPlan::Answered { items: its, op, value } => {
            let n = its.iter().filter(|&&i| st.state[i] == ANSWERED).count();
            ev.push(format!("{n} of {} items answered ({} {value})", its.len(), op.symbol()));
        }
        CondPlan::StraightLine { items: its, .. } => {
            ev.push(format!("all answered items among {} carry the same code", its.len()));
        }
        CondPlan::Duration { op, value } => {
            if let Some(d) = st.duration {
                ev.push(format!("completion time {d} s {} {} s", op.symbol(), fmt_ratio(*value)));
            }
        }
        CondPlan::Flag(i) => ev.push(format!("flag {} fired", plan.flags[*i].id)),
    }
}

fn state_name(s: ItemStateKind) -> &'static str {
    match s {
        ItemStateKind::Answered => "answered",
        ItemStateKind::Missing => "missing",
        ItemStateKind::Refused => "refused",
        ItemStateKind::Unanswered => "unanswered",
    }
}

fn describe(c: &CondPlan, plan: &Plan) -> String {
    match c {
        CondPlan::Any(v) => format!("any of [{}]", v.iter().map(|c| describe(c, plan)).collect::<Vec<_>>().join(", ")),
        CondPlan::All(v) => format!("all of [{}]", v.iter().map(|c| describe(c, plan)).collect::<Vec<_>>().join(", ")),
        CondPlan::Not(c) => format!("not ({})", describe(c, plan)),
        CondPlan::Item { idx, op, value, .. } => format!("item {} {} {}", plan.items[*idx].number, op.symbol(), fmt_ratio(*value)),
        CondPlan::ItemState { idx, state } => format!("item {} {}", plan.items[*idx].number, state_name(*state)),
        CondPlan::Scale { idx, op, value, .. } => format!("scale {} {} {}", plan.scales[*idx].id, op.symbol(), fmt_ratio(*value)),
        CondPlan::ScaleUnscored(i) => format!("scale {} unscored", plan.scales[*i].id),
        CondPlan::Band { idx, op, index } => format!("band of {} {} {index}", plan.scales[*idx].id, op.symbol()),
        CondPlan::CountOf { of, op, value } => format!("count of {} conditions {} {value}", of.len(), op.symbol()),
        CondPlan::Answered { items, op, value } => format!("answered of {} items {} {value}", items.len(), op.symbol()),
        CondPlan::StraightLine { items, .. } => format!("straight-line over {} items", items.len()),
        CondPlan::Duration { op, value } => format!("duration {} {}", op.symbol(), fmt_ratio(*value)),
        CondPlan::Flag(i) => format!("flag {}", plan.flags[*i].id),
    }
}
