//! The crate's citation vocabulary: the documents rules rest on, and how they are cited.
//!
//! Alert policies and compliance packs cite sources the same way. A cited document has a
//! [`Reliability`] (the tags of the project's reference notes); a rule or requirement that
//! fired or was checked carries [`SourceCitation`]s (id, citation text, reliability) in its
//! output, whichever module produced it.
//!
//! [`Reliability`], [`SourceSpec`] and [`SourceCitation`] are defined with the alert policy
//! (they were first needed there) and are re-exported here as the crate-level names; new code
//! uses `crate::source`. Compliance packs add structured citations: a [`Document`] and
//! [`ClauseRef`]s (document, clause, quoted text), rendered into [`SourceCitation`]s for reports.

pub use crate::alert::decision::SourceCitation;
pub use crate::alert::policy::{Reliability, SourceSpec};

use crate::instrument::spec::Localized;
use crate::time::Date;
use serde::{Deserialize, Serialize};

/// A document a requirement pack cites.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Document {
    /// Short id requirements cite, e.g. `cz_plan_2022`.
    pub id: String,
    /// Official title (in the document's language).
    pub title: String,
    /// Document number, e.g. `常教办〔2021〕90号`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    /// Issuing bodies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issued_by: Option<Localized>,
    /// Date of issue, where known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issued: Option<Date>,
    /// How reliable the text we quote is.
    pub reliability: Reliability,
    /// Where the quoted text was read (free text; no network access is implied).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_from: Option<String>,
}

/// One clause of a document, with the text relied on quoted exactly.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClauseRef {
    /// Id of a [`Document`] of the pack.
    pub document: String,
    /// Clause, e.g. `二(一)2`.
    pub clause: String,
    /// The sentence relied on, quoted from the document.
    pub quote: String,
}

impl ClauseRef {
    /// The citation in the crate's common form: `number《title》 clause: quote`, id `document:clause`.
    pub fn cite(&self, doc: &Document) -> SourceCitation {
        let head = match &doc.number {
            Some(n) => format!("{n}《{}》", doc.title),
            None => format!("《{}》", doc.title),
        };
        SourceCitation {
            id: format!("{}:{}", self.document, self.clause),
            citation: format!("{head} {}: {}", self.clause, self.quote),
            reliability: doc.reliability,
        }
    }
}
