//! The report's inputs: a layout (districts, schools, grades, sexes), the measures counted, plain
//! per-row columns, and the exact, mergeable [`Aggregate`] they are counted into.

use crate::error::{Error, ErrorCode, Result};
use crate::instrument::Instrument;
use crate::scoring::batch::{BatchColumns, ScaleColumns};
use serde::{Deserialize, Serialize};

/// A labelled unit or category: a stable id and its names (Chinese first, English beside it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Label {
    /// Stable id.
    pub id: String,
    /// Chinese name.
    pub zh: String,
    /// English name.
    pub en: String,
}

impl Label {
    /// A label.
    pub fn new(id: impl Into<String>, zh: impl Into<String>, en: impl Into<String>) -> Label {
        Label {
            id: id.into(),
            zh: zh.into(),
            en: en.into(),
        }
    }
}

/// A school and the district it belongs to (schools nest in districts).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct School {
    /// Stable id.
    pub id: String,
    /// Chinese name.
    pub zh: String,
    /// English name.
    pub en: String,
    /// Index into [`Layout::districts`].
    pub district: u16,
}

/// The units of a report. Row codes are indices into these lists.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Layout {
    /// Districts (辖市(区)).
    pub districts: Vec<Label>,
    /// Schools, each in one district.
    pub schools: Vec<School>,
    /// Grades (code = index; e.g. `1`…`12`).
    pub grades: Vec<Label>,
    /// Sexes (code = index; normally two).
    pub sexes: Vec<Label>,
}

/// Where a measure's category per row comes from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum MeasureSource {
    /// The band code of an instrument's scale (`255` = no band → the last category).
    Band {
        /// Index into [`ReportRows::instruments`].
        instrument: u16,
    },
    /// The screen verdict code (0 negative, 1 positive, 2 indeterminate).
    Screen {
        /// Index into [`ReportRows::instruments`].
        instrument: u16,
    },
    /// One flag of an instrument: positive where its bit is set in `flags`, indeterminate where
    /// set in `flags_indeterminate`, negative otherwise (categories negative, positive, indeterminate).
    Flag {
        /// Index into [`ReportRows::instruments`].
        instrument: u16,
        /// Flag bit (0..64).
        bit: u8,
    },
    /// The alert tier code (0 = none, then the policy's tier order).
    Tier,
}

/// One classification of the screened students: every student falls in exactly one category.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Measure {
    /// Stable id, e.g. `phq9.total.band`.
    pub id: String,
    /// Chinese title.
    pub zh: String,
    /// English title.
    pub en: String,
    /// Where each row's category comes from.
    pub source: MeasureSource,
    /// The categories, in code order.
    pub categories: Vec<Label>,
}

/// Verdict categories (codes 0, 1, 2) shared by screens and flags.
pub fn verdict_categories() -> Vec<Label> {
    vec![
        Label::new("negative", "阴性", "negative"),
        Label::new("positive", "阳性", "positive"),
        Label::new("indeterminate", "无法判定", "indeterminate"),
    ]
}

