//! `Questionnaire` → instrument skeleton. See the module documentation of [`crate::fhir`].

use super::json::{exact_decimal, J};
use super::{coding_of, parse_resource, perr, short};
use crate::error::{Error, ErrorCode, Result};
use crate::instrument::spec::*;
use rust_decimal::prelude::ToPrimitive;
use std::collections::{BTreeMap, BTreeSet};

/// Most options (or numeric values) one item may have: option codes are 0..=127.
pub const MAX_OPTIONS: usize = 128;

/// Extensions whose value is an option's score (current name first).
pub(super) const WEIGHT_URLS: &[&str] = &[
    "http://hl7.org/fhir/StructureDefinition/itemWeight",
    "http://hl7.org/fhir/StructureDefinition/ordinalValue",
    "http://hl7.org/fhir/StructureDefinition/questionnaire-ordinalValue",
    "http://hl7.org/fhir/StructureDefinition/valueset-ordinalValue",
    "http://hl7.org/fhir/StructureDefinition/iso21090-CO-value",
];
/// Concept property codes that hold a weight.
const WEIGHT_PROPERTIES: &[&str] = &["itemWeight", "ordinalValue"];
/// Extensions that make an item computed (its answer is a stored result, never an input).
const CALCULATED_URLS: &[&str] = &[
    "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-calculatedExpression",
    "http://hl7.org/fhir/StructureDefinition/cqf-expression",
    "http://hl7.org/fhir/StructureDefinition/cqf-calculatedValue",
];
const ENABLE_WHEN_EXPRESSION_URL: &str = "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-enableWhenExpression";
const UNIT_URLS: &[&str] = &[
    "http://hl7.org/fhir/StructureDefinition/questionnaire-unit",
    "http://hl7.org/fhir/StructureDefinition/questionnaire-unitOption",
];
const MIN_URLS: &[&str] = &[
    "http://hl7.org/fhir/StructureDefinition/minValue",
    "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-minQuantity",
];
const MAX_URLS: &[&str] = &[
    "http://hl7.org/fhir/StructureDefinition/maxValue",
    "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-maxQuantity",
];
/// Item types that never carry a score.
const INFORMATIONAL_TYPES: &[&str] = &["string", "text", "boolean", "date", "dateTime", "time", "url", "attachment", "reference"];

fn err(code: ErrorCode, path: impl Into<String>, msg: impl Into<String>) -> Error {
    Error::new(code, path, msg)
}

/// The extensions of an element (absent → empty; not an array → parse error).
fn extensions<'a>(el: &'a J, path: &str) -> Result<&'a [J]> {
    match el.get("extension") {
        None => Ok(&[]),
        Some(J::Arr(a)) => Ok(a),
        Some(other) => Err(perr(format!("{path}/extension"), format!("extension must be an array, found {}", other.kind()))),
    }
}

/// An array member (absent → empty; not an array → parse error).
fn array<'a>(el: &'a J, key: &str, path: &str) -> Result<&'a [J]> {
    match el.get(key) {
        None => Ok(&[]),
        Some(J::Arr(a)) => Ok(a),
        Some(other) => Err(perr(format!("{path}/{key}"), format!("{key} must be an array, found {}", other.kind()))),
    }
}

fn has_ext(el: &J, urls: &[&str]) -> bool {
    el.arr_at("extension").iter().any(|e| e.str_at("url").is_some_and(|u| urls.contains(&u)))
}

/// An exact integer from a JSON number literal, as i32.
fn exact_i32(v: &J) -> std::result::Result<i32, String> {
    let lit = v.as_num().ok_or_else(|| format!("expected a number, found {}", v.kind()))?;
    let d = exact_decimal(lit).ok_or_else(|| format!("{} is not a decimal within range", short(lit)))?;
    if !d.fract().is_zero() {
        return Err(format!(
            "{} is not a whole number; the engine scores integer values and never rounds",
            short(lit)
        ));
    }
    d.to_i32().ok_or_else(|| format!("{} is out of range", short(lit)))
}

/// A weight found at a path.
type Weight = Option<(i32, String)>;

