//! The lean single-respondent path: ids and numbers, built as JS objects directly.
//!
//! A full [`ScoreReport`] carries every label in two languages and every citation; sending it
//! through `serde_json::to_string` + `JSON.parse` on every answer costs most of a call. The
//! summary carries only what changes from one response to the next (values, band ids,
//! verdicts); the texts that do not change (labels, citations) are looked up once per
//! instrument in [`Instrument::labels`]. The summary is taken from the core's own report (no
//! rule is evaluated here), and `score()` still returns the full explained report.

use crate::error::js;
use crate::instrument::Instrument;
use crate::types::*;
use changkaixin_core::instrument::spec::{FlagLevel, Localized, Severity};
use changkaixin_core::scoring::report::{ScoreReport, ValidityStatus, Verdict};
use js_sys::{Array, Object, Reflect};
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

// rustfmt would drop the `= "…"` initialisers (not Rust syntax; read by the macro).
#[rustfmt::skip]
#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(thread_local_v2, static_string)]
    static K_ID: js_sys::JsString = "id";
    #[wasm_bindgen(thread_local_v2, static_string)]
    static K_RAW: js_sys::JsString = "raw";
    #[wasm_bindgen(thread_local_v2, static_string)]
    static K_SCORE: js_sys::JsString = "score";
    #[wasm_bindgen(thread_local_v2, static_string)]
    static K_BAND: js_sys::JsString = "band";
    #[wasm_bindgen(thread_local_v2, static_string)]
    static K_ANSWERED: js_sys::JsString = "answered";
    #[wasm_bindgen(thread_local_v2, static_string)]
    static K_OF: js_sys::JsString = "of";
    #[wasm_bindgen(thread_local_v2, static_string)]
    static K_PRORATED: js_sys::JsString = "prorated";
    #[wasm_bindgen(thread_local_v2, static_string)]
    static K_VERDICT: js_sys::JsString = "verdict";
    #[wasm_bindgen(thread_local_v2, static_string)]
    static K_LEVEL: js_sys::JsString = "level";
    #[wasm_bindgen(thread_local_v2, static_string)]
    static K_VALIDITY: js_sys::JsString = "validity";
    #[wasm_bindgen(thread_local_v2, static_string)]
    static K_SCALES: js_sys::JsString = "scales";
    #[wasm_bindgen(thread_local_v2, static_string)]
    static K_FLAGS: js_sys::JsString = "flags";
    #[wasm_bindgen(thread_local_v2, static_string)]
    static K_SCREEN: js_sys::JsString = "screen";
    #[wasm_bindgen(thread_local_v2, static_string)]
    static V_POSITIVE: js_sys::JsString = "positive";
    #[wasm_bindgen(thread_local_v2, static_string)]
    static V_NEGATIVE: js_sys::JsString = "negative";
    #[wasm_bindgen(thread_local_v2, static_string)]
    static V_INDETERMINATE: js_sys::JsString = "indeterminate";
}

/// The JS strings of one instrument's ids, made once (string conversion is a large part of a
/// small call).
#[derive(Debug)]
pub(crate) struct Ids {
    pub(crate) items: crate::read::ItemKeys,
    scales: Vec<(JsValue, Vec<(String, JsValue)>)>,
    flags: Vec<(String, JsValue, JsValue)>,
    validity: [JsValue; 3],
}

fn level_str(l: FlagLevel) -> &'static str {
    match l {
        FlagLevel::Info => "info",
        FlagLevel::Warning => "warning",
        FlagLevel::Critical => "critical",
    }
}

fn severity_str(s: Severity) -> &'static str {
    match s {
        Severity::None => "none",
        Severity::Mild => "mild",
        Severity::Moderate => "moderate",
        Severity::High => "high",
        Severity::Severe => "severe",
    }
}

