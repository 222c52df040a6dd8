//! Instruments: the spec format ([`spec`]), lint and compilation ([`compile`]),
//! and the built-in [`catalog`].
//!
//! Data flows one way: JSON → [`spec::InstrumentSpec`] → settings applied →
//! lint + compile into a flat [`crate::scoring::plan::Plan`] → scoring. After
//! [`Instrument::from_json`] succeeds, scoring cannot meet a dangling reference.

pub mod catalog;
pub mod compile;
pub mod describe;
pub mod spec;
#[cfg(test)]
mod tests;

use crate::error::{excerpt, excerpt_raw, Error, ErrorCode, Result};
use crate::scoring::plan::Plan;
use spec::{InstrumentSpec, SpecPatch, INSTRUMENT_FORMAT};
use std::collections::BTreeMap;
use std::sync::Arc;

/// A linted, compiled instrument, ready to score. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Instrument {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// The spec as written (before settings), for export and re-configuration.
    source: InstrumentSpec,
    /// The spec with the chosen settings applied (what the plan was compiled from).
    resolved: InstrumentSpec,
    settings: BTreeMap<String, String>,
    plan: Plan,
}

impl PartialEq for Instrument {
    fn eq(&self, other: &Self) -> bool {
        self.inner.resolved == other.inner.resolved && self.inner.settings == other.inner.settings
    }
}

impl Instrument {
    /// Parse, lint and compile a spec with its default settings.
    ///
    /// ```
    /// use changkaixin_core::Instrument;
    /// let err = Instrument::from_json("{\"format\": \"nope\"}").unwrap_err();
    /// assert_eq!(err.code(), "spec.parse");
    /// ```
    pub fn from_json(json: &str) -> Result<Instrument> {
        Instrument::from_json_with(json, &BTreeMap::new())
    }

    /// Parse, lint and compile a spec, choosing setting options by id (others take their defaults).
    pub fn from_json_with(json: &str, settings: &BTreeMap<String, String>) -> Result<Instrument> {
        let spec = parse_spec(json)?;
        Instrument::from_spec_with(spec, settings)
    }

    /// Lint and compile an already-parsed spec with default settings.
    pub fn from_spec(spec: InstrumentSpec) -> Result<Instrument> {
        Instrument::from_spec_with(spec, &BTreeMap::new())
    }

    /// Lint and compile an already-parsed spec, choosing setting options.
    ///
    /// The resource limits of [`crate::limits`] are checked first — condition depth iteratively,
    /// before anything recurses over the spec or clones it — so a hostile spec (a condition tree
    /// nested 100,000 deep built through this API, scales whose value range doubles with every
    /// scale) is refused with `spec.limit_exceeded` instead of exhausting the stack or memory.
    pub fn from_spec_with(spec: InstrumentSpec, settings: &BTreeMap<String, String>) -> Result<Instrument> {
        if spec.format != INSTRUMENT_FORMAT {
            return Err(Error::new(
                ErrorCode::SpecUnsupportedFormat,
                "/format",
                format!("expected {INSTRUMENT_FORMAT:?}, found {}", excerpt(&spec.format)),
            ));
        }
        compile::check_limits(&spec)?;
        compile::lint_settings(&spec)?;
        // The spec as written must be valid on its own, even where a setting replaces a part of it.
        compile::compile(&spec)?;
        let (resolved, chosen) = apply_settings(&spec, settings)?;
        let plan = compile::compile(&resolved)?;
        // Every option of every setting must also compile: a spec whose non-default
        // option is broken is rejected up front rather than when someone picks it.
        for (si, s) in spec.settings.iter().enumerate() {
            for (oi, o) in s.options.iter().enumerate() {
                if chosen.get(&s.id) == Some(&o.id) {
                    continue;
                }
                let mut alt = chosen.clone();
                alt.insert(s.id.clone(), o.id.clone());
                let (alt_spec, _) = apply_settings(&spec, &alt)?;
                compile::compile(&alt_spec).map_err(|e| e.prefixed(&format!("/settings/{si}/options/{oi}/patch (applied) ")))?;
            }
        }
        Ok(Instrument {
            inner: Arc::new(Inner {
                source: spec,
                resolved,
                settings: chosen,
                plan,
            }),
        })
    }

    /// The same instrument with other setting options.
    pub fn with_settings(&self, settings: &BTreeMap<String, String>) -> Result<Instrument> {
        let mut merged = self.inner.settings.clone();
        merged.extend(settings.iter().map(|(k, v)| (k.clone(), v.clone())));
        Instrument::from_spec_with(self.inner.source.clone(), &merged)
    }

