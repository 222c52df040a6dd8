//! Verification of a [`ScoreReport`] that arrives from outside (alert evidence, a binding's
//! dict or record) against the instrument that claims to have produced it.
//!
//! A report is data, and data from a client is not trusted: before the alert engine (or
//! anything else) acts on a report, [`Instrument::verify_report`] checks that it is one the
//! instrument could have produced. It checks
//!
//! * identity: instrument id, spec version and the setting options in effect (every setting
//!   of the instrument named, with a known option);
//! * shape: every scale in spec order, with its item count (`of`), `answered` within the
//!   item counts, `scored`/`prorated`/`unscored_reason` consistent with the scale's
//!   missing-data rule;
//! * values: every raw value within the range the scale can take (for a complete scale, an
//!   exact multiple of its denominator within `[min, max]`; a composite equal to the sum of
//!   its parts), `raw` the rounding of `raw_exact`, the standard score equal to the raw value
//!   or one of the norm table's scores for it;
//! * bands: looked up again from the value, and equal to the reported band;
//! * flags: ids known, in spec order, at their spec level, their items among the items the
//!   flag's rule reads; every flag, validity rule and the screen verdict whose condition the
//!   reported values decide is re-evaluated (three-valued) and must agree with the report. The
//!   values decide a condition on a scale that is complete, and a condition on an item as far as
//!   the complete scales bound the item (a PHQ-9 total of 27 means item 9 is 3, an ASQ count of
//!   0 means every question was answered no); anything else is undecided from a report alone —
//!   evidence that must be fully checked carries the answers;
//! * validity: every reason known, a missing-data reason for each unscored scale, the status
//!   the worst reason.
//!
//! Display texts (labels, reasons, sources, evidence strings) are not compared: nothing acts on
//! them, and decisions quote the catalog's and the policy's own texts.
//!
//! Errors carry JSON-pointer paths into the report (`/scales/0/raw`) and stable codes:
//! `evidence.version_mismatch`, `evidence.unknown_setting`, `evidence.out_of_range`,
//! `evidence.report_inconsistent`; [`Catalog::instrument_for_report`] adds
//! `evidence.unknown_instrument`.

use crate::decimal::{Dec, Ratio};
use crate::error::{Error, ErrorCode, Result};
use crate::instrument::catalog::Catalog;
use crate::instrument::compile::band_pos;
use crate::instrument::spec::{BandBasis, ItemBasis, ItemStateKind, ValidityVerdict};
use crate::instrument::Instrument;
use crate::scoring::plan::{AggPlan, CondPlan, MissingPlan, Plan, ScalePlan, NO_BAND};
use crate::scoring::report::{InstrumentRef, ScaleResult, ScoreReport, ValidityStatus, Verdict};
use std::collections::BTreeMap;

/// At most this many characters of a reported string are echoed in an error message.
const ECHO: usize = 48;

/// A short, quoted prefix of an untrusted string for error messages.
pub(crate) fn echo(s: &str) -> String {
    if s.chars().count() <= ECHO {
        format!("{s:?}")
    } else {
        let head: String = s.chars().take(ECHO).collect();
        format!("{head:?}… ({} characters)", s.chars().count())
    }
}

fn inconsistent(path: impl Into<String>, msg: impl Into<String>) -> Error {
    Error::new(ErrorCode::EvidenceReportInconsistent, path, msg)
}

fn out_of_range(path: impl Into<String>, msg: impl Into<String>) -> Error {
    Error::new(ErrorCode::EvidenceOutOfRange, path, msg)
}

impl Catalog {
    /// The instrument a report (or answers) names: known id, the catalog's version, and the
    /// setting options named (each setting id and option id known). Paths are relative to the
    /// instrument reference (`/id`, `/version`, `/settings/<id>`).
    ///
    /// Errors: `evidence.unknown_instrument`, `evidence.version_mismatch`, `evidence.unknown_setting`.
    pub fn instrument_for_report(&self, r: &InstrumentRef) -> Result<Instrument> {
        let base = self.report_base(r)?;
        if &r.settings == base.settings() {
            return Ok(base);
        }
        base.with_settings(&r.settings)
            .map_err(|e| Error::new(ErrorCode::EvidenceUnknownSetting, "/settings", e.message().to_owned()))
    }

    /// The catalog instrument (default settings) a reference names, with its version and
    /// setting names checked (not yet the settings applied).
    pub(crate) fn report_base(&self, r: &InstrumentRef) -> Result<Instrument> {
        let base = self.instrument(&r.id).map_err(|e| {
            if e.error_code() == ErrorCode::CatalogUnknownInstrument {
                Error::new(
                    ErrorCode::EvidenceUnknownInstrument,
                    "/id",
                    format!(
                        "instrument {} is not in the catalog (known: {}); a report of an instrument loaded at runtime needs the policy to declare it in external_instruments",
                        echo(&r.id),
                        self.ids().collect::<Vec<_>>().join(", ")
                    ),
                )
            } else {
                e.prefixed("/id (catalog) ")
            }
        })?;
        if r.version != base.version() {
            return Err(Error::new(
                ErrorCode::EvidenceVersionMismatch,
                "/version",
                format!(
                    "{} version {} is named, but the catalog holds version {}; re-score the answers with the catalog's version",
                    base.id(),
                    echo(&r.version),
                    base.version()
                ),
            ));
        }
        check_setting_names(&base, &r.settings)?;
        Ok(base)
    }

