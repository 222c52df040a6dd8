//! From an [`Aggregate`] to the published [`CityReport`] (suppression applied) and its internal audit.

use super::aggregate::{Aggregate, Label, ReportSpec};
use super::suppress::{AuditCell, Cells, Level, Pos, Settings, Status};
use super::wilson::{rate, rate_change, wilson, PCT_PLACES, Z};
use crate::decimal::Dec;
use crate::error::{Error, ErrorCode, Result};
use serde::{Deserialize, Serialize};

/// Format tag of a [`CityReport`].
pub const REPORT_FORMAT: &str = "changkaixin.city-report/1";

/// A screening round.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Round {
    /// Stable id, e.g. `2024-spring`.
    pub id: String,
    /// Chinese name.
    pub zh: String,
    /// English name.
    pub en: String,
}

/// How to build a report.
#[derive(Clone, Debug)]
pub struct ReportOptions<'a> {
    /// This round.
    pub round: Round,
    /// Disclosure-control settings.
    pub suppression: Settings,
    /// Students enrolled per school × grade × sex (row-major), when known: published, with coverage.
    pub enrolment: Option<&'a [u32]>,
    /// The previous round and its aggregate (same spec), for the change columns and the trend chart.
    pub previous: Option<(Round, &'a Aggregate)>,
}

/// How the numbers were computed (stated in the report).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Method {
    /// z of the Wilson score interval.
    pub z: String,
    /// Decimal places of every percentage.
    pub pct_places: u32,
    /// Rounding: rates half to even; interval bounds outward.
    pub rounding: String,
}

/// A row or column head.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Head {
    /// Unit id, or `total`.
    pub id: String,
    /// Chinese label.
    pub zh: String,
    /// English label.
    pub en: String,
    /// For school rows: the district id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub district: Option<String>,
}

/// Whether a cell is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CellState {
    /// Shown.
    Published,
    /// Suppressed by disclosure control (a primary rule or to protect another cell — which, is not said).
    Suppressed,
    /// Nobody screened in this group.
    Empty,
}

/// One published cell of a measure table: a category's count in a group.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cell {
    /// Shown, suppressed, or empty.
    pub state: CellState,
    /// The count (absent when suppressed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
    /// Prevalence in percent (count / screened).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pct: Option<Dec>,
    /// Wilson 95 % lower bound, percent, rounded down.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lo: Option<Dec>,
    /// Wilson 95 % upper bound, percent, rounded up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hi: Option<Dec>,
    /// Change of the count since the previous round (only where both rounds publish the cell).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change: Option<i64>,
    /// Change of the prevalence in percentage points.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change_pct: Option<Dec>,
    /// The previous round's prevalence (where the change is shown).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_pct: Option<Dec>,
}

/// A measure table: `rows × cols × categories` cells, row-major, and the group sizes `rows × cols`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Table {
    /// Row heads (the last one is the total row where the table has one).
    pub rows: Vec<Head>,
    /// Column heads (the last one is the total column).
    pub cols: Vec<Head>,
    /// Students screened per (row, col).
    pub screened: Vec<u32>,
    /// Cells, `(row · cols + col) · categories + category`.
    pub cells: Vec<Cell>,
}

impl Table {
    /// The cell at (row, col, category).
    pub fn cell(&self, row: usize, col: usize, category: usize, categories: usize) -> Option<&Cell> {
        self.cells.get((row * self.cols.len() + col) * categories + category)
    }
}

/// One measure's linked tables.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeasureReport {
    /// Measure id.
    pub id: String,
    /// Chinese title.
    pub zh: String,
    /// English title.
    pub en: String,
    /// Categories.
    pub categories: Vec<Label>,
    /// District × grade, with the city row and the total column.
    pub district_grade: Table,
    /// School × grade, with the total column.
    pub school_grade: Table,
    /// Grade × sex, with the total row and column.
    pub grade_sex: Table,
    /// Suppressed cells of this measure (each shared cell counted once).
    pub suppressed: u32,
    /// Cells of this measure (each shared cell counted once).
    pub cells: u32,
}

