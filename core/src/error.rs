//! One error family for the whole library.
//!
//! Every error carries a stable machine-readable [`ErrorCode`] (see
//! [`Error::code`]), a JSON-pointer-like `path` saying where the problem is
//! (`/items/3/options`, `/answers/9`, `row 17 / item 9`, …) and, where it is
//! about an item, the item number. Bindings render these natively (Python
//! exception classes, JS `Error` objects, Kotlin/Swift exceptions) keyed on
//! [`Error::category`] and [`Error::code`]. Codes never change meaning once
//! published; new ones are only added.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

macro_rules! error_codes {
    ($( $(#[$doc:meta])* $variant:ident => $code:literal ),+ $(,)?) => {
        /// The closed set of stable error codes. `as_str()` gives the wire form.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum ErrorCode {
            $( $(#[$doc])* $variant, )+
        }

        impl ErrorCode {
            /// Every code, in declaration order (for documentation and binding tests).
            pub const ALL: &'static [ErrorCode] = &[ $( ErrorCode::$variant, )+ ];

            /// The stable wire form, e.g. `"score.unknown_option"`.
            pub const fn as_str(self) -> &'static str {
                match self { $( ErrorCode::$variant => $code, )+ }
            }

            /// Parse the wire form back (used by golden-vector replay).
            pub fn parse(s: &str) -> Option<ErrorCode> {
                match s { $( $code => Some(ErrorCode::$variant), )+ _ => None }
            }
        }
    };
}

error_codes! {
    /// The JSON text could not be parsed or does not have the documented shape.
    SpecParse => "spec.parse",
    /// `format` is not a supported instrument format version.
    SpecUnsupportedFormat => "spec.unsupported_format",
    /// Two items, options, scales, bands, flags, rules or settings share an id or number.
    SpecDuplicateId => "spec.duplicate_id",
    /// A reference to an item number or item id that the spec does not define.
    SpecUnknownItem => "spec.unknown_item",
    /// A reference to a scale id that the spec does not define (or defines later).
    SpecUnknownScale => "spec.unknown_scale",
    /// A reference to a flag id that is not defined before it.
    SpecUnknownFlag => "spec.unknown_flag",
    /// An item's option set is empty, or codes are outside 0..=127.
    SpecBadOptions => "spec.bad_options",
    /// A reverse key or explicit code→value map names a code outside the option set.
    SpecReverseOutsideOptions => "spec.reverse_outside_options",
    /// Two bands of one scale overlap.
    SpecBandOverlap => "spec.band_overlap",
    /// The bands of one scale leave a gap, or do not cover the scale's range.
    SpecBandGap => "spec.band_gap",
    /// Band ordinal indices are not 0..n-1 without repeats.
    SpecBandIndex => "spec.band_index",
    /// A norm table is not monotonic (a higher raw score maps to a lower standard score).
    SpecNormsNotMonotonic => "spec.norms_not_monotonic",
    /// A norm table does not cover the raw range, or norms sit on a non-integer scale.
    SpecNormsIncomplete => "spec.norms_incomplete",
    /// A numeric value in the spec is malformed or out of its allowed range.
    SpecInvalidValue => "spec.invalid_value",
    /// A scale definition is inconsistent (empty, cyclic, mixing kinds, too large).
    SpecBadScale => "spec.bad_scale",
    /// A setting name or option is unknown, or its patch does not apply.
    SpecUnknownSetting => "spec.unknown_setting",
    /// A compile resource limit is exceeded (items, scales, value range, lookup-table entries,
    /// norm tables or rows, condition depth or size, string length, settings; see `crate::limits`).
    SpecLimitExceeded => "spec.limit_exceeded",

    /// The response JSON could not be parsed.
    ResponseParse => "score.parse",
    /// An answer names an item the instrument does not have.
    ScoreUnknownItem => "score.unknown_item",
    /// An answer code is not among the item's options.
    ScoreUnknownOption => "score.unknown_option",
    /// A positional answer list has the wrong length.
    ScoreWrongItemCount => "score.wrong_item_count",
    /// An item is answered twice.
    ScoreDuplicateAnswer => "score.duplicate_answer",
    /// The instrument has norms but no norm group matches the respondent's group keys.
    ScoreNormGroupNotFound => "score.norm_group_not_found",
    /// A start/finish time is malformed or finish precedes start.
    ScoreInvalidTime => "score.invalid_time",
    /// A code map (recode) is malformed: unparsable, an unknown item, a source code outside
    /// 0..=127, or a target that is not an option of the item.
    ScoreCodeMapInvalid => "score.code_map_invalid",
    /// A code map does not map an item's source codes one-to-one onto all of its options.
    ScoreCodeMapNotBijective => "score.code_map_not_bijective",
    /// A code map was built for another instrument (or version).
    ScoreCodeMapMismatch => "score.code_map_mismatch",

    /// Batch buffers do not have the declared shape.
    BatchShape => "batch.shape",
    /// A code in a batch buffer is not among the item's options (names row and item).
    BatchUnknownOption => "batch.unknown_option",
    /// A group index in a batch points outside the group list.
    BatchUnknownGroup => "batch.unknown_group",

    /// No instrument with this id in the catalog.
    CatalogUnknownInstrument => "catalog.unknown_instrument",

    /// FHIR JSON could not be parsed or is not the expected resource type.
    FhirParse => "fhir.parse",
    /// A FHIR construct this importer does not support.
    FhirUnsupported => "fhir.unsupported",
    /// A QuestionnaireResponse answers a linkId the instrument does not have.
    FhirUnknownLinkId => "fhir.unknown_link_id",
    /// A QuestionnaireResponse answer coding is not among the item's options.
    FhirUnknownAnswer => "fhir.unknown_answer",
    /// A Questionnaire item `type` that is not a FHIR R4/R5 item type.
    FhirItemType => "fhir.item_type",
    /// A scored item (or a group around it) is conditional (`enableWhen`, `enableWhenExpression`):
    /// whether it counts depends on other answers, which the engine does not evaluate.
    FhirEnableWhen => "fhir.enable_when",
    /// A scored item (or a group around it) has `repeats: true`.
    FhirRepeats => "fhir.repeats",
    /// A scored item nested under a question item (Questionnaire) or under an answer (QuestionnaireResponse).
    FhirNestedItem => "fhir.nested_item",
    /// An `answerValueSet` that cannot be resolved offline (external, missing, filtered, empty).
    FhirValueSet => "fhir.value_set",
    /// An option weight (`itemWeight`/`ordinalValue`) that is not a number, not an integer, out of
    /// range, or given twice with different values.
    FhirInvalidWeight => "fhir.invalid_weight",
    /// Some options of an item carry weights and others do not.
    FhirPartialWeights => "fhir.partial_weights",
    /// No item of the Questionnaire carries a score (no option weights, no `{score}` numeric item).
    FhirNoScoredItems => "fhir.no_scored_items",
    /// A scored numeric item without `minValue`/`maxValue`, or with more than 128 values between them.
    FhirUnboundedNumeric => "fhir.unbounded_numeric",
    /// A linkId that appears twice (in a Questionnaire, or answered twice in a QuestionnaireResponse).
    FhirDuplicateLinkId => "fhir.duplicate_link_id",
    /// More than one answer to an item that takes one.
    FhirMultipleAnswers => "fhir.multiple_answers",
    /// An answer of a type the item does not take (`valueString` for a choice item, `valueCoding` for
    /// a numeric item, `valueBoolean`, an unknown `value[x]`, no value at all).
    FhirAnswerType => "fhir.answer_type",
    /// A numeric answer that is not an exact integer option value, is out of the item's range, has a
    /// comparator, or carries a unit that is not a score.
    FhirInvalidValue => "fhir.invalid_value",
    /// A QuestionnaireResponse whose `status` is `entered-in-error` (it must not be scored).
    FhirResponseStatus => "fhir.response_status",
    /// A FHIR document beyond a documented limit (nesting depth, options per item).
    FhirLimit => "fhir.limit",
    /// A Questionnaire bound to an instrument does not match it (scored item count, item codes,
    /// option weights that are not the instrument's scored values, options missing).
    FhirIncompatible => "fhir.incompatible",

    /// The alert policy JSON could not be parsed.
    PolicyParse => "policy.parse",
    /// The alert policy failed lint (unknown ids, unreachable tiers, missing deadlines…).
    PolicyLint => "policy.lint",
    /// `format` is not a supported alert-policy format version.
    PolicyUnsupportedFormat => "policy.unsupported_format",
    /// A policy rule names an instrument that is neither in the catalog nor declared external.
    PolicyUnknownInstrument => "policy.unknown_instrument",
    /// A policy rule names a scale the instrument does not have.
    PolicyUnknownScale => "policy.unknown_scale",
    /// A policy rule names a band the scale does not have.
    PolicyUnknownBand => "policy.unknown_band",
    /// A policy rule names a flag the instrument does not have.
    PolicyUnknownFlag => "policy.unknown_flag",
    /// A policy names a tier, role, action, source or vocabulary entry it does not define.
    PolicyUnknownRef => "policy.unknown_ref",
    /// A tier above the lowest is implied by no rule, so it can never be reached.
    PolicyUnreachableTier => "policy.unreachable_tier",
    /// An action, notification, dwell time or review interval has no deadline or duration.
    PolicyMissingDeadline => "policy.missing_deadline",
    /// A rule cites no source.
    PolicyMissingSource => "policy.missing_source",
    /// Two tiers, rules, actions, roles, sources or vocabulary entries share an id.
    PolicyDuplicateId => "policy.duplicate_id",
    /// A value in the policy is malformed (a bad ISO-8601 duration, an empty id, a number out of range).
    PolicyInvalidValue => "policy.invalid_value",
    /// A policy resource limit is exceeded (rules, condition depth or size, list lengths, string length).
    PolicyLimitExceeded => "policy.limit_exceeded",
    /// A rule can never be reviewed away: it keeps its own tier (or a higher one) in force once reached,
    /// e.g. a crisis rule conditioned on `previous_tier_at_least: crisis`.
    PolicyUnreviewableRule => "policy.unreviewable_rule",
    /// Evidence given to the alert engine is malformed or inconsistent.
    EvidenceInvalid => "evidence.invalid",
    /// A screening names an instrument that is neither in the catalog nor declared external by the policy.
    EvidenceUnknownInstrument => "evidence.unknown_instrument",
    /// A screening was produced by another version of the instrument than the catalog (or policy) holds.
    EvidenceVersionMismatch => "evidence.version_mismatch",
    /// A screening names a setting or setting option the instrument does not have.
    EvidenceUnknownSetting => "evidence.unknown_setting",
    /// A reported value lies outside the range its scale can take.
    EvidenceOutOfRange => "evidence.out_of_range",
    /// A report contradicts its instrument: shape, band, flags, screen verdict or validity do not follow from its values.
    EvidenceReportInconsistent => "evidence.report_inconsistent",
    /// A timestamp or ISO-8601 duration is malformed.
    InvalidTime => "time.invalid",

    // ---- Compliance checks: requirement packs (`compliance.*`) and school facts (`facts.*`) ----
    /// A requirement pack (or a compliance report read back) could not be parsed or does not have the documented shape (path: JSON pointer).
    CompliancePackParse => "compliance.parse",
    /// `format` is not a supported requirement-pack format version.
    ComplianceUnsupportedFormat => "compliance.unsupported_format",
    /// A requirement names a metric the engine does not define.
    ComplianceUnknownMetric => "compliance.unknown_metric",
    /// A requirement's period, operator or parameters do not fit its metric.
    ComplianceBadCheck => "compliance.bad_check",
    /// A threshold can never be met, or is always met (a percentage above 100, a negative count, `>= 0`).
    ComplianceImpossibleThreshold => "compliance.impossible_threshold",
    /// A requirement cites no source, or a source without a clause or quoted text.
    ComplianceMissingSource => "compliance.missing_source",
    /// Two versions of one requirement are in force on the same day.
    ComplianceOverlappingVersions => "compliance.overlapping_versions",
    /// A requirement names a document, kind or zone the pack does not define.
    ComplianceUnknownRef => "compliance.unknown_ref",
    /// Two documents share an id, or a list names the same entry twice.
    ComplianceDuplicateId => "compliance.duplicate_id",
    /// A value in the pack is malformed (an id, reversed effective dates, an empty title).
    ComplianceInvalidValue => "compliance.invalid_value",
    /// Reports given to a roll-up come from different packs, pack versions or dates.
    ComplianceRollupMismatch => "compliance.rollup_mismatch",
    /// The school-facts JSON could not be parsed or does not have the documented shape (path: JSON pointer).
    FactsParse => "facts.parse",
    /// `format` is not a supported school-facts format version.
    FactsUnsupportedFormat => "facts.unsupported_format",
    /// School facts are inconsistent (an entry outside its log's dates, more archived than screened, close before open).
    FactsInvalid => "facts.invalid",
    /// School facts name a staff member, term or class they do not define.
    FactsUnknownRef => "facts.unknown_ref",
    /// Two classes, staff members, terms or screening runs share an id.
    FactsDuplicateId => "facts.duplicate_id",

    // ---- Archive records (`archive.*`, issue 12) and privacy (`privacy.*`) ----
    /// An archive record is not JSON, not a JSON object, or has no `schema`/`schema_version`.
    ArchiveParse => "archive.parse",
    /// `schema` names no archive record type.
    ArchiveUnknownSchema => "archive.unknown_schema",
    /// `schema_version` is newer than this library knows (or not a version that ever existed): never guessed.
    ArchiveUnsupportedVersion => "archive.unsupported_version",
    /// A required field is absent.
    ArchiveMissingField => "archive.missing_field",
    /// A field the record type does not define.
    ArchiveUnknownField => "archive.unknown_field",
    /// A value of the wrong JSON type (a number where text is expected, …).
    ArchiveInvalidType => "archive.invalid_type",
    /// A value outside its closed set or range, or malformed (an unknown enum value, a bad timestamp, date or year-month).
    ArchiveInvalidValue => "archive.invalid_value",
    /// A required text or list is empty (or only whitespace).
    ArchiveEmpty => "archive.empty",
    /// Timestamps or dates out of order (an end before its start, a review before the decision).
    ArchiveTimeOrder => "archive.time_order",
    /// A field another field makes required is absent or empty (a closed case without an effect
    /// evaluation, broken confidentiality without the people informed, a green channel without an urgency).
    ArchiveRequiredWhen => "archive.required_when",
    /// Fields that contradict each other (a confirmation of another decision, two students in one record).
    ArchiveInconsistent => "archive.inconsistent",
    /// Two entries of one list share an id, or a reference names an id the record does not define.
    ArchiveBadReference => "archive.bad_reference",
    /// A screening record's stored score report disagrees with the report re-derived from its answers.
    ArchiveReportMismatch => "archive.report_mismatch",
    /// A share, view or pseudonymisation request is malformed (an empty key, an unknown role, a bad scope).
    PrivacyInvalid => "privacy.invalid",
    /// A role asked for a record outside its scope (another class, another school, an individual record for an aggregate-only role).
    PrivacyOutOfScope => "privacy.out_of_scope",
    /// A disclosure beyond the consent or legal basis on file: refused with the reason.
    PrivacyShareRefused => "privacy.share_refused",
    // ---- City screening report (`report.*`) ----
    /// A report spec, layout or aggregate could not be parsed or does not have the documented shape (path: JSON pointer).
    ReportParse => "report.parse",
    /// Report columns, layout, enrolment or aggregates do not fit together (lengths, dimensions, a school in another district).
    ReportShape => "report.shape",
    /// A row code (school, grade, sex, band, verdict, tier) is outside its legend (names the row).
    ReportInvalidCode => "report.invalid_code",
    /// A count or a rate's operands exceed the exact-arithmetic limits (more than 10,000,000 students in one cell).
    ReportOverflow => "report.overflow",
    /// Disclosure control could not protect every sensitive cell (the audit lists the cells).
    ReportUnprotectable => "report.unprotectable",
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ErrorCode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        ErrorCode::parse(&s).ok_or_else(|| serde::de::Error::custom(format!("unknown error code {s}")))
    }
}

/// The broad family of an error, used by bindings to pick an exception class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCategory {
    /// An instrument spec is malformed or fails lint.
    Spec,
    /// A response set is malformed or does not fit the instrument.
    Score,
    /// Batch buffers are malformed.
    Batch,
    /// Catalog lookups.
    Catalog,
    /// FHIR import/export.
    Fhir,
    /// Alert policy documents.
    Policy,
    /// Alert evidence.
    Evidence,
    /// Times and durations.
    Time,
    /// Compliance requirement packs and roll-ups.
    Compliance,
    /// School facts given to a compliance check.
    Facts,
    /// Archive records (schemas, validation, migrations).
    Archive,
    /// Privacy: views, pseudonyms, the consent and disclosure ledger.
    Privacy,
    /// City screening reports: aggregation, disclosure control, rendering.
    Report,
}

