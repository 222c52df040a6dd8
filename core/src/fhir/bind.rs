//! Bind a `Questionnaire` to an existing instrument, so its responses are scored with the
//! instrument's bands, flags and screen rules (not just the total of an imported skeleton).

use super::import::import_questionnaire;
use super::json::{self, J};
use super::short;
use crate::error::{Error, ErrorCode, Result};
use crate::instrument::spec::{Coding, FhirItemLink, ItemSpec, OptionSpec, OptionsRef};
use crate::instrument::Instrument;
use std::collections::{BTreeMap, BTreeSet};

fn incompatible(path: impl Into<String>, msg: impl Into<String>) -> Error {
    Error::new(ErrorCode::FhirIncompatible, path, msg)
}

/// JSON pointers of every item of a Questionnaire, by linkId.
fn item_paths(items: &[J], base: &str, out: &mut BTreeMap<String, String>) {
    for (i, it) in items.iter().enumerate() {
        let p = format!("{base}/item/{i}");
        if let Some(l) = it.str_at("linkId") {
            out.entry(l.to_owned()).or_insert_with(|| p.clone());
        }
        item_paths(it.arr_at("item"), &p, out);
    }
}

fn same_code(a: &Coding, b: &Coding) -> bool {
    a.code == b.code && (a.system.is_none() || b.system.is_none() || a.system == b.system)
}

fn options<'a>(item: &'a ItemSpec, sets: &'a BTreeMap<String, Vec<OptionSpec>>) -> &'a [OptionSpec] {
    match &item.options {
        OptionsRef::Inline(v) => v,
        OptionsRef::Named(n) => sets.get(n).map(Vec::as_slice).unwrap_or(&[]),
    }
}

/// For each questionnaire option (by index), the instrument option code it stands for.
fn map_options(
    paths: &BTreeMap<String, String>,
    inst: &Instrument,
    target: &ItemSpec,
    q_item: &ItemSpec,
    q_opts: &[OptionSpec],
    t_opts: &[OptionSpec],
    scored: bool,
) -> Result<Vec<i64>> {
    let number = target.number;
    let link = q_item.fhir.as_ref().map_or("", |f| f.link_id.as_str());
    let at = paths.get(link).cloned().unwrap_or_default();
    let mut out = Vec::with_capacity(q_opts.len());
    let mut used = BTreeSet::new();
    for qo in q_opts {
        let hits: Vec<i64> = if scored {
            // The questionnaire's weight must be the instrument's scored value (after any reversal).
            t_opts
                .iter()
                .filter(|t| inst.option_value(number, t.code) == Some(qo.value))
                .map(|t| t.code)
                .collect()
        } else {
            let Some(qc) = &qo.fhir else {
                return Err(incompatible(at, "an unweighted option without a coding"));
            };
            t_opts
                .iter()
                .filter(|t| t.fhir.as_ref().is_some_and(|tc| same_code(tc, qc)))
                .map(|t| t.code)
                .collect()
        };
        let [code] = hits.as_slice() else {
            return Err(incompatible(
                at,
                format!(
                    "option {} of linkId {:?} (weight {}) matches {} options of item {number} of {}",
                    qo.fhir.as_ref().map_or_else(|| qo.code.to_string(), |c| format!("{:?}", short(&c.code))),
                    short(link),
                    qo.value,
                    hits.len(),
                    inst.id()
                ),
            ));
        };
        if !used.insert(*code) {
            return Err(incompatible(
                at,
                format!("two options of linkId {:?} stand for the same option of item {number}", short(link)),
            ));
        }
        out.push(*code);
    }
    if used.len() != t_opts.len() {
        return Err(incompatible(
            at,
            format!(
                "linkId {:?} offers {} of the {} options of item {number} of {}",
                short(link),
                used.len(),
                t_opts.len(),
                inst.id()
            ),
        ));
    }
    Ok(out)
}