    /// Verify a report against the catalog: [`Catalog::instrument_for_report`] on its
    /// instrument reference (paths under `/instrument`), then [`Instrument::verify_report`].
    pub fn verify_report(&self, report: &ScoreReport) -> Result<()> {
        let inst = self.instrument_for_report(&report.instrument).map_err(|e| e.prefixed("/instrument"))?;
        inst.verify_report(report)
    }
}

/// Every setting id and option id named must exist in the instrument's spec.
fn check_setting_names(inst: &Instrument, settings: &BTreeMap<String, String>) -> Result<()> {
    let spec = inst.source_spec();
    for (k, v) in settings {
        let path = || format!("/settings/{k}");
        let Some(s) = spec.settings.iter().find(|s| &s.id == k) else {
            return Err(Error::new(
                ErrorCode::EvidenceUnknownSetting,
                path(),
                format!(
                    "{} has no setting {} (settings: {})",
                    inst.id(),
                    echo(k),
                    spec.settings.iter().map(|s| s.id.as_str()).collect::<Vec<_>>().join(", ")
                ),
            ));
        };
        if !s.options.iter().any(|o| &o.id == v) {
            return Err(Error::new(
                ErrorCode::EvidenceUnknownSetting,
                path(),
                format!(
                    "setting {k} of {} has no option {} (options: {})",
                    inst.id(),
                    echo(v),
                    s.options.iter().map(|o| o.id.as_str()).collect::<Vec<_>>().join(", ")
                ),
            ));
        }
    }
    Ok(())
}

/// Three-valued truth of a condition as far as a report alone decides it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum K {
    T,
    F,
    /// The report does not decide it (the condition reads items, or an incomplete scale).
    U,
}

impl K {
    fn of(b: bool) -> K {
        if b {
            K::T
        } else {
            K::F
        }
    }
    fn not(self) -> K {
        match self {
            K::T => K::F,
            K::F => K::T,
            K::U => K::U,
        }
    }
}

/// What the report says about each scale, once its shape is checked.
#[derive(Clone, Copy, Debug)]
struct ScaleView {
    /// The exact value (from `raw_exact` when present), if scored.
    value: Option<Ratio>,
    score: Option<Ratio>,
    /// Band position in the plan, if any.
    band: u8,
    /// Complete and not prorated: conditions on the value are decided by the report.
    decided: bool,
}

/// What the reported scale values imply about an item: it was answered, with a scored value
/// in `[lo, hi]` (from a complete scale that contains it).
type ItemBound = Option<(i64, i64)>;

struct View<'a> {
    plan: &'a Plan,
    scales: Vec<ScaleView>,
    items: Vec<ItemBound>,
    /// Per plan flag: its verdict in the report (absent from the list: negative).
    flags: Vec<Verdict>,
    duration: Option<i64>,
}

impl View<'_> {
    fn cond(&self, c: &CondPlan, depth: usize) -> K {
        if depth > 256 {
            return K::U;
        }
        match c {
            CondPlan::Any(v) => {
                let mut out = K::F;
                for c in v {
                    match self.cond(c, depth + 1) {
                        K::T => return K::T,
                        K::U => out = K::U,
                        K::F => {}
                    }
                }
                out
            }
            CondPlan::All(v) => {
                let mut out = K::T;
                for c in v {
                    match self.cond(c, depth + 1) {
                        K::F => return K::F,
                        K::U => out = K::U,
                        K::T => {}
                    }
                }
                out
            }
            CondPlan::Not(c) => self.cond(c, depth + 1).not(),
            CondPlan::CountOf { of, op, value } => {
                let (mut t, mut u) = (0u32, 0u32);
                for c in of {
                    match self.cond(c, depth + 1) {
                        K::T => t += 1,
                        K::U => u += 1,
                        K::F => {}
                    }
                }
                let holds: Vec<bool> = (t..=t + u).map(|n| op.holds(n.cmp(value))).collect();
                if holds.iter().all(|h| *h) {
                    K::T
                } else if holds.iter().all(|h| !*h) {
                    K::F
                } else {
                    K::U
                }
            }
            CondPlan::Item { idx, op, value, on } => {
                let (Some(Some((lo, hi))), Some(it)) = (self.items.get(*idx), self.plan.items.get(*idx)) else {
                    return K::U;
                };
                let (mut any, mut all) = (false, true);
                for o in &it.options {
                    let v = i64::from(o.value);
                    if v < *lo || v > *hi {
                        continue;
                    }
                    let x = match on {
                        ItemBasis::Value => v,
                        ItemBasis::Code => o.code,
                    };
                    let h = op.holds(Ratio::int(x).cmp(value));
                    any |= h;
                    all &= h;
                }
                match (any, all) {
                    (true, true) => K::T,
                    (false, _) => K::F,
                    _ => K::U,
                }
            }
            CondPlan::ItemState { idx, state } => match self.items.get(*idx) {
                Some(Some(_)) => K::of(matches!(state, ItemStateKind::Answered)),
                _ => K::U,
            },
            CondPlan::Answered { items, op, value } => {
                if items.iter().all(|i| matches!(self.items.get(*i), Some(Some(_)))) {
                    K::of(op.holds((items.len() as u32).cmp(value)))
                } else {
                    K::U
                }
            }
            CondPlan::StraightLine { .. } => K::U,
            CondPlan::Scale { idx, op, value, basis } => {
                let Some(s) = self.scales.get(*idx) else { return K::U };
                if !s.decided {
                    return K::U;
                }
                let v = if *basis == BandBasis::Raw { s.value } else { s.score };
                match v {
                    Some(v) => K::of(op.holds(v.cmp(value))),
                    None => K::U,
                }
            }
            CondPlan::ScaleUnscored(idx) => match self.scales.get(*idx) {
                Some(s) if s.decided => K::of(s.value.is_none() || s.score.is_none()),
                _ => K::U,
            },
            CondPlan::Band { idx, op, index } => {
                let Some(s) = self.scales.get(*idx) else { return K::U };
                if !s.decided {
                    return K::U;
                }
                if s.band == NO_BAND {
                    return K::F;
                }
                match self.plan.scales.get(*idx).and_then(|sc| sc.bands.get(usize::from(s.band))) {
                    Some(b) => K::of(op.holds(b.index.cmp(index))),
                    None => K::U,
                }
            }
            CondPlan::Duration { op, value } => match self.duration {
                Some(d) => K::of(op.holds(Ratio::int(d).cmp(value))),
                None => K::U,
            },
            CondPlan::Flag(i) => match self.flags.get(*i) {
                Some(Verdict::Positive) => K::T,
                Some(Verdict::Negative) => K::F,
                _ => K::U,
            },
        }
    }
}

