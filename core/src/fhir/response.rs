//! `QuestionnaireResponse` → [`Response`] (+ the stored totals it claims).

use super::json::{exact_decimal, J};
use super::{coding_of, parse_resource, perr, short, StoredTotal, StoredTotalStatus};
use crate::decimal::Dec;
use crate::error::{Error, ErrorCode, Result};
use crate::instrument::spec::{FhirInstrumentLink, ItemSpec, OptionSpec, OptionsRef};
use crate::instrument::Instrument;
use crate::scoring::report::{Answer, Response};
use rust_decimal::prelude::ToPrimitive;
use std::collections::{BTreeMap, BTreeSet};

/// What a QuestionnaireResponse amounts to.
pub(super) struct Read {
    pub(super) response: Response,
    pub(super) stored: Vec<StoredTotal>,
}

fn link_matches_code(link: &str, code: &str) -> bool {
    link == code || link.strip_prefix('/') == Some(code) || link.ends_with(&format!("/{code}"))
}

struct Reader<'a> {
    spec_id: &'a str,
    option_sets: &'a BTreeMap<String, Vec<OptionSpec>>,
    links: BTreeMap<&'a str, &'a ItemSpec>,
    fhir: Option<&'a FhirInstrumentLink>,
    /// `calculated_link_ids` and `calculated_scales` keys.
    calculated: BTreeSet<&'a str>,
    ignored: BTreeSet<&'a str>,
    answered: BTreeSet<u32>,
    response: Response,
    stored: Vec<StoredTotal>,
}

/// The `value[x]` member of an answer (exactly one).
fn answer_value<'a>(answer: &'a J, path: &str) -> Result<(&'a str, &'a J)> {
    let members = answer
        .as_object()
        .ok_or_else(|| perr(path, format!("an answer must be an object, found {}", answer.kind())))?;
    let mut values = members.iter().filter(|(k, _)| k.starts_with("value"));
    match (values.next(), values.next()) {
        (Some((k, v)), None) => Ok((k.as_str(), v)),
        (None, _) => Err(Error::new(ErrorCode::FhirAnswerType, path, "answer without a value[x]")),
        (Some(_), Some((k, _))) => Err(Error::new(
            ErrorCode::FhirAnswerType,
            format!("{path}/{k}"),
            "an answer holds exactly one value[x]",
        )),
    }
}

/// Whether a unit is a score (dimensionless): UCUM `1` or an annotation such as `{score}`.
fn is_score_unit(s: &str) -> bool {
    let t = s.trim();
    t == "1" || (t.starts_with('{') && t.ends_with('}')) || t.eq_ignore_ascii_case("score") || t.eq_ignore_ascii_case("points")
}

/// The exact number of a numeric answer (`valueInteger`, `valueDecimal`, `valueQuantity`).
fn numeric_answer(kind: &str, v: &J, path: &str) -> Result<Dec> {
    let invalid = |p: &str, m: String| Error::new(ErrorCode::FhirInvalidValue, p, m);
    let (lit, lit_path) = match kind {
        "valueInteger" | "valueDecimal" => (v.as_num(), path.to_owned()),
        "valueQuantity" => {
            if v.get("comparator").is_some() {
                return Err(invalid(
                    &format!("{path}/comparator"),
                    "a quantity with a comparator is not an exact score".into(),
                ));
            }
            if let Some(sys) = v.str_at("system") {
                if sys != "http://unitsofmeasure.org" {
                    return Err(invalid(&format!("{path}/system"), format!("unit system {:?} is not UCUM", short(sys))));
                }
            }
            for key in ["code", "unit"] {
                if let Some(u) = v.get(key) {
                    let u = u.as_str().ok_or_else(|| perr(format!("{path}/{key}"), "a unit must be a string"))?;
                    if !is_score_unit(u) {
                        return Err(invalid(
                            &format!("{path}/{key}"),
                            format!("unit {:?} is not a score unit ({{score}}, 1)", short(u)),
                        ));
                    }
                }
            }
            (v.get("value").and_then(J::as_num), format!("{path}/value"))
        }
        _ => (None, path.to_owned()),
    };
    let lit = lit.ok_or_else(|| invalid(&lit_path, "expected a JSON number".into()))?;
    exact_decimal(lit)
        .map(Dec)
        .ok_or_else(|| invalid(&lit_path, format!("{} is not a decimal within range", short(lit))))
}

