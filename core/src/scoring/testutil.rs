//! Synthetic answer rows for the scoring module's tests (compiled only under `cfg(test)`).
//!
//! One generator for the compact and fused tests, so that a change in how test rows are
//! made (a new option shape, a new kind of unanswered cell) is made once.

use crate::Instrument;

/// The xorshift64 sequence the tests draw from: deterministic, seedable, no dependency.
pub(crate) struct Xorshift(u64);

impl Xorshift {
    /// A sequence from `seed` (an even seed is made odd: zero would stay zero forever).
    pub(crate) fn new(seed: u64) -> Self {
        Xorshift(seed | 1)
    }

    /// The next value of the sequence.
    pub(crate) fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
}

/// How often a generated cell is left unanswered, and whether some of those are refusals.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Gaps {
    /// A cell is unanswered when its draw is a multiple of `every`.
    pub every: u64,
    /// When set, a third of the unanswered cells are refused (`-2`) rather than missing (`-1`).
    pub refused: bool,
}

/// `n_rows` rows of the instrument's item codes (each a valid option of its item, chosen from
/// the sequence seeded by `seed`), with missing (`-1`) and refused (`-2`) cells as `gaps` says.
pub(crate) fn synthetic_rows(inst: &Instrument, n_rows: usize, seed: u64, gaps: Option<Gaps>) -> Vec<i8> {
    let plan = inst.plan();
    let mut rng = Xorshift::new(seed);
    let mut out = Vec::with_capacity(n_rows * plan.items.len());
    for _ in 0..n_rows {
        for it in &plan.items {
            let r = rng.next_u64();
            match gaps {
                Some(g) if r % g.every == 0 => out.push(if g.refused && r % 3 == 0 { -2 } else { -1 }),
                _ => out.push(it.options[(r >> 8) as usize % it.options.len()].code as i8),
            }
        }
    }
    out
}