    /// Instrument id.
    pub fn id(&self) -> &str {
        &self.inner.resolved.id
    }
    /// Spec version.
    pub fn version(&self) -> &str {
        &self.inner.resolved.version
    }
    /// The spec with the chosen settings applied.
    pub fn spec(&self) -> &InstrumentSpec {
        &self.inner.resolved
    }
    /// The spec as written, before settings.
    pub fn source_spec(&self) -> &InstrumentSpec {
        &self.inner.source
    }
    /// The setting options in effect.
    pub fn settings(&self) -> &BTreeMap<String, String> {
        &self.inner.settings
    }
    /// The resolved spec as canonical JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(&self.inner.resolved).unwrap_or_default()
    }
    /// The range a scale's raw value can take when complete, as exact `(min, max)` decimals
    /// rounded to the scale's report decimals (e.g. PHQ-9 total: `("0", "27")`).
    pub fn scale_range(&self, scale_id: &str) -> Option<(crate::Dec, crate::Dec)> {
        let sc = self.inner.plan.scales.iter().find(|s| s.id == scale_id)?;
        let den = sc.den.max(1);
        let lo = crate::Ratio::new(sc.sum_min, den).round_to_dec(sc.decimals, crate::Rounding::Floor);
        let hi = crate::Ratio::new(sc.sum_max, den).round_to_dec(sc.decimals, crate::Rounding::Ceil);
        Some((lo, hi))
    }
    /// Number of items.
    pub fn item_count(&self) -> usize {
        self.inner.plan.items.len()
    }
    /// Option codes of an item (by 1-based number), ascending.
    pub fn option_codes(&self, item: u32) -> Option<Vec<i64>> {
        let it = self.inner.plan.items.get((item as usize).checked_sub(1)?)?;
        Some((0..crate::scoring::plan::CODE_SLOTS as i64).filter(|c| it.value_of(*c).is_some()).collect())
    }
    /// The scored value of an option code of an item (after reversal), if the code is an option.
    pub fn option_value(&self, item: u32, code: i64) -> Option<i32> {
        self.inner.plan.items.get((item as usize).checked_sub(1)?)?.value_of(code)
    }
    pub(crate) fn plan(&self) -> &Plan {
        &self.inner.plan
    }
}

/// Parse spec JSON into its serde shape (no lint).
pub fn parse_spec(json: &str) -> Result<InstrumentSpec> {
    serde_json::from_str(json).map_err(|e| Error::from_json(ErrorCode::SpecParse, &e))
}

/// Apply setting choices (defaults for those not chosen) and return the resolved spec.
fn apply_settings(spec: &InstrumentSpec, choices: &BTreeMap<String, String>) -> Result<(InstrumentSpec, BTreeMap<String, String>)> {
    for key in choices.keys() {
        if !spec.settings.iter().any(|s| &s.id == key) {
            return Err(Error::new(
                ErrorCode::SpecUnknownSetting,
                format!("/settings/{}", excerpt_raw(key)),
                format!(
                    "instrument {} has no setting {} (it has: {})",
                    spec.id,
                    excerpt(key),
                    spec.settings.iter().map(|s| s.id.as_str()).collect::<Vec<_>>().join(", ")
                ),
            ));
        }
    }
    let mut out = spec.clone();
    let mut chosen = BTreeMap::new();
    for (si, s) in spec.settings.iter().enumerate() {
        let pick = choices.get(&s.id).unwrap_or(&s.default);
        let Some(opt) = s.options.iter().find(|o| &o.id == pick) else {
            return Err(Error::new(
                ErrorCode::SpecUnknownSetting,
                format!("/settings/{si}"),
                format!(
                    "setting {:?} has no option {} (options: {})",
                    s.id,
                    excerpt(pick),
                    s.options.iter().map(|o| o.id.as_str()).collect::<Vec<_>>().join(", ")
                ),
            ));
        };
        apply_patch(&mut out, &opt.patch, &format!("/settings/{si}/options/{}", excerpt_raw(&opt.id)))?;
        chosen.insert(s.id.clone(), opt.id.clone());
    }
    Ok((out, chosen))
}

fn apply_patch(spec: &mut InstrumentSpec, patch: &SpecPatch, path: &str) -> Result<()> {
    if let Some(items) = &patch.items {
        spec.items = items.clone();
    }
    for (id, sp) in &patch.scales {
        let Some(scale) = spec.scales.iter_mut().find(|s| &s.id == id) else {
            return Err(Error::new(
                ErrorCode::SpecUnknownSetting,
                format!("{path}/patch/scales/{}", excerpt_raw(id)),
                format!("patch names scale {}, which the spec does not define", excerpt(id)),
            ));
        };
        if let Some(b) = &sp.bands {
            scale.bands = b.clone();
        }
        if let Some(c) = sp.band_coverage {
            scale.band_coverage = c;
        }
        if let Some(m) = &sp.missing {
            scale.missing = m.clone();
        }
        if let Some(b) = sp.bands_on {
            scale.bands_on = b;
        }
        if let Some(a) = &sp.aggregate {
            scale.aggregate = a.clone();
        }
    }
    for (id, fp) in &patch.flags {
        let Some(flag) = spec.flags.iter_mut().find(|f| &f.id == id) else {
            return Err(Error::new(
                ErrorCode::SpecUnknownSetting,
                format!("{path}/patch/flags/{}", excerpt_raw(id)),
                format!("patch names flag {}, which the spec does not define", excerpt(id)),
            ));
        };
        if let Some(w) = &fp.when {
            flag.when = w.clone();
        }
        if let Some(r) = &fp.reason {
            flag.reason = r.clone();
        }
        if let Some(s) = &fp.source {
            flag.source = s.clone();
        }
    }
    if let Some(sp) = &patch.screen_positive {
        spec.screen_positive = Some(sp.clone());
    }
    Ok(())
}
