//! [`Instrument::describe`]: what an instrument expects and computes, as data and as stable text.
//!
//! The part users need most is each item's **code table**: which code (and which stable option
//! id) means which answer and which scored value. Two built-in instruments (RSES, DSRSC) number
//! their options in printed order, the reverse of the "as ticked" numbering many exports use, so a
//! code table is the first thing to check before scoring someone else's data (or declare a
//! [`crate::scoring::recode::CodeMapSpec`]). Bindings show the text in `repr`/docs.

use crate::decimal::Dec;
use crate::instrument::spec::{FlagLevel, Localized};
use crate::instrument::Instrument;
use crate::scoring::plan::{AggPlan, MissingPlan};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// An instrument's items with their code tables, its scales, flags and screen rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstrumentDescription {
    /// Instrument id.
    pub id: String,
    /// Spec version.
    pub version: String,
    /// Instrument name.
    pub name: Localized,
    /// The setting options in effect.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub settings: BTreeMap<String, String>,
    /// Items in printed order.
    pub items: Vec<ItemDescription>,
    /// Scales in spec order.
    pub scales: Vec<ScaleDescription>,
    /// Flags in spec order.
    pub flags: Vec<FlagDescription>,
    /// The screen-positive rule in words, where the instrument defines one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub screen_positive: Option<String>,
}

/// One item and its code table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemDescription {
    /// Printed item number.
    pub number: u32,
    /// Item id.
    pub id: String,
    /// Whether the item counts towards scales.
    pub scored: bool,
    /// Whether the spec marks it reverse-scored (the `value` column already shows the result).
    pub reverse: bool,
    /// Skip logic in words (`item 2 == 1`), when the item is asked only sometimes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asked_if: Option<String>,
    /// The code table, in the spec's option order (printed order).
    pub options: Vec<OptionDescription>,
}

/// One row of a code table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OptionDescription {
    /// The code an answer carries.
    pub code: i64,
    /// The stable option id (answers may give it instead of the code).
    pub id: String,
    /// The scored value of this option for this item (after reversal).
    pub value: i32,
    /// The option's label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<Localized>,
}

/// One scale.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScaleDescription {
    /// Scale id.
    pub id: String,
    /// Scale name.
    pub name: Localized,
    /// How it is computed, in words (`sum of items 1-9`).
    pub aggregate: String,
    /// The missing-data rule in words.
    pub missing: String,
    /// Smallest raw value when complete.
    pub min: Dec,
    /// Largest raw value when complete.
    pub max: Dec,
    /// Bands as `id (boundaries)`, in spec order.
    pub bands: Vec<String>,
}

/// One flag.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlagDescription {
    /// Flag id.
    pub id: String,
    /// Level.
    pub level: FlagLevel,
    /// When it fires, in words.
    pub when: String,
}

/// `1-9`, `2, 5, 6, 8, 9`, `1-3, 7`.
fn compact(ns: &[u32]) -> String {
    let mut parts = Vec::new();
    let mut i = 0;
    while i < ns.len() {
        let mut j = i;
        while j + 1 < ns.len() && ns[j + 1] == ns[j] + 1 {
            j += 1;
        }
        parts.push(if j >= i + 2 {
            format!("{}-{}", ns[i], ns[j])
        } else if j == i + 1 {
            format!("{}, {}", ns[i], ns[j])
        } else {
            ns[i].to_string()
        });
        i = j + 1;
    }
    parts.join(", ")
}

fn items_words(ns: &[u32]) -> String {
    if ns.len() == 1 {
        format!("item {}", ns[0])
    } else {
        format!("items {}", compact(ns))
    }
}

fn label_text(l: &Option<Localized>) -> String {
    match l {
        None => String::new(),
        Some(l) => match (l.en.as_deref(), l.zh.as_deref()) {
            (Some(en), Some(zh)) => format!("{en} / {zh}"),
            (Some(t), None) | (None, Some(t)) => t.to_owned(),
            (None, None) => String::new(),
        },
    }
}