/// Bounds on the answered items' values that the complete scales imply (a sum at its maximum
/// means every item at its maximum, a count of 0 that no item meets the count's condition).
/// Two scales that imply disjoint bounds for one item make the report inconsistent.
fn item_bounds(plan: &Plan, views: &[ScaleView]) -> Result<Vec<ItemBound>> {
    let mut out: Vec<ItemBound> = vec![None; plan.items.len()];
    let mut narrow = |i: usize, lo: i64, hi: i64, scale: &str| -> Result<()> {
        let Some(slot) = out.get_mut(i) else { return Ok(()) };
        let (a, b) = match *slot {
            Some((a, b)) => (a.max(lo), b.min(hi)),
            None => (lo, hi),
        };
        if a > b {
            return Err(inconsistent(
                "/scales",
                format!(
                    "the reported scale values contradict each other: scale {scale} leaves item {} no possible answer",
                    plan.items.get(i).map_or(0, |it| it.number)
                ),
            ));
        }
        *slot = Some((a, b));
        Ok(())
    };
    for (sc, v) in plan.scales.iter().zip(views) {
        let (true, Some(value)) = (v.decided, v.value) else { continue };
        match &sc.agg {
            AggPlan::Sum(items) | AggPlan::Mean(items) => {
                let den = i128::from(sc.den.max(1));
                let total = i128::from(value.num()) * den / i128::from(value.den());
                // The complete sum's range is the sum of the items' ranges.
                let (smin, smax) = (i128::from(sc.sum_min), i128::from(sc.sum_max));
                for i in items {
                    let r = item_range(plan, *i);
                    let lo = (total - (smax - i128::from(r.1))).max(i128::from(r.0));
                    let hi = (total - (smin - i128::from(r.0))).min(i128::from(r.1));
                    let clamp = |x: i128| i64::try_from(x).unwrap_or(if x < 0 { i64::MIN } else { i64::MAX });
                    narrow(*i, clamp(lo), clamp(hi), &sc.id)?;
                }
            }
            AggPlan::Count(terms) => {
                let count = value.num();
                let all = i64::try_from(terms.len()).unwrap_or(i64::MAX);
                for t in terms {
                    let (i, op, k) = (t.idx, t.op, &t.value);
                    let Some(it) = plan.items.get(i) else { continue };
                    // Values the item can take given the count: all of them, or only those that
                    // fail (count 0) or meet (count n) the count's condition.
                    let (mut lo, mut hi) = (i64::MAX, i64::MIN);
                    for o in &it.options {
                        let x = i64::from(o.value);
                        let meets = op.holds(Ratio::int(x).cmp(k));
                        if (count == 0 && meets) || (count == all && !meets) {
                            continue;
                        }
                        lo = lo.min(x);
                        hi = hi.max(x);
                    }
                    if lo > hi {
                        return Err(inconsistent(
                            "/scales",
                            format!("scale {}: no answer to item {} fits a count of {count}", sc.id, it.number),
                        ));
                    }
                    narrow(i, lo, hi, &sc.id)?;
                }
            }
            AggPlan::SumOfScales(_) => {}
        }
    }
    Ok(out)
}