/// Coverage per (row, col): screened, enrolled, coverage %.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoverageCell {
    /// Students screened.
    pub screened: u32,
    /// Students enrolled, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enrolled: Option<u32>,
    /// screened / enrolled, percent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coverage: Option<Dec>,
}

/// A coverage table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoverageTable {
    /// Row heads.
    pub rows: Vec<Head>,
    /// Column heads.
    pub cols: Vec<Head>,
    /// Cells, row-major.
    pub cells: Vec<CoverageCell>,
}

/// Coverage: enrolment is published, screening counts are group sizes (not sensitive).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Coverage {
    /// District × grade.
    pub district_grade: CoverageTable,
    /// School × grade.
    pub school_grade: CoverageTable,
    /// Grade × sex.
    pub grade_sex: CoverageTable,
}

/// The city screening report as published: suppressed cells carry no value anywhere.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CityReport {
    /// [`REPORT_FORMAT`].
    pub format: String,
    /// This round.
    pub round: Round,
    /// The previous round, when compared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_round: Option<Round>,
    /// Disclosure-control settings applied.
    pub suppression: Settings,
    /// How rates and intervals were computed.
    pub method: Method,
    /// Students screened.
    pub screened: u64,
    /// Students enrolled, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enrolled: Option<u64>,
    /// Coverage tables.
    pub coverage: Coverage,
    /// One entry per measure.
    pub measures: Vec<MeasureReport>,
}

/// The internal audit of one measure (true values of suppressed cells: never publish it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeasureAudit {
    /// Measure id.
    pub id: String,
    /// Every suppressed cell with its witness interval.
    pub cells: Vec<AuditCell>,
}

/// The internal audit of a report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Audit {
    /// Per measure.
    pub measures: Vec<MeasureAudit>,
}

impl Audit {
    /// Whether every suppressed cell of every measure is protected.
    pub fn all_protected(&self) -> bool {
        self.measures.iter().all(|m| m.cells.iter().all(|c| c.protected))
    }
}

/// The cells of every measure of an aggregate, with suppression applied.
pub(crate) fn measure_cells(spec: &ReportSpec, agg: &Aggregate, settings: Settings) -> Result<Vec<Cells>> {
    // Verified, not only fitted: an aggregate may come from outside (JSON), and a verified one
    // cannot overflow the sums below (at most MAX_N students).
    agg.verify(spec)?;
    let l = &spec.layout;
    let (s_n, g_n, x_n) = (l.schools.len(), l.grades.len(), l.sexes.len());
    let w = agg.width();
    let district_of: Vec<u16> = l.schools.iter().map(|s| s.district).collect();
    let mut screened_sg = vec![0u32; s_n * g_n];
    let mut screened_gx = vec![0u32; g_n * x_n];
    for s in 0..s_n {
        for g in 0..g_n {
            for x in 0..x_n {
                let v = agg.screened[(s * g_n + g) * x_n + x];
                screened_sg[s * g_n + g] += v;
                screened_gx[g * x_n + x] += v;
            }
        }
    }
    if agg.total() > super::wilson::MAX_N {
        return Err(Error::new(
            ErrorCode::ReportOverflow,
            "aggregate",
            format!("more than {} students", super::wilson::MAX_N),
        ));
    }
    let mut out = Vec::with_capacity(spec.measures.len());
    let mut off = 0usize;
    for m in &spec.measures {
        let c_n = m.categories.len();
        let mut n = vec![0u32; s_n * g_n * c_n];
        let mut mm = vec![0u32; g_n * x_n * c_n];
        for s in 0..s_n {
            for g in 0..g_n {
                for x in 0..x_n {
                    let base = ((s * g_n + g) * x_n + x) * w + off;
                    for c in 0..c_n {
                        let v = agg.counts[base + c];
                        n[(s * g_n + g) * c_n + c] += v;
                        mm[(g * x_n + x) * c_n + c] += v;
                    }
                }
            }
        }
        let mut cells = Cells::new(
            district_of.clone(),
            l.districts.len(),
            [s_n, g_n, x_n, c_n],
            &n,
            &mm,
            &screened_sg,
            &screened_gx,
            settings,
        );
        cells.run().map_err(|e| e.prefixed(&format!("/measures/{}", m.id)))?;
        out.push(cells);
        off += c_n;
    }
    Ok(out)
}