impl Ids {
    fn new(inst: &changkaixin_core::Instrument) -> Ids {
        let spec = inst.spec();
        Ids {
            items: crate::read::ItemKeys::new(spec.items.len()),
            scales: spec
                .scales
                .iter()
                .map(|s| {
                    (
                        JsValue::from_str(&s.id),
                        s.bands.iter().map(|b| (b.id.clone(), JsValue::from_str(&b.id))).collect(),
                    )
                })
                .collect(),
            flags: spec
                .flags
                .iter()
                .map(|f| (f.id.clone(), JsValue::from_str(&f.id), JsValue::from_str(level_str(f.level))))
                .collect(),
            validity: [JsValue::from_str("valid"), JsValue::from_str("incomplete"), JsValue::from_str("invalid")],
        }
    }
}

fn set(o: &Object, k: &JsValue, v: &JsValue) {
    // Setting a data property on a fresh plain object cannot fail.
    let _ = Reflect::set(o, k, v);
}

fn verdict(v: Verdict) -> JsValue {
    match v {
        Verdict::Positive => V_POSITIVE.with(|s| s.clone().into()),
        Verdict::Negative => V_NEGATIVE.with(|s| s.clone().into()),
        Verdict::Indeterminate => V_INDETERMINATE.with(|s| s.clone().into()),
    }
}

fn key(k: &'static wasm_bindgen::JsThreadLocal<js_sys::JsString>) -> JsValue {
    k.with(|s| s.clone().into())
}

fn localized(l: &Localized) -> JsValue {
    let o = Object::new();
    if let Some(zh) = &l.zh {
        set(&o, &"zh".into(), &zh.into());
    }
    if let Some(en) = &l.en {
        set(&o, &"en".into(), &en.into());
    }
    o.into()
}

fn opt_str(s: Option<&str>) -> JsValue {
    s.map_or(JsValue::NULL, JsValue::from_str)
}

impl Instrument {
    pub(crate) fn ids(&self) -> Rc<Ids> {
        self.ids.get_or_init(|| Rc::new(Ids::new(&self.inner))).clone()
    }

    /// The report as a summary object.
    pub(crate) fn summary_of(&self, report: &ScoreReport) -> JsValue {
        let ids = self.ids();
        let (k_id, k_raw, k_score, k_band) = (key(&K_ID), key(&K_RAW), key(&K_SCORE), key(&K_BAND));
        let (k_answered, k_of, k_prorated) = (key(&K_ANSWERED), key(&K_OF), key(&K_PRORATED));
        let scales = Array::new_with_length(report.scales.len() as u32);
        for (i, s) in report.scales.iter().enumerate() {
            let o = Object::new();
            let (id, bands) = match ids.scales.get(i) {
                Some((id, bands)) => (id.clone(), Some(bands)),
                None => (JsValue::from_str(&s.id), None),
            };
            set(&o, &k_id, &id);
            set(&o, &k_raw, &opt_str(s.raw.as_ref().map(ToString::to_string).as_deref()));
            set(&o, &k_score, &opt_str(s.score.as_ref().map(ToString::to_string).as_deref()));
            let band = match &s.band {
                None => JsValue::NULL,
                Some(b) => bands
                    .and_then(|bs| bs.iter().find(|(bid, _)| *bid == b.id))
                    .map_or_else(|| JsValue::from_str(&b.id), |(_, v)| v.clone()),
            };
            set(&o, &k_band, &band);
            set(&o, &k_answered, &JsValue::from(s.answered));
            set(&o, &k_of, &JsValue::from(s.of));
            set(&o, &k_prorated, &JsValue::from_bool(s.prorated));
            scales.set(i as u32, o.into());
        }
        let (k_verdict, k_level) = (key(&K_VERDICT), key(&K_LEVEL));
        let flags = Array::new_with_length(report.flags.len() as u32);
        for (i, f) in report.flags.iter().enumerate() {
            let o = Object::new();
            let (id, level) = match ids.flags.iter().find(|(fid, _, _)| *fid == f.id) {
                Some((_, id, level)) => (id.clone(), level.clone()),
                None => (JsValue::from_str(&f.id), JsValue::from_str(level_str(f.level))),
            };
            set(&o, &k_id, &id);
            set(&o, &k_verdict, &verdict(f.verdict));
            set(&o, &k_level, &level);
            flags.set(i as u32, o.into());
        }
        let out = Object::new();
        let status = match report.validity.status {
            ValidityStatus::Valid => 0,
            ValidityStatus::Incomplete => 1,
            ValidityStatus::Invalid => 2,
        };
        set(&out, &key(&K_VALIDITY), &ids.validity[status]);
        set(&out, &key(&K_SCALES), &scales);
        set(&out, &key(&K_FLAGS), &flags);
        set(
            &out,
            &key(&K_SCREEN),
            &report.screen_positive.as_ref().map_or(JsValue::NULL, |s| verdict(s.verdict)),
        );
        out.into()
    }

