//! The catalog and compiled instruments as UniFFI objects, and a typed summary of a spec
//! ([`InstrumentInfo`]) with what an app needs to render a questionnaire and explain a result.
//! The full spec (condition trees and all) is available as JSON through [`Instrument::spec_json`].

use crate::error::{guard, FfiResult};
use crate::report::{Answer, Response, ScoreReport};
use changkaixin_core::decimal::Dec;
use changkaixin_core::instrument::spec::{self as core_spec, FlagLevel, Localized, ScaleKind, Severity};
use changkaixin_core::{Answer as CoreAnswer, Catalog as CoreCatalog, Instrument as CoreInstrument};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// A set of compiled instruments keyed by id (core `Catalog`). `Catalog.builtin()` gives the 16
/// built-in specs; `withInstrument` adds a platform's own (e.g. a licensed key).
#[derive(uniffi::Object)]
pub struct Catalog {
    inner: CoreCatalog,
}

#[uniffi::export]
impl Catalog {
    /// The built-in catalog (compiled once per process, shared).
    #[uniffi::constructor]
    pub fn builtin() -> Arc<Catalog> {
        Arc::new(Catalog {
            inner: CoreCatalog::builtin().clone(),
        })
    }
    /// An empty catalog.
    #[uniffi::constructor]
    pub fn empty() -> Arc<Catalog> {
        Arc::new(Catalog { inner: CoreCatalog::empty() })
    }
    /// A copy of this catalog with one more (or a replaced) instrument.
    pub fn with_instrument(&self, instrument: Arc<Instrument>) -> Arc<Catalog> {
        Arc::new(Catalog {
            inner: self.inner.with_instrument(instrument.inner.clone()),
        })
    }
    /// Instrument ids, sorted.
    pub fn ids(&self) -> Vec<String> {
        self.inner.ids().map(str::to_owned).collect()
    }
    /// The instrument with this id and its default settings (`catalog.unknown_instrument` otherwise).
    pub fn instrument(&self, id: String) -> FfiResult<Arc<Instrument>> {
        guard(|| Ok(Instrument::wrap(self.inner.instrument(&id)?)))
    }
    /// Verify a score report (e.g. one received from a client or a server) against this catalog:
    /// known instrument and version, settings known, every value within its scale's range, bands,
    /// flags and screen verdict consistent with the values. Errors are `evidence.*` codes with a
    /// path into the report (`/instrument/id`, `/scales/0/raw`, `/flags`).
    pub fn verify_report(&self, report: ScoreReport) -> FfiResult<()> {
        guard(|| Ok(self.inner.verify_report(&report.into())?))
    }
    /// The instrument with this id and the given setting options (`setting id → option id`).
    pub fn instrument_with(&self, id: String, settings: HashMap<String, String>) -> FfiResult<Arc<Instrument>> {
        guard(|| Ok(Instrument::wrap(self.inner.instrument_with(&id, &settings.into_iter().collect())?)))
    }
}

/// A linted, compiled instrument, ready to score (core `Instrument`).
#[derive(uniffi::Object)]
pub struct Instrument {
    pub(crate) inner: CoreInstrument,
}

impl Catalog {
    pub(crate) fn core(&self) -> &CoreCatalog {
        &self.inner
    }
}

impl Instrument {
    pub(crate) fn wrap(inner: CoreInstrument) -> Arc<Instrument> {
        Arc::new(Instrument { inner })
    }
}

