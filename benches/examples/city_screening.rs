//! The main job: a synthetic Changzhou screening round, scored in batch.
//!
//! `cargo run --release --example city_screening [N]` builds a deterministic synthetic
//! cohort (default 100,000 students in Changzhou's districts, grades 4–12, both sexes)
//! answering PHQ-9, GAD-7, ASQ and the MHT-shaped fixture (synthetic key and norms —
//! the real MHT key is licensed and loaded by the platform at runtime), scores every
//! instrument through the columnar batch API and prints band counts by grade and how
//! long each step took. All data is synthetic.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use changkaixin_benches::cohort::{Cohort, DISTRICTS};
use changkaixin_core::scoring::batch::BatchGroups;
use changkaixin_core::{BatchColumns, BatchInput, Catalog, Instrument};
use std::collections::BTreeMap;
use std::time::Instant;

const MHT_SYNTHETIC: &str = include_str!("../../tests/fixtures/mht_synthetic.json");

fn ms(t: Instant) -> String {
    format!("{:>8.2} ms", t.elapsed().as_secs_f64() * 1e3)
}

/// Print counts of `band` (ordinal index, -1 = none) by grade.
fn band_table(title: &str, out: &BatchColumns, scale: &str, grades: &[u8]) {
    let col = out.scale(scale).expect("scale exists");
    let mut counts = BTreeMap::<u8, Vec<usize>>::new();
    let nb = col.band_ids.len();
    for (r, &g) in grades.iter().enumerate() {
        let row = counts.entry(g).or_insert_with(|| vec![0; nb + 1]);
        match usize::try_from(col.band[r]) {
            Ok(b) => row[b] += 1,
            Err(_) => row[nb] += 1,
        }
    }
    println!("\n{title}: band counts by grade (scale `{scale}`)");
    print!("{:>6}", "grade");
    for b in &col.band_ids {
        print!("{:>19}", b);
    }
    println!("{:>12}", "unscored");
    for (g, row) in &counts {
        print!("{g:>6}");
        for v in row {
            print!("{v:>19}");
        }
        println!();
    }
    let mut total = vec![0; nb + 1];
    for row in counts.values() {
        for (t, v) in total.iter_mut().zip(row) {
            *t += v;
        }
    }
    print!("{:>6}", "all");
    for v in &total {
        print!("{v:>19}");
    }
    println!();
}

fn flag_table(title: &str, out: &BatchColumns, flags: &[&str], grades: &[u8], extra: Option<(&str, Vec<bool>)>) {
    println!("\n{title}: students flagged, by grade");
    print!("{:>6}", "grade");
    for f in flags {
        print!("{f:>22}");
    }
    if let Some((name, _)) = &extra {
        print!("{name:>22}");
    }
    println!();
    let cols: Vec<Vec<bool>> = flags.iter().map(|f| out.flag_column(f).expect("flag exists")).collect();
    for g in 4..=12u8 {
        print!("{g:>6}");
        for c in &cols {
            print!("{:>22}", c.iter().zip(grades).filter(|(x, gr)| **x && **gr == g).count());
        }
        if let Some((_, c)) = &extra {
            print!("{:>22}", c.iter().zip(grades).filter(|(x, gr)| **x && **gr == g).count());
        }
        println!();
    }
}

fn main() {
    let n: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(100_000);
    println!(
        "changkaixin city_screening — synthetic cohort, {n} students, {} districts, grades 4–12",
        DISTRICTS.len()
    );
    println!("(all data synthetic; the MHT-shaped instrument uses a made-up key and norms)\n");

    let t = Instant::now();
    let cat = Catalog::builtin();
    let phq9 = cat.instrument("phq9").unwrap();
    let gad7 = cat.instrument("gad7").unwrap();
    let asq = cat.instrument("asq").unwrap();
    let mht = Instrument::from_json(MHT_SYNTHETIC).unwrap();
    println!("{}  load and compile catalog ({} instruments) + MHT-shaped fixture", ms(t), cat.ids().count());

    let t = Instant::now();
    let c = Cohort::synthetic(n, 2024);
    println!("{}  generate cohort", ms(t));

    let t = Instant::now();
    let phq9_out = phq9.score_batch(&BatchInput::new(&c.phq9, 10, -1)).unwrap();
    println!("{}  score PHQ-9 ({} rows)", ms(t), n);
    let t = Instant::now();
    let gad7_out = gad7.score_batch(&BatchInput::new(&c.gad7, 7, -1)).unwrap();
    println!("{}  score GAD-7", ms(t));
    let t = Instant::now();
    let asq_out = asq.score_batch(&BatchInput::new(&c.asq, 5, -1)).unwrap();
    println!("{}  score ASQ", ms(t));
    let t = Instant::now();
    let groups: Vec<BTreeMap<String, String>> = (4..=12u8)
        .flat_map(|g| ["M", "F"].map(|s| BTreeMap::from([("grade".to_string(), g.to_string()), ("sex".to_string(), s.to_string())])))
        .collect();
    let row_group: Vec<u32> = c.grade.iter().zip(&c.sex).map(|(g, s)| u32::from(g - 4) * 2 + u32::from(*s)).collect();
    let mut input = BatchInput::new(&c.mht, 100, -1);
    input.groups = Some(BatchGroups {
        row_group: &row_group,
        groups: &groups,
    });
    let mht_out = mht.score_batch(&input).unwrap();
    println!("{}  score MHT-shaped fixture (100 items, norms by grade × sex)", ms(t));

    let t = Instant::now();
    band_table("PHQ-9", &phq9_out, "total", &c.grade);
    band_table("GAD-7", &gad7_out, "total", &c.grade);
    flag_table("PHQ-9 critical item", &phq9_out, &["item9_self_harm", "item9_unanswered"], &c.grade, None);
    flag_table("ASQ", &asq_out, &["positive", "acute_positive", "non_acute_positive"], &c.grade, None);
    let invalid: Vec<bool> = mht_out.validity.iter().map(|v| *v == 2).collect();
    flag_table(
        "MHT-shaped",
        &mht_out,
        &["total_high", "syn_a_high"],
        &c.grade,
        Some(("invalid (lie >= 7)", invalid)),
    );
    let positive = phq9_out.screen_positive.iter().filter(|v| **v == 1).count();
    println!("\nPHQ-9 screen-positive (total >= 10): {positive} of {n}");
    println!("\n{}  build tables", ms(t));
}
