//! Property tests of the city report (issue 13), over random small cities (1–3 districts, 1–6
//! schools, 1–3 grades, 1–2 sexes, 2–4 categories, up to 400 students skewed to small cells).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use changkaixin_core::report::*;
use changkaixin_tests::report::{aggregate, Columns};
use proptest::prelude::*;

#[derive(Clone, Debug)]
struct City {
    spec: ReportSpec,
    cols: Columns,
}

fn l(id: String) -> Label {
    Label::new(id.clone(), id.clone(), id)
}

fn city() -> impl Strategy<Value = City> {
    (1usize..=3, 1usize..=6, 1usize..=3, 1usize..=2, 2usize..=4).prop_flat_map(|(d_n, s_n, g_n, x_n, k_n)| {
        let row = (0..s_n as u32, 0..g_n as u8, 0..x_n as u8, prop::sample::select(vec![0u8, 0, 0, 0, 1, 1, 2, 3]));
        prop::collection::vec(row, 0..400).prop_map(move |rows| {
            let layout = Layout {
                districts: (0..d_n).map(|d| l(format!("d{d}"))).collect(),
                schools: (0..s_n)
                    .map(|s| School {
                        id: format!("s{s}"),
                        zh: format!("s{s}"),
                        en: format!("s{s}"),
                        district: (s % d_n) as u16,
                    })
                    .collect(),
                grades: (0..g_n).map(|g| l(format!("g{g}"))).collect(),
                sexes: (0..x_n).map(|x| l(format!("x{x}"))).collect(),
            };
            let spec = ReportSpec {
                measures: vec![Measure::tiers("tier", "tier", "tier", (0..k_n).map(|k| l(format!("t{k}"))).collect())],
                layout,
            };
            let mut cols = Columns::default();
            for (s, g, x, t) in rows {
                cols.district.push((s as usize % d_n) as u16);
                cols.school.push(s);
                cols.grade.push(g);
                cols.sex.push(x);
                cols.tiers.push(t.min(k_n as u8 - 1));
            }
            City { spec, cols }
        })
    })
}

fn round() -> Round {
    Round {
        id: "r".into(),
        zh: "r".into(),
        en: "r".into(),
    }
}

/// Disclosure control off (no rule can fire): every cell is published.
fn open() -> Settings {
    Settings {
        threshold: 1,
        small_group: 0,
        protection_width: 1,
        dominance: false,
        near_total: false,
    }
}

fn report(c: &City, settings: Settings, chunk: usize) -> (CityReport, Audit) {
    let agg = aggregate(&c.spec, &c.cols, chunk).unwrap();
    let opts = ReportOptions {
        round: round(),
        suppression: settings,
        enrolment: None,
        previous: None,
    };
    city_report_audited(&c.spec, &agg, &opts).unwrap()
}

