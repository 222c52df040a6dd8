//! The main job's last step (issue 13): the city report for the synthetic cohort, with
//! disclosure control applied, written as one self-contained HTML page to
//! `target/city_report.html` (and the published data beside it as `target/city_report.json`).
//! Included by `city_screening.rs` with `#[path]`; the core returns the HTML as a `String`.

use changkaixin_benches::cohort::{Cohort, DISTRICTS};
use changkaixin_core::report::{
    band_codes, city_report, to_html, Aggregate, InstrumentRows, Label, Layout, Measure, ReportOptions, ReportRows, ReportSpec, Round, School, Settings,
};
use changkaixin_core::{BatchColumns, Catalog};
use std::path::PathBuf;
use std::time::Instant;

/// Build the city report from the batch columns and the tier column and write it; returns its path.
pub fn write_city_report(c: &Cohort, phq9: &BatchColumns, gad7: &BatchColumns, tiers: &[u8], tier_ids: &[String]) -> Result<PathBuf, String> {
    let t = Instant::now();
    let schools = c.school.iter().map(|s| usize::from(*s) + 1).max().unwrap_or(1);
    let layout = Layout {
        districts: DISTRICTS
            .iter()
            .enumerate()
            .map(|(i, d)| Label::new(format!("d{i}"), *d, format!("district {}", i + 1)))
            .collect(),
        schools: (0..schools)
            .map(|s| School {
                id: format!("school-{s:03}"),
                zh: format!("{}第{}校", DISTRICTS[s / 40 % DISTRICTS.len()], s % 40 + 1),
                en: format!("school {}", s + 1),
                district: (s / 40) as u16,
            })
            .collect(),
        grades: (4..=12).map(|g| Label::new(g.to_string(), format!("{g}年级"), format!("grade {g}"))).collect(),
        sexes: vec![Label::new("M", "男", "male"), Label::new("F", "女", "female")],
    };
    let cat = Catalog::builtin();
    let mut measures = Vec::new();
    for (i, id) in ["phq9", "gad7"].iter().enumerate() {
        let inst = cat.instrument(id).map_err(|e| e.to_string())?;
        measures.extend(Measure::instrument_bands(i as u16, &inst, "total"));
        measures.push(Measure::screen(
            i as u16,
            &format!("{id}.screen"),
            &format!("{} 筛查阳性", id.to_uppercase()),
            &format!("{} screen", id.to_uppercase()),
        ));
    }
    let bit = phq9.flag_ids.iter().position(|f| f == "item9_self_harm").unwrap_or(0) as u8;
    measures.push(Measure::flag(
        0,
        bit,
        "phq9.item9",
        "PHQ-9 第9题（自伤念头）",
        "PHQ-9 item 9 (self-harm thoughts)",
    ));
    let zh = |t: &str| match t {
        "none" => "无",
        "watch" => "关注",
        "key" => "重点",
        "crisis" => "危机",
        _ => "",
    };
    measures.push(Measure::tiers(
        "tier",
        "预警等级",
        "alert tier",
        tier_ids.iter().map(|t| Label::new(t.clone(), zh(t), t.clone())).collect(),
    ));
    let spec = ReportSpec { layout, measures };
    let (pb, gb) = (
        phq9.scale("total").map(band_codes).unwrap_or_default(),
        gad7.scale("total").map(band_codes).unwrap_or_default(),
    );
    let inst = [InstrumentRows::from_batch(phq9, &pb), InstrumentRows::from_batch(gad7, &gb)];
    let district: Vec<u16> = c.school.iter().map(|s| s / 40).collect();
    let school: Vec<u32> = c.school.iter().map(|s| u32::from(*s)).collect();
    let grade: Vec<u8> = c.grade.iter().map(|g| g - 4).collect();
    let mut agg = Aggregate::new(&spec).map_err(|e| e.to_string())?;
    agg.add(
        &spec,
        &ReportRows {
            district: &district,
            school: &school,
            grade: &grade,
            sex: &c.sex,
            instruments: &inst,
            tiers,
        },
    )
    .map_err(|e| e.to_string())?;
    let opts = ReportOptions {
        round: Round {
            id: "2024-spring".into(),
            zh: "2024年春季普测（合成数据）".into(),
            en: "spring 2024 screening (synthetic data)".into(),
        },
        suppression: Settings::default(),
        enrolment: None,
        previous: None,
    };
    let report = city_report(&spec, &agg, &opts).map_err(|e| e.to_string())?;
    let html = to_html(&report);
    let dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let path = dir.canonicalize().unwrap_or(dir).join("city_report.html");
    std::fs::write(&path, &html).map_err(|e| e.to_string())?;
    std::fs::write(path.with_extension("json"), serde_json::to_string(&report).unwrap_or_default()).map_err(|e| e.to_string())?;
    let suppressed: u32 = report.measures.iter().map(|m| m.suppressed).sum();
    let cells: u32 = report.measures.iter().map(|m| m.cells).sum();
    println!(
        "\n{:>8.2} ms  city report: {} measures, {suppressed} of {cells} cells suppressed (threshold {}, protection width {}); audit passed",
        t.elapsed().as_secs_f64() * 1e3,
        report.measures.len(),
        opts.suppression.threshold,
        opts.suppression.protection_width
    );
    println!("city report written to {}", path.display());
    Ok(path)
}
