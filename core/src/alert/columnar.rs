//! Whole cities from columns: batch columns of several instruments and per-student event
//! tables in, a tier column out — no per-student `StudentEvidence`, `ScoreReport` or string.
//!
//! The row paths ([`crate::alert::evaluate`], [`crate::alert::evaluate_batch`]) take one
//! evidence document per student. A city screening round already has its answers in columns
//! (one [`crate::BatchInput`] per instrument); building four full score reports per student
//! only for the alert engine to verify and reduce them again costs far more than the scoring
//! and the rules. This entry reduces the columns straight into the engine's per-student buffers
//! and runs the same rule evaluation, hysteresis and obligation code as the row paths, so it
//! makes **exactly the decisions of the row path** on the evidence
//! [`CohortColumns::student_evidence`] rebuilds for a row (tests/tests/alert_columnar.rs
//! proves it over generated cohorts: tier, rules' tier, change, hold reason, fired rules,
//! every obligation and its due time).
//!
//! **What is trusted, what is verified.** Screening columns of a catalog instrument are made
//! only by the engine: [`ScreeningColumns::score`] scores the answers with the instrument and
//! version the policy's catalog holds (as the row path scores evidence that carries answers),
//! and the columns cannot be changed afterwards (the fields are private; [`ScreeningColumns::columns`]
//! lends them read-only). They need no re-verification. Everything that crosses from outside is
//! verified when it enters: columns of an instrument the policy declares external (the licensed
//! MHT key, scored by the platform) are checked against the declaration
//! ([`ScreeningColumns::external`]: declared scales and flags only, values within the declared
//! range, bands among the declared ones at their position, no valid row with an unscored scale —
//! the checks `CompiledPolicy::verify_report` makes of one external report); event tables,
//! special periods and previous tiers are checked when added to a [`CohortColumns`] (codes
//! within the policy's vocabularies and tiers, people with a policy role, dates representable,
//! periods that end after they start, tables sorted by student). A cohort is tied to the policy
//! it was built for.
//!
//! **Out.** [`evaluate_columns`] returns [`ColumnarTiers`]: per row the tier code (`u8`: the
//! tier's index in the policy, lowest first — for the Changzhou default 0 `none`, 1 `watch`,
//! 2 `key`, 3 `crisis`; [`REFUSED`] for a row whose evidence is refused), the rules' tier, the
//! change, the hold reason and the fired-rule set ([`RuleSet`], policy rule order), tier counts,
//! and every due obligation as columns (row, obligation index into the legend, due time).
//! Full explained decisions are built only for the rows someone opens:
//! [`CohortColumns::decide`] gives row `i`'s [`AlertDecision`], identical to
//! [`crate::alert::evaluate`] on [`CohortColumns::student_evidence`]`(i)`.
//!
//! Not carried by columns (use the row path for such students): reviews, completed actions,
//! a previous tier's `raised_by` / reason / confirmer, evidence ids.
//!
//! ```
//! use changkaixin_core::alert::columnar::{evaluate_columns, CohortColumns, ScreeningColumns, Times};
//! use changkaixin_core::alert::{CompiledPolicy, Timestamp};
//! use changkaixin_core::scoring::report::InstrumentRef;
//! use changkaixin_core::BatchInput;
//! # fn main() -> changkaixin_core::Result<()> {
//! let policy = CompiledPolicy::changzhou_default()?;
//! let phq9 = InstrumentRef { id: "phq9".into(), version: "1.0.0".into(), settings: Default::default() };
//! // two students × 10 PHQ-9 items, -1 = missing; the second endorses item 9
//! let codes: Vec<i8> = vec![0,0,0,0,0,0,0,0,0,0,  1,1,1,1,1,1,1,1,1,0];
//! let at = Timestamp::parse("2024-03-04T08:00:00Z")?;
//! let screened = Timestamp::parse("2024-03-01T08:00:00Z")?;
//! let cohort = CohortColumns::new(policy, 2)
//!     .with_screening(ScreeningColumns::score(policy, &phq9, BatchInput::new(&codes, 10, -1), Times::Same(screened.unix()))?)?;
//! let out = evaluate_columns(policy, &cohort, at)?;
//! assert_eq!(out.tier, vec![0, 2]); // none, key (key.phq_item9)
//! assert!(out.rules[1].contains(out.rule_ids.iter().position(|r| r == "key.phq_item9").unwrap()));
//! let full = cohort.decide(policy, 1, at)?; // the explained decision, only for the row opened
//! assert_eq!(full.tier.id, "key");
//! # Ok(()) }
//! ```

use crate::alert::batch::{obligation_legend, BatchError, ObligationInfo, TierCount};
use crate::alert::datetime::Timestamp;
use crate::alert::decision::{AlertDecision, Change, HoldReason, PolicyRef};
use crate::alert::engine::{evaluate, Evaluator, RuleSet, TierOutcome};
use crate::alert::evidence::{
    slot_score, AgencyNotice, ClinicalNotice, Dated, LifeEvent, Observation, PScreening, Person, Prepared, PreviousTier, Screening, SpecialPeriod,
    StudentEvidence, NO_BAND,
};
use crate::alert::policy::{
    instrument_channel, CompiledPolicy, ExternalInstrument, NoticeSeverity, ANY_INSTRUMENT, CH_AGENCY, CH_ANY_SCREENING, CH_CLINICAL, CH_LIFE_EVENT,
    CH_OBSERVATION, CH_PREVIOUS, NO_SCREEN,
};
use crate::decimal::Dec;
use crate::error::{Error, ErrorCode, Result};
use crate::instrument::spec::{FlagLevel, Localized, Severity};
use crate::instrument::Instrument;
use crate::scoring::batch::{BatchColumns, BatchInput, Code, UNSCORED};
use crate::scoring::report::{
    Answer, BandResult, FlagResult, InstrumentRef, ItemCounts, Response, ScaleResult, ScoreReport, ScreenPositiveResult, Validity, ValidityStatus, Verdict,
};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// Tier code of a row whose evidence was refused (see [`ColumnarTiers::errors`]); also "no
/// previous tier" in [`PreviousColumns::tier`].
pub const REFUSED: u8 = u8::MAX;
/// "No previous tier" in [`PreviousColumns::tier`].
pub const NO_TIER: u8 = u8::MAX;
/// "Nobody recorded" in [`LifeEventColumns::reported_by`].
pub const NO_PERSON: u32 = u32::MAX;

/// The earliest and latest second a [`Timestamp`] represents (0000-01-01 to 9999-12-31).
const MIN_SECS: i64 = -62_167_219_200;
const MAX_SECS: i64 = 253_402_300_799;

fn bad(code: ErrorCode, path: impl Into<String>, msg: impl Into<String>) -> Error {
    Error::new(code, path, msg)
}

fn check_time(t: i64, path: impl FnOnce() -> String) -> Result<()> {
    if (MIN_SECS..=MAX_SECS).contains(&t) {
        Ok(())
    } else {
        Err(bad(
            ErrorCode::EvidenceInvalid,
            path(),
            format!("{t} is not a time between 0000-01-01 and 9999-12-31 (unix seconds)"),
        ))
    }
}

fn ts(t: i64) -> String {
    Timestamp::from_unix(t).to_string()
}

/// When the screenings of a batch were completed (unix seconds).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Times {
    /// Every row at the same time (a screening round).
    Same(i64),
    /// One time per row.
    PerRow(Vec<i64>),
}

impl Times {
    fn get(&self, row: usize) -> i64 {
        match self {
            Times::Same(t) => *t,
            Times::PerRow(v) => v.get(row).copied().unwrap_or(0),
        }
    }
}

/// The answers behind engine-scored columns, kept (borrowed) to rebuild a row's evidence.
trait RowAnswers: Send + Sync {
    /// Row `row`'s answers as a [`Response`], completed at `at`.
    fn response(&self, row: usize, at: i64) -> Response;
}

struct Answers<'a, T: Code> {
    input: BatchInput<'a, T>,
    /// Answer keys (item numbers) in item order.
    keys: Vec<String>,
}

