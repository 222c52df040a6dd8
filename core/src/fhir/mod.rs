//! HL7 FHIR R4 interoperability.
//!
//! * [`import_questionnaire`]: a `Questionnaire` (as LHC-Forms exports it:
//!   `answerOption` or a contained `ValueSet`, option weights in the
//!   `ordinalValue` or `itemWeight` extension) into an instrument skeleton —
//!   items, options with their codings, a `total` sum scale over items that
//!   carry weights. Bands, flags and citations are for the author to add.
//! * [`score_questionnaire_response`]: score a `QuestionnaireResponse` against
//!   an instrument by linkId. An unknown linkId or an answer coding that is not
//!   an option is an error; a stored total (a calculated item) is never trusted.
//! * [`export_observation`]: a scored scale as an `Observation` (LOINC code where
//!   the spec names one, e.g. 44261-6 for the PHQ-9 total).

use crate::decimal::Dec;
use crate::error::{Error, ErrorCode, Result};
use crate::instrument::spec::*;
use crate::instrument::Instrument;
use crate::scoring::report::{Answer, Response, ScoreReport};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

const ORDINAL_URLS: &[&str] = &[
    "http://hl7.org/fhir/StructureDefinition/ordinalValue",
    "http://hl7.org/fhir/StructureDefinition/itemWeight",
    "http://hl7.org/fhir/StructureDefinition/iso21090-CO-value",
];
const CALCULATED_URLS: &[&str] = &[
    "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-calculatedExpression",
    "http://hl7.org/fhir/StructureDefinition/cqf-expression",
];

fn perr(path: &str, msg: impl Into<String>) -> Error {
    Error::new(ErrorCode::FhirParse, path, msg)
}

fn parse_resource(json: &str, kind: &str) -> Result<Value> {
    let v: Value = serde_json::from_str(json).map_err(|e| Error::from_json(ErrorCode::FhirParse, &e))?;
    match v.get("resourceType").and_then(Value::as_str) {
        Some(k) if k == kind => Ok(v),
        other => Err(perr(
            "/resourceType",
            format!(
                "expected a {kind}, found {}",
                other.map_or("nothing".to_owned(), |o| crate::error::excerpt(o).to_string())
            ),
        )),
    }
}

fn sanitize_id(s: &str) -> String {
    let mut out: String = s
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' })
        .collect();
    out.truncate(58);
    format!("fhir_{}", out.trim_matches('_'))
}

fn ordinal(ext: Option<&Value>) -> Result<Option<i32>> {
    let Some(exts) = ext.and_then(Value::as_array) else { return Ok(None) };
    for e in exts {
        let url = e.get("url").and_then(Value::as_str).unwrap_or("");
        if ORDINAL_URLS.contains(&url) {
            let raw = e
                .get("valueDecimal")
                .or_else(|| e.get("valueInteger"))
                .ok_or_else(|| perr("extension", "weight extension without a value"))?;
            // serde_json gives JSON numbers as i64 when they are integers; weights that are not integers are refused.
            let v = raw
                .as_i64()
                .or_else(|| raw.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < 1e6).map(|f| f as i64))
                .ok_or_else(|| {
                    Error::new(
                        ErrorCode::FhirUnsupported,
                        "extension",
                        format!("option weight {} is not an integer", crate::error::excerpt_debug(raw)),
                    )
                })?;
            return i32::try_from(v)
                .map(Some)
                .map_err(|_| Error::new(ErrorCode::FhirUnsupported, "extension", "option weight out of range"));
        }
    }
    Ok(None)
}

fn coding_of(v: &Value) -> Option<Coding> {
    let code = v.get("code")?.as_str()?.to_owned();
    Some(Coding {
        system: v.get("system").and_then(Value::as_str).map(str::to_owned),
        code,
        display: v.get("display").and_then(Value::as_str).map(str::to_owned),
    })
}

