//! The crate's time vocabulary: exact instants, durations, calendar dates and times of day.
//!
//! Shared by the alert engine (`alert::datetime` re-exports this module) and the compliance
//! checks. Nothing here reads a clock: every instant and every date is an input. Instants are whole
//! seconds since the Unix epoch ([`Timestamp`]), parsed from RFC 3339 and always
//! written back as RFC 3339 UTC (`2024-03-04T08:00:00Z`). Durations are the exact
//! subset of ISO 8601 that has a fixed length in seconds ([`IsoDuration`]):
//! `PnW`, or `PnDTnHnMnS` with any part omitted. Years and months are refused
//! because their length depends on the calendar.

use crate::error::{Error, ErrorCode, Result};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Seconds from 1970-01-01 to 0000-01-01T00:00:00Z (the earliest instant written).
const MIN_SECS: i64 = -62_167_219_200;
/// Seconds from 1970-01-01 to 9999-12-31T23:59:59Z (the latest instant written).
const MAX_SECS: i64 = 253_402_300_799;
/// The longest duration a policy may use (100 years of 365 days), so arithmetic stays far from overflow.
const MAX_DURATION_SECS: i64 = 100 * 365 * 86_400;

/// An instant, in whole seconds since 1970-01-01T00:00:00Z, between years 0000 and 9999.
///
/// ```
/// use changkaixin_core::alert::Timestamp;
/// let t = Timestamp::parse("2024-03-04T16:30:00+08:00").unwrap();
/// assert_eq!(t.to_string(), "2024-03-04T08:30:00Z");
/// assert_eq!(Timestamp::parse("2024-02-30T00:00:00Z").unwrap_err().code(), "time.invalid");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl Timestamp {
    /// From Unix seconds, clamped to years 0000–9999.
    pub fn from_unix(secs: i64) -> Timestamp {
        Timestamp(secs.clamp(MIN_SECS, MAX_SECS))
    }

    /// Unix seconds.
    pub fn unix(self) -> i64 {
        self.0
    }

    /// Parse RFC 3339 (`2024-03-04T08:00:00Z`, `2024-03-04T16:00:00.250+08:00`).
    ///
    /// Fractional seconds are dropped (the instant is floored to the whole second).
    /// Errors are `time.invalid` with path `""`; callers prefix their own path.
    pub fn parse(s: &str) -> Result<Timestamp> {
        parse_rfc3339(s.as_bytes()).map(Timestamp).ok_or_else(|| {
            Error::new(
                ErrorCode::InvalidTime,
                "",
                format!(
                    "expected an RFC 3339 timestamp such as \"2024-03-04T08:00:00Z\" or \"2024-03-04T16:00:00+08:00\", found {}",
                    crate::error::excerpt(s)
                ),
            )
        })
    }

    /// This instant plus a duration, clamped to years 0000–9999.
    pub fn plus(self, d: IsoDuration) -> Timestamp {
        Timestamp::from_unix(self.0.saturating_add(d.secs))
    }

    /// This instant minus a duration, clamped to years 0000–9999.
    pub fn minus(self, d: IsoDuration) -> Timestamp {
        Timestamp::from_unix(self.0.saturating_sub(d.secs))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let days = self.0.div_euclid(86_400);
        let rem = self.0.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        write!(f, "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", rem / 3600, (rem % 3600) / 60, rem % 60)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Timestamp::parse(&s).map_err(|e| serde::de::Error::custom(e.message().to_owned()))
    }
}

/// An exact ISO-8601 duration: `PnW` or `PnDTnHnMnS` (parts optional, integers only).
///
/// ```
/// use changkaixin_core::alert::IsoDuration;
/// assert_eq!(IsoDuration::parse("P1DT12H").unwrap().seconds(), 129_600);
/// assert_eq!(IsoDuration::parse("P2W").unwrap().seconds(), 1_209_600);
/// assert_eq!(IsoDuration::parse("P1M").unwrap_err().code(), "time.invalid");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct IsoDuration {
    secs: i64,
    text: String,
}

