//! Declared recodes (core `scoring::recode`): an export's own answer codes mapped onto an
//! instrument's options, checked by the core to be a bijection onto each covered item's options.
//! Build a [`CodeMap`] once with `Instrument.codeMap(spec)` (typed) or `Instrument.codeMapJson(json)`
//! and pass it to `scoreWithCodeMap`, `scoreAnswersWithCodeMap` or `BatchRequest.codeMap`.

use crate::error::{guard, FfiResult};
use crate::instrument::Instrument;
use crate::report::{Answer, Response, ScoreReport};
use changkaixin_core::scoring::recode as core;
use changkaixin_core::Answer as CoreAnswer;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// The target of a recode: an option code of the item, or a stable option id (core `OptionTarget`).
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum OptionTarget {
    /// An option code of the item.
    Code { code: i64 },
    /// A stable option id of the item (e.g. `LA6568-5`, `strongly_agree`).
    Id { id: String },
}

/// A declared recode (core `CodeMapSpec`): `source code → option` for every item (`all`) and/or
/// per item (`items`, keyed by item number or id; replaces `all` for that item). Source codes are
/// integers 0..=127 written as strings (`"1"`), as in the JSON form
/// `{"all": {"1": "strongly_disagree", …}, "items": {"10": {"1": 0, …}}}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, uniffi::Record)]
pub struct CodeMapSpec {
    #[uniffi(default = None)]
    pub all: Option<HashMap<String, OptionTarget>>,
    #[uniffi(default)]
    pub items: HashMap<String, HashMap<String, OptionTarget>>,
}

/// A recode checked against one instrument (core `CodeMap`).
#[derive(Debug, PartialEq, Eq, uniffi::Object)]
pub struct CodeMap {
    pub(crate) inner: core::CodeMap,
}

#[uniffi::export]
impl CodeMap {
    /// The instrument id the map was checked against.
    pub fn instrument(&self) -> String {
        self.inner.instrument().to_owned()
    }
}

fn target(t: OptionTarget) -> core::OptionTarget {
    match t {
        OptionTarget::Code { code } => core::OptionTarget::Code(code),
        OptionTarget::Id { id } => core::OptionTarget::Id(id),
    }
}

fn table(m: HashMap<String, OptionTarget>) -> BTreeMap<String, core::OptionTarget> {
    m.into_iter().map(|(k, v)| (k, target(v))).collect()
}

impl From<CodeMapSpec> for core::CodeMapSpec {
    fn from(s: CodeMapSpec) -> Self {
        core::CodeMapSpec {
            all: s.all.map(table),
            items: s.items.into_iter().map(|(k, v)| (k, table(v))).collect(),
        }
    }
}

#[uniffi::export]
impl Instrument {
    /// Check a declared recode against this instrument (`score.code_map_invalid`,
    /// `score.code_map_not_bijective` with a path such as `/all/2` and the item otherwise).
    pub fn code_map(&self, spec: CodeMapSpec) -> FfiResult<Arc<CodeMap>> {
        guard(|| {
            Ok(Arc::new(CodeMap {
                inner: self.inner.code_map(&spec.into())?,
            }))
        })
    }
    /// [`Instrument::code_map`] from the JSON form of a `CodeMapSpec`.
    pub fn code_map_json(&self, json: String) -> FfiResult<Arc<CodeMap>> {
        guard(|| {
            Ok(Arc::new(CodeMap {
                inner: self.inner.code_map_json(&json)?,
            }))
        })
    }
    /// Score one response whose codes follow the export's coding declared by `map` (answers given
    /// by option id are not recoded). A map built for another instrument is `score.code_map_mismatch`.
    pub fn score_with_code_map(&self, response: Response, map: &CodeMap) -> FfiResult<ScoreReport> {
        guard(|| Ok(self.inner.score_with_code_map(&response.into(), &map.inner)?.into()))
    }
    /// [`Instrument::score_answers`] with a declared recode.
    pub fn score_answers_with_code_map(&self, answers: Vec<Answer>, map: &CodeMap) -> FfiResult<ScoreReport> {
        guard(|| {
            let answers: Vec<CoreAnswer> = answers.into_iter().map(Into::into).collect();
            Ok(self.inner.score_answers_with_code_map(&answers, &map.inner)?.into())
        })
    }
}