impl Measure {
    /// The bands of a scored scale, plus a last category `no_band` (unscored or incomplete).
    /// `labels` gives (zh, en) per band id where known; the id stands in otherwise.
    pub fn bands(instrument: u16, id: &str, zh: &str, en: &str, scale: &ScaleColumns, labels: &[(&str, &str, &str)]) -> Measure {
        let mut categories: Vec<Label> = scale
            .band_ids
            .iter()
            .map(|b| match labels.iter().find(|l| l.0 == b) {
                Some((_, z, e)) => Label::new(b.clone(), *z, *e),
                None => Label::new(b.clone(), b.clone(), b.clone()),
            })
            .collect();
        categories.push(Label::new("no_band", "未评分", "no band"));
        Measure {
            id: id.into(),
            zh: zh.into(),
            en: en.into(),
            source: MeasureSource::Band { instrument },
            categories,
        }
    }
    /// The bands of an instrument's scale (labels from its spec, in ordinal order), plus `no_band`.
    /// `None` when the instrument has no such scale or the scale no bands.
    pub fn instrument_bands(instrument: u16, inst: &Instrument, scale: &str) -> Option<Measure> {
        let spec = inst.source_spec();
        let sc = spec.scales.iter().find(|s| s.id == scale)?;
        if sc.bands.is_empty() {
            return None;
        }
        let mut bands: Vec<_> = sc.bands.iter().collect();
        bands.sort_by_key(|b| b.index);
        let name =
            |l: &crate::instrument::spec::Localized, id: &str| (l.zh.clone().unwrap_or_else(|| id.to_owned()), l.en.clone().unwrap_or_else(|| id.to_owned()));
        let mut categories: Vec<Label> = bands
            .iter()
            .map(|b| {
                let (zh, en) = name(&b.label, &b.id);
                Label::new(b.id.clone(), zh, en)
            })
            .collect();
        categories.push(Label::new("no_band", "未评分", "no band"));
        let (szh, sen) = name(&sc.name, scale);
        Some(Measure {
            id: format!("{}.{}.band", spec.id, scale),
            zh: format!("{} {}", spec.id.to_uppercase(), szh),
            en: format!("{} {}", spec.id.to_uppercase(), sen),
            source: MeasureSource::Band { instrument },
            categories,
        })
    }
    /// A screen verdict measure.
    pub fn screen(instrument: u16, id: &str, zh: &str, en: &str) -> Measure {
        Measure {
            id: id.into(),
            zh: zh.into(),
            en: en.into(),
            source: MeasureSource::Screen { instrument },
            categories: verdict_categories(),
        }
    }
    /// A flag measure (bit of the instrument's flag bitsets).
    pub fn flag(instrument: u16, bit: u8, id: &str, zh: &str, en: &str) -> Measure {
        Measure {
            id: id.into(),
            zh: zh.into(),
            en: en.into(),
            source: MeasureSource::Flag { instrument, bit },
            categories: verdict_categories(),
        }
    }
    /// A tier measure over the policy's tiers (lowest first).
    pub fn tiers(id: &str, zh: &str, en: &str, tiers: Vec<Label>) -> Measure {
        Measure {
            id: id.into(),
            zh: zh.into(),
            en: en.into(),
            source: MeasureSource::Tier,
            categories: tiers,
        }
    }
}

/// What a report counts: its units and its measures.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportSpec {
    /// Units.
    pub layout: Layout,
    /// Measures, in report order.
    pub measures: Vec<Measure>,
}

/// Most categories one measure may have, and most measures one spec may have.
pub const MAX_CATEGORIES: usize = 64;
/// Most measures per spec.
pub const MAX_MEASURES: usize = 64;
/// Most schools, grades and sexes per layout.
pub const MAX_SCHOOLS: usize = 100_000;

impl ReportSpec {
    /// Check the spec: non-empty units, schools in existing districts, measures with 2..=64 categories.
    pub fn validate(&self) -> Result<()> {
        let l = &self.layout;
        let shape = |path: String, msg: String| Err(Error::new(ErrorCode::ReportShape, path, msg));
        if l.districts.is_empty() || l.schools.is_empty() || l.grades.is_empty() || l.sexes.is_empty() {
            return shape("/layout".into(), "districts, schools, grades and sexes must each be non-empty".into());
        }
        if l.schools.len() > MAX_SCHOOLS || l.districts.len() > usize::from(u16::MAX) || l.grades.len() > 255 || l.sexes.len() > 255 {
            return shape(
                "/layout".into(),
                format!("at most {MAX_SCHOOLS} schools, 65535 districts, 255 grades and 255 sexes"),
            );
        }
        for (i, s) in l.schools.iter().enumerate() {
            if usize::from(s.district) >= l.districts.len() {
                return shape(
                    format!("/layout/schools/{i}/district"),
                    format!("district {} of {} does not exist", s.district, l.districts.len()),
                );
            }
        }
        if self.measures.is_empty() || self.measures.len() > MAX_MEASURES {
            return shape("/measures".into(), format!("1..={MAX_MEASURES} measures"));
        }
        for (i, m) in self.measures.iter().enumerate() {
            if m.categories.len() < 2 || m.categories.len() > MAX_CATEGORIES {
                return shape(format!("/measures/{i}/categories"), format!("2..={MAX_CATEGORIES} categories"));
            }
            if let MeasureSource::Flag { bit, .. } = m.source {
                if bit >= 64 {
                    return shape(format!("/measures/{i}/source/bit"), "flag bits are 0..64".into());
                }
            }
            if let MeasureSource::Screen { .. } | MeasureSource::Flag { .. } = m.source {
                if m.categories.len() != 3 {
                    return shape(format!("/measures/{i}/categories"), "verdict measures have 3 categories".into());
                }
            }
        }
        Ok(())
    }
    /// Total categories over all measures (the width of one cube cell).
    pub fn width(&self) -> usize {
        self.measures.iter().map(|m| m.categories.len()).sum()
    }
}