/// Options of a choice item: `(coding, weight)` in order.
fn options_of(q: &Value, item: &Value, path: &str) -> Result<Vec<(Coding, Option<i32>)>> {
    let mut out = Vec::new();
    if let Some(opts) = item.get("answerOption").and_then(Value::as_array) {
        for (i, o) in opts.iter().enumerate() {
            let c = o.get("valueCoding").and_then(coding_of).ok_or_else(|| {
                Error::new(
                    ErrorCode::FhirUnsupported,
                    format!("{path}/answerOption/{i}"),
                    "only valueCoding answer options are supported",
                )
            })?;
            let w = ordinal(o.get("extension")).map_err(|e| e.prefixed(&format!("{path}/answerOption/{i}/")))?;
            out.push((c, w));
        }
        return Ok(out);
    }
    if let Some(vs) = item.get("answerValueSet").and_then(Value::as_str) {
        let Some(local) = vs.strip_prefix('#') else {
            return Err(Error::new(
                ErrorCode::FhirUnsupported,
                format!("{path}/answerValueSet"),
                format!(
                    "external value set {}: only contained (#id) value sets can be resolved offline",
                    crate::error::excerpt(vs)
                ),
            ));
        };
        let contained = q.get("contained").and_then(Value::as_array).cloned().unwrap_or_default();
        let Some(set) = contained.iter().find(|r| r.get("id").and_then(Value::as_str) == Some(local)) else {
            return Err(perr(
                &format!("{path}/answerValueSet"),
                format!("contained value set {} not found", crate::error::excerpt(local)),
            ));
        };
        let mut concepts: Vec<(Value, Option<String>)> = Vec::new();
        if let Some(c) = set.pointer("/expansion/contains").and_then(Value::as_array) {
            concepts.extend(c.iter().map(|c| (c.clone(), c.get("system").and_then(Value::as_str).map(str::to_owned))));
        } else if let Some(inc) = set.pointer("/compose/include").and_then(Value::as_array) {
            for i in inc {
                let sys = i.get("system").and_then(Value::as_str).map(str::to_owned);
                for c in i.get("concept").and_then(Value::as_array).into_iter().flatten() {
                    concepts.push((c.clone(), sys.clone()));
                }
            }
        }
        for (i, (c, sys)) in concepts.iter().enumerate() {
            let mut coding = coding_of(c).ok_or_else(|| perr(&format!("{path}/answerValueSet/{i}"), "concept without a code"))?;
            if coding.system.is_none() {
                coding.system.clone_from(sys);
            }
            let w = ordinal(c.get("extension"))?;
            out.push((coding, w));
        }
        if out.is_empty() {
            return Err(perr(
                &format!("{path}/answerValueSet"),
                format!("value set {} has no concepts", crate::error::excerpt(local)),
            ));
        }
        return Ok(out);
    }
    Err(Error::new(
        ErrorCode::FhirUnsupported,
        path,
        "choice item without answerOption or a contained answerValueSet",
    ))
}

