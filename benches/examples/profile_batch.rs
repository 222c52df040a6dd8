//! Small driver for profiling batch scoring (`perf record`), not a benchmark.
#![allow(clippy::unwrap_used)]
use changkaixin_benches::phq9_rows;
use changkaixin_core::{BatchColumns, BatchInput, Catalog};
fn main() {
    let phq9 = Catalog::builtin().instrument("phq9").unwrap();
    let codes = phq9_rows(1_000_000, 7);
    let mut out = BatchColumns::default();
    let t = std::time::Instant::now();
    let iters: u32 = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(20);
    for _ in 0..iters {
        phq9.score_batch_into(&BatchInput::new(&codes, 10, -1), &mut out).unwrap();
    }
    println!("{:?} per 1M", t.elapsed() / iters.max(1));
}
