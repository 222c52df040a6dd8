//! Replays every scoring golden vector in `tests/vectors/scoring/`.
//!
//! For each case: the hand-written `expect` (or `expect_error`) must hold, and
//! the canonical report must equal the stored `report` byte for byte after
//! normalisation. `UPDATE_VECTORS=1` rewrites `report` fields only.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use changkaixin_tests::*;
use serde_json::Value;

#[test]
fn scoring_vectors_replay() {
    let update = std::env::var("UPDATE_VECTORS").is_ok_and(|v| v == "1");
    let files = vector_files("scoring");
    assert!(!files.is_empty(), "no scoring vectors found");
    let mut failures = Vec::new();
    let mut n_cases = 0;
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        let mut file: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(file["format"], "changkaixin.vectors/1", "{}", path.display());
        assert_eq!(file["kind"], "score", "{}", path.display());
        let file_meta = file.clone();
        let cases = file["cases"].as_array_mut().unwrap_or_else(|| panic!("{}: no cases", path.display()));
        assert!(!cases.is_empty(), "{}: empty", path.display());
        for case in cases.iter_mut() {
            n_cases += 1;
            let name = format!("{} / {}", path.file_name().unwrap().to_string_lossy(), case["name"].as_str().unwrap_or("?"));
            let inst = match instrument_for(&file_meta, case) {
                Ok(i) => i,
                Err(e) => {
                    if let Some(want) = case.get("expect_error") {
                        if e.starts_with(want["code"].as_str().unwrap_or("?")) {
                            continue;
                        }
                    }
                    failures.push(format!("{name}: cannot load instrument: {e}"));
                    continue;
                }
            };
            match (score_case(&inst, case), case.get("expect_error").cloned()) {
                (Err(e), _) => failures.push(format!("{name}: {e}")),
                (Ok(Ok(rep)), None) => {
                    let bad = check_expect(&rep, &case["expect"]);
                    if !bad.is_empty() {
                        failures.push(format!("{name}: {}", bad.join("; ")));
                    }
                    let got = serde_json::to_value(&rep).unwrap();
                    if update {
                        case["report"] = got;
                    } else {
                        match case.get("report") {
                            None => failures.push(format!("{name}: no stored report (run with UPDATE_VECTORS=1 once the expectations pass)")),
                            Some(want) if normalise(want) != normalise(&got) => failures.push(format!(
                                "{name}: report differs from stored vector\n  want {}\n  got  {}",
                                normalise(want),
                                normalise(&got)
                            )),
                            _ => {}
                        }
                    }
                }
                (Ok(Ok(_)), Some(want)) => failures.push(format!("{name}: expected error {want}, got a report")),
                (Ok(Err(e)), None) => failures.push(format!("{name}: unexpected error {e}")),
                (Ok(Err(e)), Some(want)) => {
                    if want["code"].as_str() != Some(e.code()) {
                        failures.push(format!("{name}: expected error {}, got {}", want["code"], e.code()));
                    }
                    if let Some(item) = want.get("item").and_then(Value::as_u64) {
                        if e.item() != Some(item as u32) {
                            failures.push(format!("{name}: expected error item {item}, got {:?}", e.item()));
                        }
                    }
                    let got = serde_json::to_value(&e).unwrap();
                    if update {
                        case["error"] = got;
                    } else if case.get("error").is_some_and(|w| normalise(w) != normalise(&got)) {
                        failures.push(format!("{name}: error differs from stored vector: {}", normalise(&got)));
                    }
                }
            }
        }
        if update {
            changkaixin_tests::write_vectors(path, &file);
        }
    }
    assert!(failures.is_empty(), "{} of {n_cases} cases failed:\n{}", failures.len(), failures.join("\n"));
    eprintln!("{n_cases} scoring vector cases passed");
}

#[test]
fn every_builtin_instrument_loads_and_has_vectors() {
    let cat = changkaixin_core::Catalog::builtin();
    assert!(cat.load_errors().is_empty(), "built-in specs failing lint: {:?}", cat.load_errors());
    let ids: Vec<&str> = cat.ids().collect();
    assert_eq!(ids.len(), 16, "{ids:?}");
    for id in ids {
        let p = repo_root().join(format!("tests/vectors/scoring/{id}.json"));
        assert!(p.exists(), "no golden vectors for {id}");
    }
}