impl<T: Code> RowAnswers for Answers<'_, T> {
    fn response(&self, row: usize, at: i64) -> Response {
        let n = self.keys.len();
        let cells = self.input.codes.get(row * n..(row + 1) * n).unwrap_or(&[]);
        let mut r = Response::default();
        for (k, (&c, key)) in cells.iter().zip(&self.keys).enumerate() {
            let a = if c == self.input.missing {
                Answer::Missing
            } else if Some(c) == self.input.refused {
                Answer::Refused
            } else {
                let code = c.to_i64();
                // The batch already decoded every cell through the code map (a bad one fails the batch).
                Answer::Code(self.input.code_map.map_or(code, |m| m.apply(k, code).unwrap_or(code)))
            };
            r.answers.insert(key.clone(), a);
        }
        if let Some(g) = self.input.groups {
            if let Some(key) = g.row_group.get(row).and_then(|gi| g.groups.get(*gi as usize)) {
                r.group.clone_from(key);
            }
        }
        if let Some(d) = self.input.durations.and_then(|d| d.get(row)).filter(|d| **d >= 0) {
            r.started_at = Some(ts(at.saturating_sub(*d)));
            r.finished_at = Some(ts(at));
        }
        r
    }
}

enum Origin<'a> {
    /// Scored by the engine from these answers.
    Scored {
        instrument: Instrument,
        answers: Box<dyn RowAnswers + 'a>,
    },
    /// Scored by the platform (an external instrument), verified against the policy's declaration.
    External {
        /// Per column scale, per band index: the band's severity.
        severities: Vec<Vec<Severity>>,
        /// Per column flag: its declared level.
        levels: Vec<FlagLevel>,
    },
}

/// One instrument's screening columns for a cohort: engine-scored answers
/// ([`ScreeningColumns::score`]) or verified columns of an external instrument
/// ([`ScreeningColumns::external`]). Read-only once made.
pub struct ScreeningColumns<'a> {
    instrument: InstrumentRef,
    policy: u64,
    /// The policy's index of the instrument (or `ANY_INSTRUMENT` when no rule names it).
    inst: u16,
    columns: BatchColumns,
    at: Times,
    student: Option<Vec<u32>>,
    origin: Origin<'a>,
    /// Per column flag: level + 1.
    flag_level1: Vec<u8>,
    /// Per column flag: its bit in the policy's flag mask of the instrument.
    flag_bit: Vec<Option<u8>>,
    /// Per column scale, per band index: severity + 1.
    band_sev1: Vec<Vec<u8>>,
    /// Per policy scale of the instrument: the column scale, and whether a rule compares its score.
    slots: Vec<(Option<usize>, bool)>,
}

impl std::fmt::Debug for ScreeningColumns<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScreeningColumns")
            .field("instrument", &self.instrument)
            .field("rows", &self.columns.n_rows)
            .field("external", &matches!(self.origin, Origin::External { .. }))
            .finish_non_exhaustive()
    }
}

impl<'a> ScreeningColumns<'a> {
    /// Score a batch of answers with the instrument (id, version, settings) from the catalog the
    /// policy was compiled against — as the row path scores a screening given as answers — into
    /// columns the alert engine trusts. The answers are borrowed to rebuild a row's evidence on
    /// request ([`CohortColumns::student_evidence`]). Errors: those of
    /// `CompiledPolicy::score_screening` for the reference (`evidence.unknown_instrument` —
    /// also for an external instrument, whose key the engine does not hold —,
    /// `evidence.version_mismatch`, `evidence.unknown_setting`) and of
    /// [`Instrument::score_batch`] for the answers (`batch.*`, `score.*`); a `PerRow` times
    /// column of another length is `batch.shape`.
    pub fn score<T: Code>(policy: &CompiledPolicy, instrument: &InstrumentRef, input: BatchInput<'a, T>, at: Times) -> Result<ScreeningColumns<'a>> {
        if policy.external_instrument(&instrument.id).is_some() {
            return Err(bad(
                ErrorCode::EvidenceUnknownInstrument,
                "/instrument/id",
                format!(
                    "{} is an external instrument: the engine holds no key to score its answers; give the platform's columns (ScreeningColumns::external)",
                    crate::error::excerpt(&instrument.id)
                ),
            ));
        }
        let inst = policy.instrument_for(instrument).map_err(|e| e.prefixed("/instrument"))?;
        let columns = inst.score_batch(&input)?;
        let plan = inst.plan();
        let keys = plan.items.iter().map(|i| i.number.to_string()).collect();
        let flag_levels: Vec<FlagLevel> = plan.flags.iter().map(|f| f.level).collect();
        let severities: Vec<Vec<Severity>> = plan
            .scales
            .iter()
            .map(|s| {
                let mut v = vec![Severity::None; s.bands.len()];
                for b in &s.bands {
                    if let Some(x) = v.get_mut(b.index as usize) {
                        *x = b.severity;
                    }
                }
                v
            })
            .collect();
        let mut out: ScreeningColumns<'a> = ScreeningColumns::assemble(policy, instrument.clone(), columns, at, &flag_levels, &severities)?;
        out.origin = Origin::Scored {
            instrument: inst,
            answers: Box::new(Answers { input, keys }),
        };
        Ok(out)
    }

    /// Columns of an instrument the policy declares external (scored by the platform with its
    /// licensed key), verified against the declaration before use — the checks the row path
    /// makes of each external report (`CompiledPolicy::verify_report`), made once per column
    /// and per row: the declared version (when the declaration names one); only declared scales,
    /// each once, raw and score within the declared `min`/`max`; band ids at their declared
    /// position (an unscored scale has no band); only declared flags, each once (their level is
    /// the declared one); no row valid with an unscored scale. `band_severity[k][b]` is the
    /// severity of band index `b` of column scale `k` (columns do not carry it; the report
    /// would). Errors: `evidence.unknown_instrument` (not declared external),
    /// `evidence.version_mismatch`, `evidence.out_of_range` (`/rows/17/scales/0/raw`),
    /// `evidence.report_inconsistent`, `batch.shape`.
    pub fn external(
        policy: &CompiledPolicy,
        instrument: &InstrumentRef,
        columns: BatchColumns,
        band_severity: &[Vec<Severity>],
        at: Times,
    ) -> Result<ScreeningColumns<'static>> {
        let Some(decl) = policy.external_instrument(&instrument.id) else {
            return Err(bad(
                ErrorCode::EvidenceUnknownInstrument,
                "/instrument/id",
                format!(
                    "{} is not an instrument the policy declares external; score catalog instruments with ScreeningColumns::score",
                    crate::error::excerpt(&instrument.id)
                ),
            ));
        };
        let levels = verify_external_columns(decl, instrument, &columns, band_severity)?;
        let mut out = ScreeningColumns::assemble(policy, instrument.clone(), columns, at, &levels, band_severity)?;
        out.origin = Origin::External {
            severities: band_severity.to_vec(),
            levels,
        };
        Ok(out)
    }

