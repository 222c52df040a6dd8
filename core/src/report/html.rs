//! The report as one self-contained HTML page: no script, no network, inline SVG charts,
//! printable CSS, Chinese first with English beside it.
//!
//! Only what the published [`CityReport`] holds is rendered, so a suppressed cell cannot appear:
//! its table cell shows the mark `S` and its bar is left out of every chart. Every table cell and
//! every bar carries `data-k="<measure>|<table>|<row id>|<col id>|<category id>"` and every chart
//! `data-bars="<number of bars>"`, so a test in a browser can check what is drawn.
//! Pixel geometry is computed in integers from the exact percentages (hundredths).

use super::aggregate::Label;
use super::build::{Cell, CellState, CityReport, CoverageTable, MeasureReport, Table};
use crate::decimal::Dec;
use std::fmt::Write;

/// Colours of the categories, in order (colour-blind-safe Okabe–Ito palette).
const PALETTE: [&str; 8] = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#999999"];

fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

/// Hundredths of a percent as an integer (0..=10000).
fn hundredths(d: &Dec) -> i64 {
    let mut v = d.0;
    v.rescale(2);
    i64::try_from(v.mantissa()).unwrap_or(0).clamp(0, 10_000)
}

fn bilingual(zh: &str, en: &str) -> String {
    format!("{} <span class=\"en\">{}</span>", esc(zh), esc(en))
}

