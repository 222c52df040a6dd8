//! Any byte buffer scored as a batch (as i8 codes, missing = -1, refused = -2) yields columns
//! or a typed error; when it succeeds, every row equals one-by-one scoring.
#![no_main]
use changkaixin_core::{Answer, BatchInput, Catalog};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else { return };
    let cat = Catalog::builtin();
    let ids: Vec<&str> = cat.ids().collect();
    let Ok(inst) = cat.instrument(ids[pick as usize % ids.len()]) else { return };
    let n = inst.item_count();
    let codes: Vec<i8> = rest.iter().map(|&b| b as i8).collect();
    let rows = codes.len() / n;
    let codes = &codes[..rows * n];
    let mut input = BatchInput::new(codes, n, -1);
    input.refused = Some(-2);
    if let Ok(out) = inst.score_batch(&input) {
        for r in 0..rows {
            let ans: Vec<Answer> = codes[r * n..(r + 1) * n]
                .iter()
                .map(|&c| match c {
                    -1 => Answer::Missing,
                    -2 => Answer::Refused,
                    c => Answer::Code(i64::from(c)),
                })
                .collect();
            let rep = inst.score_answers(&ans).expect("batch accepted the row, so single scoring must too");
            assert_eq!(rep.validity.status.code(), out.validity[r]);
        }
    }
});
