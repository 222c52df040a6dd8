//! The report as JSON documents, for the bindings (Python, WASM, Kotlin, Swift) and for
//! processes that aggregate apart and report together: a spec, an aggregate and a request go in
//! as JSON text, the published report comes out as JSON text or HTML. Every binding calls these
//! functions, so every client gets the same bytes.
//!
//! Nothing that arrives here is trusted: a spec is validated, an aggregate is
//! [verified](Aggregate::verify) against the spec (shape, at most `MAX_N` students, every
//! measure's categories adding up to the number screened), and the previous round's aggregate too.

use serde::{Deserialize, Serialize};

use super::{city_report, to_html, Aggregate, CityReport, ReportOptions, ReportSpec, Round, Settings, AGGREGATE_FORMAT};
use crate::error::{Error, ErrorCode, Result};

/// Everything a report needs besides the spec and this round's aggregate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportRequest {
    /// This round.
    pub round: Round,
    /// Disclosure-control settings (defaults when absent: see [`Settings`]).
    #[serde(default)]
    pub settings: Settings,
    /// Students enrolled per school × grade × sex (row-major), when known.
    #[serde(default)]
    pub enrolment: Option<Vec<u32>>,
    /// The previous round and its aggregate (same spec), for change columns and the trend chart.
    #[serde(default)]
    pub previous: Option<PreviousRound>,
}

/// The previous round of a [`ReportRequest`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PreviousRound {
    /// Its round.
    pub round: Round,
    /// Its aggregate (verified against the spec like this round's).
    pub aggregate: Aggregate,
}

fn parse<T: serde::de::DeserializeOwned>(json: &str, what: &str) -> Result<T> {
    serde_json::from_str(json).map_err(|e| {
        let err = Error::from_json(ErrorCode::ReportParse, &e);
        let msg = format!("{what}: {}", err.message());
        Error::new(ErrorCode::ReportParse, err.path(), msg)
    })
}