/// Plain per-instrument columns of one chunk (as [`BatchColumns`] holds them).
#[derive(Clone, Copy, Debug, Default)]
pub struct InstrumentRows<'a> {
    /// Band code per row (`255` = no band). Needed by band measures.
    pub band: &'a [u8],
    /// Screen verdict code per row (0/1/2). Needed by screen measures.
    pub screen: &'a [u8],
    /// Positive-flag bitset per row. Needed by flag measures.
    pub flags: &'a [u64],
    /// Indeterminate-flag bitset per row (may be empty: none indeterminate).
    pub flags_indeterminate: &'a [u64],
}

/// Band codes of a batch scale as the report reads them (`255` = no band).
pub fn band_codes(scale: &ScaleColumns) -> Vec<u8> {
    scale.band.iter().map(|b| u8::try_from(*b).unwrap_or(255)).collect()
}

impl<'a> InstrumentRows<'a> {
    /// Borrow a batch's screen and flag columns, with band codes prepared by [`band_codes`].
    pub fn from_batch(out: &'a BatchColumns, band: &'a [u8]) -> InstrumentRows<'a> {
        InstrumentRows {
            band,
            screen: &out.screen,
            flags: &out.flags,
            flags_indeterminate: &out.flags_indeterminate,
        }
    }
}

/// One chunk of rows: one row per screened student.
#[derive(Clone, Copy, Debug, Default)]
pub struct ReportRows<'a> {
    /// District code per row (must be the school's district).
    pub district: &'a [u16],
    /// School code per row.
    pub school: &'a [u32],
    /// Grade code per row.
    pub grade: &'a [u8],
    /// Sex code per row.
    pub sex: &'a [u8],
    /// Per instrument, its columns.
    pub instruments: &'a [InstrumentRows<'a>],
    /// Tier code per row (needed by tier measures).
    pub tiers: &'a [u8],
}

/// Format tag of a serialised [`Aggregate`].
pub const AGGREGATE_FORMAT: &str = "changkaixin.report-aggregate/1";

/// Exact counts: per school × grade × sex, the number screened and, per measure, per category.
/// Adding rows in chunks and merging partial aggregates in any order and grouping gives the same
/// aggregate (integer addition is commutative and associative; overflow is an error, never a wrap).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Aggregate {
    /// [`AGGREGATE_FORMAT`].
    pub format: String,
    /// Schools, grades, sexes.
    pub dims: [u32; 3],
    /// Categories per measure.
    pub categories: Vec<u16>,
    /// Screened per (school, grade, sex), row-major.
    pub screened: Vec<u32>,
    /// Per (school, grade, sex), the category counts of every measure in order, row-major.
    pub counts: Vec<u32>,
}

impl Aggregate {
    /// An empty aggregate for a spec.
    pub fn new(spec: &ReportSpec) -> Result<Aggregate> {
        spec.validate()?;
        let l = &spec.layout;
        let cells = l.schools.len() * l.grades.len() * l.sexes.len();
        Ok(Aggregate {
            format: AGGREGATE_FORMAT.into(),
            dims: [l.schools.len() as u32, l.grades.len() as u32, l.sexes.len() as u32],
            categories: spec.measures.iter().map(|m| m.categories.len() as u16).collect(),
            screened: vec![0; cells],
            counts: vec![0; cells * spec.width()],
        })
    }

    /// Total categories (the width of one cell).
    pub fn width(&self) -> usize {
        self.categories.iter().map(|c| usize::from(*c)).sum()
    }

    /// Students counted.
    pub fn total(&self) -> u64 {
        self.screened.iter().map(|v| u64::from(*v)).sum()
    }