#[uniffi::export]
impl Instrument {
    /// Parse, lint and compile a spec (`changkaixin.instrument/1` JSON), choosing setting options.
    #[uniffi::constructor]
    pub fn from_json(json: String, settings: HashMap<String, String>) -> FfiResult<Arc<Instrument>> {
        guard(|| Ok(Instrument::wrap(CoreInstrument::from_json_with(&json, &sorted(settings))?)))
    }
    /// Import a FHIR R4 `Questionnaire` and compile it into an instrument.
    #[uniffi::constructor]
    pub fn from_fhir_questionnaire(json: String) -> FfiResult<Arc<Instrument>> {
        guard(|| {
            Ok(Instrument::wrap(CoreInstrument::from_spec(changkaixin_core::fhir::import_questionnaire(
                &json,
            )?)?))
        })
    }
    /// The same instrument with other setting options.
    pub fn with_settings(&self, settings: HashMap<String, String>) -> FfiResult<Arc<Instrument>> {
        guard(|| Ok(Instrument::wrap(self.inner.with_settings(&sorted(settings))?)))
    }
    /// Instrument id, e.g. `phq9`.
    pub fn id(&self) -> String {
        self.inner.id().to_owned()
    }
    /// Spec version.
    pub fn version(&self) -> String {
        self.inner.version().to_owned()
    }
    /// The setting options in effect.
    pub fn settings(&self) -> HashMap<String, String> {
        self.inner.settings().clone().into_iter().collect()
    }
    /// A typed summary of the spec (with the chosen settings applied).
    pub fn info(&self) -> InstrumentInfo {
        InstrumentInfo::from_spec(self.inner.spec(), self.inner.settings())
    }
    /// Number of items.
    pub fn item_count(&self) -> u32 {
        u32::try_from(self.inner.item_count()).unwrap_or(u32::MAX)
    }
    /// Option codes of an item (by 1-based number), ascending, with named option sets resolved.
    pub fn option_codes(&self, item: u32) -> Option<Vec<i64>> {
        self.inner.option_codes(item)
    }
    /// The scored value of an option code of an item (after reversal), if the code is an option.
    pub fn option_value(&self, item: u32, code: i64) -> Option<i32> {
        self.inner.option_value(item, code)
    }
    /// The range a scale's raw value can take when complete (e.g. PHQ-9 total: 0 to 27).
    pub fn scale_range(&self, scale_id: String) -> Option<ScaleRange> {
        self.inner.scale_range(&scale_id).map(|(min, max)| ScaleRange { min, max })
    }
    /// The resolved spec as canonical JSON (the full format, `docs/instrument-format.md`).
    pub fn spec_json(&self) -> String {
        self.inner.to_json()
    }

    /// Verify a report against this instrument (see `Catalog.verifyReport`; paths into the report).
    pub fn verify_report(&self, report: ScoreReport) -> FfiResult<()> {
        guard(|| Ok(self.inner.verify_report(&report.into())?))
    }
    /// Score one response. An unknown item, a code that is not an option or an item answered twice
    /// is a `ChangkaixinError.Score` naming the item, never a silent zero.
    pub fn score(&self, response: Response) -> FfiResult<ScoreReport> {
        guard(|| Ok(self.inner.score(&response.into())?.into()))
    }
    /// Score answers given in item order: one entry per item, or exactly one entry per **scored**
    /// item (nine values for the PHQ-9, whose item 10 is unscored; unscored items are then missing).
    pub fn score_answers(&self, answers: Vec<Answer>) -> FfiResult<ScoreReport> {
        guard(|| {
            let answers: Vec<CoreAnswer> = answers.into_iter().map(Into::into).collect();
            Ok(self.inner.score_answers(&answers)?.into())
        })
    }
    /// Score a response given as JSON (the core `Response` shape); the report comes back typed.
    pub fn score_json(&self, response_json: String) -> FfiResult<ScoreReport> {
        guard(|| Ok(self.inner.score_json(&response_json)?.into()))
    }
    /// JSON in, canonical report JSON out: for replaying stored vectors or relaying to a server.
    pub fn score_json_to_json(&self, response_json: String) -> FfiResult<String> {
        guard(|| Ok(self.inner.score_json(&response_json)?.to_json()))
    }
}

fn sorted(m: HashMap<String, String>) -> BTreeMap<String, String> {
    m.into_iter().collect()
}

/// The exact range of a scale's raw value, rounded to its report decimals.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct ScaleRange {
    pub min: Dec,
    pub max: Dec,
}

/// A typed summary of an instrument spec.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct InstrumentInfo {
    pub id: String,
    pub version: String,
    pub name: Localized,
    pub citation: String,
    pub license: LicenseInfo,
    pub age_min_years: Option<u32>,
    pub age_max_years: Option<u32>,
    pub recall_period: Option<String>,
    pub notes: Vec<String>,
    /// Named option sets that items refer to ([`ItemOptions::Named`]).
    pub option_sets: HashMap<String, Vec<OptionInfo>>,
    pub items: Vec<ItemInfo>,
    pub scales: Vec<ScaleInfo>,
    pub flags: Vec<FlagInfo>,
    pub settings: Vec<SettingInfo>,
    /// The setting options in effect.
    pub chosen_settings: HashMap<String, String>,
}

/// Licence of an instrument and its item texts.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct LicenseInfo {
    pub id: String,
    pub text: String,
    pub item_texts: bool,
}

/// One response option.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct OptionInfo {
    /// The stable option id (LOINC answer code or slug; `Answer.OptionId` takes it).
    pub id: String,
    pub code: i64,
    pub value: i32,
    pub label: Option<Localized>,
}

/// An item's options: the name of an entry of `option_sets`, or an inline list.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum ItemOptions {
    Named { name: String },
    Inline { options: Vec<OptionInfo> },
}