impl ErrorCode {
    /// The family this code belongs to (the part before the dot).
    pub fn category(self) -> ErrorCategory {
        let s = self.as_str();
        match s.split('.').next().unwrap_or("") {
            "spec" => ErrorCategory::Spec,
            "score" => ErrorCategory::Score,
            "batch" => ErrorCategory::Batch,
            "catalog" => ErrorCategory::Catalog,
            "fhir" => ErrorCategory::Fhir,
            "policy" => ErrorCategory::Policy,
            "evidence" => ErrorCategory::Evidence,
            "compliance" => ErrorCategory::Compliance,
            "facts" => ErrorCategory::Facts,
            "archive" => ErrorCategory::Archive,
            "privacy" => ErrorCategory::Privacy,
            "report" => ErrorCategory::Report,
            _ => ErrorCategory::Time,
        }
    }
}

/// The library's single error type.
///
/// ```
/// use changkaixin_core::{Catalog, ErrorCode, Response, Answer};
/// let phq9 = Catalog::builtin().instrument("phq9").unwrap();
/// let mut r = Response::default();
/// r.answers.insert("1".into(), Answer::Code(7)); // 7 is not a PHQ-9 option
/// let err = phq9.score(&r).unwrap_err();
/// assert_eq!(err.code(), "score.unknown_option");
/// assert_eq!(err.item(), Some(1));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{code}: {message} (at {path})")]
pub struct Error {
    code: ErrorCode,
    path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    item: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    row: Option<u64>,
    message: String,
}

