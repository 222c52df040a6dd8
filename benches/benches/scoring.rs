//! Batch scoring benchmarks (issue 2 targets, one core):
//! * 1,000,000 PHQ-9 respondents: ≥ 100 million respondents/s;
//! * 1,000,000 respondents of the 100-item MHT-shaped fixture: ≥ 10 million respondents/s;
//! * the generic engine within 2× of `phq9_specialised`, a hand-written loop of the
//!   same rules (sum of items 1–9 with code validation and missing handling, band,
//!   item-9 flag, screen-positive) that shows what the hardware allows.
//!
//! Run: `cargo bench -p changkaixin-benches --bench scoring`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use changkaixin_benches::{phq9_rows, yes_no_rows};
use changkaixin_core::scoring::batch::BatchGroups;
use changkaixin_core::{BatchColumns, BatchInput, Catalog, Instrument};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::collections::BTreeMap;
use std::hint::black_box;

const N: usize = 1_000_000;

/// The reference: PHQ-9 rules written out by hand for exactly this instrument.
pub fn phq9_specialised(codes: &[i8], total: &mut [i16], band: &mut [i8], item9: &mut [bool], positive: &mut [bool]) -> bool {
    const BAND: [i8; 28] = [0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 4, 4, 4, 4, 4, 4, 4, 4];
    let mut ok = true;
    for (r, row) in codes.chunks_exact(10).enumerate() {
        let mut sum = 0i16;
        let mut missing = false;
        for &c in &row[..9] {
            missing |= c < 0;
            ok &= (-1..=3).contains(&c);
            sum += c.max(0) as i16;
        }
        ok &= (-1..=3).contains(&row[9]);
        total[r] = if missing { i16::MIN } else { sum };
        band[r] = if missing { -1 } else { BAND[sum as usize] };
        item9[r] = row[8] >= 1;
        positive[r] = !missing && sum >= 10;
    }
    ok
}

fn mht_fixture() -> Instrument {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/mht_synthetic.json")).unwrap();
    Instrument::from_json(&text).unwrap()
}

fn bench(c: &mut Criterion) {
    let phq9 = Catalog::builtin().instrument("phq9").unwrap();
    let codes = phq9_rows(N, 7);
    let mut g = c.benchmark_group("phq9_1m");
    g.sample_size(20).throughput(Throughput::Elements(N as u64));
    let mut out = BatchColumns::default();
    g.bench_function("engine", |b| {
        b.iter(|| {
            phq9.score_batch_into(&BatchInput::new(black_box(&codes), 10, -1), &mut out).unwrap();
            black_box(&out);
        })
    });
    let (mut t, mut bd, mut f9, mut pos) = (vec![0i16; N], vec![0i8; N], vec![false; N], vec![false; N]);
    g.bench_function("specialised_loop", |b| {
        b.iter(|| {
            assert!(phq9_specialised(black_box(&codes), &mut t, &mut bd, &mut f9, &mut pos));
            black_box((&t, &bd, &f9, &pos));
        })
    });
    g.finish();

    let mht = mht_fixture();
    let rows = yes_no_rows(N, 100, 11);
    let groups: Vec<BTreeMap<String, String>> = (4..=12)
        .flat_map(|grade: u32| ["M", "F"].map(|s| BTreeMap::from([("grade".to_string(), grade.to_string()), ("sex".to_string(), s.to_string())])))
        .collect();
    let row_group: Vec<u32> = (0..N as u32).map(|r| r % groups.len() as u32).collect();
    let mut input = BatchInput::new(&rows, 100, -1);
    input.groups = Some(BatchGroups {
        row_group: &row_group,
        groups: &groups,
    });
    let mut g = c.benchmark_group("mht_shaped_100_items_1m");
    g.sample_size(10).throughput(Throughput::Elements(N as u64));
    g.bench_function("engine", |b| {
        b.iter(|| {
            mht.score_batch_into(black_box(&input), &mut out).unwrap();
            black_box(&out);
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
