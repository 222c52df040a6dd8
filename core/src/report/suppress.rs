//! Disclosure control for one measure's linked tables: primary suppression, complementary
//! suppression, and an exact audit.
//!
//! ## The tables and what is published
//!
//! For a measure with categories `c` the report publishes three linked tables — district × grade,
//! school × grade (schools nest in districts) and grade × sex — each with its row, column and
//! table totals, per category, beside the group sizes (students screened, and enrolled when
//! given), which are published and not sensitive. Every published number is a sum of the inner
//! cells `n[s,g,c]` (school × grade) and `m[g,x,c]` (grade × sex), linked by
//! `Σ_s n[s,g,c] = Σ_x m[g,x,c]` and by `Σ_c n[s,g,c] = screened[s,g]`. Any such pair of inner
//! tables extends to a non-negative school × grade × sex cube (the two tables share only the
//! grade and no school × sex figure is published), so these are exactly the attacker's unknowns.
//!
//! ## Primary suppression ([`Settings`])
//!
//! A cell of value `v` in a group of `N > 0` students is *primary* when `0 < v < threshold`
//! (default 10: the modal US minimum group size, NCES 2011-603; CMS hides 1–10), when
//! `0 < N − v < threshold` (the few students *not* in the category would be revealed), when
//! `v = N` (a cell equal to its margin: everyone in the group shares the attribute) — and then
//! every other category of that group too (their zeros are the same fact) — and when `v = 0` in
//! a group of fewer than `small_group` students (0 % of a small group).
//!
//! ## The attacker and the protection criterion
//!
//! The attacker knows every published number and the rules above, and that a suppressed cell
//! lies in `[0, N]` (`N` its published group size). The report does not say which suppressed
//! cells are primary and which complementary, and a complement may be any value, zero included,
//! so the rules tell the attacker nothing more about a suppressed cell (with reasons published
//! the attacker would know a primary lies in `1..threshold`; they are kept in the internal audit
//! only, as the Handbook on SDC advises for the exact parameters). A suppressed cell
//! is **protected** when the set of values the attacker cannot exclude spans at least
//! `min(protection_width, N)` (the sliding protection level of the Handbook on SDC, default 3;
//! a group of two students cannot have a wider interval than `[0, 2]`).
//!
//! ## The audit: exact witnesses instead of a floating-point LP
//!
//! Instead of solving the attacker's LP in floating point, the audit proves the bound with
//! integer *witnesses*: for each suppressed cell it exhibits a perturbation — `+t` and `−t`
//! alternating on the corners of a 2 × 2 × 2 (or 2 × 2 with the totals it moves) pattern over
//! schools or sexes, grades and categories — that leaves **every published number unchanged**,
//! keeps every moved cell inside its `[lb, N]`, and moves only suppressed cells. Every such
//! table is consistent with everything published, so the attacker's interval (the LP bounds of
//! the attacker problems, integral or not) contains the witness interval; the audit checks the
//! witness interval's width against the criterion, exactly, in integers. The check is therefore
//! conservative: it may call a cell unprotected that an LP would show protected (the greedy
//! search then suppresses more), never the reverse.
//!
//! Pattern families (s = school, d = district, g = grade, x = sex, c = category; every
//! aggregate that the perturbation changes is listed and must itself be suppressed):
//!
//! | pattern | moves | protects |
//! |---|---|---|
//! | 2 schools of one district × 2 grades × 2 categories | 8 school × grade cells | school × grade |
//! | 2 schools of two districts × 2 grades × 2 categories | + 8 district × grade cells | + district × grade |
//! | 2 schools of one district × 1 grade × 2 categories | 4 cells + 4 school totals | school totals |
//! | 2 schools of two districts × 1 grade × 2 categories | + district × grade, district totals | district totals |
//! | 1 school × 2 grades × 2 categories, with 1 sex | school, district, city grade totals and grade × sex cells | city grade totals |
//! | 1 grade × 2 sexes × 2 categories | 4 grade × sex cells + 4 sex totals | sex totals |
//! | 2 grades × 2 sexes × 2 categories | 8 grade × sex cells | grade × sex |
//! | 1 school × 1 grade × 1 sex × 2 categories | every level up to the city total | city totals |
//!
//! ## Complementary suppression
//!
//! Greedy, cheapest first (the cost of a pattern is the value of the published cells it would
//! suppress, weighted up for totals): each unprotected suppressed cell, finest level first, takes
//! the cheapest pattern of its families that protects it (searching a bounded candidate list:
//! all categories, all grades, the eight most suitable schools of its own and of other
//! districts), and every cell the pattern moves is suppressed. Cells a pattern protects keep it
//! as their witness. When no pattern protects a cell, the whole measure is suppressed: then only
//! group sizes are published, the tables "every student in category `c`" are consistent with
//! them for every `c`, and every cell's interval is the whole `[0, N]`.
//!
//! Complexity: primary suppression and the audit are linear in the number of cells
//! (`(S + D + 1)·(G + 1)·C + (G + 1)·(X + 1)·C`); the greedy search costs at most
//! `O(C · G · 8)` candidate patterns of ≤ 48 cells per unprotected cell. No LP is solved.

use crate::error::{Error, ErrorCode, Result};
use serde::{Deserialize, Serialize};

