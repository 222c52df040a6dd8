//! Alert-tier benchmarks (issue 3 target, one core): decisions for 1,000,000 students,
//! at least 1 million decisions/s.
//!
//! * `tier_only_1m`: 1,000,000 students from their evidence records ([`Evaluator::tier_only`]:
//!   evidence checked against the policy, dates parsed, ids resolved, every relevant rule
//!   evaluated, hysteresis applied; tier indices and fired-rule sets out, no strings built).
//! * `prepared_1m`: 1,000,000 students from prepared evidence ([`Evaluator::prepare`] once,
//!   [`Evaluator::tier_only_prepared`] per evaluation): the daily re-evaluation of a city
//!   whose evidence has not changed.
//! * `batch_10k`: [`evaluate_batch`] over the pool: tiers, tier counts and overdue obligations.
//! * `full_decision_10k`: full explained decisions (rules, evidence, sources, due times, zh/en summary).
//! * `columnar_1m` (issue 10.6 target: at least 1.5 million decisions/s on one core): the city
//!   cohort of the main job, 1,000,000 students with PHQ-9, GAD-7, ASQ and MHT columns, event
//!   tables and a special period, tiered by `alert::columnar::evaluate_columns` from the
//!   engine's own columns (tier column, fired-rule sets, every due obligation).
//! * `columnar_scored_1m`: the same from the raw answers — scoring the four instruments into
//!   columns, then tiering (the main job's pipeline without printing).
//!
//! The reference for the columnar figures, in the same process: the row path
//! (`evaluate_tier_only`) on the same students' evidence as `CohortColumns::student_evidence`
//! rebuilds it (answers, scored by the engine per student), over the first 20,000 students.
//!
//! The students are a pool of 10,000 distinct synthetic students cycled 100 times (a million
//! owned evidence records with full score reports would need gigabytes). Before criterion
//! runs, one pass over 1,000,000 students is timed in wall-clock and in process CPU time
//! (from /proc/self/stat), because the machine may be shared and wall time then overstates
//! the cost on one core. Reports are scored with the stub specs of `tests/fixtures/alert/`
//! (ids as in the catalog). Run: `cargo bench -p changkaixin-benches --bench alert`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use changkaixin_benches::city;
use changkaixin_benches::cohort::Cohort;
use changkaixin_core::alert::columnar::evaluate_columns;
use changkaixin_core::alert::evaluate_tier_only;
use changkaixin_core::alert::{
    evaluate, evaluate_batch, AlertPolicy, CompiledPolicy, Evaluator, LifeEvent, Observation, Person, PreparedEvidence, PreviousTier, Review, Screening,
    SpecialPeriod, StudentEvidence, Timestamp,
};
use changkaixin_core::{Catalog, Instrument, Response};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;

const POOL: usize = 10_000;
const N: usize = 1_000_000;
const AT: i64 = 1_709_539_200; // 2024-03-04T08:00:00Z