impl Reader<'_> {
    fn options<'b>(&'b self, item: &'b ItemSpec) -> &'b [OptionSpec] {
        match &item.options {
            OptionsRef::Inline(v) => v,
            OptionsRef::Named(n) => self.option_sets.get(n).map(Vec::as_slice).unwrap_or(&[]),
        }
    }

    /// The scale a computed item claims to hold.
    fn stored_scale(&self, link: &str) -> Option<String> {
        let f = self.fhir?;
        if let Some(s) = f.calculated_scales.get(link) {
            return Some(s.clone());
        }
        f.observation_codes
            .iter()
            .find(|(_, c)| link_matches_code(link, &c.code))
            .map(|(s, _)| s.clone())
    }

    fn is_stored(&self, link: &str) -> bool {
        self.calculated.contains(link)
            || self
                .fhir
                .is_some_and(|f| f.observation_codes.values().any(|c| link_matches_code(link, &c.code)))
    }

    fn is_ignored(&self, link: &str) -> bool {
        self.ignored.contains(link)
    }

    /// Record a stored total (never used for scoring).
    fn record_stored(&mut self, link: &str, answers: &[J], path: &str) {
        let scale = self.stored_scale(link);
        for (k, a) in answers.iter().enumerate() {
            let apath = format!("{path}/answer/{k}");
            let stored = answer_value(a, &apath)
                .ok()
                .and_then(|(kind, v)| numeric_answer(kind, v, &format!("{apath}/{kind}")).ok());
            self.stored.push(StoredTotal {
                link_id: link.to_owned(),
                path: apath,
                scale: scale.clone(),
                stored,
                recomputed: None,
                status: StoredTotalStatus::NotCompared,
            });
        }
    }

    fn walk(&mut self, items: &[J], base: &str, under_answer: Option<&str>) -> Result<()> {
        for (i, item) in items.iter().enumerate() {
            let path = format!("{base}/item/{i}");
            if item.as_object().is_none() {
                return Err(perr(&path, format!("an item must be an object, found {}", item.kind())));
            }
            let link = item.str_at("linkId").ok_or_else(|| perr(format!("{path}/linkId"), "item without a linkId"))?;
            let answers: &[J] = match item.get("answer") {
                None => &[],
                Some(J::Arr(a)) => a,
                Some(other) => return Err(perr(format!("{path}/answer"), format!("answer must be an array, found {}", other.kind()))),
            };
            let children: &[J] = match item.get("item") {
                None => &[],
                Some(J::Arr(a)) => a,
                Some(other) => return Err(perr(format!("{path}/item"), format!("item must be an array, found {}", other.kind()))),
            };
            if self.is_stored(link) {
                self.record_stored(link, answers, &path);
                continue; // never trusted: the engine recomputes every total
            }
            if self.is_ignored(link) {
                continue; // carries no score
            }
            let Some(spec_item) = self.links.get(link).copied() else {
                if !answers.is_empty() {
                    return Err(Error::new(
                        ErrorCode::FhirUnknownLinkId,
                        format!("{path}/linkId"),
                        format!("instrument {} has no item with linkId {:?}", self.spec_id, short(link)),
                    ));
                }
                self.walk(children, &path, under_answer)?; // a group (or an unanswered display item)
                continue;
            };
            let number = spec_item.number;
            if let Some(q) = under_answer {
                return Err(Error::new(
                    ErrorCode::FhirNestedItem,
                    &path,
                    format!(
                        "item {number} (linkId {:?}) is nested under the answer at {q}; the instrument's items are not nested",
                        short(link)
                    ),
                )
                .with_item(number));
            }
            if !self.answered.insert(number) {
                return Err(Error::new(
                    ErrorCode::FhirDuplicateLinkId,
                    format!("{path}/linkId"),
                    format!("item {number} (linkId {:?}) appears twice", short(link)),
                )
                .with_item(number));
            }
            if answers.len() > 1 {
                return Err(Error::new(
                    ErrorCode::FhirMultipleAnswers,
                    format!("{path}/answer"),
                    format!("{} answers to item {number}, which takes one", answers.len()),
                )
                .with_item(number));
            }
            self.walk(children, &path, under_answer)?;
            let Some(answer) = answers.first() else { continue };
            let apath = format!("{path}/answer/0");
            let nested = match answer.get("item") {
                None => &[][..],
                Some(J::Arr(a)) => a,
                Some(other) => return Err(perr(format!("{apath}/item"), format!("item must be an array, found {}", other.kind()))),
            };
            self.walk(nested, &apath, Some(&apath))?;
            let code = self.answer_code(spec_item, link, answer, &apath)?;
            self.response.answers.insert(number.to_string(), Answer::Code(code));
        }
        Ok(())
    }

    /// The option code an answer selects.
    fn answer_code(&self, spec_item: &ItemSpec, link: &str, answer: &J, apath: &str) -> Result<i64> {
        let number = spec_item.number;
        let numeric = spec_item.fhir.as_ref().is_some_and(|f| f.numeric);
        let (kind, v) = answer_value(answer, apath).map_err(|e| e.with_item(number))?;
        let vpath = format!("{apath}/{kind}");
        let opts = self.options(spec_item);
        match (kind, numeric) {
            ("valueCoding", false) => {
                let coding = coding_of(v).ok_or_else(|| perr(format!("{vpath}/code"), "coding without a code").with_item(number))?;
                let mut found = opts.iter().filter(|o| {
                    o.fhir
                        .as_ref()
                        .is_some_and(|f| f.code == coding.code && (f.system.is_none() || coding.system.is_none() || f.system == coding.system))
                });
                match (found.next(), found.next()) {
                    (Some(o), None) => Ok(o.code),
                    (None, _) => Err(Error::new(
                        ErrorCode::FhirUnknownAnswer,
                        vpath,
                        format!("answer {:?} is not an option of item {number} (linkId {:?})", short(&coding.code), short(link)),
                    )
                    .with_item(number)),
                    (Some(_), Some(_)) => Err(Error::new(
                        ErrorCode::FhirUnknownAnswer,
                        vpath,
                        format!("answer {:?} matches several options of item {number}; give its system", short(&coding.code)),
                    )
                    .with_item(number)),
                }
            }
            ("valueInteger" | "valueDecimal" | "valueQuantity", true) => {
                let d = numeric_answer(kind, v, &vpath).map_err(|e| e.with_item(number))?;
                let whole = if d.0.fract().is_zero() { d.0.to_i64() } else { None };
                let mut found = opts.iter().filter(|o| whole == Some(i64::from(o.value)));
                match (found.next(), found.next()) {
                    (Some(o), None) => Ok(o.code),
                    _ => {
                        let lo = opts.iter().map(|o| o.value).min().unwrap_or(0);
                        let hi = opts.iter().map(|o| o.value).max().unwrap_or(0);
                        Err(Error::new(
                            ErrorCode::FhirInvalidValue,
                            vpath,
                            format!("{d} is not a value of item {number} (whole numbers {lo}..{hi}; never rounded)"),
                        )
                        .with_item(number))
                    }
                }
            }
            (_, false) => {
                let why = if matches!(kind, "valueInteger" | "valueDecimal" | "valueQuantity") {
                    " (a number would be ambiguous: option code or weight?)"
                } else {
                    ""
                };
                Err(Error::new(
                    ErrorCode::FhirAnswerType,
                    vpath,
                    format!(
                        "item {number} is a choice item: answer with a valueCoding naming one of its options, not {}{why}",
                        short(kind)
                    ),
                )
                .with_item(number))
            }
            (_, true) => Err(Error::new(
                ErrorCode::FhirAnswerType,
                vpath,
                format!(
                    "item {number} is numeric: answer with valueInteger, valueDecimal or valueQuantity, not {}",
                    short(kind)
                ),
            )
            .with_item(number)),
        }
    }
}