/// Disclosure-control settings (each a documented default, see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Counts `0 < v < threshold` are primary, and so are `0 < N − v < threshold` (default 10).
    pub threshold: u32,
    /// A group of fewer students is small: its zeros are primary (default 10).
    pub small_group: u32,
    /// The attacker's interval for a suppressed cell must span at least `min(protection_width, N)` (default 3).
    pub protection_width: u32,
    /// Apply the rule "a cell equal to its margin (100 %) is primary, with its group's zeros" (default true).
    pub dominance: bool,
    /// Apply the rule "`0 < N − v < threshold` is primary" (default true).
    pub near_total: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            threshold: 10,
            small_group: 10,
            protection_width: 3,
            dominance: true,
            near_total: true,
        }
    }
}

impl Settings {
    /// Check the settings' ranges (threshold 1..=1000, protection width 1..=1000).
    pub fn validate(&self) -> Result<()> {
        if !(1..=1000).contains(&self.threshold) || !(1..=1000).contains(&self.protection_width) || self.small_group > 1000 {
            return Err(Error::new(
                ErrorCode::ReportShape,
                "/suppression",
                "threshold and protection_width must be 1..=1000, small_group 0..=1000",
            ));
        }
        Ok(())
    }
}

/// The level of a cell in the linked tables.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// School × grade (inner).
    SchoolGrade,
    /// Grade × sex (inner).
    GradeSex,
    /// School total over grades.
    SchoolTotal,
    /// District × grade.
    DistrictGrade,
    /// City total per grade (shared by district × grade and grade × sex).
    CityGrade,
    /// City total per sex.
    CitySex,
    /// District total.
    DistrictTotal,
    /// City total.
    City,
}

const LEVELS: [Level; 8] = [
    Level::SchoolGrade,
    Level::GradeSex,
    Level::SchoolTotal,
    Level::DistrictGrade,
    Level::CityGrade,
    Level::CitySex,
    Level::DistrictTotal,
    Level::City,
];

impl Level {
    fn weight(self) -> u64 {
        match self {
            Level::SchoolGrade | Level::GradeSex => 1,
            Level::SchoolTotal | Level::DistrictGrade => 3,
            Level::DistrictTotal | Level::CityGrade | Level::CitySex => 9,
            Level::City => 27,
        }
    }
}

/// A cell's status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Published.
    Published,
    /// Suppressed by a primary rule.
    Primary,
    /// Suppressed to protect another cell.
    Complementary,
}

/// One index of a pattern: absent, one value, or a pair (`+` on the first, `−` on the second).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sel {
    /// Not part of the pattern.
    None,
    /// One value.
    One(u32),
    /// A pair: `+t` on the first, `−t` on the second.
    Two(u32, u32),
}

impl Sel {
    fn items(self) -> ([(u32, i32); 2], usize) {
        match self {
            Sel::None => ([(0, 0); 2], 0),
            Sel::One(a) => ([(a, 1), (0, 0)], 1),
            Sel::Two(a, b) => ([(a, 1), (b, -1)], 2),
        }
    }
}

/// A perturbation pattern (see the module docs): schools, grades, sexes, and a category pair.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pattern {
    /// Schools.
    pub s: Sel,
    /// Grades.
    pub g: Sel,
    /// Sexes.
    pub x: Sel,
    /// Categories (`+t` on the first, `−t` on the second).
    pub c: [u16; 2],
}

const NO_WITNESS: u32 = u32::MAX;

/// All cells of one measure, with values, group sizes, statuses and witnesses.
#[derive(Clone, Debug)]
pub struct Cells {
    pub(crate) s_n: usize,
    pub(crate) d_n: usize,
    pub(crate) g_n: usize,
    pub(crate) x_n: usize,
    pub(crate) c_n: usize,
    pub(crate) district_of: Vec<u16>,
    schools_of: Vec<Vec<u32>>,
    off: [usize; 9],
    /// Cell values.
    pub(crate) value: Vec<u32>,
    /// The cell's group size (students screened in its group).
    pub(crate) total: Vec<u32>,
    pub(crate) status: Vec<Status>,
    witness: Vec<u32>,
    patterns: Vec<Pattern>,
    settings: Settings,
    /// Scratch of [`Cells::changes`]: per cell, its index in the change list being built
    /// (`NO_WITNESS` = not in it); every entry is reset before `changes` returns.
    slot: std::cell::RefCell<Vec<u32>>,
}

/// A cell position: level and the indices that level has (unused ones 0).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pos {
    /// Level.
    pub level: Level,
    /// School (school levels) or district (district levels).
    pub unit: u32,
    /// Grade (grade levels).
    pub grade: u32,
    /// Sex (sex levels).
    pub sex: u32,
    /// Category.
    pub category: u32,
}

