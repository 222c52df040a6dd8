//! Hostile specs, policies and inputs: each class that used to take the process down (or
//! silently compute wrong numbers) must now be refused with a typed error, quickly and within a
//! bounded amount of memory — in debug and in release (`tests/run-all` runs this file in both).
//!
//! Memory is measured with a counting global allocator, per thread (tests run in parallel): the
//! peak of live bytes allocated by the thread while the hostile call runs, above what it held
//! before. Times are only a generous sanity bound (debug builds on a shared 2-core machine).
//!
//! Classes (issue 9, point 9): exponential `sum_of_scales` chains (each scale doubles the
//! range), chains whose magnitude doubles at zero range, wide norm tables, extreme bounds and
//! numbers (i64::MAX/MIN, 28-digit decimals, extra decimal places), conditions nested 100,000
//! deep through the Rust API and through JSON, too many parts, huge strings (a 50 MB student id),
//! and an alert rule that can never be reviewed away.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use changkaixin_core::alert::{evaluate, AlertPolicy, RuleCondition, StudentEvidence, Timestamp};
use changkaixin_core::instrument::spec::{Condition, ValueTest};
use changkaixin_core::{BatchInput, Catalog, Instrument, InstrumentSpec, Response};
use serde_json::{json, Value};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------------------------
// A counting allocator: live bytes and their peak, per thread.

struct Counting;

thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

fn note(delta: isize) {
    let _ = LIVE.try_with(|l| {
        let v = l.get() + delta;
        l.set(v);
        let _ = PEAK.try_with(|p| {
            if v > p.get() {
                p.set(v);
            }
        });
    });
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            note(layout.size() as isize);
        }
        p
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            note(layout.size() as isize);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        note(-(layout.size() as isize));
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            note(new_size as isize - layout.size() as isize);
        }
        p
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

const MB: usize = 1 << 20;
/// Peak allocation allowed while compiling any hostile spec or policy. The largest legitimate
/// use is the lookup-table budget (`limits::MAX_TABLE_ENTRIES` entries of ~17 bytes).
const PEAK_LIMIT: usize = 48 * MB;
/// Generous wall-clock bound per hostile call (debug build, shared machine).
const TIME_LIMIT: Duration = Duration::from_secs(20);

/// Run `f`, returning its result, the thread's peak extra allocation and the elapsed time.
fn measured<T>(f: impl FnOnce() -> T) -> (T, usize, Duration) {
    let start = LIVE.with(Cell::get);
    PEAK.with(|p| p.set(start));
    let t0 = Instant::now();
    let out = f();
    let elapsed = t0.elapsed();
    let peak = PEAK.with(Cell::get) - start;
    (out, usize::try_from(peak).unwrap_or(0), elapsed)
}

/// `f` must fail with `code`, within the memory and time bounds; returns the error.
fn refused<T: std::fmt::Debug>(what: &str, code: &str, f: impl FnOnce() -> Result<T, changkaixin_core::Error>) -> changkaixin_core::Error {
    let (r, peak, elapsed) = measured(f);
    let e = match r {
        Ok(v) => panic!("{what}: accepted ({v:?}), expected {code}"),
        Err(e) => e,
    };
    assert_eq!(e.code(), code, "{what}: {e}");
    assert!(peak < PEAK_LIMIT, "{what}: peak allocation {} MB", peak / MB);
    assert!(elapsed < TIME_LIMIT, "{what}: took {elapsed:?}");
    assert!(e.message().len() < 600 && e.path().len() < 200, "{what}: error echoes too much: {e}");
    eprintln!("{what}: {code} at {} in {elapsed:?}, peak {} KB", e.path(), peak / 1024);
    e
}

// ---------------------------------------------------------------------------------------------
// Spec builders.

/// A minimal valid spec with `n` items whose two options score `lo` and `hi`, and one sum scale.
fn spec(n: usize, lo: i32, hi: i32) -> Value {
    json!({
        "format": "changkaixin.instrument/1",
        "id": "hostile",
        "version": "1",
        "name": {"en": "hostile"},
        "citation": "synthetic",
        "license": {"id": "synthetic", "text": "synthetic"},
        "option_sets": {"o": [{"code": 0, "value": lo}, {"code": 1, "value": hi}]},
        "items": (1..=n).map(|i| json!({"number": i, "id": format!("q{i}"), "options": "o"})).collect::<Vec<_>>(),
        "scales": [{"id": "s0", "name": {"en": "s0"}, "aggregate": {"method": "sum", "items": [format!("1-{n}")]}}],
    })
}

