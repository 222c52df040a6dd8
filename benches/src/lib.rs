#![deny(missing_docs)]
//! Deterministic synthetic cohorts shared by the benchmarks and the `city_screening` example.
//!
//! Everything here is synthetic: a small linear congruential generator, fixed
//! seeds, no real data.

/// A tiny deterministic PRNG (PCG-style LCG), so cohorts are identical on every machine.
#[derive(Clone, Debug)]
pub struct Lcg(u64);

impl Lcg {
    /// Seeded generator.
    pub fn new(seed: u64) -> Lcg {
        Lcg(seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407))
    }
    /// Next 32 random bits.
    pub fn next_u32(&mut self) -> u32 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 32) as u32
    }
    /// Uniform in `0..n`.
    pub fn below(&mut self, n: u32) -> u32 {
        ((u64::from(self.next_u32()) * u64::from(n)) >> 32) as u32
    }
}

/// `n` synthetic PHQ-9 rows (10 items: 9 scored + difficulty), skewed towards low answers, as i8.
pub fn phq9_rows(n: usize, seed: u64) -> Vec<i8> {
    let mut g = Lcg::new(seed);
    let mut out = Vec::with_capacity(n * 10);
    for _ in 0..n {
        let burden = g.below(4); // respondent-level severity
        for _ in 0..10 {
            let x = g.below(8);
            let code = match (burden, x) {
                (0, 0..=5) | (1, 0..=3) | (2, 0..=1) => 0,
                (_, 7) => 3.min(burden as i8 + 1),
                _ => (burden as i8).clamp(0, 3),
            };
            out.push(code.clamp(0, 3));
        }
    }
    out
}

/// `n` synthetic rows of yes/no answers for a 100-item instrument (MHT-shaped), as i8.
pub fn yes_no_rows(n: usize, items: usize, seed: u64) -> Vec<i8> {
    let mut g = Lcg::new(seed);
    let mut out = Vec::with_capacity(n * items);
    for _ in 0..n {
        let p = g.below(60) + 10; // per-respondent yes-rate 10..70 %
        for _ in 0..items {
            out.push(i8::from(g.below(100) < p));
        }
    }
    out
}

pub mod city;
pub mod cohort;
pub mod compliance;
pub mod kernels;
pub mod report;
