//! The synthetic city in columns, as the main job (`city_screening`) and the alert benchmark
//! build it: a [`Cohort`]'s answers scored per instrument into alert-engine columns, a few
//! synthetic staff observations and life events as tables, the spring special period for
//! everyone, and the [`City`] that holds it all for later steps (tier tables, the city report).

use crate::cohort::Cohort;
use crate::Lcg;
use changkaixin_core::alert::columnar::{
    evaluate_columns, CohortColumns, ColumnarTiers, LifeEventColumns, ObservationColumns, ScreeningColumns, Times, NO_PERSON,
};
use changkaixin_core::alert::{CompiledPolicy, Person};
use changkaixin_core::instrument::spec::Severity;
use changkaixin_core::scoring::batch::BatchGroups;
use changkaixin_core::scoring::report::InstrumentRef;
use changkaixin_core::{BatchColumns, BatchInput, Catalog, Instrument, Result, Timestamp};
use std::collections::BTreeMap;

/// The MHT-shaped fixture (synthetic key and norms; the licensed MHT key is loaded by the platform).
pub const MHT_SYNTHETIC: &str = include_str!("../../tests/fixtures/mht_synthetic.json");

/// When the city's screening round was completed (2024-03-01 09:00 Asia/Shanghai).
pub const SCREENED_AT: i64 = 1_709_254_800;
/// When tiers are evaluated (2024-03-04 08:00 Asia/Shanghai).
pub const EVALUATED_AT: i64 = 1_709_510_400;

/// Everything the run made, in columns and in one place, for any later step (tier tables, the
/// city report) to read without knowing how tiers were made.
pub struct City<'a> {
    /// Per student (row): district index into [`crate::cohort::DISTRICTS`], school, grade
    /// (4–12), sex (0 male, 1 female), and the answers.
    pub cohort: &'a Cohort,
    /// The screening columns (one batch per instrument: `phq9`, `gad7`, `asq` engine-scored,
    /// `mht` verified against the policy's declaration) and the event tables.
    pub columns: CohortColumns<'a>,
    /// The tier column `tiers.tier[row]` (the policy's tier index: 0 none, 1 watch, 2 key,
    /// 3 crisis), fired rules, due obligations.
    pub tiers: ColumnarTiers,
    /// The policy that decided.
    pub policy: &'a CompiledPolicy,
    /// The evaluation time.
    pub at: Timestamp,
}

impl City<'_> {
    /// The batch columns of one instrument (`phq9`, `gad7`, `asq`, `mht`).
    pub fn instrument(&self, id: &str) -> Option<&BatchColumns> {
        self.columns
            .screenings()
            .iter()
            .find(|s| s.instrument().id == id)
            .map(ScreeningColumns::columns)
    }
}

fn reference(i: &Instrument) -> InstrumentRef {
    InstrumentRef {
        id: i.id().to_owned(),
        version: i.version().to_owned(),
        settings: BTreeMap::new(),
    }
}

/// Score one catalog instrument's answers (`items` per row, -1 = missing) into engine columns.
pub fn score<'a>(policy: &CompiledPolicy, id: &str, codes: &'a [i8], items: usize) -> Result<ScreeningColumns<'a>> {
    let inst = Catalog::builtin().instrument(id)?;
    ScreeningColumns::score(policy, &reference(&inst), BatchInput::new(codes, items, -1), Times::Same(SCREENED_AT))
}

/// Score the MHT-shaped fixture (norms by grade × sex) into its full columns.
pub fn score_mht(c: &Cohort, mht: &Instrument) -> Result<BatchColumns> {
    let groups: Vec<BTreeMap<String, String>> = (4..=12u8)
        .flat_map(|g| ["M", "F"].map(|s| BTreeMap::from([("grade".to_string(), g.to_string()), ("sex".to_string(), s.to_string())])))
        .collect();
    let row_group: Vec<u32> = c.grade.iter().zip(&c.sex).map(|(g, s)| u32::from(g - 4) * 2 + u32::from(*s)).collect();
    let mut input = BatchInput::new(&c.mht, 100, -1);
    input.groups = Some(BatchGroups {
        row_group: &row_group,
        groups: &groups,
    });
    mht.score_batch(&input)
}

