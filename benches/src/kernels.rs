//! Hand-written PHQ-9 kernels the scoring benchmark compares the generic engine with: a naive
//! scalar loop and a specialised SIMD kernel (the reference of what the hardware allows).
#![allow(unsafe_code)]

/// The naive reference: PHQ-9 rules written out by hand for exactly this instrument, one row at a
/// time (two-valued: a missing item 9 reads as "no flag").
pub fn phq9_specialised(codes: &[i8], total: &mut [i16], band: &mut [i8], item9: &mut [bool], positive: &mut [bool]) -> bool {
    const BAND: [i8; 28] = [0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 4, 4, 4, 4, 4, 4, 4, 4];
    let mut ok = true;
    for (r, row) in codes.chunks_exact(10).enumerate() {
        let mut sum = 0i16;
        let mut missing = false;
        for &c in &row[..9] {
            missing |= c < 0;
            ok &= (-1..=3).contains(&c);
            sum += c.max(0) as i16;
        }
        ok &= (-1..=3).contains(&row[9]);
        total[r] = if missing { i16::MIN } else { sum };
        band[r] = if missing { -1 } else { BAND[sum as usize] };
        item9[r] = row[8] >= 1;
        positive[r] = !missing && sum >= 10;
    }
    ok
}

/// Output columns of the specialised SIMD kernel: the same rules as the engine, compact types.
pub struct Phq9Out {
    /// Total, `i16::MIN` when an item 1–9 is missing.
    pub total: Vec<i16>,
    /// Band index 0..=4, `-1` when the total is unscored.
    pub band: Vec<i8>,
    /// Item-9 flag verdict: 0 negative, 1 positive, 2 indeterminate (item 9 missing).
    pub item9: Vec<u8>,
    /// Screen verdict (total ≥ 10) in three-valued logic: 0, 1, 2.
    pub screen: Vec<u8>,
}

impl Phq9Out {
    /// Columns for `n` rows.
    pub fn new(n: usize) -> Phq9Out {
        Phq9Out {
            total: vec![0; n],
            band: vec![0; n],
            item9: vec![0; n],
            screen: vec![0; n],
        }
    }
}

/// One row of the SIMD kernel's rules, scalar (the kernel's tail, and its specification).
#[inline]
fn phq9_row(row: &[i8], out: &mut Phq9Out, r: usize) -> bool {
    let mut ok = (-1..=3).contains(&row[9]);
    let (mut sum, mut nmiss) = (0i16, 0i16);
    for &c in &row[..9] {
        ok &= (-1..=3).contains(&c);
        nmiss += i16::from(c < 0);
        sum += i16::from(c.max(0));
    }
    out.total[r] = if nmiss == 0 { sum } else { i16::MIN };
    out.band[r] = if nmiss == 0 {
        ((sum >= 5) as i8) + ((sum >= 10) as i8) + ((sum >= 15) as i8) + ((sum >= 20) as i8)
    } else {
        -1
    };
    out.item9[r] = if row[8] < 0 { 2 } else { u8::from(row[8] >= 1) };
    // The total lies in [sum, sum + 3·missing]: decided when the whole interval is on one side of 10.
    out.screen[r] = if sum >= 10 {
        1
    } else if sum + 3 * nmiss < 10 {
        0
    } else {
        2
    };
    ok
}