/// Read a QuestionnaireResponse against an instrument.
pub(super) fn read(instrument: &Instrument, json: &str) -> Result<Read> {
    let qr = parse_resource(json, "QuestionnaireResponse")?;
    if qr.str_at("status") == Some("entered-in-error") {
        return Err(Error::new(
            ErrorCode::FhirResponseStatus,
            "/status",
            "the QuestionnaireResponse is marked entered-in-error and must not be scored",
        ));
    }
    let spec = instrument.spec();
    let mut reader = Reader {
        spec_id: &spec.id,
        option_sets: &spec.option_sets,
        links: spec.items.iter().filter_map(|i| i.fhir.as_ref().map(|f| (f.link_id.as_str(), i))).collect(),
        fhir: spec.fhir.as_ref(),
        calculated: spec
            .fhir
            .iter()
            .flat_map(|f| f.calculated_link_ids.iter().chain(f.calculated_scales.keys()))
            .map(String::as_str)
            .collect(),
        ignored: spec.fhir.iter().flat_map(|f| f.ignored_link_ids.iter()).map(String::as_str).collect(),
        answered: BTreeSet::new(),
        response: Response::default(),
        stored: Vec::new(),
    };
    if let Some(t) = qr.str_at("authored") {
        reader.response.finished_at = Some(t.to_owned());
    }
    let items: &[J] = match qr.get("item") {
        None => &[],
        Some(J::Arr(a)) => a,
        Some(other) => return Err(perr("/item", format!("item must be an array, found {}", other.kind()))),
    };
    reader.walk(items, "", None)?;
    Ok(Read {
        response: reader.response,
        stored: reader.stored,
    })
}