fn any_band() -> Value {
    json!([{"id": "all", "label": {"en": "all"}, "index": 0, "severity": "none"}])
}

fn compile(v: &Value) -> Result<Instrument, changkaixin_core::Error> {
    Instrument::from_json(&v.to_string())
}

/// Scales that each sum every earlier scale: the range doubles with every scale.
fn chain(mut v: Value, scales: usize) -> Value {
    v["scales"][0]["bands"] = any_band();
    for k in 1..scales {
        let parts: Vec<String> = (0..k).map(|j| format!("s{j}")).collect();
        v["scales"]
            .as_array_mut()
            .unwrap()
            .push(json!({"id": format!("s{k}"), "name": {"en": "s"}, "aggregate": {"method": "sum_of_scales", "scales": parts}, "bands": any_band()}));
    }
    v
}

#[test]
fn exponential_scale_chains_are_refused() {
    // 10 items scoring 0 or 3: s0 spans 0..30, s_k spans 0..30·2^(k-1).
    let v = chain(spec(10, 0, 3), 40);
    let text = v.to_string();
    assert!(text.len() < 16 * 1024, "the hostile spec is small: {} bytes", text.len());
    let e = refused("sum_of_scales chain (range doubles)", "spec.limit_exceeded", || compile(&v));
    assert!(e.path().starts_with("/scales/") && e.path().ends_with("/aggregate"), "{e}");
    // Items with a single value: zero range, but the magnitude doubles until i64 would overflow.
    let mut v = spec(10, 1000, 1000);
    v["option_sets"]["o"] = json!([{"code": 0, "value": 1000}]);
    let v = chain(v, 70);
    refused("sum_of_scales chain (magnitude doubles)", "spec.limit_exceeded", || compile(&v));
    // The same chain within the limits compiles and scores.
    let ok = chain(spec(10, 0, 3), 8);
    let inst = compile(&ok).unwrap();
    let report = inst.score_answers(&vec![changkaixin_core::Answer::Code(1); 10]).unwrap();
    assert_eq!(report.scale("s7").unwrap().raw.unwrap().to_string(), (30 * 64).to_string());
}

#[test]
fn wide_scales_and_norm_tables_are_refused() {
    // 1000 items scoring 0..1000: a range of 1,000,000 values, beyond MAX_SCALE_RANGE.
    let mut v = spec(1000, 0, 1000);
    v["scales"][0]["bands"] = any_band();
    refused("scale range 1,000,000", "spec.limit_exceeded", || compile(&v));
    // 100 items scoring 0..1000: exactly the widest range allowed, with 40 norm tables over it.
    let mut v = spec(100, 0, 1000);
    v["norm_group_keys"] = json!(["g"]);
    v["norms"] = (0..40)
        .map(|g| json!({"scale": "s0", "group": {"g": g.to_string()}, "rows": [{"raw_min": 0, "raw_max": 100_000, "score": "50"}]}))
        .collect();
    let e = refused("40 norm tables over 100,001 raw values", "spec.limit_exceeded", || compile(&v));
    assert!(e.path().starts_with("/norms/"), "{e}");
    // Nine such tables fit the budget.
    v["norms"].as_array_mut().unwrap().truncate(9);
    let (r, peak, _) = measured(|| compile(&v));
    assert!(r.is_ok(), "{r:?}");
    assert!(peak < PEAK_LIMIT, "peak {} MB", peak / MB);
    // Too many tables or rows are refused before they are looked at.
    let mut v = spec(3, 0, 1);
    v["norm_group_keys"] = json!(["g"]);
    v["norms"] = (0..2001).map(|g| json!({"scale": "s0", "group": {"g": g.to_string()}, "rows": []})).collect();
    refused("2001 norm tables", "spec.limit_exceeded", || compile(&v));
    let mut v = spec(3, 0, 1);
    v["norm_group_keys"] = json!(["g"]);
    v["norms"] = json!([{"scale": "s0", "group": {"g": "1"}, "rows": vec![json!({"raw_min": 0, "raw_max": 0, "score": "1"}); 100_002]}]);
    refused("100,002 norm rows", "spec.limit_exceeded", || compile(&v));
}