/// One item.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct ItemInfo {
    pub number: u32,
    pub id: String,
    pub text: Option<Localized>,
    pub options: ItemOptions,
    pub reverse: bool,
    pub scored: bool,
    pub fhir_link_id: Option<String>,
}

/// What a scale counts in.
#[uniffi::remote(Enum)]
pub enum ScaleKind {
    Total,
    Subscale,
    Factor,
    Validity,
    Index,
}

/// A scale and its bands.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct ScaleInfo {
    pub id: String,
    pub name: Localized,
    pub kind: ScaleKind,
    pub report_decimals: Option<u32>,
    pub bands: Vec<BandInfo>,
    pub source: Option<String>,
}

/// A band with its boundaries (exact decimals as strings).
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct BandInfo {
    pub id: String,
    pub label: Localized,
    pub index: u32,
    pub severity: Severity,
    pub min: Option<Dec>,
    pub min_inclusive: bool,
    pub max: Option<Dec>,
    pub max_inclusive: bool,
    pub source: Option<String>,
}

/// A flag the instrument can raise.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct FlagInfo {
    pub id: String,
    pub label: Localized,
    pub level: FlagLevel,
    pub reason: Localized,
    pub source: String,
}

/// A named setting (where sources disagree) and its options.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct SettingInfo {
    pub id: String,
    pub description: String,
    pub default_option: String,
    pub default_rationale: String,
    pub options: Vec<SettingOptionInfo>,
}

/// One option of a setting.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct SettingOptionInfo {
    pub id: String,
    pub description: String,
}

fn option_info(o: &core_spec::OptionSpec) -> OptionInfo {
    OptionInfo {
        id: o.effective_id(),
        code: o.code,
        value: o.value,
        label: o.label.clone(),
    }
}

impl InstrumentInfo {
    fn from_spec(s: &core_spec::InstrumentSpec, chosen: &BTreeMap<String, String>) -> InstrumentInfo {
        InstrumentInfo {
            id: s.id.clone(),
            version: s.version.clone(),
            name: s.name.clone(),
            citation: s.citation.clone(),
            license: LicenseInfo {
                id: s.license.id.clone(),
                text: s.license.text.clone(),
                item_texts: s.license.item_texts,
            },
            age_min_years: s.age_range.as_ref().and_then(|a| a.min_years),
            age_max_years: s.age_range.as_ref().and_then(|a| a.max_years),
            recall_period: s.recall_period.clone(),
            notes: s.notes.clone(),
            option_sets: s.option_sets.iter().map(|(k, v)| (k.clone(), v.iter().map(option_info).collect())).collect(),
            items: s
                .items
                .iter()
                .map(|it| ItemInfo {
                    number: it.number,
                    id: it.id.clone(),
                    text: it.text.clone(),
                    options: match &it.options {
                        core_spec::OptionsRef::Named(name) => ItemOptions::Named { name: name.clone() },
                        core_spec::OptionsRef::Inline(v) => ItemOptions::Inline {
                            options: v.iter().map(option_info).collect(),
                        },
                    },
                    reverse: it.reverse,
                    scored: it.scored,
                    fhir_link_id: it.fhir.as_ref().map(|f| f.link_id.clone()),
                })
                .collect(),
            scales: s
                .scales
                .iter()
                .map(|sc| ScaleInfo {
                    id: sc.id.clone(),
                    name: sc.name.clone(),
                    kind: sc.kind,
                    report_decimals: sc.report_decimals,
                    bands: sc
                        .bands
                        .iter()
                        .map(|b| BandInfo {
                            id: b.id.clone(),
                            label: b.label.clone(),
                            index: b.index,
                            severity: b.severity,
                            min: b.min,
                            min_inclusive: b.min_inclusive,
                            max: b.max,
                            max_inclusive: b.max_inclusive,
                            source: b.source.clone(),
                        })
                        .collect(),
                    source: sc.source.clone(),
                })
                .collect(),
            flags: s
                .flags
                .iter()
                .map(|f| FlagInfo {
                    id: f.id.clone(),
                    label: f.label.clone(),
                    level: f.level,
                    reason: f.reason.clone(),
                    source: f.source.clone(),
                })
                .collect(),
            settings: s
                .settings
                .iter()
                .map(|st| SettingInfo {
                    id: st.id.clone(),
                    description: st.description.clone(),
                    default_option: st.default.clone(),
                    default_rationale: st.default_rationale.clone(),
                    options: st
                        .options
                        .iter()
                        .map(|o| SettingOptionInfo {
                            id: o.id.clone(),
                            description: o.description.clone(),
                        })
                        .collect(),
                })
                .collect(),
            chosen_settings: chosen.clone().into_iter().collect(),
        }
    }
}
