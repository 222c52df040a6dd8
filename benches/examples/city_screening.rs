//! The main job: a synthetic Changzhou screening round, scored in batch.
//!
//! `cargo run --release --example city_screening [N]` builds a deterministic synthetic
//! cohort (default 100,000 students in Changzhou's districts, grades 4–12, both sexes)
//! answering PHQ-9, GAD-7, ASQ and the MHT-shaped fixture (synthetic key and norms —
//! the real MHT key is licensed and loaded by the platform at runtime), scores every
//! instrument through the columnar batch API and prints band counts by grade and how
//! long each step took, then checks a synthetic city of 700 schools against the Changzhou
//! 2022–2024 requirement pack (compliance rate per requirement by district, one school's
//! findings in full). All data is synthetic.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use changkaixin_benches::cohort::{Cohort, DISTRICTS};
use changkaixin_benches::Lcg;
use changkaixin_core::alert::batch::{evaluate_batch_with, BatchOptions, DecisionFilter};
use changkaixin_core::alert::{LifeEvent, Observation, Person, Screening, SpecialPeriod};
use changkaixin_core::scoring::batch::BatchGroups;
use changkaixin_core::{AlertPolicy, Answer, BatchColumns, BatchInput, Catalog, Instrument, StudentEvidence, Timestamp};
use std::collections::BTreeMap;
use std::time::Instant;

#[path = "city_screening/report_step.rs"]
mod report_step;

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

fn answers(codes: &[i8]) -> Vec<Answer> {
    codes
        .iter()
        .map(|&c| if c < 0 { Answer::Missing } else { Answer::Code(i64::from(c)) })
        .collect()
}