#[test]
fn extreme_bounds_and_numbers_are_refused() {
    let big = [
        "9223372036854775807",
        "-9223372036854775808",
        "79228162514264337593543950335",
        "1000000.5",
        "0.0000001",
    ];
    for b in big {
        let mut v = spec(3, 0, 1);
        v["scales"][0]["band_coverage"] = json!("partial");
        v["scales"][0]["bands"] = json!([{"id": "a", "label": {"en": "a"}, "index": 0, "severity": "none", "min": b}]);
        let e = refused(&format!("band min {b}"), "spec.invalid_value", || compile(&v));
        assert_eq!(e.path(), "/scales/0/bands/0/min");
        v["scales"][0]["bands"] = json!([{"id": "a", "label": {"en": "a"}, "index": 0, "severity": "none", "max": b}]);
        refused(&format!("band max {b}"), "spec.invalid_value", || compile(&v));
        let mut v = spec(3, 0, 1);
        v["flags"] = json!([{"id": "f", "label": {"en": "f"}, "level": "info", "reason": {"en": "r"}, "source": "s",
            "when": {"any": [{"item": {"item": 1, "op": ">=", "value": b}}]}}]);
        let e = refused(&format!("item threshold {b}"), "spec.invalid_value", || compile(&v));
        assert_eq!(e.path(), "/flags/0/when/any/0/item/value");
        v["flags"][0]["when"] = json!({"scale": {"scale": "s0", "op": "<", "value": b}});
        refused(&format!("scale threshold {b}"), "spec.invalid_value", || compile(&v));
        v["flags"][0]["when"] = json!({"duration_seconds": {"op": "<", "value": b}});
        refused(&format!("duration threshold {b}"), "spec.invalid_value", || compile(&v));
        let mut v = spec(3, 0, 1);
        v["scales"][0]["aggregate"] = json!({"method": "count", "items": ["1-3"], "where": {"op": ">=", "value": b}});
        refused(&format!("count threshold {b}"), "spec.invalid_value", || compile(&v));
        let mut v = spec(3, 0, 1);
        v["norm_group_keys"] = json!(["g"]);
        v["norms"] = json!([{"scale": "s0", "group": {"g": "1"}, "rows": [{"raw_min": 0, "raw_max": 3, "score": b}]}]);
        refused(&format!("norm score {b}"), "spec.invalid_value", || compile(&v));
    }
    // Norm rows at the ends of i64.
    for (lo, hi) in [(i64::MIN, 3), (0, i64::MAX), (i64::MIN, i64::MAX), (i64::MAX, i64::MIN)] {
        let mut v = spec(3, 0, 1);
        v["norm_group_keys"] = json!(["g"]);
        v["norms"] = json!([{"scale": "s0", "group": {"g": "1"}, "rows": [{"raw_min": lo, "raw_max": hi, "score": "1"}]}]);
        refused(&format!("norm row {lo}..{hi}"), "spec.norms_incomplete", || compile(&v));
    }
    // The widest bounds allowed work, and compare exactly.
    let mut v = spec(3, -1000, 1000);
    v["scales"][0]["bands"] = json!([
        {"id": "lo", "label": {"en": "lo"}, "index": 0, "severity": "none", "min": "-1000000", "max": "0", "max_inclusive": false},
        {"id": "hi", "label": {"en": "hi"}, "index": 1, "severity": "mild", "min": "0", "max": "999999.999999"}]);
    v["flags"] = json!([{"id": "fast", "label": {"en": "fast"}, "level": "info", "reason": {"en": "fast"}, "source": "s", "when": {"duration_seconds": {"op": "<", "value": "999999.5"}}}]);
    let inst = compile(&v).unwrap();
    let r = inst.score_answers(&vec![changkaixin_core::Answer::Code(0); 3]).unwrap();
    assert_eq!(r.scale("s0").unwrap().band.as_ref().unwrap().id, "lo");
    // Batch durations at the ends of i64 are compared exactly, never overflowing.
    let codes = vec![1i64; 3 * 4];
    let durations = [i64::MAX, 0, -1, i64::MAX - 1];
    let mut input = BatchInput::new(&codes, 3, -1);
    input.durations = Some(&durations);
    let out = inst.score_batch(&input).unwrap();
    assert_eq!(out.flag_column("fast"), Some(vec![false, true, false, false]));
    for t in [
        ("0000-01-01T00:00:00Z", "9999-12-31T23:59:59Z"),
        ("9999-12-31T23:59:59Z", "0000-01-01T00:00:00Z"),
    ] {
        let resp = Response {
            started_at: Some(t.0.into()),
            finished_at: Some(t.1.into()),
            ..Response::from_codes(&[Some(1), Some(1), Some(1)])
        };
        let _ = inst.score(&resp);
    }
    // Evidence reports with extreme numbers are read without panicking.
    let policy = AlertPolicy::changzhou_default().unwrap().compile(Catalog::builtin()).unwrap();
    for (exact, score) in [
        ("-9223372036854775808/3", "1"),
        ("9223372036854775807/1", "79228162514264337593543950335"),
        ("1/-9223372036854775808", "-1"),
    ] {
        let ev = json!({"student": "s", "screenings": [{"at": "2024-03-01T08:00:00Z", "report": {
            "instrument": {"id": "phq9", "version": "1.0.0"}, "validity": {"status": "valid", "reasons": []},
            "items": {"answered": 10, "missing": 0, "refused": 0},
            "scales": [{"id": "total", "scored": true, "raw": score, "raw_exact": exact, "score": score, "answered": 9, "of": 9, "prorated": false}],
            "flags": []}}]});
        if let Ok(ev) = StudentEvidence::from_json(&ev.to_string()) {
            let _ = evaluate(&policy, &ev, Timestamp::parse("2024-03-04T08:00:00Z").unwrap());
        }
    }
}