fn head(l: &Label) -> Head {
    Head {
        id: l.id.clone(),
        zh: l.zh.clone(),
        en: l.en.clone(),
        district: None,
    }
}

fn total_head(zh: &str, en: &str) -> Head {
    Head {
        id: "total".into(),
        zh: zh.into(),
        en: en.into(),
        district: None,
    }
}

/// (rows, cols, position of (row, col, category)) for each table kind.
#[derive(Clone, Copy)]
enum Kind {
    DistrictGrade,
    SchoolGrade,
    GradeSex,
}

fn pos_of(kind: Kind, dims: (usize, usize, usize), r: usize, c: usize, k: usize) -> Pos {
    let (d_n, g_n, x_n) = dims;
    let p = |level, unit: usize, grade: usize, sex: usize| Pos {
        level,
        unit: unit as u32,
        grade: grade as u32,
        sex: sex as u32,
        category: k as u32,
    };
    match kind {
        Kind::DistrictGrade => match (r < d_n, c < g_n) {
            (true, true) => p(Level::DistrictGrade, r, c, 0),
            (true, false) => p(Level::DistrictTotal, r, 0, 0),
            (false, true) => p(Level::CityGrade, 0, c, 0),
            (false, false) => p(Level::City, 0, 0, 0),
        },
        Kind::SchoolGrade => {
            if c < g_n {
                p(Level::SchoolGrade, r, c, 0)
            } else {
                p(Level::SchoolTotal, r, 0, 0)
            }
        }
        Kind::GradeSex => match (r < g_n, c < x_n) {
            (true, true) => p(Level::GradeSex, 0, r, c),
            (true, false) => p(Level::CityGrade, 0, r, 0),
            (false, true) => p(Level::CitySex, 0, 0, c),
            (false, false) => p(Level::City, 0, 0, 0),
        },
    }
}

struct Heads {
    districts: Vec<Head>,
    schools: Vec<Head>,
    grades: Vec<Head>,
    sexes: Vec<Head>,
}

impl Heads {
    fn of(kind: Kind, h: &Heads) -> (Vec<Head>, Vec<Head>) {
        let city = total_head("全市", "city");
        let all = total_head("合计", "total");
        match kind {
            Kind::DistrictGrade => (
                h.districts.iter().cloned().chain([city]).collect(),
                h.grades.iter().cloned().chain([all]).collect(),
            ),
            Kind::SchoolGrade => (h.schools.clone(), h.grades.iter().cloned().chain([all]).collect()),
            Kind::GradeSex => (
                h.grades.iter().cloned().chain([all.clone()]).collect(),
                h.sexes.iter().cloned().chain([all]).collect(),
            ),
        }
    }
}

fn table(kind: Kind, heads: &Heads, dims: (usize, usize, usize), cells: &Cells, prev: Option<&Cells>) -> Result<Table> {
    let (rows, cols) = Heads::of(kind, heads);
    let k_n = cells.c_n;
    let mut screened = Vec::with_capacity(rows.len() * cols.len());
    let mut out = Vec::with_capacity(rows.len() * cols.len() * k_n);
    for r in 0..rows.len() {
        for c in 0..cols.len() {
            let mut n_group = 0;
            for k in 0..k_n {
                let pos = pos_of(kind, dims, r, c, k);
                let id = cells
                    .id(pos)
                    .ok_or_else(|| Error::new(ErrorCode::ReportShape, "table", "a table cell outside the measure's cells"))?;
                let v = cells.value(id);
                let n = cells.group_size(id);
                n_group = n;
                let cell = if n == 0 {
                    Cell {
                        state: CellState::Empty,
                        count: None,
                        pct: None,
                        lo: None,
                        hi: None,
                        change: None,
                        change_pct: None,
                        previous_pct: None,
                    }
                } else if cells.status(id) != Status::Published {
                    Cell {
                        state: CellState::Suppressed,
                        count: None,
                        pct: None,
                        lo: None,
                        hi: None,
                        change: None,
                        change_pct: None,
                        previous_pct: None,
                    }
                } else {
                    let (lo, hi) = wilson(u64::from(v), u64::from(n))?;
                    let (change, change_pct, previous_pct) = match prev.and_then(|p| p.id(pos).map(|pid| (p, pid))) {
                        Some((p, pid)) if p.status(pid) == Status::Published && p.group_size(pid) > 0 => (
                            Some(i64::from(v) - i64::from(p.value(pid))),
                            rate_change(u64::from(v), u64::from(n), u64::from(p.value(pid)), u64::from(p.group_size(pid)))?,
                            rate(u64::from(p.value(pid)), u64::from(p.group_size(pid)))?,
                        ),
                        _ => (None, None, None),
                    };
                    Cell {
                        state: CellState::Published,
                        count: Some(v),
                        pct: rate(u64::from(v), u64::from(n))?,
                        lo: Some(lo),
                        hi: Some(hi),
                        change,
                        change_pct,
                        previous_pct,
                    }
                };
                out.push(cell);
            }
            screened.push(n_group);
        }
    }
    Ok(Table {
        rows,
        cols,
        screened,
        cells: out,
    })
}