impl Error {
    /// A new error with a code, a path and a message saying what was expected and found.
    ///
    /// Input values in the message must be echoed through [`excerpt`] (or [`excerpt_raw`] /
    /// [`excerpt_debug`]); as a last line of defence, a path longer than [`MAX_PATH_BYTES`] or a
    /// message longer than [`MAX_MESSAGE_BYTES`] is cut to that length with a `…(N bytes)` marker.
    pub fn new(code: ErrorCode, path: impl Into<String>, message: impl Into<String>) -> Self {
        let (mut path, mut message) = (path.into(), message.into());
        if path.len() > MAX_PATH_BYTES {
            path = cut(&path, MAX_PATH_BYTES);
        }
        if message.len() > MAX_MESSAGE_BYTES {
            message = cut(&message, MAX_MESSAGE_BYTES);
        }
        Error {
            code,
            path,
            item: None,
            row: None,
            message,
        }
    }
    /// Attach the item number the error is about.
    pub fn with_item(mut self, item: u32) -> Self {
        self.item = Some(item);
        self
    }
    /// Attach the batch row the error is about.
    pub fn with_row(mut self, row: u64) -> Self {
        self.row = Some(row);
        self
    }
    /// The stable wire code, e.g. `"spec.band_gap"`.
    pub fn code(&self) -> &'static str {
        self.code.as_str()
    }
    /// The code as an enum.
    pub fn error_code(&self) -> ErrorCode {
        self.code
    }
    /// The family of the error.
    pub fn category(&self) -> ErrorCategory {
        self.code.category()
    }
    /// Where the problem is: a JSON pointer into the input, or a row/item locator.
    pub fn path(&self) -> &str {
        &self.path
    }
    /// The item number, when the error is about one item.
    pub fn item(&self) -> Option<u32> {
        self.item
    }
    /// The batch row, when the error is about one batch row.
    pub fn row(&self) -> Option<u64> {
        self.row
    }
    /// The human-readable message.
    pub fn message(&self) -> &str {
        &self.message
    }
    /// Prefix the path (used when a nested document is checked inside a larger one).
    pub fn prefixed(mut self, prefix: &str) -> Self {
        self.path = format!("{prefix}{}", self.path);
        self
    }

    /// Map a serde_json error onto a parse error with a best-effort location. serde quotes the
    /// offending value (`invalid type: string "…"`, ``unknown variant `…` ``); every quoted run is
    /// shortened to an [`excerpt`].
    pub(crate) fn from_json(code: ErrorCode, e: &serde_json::Error) -> Self {
        Error::new(code, format!("line {} column {}", e.line(), e.column()), shorten_quoted(&e.to_string()))
    }
}