impl Cells {
    /// Cells from inner counts `n[s][g][c]` and `m[g][x][c]` (row-major) and the group sizes
    /// `screened_sg[s][g]`, `screened_gx[g][x]`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        district_of: Vec<u16>,
        d_n: usize,
        dims: [usize; 4],
        n: &[u32],
        m: &[u32],
        screened_sg: &[u32],
        screened_gx: &[u32],
        settings: Settings,
    ) -> Cells {
        let [s_n, g_n, x_n, c_n] = dims;
        let sizes = [s_n * g_n, g_n * x_n, s_n, d_n * g_n, g_n, x_n, d_n, 1];
        let mut off = [0usize; 9];
        for (i, sz) in sizes.iter().enumerate() {
            off[i + 1] = off[i] + sz * c_n;
        }
        let len = off[8];
        let mut schools_of = vec![Vec::new(); d_n];
        for (s, d) in district_of.iter().enumerate() {
            if let Some(v) = schools_of.get_mut(usize::from(*d)) {
                v.push(s as u32);
            }
        }
        let mut cells = Cells {
            s_n,
            d_n,
            g_n,
            x_n,
            c_n,
            district_of,
            schools_of,
            off,
            value: vec![0; len],
            total: vec![0; len],
            status: vec![Status::Published; len],
            witness: vec![NO_WITNESS; len],
            slot: std::cell::RefCell::new(vec![NO_WITNESS; len]),
            patterns: Vec::new(),
            settings,
        };
        for s in 0..s_n {
            let d = usize::from(cells.district_of[s]);
            for g in 0..g_n {
                let t = screened_sg[s * g_n + g];
                for c in 0..c_n {
                    let v = n[(s * g_n + g) * c_n + c];
                    // group sizes are added once per group (category 0), then copied below
                    let tc = if c == 0 { t } else { 0 };
                    for id in [
                        cells.sg(s, g, c),
                        cells.st(s, c),
                        cells.dg(d, g, c),
                        cells.dt(d, c),
                        cells.cg(g, c),
                        cells.ct(c),
                    ] {
                        cells.value[id] += v;
                        cells.total[id] += tc;
                    }
                }
            }
        }
        for g in 0..g_n {
            for x in 0..x_n {
                let t = screened_gx[g * x_n + x];
                for c in 0..c_n {
                    let v = m[(g * x_n + x) * c_n + c];
                    let tc = if c == 0 { t } else { 0 };
                    for id in [cells.gx(g, x, c), cells.cx(x, c)] {
                        cells.value[id] += v;
                        cells.total[id] += tc;
                    }
                }
            }
        }
        // copy each group's size to all its categories
        for group in 0..len / c_n {
            let t = cells.total[group * c_n];
            for c in 1..c_n {
                cells.total[group * c_n + c] = t;
            }
        }
        cells
    }

    fn sg(&self, s: usize, g: usize, c: usize) -> usize {
        self.off[0] + (s * self.g_n + g) * self.c_n + c
    }
    fn gx(&self, g: usize, x: usize, c: usize) -> usize {
        self.off[1] + (g * self.x_n + x) * self.c_n + c
    }
    fn st(&self, s: usize, c: usize) -> usize {
        self.off[2] + s * self.c_n + c
    }
    fn dg(&self, d: usize, g: usize, c: usize) -> usize {
        self.off[3] + (d * self.g_n + g) * self.c_n + c
    }
    fn cg(&self, g: usize, c: usize) -> usize {
        self.off[4] + g * self.c_n + c
    }
    fn cx(&self, x: usize, c: usize) -> usize {
        self.off[5] + x * self.c_n + c
    }
    fn dt(&self, d: usize, c: usize) -> usize {
        self.off[6] + d * self.c_n + c
    }
    fn ct(&self, c: usize) -> usize {
        self.off[7] + c
    }

    /// The id of a position (`None` when out of range).
    pub fn id(&self, p: Pos) -> Option<usize> {
        let (u, g, x, c) = (p.unit as usize, p.grade as usize, p.sex as usize, p.category as usize);
        if c >= self.c_n {
            return None;
        }
        let ok_s = u < self.s_n;
        let ok_d = u < self.d_n;
        let ok_g = g < self.g_n;
        let ok_x = x < self.x_n;
        Some(match p.level {
            Level::SchoolGrade if ok_s && ok_g => self.sg(u, g, c),
            Level::GradeSex if ok_g && ok_x => self.gx(g, x, c),
            Level::SchoolTotal if ok_s => self.st(u, c),
            Level::DistrictGrade if ok_d && ok_g => self.dg(u, g, c),
            Level::CityGrade if ok_g => self.cg(g, c),
            Level::CitySex if ok_x => self.cx(x, c),
            Level::DistrictTotal if ok_d => self.dt(u, c),
            Level::City => self.ct(c),
            _ => return None,
        })
    }

    /// The position of an id.
    pub fn pos(&self, id: usize) -> Pos {
        let li = (0..8).rfind(|i| self.off[*i] <= id).unwrap_or(0);
        let level = LEVELS[li];
        let r = id - self.off[li];
        let c = (r % self.c_n) as u32;
        let q = r / self.c_n;
        let (unit, grade, sex) = match level {
            Level::SchoolGrade | Level::DistrictGrade => (q / self.g_n, q % self.g_n, 0),
            Level::GradeSex => (0, q / self.x_n, q % self.x_n),
            Level::SchoolTotal | Level::DistrictTotal => (q, 0, 0),
            Level::CityGrade => (0, q, 0),
            Level::CitySex => (0, 0, q),
            Level::City => (0, 0, 0),
        };
        Pos {
            level,
            unit: unit as u32,
            grade: grade as u32,
            sex: sex as u32,
            category: c,
        }
    }

    /// Number of cells.
    pub fn len(&self) -> usize {
        self.value.len()
    }
    /// Whether there are no cells.
    pub fn is_empty(&self) -> bool {
        self.value.is_empty()
    }
    /// A cell's value.
    pub fn value(&self, id: usize) -> u32 {
        self.value[id]
    }
    /// A cell's group size.
    pub fn group_size(&self, id: usize) -> u32 {
        self.total[id]
    }
    /// A cell's status.
    pub fn status(&self, id: usize) -> Status {
        self.status[id]
    }

    fn is_primary_value(&self, v: u32, n: u32) -> bool {
        let s = &self.settings;
        if n == 0 {
            return false;
        }
        (v > 0 && v < s.threshold) || (s.near_total && v < n && n - v < s.threshold) || (s.dominance && v == n) || (v == 0 && n < s.small_group)
    }

    /// Mark primary cells.
    pub(crate) fn primary(&mut self) {
        let c_n = self.c_n;
        for group in 0..self.len() / c_n {
            let base = group * c_n;
            let n = self.total[base];
            if n == 0 {
                continue;
            }
            let dominated = self.settings.dominance && (0..c_n).any(|c| self.value[base + c] == n);
            for c in 0..c_n {
                if dominated || self.is_primary_value(self.value[base + c], n) {
                    self.status[base + c] = Status::Primary;
                }
            }
        }
    }

    /// The cells a pattern moves, with their multipliers; `None` for a malformed pattern.
    fn changes(&self, p: &Pattern, out: &mut Vec<(u32, i32)>) -> Option<()> {
        out.clear();
        let (c0, c1) = (usize::from(p.c[0]), usize::from(p.c[1]));
        if c0 == c1 || c0 >= self.c_n || c1 >= self.c_n {
            return None;
        }
        let cs = [(c0, 1i32), (c1, -1i32)];
        let (gs, gk) = p.g.items();
        if gk == 0 || matches!(p.g, Sel::Two(a, b) if a == b) || gs[..gk].iter().any(|(g, _)| *g as usize >= self.g_n) {
            return None;
        }
        let (xs, xk) = p.x.items();
        if matches!(p.x, Sel::Two(a, b) if a == b) || xs[..xk].iter().any(|(x, _)| *x as usize >= self.x_n) {
            return None;
        }
        let (ss, sk) = p.s.items();
        if matches!(p.s, Sel::Two(a, b) if a == b) || ss[..sk].iter().any(|(s, _)| *s as usize >= self.s_n) {
            return None;
        }
        // valid shapes: a school pair alone; one school with one sex; sexes paired without schools
        match (sk, xk) {
            (2, 0) | (1, 1) | (0, 2) => {}
            _ => return None,
        }
        // Each cell once, in the order first met (the order does not matter to any caller: they
        // take minima, sums and look-ups), merged through the slot scratch instead of a sort.
        let mut slot = self.slot.borrow_mut();
        let mut push = |id: usize, sign: i32| match slot.get(id).copied() {
            Some(NO_WITNESS) => {
                slot[id] = out.len() as u32;
                out.push((id as u32, sign));
            }
            Some(k) => out[k as usize].1 += sign,
            None => {}
        };
        for &(s, ss_sign) in &ss[..sk] {
            let s = s as usize;
            let d = usize::from(self.district_of[s]);
            for &(g, gs_sign) in &gs[..gk] {
                let g = g as usize;
                for &(c, c_sign) in &cs {
                    let sign = ss_sign * gs_sign * c_sign;
                    for id in [self.sg(s, g, c), self.st(s, c), self.dg(d, g, c), self.dt(d, c), self.cg(g, c), self.ct(c)] {
                        push(id, sign);
                    }
                }
            }
        }
        for &(x, xs_sign) in &xs[..xk] {
            let x = x as usize;
            for &(g, gs_sign) in &gs[..gk] {
                let g = g as usize;
                for &(c, c_sign) in &cs {
                    let sign = xs_sign * gs_sign * c_sign;
                    push(self.gx(g, x, c), sign);
                    push(self.cx(x, c), sign);
                }
            }
        }
        for e in out.iter() {
            slot[e.0 as usize] = NO_WITNESS;
        }
        out.retain(|e| e.1 != 0);
        Some(())
    }

    fn bounds(&self, id: usize) -> (i64, i64) {
        (0, i64::from(self.total[id]))
    }

    /// The feasible amplitudes `[t_lo, t_hi]` of a change set (integers; contains 0).
    fn range(&self, ch: &[(u32, i32)]) -> (i64, i64) {
        let (mut lo, mut hi) = (i64::MIN, i64::MAX);
        for &(id, m) in ch {
            let id = id as usize;
            let v = i64::from(self.value[id]);
            let (lb, ub) = self.bounds(id);
            let m = i64::from(m);
            // lb ≤ v + m·t ≤ ub (most patterns move cells by ±1: no division then)
            let (a, b) = if m == 1 {
                (lb - v, ub - v)
            } else if m == -1 {
                (v - ub, v - lb)
            } else if m > 0 {
                ((lb - v).div_euclid(m) + i64::from((lb - v).rem_euclid(m) != 0), (ub - v).div_euclid(m))
            } else {
                let k = -m;
                (-((ub - v).div_euclid(k)), (v - lb).div_euclid(k))
            };
            lo = lo.max(a);
            hi = hi.min(b);
        }
        (lo, hi)
    }

    /// The width a cell needs.
    fn required(&self, id: usize) -> i64 {
        i64::from(self.settings.protection_width.min(self.total[id]))
    }

    fn cost(&self, ch: &[(u32, i32)]) -> u64 {
        ch.iter()
            .map(|&(id, _)| {
                let id = id as usize;
                if self.status[id] == Status::Published {
                    (u64::from(self.value[id]) + 1) * self.pos_level(id).weight()
                } else {
                    0
                }
            })
            .sum()
    }

    fn pos_level(&self, id: usize) -> Level {
        LEVELS[(0..8).rfind(|i| self.off[*i] <= id).unwrap_or(0)]
    }

    /// The witness interval of `id` under pattern `p` (both ends included), if `p` moves `id`.
    fn witness_interval(&self, id: usize, p: &Pattern, buf: &mut Vec<(u32, i32)>) -> Option<(i64, i64)> {
        self.changes(p, buf)?;
        let m = buf.iter().find(|e| e.0 as usize == id)?.1;
        if buf.iter().any(|e| self.status[e.0 as usize] == Status::Published) {
            return None;
        }
        let (lo, hi) = self.range(buf);
        if lo > hi {
            return None;
        }
        let v = i64::from(self.value[id]);
        let m = i64::from(m);
        let (a, b) = (v + m * lo, v + m * hi);
        Some((a.min(b), a.max(b)))
    }

    /// Candidate patterns for a cell, cheapest search order.
    fn candidates(&self, id: usize, out: &mut Vec<Pattern>) {
        out.clear();
        let p = self.pos(id);
        let c = p.category as usize;
        let cats: Vec<u16> = (0..self.c_n).filter(|k| *k != c).map(|k| k as u16).collect();
        let grades_other = |g: usize| (0..self.g_n).filter(move |k| *k != g).map(|k| k as u32);
        let sexes: Vec<u32> = (0..self.x_n as u32).collect();
        const K: usize = 8;
        // schools ranked by how cheap their cell in (g, c) is (suppressed first, then small non-zero)
        let rank = |pool: &mut dyn Iterator<Item = u32>, g: Option<usize>| -> Vec<u32> {
            let mut v: Vec<(u64, u32)> = pool
                .map(|s| {
                    let cid = match g {
                        Some(g) => self.sg(s as usize, g, c),
                        None => self.st(s as usize, c),
                    };
                    let key = if self.status[cid] != Status::Published {
                        0
                    } else if self.value[cid] == 0 {
                        u64::MAX / 2
                    } else {
                        u64::from(self.value[cid])
                    };
                    (key, s)
                })
                .collect();
            if v.len() > K {
                v.select_nth_unstable(K);
                v.truncate(K);
            }
            v.sort_unstable();
            v.into_iter().map(|e| e.1).collect()
        };
        let c2s = |c2: u16| [c as u16, c2];
        match p.level {
            Level::SchoolGrade | Level::SchoolTotal | Level::DistrictGrade | Level::DistrictTotal => {
                // the anchor school(s)
                let g = (matches!(p.level, Level::SchoolGrade | Level::DistrictGrade)).then_some(p.grade as usize);
                let anchors: Vec<u32> = match p.level {
                    Level::SchoolGrade | Level::SchoolTotal => vec![p.unit],
                    _ => rank(&mut self.schools_of[p.unit as usize].iter().copied(), g),
                };
                for &s in &anchors {
                    let d = usize::from(self.district_of[s as usize]);
                    let same: Vec<u32> = rank(&mut self.schools_of[d].iter().copied().filter(|t| *t != s), g);
                    let other: Vec<u32> = rank(&mut (0..self.s_n as u32).filter(|t| usize::from(self.district_of[*t as usize]) != d), g);
                    let within = matches!(p.level, Level::SchoolGrade | Level::SchoolTotal);
                    let partners: Vec<u32> = if within { same.iter().chain(&other).copied().collect() } else { other };
                    for &c2 in &cats {
                        match g {
                            Some(g) => {
                                for g2 in grades_other(g) {
                                    for &s2 in &partners {
                                        out.push(Pattern {
                                            s: Sel::Two(s, s2),
                                            g: Sel::Two(g as u32, g2),
                                            x: Sel::None,
                                            c: c2s(c2),
                                        });
                                    }
                                }
                                for &s2 in &partners {
                                    out.push(Pattern {
                                        s: Sel::Two(s, s2),
                                        g: Sel::One(g as u32),
                                        x: Sel::None,
                                        c: c2s(c2),
                                    });
                                }
                                for g2 in grades_other(g) {
                                    for &x in &sexes {
                                        out.push(Pattern {
                                            s: Sel::One(s),
                                            g: Sel::Two(g as u32, g2),
                                            x: Sel::One(x),
                                            c: c2s(c2),
                                        });
                                    }
                                }
                                for &x in &sexes {
                                    out.push(Pattern {
                                        s: Sel::One(s),
                                        g: Sel::One(g as u32),
                                        x: Sel::One(x),
                                        c: c2s(c2),
                                    });
                                }
                            }
                            None => {
                                for g in 0..self.g_n as u32 {
                                    for &s2 in &partners {
                                        out.push(Pattern {
                                            s: Sel::Two(s, s2),
                                            g: Sel::One(g),
                                            x: Sel::None,
                                            c: c2s(c2),
                                        });
                                    }
                                    for &x in &sexes {
                                        out.push(Pattern {
                                            s: Sel::One(s),
                                            g: Sel::One(g),
                                            x: Sel::One(x),
                                            c: c2s(c2),
                                        });
                                    }
                                }
                            }
                        }
                    }
                }
            }
            Level::GradeSex | Level::CitySex | Level::CityGrade | Level::City => {
                let g_fixed = matches!(p.level, Level::GradeSex | Level::CityGrade).then_some(p.grade);
                let x_fixed = matches!(p.level, Level::GradeSex | Level::CitySex).then_some(p.sex);
                let gs: Vec<u32> = match g_fixed {
                    Some(g) => vec![g],
                    None => (0..self.g_n as u32).collect(),
                };
                let xs: Vec<u32> = match x_fixed {
                    Some(x) => vec![x],
                    None => sexes.clone(),
                };
                for &c2 in &cats {
                    for &g in &gs {
                        for &x in &xs {
                            for x2 in (0..self.x_n as u32).filter(|k| *k != x) {
                                if matches!(p.level, Level::GradeSex) {
                                    for g2 in grades_other(g as usize) {
                                        out.push(Pattern {
                                            s: Sel::None,
                                            g: Sel::Two(g, g2),
                                            x: Sel::Two(x, x2),
                                            c: c2s(c2),
                                        });
                                    }
                                }
                                if !matches!(p.level, Level::CityGrade | Level::City) {
                                    out.push(Pattern {
                                        s: Sel::None,
                                        g: Sel::One(g),
                                        x: Sel::Two(x, x2),
                                        c: c2s(c2),
                                    });
                                }
                            }
                            let schools = rank(&mut (0..self.s_n as u32), Some(g as usize));
                            for &s in &schools {
                                if !matches!(p.level, Level::City | Level::CitySex) {
                                    for g2 in grades_other(g as usize) {
                                        out.push(Pattern {
                                            s: Sel::One(s),
                                            g: Sel::Two(g, g2),
                                            x: Sel::One(x),
                                            c: c2s(c2),
                                        });
                                    }
                                }
                                out.push(Pattern {
                                    s: Sel::One(s),
                                    g: Sel::One(g),
                                    x: Sel::One(x),
                                    c: c2s(c2),
                                });
                            }
                        }
                    }
                }
            }
        }
    }

    fn cost1(&self, id: usize) -> u64 {
        if self.status[id] == Status::Published {
            u64::from(self.value[id]) + 1
        } else {
            0
        }
    }

    /// The cost of a pattern's inner cells (school × grade and grade × sex): a lower bound of its cost.
    fn inner_cost(&self, p: &Pattern) -> u64 {
        let (ss, sk) = p.s.items();
        let (gs, gk) = p.g.items();
        let (xs, xk) = p.x.items();
        let mut cost = 0;
        for c in p.c {
            let c = usize::from(c);
            if c >= self.c_n {
                return u64::MAX;
            }
            for &(g, _) in &gs[..gk] {
                let g = g as usize;
                if g >= self.g_n {
                    return u64::MAX;
                }
                for &(s, _) in &ss[..sk] {
                    if (s as usize) < self.s_n {
                        cost += self.cost1(self.sg(s as usize, g, c));
                    }
                }
                for &(x, _) in &xs[..xk] {
                    if (x as usize) < self.x_n {
                        cost += self.cost1(self.gx(g, x as usize, c));
                    }
                }
            }
        }
        cost
    }

    /// The fast path for a school × grade cell: the cheapest 2 × 2 × 2 pattern with a school of
    /// the same district (it moves school × grade cells only), pruned by the cost of the cells
    /// in the target's own school.
    fn search_school_grade(&self, id: usize) -> Option<Pattern> {
        let p = self.pos(id);
        let (s, g, c) = (p.unit as usize, p.grade as usize, p.category as usize);
        let need = self.required(id);
        let d = usize::from(self.district_of[s]);
        let mut pairs: Vec<(u64, usize, usize)> = Vec::with_capacity(self.c_n * self.g_n);
        for c2 in (0..self.c_n).filter(|k| *k != c) {
            for g2 in (0..self.g_n).filter(|k| *k != g) {
                let partial = self.cost1(self.sg(s, g, c2)) + self.cost1(self.sg(s, g2, c)) + self.cost1(self.sg(s, g2, c2));
                pairs.push((partial, c2, g2));
            }
        }
        pairs.sort_unstable();
        let mut best: Option<(u64, Pattern)> = None;
        for &(partial, c2, g2) in &pairs {
            if best.as_ref().is_some_and(|b| b.0 <= partial) {
                break;
            }
            // The own school's four cells bound the amplitude already; more cells only narrow
            // it, so a pair whose own cells leave too narrow a range cannot protect the cell.
            let own = [
                (self.sg(s, g, c) as u32, 1),
                (self.sg(s, g, c2) as u32, -1),
                (self.sg(s, g2, c) as u32, -1),
                (self.sg(s, g2, c2) as u32, 1),
            ];
            let (lo0, hi0) = self.range(&own);
            if lo0 > hi0 || hi0 - lo0 < need {
                continue;
            }
            for &s2 in &self.schools_of[d] {
                let s2 = s2 as usize;
                if s2 == s {
                    continue;
                }
                // The partner school's cells, with the signs of a 2 × 2 × 2 pattern.
                let ids = [
                    (self.sg(s2, g, c), -1i64),
                    (self.sg(s2, g, c2), 1),
                    (self.sg(s2, g2, c), 1),
                    (self.sg(s2, g2, c2), -1),
                ];
                let limit = best.as_ref().map_or(u64::MAX, |b| b.0);
                let mut cost = partial;
                let (mut lo, mut hi) = (lo0, hi0);
                let mut ok = true;
                for &(cid, sign) in &ids {
                    cost += self.cost1(cid);
                    if cost >= limit {
                        ok = false;
                        break;
                    }
                    // lb = 0 ≤ v + sign·t ≤ N
                    let (v, n) = (i64::from(self.value[cid]), i64::from(self.total[cid]));
                    if sign > 0 {
                        lo = lo.max(-v);
                        hi = hi.min(n - v);
                    } else {
                        lo = lo.max(v - n);
                        hi = hi.min(v);
                    }
                    if lo > hi || hi - lo < need {
                        ok = false;
                        break;
                    }
                }
                if !ok {
                    continue;
                }
                best = Some((
                    cost,
                    Pattern {
                        s: Sel::Two(s as u32, s2 as u32),
                        g: Sel::Two(g as u32, g2 as u32),
                        x: Sel::None,
                        c: [c as u16, c2 as u16],
                    },
                ));
                if cost == partial {
                    break;
                }
            }
        }
        best.map(|b| b.1)
    }

    /// Whether the inner cells of `p` (school × grade and grade × sex) leave an amplitude range
    /// of width at least `need` — a necessary condition for `p` to protect a cell that needs
    /// `need` (`need` already divided by the largest multiplier the cell can have).
    fn inner_range_may_protect(&self, p: &Pattern, need: i64) -> bool {
        let (ss, sk) = p.s.items();
        let (gs, gk) = p.g.items();
        let (xs, xk) = p.x.items();
        let (mut lo, mut hi) = (i64::MIN, i64::MAX);
        let mut narrow = |id: usize, sign: i32| {
            let (v, n) = (i64::from(self.value[id]), i64::from(self.total[id]));
            if sign > 0 {
                lo = lo.max(-v);
                hi = hi.min(n - v);
            } else {
                lo = lo.max(v - n);
                hi = hi.min(v);
            }
        };
        for (k, &c) in p.c.iter().enumerate() {
            let c = usize::from(c);
            if c >= self.c_n {
                return true;
            }
            let c_sign = if k == 0 { 1 } else { -1 };
            for &(g, g_sign) in &gs[..gk] {
                let g = g as usize;
                if g >= self.g_n {
                    return true;
                }
                for &(s, s_sign) in &ss[..sk] {
                    if (s as usize) < self.s_n {
                        narrow(self.sg(s as usize, g, c), s_sign * g_sign * c_sign);
                    }
                }
                for &(x, x_sign) in &xs[..xk] {
                    if (x as usize) < self.x_n {
                        narrow(self.gx(g, x as usize, c), x_sign * g_sign * c_sign);
                    }
                }
            }
        }
        lo <= hi && hi - lo >= need
    }

    /// The cheapest candidate that protects `id`: (pattern, cost).
    fn search(&self, id: usize, cands: &mut Vec<Pattern>, buf: &mut Vec<(u32, i32)>) -> Option<Pattern> {
        if self.pos_level(id) == Level::SchoolGrade {
            if let Some(p) = self.search_school_grade(id) {
                return Some(p);
            }
        }
        self.candidates(id, cands);
        // An inner cell moves by ±1 under any pattern; a total by at most the eight corners.
        let inner = match self.pos_level(id) {
            Level::SchoolGrade | Level::GradeSex => self.required(id),
            _ => (self.required(id) + 7) / 8,
        };
        let need = self.required(id);
        // A lower bound of each candidate's cost (its inner cells), cheapest first: once the best
        // found costs no more than the next lower bound, nothing later can beat it.
        // A heap, not a sort: the search usually stops after a few candidates of thousands.
        let mut order: std::collections::BinaryHeap<std::cmp::Reverse<(u64, usize)>> =
            cands.iter().enumerate().map(|(i, p)| std::cmp::Reverse((self.inner_cost(p), i))).collect();
        let mut best: Option<(u64, Pattern)> = None;
        while let Some(std::cmp::Reverse((bound, i))) = order.pop() {
            if best.as_ref().is_some_and(|b| b.0 <= bound) {
                break;
            }
            let p = &cands[i];
            // The inner cells alone already bound the amplitude (they never cancel: each is one
            // school or sex × grade × category): too narrow there, too narrow with the totals.
            if !self.inner_range_may_protect(p, inner) {
                continue;
            }
            if self.changes(p, buf).is_none() {
                continue;
            }
            let Some(m) = buf.iter().find(|e| e.0 as usize == id).map(|e| i64::from(e.1)) else {
                continue;
            };
            let cost = self.cost(buf);
            if best.as_ref().is_some_and(|b| b.0 <= cost) {
                continue;
            }
            let (lo, hi) = self.range(buf);
            if lo > hi || m.abs() * (hi - lo) < need {
                continue;
            }
            best = Some((cost, *p));
            if cost == 0 {
                break;
            }
        }
        best.map(|b| b.1)
    }

    /// Suppress the cells a pattern moves and record it as the witness of every moved cell it protects.
    fn apply(&mut self, p: Pattern, buf: &mut Vec<(u32, i32)>) {
        if self.changes(&p, buf).is_none() {
            return;
        }
        for e in buf.iter() {
            let id = e.0 as usize;
            if self.status[id] == Status::Published {
                self.status[id] = Status::Complementary;
            }
        }
        let (lo, hi) = self.range(buf);
        let pi = self.patterns.len() as u32;
        self.patterns.push(p);
        for e in buf.iter() {
            let id = e.0 as usize;
            if self.witness[id] == NO_WITNESS && i64::from(e.1).abs() * (hi - lo) >= self.required(id) {
                self.witness[id] = pi;
            }
        }
    }

    /// Complementary suppression until every suppressed cell has a witness. Stops at the first
    /// cell no candidate pattern protects and returns it (the caller then suppresses the whole
    /// measure, which protects every cell); `None` on success. Stopping early bounds the work: a
    /// failed search is the most expensive one, and after one the whole measure goes anyway.
    pub(crate) fn protect(&mut self) -> Option<usize> {
        let mut cands = Vec::new();
        let mut buf = Vec::new();
        loop {
            let todo: Vec<usize> = (0..self.len())
                .filter(|&i| self.status[i] != Status::Published && self.witness[i] == NO_WITNESS)
                .collect();
            if todo.is_empty() {
                return None;
            }
            for id in todo {
                if self.witness[id] != NO_WITNESS {
                    continue;
                }
                match self.search(id, &mut cands, &mut buf) {
                    Some(p) => self.apply(p, &mut buf),
                    None => return Some(id),
                }
            }
        }
    }

    /// Suppress every cell with a non-empty group (the fallback when a cell cannot be protected).
    pub(crate) fn suppress_all(&mut self) {
        for i in 0..self.len() {
            if self.total[i] > 0 && self.status[i] == Status::Published {
                self.status[i] = Status::Complementary;
            }
        }
    }

    /// Whether every cell of a non-empty group is suppressed. Then the tables "every student in
    /// category `c`" are consistent with everything published (only group sizes are), for every
    /// `c`, so every cell's interval is the whole `[0, N]`.
    fn whole_measure_suppressed(&self) -> bool {
        (0..self.len()).all(|i| self.total[i] == 0 || self.status[i] != Status::Published)
    }

    /// Run primary and complementary suppression; when a cell has no protecting pattern, suppress
    /// the whole measure (every cell is then protected by the whole-measure witness).
    pub(crate) fn run(&mut self) -> Result<()> {
        self.primary();
        if self.protect().is_some() {
            self.suppress_all();
        }
        Ok(())
    }

    /// Audit every suppressed cell: re-derive its witness interval from its recorded pattern and
    /// check the width. Independent of how the patterns were found.
    pub fn audit(&self) -> Vec<AuditCell> {
        let mut buf = Vec::new();
        let mut out = Vec::new();
        let whole = self.whole_measure_suppressed();
        for id in 0..self.len() {
            if self.status[id] == Status::Published {
                continue;
            }
            let w = self.witness[id];
            let interval = match self.patterns.get(w as usize).and_then(|p| self.witness_interval(id, p, &mut buf)) {
                Some(i) => Some(i),
                None if whole => Some((0, i64::from(self.total[id]))),
                None => None,
            };
            let required = self.required(id) as u32;
            let (lo, hi) = interval.unwrap_or((i64::from(self.value[id]), i64::from(self.value[id])));
            out.push(AuditCell {
                pos: self.pos(id),
                status: self.status[id],
                value: self.value[id],
                group_size: self.total[id],
                lo: lo as u32,
                hi: hi as u32,
                required,
                protected: interval.is_some() && (hi - lo) >= i64::from(required),
                witness: self.patterns.get(w as usize).copied(),
                whole_measure: whole,
            });
        }
        out
    }
}

