//! Writes a synthetic city report for the browser check (`tests/report-browser/check.mjs`):
//! `report.html` (the page), `report.json` (the published data) and `suppressed.json` — for every
//! suppressed table cell its `data-k` key and its true value (from the same city with disclosure
//! control off; an internal file for the test only, never published).
//! `cargo run -p changkaixin-benches --example report_fixture -- <dir> [students] [schools]`
#![allow(clippy::unwrap_used, clippy::expect_used)]

use changkaixin_benches::report::{city, layout, spec, City};
use changkaixin_core::report::{
    city_report, to_html, Aggregate, CellState, CityReport, InstrumentRows, ReportOptions, ReportRows, ReportSpec, Round, Settings,
};

fn aggregate(spec: &ReportSpec, c: &City) -> Aggregate {
    let mut agg = Aggregate::new(spec).unwrap();
    let inst = [
        InstrumentRows::from_batch(&c.phq9, &c.phq9_band),
        InstrumentRows::from_batch(&c.gad7, &c.gad7_band),
    ];
    agg.add(
        spec,
        &ReportRows {
            district: &c.district,
            school: &c.school,
            grade: &c.grade,
            sex: &c.sex,
            instruments: &inst,
            tiers: &c.tiers,
        },
    )
    .unwrap();
    agg
}

fn main() {
    let dir = std::path::PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "target/report-browser".into()));
    let n: usize = std::env::args().nth(2).and_then(|a| a.parse().ok()).unwrap_or(20_000);
    let schools: usize = std::env::args().nth(3).and_then(|a| a.parse().ok()).unwrap_or(21);
    std::fs::create_dir_all(&dir).unwrap();
    let now = city(n, schools, 2024, 0);
    let before = city(n * 19 / 20, schools, 2023, 3);
    let spec = spec(layout(schools), &now.phq9);
    let (agg, prev) = (aggregate(&spec, &now), aggregate(&spec, &before));
    let round = |id: &str, zh: &str, en: &str| Round {
        id: id.into(),
        zh: zh.into(),
        en: en.into(),
    };
    let opts = |s: Settings| ReportOptions {
        round: round("2024-spring", "2024年春季普测", "spring 2024"),
        suppression: s,
        enrolment: Some(&now.enrolment),
        previous: Some((round("2023-autumn", "2023年秋季普测", "autumn 2023"), &prev)),
    };
    let report = city_report(&spec, &agg, &opts(Settings::default())).unwrap();
    let open = Settings {
        threshold: 1,
        small_group: 0,
        protection_width: 1,
        dominance: false,
        near_total: false,
    };
    let truth: CityReport = city_report(&spec, &agg, &opts(open)).unwrap();
    let mut suppressed = Vec::new();
    for (m, t) in report.measures.iter().zip(&truth.measures) {
        for (name, a, b) in [
            ("district_grade", &m.district_grade, &t.district_grade),
            ("school_grade", &m.school_grade, &t.school_grade),
            ("grade_sex", &m.grade_sex, &t.grade_sex),
        ] {
            let k_n = m.categories.len();
            for (i, (cell, true_cell)) in a.cells.iter().zip(&b.cells).enumerate() {
                if cell.state != CellState::Suppressed {
                    continue;
                }
                let (rc, k) = (i / k_n, i % k_n);
                let (r, c) = (rc / a.cols.len(), rc % a.cols.len());
                suppressed.push(serde_json::json!({
                    "key": format!("{}|{name}|{}|{}|{}", m.id, a.rows[r].id, a.cols[c].id, m.categories[k].id),
                    "value": true_cell.count,
                    "pct": true_cell.pct,
                }));
            }
        }
    }
    std::fs::write(dir.join("report.html"), to_html(&report)).unwrap();
    std::fs::write(dir.join("report.json"), serde_json::to_string(&report).unwrap()).unwrap();
    std::fs::write(dir.join("suppressed.json"), serde_json::to_string(&suppressed).unwrap()).unwrap();
    println!("{} ({} suppressed table cells)", dir.join("report.html").display(), suppressed.len());
}
