//! Columnar batch scoring over typed arrays.

use crate::error::{js, to_js};
use crate::instrument::Instrument;
use crate::types::*;
use changkaixin_core::scoring::batch::{BatchGroups, Code};
use changkaixin_core::{BatchColumns, BatchInput, Error, ErrorCode};
use js_sys::{Array, BigInt64Array, BigUint64Array, Int16Array, Int32Array, Int8Array, Object, Reflect, Uint16Array, Uint32Array, Uint8Array};
use std::collections::BTreeMap;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

fn shape(path: &str, msg: impl Into<String>) -> JsValue {
    to_js(&Error::new(ErrorCode::BatchShape, path, msg))
}

fn get(obj: &JsValue, key: &str) -> Option<JsValue> {
    Reflect::get(obj, &JsValue::from_str(key)).ok().filter(|v| !v.is_undefined() && !v.is_null())
}

/// A sentinel given as a JS number, converted to the buffer's element type.
fn sentinel<T: TryFrom<i64>>(v: &JsValue, name: &str) -> Result<T, JsValue> {
    let n = v.as_f64().ok_or_else(|| shape(name, format!("the {name} sentinel must be a number")))?;
    if n.fract() != 0.0 || n.abs() > 9.0e15 {
        return Err(shape(name, format!("the {name} sentinel {n} is not an integer")));
    }
    T::try_from(n as i64).map_err(|_| shape(name, format!("the {name} sentinel {n} does not fit the buffer's element type")))
}

/// The options of a batch, read from the JS object.
struct Options {
    missing: JsValue,
    refused: Option<JsValue>,
    row_group: Option<Vec<u32>>,
    groups: Vec<BTreeMap<String, String>>,
    durations: Option<Vec<i64>>,
    code_map: Option<JsValue>,
}

fn read_options(options: &JsValue) -> Result<Options, JsValue> {
    let missing = get(options, "missing").ok_or_else(|| shape("missing", "options.missing (the missing-code sentinel) is required"))?;
    let refused = get(options, "refused");
    let (row_group, groups) = match get(options, "groups") {
        None => (None, Vec::new()),
        Some(g) => {
            let rg = get(&g, "row_group")
                .and_then(|v| v.dyn_into::<Uint32Array>().ok())
                .ok_or_else(|| shape("groups.row_group", "groups.row_group must be a Uint32Array"))?;
            let list = get(&g, "groups").ok_or_else(|| shape("groups.groups", "groups.groups must be a list of group-key objects"))?;
            let list: Vec<BTreeMap<String, String>> = crate::json::from_js(&list, ErrorCode::BatchShape)?;
            (Some(rg.to_vec()), list)
        }
    };
    let durations = match get(options, "durations") {
        None => None,
        Some(d) => {
            if let Some(a) = d.dyn_ref::<Int32Array>() {
                Some(a.to_vec().into_iter().map(i64::from).collect())
            } else if let Some(a) = d.dyn_ref::<BigInt64Array>() {
                Some(a.to_vec())
            } else {
                return Err(shape("durations", "durations must be an Int32Array or a BigInt64Array"));
            }
        }
    };
    let code_map = get(options, "code_map");
    Ok(Options {
        code_map,
        missing,
        refused,
        row_group,
        groups,
        durations,
    })
}

impl Instrument {
    fn run<T: Code + TryFrom<i64>>(&self, codes: &[T], o: &Options) -> Result<BatchColumns, JsValue> {
        let mut input = BatchInput::new(codes, self.inner.spec().items.len(), sentinel::<T>(&o.missing, "missing")?);
        input.refused = o.refused.as_ref().map(|r| sentinel::<T>(r, "refused")).transpose()?;
        input.groups = o.row_group.as_deref().map(|row_group| BatchGroups { row_group, groups: &o.groups });
        input.durations = o.durations.as_deref();
        let map = self.code_map_of(o.code_map.clone().map(JsCast::unchecked_into))?;
        input.code_map = map.as_ref();
        // The core writes each flag's verdict column in its blocks (no pass per flag afterwards).
        let mut out = BatchColumns {
            verdicts: Some(Vec::new()),
            ..BatchColumns::default()
        };
        js(self.inner.score_batch_into(&input, &mut out))?;
        Ok(out)
    }
}