impl IsoDuration {
    /// Parse the exact subset of ISO 8601 durations. Errors are `time.invalid` with path `""`.
    pub fn parse(s: &str) -> Result<IsoDuration> {
        parse_duration(s).map(|secs| IsoDuration { secs, text: s.to_owned() }).map_err(|why| {
            Error::new(
                ErrorCode::InvalidTime,
                "",
                format!(
                    "expected an ISO-8601 duration like \"P14D\", \"PT12H\", \"P1DT6H\" or \"P2W\" ({why}), found {}",
                    crate::error::excerpt(s)
                ),
            )
        })
    }

    /// A duration of whole seconds (written `PTnS`, or in the largest exact unit).
    pub fn from_seconds(secs: i64) -> IsoDuration {
        let secs = secs.clamp(0, MAX_DURATION_SECS);
        IsoDuration {
            secs,
            text: format_duration(secs),
        }
    }

    /// Length in seconds.
    pub fn seconds(&self) -> i64 {
        self.secs
    }

    /// The text as written in the policy.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for IsoDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

fn format_duration(secs: i64) -> String {
    if secs == 0 {
        return "PT0S".to_owned();
    }
    let (d, rem) = (secs / 86_400, secs % 86_400);
    let (h, rem) = (rem / 3600, rem % 3600);
    let (m, s) = (rem / 60, rem % 60);
    let mut out = String::from("P");
    if d > 0 {
        out.push_str(&format!("{d}D"));
    }
    if h > 0 || m > 0 || s > 0 {
        out.push('T');
        if h > 0 {
            out.push_str(&format!("{h}H"));
        }
        if m > 0 {
            out.push_str(&format!("{m}M"));
        }
        if s > 0 {
            out.push_str(&format!("{s}S"));
        }
    }
    out
}

fn parse_duration(s: &str) -> std::result::Result<i64, &'static str> {
    let b = s.as_bytes();
    if b.first() != Some(&b'P') {
        return Err("it must start with P");
    }
    let mut i = 1;
    let mut in_time = false;
    let mut total: i64 = 0;
    let mut any = false;
    // Units must appear in order: W | D, then T, H, M, S.
    let mut last_rank = 0u8;
    while i < b.len() {
        if b[i] == b'T' {
            if in_time {
                return Err("T appears twice");
            }
            in_time = true;
            i += 1;
            if i == b.len() {
                return Err("nothing follows T");
            }
            continue;
        }
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return Err("a number must precede each unit");
        }
        if i - start > 12 {
            return Err("a number is too long");
        }
        let mut n: i64 = 0;
        for &c in &b[start..i] {
            n = n * 10 + i64::from(c - b'0');
        }
        let Some(&unit) = b.get(i) else {
            return Err("the last number has no unit");
        };
        i += 1;
        let (rank, mult) = match (in_time, unit) {
            (false, b'W') => (1, 7 * 86_400),
            (false, b'D') => (2, 86_400),
            (true, b'H') => (3, 3600),
            (true, b'M') => (4, 60),
            (true, b'S') => (5, 1),
            (false, b'Y') | (false, b'M') => return Err("years and months have no fixed length; use days or weeks"),
            (false, _) => return Err("date units are W or D"),
            (true, _) => return Err("time units are H, M or S"),
        };
        if rank <= last_rank {
            return Err("units must appear once each, largest first");
        }
        last_rank = rank;
        total = n.checked_mul(mult).and_then(|v| total.checked_add(v)).ok_or("too long")?;
        if total > MAX_DURATION_SECS {
            return Err("longer than 100 years");
        }
        any = true;
    }
    if !any {
        return Err("it has no parts");
    }
    Ok(total)
}

fn digits(b: &[u8], at: usize, n: usize) -> Option<i64> {
    let s = b.get(at..at + n)?;
    let mut v = 0i64;
    for &c in s {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + i64::from(c - b'0');
    }
    Some(v)
}

/// Days from 1970-01-01 to the civil date (proleptic Gregorian). Howard Hinnant's algorithm.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