fn coverage_table(kind: Kind, heads: &Heads, spec: &ReportSpec, agg: &Aggregate, enrolment: Option<&[u32]>) -> Result<CoverageTable> {
    let (rows, cols) = Heads::of(kind, heads);
    let l = &spec.layout;
    let (s_n, g_n, x_n, d_n) = (l.schools.len(), l.grades.len(), l.sexes.len(), l.districts.len());
    // sum over (s, g, x) selected by the table cell
    let select = |r: usize, c: usize, s: usize, g: usize, x: usize| -> bool {
        match kind {
            Kind::DistrictGrade => (r == d_n || usize::from(l.schools[s].district) == r) && (c == g_n || c == g),
            Kind::SchoolGrade => r == s && (c == g_n || c == g),
            Kind::GradeSex => (r == g_n || r == g) && (c == x_n || c == x),
        }
    };
    let mut screened = vec![0u64; rows.len() * cols.len()];
    let mut enrolled = vec![0u64; rows.len() * cols.len()];
    for s in 0..s_n {
        for g in 0..g_n {
            for x in 0..x_n {
                let i = (s * g_n + g) * x_n + x;
                let (sc, en) = (u64::from(agg.screened[i]), enrolment.map_or(0, |e| u64::from(e[i])));
                // only the cells this (s, g, x) falls in: at most 4 per table
                let rs: [usize; 2] = match kind {
                    Kind::DistrictGrade => [usize::from(l.schools[s].district), d_n],
                    Kind::SchoolGrade => [s, usize::MAX],
                    Kind::GradeSex => [g, g_n],
                };
                let cs: [usize; 2] = match kind {
                    Kind::DistrictGrade | Kind::SchoolGrade => [g, g_n],
                    Kind::GradeSex => [x, x_n],
                };
                for r in rs {
                    for c in cs {
                        if r < rows.len() && c < cols.len() && select(r, c, s, g, x) {
                            screened[r * cols.len() + c] += sc;
                            enrolled[r * cols.len() + c] += en;
                        }
                    }
                }
            }
        }
    }
    let mut cells = Vec::with_capacity(screened.len());
    for (i, (&sc, &en)) in screened.iter().zip(&enrolled).enumerate() {
        let sc32 = u32::try_from(sc).map_err(|_| Error::new(ErrorCode::ReportOverflow, "coverage", "a count exceeds 2^32 − 1"))?;
        let (enrolled, coverage) = match enrolment {
            None => (None, None),
            Some(_) => {
                if sc > en {
                    let (r, c) = (i / cols.len(), i % cols.len());
                    return Err(Error::new(
                        ErrorCode::ReportShape,
                        format!("enrolment/{}/{}", rows[r].id, cols[c].id),
                        format!("{sc} screened but {en} enrolled"),
                    ));
                }
                let en32 = u32::try_from(en).map_err(|_| Error::new(ErrorCode::ReportOverflow, "coverage", "a count exceeds 2^32 − 1"))?;
                (Some(en32), rate(sc, en)?)
            }
        };
        cells.push(CoverageCell {
            screened: sc32,
            enrolled,
            coverage,
        });
    }
    Ok(CoverageTable { rows, cols, cells })
}

