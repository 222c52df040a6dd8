//! The columnar alert entry decides exactly what the row path decides.
//!
//! Generated cohorts — engine-scored columns of six catalog instruments (some students with
//! several screenings of one instrument, some with none), verified columns of the external
//! MHT-shaped stub, observations, life events, clinical and agency notices, special periods for
//! everyone and for some, previous tiers, and evidence dated after the evaluation time — are
//! tiered by `evaluate_columns`, and every row is compared with `evaluate` on the evidence
//! `CohortColumns::student_evidence` rebuilds for it: tier, rules' tier, change, hold reason,
//! fired rules, every obligation with its due time (actions, notifications, next review), and a
//! refused row's error.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use changkaixin_core::alert::columnar::{
    evaluate_columns, AgencyColumns, ClinicalColumns, CohortColumns, LifeEventColumns, ObservationColumns, PeriodColumns, PreviousColumns, ScreeningColumns,
    Times, NO_PERSON, NO_TIER, REFUSED,
};
use changkaixin_core::alert::{evaluate, evaluate_tier_only, AlertPolicy, CompiledPolicy, Person, Timestamp};
use changkaixin_core::instrument::spec::Severity;
use changkaixin_core::scoring::report::InstrumentRef;
use changkaixin_core::{BatchColumns, BatchInput, Instrument};
use proptest::prelude::*;
use std::collections::BTreeSet;

const AT: i64 = 1_709_539_200; // 2024-03-04T08:00:00Z
const HOUR: i64 = 3600;
const DAY: i64 = 86_400;

struct Lcg(u64);
impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n.max(1)
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next(100) < percent
    }
}

fn policy() -> &'static CompiledPolicy {
    CompiledPolicy::changzhou_default().unwrap()
}