    /// Check that this aggregate fits the spec (dimensions and categories).
    pub fn fits(&self, spec: &ReportSpec) -> Result<()> {
        let l = &spec.layout;
        let cats: Vec<u16> = spec.measures.iter().map(|m| m.categories.len() as u16).collect();
        let dims = [l.schools.len() as u32, l.grades.len() as u32, l.sexes.len() as u32];
        let cells = dims.iter().map(|d| *d as usize).product::<usize>();
        if self.format != AGGREGATE_FORMAT
            || self.dims != dims
            || self.categories != cats
            || self.screened.len() != cells
            || self.counts.len() != cells * self.width()
        {
            return Err(Error::new(
                ErrorCode::ReportShape,
                "aggregate",
                "the aggregate was made for another layout or other measures",
            ));
        }
        Ok(())
    }

    /// Check an aggregate that arrived from outside (a file, another process, a client) before
    /// anything is built from it: it [`fits`](Self::fits) the spec, it counts at most
    /// [`MAX_N`](super::wilson::MAX_N) students, and in every school × grade × sex group every
    /// measure's category counts add up to the number screened (each counted row lands in exactly
    /// one category of every measure, so any other sum is a forged or corrupted aggregate).
    pub fn verify(&self, spec: &ReportSpec) -> Result<()> {
        self.fits(spec)?;
        if self.total() > super::wilson::MAX_N {
            return Err(Error::new(
                ErrorCode::ReportOverflow,
                "aggregate",
                format!("more than {} students", super::wilson::MAX_N),
            ));
        }
        let width = self.width();
        for (cell, &n) in self.screened.iter().enumerate() {
            let mut off = cell * width;
            for (m, &k) in self.categories.iter().enumerate() {
                let k = usize::from(k);
                let sum: u64 = self.counts[off..off + k].iter().map(|v| u64::from(*v)).sum();
                if sum != u64::from(n) {
                    return Err(Error::new(
                        ErrorCode::ReportShape,
                        format!("aggregate/counts/{off}"),
                        format!(
                            "group {cell}: measure {} counts {sum} students in its categories, the group has {n} screened",
                            spec.measures.get(m).map_or("?", |m| m.id.as_str())
                        ),
                    ));
                }
                off += k;
            }
        }
        Ok(())
    }

    /// Merge another partial aggregate of the same spec into this one.
    pub fn merge(&mut self, other: &Aggregate) -> Result<()> {
        if self.dims != other.dims
            || self.categories != other.categories
            || self.counts.len() != other.counts.len()
            || self.screened.len() != other.screened.len()
        {
            return Err(Error::new(
                ErrorCode::ReportShape,
                "aggregate",
                "aggregates of different shapes cannot be merged",
            ));
        }
        let add = |a: &mut [u32], b: &[u32]| -> Result<()> {
            for (x, y) in a.iter_mut().zip(b) {
                *x = x
                    .checked_add(*y)
                    .ok_or_else(|| Error::new(ErrorCode::ReportOverflow, "aggregate", "a count exceeds 2^32 − 1"))?;
            }
            Ok(())
        };
        add(&mut self.screened, &other.screened)?;
        add(&mut self.counts, &other.counts)
    }