/// A small deterministic generator (no dependency, same pool every run).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next(100) < percent
    }
}

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!("{}/../tests/fixtures/alert/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn setup() -> (CompiledPolicy, Vec<StudentEvidence>) {
    let specs: Vec<serde_json::Value> = serde_json::from_str(&fixture("stub_catalog.json")).unwrap();
    let catalog = specs
        .iter()
        .fold(Catalog::empty(), |c, s| c.with_instrument(Instrument::from_json(&s.to_string()).unwrap()));
    let policy = AlertPolicy::changzhou_default().unwrap().compile(&catalog).unwrap();
    let mht = Instrument::from_json(&fixture("mht_external_stub.json")).unwrap();
    let inst = |id: &str| catalog.instrument(id).unwrap();
    let (phq_a, gad7, asq, cssrs) = (inst("phq_a"), inst("gad7"), inst("asq"), inst("cssrs_screen"));
    let mut g = Lcg(42);
    let t = |hours_ago: u64| Timestamp::from_unix(AT - hours_ago as i64 * 3600).to_string();
    let codes = |g: &mut Lcg, n: usize, max: u64, skew: u64| -> Vec<Option<i64>> {
        (0..n).map(|_| Some(if g.chance(skew) { g.next(max + 1) as i64 } else { 0 })).collect()
    };
    let categories = ["withdrawal", "sudden_decline", "aggression", "mood_change", "suicide_talk", "self_harm"];
    let events = ["bereavement", "family_breakdown", "left_behind", "bullying_victim"];
    let tiers = ["watch", "key", "crisis"];
    let mut students = Vec::with_capacity(POOL);
    for i in 0..POOL {
        let mut e = StudentEvidence {
            student: format!("s-{i:05}"),
            ..StudentEvidence::default()
        };
        // Everyone has the annual screening: PHQ-A and the MHT-shaped external instrument.
        // Mostly low scores; item 9 non-zero for about 4% (school samples report a few per cent).
        let mut a = codes(&mut g, 8, 3, 25);
        a.extend(codes(&mut g, 1, 3, 4));
        a.extend([Some(g.chance(2) as i64), Some(g.chance(1) as i64)]);
        e.screenings
            .push(Screening::from_report(None, t(g.next(2000)), phq_a.score(&Response::from_codes(&a)).unwrap()));
        e.screenings.push(Screening::from_report(
            None,
            t(g.next(2000)),
            mht.score(&Response::from_codes(&codes(&mut g, 10, 1, 40))).unwrap(),
        ));
        if g.chance(30) {
            e.screenings.push(Screening::from_report(
                None,
                t(g.next(1000)),
                gad7.score(&Response::from_codes(&codes(&mut g, 7, 3, 25))).unwrap(),
            ));
        }
        if g.chance(5) {
            let mut c = codes(&mut g, 4, 1, 10);
            c.push(if g.chance(80) { Some(g.chance(20) as i64) } else { None });
            e.screenings
                .push(Screening::from_report(None, t(g.next(300)), asq.score(&Response::from_codes(&c)).unwrap()));
        }
        if g.chance(3) {
            e.screenings.push(Screening::from_report(
                None,
                t(g.next(600)),
                cssrs.score(&Response::from_codes(&codes(&mut g, 6, 1, 15))).unwrap(),
            ));
        }
        if g.chance(10) {
            let category = categories[g.next(categories.len() as u64) as usize].to_owned();
            e.observations.push(Observation {
                id: None,
                category,
                at: t(g.next(1000)),
                observed_by: Person {
                    name: "t".into(),
                    role: "head_teacher".into(),
                },
            });
        }
        if g.chance(5) {
            e.life_events.push(LifeEvent {
                id: None,
                kind: events[g.next(events.len() as u64) as usize].to_owned(),
                at: t(g.next(4000)),
                reported_by: None,
            });
        }
        if g.chance(30) {
            e.special_periods.push(SpecialPeriod {
                kind: "exam".into(),
                from: t(240),
                to: Timestamp::from_unix(AT + 16 * 86_400).to_string(),
            });
        }
        if g.chance(15) {
            let k = g.next(3) as usize;
            e.previous = Some(PreviousTier {
                tier: tiers[k].into(),
                since: t(200 + g.next(2000)),
                confirmed_by: None,
                ..PreviousTier::default()
            });
            if g.chance(30) {
                let to = if k == 0 { "none" } else { tiers[k - 1] };
                e.reviews.push(Review {
                    id: None,
                    by: Person {
                        name: "r".into(),
                        role: "principal".into(),
                    },
                    at: t(g.next(200)),
                    from_tier: tiers[k].into(),
                    to_tier: to.into(),
                    reason: "reviewed".into(),
                });
            }
        }
        students.push(e);
    }
    (policy, students)
}

/// Process CPU time (user + system) in seconds, from /proc/self/stat (clock ticks of 1/100 s).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    // After the command name: state, ppid, pgrp, session, tty, tpgid, flags, minflt, cminflt, majflt, cmajflt, utime, stime.
    let tick = |i: usize| fields.get(i).and_then(|x| x.parse::<f64>().ok()).unwrap_or(0.0);
    (tick(11) + tick(12)) / 100.0
}

fn one_pass(name: &str, mut run: impl FnMut() -> u64) {
    let (wall, cpu) = (std::time::Instant::now(), cpu_seconds());
    let n = run();
    let (wall, cpu) = (wall.elapsed().as_secs_f64(), cpu_seconds() - cpu);
    eprintln!(
        "{name}: {n} decisions in {wall:.2} s wall ({:.2} M/s), {cpu:.2} s CPU ({:.2} M/s on one core)",
        n as f64 / wall / 1e6,
        n as f64 / cpu.max(0.01) / 1e6
    );
}