    fn assemble(
        policy: &CompiledPolicy,
        instrument: InstrumentRef,
        columns: BatchColumns,
        at: Times,
        flag_levels: &[FlagLevel],
        severities: &[Vec<Severity>],
    ) -> Result<ScreeningColumns<'static>> {
        let n = columns.n_rows;
        let lengths_ok = columns.flags.len() == n
            && columns.flags_indeterminate.len() == n
            && columns.validity.len() == n
            && (columns.screen.is_empty() || columns.screen.len() == n)
            && columns.flag_ids.len() == flag_levels.len()
            && columns.flag_ids.len() <= 64
            && columns.scales.len() == severities.len()
            && columns
                .scales
                .iter()
                .all(|s| s.raw.len() == n && s.score.len() == n && s.band.len() == n && s.answered.len() == n && s.prorated.len() == n);
        if !lengths_ok {
            return Err(bad(ErrorCode::BatchShape, "/columns", format!("the columns do not all have {n} rows")));
        }
        match &at {
            Times::PerRow(v) if v.len() != n => return Err(bad(ErrorCode::BatchShape, "/at", format!("{} times for {n} rows", v.len()))),
            Times::PerRow(v) => {
                for (r, t) in v.iter().enumerate() {
                    check_time(*t, || format!("/at/{r}"))?;
                }
            }
            Times::Same(t) => check_time(*t, || "/at".to_owned())?,
        }
        for (r, &v) in columns.validity.iter().enumerate() {
            if v > 2 {
                return Err(bad(
                    ErrorCode::EvidenceReportInconsistent,
                    format!("/rows/{r}/validity"),
                    format!("validity code {v} (0, 1 or 2)"),
                ));
            }
        }
        for (r, &v) in columns.screen.iter().enumerate() {
            if v > 2 {
                return Err(bad(
                    ErrorCode::EvidenceReportInconsistent,
                    format!("/rows/{r}/screen"),
                    format!("screen verdict code {v} (0, 1 or 2)"),
                ));
            }
        }
        let inst = policy.instrument_index(&instrument.id);
        let ci = policy.instruments.get(usize::from(inst)).filter(|_| inst != ANY_INSTRUMENT);
        let flag_bit = columns
            .flag_ids
            .iter()
            .map(|id| ci.and_then(|ci| ci.flags.iter().position(|(x, _)| x == id)).and_then(|b| u8::try_from(b).ok()))
            .collect();
        let slots = ci.map_or_else(Vec::new, |ci| {
            ci.scales
                .iter()
                .map(|cs| (columns.scales.iter().position(|s| s.id == cs.id), cs.needs_score))
                .collect()
        });
        let band_sev1 = severities.iter().map(|v| v.iter().map(|s| *s as u8 + 1).collect()).collect();
        Ok(ScreeningColumns {
            instrument,
            policy: policy.fingerprint,
            inst,
            flag_level1: flag_levels.iter().map(|l| *l as u8 + 1).collect(),
            flag_bit,
            band_sev1,
            slots,
            columns,
            at,
            student: None,
            origin: Origin::External {
                severities: Vec::new(),
                levels: Vec::new(),
            },
        })
    }

    /// Give the batch's rows to students other than rows `0..n`: `student[j]` is the cohort row
    /// of batch row `j`, ascending (a student may have several rows). Errors (`batch.shape`):
    /// another length, or not ascending.
    pub fn for_students(mut self, student: Vec<u32>) -> Result<ScreeningColumns<'a>> {
        if student.len() != self.columns.n_rows {
            return Err(bad(
                ErrorCode::BatchShape,
                "/student",
                format!("{} students for {} rows", student.len(), self.columns.n_rows),
            ));
        }
        if let Some(j) = student.windows(2).position(|w| w[0] > w[1]) {
            return Err(bad(ErrorCode::BatchShape, format!("/student/{}", j + 1), "student indices must be ascending"));
        }
        self.student = Some(student);
        Ok(self)
    }

    /// The columns (read-only: what the engine scored or verified).
    pub fn columns(&self) -> &BatchColumns {
        &self.columns
    }

    /// The instrument reference.
    pub fn instrument(&self) -> &InstrumentRef {
        &self.instrument
    }

    /// Batch row `j` as a screening of the row path: the answers (engine-scored columns) or
    /// the report the columns say (external columns).
    fn screening(&self, j: usize) -> Screening {
        let at = self.at.get(j);
        match &self.origin {
            Origin::Scored { answers, .. } => Screening::from_answers(None, ts(at), self.instrument.clone(), answers.response(j, at)),
            Origin::External { severities, levels } => Screening::from_report(None, ts(at), self.external_report(j, severities, levels)),
        }
    }

    /// The report external columns say for row `j` (what the platform would have sent).
    fn external_report(&self, j: usize, severities: &[Vec<Severity>], levels: &[FlagLevel]) -> ScoreReport {
        let c = &self.columns;
        let scales = (0..c.scales.len()).map(|k| external_scale(c, k, j, severities)).collect();
        let mut flags = Vec::new();
        for (b, id) in c.flag_ids.iter().enumerate() {
            let verdict = if c.flags[j] >> b & 1 == 1 {
                Verdict::Positive
            } else if c.flags_indeterminate[j] >> b & 1 == 1 {
                Verdict::Indeterminate
            } else {
                continue;
            };
            flags.push(FlagResult {
                id: id.clone(),
                verdict,
                level: levels.get(b).copied().unwrap_or(FlagLevel::Info),
                label: Localized::default(),
                reason: Localized::default(),
                items: Vec::new(),
                missing_items: Vec::new(),
                refused_items: Vec::new(),
                evidence: Vec::new(),
                source: String::new(),
            });
        }
        ScoreReport {
            instrument: self.instrument.clone(),
            validity: Validity {
                status: match c.validity[j] {
                    0 => ValidityStatus::Valid,
                    1 => ValidityStatus::Incomplete,
                    _ => ValidityStatus::Invalid,
                },
                reasons: Vec::new(),
            },
            items: ItemCounts {
                answered: 0,
                missing: 0,
                refused: 0,
            },
            duration_seconds: None,
            scales,
            flags,
            screen_positive: c.screen.get(j).map(|v| ScreenPositiveResult {
                verdict: Verdict::from_code(*v).unwrap_or(Verdict::Indeterminate),
                missing_items: Vec::new(),
                refused_items: Vec::new(),
                reason: Localized::default(),
                evidence: Vec::new(),
                source: String::new(),
            }),
        }
    }

    /// Reduce batch row `j` into the evaluator's buffers (what `Prepared::fill` makes of the
    /// same screening). `pos` is the screening's position in the student's evidence.
    fn push_row(&self, j: usize, pos: usize, p: &mut Prepared, latest: &mut Option<(i64, Dated)>) -> Result<()> {
        let c = &self.columns;
        let t = self.at.get(j);
        if latest.is_none_or(|(l, _)| t > l) {
            *latest = Some((t, Dated::Screening(pos)));
        }
        let mut s = PScreening {
            inst: self.inst,
            at: t,
            validity: c.validity[j],
            screen: c.screen.get(j).map_or(NO_SCREEN, |v| 1u8 << v),
            max_flag: 0,
            max_flag_ind: 0,
            max_severity: 0,
            flags: 0,
            flags_ind: 0,
            slot: p.slot_band.len() as u32,
        };
        for (k, col) in c.scales.iter().enumerate() {
            if let Ok(b) = usize::try_from(col.band[j]) {
                let sev = self.band_sev1.get(k).and_then(|v| v.get(b)).copied().unwrap_or(1);
                s.max_severity = s.max_severity.max(sev);
            }
        }
        let mut bits = c.flags[j];
        while bits != 0 {
            let b = bits.trailing_zeros() as usize;
            bits &= bits - 1;
            s.max_flag = s.max_flag.max(self.flag_level1.get(b).copied().unwrap_or(0));
            if let Some(Some(pb)) = self.flag_bit.get(b) {
                s.flags |= 1u64 << pb;
            }
        }
        let mut bits = c.flags_indeterminate[j];
        while bits != 0 {
            let b = bits.trailing_zeros() as usize;
            bits &= bits - 1;
            s.max_flag_ind = s.max_flag_ind.max(self.flag_level1.get(b).copied().unwrap_or(0));
            if let Some(Some(pb)) = self.flag_bit.get(b) {
                s.flags_ind |= 1u64 << pb;
            }
        }
        let mut report = None;
        for &(col, needs_score) in &self.slots {
            let sc = col.and_then(|k| c.scales.get(k)).filter(|sc| sc.raw[j] != UNSCORED);
            p.slot_band.push(sc.and_then(|sc| u32::try_from(sc.band[j]).ok()).unwrap_or(NO_BAND));
            let score = match (needs_score, sc, col) {
                (false, _, _) | (true, None, _) | (true, _, None) => None,
                (true, Some(_), Some(k)) => match &self.origin {
                    Origin::External { severities, .. } => slot_score(&external_scale(c, k, j, severities)),
                    Origin::Scored { instrument, answers } => {
                        // The columns hold the rounded raw value; the rule compares the exact one,
                        // so this (rare: a policy's `scale_at_least`) test scores the row again.
                        if report.is_none() {
                            report = Some(instrument.score(&answers.response(j, t))?);
                        }
                        report
                            .as_ref()
                            .and_then(|r: &ScoreReport| r.scale(&c.scales[k].id))
                            .filter(|x| x.scored)
                            .and_then(slot_score)
                    }
                },
            };
            p.slot_score.push(score);
        }
        p.channels |= CH_ANY_SCREENING;
        if self.inst != ANY_INSTRUMENT {
            p.channels |= instrument_channel(self.inst);
        }
        p.screenings.push(s);
        Ok(())
    }
}

/// Column scale `k` of row `j` as an external report's scale.
fn external_scale(c: &BatchColumns, k: usize, j: usize, severities: &[Vec<Severity>]) -> ScaleResult {
    let col = &c.scales[k];
    let scored = col.raw[j] != UNSCORED;
    let dec = |m: i64, d: u32| (m != UNSCORED).then(|| Dec(rust_decimal::Decimal::new(m, d.min(28))));
    ScaleResult {
        id: col.id.clone(),
        scored,
        raw: dec(col.raw[j], col.raw_decimals),
        raw_exact: None,
        score: dec(col.score[j], col.score_decimals),
        answered: u32::from(col.answered[j]),
        of: u32::from(col.answered[j]),
        prorated: col.prorated[j],
        band: usize::try_from(col.band[j]).ok().map(|b| BandResult {
            id: col.band_ids.get(b).cloned().unwrap_or_default(),
            label: Localized::default(),
            index: b as u32,
            severity: severities.get(k).and_then(|v| v.get(b)).copied().unwrap_or(Severity::None),
            rule: String::new(),
            evidence: String::new(),
            source: None,
        }),
        unscored_reason: None,
    }
}

