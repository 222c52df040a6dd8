//! Exact decimals and fractions.
//!
//! Rules never use floating point. Spec values (band bounds, norm scores,
//! thresholds) are [`Dec`]: a `rust_decimal::Decimal` that serialises as a
//! string and deserialises from a string or a JSON integer (a JSON float is
//! refused, because `2.3` has already lost exactness by the time serde sees
//! it). Scores are exact fractions ([`Ratio`]) until they are reported.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

/// An exact decimal that crosses every boundary as a string.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Dec(pub Decimal);

impl Dec {
    /// From an integer.
    pub fn from_i64(v: i64) -> Dec {
        Dec(Decimal::from(v))
    }
    /// As an exact fraction `mantissa / 10^scale`, or `None` when it does not fit a [`Ratio`]
    /// (a mantissa beyond ±(2^63 − 1), or more than 18 decimal places). Never clamped: an
    /// out-of-range value is refused, and spec and policy compilation report it as a typed error
    /// (spec values are further limited, see [`crate::limits::MAX_SPEC_NUMBER`]).
    ///
    /// ```
    /// use changkaixin_core::{Dec, Ratio};
    /// let d: Dec = "2.5".parse().unwrap();
    /// assert_eq!(d.to_ratio(), Some(Ratio::new(5, 2)));
    /// let huge: Dec = "79228162514264337593543950335".parse().unwrap();
    /// assert_eq!(huge.to_ratio(), None);
    /// ```
    pub fn to_ratio(self) -> Option<Ratio> {
        let m = i64::try_from(self.0.mantissa()).ok().filter(|m| *m != i64::MIN)?;
        let den = 10i64.checked_pow(self.0.scale())?;
        Some(Ratio::new(m, den))
    }
    /// Normalised string form (no trailing zeros): `"2.5"`, `"10"`. `Display` and serde keep the
    /// scale instead (`"2.50"` stays `"2.50"`), so reported values show their stated precision.
    pub fn to_plain_string(self) -> String {
        self.0.normalize().to_string()
    }
}

impl fmt::Display for Dec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl FromStr for Dec {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        if t.is_empty() || t.contains(['e', 'E']) {
            return Err(format!("not a plain decimal: {}", crate::error::excerpt(s)));
        }
        Decimal::from_str_exact(t)
            .map(Dec)
            .map_err(|e| format!("not a decimal: {} ({e})", crate::error::excerpt(s)))
    }
}

impl Serialize for Dec {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0.to_string())
    }
}

impl<'de> Deserialize<'de> for Dec {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Dec;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a decimal as a string (\"2.5\") or an integer")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Dec, E> {
                Dec::from_str(v).map_err(E::custom)
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Dec, E> {
                Ok(Dec::from_i64(v))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Dec, E> {
                i64::try_from(v).map(Dec::from_i64).map_err(|_| E::custom("integer too large"))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Dec, E> {
                Err(E::custom(format!(
                    "write non-integer decimals as strings (got the float {v}); floats are never exact"
                )))
            }
        }
        d.deserialize_any(V)
    }
}

/// Rounding rules for reported or prorated values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Rounding {
    /// Round half towards +infinity: `floor(x + 1/2)` (SDQ's official syntax; SPSS `RND` for non-negatives).
    #[default]
    HalfUp,
    /// Round half to even (banker's rounding).
    HalfEven,
    /// Round towards -infinity.
    Floor,
    /// Round towards +infinity.
    Ceil,
    /// Round towards zero.
    Truncate,
}

/// An exact fraction `num / den` with `den > 0`, kept reduced.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Ratio {
    num: i64,
    den: i64,
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        let t = a % b;
        a = b;
        b = t;
    }
    a.max(1)
}

fn gcd_wide(mut a: u128, mut b: u128) -> u128 {
    while b != 0 {
        let t = a % b;
        a = b;
        b = t;
    }
    a.max(1)
}