fn mht_stub() -> Instrument {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/alert/mht_external_stub.json");
    Instrument::from_json(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn inst_ref(i: &Instrument) -> InstrumentRef {
    InstrumentRef {
        id: i.id().to_owned(),
        version: i.version().to_owned(),
        settings: Default::default(),
    }
}

/// Answer codes for `rows` respondents of `inst`: a latent burden per row skews the options
/// upwards; about 4% of cells are missing (-1).
fn answers(inst: &Instrument, rows: usize, g: &mut Lcg) -> Vec<i16> {
    let mut out = Vec::with_capacity(rows * inst.item_count());
    for _ in 0..rows {
        let burden = g.next(4);
        for item in 1..=inst.item_count() as u32 {
            let codes = inst.option_codes(item).unwrap_or_default();
            if codes.is_empty() || g.chance(4) {
                out.push(-1);
                continue;
            }
            let top = codes.len() as u64;
            let k = if g.chance(20 + burden * 25) { g.next(top) } else { 0 };
            out.push(codes[k as usize] as i16);
        }
    }
    out
}

/// A sorted student list of about `percent`% of `n` students, some twice.
fn some_students(n: usize, percent: u64, g: &mut Lcg) -> Vec<u32> {
    let mut v = Vec::new();
    for s in 0..n as u32 {
        if g.chance(percent) {
            v.push(s);
            if g.chance(10) {
                v.push(s);
            }
        }
    }
    v
}

/// A time in the past (up to `days` ago), or now and then just after the evaluation time
/// (beyond the policy's one-hour tolerance: the row is refused).
fn when(g: &mut Lcg, days: u64) -> i64 {
    if g.chance(1) {
        AT + 2 * HOUR
    } else {
        AT - g.next(days * 24 + 1) as i64 * HOUR
    }
}

/// One instrument's batch: the instrument, the students of its rows (None: rows 0..n), codes, times.
type Batch = (Instrument, Option<Vec<u32>>, Vec<i16>, Vec<i64>);

/// Everything a generated cohort owns; the cohort borrows the answer buffers.
struct Data {
    n: usize,
    answers: Vec<Batch>,
    mht: Option<(BatchColumns, Vec<u32>, Vec<i64>)>,
    g: Lcg,
}

fn data(n: usize, seed: u64) -> Data {
    let mut g = Lcg(seed);
    let cat = policy().catalog();
    let mut list = Vec::new();
    for (id, percent) in [("phq9", 100), ("gad7", 50), ("asq", 60), ("phq_a", 20), ("cssrs_screen", 15), ("k6", 10)] {
        let inst = cat.instrument(id).unwrap();
        let students = if percent == 100 { None } else { Some(some_students(n, percent, &mut g)) };
        let rows = students.as_ref().map_or(n, Vec::len);
        let codes = answers(&inst, rows, &mut g);
        let at = (0..rows).map(|_| when(&mut g, 120)).collect();
        list.push((inst, students, codes, at));
    }
    let mht = if g.chance(80) {
        let stub = mht_stub();
        let students = some_students(n, 70, &mut g);
        let codes = answers(&stub, students.len(), &mut g);
        let cols = stub.score_batch(&BatchInput::new(&codes, stub.item_count(), -1)).unwrap();
        let at = (0..students.len()).map(|_| when(&mut g, 120)).collect();
        Some((cols, students, at))
    } else {
        None
    };
    Data { n, answers: list, mht, g }
}

fn cohort(d: &mut Data) -> CohortColumns<'_> {
    let p = policy();
    let n = d.n;
    let mut c = CohortColumns::new(p, n)
        .with_ids((0..n).map(|i| format!("s-{i:04}")).collect())
        .unwrap()
        .with_people(
            vec![
                Person {
                    name: "李老师".into(),
                    role: "head_teacher".into(),
                },
                Person {
                    name: "王老师".into(),
                    role: "psychology_teacher".into(),
                },
            ],
            p,
        )
        .unwrap()
        .with_institutions(vec!["常州市第一人民医院 (synthetic)".into()]);
    let g = &mut d.g;
    for (inst, students, codes, at) in &d.answers {
        let s = ScreeningColumns::score(p, &inst_ref(inst), BatchInput::new(codes, inst.item_count(), -1), Times::PerRow(at.clone())).unwrap();
        let s = match students {
            Some(v) => s.for_students(v.clone()).unwrap(),
            None => s,
        };
        c = c.with_screening(s).unwrap();
    }
    if let Some((cols, students, at)) = &d.mht {
        let mht = InstrumentRef {
            id: "mht".into(),
            version: "0.0.0-stub".into(),
            settings: Default::default(),
        };
        let sev = vec![Vec::<Severity>::new(); cols.scales.len()];
        let s = ScreeningColumns::external(p, &mht, cols.clone(), &sev, Times::PerRow(at.clone()))
            .unwrap()
            .for_students(students.clone())
            .unwrap();
        c = c.with_screening(s).unwrap();
    }
    let mut obs = ObservationColumns::default();
    let mut life = LifeEventColumns::default();
    let mut clin = ClinicalColumns::default();
    let mut agency = AgencyColumns::default();
    let mut periods = PeriodColumns::default();
    for s in 0..n as u32 {
        while g.chance(12) {
            obs.student.push(s);
            obs.category.push(g.next(10) as u8);
            obs.at.push(when(g, 45));
            obs.by.push(g.next(2) as u32);
        }
        while g.chance(8) {
            life.student.push(s);
            life.kind.push(g.next(9) as u8);
            life.at.push(when(g, 400));
            life.reported_by.push(if g.chance(50) { NO_PERSON } else { g.next(2) as u32 });
        }
        if g.chance(3) {
            clin.student.push(s);
            clin.kind.push(g.next(3) as u8);
            clin.at.push(when(g, 400));
            clin.institution.push(0);
        }
        if g.chance(3) {
            agency.student.push(s);
            agency.agency.push(g.next(7) as u8);
            agency.severity.push(g.next(2) as u8);
            agency.at.push(when(g, 120));
        }
        if g.chance(15) {
            periods.student.push(s);
            periods.kind.push(g.next(4) as u8);
            let from = AT - g.next(30) as i64 * DAY;
            periods.from.push(from);
            periods.to.push(from + (1 + g.next(40) as i64) * DAY);
        }
    }
    c = c
        .with_observations(obs)
        .unwrap()
        .with_life_events(life)
        .unwrap()
        .with_clinical(clin)
        .unwrap()
        .with_agency_notices(agency)
        .unwrap()
        .with_periods(periods)
        .unwrap();
    if g.chance(50) {
        c = c
            .with_period_for_all(
                p.special_period_code("spring").unwrap(),
                Timestamp::from_unix(AT - 7 * DAY),
                Timestamp::from_unix(AT + 50 * DAY),
            )
            .unwrap();
    }
    if g.chance(70) {
        let mut prev = PreviousColumns::default();
        for _ in 0..n {
            prev.tier.push(if g.chance(30) { g.next(4) as u8 } else { NO_TIER });
            prev.since.push(if g.chance(2) { AT + 3 * HOUR } else { AT - g.next(200 * 24) as i64 * HOUR });
        }
        c = c.with_previous(prev).unwrap();
    }
    c
}

/// Compare every row of the columnar result with the row path; returns (tier counts, refused rows).
fn check(c: &CohortColumns<'_>) -> ([usize; 4], usize) {
    let p = policy();
    let at = Timestamp::from_unix(AT);
    let out = evaluate_columns(p, c, at).unwrap();
    assert_eq!(out.tier.len(), c.len());
    let mut counts = [0usize; 4];
    let mut refused = 0;
    for i in 0..c.len() {
        let ev = c.student_evidence(i);
        // The rebuilt evidence is plain evidence: it survives its own JSON form.
        let ev = changkaixin_core::StudentEvidence::from_json(&ev.to_json()).unwrap();
        match evaluate(p, &ev, at) {
            Ok(d) => {
                assert_eq!(out.tier[i], d.tier.index, "row {i}: tier");
                assert_eq!(out.rule_tier[i], d.rule_tier.index, "row {i}: rules' tier");
                assert_eq!(out.change[i], d.change, "row {i}: change");
                assert_eq!(out.held_by[i], d.held_by.as_ref().map(|h| h.reason), "row {i}: hold");
                let fired: Vec<&str> = out.rules[i].iter().map(|r| out.rule_ids[r].as_str()).collect();
                let want: Vec<&str> = d.fired_rules.iter().map(|r| r.rule.as_str()).collect();
                assert_eq!(fired, want, "row {i}: fired rules");
                let lean = evaluate_tier_only(p, &ev, at).unwrap();
                assert_eq!((lean.tier, lean.rules), (out.tier[i], out.rules[i]), "row {i}: tier-only path");
                let due: BTreeSet<(String, i64)> = out
                    .due_of(i as u32)
                    .map(|k| (out.obligations[out.due.obligation[k] as usize].id.clone(), out.due.due_at[k]))
                    .collect();
                let mut want: BTreeSet<(String, i64)> = d.actions.iter().map(|a| (a.id.clone(), a.due_at.unix())).collect();
                want.extend(d.notifications.iter().map(|x| (format!("notify:{}", x.who), x.due_at.unix())));
                if let Some(r) = d.next_review_at {
                    want.insert((format!("review:{}", d.tier.id), r.unix()));
                }
                assert_eq!(due, want, "row {i}: due obligations");
                assert_eq!(out.due_of(i as u32).len(), want.len(), "row {i}: one entry per obligation");
                counts[usize::from(d.tier.index)] += 1;
            }
            Err(e) => {
                assert_eq!(out.tier[i], REFUSED, "row {i}: refused by the row path ({e})");
                let err = out.errors.iter().find(|x| x.row == i as u32).expect("the refusal is listed");
                assert_eq!((err.error.code(), err.error.path()), (e.code(), e.path()), "row {i}: same error");
                refused += 1;
            }
        }
    }
    assert_eq!(out.errors.len(), refused);
    for (k, t) in out.tier_counts.iter().enumerate() {
        assert_eq!(t.count as usize, counts[k]);
    }
    (counts, refused)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// On any generated cohort, every row's columnar decision is the row path's decision on
    /// the evidence rebuilt for that row.
    #[test]
    fn columnar_decides_as_the_row_path(seed in any::<u64>(), n in 1usize..60) {
        let mut d = data(n, seed);
        let c = cohort(&mut d);
        check(&c);
    }
}

/// One larger cohort reaches every tier and some refusals, so the comparison is not vacuous.
#[test]
fn a_large_cohort_reaches_every_tier() {
    let mut d = data(1500, 7);
    let c = cohort(&mut d);
    let (counts, refused) = check(&c);
    assert!(counts.iter().all(|c| *c > 0), "{counts:?}");
    assert!(refused > 0);
    // The explained decision of an opened row is the row path's.
    let at = Timestamp::from_unix(AT);
    let i = (0..c.len())
        .find(|i| evaluate(policy(), &c.student_evidence(*i), at).is_ok_and(|d| d.tier.id == "crisis"))
        .unwrap();
    assert_eq!(c.decide(policy(), i, at).unwrap(), evaluate(policy(), &c.student_evidence(i), at).unwrap());
}

/// Columns from outside are verified: external columns against the policy's declaration.
#[test]
fn external_columns_are_verified() {
    let p = policy();
    let stub = mht_stub();
    let codes: Vec<i16> = vec![1; 10 * 3];
    let cols = stub.score_batch(&BatchInput::new(&codes, 10, -1)).unwrap();
    let mht = InstrumentRef {
        id: "mht".into(),
        version: "0.0.0-stub".into(),
        settings: Default::default(),
    };
    let sev = vec![Vec::<Severity>::new(); cols.scales.len()];
    assert!(ScreeningColumns::external(p, &mht, cols.clone(), &sev, Times::Same(AT)).is_ok());
    // A total above the declared maximum (90).
    let mut high = cols.clone();
    let k = high.scales.iter().position(|s| s.id == "total").unwrap();
    high.scales[k].raw[1] = 91 * 10i64.pow(high.scales[k].raw_decimals);
    let e = ScreeningColumns::external(p, &mht, high, &sev, Times::Same(AT)).unwrap_err();
    assert_eq!((e.code(), e.path()), ("evidence.out_of_range", format!("/rows/1/scales/{k}/raw").as_str()));
    // An undeclared scale.
    let mut extra = cols.clone();
    extra.scales[0].id = "syn_a".into();
    assert_eq!(
        ScreeningColumns::external(p, &mht, extra, &sev, Times::Same(AT)).unwrap_err().code(),
        "evidence.report_inconsistent"
    );
    // A set flag the policy does not declare.
    let mut flag = cols.clone();
    flag.flag_ids.push("secret".into());
    flag.flags[2] |= 1 << (flag.flag_ids.len() - 1);
    let e = ScreeningColumns::external(p, &mht, flag, &sev, Times::Same(AT)).unwrap_err();
    assert_eq!((e.code(), e.path()), ("evidence.report_inconsistent", "/rows/2/flags/1"));
    // A valid row with an unscored scale.
    let mut unscored = cols.clone();
    unscored.scales[0].raw[0] = changkaixin_core::scoring::batch::UNSCORED;
    unscored.validity[0] = 0;
    assert_eq!(
        ScreeningColumns::external(p, &mht, unscored, &sev, Times::Same(AT)).unwrap_err().code(),
        "evidence.report_inconsistent"
    );
    // Columns of a catalog instrument cannot pass as external, nor MHT answers as catalog ones.
    let phq9 = p.catalog().instrument("phq9").unwrap();
    let phq = phq9.score_batch(&BatchInput::new(&[0i8; 10], 10, -1)).unwrap();
    assert_eq!(
        ScreeningColumns::external(p, &inst_ref(&phq9), phq, &[], Times::Same(AT)).unwrap_err().code(),
        "evidence.unknown_instrument"
    );
    assert_eq!(
        ScreeningColumns::score(p, &mht, BatchInput::new(&codes, 10, -1), Times::Same(AT))
            .unwrap_err()
            .code(),
        "evidence.unknown_instrument"
    );
}

/// Event tables are checked when they enter a cohort; a cohort is tied to its policy.
#[test]
fn tables_are_checked() {
    let p = policy();
    let c = CohortColumns::new(p, 3);
    let unsorted = ObservationColumns {
        student: vec![2, 1],
        category: vec![0, 0],
        at: vec![AT, AT],
        by: vec![0, 0],
    };
    let people = vec![Person {
        name: "t".into(),
        role: "head_teacher".into(),
    }];
    let c = c.with_people(people, p).unwrap();
    assert_eq!(c.with_observations(unsorted).unwrap_err().code(), "batch.shape");
    let c = CohortColumns::new(p, 3);
    let bad_kind = LifeEventColumns {
        student: vec![0],
        kind: vec![99],
        at: vec![AT],
        reported_by: vec![NO_PERSON],
    };
    assert_eq!(c.with_life_events(bad_kind).unwrap_err().code(), "evidence.invalid");
    let c = CohortColumns::new(p, 3);
    let bad_role = vec![Person {
        name: "x".into(),
        role: "janitor".into(),
    }];
    assert_eq!(c.with_people(bad_role, p).unwrap_err().path(), "/people/0/role");
    let c = CohortColumns::new(p, 1);
    let prev = PreviousColumns {
        tier: vec![9],
        since: vec![AT],
    };
    assert_eq!(c.with_previous(prev).unwrap_err().code(), "evidence.invalid");
    // Another policy (another version) refuses the cohort.
    let mut other = AlertPolicy::changzhou_default().unwrap();
    other.version = "9.9.9".into();
    let other = other.compile(p.catalog()).unwrap();
    let c = CohortColumns::new(p, 1);
    assert_eq!(evaluate_columns(&other, &c, Timestamp::from_unix(AT)).unwrap_err().code(), "evidence.invalid");
    let phq9 = p.catalog().instrument("phq9").unwrap();
    let s = ScreeningColumns::score(&other, &inst_ref(&phq9), BatchInput::new(&[0i8; 10], 10, -1), Times::Same(AT)).unwrap();
    assert_eq!(CohortColumns::new(p, 1).with_screening(s).unwrap_err().code(), "batch.shape");
}

/// A screening round: everyone screened at the same time, many students with the same answers
/// and events (the columnar entry reuses the decision of identical reduced evidence) — every row
/// still decides as the row path.
#[test]
fn a_screening_round_with_repeated_rows_decides_as_the_row_path() {
    let p = policy();
    let cat = p.catalog();
    let mut g = Lcg(2024);
    let (distinct, copies) = (300usize, 20usize);
    let n = distinct * copies;
    let insts: Vec<Instrument> = ["phq9", "gad7", "asq"].iter().map(|id| cat.instrument(id).unwrap()).collect();
    let base: Vec<Vec<i16>> = insts.iter().map(|i| answers(i, distinct, &mut g)).collect();
    let codes: Vec<Vec<i16>> = insts
        .iter()
        .zip(&base)
        .map(|(i, b)| {
            (0..n)
                .flat_map(|r| b[(r % distinct) * i.item_count()..(r % distinct + 1) * i.item_count()].to_vec())
                .collect()
        })
        .collect();
    let stub = mht_stub();
    let mht_base = answers(&stub, distinct, &mut g);
    let mht_codes: Vec<i16> = (0..n).flat_map(|r| mht_base[(r % distinct) * 10..(r % distinct + 1) * 10].to_vec()).collect();
    let mht_cols = stub.score_batch(&BatchInput::new(&mht_codes, 10, -1)).unwrap();
    let screened = AT - 70 * HOUR;
    let mut c = CohortColumns::new(p, n)
        .with_numbered_ids("s-", 5)
        .with_people(
            vec![Person {
                name: "李老师".into(),
                role: "head_teacher".into(),
            }],
            p,
        )
        .unwrap();
    for (i, codes) in insts.iter().zip(&codes) {
        c = c
            .with_screening(ScreeningColumns::score(p, &inst_ref(i), BatchInput::new(codes, i.item_count(), -1), Times::Same(screened)).unwrap())
            .unwrap();
    }
    let mht = InstrumentRef {
        id: "mht".into(),
        version: "0.0.0-stub".into(),
        settings: Default::default(),
    };
    let sev = vec![Vec::<Severity>::new(); mht_cols.scales.len()];
    c = c
        .with_screening(ScreeningColumns::external(p, &mht, mht_cols, &sev, Times::Same(screened)).unwrap())
        .unwrap();
    let mut obs = ObservationColumns::default();
    let mut prev = PreviousColumns::default();
    for r in 0..n as u32 {
        if (r as usize % distinct).is_multiple_of(7) {
            obs.student.push(r);
            obs.category.push(((r as usize % distinct) % 10) as u8);
            obs.at.push(AT - 30 * HOUR);
            obs.by.push(0);
        }
        let k = (r as usize % distinct) % 11;
        prev.tier.push(if k < 4 { k as u8 } else { NO_TIER });
        prev.since.push(AT - 40 * DAY);
    }
    c = c
        .with_observations(obs)
        .unwrap()
        .with_previous(prev)
        .unwrap()
        .with_period_for_all(
            p.special_period_code("exam").unwrap(),
            Timestamp::from_unix(AT - DAY),
            Timestamp::from_unix(AT + DAY),
        )
        .unwrap();
    let (counts, refused) = check(&c);
    assert_eq!(refused, 0);
    assert!(counts.iter().all(|c| *c > 0), "{counts:?}");
}
