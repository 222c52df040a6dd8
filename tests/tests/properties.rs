//! Property tests (proptest) over every built-in instrument and the MHT-shaped fixture.
//!
//! Invariants, in words:
//! 1. Scores stay in range: every scored scale's raw value lies within the scale's possible range.
//! 2. Raising a non-reversed item never lowers its scales: choosing an option with a higher
//!    scored value never lowers any sum or mean scale that contains the item.
//! 3. Spec and report JSON round-trip exactly.
//! 4. Batch scoring equals one-by-one scoring, row for row — wide and one-byte buffers, the SIMD
//!    and the forced scalar decode kernel alike.
//! 5. A corrupted spec is rejected, never accepted.
//! 6. The same input gives the same bytes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use changkaixin_core::instrument::spec::{Aggregate, ItemRef};
use changkaixin_core::scoring::batch::UNSCORED;
use changkaixin_core::{Answer, BatchInput, BatchKernel, Catalog, Instrument, Response, ScoreReport};
use changkaixin_tests::repo_root;
use proptest::prelude::*;
use serde_json::Value;

fn instruments() -> &'static [Instrument] {
    static ALL: std::sync::OnceLock<Vec<Instrument>> = std::sync::OnceLock::new();
    ALL.get_or_init(build_instruments)
}

fn build_instruments() -> Vec<Instrument> {
    let mut v: Vec<Instrument> = Catalog::builtin().instruments().cloned().collect();
    let mht = std::fs::read_to_string(repo_root().join("tests/fixtures/mht_synthetic.json")).unwrap();
    v.push(Instrument::from_json(&mht).unwrap());
    // every option of every setting, too
    let mut extra = Vec::new();
    for i in &v {
        for s in &i.source_spec().settings {
            for o in &s.options {
                let m = std::collections::BTreeMap::from([(s.id.clone(), o.id.clone())]);
                extra.push(i.with_settings(&m).unwrap());
            }
        }
    }
    v.extend(extra);
    v
}

/// A cell: 0..=9 pick an option (modulo the count), 10 missing, 11 refused.
fn cells(n: usize) -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(prop_oneof![8 => 0u8..10, 1 => Just(10u8), 1 => Just(11u8)], n)
}

fn answers(inst: &Instrument, cells: &[u8]) -> Vec<Answer> {
    cells
        .iter()
        .enumerate()
        .map(|(i, &c)| match c {
            10 => Answer::Missing,
            11 => Answer::Refused,
            k => {
                let codes = inst.option_codes(i as u32 + 1).unwrap();
                Answer::Code(codes[k as usize % codes.len()])
            }
        })
        .collect()
}

fn group_for(inst: &Instrument, k: u8) -> std::collections::BTreeMap<String, String> {
    let norms = &inst.spec().norms;
    if norms.is_empty() {
        return Default::default();
    }
    norms[k as usize % norms.len()].group.clone()
}

fn score(inst: &Instrument, ans: &[Answer], group_key: u8) -> ScoreReport {
    let mut r = Response {
        group: group_for(inst, group_key),
        ..Response::default()
    };
    for (i, a) in ans.iter().enumerate() {
        r.answers.insert((i + 1).to_string(), a.clone());
    }
    inst.score(&r).unwrap()
}