/// The weight extensions on one element (several must agree).
fn weight_in_extensions(el: &J, path: &str) -> Result<Weight> {
    let mut found: Weight = None;
    for (k, e) in extensions(el, path)?.iter().enumerate() {
        let url = e.str_at("url").unwrap_or("");
        if !WEIGHT_URLS.contains(&url) {
            continue;
        }
        let p = format!("{path}/extension/{k}");
        let raw = e
            .get("valueDecimal")
            .or_else(|| e.get("valueInteger"))
            .ok_or_else(|| err(ErrorCode::FhirInvalidWeight, &p, "weight extension without valueDecimal or valueInteger"))?;
        let w = exact_i32(raw).map_err(|m| err(ErrorCode::FhirInvalidWeight, &p, format!("option weight {m}")))?;
        found = merge(found, Some((w, p)))?;
    }
    Ok(found)
}

/// A weight held in a concept `property` (ValueSet expansion or CodeSystem).
fn weight_in_properties(el: &J, path: &str, names: &[String]) -> Result<Weight> {
    let mut found: Weight = None;
    for (k, prop) in array(el, "property", path)?.iter().enumerate() {
        let code = prop.str_at("code").unwrap_or("");
        if !(WEIGHT_PROPERTIES.contains(&code) || names.iter().any(|n| n == code)) {
            continue;
        }
        let p = format!("{path}/property/{k}");
        let raw = prop
            .get("valueDecimal")
            .or_else(|| prop.get("valueInteger"))
            .ok_or_else(|| err(ErrorCode::FhirInvalidWeight, &p, "weight property without valueDecimal or valueInteger"))?;
        let w = exact_i32(raw).map_err(|m| err(ErrorCode::FhirInvalidWeight, &p, format!("option weight {m}")))?;
        found = merge(found, Some((w, p)))?;
    }
    Ok(found)
}

/// Two sources of one option's weight must agree.
fn merge(a: Weight, b: Weight) -> Result<Weight> {
    match (a, b) {
        (Some((x, px)), Some((y, py))) if x != y => Err(err(
            ErrorCode::FhirInvalidWeight,
            py,
            format!("weight {y} disagrees with weight {x} given for the same option at {px}"),
        )),
        (Some(a), _) => Ok(Some(a)),
        (None, b) => Ok(b),
    }
}

/// The import state.
struct Importer<'a> {
    q: &'a J,
    items: Vec<ItemSpec>,
    seen: BTreeSet<String>,
    calculated: Vec<String>,
    /// Computed numeric items: (linkId, item code).
    computed_numeric: Vec<(String, Option<Coding>)>,
    ignored: Vec<String>,
    /// Contained CodeSystem weights by `(system, code)`.
    cs_weights: BTreeMap<(String, String), Result<Weight>>,
    /// Resolved `answerValueSet`s, by reference.
    value_sets: BTreeMap<String, Vec<Opt>>,
}

/// What surrounds an item.
#[derive(Clone, Default)]
struct Scope {
    /// Path of the nearest `enableWhen` (on the item or a group around it).
    conditional: Option<String>,
    /// Path of the nearest `repeats: true`.
    repeats: Option<String>,
    /// Path of the question item this one is nested under.
    nested_under: Option<String>,
}

/// An option of a choice item.
#[derive(Clone)]
struct Opt {
    coding: Coding,
    weight: Weight,
}