/// Every golden case that a batch row can carry is replayed through the batch engine as a one-byte
/// buffer with the SIMD and with the forced scalar decode kernel (alone and among filler rows, so
/// the case sits in the middle of a 16-row tile and a 256-row block): the columns must equal the
/// case's single-scoring report, which the replay above checks against the stored vector.
#[test]
fn scoring_vectors_replay_through_both_batch_kernels() {
    use changkaixin_core::scoring::batch::{BatchGroups, UNSCORED};
    use changkaixin_core::{Answer, BatchInput, BatchKernel, Response};
    let mut checked = 0;
    let mut failures = Vec::new();
    for path in &vector_files("scoring") {
        let file: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        for case in file["cases"].as_array().unwrap() {
            let name = format!("{} / {}", path.file_name().unwrap().to_string_lossy(), case["name"].as_str().unwrap_or("?"));
            if case.get("expect_error").is_some() || case.get("answers_list").is_some() {
                continue;
            }
            let Ok(inst) = instrument_for(&file, case) else { continue };
            let Ok(Ok(rep)) = score_case(&inst, case) else { continue };
            let map = case
                .get("code_map")
                .map(|v| inst.code_map(&serde_json::from_value(v.clone()).unwrap()).unwrap());
            let resp: Response = serde_json::from_value(case["response"].clone()).unwrap();
            let desc = inst.describe();
            // The row in item order; a case a byte buffer cannot carry (an option id under a code
            // map, a code outside 0..=127) is skipped.
            let mut row: Vec<i8> = vec![-1; inst.item_count()];
            let mut fits = true;
            for (key, ans) in &resp.answers {
                let Some(it) = desc.items.iter().find(|it| it.id == *key || it.number.to_string() == *key) else {
                    fits = false;
                    break;
                };
                let cell = &mut row[it.number as usize - 1];
                match ans {
                    Answer::Code(c) if (0..=127).contains(c) => *cell = *c as i8,
                    Answer::OptionId(id) if map.is_none() => match it.options.iter().find(|o| o.id == *id) {
                        Some(o) => *cell = o.code as i8,
                        None => fits = false,
                    },
                    Answer::Missing => *cell = -1,
                    Answer::Refused => *cell = -2,
                    _ => fits = false,
                }
            }
            if !fits {
                continue;
            }
            // 37 filler rows (the first option of every item), the case at row 21.
            let n = row.len();
            // (Under a code map the filler is the case's own row: option codes need not be source codes.)
            let filler: Vec<i8> = match map {
                Some(_) => row.clone(),
                None => desc.items.iter().map(|it| it.options.iter().map(|o| o.code).min().unwrap_or(0) as i8).collect(),
            };
            let at = 21;
            let mut codes: Vec<i8> = Vec::new();
            for r in 0..37 {
                codes.extend_from_slice(if r == at { &row } else { &filler });
            }
            let groups = vec![resp.group.clone()];
            let row_group = [0u32; 37];
            let durations = vec![rep.duration_seconds.unwrap_or(-1); 37];
            for (rows, r) in [(&row[..], 0usize), (&codes[..], at)] {
                let mut input = BatchInput::new(rows, n, -1);
                input.refused = Some(-2);
                input.code_map = map.as_ref();
                input.durations = Some(&durations[..rows.len() / n]);
                if !inst.spec().norms.is_empty() {
                    input.groups = Some(BatchGroups {
                        row_group: &row_group[..rows.len() / n],
                        groups: &groups,
                    });
                }
                for kernel in [BatchKernel::Auto, BatchKernel::Scalar] {
                    let out = match inst.score_batch_with_kernel(&input, kernel) {
                        Ok(o) => o,
                        Err(e) => {
                            failures.push(format!("{name} ({kernel:?}): batch error {e}"));
                            continue;
                        }
                    };
                    let mut bad = Vec::new();
                    for (s, col) in rep.scales.iter().zip(&out.scales) {
                        let want = s.raw.map_or(UNSCORED, |d| d.0.mantissa() as i64 * 10i64.pow(col.raw_decimals - d.0.scale()));
                        let want_score = s
                            .score
                            .map_or(UNSCORED, |d| d.0.mantissa() as i64 * 10i64.pow(col.score_decimals - d.0.scale()));
                        let want_band = s.band.as_ref().map_or(-1, |b| b.index as i8);
                        if (want, want_score, want_band, s.answered, s.prorated)
                            != (col.raw[r], col.score[r], col.band[r], u32::from(col.answered[r]), col.prorated[r])
                        {
                            bad.push(format!("scale {}", s.id));
                        }
                    }
                    if rep.validity.status.code() != out.validity[r] {
                        bad.push("validity".into());
                    }
                    for id in &out.flag_ids {
                        if rep.flag_verdict(id).code() != out.flag_verdicts(id).unwrap()[r] {
                            bad.push(format!("flag {id}"));
                        }
                    }
                    if rep.screen_verdict().map(|v| v.code()) != out.screen.get(r).copied() {
                        bad.push("screen".into());
                    }
                    if !bad.is_empty() {
                        failures.push(format!("{name} ({kernel:?}, {} rows): {}", rows.len() / n, bad.join(", ")));
                    }
                    checked += 1;
                }
            }
        }
    }
    assert!(failures.is_empty(), "{} batch replays failed:\n{}", failures.len(), failures.join("\n"));
    assert!(checked > 100, "only {checked} batch replays");
    eprintln!(
        "{checked} batch replays of scoring vectors passed (SIMD backend {:?})",
        BatchKernel::simd_backend()
    );
}
