//! Small driver for profiling compliance checks (`perf record`), not a benchmark.
#![allow(clippy::unwrap_used)]
use changkaixin_benches::compliance::{log_entries, synthetic_city};
use changkaixin_core::compliance::{check_summary_validated, check_validated, CompiledPack};
use changkaixin_core::time::Date;
fn main() {
    let pack = CompiledPack::changzhou_2022_2024().unwrap();
    let city = synthetic_city(700, 2024);
    let classes: usize = city.iter().map(|s| s.classes.as_ref().map_or(0, Vec::len)).sum();
    println!("{} schools, {classes} classes, {} log entries", city.len(), log_entries(&city));
    let as_of = Date::parse("2024-08-31").unwrap();
    let iters: u32 = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(10);
    let t = std::time::Instant::now();
    let mut n = 0;
    for _ in 0..iters {
        for f in &city {
            n += check_validated(pack, f, as_of).findings.len();
        }
    }
    println!("{:?} per city, full reports ({n} findings)", t.elapsed() / iters.max(1));
    let t = std::time::Instant::now();
    for _ in 0..iters {
        for f in &city {
            n += check_summary_validated(pack, f, as_of).findings.len();
        }
    }
    println!("{:?} per city, summaries ({n} findings in all)", t.elapsed() / iters.max(1));
}