fn deep_not(depth: usize, leaf: Condition) -> Condition {
    let mut c = leaf;
    for _ in 0..depth {
        c = Condition::Not(Box::new(c));
    }
    c
}

fn phq9_source() -> InstrumentSpec {
    Catalog::builtin().instrument("phq9").unwrap().source_spec().clone()
}

#[test]
fn deep_conditions_through_the_rust_api_are_refused_before_any_recursion() {
    let _ = phq9_source(); // load the catalog outside the measurement
    let leaf = || {
        Condition::DurationSeconds(ValueTest {
            op: changkaixin_core::instrument::spec::CmpOp::Lt,
            value: changkaixin_core::Dec::from_i64(5),
        })
    };
    // 100,000 nested `not` in a flag.
    let mut spec = phq9_source();
    spec.flags[0].when = deep_not(100_000, leaf());
    let e = refused("flag nested 100,000 deep", "spec.limit_exceeded", || Instrument::from_spec(spec));
    assert_eq!(e.path(), "/flags/0/when");
    // 100,000 nested `all` in the screen-positive rule.
    let mut spec = phq9_source();
    let mut c = leaf();
    for _ in 0..100_000 {
        c = Condition::All(vec![c]);
    }
    spec.screen_positive.as_mut().unwrap().when = c;
    refused("screen-positive nested 100,000 deep", "spec.limit_exceeded", || Instrument::from_spec(spec));
    // One level past the limit is refused; the limit itself compiles.
    let mut spec = phq9_source();
    spec.flags[0].when = deep_not(changkaixin_core::limits::MAX_CONDITION_DEPTH + 1, leaf());
    refused("flag nested MAX+1 deep", "spec.limit_exceeded", || Instrument::from_spec(spec));
    let mut spec = phq9_source();
    spec.flags[0].when = deep_not(changkaixin_core::limits::MAX_CONDITION_DEPTH, leaf());
    Instrument::from_spec(spec).unwrap();
    // Very wide: more condition nodes than the budget.
    let mut spec = phq9_source();
    spec.flags[0].when = Condition::Any((0..20_000).map(|_| leaf()).collect());
    refused("flag with 20,000 leaves", "spec.limit_exceeded", || Instrument::from_spec(spec));
    // A deep tree a caller builds and drops is freed without recursion.
    drop(deep_not(200_000, leaf()));
}

fn default_policy() -> AlertPolicy {
    AlertPolicy::changzhou_default().unwrap()
}