fn is_calculated(item: &Value) -> bool {
    item.get("extension").and_then(Value::as_array).is_some_and(|e| {
        e.iter()
            .any(|x| x.get("url").and_then(Value::as_str).is_some_and(|u| CALCULATED_URLS.contains(&u)))
    })
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
    let qid = q
        .get("id")
        .and_then(Value::as_str)
        .or_else(|| q.get("name").and_then(Value::as_str))
        .unwrap_or("questionnaire");
    let title = q
        .get("title")
        .and_then(Value::as_str)
        .or_else(|| q.get("name").and_then(Value::as_str))
        .unwrap_or(qid)
        .to_owned();
    let mut items = Vec::new();
    let mut calculated = Vec::new();
    let mut observation_codes = BTreeMap::new();
    let mut stack: Vec<(Value, String)> = q
        .get("item")
        .and_then(Value::as_array)
        .map(|v| v.iter().enumerate().rev().map(|(i, it)| (it.clone(), format!("/item/{i}"))).collect())
        .unwrap_or_default();
    let mut seen_links = std::collections::BTreeSet::new();
    while let Some((item, path)) = stack.pop() {
        let link = item
            .get("linkId")
            .and_then(Value::as_str)
            .ok_or_else(|| perr(&path, "item without linkId"))?
            .to_owned();
        if !seen_links.insert(link.clone()) {
            return Err(perr(
                &format!("{path}/linkId"),
                format!("linkId {} appears twice", crate::error::excerpt(&link)),
            ));
        }
        let ty = item.get("type").and_then(Value::as_str).unwrap_or("");
        if let Some(children) = item.get("item").and_then(Value::as_array) {
            for (i, c) in children.iter().enumerate().rev() {
                stack.push((c.clone(), format!("{path}/item/{i}")));
            }
        }
        match ty {
            "group" | "display" => continue,
            "choice" | "coding" | "open-choice" => {}
            "decimal" | "integer" if is_calculated(&item) => {
                calculated.push(link.clone());
                if let Some(c) = item.get("code").and_then(Value::as_array).and_then(|a| a.first()).and_then(coding_of) {
                    if !observation_codes.contains_key("total") {
                        observation_codes.insert("total".to_owned(), c);
                    }
                }
                continue;
            }
            other => {
                return Err(Error::new(
                    ErrorCode::FhirUnsupported,
                    format!("{path}/type"),
                    format!("item type {} cannot be scored", crate::error::excerpt(other)),
                ))
            }
        }
        let opts = options_of(&q, &item, &path)?;
        if opts.len() > 128 {
            return Err(Error::new(ErrorCode::FhirUnsupported, path, "more than 128 options"));
        }
        let weighted = opts.iter().all(|(_, w)| w.is_some());
        if !weighted && opts.iter().any(|(_, w)| w.is_some()) {
            return Err(Error::new(ErrorCode::FhirUnsupported, path, "some options carry weights and some do not"));
        }
        let number = items.len() as u32 + 1;
        let options = opts
            .into_iter()
            .enumerate()
            .map(|(i, (c, w))| OptionSpec {
                code: i as i64,
                value: w.unwrap_or(i as i32),
                label: c.display.as_ref().map(|d| Localized { zh: None, en: Some(d.clone()) }),
                fhir: Some(c),
            })
            .collect();
        let text = item.get("text").and_then(Value::as_str).map(|t| Localized {
            zh: None,
            en: Some(t.to_owned()),
        });
        items.push(ItemSpec {
            number,
            id: format!("q{number}"),
            text,
            options: OptionsRef::Inline(options),
            reverse: false,
            values: None,
            scored: weighted,
            fhir: Some(FhirItemLink {
                link_id: link,
                code: item.get("code").and_then(Value::as_array).and_then(|a| a.first()).and_then(coding_of),
            }),
        });
    }
    if items.is_empty() {
        return Err(Error::new(ErrorCode::FhirUnsupported, "/item", "the questionnaire has no scorable items"));
    }
    let scored: Vec<ItemRef> = items.iter().filter(|i| i.scored).map(|i| ItemRef::One(i.number)).collect();
    if scored.is_empty() {
        return Err(Error::new(
            ErrorCode::FhirUnsupported,
            "/item",
            "no item carries option weights (ordinalValue / itemWeight)",
        ));
    }
    let panel = q.get("code").and_then(Value::as_array).and_then(|a| a.first()).and_then(coding_of);
    Ok(InstrumentSpec {
        format: INSTRUMENT_FORMAT.to_owned(),
        id: sanitize_id(qid),
        version: q.get("version").and_then(Value::as_str).unwrap_or("fhir-import").to_owned(),
        name: Localized { zh: None, en: Some(title) },
        citation: format!("Imported from FHIR Questionnaire {qid}; add the instrument's citation."),
        license: License { id: "not-established".to_owned(), text: "Imported from FHIR; check the questionnaire's copyright element.".to_owned(), item_texts: true },
        age_range: None,
        recall_period: None,
        notes: vec!["Skeleton imported from FHIR: the total is the sum of weighted items; bands, flags and missing-data rules must be added from the instrument's manual.".to_owned()],
        fhir: Some(FhirInstrumentLink {
            questionnaire: q.get("url").and_then(Value::as_str).map(str::to_owned).or_else(|| panel.map(|p| p.code)),
            observation_codes,
            calculated_link_ids: calculated,
        }),
        option_sets: BTreeMap::new(),
        items,
        scales: vec![ScaleSpec {
            id: "total".to_owned(),
            name: Localized { zh: Some("总分".to_owned()), en: Some("Total".to_owned()) },
            kind: ScaleKind::Total,
            aggregate: Aggregate::Sum { items: scored },
            missing: MissingPolicy::RequireAll,
            report_decimals: None,
            report_rounding: None,
            bands_on: BandBasis::Raw,
            band_coverage: BandCoverage::Full,
            bands: Vec::new(),
            source: Some("sum of the Questionnaire's option weights".to_owned()),
        }],
        flags: Vec::new(),
        screen_positive: None,
        validity: Vec::new(),
        norm_group_keys: Vec::new(),
        norms: Vec::new(),
        settings: Vec::new(),
    })
}

