//! Compliance-check benchmark (issue 11 target, one core): a synthetic city of 700 schools,
//! each with one school year (2023–2024) of daily counselling-room duty logs, per-class daily
//! sport logs and lesson logs (psychology, labour), meetings and home contact, checked against
//! the Changzhou 2022–2024 pack (36 requirements) — target ≤ 100 ms for the whole city.
//!
//! * `check_city_700`: [`check_summary_validated`] for every school — per requirement the status,
//!   measured value, shortfall and unit counts (what roll-ups need), facts validated once
//!   beforehand as `SchoolFacts::from_json` does on load. This is the figure held to the target.
//! * `check_city_700_full_reports`: [`check_validated`] — full reports with titles, citations,
//!   failing units and explanations in Chinese and English (built on request, per school).
//! * `check_city_700_with_validation`: [`check_summary`], which validates the facts first.
//! * `rollup_700`: the district and city roll-up of the 700 summaries.
//!
//! The city is generated before timing (`changkaixin_benches::compliance::synthetic_city`).
//! One pass is also timed in wall-clock and process CPU time (the machine may be shared).
//! Run: `cargo bench -p changkaixin-benches --bench compliance`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use changkaixin_benches::compliance::{log_entries, synthetic_city};
use changkaixin_core::compliance::{check_summary, check_summary_validated, check_validated, rollup_summaries, CompiledPack};
use changkaixin_core::time::Date;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;

const SCHOOLS: usize = 700;

/// Process CPU time (user + system) in seconds, from /proc/self/stat (clock ticks of 1/100 s).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let tick = |i: usize| fields.get(i).and_then(|x| x.parse::<f64>().ok()).unwrap_or(0.0);
    (tick(11) + tick(12)) / 100.0
}

fn bench(c: &mut Criterion) {
    let pack = CompiledPack::changzhou_2022_2024().unwrap();
    let city = synthetic_city(SCHOOLS, 2024);
    for f in &city {
        f.validate().unwrap();
    }
    let as_of = Date::parse("2024-08-31").unwrap();
    let classes: usize = city.iter().map(|s| s.classes.as_ref().map_or(0, Vec::len)).sum();
    eprintln!(
        "city: {SCHOOLS} schools, {classes} classes, {} log entries, {} requirements",
        log_entries(&city),
        pack.pack().requirements.len()
    );
    // One timed pass of 10 cities, wall and CPU.
    let (wall, cpu) = (std::time::Instant::now(), cpu_seconds());
    for _ in 0..10 {
        for f in &city {
            black_box(check_summary_validated(pack, f, as_of));
        }
    }
    let (wall, cpu) = (wall.elapsed().as_secs_f64() / 10.0, (cpu_seconds() - cpu) / 10.0);
    eprintln!("one city, summaries: {:.1} ms wall, {:.1} ms CPU (one core)", wall * 1e3, cpu * 1e3);
    let (wall, cpu) = (std::time::Instant::now(), cpu_seconds());
    for _ in 0..10 {
        for f in &city {
            black_box(check_validated(pack, f, as_of));
        }
    }
    let (wall, cpu) = (wall.elapsed().as_secs_f64() / 10.0, (cpu_seconds() - cpu) / 10.0);
    eprintln!("one city, full reports: {:.1} ms wall, {:.1} ms CPU (one core)", wall * 1e3, cpu * 1e3);

    let mut g = c.benchmark_group("compliance");
    g.sample_size(20).throughput(Throughput::Elements(SCHOOLS as u64));
    g.bench_function("check_city_700", |b| {
        b.iter(|| {
            for f in &city {
                black_box(check_summary_validated(pack, f, as_of));
            }
        })
    });
    g.bench_function("check_city_700_full_reports", |b| {
        b.iter(|| {
            for f in &city {
                black_box(check_validated(pack, f, as_of));
            }
        })
    });
    g.bench_function("check_city_700_with_validation", |b| {
        b.iter(|| {
            for f in &city {
                black_box(check_summary(pack, f, as_of).unwrap());
            }
        })
    });
    let summaries: Vec<_> = city.iter().map(|f| check_summary_validated(pack, f, as_of)).collect();
    g.bench_function("rollup_700", |b| b.iter(|| black_box(rollup_summaries(pack, &summaries).unwrap())));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