/// The audit of one suppressed cell (internal: it holds the true value; never published).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditCell {
    /// Where.
    pub pos: Pos,
    /// Primary or complementary.
    pub status: Status,
    /// The true value.
    pub value: u32,
    /// The group size.
    pub group_size: u32,
    /// The witness interval: the attacker cannot exclude any of `lo..=hi`.
    pub lo: u32,
    /// Upper end of the witness interval.
    pub hi: u32,
    /// The width required (`min(protection_width, group_size)`).
    pub required: u32,
    /// Whether `hi − lo ≥ required`.
    pub protected: bool,
    /// The perturbation that proves it (absent when the whole measure is suppressed).
    pub witness: Option<Pattern>,
    /// Every cell of the measure is suppressed (then `[0, group_size]` is the interval).
    pub whole_measure: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One district of 3 schools, 3 grades, 1 sex, 2 categories (positive / other).
    fn cells(n: &[[u32; 3]; 3], screened: &[[u32; 3]; 3]) -> Cells {
        let mut inner = Vec::new();
        let mut sg = Vec::new();
        for s in 0..3 {
            for g in 0..3 {
                inner.push(n[s][g]);
                inner.push(screened[s][g] - n[s][g]);
                sg.push(screened[s][g]);
            }
        }
        let mut m = vec![0; 3 * 2];
        let mut gx = vec![0; 3];
        for g in 0..3 {
            for s in 0..3 {
                m[g * 2] += n[s][g];
                m[g * 2 + 1] += screened[s][g] - n[s][g];
                gx[g] += screened[s][g];
            }
        }
        Cells::new(vec![0, 0, 0], 1, [3, 3, 1, 2], &inner, &m, &sg, &gx, Settings::default())
    }

    #[test]
    fn primary_rules() {
        let c = {
            let mut c = cells(&[[20, 4, 25], [12, 6, 22], [12, 8, 30]], &[[60, 60, 60], [60, 60, 60], [60, 60, 60]]);
            c.primary();
            c
        };
        let id = |s, g, k| {
            c.id(Pos {
                level: Level::SchoolGrade,
                unit: s,
                grade: g,
                sex: 0,
                category: k,
            })
            .unwrap()
        };
        assert_eq!(c.status(id(0, 1, 0)), Status::Primary); // 4 < 10
        assert_eq!(c.status(id(0, 0, 0)), Status::Published); // 20
        assert_eq!(c.status(id(1, 1, 0)), Status::Primary); // 6
    }

    #[test]
    fn every_suppressed_cell_is_protected() {
        let mut c = cells(&[[20, 4, 25], [12, 6, 22], [12, 8, 30]], &[[60, 60, 60], [60, 60, 60], [60, 60, 60]]);
        c.run().unwrap();
        let audit = c.audit();
        assert!(!audit.is_empty());
        for a in &audit {
            assert!(a.protected, "{a:?}");
            assert!(a.lo <= a.value && a.value <= a.hi);
        }
    }
}