/// The declaration checks of `verify_external`, over columns. Returns the declared flag levels.
fn verify_external_columns(decl: &ExternalInstrument, instrument: &InstrumentRef, c: &BatchColumns, severities: &[Vec<Severity>]) -> Result<Vec<FlagLevel>> {
    let inconsistent = |path: String, msg: String| bad(ErrorCode::EvidenceReportInconsistent, path, msg);
    if let Some(v) = &decl.version {
        if &instrument.version != v {
            return Err(bad(
                ErrorCode::EvidenceVersionMismatch,
                "/instrument/version",
                format!(
                    "the policy declares {} version {v}; the columns are version {}",
                    decl.id,
                    crate::error::excerpt(&instrument.version)
                ),
            ));
        }
    }
    if severities.len() != c.scales.len() {
        return Err(bad(
            ErrorCode::BatchShape,
            "/band_severity",
            format!("{} band severity lists for {} scales", severities.len(), c.scales.len()),
        ));
    }
    let n = c.n_rows;
    if c.validity.len() != n || c.flags.len() != n || c.flags_indeterminate.len() != n {
        return Err(bad(ErrorCode::BatchShape, "/columns", format!("the columns do not all have {n} rows")));
    }
    let mut any_unscored = vec![false; n];
    for (k, sc) in c.scales.iter().enumerate() {
        let path = |r: usize, f: &str| format!("/rows/{r}/scales/{k}/{f}");
        let Some(d) = decl.scales.iter().find(|x| x.id == sc.id) else {
            return Err(inconsistent(
                format!("/scales/{k}/id"),
                format!(
                    "the policy declares no scale {} for external instrument {} (declared: {})",
                    crate::error::excerpt(&sc.id),
                    decl.id,
                    decl.scales.iter().map(|x| x.id.as_str()).collect::<Vec<_>>().join(", ")
                ),
            ));
        };
        if c.scales[..k].iter().any(|x| x.id == sc.id) {
            return Err(inconsistent(format!("/scales/{k}/id"), format!("scale {} is given twice", sc.id)));
        }
        if sc.raw.len() != n || sc.score.len() != n || sc.band.len() != n || sc.answered.len() != n || sc.prorated.len() != n {
            return Err(bad(
                ErrorCode::BatchShape,
                format!("/scales/{k}"),
                format!("the columns do not all have {n} rows"),
            ));
        }
        if sc.raw_decimals > 28 || sc.score_decimals > 28 {
            return Err(inconsistent(format!("/scales/{k}/raw_decimals"), "at most 28 decimal places".to_owned()));
        }
        // Which band indices are declared at their position (checked once per index, not per row).
        let band_ok: Vec<bool> = sc.band_ids.iter().enumerate().map(|(b, id)| d.bands.get(b) == Some(id)).collect();
        if severities[k].len() < sc.band_ids.len() {
            return Err(bad(
                ErrorCode::BatchShape,
                format!("/band_severity/{k}"),
                format!("{} severities for {} bands", severities[k].len(), sc.band_ids.len()),
            ));
        }
        // Declared bounds as mantissas at each column's decimals.
        let bounds = |dec: u32| (bound(d.min, dec, true), bound(d.max, dec, false));
        let (raw_lo, raw_hi) = bounds(sc.raw_decimals);
        let (score_lo, score_hi) = bounds(sc.score_decimals);
        for (r, unscored) in any_unscored.iter_mut().enumerate() {
            let scored = sc.raw[r] != UNSCORED;
            *unscored |= !scored;
            for (field, m, lo, hi) in [("raw", sc.raw[r], raw_lo, raw_hi), ("score", sc.score[r], score_lo, score_hi)] {
                if m == UNSCORED {
                    continue;
                }
                if lo.is_some_and(|lo| m < lo) || hi.is_some_and(|hi| m > hi) {
                    let dec = if field == "raw" { sc.raw_decimals } else { sc.score_decimals };
                    return Err(bad(
                        ErrorCode::EvidenceOutOfRange,
                        path(r, field),
                        format!(
                            "scale {} of {}: {} is outside the declared range {} to {}",
                            sc.id,
                            decl.id,
                            rust_decimal::Decimal::new(m, dec),
                            d.min.map_or("-".to_owned(), |x| x.to_string()),
                            d.max.map_or("-".to_owned(), |x| x.to_string())
                        ),
                    ));
                }
            }
            if sc.band[r] >= 0 {
                if !scored {
                    return Err(inconsistent(path(r, "band"), "an unscored scale has no band".to_owned()));
                }
                if !band_ok.get(sc.band[r] as usize).copied().unwrap_or(false) {
                    return Err(inconsistent(
                        path(r, "band"),
                        format!(
                            "band index {} is not a declared band of {}/{} (declared, in order: {})",
                            sc.band[r],
                            decl.id,
                            sc.id,
                            d.bands.join(", ")
                        ),
                    ));
                }
            } else if sc.band[r] != -1 {
                return Err(inconsistent(path(r, "band"), format!("band index {} (-1 = no band)", sc.band[r])));
            }
        }
    }
    let mut levels = Vec::with_capacity(c.flag_ids.len());
    let mut declared_mask = 0u64;
    for (b, id) in c.flag_ids.iter().enumerate() {
        if c.flag_ids[..b].contains(id) {
            return Err(inconsistent(format!("/flag_ids/{b}"), format!("flag {id} is given twice")));
        }
        match decl.flags.iter().find(|x| &x.id == id) {
            Some(f) => {
                levels.push(f.level);
                if b < 64 {
                    declared_mask |= 1u64 << b;
                }
            }
            None => levels.push(FlagLevel::Info),
        }
    }
    for (r, &unscored) in any_unscored.iter().enumerate() {
        let set = c.flags[r] | c.flags_indeterminate[r];
        if set & !declared_mask != 0 {
            let b = (set & !declared_mask).trailing_zeros() as usize;
            return Err(inconsistent(
                format!("/rows/{r}/flags/{b}"),
                format!(
                    "the policy declares no flag {} for external instrument {} (declared: {})",
                    c.flag_ids.get(b).map_or("?", String::as_str),
                    decl.id,
                    decl.flags.iter().map(|x| x.id.as_str()).collect::<Vec<_>>().join(", ")
                ),
            ));
        }
        if unscored && c.validity[r] == 0 {
            return Err(inconsistent(
                format!("/rows/{r}/validity"),
                "a row with an unscored scale cannot be valid".to_owned(),
            ));
        }
    }
    Ok(levels)
}

/// A declared bound as a mantissa at `decimals` places: the least mantissa not below `min`
/// (`lower`), or the greatest not above `max`. `None`: no bound (or one beyond the i64 range,
/// which no mantissa can cross).
fn bound(b: Option<Dec>, decimals: u32, lower: bool) -> Option<i64> {
    use rust_decimal::prelude::ToPrimitive;
    let v = b?.0.checked_mul(rust_decimal::Decimal::from(10i64.checked_pow(decimals)?))?;
    let v = if lower { v.ceil() } else { v.floor() };
    v.to_i64()
}

// ---------------------------------------------------------------------------------------------
// Event tables.

/// Staff observations, one row per observation, sorted by student.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ObservationColumns {
    /// Cohort row of the student (ascending).
    pub student: Vec<u32>,
    /// Category: index into the policy's observation categories ([`CompiledPolicy::observation_category_code`]).
    pub category: Vec<u8>,
    /// When (unix seconds).
    pub at: Vec<i64>,
    /// Who observed it: index into [`CohortColumns::with_people`].
    pub by: Vec<u32>,
}

/// Life events, one row per event, sorted by student.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LifeEventColumns {
    /// Cohort row of the student (ascending).
    pub student: Vec<u32>,
    /// Kind: index into the policy's life-event kinds ([`CompiledPolicy::life_event_kind_code`]).
    pub kind: Vec<u8>,
    /// When (unix seconds).
    pub at: Vec<i64>,
    /// Who recorded it: index into the people, or [`NO_PERSON`].
    pub reported_by: Vec<u32>,
}

