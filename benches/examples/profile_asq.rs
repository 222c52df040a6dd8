//! Profiling driver for the batch row path (ASQ: item 5 is missing for most respondents).
#![allow(clippy::unwrap_used)]
use changkaixin_benches::cohort::Cohort;
use changkaixin_core::{BatchInput, Catalog};
fn main() {
    let asq = Catalog::builtin().instrument("asq").unwrap();
    let c = Cohort::synthetic(100_000, 1);
    let t = std::time::Instant::now();
    let out = asq.score_batch(&BatchInput::new(&c.asq, 5, -1)).unwrap();
    println!("{:?} for {} rows", t.elapsed(), out.n_rows);
}