/// How many characters of an input value an error message echoes (see [`excerpt`]).
pub const ECHO_CHARS: usize = 64;
/// Longest error path kept whole; longer paths are cut (a safety net: paths echo input keys
/// through [`excerpt_raw`]).
pub const MAX_PATH_BYTES: usize = 512;
/// Longest error message kept whole; longer messages are cut (a safety net behind [`excerpt`]).
pub const MAX_MESSAGE_BYTES: usize = 2048;

/// An input value as an error message may echo it: at most [`ECHO_CHARS`] characters, then
/// `…(N bytes)` giving the full length. Built by [`excerpt`], [`excerpt_raw`] and [`excerpt_debug`].
///
/// Error messages are read by staff and logged; the values they quote may be children's data
/// (a student id, a free-text note), so no message ever carries a whole long input.
///
/// ```
/// use changkaixin_core::error::{excerpt, excerpt_raw};
/// assert_eq!(excerpt("phq9").to_string(), "\"phq9\"");
/// let long = "x".repeat(50_000_000);
/// let shown = excerpt(&long).to_string();
/// assert_eq!(shown, format!("\"{}\"…(50000000 bytes)", "x".repeat(64)));
/// assert_eq!(excerpt_raw(&long).to_string().len(), 64 + "…(50000000 bytes)".len());
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Excerpt<'a> {
    text: &'a str,
    quoted: bool,
}