    /// Count one chunk of rows. On an error nothing of the chunk is counted.
    pub fn add(&mut self, spec: &ReportSpec, rows: &ReportRows<'_>) -> Result<()> {
        self.fits(spec)?;
        let n = rows.school.len();
        let shape = |what: &str, len: usize| {
            Error::new(
                ErrorCode::ReportShape,
                what.to_string(),
                format!("{what} has {len} rows, the chunk has {n} schools"),
            )
        };
        for (what, len) in [("district", rows.district.len()), ("grade", rows.grade.len()), ("sex", rows.sex.len())] {
            if len != n {
                return Err(shape(what, len));
            }
        }
        // Resolve every measure's column once.
        enum Col<'b> {
            Band(&'b [u8], u8),
            Verdict(&'b [u8]),
            Flag(&'b [u64], &'b [u64], u64),
            Tier(&'b [u8], u8),
        }
        let mut cols = Vec::with_capacity(spec.measures.len());
        for (i, m) in spec.measures.iter().enumerate() {
            let inst = |k: u16| {
                rows.instruments.get(usize::from(k)).ok_or_else(|| {
                    Error::new(
                        ErrorCode::ReportShape,
                        format!("instruments/{k}"),
                        format!("measure {} needs instrument {k}; the chunk has {}", i, rows.instruments.len()),
                    )
                })
            };
            let nc = m.categories.len() as u8;
            let col = match m.source {
                MeasureSource::Band { instrument } => Col::Band(inst(instrument)?.band, nc - 1),
                MeasureSource::Screen { instrument } => Col::Verdict(inst(instrument)?.screen),
                MeasureSource::Flag { instrument, bit } => {
                    let r = inst(instrument)?;
                    if !r.flags_indeterminate.is_empty() && r.flags_indeterminate.len() != n {
                        return Err(shape("flags_indeterminate", r.flags_indeterminate.len()));
                    }
                    Col::Flag(r.flags, r.flags_indeterminate, 1u64 << bit)
                }
                MeasureSource::Tier => Col::Tier(rows.tiers, nc),
            };
            let len = match &col {
                Col::Band(c, _) | Col::Verdict(c) | Col::Tier(c, _) => c.len(),
                Col::Flag(c, _, _) => c.len(),
            };
            if len != n {
                return Err(shape(&format!("measure {}", m.id), len));
            }
            cols.push(col);
        }
        let offsets: Vec<usize> = spec
            .measures
            .iter()
            .scan(0usize, |acc, m| {
                let o = *acc;
                *acc += m.categories.len();
                Some(o)
            })
            .collect();
        let (g_n, x_n) = (self.dims[1] as usize, self.dims[2] as usize);
        let width = self.width();
        let l = &spec.layout;
        // Validate first (so a bad chunk counts nothing), computing each row's cell.
        let mut cell_of = Vec::with_capacity(n);
        for r in 0..n {
            let bad = |what: &str, msg: String| Err(Error::new(ErrorCode::ReportInvalidCode, what.to_string(), msg).with_row(r as u64));
            let s = rows.school[r] as usize;
            let Some(school) = l.schools.get(s) else {
                return bad("school", format!("school code {s} of {}", l.schools.len()));
            };
            if school.district != rows.district[r] {
                return bad(
                    "district",
                    format!("district code {} but school {} is in district {}", rows.district[r], s, school.district),
                );
            }
            let (g, x) = (usize::from(rows.grade[r]), usize::from(rows.sex[r]));
            if g >= g_n {
                return bad("grade", format!("grade code {g} of {g_n}"));
            }
            if x >= x_n {
                return bad("sex", format!("sex code {x} of {x_n}"));
            }
            for (m, col) in cols.iter().enumerate() {
                let ok = match col {
                    Col::Band(c, last) => c[r] == 255 || c[r] < *last,
                    Col::Verdict(c) => c[r] <= 2,
                    Col::Flag(..) => true,
                    Col::Tier(c, nc) => c[r] < *nc,
                };
                if !ok {
                    return bad(&format!("measure {}", spec.measures[m].id), "code outside the measure's categories".into());
                }
            }
            cell_of.push((s * g_n + g) * x_n + x);
        }
        for (r, &cell) in cell_of.iter().enumerate() {
            self.screened[cell] = self.screened[cell]
                .checked_add(1)
                .ok_or_else(|| Error::new(ErrorCode::ReportOverflow, "aggregate", "a count exceeds 2^32 − 1"))?;
            let base = cell * width;
            for (col, off) in cols.iter().zip(&offsets) {
                let c = match col {
                    Col::Band(c, last) => {
                        if c[r] == 255 {
                            usize::from(*last)
                        } else {
                            usize::from(c[r])
                        }
                    }
                    Col::Verdict(c) | Col::Tier(c, _) => usize::from(c[r]),
                    Col::Flag(p, u, mask) => {
                        if p[r] & mask != 0 {
                            1
                        } else if u.get(r).is_some_and(|w| w & mask != 0) {
                            2
                        } else {
                            0
                        }
                    }
                };
                let slot = &mut self.counts[base + off + c];
                *slot = slot.saturating_add(1); // ≤ screened, which was checked above
            }
        }
        Ok(())
    }
}
