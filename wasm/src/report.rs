//! The city screening report (issue 13): an [`Aggregator`] built from a report spec counts
//! chunks of typed-array rows into the core's exact aggregate, merges partial aggregates, is
//! written and read back as JSON, and builds the published report (canonical JSON, the parsed
//! object, or the HTML page). Every step is the core's `report::api`: the same bytes as every
//! other binding.

use crate::error::{js, to_js};
use crate::json::Input;
use changkaixin_core::report::{self, Aggregate, InstrumentRows, ReportRequest, ReportRows, ReportSpec};
use changkaixin_core::{Error, ErrorCode};
use js_sys::{Array, BigUint64Array, Reflect, Uint16Array, Uint32Array, Uint8Array, JSON};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

#[wasm_bindgen(typescript_custom_section)]
const TS_REPORT: &'static str = include_str!("report.d.ts");

#[wasm_bindgen]
extern "C" {
    /// `ReportSpecDocument | string`
    #[wasm_bindgen(typescript_type = "ReportSpecDocument | string")]
    pub type ReportSpecInput;
    /// `ReportAggregate | string`
    #[wasm_bindgen(typescript_type = "ReportAggregate | string")]
    pub type ReportAggregateInput;
    /// `ReportRequest | string`
    #[wasm_bindgen(typescript_type = "ReportRequest | string")]
    pub type ReportRequestInput;
    /// `CityReport | string`
    #[wasm_bindgen(typescript_type = "CityReport | string")]
    pub type CityReportInput;
    /// `ReportRows`
    #[wasm_bindgen(typescript_type = "ReportRows")]
    pub type ReportRowsJs;
}

fn shape(path: &str, msg: impl Into<String>) -> JsValue {
    to_js(&Error::new(ErrorCode::ReportShape, path, msg))
}

fn get(obj: &JsValue, key: &str) -> Option<JsValue> {
    Reflect::get(obj, &JsValue::from_str(key)).ok().filter(|v| !v.is_undefined() && !v.is_null())
}

/// A typed-array column of `obj` (absent: empty), or `report.shape` naming the expected type.
fn column<A: JsCast, T>(obj: &JsValue, path: &str, key: &str, type_name: &str, to_vec: impl Fn(&A) -> Vec<T>) -> Result<Vec<T>, JsValue> {
    match get(obj, key) {
        None => Ok(Vec::new()),
        Some(v) => v
            .dyn_ref::<A>()
            .map(&to_vec)
            .ok_or_else(|| shape(&format!("{path}{key}"), format!("{path}{key} must be a {type_name}"))),
    }
}

/// The instrument columns of a chunk (owned copies of the typed arrays).
struct InstrumentCols {
    band: Vec<u8>,
    screen: Vec<u8>,
    flags: Vec<u64>,
    flags_indeterminate: Vec<u64>,
}

/// Counts chunks of rows into the core's exact aggregate for one report spec.
#[wasm_bindgen]
pub struct Aggregator {
    spec: ReportSpec,
    agg: Aggregate,
}

fn request_of(spec: &ReportSpec, request: &JsValue) -> Result<ReportRequest, JsValue> {
    Input::object_or_text(request, ErrorCode::ReportParse)?.run(|t| ReportRequest::from_json(t, spec))
}

#[wasm_bindgen]
impl Aggregator {
    /// An empty aggregate for `spec` (object or JSON text; parsed and validated by the core:
    /// `report.parse`, `report.shape`).
    #[wasm_bindgen(constructor)]
    pub fn new(spec: ReportSpecInput) -> Result<Aggregator, JsValue> {
        let spec = Input::object_or_text(&spec, ErrorCode::ReportParse)?.run(ReportSpec::from_json)?;
        let agg = js(Aggregate::new(&spec))?;
        Ok(Aggregator { spec, agg })
    }

    /// An aggregate written by `toJSON()` / `aggregateJson()` (here or by any other binding),
    /// read back and verified against `spec` (it fits the spec, holds at most `MAX_N` students
    /// and every measure's categories add up to the number screened).
    #[wasm_bindgen(js_name = fromJSON)]
    pub fn from_json(spec: ReportSpecInput, aggregate: ReportAggregateInput) -> Result<Aggregator, JsValue> {
        let spec = Input::object_or_text(&spec, ErrorCode::ReportParse)?.run(ReportSpec::from_json)?;
        let agg = Input::object_or_text(&aggregate, ErrorCode::ReportParse)?.run(|t| Aggregate::from_json(t, &spec))?;
        Ok(Aggregator { spec, agg })
    }