impl Importer<'_> {
    fn walk(&mut self, items: &[J], base: &str, scope: &Scope) -> Result<()> {
        for (i, item) in items.iter().enumerate() {
            let path = format!("{base}/item/{i}");
            if item.as_object().is_none() {
                return Err(perr(&path, format!("an item must be an object, found {}", item.kind())));
            }
            let link = item.str_at("linkId").ok_or_else(|| perr(format!("{path}/linkId"), "item without a linkId"))?;
            if !self.seen.insert(link.to_owned()) {
                return Err(err(
                    ErrorCode::FhirDuplicateLinkId,
                    format!("{path}/linkId"),
                    format!("linkId {:?} appears twice", short(link)),
                ));
            }
            let ty = item.str_at("type").ok_or_else(|| perr(format!("{path}/type"), "item without a type"))?;
            let mut s = scope.clone();
            if !array(item, "enableWhen", &path)?.is_empty() {
                s.conditional = Some(format!("{path}/enableWhen"));
            } else if let Some(k) = extensions(item, &path)?
                .iter()
                .position(|e| e.str_at("url") == Some(ENABLE_WHEN_EXPRESSION_URL))
            {
                s.conditional = Some(format!("{path}/extension/{k}"));
            }
            if item.get("repeats").and_then(J::as_bool) == Some(true) {
                s.repeats = Some(format!("{path}/repeats"));
            }
            let children = array(item, "item", &path)?;
            match ty {
                "group" => self.walk(children, &path, &s)?,
                "display" => {}
                "choice" | "coding" | "open-choice" | "integer" | "decimal" | "quantity" => {
                    self.question(item, &path, link, ty, &s)?;
                    s.nested_under = Some(path.clone());
                    self.walk(children, &path, &s)?;
                }
                t if INFORMATIONAL_TYPES.contains(&t) => {
                    self.ignored.push(link.to_owned());
                    s.nested_under = Some(path.clone());
                    self.walk(children, &path, &s)?;
                }
                other => {
                    return Err(err(
                        ErrorCode::FhirItemType,
                        format!("{path}/type"),
                        format!("{:?} is not a FHIR Questionnaire item type", short(other)),
                    ))
                }
            }
        }
        Ok(())
    }

    /// A scored item may not be conditional, repeat or sit under a question.
    fn check_scored(scope: &Scope, path: &str, link: &str) -> Result<()> {
        if let Some(q) = &scope.nested_under {
            return Err(err(
                ErrorCode::FhirNestedItem,
                path,
                format!(
                    "scored item {:?} is nested under the question item at {q}; only groups may hold scored items",
                    short(link)
                ),
            ));
        }
        if let Some(c) = &scope.conditional {
            return Err(err(
                ErrorCode::FhirEnableWhen,
                c,
                format!(
                    "scored item {:?} is conditional (enableWhen or enableWhenExpression); whether it counts would depend on other answers, which the engine does not evaluate",
                    short(link)
                ),
            ));
        }
        if let Some(r) = &scope.repeats {
            return Err(err(
                ErrorCode::FhirRepeats,
                r,
                format!("scored item {:?} repeats; a repeating item has no single score", short(link)),
            ));
        }
        Ok(())
    }

    fn question(&mut self, item: &J, path: &str, link: &str, ty: &str, scope: &Scope) -> Result<()> {
        let numeric = matches!(ty, "integer" | "decimal" | "quantity");
        let code = item.arr_at("code").first().and_then(coding_of);
        if has_ext(item, CALCULATED_URLS) || item.get("readOnly").and_then(J::as_bool) == Some(true) {
            self.calculated.push(link.to_owned());
            if numeric {
                self.computed_numeric.push((link.to_owned(), code));
            }
            return Ok(());
        }
        let number = self.items.len() as u32 + 1;
        let text = item.str_at("text").map(|t| Localized {
            zh: None,
            en: Some(t.to_owned()),
        });
        if numeric {
            if item.get("answerOption").is_some() {
                return Err(err(
                    ErrorCode::FhirUnsupported,
                    format!("{path}/answerOption"),
                    "answerOption on a numeric item is not supported; use a choice item with weighted options",
                ));
            }
            if !has_score_unit(item) {
                self.ignored.push(link.to_owned());
                return Ok(());
            }
            let (lo, hi) = bounds(item, path)?;
            Self::check_scored(scope, path, link)?;
            let options = (lo..=hi)
                .enumerate()
                .map(|(i, v)| OptionSpec {
                    id: Some(format!("value_{v}")),
                    code: i as i64,
                    value: v,
                    label: None,
                    fhir: None,
                })
                .collect();
            self.items.push(ItemSpec {
                number,
                id: format!("q{number}"),
                text,
                options: OptionsRef::Inline(options),
                reverse: false,
                values: None,
                scored: true,
                asked_if: None,
                fhir: Some(FhirItemLink {
                    link_id: link.to_owned(),
                    code,
                    numeric: true,
                }),
            });
            return Ok(());
        }
        let opts = self.options_of(item, path)?;
        if opts.len() > MAX_OPTIONS {
            return Err(err(
                ErrorCode::FhirLimit,
                path,
                format!("{} options; at most {MAX_OPTIONS} are supported", opts.len()),
            ));
        }
        let weighted = opts.iter().filter(|o| o.weight.is_some()).count();
        if weighted > 0 && weighted < opts.len() {
            return Err(err(
                ErrorCode::FhirPartialWeights,
                path,
                format!("{weighted} of {} options carry a weight; either all or none must", opts.len()),
            ));
        }
        let scored = weighted > 0;
        if scored {
            Self::check_scored(scope, path, link)?;
        } else if scope.repeats.is_some() || scope.nested_under.is_some() {
            // An unweighted multi-select or nested choice carries no score and has no single answer.
            self.ignored.push(link.to_owned());
            return Ok(());
        }
        let mut used = BTreeSet::new();
        let options = opts
            .into_iter()
            .enumerate()
            .map(|(i, o)| OptionSpec {
                id: Some(option_id(&o.coding.code, i, &mut used)),
                code: i as i64,
                value: o.weight.map_or(i as i32, |(w, _)| w),
                label: o.coding.display.as_ref().map(|d| Localized { zh: None, en: Some(d.clone()) }),
                fhir: Some(o.coding),
            })
            .collect();
        self.items.push(ItemSpec {
            number,
            id: format!("q{number}"),
            text,
            options: OptionsRef::Inline(options),
            reverse: false,
            values: None,
            scored,
            asked_if: None,
            fhir: Some(FhirItemLink {
                link_id: link.to_owned(),
                code,
                numeric: false,
            }),
        });
        Ok(())
    }

    /// The options of a choice item, with weights.
    fn options_of(&mut self, item: &J, path: &str) -> Result<Vec<Opt>> {
        if let Some(list) = item.get("answerOption") {
            let list = list
                .as_array()
                .ok_or_else(|| perr(format!("{path}/answerOption"), "answerOption must be an array"))?;
            let mut out = Vec::with_capacity(list.len());
            for (k, o) in list.iter().enumerate() {
                let op = format!("{path}/answerOption/{k}");
                let Some(vc) = o.get("valueCoding") else {
                    let kind = o
                        .as_object()
                        .and_then(|m| m.iter().find(|(key, _)| key.starts_with("value")).map(|(key, _)| key.clone()))
                        .unwrap_or_else(|| "no value".to_owned());
                    return Err(err(
                        ErrorCode::FhirUnsupported,
                        op,
                        format!("answerOption with {}: only valueCoding options are supported", short(&kind)),
                    ));
                };
                let coding = coding_of(vc).ok_or_else(|| perr(format!("{op}/valueCoding/code"), "coding without a code"))?;
                let mut w = weight_in_extensions(o, &op)?;
                w = merge(w, weight_in_extensions(vc, &format!("{op}/valueCoding"))?)?;
                w = merge(w, self.code_system_weight(coding.system.as_deref(), &coding.code)?)?;
                out.push(Opt { coding, weight: w });
            }
            if out.is_empty() {
                return Err(err(ErrorCode::FhirValueSet, format!("{path}/answerOption"), "answerOption is empty"));
            }
            return Ok(out);
        }
        let Some(vs) = item.get("answerValueSet") else {
            return Err(err(
                ErrorCode::FhirValueSet,
                path,
                "choice item with neither answerOption nor answerValueSet: its options cannot be known",
            ));
        };
        let vpath = format!("{path}/answerValueSet");
        let vs = vs.as_str().ok_or_else(|| perr(&vpath, "answerValueSet must be a string"))?;
        if let Some(done) = self.value_sets.get(vs) {
            return Ok(done.clone());
        }
        let opts = self.resolve_value_set(vs, &vpath)?;
        self.value_sets.insert(vs.to_owned(), opts.clone());
        Ok(opts)
    }

    /// The options of a contained ValueSet (`#id`).
    fn resolve_value_set(&self, vs: &str, vpath: &str) -> Result<Vec<Opt>> {
        let Some(local) = vs.strip_prefix('#') else {
            return Err(err(
                ErrorCode::FhirValueSet,
                vpath,
                format!(
                    "external value set {:?}: only contained (#id) value sets can be resolved offline; contain it, or list answerOption",
                    short(vs)
                ),
            ));
        };
        let contained = array(self.q, "contained", "")?;
        let Some((ci, set)) = contained.iter().enumerate().find(|(_, r)| r.str_at("id") == Some(local)) else {
            return Err(err(ErrorCode::FhirValueSet, vpath, format!("contained value set {:?} not found", short(local))));
        };
        let cpath = format!("/contained/{ci}");
        if set.str_at("resourceType") != Some("ValueSet") {
            return Err(err(
                ErrorCode::FhirValueSet,
                vpath,
                format!("contained resource {:?} is not a ValueSet", short(local)),
            ));
        }
        let mut concepts: Vec<(&J, Option<String>, String)> = Vec::new();
        let expansion = set.get("expansion").map(|e| array(e, "contains", &format!("{cpath}/expansion"))).transpose()?;
        if let Some(contains) = expansion.filter(|c| !c.is_empty()) {
            flatten_contains(contains, &format!("{cpath}/expansion"), &mut concepts)?;
        } else if let Some(compose) = set.get("compose") {
            let ppath = format!("{cpath}/compose");
            if !array(compose, "exclude", &ppath)?.is_empty() {
                return Err(err(
                    ErrorCode::FhirValueSet,
                    format!("{ppath}/exclude"),
                    "compose.exclude cannot be applied offline",
                ));
            }
            for (k, inc) in array(compose, "include", &ppath)?.iter().enumerate() {
                let ipath = format!("{ppath}/include/{k}");
                if inc.get("valueSet").is_some() || inc.get("filter").is_some() {
                    return Err(err(
                        ErrorCode::FhirValueSet,
                        ipath,
                        "an include by valueSet or filter cannot be expanded offline; list the concepts",
                    ));
                }
                let system = inc.str_at("system").map(str::to_owned);
                let listed = array(inc, "concept", &ipath)?;
                if !listed.is_empty() {
                    for (j, c) in listed.iter().enumerate() {
                        concepts.push((c, system.clone(), format!("{ipath}/concept/{j}")));
                    }
                    continue;
                }
                // A whole code system: only a contained one can be enumerated.
                let found = contained
                    .iter()
                    .enumerate()
                    .find(|(_, r)| r.str_at("resourceType") == Some("CodeSystem") && system.is_some() && r.str_at("url") == system.as_deref());
                let Some((j, cs)) = found else {
                    return Err(err(
                        ErrorCode::FhirValueSet,
                        ipath,
                        format!(
                            "includes all of code system {:?}, which is not contained; list the concepts",
                            short(system.as_deref().unwrap_or(""))
                        ),
                    ));
                };
                flatten_concepts(cs, &format!("/contained/{j}"), &system, &mut concepts)?;
            }
        }
        if concepts.is_empty() {
            return Err(err(ErrorCode::FhirValueSet, vpath, format!("value set {:?} has no concepts", short(local))));
        }
        if concepts.len() > MAX_OPTIONS {
            return Err(err(
                ErrorCode::FhirLimit,
                vpath,
                format!(
                    "value set {:?} has {} concepts; at most {MAX_OPTIONS} options are supported",
                    short(local),
                    concepts.len()
                ),
            ));
        }
        let mut out = Vec::with_capacity(concepts.len());
        for (c, system, p) in concepts {
            let mut coding = coding_of(c).ok_or_else(|| perr(format!("{p}/code"), "concept without a code"))?;
            if coding.system.is_none() {
                coding.system = system;
            }
            let mut w = weight_in_extensions(c, &p)?;
            w = merge(w, weight_in_properties(c, &p, &[])?)?;
            w = merge(w, self.code_system_weight(coding.system.as_deref(), &coding.code)?)?;
            out.push(Opt { coding, weight: w });
        }
        Ok(out)
    }

    /// A weight defined for `system#code` in a contained CodeSystem.
    fn code_system_weight(&self, system: Option<&str>, code: &str) -> Result<Weight> {
        let Some(system) = system else { return Ok(None) };
        match self.cs_weights.get(&(system.to_owned(), code.to_owned())) {
            Some(r) => r.clone(),
            None => Ok(None),
        }
    }
}

