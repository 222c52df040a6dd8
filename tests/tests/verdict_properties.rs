//! Property tests of the three-valued verdicts, recodes and the parallel batch (issue 9).
//!
//! Invariants, in words:
//! 1. A decided verdict survives every completion. For any response with items missing or
//!    refused, enumerate by brute force every completion of the unanswered items (each one left
//!    as it is or given any of its options, skip logic respected) on the small instruments: a
//!    flag or screen that reads **negative** is negative for every completion, and one that reads
//!    **positive** is positive for every completion. (Conditions on the response's own answer
//!    states — `item_state`, `answered`, … — are exempt in the direction where filling in an
//!    answer legitimately changes them, found by a polarity analysis of the spec; e.g.
//!    "item 9 unanswered" stops holding once item 9 is answered.)
//! 2. A response with every item answered has no indeterminate verdict.
//! 3. Recoding through a declared code map equals scoring the translated codes, single and batch.
//! 4. The parallel batch gives the same columns (and the same error) as the single-threaded one,
//!    with the SIMD and the forced scalar decode kernel alike.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use changkaixin_core::scoring::recode::{CodeMapSpec, OptionTarget};
use changkaixin_core::{Answer, BatchInput, BatchKernel, Catalog, Instrument, Response, ScoreReport, Verdict};
use changkaixin_tests::repo_root;
use proptest::prelude::*;
use serde_json::Value;
use std::collections::BTreeMap;

fn all_instruments() -> &'static [Instrument] {
    changkaixin_tests::instrument_variants()
}

/// Instruments small enough to enumerate completions of a few items.
fn small_instruments() -> Vec<&'static Instrument> {
    all_instruments()
        .iter()
        .filter(|i| i.item_count() <= 20 && (1..=i.item_count() as u32).all(|n| i.option_codes(n).unwrap().len() <= 5))
        .collect()
}

fn group_for(inst: &Instrument, k: u8) -> BTreeMap<String, String> {
    let norms = &inst.spec().norms;
    if norms.is_empty() {
        return BTreeMap::new();
    }
    norms[k as usize % norms.len()].group.clone()
}

fn respond(ans: &[Answer], group: &BTreeMap<String, String>) -> Response {
    let mut r = Response {
        group: group.clone(),
        ..Response::default()
    };
    for (i, a) in ans.iter().enumerate() {
        r.answers.insert((i + 1).to_string(), a.clone());
    }
    r
}

/// `(negative is stable, positive is stable)` under filling in answers, for one condition.
#[derive(Clone, Copy, Debug)]
struct Stable {
    neg: bool,
    pos: bool,
}

/// Polarity analysis: `down` leaves can only turn false as answers are filled in (e.g. "item 9
/// unanswered"), `up` leaves only true ("item 9 answered"); value leaves are handled by the
/// engine's three-valued logic and never break stability.
fn stability(c: &Value, positive: bool, flags: &BTreeMap<String, Value>, out: &mut Stable, depth: usize) {
    assert!(depth < 64, "condition too deep");
    let Some((key, v)) = c.as_object().and_then(|m| m.iter().next()) else {
        return;
    };
    let mut leaf = |down: bool, up: bool| {
        // A down leaf at positive polarity can turn a positive verdict negative, and so on.
        if (down && positive) || (up && !positive) {
            out.pos = false;
        }
        if (up && positive) || (down && !positive) {
            out.neg = false;
        }
    };
    match key.as_str() {
        "any" | "all" => {
            for ch in v.as_array().unwrap() {
                stability(ch, positive, flags, out, depth + 1);
            }
        }
        "not" => stability(v, !positive, flags, out, depth + 1),
        "count_of" => {
            let op = v["op"].as_str().unwrap();
            for ch in v["of"].as_array().unwrap() {
                match op {
                    ">=" | ">" => stability(ch, positive, flags, out, depth + 1),
                    "<" | "<=" => stability(ch, !positive, flags, out, depth + 1),
                    _ => {
                        stability(ch, positive, flags, out, depth + 1);
                        stability(ch, !positive, flags, out, depth + 1);
                    }
                }
            }
        }
        "flag" => stability(&flags[v.as_str().unwrap()], positive, flags, out, depth + 1),
        "item_state" => match v["state"].as_str().unwrap() {
            "answered" => leaf(false, true),
            _ => leaf(true, false),
        },
        "answered" => match v["op"].as_str().unwrap() {
            "<" | "<=" => leaf(true, false),
            ">" | ">=" => leaf(false, true),
            _ => leaf(true, true),
        },
        "scale_unscored" => leaf(true, false),
        "straight_line" => leaf(true, true),
        _ => {} // item, scale, band, duration_seconds
    }
}