fn counts(t: &Table) -> Vec<Option<u32>> {
    t.cells.iter().map(|c| c.count).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// Before suppression, every total equals the sum of the cells it totals (rows, columns, the
    /// city, and the shared grade totals of district × grade and grade × sex agree).
    #[test]
    fn margins_are_sums(c in city()) {
        let (r, _) = report(&c, open(), 50);
        let m = &r.measures[0];
        let k_n = m.categories.len();
        let n = |t: &Table, r: usize, col: usize, k: usize| -> u64 {
            let cell = t.cell(r, col, k, k_n).unwrap();
            u64::from(cell.count.unwrap_or(0))
        };
        for (t, has_total_row) in [(&m.district_grade, true), (&m.school_grade, false), (&m.grade_sex, true)] {
            let (rn, cn) = (t.rows.len(), t.cols.len());
            let inner_rows = if has_total_row { rn - 1 } else { rn };
            for k in 0..k_n {
                for row in 0..rn {
                    prop_assert_eq!((0..cn - 1).map(|col| n(t, row, col, k)).sum::<u64>(), n(t, row, cn - 1, k));
                }
                if has_total_row {
                    for col in 0..cn {
                        prop_assert_eq!((0..inner_rows).map(|row| n(t, row, col, k)).sum::<u64>(), n(t, rn - 1, col, k));
                    }
                }
            }
        }
        // schools add up to their district
        let dg = &m.district_grade;
        let sg = &m.school_grade;
        for d in 0..dg.rows.len() - 1 {
            for col in 0..dg.cols.len() {
                for k in 0..k_n {
                    let sum: u64 = (0..sg.rows.len()).filter(|s| sg.rows[*s].district.as_deref() == Some(dg.rows[d].id.as_str())).map(|s| n(sg, s, col, k)).sum();
                    prop_assert_eq!(sum, n(dg, d, col, k));
                }
            }
        }
        // the shared grade totals agree
        let gs = &m.grade_sex;
        for g in 0..gs.rows.len() - 1 {
            for k in 0..k_n {
                prop_assert_eq!(n(gs, g, gs.cols.len() - 1, k), n(dg, dg.rows.len() - 1, g, k));
            }
        }
        prop_assert_eq!(r.screened as usize, c.cols.len());
    }

    /// After suppression (default settings), the audit finds every suppressed cell protected, its
    /// witness interval contains the true value, and the published report holds no value of a
    /// suppressed cell.
    #[test]
    fn audit_protects_every_suppressed_cell(c in city()) {
        let (r, audit) = report(&c, Settings::default(), 64);
        prop_assert!(audit.all_protected());
        for m in &audit.measures {
            for a in &m.cells {
                prop_assert!(a.lo <= a.value && a.value <= a.hi);
                prop_assert!(a.hi - a.lo >= a.required);
                prop_assert_eq!(a.required, 3.min(a.group_size));
            }
        }
        for m in &r.measures {
            for t in [&m.district_grade, &m.school_grade, &m.grade_sex] {
                for cell in &t.cells {
                    if cell.state == CellState::Suppressed {
                        prop_assert!(cell.count.is_none() && cell.pct.is_none() && cell.lo.is_none() && cell.hi.is_none());
                    } else if cell.state == CellState::Published {
                        let v = cell.count.unwrap();
                        prop_assert!(v == 0 || v >= 10);
                    }
                }
            }
        }
    }

    /// Adding one student changes no cell by more than one (before suppression).
    #[test]
    fn one_more_student_moves_cells_by_at_most_one(c in city(), s in 0u32..6, g in 0u8..3, x in 0u8..2, t in 0u8..4) {
        let (before, _) = report(&c, open(), 1000);
        let mut c2 = c.clone();
        let l = &c.spec.layout;
        let s = s % l.schools.len() as u32;
        c2.cols.school.push(s);
        c2.cols.district.push(l.schools[s as usize].district);
        c2.cols.grade.push(g % l.grades.len() as u8);
        c2.cols.sex.push(x % l.sexes.len() as u8);
        c2.cols.tiers.push(t % c.spec.measures[0].categories.len() as u8);
        let (after, _) = report(&c2, open(), 1000);
        for (a, b) in [
            (&before.measures[0].district_grade, &after.measures[0].district_grade),
            (&before.measures[0].school_grade, &after.measures[0].school_grade),
            (&before.measures[0].grade_sex, &after.measures[0].grade_sex),
        ] {
            let changed = counts(a).iter().zip(counts(b)).filter(|(p, q)| **p != *q).count();
            for (p, q) in counts(a).iter().zip(counts(b)) {
                let d = i64::from(q.unwrap_or(0)) - i64::from(p.unwrap_or(0));
                prop_assert!(d == 0 || d == 1);
            }
            prop_assert!(changed >= 1);
        }
    }

    /// Same input, same bytes — whatever the chunk size and the order partial aggregates merge in.
    #[test]
    fn same_input_same_bytes(c in city(), chunk in 1usize..100) {
        let (a, _) = report(&c, Settings::default(), 400);
        let (b, _) = report(&c, Settings::default(), chunk);
        prop_assert_eq!(serde_json::to_string(&a).unwrap(), serde_json::to_string(&b).unwrap());
        prop_assert_eq!(to_html(&a), to_html(&b));
        // merging in reverse order
        let spec = &c.spec;
        let mut parts = Vec::new();
        let mut start = 0;
        while start < c.cols.len() {
            let end = (start + chunk).min(c.cols.len());
            let mut inst = Vec::new();
            let rows = c.cols.rows(start..end, &mut inst);
            let mut p = Aggregate::new(spec).unwrap();
            p.add(spec, &rows).unwrap();
            parts.push(p);
            start = end;
        }
        let mut rev = Aggregate::new(spec).unwrap();
        for p in parts.iter().rev() {
            rev.merge(p).unwrap();
        }
        prop_assert_eq!(rev, aggregate(spec, &c.cols, 400).unwrap());
    }
}