#[test]
fn deep_policy_conditions_are_refused_before_clone_or_compile() {
    let catalog = Catalog::builtin();
    let mut policy = default_policy();
    let mut c = RuleCondition::PreviousTierAtLeast("key".into());
    for _ in 0..100_000 {
        c = RuleCondition::Not(Box::new(c));
    }
    policy.rules[0].when = c;
    let e = refused("policy rule nested 100,000 deep", "policy.limit_exceeded", || policy.compile(catalog));
    assert_eq!(e.path(), "/rules/0/when");
    let (lint, peak, _) = measured(|| policy.lint_against(catalog));
    assert_eq!(lint.len(), 1);
    assert_eq!(lint[0].code(), "policy.limit_exceeded");
    assert!(peak < PEAK_LIMIT);
    assert_eq!(policy.to_json(), "", "a tree too deep to serialise safely is not written");
    let mut c = RuleCondition::PreviousTierAtLeast("key".into());
    for _ in 0..100_000 {
        c = RuleCondition::Any(vec![c]);
    }
    policy.rules[1].when = c;
    refused("policy rule nested 100,000 deep (any)", "policy.limit_exceeded", || policy.check_limits());
    drop(policy); // freed iteratively
    let mut policy = default_policy();
    policy.rules[0].when = RuleCondition::Any((0..20_000).map(|_| RuleCondition::PreviousTierAtLeast("key".into())).collect());
    refused("policy rule with 20,000 leaves", "policy.limit_exceeded", || policy.compile(catalog));
}

#[test]
fn deep_conditions_through_json_are_refused() {
    // Within serde_json's recursion limit but past ours: a typed limit error.
    let nested = |depth: usize, leaf: &str| format!("{}{leaf}{}", "{\"not\": ".repeat(depth), "}".repeat(depth));
    let mut v = spec(3, 0, 1);
    v["flags"] = json!([{"id": "f", "label": {"en": "f"}, "level": "info", "reason": {"en": "r"}, "source": "s", "when": null}]);
    let text = v
        .to_string()
        .replace("\"when\":null", &format!("\"when\":{}", nested(40, "{\"flag_placeholder\": 1}")));
    let text = text.replace("{\"flag_placeholder\": 1}", "{\"item_state\": {\"item\": 1, \"state\": \"missing\"}}");
    refused("spec JSON nested 40 deep", "spec.limit_exceeded", || Instrument::from_json(&text));
    // Far past serde_json's recursion limit: a typed parse error, not a stack overflow.
    let text = v.to_string().replace(
        "\"when\":null",
        &format!("\"when\":{}", nested(100_000, "{\"item_state\": {\"item\": 1, \"state\": \"missing\"}}")),
    );
    refused("spec JSON nested 100,000 deep", "spec.parse", || Instrument::from_json(&text));
    let mut p: Value = serde_json::from_str(changkaixin_core::alert::CHANGZHOU_DEFAULT_JSON).unwrap();
    p["rules"][0]["when"] = Value::Null;
    let base = p.to_string();
    let leaf = "{\"previous_tier_at_least\": \"key\"}";
    let text = base.replacen("\"when\":null", &format!("\"when\":{}", nested(40, leaf)), 1);
    let policy = AlertPolicy::from_json(&text).unwrap();
    refused("policy JSON nested 40 deep", "policy.limit_exceeded", || policy.compile(Catalog::builtin()));
    let text = base.replacen("\"when\":null", &format!("\"when\":{}", nested(100_000, leaf)), 1);
    refused("policy JSON nested 100,000 deep", "policy.parse", || AlertPolicy::from_json(&text));
}

#[test]
fn too_many_parts_are_refused() {
    let mut v = spec(3, 0, 1);
    v["scales"] = (0..300)
        .map(|k| json!({"id": format!("s{k}"), "name": {"en": "s"}, "aggregate": {"method": "sum", "items": [1]}}))
        .collect();
    refused("300 scales", "spec.limit_exceeded", || compile(&v));
    let mut v = spec(3, 0, 1);
    v["flags"] = (0..65)
        .map(|k| json!({"id": format!("f{k}"), "label": {"en": "f"}, "level": "info", "reason": {"en": "r"}, "source": "s", "when": {"item_state": {"item": 1, "state": "missing"}}}))
        .collect();
    refused("65 flags", "spec.limit_exceeded", || compile(&v));
    let v = spec(1001, 0, 1);
    refused("1001 items", "spec.limit_exceeded", || compile(&v));
    let mut v = spec(3, 0, 1);
    v["settings"] = json!([{"id": "x", "description": "d", "default": "o0", "default_rationale": "r",
        "options": (0..65).map(|k| json!({"id": format!("o{k}"), "description": "d"})).collect::<Vec<_>>()}]);
    refused("65 setting options", "spec.limit_exceeded", || compile(&v));
    // Deep conditions inside a setting's patch are found too.
    let mut v = spec(3, 0, 1);
    v["flags"] = json!([{"id": "f", "label": {"en": "f"}, "level": "info", "reason": {"en": "r"}, "source": "s", "when": {"item_state": {"item": 1, "state": "missing"}}}]);
    let mut deep = json!({"item_state": {"item": 1, "state": "missing"}});
    for _ in 0..40 {
        deep = json!({ "not": deep });
    }
    v["settings"] = json!([{"id": "x", "description": "d", "default": "a", "default_rationale": "r",
        "options": [{"id": "a", "description": "d"}, {"id": "b", "description": "d", "patch": {"flags": {"f": {"when": deep}}}}]}]);
    let e = refused("deep condition in a setting patch", "spec.limit_exceeded", || compile(&v));
    assert_eq!(e.path(), "/settings/0/options/1/patch/flags/f/when");
    let mut p = default_policy();
    let r = p.rules[0].clone();
    p.rules = (0..300)
        .map(|k| {
            let mut r = r.clone();
            r.id = format!("r{k}");
            r
        })
        .collect();
    refused("300 policy rules", "policy.limit_exceeded", || p.compile(Catalog::builtin()));
}

