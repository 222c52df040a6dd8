//! A deterministic synthetic student cohort for the main job (`city_screening`).

use crate::Lcg;

/// Changzhou's districts and county-level city (the plan's 辖市(区)), for grouping only.
pub const DISTRICTS: &[&str] = &["天宁区", "钟楼区", "新北区", "武进区", "金坛区", "溧阳市", "经开区"];

/// One synthetic cohort in columnar form; answers are row-major i8 buffers with -1 = missing.
#[derive(Clone, Debug)]
pub struct Cohort {
    /// Number of students.
    pub n: usize,
    /// District index into [`DISTRICTS`].
    pub district: Vec<u8>,
    /// School index (40 schools per district).
    pub school: Vec<u16>,
    /// Grade 4..=12.
    pub grade: Vec<u8>,
    /// 0 = male, 1 = female.
    pub sex: Vec<u8>,
    /// PHQ-9 answers (10 items).
    pub phq9: Vec<i8>,
    /// GAD-7 answers (7 items).
    pub gad7: Vec<i8>,
    /// ASQ answers (5 items; item 5 asked only after a positive 1–4).
    pub asq: Vec<i8>,
    /// MHT-shaped fixture answers (100 yes/no items).
    pub mht: Vec<i8>,
}

/// One frequency-scale answer (codes 0–3) for a latent burden 0..=3 (shared by the cohort and report bench data).
pub fn freq_item(g: &mut Lcg, burden: u32) -> i8 {
    // P(code >= k) rises with the latent burden 0..=3.
    let x = g.below(100);
    let cut = [[88, 97, 99], [60, 85, 95], [35, 65, 85], [15, 40, 70]][burden as usize];
    if x < cut[0] {
        0
    } else if x < cut[1] {
        1
    } else if x < cut[2] {
        2
    } else {
        3
    }
}

impl Cohort {
    /// Build `n` synthetic students from a seed. Same seed, same cohort, on every machine.
    pub fn synthetic(n: usize, seed: u64) -> Cohort {
        let mut g = Lcg::new(seed);
        let mut c = Cohort {
            n,
            district: Vec::with_capacity(n),
            school: Vec::with_capacity(n),
            grade: Vec::with_capacity(n),
            sex: Vec::with_capacity(n),
            phq9: Vec::with_capacity(n * 10),
            gad7: Vec::with_capacity(n * 7),
            asq: Vec::with_capacity(n * 5),
            mht: Vec::with_capacity(n * 100),
        };
        for _ in 0..n {
            let d = g.below(DISTRICTS.len() as u32) as u8;
            c.district.push(d);
            c.school.push(u16::from(d) * 40 + g.below(40) as u16);
            c.grade.push(4 + g.below(9) as u8);
            c.sex.push(g.below(2) as u8);
            let burden: u32 = match g.below(100) {
                0..=59 => 0,
                60..=84 => 1,
                85..=95 => 2,
                _ => 3,
            };
            for i in 0..10 {
                // a few skipped items, so missing-data rules are exercised
                let skip = g.below(400) == 0;
                // the self-harm item (9) is endorsed less often than the others
                let b = if i == 8 { burden.saturating_sub(1) } else { burden };
                c.phq9.push(if skip && i < 9 { -1 } else { freq_item(&mut g, b) });
            }
            for _ in 0..7 {
                c.gad7.push(freq_item(&mut g, burden));
            }
            let p_yes = [1, 4, 15, 40][burden as usize];
            let mut positive = false;
            for _ in 0..4 {
                let y = g.below(100) < p_yes;
                positive |= y;
                c.asq.push(i8::from(y));
            }
            c.asq.push(if positive { i8::from(g.below(100) < 8 * burden) } else { -1 });
            let rate = [12, 25, 40, 60][burden as usize];
            for item in 1..=100u32 {
                let lie_item = item >= 82 && item % 2 == 0;
                let p = if lie_item { 30 } else { rate };
                c.mht.push(i8::from(g.below(100) < p));
            }
        }
        c
    }
}