fn items_of(inst: &Instrument, scale: &str) -> Option<Vec<u32>> {
    let s = inst.spec().scales.iter().find(|s| s.id == scale)?;
    let refs = match &s.aggregate {
        Aggregate::Sum { items } | Aggregate::Mean { items } => items,
        _ => return None,
    };
    let mut out = Vec::new();
    for r in refs {
        match r {
            ItemRef::One(n) => out.push(*n),
            ItemRef::Range(s) => {
                let (a, b) = s.split_once('-').unwrap();
                out.extend(a.trim().parse::<u32>().unwrap()..=b.trim().parse::<u32>().unwrap());
            }
        }
    }
    Some(out)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Scores stay in range, reports round-trip, and the same input gives the same bytes.
    #[test]
    fn scores_in_range_and_round_trip(pick in 0usize..1000, seed in cells(100), g in 0u8..255) {
        let all = instruments();
        let inst = &all[pick % all.len()];
        let ans = answers(inst, &seed[..inst.item_count()]);
        let rep = score(inst, &ans, g);
        for s in &rep.scales {
            if let Some(raw) = s.raw {
                let (lo, hi) = inst.scale_range(&s.id).unwrap();
                prop_assert!(raw.0 >= lo.0 && raw.0 <= hi.0, "{} {} raw {} outside {}..{}", inst.id(), s.id, raw, lo, hi);
            }
        }
        let json = rep.to_json();
        let back: ScoreReport = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(&back, &rep);
        prop_assert_eq!(score(inst, &ans, g).to_json(), json);
    }

    /// Raising a non-reversed item never lowers its scales (sum and mean scales, complete responses).
    #[test]
    fn raising_an_item_never_lowers_its_scales(pick in 0usize..1000, seed in proptest::collection::vec(0u8..10, 100), item in 0usize..100, g in 0u8..255) {
        let all = instruments();
        let inst = &all[pick % all.len()];
        let n = inst.item_count();
        let ans = answers(inst, &seed[..n]);
        let item_no = (item % n) as u32 + 1;
        let Answer::Code(code) = ans[item_no as usize - 1] else { unreachable!() };
        let v0 = inst.option_value(item_no, code).unwrap();
        let higher = inst.option_codes(item_no).unwrap().into_iter().find(|c| inst.option_value(item_no, *c).unwrap() > v0);
        let Some(higher) = higher else { return Ok(()) };
        let mut raised = ans.clone();
        raised[item_no as usize - 1] = Answer::Code(higher);
        let (a, b) = (score(inst, &ans, g), score(inst, &raised, g));
        for (sa, sb) in a.scales.iter().zip(&b.scales) {
            if items_of(inst, &sa.id).is_some_and(|its| its.contains(&item_no)) {
                if let (Some(x), Some(y)) = (sa.raw, sb.raw) {
                    prop_assert!(y.0 >= x.0, "{} scale {} fell from {} to {} when item {} rose", inst.id(), sa.id, x, y, item_no);
                }
            }
        }
    }

    /// Batch scoring equals one-by-one scoring, row for row (missing and refused cells included).
    #[test]
    fn batch_equals_single(pick in 0usize..1000, rows in proptest::collection::vec(cells(100), 1..40), g in 0u8..255) {
        let all = instruments();
        let inst = &all[pick % all.len()];
        let n = inst.item_count();
        let mut flat: Vec<i16> = Vec::new();
        let mut reports = Vec::new();
        for row in &rows {
            let ans = answers(inst, &row[..n]);
            for a in &ans {
                flat.push(match a { Answer::Code(c) => *c as i16, Answer::Refused => -2, _ => -1 });
            }
            reports.push(score(inst, &ans, g));
        }
        let group = group_for(inst, g);
        let groups = vec![group];
        let row_group = vec![0u32; rows.len()];
        let mut input = BatchInput::new(&flat, n, -1);
        input.refused = Some(-2);
        if !inst.spec().norms.is_empty() {
            input.groups = Some(changkaixin_core::scoring::batch::BatchGroups { row_group: &row_group, groups: &groups });
        }
        let out = inst.score_batch(&input).unwrap();
        // The same rows as one-byte buffers go through the byte decoder: the SIMD kernel and the
        // forced scalar kernel must give the same columns as the wide buffer, byte for byte.
        if flat.iter().all(|&c| (-2..=127).contains(&c)) {
            let as_i8: Vec<i8> = flat.iter().map(|&c| c as i8).collect();
            let as_u8: Vec<u8> = flat.iter().map(|&c| if c < 0 { (256 + i32::from(c)) as u8 } else { c as u8 }).collect();
            let mut i8_input = BatchInput::new(&as_i8, n, -1);
            i8_input.refused = Some(-2);
            i8_input.groups = input.groups;
            let mut u8_input = BatchInput::new(&as_u8, n, 255);
            u8_input.refused = Some(254);
            u8_input.groups = input.groups;
            for kernel in [BatchKernel::Auto, BatchKernel::Scalar] {
                prop_assert_eq!(&inst.score_batch_with_kernel(&i8_input, kernel).unwrap(), &out, "{} i8 {:?}", inst.id(), kernel);
                prop_assert_eq!(&inst.score_batch_with_kernel(&u8_input, kernel).unwrap(), &out, "{} u8 {:?}", inst.id(), kernel);
            }
        }
        for (r, rep) in reports.iter().enumerate() {
            for (s, col) in rep.scales.iter().zip(&out.scales) {
                let want = s.raw.map_or(UNSCORED, |d| d.0.mantissa() as i64 * 10i64.pow(col.raw_decimals - d.0.scale()));
                prop_assert_eq!(want, col.raw[r], "{} row {} scale {}", inst.id(), r, &s.id);
                let want_score = s.score.map_or(UNSCORED, |d| d.0.mantissa() as i64 * 10i64.pow(col.score_decimals - d.0.scale()));
                prop_assert_eq!(want_score, col.score[r], "{} row {} scale {} score", inst.id(), r, &s.id);
                prop_assert_eq!(s.band.as_ref().map_or(-1, |b| b.index as i8), col.band[r]);
                prop_assert_eq!(u32::from(col.answered[r]), s.answered);
                prop_assert_eq!(col.prorated[r], s.prorated);
            }
            prop_assert_eq!(rep.validity.status.code(), out.validity[r], "{} row {} validity", inst.id(), r);
            for (fi, id) in out.flag_ids.iter().enumerate() {
                prop_assert_eq!(rep.has_flag(id), out.flags[r] >> fi & 1 == 1, "{} row {} flag {}", inst.id(), r, id);
                prop_assert_eq!(rep.flag_verdict(id).code(), out.flag_verdicts(id).unwrap()[r], "{} row {} flag {} verdict", inst.id(), r, id);
            }
            match rep.screen_verdict() {
                Some(v) => prop_assert_eq!(v.code(), out.screen[r], "{} row {} screen", inst.id(), r),
                None => prop_assert!(out.screen.is_empty()),
            }
        }
    }

    /// Spec JSON round-trips, and a corrupted spec is rejected, never accepted.
    #[test]
    fn corrupted_specs_are_rejected(pick in 0usize..1000, which in 0usize..8, at in 0usize..1000) {
        let all = instruments();
        let inst = &all[pick % all.len()];
        let source = serde_json::to_string(inst.source_spec()).unwrap();
        let again = Instrument::from_json_with(&source, inst.settings());
        prop_assert!(again.is_ok());
        let again = again.unwrap();
        prop_assert_eq!(again.spec(), inst.spec());
        let mut v: Value = serde_json::from_str(&source).unwrap();
        let n_items = inst.item_count();
        let scales = v["scales"].as_array().unwrap().len();
        let s = at % scales;
        let mutated = match which {
            0 => { let id = v["items"][0]["id"].clone(); v["items"][n_items - 1]["id"] = id; n_items > 1 }
            1 => { v["items"][at % n_items]["number"] = serde_json::json!(n_items + 5); true }
            2 => { v["scales"][s]["id"] = v["scales"][(s + 1) % scales]["id"].clone(); scales > 1 }
            3 => {
                let bands = v["scales"][s]["bands"].as_array().map_or(0, Vec::len);
                if bands >= 2 { let b = v["scales"][s]["bands"][1].clone(); v["scales"][s]["bands"][0] = b; v["scales"][s]["bands"][0]["id"] = serde_json::json!("dup_copy"); true } else { false }
            }
            4 => { if v["flags"].as_array().is_some_and(|f| !f.is_empty()) { v["flags"][0]["when"] = serde_json::json!({"flag": "no_such_flag"}); true } else { false } }
            5 => { v["format"] = serde_json::json!("changkaixin.instrument/0"); true }
            6 => { v["items"][at % n_items]["options"] = serde_json::json!([]); true }
            _ => { v["scales"][s]["aggregate"] = serde_json::json!({"method": "sum", "items": [n_items + 1]}); true }
        };
        if mutated {
            let r = Instrument::from_json_with(&v.to_string(), inst.settings());
            prop_assert!(r.is_err(), "corruption {} of {} was accepted", which, inst.id());
        }
    }
}