/// The students' evidence for one chunk: their four screenings (full reports), plus a few
/// synthetic staff observations and life events; the spring special period applies to all.
fn evidence_chunk(c: &Cohort, rows: std::ops::Range<usize>, inst: [&Instrument; 4], g: &mut Lcg) -> Vec<StudentEvidence> {
    let [phq9, gad7, asq, mht] = inst;
    let teacher = Person {
        name: "班主任 (synthetic)".into(),
        role: "head_teacher".into(),
    };
    rows.map(|r| {
        let at = "2024-03-01T09:00:00+08:00".to_string();
        let score = |i: &Instrument, codes: &[i8]| i.score_answers(&answers(codes)).expect("cohort codes are valid options");
        let mut mht_report = {
            let mut resp = changkaixin_core::Response::default();
            for (k, &code) in c.mht[r * 100..(r + 1) * 100].iter().enumerate() {
                resp.answers.insert((k + 1).to_string(), Answer::Code(i64::from(code)));
            }
            resp.group.insert("grade".into(), c.grade[r].to_string());
            resp.group.insert("sex".into(), if c.sex[r] == 0 { "M" } else { "F" }.into());
            mht.score(&resp).expect("valid MHT-shaped answers")
        };
        // The platform reports its licensed MHT key under the interface the policy declares for
        // the external instrument `mht` (scales total and lie, flag total_high); the synthetic
        // key stands in, reduced to that interface (the policy verifies external reports against it).
        mht_report.instrument.id = "mht".into();
        mht_report.scales.retain(|s| s.id == "total" || s.id == "lie");
        mht_report.flags.retain(|f| f.id == "total_high");
        let mut e = StudentEvidence {
            student: format!("s-{r:06}"),
            // The engine's own reports, given as evidence: the alert engine verifies each one.
            screenings: vec![
                Screening::from_report(None, at.clone(), score(phq9, &c.phq9[r * 10..(r + 1) * 10])),
                Screening::from_report(None, at.clone(), score(gad7, &c.gad7[r * 7..(r + 1) * 7])),
                Screening::from_report(None, at.clone(), score(asq, &c.asq[r * 5..(r + 1) * 5])),
                Screening::from_report(None, at, mht_report),
            ],
            special_periods: vec![SpecialPeriod {
                kind: "spring".into(),
                from: "2024-02-26T00:00:00+08:00".into(),
                to: "2024-04-30T00:00:00+08:00".into(),
            }],
            ..StudentEvidence::default()
        };
        if g.below(100) < 2 {
            let cat = ["withdrawal", "sudden_decline", "aggression", "mood_change"][g.below(4) as usize];
            e.observations.push(Observation {
                id: None,
                category: cat.into(),
                at: "2024-02-28T15:00:00+08:00".into(),
                observed_by: teacher.clone(),
            });
        }
        if g.below(1000) < 3 {
            e.observations.push(Observation {
                id: None,
                category: "self_harm".into(),
                at: "2024-03-02T10:00:00+08:00".into(),
                observed_by: teacher.clone(),
            });
        }
        if g.below(100) < 3 {
            let kind = ["bereavement", "family_breakdown", "left_behind", "bullying_victim"][g.below(4) as usize];
            e.life_events.push(LifeEvent {
                id: None,
                kind: kind.into(),
                at: "2024-01-20T00:00:00+08:00".into(),
                reported_by: None,
            });
        }
        e
    })
    .collect()
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
    let positive = phq9_out.screen.iter().filter(|v| **v == 1).count();
    let indeterminate = phq9_out.screen.iter().filter(|v| **v == 2).count();
    println!("\nPHQ-9 screen-positive (total >= 10): {positive} of {n}; indeterminate (items missing): {indeterminate}");
    println!("\n{}  build tables", ms(t));

    // ---- From scores to tiers: the plan's 班级—学校—社会 warning levels (二(三)11) ----
    let t = Instant::now();
    let policy = AlertPolicy::changzhou_default()
        .and_then(|p| p.compile(cat))
        .expect("the built-in policy compiles");
    println!(
        "\n{}  compile the Changzhou default alert policy ({} {})",
        ms(t),
        policy.policy().id,
        policy.policy().version
    );
    let at = Timestamp::parse("2024-03-04T08:00:00+08:00").expect("valid time");
    let overdue_at = Timestamp::parse("2024-03-07T08:00:00+08:00").expect("valid time");
    let mut mht_as_licensed = mht.clone();
    mht_as_licensed = {
        // The platform loads its licensed MHT key as instrument `mht`; the synthetic key stands in.
        let mut v: serde_json::Value = serde_json::from_str(&mht_as_licensed.to_json()).expect("spec json");
        v["id"] = serde_json::json!("mht");
        Instrument::from_json(&v.to_string()).expect("renamed fixture compiles")
    };
    let tiers: Vec<String> = policy.policy().tiers.iter().map(|t| t.id.clone()).collect();
    let mut by_district = vec![vec![0usize; tiers.len()]; DISTRICTS.len()];
    let mut by_grade = BTreeMap::<u8, Vec<usize>>::new();
    let sample_school = c.school[0];
    let mut overdue_lines = Vec::new();
    let mut sample_decision = None;
    let (mut t_evidence, mut t_tiers) = (std::time::Duration::ZERO, std::time::Duration::ZERO);
    let mut g = Lcg::new(99);
    let chunk = 10_000;
    let mut tier_col = vec![0u8; n]; // report step: the tier code per row
    for start in (0..n).step_by(chunk) {
        let rows = start..(start + chunk).min(n);
        let t0 = Instant::now();
        let ev = evidence_chunk(&c, rows.clone(), [&phq9, &gad7, &asq, &mht_as_licensed], &mut g);
        t_evidence += t0.elapsed();
        let t0 = Instant::now();
        let opts = BatchOptions {
            overdue_at: Some(overdue_at),
            decisions: if sample_decision.is_none() {
                DecisionFilter::Flagged
            } else {
                DecisionFilter::None
            },
        };
        let out = evaluate_batch_with(&policy, &ev, at, opts);
        t_tiers += t0.elapsed();
        assert!(out.errors.is_empty(), "synthetic evidence refused: {:?}", out.errors);
        for (i, row) in out.rows.iter().enumerate() {
            let Some(row) = row else { continue };
            let r = rows.start + i;
            tier_col[r] = row.tier;
            by_district[c.district[r] as usize][row.tier as usize] += 1;
            by_grade.entry(c.grade[r]).or_insert_with(|| vec![0; tiers.len()])[row.tier as usize] += 1;
        }
        for item in &out.overdue {
            let r = rows.start + item.row as usize;
            if c.school[r] == sample_school {
                let ob = &out.obligations[item.obligation as usize];
                overdue_lines.push(format!(
                    "  {}  {:<28} due {}  ({})",
                    ev[item.row as usize].student,
                    ob.id,
                    item.due_at,
                    ob.roles.join(", ")
                ));
            }
        }
        if sample_decision.is_none() {
            sample_decision = out
                .decisions
                .iter()
                .find(|d| d.tier.id == "key")
                .cloned()
                .or_else(|| out.decisions.first().cloned());
        }
    }
    println!(
        "{:>11.2} ms  build evidence ({n} students × 4 full score reports, observations, events)",
        t_evidence.as_secs_f64() * 1e3
    );
    println!(
        "{:>11.2} ms  evaluate tiers in batch ({:.0} decisions/s)",
        t_tiers.as_secs_f64() * 1e3,
        n as f64 / t_tiers.as_secs_f64().max(1e-9)
    );

    println!("\nTiers by district (evaluated {at})");
    print!("{:>10}", "district");
    for t in &tiers {
        print!("{t:>10}");
    }
    println!();
    for (d, row) in by_district.iter().enumerate() {
        print!("{:>10}", DISTRICTS[d]);
        for v in row {
            print!("{v:>10}");
        }
        println!();
    }
    println!("\nTiers by grade");
    print!("{:>10}", "grade");
    for t in &tiers {
        print!("{t:>10}");
    }
    println!();
    for (g, row) in &by_grade {
        print!("{g:>10}");
        for v in row {
            print!("{v:>10}");
        }
        println!();
    }
    println!("\nOverdue obligations at {overdue_at} for sample school #{sample_school} (none recorded as done):");
    if overdue_lines.is_empty() {
        println!("  (none)");
    }
    for l in overdue_lines.iter().take(25) {
        println!("{l}");
    }
    if overdue_lines.len() > 25 {
        println!("  … {} more", overdue_lines.len() - 25);
    }
    if let Some(d) = sample_decision {
        println!("\nOne decision in full (a proposal: a named person confirms or overrides it):");
        println!("{}", serde_json::to_string_pretty(&d).unwrap_or_default());
    }

    // ---- Compliance with the plan's duties, school by school (issue 11) ----
    changkaixin_benches::compliance::print_city_compliance(700).expect("the synthetic city checks");

    // ---- The city report with disclosure control (issue 13) ----
    report_step::write_city_report(&c, &phq9_out, &gad7_out, &tier_col, &tiers).expect("the city report builds");
}
