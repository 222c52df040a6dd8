//! Replaying city-report vectors: expanding a case's row groups into plain columns and building
//! the report the way every binding does (see `docs/golden-vectors.md`, kind `city_report`).

use changkaixin_core::report::{city_report_audited, Aggregate, Audit, CityReport, InstrumentRows, ReportOptions, ReportRows, ReportSpec, Round, Settings};
use changkaixin_core::Error;
use serde_json::Value;

/// Plain columns of expanded rows.
#[derive(Clone, Debug, Default)]
pub struct Columns {
    /// District per row.
    pub district: Vec<u16>,
    /// School per row.
    pub school: Vec<u32>,
    /// Grade per row.
    pub grade: Vec<u8>,
    /// Sex per row.
    pub sex: Vec<u8>,
    /// Per instrument: band, screen, flags, indeterminate flags.
    pub band: Vec<Vec<u8>>,
    /// Screen codes per instrument.
    pub screen: Vec<Vec<u8>>,
    /// Flag bitsets per instrument.
    pub flags: Vec<Vec<u64>>,
    /// Indeterminate flag bitsets per instrument.
    pub flags_indeterminate: Vec<Vec<u64>>,
    /// Tier per row.
    pub tiers: Vec<u8>,
}

impl Columns {
    /// Expand `groups` (`{school, grade, sex, n, band: [..], screen: [..], flags: [..],
    /// flags_indeterminate: [..], tier, district?}`): `n` identical rows each; the district is the
    /// school's unless the group names one.
    pub fn from_groups(spec: &ReportSpec, groups: &[Value]) -> Columns {
        let mut c = Columns::default();
        let u = |g: &Value, k: &str| g.get(k).and_then(Value::as_u64).unwrap_or(0);
        let list = |g: &Value, k: &str| -> Vec<u64> {
            g.get(k)
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_u64).collect())
                .unwrap_or_default()
        };
        let k_n = groups.iter().map(|g| list(g, "band").len().max(list(g, "screen").len())).max().unwrap_or(0);
        c.band = vec![Vec::new(); k_n];
        c.screen = vec![Vec::new(); k_n];
        c.flags = vec![Vec::new(); k_n];
        c.flags_indeterminate = vec![Vec::new(); k_n];
        for g in groups {
            let s = u(g, "school") as u32;
            let d = match g.get("district").and_then(Value::as_u64) {
                Some(d) => d as u16,
                None => spec.layout.schools.get(s as usize).map_or(0, |x| x.district),
            };
            let (band, screen, flags, ind) = (list(g, "band"), list(g, "screen"), list(g, "flags"), list(g, "flags_indeterminate"));
            for _ in 0..u(g, "n") {
                c.district.push(d);
                c.school.push(s);
                c.grade.push(u(g, "grade") as u8);
                c.sex.push(u(g, "sex") as u8);
                c.tiers.push(u(g, "tier") as u8);
                for i in 0..k_n {
                    c.band[i].push(band.get(i).copied().unwrap_or(255) as u8);
                    c.screen[i].push(screen.get(i).copied().unwrap_or(0) as u8);
                    c.flags[i].push(flags.get(i).copied().unwrap_or(0));
                    c.flags_indeterminate[i].push(ind.get(i).copied().unwrap_or(0));
                }
            }
        }
        c
    }

    /// Rows `range` as report rows (instrument columns borrowed into `inst`).
    pub fn rows<'a>(&'a self, range: std::ops::Range<usize>, inst: &'a mut Vec<InstrumentRows<'a>>) -> ReportRows<'a> {
        inst.clear();
        for i in 0..self.band.len() {
            inst.push(InstrumentRows {
                band: &self.band[i][range.clone()],
                screen: &self.screen[i][range.clone()],
                flags: &self.flags[i][range.clone()],
                flags_indeterminate: &self.flags_indeterminate[i][range.clone()],
            });
        }
        ReportRows {
            district: &self.district[range.clone()],
            school: &self.school[range.clone()],
            grade: &self.grade[range.clone()],
            sex: &self.sex[range.clone()],
            instruments: inst,
            tiers: &self.tiers[range],
        }
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.school.len()
    }
    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.school.is_empty()
    }
}

/// Aggregate columns in chunks of `chunk` rows, merging the partial aggregates. An error's row
/// counts from the first row of all the columns, not of its chunk (as `docs/golden-vectors.md`
/// asks of a chunked replayer: the core numbers rows within the chunk it was given).
pub fn aggregate(spec: &ReportSpec, cols: &Columns, chunk: usize) -> Result<Aggregate, Error> {
    let mut total = Aggregate::new(spec)?;
    let mut start = 0;
    while start < cols.len() {
        let end = (start + chunk.max(1)).min(cols.len());
        let mut inst = Vec::new();
        let rows = cols.rows(start..end, &mut inst);
        let mut part = Aggregate::new(spec)?;
        part.add(spec, &rows).map_err(|e| match e.row() {
            Some(r) => e.with_row(r + start as u64),
            None => e,
        })?;
        total.merge(&part)?;
        start = end;
    }
    Ok(total)
}

/// Build a vector case's report: `Err(String)` for a malformed case, `Ok(Err(e))` for the engine's error.
pub fn run_case(case: &Value) -> Result<Result<(CityReport, Audit), Error>, String> {
    let spec: ReportSpec = serde_json::from_value(case.get("spec").cloned().ok_or("no spec")?).map_err(|e| format!("spec: {e}"))?;
    let round: Round = serde_json::from_value(case.get("round").cloned().ok_or("no round")?).map_err(|e| format!("round: {e}"))?;
    let settings: Settings = match case.get("settings") {
        Some(s) => serde_json::from_value(s.clone()).map_err(|e| format!("settings: {e}"))?,
        None => Settings::default(),
    };
    let groups = case.get("groups").and_then(Value::as_array).ok_or("no groups")?;
    let cols = Columns::from_groups(&spec, groups);
    let enrolment: Option<Vec<u32>> = case
        .get("enrolment")
        .map(|e| serde_json::from_value(e.clone()))
        .transpose()
        .map_err(|e| format!("enrolment: {e}"))?;
    let agg = match aggregate(&spec, &cols, 7) {
        Ok(a) => a,
        Err(e) => return Ok(Err(e)),
    };
    let prev = match case.get("previous") {
        Some(p) => {
            let r: Round = serde_json::from_value(p.get("round").cloned().ok_or("no previous round")?).map_err(|e| format!("previous round: {e}"))?;
            let pg = p.get("groups").and_then(Value::as_array).ok_or("no previous groups")?;
            match aggregate(&spec, &Columns::from_groups(&spec, pg), 1000) {
                Ok(a) => Some((r, a)),
                Err(e) => return Ok(Err(e)),
            }
        }
        None => None,
    };
    let opts = ReportOptions {
        round,
        suppression: settings,
        enrolment: enrolment.as_deref(),
        previous: prev.as_ref().map(|(r, a)| (r.clone(), a)),
    };
    Ok(city_report_audited(&spec, &agg, &opts))
}