/// A short, quoted (Rust/JSON-style escaped) prefix of an input string for an error message.
pub fn excerpt(s: &str) -> Excerpt<'_> {
    Excerpt { text: s, quoted: true }
}

/// A short prefix of an input string, unquoted (for path segments such as `/answers/<key>`).
pub fn excerpt_raw(s: &str) -> Excerpt<'_> {
    Excerpt { text: s, quoted: false }
}

/// The `Debug` form of a value (a map of group keys, a list), cut like [`excerpt`]. The value is
/// formatted into a bounded buffer: nothing beyond the prefix is kept in memory.
pub fn excerpt_debug<T: fmt::Debug + ?Sized>(v: &T) -> String {
    struct Bounded {
        head: String,
        chars: usize,
        total: usize,
    }
    impl fmt::Write for Bounded {
        fn write_str(&mut self, s: &str) -> fmt::Result {
            self.total += s.len();
            for c in s.chars() {
                if self.chars >= ECHO_CHARS {
                    break;
                }
                self.head.push(c);
                self.chars += 1;
            }
            Ok(())
        }
    }
    let mut b = Bounded {
        head: String::new(),
        chars: 0,
        total: 0,
    };
    let _ = fmt::write(&mut b, format_args!("{v:?}"));
    if b.total > b.head.len() {
        format!("{}…({} bytes)", b.head, b.total)
    } else {
        b.head
    }
}