fn link_matches_code(link: &str, code: &str) -> bool {
    link == code || link.strip_prefix('/') == Some(code) || link.ends_with(&format!("/{code}"))
}

/// Turn a `QuestionnaireResponse` into a [`Response`] for `instrument` (by linkId).
pub fn response_from_questionnaire_response(instrument: &Instrument, json: &str) -> Result<Response> {
    let qr = parse_resource(json, "QuestionnaireResponse")?;
    let spec = instrument.spec();
    let link_index: BTreeMap<&str, &ItemSpec> = spec.items.iter().filter_map(|i| i.fhir.as_ref().map(|f| (f.link_id.as_str(), i))).collect();
    let fhir = spec.fhir.as_ref();
    let is_stored_total = |link: &str| {
        fhir.is_some_and(|f| f.calculated_link_ids.iter().any(|c| c == link) || f.observation_codes.values().any(|c| link_matches_code(link, &c.code)))
    };
    let mut resp = Response::default();
    if let Some(t) = qr.get("authored").and_then(Value::as_str) {
        resp.finished_at = Some(t.to_owned());
    }
    let mut stack: Vec<(Value, String)> = qr
        .get("item")
        .and_then(Value::as_array)
        .map(|v| v.iter().enumerate().rev().map(|(i, it)| (it.clone(), format!("/item/{i}"))).collect())
        .unwrap_or_default();
    while let Some((item, path)) = stack.pop() {
        let children = item.get("item").and_then(Value::as_array).map(Vec::as_slice).unwrap_or(&[]);
        for (i, c) in children.iter().enumerate().rev() {
            stack.push((c.clone(), format!("{path}/item/{i}")));
        }
        let link = item.get("linkId").and_then(Value::as_str).ok_or_else(|| perr(&path, "item without linkId"))?;
        let answers = item.get("answer").and_then(Value::as_array).cloned().unwrap_or_default();
        if is_stored_total(link) {
            continue; // never trusted: the engine recomputes every total
        }
        let Some(spec_item) = link_index.get(link) else {
            if answers.is_empty() && item.get("item").is_some() {
                continue; // a group
            }
            return Err(Error::new(
                ErrorCode::FhirUnknownLinkId,
                format!("{path}/linkId"),
                format!("instrument {} has no item with linkId {}", spec.id, crate::error::excerpt(link)),
            ));
        };
        if answers.len() > 1 {
            return Err(Error::new(
                ErrorCode::FhirUnsupported,
                format!("{path}/answer"),
                "more than one answer to a single-choice item",
            )
            .with_item(spec_item.number));
        }
        let Some(answer) = answers.first() else { continue };
        let Some(coding) = answer.get("valueCoding").and_then(coding_of) else {
            return Err(
                Error::new(ErrorCode::FhirUnsupported, format!("{path}/answer/0"), "only valueCoding answers are supported").with_item(spec_item.number),
            );
        };
        let opts: &[OptionSpec] = match &spec_item.options {
            OptionsRef::Inline(v) => v,
            OptionsRef::Named(n) => spec.option_sets.get(n).map(Vec::as_slice).unwrap_or(&[]),
        };
        let found = opts.iter().find(|o| {
            o.fhir
                .as_ref()
                .is_some_and(|f| f.code == coding.code && (f.system.is_none() || coding.system.is_none() || f.system == coding.system))
        });
        let Some(opt) = found else {
            return Err(Error::new(
                ErrorCode::FhirUnknownAnswer,
                format!("{path}/answer/0/valueCoding"),
                format!(
                    "answer {} is not an option of item {} (linkId {})",
                    crate::error::excerpt(&coding.code),
                    spec_item.number,
                    crate::error::excerpt(link)
                ),
            )
            .with_item(spec_item.number));
        };
        resp.answers.insert(spec_item.number.to_string(), Answer::Code(opt.code));
    }
    Ok(resp)
}