fn parse_rfc3339(b: &[u8]) -> Option<i64> {
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (y, mo, d) = (digits(b, 0, 4)?, digits(b, 5, 2)?, digits(b, 8, 2)?);
    let (h, mi, s) = (digits(b, 11, 2)?, digits(b, 14, 2)?, digits(b, 17, 2)?);
    if !(1..=12).contains(&mo) || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || s > 59 {
        return None;
    }
    let mut i = 19;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return None;
        }
    }
    let offset = match b.get(i)? {
        b'Z' | b'z' if i + 1 == b.len() => 0,
        sign @ (b'+' | b'-') if i + 6 == b.len() && b[i + 3] == b':' => {
            let (oh, om) = (digits(b, i + 1, 2)?, digits(b, i + 4, 2)?);
            if oh > 23 || om > 59 {
                return None;
            }
            let o = oh * 3600 + om * 60;
            if *sign == b'-' {
                -o
            } else {
                o
            }
        }
        _ => return None,
    };
    let secs = days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + s - offset;
    (MIN_SECS..=MAX_SECS).contains(&secs).then_some(secs)
}

/// Days from 1970-01-01 to 0000-01-01 (the earliest date written).
const MIN_DAYS: i32 = -719_528;
/// Days from 1970-01-01 to 9999-12-31 (the latest date written).
const MAX_DAYS: i32 = 2_932_896;

/// A calendar date (proleptic Gregorian, no time zone), between 0000-01-01 and 9999-12-31,
/// kept as days since 1970-01-01 and written `YYYY-MM-DD`.
///
/// Compliance checks work in the school's local calendar days; a date is never converted
/// to an instant behind the caller's back ([`Date::of_timestamp`] takes the UTC offset).
///
/// ```
/// use changkaixin_core::time::Date;
/// let d = Date::parse("2024-02-29").unwrap();
/// assert_eq!(d.plus_days(1).to_string(), "2024-03-01");
/// assert_eq!(d.weekday(), 3); // Thursday (0 = Monday)
/// assert_eq!(Date::parse("2023-02-29").unwrap_err().code(), "time.invalid");
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(i32);

impl Date {
    /// From days since 1970-01-01, clamped to 0000-01-01 … 9999-12-31.
    pub fn from_days(days: i32) -> Date {
        Date(days.clamp(MIN_DAYS, MAX_DAYS))
    }

    /// Days since 1970-01-01.
    pub fn days(self) -> i32 {
        self.0
    }

    /// From a year, month and day; `None` when the date does not exist.
    pub fn from_ymd(y: i32, m: u32, d: u32) -> Option<Date> {
        let (y, m, d) = (i64::from(y), i64::from(m), i64::from(d));
        if !(0..=9999).contains(&y) || !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m) {
            return None;
        }
        i32::try_from(days_from_civil(y, m, d)).ok().map(Date)
    }

    /// Year, month (1–12) and day (1–31).
    pub fn ymd(self) -> (i32, u32, u32) {
        let (y, m, d) = civil_from_days(i64::from(self.0));
        (y as i32, m as u32, d as u32)
    }

    /// Parse `YYYY-MM-DD` exactly. Errors are `time.invalid` with path `""`; callers prefix their own path.
    pub fn parse(s: &str) -> Result<Date> {
        let b = s.as_bytes();
        let parsed = if b.len() == 10 && b[4] == b'-' && b[7] == b'-' {
            match (digits(b, 0, 4), digits(b, 5, 2), digits(b, 8, 2)) {
                (Some(y), Some(m), Some(d)) => Date::from_ymd(y as i32, m as u32, d as u32),
                _ => None,
            }
        } else {
            None
        };
        parsed.ok_or_else(|| {
            Error::new(
                ErrorCode::InvalidTime,
                "",
                format!("expected a date such as \"2024-03-04\", found {}", short(s)),
            )
        })
    }

    /// This date plus `n` days (negative: earlier), clamped.
    pub fn plus_days(self, n: i32) -> Date {
        Date::from_days(self.0.saturating_add(n))
    }

    /// Days from `self` to `other` (`other - self`).
    pub fn days_until(self, other: Date) -> i32 {
        other.0 - self.0
    }

    /// Day of the week: 0 = Monday … 6 = Sunday.
    pub fn weekday(self) -> u8 {
        // 1970-01-01 was a Thursday (3).
        (i64::from(self.0) + 3).rem_euclid(7) as u8
    }

    /// Whether the date is a Saturday or Sunday.
    pub fn is_weekend(self) -> bool {
        self.weekday() >= 5
    }

    /// The local calendar date of an instant at a UTC offset in seconds (`28_800` for China, UTC+8).
    pub fn of_timestamp(t: Timestamp, utc_offset_secs: i32) -> Date {
        Date::from_days(i32::try_from((t.unix() + i64::from(utc_offset_secs)).div_euclid(86_400)).unwrap_or(0))
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = self.ymd();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

impl Serialize for Date {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Date;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a date string such as \"2024-03-04\"")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> std::result::Result<Date, E> {
                Date::parse(v).map_err(|e| E::custom(e.message().to_owned()))
            }
        }
        d.deserialize_str(V)
    }
}

