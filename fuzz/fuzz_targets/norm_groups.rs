//! Norm groups on the MHT-shaped fixture (100 yes/no items, norms by grade × sex): any group
//! keys — known, unknown, missing, extra — and any group indices in a batch yield scores or a
//! typed error, and every batch row equals one-by-one scoring with its group.
//!
//! Input: JSON (a `Response` with `group`), or bytes: the first gives the number of groups, then
//! two bytes per group (grade, sex), then rows of one group-index byte and 100 code bytes.
#![no_main]
use changkaixin_core::scoring::batch::BatchGroups;
use changkaixin_core::{BatchInput, Instrument, Response};
use libfuzzer_sys::fuzz_target;
use std::collections::BTreeMap;
use std::sync::OnceLock;

fn mht() -> &'static Instrument {
    static I: OnceLock<Instrument> = OnceLock::new();
    I.get_or_init(|| match Instrument::from_json(include_str!("../../tests/fixtures/mht_synthetic.json")) {
        Ok(i) => i,
        Err(e) => panic!("the MHT-shaped fixture must compile: {e}"),
    })
}

const GRADES: &[&str] = &["4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "", "07", "7 "];
const SEXES: &[&str] = &["F", "M", "f", "X", ""];

fn group(grade: u8, sex: u8) -> BTreeMap<String, String> {
    let mut g = BTreeMap::new();
    if grade != 0xff {
        g.insert("grade".to_owned(), GRADES[grade as usize % GRADES.len()].to_owned());
    }
    if sex != 0xff {
        g.insert("sex".to_owned(), SEXES[sex as usize % SEXES.len()].to_owned());
    }
    if grade == 0xfe {
        g.insert("school".to_owned(), "x".to_owned());
    }
    g
}

fuzz_target!(|data: &[u8]| {
    let inst = mht();
    if data.first() == Some(&b'{') {
        if let Ok(text) = std::str::from_utf8(data) {
            if let Ok(report) = inst.score_json(text) {
                let _ = report.to_json();
            }
        }
        return;
    }
    let Some((&ng, rest)) = data.split_first() else { return };
    let ng = (ng % 8) as usize + 1;
    if rest.len() < 2 * ng {
        return;
    }
    let (gbytes, rows) = rest.split_at(2 * ng);
    let groups: Vec<BTreeMap<String, String>> = gbytes.chunks(2).map(|c| group(c[0], c[1])).collect();
    let n = inst.item_count();
    let rows: Vec<&[u8]> = rows.chunks_exact(n + 1).collect();
    let row_group: Vec<u32> = rows.iter().map(|r| u32::from(r[0] % (ng as u8 + 1))).collect();
    let codes: Vec<u8> = rows.iter().flat_map(|r| r[1..].iter().map(|&b| if b >= 0xf0 { 0xff } else { b % 3 })).collect();
    let mut input = BatchInput::new(&codes, n, 0xff);
    input.groups = Some(BatchGroups { row_group: &row_group, groups: &groups });
    let batch = inst.score_batch(&input);
    // One by one, each row with its group.
    let single: Vec<_> = rows
        .iter()
        .zip(&row_group)
        .map(|(r, &g)| {
            let answers = r[1..].iter().map(|&b| if b >= 0xf0 { None } else { Some(i64::from(b % 3)) }).collect::<Vec<_>>();
            let mut resp = Response::from_codes(&answers);
            resp.group = groups.get(g as usize).cloned().unwrap_or_default();
            (groups.get(g as usize).is_some(), inst.score(&resp))
        })
        .collect();
    match batch {
        Ok(out) => {
            for (r, (_, rep)) in single.iter().enumerate() {
                let rep = rep.as_ref().expect("the batch scored the row, so single scoring must too");
                assert_eq!(rep.validity.status.code(), out.validity[r], "row {r}: validity differs");
                for (sc, col) in rep.scales.iter().zip(&out.scales) {
                    let score = sc.score.map_or(changkaixin_core::scoring::batch::UNSCORED, |d| d.0.mantissa() as i64 * 10i64.pow(col.score_decimals - d.0.scale().min(col.score_decimals)));
                    assert_eq!(score, col.score[r], "row {r} scale {}: score differs", sc.id);
                }
            }
        }
        Err(e) => {
            let code = e.code();
            assert!(code.starts_with("batch.") || code.starts_with("score."), "unexpected error {e}");
            let group_fails = groups.iter().any(|g| {
                let resp = Response { group: g.clone(), ..Response::default() };
                inst.score(&resp).is_err()
            });
            assert!(
                group_fails || single.iter().any(|(known, r)| !known || r.is_err()),
                "batch refused ({e}) but every group and row scores one by one"
            );
        }
    }
});