impl fmt::Display for Excerpt<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cut = self.text.char_indices().nth(ECHO_CHARS).map(|(i, _)| i);
        let head = &self.text[..cut.unwrap_or(self.text.len())];
        if self.quoted {
            write!(f, "{head:?}")?;
        } else {
            f.write_str(head)?;
        }
        if cut.is_some() {
            write!(f, "…({} bytes)", self.text.len())?;
        }
        Ok(())
    }
}

/// Cut a string to at most `max` bytes (at a character boundary) and mark the full length.
fn cut(s: &str, max: usize) -> String {
    let mut end = max.min(s.len());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…({} bytes)", &s[..end], s.len())
}

/// Shorten every run between quote characters (`"` or `` ` ``) that is longer than [`ECHO_CHARS`]
/// characters, as serde's messages quote the offending input.
pub(crate) fn shorten_quoted(msg: &str) -> String {
    let mut out = String::with_capacity(msg.len().min(MAX_MESSAGE_BYTES));
    let mut rest = msg;
    while let Some(open) = rest.find(['"', '`']) {
        let q = &rest[open..open + 1];
        out.push_str(&rest[..open + 1]);
        rest = &rest[open + 1..];
        let close = rest.find(q).unwrap_or(rest.len());
        out.push_str(&excerpt_raw(&rest[..close]).to_string());
        rest = &rest[close..];
        if let Some(stripped) = rest.strip_prefix(q) {
            out.push_str(q);
            rest = stripped;
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_round_trip() {
        let mut seen = std::collections::BTreeSet::new();
        for c in ErrorCode::ALL {
            assert!(seen.insert(c.as_str()), "duplicate code {}", c.as_str());
            assert_eq!(ErrorCode::parse(c.as_str()), Some(*c));
            assert!(c.as_str().contains('.'));
        }
    }

    #[test]
    fn long_inputs_are_never_echoed_whole() {
        let id = "s".repeat(1_000_000);
        assert_eq!(excerpt("ab\"c").to_string(), "\"ab\\\"c\"");
        let e = excerpt(&id).to_string();
        assert!(e.len() < 100 && e.ends_with("…(1000000 bytes)"), "{e}");
        // Multi-byte characters are cut at a character boundary.
        let zh = "学".repeat(100);
        assert_eq!(excerpt_raw(&zh).to_string(), format!("{}…(300 bytes)", "学".repeat(64)));
        let m: std::collections::BTreeMap<String, String> = [("grade".to_owned(), id.clone())].into();
        assert!(excerpt_debug(&m).len() < 100);
        assert_eq!(excerpt_debug(&[1, 2]), "[1, 2]");
        let msg = format!("invalid type: string \"{id}\", expected `{}`", "k".repeat(70));
        let s = shorten_quoted(&msg);
        assert!(
            s.len() < 250 && s.starts_with("invalid type: string \"sss") && s.contains("expected `kkk"),
            "{s}"
        );
        assert_eq!(
            shorten_quoted("unknown field `x`, expected one of `a`, `b`"),
            "unknown field `x`, expected one of `a`, `b`"
        );
        assert_eq!(shorten_quoted("unterminated \"abc"), "unterminated \"abc");
        let e = Error::new(ErrorCode::SpecParse, format!("/answers/{id}"), id.clone());
        assert!(e.path().len() < MAX_PATH_BYTES + 40 && e.message().len() < MAX_MESSAGE_BYTES + 40);
    }

    #[test]
    fn display_names_code_and_path() {
        let e = Error::new(ErrorCode::SpecBandGap, "/scales/0/bands", "gap between 4 and 6").with_item(3);
        assert_eq!(e.to_string(), "spec.band_gap: gap between 4 and 6 (at /scales/0/bands)");
        assert_eq!(e.category(), ErrorCategory::Spec);
        assert_eq!(e.item(), Some(3));
    }
}