/// Bind a FHIR `Questionnaire` to `instrument`: the Questionnaire is imported (with every check
/// of [`import_questionnaire`]), its scored items are paired with the instrument's scored items
/// (by item code where both carry one, else in order), and each option is paired by weight = the
/// instrument's scored value. The result is the same instrument (same id, version, settings,
/// bands, flags and screen rule) whose FHIR links are the Questionnaire's, so
/// [`super::score_questionnaire_response`] reads its responses.
///
/// Anything that does not line up exactly — a different number of scored items, item codes that
/// differ, weights that are not the instrument's values, options missing — is a
/// `fhir.incompatible` error: a questionnaire is never scored with a key it was not written for.
///
/// ```
/// use changkaixin_core::{fhir, Catalog};
/// let q = include_str!("../../../tests/fixtures/fhir/sdc_phq9_questionnaire_hl7-sdc.json");
/// let qr = include_str!("../../../tests/fixtures/fhir/sdc_phq9_response_hl7-sdc.json");
/// let phq9 = fhir::bind_questionnaire(&Catalog::builtin().instrument("phq9").unwrap(), q).unwrap();
/// let report = fhir::score_questionnaire_response(&phq9, qr).unwrap();
/// assert_eq!(report.scale("total").unwrap().band.as_ref().unwrap().id, "moderate");
/// assert!(report.has_flag("item9_self_harm"));
/// ```
pub fn bind_questionnaire(instrument: &Instrument, questionnaire_json: &str) -> Result<Instrument> {
    let skel = import_questionnaire(questionnaire_json)?;
    let mut paths = BTreeMap::new();
    item_paths(json::parse(questionnaire_json)?.arr_at("item"), "", &mut paths);
    let at = |link: &str| paths.get(link).cloned().unwrap_or_default();
    let resolved = instrument.spec();
    let sk_fhir = skel.fhir.clone().unwrap_or_default();
    let q_scored: Vec<&ItemSpec> = skel.items.iter().filter(|i| i.scored).collect();
    let t_scored: Vec<&ItemSpec> = resolved.items.iter().filter(|i| i.scored).collect();
    if q_scored.len() != t_scored.len() {
        return Err(incompatible(
            "/item",
            format!(
                "the Questionnaire has {} scored items, instrument {} has {}",
                q_scored.len(),
                instrument.id(),
                t_scored.len()
            ),
        ));
    }
    let code_of = |i: &ItemSpec| i.fhir.as_ref().and_then(|f| f.code.clone());
    let by_code = q_scored.iter().chain(&t_scored).all(|i| code_of(i).is_some());
    // Pairs (questionnaire item, instrument item).
    let mut pairs: Vec<(&ItemSpec, &ItemSpec)> = Vec::new();
    for (k, q) in q_scored.iter().enumerate() {
        let link = q.fhir.as_ref().map_or("", |f| f.link_id.as_str());
        let t = if by_code {
            let qc = code_of(q).unwrap_or_else(|| Coding {
                system: None,
                code: String::new(),
                display: None,
            });
            let found: Vec<&&ItemSpec> = t_scored.iter().filter(|t| code_of(t).is_some_and(|tc| same_code(&tc, &qc))).collect();
            let [t] = found.as_slice() else {
                return Err(incompatible(
                    at(link),
                    format!(
                        "item code {:?} of linkId {:?} matches {} items of {}",
                        short(&qc.code),
                        short(link),
                        found.len(),
                        instrument.id()
                    ),
                ));
            };
            **t
        } else {
            t_scored[k]
        };
        if let (Some(qc), Some(tc)) = (code_of(q), code_of(t)) {
            if !same_code(&qc, &tc) {
                return Err(incompatible(
                    at(link),
                    format!(
                        "linkId {:?} has item code {:?}, item {} of {} has {:?}",
                        short(link),
                        short(&qc.code),
                        t.number,
                        instrument.id(),
                        short(&tc.code)
                    ),
                ));
            }
        }
        if pairs.iter().any(|(_, p)| p.number == t.number) {
            return Err(incompatible(at(link), format!("two questionnaire items pair with item {}", t.number)));
        }
        pairs.push((q, t));
    }
    let mut ignored = sk_fhir.ignored_link_ids.clone();
    // Unscored questionnaire items pair with unscored instrument items by item code, else are ignored.
    for q in skel.items.iter().filter(|i| !i.scored) {
        let link = q.fhir.as_ref().map_or(String::new(), |f| f.link_id.clone());
        let t = code_of(q).and_then(|qc| resolved.items.iter().find(|t| !t.scored && code_of(t).is_some_and(|tc| same_code(&tc, &qc))));
        let ok = t.is_some_and(|t| {
            map_options(
                &paths,
                instrument,
                t,
                q,
                options(q, &skel.option_sets),
                options(t, &resolved.option_sets),
                false,
            )
            .is_ok()
        });
        match t {
            Some(t) if ok => pairs.push((q, t)),
            _ => ignored.push(link),
        }
    }
    // Patch the spec as written (settings are re-applied on compile).
    let mut spec = instrument.source_spec().clone();
    let source_sets = spec.option_sets.clone();
    // Option pairing for every paired item, computed on the resolved spec.
    let mut plans: BTreeMap<u32, (&ItemSpec, Vec<i64>)> = BTreeMap::new();
    for (q, t) in &pairs {
        let codes = map_options(
            &paths,
            instrument,
            t,
            q,
            options(q, &skel.option_sets),
            options(t, &resolved.option_sets),
            t.scored,
        )?;
        plans.insert(t.number, (*q, codes));
    }
    for item in &mut spec.items {
        let Some((q, codes)) = plans.get(&item.number) else {
            item.fhir = None; // an item the Questionnaire does not ask is not reachable by linkId
            continue;
        };
        let q_link = q.fhir.as_ref().map_or("", |f| f.link_id.as_str());
        let numeric = q.fhir.as_ref().is_some_and(|f| f.numeric);
        let mut opts: Vec<OptionSpec> = options(item, &source_sets).to_vec();
        for (qo, code) in options(q, &skel.option_sets).iter().zip(codes) {
            let Some(o) = opts.iter_mut().find(|o| o.code == *code) else { continue };
            o.id = Some(o.effective_id()); // keep the instrument's option ids
            o.fhir = qo.fhir.clone();
            // A numeric answer selects an option by its value, which must then be its scored value.
            if numeric && instrument.option_value(item.number, o.code) != Some(o.value) {
                return Err(incompatible(
                    at(q_link),
                    format!(
                        "item {} is reverse-keyed or recoded; a numeric answer cannot stand for one of its options",
                        item.number
                    ),
                ));
            }
        }
        item.options = OptionsRef::Inline(opts);
        let code = item
            .fhir
            .as_ref()
            .and_then(|f| f.code.clone())
            .or_else(|| q.fhir.as_ref().and_then(|f| f.code.clone()));
        item.fhir = Some(FhirItemLink {
            link_id: q_link.to_owned(),
            code,
            numeric,
        });
    }
    let mut link = spec.fhir.clone().unwrap_or_default();
    link.questionnaire = sk_fhir.questionnaire.clone().or(link.questionnaire);
    link.calculated_link_ids = sk_fhir.calculated_link_ids.clone();
    link.calculated_scales = sk_fhir
        .calculated_scales
        .iter()
        .filter(|(_, s)| spec.scales.iter().any(|sc| &sc.id == *s))
        .map(|(l, s)| (l.clone(), s.clone()))
        .collect();
    link.ignored_link_ids = ignored;
    spec.fhir = Some(link);
    spec.notes.push(format!(
        "FHIR links bound to Questionnaire {} by fhir::bind_questionnaire (scoring rules unchanged).",
        short(sk_fhir.questionnaire.as_deref().unwrap_or(&skel.id))
    ));
    let bound = Instrument::from_spec_with(spec, instrument.settings())?;
    // A setting that replaces items would drop the links: check they survived.
    for (q, _) in &pairs {
        let l = q.fhir.as_ref().map_or("", |f| f.link_id.as_str());
        if !bound.spec().items.iter().any(|i| i.fhir.as_ref().is_some_and(|f| f.link_id == l)) {
            return Err(incompatible(at(l), "a setting of the instrument replaces this item; bind without that setting"));
        }
    }
    Ok(bound)
}