/// Clinical notices, one row per notice, sorted by student.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClinicalColumns {
    /// Cohort row of the student (ascending).
    pub student: Vec<u32>,
    /// Kind: index into the policy's clinical kinds ([`CompiledPolicy::clinical_kind_code`]).
    pub kind: Vec<u8>,
    /// When (unix seconds).
    pub at: Vec<i64>,
    /// The institution: index into [`CohortColumns::with_institutions`].
    pub institution: Vec<u32>,
}

/// Notices from outside agencies, one row per notice, sorted by student.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AgencyColumns {
    /// Cohort row of the student (ascending).
    pub student: Vec<u32>,
    /// Agency: index into the policy's agencies ([`CompiledPolicy::agency_code`]).
    pub agency: Vec<u8>,
    /// 0 concern, 1 urgent.
    pub severity: Vec<u8>,
    /// When (unix seconds).
    pub at: Vec<i64>,
}

/// Special periods of individual students, one row per period, sorted by student (periods
/// that apply to everyone: [`CohortColumns::with_period_for_all`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PeriodColumns {
    /// Cohort row of the student (ascending).
    pub student: Vec<u32>,
    /// Kind: index into the policy's special periods ([`CompiledPolicy::special_period_code`]).
    pub kind: Vec<u8>,
    /// Start (inclusive, unix seconds).
    pub from: Vec<i64>,
    /// End (exclusive, unix seconds).
    pub to: Vec<i64>,
}

/// The tier in force per student (as last confirmed by a person): yesterday's tier column.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PreviousColumns {
    /// Tier code (policy tier index), or [`NO_TIER`].
    pub tier: Vec<u8>,
    /// Since when (unix seconds); ignored where `tier` is [`NO_TIER`].
    pub since: Vec<i64>,
}

fn check_sorted(student: &[u32], n: usize, path: &str) -> Result<()> {
    for (i, &s) in student.iter().enumerate() {
        if s as usize >= n {
            return Err(bad(
                ErrorCode::BatchShape,
                format!("{path}/student/{i}"),
                format!("student {s} of a cohort of {n}"),
            ));
        }
        if i > 0 && student[i - 1] > s {
            return Err(bad(ErrorCode::BatchShape, format!("{path}/student/{i}"), "rows must be sorted by student"));
        }
    }
    Ok(())
}

fn check_len(path: &str, n: usize, lens: &[usize]) -> Result<()> {
    if lens.iter().any(|l| *l != n) {
        return Err(bad(ErrorCode::BatchShape, path.to_owned(), format!("columns of different lengths ({lens:?})")));
    }
    Ok(())
}

fn check_codes(codes: &[u8], len: usize, path: &str, what: &str) -> Result<()> {
    if let Some(i) = codes.iter().position(|c| usize::from(*c) >= len) {
        return Err(bad(
            ErrorCode::EvidenceInvalid,
            format!("{path}/{i}"),
            format!("{what} code {} (the policy has {len})", codes[i]),
        ));
    }
    Ok(())
}

fn check_times(at: &[i64], path: &str) -> Result<()> {
    for (i, t) in at.iter().enumerate() {
        check_time(*t, || format!("{path}/{i}"))?;
    }
    Ok(())
}

/// A cohort in columns: screening batches of several instruments, event tables, special
/// periods and previous tiers, each verified as it is added (see the module docs). Tied to
/// the policy it was made for.
#[derive(Debug)]
pub struct CohortColumns<'a> {
    policy: u64,
    n: usize,
    ids: Option<Vec<String>>,
    /// Numbered ids without a list: (prefix, zero-padded width).
    numbered: Option<(String, usize)>,
    screenings: Vec<ScreeningColumns<'a>>,
    observations: ObservationColumns,
    life_events: LifeEventColumns,
    clinical: ClinicalColumns,
    agency: AgencyColumns,
    periods: PeriodColumns,
    periods_for_all: Vec<(u8, i64, i64)>,
    previous: Option<PreviousColumns>,
    people: Vec<Person>,
    institutions: Vec<String>,
    // Vocabulary ids by code, for rebuilding evidence.
    vocab: Vocab,
}

#[derive(Debug, Default)]
struct Vocab {
    categories: Vec<String>,
    kinds: Vec<String>,
    clinical: Vec<String>,
    agencies: Vec<String>,
    periods: Vec<String>,
    tiers: Vec<String>,
}

