//! The main job: a synthetic Changzhou screening round, in columns end to end.
//!
//! `cargo run --release --example city_screening [N]` builds a deterministic synthetic
//! cohort (default 700,000 students — the city's school population — in Changzhou's districts,
//! grades 4–12, both sexes) answering PHQ-9, GAD-7, ASQ and the MHT-shaped fixture (synthetic
//! key and norms — the real MHT key is licensed and loaded by the platform at runtime), scores
//! every instrument through the columnar batch API, tiers every student with the columnar alert
//! entry (`alert::columnar`: batch columns + event tables in, a tier column out — no
//! per-student evidence or score report), prints band, flag and tier tables and the overdue
//! obligations of one school, opens one student's full explained decision, and checks a
//! synthetic city of 700 schools against the Changzhou 2022–2024 requirement pack. Timings are
//! wall clock and, at the end, the process's CPU time (the machine may be shared). All data is
//! synthetic.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use changkaixin_benches::city::{self, City};
use changkaixin_benches::cohort::{Cohort, DISTRICTS};
use changkaixin_core::alert::columnar::{evaluate_columns, ColumnarTiers};
use changkaixin_core::alert::CompiledPolicy;
use changkaixin_core::{BatchColumns, Catalog, Instrument, Timestamp};
use std::time::Instant;

/// Changzhou's primary and secondary school students (grades 4–12 screened): the default cohort.
const CITY: usize = 700_000;

fn ms(t: Instant) -> String {
    format!("{:>8.2} ms", t.elapsed().as_secs_f64() * 1e3)
}

/// Process CPU time (user + system) in seconds, from /proc/self/stat (0 where unavailable).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let tick = |i: usize| fields.get(i).and_then(|x| x.parse::<f64>().ok()).unwrap_or(0.0);
    (tick(11) + tick(12)) / 100.0
}

/// Print counts of `band` (ordinal index, -1 = none) by grade.
fn band_table(title: &str, out: &BatchColumns, scale: &str, grades: &[u8]) {
    let col = out.scale(scale).expect("scale exists");
    let nb = col.band_ids.len();
    let mut counts = vec![vec![0usize; nb + 1]; 13];
    for (&b, &g) in col.band.iter().zip(grades) {
        let k = usize::try_from(b).map_or(nb, |b| b.min(nb));
        counts[usize::from(g)][k] += 1;
    }
    println!("\n{title}: band counts by grade (scale `{scale}`)");
    print!("{:>6}", "grade");
    for b in &col.band_ids {
        print!("{:>19}", b);
    }
    println!("{:>12}", "unscored");
    let mut total = vec![0; nb + 1];
    for (g, row) in counts.iter().enumerate().skip(4) {
        print!("{g:>6}");
        for (t, v) in total.iter_mut().zip(row) {
            print!("{v:>19}");
            *t += v;
        }
        println!();
    }
    print!("{:>6}", "all");
    for v in &total {
        print!("{v:>19}");
    }
    println!();
}

/// Students with each flag positive (and optionally one more boolean column), by grade.
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
    let bits: Vec<usize> = flags.iter().map(|f| out.flag_ids.iter().position(|x| x == f).expect("flag exists")).collect();
    let mut counts = vec![vec![0usize; flags.len() + 1]; 13];
    for (r, (&w, &g)) in out.flags.iter().zip(grades).enumerate() {
        let row = &mut counts[usize::from(g)];
        for (k, b) in bits.iter().enumerate() {
            row[k] += (w >> b & 1) as usize;
        }
        if let Some((_, c)) = &extra {
            row[flags.len()] += usize::from(c[r]);
        }
    }
    for (g, row) in counts.iter().enumerate().skip(4) {
        print!("{g:>6}");
        for v in &row[..flags.len()] {
            print!("{v:>22}");
        }
        if extra.is_some() {
            print!("{:>22}", row[flags.len()]);
        }
        println!();
    }
}

