//! Declared recodes: map an export's own answer codes onto an instrument's options.
//!
//! Exports number options in their own way (RSES and DSRSC are coded here in printed-option
//! order, many exports number them "as ticked", some 1-based). Guessing silently gives
//! valid-looking, wrong totals. A [`CodeMapSpec`] states the export's coding once — source code →
//! option (by option code or, better, by stable option id) for all items or per item — and
//! [`Instrument::code_map`] checks it: for every item it covers, the source codes must map one-to-one
//! onto **all** of that item's options (a bijection), or the map is rejected with a typed error.
//!
//! The compiled [`CodeMap`] is used by [`Instrument::score_with_code_map`],
//! [`Instrument::score_answers_with_code_map`] and batch scoring ([`super::batch::BatchInput`]'s
//! `code_map`, applied through the decode tables so the block-columnar fast path keeps its speed).
//! Answers given by option id are never recoded (an id is unambiguous).
//!
//! ```
//! use changkaixin_core::{Catalog, Response};
//! use changkaixin_core::scoring::recode::CodeMapSpec;
//! let rses = Catalog::builtin().instrument("rses").unwrap();
//! // An export that numbers the four answers 1..4 from "strongly disagree" to "strongly agree".
//! let spec: CodeMapSpec = serde_json::from_str(
//!     r#"{"all": {"1": "strongly_disagree", "2": "disagree", "3": "agree", "4": "strongly_agree"}}"#).unwrap();
//! let map = rses.code_map(&spec).unwrap();
//! let all_sa = Response::from_codes(&[Some(4); 10]); // "strongly agree" everywhere
//! let report = rses.score_with_code_map(&all_sa, &map).unwrap();
//! assert_eq!(report.scale("total").unwrap().raw.unwrap().to_string(), "15");
//! ```

use crate::error::{Error, ErrorCode, Result};
use crate::instrument::Instrument;
use crate::scoring::plan::{Plan, CODE_SLOTS};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The target of a recode: an option code of the item, or an option id.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum OptionTarget {
    /// An option code of the item.
    Code(i64),
    /// A stable option id of the item (e.g. `LA6568-5`, `strongly_agree`).
    Id(String),
}

/// A declared recode: `source code → option`, for every item (`all`) and/or per item.
///
/// JSON: `{"all": {"1": "strongly_disagree", …}, "items": {"10": {"1": 0, …}}}`. Keys of the
/// inner maps are source codes (integers 0..=127 written as strings); `items` is keyed by item
/// number or item id and replaces `all` for that item. Items covered by neither keep their own
/// codes. Every covered item's map must be a bijection onto the item's options.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeMapSpec {
    /// The recode for every item not listed in `items`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub all: Option<BTreeMap<String, OptionTarget>>,
    /// Per-item recodes, keyed by item number or item id.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub items: BTreeMap<String, BTreeMap<String, OptionTarget>>,
}

impl CodeMapSpec {
    /// Parse the JSON form.
    pub fn from_json(json: &str) -> Result<CodeMapSpec> {
        serde_json::from_str(json).map_err(|e| Error::from_json(ErrorCode::ScoreCodeMapInvalid, &e))
    }
}

/// Marker for "not a source code" in a compiled table.
const NO_SOURCE: i16 = -1;

/// A checked recode for one instrument (built by [`Instrument::code_map`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodeMap {
    instrument: String,
    version: String,
    /// Per item: source code → option code (or [`NO_SOURCE`]); `None` keeps the item's own codes.
    items: Vec<Option<Box<[i16; CODE_SLOTS]>>>,
}

impl CodeMap {
    /// The instrument id this map was checked against.
    pub fn instrument(&self) -> &str {
        &self.instrument
    }
    /// The option code a source code stands for: `Ok(code)`, or `Err(())` when the item is
    /// recoded and `src` is not one of its source codes. Items without a recode pass through.
    #[inline]
    pub(crate) fn apply(&self, item: usize, src: i64) -> std::result::Result<i64, ()> {
        match self.items.get(item).and_then(Option::as_ref) {
            None => Ok(src),
            Some(t) => match usize::try_from(src).ok().and_then(|s| t.get(s)) {
                Some(&c) if c != NO_SOURCE => Ok(i64::from(c)),
                _ => Err(()),
            },
        }
    }
    /// Whether item `item` (0-based) is recoded.
    pub(crate) fn covers(&self, item: usize) -> bool {
        self.items.get(item).is_some_and(Option::is_some)
    }
    /// The source codes of a recoded item, ascending.
    pub(crate) fn sources(&self, item: usize) -> Vec<i64> {
        match self.items.get(item).and_then(Option::as_ref) {
            None => Vec::new(),
            Some(t) => (0..CODE_SLOTS as i64).filter(|&s| t[s as usize] != NO_SOURCE).collect(),
        }
    }
    pub(crate) fn check_for(&self, inst: &Instrument) -> Result<()> {
        if self.instrument != inst.id() || self.version != inst.version() || self.items.len() != inst.item_count() {
            return Err(Error::new(
                ErrorCode::ScoreCodeMapMismatch,
                "code_map",
                format!(
                    "the code map was built for {} {}, not for {} {}",
                    self.instrument,
                    self.version,
                    inst.id(),
                    inst.version()
                ),
            ));
        }
        Ok(())
    }
}