/// Every weight of every contained CodeSystem concept, by `(system, code)`, indexed once (a
/// malformed weight is an error only when an option uses it; the first definition wins).
fn index_code_systems(q: &J) -> Result<BTreeMap<(String, String), Result<Weight>>> {
    let mut index = BTreeMap::new();
    for (j, cs) in q.arr_at("contained").iter().enumerate() {
        let Some(url) = cs.str_at("url").filter(|_| cs.str_at("resourceType") == Some("CodeSystem")) else {
            continue;
        };
        let base = format!("/contained/{j}");
        // Property codes declared with the itemWeight / ordinalValue URI.
        let names: Vec<String> = array(cs, "property", &base)?
            .iter()
            .filter(|p| {
                p.str_at("uri")
                    .is_some_and(|u| u.ends_with("#itemWeight") || u.ends_with("#ordinalValue") || u.ends_with("#weight"))
            })
            .filter_map(|p| p.str_at("code").map(str::to_owned))
            .collect();
        let mut all = Vec::new();
        flatten_concepts(cs, &base, &None, &mut all)?;
        for (c, _, p) in all {
            let Some(code) = c.str_at("code") else { continue };
            let w = weight_in_extensions(c, &p).and_then(|w| merge(w, weight_in_properties(c, &p, &names)?));
            index.entry((url.to_owned(), code.to_owned())).or_insert(w);
        }
    }
    Ok(index)
}

