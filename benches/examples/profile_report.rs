//! One pass of the city report at scale, timed (for profiling): `cargo run --release --example profile_report [N] [schools]`.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use changkaixin_benches::report::{city, layout, spec};
use changkaixin_core::report::{city_report_audited, to_html, Aggregate, InstrumentRows, ReportOptions, ReportRows, Round, Settings};
use std::time::Instant;

fn main() {
    let n: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(700_000);
    let schools: usize = std::env::args().nth(2).and_then(|a| a.parse().ok()).unwrap_or(700);
    let c = city(n, schools, 2024, 0);
    let spec = spec(layout(schools), &c.phq9);
    let t = Instant::now();
    let mut agg = Aggregate::new(&spec).unwrap();
    let inst = [
        InstrumentRows::from_batch(&c.phq9, &c.phq9_band),
        InstrumentRows::from_batch(&c.gad7, &c.gad7_band),
    ];
    agg.add(
        &spec,
        &ReportRows {
            district: &c.district,
            school: &c.school,
            grade: &c.grade,
            sex: &c.sex,
            instruments: &inst,
            tiers: &c.tiers,
        },
    )
    .unwrap();
    println!("aggregate {:.1} ms", t.elapsed().as_secs_f64() * 1e3);
    let t = Instant::now();
    let opts = ReportOptions {
        round: Round {
            id: "r".into(),
            zh: "r".into(),
            en: "r".into(),
        },
        suppression: Settings::default(),
        enrolment: Some(&c.enrolment),
        previous: None,
    };
    let (report, audit) = city_report_audited(&spec, &agg, &opts).unwrap();
    println!("suppress+audit+build {:.1} ms", t.elapsed().as_secs_f64() * 1e3);
    for m in &report.measures {
        println!("{:<20} {:>6} of {:>6} cells suppressed", m.id, m.suppressed, m.cells);
    }
    println!("audit all protected: {}", audit.all_protected());
    let t = Instant::now();
    let html = to_html(&report);
    println!(
        "html {:.1} ms, {} bytes; json {} bytes",
        t.elapsed().as_secs_f64() * 1e3,
        html.len(),
        serde_json::to_string(&report).unwrap().len()
    );
}
