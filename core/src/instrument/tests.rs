//! Lint and scoring unit tests on a small synthetic spec.

use crate::{Answer, Catalog, Instrument, Response};
use serde_json::{json, Value};
use std::collections::BTreeMap;

pub(crate) fn toy() -> Value {
    json!({
        "format": "changkaixin.instrument/1",
        "id": "toy",
        "version": "1.0.0",
        "name": {"en": "Toy", "zh": "玩具"},
        "citation": "synthetic test instrument",
        "license": {"id": "synthetic", "text": "synthetic", "item_texts": true},
        "option_sets": {"f4": [
            {"code": 0, "value": 0}, {"code": 1, "value": 1}, {"code": 2, "value": 2}, {"code": 3, "value": 3}
        ]},
        "items": [
            {"number": 1, "id": "a", "options": "f4", "text": {"en": "A"}},
            {"number": 2, "id": "b", "options": "f4"},
            {"number": 3, "id": "c", "options": "f4", "reverse": true},
            {"number": 4, "id": "d", "options": "f4"},
            {"number": 5, "id": "e", "options": "f4", "scored": false}
        ],
        "scales": [
            {"id": "total", "name": {"en": "Total"}, "aggregate": {"method": "sum", "items": ["1-4"]},
             "missing": {"rule": "prorate", "min_answered": 3, "rounding": "half_up"},
             "bands": [
                {"id": "low", "label": {"en": "low"}, "index": 0, "severity": "none", "min": 0, "max": 4},
                {"id": "mid", "label": {"en": "mid"}, "index": 1, "severity": "mild", "min": 5, "max": 8},
                {"id": "high", "label": {"en": "high"}, "index": 2, "severity": "severe", "min": 9, "max": 12}
             ]},
            {"id": "avg", "name": {"en": "Mean"}, "aggregate": {"method": "mean", "items": [1, 2, 4]},
             "missing": {"rule": "mean_of_answered", "min_answered": 2},
             "bands": [
                {"id": "ok", "label": {"en": "ok"}, "index": 0, "severity": "none", "min": 0, "max": "2", "max_inclusive": false},
                {"id": "raised", "label": {"en": "raised"}, "index": 1, "severity": "moderate", "min": "2", "max": 3}
             ]},
            {"id": "n_high", "name": {"en": "count"}, "kind": "index",
             "aggregate": {"method": "count", "items": [1, 2, 3, 4], "where": {"op": ">=", "value": 2}}}
        ],
        "flags": [
            {"id": "crit", "label": {"en": "item 4"}, "level": "critical", "reason": {"en": "item 4 positive"},
             "source": "test", "when": {"item": {"item": 4, "op": ">=", "value": 1}}},
            {"id": "combo", "label": {"en": "combo"}, "level": "warning", "reason": {"en": "combo"}, "source": "test",
             "when": {"all": [{"flag": "crit"}, {"band": {"scale": "total", "op": ">=", "index": 1}}]}}
        ],
        "screen_positive": {"when": {"scale": {"scale": "total", "op": ">=", "value": 5}}, "reason": {"en": "pos"}, "source": "test"},
        "validity": [
            {"id": "too_fast", "verdict": "invalid", "reason": {"en": "too fast"}, "source": "test",
             "when": {"duration_seconds": {"op": "<", "value": 10}}},
            {"id": "same", "verdict": "note", "reason": {"en": "straight"}, "source": "test",
             "when": {"straight_line": {"items": ["1-4"], "min_answered": 4}}}
        ],
        "settings": [
            {"id": "cut", "description": "where the high band starts", "default": "nine",
             "default_rationale": "test", "options": [
                {"id": "nine", "description": "9"},
                {"id": "ten", "description": "10", "patch": {"scales": {"total": {"bands": [
                    {"id": "low", "label": {"en": "low"}, "index": 0, "severity": "none", "min": 0, "max": 4},
                    {"id": "mid", "label": {"en": "mid"}, "index": 1, "severity": "mild", "min": 5, "max": 9},
                    {"id": "high", "label": {"en": "high"}, "index": 2, "severity": "severe", "min": 10, "max": 12}
                ]}}}}
             ]}
        ]
    })
}

fn inst(v: &Value) -> crate::Result<Instrument> {
    Instrument::from_json(&v.to_string())
}

fn codes(c: &[Option<i64>]) -> Response {
    Response::from_codes(c)
}

