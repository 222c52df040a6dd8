//! City-report benchmark (issue 13 target, one core): aggregate and suppress a synthetic city of
//! 700,000 screened students (PHQ-9, GAD-7, tiers; 7 districts, 700 schools, grades 1–12, two
//! sexes) — target ≤ 200 ms.
//!
//! * `aggregate_700k`: [`Aggregate::add`] of every row (6 measures: PHQ-9 bands, screen, item 9;
//!   GAD-7 bands, screen; tiers), in chunks of 100,000 merged (as a scale-out job would).
//! * `suppress_700k`: primary + complementary suppression of the 6 measures' linked tables and
//!   the audit of every suppressed cell, building the published report (`city_report_audited`).
//! * `aggregate_and_suppress_700k`: both — the figure held to the target.
//! * `html_700k`: rendering the HTML page (not part of the target).
//!
//! The city is generated and scored before timing. One pass is also timed in wall-clock and
//! process CPU time (the machine may be shared). Run: `cargo bench -p changkaixin-benches --bench report`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use changkaixin_benches::report::{city, layout, spec, City};
use changkaixin_core::report::{city_report_audited, to_html, Aggregate, InstrumentRows, ReportOptions, ReportRows, ReportSpec, Round, Settings};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;

const STUDENTS: usize = 700_000;
const SCHOOLS: usize = 700;

fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let tick = |i: usize| fields.get(i).and_then(|x| x.parse::<f64>().ok()).unwrap_or(0.0);
    (tick(11) + tick(12)) / 100.0
}

fn aggregate(spec: &ReportSpec, c: &City) -> Aggregate {
    let mut total = Aggregate::new(spec).unwrap();
    let chunk = 100_000;
    for start in (0..STUDENTS).step_by(chunk) {
        let r = start..(start + chunk).min(STUDENTS);
        let inst = [
            InstrumentRows {
                band: &c.phq9_band[r.clone()],
                screen: &c.phq9.screen[r.clone()],
                flags: &c.phq9.flags[r.clone()],
                flags_indeterminate: &c.phq9.flags_indeterminate[r.clone()],
            },
            InstrumentRows {
                band: &c.gad7_band[r.clone()],
                screen: &c.gad7.screen[r.clone()],
                flags: &c.gad7.flags[r.clone()],
                flags_indeterminate: &c.gad7.flags_indeterminate[r.clone()],
            },
        ];
        let rows = ReportRows {
            district: &c.district[r.clone()],
            school: &c.school[r.clone()],
            grade: &c.grade[r.clone()],
            sex: &c.sex[r.clone()],
            instruments: &inst,
            tiers: &c.tiers[r.clone()],
        };
        let mut part = Aggregate::new(spec).unwrap();
        part.add(spec, &rows).unwrap();
        total.merge(&part).unwrap();
    }
    total
}

fn options(c: &City) -> ReportOptions<'_> {
    ReportOptions {
        round: Round {
            id: "2024-spring".into(),
            zh: "2024年春季普测".into(),
            en: "spring 2024 screening".into(),
        },
        suppression: Settings::default(),
        enrolment: Some(&c.enrolment),
        previous: None,
    }
}

fn bench(cr: &mut Criterion) {
    let c = city(STUDENTS, SCHOOLS, 2024, 0);
    let spec = spec(layout(SCHOOLS), &c.phq9);
    let opts = options(&c);
    let (wall, cpu) = (std::time::Instant::now(), cpu_seconds());
    let agg = aggregate(&spec, &c);
    let (report, audit) = city_report_audited(&spec, &agg, &opts).unwrap();
    let (wall, cpu) = (wall.elapsed().as_secs_f64(), cpu_seconds() - cpu);
    let suppressed: u32 = report.measures.iter().map(|m| m.suppressed).sum();
    let cells: u32 = report.measures.iter().map(|m| m.cells).sum();
    eprintln!(
        "city: {STUDENTS} students, {SCHOOLS} schools, {} measures, {cells} cells, {suppressed} suppressed, audit {}",
        spec.measures.len(),
        if audit.all_protected() { "passed" } else { "FAILED" }
    );
    eprintln!(
        "one pass, aggregate + suppress + audit: {:.1} ms wall, {:.1} ms CPU (one core)",
        wall * 1e3,
        cpu * 1e3
    );
    let mut g = cr.benchmark_group("report");
    g.sample_size(10);
    g.measurement_time(std::time::Duration::from_secs(
        std::env::var("BENCH_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(8),
    ));
    g.throughput(Throughput::Elements(STUDENTS as u64));
    g.bench_function("aggregate_700k", |b| b.iter(|| black_box(aggregate(&spec, &c))));
    g.bench_function("suppress_700k", |b| b.iter(|| black_box(city_report_audited(&spec, &agg, &opts).unwrap())));
    g.bench_function("aggregate_and_suppress_700k", |b| {
        b.iter(|| {
            let agg = aggregate(&spec, &c);
            black_box(city_report_audited(&spec, &agg, &opts).unwrap())
        })
    });
    g.bench_function("html_700k", |b| b.iter(|| black_box(to_html(&report))));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