/// Whether a condition can depend on item `number` (directly, through scales, through flags).
fn reads_item(plan: &Plan, c: &CondPlan, number: u32, depth: usize) -> bool {
    if depth > 256 {
        return true;
    }
    let is = |i: &usize| plan.items.get(*i).is_some_and(|it| it.number == number);
    match c {
        CondPlan::Any(v) | CondPlan::All(v) => v.iter().any(|c| reads_item(plan, c, number, depth + 1)),
        CondPlan::CountOf { of, .. } => of.iter().any(|c| reads_item(plan, c, number, depth + 1)),
        CondPlan::Not(c) => reads_item(plan, c, number, depth + 1),
        // An item test also reads the items its skip logic (`asked_if`) reads: whether the item was
        // asked decides whether its absence is undecided (eval::undecided_items follows it too).
        CondPlan::Item { idx, .. } => {
            is(idx)
                || plan
                    .items
                    .get(*idx)
                    .and_then(|it| it.asked_if.as_ref())
                    .is_some_and(|a| reads_item(plan, a, number, depth + 1))
        }
        CondPlan::ItemState { idx, .. } => is(idx),
        CondPlan::Answered { items, .. } | CondPlan::StraightLine { items, .. } => items.iter().any(is),
        CondPlan::Scale { idx, .. } | CondPlan::ScaleUnscored(idx) | CondPlan::Band { idx, .. } => scale_reads(plan, *idx, number, depth + 1),
        CondPlan::Flag(i) => plan.flags.get(*i).is_some_and(|f| reads_item(plan, &f.cond, number, depth + 1)),
        CondPlan::Duration { .. } => false,
    }
}

fn scale_reads(plan: &Plan, si: usize, number: u32, depth: usize) -> bool {
    if depth > 256 {
        return true;
    }
    let Some(sc) = plan.scales.get(si) else { return false };
    match &sc.agg {
        AggPlan::Sum(_) | AggPlan::Mean(_) | AggPlan::Count(_) => {
            sc.agg.item_indices().iter().any(|i| plan.items.get(*i).is_some_and(|it| it.number == number))
        }
        AggPlan::SumOfScales(parts) => parts.iter().any(|j| scale_reads(plan, *j, number, depth + 1)),
    }
}

/// The least and greatest scored value of an item.
fn item_range(plan: &Plan, i: usize) -> (i64, i64) {
    let Some(it) = plan.items.get(i) else { return (0, 0) };
    let (mut lo, mut hi) = (i64::MAX, i64::MIN);
    for o in &it.options {
        lo = lo.min(i64::from(o.value));
        hi = hi.max(i64::from(o.value));
    }
    if lo > hi {
        (0, 0)
    } else {
        (lo, hi)
    }
}

/// Exact `a/b` from `"a/b"` or `"a"`.
fn parse_fraction(s: &str) -> Option<Ratio> {
    let (n, d) = match s.split_once('/') {
        Some((n, d)) => (n.trim().parse::<i64>().ok()?, d.trim().parse::<i64>().ok()?),
        None => (s.trim().parse::<i64>().ok()?, 1),
    };
    (d > 0).then(|| Ratio::new(n, d))
}

/// `v * k` is an integer in `[lo, hi]`.
fn integer_multiple_in(v: Ratio, k: i64, lo: i64, hi: i64) -> bool {
    let n = i128::from(v.num()) * i128::from(k);
    let d = i128::from(v.den());
    n % d == 0 && (i128::from(lo)..=i128::from(hi)).contains(&(n / d))
}

/// The items an indeterminate verdict names as deciding it: only with an indeterminate verdict,
/// among the items its rule reads, and no more than the report counts missing or refused.
/// An indeterminate verdict needs an unanswered item somewhere. Paths relative to the verdict.
fn undecided_items(verdict: Verdict, missing: &[u32], refused: &[u32], reads: impl Fn(u32) -> bool, r: &ScoreReport) -> Result<()> {
    if verdict != Verdict::Indeterminate {
        if !missing.is_empty() || !refused.is_empty() {
            return Err(inconsistent("/missing_items", format!("a {verdict} verdict names no undecided items")));
        }
        return Ok(());
    }
    if r.items.missing == 0 && r.items.refused == 0 {
        return Err(inconsistent(
            "/verdict",
            "every item is answered, so the verdict is decided (positive or negative), not indeterminate",
        ));
    }
    for (field, list, count) in [("missing_items", missing, r.items.missing), ("refused_items", refused, r.items.refused)] {
        if let Some(bad) = list.iter().find(|i| !reads(**i)) {
            return Err(inconsistent(format!("/{field}"), format!("item {bad} is not read by this rule")));
        }
        if list.len() as u64 > u64::from(count) {
            return Err(inconsistent(
                format!("/{field}"),
                format!("{} items named, but the report counts {count}", list.len()),
            ));
        }
    }
    Ok(())
}

fn show(v: Ratio) -> String {
    v.to_fraction_string()
}