/// `expansion.contains`, flattened (abstract entries skipped).
fn flatten_contains<'a>(contains: &'a [J], base: &str, out: &mut Vec<(&'a J, Option<String>, String)>) -> Result<()> {
    for (k, c) in contains.iter().enumerate() {
        let p = format!("{base}/contains/{k}");
        if c.get("abstract").and_then(J::as_bool) != Some(true) && c.get("code").is_some() {
            out.push((c, c.str_at("system").map(str::to_owned), p.clone()));
        }
        let nested = array(c, "contains", &p)?;
        flatten_contains(nested, &p, out)?;
    }
    Ok(())
}

/// A CodeSystem's concepts, hierarchy flattened.
fn flatten_concepts<'a>(el: &'a J, base: &str, system: &Option<String>, out: &mut Vec<(&'a J, Option<String>, String)>) -> Result<()> {
    for (k, c) in array(el, "concept", base)?.iter().enumerate() {
        let p = format!("{base}/concept/{k}");
        out.push((c, system.clone(), p.clone()));
        flatten_concepts(c, &p, system, out)?;
    }
    Ok(())
}

/// Whether a numeric item declares its value a score (`{score}` unit).
fn has_score_unit(item: &J) -> bool {
    item.arr_at("extension").iter().any(|e| {
        e.str_at("url").is_some_and(|u| UNIT_URLS.contains(&u))
            && e.get("valueCoding").is_some_and(|c| {
                [c.str_at("code"), c.str_at("display")]
                    .into_iter()
                    .flatten()
                    .any(|s| s.eq_ignore_ascii_case("{score}"))
            })
    })
}