impl<'a> CohortColumns<'a> {
    /// An empty cohort of `n` students (rows `0..n`) for `policy`.
    pub fn new(policy: &CompiledPolicy, n: usize) -> CohortColumns<'a> {
        let ids = |v: &[crate::alert::policy::VocabEntry]| v.iter().map(|x| x.id.clone()).collect();
        CohortColumns {
            policy: policy.fingerprint,
            n,
            ids: None,
            numbered: None,
            screenings: Vec::new(),
            observations: ObservationColumns::default(),
            life_events: LifeEventColumns::default(),
            clinical: ClinicalColumns::default(),
            agency: AgencyColumns::default(),
            periods: PeriodColumns::default(),
            periods_for_all: Vec::new(),
            previous: None,
            people: Vec::new(),
            institutions: Vec::new(),
            vocab: Vocab {
                categories: ids(&policy.observation_categories),
                kinds: ids(&policy.life_event_kinds),
                clinical: ids(&policy.clinical_kinds),
                agencies: ids(&policy.agencies),
                periods: ids(&policy.special_periods),
                tiers: policy.tiers.iter().map(|t| t.id.clone()).collect(),
            },
        }
    }

    /// Number of students.
    pub fn len(&self) -> usize {
        self.n
    }

    /// Whether the cohort has no students.
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// The screening batches, in the order added.
    pub fn screenings(&self) -> &[ScreeningColumns<'a>] {
        &self.screenings
    }

    /// Student ids (pseudonymous; echoed in full decisions). Without them, row `i` is `row-<i>`.
    pub fn with_ids(mut self, ids: Vec<String>) -> Result<CohortColumns<'a>> {
        check_len("/ids", self.n, &[ids.len()])?;
        self.ids = Some(ids);
        Ok(self)
    }

    /// Numbered student ids without a list: row `i` is `prefix` and `i` zero-padded to `width`
    /// digits (`s-000042`), made only when a row's id is needed.
    pub fn with_numbered_ids(mut self, prefix: &str, width: usize) -> CohortColumns<'a> {
        self.ids = None;
        self.numbered = Some((prefix.to_owned(), width.min(32)));
        self
    }

    /// The student id of row `i`.
    pub fn id(&self, i: usize) -> String {
        match (&self.ids, &self.numbered) {
            (Some(v), _) => v.get(i).cloned().unwrap_or_default(),
            (None, Some((prefix, width))) => format!("{prefix}{i:0width$}"),
            (None, None) => format!("row-{i}"),
        }
    }

    /// Add a screening batch (one instrument; a student's screenings keep the order batches are added in).
    /// Errors: `batch.shape` (columns made for another policy, or without a student mapping and
    /// another number of rows than the cohort, or mapped to students beyond it).
    pub fn with_screening(mut self, s: ScreeningColumns<'a>) -> Result<CohortColumns<'a>> {
        if s.policy != self.policy {
            return Err(bad(ErrorCode::BatchShape, "/screenings", "these columns were made for another policy"));
        }
        match &s.student {
            None if s.columns.n_rows != self.n => {
                return Err(bad(
                    ErrorCode::BatchShape,
                    "/screenings",
                    format!("{} rows for a cohort of {} (map rows to students with for_students)", s.columns.n_rows, self.n),
                ))
            }
            Some(v) => check_sorted(v, self.n, "/screenings")?,
            None => {}
        }
        self.screenings.push(s);
        Ok(self)
    }

    /// The people observations and life events name (index = the `by` code). Each needs a role of the policy.
    pub fn with_people(mut self, people: Vec<Person>, policy: &CompiledPolicy) -> Result<CohortColumns<'a>> {
        for (i, p) in people.iter().enumerate() {
            if policy.role_index(&p.role).is_none() {
                return Err(bad(
                    ErrorCode::EvidenceInvalid,
                    format!("/people/{i}/role"),
                    format!(
                        "unknown role {} (the policy knows: {})",
                        crate::error::excerpt(&p.role),
                        policy.roles.iter().map(|x| x.id.as_str()).collect::<Vec<_>>().join(", ")
                    ),
                ));
            }
        }
        self.people = people;
        Ok(self)
    }

    /// The institutions clinical notices come from (index = the `institution` code).
    pub fn with_institutions(mut self, names: Vec<String>) -> CohortColumns<'a> {
        self.institutions = names;
        self
    }

    /// Staff observations. Errors: `batch.shape`, `evidence.invalid` (an unknown category or
    /// person, a time that is not representable).
    pub fn with_observations(mut self, t: ObservationColumns) -> Result<CohortColumns<'a>> {
        check_len("/observations", t.student.len(), &[t.category.len(), t.at.len(), t.by.len()])?;
        check_sorted(&t.student, self.n, "/observations")?;
        check_codes(&t.category, self.vocab.categories.len(), "/observations/category", "observation category")?;
        check_times(&t.at, "/observations/at")?;
        if let Some(i) = t.by.iter().position(|b| *b as usize >= self.people.len()) {
            return Err(bad(
                ErrorCode::EvidenceInvalid,
                format!("/observations/by/{i}"),
                "an observation needs a person of with_people",
            ));
        }
        self.observations = t;
        Ok(self)
    }

    /// Life events. Errors as for observations.
    pub fn with_life_events(mut self, t: LifeEventColumns) -> Result<CohortColumns<'a>> {
        check_len("/life_events", t.student.len(), &[t.kind.len(), t.at.len(), t.reported_by.len()])?;
        check_sorted(&t.student, self.n, "/life_events")?;
        check_codes(&t.kind, self.vocab.kinds.len(), "/life_events/kind", "life event kind")?;
        check_times(&t.at, "/life_events/at")?;
        if let Some(i) = t.reported_by.iter().position(|b| *b != NO_PERSON && *b as usize >= self.people.len()) {
            return Err(bad(
                ErrorCode::EvidenceInvalid,
                format!("/life_events/reported_by/{i}"),
                "not a person of with_people",
            ));
        }
        self.life_events = t;
        Ok(self)
    }

    /// Clinical notices. Errors as for observations (an institution not in `with_institutions`).
    pub fn with_clinical(mut self, t: ClinicalColumns) -> Result<CohortColumns<'a>> {
        check_len("/clinical", t.student.len(), &[t.kind.len(), t.at.len(), t.institution.len()])?;
        check_sorted(&t.student, self.n, "/clinical")?;
        check_codes(&t.kind, self.vocab.clinical.len(), "/clinical/kind", "clinical notice kind")?;
        check_times(&t.at, "/clinical/at")?;
        if let Some(i) = t.institution.iter().position(|b| *b as usize >= self.institutions.len()) {
            return Err(bad(
                ErrorCode::EvidenceInvalid,
                format!("/clinical/institution/{i}"),
                "not an institution of with_institutions",
            ));
        }
        self.clinical = t;
        Ok(self)
    }

    /// Agency notices. Errors as for observations (a severity other than 0 or 1).
    pub fn with_agency_notices(mut self, t: AgencyColumns) -> Result<CohortColumns<'a>> {
        check_len("/agency_notices", t.student.len(), &[t.agency.len(), t.severity.len(), t.at.len()])?;
        check_sorted(&t.student, self.n, "/agency_notices")?;
        check_codes(&t.agency, self.vocab.agencies.len(), "/agency_notices/agency", "agency")?;
        check_codes(&t.severity, 2, "/agency_notices/severity", "severity")?;
        check_times(&t.at, "/agency_notices/at")?;
        self.agency = t;
        Ok(self)
    }

    /// Special periods of individual students. Errors as for observations (a period that ends
    /// before or when it starts).
    pub fn with_periods(mut self, t: PeriodColumns) -> Result<CohortColumns<'a>> {
        check_len("/special_periods", t.student.len(), &[t.kind.len(), t.from.len(), t.to.len()])?;
        check_sorted(&t.student, self.n, "/special_periods")?;
        check_codes(&t.kind, self.vocab.periods.len(), "/special_periods/kind", "special period")?;
        check_times(&t.from, "/special_periods/from")?;
        check_times(&t.to, "/special_periods/to")?;
        if let Some(i) = t.from.iter().zip(&t.to).position(|(f, to)| to <= f) {
            return Err(bad(
                ErrorCode::EvidenceInvalid,
                format!("/special_periods/to/{i}"),
                "the period ends before or when it starts",
            ));
        }
        self.periods = t;
        Ok(self)
    }

    /// A special period that applies to every student (the school calendar's spring term,
    /// exam season): `kind` is a policy special-period code, `from` inclusive, `to` exclusive.
    pub fn with_period_for_all(mut self, kind: u8, from: Timestamp, to: Timestamp) -> Result<CohortColumns<'a>> {
        check_codes(&[kind], self.vocab.periods.len(), "/special_periods_for_all/kind", "special period")?;
        if to <= from {
            return Err(bad(
                ErrorCode::EvidenceInvalid,
                "/special_periods_for_all/to",
                "the period ends before or when it starts",
            ));
        }
        self.periods_for_all.push((kind, from.unix(), to.unix()));
        Ok(self)
    }

    /// The tier in force per student (e.g. yesterday's confirmed tier column).
    pub fn with_previous(mut self, t: PreviousColumns) -> Result<CohortColumns<'a>> {
        check_len("/previous", self.n, &[t.tier.len(), t.since.len()])?;
        for (i, &k) in t.tier.iter().enumerate() {
            if k == NO_TIER {
                continue;
            }
            check_codes(&[k], self.vocab.tiers.len(), &format!("/previous/tier/{i}"), "tier")?;
            check_time(t.since[i], || format!("/previous/since/{i}"))?;
        }
        self.previous = Some(t);
        Ok(self)
    }

    /// Row `i`'s evidence as the row path takes it: the engine-scored screenings as their
    /// answers (external ones as the report their columns say), then observations, life events,
    /// clinical and agency notices, the special periods (those for everyone first) and the
    /// previous tier. [`crate::alert::evaluate`] on it decides what [`evaluate_columns`] decides for the row.
    pub fn student_evidence(&self, i: usize) -> StudentEvidence {
        let mut e = StudentEvidence {
            student: self.id(i),
            ..StudentEvidence::default()
        };
        let row = i as u32;
        for s in &self.screenings {
            match &s.student {
                None if i < s.columns.n_rows => e.screenings.push(s.screening(i)),
                None => {}
                Some(v) => {
                    for j in rows_of(v, row) {
                        e.screenings.push(s.screening(j));
                    }
                }
            }
        }
        let vocab = |v: &[String], k: u8| v.get(usize::from(k)).cloned().unwrap_or_default();
        let o = &self.observations;
        for j in rows_of(&o.student, row) {
            e.observations.push(Observation {
                id: None,
                category: vocab(&self.vocab.categories, o.category[j]),
                at: ts(o.at[j]),
                observed_by: self.people.get(o.by[j] as usize).cloned().unwrap_or_default(),
            });
        }
        let l = &self.life_events;
        for j in rows_of(&l.student, row) {
            e.life_events.push(LifeEvent {
                id: None,
                kind: vocab(&self.vocab.kinds, l.kind[j]),
                at: ts(l.at[j]),
                reported_by: self.people.get(l.reported_by[j] as usize).cloned(),
            });
        }
        let c = &self.clinical;
        for j in rows_of(&c.student, row) {
            e.clinical.push(ClinicalNotice {
                id: None,
                kind: vocab(&self.vocab.clinical, c.kind[j]),
                at: ts(c.at[j]),
                institution: self.institutions.get(c.institution[j] as usize).cloned().unwrap_or_default(),
            });
        }
        let a = &self.agency;
        for j in rows_of(&a.student, row) {
            e.agency_notices.push(AgencyNotice {
                id: None,
                agency: vocab(&self.vocab.agencies, a.agency[j]),
                severity: if a.severity[j] == 1 {
                    NoticeSeverity::Urgent
                } else {
                    NoticeSeverity::Concern
                },
                at: ts(a.at[j]),
            });
        }
        for &(k, from, to) in &self.periods_for_all {
            e.special_periods.push(SpecialPeriod {
                kind: vocab(&self.vocab.periods, k),
                from: ts(from),
                to: ts(to),
            });
        }
        let p = &self.periods;
        for j in rows_of(&p.student, row) {
            e.special_periods.push(SpecialPeriod {
                kind: vocab(&self.vocab.periods, p.kind[j]),
                from: ts(p.from[j]),
                to: ts(p.to[j]),
            });
        }
        if let Some(prev) = &self.previous {
            if let Some(&k) = prev.tier.get(i).filter(|k| **k != NO_TIER) {
                e.previous = Some(PreviousTier {
                    tier: vocab(&self.vocab.tiers, k),
                    since: ts(prev.since[i]),
                    ..PreviousTier::default()
                });
            }
        }
        e
    }

    /// The full explained decision of row `i` at `at` — only for the rows someone opens:
    /// [`crate::alert::evaluate`] on [`CohortColumns::student_evidence`]`(i)`.
    pub fn decide(&self, policy: &CompiledPolicy, i: usize, at: Timestamp) -> Result<AlertDecision> {
        if policy.fingerprint != self.policy {
            return Err(bad(
                ErrorCode::EvidenceInvalid,
                "",
                "this cohort was made for another policy (or policy version)",
            ));
        }
        if i >= self.n {
            return Err(bad(ErrorCode::BatchShape, "/row", format!("row {i} of a cohort of {}", self.n)));
        }
        evaluate(policy, &self.student_evidence(i), at)
    }
}