impl Ratio {
    /// `num / den`, reduced. A zero denominator is treated as 1 (callers never pass one).
    ///
    /// Never panics or wraps. The only inputs whose reduced form does not fit (a numerator or
    /// denominator of `i64::MIN` that cannot be reduced, e.g. `new(i64::MIN, -1)`) are refused by
    /// [`Ratio::checked_new`]; `new` then saturates the offending part to `±i64::MAX`. The engine
    /// never meets them: compilation bounds every value a spec or policy can produce
    /// (see [`crate::limits`]).
    #[inline]
    pub fn new(num: i64, den: i64) -> Ratio {
        if den == 1 {
            return Ratio { num, den: 1 };
        }
        Ratio::checked_new(num, den).unwrap_or_else(|| {
            let negative = (num < 0) != (den < 0);
            let (n, d) = Ratio::reduced_wide(num, den);
            let clamp = |x: i128| i64::try_from(x).unwrap_or(i64::MAX);
            let n = clamp(n.unsigned_abs() as i128);
            Ratio {
                num: if negative { -n } else { n },
                den: clamp(d).max(1),
            }
        })
    }

    /// `num / den` reduced, or `None` when the denominator is zero or the reduced fraction does
    /// not fit in `i64` (only possible with `i64::MIN` as numerator or denominator).
    pub fn checked_new(num: i64, den: i64) -> Option<Ratio> {
        if den == 0 {
            return None;
        }
        if num != i64::MIN && den > 0 {
            // Common case: no overflow possible in i64.
            let g = gcd(num.unsigned_abs(), den as u64) as i64;
            return Some(Ratio { num: num / g, den: den / g });
        }
        let (n, d) = Ratio::reduced_wide(num, den);
        Some(Ratio {
            num: i64::try_from(n).ok()?,
            den: i64::try_from(d).ok()?,
        })
    }

    /// Reduce in i128 with a positive denominator.
    fn reduced_wide(num: i64, den: i64) -> (i128, i128) {
        let (mut n, mut d) = (i128::from(num), i128::from(if den == 0 { 1 } else { den }));
        if d < 0 {
            n = -n;
            d = -d;
        }
        let g = gcd_wide(n.unsigned_abs(), d.unsigned_abs()) as i128;
        (n / g, d / g)
    }
    /// An integer.
    pub const fn int(v: i64) -> Ratio {
        Ratio { num: v, den: 1 }
    }
    /// Numerator (reduced).
    pub fn num(self) -> i64 {
        self.num
    }
    /// Denominator (reduced, positive).
    pub fn den(self) -> i64 {
        self.den
    }
    /// Whether the value is an integer.
    pub fn is_integer(self) -> bool {
        self.den == 1
    }
    /// Round to `decimals` places, giving the mantissa `m` such that the value is `m / 10^decimals`.
    #[inline]
    pub fn round_mantissa(self, decimals: u32, rounding: Rounding) -> i64 {
        if self.den == 1 && decimals <= 18 {
            if let Some(m) = 10i64.checked_pow(decimals).and_then(|p| self.num.checked_mul(p)) {
                return m;
            }
        }
        let p = 10i128.pow(decimals.min(18));
        let n = self.num as i128 * p;
        let d = self.den as i128;
        let q = n.div_euclid(d); // floor
        let r = n.rem_euclid(d); // 0 <= r < d
        let out = match rounding {
            Rounding::Floor => q,
            Rounding::Ceil => {
                if r == 0 {
                    q
                } else {
                    q + 1
                }
            }
            Rounding::Truncate => {
                if n < 0 && r != 0 {
                    q + 1
                } else {
                    q
                }
            }
            Rounding::HalfUp => {
                if 2 * r >= d {
                    q + 1
                } else {
                    q
                }
            }
            Rounding::HalfEven => match (2 * r).cmp(&d) {
                Ordering::Greater => q + 1,
                Ordering::Less => q,
                Ordering::Equal => {
                    if q % 2 == 0 {
                        q
                    } else {
                        q + 1
                    }
                }
            },
        };
        // Saturate (never wrap) where the rounded mantissa leaves i64; callers keep values far
        // inside it (compiled scales are bounded by `crate::limits`).
        i64::try_from(out).unwrap_or(if out < 0 { i64::MIN } else { i64::MAX })
    }
    /// Round to a decimal with `decimals` places.
    pub fn round_to_dec(self, decimals: u32, rounding: Rounding) -> Dec {
        Dec(Decimal::new(self.round_mantissa(decimals, rounding), decimals.min(18)))
    }
    /// Whether this value is exactly representable with `decimals` places.
    pub fn exact_at(self, decimals: u32) -> bool {
        (self.num as i128 * 10i128.pow(decimals.min(18))) % self.den as i128 == 0
    }
    /// `"17/6"` form.
    pub fn to_fraction_string(self) -> String {
        if self.den == 1 {
            self.num.to_string()
        } else {
            format!("{}/{}", self.num, self.den)
        }
    }
}