/// Skip logic of the test's own: is an item with `asked_if` possibly asked in this response?
fn maybe_asked(c: &Value, ans: &[Answer], inst: &Instrument) -> Option<bool> {
    let (key, v) = c.as_object()?.iter().next()?;
    Some(match key.as_str() {
        "any" => {
            let r: Vec<Option<bool>> = v.as_array()?.iter().map(|c| maybe_asked(c, ans, inst)).collect();
            if r.contains(&Some(true)) {
                return Some(true);
            }
            if r.contains(&None) {
                return None;
            }
            false
        }
        "all" => {
            let r: Vec<Option<bool>> = v.as_array()?.iter().map(|c| maybe_asked(c, ans, inst)).collect();
            if r.contains(&Some(false)) {
                return Some(false);
            }
            if r.contains(&None) {
                return None;
            }
            true
        }
        "not" => !maybe_asked(v, ans, inst)?,
        "item" => {
            let n = v["item"].as_u64()? as usize;
            let Answer::Code(code) = ans[n - 1] else { return None };
            let x = if v["on"] == "code" {
                code
            } else {
                i64::from(inst.option_value(n as u32, code)?)
            };
            let k: i64 = v["value"].as_i64().or_else(|| v["value"].as_str()?.parse().ok())?;
            match v["op"].as_str()? {
                "==" => x == k,
                "!=" => x != k,
                ">=" => x >= k,
                ">" => x > k,
                "<=" => x <= k,
                _ => x < k,
            }
        }
        "item_state" => {
            let n = v["item"].as_u64()? as usize;
            match (v["state"].as_str()?, &ans[n - 1]) {
                ("refused", a) => matches!(a, Answer::Refused),
                ("missing", a) => matches!(a, Answer::Missing),
                ("answered", a) => matches!(a, Answer::Code(_)),
                (_, a) => !matches!(a, Answer::Code(_)),
            }
        }
        _ => return None,
    })
}

