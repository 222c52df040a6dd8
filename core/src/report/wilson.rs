//! Exact rates and Wilson score intervals, in integers.
//!
//! A proportion `x / n` is reported as a percentage with [`PCT_PLACES`] decimals (rounded half to
//! even), and its Wilson 95 % score interval (Wilson 1927; the interval recommended for binomial
//! proportions by Brown, Cai & DasGupta 2001) with `z = 1.96` — the conventional two-sided 95 %
//! quantile, a documented constant — as percentages rounded **outward** to [`PCT_PLACES`]
//! decimals: the lower bound down, the upper bound up, so the printed interval always contains the
//! exact one. No floating point: with `Z² = 1.96² = 2401/625`,
//!
//! ```text
//! lo, hi = (A ∓ W) / D,   A = x + Z²/2,   D = n + Z²,   W = z·√(x(n−x)/n + Z²/4)
//! ```
//!
//! and each bound is found by bisection over the integer grid `q / 10^(PCT_PLACES+2)`, comparing
//! squares of exact integers (`i128`, checked), i.e. an exact integer square-root bisection.
//!
//! ```
//! use changkaixin_core::report::wilson::{rate, wilson};
//! assert_eq!(rate(1, 3).unwrap().unwrap().to_string(), "33.33");
//! let (lo, hi) = wilson(5, 50).unwrap();
//! assert_eq!((lo.to_string().as_str(), hi.to_string().as_str()), ("4.34", "21.37"));
//! let (lo, hi) = wilson(0, 20).unwrap();
//! assert_eq!((lo.to_string().as_str(), hi.to_string().as_str()), ("0.00", "16.12"));
//! ```

use crate::decimal::Dec;
use crate::error::{Error, ErrorCode, Result};
use rust_decimal::Decimal;

/// Decimal places of every reported percentage (so a proportion to 4 places).
pub const PCT_PLACES: u32 = 2;
/// The z value of the 95 % interval, as a decimal string (`1.96`).
pub const Z: &str = "1.96";
/// Largest denominator accepted: keeps every intermediate product within `i128`.
pub const MAX_N: u64 = 10_000_000;

/// Grid of the proportion: 10^(PCT_PLACES + 2).
const GRID: i128 = 10_000;

fn overflow() -> Error {
    Error::new(ErrorCode::ReportOverflow, "", format!("a rate's denominator exceeds {MAX_N} students"))
}

fn check(x: u64, n: u64) -> Result<(i128, i128)> {
    if n > MAX_N || x > n {
        return Err(overflow());
    }
    Ok((i128::from(x), i128::from(n)))
}

fn pct(mantissa: i128) -> Result<Dec> {
    let m = i64::try_from(mantissa).map_err(|_| overflow())?;
    Ok(Dec(Decimal::new(m, PCT_PLACES)))
}

/// `x / n` as a percentage rounded half to even to [`PCT_PLACES`] decimals (`None` when `n == 0`).
pub fn rate(x: u64, n: u64) -> Result<Option<Dec>> {
    if n == 0 {
        return Ok(None);
    }
    let (x, n) = check(x, n)?;
    Ok(Some(pct(div_half_even(x * GRID, n))?))
}

/// `a / b` rounded half to even (b > 0).
fn div_half_even(a: i128, b: i128) -> i128 {
    let q = a.div_euclid(b);
    let r = a.rem_euclid(b);
    match (2 * r).cmp(&b) {
        std::cmp::Ordering::Less => q,
        std::cmp::Ordering::Greater => q + 1,
        std::cmp::Ordering::Equal => q + (q & 1),
    }
}

/// The difference `x1/n1 − x0/n0` in percentage points, rounded half to even.
pub fn rate_change(x1: u64, n1: u64, x0: u64, n0: u64) -> Result<Option<Dec>> {
    if n1 == 0 || n0 == 0 {
        return Ok(None);
    }
    let (x1, n1) = check(x1, n1)?;
    let (x0, n0) = check(x0, n0)?;
    let num = (x1 * n0 - x0 * n1) * GRID;
    Ok(Some(pct(div_half_even(num, n1 * n0))?))
}

