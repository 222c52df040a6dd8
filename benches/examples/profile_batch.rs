//! Batch scoring speed as ratios in one process, by *thread CPU time* (the machine is shared: wall
//! time counts other jobs' time too). Each contender runs in interleaved rounds; the fastest
//! round of each is kept. Also a driver for `perf record`.
//!
//! `cargo run --release -p changkaixin-benches --example profile_batch [rounds] [only]`
//! (`only` = `phq9`, `mht`, `phq9-engine`, `phq9-compact` or `mht-engine` to profile one batch alone;
//! `phq9-missing` for the engine on rows with ~2 % of cells missing; `phq9-compact-missing` for
//! compact columns at ~1 %; `phq9-threads` for 1 against 2 threads by wall time; `cache` for
//! 10,000 rows in cache).
#![allow(clippy::unwrap_used, clippy::expect_used)]
use changkaixin_benches::kernels::{phq9_simd, phq9_specialised, Phq9Out};
use changkaixin_benches::{phq9_rows, yes_no_rows};
use changkaixin_core::scoring::batch::BatchGroups;
use changkaixin_core::{BatchColumns, BatchInput, BatchKernel, Catalog, Instrument};
use std::collections::BTreeMap;
use std::hint::black_box;

/// This thread's CPU time in ns (`CLOCK_THREAD_CPUTIME_ID`).
fn cpu_ns() -> u64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid, writable timespec; the call only writes it.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime");
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let rounds: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(15);
    let only = args.get(2).cloned().unwrap_or_default();
    let n = 1_000_000;
    let phq9 = Catalog::builtin().instrument("phq9").unwrap();
    let codes = phq9_rows(n, 7);
    let mht = Instrument::from_json(&std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/mht_synthetic.json")).unwrap()).unwrap();
    let rows = yes_no_rows(n, 100, 11);
    let groups: Vec<BTreeMap<String, String>> = (4..=12)
        .flat_map(|grade: u32| ["M", "F"].map(|s| BTreeMap::from([("grade".to_string(), grade.to_string()), ("sex".to_string(), s.to_string())])))
        .collect();
    let row_group: Vec<u32> = (0..n as u32).map(|r| r % groups.len() as u32).collect();
    let mut mht_input = BatchInput::new(&rows, 100, -1);
    mht_input.groups = Some(BatchGroups {
        row_group: &row_group,
        groups: &groups,
    });
    let mut out = BatchColumns::default();
    let mut out2 = BatchColumns::default();
    let (mut t, mut bd, mut f9, mut pos) = (vec![0i16; n], vec![0i8; n], vec![false; n], vec![false; n]);
    let mut k = Phq9Out::new(n);
    if only == "phq9-missing" {
        // ~2 % of cells missing (~17 % of rows partial), as the web benchmark's rows: the engine alone.
        let mut g = changkaixin_benches::Lcg::new(13);
        let gappy: Vec<i8> = codes.iter().map(|&c| if g.below(50) == 0 { -1 } else { c }).collect();
        let mut best = u64::MAX;
        for _ in 0..rounds {
            let t0 = cpu_ns();
            phq9.score_batch_into(&BatchInput::new(black_box(&gappy), 10, -1), &mut out).unwrap();
            best = best.min(cpu_ns() - t0);
        }
        println!("phq9 engine, ~2 % cells missing: {:.2} ms CPU per 1M rows", best as f64 / 1e6);
        return;
    }
    if only == "phq9-compact-missing" {
        // ~1 % of cells missing (~10 % of rows partial), as the Python benchmark's rows: compact
        // columns on one thread, beside the same rows with every answer given.
        let mut g = changkaixin_benches::Lcg::new(13);
        let gappy: Vec<i8> = codes.iter().map(|&c| if g.below(100) == 0 { -1 } else { c }).collect();
        let mut compact = changkaixin_core::scoring::compact::CompactColumns::default();
        let mut best = [u64::MAX; 2];
        for _ in 0..rounds {
            for (i, rows) in [&gappy, &codes].into_iter().enumerate() {
                let t0 = cpu_ns();
                phq9.score_batch_compact_into(&BatchInput::new(black_box(rows), 10, -1), &mut compact, 1, BatchKernel::Auto)
                    .unwrap();
                black_box(&compact);
                best[i] = best[i].min(cpu_ns() - t0);
            }
        }
        println!(
            "phq9 compact, ~1 % cells missing: {:.2} ms CPU per 1M rows; every answer given: {:.2} ms",
            best[0] as f64 / 1e6,
            best[1] as f64 / 1e6
        );
        return;
    }
    if only == "phq9-threads" {
        // Thread scaling by wall time (CPU time cannot show it), as the Python binding calls the
        // core: ~1 % of cells missing, fresh compact columns (with verdict columns) per call, 1 and 2
        // threads, alternately.
        let mut g = changkaixin_benches::Lcg::new(13);
        let gappy: Vec<i8> = codes.iter().map(|&c| if g.below(100) == 0 { -1 } else { c }).collect();
        let mut best = [(u64::MAX, u64::MAX); 2];
        for _ in 0..rounds {
            for (i, threads) in [1, 2].into_iter().enumerate() {
                let t0 = std::time::Instant::now();
                let c0 = cpu_ns();
                // With the verdict columns, as the Python binding asks for them.
                let mut cols = changkaixin_core::scoring::compact::CompactColumns {
                    verdicts: Some(Vec::new()),
                    ..Default::default()
                };
                phq9.score_batch_compact_into(&BatchInput::new(black_box(&gappy), 10, -1), &mut cols, threads, BatchKernel::Auto)
                    .unwrap();
                let (wall, cpu) = (t0.elapsed().as_nanos() as u64, cpu_ns() - c0);
                drop(black_box(cols));
                best[i] = (best[i].0.min(wall), best[i].1.min(cpu));
            }
        }
        println!(
            "phq9 compact, fresh columns, ~1 % missing: 1 thread {:.2} ms wall ({:.2} ms this thread's CPU); 2 threads {:.2} ms wall ({:.2} ms calling thread's CPU); 2/1 {:.2}x",
            best[0].0 as f64 / 1e6,
            best[0].1 as f64 / 1e6,
            best[1].0 as f64 / 1e6,
            best[1].1 as f64 / 1e6,
            best[0].0 as f64 / best[1].0 as f64
        );
        return;
    }
    if only == "cache" {
        // 10,000 rows (in cache) scored 100 times: the engine's compute cost without memory traffic.
        let small = &codes[..100_000];
        let mut k = Phq9Out::new(10_000);
        for round in 0..rounds {
            let t0 = cpu_ns();
            for _ in 0..100 {
                phq9.score_batch_into(&BatchInput::new(black_box(small), 10, -1), &mut out).unwrap();
            }
            let t1 = cpu_ns();
            for _ in 0..100 {
                phq9_simd(black_box(small), &mut k);
            }
            let t2 = cpu_ns();
            if round + 1 == rounds {
                println!(
                    "in cache, per 1M rows: engine {:.2} ms CPU, SIMD kernel {:.2} ms CPU",
                    (t1 - t0) as f64 / 1e6,
                    (t2 - t1) as f64 / 1e6
                );
            }
        }
        return;
    }
    let names = [
        "phq9 engine",
        "phq9 engine scalar",
        "phq9 naive loop",
        "phq9 SIMD kernel",
        "mht engine",
        "mht engine scalar",
        "phq9 engine compact",
        "mht engine compact",
    ];
    let mut best = [u64::MAX; 8];
    let mut compact = changkaixin_core::scoring::compact::CompactColumns::default();
    for _ in 0..rounds {
        for (i, b) in best.iter_mut().enumerate() {
            let skip = match only.as_str() {
                "phq9" => !matches!(i, 0..=3 | 6),
                "mht" => !matches!(i, 4 | 5 | 7),
                "phq9-engine" => i != 0,
                "mht-engine" => i != 4,
                "phq9-compact" => i != 6,
                _ => false,
            };
            if skip {
                continue;
            }
            let t0 = cpu_ns();
            match i {
                0 => phq9.score_batch_into(&BatchInput::new(black_box(&codes), 10, -1), &mut out).unwrap(),
                1 => phq9
                    .score_batch_into_with_kernel(&BatchInput::new(black_box(&codes), 10, -1), &mut out2, 1, BatchKernel::Scalar)
                    .unwrap(),
                2 => assert!(phq9_specialised(black_box(&codes), &mut t, &mut bd, &mut f9, &mut pos)),
                3 => assert!(phq9_simd(black_box(&codes), &mut k)),
                4 => mht.score_batch_into(black_box(&mht_input), &mut out).unwrap(),
                5 => mht
                    .score_batch_into_with_kernel(black_box(&mht_input), &mut out2, 1, BatchKernel::Scalar)
                    .unwrap(),
                6 => phq9
                    .score_batch_compact_into(&BatchInput::new(black_box(&codes), 10, -1), &mut compact, 1, BatchKernel::Auto)
                    .unwrap(),
                _ => mht.score_batch_compact_into(black_box(&mht_input), &mut compact, 1, BatchKernel::Auto).unwrap(),
            }
            black_box(&compact);
            black_box((&out, &out2, &t, &k));
            *b = (*b).min(cpu_ns() - t0);
        }
    }
    for (name, b) in names.iter().zip(best) {
        if b != u64::MAX {
            println!(
                "{name:20} {:8.2} ms CPU per 1M rows  {:7.1} M rows/s",
                b as f64 / 1e6,
                1e3 * n as f64 / b as f64
            );
        }
    }
    if only.is_empty() {
        println!("engine / naive loop speed: {:.2}x (target >= 1.5x)", best[2] as f64 / best[0] as f64);
        println!("engine time / SIMD kernel time: {:.2}x (target <= 1.5x)", best[0] as f64 / best[3] as f64);
        println!("compact / naive loop speed: {:.2}x (target >= 1.5x)", best[2] as f64 / best[6] as f64);
        println!("compact time / SIMD kernel time: {:.2}x (target <= 1.5x)", best[6] as f64 / best[3] as f64);
        println!("mht engine in units of the naive PHQ-9 loop: {:.2}", best[4] as f64 / best[2] as f64);
        println!("mht compact in units of the naive PHQ-9 loop: {:.2}", best[7] as f64 / best[2] as f64);
    }
}