#[test]
fn huge_strings_are_never_echoed_whole() {
    let id = "学".repeat(17 * 1024 * 1024); // a 50 MB student id
    assert!(id.len() > 50_000_000);
    let short = |e: &changkaixin_core::Error| {
        let text = e.to_string();
        assert!(text.len() < 1024, "{} bytes echoed: {}…", text.len(), &text[..200.min(text.len())]);
        assert!(!text.contains(&"学".repeat(65)), "more than a short prefix of the input is echoed");
    };
    let (r, _, elapsed) = measured(|| StudentEvidence::from_json(&format!("{{\"student\": \"{id}\", \"previous\": {{\"tier\": 7}}}}")));
    short(&r.unwrap_err());
    assert!(elapsed < TIME_LIMIT);
    let e = StudentEvidence::from_json(&format!("{{\"student\": [\"{id}\"]}}")).unwrap_err();
    short(&e);
    let e = StudentEvidence::from_json(&format!("{{\"{id}\": 1}}")).unwrap_err();
    short(&e);
    // An evidence record that parses but names an unknown category: the id is not echoed.
    let policy = AlertPolicy::changzhou_default().unwrap().compile(Catalog::builtin()).unwrap();
    let ev = StudentEvidence::from_json(&format!(
        "{{\"student\": \"{id}\", \"observations\": [{{\"category\": \"{id}\", \"at\": \"2024-03-01T08:00:00Z\", \"observed_by\": {{\"name\": \"t\", \"role\": \"{id}\"}}}}]}}"
    ))
    .unwrap();
    let e = evaluate(&policy, &ev, Timestamp::parse("2024-03-04T08:00:00Z").unwrap()).unwrap_err();
    assert_eq!(e.code(), "evidence.invalid");
    short(&e);
    drop(ev);
    // Scoring: a huge answer key, a huge answer value, huge times.
    let phq9 = Catalog::builtin().instrument("phq9").unwrap();
    let mut r = Response::default();
    r.answers.insert(id.clone(), changkaixin_core::Answer::Code(0));
    let e = phq9.score(&r).unwrap_err();
    assert_eq!(e.code(), "score.unknown_item");
    short(&e);
    short(&phq9.score_json(&format!("{{\"answers\": {{\"1\": \"{id}\"}}}}")).unwrap_err());
    short(
        &phq9
            .score_json(&format!("{{\"answers\": {{\"1\": 0}}, \"started_at\": \"{id}\"}}"))
            .unwrap_err(),
    );
    short(&Catalog::builtin().instrument(&id).unwrap_err());
    short(&changkaixin_core::alert::IsoDuration::parse(&id).unwrap_err());
    short(&Timestamp::parse(&id).unwrap_err());
    short(&changkaixin_core::fhir::import_questionnaire(&format!("{{\"resourceType\": \"{id}\"}}")).unwrap_err());
    // Specs and policies: strings beyond MAX_TEXT_BYTES are refused (and not echoed).
    let big = "x".repeat(changkaixin_core::limits::MAX_TEXT_BYTES + 1);
    let mut v = spec(3, 0, 1);
    v["scales"][0]["name"]["en"] = json!(big);
    let e = refused("spec with a 16 KB name", "spec.limit_exceeded", || compile(&v));
    assert_eq!(e.path(), "/scales/0/name/en");
    let mut v = spec(3, 0, 1);
    v["option_sets"] = json!({ big.clone(): [{"code": 0, "value": 0}] });
    let e = refused("spec with a 16 KB map key", "spec.limit_exceeded", || compile(&v));
    assert!(e.path().starts_with("/option_sets/xxx"), "{e}");
    let mut v = spec(3, 0, 1);
    v["scales"][0]["bands"] = json!([{"id": "a", "label": {"en": "a"}, "index": 0, "severity": "none", "min": "1".repeat(1_000_000)}]);
    short(&refused("spec with a 1 MB decimal", "spec.parse", || compile(&v)));
    let mut p = default_policy();
    p.sources[0].citation = big.clone();
    let e = refused("policy with a 16 KB citation", "policy.limit_exceeded", || p.compile(Catalog::builtin()));
    assert_eq!(e.path(), "/sources/0/citation");
    let mut p = default_policy();
    p.rules[0].id = id.clone();
    short(&p.compile(Catalog::builtin()).unwrap_err());
    short(&AlertPolicy::from_json(&format!("{{\"format\": \"{id}\"}}")).unwrap_err());
}