impl Instrument {
    /// Check that `report` is a report this instrument (with its settings) could have produced:
    /// identity, shape, value ranges, bands, flags, screen verdict and validity (see the module
    /// documentation). Paths are JSON pointers into the report.
    ///
    /// ```
    /// use changkaixin_core::{Catalog, Response};
    /// let phq9 = Catalog::builtin().instrument("phq9").unwrap();
    /// let mut report = phq9.score(&Response::from_codes(&[Some(1); 9])).unwrap();
    /// assert!(phq9.verify_report(&report).is_ok());
    /// report.scales[0].raw = Some("99".parse().unwrap()); // edited by hand
    /// let err = phq9.verify_report(&report).unwrap_err();
    /// assert_eq!((err.code(), err.path()), ("evidence.out_of_range", "/scales/0/raw"));
    /// ```
    pub fn verify_report(&self, report: &ScoreReport) -> Result<()> {
        let plan = self.plan();
        let r = report;
        if r.instrument.id != self.id() {
            return Err(inconsistent(
                "/instrument/id",
                format!("the report is of instrument {}, not {}", echo(&r.instrument.id), self.id()),
            ));
        }
        if r.instrument.version != self.version() {
            return Err(Error::new(
                ErrorCode::EvidenceVersionMismatch,
                "/instrument/version",
                format!(
                    "the report was produced by {} version {}, this is version {}",
                    self.id(),
                    echo(&r.instrument.version),
                    self.version()
                ),
            ));
        }
        check_setting_names(self, &r.instrument.settings).map_err(|e| e.prefixed("/instrument"))?;
        for (k, v) in self.settings() {
            match r.instrument.settings.get(k) {
                None => {
                    return Err(inconsistent(
                        "/instrument/settings",
                        format!("the report does not say which option of setting {k} it was scored with"),
                    ))
                }
                Some(x) if x != v => {
                    return Err(inconsistent(
                        format!("/instrument/settings/{k}"),
                        format!("the report was scored with {k} = {x}, this instrument uses {k} = {v}"),
                    ))
                }
                Some(_) => {}
            }
        }

        // Item counts.
        let n_items = plan.items.len() as u64;
        let counted = u64::from(r.items.answered) + u64::from(r.items.missing) + u64::from(r.items.refused);
        if counted != n_items {
            return Err(inconsistent(
                "/items",
                format!("answered + missing + refused = {counted}, but {} has {n_items} items", self.id()),
            ));
        }
        if let Some(d) = r.duration_seconds {
            if d < 0 {
                return Err(out_of_range("/duration_seconds", "a completion time cannot be negative"));
            }
        }

        // Scales: shape, values, bands.
        if r.scales.len() != plan.scales.len() {
            return Err(inconsistent(
                "/scales",
                format!(
                    "{} reports {} scales ({}); the report has {}",
                    self.id(),
                    plan.scales.len(),
                    plan.scales.iter().map(|s| s.id.as_str()).collect::<Vec<_>>().join(", "),
                    r.scales.len()
                ),
            ));
        }
        let mut views: Vec<ScaleView> = Vec::with_capacity(plan.scales.len());
        for (si, (sc, rs)) in plan.scales.iter().zip(&r.scales).enumerate() {
            let v = verify_scale(plan, si, sc, rs, r, &views).map_err(|e| e.prefixed(&format!("/scales/{si}")))?;
            views.push(v);
        }

        // Flags: known, in spec order, at their level, items among the flag's items.
        let mut listed = vec![Verdict::Negative; plan.flags.len()];
        let mut last: Option<usize> = None;
        for (k, f) in r.flags.iter().enumerate() {
            let path = || format!("/flags/{k}");
            let Some(fi) = plan.flags.iter().position(|p| p.id == f.id) else {
                return Err(inconsistent(
                    format!("{}/id", path()),
                    format!(
                        "{} has no flag {} (flags: {})",
                        self.id(),
                        echo(&f.id),
                        plan.flags.iter().map(|f| f.id.as_str()).collect::<Vec<_>>().join(", ")
                    ),
                ));
            };
            if last.is_some_and(|l| fi <= l) {
                return Err(inconsistent(
                    format!("{}/id", path()),
                    format!("flag {} is listed twice or out of spec order", f.id),
                ));
            }
            last = Some(fi);
            if f.verdict == Verdict::Negative {
                return Err(inconsistent(
                    format!("{}/verdict", path()),
                    format!("flag {} is listed as negative; only positive and indeterminate flags are listed", f.id),
                ));
            }
            listed[fi] = f.verdict;
            let fp = &plan.flags[fi];
            if f.level != fp.level {
                return Err(inconsistent(
                    format!("{}/level", path()),
                    format!("flag {} has level {:?} in the spec, not {:?}", f.id, fp.level, f.level).to_lowercase(),
                ));
            }
            let reads = |n: u32| reads_item(plan, &fp.cond, n, 0);
            if let Some(bad) = f.items.iter().find(|i| !reads(**i)) {
                return Err(inconsistent(
                    format!("{}/items", path()),
                    format!("item {bad} is not read by flag {}'s rule", f.id),
                ));
            }
            undecided_items(f.verdict, &f.missing_items, &f.refused_items, reads, r).map_err(|e| e.prefixed(&path()))?;
        }
        let items = item_bounds(plan, &views)?;
        let view = View {
            plan,
            items,
            scales: views,
            flags: listed.clone(),
            duration: r.duration_seconds,
        };
        for (fi, fp) in plan.flags.iter().enumerate() {
            match (view.cond(&fp.cond, 0), listed[fi]) {
                (K::T, Verdict::Negative | Verdict::Indeterminate) => {
                    return Err(inconsistent(
                        "/flags",
                        format!("flag {} is positive: the reported scale values satisfy its rule", fp.id),
                    ))
                }
                (K::F, Verdict::Positive | Verdict::Indeterminate) => {
                    let k = r.flags.iter().position(|f| f.id == fp.id).unwrap_or(0);
                    return Err(inconsistent(
                        format!("/flags/{k}"),
                        format!("flag {} is negative: the reported scale values contradict its rule", fp.id),
                    ));
                }
                _ => {}
            }
        }

        // Screen verdict.
        match (&plan.screen_positive, &r.screen_positive) {
            (None, None) => {}
            (None, Some(_)) => {
                return Err(inconsistent("/screen_positive", format!("{} defines no screen-positive verdict", self.id())));
            }
            (Some(_), None) => {
                return Err(inconsistent(
                    "/screen_positive",
                    format!("{} defines a screen-positive verdict; the report has none", self.id()),
                ));
            }
            (Some(sp), Some(rsp)) => {
                match (view.cond(&sp.cond, 0), rsp.verdict) {
                    (K::T, Verdict::Negative | Verdict::Indeterminate) => {
                        return Err(inconsistent("/screen_positive/verdict", "the reported scale values make the screen positive"))
                    }
                    (K::F, Verdict::Positive | Verdict::Indeterminate) => {
                        return Err(inconsistent("/screen_positive/verdict", "the reported scale values make the screen negative"))
                    }
                    _ => {}
                }
                let reads = |n: u32| reads_item(plan, &sp.cond, n, 0);
                undecided_items(rsp.verdict, &rsp.missing_items, &rsp.refused_items, reads, r).map_err(|e| e.prefixed("/screen_positive"))?;
            }
        }

        // Validity: every reason a known rule (`<id>/validity/<rule>`) or a missing-data reason
        // of an unscored scale (`<id>/<scale>/missing`), each once, at its verdict.
        let mut worst = 0u8;
        let mut seen_rule = vec![false; plan.validity.len()];
        let mut seen_scale = vec![false; plan.scales.len()];
        for (k, reason) in r.validity.reasons.iter().enumerate() {
            let path = |field: &str| format!("/validity/reasons/{k}/{field}");
            let rest = reason.rule.strip_prefix(plan.id.as_str()).and_then(|x| x.strip_prefix('/'));
            let verdict = if let Some(vi) = rest
                .and_then(|x| x.strip_prefix("validity/"))
                .and_then(|id| plan.validity.iter().position(|v| v.id == id))
            {
                if std::mem::replace(&mut seen_rule[vi], true) {
                    return Err(inconsistent(path("rule"), format!("validity reason {} is listed twice", reason.rule)));
                }
                plan.validity[vi].verdict
            } else if let Some(si) = rest
                .and_then(|x| x.strip_suffix("/missing"))
                .and_then(|id| plan.scales.iter().position(|s| s.id == id))
            {
                if r.scales.get(si).is_some_and(|s| s.scored) {
                    return Err(inconsistent(
                        path("rule"),
                        format!("scale {} is scored, so it cannot be a missing-data reason", plan.scales[si].id),
                    ));
                }
                if std::mem::replace(&mut seen_scale[si], true) {
                    return Err(inconsistent(path("rule"), format!("validity reason {} is listed twice", reason.rule)));
                }
                ValidityVerdict::Incomplete
            } else {
                return Err(inconsistent(path("rule"), format!("{} has no validity rule {}", self.id(), echo(&reason.rule))));
            };
            if reason.verdict != verdict {
                return Err(inconsistent(
                    path("verdict"),
                    format!("rule {} has verdict {verdict:?} in the spec", reason.rule).to_lowercase(),
                ));
            }
            worst = worst.max(match verdict {
                ValidityVerdict::Note => 0,
                ValidityVerdict::Incomplete => 1,
                ValidityVerdict::Invalid => 2,
            });
        }
        for (si, s) in r.scales.iter().enumerate() {
            if !s.scored && !seen_scale.get(si).copied().unwrap_or(false) {
                return Err(inconsistent(
                    "/validity/reasons",
                    format!("scale {} (/scales/{si}) is unscored but no validity reason says so", s.id),
                ));
            }
        }
        for (vi, v) in plan.validity.iter().enumerate() {
            match (view.cond(&v.cond, 0), seen_rule[vi]) {
                (K::T, false) => {
                    return Err(inconsistent(
                        "/validity/reasons",
                        format!("validity rule {} holds for the reported scale values but is not listed", v.id),
                    ))
                }
                (K::F, true) => {
                    return Err(inconsistent(
                        "/validity/reasons",
                        format!("validity rule {} is listed but the reported scale values contradict it", v.id),
                    ))
                }
                _ => {}
            }
        }
        let expected = match worst {
            0 => ValidityStatus::Valid,
            1 => ValidityStatus::Incomplete,
            _ => ValidityStatus::Invalid,
        };
        if r.validity.status != expected {
            return Err(inconsistent(
                "/validity/status",
                format!("the reasons make the report {expected:?}, not {:?}", r.validity.status).to_lowercase(),
            ));
        }
        Ok(())
    }
}