fn verdicts(rep: &ScoreReport, flag_ids: &[String]) -> Vec<(String, Verdict)> {
    let mut v: Vec<(String, Verdict)> = flag_ids.iter().map(|id| (id.clone(), rep.flag_verdict(id))).collect();
    if let Some(s) = rep.screen_verdict() {
        v.push(("screen".to_owned(), s));
    }
    v
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// Invariants 1 and 2, by brute-force enumeration of completions.
    #[test]
    fn decided_verdicts_survive_every_completion(
        pick in 0usize..1000,
        seed in proptest::collection::vec(0u8..10, 20),
        holes in proptest::collection::vec((0usize..20, 0u8..4), 1..5),
        g in 0u8..255,
    ) {
        let small = small_instruments();
        let inst = small[pick % small.len()];
        let n = inst.item_count();
        let options: Vec<Vec<i64>> = (1..=n as u32).map(|i| inst.option_codes(i).unwrap()).collect();
        let mut base: Vec<Answer> = (0..n).map(|i| Answer::Code(options[i][seed[i] as usize % options[i].len()])).collect();
        for &(pos, kind) in &holes {
            base[pos % n] = if kind == 3 { Answer::Refused } else { Answer::Missing };
        }
        let group = group_for(inst, g);
        let spec = serde_json::to_value(inst.spec()).unwrap();
        let flag_conds: BTreeMap<String, Value> =
            spec["flags"].as_array().map(|fs| fs.iter().map(|f| (f["id"].as_str().unwrap().to_owned(), f["when"].clone())).collect()).unwrap_or_default();
        let flag_ids: Vec<String> = spec["flags"].as_array().map(|fs| fs.iter().map(|f| f["id"].as_str().unwrap().to_owned()).collect()).unwrap_or_default();
        let mut stable: BTreeMap<String, Stable> = BTreeMap::new();
        for (id, c) in flag_conds.iter().map(|(k, v)| (k.clone(), v)).chain(spec.get("screen_positive").map(|s| ("screen".to_owned(), &s["when"]))) {
            let mut st = Stable { neg: true, pos: true };
            stability(c, true, &flag_conds, &mut st, 0);
            stable.insert(id, st);
        }
        let asked_if: Vec<Option<Value>> = spec["items"].as_array().unwrap().iter().map(|it| it.get("asked_if").cloned()).collect();
        let r = inst.score(&respond(&base, &group)).unwrap();
        let rv = verdicts(&r, &flag_ids);
        let holes: Vec<usize> = (0..n).filter(|&i| !matches!(base[i], Answer::Code(_))).collect();
        // Mixed-radix enumeration: choice 0 keeps the hole, k > 0 answers option k - 1.
        let radix: Vec<usize> = holes.iter().map(|&i| options[i].len() + 1).collect();
        let total: usize = radix.iter().product();
        let mut checked = 0;
        'combos: for mut k in 0..total {
            let mut c = base.clone();
            for (h, &i) in holes.iter().enumerate() {
                let choice = k % radix[h];
                k /= radix[h];
                if choice > 0 {
                    c[i] = Answer::Code(options[i][choice - 1]);
                }
            }
            // Skip logic: an item that was not asked cannot be given an answer by a completion.
            for &i in &holes {
                if matches!(c[i], Answer::Code(_)) {
                    if let Some(a) = &asked_if[i] {
                        if maybe_asked(a, &c, inst) == Some(false) {
                            continue 'combos;
                        }
                    }
                }
            }
            let rep = inst.score(&respond(&c, &group)).unwrap();
            checked += 1;
            for ((id, before), (_, after)) in rv.iter().zip(verdicts(&rep, &flag_ids)) {
                let s = stable[id];
                if *before == Verdict::Negative && s.neg {
                    prop_assert_eq!(after, Verdict::Negative, "{} {}: negative for {:?} but not for the completion {:?}", inst.id(), id, &base, &c);
                }
                if *before == Verdict::Positive && s.pos {
                    prop_assert_eq!(after, Verdict::Positive, "{} {}: positive for {:?} but not for the completion {:?}", inst.id(), id, &base, &c);
                }
            }
            if c.iter().all(|a| matches!(a, Answer::Code(_))) {
                for (id, v) in verdicts(&rep, &flag_ids) {
                    prop_assert!(v != Verdict::Indeterminate, "{} {} indeterminate for the complete response {:?}", inst.id(), id, &c);
                }
            }
        }
        prop_assert!(checked > 0);
    }

    /// Invariant 3: a recode equals scoring the translated codes (single and batch).
    #[test]
    fn recoding_equals_translated_codes(pick in 0usize..1000, rows in proptest::collection::vec(proptest::collection::vec(0u8..12, 100), 1..30), shift in 1i64..20) {
        let all = all_instruments();
        let inst = &all[pick % all.len()];
        let n = inst.item_count();
        // Per item: the options in reverse order, numbered from `shift` (a typical export).
        let mut spec = CodeMapSpec::default();
        let mut to_option: Vec<BTreeMap<i64, i64>> = Vec::new();
        for item in 1..=n as u32 {
            let codes = inst.option_codes(item).unwrap();
            let m: BTreeMap<i64, i64> = codes.iter().rev().enumerate().map(|(k, &c)| (k as i64 + shift, c)).collect();
            spec.items.insert(item.to_string(), m.iter().map(|(s, c)| (s.to_string(), OptionTarget::Code(*c))).collect());
            to_option.push(m);
        }
        let map = inst.code_map(&spec).unwrap();
        let mut src_flat: Vec<i16> = Vec::new();
        let mut opt_flat: Vec<i16> = Vec::new();
        for row in &rows {
            let mut src = Vec::new();
            let mut opt = Vec::new();
            for (i, &cell) in row[..n].iter().enumerate() {
                let (s, o) = match cell {
                    10 => (Answer::Missing, Answer::Missing),
                    11 => (Answer::Refused, Answer::Refused),
                    k => {
                        let (s, o) = to_option[i].iter().nth(k as usize % to_option[i].len()).unwrap();
                        (Answer::Code(*s), Answer::Code(*o))
                    }
                };
                for (a, flat) in [(&s, &mut src_flat), (&o, &mut opt_flat)] {
                    flat.push(match a { Answer::Code(c) => *c as i16, Answer::Refused => -2, _ => -1 });
                }
                src.push(s);
                opt.push(o);
            }
            if inst.spec().norms.is_empty() {
                let a = inst.score_answers_with_code_map(&src, &map).unwrap();
                let b = inst.score_answers(&opt).unwrap();
                prop_assert_eq!(a.to_json(), b.to_json());
            }
        }
        if inst.spec().norms.is_empty() {
            let mut a = BatchInput::new(&src_flat, n, -1);
            a.refused = Some(-2);
            a.code_map = Some(&map);
            let mut b = BatchInput::new(&opt_flat, n, -1);
            b.refused = Some(-2);
            let want = inst.score_batch(&b).unwrap();
            prop_assert_eq!(&inst.score_batch(&a).unwrap(), &want);
            // Recoded one-byte buffers: the map is composed into the byte tables of both kernels.
            if src_flat.iter().all(|&c| (-2..=127).contains(&c)) {
                let src_i8: Vec<i8> = src_flat.iter().map(|&c| c as i8).collect();
                let mut c = BatchInput::new(&src_i8, n, -1);
                c.refused = Some(-2);
                c.code_map = Some(&map);
                for kernel in [BatchKernel::Auto, BatchKernel::Scalar] {
                    prop_assert_eq!(&inst.score_batch_with_kernel(&c, kernel).unwrap(), &want, "{:?}", kernel);
                }
            }
        }
    }

    /// Invariant 4: the parallel batch equals the single-threaded batch, columns and errors alike.
    #[test]
    fn parallel_batch_equals_single_threaded(pick in 0usize..1000, n_rows in 1usize..1400, seed in any::<u64>(), threads in 0usize..6, bad in proptest::option::of(0usize..1400)) {
        let all = all_instruments();
        let inst = &all[pick % all.len()];
        let n = inst.item_count();
        let options: Vec<Vec<i64>> = (1..=n as u32).map(|i| inst.option_codes(i).unwrap()).collect();
        let mut x = seed | 1;
        let mut next = move || { x ^= x << 13; x ^= x >> 7; x ^= x << 17; x };
        let mut codes: Vec<i8> = Vec::with_capacity(n_rows * n);
        for _ in 0..n_rows {
            for opts in &options {
                let r = next() % 20;
                codes.push(match r { 0 => -1, 1 => -2, _ => opts[(r as usize) % opts.len()] as i8 });
            }
        }
        if let Some(b) = bad {
            if b < n_rows {
                codes[b * n + (b % n)] = 99; // not an option anywhere
            }
        }
        let groups = vec![group_for(inst, (seed % 251) as u8)];
        let row_group = vec![0u32; n_rows];
        let mut input = BatchInput::new(&codes, n, -1);
        input.refused = Some(-2);
        if !inst.spec().norms.is_empty() {
            input.groups = Some(changkaixin_core::scoring::batch::BatchGroups { row_group: &row_group, groups: &groups });
        }
        let one = inst.score_batch(&input);
        let many = inst.score_batch_parallel(&input, threads);
        // The forced scalar decode kernel, parallel too, gives the same columns and the same error.
        let mut scalar_out = changkaixin_core::BatchColumns::default();
        let scalar = inst.score_batch_into_with_kernel(&input, &mut scalar_out, threads, BatchKernel::Scalar).map(|()| scalar_out);
        for other in [many, scalar] {
            match (&one, other) {
                (Ok(a), Ok(b)) => prop_assert_eq!(a, &b),
                (Err(a), Err(b)) => prop_assert_eq!(serde_json::to_string(a).unwrap(), serde_json::to_string(&b).unwrap()),
                (a, b) => prop_assert!(false, "single {:?} vs other {:?}", a.as_ref().map(|c| c.n_rows), b.map(|c| c.n_rows)),
            }
        }
    }
}