/// The specialised SIMD kernel: PHQ-9 rules hand-written in SSE2 for int8 rows of 10 codes
/// (−1 = missing). 16 rows at a time are loaded, transposed into item vectors in registers, and
/// total, band, item-9 verdict and three-valued screen verdict computed in byte lanes. Returns
/// false if a code is neither −1 nor 0..=3.
#[cfg(target_arch = "x86_64")]
pub fn phq9_simd(codes: &[i8], out: &mut Phq9Out) -> bool {
    use std::arch::x86_64::*;
    let n_rows = codes.len() / 10;
    let mut ok = true;
    let mut r = 0;
    // SAFETY (every `unsafe` below): SSE2 is part of the x86_64 baseline; loads read 16 bytes
    // at `codes[(r + k) * 10..]`, which the loop condition keeps inside `codes` (the last row
    // loaded starts at (r + 15) * 10 and (r + 15) * 10 + 16 <= (r + 16) * 10 + 6 <= len is ensured
    // by requiring r + 17 <= n_rows); stores write 16 bytes (or 2 × 8 `i16`) into slices of
    // exactly that length taken with bounds-checked indexing first.
    #[allow(unused_unsafe)]
    unsafe {
        let zero = _mm_setzero_si128();
        let three = _mm_set1_epi8(3);
        let one = _mm_set1_epi8(1);
        let two = _mm_set1_epi8(2);
        let ff = _mm_set1_epi8(-1);
        let mut bad = zero;
        while r + 17 <= n_rows {
            let rows = &codes[r * 10..(r + 16) * 10 + 6];
            let mut y = [zero; 16];
            for (k, v) in y.iter_mut().enumerate() {
                *v = _mm_loadu_si128(rows[k * 10..k * 10 + 16].as_ptr().cast());
            }
            for _ in 0..4 {
                let mut z = y;
                for i in 0..8 {
                    z[2 * i] = _mm_unpacklo_epi8(y[i], y[i + 8]);
                    z[2 * i + 1] = _mm_unpackhi_epi8(y[i], y[i + 8]);
                }
                y = z;
            }
            // y[j] = item j + 1 of the 16 rows.
            let (mut sum, mut nmiss) = (zero, zero);
            for &c in &y[..10] {
                let missing = _mm_cmpeq_epi8(c, ff);
                // valid: 0..=3 (unsigned min test) or missing
                let valid = _mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(c, three), c), missing);
                bad = _mm_or_si128(bad, _mm_andnot_si128(valid, ff));
            }
            for &c in &y[..9] {
                let missing = _mm_cmpeq_epi8(c, ff);
                sum = _mm_add_epi8(sum, _mm_andnot_si128(missing, c));
                nmiss = _mm_sub_epi8(nmiss, missing);
            }
            let complete = _mm_cmpeq_epi8(nmiss, zero);
            // total: widen to i16, i16::MIN where incomplete
            let min16 = _mm_set1_epi16(i16::MIN);
            let lo = _mm_unpacklo_epi8(sum, zero);
            let hi = _mm_unpackhi_epi8(sum, zero);
            let c_lo = _mm_unpacklo_epi8(complete, complete);
            let c_hi = _mm_unpackhi_epi8(complete, complete);
            let t_lo = _mm_or_si128(_mm_and_si128(c_lo, lo), _mm_andnot_si128(c_lo, min16));
            let t_hi = _mm_or_si128(_mm_and_si128(c_hi, hi), _mm_andnot_si128(c_hi, min16));
            let total = &mut out.total[r..r + 16];
            _mm_storeu_si128(total[..8].as_mut_ptr().cast(), t_lo);
            _mm_storeu_si128(total[8..].as_mut_ptr().cast(), t_hi);
            // band: count of thresholds 5, 10, 15, 20 passed; -1 where incomplete
            let mut band = zero;
            for t in [4i8, 9, 14, 19] {
                band = _mm_sub_epi8(band, _mm_cmpgt_epi8(sum, _mm_set1_epi8(t)));
            }
            band = _mm_or_si128(band, _mm_andnot_si128(complete, ff));
            _mm_storeu_si128(out.band[r..r + 16].as_mut_ptr().cast(), band);
            // item 9: 2 if missing, else min(code, 1)
            let c9 = y[8];
            let m9 = _mm_cmpeq_epi8(c9, ff);
            let v9 = _mm_or_si128(_mm_andnot_si128(m9, _mm_min_epu8(c9, one)), _mm_and_si128(m9, two));
            _mm_storeu_si128(out.item9[r..r + 16].as_mut_ptr().cast(), v9);
            // screen: total in [sum, sum + 3·nmiss]
            let pos = _mm_cmpgt_epi8(sum, _mm_set1_epi8(9));
            let upper = _mm_add_epi8(sum, _mm_add_epi8(nmiss, _mm_add_epi8(nmiss, nmiss)));
            let neg = _mm_cmpgt_epi8(_mm_set1_epi8(10), upper);
            let und = _mm_andnot_si128(_mm_or_si128(pos, neg), two);
            let screen = _mm_or_si128(_mm_and_si128(pos, one), und);
            _mm_storeu_si128(out.screen[r..r + 16].as_mut_ptr().cast(), screen);
            r += 16;
        }
        ok &= _mm_movemask_epi8(bad) == 0;
    }
    for (k, row) in codes[r * 10..].chunks_exact(10).enumerate() {
        ok &= phq9_row(row, out, r + k);
    }
    ok
}

/// Other targets: the same rules, scalar.
#[cfg(not(target_arch = "x86_64"))]
pub fn phq9_simd(codes: &[i8], out: &mut Phq9Out) -> bool {
    let mut ok = true;
    for (r, row) in codes.chunks_exact(10).enumerate() {
        ok &= phq9_row(row, out, r);
    }
    ok
}