/// Check one scale (paths relative to `/scales/<i>`); `done` holds the views of earlier scales.
fn verify_scale(plan: &Plan, si: usize, sc: &ScalePlan, rs: &ScaleResult, r: &ScoreReport, done: &[ScaleView]) -> Result<ScaleView> {
    if rs.id != sc.id {
        return Err(inconsistent(
            "/id",
            format!("scale {} of the spec (position {si}) is reported as {}", sc.id, echo(&rs.id)),
        ));
    }
    let id = &sc.id;
    if rs.of != sc.n {
        return Err(inconsistent("/of", format!("scale {id} has {} items or parts, not {}", sc.n, rs.of)));
    }
    if rs.answered > rs.of {
        return Err(inconsistent("/answered", format!("scale {id}: {} answered of {}", rs.answered, rs.of)));
    }
    let complete = rs.answered == rs.of;
    match &sc.agg {
        AggPlan::SumOfScales(parts) => {
            let scored = parts.iter().filter(|j| done.get(**j).is_some_and(|v| v.value.is_some())).count() as u32;
            if rs.answered != scored {
                return Err(inconsistent(
                    "/answered",
                    format!("scale {id} sums {} scales of which {scored} are scored, not {}", parts.len(), rs.answered),
                ));
            }
        }
        _ => {
            let unanswered = u64::from(r.items.missing) + u64::from(r.items.refused);
            if rs.answered > r.items.answered || u64::from(rs.of - rs.answered) > unanswered {
                return Err(inconsistent(
                    "/answered",
                    format!(
                        "scale {id}: {} of {} answered does not fit the item counts ({} answered, {unanswered} not)",
                        rs.answered, rs.of, r.items.answered
                    ),
                ));
            }
        }
    }

    // Whether the missing-data rule allows a value with this many answered.
    let allowed = |answered: u32| -> (bool, bool) {
        // (scored, prorated)
        if answered == sc.n {
            return (true, false);
        }
        if answered == 0 {
            return (false, false);
        }
        if matches!(sc.agg, AggPlan::SumOfScales(_)) {
            return (false, false);
        }
        match sc.missing {
            MissingPlan::RequireAll => (false, false),
            MissingPlan::Prorate { min_answered, .. } => (answered >= min_answered, answered >= min_answered),
            MissingPlan::SumAnswered { max_missing } => (sc.n - answered <= max_missing, false),
            MissingPlan::MeanOfAnswered { min_answered } => (answered >= min_answered, false),
        }
    };
    let (scored, prorated) = allowed(rs.answered);
    if rs.scored != scored {
        return Err(inconsistent(
            "/scored",
            format!(
                "scale {id} with {} of {} answered {} by its missing-data rule",
                rs.answered,
                rs.of,
                if scored { "must be scored" } else { "cannot be scored" }
            ),
        ));
    }
    if rs.prorated != prorated {
        return Err(inconsistent(
            "/prorated",
            format!(
                "scale {id} with {} of {} answered is {}prorated by its missing-data rule",
                rs.answered,
                rs.of,
                if prorated { "" } else { "not " }
            ),
        ));
    }
    if rs.unscored_reason.is_some() == scored {
        return Err(inconsistent(
            "/unscored_reason",
            if scored {
                format!("scale {id} is scored, so it has no unscored reason")
            } else {
                format!("scale {id} is unscored and must say why")
            },
        ));
    }
    if !scored {
        for (field, present) in [
            ("raw", rs.raw.is_some()),
            ("raw_exact", rs.raw_exact.is_some()),
            ("score", rs.score.is_some()),
            ("band", rs.band.is_some()),
        ] {
            if present {
                return Err(inconsistent(format!("/{field}"), format!("scale {id} is unscored, so it has no {field}")));
            }
        }
        return Ok(ScaleView {
            value: None,
            score: None,
            band: NO_BAND,
            decided: complete,
        });
    }

    // The value.
    let Some(raw) = rs.raw else {
        return Err(inconsistent("/raw", format!("scale {id} is scored but has no raw value")));
    };
    if raw.0.scale() > sc.decimals {
        return Err(inconsistent("/raw", format!("scale {id} reports {} decimals; {raw} has more", sc.decimals)));
    }
    let value = match &rs.raw_exact {
        Some(text) => {
            let Some(exact) = parse_fraction(text) else {
                return Err(inconsistent("/raw_exact", format!("{} is not a fraction a/b", echo(text))));
            };
            if exact.exact_at(sc.decimals) {
                return Err(inconsistent(
                    "/raw_exact",
                    format!("{text} is exact at {} decimals, so the report gives no raw_exact for it", sc.decimals),
                ));
            }
            if exact.round_to_dec(sc.decimals, sc.rounding) != raw {
                return Err(inconsistent("/raw", format!("raw {raw} is not the rounding of raw_exact {text}")));
            }
            exact
        }
        None => match raw.to_ratio() {
            Some(r) => r,
            None => {
                return Err(inconsistent(
                    "/raw",
                    format!("scale {id}: raw {} is beyond the range the engine computes in", echo(&raw.to_string())),
                ))
            }
        },
    };
    let den = sc.den.max(1);
    let item_indices = sc.agg.item_indices(); // empty for a composite
    let items: &[usize] = &item_indices;
    let range_msg = |lo: Ratio, hi: Ratio| format!("scale {id}: {raw} is outside the range {} to {} it can take", show(lo), show(hi));
    if complete {
        if !integer_multiple_in(value, den, sc.sum_min, sc.sum_max) {
            return Err(out_of_range(
                "/raw",
                if (Ratio::new(sc.sum_min, den)..=Ratio::new(sc.sum_max, den)).contains(&value) {
                    format!("scale {id}: {raw} is not a value the scale can take (a multiple of 1/{den})")
                } else {
                    range_msg(Ratio::new(sc.sum_min, den), Ratio::new(sc.sum_max, den))
                },
            ));
        }
        if let AggPlan::SumOfScales(parts) = &sc.agg {
            // Composites sum integer-valued scales (lint), as the engine does.
            let sum = Ratio::int(
                parts
                    .iter()
                    .filter_map(|j| done.get(*j).and_then(|v| v.value))
                    .fold(0i64, |a, v| a.saturating_add(v.num())),
            );
            if value != sum {
                return Err(inconsistent("/raw", format!("scale {id} is the sum of its scales, {}, not {raw}", show(sum))));
            }
        }
    } else {
        // Partial data: bounds from the items' ranges.
        let ranges: Vec<(i64, i64)> = items.iter().map(|i| item_range(plan, *i)).collect();
        let n = i64::from(sc.n);
        let (lo, hi) = match (&sc.agg, sc.missing) {
            (AggPlan::Count(..), _) => (Ratio::int(0), Ratio::int(if prorated { n } else { i64::from(rs.answered) })),
            (_, MissingPlan::Prorate { .. }) => {
                let lo = ranges.iter().map(|r| r.0).min().unwrap_or(0).saturating_mul(n);
                let hi = ranges.iter().map(|r| r.1).max().unwrap_or(0).saturating_mul(n);
                (Ratio::new(lo, den), Ratio::new(hi, den))
            }
            (AggPlan::Mean(_), _) => (
                Ratio::int(ranges.iter().map(|r| r.0).min().unwrap_or(0)),
                Ratio::int(ranges.iter().map(|r| r.1).max().unwrap_or(0)),
            ),
            _ => (
                Ratio::int(ranges.iter().map(|r| r.0.min(0)).sum()),
                Ratio::int(ranges.iter().map(|r| r.1.max(0)).sum()),
            ),
        };
        if value < lo || value > hi {
            return Err(out_of_range("/raw", range_msg(lo, hi)));
        }
    }

    // The standard score.
    let score = match &sc.norms {
        None => {
            if rs.score != Some(raw) {
                return Err(inconsistent("/score", format!("scale {id} has no norms, so its score is its raw value {raw}")));
            }
            Some(value)
        }
        Some(norms) => {
            let slot = value
                .is_integer()
                .then(|| value.num().checked_sub(norms.raw_min).and_then(|s| usize::try_from(s).ok()))
                .flatten();
            match (slot, rs.score) {
                (None, None) => None,
                (None, Some(_)) => {
                    return Err(inconsistent("/score", format!("scale {id}: a non-integer raw value has no standard score")));
                }
                (Some(_), None) => {
                    return Err(inconsistent("/score", format!("scale {id} has norms, so raw {raw} has a standard score")));
                }
                (Some(slot), Some(s)) => {
                    if !norms.groups.iter().any(|g| g.scores.get(slot) == Some(&s)) {
                        return Err(inconsistent(
                            "/score",
                            format!("no norm table of scale {id} maps raw {raw} to standard score {s}"),
                        ));
                    }
                    // `s` equals a compiled norm score, and those all convert (checked at compile).
                    s.to_ratio()
                }
            }
        }
    };

    // The band, looked up again.
    let pos = if sc.bands.is_empty() {
        NO_BAND
    } else {
        match sc.bands_on {
            BandBasis::Raw => band_pos(&sc.bands, value),
            BandBasis::Score => score.map_or(NO_BAND, |s| band_pos(&sc.bands, s)),
        }
    };
    match (sc.bands.get(usize::from(pos)), &rs.band) {
        (None, None) => {}
        (None, Some(b)) => {
            return Err(inconsistent(
                "/band",
                format!("scale {id}: {raw} falls in no band, but the report says {}", echo(&b.id)),
            ));
        }
        (Some(want), None) => {
            return Err(inconsistent(
                "/band",
                format!("scale {id}: {raw} falls in band {}; the report has none", want.id),
            ));
        }
        (Some(want), Some(b)) => {
            if b.id != want.id || b.index != want.index || b.severity != want.severity {
                return Err(inconsistent(
                    "/band",
                    format!(
                        "scale {id}: {raw} falls in band {} (index {}), not {} (index {})",
                        want.id,
                        want.index,
                        echo(&b.id),
                        b.index
                    ),
                ));
            }
        }
    }
    Ok(ScaleView {
        value: Some(value),
        score,
        band: pos,
        decided: complete && !prorated,
    })
}

/// Verify that a value lies in `[lo, hi]` (either bound optional); used for external instruments.
pub(crate) fn within(v: Dec, lo: Option<Dec>, hi: Option<Dec>) -> bool {
    lo.is_none_or(|lo| v >= lo) && hi.is_none_or(|hi| v <= hi)
}