    /// Count one chunk of rows: typed-array columns of equal length (`district` Uint16Array,
    /// `school` Uint32Array, `grade`, `sex`, `tiers` Uint8Array; per instrument `band`, `screen`
    /// Uint8Array and `flags`, `flags_indeterminate` BigUint64Array). A bad chunk counts nothing
    /// and throws `report.shape` or `report.invalid_code` (with the chunk's `row`).
    pub fn add(&mut self, rows: ReportRowsJs) -> Result<(), JsValue> {
        let rows: JsValue = rows.into();
        if !rows.is_object() {
            return Err(shape("", "the rows must be an object of typed-array columns"));
        }
        let district = column(&rows, "", "district", "Uint16Array", Uint16Array::to_vec)?;
        let school = column(&rows, "", "school", "Uint32Array", Uint32Array::to_vec)?;
        let grade = column(&rows, "", "grade", "Uint8Array", Uint8Array::to_vec)?;
        let sex = column(&rows, "", "sex", "Uint8Array", Uint8Array::to_vec)?;
        let tiers = column(&rows, "", "tiers", "Uint8Array", Uint8Array::to_vec)?;
        let mut insts = Vec::new();
        if let Some(list) = get(&rows, "instruments") {
            let list = list.dyn_into::<Array>().map_err(|_| shape("instruments", "instruments must be an array"))?;
            for (i, v) in list.iter().enumerate() {
                let p = format!("instruments/{i}/");
                if !v.is_object() {
                    return Err(shape(&format!("instruments/{i}"), "each instrument is an object of typed-array columns"));
                }
                insts.push(InstrumentCols {
                    band: column(&v, &p, "band", "Uint8Array", Uint8Array::to_vec)?,
                    screen: column(&v, &p, "screen", "Uint8Array", Uint8Array::to_vec)?,
                    flags: column(&v, &p, "flags", "BigUint64Array", BigUint64Array::to_vec)?,
                    flags_indeterminate: column(&v, &p, "flags_indeterminate", "BigUint64Array", BigUint64Array::to_vec)?,
                });
            }
        }
        let instruments: Vec<InstrumentRows<'_>> = insts
            .iter()
            .map(|c| InstrumentRows {
                band: &c.band,
                screen: &c.screen,
                flags: &c.flags,
                flags_indeterminate: &c.flags_indeterminate,
            })
            .collect();
        let chunk = ReportRows {
            district: &district,
            school: &school,
            grade: &grade,
            sex: &sex,
            instruments: &instruments,
            tiers: &tiers,
        };
        js(self.agg.add(&self.spec, &chunk))
    }

    /// Merge another aggregator's counts into this one (`report.shape` for a different shape,
    /// `report.overflow` past 2^32 − 1).
    pub fn merge(&mut self, other: &Aggregator) -> Result<(), JsValue> {
        js(self.agg.merge(&other.agg))
    }

    /// The aggregate as its JSON object (what `fromJSON` reads back; `JSON.stringify` calls it).
    #[wasm_bindgen(js_name = toJSON, unchecked_return_type = "ReportAggregate")]
    pub fn to_json(&self) -> Result<JsValue, JsValue> {
        JSON::parse(&self.agg.to_json())
    }

    /// The aggregate as canonical JSON text.
    #[wasm_bindgen(js_name = aggregateJson)]
    pub fn aggregate_json(&self) -> String {
        self.agg.to_json()
    }

    /// The spec as its JSON object (canonical form).
    #[wasm_bindgen(unchecked_return_type = "ReportSpecDocument")]
    pub fn spec(&self) -> Result<JsValue, JsValue> {
        JSON::parse(&self.spec.to_json())
    }

    /// The number of students counted.
    #[wasm_bindgen(getter)]
    pub fn screened(&self) -> f64 {
        // At most MAX_N students (far below 2^53).
        self.agg.screened.iter().map(|&n| f64::from(n)).sum()
    }

    /// The published report as canonical JSON text (the bytes every binding returns).
    /// `request`: `{ round, settings?, enrolment?, previous? }` (object or JSON text).
    #[wasm_bindgen(js_name = cityReportJson)]
    pub fn city_report_json(&self, request: ReportRequestInput) -> Result<String, JsValue> {
        let req = request_of(&self.spec, &request)?;
        Ok(report::report_json(&js(report::report_for(&self.spec, &self.agg, &req))?))
    }

    /// The published report as an object (`cityReportJson` parsed).
    #[wasm_bindgen(js_name = cityReport, unchecked_return_type = "CityReport")]
    pub fn city_report(&self, request: ReportRequestInput) -> Result<JsValue, JsValue> {
        JSON::parse(&self.city_report_json(request)?)
    }

    /// The published report as one self-contained HTML page.
    #[wasm_bindgen(js_name = cityReportHtml)]
    pub fn city_report_html(&self, request: ReportRequestInput) -> Result<String, JsValue> {
        let req = request_of(&self.spec, &request)?;
        Ok(report::to_html(&js(report::report_for(&self.spec, &self.agg, &req))?))
    }
}

/// A published report (object or JSON text, as `cityReport` / `cityReportJson` gave it) as its
/// HTML page. The report is parsed as the core's typed report, so no markup in it survives.
#[wasm_bindgen(js_name = reportHtml)]
pub fn report_html(report: CityReportInput) -> Result<String, JsValue> {
    Input::object_or_text(&report, ErrorCode::ReportParse)?.run(report::report_html_from_json)
}