/// The MHT-shaped columns reduced to the interface the policy declares for the external
/// instrument `mht` (scales `total` and `lie`, flag `total_high`) — what the platform's licensed
/// key reports, the synthetic key standing in — and verified against that declaration.
pub fn mht_columns(policy: &CompiledPolicy, out: &BatchColumns, spec: &Instrument) -> Result<ScreeningColumns<'static>> {
    let keep_scales = ["total", "lie"];
    let keep_flags = ["total_high"];
    let scales: Vec<_> = out.scales.iter().filter(|s| keep_scales.contains(&s.id.as_str())).cloned().collect();
    let severities: Vec<Vec<Severity>> = scales
        .iter()
        .map(|s| {
            let mut v = vec![Severity::None; s.band_ids.len()];
            for b in spec.spec().scales.iter().filter(|x| x.id == s.id).flat_map(|x| &x.bands) {
                if let Some(x) = v.get_mut(b.index as usize) {
                    *x = b.severity;
                }
            }
            v
        })
        .collect();
    let bits: Vec<usize> = keep_flags.iter().filter_map(|f| out.flag_ids.iter().position(|x| x == f)).collect();
    let remap = |w: u64| bits.iter().enumerate().fold(0u64, |m, (k, b)| m | (w >> b & 1) << k);
    let cols = BatchColumns {
        n_rows: out.n_rows,
        scales,
        flag_ids: keep_flags.iter().map(|f| f.to_string()).collect(),
        flags: out.flags.iter().map(|w| remap(*w)).collect(),
        flags_indeterminate: out.flags_indeterminate.iter().map(|w| remap(*w)).collect(),
        validity: out.validity.clone(),
        screen: out.screen.clone(),
        verdicts: None,
    };
    let mht = InstrumentRef {
        id: "mht".into(),
        version: spec.version().to_owned(),
        settings: BTreeMap::new(),
    };
    ScreeningColumns::external(policy, &mht, cols, &severities, Times::Same(SCREENED_AT))
}

/// A few synthetic staff observations (2 % a concern on 2024-02-28, 0.3 % self-harm seen on
/// 2024-03-02) and life events (3 %, 2024-01-20), the same draws for the same `n` on every run.
pub fn event_tables(policy: &CompiledPolicy, n: usize) -> (ObservationColumns, LifeEventColumns) {
    let (mut obs, mut life) = (ObservationColumns::default(), LifeEventColumns::default());
    let observed = 1_709_103_600; // 2024-02-28T15:00:00+08:00
    let self_harm_seen = 1_709_344_800; // 2024-03-02T10:00:00+08:00
    let event_at = 1_705_680_000; // 2024-01-20T00:00:00+08:00
    let code = |id: &str| policy.observation_category_code(id).unwrap_or(0);
    let kind = |id: &str| policy.life_event_kind_code(id).unwrap_or(0);
    let mut g = Lcg::new(99);
    for r in 0..n as u32 {
        if g.below(100) < 2 {
            let cat = ["withdrawal", "sudden_decline", "aggression", "mood_change"][g.below(4) as usize];
            obs.student.push(r);
            obs.category.push(code(cat));
            obs.at.push(observed);
            obs.by.push(0);
        }
        if g.below(1000) < 3 {
            obs.student.push(r);
            obs.category.push(code("self_harm"));
            obs.at.push(self_harm_seen);
            obs.by.push(0);
        }
        if g.below(100) < 3 {
            let k = ["bereavement", "family_breakdown", "left_behind", "bullying_victim"][g.below(4) as usize];
            life.student.push(r);
            life.kind.push(kind(k));
            life.at.push(event_at);
            life.reported_by.push(NO_PERSON);
        }
    }
    (obs, life)
}

/// The cohort's columns for the alert engine: the screening batches, the event tables, one
/// (synthetic) head teacher as observer, and the spring term (2024-02-26 to 2024-04-30) for all.
pub fn cohort_columns<'a>(
    policy: &CompiledPolicy,
    n: usize,
    screenings: Vec<ScreeningColumns<'a>>,
    tables: (ObservationColumns, LifeEventColumns),
) -> Result<CohortColumns<'a>> {
    let teacher = Person {
        name: "班主任 (synthetic)".into(),
        role: "head_teacher".into(),
    };
    let mut c = CohortColumns::new(policy, n).with_numbered_ids("s-", 6).with_people(vec![teacher], policy)?;
    for s in screenings {
        c = c.with_screening(s)?;
    }
    let spring = policy.special_period_code("spring").unwrap_or(0);
    c.with_observations(tables.0)?.with_life_events(tables.1)?.with_period_for_all(
        spring,
        Timestamp::from_unix(1_708_876_800),
        Timestamp::from_unix(1_714_406_400),
    )
}

/// The whole pipeline without printing: score the four instruments, build the tables, tier
/// everyone (used by the alert benchmark; the main job does the same step by step, timed).
pub fn run<'a>(policy: &'a CompiledPolicy, c: &'a Cohort, mht: &Instrument) -> Result<City<'a>> {
    let screenings = vec![
        score(policy, "phq9", &c.phq9, 10)?,
        score(policy, "gad7", &c.gad7, 7)?,
        score(policy, "asq", &c.asq, 5)?,
        mht_columns(policy, &score_mht(c, mht)?, mht)?,
    ];
    let columns = cohort_columns(policy, c.n, screenings, event_tables(policy, c.n))?;
    let at = Timestamp::from_unix(EVALUATED_AT);
    let tiers = evaluate_columns(policy, &columns, at)?;
    Ok(City {
        cohort: c,
        columns,
        tiers,
        policy,
        at,
    })
}