/// A time of day in whole minutes, `00:00` to `24:00` (the end of the day), written `HH:MM`.
///
/// ```
/// use changkaixin_core::time::TimeOfDay;
/// let open = TimeOfDay::parse("12:10").unwrap();
/// assert_eq!(open.minutes(), 730);
/// assert_eq!(TimeOfDay::parse("24:00").unwrap().minutes(), 1440);
/// assert!(TimeOfDay::parse("24:01").is_err() && TimeOfDay::parse("7:30").is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TimeOfDay(u16);

impl TimeOfDay {
    /// From minutes after midnight, clamped to 0–1440.
    pub fn from_minutes(m: u16) -> TimeOfDay {
        TimeOfDay(m.min(1440))
    }

    /// Minutes after midnight.
    pub fn minutes(self) -> u16 {
        self.0
    }

    /// Parse `HH:MM` (24-hour clock; `24:00` is the end of the day). Errors are `time.invalid`.
    pub fn parse(s: &str) -> Result<TimeOfDay> {
        let b = s.as_bytes();
        let parsed = if b.len() == 5 && b[2] == b':' {
            match (digits(b, 0, 2), digits(b, 3, 2)) {
                (Some(h), Some(m)) if (h < 24 && m < 60) || (h == 24 && m == 0) => Some(TimeOfDay((h * 60 + m) as u16)),
                _ => None,
            }
        } else {
            None
        };
        parsed.ok_or_else(|| {
            Error::new(
                ErrorCode::InvalidTime,
                "",
                format!("expected a time of day such as \"12:30\", found {}", short(s)),
            )
        })
    }
}

impl fmt::Display for TimeOfDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.0 / 60, self.0 % 60)
    }
}

impl Serialize for TimeOfDay {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for TimeOfDay {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = TimeOfDay;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a time of day such as \"12:30\"")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> std::result::Result<TimeOfDay, E> {
                TimeOfDay::parse(v).map_err(|e| E::custom(e.message().to_owned()))
            }
        }
        d.deserialize_str(V)
    }
}