/// Score a `QuestionnaireResponse` against an instrument.
pub fn score_questionnaire_response(instrument: &Instrument, json: &str) -> Result<ScoreReport> {
    let mut resp = response_from_questionnaire_response(instrument, json)?;
    resp.finished_at = None; // `authored` alone gives no completion time
    instrument.score(&resp)
}

/// Export one scored scale as a FHIR `Observation` (JSON value).
///
/// `subject` is a reference such as `Patient/pseudonym-123`; `effective` an RFC 3339 time.
/// The code is the spec's observation code for that scale (LOINC where known).
pub fn export_observation(instrument: &Instrument, report: &ScoreReport, scale_id: &str, subject: &str, effective: &str) -> Result<Value> {
    let spec = instrument.spec();
    let scale = report.scale(scale_id).ok_or_else(|| {
        Error::new(
            ErrorCode::SpecUnknownScale,
            format!("/scales/{}", crate::error::excerpt_raw(scale_id)),
            format!("the report has no scale {}", crate::error::excerpt(scale_id)),
        )
    })?;
    let raw = scale.raw.ok_or_else(|| {
        Error::new(
            ErrorCode::FhirUnsupported,
            format!("/scales/{scale_id}"),
            "the scale is not scored; nothing to export",
        )
    })?;
    let code = spec.fhir.as_ref().and_then(|f| f.observation_codes.get(scale_id)).cloned().unwrap_or(Coding {
        system: Some("urn:changkaixin:scale".to_owned()),
        code: format!("{}/{}", spec.id, scale_id),
        display: spec
            .scales
            .iter()
            .find(|s| s.id == scale_id)
            .and_then(|s| s.name.en.clone().or_else(|| s.name.zh.clone())),
    });
    let mut obs = Map::new();
    obs.insert("resourceType".into(), json!("Observation"));
    obs.insert("status".into(), json!("final"));
    obs.insert(
        "category".into(),
        json!([{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "survey"}]}]),
    );
    obs.insert("code".into(), json!({"coding": [serde_json::to_value(&code).unwrap_or(Value::Null)]}));
    obs.insert("subject".into(), json!({"reference": subject}));
    obs.insert("effectiveDateTime".into(), json!(effective));
    if raw.0.scale() == 0 {
        let v = i64::try_from(raw.0.mantissa()).map_err(|_| Error::new(ErrorCode::FhirUnsupported, "/value", "value out of range"))?;
        obs.insert("valueInteger".into(), json!(v));
    } else {
        // FHIR decimals are JSON numbers; keep exactness by writing the decimal literally.
        let n: serde_json::Number =
            serde_json::from_str(&Dec::to_string(&raw)).map_err(|_| Error::new(ErrorCode::FhirUnsupported, "/value", "value is not a JSON number"))?;
        obs.insert(
            "valueQuantity".into(),
            json!({"value": n, "unit": "{score}", "system": "http://unitsofmeasure.org", "code": "{score}"}),
        );
    }
    if let Some(b) = &scale.band {
        obs.insert(
            "interpretation".into(),
            json!([{"coding": [{"system": "urn:changkaixin:band", "code": b.rule}], "text": b.label.en.clone().or_else(|| b.label.zh.clone())}]),
        );
    }
    obs.insert(
        "method".into(),
        json!({"text": format!("changkaixin {} {} ({})", report.instrument.id, report.instrument.version, report.instrument.settings.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(","))}),
    );
    Ok(Value::Object(obs))
}
