//! The report's JSON façade (`report::api`): a spec, an aggregate, a request or a published
//! report as text from outside. Byte 0 picks which document the rest of the input replaces
//! (0 spec, 1 aggregate, 2 request, 3 report); the others are a fixed small city.
//!
//! Properties: no panic; an aggregate that passes `from_json` fits its spec and sums right; a
//! report built from it leaves every suppressed cell protected (the audit), and its canonical JSON
//! reads back to the same bytes and renders.
#![no_main]

use changkaixin_core::report::{
    city_report_audited, city_report_json, report_html_from_json, report_json, Aggregate, CityReport, Label, Layout, Measure, ReportRequest, ReportRows,
    ReportSpec, School,
};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

struct Base {
    spec: ReportSpec,
    spec_json: String,
    agg_json: String,
    request_json: String,
}

fn base() -> &'static Base {
    static B: OnceLock<Base> = OnceLock::new();
    B.get_or_init(|| {
        let l = |id: &str| Label::new(id, id, id);
        let spec = ReportSpec {
            layout: Layout {
                districts: vec![l("d1"), l("d2")],
                schools: vec![
                    School { id: "s1".into(), zh: "一中".into(), en: "No. 1".into(), district: 0 },
                    School { id: "s2".into(), zh: "二中".into(), en: "No. 2".into(), district: 0 },
                    School { id: "s3".into(), zh: "三中".into(), en: "No. 3".into(), district: 1 },
                ],
                grades: vec![l("7"), l("8")],
                sexes: vec![l("M"), l("F")],
            },
            measures: vec![Measure::tiers("tier", "预警等级", "alert tier", vec![l("none"), l("watch"), l("key")])],
        };
        let n = 400usize;
        let school: Vec<u32> = (0..n).map(|i| (i % 3) as u32).collect();
        let district: Vec<u16> = school.iter().map(|s| u16::from(*s == 2)).collect();
        let grade: Vec<u8> = (0..n).map(|i| (i / 3 % 2) as u8).collect();
        let sex: Vec<u8> = (0..n).map(|i| (i / 7 % 2) as u8).collect();
        let tiers: Vec<u8> = (0..n).map(|i| [0, 0, 0, 1, 0, 0, 2, 0, 1, 0, 0][i % 11]).collect();
        let mut agg = Aggregate::new(&spec).expect("the base spec is valid");
        agg.add(&spec, &ReportRows { district: &district, school: &school, grade: &grade, sex: &sex, tiers: &tiers, ..Default::default() })
            .expect("the base rows are valid");
        Base {
            spec_json: spec.to_json(),
            agg_json: agg.to_json(),
            request_json: r#"{"round":{"id":"2024-spring","zh":"2024年春季","en":"spring 2024"}}"#.to_owned(),
            spec,
        }
    })
}

fn check_report(spec: &ReportSpec, agg: &Aggregate, request: &ReportRequest) {
    if let Ok((report, audit)) = city_report_audited(spec, agg, &request.options()) {
        assert!(audit.all_protected(), "a published report left a suppressed cell unprotected");
        let text = report_json(&report);
        let back: CityReport = serde_json::from_str(&text).expect("the canonical report reads back");
        assert_eq!(report_json(&back), text, "canonical JSON is stable");
        assert!(report_html_from_json(&text).is_ok());
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    let Ok(text) = std::str::from_utf8(rest) else { return };
    let b = base();
    match mode % 4 {
        0 => {
            if let Ok(spec) = ReportSpec::from_json(text) {
                let agg = Aggregate::new(&spec).expect("a validated spec has an aggregate");
                assert!(Aggregate::from_json(&agg.to_json(), &spec).is_ok(), "an empty aggregate verifies");
                let req = ReportRequest::from_json(&b.request_json, &spec).expect("the base request parses");
                check_report(&spec, &agg, &req);
            }
        }
        1 => {
            if let Ok(agg) = Aggregate::from_json(text, &b.spec) {
                assert!(agg.fits(&b.spec).is_ok());
                let req = ReportRequest::from_json(&b.request_json, &b.spec).expect("the base request parses");
                check_report(&b.spec, &agg, &req);
                let _ = city_report_json(&b.spec_json, text, &b.request_json);
            }
        }
        2 => {
            if let Ok(req) = ReportRequest::from_json(text, &b.spec) {
                let agg = Aggregate::from_json(&b.agg_json, &b.spec).expect("the base aggregate verifies");
                check_report(&b.spec, &agg, &req);
            }
        }
        _ => {
            let _ = report_html_from_json(text);
        }
    }
});