/// The integer bounds of a scored numeric item.
fn bounds(item: &J, path: &str) -> Result<(i32, i32)> {
    let bound = |urls: &[&str]| -> Result<Option<i32>> {
        for (k, e) in item.arr_at("extension").iter().enumerate() {
            if !e.str_at("url").is_some_and(|u| urls.contains(&u)) {
                continue;
            }
            let p = format!("{path}/extension/{k}");
            let raw = e
                .get("valueInteger")
                .or_else(|| e.get("valueDecimal"))
                .or_else(|| e.get("valueQuantity").and_then(|q| q.get("value")))
                .ok_or_else(|| err(ErrorCode::FhirUnboundedNumeric, &p, "bound without an integer, decimal or quantity value"))?;
            return exact_i32(raw)
                .map(Some)
                .map_err(|m| err(ErrorCode::FhirUnboundedNumeric, &p, format!("bound {m}")));
        }
        Ok(None)
    };
    let (Some(lo), Some(hi)) = (bound(MIN_URLS)?, bound(MAX_URLS)?) else {
        return Err(err(
            ErrorCode::FhirUnboundedNumeric,
            path,
            "a scored numeric item needs minValue and maxValue (integers) so its values can be checked",
        ));
    };
    let span = i64::from(hi) - i64::from(lo) + 1;
    if span < 1 || span > MAX_OPTIONS as i64 {
        return Err(err(
            ErrorCode::FhirUnboundedNumeric,
            path,
            format!("minValue {lo} .. maxValue {hi}: a scored numeric item may have 1 to {MAX_OPTIONS} values"),
        ));
    }
    Ok((lo, hi))
}

/// A valid, unique option id (`[A-Za-z0-9_.-]`, 1-64 characters, not a number, not
/// `missing`/`refused`) from an answer code: the code itself where it qualifies (LOINC `LA6568-5`),
/// else a slug of it (`More than half the days` → `More_than_half_the_days`).
fn option_id(code: &str, index: usize, used: &mut BTreeSet<String>) -> String {
    let mut slug: String = code
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-') { c } else { '_' })
        .take(56)
        .collect();
    if slug.trim_matches('_').is_empty() {
        slug = format!("option_{index}");
    }
    if slug.parse::<i64>().is_ok() || slug == "missing" || slug == "refused" {
        slug = format!("option_{slug}");
    }
    let mut id = slug.clone();
    let mut n = 2;
    while !used.insert(id.clone()) {
        id = format!("{slug}_{n}");
        n += 1;
    }
    id
}