const CSS: &str = r#"
body{font-family:"Noto Sans CJK SC","Source Han Sans SC","PingFang SC","Microsoft YaHei",sans-serif;margin:2em auto;max-width:1100px;color:#222;line-height:1.45;padding:0 1em}
h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.3em;border-bottom:2px solid #0072B2;padding-bottom:.2em;margin-top:2em}h3{font-size:1.05em;margin-top:1.4em}
.en{color:#555;font-weight:normal;font-size:.9em}
.note{background:#f4f7fb;border-left:4px solid #0072B2;padding:.6em 1em;margin:1em 0;font-size:.92em}
table{border-collapse:collapse;margin:.6em 0;font-size:.82em}th,td{border:1px solid #ccc;padding:2px 6px;text-align:right;vertical-align:top}
th{background:#eef2f6;text-align:center}td.cat,th.unit{text-align:left}td small{display:block;color:#666;font-size:.85em}
td.sup{background:repeating-linear-gradient(45deg,#f3f3f3,#f3f3f3 4px,#e4e4e4 4px,#e4e4e4 8px);color:#777;text-align:center}
td.empty{color:#aaa;text-align:center}
.legend span{display:inline-block;margin-right:1em;font-size:.85em}.legend i{display:inline-block;width:.9em;height:.9em;margin-right:.3em;vertical-align:-.1em}
svg{max-width:100%;height:auto;display:block;margin:.4em 0}svg text{font-size:11px;fill:#333}
.charts{display:flex;flex-wrap:wrap;gap:1em}.charts figure{margin:0;flex:1 1 480px}figcaption{font-size:.9em}
details summary{cursor:pointer;margin:.3em 0}
@media print{body{max-width:none;margin:0;font-size:10pt}h2{page-break-before:always}h2:first-of-type{page-break-before:auto}table,figure{page-break-inside:avoid}details>summary{display:none}.note{border:1px solid #999}}
"#;

struct Bar<'a> {
    cat: usize,
    cell: &'a Cell,
    key: String,
}

/// A grouped bar chart of percentages with Wilson whiskers.
fn bar_chart(id: &str, groups: &[(String, Vec<Bar<'_>>)], categories: &[Label]) -> String {
    let plot_h: i64 = 200;
    let top: i64 = 20;
    let left: i64 = 44;
    let bar_w: i64 = 9;
    let n_cat = categories.len().max(1) as i64;
    let group_w = n_cat * bar_w + 14;
    let width = left + (groups.len() as i64) * group_w + 10;
    // y axis: the largest upper bound, rounded up to a multiple of 10 % (at least 10 %)
    let max_h = groups
        .iter()
        .flat_map(|g| g.1.iter())
        .filter_map(|b| b.cell.hi.as_ref().map(hundredths))
        .max()
        .unwrap_or(0);
    let axis = ((max_h + 999) / 1000).clamp(1, 10) * 1000;
    let y = |h: i64| top + plot_h - h * plot_h / axis;
    let n_bars: usize = groups.iter().map(|g| g.1.iter().filter(|b| b.cell.pct.is_some()).count()).sum();
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {h}" width="{width}" height="{h}" data-chart="{id}" data-bars="{n_bars}" role="img">"#,
        h = top + plot_h + 40,
        id = esc(id)
    );
    for k in 0..=4 {
        let v = axis * k / 4;
        let yy = y(v);
        let _ = write!(
            s,
            r##"<line x1="{left}" x2="{x2}" y1="{yy}" y2="{yy}" stroke="#ddd"/><text x="{tx}" y="{ty}" text-anchor="end">{p}%</text>"##,
            x2 = width - 10,
            tx = left - 4,
            ty = yy + 4,
            p = v / 100
        );
    }
    for (gi, (label, bars)) in groups.iter().enumerate() {
        let gx = left + gi as i64 * group_w + 7;
        for b in bars {
            let (Some(p), Some(lo), Some(hi)) = (&b.cell.pct, &b.cell.lo, &b.cell.hi) else {
                continue;
            };
            let x = gx + b.cat as i64 * bar_w;
            let (yp, ylo, yhi) = (y(hundredths(p)), y(hundredths(lo)), y(hundredths(hi)));
            let cx = x + bar_w / 2;
            let _ = write!(
                s,
                r##"<rect class="bar" data-k="{k}" x="{x}" y="{yp}" width="{w}" height="{bh}" fill="{c}"><title>{p}% [{lo}, {hi}]</title></rect><line class="whisker" x1="{cx}" x2="{cx}" y1="{ylo}" y2="{yhi}" stroke="#222"/><line x1="{a}" x2="{b2}" y1="{yhi}" y2="{yhi}" stroke="#222"/><line x1="{a}" x2="{b2}" y1="{ylo}" y2="{ylo}" stroke="#222"/>"##,
                k = esc(&b.key),
                w = bar_w - 1,
                bh = (top + plot_h - yp).max(1),
                c = PALETTE[b.cat % PALETTE.len()],
                a = cx - 2,
                b2 = cx + 2
            );
        }
        let _ = write!(
            s,
            r#"<text x="{tx}" y="{ty}" text-anchor="middle">{l}</text>"#,
            tx = gx + (n_cat * bar_w) / 2,
            ty = top + plot_h + 16,
            l = esc(label)
        );
    }
    s.push_str("</svg>");
    s
}

fn legend(categories: &[Label]) -> String {
    let mut s = String::from(r#"<div class="legend">"#);
    for (i, c) in categories.iter().enumerate() {
        let _ = write!(
            s,
            r#"<span><i style="background:{}"></i>{}</span>"#,
            PALETTE[i % PALETTE.len()],
            bilingual(&c.zh, &c.en)
        );
    }
    s.push_str("</div>");
    s
}

fn key(m: &MeasureReport, table: &str, t: &Table, r: usize, c: usize, k: usize) -> String {
    format!(
        "{}|{}|{}|{}|{}",
        m.id,
        table,
        t.rows.get(r).map_or("", |h| h.id.as_str()),
        t.cols.get(c).map_or("", |h| h.id.as_str()),
        m.categories.get(k).map_or("", |l| l.id.as_str())
    )
}

fn cell_td(s: &mut String, cell: &Cell, k: &str) {
    match cell.state {
        CellState::Suppressed => {
            let _ = write!(s, r#"<td class="sup" data-k="{}" title="已抑制 suppressed">S</td>"#, esc(k));
        }
        CellState::Empty => {
            let _ = write!(s, r#"<td class="empty" data-k="{}">–</td>"#, esc(k));
        }
        CellState::Published => {
            let count = cell.count.map_or(String::new(), |c| c.to_string());
            let pct = cell.pct.map_or(String::new(), |p| format!("{p}%"));
            let ci = match (&cell.lo, &cell.hi) {
                (Some(lo), Some(hi)) => format!(" title=\"95% CI {lo}–{hi}%\""),
                _ => String::new(),
            };
            let change = match (cell.change, &cell.change_pct) {
                (Some(d), Some(p)) => format!("<small>Δ {d:+} / {p} pp</small>"),
                _ => String::new(),
            };
            let _ = write!(s, r#"<td data-k="{}"{ci}>{count}<small>{pct}</small>{change}</td>"#, esc(k));
        }
    }
}

/// A measure table: one row per (unit, category).
fn measure_table(s: &mut String, m: &MeasureReport, name: &str, t: &Table, rows: &[usize], row_title: (&str, &str)) {
    let k_n = m.categories.len();
    s.push_str("<table><thead><tr>");
    let _ = write!(
        s,
        r#"<th class="unit">{}</th><th>{}</th>"#,
        bilingual(row_title.0, row_title.1),
        bilingual("类别", "category")
    );
    for c in &t.cols {
        let _ = write!(s, "<th>{}</th>", bilingual(&c.zh, &c.en));
    }
    s.push_str("</tr></thead><tbody>");
    for &r in rows {
        let Some(head) = t.rows.get(r) else { continue };
        for k in 0..k_n {
            s.push_str("<tr>");
            if k == 0 {
                let n: Vec<String> = (0..t.cols.len())
                    .filter_map(|c| t.screened.get(r * t.cols.len() + c))
                    .map(|v| v.to_string())
                    .collect();
                let _ = write!(
                    s,
                    r#"<th class="unit" rowspan="{k_n}">{}<small class="en">筛查 screened: {}</small></th>"#,
                    bilingual(&head.zh, &head.en),
                    n.last().map_or("", |v| v.as_str())
                );
            }
            let cat = &m.categories[k];
            let _ = write!(s, r#"<td class="cat">{}</td>"#, bilingual(&cat.zh, &cat.en));
            for c in 0..t.cols.len() {
                if let Some(cell) = t.cell(r, c, k, k_n) {
                    cell_td(s, cell, &key(m, name, t, r, c, k));
                }
            }
            s.push_str("</tr>");
        }
    }
    s.push_str("</tbody></table>");
}

fn coverage_chart(cov: &CoverageTable, has_enrolment: bool) -> String {
    // one bar per district (the last row is the city), coverage % (or screened counts scaled to the largest)
    let n = cov.rows.len().saturating_sub(1);
    let cols = cov.cols.len();
    let total_col = cols.saturating_sub(1);
    let left: i64 = 150;
    let row_h: i64 = 22;
    let plot_w: i64 = 420;
    let h = 20 + n as i64 * row_h + 10;
    let vals: Vec<i64> = (0..n)
        .map(|r| {
            let c = &cov.cells[r * cols + total_col];
            if has_enrolment {
                c.coverage.as_ref().map_or(0, hundredths)
            } else {
                i64::from(c.screened)
            }
        })
        .collect();
    let max = if has_enrolment {
        10_000
    } else {
        vals.iter().copied().max().unwrap_or(1).max(1)
    };
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" height="{h}" data-chart="coverage" data-bars="{n}" role="img">"#,
        w = left + plot_w + 90
    );
    for (r, v) in vals.iter().enumerate() {
        let y = 10 + r as i64 * row_h;
        let head = &cov.rows[r];
        let c = &cov.cells[r * cols + total_col];
        let label = match (&c.coverage, c.enrolled) {
            (Some(p), Some(e)) => format!("{p}% ({}/{e})", c.screened),
            _ => c.screened.to_string(),
        };
        let _ = write!(
            s,
            r##"<text x="{tx}" y="{ty}" text-anchor="end">{name}</text><rect class="bar" data-k="coverage|{id}" x="{left}" y="{y}" width="{bw}" height="{bh}" fill="#009E73"/><text x="{lx}" y="{ty}">{label}</text>"##,
            tx = left - 6,
            ty = y + 14,
            name = esc(&format!("{} {}", head.zh, head.en)),
            id = esc(&head.id),
            bw = (v * plot_w / max).max(1),
            bh = row_h - 6,
            lx = left + (v * plot_w / max).max(1) + 6,
        );
    }
    s.push_str("</svg>");
    s
}

fn coverage_table(s: &mut String, cov: &CoverageTable, row_title: (&str, &str)) {
    s.push_str("<table><thead><tr>");
    let _ = write!(s, r#"<th class="unit">{}</th>"#, bilingual(row_title.0, row_title.1));
    for c in &cov.cols {
        let _ = write!(s, "<th>{}</th>", bilingual(&c.zh, &c.en));
    }
    s.push_str("</tr></thead><tbody>");
    let cols = cov.cols.len();
    for (r, head) in cov.rows.iter().enumerate() {
        let _ = write!(s, r#"<tr><th class="unit">{}</th>"#, bilingual(&head.zh, &head.en));
        for c in 0..cols {
            let Some(cell) = cov.cells.get(r * cols + c) else { continue };
            let extra = match (&cell.coverage, cell.enrolled) {
                (Some(p), Some(e)) => format!("<small>/{e} · {p}%</small>"),
                _ => String::new(),
            };
            let _ = write!(s, "<td>{}{extra}</td>", cell.screened);
        }
        s.push_str("</tr>");
    }
    s.push_str("</tbody></table>");
}

/// Render the report as one self-contained HTML page.
pub fn to_html(report: &CityReport) -> String {
    let mut s = String::with_capacity(1 << 20);
    let title_zh = format!("常州市中小学生心理健康普测报告 · {}", report.round.zh);
    let title_en = format!("Changzhou student mental-health screening report · {}", report.round.en);
    let _ = write!(
        s,
        r#"<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>{}</title><style>{CSS}</style></head><body>"#,
        esc(&title_zh)
    );
    let _ = write!(s, "<h1>{}</h1><p class=\"en\">{}</p>", esc(&title_zh), esc(&title_en));
    let enrolled = report.enrolled.map_or(String::new(), |e| format!("；在籍 enrolled {e}"));
    let _ = write!(
        s,
        "<p>筛查学生 students screened: <b>{}</b>{enrolled}{}</p>",
        report.screened,
        report
            .previous_round
            .as_ref()
            .map_or(String::new(), |p| format!("；对比 compared with: {}", bilingual(&p.zh, &p.en)))
    );
    let st = &report.suppression;
    let _ = write!(
        s,
        r#"<div class="note" id="suppression-note"><p><b>统计披露控制 Disclosure control.</b> 依据《统计法》第二十五条和《个人信息保护法》，本报告不公布可推断出个别学生的数字。标记为 <b>S</b> 的格子已被抑制：人数少于 {k} 人（或该组中不属于该类别的人数少于 {k} 人）、等于该组全部人数、或小组（少于 {g} 人）中为零的格子为首要抑制；为使这些格子无法由已公布的行、列、表合计（包括相互关联的各表：区×年级、学校×年级、年级×性别）推算出来，另有若干格子作为补充抑制。经审计，任何被抑制格子的可推算范围宽度不小于 {w}（或该组人数）。被抑制格子的比例和置信区间同样不公布。</p><p class="en">Cells marked <b>S</b> are suppressed: counts below {k} (or leaving fewer than {k} students of the group outside the category), counts equal to the whole group, and zeros in groups of fewer than {g} students are suppressed first; further cells are suppressed so that none of them can be recomputed from the published row, column and table totals of the linked tables (district × grade, school × grade, grade × sex). An audit proves that every suppressed cell's derivable interval is at least {w} wide (or the whole group). Rates and intervals of suppressed cells are not shown. Screened and enrolled counts are group sizes and are published.</p><p class="en">率为患病率（筛查阳性或所在类别人数 ÷ 筛查人数），保留两位小数（四舍六入五成双）；95% 置信区间为 Wilson 区间（z = {z}），下限向下、上限向上取整。Prevalence = count ÷ students screened, to 2 decimals (half to even); 95 % Wilson intervals (z = {z}), bounds rounded outward. Screening is not diagnosis.</p></div>"#,
        k = st.threshold,
        g = st.small_group,
        w = st.protection_width,
        z = esc(&report.method.z)
    );
    // coverage
    let has_enrolment = report.enrolled.is_some();
    let _ = write!(s, "<h2>{}</h2>", bilingual("筛查覆盖率（按区）", "Coverage by district"));
    s.push_str(r#"<figure>"#);
    s.push_str(&coverage_chart(&report.coverage.district_grade, has_enrolment));
    let _ = write!(
        s,
        "<figcaption>{}</figcaption></figure>",
        bilingual(
            if has_enrolment { "筛查人数 ÷ 在籍人数" } else { "筛查人数" },
            if has_enrolment { "screened ÷ enrolled" } else { "students screened" }
        )
    );
    coverage_table(&mut s, &report.coverage.district_grade, ("区", "district"));
    coverage_table(&mut s, &report.coverage.grade_sex, ("年级", "grade"));
    // measures
    for m in &report.measures {
        let _ = write!(s, "<h2 id=\"m-{}\">{}</h2>", esc(&m.id), bilingual(&m.zh, &m.en));
        s.push_str(&legend(&m.categories));
        let gs = &m.grade_sex;
        let k_n = m.categories.len();
        let (g_n, x_n) = (gs.rows.len().saturating_sub(1), gs.cols.len().saturating_sub(1));
        let group = |r: usize, c: usize| -> Vec<Bar<'_>> {
            (0..k_n)
                .filter_map(|k| {
                    gs.cell(r, c, k, k_n).map(|cell| Bar {
                        cat: k,
                        cell,
                        key: key(m, "grade_sex", gs, r, c, k),
                    })
                })
                .collect()
        };
        let by_grade: Vec<(String, Vec<Bar<'_>>)> = (0..g_n).map(|g| (gs.rows[g].zh.clone(), group(g, x_n))).collect();
        let by_sex: Vec<(String, Vec<Bar<'_>>)> = (0..x_n).map(|x| (gs.cols[x].zh.clone(), group(g_n, x))).collect();
        s.push_str(r#"<div class="charts"><figure>"#);
        s.push_str(&bar_chart(&format!("{}/grade", m.id), &by_grade, &m.categories));
        let _ = write!(
            s,
            "<figcaption>{}</figcaption></figure><figure>",
            bilingual("按年级分布（%，95% 置信区间）", "by grade (%, 95 % CI)")
        );
        s.push_str(&bar_chart(&format!("{}/sex", m.id), &by_sex, &m.categories));
        let _ = write!(s, "<figcaption>{}</figcaption></figure>", bilingual("按性别分布", "by sex"));
        if report.previous_round.is_some() {
            // trend: the city total per category, previous round beside this one
            let city: Vec<&Cell> = (0..k_n).filter_map(|k| gs.cell(g_n, x_n, k, k_n)).collect();
            let prev_cells: Vec<Cell> = city
                .iter()
                .map(|c| Cell {
                    state: c.state,
                    count: None,
                    pct: c.previous_pct,
                    lo: c.previous_pct,
                    hi: c.previous_pct,
                    change: None,
                    change_pct: None,
                    previous_pct: None,
                })
                .collect();
            let prev_label = report.previous_round.as_ref().map_or(String::new(), |p| p.zh.clone());
            let groups = vec![
                (
                    prev_label,
                    prev_cells
                        .iter()
                        .enumerate()
                        .map(|(k, cell)| Bar {
                            cat: k,
                            cell,
                            key: format!("{}|trend|previous||{}", m.id, m.categories[k].id),
                        })
                        .collect(),
                ),
                (
                    report.round.zh.clone(),
                    city.iter()
                        .enumerate()
                        .map(|(k, cell)| Bar {
                            cat: k,
                            cell,
                            key: key(m, "grade_sex", gs, g_n, x_n, k),
                        })
                        .collect(),
                ),
            ];
            s.push_str("<figure>");
            s.push_str(&bar_chart(&format!("{}/trend", m.id), &groups, &m.categories));
            let _ = write!(
                s,
                "<figcaption>{}</figcaption></figure>",
                bilingual("全市变化（上一轮 → 本轮）", "city trend (previous → this round)")
            );
        }
        s.push_str("</div>");
        let _ = write!(s, "<h3>{}</h3>", bilingual("区 × 年级", "district × grade"));
        measure_table(
            &mut s,
            m,
            "district_grade",
            &m.district_grade,
            &(0..m.district_grade.rows.len()).collect::<Vec<_>>(),
            ("区", "district"),
        );
        let _ = write!(s, "<h3>{}</h3>", bilingual("年级 × 性别", "grade × sex"));
        measure_table(&mut s, m, "grade_sex", gs, &(0..gs.rows.len()).collect::<Vec<_>>(), ("年级", "grade"));
        let _ = write!(s, "<h3>{}</h3>", bilingual("学校 × 年级", "school × grade"));
        let sg = &m.school_grade;
        let dg = &m.district_grade;
        for d in 0..dg.rows.len().saturating_sub(1) {
            let did = &dg.rows[d].id;
            let rows: Vec<usize> = (0..sg.rows.len()).filter(|r| sg.rows[*r].district.as_deref() == Some(did.as_str())).collect();
            if rows.is_empty() {
                continue;
            }
            let _ = write!(
                s,
                "<details><summary>{} ({} 所学校 schools)</summary>",
                bilingual(&dg.rows[d].zh, &dg.rows[d].en),
                rows.len()
            );
            measure_table(&mut s, m, "school_grade", sg, &rows, ("学校", "school"));
            s.push_str("</details>");
        }
        let _ = write!(
            s,
            "<p class=\"note\">{} {} / {}</p>",
            bilingual("本指标被抑制的格子数 suppressed cells:", ""),
            m.suppressed,
            m.cells
        );
    }
    s.push_str(
        "<p class=\"en\">生成 Generated by changkaixin-core (synthetic data in tests and examples). 本报告仅含汇总数据 aggregates only.</p></body></html>",
    );
    s
}