#[wasm_bindgen]
impl Instrument {
    /// Score many respondents at once. `codes` is row-major (`n_rows × itemCount`) in an
    /// `Int8Array`, `Uint8Array`, `Int16Array` or `Int32Array`; `options.missing` is the
    /// code meaning "missing"; `options.code_map` declares the buffer's own coding. Returns
    /// typed-array columns (see `BatchColumns`): screen and flag verdicts as codes
    /// 0 negative, 1 positive, 2 indeterminate.
    #[wasm_bindgen(js_name = scoreBatch)]
    pub fn score_batch(&self, codes: CodeBufferJs, options: BatchOptionsJs) -> Result<BatchColumnsJs, JsValue> {
        let o = read_options(&options)?;
        let codes: JsValue = codes.into();
        let mut cols = if let Some(a) = codes.dyn_ref::<Int8Array>() {
            self.run(&a.to_vec(), &o)?
        } else if let Some(a) = codes.dyn_ref::<Uint8Array>() {
            self.run(&a.to_vec(), &o)?
        } else if let Some(a) = codes.dyn_ref::<Int16Array>() {
            self.run(&a.to_vec(), &o)?
        } else if let Some(a) = codes.dyn_ref::<Int32Array>() {
            self.run(&a.to_vec(), &o)?
        } else {
            return Err(shape("codes", "codes must be an Int8Array, Uint8Array, Int16Array or Int32Array"));
        };
        Ok(columns_to_js(&mut cols, self.inner.spec().screen_positive.is_some())?.unchecked_into())
    }
}

fn set(obj: &Object, key: &str, v: &JsValue) -> Result<(), JsValue> {
    Reflect::set(obj, &JsValue::from_str(key), v).map(|_| ())
}

fn strings(v: &[String]) -> Array {
    v.iter().map(|s| JsValue::from_str(s)).collect()
}

fn bools(v: &[bool]) -> Uint8Array {
    let bytes: Vec<u8> = v.iter().map(|&b| u8::from(b)).collect();
    Uint8Array::from(&bytes[..])
}

/// The core's columns as a plain JS object of typed arrays (copied out of wasm memory).
fn columns_to_js(c: &mut BatchColumns, has_screen: bool) -> Result<JsValue, JsValue> {
    let out = Object::new();
    set(&out, "n_rows", &JsValue::from(c.n_rows as f64))?;
    let scales = Array::new();
    for s in &c.scales {
        let o = Object::new();
        set(&o, "id", &JsValue::from_str(&s.id))?;
        set(&o, "raw_decimals", &JsValue::from(s.raw_decimals))?;
        set(&o, "raw", &BigInt64Array::from(&s.raw[..]))?;
        set(&o, "score_decimals", &JsValue::from(s.score_decimals))?;
        set(&o, "score", &BigInt64Array::from(&s.score[..]))?;
        set(&o, "band", &Int8Array::from(&s.band[..]))?;
        set(&o, "band_ids", &strings(&s.band_ids))?;
        set(&o, "answered", &Uint16Array::from(&s.answered[..]))?;
        set(&o, "prorated", &bools(&s.prorated))?;
        scales.push(&o);
    }
    set(&out, "scales", &scales)?;
    set(&out, "flag_ids", &strings(&c.flag_ids))?;
    set(&out, "flags", &BigUint64Array::from(&c.flags[..]))?;
    set(&out, "flags_indeterminate", &BigUint64Array::from(&c.flags_indeterminate[..]))?;
    // Verdict codes (0 negative, 1 positive, 2 indeterminate), never a 0/1 boolean column in
    // which an indeterminate row would read as "no flag".
    let verdicts = Object::new();
    let cols = c.take_verdict_columns();
    for (id, col) in c.flag_ids.iter().zip(cols) {
        set(&verdicts, id, &Uint8Array::from(&col[..]))?;
    }
    set(&out, "flag_verdicts", &verdicts)?;
    set(&out, "validity", &Uint8Array::from(&c.validity[..]))?;
    // The core's screen column is empty when the instrument defines no screen-positive rule.
    let screen = if has_screen && c.screen.len() == c.n_rows {
        JsValue::from(Uint8Array::from(&c.screen[..]))
    } else {
        JsValue::NULL
    };
    set(&out, "screen", &screen)?;
    Ok(out.into())
}
