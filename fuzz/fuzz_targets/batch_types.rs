//! Batches in every code buffer type (i8, u8, i16, i32, i64, u16, u32, u64), with missing and
//! refused sentinels and durations taken from the input: columns or a typed error, never a
//! panic; the columns do not depend on the buffer type (they equal an i64 batch of the same
//! codes), and every row equals one-by-one scoring.
//!
//! Input bytes: type, instrument, options (bit 0: refused sentinel, bit 1: durations), then the
//! codes little-endian in the chosen type, then (with durations) one i64 per row.
#![no_main]
use changkaixin_core::scoring::batch::Code;
use changkaixin_core::{Answer, BatchInput, Catalog, Instrument};
use libfuzzer_sys::fuzz_target;

trait Le: Code + std::fmt::Debug {
    const SIZE: usize;
    fn read(b: &[u8]) -> Self;
    /// Sentinels: "missing" and "refused" as the type writes them (-1/-2, or MAX/MAX-1 if unsigned).
    fn sentinels() -> (Self, Self);
}
macro_rules! le {
    ($($t:ty, $missing:expr, $refused:expr);*) => {$(
        impl Le for $t {
            const SIZE: usize = std::mem::size_of::<$t>();
            fn read(b: &[u8]) -> Self {
                let mut a = [0u8; std::mem::size_of::<$t>()];
                a.copy_from_slice(&b[..Self::SIZE]);
                <$t>::from_le_bytes(a)
            }
            fn sentinels() -> (Self, Self) { ($missing, $refused) }
        }
    )*};
}
le!(i8, -1, -2; u8, u8::MAX, u8::MAX - 1; i16, -1, -2; i32, -1, -2; i64, -1, -2;
    u16, u16::MAX, u16::MAX - 1; u32, u32::MAX, u32::MAX - 1; u64, u64::MAX, u64::MAX - 1);

/// A small code (0..=5) in type `T`.
fn small<T: Le>(v: u8) -> T {
    let mut b = [0u8; 8];
    b[0] = v;
    T::read(&b)
}

fuzz_target!(|data: &[u8]| {
    let [ty, pick, opts, rest @ ..] = data else { return };
    let cat = Catalog::builtin();
    let ids: Vec<&str> = cat.ids().collect();
    let Ok(inst) = cat.instrument(ids[*pick as usize % ids.len()]) else { return };
    match ty % 8 {
        0 => run::<i8>(&inst, *opts, rest),
        1 => run::<u8>(&inst, *opts, rest),
        2 => run::<i16>(&inst, *opts, rest),
        3 => run::<i32>(&inst, *opts, rest),
        4 => run::<i64>(&inst, *opts, rest),
        5 => run::<u16>(&inst, *opts, rest),
        6 => run::<u32>(&inst, *opts, rest),
        _ => run::<u64>(&inst, *opts, rest),
    }
});

fn run<T: Le>(inst: &Instrument, opts: u8, data: &[u8]) {
    let n = inst.item_count();
    let with_durations = opts & 2 != 0;
    let row_bytes = n * T::SIZE + if with_durations { 8 } else { 0 };
    let rows = data.len() / row_bytes;
    let (missing, refused) = T::sentinels();
    let mut codes: Vec<T> = Vec::with_capacity(rows * n);
    let mut durations: Vec<i64> = Vec::new();
    for r in data.chunks_exact(row_bytes) {
        // Small values most of the time, so that rows are often valid.
        codes.extend(r[..n * T::SIZE].chunks_exact(T::SIZE).map(|c| match c[0] {
            0xfe => missing,
            0xfd => refused,
            0xe0..=0xfc => T::read(c),
            b => small::<T>(b % 6),
        }));
        if with_durations {
            durations.push(i64::read(&r[n * T::SIZE..]));
        }
    }
    let mut input = BatchInput::new(&codes, n, missing);
    if opts & 1 != 0 {
        input.refused = Some(refused);
    }
    if with_durations {
        input.durations = Some(&durations);
    }
    let out = inst.score_batch(&input);
    // The same codes as i64 (sentinels -1 and -2): the columns must not depend on the type.
    let wide: Vec<i64> = codes
        .iter()
        .map(|&c| if c == missing { -1 } else if input.refused == Some(c) { -2 } else { c.to_i64() })
        .collect();
    let mut wide_input = BatchInput::new(&wide, n, -1i64);
    wide_input.refused = input.refused.map(|_| -2);
    wide_input.durations = input.durations;
    let wide_out = inst.score_batch(&wide_input);
    match (&out, &wide_out) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "columns depend on the buffer type"),
        (Err(a), Err(b)) => assert_eq!(a.code(), b.code()),
        _ => panic!("{:?} and i64 disagree: {:?} vs {:?}", std::any::type_name::<T>(), out.as_ref().err(), wide_out.as_ref().err()),
    }
    let Ok(out) = out else { return };
    for r in 0..rows {
        let answers: Vec<Answer> = wide[r * n..(r + 1) * n]
            .iter()
            .map(|&c| match c {
                -1 => Answer::Missing,
                -2 => Answer::Refused,
                c => Answer::Code(c),
            })
            .collect();
        let rep = inst.score_answers(&answers).expect("the batch scored the row, so single scoring must too");
        if durations.get(r).is_none_or(|d| *d < 0) {
            assert_eq!(rep.validity.status.code(), out.validity[r], "row {r}: validity differs");
        }
    }
}