impl ReportSpec {
    /// Parse and [validate](Self::validate) a spec.
    pub fn from_json(json: &str) -> Result<ReportSpec> {
        let spec: ReportSpec = parse(json, "report spec")?;
        spec.validate()?;
        Ok(spec)
    }
    /// The spec as canonical JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

impl Aggregate {
    /// Parse an aggregate and [verify](Self::verify) it against the spec it is for.
    pub fn from_json(json: &str, spec: &ReportSpec) -> Result<Aggregate> {
        let agg: Aggregate = parse(json, "report aggregate")?;
        if agg.format != AGGREGATE_FORMAT {
            return Err(Error::new(
                ErrorCode::ReportParse,
                "/format",
                format!("expected {AGGREGATE_FORMAT:?}, found {}", crate::error::excerpt(&agg.format)),
            ));
        }
        agg.verify(spec)?;
        Ok(agg)
    }
    /// The aggregate as canonical JSON (what [`from_json`](Self::from_json) reads back).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

impl ReportRequest {
    /// Parse a request; its previous aggregate is verified against `spec`.
    pub fn from_json(json: &str, spec: &ReportSpec) -> Result<ReportRequest> {
        let req: ReportRequest = parse(json, "report request")?;
        req.settings.validate()?;
        if let Some(p) = &req.previous {
            p.aggregate.verify(spec).map_err(|e| e.prefixed("/previous"))?;
        }
        Ok(req)
    }
    /// The options this request stands for.
    pub fn options(&self) -> ReportOptions<'_> {
        ReportOptions {
            round: self.round.clone(),
            suppression: self.settings,
            enrolment: self.enrolment.as_deref(),
            previous: self.previous.as_ref().map(|p| (p.round.clone(), &p.aggregate)),
        }
    }
}

/// Build the published report of a verified aggregate.
pub fn report_for(spec: &ReportSpec, agg: &Aggregate, request: &ReportRequest) -> Result<CityReport> {
    city_report(spec, agg, &request.options())
}

/// The published report as canonical JSON: spec, aggregate and request as JSON text.
pub fn city_report_json(spec_json: &str, aggregate_json: &str, request_json: &str) -> Result<String> {
    let spec = ReportSpec::from_json(spec_json)?;
    let agg = Aggregate::from_json(aggregate_json, &spec)?;
    let req = ReportRequest::from_json(request_json, &spec)?;
    Ok(report_json(&report_for(&spec, &agg, &req)?))
}

/// A report as canonical JSON (the bytes every binding returns).
pub fn report_json(report: &CityReport) -> String {
    serde_json::to_string(report).unwrap_or_default()
}

/// A published report, given as JSON, as its HTML page. The report is parsed, never trusted to
/// be safe: it must be a report this library built (it is re-serialised from its typed form, so
/// no markup in it survives: every text is escaped by [`to_html`]).
pub fn report_html_from_json(report_json: &str) -> Result<String> {
    let report: CityReport = parse(report_json, "city report")?;
    Ok(to_html(&report))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::report::{Label, Layout, Measure, ReportRows, School};

    fn spec() -> ReportSpec {
        let l = |id: &str| Label::new(id, id, id);
        ReportSpec {
            layout: Layout {
                districts: vec![l("d1")],
                schools: vec![School {
                    id: "s1".into(),
                    zh: "一中".into(),
                    en: "No. 1".into(),
                    district: 0,
                }],
                grades: vec![l("7")],
                sexes: vec![l("M"), l("F")],
            },
            measures: vec![Measure::tiers("tier", "预警等级", "alert tier", vec![l("none"), l("watch")])],
        }
    }

    fn agg(spec: &ReportSpec, n: usize) -> Aggregate {
        let mut a = Aggregate::new(spec).unwrap();
        let tiers: Vec<u8> = (0..n).map(|i| u8::from(i % 5 == 0)).collect();
        let sex: Vec<u8> = (0..n).map(|i| (i % 2) as u8).collect();
        a.add(
            spec,
            &ReportRows {
                district: &vec![0; n],
                school: &vec![0; n],
                grade: &vec![0; n],
                sex: &sex,
                tiers: &tiers,
                ..Default::default()
            },
        )
        .unwrap();
        a
    }

    const REQUEST: &str = r#"{"round": {"id": "2024-spring", "zh": "2024年春季", "en": "spring 2024"}}"#;

    #[test]
    fn json_round_trip_gives_the_same_bytes_as_the_typed_path() {
        let s = spec();
        let a = agg(&s, 300);
        let back = Aggregate::from_json(&a.to_json(), &s).unwrap();
        assert_eq!(back, a);
        let req = ReportRequest::from_json(REQUEST, &s).unwrap();
        let typed = report_json(&report_for(&s, &a, &req).unwrap());
        let text = city_report_json(&s.to_json(), &a.to_json(), REQUEST).unwrap();
        assert_eq!(typed, text);
        let html = report_html_from_json(&text).unwrap();
        assert!(html.starts_with("<!DOCTYPE html>") || html.starts_with("<!doctype html>"), "{}", &html[..40]);
    }

    #[test]
    fn a_forged_aggregate_is_refused() {
        let s = spec();
        let a = agg(&s, 300);
        // One more student in a category than screened in the group.
        let mut forged = a.clone();
        forged.counts[1] += 1;
        let e = Aggregate::from_json(&forged.to_json(), &s).unwrap_err();
        assert_eq!(e.code(), "report.shape");
        assert!(e.message().contains("measure tier"), "{}", e.message());
        // Counts that would overflow the group sums.
        let mut huge = a.clone();
        huge.screened[0] = u32::MAX;
        huge.counts[0] = u32::MAX;
        huge.counts[1] = 0;
        assert_eq!(Aggregate::from_json(&huge.to_json(), &s).unwrap_err().code(), "report.overflow");
        // Another layout.
        let mut other = a.clone();
        other.dims[2] = 3;
        assert_eq!(Aggregate::from_json(&other.to_json(), &s).unwrap_err().code(), "report.shape");
        // Another format.
        let text = a.to_json().replace("changkaixin.report-aggregate/1", "changkaixin.report-aggregate/9");
        assert_eq!(Aggregate::from_json(&text, &s).unwrap_err().path(), "/format");
        // Not JSON.
        let e = Aggregate::from_json("{", &s).unwrap_err();
        assert_eq!(e.code(), "report.parse");
        assert!(e.path().starts_with("line "));
        // The previous round's aggregate is verified too, and named as such.
        let req = format!(
            r#"{{"round": {{"id": "b", "zh": "b", "en": "b"}}, "previous": {{"round": {{"id": "a", "zh": "a", "en": "a"}}, "aggregate": {}}}}}"#,
            forged.to_json()
        );
        let e = ReportRequest::from_json(&req, &s).unwrap_err();
        assert!(e.path().starts_with("/previous"), "{}", e.path());
    }

    #[test]
    fn bad_specs_and_requests_are_errors() {
        assert_eq!(ReportSpec::from_json("[]").unwrap_err().code(), "report.parse");
        let mut s = spec();
        s.measures.clear();
        assert_eq!(ReportSpec::from_json(&s.to_json()).unwrap_err().code(), "report.shape");
        let s = spec();
        let e = ReportRequest::from_json(r#"{"round": {"id": "a", "zh": "a", "en": "a"}, "settings": {"threshold": 0}}"#, &s).unwrap_err();
        assert_eq!(e.code(), "report.shape");
        assert_eq!(ReportRequest::from_json(r#"{"round": 1}"#, &s).unwrap_err().code(), "report.parse");
        assert_eq!(
            ReportRequest::from_json(r#"{"round": {"id": "a", "zh": "a", "en": "a"}, "colour": 1}"#, &s)
                .unwrap_err()
                .code(),
            "report.parse"
        );
    }
}