#[test]
fn toy_compiles_and_scores() {
    let i = inst(&toy()).unwrap();
    // item 3 reversed: code 0 -> 3
    let r = i.score(&codes(&[Some(0), Some(0), Some(0), Some(0), None])).unwrap();
    let t = r.scale("total").unwrap();
    assert_eq!(t.raw.unwrap().to_string(), "3");
    assert_eq!(t.band.as_ref().unwrap().id, "low");
    assert_eq!(r.validity.status, crate::ValidityStatus::Valid);
    // straight-lining is only a note
    assert_eq!(r.validity.reasons.len(), 1);
    assert!(!r.has_flag("crit"));
    assert_eq!(r.screen_verdict(), Some(crate::Verdict::Negative));
}

#[test]
fn prorating_rounds_half_up() {
    let i = inst(&toy()).unwrap();
    // items 1,2,4 answered 1,2,2 (sum 5) + item 3 missing -> 5*4/3 = 6.67 -> 7
    let r = i.score(&codes(&[Some(1), Some(2), None, Some(2), None])).unwrap();
    let t = r.scale("total").unwrap();
    assert_eq!(t.raw.unwrap().to_string(), "7");
    assert!(t.prorated);
    assert_eq!(t.answered, 3);
    // sum 3 over 3 answered -> 4 exactly; 1+1+0 -> 2*4/3=2.67 -> 3
    let r = i.score(&codes(&[Some(1), Some(1), None, Some(0), None])).unwrap();
    assert_eq!(r.scale("total").unwrap().raw.unwrap().to_string(), "3");
    // half: items 1,2,4 = 1,1,1 + item 3 missing: 3*4/3 = 4 ; make a .5 case: 2 answered not allowed (min 3)
    let r = i.score(&codes(&[Some(1), None, None, Some(0), None])).unwrap();
    assert!(!r.scale("total").unwrap().scored);
    assert_eq!(r.validity.status, crate::ValidityStatus::Incomplete);
}

#[test]
fn mean_is_exact_and_bands_compare_exactly() {
    let i = inst(&toy()).unwrap();
    // avg over items 1,2,4 = (2+2+1)/3 = 5/3 = 1.67 -> band ok (< 2)
    let r = i.score(&codes(&[Some(2), Some(2), Some(0), Some(1), None])).unwrap();
    let a = r.scale("avg").unwrap();
    assert_eq!(a.raw.unwrap().to_string(), "1.67");
    assert_eq!(a.raw_exact.as_deref(), Some("5/3"));
    assert_eq!(a.band.as_ref().unwrap().id, "ok");
    // (2+2+2)/3 = 2 -> raised
    let r = i.score(&codes(&[Some(2), Some(2), Some(0), Some(2), None])).unwrap();
    assert_eq!(r.scale("avg").unwrap().raw.unwrap().to_string(), "2.00");
    assert_eq!(r.scale("avg").unwrap().band.as_ref().unwrap().id, "raised");
    assert_eq!(r.scale("n_high").unwrap().raw.unwrap().to_string(), "4");
}

#[test]
fn critical_item_with_low_total_flags() {
    let i = inst(&toy()).unwrap();
    let r = i.score(&codes(&[Some(0), Some(0), Some(3), Some(1), None])).unwrap();
    assert_eq!(r.scale("total").unwrap().raw.unwrap().to_string(), "1");
    assert!(r.has_flag("crit"));
    assert!(!r.has_flag("combo"));
    let f = &r.flags[0];
    assert_eq!(f.items, vec![4]);
    assert_eq!(f.evidence, vec!["item 4 value 1 >= 1".to_string()]);
}

#[test]
fn settings_switch_bands_and_are_reported() {
    let base = inst(&toy()).unwrap();
    let r = base.score(&codes(&[Some(3), Some(3), Some(3), Some(3), None])).unwrap(); // 3+3+0+3 = 9
    assert_eq!(r.scale("total").unwrap().band.as_ref().unwrap().id, "high");
    let ten = base.with_settings(&BTreeMap::from([("cut".to_string(), "ten".to_string())])).unwrap();
    let r = ten.score(&codes(&[Some(3), Some(3), Some(3), Some(3), None])).unwrap();
    assert_eq!(r.scale("total").unwrap().band.as_ref().unwrap().id, "mid");
    assert_eq!(r.instrument.settings.get("cut").map(String::as_str), Some("ten"));
    let e = base.with_settings(&BTreeMap::from([("cut".to_string(), "eleven".to_string())])).unwrap_err();
    assert_eq!(e.code(), "spec.unknown_setting");
    let e = base.with_settings(&BTreeMap::from([("nope".to_string(), "x".to_string())])).unwrap_err();
    assert_eq!(e.code(), "spec.unknown_setting");
}

