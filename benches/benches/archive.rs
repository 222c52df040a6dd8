//! Archive validation benchmark (issue 12 target, one core): validating 1,000,000 counselling
//! records, at least 200,000 records/s.
//!
//! The records are a pool of 10,000 distinct synthetic counselling records (version 2; open and
//! closed cases, some with confidentiality broken, four modalities, varied text lengths) as JSON
//! text, cycled 100 times. Each validation is the full `archive::validate`: header peek, typed
//! parse, every semantic rule. Before criterion runs, one pass over 1,000,000 records is timed in
//! wall-clock and in process CPU time (from /proc/self/stat, because the machine may be shared and
//! wall time then overstates the cost on one core), and one pass over 100,000 records of which 10 %
//! are invalid (the schema walk that reports every problem runs for those).
//! Run: `cargo bench -p changkaixin-benches --bench archive`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use changkaixin_benches::Lcg;
use changkaixin_core::archive::validate;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;

const POOL: usize = 10_000;
const N: usize = 1_000_000;

fn words(g: &mut Lcg, n: u32) -> String {
    const W: &[&str] = &[
        "synthetic",
        "sleep",
        "exam",
        "stress",
        "friends",
        "mood",
        "plan",
        "weekly",
        "talk",
        "family",
        "calm",
        "school",
    ];
    (0..1 + g.below(n)).map(|_| W[g.below(W.len() as u32) as usize]).collect::<Vec<_>>().join(" ")
}

fn record(g: &mut Lcg, i: usize, valid: bool) -> String {
    let start = 1_709_712_000 + i64::from(g.below(86_400 * 200));
    let ts = |s: i64| changkaixin_core::time::Timestamp::from_unix(s).to_string();
    let closed = g.below(3) == 0;
    let modality = ["face_to_face", "phone", "hotline_96111", "online"][g.below(4) as usize];
    let mut parts = serde_json::json!({
        "current_state": words(g, 20), "main_problem": words(g, 10), "assessment": words(g, 20),
        "analysis": words(g, 30), "countermeasures": words(g, 20)});
    if closed {
        parts["effect_evaluation"] = words(g, 20).into();
    }
    let mut r = serde_json::json!({
        "schema": "changkaixin.archive.counselling_record", "schema_version": 2,
        "record_id": format!("cns-{i:06}"), "student": format!("stu-{:06}", g.below(1_000_000)),
        "counsellor": {"id": format!("staff-{:03}", g.below(500)), "role": "psychology_teacher"},
        "modality": modality, "started_at": ts(start), "ended_at": ts(start + 1800 + i64::from(g.below(3600))),
        "parts": parts, "informed_consent": {"given": true, "recorded_at": ts(start)},
        "case_status": if closed { "closed" } else { "open" }});
    if g.below(20) == 0 {
        r["confidentiality_break"] = serde_json::json!({"risk": words(g, 10), "informed": [{"party": "guardian", "at": ts(start + 3600)}]});
    }
    if !valid {
        match g.below(3) {
            0 => r["parts"]["main_problem"] = "".into(),
            1 => r["modality"] = "letter".into(),
            _ => {
                r.as_object_mut().unwrap().remove("case_status");
            }
        }
    }
    r.to_string()
}

/// Process CPU time (user + system) in seconds, from /proc/self/stat (clock ticks of 1/100 s).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let tick = |i: usize| fields.get(i).and_then(|x| x.parse::<f64>().ok()).unwrap_or(0.0);
    (tick(11) + tick(12)) / 100.0
}

fn one_pass(name: &str, pool: &[String], n: usize) {
    let (wall, cpu) = (std::time::Instant::now(), cpu_seconds());
    let mut ok = 0u64;
    for i in 0..n {
        ok += u64::from(black_box(validate(&pool[i % pool.len()])).is_ok());
    }
    let (wall, cpu) = (wall.elapsed().as_secs_f64(), cpu_seconds() - cpu);
    eprintln!(
        "{name}: {n} records ({ok} valid) in {wall:.2} s wall ({:.0} k/s), {cpu:.2} s CPU ({:.0} k records/s on one core; target >= 200 k/s)",
        n as f64 / wall / 1e3,
        n as f64 / cpu.max(0.01) / 1e3
    );
}

fn bench(c: &mut Criterion) {
    let mut g = Lcg::new(12);
    let pool: Vec<String> = (0..POOL).map(|i| record(&mut g, i, true)).collect();
    if let Some(e) = pool.iter().find_map(|r| validate(r).err()) {
        panic!("the pool is valid: {e:?}");
    }
    let bytes: usize = pool.iter().map(String::len).sum();
    eprintln!("pool: {POOL} counselling records, mean {} bytes", bytes / POOL);
    let mixed: Vec<String> = (0..POOL).map(|i| record(&mut g, i, i % 10 != 0)).collect();
    assert_eq!(mixed.iter().filter(|r| validate(r).is_err()).count(), POOL / 10);
    one_pass("validate_counselling_1m", &pool, N);
    one_pass("validate_mixed_10pct_invalid_100k", &mixed, N / 10);

    let mut group = c.benchmark_group("archive");
    group.throughput(Throughput::Elements(POOL as u64));
    group.sample_size(10);
    group.bench_function("validate_counselling_10k", |b| {
        b.iter(|| pool.iter().filter(|r| black_box(validate(r)).is_ok()).count())
    });
    group.bench_function("validate_mixed_10k", |b| {
        b.iter(|| mixed.iter().filter(|r| black_box(validate(r)).is_ok()).count())
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(std::time::Duration::from_secs(3)).warm_up_time(std::time::Duration::from_secs(1));
    targets = bench
}
criterion_main!(benches);
