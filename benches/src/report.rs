//! A synthetic city for the report benchmark and the main job's report step: 7 districts,
//! 700 schools, grades 1–12, two sexes; PHQ-9 and GAD-7 scored by the engine; tiers from a
//! simple synthetic rule (the real tiers come from the alert engine in the main job). All synthetic.

use crate::cohort::freq_item;
use crate::Lcg;
use changkaixin_core::report::{band_codes, Label, Layout, Measure, ReportSpec, School};
use changkaixin_core::{BatchColumns, BatchInput, Catalog};

/// Changzhou's districts (for grouping only).
pub const DISTRICTS: &[(&str, &str, &str)] = &[
    ("tianning", "天宁区", "Tianning"),
    ("zhonglou", "钟楼区", "Zhonglou"),
    ("xinbei", "新北区", "Xinbei"),
    ("wujin", "武进区", "Wujin"),
    ("jintan", "金坛区", "Jintan"),
    ("liyang", "溧阳市", "Liyang"),
    ("jingkai", "经开区", "Economic Development Zone"),
];

/// The layout of a synthetic city with `schools` schools spread over the 7 districts, grades 1–12.
pub fn layout(schools: usize) -> Layout {
    Layout {
        districts: DISTRICTS.iter().map(|d| Label::new(d.0, d.1, d.2)).collect(),
        schools: (0..schools)
            .map(|s| School {
                id: format!("sch-{s:04}"),
                zh: format!("第{}学校", s + 1),
                en: format!("School {}", s + 1),
                district: (s % DISTRICTS.len()) as u16,
            })
            .collect(),
        grades: (1..=12).map(|g| Label::new(g.to_string(), format!("{g}年级"), format!("grade {g}"))).collect(),
        sexes: vec![Label::new("M", "男", "male"), Label::new("F", "女", "female")],
    }
}

/// Tier labels of the Changzhou default policy.
pub fn tier_labels() -> Vec<Label> {
    vec![
        Label::new("none", "无", "none"),
        Label::new("watch", "关注", "watch"),
        Label::new("key", "重点", "key"),
        Label::new("crisis", "危机", "crisis"),
    ]
}

/// The report spec of the main job and the benchmark: PHQ-9 bands, screen and item 9; GAD-7
/// bands and screen; tiers. Instrument 0 is PHQ-9, 1 is GAD-7.
pub fn spec(layout: Layout, phq9: &BatchColumns) -> ReportSpec {
    let cat = Catalog::builtin();
    let mut measures = Vec::new();
    if let Ok(i) = cat.instrument("phq9") {
        measures.extend(Measure::instrument_bands(0, &i, "total"));
    }
    measures.push(Measure::screen(0, "phq9.screen", "PHQ-9 筛查阳性", "PHQ-9 screen positive"));
    let bit = phq9.flag_ids.iter().position(|f| f == "item9_self_harm").unwrap_or(0) as u8;
    measures.push(Measure::flag(
        0,
        bit,
        "phq9.item9",
        "PHQ-9 第9题（自伤念头）",
        "PHQ-9 item 9 (self-harm thoughts)",
    ));
    if let Ok(i) = cat.instrument("gad7") {
        measures.extend(Measure::instrument_bands(1, &i, "total"));
    }
    measures.push(Measure::screen(1, "gad7.screen", "GAD-7 筛查阳性", "GAD-7 screen positive"));
    measures.push(Measure::tiers("tier", "预警等级", "alert tier", tier_labels()));
    ReportSpec { layout, measures }
}

/// The columns of a synthetic city.
#[derive(Clone, Debug)]
pub struct City {
    /// District code per student.
    pub district: Vec<u16>,
    /// School code per student.
    pub school: Vec<u32>,
    /// Grade code (0 = grade 1).
    pub grade: Vec<u8>,
    /// Sex code.
    pub sex: Vec<u8>,
    /// PHQ-9 batch output.
    pub phq9: BatchColumns,
    /// PHQ-9 band codes.
    pub phq9_band: Vec<u8>,
    /// GAD-7 batch output.
    pub gad7: BatchColumns,
    /// GAD-7 band codes.
    pub gad7_band: Vec<u8>,
    /// Synthetic tier codes.
    pub tiers: Vec<u8>,
    /// Enrolment per school × grade × sex (a little above the number screened).
    pub enrolment: Vec<u32>,
}

/// `n` synthetic students in `schools` schools (same seed, same city). `shift` raises the burden
/// a little (a "previous round" differs from the current one).
pub fn city(n: usize, schools: usize, seed: u64, shift: u32) -> City {
    let mut g = Lcg::new(seed);
    let (mut district, mut school, mut grade, mut sex) = (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
    let mut phq = Vec::with_capacity(n * 10);
    let mut gad = Vec::with_capacity(n * 7);
    for _ in 0..n {
        let s = g.below(schools as u32);
        school.push(s);
        district.push((s as usize % DISTRICTS.len()) as u16);
        grade.push(g.below(12) as u8);
        sex.push(g.below(2) as u8);
        let burden: u32 = match g.below(100) + shift {
            0..=59 => 0,
            60..=84 => 1,
            85..=95 => 2,
            _ => 3,
        };
        for i in 0..10 {
            let b = if i == 8 { burden.saturating_sub(1) } else { burden };
            phq.push(if g.below(500) == 0 && i < 9 { -1 } else { freq_item(&mut g, b) });
        }
        for _ in 0..7 {
            gad.push(freq_item(&mut g, burden));
        }
    }
    let cat = Catalog::builtin();
    let score = |id: &str, codes: &[i8], k: usize| {
        cat.instrument(id)
            .and_then(|i| i.score_batch(&BatchInput::new(codes, k, -1)))
            .unwrap_or_default()
    };
    let phq9 = score("phq9", &phq, 10);
    let gad7 = score("gad7", &gad, 7);
    let phq9_band = phq9.scale("total").map(band_codes).unwrap_or_default();
    let gad7_band = gad7.scale("total").map(band_codes).unwrap_or_default();
    let bit = phq9.flag_ids.iter().position(|f| f == "item9_self_harm").unwrap_or(0);
    let tiers: Vec<u8> = (0..n)
        .map(|r| {
            let item9 = phq9.flags.get(r).is_some_and(|w| w >> bit & 1 == 1);
            let pb = phq9_band.get(r).copied().unwrap_or(255);
            let gb = gad7_band.get(r).copied().unwrap_or(255);
            if item9 && pb != 255 && pb >= 4 {
                3
            } else if item9 || (pb != 255 && pb >= 3) || (gb != 255 && gb >= 3) {
                2
            } else if (pb != 255 && pb >= 2) || (gb != 255 && gb >= 2) {
                1
            } else {
                0
            }
        })
        .collect();
    let mut screened = vec![0u32; schools * 12 * 2];
    for r in 0..n {
        screened[(school[r] as usize * 12 + usize::from(grade[r])) * 2 + usize::from(sex[r])] += 1;
    }
    let enrolment = screened.iter().enumerate().map(|(i, v)| v + (i % 3) as u32).collect();
    City {
        district,
        school,
        grade,
        sex,
        phq9,
        phq9_band,
        gad7,
        gad7_band,
        tiers,
        enrolment,
    }
}