#[test]
fn bad_input_is_a_typed_error_naming_the_item() {
    let i = inst(&toy()).unwrap();
    let mut r = Response::default();
    r.answers.insert("9".into(), Answer::Code(0));
    let e = i.score(&r).unwrap_err();
    assert_eq!((e.code(), e.item()), ("score.unknown_item", Some(9)));
    let mut r = Response::default();
    r.answers.insert("3".into(), Answer::Code(4));
    let e = i.score(&r).unwrap_err();
    assert_eq!((e.code(), e.item(), e.path()), ("score.unknown_option", Some(3), "/answers/3"));
    let mut r = Response::default();
    r.answers.insert("3".into(), Answer::Code(1));
    r.answers.insert("c".into(), Answer::Code(1));
    assert_eq!(i.score(&r).unwrap_err().code(), "score.duplicate_answer");
    assert_eq!(i.score_answers(&[Answer::Code(0)]).unwrap_err().code(), "score.wrong_item_count");
    let r = Response {
        started_at: Some("yesterday".into()),
        finished_at: Some("2026-01-01T00:00:00Z".into()),
        ..Response::default()
    };
    assert_eq!(i.score(&r).unwrap_err().code(), "score.invalid_time");
}

#[test]
fn too_fast_is_invalid() {
    let i = inst(&toy()).unwrap();
    let mut r = codes(&[Some(0), Some(1), Some(0), Some(0), None]);
    r.started_at = Some("2026-03-01T08:00:00+08:00".into());
    r.finished_at = Some("2026-03-01T08:00:09+08:00".into());
    let rep = i.score(&r).unwrap();
    assert_eq!(rep.duration_seconds, Some(9));
    assert_eq!(rep.validity.status, crate::ValidityStatus::Invalid);
    r.finished_at = Some("2026-03-01T08:00:10+08:00".into());
    assert_eq!(i.score(&r).unwrap().validity.status, crate::ValidityStatus::Valid);
}

fn lint_code(mutate: impl FnOnce(&mut Value)) -> String {
    let mut v = toy();
    mutate(&mut v);
    match inst(&v) {
        Ok(_) => "accepted".to_string(),
        Err(e) => {
            assert!(!e.path().is_empty());
            e.code().to_string()
        }
    }
}

#[test]
fn lint_rejects_each_kind_of_broken_spec() {
    assert_eq!(lint_code(|v| v["format"] = json!("x")), "spec.unsupported_format");
    assert_eq!(lint_code(|v| v["items"][1]["id"] = json!("a")), "spec.duplicate_id");
    assert_eq!(lint_code(|v| v["items"][1]["number"] = json!(1)), "spec.duplicate_id");
    assert_eq!(lint_code(|v| v["items"][1]["number"] = json!(7)), "spec.invalid_value");
    assert_eq!(lint_code(|v| v["scales"][0]["aggregate"]["items"] = json!([1, 6])), "spec.unknown_item");
    assert_eq!(lint_code(|v| v["scales"][0]["aggregate"]["items"] = json!([1, 5])), "spec.bad_scale");
    assert_eq!(
        lint_code(|v| v["flags"][0]["when"] = json!({"item": {"item": 42, "op": ">=", "value": 1}})),
        "spec.unknown_item"
    );
    assert_eq!(lint_code(|v| v["flags"][0]["when"] = json!({"flag": "combo"})), "spec.unknown_flag");
    assert_eq!(
        lint_code(|v| v["flags"][0]["when"] = json!({"scale": {"scale": "nope", "op": ">=", "value": 1}})),
        "spec.unknown_scale"
    );
    assert_eq!(lint_code(|v| v["scales"][0]["bands"][1]["min"] = json!(4)), "spec.band_overlap");
    assert_eq!(lint_code(|v| v["scales"][0]["bands"][1]["min"] = json!(6)), "spec.band_gap");
    assert_eq!(lint_code(|v| v["scales"][0]["bands"][2]["max"] = json!(11)), "spec.band_gap");
    assert_eq!(lint_code(|v| v["scales"][1]["bands"][0]["max_inclusive"] = json!(true)), "spec.band_overlap");
    assert_eq!(lint_code(|v| v["scales"][1]["bands"][1]["min_inclusive"] = json!(false)), "spec.band_gap");
    assert_eq!(lint_code(|v| v["scales"][0]["bands"][2]["index"] = json!(1)), "spec.band_index");
    assert_eq!(
        lint_code(|v| v["items"][2]["values"] = json!({"0": 3, "1": 2, "2": 1, "3": 0})),
        "spec.invalid_value"
    );
    assert_eq!(
        lint_code(|v| {
            v["items"][2]["reverse"] = json!(false);
            v["items"][2]["values"] = json!({"0": 3, "1": 2, "2": 1, "4": 0});
        }),
        "spec.reverse_outside_options"
    );
    assert_eq!(
        lint_code(|v| {
            v["items"][2]["reverse"] = json!(false);
            v["items"][2]["values"] = json!({"0": 3, "1": 2, "2": 1});
        }),
        "spec.reverse_outside_options"
    );
    assert_eq!(lint_code(|v| v["option_sets"]["f4"][0]["code"] = json!(200)), "spec.bad_options");
    assert_eq!(lint_code(|v| v["items"][0]["options"] = json!("nope")), "spec.bad_options");
    assert_eq!(lint_code(|v| v["settings"][0]["default"] = json!("zzz")), "spec.unknown_setting");
    assert_eq!(
        lint_code(|v| v["settings"][0]["options"][1]["patch"]["scales"]["total"]["bands"][0]["max"] = json!(3)),
        "spec.band_gap"
    );
    assert_eq!(lint_code(|v| v["license"]["item_texts"] = json!(false)), "spec.invalid_value");
    assert_eq!(
        lint_code(|v| v["scales"][0]["missing"] = json!({"rule": "mean_of_answered", "min_answered": 2})),
        "spec.bad_scale"
    );
    assert_eq!(lint_code(|v| v["scales"][0]["bands"][0]["min"] = json!(2.5)), "spec.parse");
    assert_eq!(lint_code(|v| v["flags"][0]["source"] = json!("")), "spec.invalid_value");
    assert_eq!(lint_code(|_| {}), "accepted");
}