fn bench(c: &mut Criterion) {
    let (policy, students) = setup();
    let at = Timestamp::from_unix(AT);
    let batch = evaluate_batch(&policy, &students, at);
    assert!(batch.errors.is_empty(), "{:?}", batch.errors.first());
    eprintln!(
        "pool of {POOL}: {}; {} overdue obligations",
        batch
            .tier_counts
            .iter()
            .map(|t| format!("{} {}", t.tier, t.count))
            .collect::<Vec<_>>()
            .join(", "),
        batch.overdue.len()
    );
    let prepared: Vec<PreparedEvidence> = {
        let ev = Evaluator::new(&policy);
        students.iter().map(|s| ev.prepare(s).unwrap()).collect()
    };
    let mut ev = Evaluator::new(&policy);
    one_pass("tier_only, 1,000,000 students from evidence", || {
        students.iter().cycle().take(N).map(|s| u64::from(ev.tier_only(s, at).is_ok())).sum()
    });
    one_pass("evaluate_batch, 100 batches of 10,000 students (tiers, counts, overdue)", || {
        (0..100).map(|_| evaluate_batch(&policy, &students, at).rows.len() as u64).sum()
    });
    one_pass("tier_only, 1,000,000 students prepared", || {
        prepared.iter().cycle().take(N).map(|s| u64::from(ev.tier_only_prepared(s, at).is_ok())).sum()
    });

    // The columnar entry on the main job's city cohort (built-in catalog and policy).
    let city_policy = CompiledPolicy::changzhou_default().unwrap();
    let mht = Instrument::from_json(city::MHT_SYNTHETIC).unwrap();
    let cohort = Cohort::synthetic(N, 2024);
    let city_at = Timestamp::from_unix(city::EVALUATED_AT);
    let built = city::run(city_policy, &cohort, &mht).unwrap();
    assert!(built.tiers.errors.is_empty());
    eprintln!(
        "city cohort of {N}: {}; {} due obligations",
        built
            .tiers
            .tier_counts
            .iter()
            .map(|t| format!("{} {}", t.tier, t.count))
            .collect::<Vec<_>>()
            .join(", "),
        built.tiers.due.row.len()
    );
    let columns = &built.columns;
    const SAMPLE: usize = 20_000;
    let rebuilt: Vec<StudentEvidence> = (0..SAMPLE).map(|i| columns.student_evidence(i)).collect();
    for (i, e) in rebuilt.iter().enumerate().step_by(97) {
        assert_eq!(evaluate_tier_only(city_policy, e, city_at).unwrap().tier, built.tiers.tier[i]);
    }
    let cpu = cpu_seconds();
    let t = std::time::Instant::now();
    let ok = rebuilt.iter().filter(|e| evaluate_tier_only(city_policy, e, city_at).is_ok()).count();
    let (row_wall, row_cpu) = (t.elapsed().as_secs_f64(), cpu_seconds() - cpu);
    eprintln!(
        "reference, row path on the same students' evidence (answers scored per student): {ok} decisions in {row_wall:.2} s wall ({:.3} M/s), {row_cpu:.2} s CPU ({:.3} M/s on one core)",
        ok as f64 / row_wall / 1e6,
        ok as f64 / row_cpu.max(0.01) / 1e6
    );
    one_pass("columnar: evaluate_columns, 1,000,000 students from engine columns", || {
        evaluate_columns(city_policy, columns, city_at).unwrap().tier.len() as u64
    });
    one_pass("columnar from answers: score 4 instruments + evaluate_columns, 1,000,000 students", || {
        city::run(city_policy, &cohort, &mht).unwrap().tiers.tier.len() as u64
    });

    let mut g = c.benchmark_group("alert");
    g.sample_size(10).throughput(Throughput::Elements(N as u64));
    g.bench_function("tier_only_1m", |b| {
        let mut ev = Evaluator::new(&policy);
        b.iter(|| {
            let mut counts = [0u64; 4];
            for s in students.iter().cycle().take(N) {
                counts[usize::from(ev.tier_only(black_box(s), at).unwrap().tier)] += 1;
            }
            black_box(counts)
        })
    });
    g.bench_function("prepared_1m", |b| {
        let mut ev = Evaluator::new(&policy);
        b.iter(|| {
            let mut counts = [0u64; 4];
            for s in prepared.iter().cycle().take(N) {
                counts[usize::from(ev.tier_only_prepared(black_box(s), at).unwrap().tier)] += 1;
            }
            black_box(counts)
        })
    });
    g.bench_function("columnar_1m", |b| {
        b.iter(|| black_box(evaluate_columns(city_policy, black_box(columns), city_at).unwrap()))
    });
    g.bench_function("columnar_scored_1m", |b| {
        b.iter(|| black_box(city::run(city_policy, black_box(&cohort), &mht).unwrap().tiers.tier))
    });
    g.throughput(Throughput::Elements(POOL as u64)).sample_size(20);
    g.bench_function("batch_10k", |b| b.iter(|| black_box(evaluate_batch(&policy, black_box(&students), at))));
    g.bench_function("full_decision_10k", |b| {
        b.iter(|| {
            for s in &students {
                black_box(evaluate(&policy, black_box(s), at).unwrap());
            }
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
