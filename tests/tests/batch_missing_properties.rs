//! Property tests for rows with missing, refused and invalid cells in byte-wide batches.
//!
//! Byte-wide buffers (`i8`, `u8`) keep rows whose only non-option cells are missing or refused
//! on the block path (three-valued columns); wide buffers (`i16`) send those rows to the shared
//! row evaluator. Both must give the same columns byte for byte, and the same error (code, row,
//! item) for a batch with an invalid code, with the SIMD and the forced scalar decode kernel
//! alike. Rows are long enough to fill several 16-row tiles and, at times, more than one block,
//! with several norm groups and completion times mixed in.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use changkaixin_core::scoring::batch::BatchGroups;
use changkaixin_core::{BatchColumns, BatchInput, BatchKernel, Catalog, Error, Instrument};
use changkaixin_tests::repo_root;
use proptest::prelude::*;
use std::collections::BTreeMap;

fn instruments() -> &'static [Instrument] {
    static ALL: std::sync::OnceLock<Vec<Instrument>> = std::sync::OnceLock::new();
    ALL.get_or_init(|| {
        let mut v: Vec<Instrument> = Catalog::builtin().instruments().cloned().collect();
        let mht = std::fs::read_to_string(repo_root().join("tests/fixtures/mht_synthetic.json")).unwrap();
        v.push(Instrument::from_json(&mht).unwrap());
        let mut extra = Vec::new();
        for i in &v {
            for s in &i.source_spec().settings {
                for o in &s.options {
                    let m = BTreeMap::from([(s.id.clone(), o.id.clone())]);
                    extra.push(i.with_settings(&m).unwrap());
                }
            }
        }
        v.extend(extra);
        v
    })
}

/// Build row-major `i16` codes from per-cell choices: `0..=199` an option (modulo the count),
/// `200` missing (−1), `201` refused (−2), `202` an invalid code (126, not an option anywhere).
fn codes(inst: &Instrument, cells: &[u8], n: usize) -> Vec<i16> {
    cells
        .iter()
        .enumerate()
        .map(|(k, &c)| match c {
            200 => -1,
            201 => -2,
            202 => 126,
            x => {
                let opts = inst.option_codes((k % n) as u32 + 1).unwrap();
                opts[x as usize % opts.len()] as i16
            }
        })
        .collect()
}

/// Cell choices from a small deterministic generator (cheaper than a strategy per cell for
/// ~100k cells): `miss` ‰ missing, as many refused, the rest options; then `invalid` cells at
/// generated positions.
fn cells(seed: u64, len: usize, miss: u32, invalid: usize) -> Vec<u8> {
    let mut x = seed | 1;
    let mut next = move || {
        x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (x >> 33) as u32
    };
    let mut v: Vec<u8> = (0..len)
        .map(|_| {
            let k = next() % 1000;
            if k < miss {
                200
            } else if k < 2 * miss {
                201
            } else {
                (next() % 200) as u8
            }
        })
        .collect();
    for _ in 0..invalid {
        let at = next() as usize % len.max(1);
        if let Some(c) = v.get_mut(at) {
            *c = 202;
        }
    }
    v
}

fn key(e: &Error) -> (&'static str, Option<u64>, Option<u32>) {
    (e.code(), e.row(), e.item())
}

fn run<T: changkaixin_core::scoring::batch::Code>(inst: &Instrument, input: &BatchInput<'_, T>, kernel: BatchKernel) -> Result<BatchColumns, Error> {
    let mut out = BatchColumns::default();
    inst.score_batch_into_with_kernel(input, &mut out, 1, kernel).map(|()| out)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// Byte-wide batches with unanswered cells (block path) equal the wide batch (row path).
    #[test]
    fn byte_block_path_equals_row_path(
        pick in 0usize..1000,
        rows in 1usize..1200,
        miss in prop_oneof![Just(5u32), Just(40), Just(200)],
        invalid in prop_oneof![6 => Just(0usize), 1 => 1usize..3],
        seed in any::<u64>(),
        durations in proptest::bool::ANY,
    ) {
        let all = instruments();
        let inst = &all[pick % all.len()];
        let n = inst.item_count();
        let cells = cells(seed, rows * n, miss, invalid);
        let wide = codes(inst, &cells, n);
        let groups: Vec<BTreeMap<String, String>> = {
            let mut g: Vec<_> = inst.spec().norms.iter().map(|t| t.group.clone()).collect();
            g.sort();
            g.dedup();
            g
        };
        let row_group: Vec<u32> = (0..rows).map(|r| ((seed >> (r % 48)) as u32 ^ r as u32) % groups.len().max(1) as u32).collect();
        let dur: Vec<i64> = (0..rows).map(|r| ((seed >> (r % 56)) & 0xFF) as i64 * 7 - 300).collect();
        let mut wi = BatchInput::new(&wide, n, -1);
        wi.refused = Some(-2);
        if !groups.is_empty() {
            wi.groups = Some(BatchGroups { row_group: &row_group, groups: &groups });
        }
        if durations {
            wi.durations = Some(&dur);
        }
        let want = run(inst, &wi, BatchKernel::Auto);
        let as_i8: Vec<i8> = wide.iter().map(|&c| c as i8).collect();
        let as_u8: Vec<u8> = wide.iter().map(|&c| if c < 0 { (256 + i32::from(c)) as u8 } else { c as u8 }).collect();
        let mut i8i = BatchInput::new(&as_i8, n, -1);
        i8i.refused = Some(-2);
        i8i.groups = wi.groups;
        i8i.durations = wi.durations;
        let mut u8i = BatchInput::new(&as_u8, n, 255);
        u8i.refused = Some(254);
        u8i.groups = wi.groups;
        u8i.durations = wi.durations;
        for kernel in [BatchKernel::Auto, BatchKernel::Scalar] {
            let a = run(inst, &i8i, kernel);
            let b = run(inst, &u8i, kernel);
            match &want {
                Ok(w) => {
                    prop_assert_eq!(a.as_ref().ok(), Some(w), "{} i8 {:?}", inst.id(), kernel);
                    prop_assert_eq!(b.as_ref().ok(), Some(w), "{} u8 {:?}", inst.id(), kernel);
                }
                Err(e) => {
                    // Same sentinels as the wide buffer: the whole error; other sentinels: code, row, item.
                    prop_assert_eq!(a.as_ref().err(), Some(e), "{} i8 {:?}", inst.id(), kernel);
                    prop_assert_eq!(b.as_ref().err().map(key), Some(key(e)), "{} u8 {:?}", inst.id(), kernel);
                }
            }
        }
        // Two threads split the rows into block ranges: the same result.
        let mut par = BatchColumns::default();
        let p = inst.score_batch_into_with_kernel(&i8i, &mut par, 2, BatchKernel::Auto).map(|()| par);
        prop_assert_eq!(p.as_ref().map_err(key), want.as_ref().map_err(key), "{} parallel", inst.id());
        if let (Ok(p), Ok(w)) = (&p, &want) {
            prop_assert_eq!(p, w);
        }
    }
}