#[test]
fn lint_checks_option_ids_skip_logic_and_count_groups() {
    fn f4_ids(ids: [&'static str; 4]) -> impl FnOnce(&mut Value) {
        move |v: &mut Value| {
            for (k, id) in ids.iter().enumerate() {
                v["option_sets"]["f4"][k]["id"] = json!(id);
            }
        }
    }
    assert_eq!(lint_code(f4_ids(["never", "rarely", "often", "always"])), "accepted");
    assert_eq!(lint_code(f4_ids(["never", "never", "often", "always"])), "spec.duplicate_id");
    assert_eq!(lint_code(f4_ids(["never", "", "often", "always"])), "spec.bad_options");
    assert_eq!(lint_code(f4_ids(["never", "refused", "often", "always"])), "spec.bad_options");
    assert_eq!(lint_code(f4_ids(["never", "2", "often", "always"])), "spec.bad_options");
    assert_eq!(lint_code(f4_ids(["never", "with space", "often", "always"])), "spec.bad_options");
    // Derived ids (code_<n>) collide with an explicit one.
    assert_eq!(lint_code(|v| v["option_sets"]["f4"][0]["id"] = json!("code_1")), "spec.duplicate_id");
    let ask = |item: usize, cond: Value| move |v: &mut Value| v["items"][item]["asked_if"] = cond;
    // Item 5 (unscored, in no scale) asked only when item 4 >= 1: fine.
    assert_eq!(lint_code(ask(4, json!({"item": {"item": 4, "op": ">=", "value": 1}}))), "accepted");
    assert_eq!(lint_code(ask(4, json!({"item": {"item": 5, "op": ">=", "value": 1}}))), "spec.invalid_value");
    assert_eq!(
        lint_code(ask(4, json!({"scale": {"scale": "total", "op": ">=", "value": 1}}))),
        "spec.invalid_value"
    );
    assert_eq!(lint_code(ask(4, json!({"flag": "crit"}))), "spec.invalid_value");
    // Item 2 is in scales: it may not be skipped.
    assert_eq!(lint_code(ask(1, json!({"item": {"item": 1, "op": ">=", "value": 1}}))), "spec.bad_scale");
    let groups = |g: Value| move |v: &mut Value| v["scales"][2]["aggregate"] = json!({"method": "count_groups", "groups": g});
    assert_eq!(
        lint_code(groups(
            json!([{"items": [1, 2], "where": {"op": ">=", "value": 2}}, {"items": [3], "where": {"op": ">=", "value": 1}}])
        )),
        "accepted"
    );
    assert_eq!(
        lint_code(groups(
            json!([{"items": [1, 2], "where": {"op": ">=", "value": 2}}, {"items": [2], "where": {"op": ">=", "value": 1}}])
        )),
        "spec.duplicate_id"
    );
    assert_eq!(lint_code(groups(json!([]))), "spec.bad_scale");
}

#[test]
fn skipped_items_are_no_unknowns_and_count_groups_count() {
    let mut v = toy();
    v["items"][4]["asked_if"] = json!({"item": {"item": 4, "op": ">=", "value": 1}});
    v["flags"]
        .as_array_mut()
        .unwrap()
        .push(json!({"id": "e_yes", "label": {"en": "e"}, "level": "warning", "reason": {"en": "e"},
        "source": "test", "when": {"item": {"item": 5, "op": ">=", "value": 2}}}));
    v["scales"][2]["aggregate"] = json!({"method": "count_groups", "groups": [
        {"items": [1, 2], "where": {"op": ">=", "value": 2}}, {"items": [3, 4], "where": {"op": ">=", "value": 1}}]});
    let i = inst(&v).unwrap();
    let verdict = |c: &[Option<i64>]| i.score(&codes(c)).unwrap().flag_verdict("e_yes");
    // Item 4 = 0: item 5 was not asked, so its flag is negative, not undecided.
    assert_eq!(verdict(&[Some(0), Some(0), Some(0), Some(0), None]), crate::Verdict::Negative);
    // Item 4 = 1: item 5 should have been asked: undecided.
    assert_eq!(verdict(&[Some(0), Some(0), Some(0), Some(1), None]), crate::Verdict::Indeterminate);
    // Item 4 missing: it may have been asked: undecided.
    assert_eq!(verdict(&[Some(0), Some(0), Some(0), None, None]), crate::Verdict::Indeterminate);
    assert_eq!(verdict(&[Some(0), Some(0), Some(0), Some(1), Some(3)]), crate::Verdict::Positive);
    // count_groups: items 1-2 count at >= 2, items 3-4 at >= 1 (item 3 reversed: code 0 = value 3).
    let r = i.score(&codes(&[Some(2), Some(1), Some(0), Some(1), Some(0)])).unwrap();
    assert_eq!(r.scale("n_high").unwrap().raw.unwrap().to_string(), "3");
}

#[test]
fn norms_are_linted_and_applied() {
    let mut v = toy();
    v["norm_group_keys"] = json!(["sex"]);
    v["scales"][2]["bands_on"] = json!("score");
    v["scales"][2]["bands"] = json!([
        {"id": "lo", "label": {"en": "lo"}, "index": 0, "severity": "none", "max": "50", "max_inclusive": false},
        {"id": "hi", "label": {"en": "hi"}, "index": 1, "severity": "high", "min": "50"}
    ]);
    v["norms"] = json!([
        {"scale": "n_high", "group": {"sex": "F"}, "rows": [
            {"raw_min": 0, "raw_max": 1, "score": "40"}, {"raw_min": 2, "raw_max": 2, "score": "50.5"}, {"raw_min": 3, "raw_max": 4, "score": "60"}]},
        {"scale": "n_high", "group": {"sex": "M"}, "rows": [
            {"raw_min": 0, "raw_max": 2, "score": "45"}, {"raw_min": 3, "raw_max": 4, "score": "55"}]}
    ]);
    let i = inst(&v).unwrap();
    let mut r = codes(&[Some(2), Some(2), Some(3), Some(0), None]);
    r.group.insert("sex".into(), "F".into());
    let rep = i.score(&r).unwrap();
    let s = rep.scale("n_high").unwrap();
    assert_eq!(s.raw.unwrap().to_string(), "2");
    assert_eq!(s.score.unwrap().to_string(), "50.5");
    assert_eq!(s.band.as_ref().unwrap().id, "hi");
    r.group.insert("sex".into(), "M".into());
    let rep = i.score(&r).unwrap();
    assert_eq!(rep.scale("n_high").unwrap().band.as_ref().unwrap().id, "lo");
    r.group.clear();
    assert_eq!(i.score(&r).unwrap_err().code(), "score.norm_group_not_found");

    let mut bad = v.clone();
    bad["norms"][0]["rows"][2]["score"] = json!("45");
    assert_eq!(inst(&bad).unwrap_err().code(), "spec.norms_not_monotonic");
    let mut bad = v.clone();
    bad["norms"][0]["rows"][2]["raw_max"] = json!(3);
    assert_eq!(inst(&bad).unwrap_err().code(), "spec.norms_incomplete");
    let mut bad = v;
    bad["norms"][1]["group"] = json!({"sex": "F"});
    assert_eq!(inst(&bad).unwrap_err().code(), "spec.duplicate_id");
}

#[test]
fn batch_matches_single() {
    let i = inst(&toy()).unwrap();
    let rows: Vec<[i16; 5]> = vec![[0, 0, 0, 0, -1], [3, 3, 0, 3, 1], [1, -1, 2, 2, -1], [-1, -1, -1, 1, 0], [0, 0, 3, 1, 2]];
    let flat: Vec<i16> = rows.iter().flatten().copied().collect();
    let out = i.score_batch(&crate::BatchInput::new(&flat, 5, -1)).unwrap();
    for (r, row) in rows.iter().enumerate() {
        let rep = i
            .score(&codes(&row.iter().map(|&c| (c >= 0).then_some(i64::from(c))).collect::<Vec<_>>()))
            .unwrap();
        for (s, col) in rep.scales.iter().zip(&out.scales) {
            let mant = s.raw.map_or(crate::scoring::batch::UNSCORED, |d| {
                d.0.mantissa() as i64 * 10i64.pow(col.raw_decimals - d.0.scale())
            });
            assert_eq!(mant, col.raw[r], "row {r} scale {}", s.id);
            assert_eq!(s.band.as_ref().map_or(-1, |b| b.index as i8), col.band[r]);
        }
        assert_eq!(rep.validity.status.code(), out.validity[r]);
        for (fi, id) in out.flag_ids.iter().enumerate() {
            assert_eq!(rep.has_flag(id), out.flags[r] >> fi & 1 == 1);
        }
    }
    let bad: Vec<i16> = vec![0, 0, 9, 0, 0];
    let e = i.score_batch(&crate::BatchInput::new(&bad, 5, -1)).unwrap_err();
    assert_eq!((e.code(), e.row(), e.item()), ("batch.unknown_option", Some(0), Some(3)));
    let e = i.score_batch(&crate::BatchInput::new(&bad[..4], 5, -1)).unwrap_err();
    assert_eq!(e.code(), "batch.shape");
}

#[test]
fn catalog_unknown_instrument() {
    assert_eq!(Catalog::builtin().instrument("nope").unwrap_err().code(), "catalog.unknown_instrument");
}

#[test]
fn positional_answers_with_times_equal_the_keyed_response() {
    // score_answers_in places a positional list (all items, or the scored ones) exactly as the
    // keyed Response of the same answers, with the context's times and group.
    let cat = Catalog::builtin();
    for id in cat.ids() {
        let inst = cat.instrument(id).unwrap();
        let spec = inst.spec();
        let scored: Vec<u32> = spec.items.iter().filter(|i| i.scored).map(|i| i.number).collect();
        let all: Vec<u32> = spec.items.iter().map(|i| i.number).collect();
        for (k, numbers) in [all, scored].into_iter().enumerate() {
            let list: Vec<Answer> = numbers
                .iter()
                .enumerate()
                .map(|(p, &n)| match (p + k) % 7 {
                    0 => Answer::Missing,
                    1 => Answer::Refused,
                    _ => inst
                        .option_codes(n)
                        .and_then(|c| c.get(p % c.len().max(1)).copied())
                        .map_or(Answer::Missing, Answer::Code),
                })
                .collect();
            let context = Response {
                started_at: Some("2026-03-02T08:00:00+08:00".into()),
                finished_at: Some("2026-03-02T08:00:40+08:00".into()),
                ..Response::default()
            };
            let mut keyed = context.clone();
            for (&n, a) in numbers.iter().zip(&list) {
                keyed.answers.insert(n.to_string(), a.clone());
            }
            let want = inst.score(&keyed).map(|r| r.to_json()).map_err(|e| e.code());
            let got = inst.score_answers_in(&list, &context, None).map(|r| r.to_json()).map_err(|e| e.code());
            assert_eq!(got, want, "{id}, list of {}", list.len());
        }
        assert_eq!(
            inst.score_answers_in(&[Answer::Missing], &Response::default(), None).unwrap_err().code(),
            "score.wrong_item_count"
        );
        let mut twice = Response::default();
        twice.answers.insert("1".into(), Answer::Missing);
        assert_eq!(inst.score_answers_in(&[], &twice, None).unwrap_err().code(), "score.duplicate_answer");
    }
}