/// The rows of a student-sorted table that belong to `student`.
fn rows_of(sorted: &[u32], student: u32) -> std::ops::Range<usize> {
    let a = sorted.partition_point(|s| *s < student);
    let b = a + sorted[a..].partition_point(|s| *s == student);
    a..b
}

/// A cursor over a student-sorted table, walked in student order.
#[derive(Clone, Copy, Default)]
struct Cursor(usize);

impl Cursor {
    /// The next rows of `student` (students are visited in ascending order).
    fn take(&mut self, sorted: &[u32], student: u32) -> std::ops::Range<usize> {
        let a = self.0;
        let mut b = a;
        while sorted.get(b).is_some_and(|s| *s == student) {
            b += 1;
        }
        self.0 = b;
        a..b
    }
}

/// Due obligations as columns, in row order (within a row: the decision's actions and
/// notifications, then the tier's next review).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DueColumns {
    /// Cohort row.
    pub row: Vec<u32>,
    /// Index into [`ColumnarTiers::obligations`].
    pub obligation: Vec<u32>,
    /// Due time (unix seconds).
    pub due_at: Vec<i64>,
}

/// The result of [`evaluate_columns`]: one entry per cohort row in every per-row column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ColumnarTiers {
    /// Policy that decided.
    pub policy: PolicyRef,
    /// Evaluation time.
    pub evaluated_at: Timestamp,
    /// Tier ids by code (legend of `tier`, `rule_tier`).
    pub tier_ids: Vec<String>,
    /// Rule ids by index (legend of `rules`).
    pub rule_ids: Vec<String>,
    /// Obligations by index (legend of `due.obligation`): actions, notifications by role, reviews by tier.
    pub obligations: Vec<ObligationInfo>,
    /// Tier code per row: the tier's index in the policy (0 = the lowest, `none`), [`REFUSED`] where the evidence was refused.
    pub tier: Vec<u8>,
    /// Tier code the rules alone imply ([`REFUSED`] where refused).
    pub rule_tier: Vec<u8>,
    /// How the tier moved (`Unchanged` where refused).
    pub change: Vec<Change>,
    /// Why the tier is above the rules' tier.
    pub held_by: Vec<Option<HoldReason>>,
    /// Fired rules per row (bit = rule index in policy order).
    pub rules: Vec<RuleSet>,
    /// Every due obligation (done or not: columns carry no completed actions).
    pub due: DueColumns,
    /// Students per tier, lowest first (refused rows not counted).
    pub tier_counts: Vec<TierCount>,
    /// Refused rows, with the row path's error for the rebuilt evidence.
    pub errors: Vec<BatchError>,
}

impl ColumnarTiers {
    /// Due obligations of one row (a slice of `due`: row-ordered).
    pub fn due_of(&self, row: u32) -> std::ops::Range<usize> {
        rows_of(&self.due.row, row)
    }
}

/// Tier every student of a cohort at `at`, without building per-student evidence: the tier
/// column, fired-rule sets and due obligations, exactly as the row path decides them
/// ([`CohortColumns::student_evidence`]). Errors: `evidence.invalid` for a cohort made for
/// another policy. A row whose evidence the row path would refuse (dated after `at` beyond the
/// policy's future tolerance) gets [`REFUSED`] and the same error in `errors`.
pub fn evaluate_columns(policy: &CompiledPolicy, cohort: &CohortColumns<'_>, at: Timestamp) -> Result<ColumnarTiers> {
    if policy.fingerprint != cohort.policy {
        return Err(bad(
            ErrorCode::EvidenceInvalid,
            "",
            "this cohort was made for another policy (or policy version)",
        ));
    }
    let n = cohort.n;
    let mut ev = Evaluator::new(policy);
    let mut out = ColumnarTiers {
        policy: PolicyRef {
            id: policy.id().to_owned(),
            version: policy.version().to_owned(),
        },
        evaluated_at: at,
        tier_ids: policy.tier_ids().map(str::to_owned).collect(),
        rule_ids: policy.rule_ids().map(str::to_owned).collect(),
        obligations: obligation_legend(policy),
        tier: Vec::with_capacity(n),
        rule_tier: Vec::with_capacity(n),
        change: Vec::with_capacity(n),
        held_by: Vec::with_capacity(n),
        rules: Vec::with_capacity(n),
        due: DueColumns::default(),
        tier_counts: Vec::new(),
        errors: Vec::new(),
    };
    let mut counts = vec![0u64; policy.tier_count()];
    let mut memo = Memo::new();
    out.due.row.reserve(n * 4);
    out.due.obligation.reserve(n * 4);
    out.due.due_at.reserve(n * 4);
    let mut screen_cursors = vec![Cursor::default(); cohort.screenings.len()];
    let (mut c_obs, mut c_life, mut c_clin, mut c_agency, mut c_period) =
        (Cursor::default(), Cursor::default(), Cursor::default(), Cursor::default(), Cursor::default());
    for r in 0..n {
        let row = r as u32;
        let result = ev.load_with(at, |p| {
            let mut latest: Option<(i64, Dated)> = None;
            let mut pos = 0usize;
            for (s, cur) in cohort.screenings.iter().zip(screen_cursors.iter_mut()) {
                match &s.student {
                    None => {
                        s.push_row(r, pos, p, &mut latest)?;
                        pos += 1;
                    }
                    Some(v) => {
                        for j in cur.take(v, row) {
                            s.push_row(j, pos, p, &mut latest)?;
                            pos += 1;
                        }
                    }
                }
            }
            let mut note = |t: i64, d: Dated| {
                if latest.is_none_or(|(l, _)| t > l) {
                    latest = Some((t, d));
                }
            };
            let o = &cohort.observations;
            for (k, j) in c_obs.take(&o.student, row).enumerate() {
                note(o.at[j], Dated::Observation(k));
                p.observations.push((o.category[j], o.at[j]));
            }
            let l = &cohort.life_events;
            for (k, j) in c_life.take(&l.student, row).enumerate() {
                note(l.at[j], Dated::LifeEvent(k));
                p.events.push((l.kind[j], l.at[j]));
            }
            let c = &cohort.clinical;
            for (k, j) in c_clin.take(&c.student, row).enumerate() {
                note(c.at[j], Dated::Clinical(k));
                p.clinical.push((c.kind[j], c.at[j]));
            }
            let a = &cohort.agency;
            for (k, j) in c_agency.take(&a.student, row).enumerate() {
                note(a.at[j], Dated::Agency(k));
                p.agency.push((a.agency[j], a.severity[j], a.at[j]));
            }
            let mut idx = 0usize;
            for &(k, from, to) in &cohort.periods_for_all {
                p.all_periods.push((k, from, to, idx));
                idx += 1;
            }
            let sp = &cohort.periods;
            for j in c_period.take(&sp.student, row) {
                p.all_periods.push((sp.kind[j], sp.from[j], sp.to[j], idx));
                idx += 1;
            }
            for (present, ch) in [
                (!p.observations.is_empty(), CH_OBSERVATION),
                (!p.events.is_empty(), CH_LIFE_EVENT),
                (!p.clinical.is_empty(), CH_CLINICAL),
                (!p.agency.is_empty(), CH_AGENCY),
            ] {
                if present {
                    p.channels |= ch;
                }
            }
            if let Some(prev) = &cohort.previous {
                if let Some(&k) = prev.tier.get(r).filter(|k| **k != NO_TIER) {
                    let since = prev.since[r];
                    p.channels |= CH_PREVIOUS;
                    note(since, Dated::Previous);
                    p.previous = Some((k, since));
                }
            }
            p.latest = latest;
            Ok(())
        });
        if let Err(error) = result {
            out.tier.push(REFUSED);
            out.rule_tier.push(REFUSED);
            out.change.push(Change::Unchanged);
            out.held_by.push(None);
            out.rules.push(RuleSet::EMPTY);
            out.errors.push(BatchError {
                row,
                student: cohort.id(r),
                error,
            });
            continue;
        }
        let (o, due) = match memo.lookup(ev.loaded()) {
            Some(k) => memo.result(k),
            None => {
                let o = ev.decide_loaded();
                let start = memo.due.len();
                let due = &mut memo.due;
                ev.due_into(|ob, t| due.push((ob, t)));
                let end = memo.due.len();
                memo.insert(o, start..end)
            }
        };
        if let Some(c) = counts.get_mut(usize::from(o.tier)) {
            *c += 1;
        }
        out.tier.push(o.tier);
        out.rule_tier.push(o.rule_tier);
        out.change.push(o.change);
        out.held_by.push(o.held_by);
        out.rules.push(o.rules);
        for &(ob, t) in due {
            out.due.row.push(row);
            out.due.obligation.push(ob);
            out.due.due_at.push(t);
        }
        memo.forget_uncached();
    }
    out.tier_counts = policy
        .tier_ids()
        .zip(counts)
        .map(|(t, count)| TierCount { tier: t.to_owned(), count })
        .collect();
    Ok(out)
}

