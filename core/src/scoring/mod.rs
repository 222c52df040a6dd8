//! Scoring: one response into a [`report::ScoreReport`], or many into columns ([`batch`]).

pub mod batch;
pub mod compact;
pub(crate) mod eval;
pub(crate) mod fast;
pub(crate) mod fused;
pub(crate) mod plan;
pub mod recode;
pub mod report;
pub mod simd;
#[cfg(test)]
pub(crate) mod testutil;
pub mod verify;

use crate::decimal::{Dec, Ratio};
use crate::error::{Error, ErrorCode, Result};
use crate::instrument::spec::{BandBasis, ItemBasis, ItemStateKind, Localized, ValidityVerdict};
use crate::instrument::Instrument;
use eval::{RowState, Tri, Unscored, ANSWERED, MISSING, REFUSED};
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
        self.score_inner(response, None)
    }

    /// Score one response whose codes follow an export's own coding, declared by a checked
    /// [`recode::CodeMap`] (see [`Instrument::code_map`]). Answers given by option id are not recoded.
    pub fn score_with_code_map(&self, response: &Response, map: &recode::CodeMap) -> Result<ScoreReport> {
        map.check_for(self)?;
        self.score_inner(response, Some(map))
    }

    fn score_inner(&self, response: &Response, map: Option<&recode::CodeMap>) -> Result<ScoreReport> {
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
            set_answer(plan, &mut st, idx, ans, map, &path)?;
        }
        self.finish(st, response)
    }

    /// Score answers given positionally, in item order. The list has either one entry per item,
    /// or exactly one entry per **scored** item (e.g. nine values for the PHQ-9, whose item 10 is
    /// the unscored difficulty question); unscored items are then missing.
    pub fn score_answers(&self, answers: &[Answer]) -> Result<ScoreReport> {
        self.score_answers_inner(answers, &Response::default(), None)
    }

    /// [`Instrument::score_answers`] with a declared recode.
    pub fn score_answers_with_code_map(&self, answers: &[Answer], map: &recode::CodeMap) -> Result<ScoreReport> {
        map.check_for(self)?;
        self.score_answers_inner(answers, &Response::default(), Some(map))
    }

    /// [`Instrument::score_answers`] for a response that also has times or a norm group:
    /// `context` gives `started_at`, `finished_at` and `group` (as in [`Instrument::score`]),
    /// `answers` the answers by position (one per item, or one per scored item), and `map` an
    /// optional declared recode. `context.answers` must be empty: the list is the answers
    /// (`score.duplicate_answer` otherwise).
    ///
    /// ```
    /// use changkaixin_core::{Answer, Catalog, Response};
    /// let phq9 = Catalog::builtin().instrument("phq9").unwrap();
    /// let context = Response {
    ///     started_at: Some("2026-03-02T08:00:00+08:00".into()),
    ///     finished_at: Some("2026-03-02T08:05:00+08:00".into()),
    ///     ..Response::default()
    /// };
    /// let nine = vec![Answer::Code(1); 9]; // items 1-9; item 10 (unscored) is missing
    /// let r = phq9.score_answers_in(&nine, &context, None).unwrap();
    /// assert_eq!(r.scale("total").unwrap().raw.unwrap().to_string(), "9");
    /// ```
    pub fn score_answers_in(&self, answers: &[Answer], context: &Response, map: Option<&recode::CodeMap>) -> Result<ScoreReport> {
        if !context.answers.is_empty() {
            return Err(Error::new(
                ErrorCode::ScoreDuplicateAnswer,
                "/answers",
                "answers are given twice: by position and in the response context",
            ));
        }
        if let Some(m) = map {
            m.check_for(self)?;
        }
        self.score_answers_inner(answers, context, map)
    }

    fn score_answers_inner(&self, answers: &[Answer], context: &Response, map: Option<&recode::CodeMap>) -> Result<ScoreReport> {
        let plan = self.plan();
        let scored: Vec<usize> = (0..plan.items.len()).filter(|&i| plan.items[i].scored).collect();
        let positions: Vec<usize> = if answers.len() == plan.items.len() {
            (0..plan.items.len()).collect()
        } else if answers.len() == scored.len() {
            scored
        } else {
            return Err(Error::new(
                ErrorCode::ScoreWrongItemCount,
                "/answers",
                if scored.len() == plan.items.len() {
                    format!("instrument {} has {} items but {} answers were given", plan.id, plan.items.len(), answers.len())
                } else {
                    format!(
                        "instrument {} has {} items ({} scored); give {} or {} answers, not {}",
                        plan.id,
                        plan.items.len(),
                        scored.len(),
                        plan.items.len(),
                        scored.len(),
                        answers.len()
                    )
                },
            ));
        };
        let mut st = RowState::new(plan);
        for (a, &i) in answers.iter().zip(&positions) {
            set_answer(plan, &mut st, i, a, map, &format!("/answers/{}", plan.items[i].number))?;
        }
        self.finish(st, context)
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

fn set_answer(plan: &Plan, st: &mut RowState, idx: usize, ans: &Answer, map: Option<&recode::CodeMap>, path: &str) -> Result<()> {
    let item = &plan.items[idx];
    let code = match ans {
        Answer::Missing => {
            st.state[idx] = MISSING;
            return Ok(());
        }
        Answer::Refused => {
            st.state[idx] = REFUSED;
            return Ok(());
        }
        Answer::Code(c) => match map {
            Some(m) if m.covers(idx) => m.apply(idx, *c).map_err(|()| {
                let sources: Vec<String> = m.sources(idx).iter().map(i64::to_string).collect();
                Error::new(
                    ErrorCode::ScoreUnknownOption,
                    path.to_owned(),
                    format!(
                        "item {}: code {c} is not a source code of the code map (source codes: {})",
                        item.number,
                        sources.join(", ")
                    ),
                )
                .with_item(item.number)
            })?,
            _ => *c,
        },
        Answer::OptionId(id) => item.code_of_id(id).ok_or_else(|| {
            let ids: Vec<&str> = item.options.iter().map(|o| o.id.as_str()).collect();
            Error::new(
                ErrorCode::ScoreUnknownOption,
                path.to_owned(),
                format!("item {} has no option with id {:?} (option ids: {})", item.number, echo(id), ids.join(", ")),
            )
            .with_item(item.number)
        })?,
    };
    let Some(v) = item.value_of(code) else {
        let mut codes: Vec<i64> = item.options.iter().map(|o| o.code).collect();
        codes.sort_unstable();
        let codes: Vec<String> = codes.iter().map(i64::to_string).collect();
        return Err(Error::new(
            ErrorCode::ScoreUnknownOption,
            path.to_owned(),
            format!("item {} has no option with code {code} (options: {})", item.number, codes.join(", ")),
        )
        .with_item(item.number));
    };
    st.state[idx] = ANSWERED;
    st.code[idx] = code;
    st.value[idx] = v;
    Ok(())
}

/// At most a short prefix of an input string, for error messages.
pub(crate) fn echo(s: &str) -> String {
    match s.char_indices().nth(40) {
        None => s.to_owned(),
        Some((i, _)) => format!("{}…", &s[..i]),
    }
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
        let v = st.flags[fi];
        if v == Tri::F {
            continue;
        }
        let ex = explained(&f.cond, v, plan, st);
        flags.push(FlagResult {
            id: f.id.clone(),
            verdict: v.verdict(),
            level: f.level,
            label: f.label.clone(),
            reason: f.reason.clone(),
            items: ex.items,
            missing_items: ex.missing,
            refused_items: ex.refused,
            evidence: ex.evidence,
            source: f.source.clone(),
        });
    }
    let screen_positive = plan.screen_positive.as_ref().map(|s| {
        let v = eval::cond3(&s.cond, plan, st);
        let ex = if v == Tri::F { Explained::default() } else { explained(&s.cond, v, plan, st) };
        ScreenPositiveResult {
            verdict: v.verdict(),
            missing_items: ex.missing,
            refused_items: ex.refused,
            reason: s.reason.clone(),
            evidence: ex.evidence,
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

pub(crate) fn fmt_ratio(v: Ratio) -> String {
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

/// Evidence for a positive or indeterminate condition.
#[derive(Default)]
struct Explained {
    evidence: Vec<String>,
    /// Positive: items whose answers made it hold. Indeterminate: the unanswered items it depends on.
    items: Vec<u32>,
    missing: Vec<u32>,
    refused: Vec<u32>,
}

fn explained(c: &CondPlan, v: Tri, plan: &Plan, st: &RowState) -> Explained {
    let mut ex = Explained::default();
    explain(c, v, plan, st, &mut ex.evidence, &mut ex.items);
    if v == Tri::U {
        let mut idx = Vec::new();
        eval::undecided_items(c, plan, st, &mut idx);
        idx.sort_unstable();
        idx.dedup();
        for i in idx {
            let n = plan.items[i].number;
            match st.state[i] {
                REFUSED => ex.refused.push(n),
                ANSWERED => {}
                _ => ex.missing.push(n),
            }
        }
        ex.items = ex.missing.iter().chain(&ex.refused).copied().collect();
    }
    ex.items.sort_unstable();
    ex.items.dedup();
    ex
}

/// `"items 3, 5 missing; item 9 refused"` for the unanswered items of a scale.
fn unanswered_words(plan: &Plan, st: &RowState, idx: &[usize]) -> String {
    let mut parts = Vec::new();
    for (state, word) in [(MISSING, "missing"), (REFUSED, "refused")] {
        let mut ns: Vec<u32> = idx.iter().filter(|&&i| st.state[i] == state).map(|&i| plan.items[i].number).collect();
        ns.sort_unstable();
        ns.dedup();
        if !ns.is_empty() {
            let list = ns.iter().map(u32::to_string).collect::<Vec<_>>().join(", ");
            parts.push(format!("{} {list} {word}", if ns.len() == 1 { "item" } else { "items" }));
        }
    }
    parts.join("; ")
}

/// The scale's value range over the completions, in the words of a condition's basis.
fn scale_span(plan: &Plan, st: &RowState, idx: usize, basis: BandBasis) -> String {
    let sc = &plan.scales[idx];
    let den = sc.den.max(1);
    let (lo, hi) = (Ratio::new(st.lo[idx], den), Ratio::new(st.hi[idx], den));
    let (lo, hi) = match (&sc.norms, basis, st.group[idx]) {
        (Some(n), BandBasis::Score, Some(g)) => {
            let at = |v: Ratio| {
                usize::try_from(v.num() - n.raw_min)
                    .ok()
                    .and_then(|s| n.groups[g].scores.get(s))
                    .and_then(|d| d.to_ratio())
            };
            match (at(lo), at(hi)) {
                (Some(a), Some(b)) => (a, b),
                _ => (lo, hi),
            }
        }
        _ => (lo, hi),
    };
    if lo == hi {
        fmt_ratio(lo)
    } else {
        format!("{}..{}", fmt_ratio(lo), fmt_ratio(hi))
    }
}

/// Collect human-readable evidence for a condition whose value is `want` (true or undecided):
/// the leaves with that value under nodes with that value.
fn explain(c: &CondPlan, want: Tri, plan: &Plan, st: &RowState, ev: &mut Vec<String>, items: &mut Vec<u32>) {
    if eval::cond3(c, plan, st) != want {
        return;
    }
    let undecided = want == Tri::U;
    match c {
        CondPlan::Any(v) | CondPlan::All(v) => {
            for c in v {
                explain(c, want, plan, st, ev, items);
            }
        }
        CondPlan::CountOf { of, op, value } => {
            let (t, u) = eval::count_of(of, plan, st);
            if u == 0 {
                ev.push(format!("{t} of {} conditions hold ({} {value})", of.len(), op.symbol()));
            } else {
                ev.push(format!("{t} of {} conditions hold, {u} undecided ({} {value})", of.len(), op.symbol()));
            }
            for c in of {
                explain(c, want, plan, st, ev, items);
            }
        }
        CondPlan::Not(inner) => {
            if undecided {
                explain(inner, Tri::U, plan, st, ev, items);
            } else {
                ev.push(format!("not ({})", describe(inner, plan)));
            }
        }
        CondPlan::Item { idx, op, value, on } => {
            let it = &plan.items[*idx];
            items.push(it.number);
            let what = match on {
                ItemBasis::Value => "value",
                ItemBasis::Code => "code",
            };
            if undecided {
                let s = if st.state[*idx] == REFUSED { "refused" } else { "missing" };
                ev.push(format!(
                    "item {} {what} {} {} undecided (item {} {s})",
                    it.number,
                    op.symbol(),
                    fmt_ratio(*value),
                    it.number
                ));
            } else {
                let x = match on {
                    ItemBasis::Value => i64::from(st.value[*idx]),
                    ItemBasis::Code => st.code[*idx],
                };
                ev.push(format!("item {} {what} {x} {} {}", it.number, op.symbol(), fmt_ratio(*value)));
            }
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
            let what = if *basis == BandBasis::Raw { "raw" } else { "score" };
            let mut unanswered = Vec::new();
            eval::scale_unanswered(plan, st, *idx, &mut unanswered);
            let span = scale_span(plan, st, *idx, *basis);
            let tail = if unanswered.is_empty() {
                String::new()
            } else {
                format!(" ({})", unanswered_words(plan, st, &unanswered))
            };
            let verdict = if undecided { " undecided" } else { "" };
            ev.push(format!("scale {} {what} {span} {} {}{verdict}{tail}", sc.id, op.symbol(), fmt_ratio(*value)));
        }
        CondPlan::ScaleUnscored(idx) => ev.push(format!("scale {} is not scored", plan.scales[*idx].id)),
        CondPlan::Band { idx, op, index } => {
            let sc = &plan.scales[*idx];
            let mut unanswered = Vec::new();
            eval::scale_unanswered(plan, st, *idx, &mut unanswered);
            if unanswered.is_empty() && st.band[*idx] != NO_BAND {
                let b = &sc.bands[st.band[*idx] as usize];
                ev.push(format!("scale {} band {} (index {}) {} {index}", sc.id, b.id, b.index, op.symbol()));
            } else {
                let what = if sc.bands_on == BandBasis::Raw { "raw" } else { "score" };
                let span = scale_span(plan, st, *idx, sc.bands_on);
                let verdict = if undecided { " undecided" } else { "" };
                ev.push(format!(
                    "scale {} band index {} {index}{verdict} ({what} {span}; {})",
                    sc.id,
                    op.symbol(),
                    unanswered_words(plan, st, &unanswered)
                ));
            }
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
        CondPlan::Flag(i) => {
            if undecided {
                ev.push(format!("flag {} undecided", plan.flags[*i].id));
            } else {
                ev.push(format!("flag {} fired", plan.flags[*i].id));
            }
        }
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

pub(crate) fn describe(c: &CondPlan, plan: &Plan) -> String {
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