/// A tier table: rows are groups (`label` of each group code), columns the tiers.
fn tier_table(title: &str, head: &str, labels: &[String], group: impl Fn(usize) -> usize, tiers: &ColumnarTiers) {
    let nt = tiers.tier_ids.len();
    let mut counts = vec![vec![0usize; nt]; labels.len()];
    for (r, &t) in tiers.tier.iter().enumerate() {
        if let Some(c) = counts.get_mut(group(r)).and_then(|row| row.get_mut(usize::from(t))) {
            *c += 1;
        }
    }
    println!("\n{title}");
    print!("{head:>10}");
    for t in &tiers.tier_ids {
        print!("{t:>10}");
    }
    println!("{:>12}", "key+ %");
    for (label, row) in labels.iter().zip(&counts) {
        print!("{label:>10}");
        for v in row {
            print!("{v:>10}");
        }
        let all: usize = row.iter().sum();
        let high: usize = row.iter().skip(2).sum();
        println!("{:>11.1}%", 100.0 * high as f64 / all.max(1) as f64);
    }
}

fn main() {
    let (wall0, cpu0) = (Instant::now(), cpu_seconds());
    let n: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(CITY);
    println!(
        "changkaixin city_screening — synthetic cohort, {n} students, {} districts, grades 4–12",
        DISTRICTS.len()
    );
    println!("(all data synthetic; the MHT-shaped instrument uses a made-up key and norms)\n");

    let t = Instant::now();
    let cat = Catalog::builtin();
    let mht = Instrument::from_json(city::MHT_SYNTHETIC).unwrap();
    let policy = CompiledPolicy::changzhou_default().expect("the built-in policy compiles");
    println!(
        "{}  load the catalog ({} instruments), the MHT-shaped fixture and the Changzhou default alert policy ({} {})",
        ms(t),
        cat.ids().count(),
        policy.id(),
        policy.version()
    );

    let t = Instant::now();
    let c = Cohort::synthetic(n, 2024);
    println!("{}  generate cohort", ms(t));

    // ---- Score: one batch per instrument, straight into columns the alert engine trusts ----
    let t = Instant::now();
    let phq9_cols = city::score(policy, "phq9", &c.phq9, 10).unwrap();
    println!("{}  score PHQ-9 ({n} rows)", ms(t));
    let t = Instant::now();
    let gad7_cols = city::score(policy, "gad7", &c.gad7, 7).unwrap();
    println!("{}  score GAD-7", ms(t));
    let t = Instant::now();
    let asq_cols = city::score(policy, "asq", &c.asq, 5).unwrap();
    println!("{}  score ASQ", ms(t));
    let t = Instant::now();
    let mht_out = city::score_mht(&c, &mht).unwrap();
    println!("{}  score MHT-shaped fixture (100 items, norms by grade × sex)", ms(t));
    // The platform reports its licensed MHT key as the external instrument `mht`, in the
    // interface the policy declares; the engine verifies those columns against the declaration.
    let t = Instant::now();
    let mht_cols = city::mht_columns(policy, &mht_out, &mht).expect("declared interface");
    println!("{}  verify the MHT columns against the policy's declaration of `mht`", ms(t));

    let t = Instant::now();
    band_table("PHQ-9", phq9_cols.columns(), "total", &c.grade);
    band_table("GAD-7", gad7_cols.columns(), "total", &c.grade);
    flag_table(
        "PHQ-9 critical item",
        phq9_cols.columns(),
        &["item9_self_harm", "item9_unanswered"],
        &c.grade,
        None,
    );
    flag_table("ASQ", asq_cols.columns(), &["positive", "acute_positive", "non_acute_positive"], &c.grade, None);
    let invalid: Vec<bool> = mht_out.validity.iter().map(|v| *v == 2).collect();
    flag_table(
        "MHT-shaped",
        &mht_out,
        &["total_high", "syn_a_high"],
        &c.grade,
        Some(("invalid (lie >= 7)", invalid)),
    );
    let positive = phq9_cols.columns().screen.iter().filter(|v| **v == 1).count();
    let indeterminate = phq9_cols.columns().screen.iter().filter(|v| **v == 2).count();
    println!("\nPHQ-9 screen-positive (total >= 10): {positive} of {n}; indeterminate (items missing): {indeterminate}");
    println!("\n{}  build tables", ms(t));

    // ---- From scores to tiers: the plan's 班级—学校—社会 warning levels (二(三)11) ----
    // Staff observations and life events as tables (a few synthetic ones); the spring special
    // period applies to everyone.
    let t = Instant::now();
    let at = Timestamp::from_unix(city::EVALUATED_AT);
    let overdue_at = Timestamp::parse("2024-03-07T08:00:00+08:00").expect("valid time");
    let tables = city::event_tables(policy, n);
    let (n_obs, n_life) = (tables.0.student.len(), tables.1.student.len());
    let columns = city::cohort_columns(policy, n, vec![phq9_cols, gad7_cols, asq_cols, mht_cols], tables).expect("synthetic tables are well-formed");
    println!("{}  event tables ({n_obs} observations, {n_life} life events) and the cohort's columns", ms(t));
    let t = Instant::now();
    let tiers = evaluate_columns(policy, &columns, at).expect("cohort made for this policy");
    let tier_secs = t.elapsed().as_secs_f64();
    println!(
        "{}  evaluate tiers from the columns ({:.2} M decisions/s; tier column, fired rules, {} due obligations)",
        ms(t),
        n as f64 / tier_secs.max(1e-9) / 1e6,
        tiers.due.row.len()
    );
    assert!(tiers.errors.is_empty(), "synthetic evidence refused: {:?}", tiers.errors.first());
    let city = City {
        cohort: &c,
        columns,
        tiers,
        policy,
        at,
    };

    let t = Instant::now();
    print_tiers(&city, overdue_at);
    println!("\n{}  tier tables", ms(t));

    // ---- Compliance with the plan's duties, school by school (issue 11) ----
    changkaixin_benches::compliance::print_city_compliance(700).expect("the synthetic city checks");

    println!(
        "\nmain job: {:.2} s wall, {:.2} s CPU ({n} students; scoring, tiers, tables and the compliance check)",
        wall0.elapsed().as_secs_f64(),
        cpu_seconds() - cpu0
    );
}