    fn labels_of(&self) -> JsValue {
        let spec = self.inner.spec();
        let scales = Object::new();
        for s in &spec.scales {
            let bands = Object::new();
            for b in &s.bands {
                let o = Object::new();
                set(&o, &"label".into(), &localized(&b.label));
                set(&o, &"index".into(), &JsValue::from(b.index));
                set(&o, &"severity".into(), &severity_str(b.severity).into());
                set(&o, &"source".into(), &opt_str(b.source.as_deref()));
                set(&bands, &b.id.as_str().into(), &o);
            }
            let o = Object::new();
            set(&o, &"name".into(), &localized(&s.name));
            set(&o, &"bands".into(), &bands);
            set(&scales, &s.id.as_str().into(), &o);
        }
        let flags = Object::new();
        for f in &spec.flags {
            let o = Object::new();
            set(&o, &"label".into(), &localized(&f.label));
            set(&o, &"reason".into(), &localized(&f.reason));
            set(&o, &"level".into(), &level_str(f.level).into());
            set(&o, &"source".into(), &f.source.as_str().into());
            set(&flags, &f.id.as_str().into(), &o);
        }
        let screen = match &spec.screen_positive {
            None => JsValue::NULL,
            Some(sp) => {
                let o = Object::new();
                set(&o, &"reason".into(), &localized(&sp.reason));
                set(&o, &"source".into(), &sp.source.as_str().into());
                o.into()
            }
        };
        let out = Object::new();
        set(&out, &"id".into(), &self.inner.id().into());
        set(&out, &"version".into(), &self.inner.version().into());
        set(&out, &"name".into(), &localized(&spec.name));
        set(&out, &"scales".into(), &scales);
        set(&out, &"flags".into(), &flags);
        set(&out, &"screen".into(), &screen);
        out.into()
    }
}

#[wasm_bindgen]
impl Instrument {
    /// Score one response and return only what varies between responses: validity status,
    /// each scale's value, band id and answered count, the flags that are positive or
    /// indeterminate with their verdict, and the screen verdict. The fast path for scoring on
    /// every answer; look texts up once in `labels()`, and call `score()` for the full explained
    /// report (reasons, evidence, citations).
    #[wasm_bindgen(js_name = scoreSummary)]
    pub fn score_summary(&self, response: ResponseJs) -> Result<ScoreSummaryJs, JsValue> {
        let response = crate::read::response_with(&response, &self.ids().items)?;
        let report = js(self.inner.score(&response))?;
        Ok(self.summary_of(&report).unchecked_into())
    }

    /// [`Instrument::score_summary`] for answers in item order (as `scoreAnswers`).
    #[wasm_bindgen(js_name = scoreAnswersSummary)]
    pub fn score_answers_summary(&self, answers: AnswerList) -> Result<ScoreSummaryJs, JsValue> {
        let answers = crate::read::answer_list(&answers)?;
        let report = js(self.inner.score_answers(&answers))?;
        Ok(self.summary_of(&report).unchecked_into())
    }

    /// The texts a summary refers to by id, made once per instrument: instrument and scale
    /// names, each band's label, index, severity and citation, each flag's label, reason, level
    /// and citation, the screen rule's reason and citation. The same object on every call.
    #[wasm_bindgen(unchecked_return_type = "InstrumentLabels")]
    pub fn labels(&self) -> JsValue {
        self.labels.get_or_init(|| self.labels_of()).clone()
    }
}