fn with_rule(when: Value, tier: &str) -> AlertPolicy {
    let mut p: Value = serde_json::from_str(changkaixin_core::alert::CHANGZHOU_DEFAULT_JSON).unwrap();
    let source = p["sources"][0]["id"].clone();
    p["rules"].as_array_mut().unwrap().push(json!({
        "id": "hostile.sticky", "tier": tier, "label": {"en": "sticky"}, "sources": [source],
        "basis": "configurable_default", "when": when}));
    AlertPolicy::from_json(&p.to_string()).unwrap()
}

#[test]
fn rules_that_can_never_be_reviewed_away_are_lint_errors() {
    let catalog = Catalog::builtin();
    let n = default_policy().rules.len();
    let obs = json!({"observation": {"categories": []}});
    for (when, tier, leaf) in [
        (json!({"previous_tier_at_least": "crisis"}), "crisis", "/previous_tier_at_least".to_owned()),
        (
            json!({"any": [obs.clone(), {"previous_tier_at_least": "key"}]}),
            "crisis",
            "/any/1/previous_tier_at_least".to_owned(),
        ),
        (json!({"previous_tier_at_least": "watch"}), "watch", "/previous_tier_at_least".to_owned()),
        (
            json!({"all": [{"previous_tier_at_least": "key"}, {"any": [obs.clone(), {"previous_tier_at_least": "watch"}]}]}),
            "key",
            "/all/0/previous_tier_at_least".to_owned(),
        ),
    ] {
        let p = with_rule(when.clone(), tier);
        let e = refused(&format!("unreviewable {tier} rule {when}"), "policy.unreviewable_rule", || p.compile(catalog));
        assert_eq!(e.path(), format!("/rules/{n}/when{leaf}"));
        assert!(p.lint_against(catalog).iter().any(|x| x.code() == "policy.unreviewable_rule"));
    }
    // Conditions that still need current evidence are fine.
    for (when, tier) in [
        (json!({"all": [obs.clone(), {"previous_tier_at_least": "crisis"}]}), "crisis"),
        (json!({"previous_tier_at_least": "crisis"}), "key"),
        (json!({"not": obs.clone()}), "watch"),
    ] {
        let p = with_rule(when.clone(), tier);
        let lint = p.lint_against(catalog);
        assert!(!lint.iter().any(|x| x.code() == "policy.unreviewable_rule"), "{when} at {tier}: {lint:?}");
    }
    assert!(default_policy().lint_against(catalog).is_empty());
}

#[test]
fn wide_unsigned_codes_never_collapse_onto_a_sentinel() {
    // Found by the batch_types fuzz target: u64 codes above i64::MAX used to be read as "missing"
    // when the missing sentinel was u64::MAX (both saturated to i64::MAX).
    let gad7 = Catalog::builtin().instrument("gad7").unwrap();
    let mut codes = vec![0u64; 7];
    codes[0] = u64::MAX - 65_000;
    let mut input = BatchInput::new(&codes, 7, u64::MAX);
    input.refused = Some(u64::MAX - 1);
    let e = gad7.score_batch(&input).unwrap_err();
    assert_eq!(e.code(), "batch.unknown_option");
    codes[0] = u64::MAX;
    let out = gad7.score_batch(&BatchInput::new(&codes, 7, u64::MAX)).unwrap();
    assert_eq!(out.validity, vec![1], "u64::MAX is the missing sentinel: incomplete");
}