/// Tier tables by district and grade, students per fired rule, the overdue obligations of one
/// school, and one student's full decision (built only for that student).
fn print_tiers(city: &City<'_>, overdue_at: Timestamp) {
    let (c, tiers) = (city.cohort, &city.tiers);
    let districts: Vec<String> = DISTRICTS.iter().map(|d| d.to_string()).collect();
    tier_table(
        &format!("Tiers by district (evaluated {})", city.at),
        "district",
        &districts,
        |r| usize::from(c.district[r]),
        tiers,
    );
    let grades: Vec<String> = (4..=12).map(|g: u8| g.to_string()).collect();
    tier_table("Tiers by grade", "grade", &grades, |r| usize::from(c.grade[r]).saturating_sub(4), tiers);

    let mut per_rule = vec![0usize; tiers.rule_ids.len()];
    for set in &tiers.rules {
        for k in set.iter() {
            if let Some(x) = per_rule.get_mut(k) {
                *x += 1;
            }
        }
    }
    println!("\nStudents per fired rule (a student may fire several)");
    let mut order: Vec<usize> = (0..per_rule.len()).filter(|k| per_rule[*k] > 0).collect();
    order.sort_by_key(|k| (std::cmp::Reverse(per_rule[*k]), *k));
    for k in order {
        println!("{:>10}  {}", per_rule[k], tiers.rule_ids[k]);
    }

    let sample_school = c.school[0];
    let due = &tiers.due;
    let mut overdue: Vec<usize> = (0..due.row.len())
        .filter(|&k| due.due_at[k] < overdue_at.unix() && c.school[due.row[k] as usize] == sample_school)
        .collect();
    overdue.sort_by_key(|&k| (due.due_at[k], due.row[k], due.obligation[k]));
    println!("\nOverdue obligations at {overdue_at} for sample school #{sample_school} (none recorded as done):");
    if overdue.is_empty() {
        println!("  (none)");
    }
    for &k in overdue.iter().take(25) {
        let ob = &tiers.obligations[due.obligation[k] as usize];
        println!(
            "  {}  {:<28} due {}  ({})",
            city.columns.id(due.row[k] as usize),
            ob.id,
            Timestamp::from_unix(due.due_at[k]),
            ob.roles.join(", ")
        );
    }
    if overdue.len() > 25 {
        println!("  … {} more", overdue.len() - 25);
    }
    let key = city.policy.tier_index("key").unwrap_or(2);
    if let Some(row) = tiers.tier.iter().position(|t| *t == key) {
        let d = city.columns.decide(city.policy, row, city.at).expect("the row path decides the same evidence");
        assert_eq!(d.tier.index, key, "the explained decision agrees with the tier column");
        println!("\nOne decision in full (row {row}; a proposal: a named person confirms or overrides it):");
        println!("{}", serde_json::to_string_pretty(&d).unwrap_or_default());
    }
}
