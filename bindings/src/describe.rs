//! `Instrument.describe()`: the core's `InstrumentDescription` as typed records (each item's code
//! table with option ids and scored values, scales with ranges and bands, flags, the screen rule),
//! and `describeText()`, the core's stable text rendering (the same text in every binding).

use crate::instrument::Instrument;
use changkaixin_core::decimal::Dec;
use changkaixin_core::instrument::describe as core;
use changkaixin_core::instrument::spec::{FlagLevel, Localized};
use std::collections::HashMap;

/// What an instrument expects and computes (core `InstrumentDescription`).
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct InstrumentDescription {
    pub id: String,
    pub version: String,
    pub name: Localized,
    /// The setting options in effect.
    pub settings: HashMap<String, String>,
    /// Items in printed order, each with its code table.
    pub items: Vec<ItemDescription>,
    pub scales: Vec<ScaleDescription>,
    pub flags: Vec<FlagDescription>,
    /// The screen-positive rule in words, where the instrument defines one.
    pub screen_positive: Option<String>,
}

/// One item and its code table.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct ItemDescription {
    pub number: u32,
    pub id: String,
    pub scored: bool,
    /// Reverse-scored in the spec (the `value` column already shows the result).
    pub reverse: bool,
    /// Skip logic in words (`item 2 == 1`), when the item is asked only sometimes.
    pub asked_if: Option<String>,
    /// The code table in printed order.
    pub options: Vec<OptionDescription>,
}

/// One row of a code table.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct OptionDescription {
    /// The code an answer carries.
    pub code: i64,
    /// The stable option id (`Answer.OptionId` takes it).
    pub id: String,
    /// The scored value for this item (after reversal).
    pub value: i32,
    pub label: Option<Localized>,
}

/// One scale.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct ScaleDescription {
    pub id: String,
    pub name: Localized,
    /// How it is computed, in words (`sum of items 1-9`).
    pub aggregate: String,
    /// The missing-data rule in words.
    pub missing: String,
    pub min: Dec,
    pub max: Dec,
    /// Bands as `id (boundaries)`.
    pub bands: Vec<String>,
}

/// One flag.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct FlagDescription {
    pub id: String,
    pub level: FlagLevel,
    /// When it fires, in words.
    pub when: String,
}

impl From<core::InstrumentDescription> for InstrumentDescription {
    fn from(d: core::InstrumentDescription) -> Self {
        InstrumentDescription {
            id: d.id,
            version: d.version,
            name: d.name,
            settings: d.settings.into_iter().collect(),
            items: d
                .items
                .into_iter()
                .map(|i| ItemDescription {
                    number: i.number,
                    id: i.id,
                    scored: i.scored,
                    reverse: i.reverse,
                    asked_if: i.asked_if,
                    options: i
                        .options
                        .into_iter()
                        .map(|o| OptionDescription {
                            code: o.code,
                            id: o.id,
                            value: o.value,
                            label: o.label,
                        })
                        .collect(),
                })
                .collect(),
            scales: d
                .scales
                .into_iter()
                .map(|s| ScaleDescription {
                    id: s.id,
                    name: s.name,
                    aggregate: s.aggregate,
                    missing: s.missing,
                    min: s.min,
                    max: s.max,
                    bands: s.bands,
                })
                .collect(),
            flags: d
                .flags
                .into_iter()
                .map(|f| FlagDescription {
                    id: f.id,
                    level: f.level,
                    when: f.when,
                })
                .collect(),
            screen_positive: d.screen_positive,
        }
    }
}

#[uniffi::export]
impl Instrument {
    /// Every item's code table (code, option id, scored value, label), the scales with their ranges
    /// and bands, the flags and the screen rule, as typed records.
    pub fn describe(&self) -> InstrumentDescription {
        self.inner.describe().into()
    }
    /// The core's stable plain-text rendering of [`Instrument::describe`] (same text in every binding).
    pub fn describe_text(&self) -> String {
        self.inner.describe().to_string()
    }
}