/// Build the published report and its internal audit.
pub fn city_report_audited(spec: &ReportSpec, agg: &Aggregate, options: &ReportOptions<'_>) -> Result<(CityReport, Audit)> {
    options.suppression.validate()?;
    spec.validate()?;
    let l = &spec.layout;
    if let Some(e) = options.enrolment {
        if e.len() != agg.screened.len() {
            return Err(Error::new(
                ErrorCode::ReportShape,
                "enrolment",
                format!("{} enrolment counts for {} school × grade × sex groups", e.len(), agg.screened.len()),
            ));
        }
    }
    let cells = measure_cells(spec, agg, options.suppression)?;
    let prev = match &options.previous {
        Some((_, p)) => Some(measure_cells(spec, p, options.suppression).map_err(|e| e.prefixed("/previous"))?),
        None => None,
    };
    let heads = Heads {
        districts: l.districts.iter().map(head).collect(),
        schools: l
            .schools
            .iter()
            .map(|s| Head {
                id: s.id.clone(),
                zh: s.zh.clone(),
                en: s.en.clone(),
                district: l.districts.get(usize::from(s.district)).map(|d| d.id.clone()),
            })
            .collect(),
        grades: l.grades.iter().map(head).collect(),
        sexes: l.sexes.iter().map(head).collect(),
    };
    let dims = (l.districts.len(), l.grades.len(), l.sexes.len());
    let mut measures = Vec::with_capacity(spec.measures.len());
    let mut audit = Audit { measures: Vec::new() };
    for (i, m) in spec.measures.iter().enumerate() {
        let c = &cells[i];
        let p = prev.as_ref().and_then(|p| p.get(i));
        let suppressed = (0..c.len()).filter(|&id| c.status(id) != Status::Published).count() as u32;
        measures.push(MeasureReport {
            id: m.id.clone(),
            zh: m.zh.clone(),
            en: m.en.clone(),
            categories: m.categories.clone(),
            district_grade: table(Kind::DistrictGrade, &heads, dims, c, p)?,
            school_grade: table(Kind::SchoolGrade, &heads, dims, c, p)?,
            grade_sex: table(Kind::GradeSex, &heads, dims, c, p)?,
            suppressed,
            cells: c.len() as u32,
        });
        audit.measures.push(MeasureAudit {
            id: m.id.clone(),
            cells: c.audit(),
        });
    }
    let enrolled = options.enrolment.map(|e| e.iter().map(|v| u64::from(*v)).sum());
    let report = CityReport {
        format: REPORT_FORMAT.into(),
        round: options.round.clone(),
        previous_round: options.previous.as_ref().map(|p| p.0.clone()),
        suppression: options.suppression,
        method: Method {
            z: Z.into(),
            pct_places: PCT_PLACES,
            rounding: "rates half to even; Wilson bounds outward (lower down, upper up)".into(),
        },
        screened: agg.total(),
        enrolled,
        coverage: Coverage {
            district_grade: coverage_table(Kind::DistrictGrade, &heads, spec, agg, options.enrolment)?,
            school_grade: coverage_table(Kind::SchoolGrade, &heads, spec, agg, options.enrolment)?,
            grade_sex: coverage_table(Kind::GradeSex, &heads, spec, agg, options.enrolment)?,
        },
        measures,
    };
    if !audit.all_protected() {
        return Err(Error::new(
            ErrorCode::ReportUnprotectable,
            "audit",
            "the audit found a suppressed cell without protection",
        ));
    }
    Ok((report, audit))
}

/// Build the published report (the audit is run and must pass; see [`city_report_audited`]).
pub fn city_report(spec: &ReportSpec, agg: &Aggregate, options: &ReportOptions<'_>) -> Result<CityReport> {
    city_report_audited(spec, agg, options).map(|r| r.0)
}