/// Decisions by reduced evidence. A row's tier-only decision and due obligations are a function
/// of its reduced evidence alone (the evaluation time is the batch's), and a screening round
/// gives many students identical reduced evidence (same bands, flags, verdicts, times): such a
/// row takes the stored result instead of evaluating the rules again. The key is the whole
/// reduced evidence (every field the rules, hysteresis and obligations read), so a hit is the
/// decision itself. When few rows repeat (per-row times), the memo switches itself off.
struct Memo {
    map: HashMap<Box<[u64]>, u32, BuildHasherDefault<FxHasher>>,
    /// Stored results: the outcome and its slice of `due`.
    results: Vec<(TierOutcome, std::ops::Range<usize>)>,
    due: Vec<(u32, i64)>,
    key: Vec<u64>,
    keyed: bool,
    lookups: u64,
    hits: u64,
    enabled: bool,
    /// Result of the current row when it was not stored.
    spare: Option<(TierOutcome, std::ops::Range<usize>)>,
}

/// Stored results at most (then rows are evaluated without storing).
const MEMO_ENTRIES: usize = 1 << 16;
/// Rows looked up before the memo decides whether it pays.
const MEMO_TRIAL: u64 = 4096;

impl Memo {
    fn new() -> Memo {
        Memo {
            map: HashMap::default(),
            results: Vec::new(),
            due: Vec::new(),
            key: Vec::new(),
            keyed: false,
            lookups: 0,
            hits: 0,
            enabled: true,
            spare: None,
        }
    }

    /// The stored result for this reduced evidence, if any (builds the key for `insert`).
    fn lookup(&mut self, p: &Prepared) -> Option<usize> {
        self.keyed = false;
        if !self.enabled {
            return None;
        }
        if self.lookups == MEMO_TRIAL && self.hits * 5 < self.lookups {
            // Fewer than one row in five repeats: keying costs more than it saves.
            self.enabled = false;
            self.map = HashMap::default();
            return None;
        }
        self.lookups += 1;
        if !key_of(p, &mut self.key) {
            return None;
        }
        self.keyed = true;
        let k = *self.map.get(&self.key[..])?;
        self.hits += 1;
        Some(k as usize)
    }

    fn result(&self, k: usize) -> (TierOutcome, &[(u32, i64)]) {
        match self.results.get(k) {
            Some((o, range)) => (*o, self.due.get(range.clone()).unwrap_or(&[])),
            None => (
                TierOutcome {
                    tier: REFUSED,
                    rule_tier: REFUSED,
                    previous: None,
                    change: Change::Unchanged,
                    rules: RuleSet::EMPTY,
                    held_by: None,
                },
                &[],
            ),
        }
    }

    /// Store a freshly evaluated result under the key `lookup` built, when there is room.
    fn insert(&mut self, o: TierOutcome, range: std::ops::Range<usize>) -> (TierOutcome, &[(u32, i64)]) {
        if self.keyed && self.results.len() < MEMO_ENTRIES {
            let k = self.results.len();
            self.results.push((o, range));
            self.map.insert(self.key.clone().into_boxed_slice(), k as u32);
            return self.result(k);
        }
        self.spare = Some((o, range.clone()));
        (o, self.due.get(range).unwrap_or(&[]))
    }

    /// Drop the due entries of a row that was not stored.
    fn forget_uncached(&mut self) {
        if let Some((_, range)) = self.spare.take() {
            self.due.truncate(range.start);
        }
    }
}

/// The reduced evidence as a key: every field the tier-only evaluation and the obligations
/// read (the evaluation time is the batch's). `false` for evidence the columns never produce
/// (reviews, recorded actions), which is then evaluated without the memo.
fn key_of(p: &Prepared, key: &mut Vec<u64>) -> bool {
    if !p.reviews.is_empty() || !p.done_actions.is_empty() || !p.done_notifications.is_empty() || !p.raised.is_empty() {
        return false;
    }
    key.clear();
    key.push(p.channels);
    key.push(p.period_mask);
    match p.previous {
        Some((t, since)) => key.extend([1 + u64::from(t), since as u64]),
        None => key.push(0),
    }
    key.push(p.screenings.len() as u64);
    for s in &p.screenings {
        key.push(
            u64::from(s.inst)
                | u64::from(s.validity) << 16
                | u64::from(s.screen) << 24
                | u64::from(s.max_flag) << 32
                | u64::from(s.max_flag_ind) << 40
                | u64::from(s.max_severity) << 48,
        );
        key.extend([s.at as u64, s.flags, s.flags_ind, u64::from(s.slot)]);
    }
    key.push(p.slot_band.len() as u64);
    key.extend(p.slot_band.iter().map(|b| u64::from(*b)));
    for v in &p.slot_score {
        match v {
            Some(r) => key.extend([1, r.num() as u64, r.den() as u64]),
            None => key.push(0),
        }
    }
    for list in [&p.observations, &p.events, &p.clinical] {
        key.push(list.len() as u64);
        key.extend(list.iter().flat_map(|(k, t)| [u64::from(*k), *t as u64]));
    }
    key.push(p.agency.len() as u64);
    key.extend(p.agency.iter().flat_map(|(a, s, t)| [u64::from(*a) | u64::from(*s) << 8, *t as u64]));
    key.push(p.periods.len() as u64);
    key.extend(p.periods.iter().flat_map(|(k, from, _)| [u64::from(*k), *from as u64]));
    true
}

/// A small multiplicative hasher for the memo's integer keys (no untrusted-input flooding
/// concern: keys come from verified columns, and a collision only costs a comparison).
#[derive(Default)]
struct FxHasher(u64);

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut w = [0u8; 8];
            w[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(w));
        }
    }
    fn write_u64(&mut self, x: u64) {
        self.0 = (self.0.rotate_left(5) ^ x).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn write_usize(&mut self, x: usize) {
        self.write_u64(x as u64);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

impl CompiledPolicy {
    /// The code of an observation category id in [`ObservationColumns::category`].
    pub fn observation_category_code(&self, id: &str) -> Option<u8> {
        code_of(&self.observation_categories, id)
    }
    /// The code of a life-event kind id in [`LifeEventColumns::kind`].
    pub fn life_event_kind_code(&self, id: &str) -> Option<u8> {
        code_of(&self.life_event_kinds, id)
    }
    /// The code of a clinical notice kind id in [`ClinicalColumns::kind`].
    pub fn clinical_kind_code(&self, id: &str) -> Option<u8> {
        code_of(&self.clinical_kinds, id)
    }
    /// The code of an agency id in [`AgencyColumns::agency`].
    pub fn agency_code(&self, id: &str) -> Option<u8> {
        code_of(&self.agencies, id)
    }
    /// The code of a special-period kind id in [`PeriodColumns::kind`].
    pub fn special_period_code(&self, id: &str) -> Option<u8> {
        code_of(&self.special_periods, id)
    }
}

fn code_of(list: &[crate::alert::policy::VocabEntry], id: &str) -> Option<u8> {
    list.iter().position(|v| v.id == id).and_then(|i| u8::try_from(i).ok())
}