impl Instrument {
    /// What this instrument expects and computes: every item's code table (code, option id,
    /// scored value, label), the scales with their ranges and bands, the flags and the screen
    /// rule. `to_string()` gives a stable text rendering (the same in every binding).
    ///
    /// ```
    /// use changkaixin_core::Catalog;
    /// let rses = Catalog::builtin().instrument("rses").unwrap();
    /// let d = rses.describe();
    /// let item2 = &d.items[1]; // "no good at all": reverse-scored
    /// assert_eq!((item2.options[0].code, item2.options[0].id.as_str(), item2.options[0].value), (0, "strongly_agree", 0));
    /// assert!(d.to_string().contains("items 2, 5, 6, 8, 9"));
    /// ```
    pub fn describe(&self) -> InstrumentDescription {
        let plan = self.plan();
        let spec = self.spec();
        let items = plan
            .items
            .iter()
            .zip(&spec.items)
            .map(|(it, s)| ItemDescription {
                number: it.number,
                id: it.id.clone(),
                scored: it.scored,
                reverse: s.reverse,
                asked_if: it.asked_if.as_ref().map(|c| crate::scoring::describe(c, plan)),
                options: it
                    .options
                    .iter()
                    .map(|o| OptionDescription {
                        code: o.code,
                        id: o.id.clone(),
                        value: o.value,
                        label: o.label.clone(),
                    })
                    .collect(),
            })
            .collect();
        let scales = plan
            .scales
            .iter()
            .zip(&spec.scales)
            .map(|(sc, s)| {
                let numbers = |idx: &[usize]| -> Vec<u32> { idx.iter().map(|&i| plan.items[i].number).collect() };
                let aggregate = match &sc.agg {
                    AggPlan::Sum(v) => format!("sum of {}", items_words(&numbers(v))),
                    AggPlan::Mean(v) => format!("mean of {}", items_words(&numbers(v))),
                    AggPlan::Count(terms) => {
                        // Group consecutive terms with the same test.
                        let mut groups: Vec<(String, Vec<u32>)> = Vec::new();
                        for t in terms {
                            let test = format!("value {} {}", t.op.symbol(), crate::scoring::fmt_ratio(t.value));
                            match groups.last_mut() {
                                Some((g, ns)) if *g == test => ns.push(plan.items[t.idx].number),
                                _ => groups.push((test, vec![plan.items[t.idx].number])),
                            }
                        }
                        let parts: Vec<String> = groups.iter().map(|(t, ns)| format!("{} where {t}", items_words(ns))).collect();
                        format!("count of {}", parts.join("; "))
                    }
                    AggPlan::SumOfScales(v) => format!("sum of scales {}", v.iter().map(|&j| plan.scales[j].id.as_str()).collect::<Vec<_>>().join(", ")),
                };
                let missing = match sc.missing {
                    MissingPlan::RequireAll => "require_all".to_owned(),
                    MissingPlan::Prorate { min_answered, .. } => format!("prorate (at least {min_answered} answered)"),
                    MissingPlan::SumAnswered { max_missing } => format!("sum_answered (at most {max_missing} missing)"),
                    MissingPlan::MeanOfAnswered { min_answered } => format!("mean_of_answered (at least {min_answered} answered)"),
                };
                let (min, max) = self.scale_range(&sc.id).unwrap_or_default();
                ScaleDescription {
                    id: sc.id.clone(),
                    name: s.name.clone(),
                    aggregate,
                    missing,
                    min,
                    max,
                    bands: sc.bands.iter().map(|b| format!("{} ({})", b.id, b.evidence)).collect(),
                }
            })
            .collect();
        let flags = plan
            .flags
            .iter()
            .map(|f| FlagDescription {
                id: f.id.clone(),
                level: f.level,
                when: crate::scoring::describe(&f.cond, plan),
            })
            .collect();
        InstrumentDescription {
            id: self.id().to_owned(),
            version: self.version().to_owned(),
            name: spec.name.clone(),
            settings: self.settings().clone(),
            items,
            scales,
            flags,
            screen_positive: plan.screen_positive.as_ref().map(|s| crate::scoring::describe(&s.cond, plan)),
        }
    }
}

fn level_word(l: FlagLevel) -> &'static str {
    match l {
        FlagLevel::Info => "info",
        FlagLevel::Warning => "warning",
        FlagLevel::Critical => "critical",
    }
}

impl fmt::Display for InstrumentDescription {
    /// A stable plain-text rendering. Items sharing a code table are listed together.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} {}: {}", self.id, self.version, label_text(&Some(self.name.clone())))?;
        if !self.settings.is_empty() {
            let s: Vec<String> = self.settings.iter().map(|(k, v)| format!("{k}={v}")).collect();
            writeln!(f, "settings: {}", s.join(", "))?;
        }
        writeln!(f, "code tables (code  option id  value  label):")?;
        // Group items with identical tables (and the same scored / skip-logic status).
        let mut groups: Vec<(&ItemDescription, Vec<u32>)> = Vec::new();
        for it in &self.items {
            match groups
                .iter_mut()
                .find(|(g, _)| g.options == it.options && g.scored == it.scored && g.asked_if == it.asked_if)
            {
                Some((_, ns)) => ns.push(it.number),
                None => groups.push((it, vec![it.number])),
            }
        }
        for (g, ns) in &groups {
            let mut head = items_words(ns);
            if !g.scored {
                head.push_str(" (unscored)");
            }
            if let Some(a) = &g.asked_if {
                head.push_str(&format!(" (asked only if {a})"));
            }
            writeln!(f, "  {head}:")?;
            let wc = g.options.iter().map(|o| o.code.to_string().len()).max().unwrap_or(1);
            let wi = g.options.iter().map(|o| o.id.len()).max().unwrap_or(1);
            let wv = g.options.iter().map(|o| o.value.to_string().len()).max().unwrap_or(1);
            for o in &g.options {
                let line = format!("    {:>wc$}  {:<wi$}  {:>wv$}  {}", o.code, o.id, o.value, label_text(&o.label));
                writeln!(f, "{}", line.trim_end())?;
            }
        }
        writeln!(f, "scales:")?;
        for s in &self.scales {
            write!(f, "  {}: {}, {}..{}, missing {}", s.id, s.aggregate, s.min, s.max, s.missing)?;
            if !s.bands.is_empty() {
                write!(f, "; bands {}", s.bands.join(", "))?;
            }
            writeln!(f)?;
        }
        if !self.flags.is_empty() {
            writeln!(f, "flags:")?;
            for fl in &self.flags {
                writeln!(f, "  {} ({}): {}", fl.id, level_word(fl.level), fl.when)?;
            }
        }
        if let Some(sp) = &self.screen_positive {
            writeln!(f, "screen positive: {sp}")?;
        }
        Ok(())
    }
}
