//! Columnar batch scoring over typed arrays: `scoreBatch` (feature `batch`, the main module) and
//! `scoreBatchCompact` (feature `compact`, the `changkaixin/compact` module).

use crate::error::{js, to_js};
use crate::instrument::Instrument;
use crate::types::*;
use changkaixin_core::scoring::batch::{BatchGroups, Code};
#[cfg(feature = "compact")]
use changkaixin_core::scoring::compact::{CompactColumns, Values};
#[cfg(feature = "batch")]
use changkaixin_core::BatchColumns;
use changkaixin_core::{BatchInput, Error, ErrorCode};
use js_sys::{Array, BigInt64Array, Int16Array, Int32Array, Int8Array, Object, Reflect, Uint32Array, Uint8Array};
#[cfg(feature = "batch")]
use js_sys::{BigUint64Array, Uint16Array};
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

/// The two column layouts a batch is scored into: the wide columns and (feature `compact`) the
/// compact ones. Each asks the core to write the flag verdict columns in its blocks.
trait Layout: Default {
    fn score<T: Code>(inst: &changkaixin_core::Instrument, input: &BatchInput<'_, T>) -> Result<Self, Error>;
}

#[cfg(feature = "batch")]
impl Layout for BatchColumns {
    fn score<T: Code>(inst: &changkaixin_core::Instrument, input: &BatchInput<'_, T>) -> Result<Self, Error> {
        // The core writes each flag's verdict column in its blocks (no pass per flag afterwards).
        let mut out = BatchColumns {
            verdicts: Some(Vec::new()),
            ..BatchColumns::default()
        };
        inst.score_batch_into(input, &mut out)?;
        Ok(out)
    }
}

#[cfg(feature = "compact")]
impl Layout for CompactColumns {
    fn score<T: Code>(inst: &changkaixin_core::Instrument, input: &BatchInput<'_, T>) -> Result<Self, Error> {
        let mut out = CompactColumns {
            verdicts: Some(Vec::new()),
            ..CompactColumns::default()
        };
        inst.score_batch_compact_into(input, &mut out, 1, changkaixin_core::BatchKernel::Auto)?;
        Ok(out)
    }
}

impl Instrument {
    fn run<T: Code + TryFrom<i64>, L: Layout>(&self, codes: &[T], o: &Options) -> Result<L, JsValue> {
        let mut input = BatchInput::new(codes, self.inner.spec().items.len(), sentinel::<T>(&o.missing, "missing")?);
        input.refused = o.refused.as_ref().map(|r| sentinel::<T>(r, "refused")).transpose()?;
        input.groups = o.row_group.as_deref().map(|row_group| BatchGroups { row_group, groups: &o.groups });
        input.durations = o.durations.as_deref();
        let map = self.code_map_of(o.code_map.clone().map(JsCast::unchecked_into))?;
        input.code_map = map.as_ref();
        js(L::score(&self.inner, &input))
    }

    /// Read the options and the code buffer (copied once into wasm memory) and score them.
    fn run_any<L: Layout>(&self, codes: CodeBufferJs, options: BatchOptionsJs) -> Result<L, JsValue> {
        let o = read_options(&options)?;
        let codes: JsValue = codes.into();
        if let Some(a) = codes.dyn_ref::<Int8Array>() {
            self.run(&a.to_vec(), &o)
        } else if let Some(a) = codes.dyn_ref::<Uint8Array>() {
            self.run(&a.to_vec(), &o)
        } else if let Some(a) = codes.dyn_ref::<Int16Array>() {
            self.run(&a.to_vec(), &o)
        } else if let Some(a) = codes.dyn_ref::<Int32Array>() {
            self.run(&a.to_vec(), &o)
        } else {
            Err(shape("codes", "codes must be an Int8Array, Uint8Array, Int16Array or Int32Array"))
        }
    }
}

#[wasm_bindgen]
impl Instrument {
    /// Score many respondents at once. `codes` is row-major (`n_rows × itemCount`) in an
    /// `Int8Array`, `Uint8Array`, `Int16Array` or `Int32Array`; `options.missing` is the
    /// code meaning "missing"; `options.code_map` declares the buffer's own coding. Returns
    /// typed-array columns (see `BatchColumns`): screen and flag verdicts as codes
    /// 0 negative, 1 positive, 2 indeterminate.
    #[cfg(feature = "batch")]
    #[wasm_bindgen(js_name = scoreBatch)]
    pub fn score_batch(&self, codes: CodeBufferJs, options: BatchOptionsJs) -> Result<BatchColumnsJs, JsValue> {
        let mut cols: BatchColumns = self.run_any(codes, options)?;
        Ok(columns_to_js(&mut cols, self.inner.spec().screen_positive.is_some())?.unchecked_into())
    }