fn sanitize_id(s: &str) -> String {
    let mut out: String = s
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' })
        .collect();
    out.truncate(58);
    format!("fhir_{}", out.trim_matches('_'))
}

/// Import a FHIR R4 `Questionnaire` into an instrument skeleton.
///
/// ```
/// let q = include_str!("../../../tests/fixtures/fhir/phq9_loinc_44249-1_lhncbc_lforms-fhir-app.json");
/// let spec = changkaixin_core::fhir::import_questionnaire(q).unwrap();
/// assert_eq!(spec.items.len(), 10); // 9 weighted items + the unweighted difficulty item
/// assert!(!spec.items[9].scored);
/// let inst = changkaixin_core::Instrument::from_spec(spec).unwrap();
/// assert_eq!(inst.spec().scales[0].id, "total");
/// ```
pub fn import_questionnaire(json: &str) -> Result<InstrumentSpec> {
    let q = parse_resource(json, "Questionnaire")?;
    let qid = q.str_at("id").or_else(|| q.str_at("name")).unwrap_or("questionnaire");
    let title = q.str_at("title").or_else(|| q.str_at("name")).unwrap_or(qid).to_owned();
    let mut imp = Importer {
        q: &q,
        items: Vec::new(),
        seen: BTreeSet::new(),
        calculated: Vec::new(),
        computed_numeric: Vec::new(),
        ignored: Vec::new(),
        cs_weights: index_code_systems(&q)?,
        value_sets: BTreeMap::new(),
    };
    let top = array(&q, "item", "")?;
    imp.walk(top, "", &Scope::default())?;
    let Importer {
        items,
        calculated,
        computed_numeric,
        ignored,
        ..
    } = imp;
    let scored: Vec<ItemRef> = items.iter().filter(|i| i.scored).map(|i| ItemRef::One(i.number)).collect();
    if scored.is_empty() {
        return Err(err(
            ErrorCode::FhirNoScoredItems,
            "/item",
            "no item carries a score (option weights in itemWeight/ordinalValue, or a {score} numeric item)",
        ));
    }
    // A single computed numeric item is the stored total; with several, none is assumed to be it.
    let mut observation_codes = BTreeMap::new();
    let mut calculated_scales = BTreeMap::new();
    if let [(link, code)] = computed_numeric.as_slice() {
        calculated_scales.insert(link.clone(), "total".to_owned());
        if let Some(c) = code {
            observation_codes.insert("total".to_owned(), c.clone());
        }
    }
    let panel = q.arr_at("code").first().and_then(coding_of);
    Ok(InstrumentSpec {
        format: INSTRUMENT_FORMAT.to_owned(),
        id: sanitize_id(qid),
        version: q.str_at("version").unwrap_or("fhir-import").to_owned(),
        name: Localized { zh: None, en: Some(title) },
        citation: format!("Imported from FHIR Questionnaire {}; add the instrument's citation.", short(qid)),
        license: License {
            id: "not-established".to_owned(),
            text: "Imported from FHIR; check the questionnaire's copyright element.".to_owned(),
            item_texts: true,
        },
        age_range: None,
        recall_period: None,
        notes: vec!["Skeleton imported from FHIR: the total is the sum of the items' weights (what SDC's weight() sums); bands, flags and missing-data rules must be added from the instrument's manual.".to_owned()],
        fhir: Some(FhirInstrumentLink {
            questionnaire: q.str_at("url").map(str::to_owned).or_else(|| panel.map(|p| p.code)),
            observation_codes,
            calculated_link_ids: calculated,
            calculated_scales,
            ignored_link_ids: ignored,
        }),
        option_sets: BTreeMap::new(),
        items,
        scales: vec![ScaleSpec {
            id: "total".to_owned(),
            name: Localized {
                zh: Some("总分".to_owned()),
                en: Some("Total".to_owned()),
            },
            kind: ScaleKind::Total,
            aggregate: Aggregate::Sum { items: scored },
            missing: MissingPolicy::RequireAll,
            report_decimals: None,
            report_rounding: None,
            bands_on: BandBasis::Raw,
            band_coverage: BandCoverage::Full,
            bands: Vec::new(),
            source: Some("sum of the Questionnaire's item weights".to_owned()),
        }],
        flags: Vec::new(),
        screen_positive: None,
        validity: Vec::new(),
        norm_group_keys: Vec::new(),
        norms: Vec::new(),
        settings: Vec::new(),
    })
}