/// The Wilson 95 % interval of `x / n` in percent, bounds rounded outward (`n > 0`).
pub fn wilson(x: u64, n: u64) -> Result<(Dec, Dec)> {
    if n == 0 {
        return Err(Error::new(ErrorCode::ReportOverflow, "", "a Wilson interval needs n > 0"));
    }
    let (x, n) = check(x, n)?;
    // Everything below is scaled so that it stays integral:
    //   R(q)  = A − q·D/GRID = num(q) / 6_250_000,  num(q) = 5000·(1250x + 2401) − q·(625n + 2401)
    //   W²·n·(6_250_000²) = 2401·(2500·x(n−x) + 2401·n)·25_000_000          (= lhs)
    // and W ≤ |R(q)| ⟺ lhs ≤ n·num(q)²  (with the sign of R(q) checked first).
    let lhs = 2401i128
        .checked_mul(2500 * x * (n - x) + 2401 * n)
        .and_then(|v| v.checked_mul(25_000_000))
        .ok_or_else(overflow)?;
    let num = |q: i128| 5000 * (1250 * x + 2401) - q * (625 * n + 2401);
    let covers = |r: i128| -> Result<bool> {
        let sq = r.checked_mul(r).and_then(|v| v.checked_mul(n)).ok_or_else(overflow)?;
        Ok(lhs <= sq)
    };
    // Lower bound: the largest q with q/GRID ≤ lo ⟺ R(q) ≥ 0 and W ≤ R(q). Monotone in q.
    let (mut a, mut b) = (0i128, GRID); // invariant: pred(a) holds (q = 0 always: lo ≥ 0), answer in [a, b]
    let lo_ok = |q: i128| -> Result<bool> {
        let r = num(q);
        Ok(r >= 0 && covers(r)?)
    };
    if lo_ok(b)? {
        a = b;
    }
    while b - a > 1 {
        let m = (a + b) / 2;
        if lo_ok(m)? {
            a = m;
        } else {
            b = m;
        }
    }
    let lo = a;
    // Upper bound: the smallest q with q/GRID ≥ hi ⟺ R(q) ≤ 0 and W ≤ −R(q). Monotone in q.
    let hi_ok = |q: i128| -> Result<bool> {
        let r = num(q);
        Ok(r <= 0 && covers(-r)?)
    };
    let (mut a, mut b) = (0i128, GRID); // invariant: pred(b) holds (hi ≤ 1), answer in [a, b]
    if hi_ok(a)? {
        b = a;
    }
    while b - a > 1 {
        let m = (a + b) / 2;
        if hi_ok(m)? {
            b = m;
        } else {
            a = m;
        }
    }
    Ok((pct(lo)?, pct(b)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reference values computed independently in floating point (outside the library), bounds
    /// rounded outward to 2 decimals of a percent.
    #[test]
    fn wilson_known_values() {
        let s = |x, n| {
            let (a, b) = wilson(x, n).unwrap();
            (a.to_string(), b.to_string())
        };
        // x=5, n=50: 4.3474…% .. 21.3626…%
        assert_eq!(s(5, 50), ("4.34".into(), "21.37".into()));
        // x=0: lower bound exactly 0
        assert_eq!(s(0, 20).0, "0.00");
        // x=n: upper bound exactly 100
        assert_eq!(s(20, 20).1, "100.00");
        // 50/100: 40.383…% .. 59.616…%
        assert_eq!(s(50, 100), ("40.38".into(), "59.62".into()));
        // 1/1: 20.654…% .. 100%
        assert_eq!(s(1, 1), ("20.65".into(), "100.00".into()));
        // large n
        let (a, b) = wilson(70_000, 700_000).unwrap();
        assert_eq!((a.to_string(), b.to_string()), ("9.92".into(), "10.08".into()));
    }

    #[test]
    fn rates_round_half_even() {
        assert_eq!(rate(1, 8).unwrap().unwrap().to_string(), "12.50");
        assert_eq!(rate(4, 80000).unwrap().unwrap().to_string(), "0.00"); // exactly half a unit: to even
        assert_eq!(rate(5, 80000).unwrap().unwrap().to_string(), "0.01"); // 0.625 of a unit rounds up
        assert_eq!(rate(0, 0).unwrap(), None);
        assert_eq!(rate_change(10, 100, 5, 100).unwrap().unwrap().to_string(), "5.00");
        assert!(rate(2, 1).is_err());
        assert!(wilson(1, MAX_N + 1).is_err());
    }

    /// The interval always contains the point estimate and stays within [0, 100].
    #[test]
    fn wilson_contains_rate() {
        for n in 1..60u64 {
            for x in 0..=n {
                let (lo, hi) = wilson(x, n).unwrap();
                let r = rate(x, n).unwrap().unwrap();
                assert!(lo <= r && r <= hi, "{x}/{n}: {lo} {r} {hi}");
                assert!(lo.0 >= Decimal::ZERO && hi.0 <= Decimal::from(100));
            }
        }
    }
}