    /// `scoreBatch` into compact columns (the `changkaixin/compact` module): the same decisions,
    /// each value column in the narrowest of `Int16Array`/`Int32Array`/`BigInt64Array` that
    /// holds the scale's range (its minimum marks an unscored row), `score` only for a scale
    /// with norms, `prorated` only where the scale's rule can prorate, flags as `flag_bytes`
    /// bytes a row, no answered counts (see `CompactBatchColumns`).
    #[cfg(feature = "compact")]
    #[wasm_bindgen(js_name = scoreBatchCompact)]
    pub fn score_batch_compact(&self, codes: CodeBufferJs, options: BatchOptionsJs) -> Result<CompactBatchColumnsJs, JsValue> {
        let mut cols: CompactColumns = self.run_any(codes, options)?;
        Ok(compact_to_js(&mut cols, self.inner.spec().screen_positive.is_some())?.unchecked_into())
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
#[cfg(feature = "batch")]
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
    let verdicts = c.take_verdict_columns();
    row_columns(&out, &c.flag_ids, verdicts, &c.validity, &c.screen, c.n_rows, has_screen)?;
    Ok(out.into())
}

/// The per-row columns both layouts share: flag verdicts, validity, screen.
fn row_columns(
    out: &Object,
    flag_ids: &[String],
    verdicts: Vec<Vec<u8>>,
    validity: &[u8],
    screen: &[u8],
    n_rows: usize,
    has_screen: bool,
) -> Result<(), JsValue> {
    // Verdict codes (0 negative, 1 positive, 2 indeterminate), never a 0/1 boolean column in
    // which an indeterminate row would read as "no flag".
    let by_flag = Object::new();
    for (id, col) in flag_ids.iter().zip(verdicts) {
        set(&by_flag, id, &Uint8Array::from(&col[..]))?;
    }
    set(out, "flag_verdicts", &by_flag)?;
    set(out, "validity", &Uint8Array::from(validity))?;
    // The core's screen column is empty when the instrument defines no screen-positive rule.
    let screen = if has_screen && screen.len() == n_rows {
        JsValue::from(Uint8Array::from(screen))
    } else {
        JsValue::NULL
    };
    set(out, "screen", &screen)
}

/// A compact value column as the typed array of its width (`Int16Array`, `Int32Array`, `BigInt64Array`).
#[cfg(feature = "compact")]
fn values_to_js(v: &Values) -> JsValue {
    match v {
        Values::I16(v) => Int16Array::from(&v[..]).into(),
        Values::I32(v) => Int32Array::from(&v[..]).into(),
        Values::I64(v) => BigInt64Array::from(&v[..]).into(),
    }
}

/// The core's compact columns as a plain JS object of typed arrays (see `CompactBatchColumns`).
#[cfg(feature = "compact")]
fn compact_to_js(c: &mut CompactColumns, has_screen: bool) -> Result<JsValue, JsValue> {
    let out = Object::new();
    set(&out, "compact", &JsValue::TRUE)?;
    set(&out, "n_rows", &JsValue::from(c.n_rows as f64))?;
    let scales = Array::new();
    for s in &c.scales {
        let o = Object::new();
        set(&o, "id", &JsValue::from_str(&s.id))?;
        set(&o, "raw_decimals", &JsValue::from(s.raw_decimals))?;
        set(&o, "raw_width", &JsValue::from_str(s.raw.width().name()))?;
        set(&o, "raw", &values_to_js(&s.raw))?;
        set(&o, "score_decimals", &JsValue::from(s.score_decimals))?;
        // `null`: no norms (the score is the raw value) / a rule that never prorates.
        set(
            &o,
            "score_width",
            &s.score.as_ref().map_or(JsValue::NULL, |v| JsValue::from_str(v.width().name())),
        )?;
        set(&o, "score", &s.score.as_ref().map_or(JsValue::NULL, values_to_js))?;
        set(&o, "band", &Int8Array::from(&s.band[..]))?;
        set(&o, "band_ids", &strings(&s.band_ids))?;
        set(&o, "prorated", &s.prorated.as_deref().map_or(JsValue::NULL, |p| bools(p).into()))?;
        scales.push(&o);
    }
    set(&out, "scales", &scales)?;
    set(&out, "flag_ids", &strings(&c.flag_ids))?;
    set(&out, "flag_bytes", &JsValue::from(c.flag_bytes as f64))?;
    set(&out, "flags", &Uint8Array::from(&c.flags[..]))?;
    set(&out, "flags_indeterminate", &Uint8Array::from(&c.flags_indeterminate[..]))?;
    let verdicts = c.take_verdict_columns();
    row_columns(&out, &c.flag_ids, verdicts, &c.validity, &c.screen, c.n_rows, has_screen)?;
    Ok(out.into())
}
