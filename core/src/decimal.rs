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
    /// As an exact fraction `mantissa / 10^scale`.
    pub fn to_ratio(self) -> Ratio {
        let scale = self.0.scale();
        let m = self.0.mantissa();
        // Spec values are small; clamp absurd ones to the i64 range (lint rejects them anyway).
        let num = i64::try_from(m).unwrap_or(if m < 0 { i64::MIN / 2 } else { i64::MAX / 2 });
        let den = 10i64.checked_pow(scale).unwrap_or(i64::MAX);
        Ratio::new(num, den)
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
            return Err(format!("not a plain decimal: {s:?}"));
        }
        Decimal::from_str_exact(t).map(Dec).map_err(|e| format!("not a decimal: {s:?} ({e})"))
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

fn gcd(mut a: i64, mut b: i64) -> i64 {
    a = a.abs();
    b = b.abs();
    while b != 0 {
        let t = a % b;
        a = b;
        b = t;
    }
    a.max(1)
}

impl Ratio {
    /// `num / den`, reduced. A zero denominator is treated as 1 (callers never pass one).
    #[inline]
    pub fn new(num: i64, den: i64) -> Ratio {
        if den == 1 {
            return Ratio { num, den: 1 };
        }
        let (mut n, mut d) = if den == 0 { (num, 1) } else { (num, den) };
        if d < 0 {
            n = -n;
            d = -d;
        }
        let g = gcd(n, d);
        Ratio { num: n / g, den: d / g }
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
        i64::try_from(out).unwrap_or(i64::MAX)
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
        assert_eq!(Dec::from_str("2.5").map(Dec::to_ratio).ok(), Some(Ratio::new(5, 2)));
    }
}