fn compile_item(plan: &Plan, idx: usize, map: &BTreeMap<String, OptionTarget>, path: &str) -> Result<Box<[i16; CODE_SLOTS]>> {
    let item = &plan.items[idx];
    let bad = |p: String, m: String| Error::new(ErrorCode::ScoreCodeMapInvalid, p, m).with_item(item.number);
    let mut table = Box::new([NO_SOURCE; CODE_SLOTS]);
    let mut hit: BTreeMap<i64, String> = BTreeMap::new();
    for (src, target) in map {
        let p = format!("{path}/{src}");
        let s: i64 = src
            .trim()
            .parse()
            .map_err(|_| bad(p.clone(), format!("source code {:?} is not an integer", crate::scoring::echo(src))))?;
        if !(0..CODE_SLOTS as i64).contains(&s) {
            return Err(bad(p, format!("source codes must lie in 0..=127, found {s}")));
        }
        let code = match target {
            OptionTarget::Code(c) => item.options.iter().find(|o| o.code == *c).map(|o| o.code),
            OptionTarget::Id(id) => item.code_of_id(id),
        };
        let Some(code) = code else {
            let what = match target {
                OptionTarget::Code(c) => format!("code {c}"),
                OptionTarget::Id(id) => format!("id {:?}", crate::scoring::echo(id)),
            };
            let opts: Vec<String> = item.options.iter().map(|o| format!("{} {}", o.code, o.id)).collect();
            return Err(bad(p, format!("item {} has no option with {what} (options: {})", item.number, opts.join(", "))));
        };
        if let Some(prev) = hit.insert(code, src.clone()) {
            return Err(Error::new(
                ErrorCode::ScoreCodeMapNotBijective,
                p,
                format!("source codes {prev} and {s} both map to option code {code} of item {}", item.number),
            )
            .with_item(item.number));
        }
        table[s as usize] = code as i16;
    }
    let unmapped: Vec<String> = item
        .options
        .iter()
        .filter(|o| !hit.contains_key(&o.code))
        .map(|o| format!("{} ({})", o.code, o.id))
        .collect();
    if !unmapped.is_empty() {
        return Err(Error::new(
            ErrorCode::ScoreCodeMapNotBijective,
            path.to_owned(),
            format!("no source code maps to option(s) {} of item {}", unmapped.join(", "), item.number),
        )
        .with_item(item.number));
    }
    Ok(table)
}

impl Instrument {
    /// Check a declared recode against this instrument and compile it.
    ///
    /// Errors: `score.code_map_invalid` (unknown item, source code outside 0..=127, target not an
    /// option of the item) and `score.code_map_not_bijective` (two sources on one option, or an
    /// option no source reaches), each with the path (`/items/10/3`, `/all/2`) and the item.
    pub fn code_map(&self, spec: &CodeMapSpec) -> Result<CodeMap> {
        let plan = self.plan();
        let mut items: Vec<Option<Box<[i16; CODE_SLOTS]>>> = vec![None; plan.items.len()];
        let mut own = vec![false; plan.items.len()];
        for (key, map) in &spec.items {
            let path = format!("/items/{key}");
            let Some(idx) = crate::scoring::resolve_item(plan, key) else {
                return Err(Error::new(
                    ErrorCode::ScoreCodeMapInvalid,
                    path,
                    format!("instrument {} has no item {:?}", plan.id, crate::scoring::echo(key)),
                ));
            };
            if own[idx] {
                return Err(Error::new(
                    ErrorCode::ScoreCodeMapInvalid,
                    path,
                    format!("item {} is recoded twice (by number and by id)", plan.items[idx].number),
                )
                .with_item(plan.items[idx].number));
            }
            own[idx] = true;
            items[idx] = Some(compile_item(plan, idx, map, &path)?);
        }
        if let Some(all) = &spec.all {
            for idx in 0..plan.items.len() {
                if !own[idx] {
                    items[idx] = Some(compile_item(plan, idx, all, "/all")?);
                }
            }
        }
        Ok(CodeMap {
            instrument: self.id().to_owned(),
            version: self.version().to_owned(),
            items,
        })
    }

    /// [`Instrument::code_map`] from the JSON form of a [`CodeMapSpec`].
    pub fn code_map_json(&self, json: &str) -> Result<CodeMap> {
        self.code_map(&CodeMapSpec::from_json(json)?)
    }
}