/// At most the first 40 characters of an input value, quoted (error messages never echo long inputs).
fn short(s: &str) -> String {
    let mut out: String = s.chars().take(40).collect();
    if out.len() < s.len() {
        out.push('…');
    }
    format!("{out:?}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_round_trip_through_utc() {
        for (input, utc) in [
            ("1970-01-01T00:00:00Z", "1970-01-01T00:00:00Z"),
            ("2024-02-29T23:59:59+08:00", "2024-02-29T15:59:59Z"),
            ("2024-03-01T01:00:00.999-02:30", "2024-03-01T03:30:00Z"),
            ("0000-01-01T00:00:00Z", "0000-01-01T00:00:00Z"),
            ("9999-12-31T23:59:59Z", "9999-12-31T23:59:59Z"),
            ("1969-12-31T23:59:59z", "1969-12-31T23:59:59Z"),
        ] {
            let t = Timestamp::parse(input).unwrap();
            assert_eq!(t.to_string(), utc, "{input}");
            assert_eq!(Timestamp::parse(utc).unwrap(), t);
        }
    }

    #[test]
    fn timestamps_agree_with_the_time_crate() {
        for secs in [0i64, 1, 86_399, 951_782_400, 1_709_251_200, -1, -86_401, 4_102_444_800] {
            let t = Timestamp::from_unix(secs).to_string();
            let via_time = time::OffsetDateTime::from_unix_timestamp(secs)
                .unwrap()
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap();
            assert_eq!(t, via_time);
        }
    }

    #[test]
    fn bad_timestamps_are_refused() {
        for bad in [
            "",
            "2024-03-04",
            "2024-03-04T08:00:00",
            "2024-13-01T00:00:00Z",
            "2023-02-29T00:00:00Z",
            "2024-03-04T24:00:00Z",
            "2024-03-04T08:00:60Z",
            "2024-03-04T08:00:00+0800",
            "2024-03-04T08:00:00.Z",
            "2024-03-04T08:00:00Zjunk",
            "２024-03-04T08:00:00Z",
        ] {
            assert!(Timestamp::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn durations_parse_exactly() {
        for (s, secs) in [
            ("PT0S", 0),
            ("P1D", 86_400),
            ("PT10M", 600),
            ("P1DT2H3M4S", 93_784),
            ("P2W", 1_209_600),
            ("PT36H", 129_600),
        ] {
            assert_eq!(IsoDuration::parse(s).unwrap().seconds(), secs, "{s}");
        }
        for bad in [
            "",
            "P",
            "PT",
            "1D",
            "P1M",
            "P1Y",
            "PT1D",
            "P1H",
            "P1.5D",
            "PT1H2H",
            "P1W1D2",
            "P-1D",
            "P99999999999999D",
            "P1DT",
        ] {
            assert!(IsoDuration::parse(bad).is_err(), "{bad:?} should be refused");
        }
        assert_eq!(IsoDuration::from_seconds(93_784).as_str(), "P1DT2H3M4S");
        assert_eq!(IsoDuration::from_seconds(0).as_str(), "PT0S");
    }

    #[test]
    fn arithmetic_saturates() {
        let end = Timestamp::parse("9999-12-31T00:00:00Z").unwrap();
        assert_eq!(end.plus(IsoDuration::parse("P3650D").unwrap()).to_string(), "9999-12-31T23:59:59Z");
        let start = Timestamp::parse("0000-01-02T00:00:00Z").unwrap();
        assert_eq!(start.minus(IsoDuration::parse("P30D").unwrap()).to_string(), "0000-01-01T00:00:00Z");
    }

    #[test]
    fn dates_round_trip_and_know_their_weekday() {
        for (s, wd) in [("1970-01-01", 3u8), ("2024-02-29", 3), ("2023-09-04", 0), ("0000-01-01", 5), ("9999-12-31", 4)] {
            let d = Date::parse(s).unwrap();
            assert_eq!(d.to_string(), s);
            assert_eq!(d.weekday(), wd, "{s}");
        }
        assert_eq!(Date::parse("0000-01-01").unwrap().days(), MIN_DAYS);
        assert_eq!(Date::parse("9999-12-31").unwrap().days(), MAX_DAYS);
        for bad in ["", "2024-2-01", "2024-13-01", "2023-02-29", "2024-03-04T00:00:00Z", "20240304", "２024-03-04"] {
            assert!(Date::parse(bad).is_err(), "{bad:?}");
        }
        let t = Timestamp::parse("2024-03-03T17:00:00Z").unwrap();
        assert_eq!(Date::of_timestamp(t, 8 * 3600).to_string(), "2024-03-04");
        assert_eq!(Date::of_timestamp(t, 0).to_string(), "2024-03-03");
    }

    #[test]
    fn times_of_day_parse_exactly() {
        assert_eq!(TimeOfDay::parse("00:00").unwrap().minutes(), 0);
        assert_eq!(TimeOfDay::parse("23:59").unwrap().to_string(), "23:59");
        for bad in ["", "24:30", "12:60", "1230", "12:3", "ab:cd"] {
            assert!(TimeOfDay::parse(bad).is_err(), "{bad:?}");
        }
    }
}