impl PartialOrd for Ratio {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Ratio {
    #[inline]
    fn cmp(&self, other: &Self) -> Ordering {
        if self.den == other.den {
            return self.num.cmp(&other.num);
        }
        (self.num as i128 * other.den as i128).cmp(&(other.num as i128 * self.den as i128))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_up_is_floor_plus_half() {
        // SDQ: round(mean × 5), 2.5 → 3, not banker's 2.
        assert_eq!(Ratio::new(5, 2).round_mantissa(0, Rounding::HalfUp), 3);
        assert_eq!(Ratio::new(5, 2).round_mantissa(0, Rounding::HalfEven), 2);
        assert_eq!(Ratio::new(7, 2).round_mantissa(0, Rounding::HalfEven), 4);
        assert_eq!(Ratio::new(17, 6).round_mantissa(2, Rounding::HalfUp), 283);
        assert_eq!(Ratio::new(-5, 2).round_mantissa(0, Rounding::HalfUp), -2);
        assert_eq!(Ratio::new(-5, 2).round_mantissa(0, Rounding::Truncate), -2);
        assert_eq!(Ratio::new(7, 3).round_mantissa(0, Rounding::Ceil), 3);
        assert_eq!(Ratio::new(7, 3).round_mantissa(0, Rounding::Floor), 2);
    }

    #[test]
    fn ratio_orders_exactly() {
        assert!(Ratio::new(17, 6) < Ratio::int(3));
        assert!(Ratio::new(12, 6) == Ratio::int(2));
        assert_eq!(Ratio::new(4, -8), Ratio::new(-1, 2));
    }

    #[test]
    fn dec_refuses_floats_and_exponents() {
        assert!(serde_json::from_str::<Dec>("2.5").is_err());
        assert!(serde_json::from_str::<Dec>("\"1e3\"").is_err());
        assert_eq!(serde_json::from_str::<Dec>("\"2.50\"").map(|d| d.to_string()).ok(), Some("2.50".into()));
        assert_eq!(serde_json::to_string(&Dec::from_i64(7)).ok(), Some("\"7\"".into()));
        assert_eq!(Dec::from_str("2.5").map(Dec::to_ratio).ok(), Some(Some(Ratio::new(5, 2))));
    }

    #[test]
    fn out_of_range_is_refused_not_clamped() {
        let big = Dec::from_str("9223372036854775808").unwrap();
        assert_eq!(big.to_ratio(), None);
        assert_eq!(Dec::from_str("-9223372036854775808").unwrap().to_ratio(), None);
        assert_eq!(Dec::from_str("0.0000000000000000001").unwrap().to_ratio(), None);
        assert_eq!(Dec::from_str("9223372036854775807").unwrap().to_ratio(), Some(Ratio::int(i64::MAX)));
        assert_eq!(
            Dec::from_str("-0.000000000000000001").unwrap().to_ratio(),
            Some(Ratio::new(-1, 1_000_000_000_000_000_000))
        );
    }

    #[test]
    fn extreme_ratios_never_panic() {
        assert_eq!(Ratio::checked_new(i64::MIN, -1), None);
        assert_eq!(Ratio::checked_new(1, i64::MIN), None);
        assert_eq!(Ratio::checked_new(i64::MIN, 2), Some(Ratio::int(i64::MIN / 2)));
        assert_eq!(Ratio::checked_new(i64::MIN, i64::MIN), Some(Ratio::int(1)));
        assert_eq!(Ratio::checked_new(3, 0), None);
        assert_eq!(Ratio::new(3, 0), Ratio::int(3));
        assert_eq!(Ratio::new(i64::MIN, -1), Ratio::int(i64::MAX));
        assert_eq!(Ratio::new(i64::MIN, 1), Ratio::int(i64::MIN));
        assert_eq!(Ratio::new(5, -10), Ratio::new(-1, 2));
        assert!(Ratio::int(i64::MIN) < Ratio::int(i64::MAX));
        assert_eq!(Ratio::int(i64::MIN).round_mantissa(2, Rounding::HalfUp), i64::MIN);
        assert_eq!(Ratio::int(i64::MAX).round_mantissa(2, Rounding::HalfUp), i64::MAX);
        assert_eq!(Ratio::new(i64::MAX, 3).round_mantissa(18, Rounding::HalfEven), i64::MAX);
    }
}
