//! Peak heap memory of batch scoring 1,000,000 rows per instrument (issue 10, part 7).
//!
//! A counting global allocator tracks live and peak heap bytes. For each built-in instrument and
//! the MHT-shaped fixture: the input buffer (int8, ~5 % missing cells so the row path runs too) and
//! the norm-group columns are made first; then `score_batch` (one thread, then two) allocates its
//! output columns and its working memory. Reported: output column bytes per row, and the peak
//! beyond input and output ("working memory") per row. Target: ≤ 64 B/row of working memory.
//!
//! `cargo run --release -p changkaixin-benches --example batch_memory`
#![allow(clippy::unwrap_used, clippy::expect_used)]
use changkaixin_benches::Lcg;
use changkaixin_core::scoring::batch::BatchGroups;
use changkaixin_core::{BatchColumns, BatchInput, Catalog, Instrument};
use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

struct Counting;
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call forwards to the system allocator with the caller's own arguments; the
// counters are only statistics.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(l) };
        if !p.is_null() {
            let now = LIVE.fetch_add(l.size(), Relaxed) + l.size();
            PEAK.fetch_max(now, Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) };
        LIVE.fetch_sub(l.size(), Relaxed);
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        let q = unsafe { System.realloc(p, l, new) };
        if !q.is_null() {
            if new >= l.size() {
                let now = LIVE.fetch_add(new - l.size(), Relaxed) + new - l.size();
                PEAK.fetch_max(now, Relaxed);
            } else {
                LIVE.fetch_sub(l.size() - new, Relaxed);
            }
        }
        q
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn output_bytes(o: &BatchColumns) -> usize {
    let mut b = o.flags.capacity() * 8 + o.flags_indeterminate.capacity() * 8 + o.validity.capacity() + o.screen.capacity();
    for s in &o.scales {
        b += s.raw.capacity() * 8 + s.score.capacity() * 8 + s.band.capacity() + s.answered.capacity() * 2 + s.prorated.capacity();
    }
    b
}

fn main() {
    let n = 1_000_000usize;
    let mut all: Vec<Instrument> = Catalog::builtin().instruments().cloned().collect();
    all.push(Instrument::from_json(&std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/mht_synthetic.json")).unwrap()).unwrap());
    println!("instrument        items  output B/row  working B/row (1 thread)  working B/row (2 threads)");
    let mut worst = 0f64;
    for inst in &all {
        let k = inst.item_count();
        let options: Vec<Vec<i64>> = (1..=k as u32).map(|i| inst.option_codes(i).unwrap()).collect();
        let mut g = Lcg::new(3);
        let mut codes: Vec<i8> = Vec::with_capacity(n * k);
        for _ in 0..n {
            for o in &options {
                let x = g.below(100);
                codes.push(if x < 5 { -1 } else { o[x as usize % o.len()] as i8 });
            }
        }
        let norms = !inst.spec().norms.is_empty();
        let groups: Vec<BTreeMap<String, String>> = if norms {
            let keys = &inst.spec().norm_group_keys;
            inst.spec()
                .norms
                .iter()
                .map(|t| keys.iter().filter_map(|key| t.group.get(key).map(|v| (key.clone(), v.clone()))).collect())
                .collect::<std::collections::BTreeSet<BTreeMap<String, String>>>()
                .into_iter()
                .collect()
        } else {
            Vec::new()
        };
        let row_group: Vec<u32> = (0..n as u32).map(|r| r % groups.len().max(1) as u32).collect();
        let mut input = BatchInput::new(&codes, k, -1);
        if norms {
            input.groups = Some(BatchGroups {
                row_group: &row_group,
                groups: &groups,
            });
        }
        let mut per_thread = Vec::new();
        let mut out_b = 0;
        for threads in [1usize, 2] {
            let before = LIVE.load(Relaxed);
            PEAK.store(before, Relaxed);
            let out = inst.score_batch_parallel(&input, threads);
            let peak = PEAK.load(Relaxed);
            let out = match out {
                Ok(o) => o,
                Err(e) => {
                    println!("{:16} error: {e}", inst.id());
                    break;
                }
            };
            out_b = output_bytes(&out);
            let working = peak.saturating_sub(before + out_b);
            per_thread.push(working as f64 / n as f64);
            drop(out);
        }
        if per_thread.len() == 2 {
            worst = worst.max(per_thread[0]).max(per_thread[1]);
            println!(
                "{:16} {:6} {:13.1} {:25.3} {:26.3}",
                inst.id(),
                k,
                out_b as f64 / n as f64,
                per_thread[0],
                per_thread[1]
            );
        }
    }
    println!("largest working memory: {worst:.3} B/row (target <= 64 B/row)");
}