#[test]
fn parallel_batch_reuses_columns_and_matches_on_a_large_cohort() {
    let phq9 = Catalog::builtin().instrument("phq9").unwrap();
    let n_rows = 50_000;
    let codes: Vec<u8> = (0..n_rows * 10).map(|i| if i % 97 == 0 { 255 } else { ((i * 7 + i / 10) % 4) as u8 }).collect();
    let input = BatchInput::new(&codes, 10, 255);
    let single = phq9.score_batch(&input).unwrap();
    let mut out = changkaixin_core::BatchColumns::default();
    for threads in [1, 2, 3, 7, 0] {
        phq9.score_batch_into_parallel(&input, &mut out, threads).unwrap();
        assert_eq!(out, single, "threads = {threads}");
    }
    // Rows with item 9 missing are indeterminate for item9_self_harm, never negative.
    let v = single.flag_verdicts("item9_self_harm").unwrap();
    for (r, &code) in v.iter().enumerate() {
        if codes[r * 10 + 8] == 255 {
            assert_eq!(code, 2, "row {r}");
        }
    }
}

#[test]
fn code_map_errors_are_typed() {
    let rses = Catalog::builtin().instrument("rses").unwrap();
    let gad7 = Catalog::builtin().instrument("gad7").unwrap();
    let e = rses
        .code_map_json(r#"{"all": {"1": "strongly_agree", "2": "agree", "3": "disagree", "4": "nope"}}"#)
        .unwrap_err();
    assert_eq!((e.code(), e.path(), e.item()), ("score.code_map_invalid", "/all/4", Some(1)));
    let e = rses
        .code_map_json(r#"{"items": {"rses_satisfied": {"1": 0, "2": 1, "3": 2, "200": 3}}}"#)
        .unwrap_err();
    assert_eq!((e.code(), e.item()), ("score.code_map_invalid", Some(1)));
    let e = rses.code_map_json(r#"{"items": {"11": {"1": 0}}}"#).unwrap_err();
    assert_eq!(e.code(), "score.code_map_invalid");
    let e = rses
        .code_map_json(r#"{"items": {"1": {"1": 0, "2": 1, "3": 2, "4": 3}, "rses_satisfied": {"1": 0, "2": 1, "3": 2, "4": 3}}}"#)
        .unwrap_err();
    assert_eq!(e.code(), "score.code_map_invalid");
    let e = rses.code_map_json(r#"{"al": {}}"#).unwrap_err();
    assert_eq!(e.code(), "score.code_map_invalid");
    let map = rses.code_map_json(r#"{"all": {"1": 3, "2": 2, "3": 1, "4": 0}}"#).unwrap();
    let e = gad7.score_with_code_map(&Response::default(), &map).unwrap_err();
    assert_eq!(e.code(), "score.code_map_mismatch");
    // A missing sentinel that is a source code of the map is refused in batch.
    let codes = vec![1i8; 10];
    let mut input = BatchInput::new(&codes, 10, 4);
    input.code_map = Some(&map);
    assert_eq!(rses.score_batch(&input).unwrap_err().code(), "batch.shape");
    // A code outside the map in batch names row and item.
    let codes = vec![1i8, 2, 3, 4, 0, 1, 2, 3, 4, 1];
    let mut input = BatchInput::new(&codes, 10, -1);
    input.code_map = Some(&map);
    let e = rses.score_batch(&input).unwrap_err();
    assert_eq!((e.code(), e.row(), e.item()), ("batch.unknown_option", Some(0), Some(5)));
}

#[test]
fn describe_shows_every_code_table() {
    for inst in all_instruments() {
        let d = inst.describe();
        assert_eq!(d.items.len(), inst.item_count());
        for it in &d.items {
            let codes: Vec<i64> = it.options.iter().map(|o| o.code).collect();
            let mut sorted = codes.clone();
            sorted.sort_unstable();
            assert_eq!(sorted, inst.option_codes(it.number).unwrap(), "{} item {}", inst.id(), it.number);
            for o in &it.options {
                assert_eq!(Some(o.value), inst.option_value(it.number, o.code));
                assert!(!o.id.is_empty());
            }
        }
        let text = d.to_string();
        assert!(text.starts_with(&format!("{} {}", inst.id(), inst.version())));
        assert_eq!(text, inst.describe().to_string(), "stable");
        let back: changkaixin_core::instrument::describe::InstrumentDescription = serde_json::from_str(&serde_json::to_string(&d).unwrap()).unwrap();
        assert_eq!(back, d);
    }
}

/// Every option of every built-in spec states its id explicitly (LOINC where it has a coding).
#[test]
fn builtin_options_state_their_ids() {
    for inst in Catalog::builtin().instruments() {
        let spec = inst.source_spec();
        let mut lists: Vec<&Vec<changkaixin_core::instrument::spec::OptionSpec>> = spec.option_sets.values().collect();
        for it in &spec.items {
            if let changkaixin_core::instrument::spec::OptionsRef::Inline(v) = &it.options {
                lists.push(v);
            }
        }
        for o in lists.into_iter().flatten() {
            let id = o.id.as_deref().unwrap_or_else(|| panic!("{}: option {} has no id", inst.id(), o.code));
            if let Some(c) = &o.fhir {
                assert_eq!(id, c.code, "{}: an option with a LOINC coding uses it as its id", inst.id());
            }
        }
    }
}

/// `docs/code-tables.md` shows `describe()` of every built-in instrument, exactly
/// (`UPDATE_DOCS=1` rewrites the generated part).
#[test]
fn code_tables_doc_is_current() {
    let path = repo_root().join("docs/code-tables.md");
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let marker = "<!-- generated by tests/tests/verdict_properties.rs: do not edit below -->\n";
    let head = text.split(marker).next().unwrap_or("").to_owned();
    let mut body = String::new();
    for id in ["rses", "dsrsc"]
        .into_iter()
        .chain(Catalog::builtin().ids().filter(|i| *i != "rses" && *i != "dsrsc"))
    {
        let inst = Catalog::builtin().instrument(id).unwrap();
        body.push_str(&format!("### `{id}`\n\n```text\n{}```\n\n", inst.describe()));
    }
    let want = format!("{head}{marker}{body}");
    if std::env::var("UPDATE_DOCS").is_ok_and(|v| v == "1") {
        std::fs::write(&path, &want).unwrap();
    } else {
        assert!(
            text == want,
            "docs/code-tables.md is stale: run UPDATE_DOCS=1 cargo test -p changkaixin-tests --test verdict_properties"
        );
    }
}

/// Items whose codes are not one run of consecutive codes stepping the value by one (here codes
/// 0, 2, 5, 9 with values 3, 0, 2, 1) take the table decode inside the SIMD kernel: both kernels
/// and the wide-buffer decoder agree with each other and with one-by-one scoring.
#[test]
fn byte_kernels_agree_on_gapped_codes() {
    let rses = Catalog::builtin().instrument("rses").unwrap();
    let mut spec: Value = serde_json::to_value(rses.source_spec()).unwrap();
    spec["id"] = Value::from("rses_gapped_test");
    let set = spec["option_sets"]["agree4"].as_array_mut().unwrap();
    for (o, (code, value)) in set.iter_mut().zip([(0, 3), (2, 0), (5, 2), (9, 1)]) {
        o["code"] = Value::from(code);
        o["value"] = Value::from(value);
    }
    let inst = Instrument::from_json(&spec.to_string()).unwrap();
    let n = inst.item_count();
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let n_rows = 700;
    let codes: Vec<i8> = (0..n_rows * n)
        .map(|_| match next() % 12 {
            0 => -1,
            1 => -2,
            k => [0i8, 2, 5, 9][k as usize % 4],
        })
        .collect();
    let mut input = BatchInput::new(&codes, n, -1);
    input.refused = Some(-2);
    let auto = inst.score_batch_with_kernel(&input, BatchKernel::Auto).unwrap();
    assert_eq!(auto, inst.score_batch_with_kernel(&input, BatchKernel::Scalar).unwrap());
    let wide: Vec<i32> = codes.iter().map(|&c| i32::from(c)).collect();
    let mut wide_input = BatchInput::new(&wide, n, -1);
    wide_input.refused = Some(-2);
    assert_eq!(auto, inst.score_batch(&wide_input).unwrap());
    let total = auto.scale("total").unwrap();
    for (r, row) in codes.chunks_exact(n).enumerate() {
        let answers: Vec<Answer> = row
            .iter()
            .map(|&c| match c {
                -1 => Answer::Missing,
                -2 => Answer::Refused,
                c => Answer::Code(i64::from(c)),
            })
            .collect();
        let rep = inst.score_answers(&answers).unwrap();
        let want = rep.scale("total").unwrap().raw.map(|d| d.0.mantissa() as i64);
        assert_eq!(want.unwrap_or(changkaixin_core::scoring::batch::UNSCORED), total.raw[r], "row {r}");
    }
    assert!(total.raw.iter().any(|&v| v != changkaixin_core::scoring::batch::UNSCORED), "some complete rows");
}
