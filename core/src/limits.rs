//! Resource limits on what a spec or policy may ask the compiler to build.
//!
//! Specs and policies are data, and data can be hostile: a few kilobytes of JSON whose scales sum
//! earlier scales double the value range with every scale, forty norm tables over a wide raw range
//! ask for gigabytes of lookup tables, a condition tree built through the Rust API may nest a
//! hundred thousand levels deep. An allocation failure aborts the process (no binding can catch
//! it) and a stack overflow kills it, so every such size is bounded here, checked **before**
//! anything proportional to it is allocated or recursed over, and reported as a typed error
//! (`spec.limit_exceeded` / `policy.limit_exceeded`, `spec.invalid_value` /
//! `policy.invalid_value` for out-of-range numbers) with the JSON path of the offending part.
//!
//! The limits are far above every instrument and policy we know of (the largest built-in spec,
//! SCL-90, has 90 items, 13 scales and a value range of 361; the MHT-shaped fixture has 144 norm
//! tables) and are documented in `docs/instrument-format.md` and `docs/alert-tiers.md`. The policy
//! limits live beside the policy format: [`crate::alert::policy::MAX_RULES`] and friends.

use crate::decimal::{Dec, Ratio};
use crate::error::{excerpt_raw, Error, ErrorCode, Result};
use serde::ser::{self, Serialize};
use std::fmt;

/// Most items an instrument may have.
pub const MAX_ITEMS: usize = 1000;
/// Most named option sets.
pub const MAX_OPTION_SETS: usize = 1000;
/// Most scales an instrument may have.
pub const MAX_SCALES: usize = 256;
/// Most flags (batch flag bitsets are 64-bit words).
pub const MAX_FLAGS: usize = 64;
/// Most validity rules.
pub const MAX_VALIDITY_RULES: usize = 64;
/// Most bands per scale (band positions are bytes).
pub const MAX_BANDS_PER_SCALE: usize = 100;
/// Widest value range of one scale: `max − min` of its integer numerator (the sum, the count, or
/// the sum behind a mean) may be at most this. Band lookup and norm tables have one entry per value.
pub const MAX_SCALE_RANGE: i64 = 100_000;
/// Largest magnitude of a scale's integer numerator (keeps every sum far inside `i32`, which the
/// batch fast path accumulates in, and every product of scoring inside `i64`).
pub const MAX_SCALE_MAGNITUDE: i64 = 1_000_000_000;
/// Most lookup-table entries one compilation may build: band-by-value tables of all scales plus
/// the rows of all norm tables (one entry per raw value per table).
pub const MAX_TABLE_ENTRIES: usize = 1_000_000;
/// Most norm tables.
pub const MAX_NORM_TABLES: usize = 2000;
/// Most rows in one norm table.
pub const MAX_NORM_ROWS: usize = MAX_SCALE_RANGE as usize + 1;
/// Most norm group keys (e.g. `grade`, `sex`).
pub const MAX_NORM_GROUP_KEYS: usize = 8;
/// Largest magnitude of a decimal constant in a spec or policy (band bounds, thresholds,
/// standard scores).
pub const MAX_SPEC_NUMBER: i64 = 1_000_000;
/// Most decimal places of a decimal constant in a spec or policy, as written (`"2.50"` has two).
pub const MAX_SPEC_DECIMALS: u32 = 6;
/// Deepest condition tree (the root is depth 0), in specs and policies alike.
pub const MAX_CONDITION_DEPTH: usize = 32;
/// Most condition nodes in one spec (flags, screen-positive, validity and every setting's patches).
pub const MAX_CONDITION_NODES: usize = 10_000;
/// Most settings of one instrument.
pub const MAX_SETTINGS: usize = 16;
/// Most setting options in total over all settings (each option is compiled when the spec loads).
pub const MAX_SETTING_OPTIONS: usize = 64;
/// Longest string (in bytes) anywhere in a spec or policy: texts, citations, notes, labels, ids,
/// map keys. Ids are further limited to 64 characters.
pub const MAX_TEXT_BYTES: usize = 16 * 1024;

/// A bounded decimal constant of a spec or policy as an exact fraction: at most
/// [`MAX_SPEC_DECIMALS`] places and magnitude at most [`MAX_SPEC_NUMBER`]; otherwise `code` at `path`.
pub(crate) fn spec_number(d: Dec, code: ErrorCode, path: &str) -> Result<Ratio> {
    let bound = rust_decimal::Decimal::from(MAX_SPEC_NUMBER);
    let ratio = d.to_ratio().filter(|_| d.0.scale() <= MAX_SPEC_DECIMALS && d.0.abs() <= bound);
    ratio.ok_or_else(|| {
        Error::new(
            code,
            path,
            format!(
                "{} is out of range: decimal constants must lie within ±{MAX_SPEC_NUMBER} with at most {MAX_SPEC_DECIMALS} decimal places",
                excerpt_raw(&d.to_string())
            ),
        )
    })
}

/// One node's children, for the iterative tree walks.
pub(crate) enum Kids<'a, T> {
    None,
    One(&'a T),
    Many(&'a [T]),
}

/// Why a tree is too big.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TreeExcess {
    /// Deeper than the limit.
    Depth,
    /// More nodes than the budget.
    Nodes,
}

/// Walk a tree without recursion, counting its nodes against `budget` (decremented) and its depth
/// against `max_depth`; stops at the first excess. Safe on trees of any depth.
pub(crate) fn measure_tree<'a, T>(
    root: &'a T,
    kids: impl Fn(&'a T) -> Kids<'a, T>,
    max_depth: usize,
    budget: &mut usize,
) -> std::result::Result<(), TreeExcess> {
    let mut stack: Vec<(&'a T, usize)> = vec![(root, 0)];
    while let Some((node, depth)) = stack.pop() {
        if depth > max_depth {
            return Err(TreeExcess::Depth);
        }
        if *budget == 0 {
            return Err(TreeExcess::Nodes);
        }
        *budget -= 1;
        match kids(node) {
            Kids::None => {}
            Kids::One(c) => stack.push((c, depth + 1)),
            Kids::Many(cs) => {
                if cs.len() > *budget {
                    return Err(TreeExcess::Nodes);
                }
                stack.extend(cs.iter().map(|c| (c, depth + 1)));
            }
        }
    }
    Ok(())
}

/// Check every string (values and map keys) of a serialisable document against
/// [`MAX_TEXT_BYTES`], without allocating a copy. Returns the JSON path and length of the first
/// string that is too long. Only call on documents whose depth is already bounded (serialisation
/// recurses).
pub(crate) fn long_string<T: Serialize + ?Sized>(doc: &T) -> Option<(String, usize)> {
    let mut probe = Probe { path: Vec::new() };
    match doc.serialize(&mut probe) {
        Ok(()) => None,
        Err(ProbeError::TooLong { path, len }) => Some((path, len)),
        Err(ProbeError::Other) => None,
    }
}

#[derive(Debug)]
enum ProbeError {
    TooLong { path: String, len: usize },
    Other,
}

impl fmt::Display for ProbeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("string probe")
    }
}
impl std::error::Error for ProbeError {}
impl ser::Error for ProbeError {
    fn custom<T: fmt::Display>(_: T) -> Self {
        ProbeError::Other
    }
}

enum Seg {
    Field(&'static str),
    Index(usize),
    Key(String),
}

struct Probe {
    path: Vec<Seg>,
}

impl Probe {
    fn check(&self, s: &str) -> std::result::Result<(), ProbeError> {
        if s.len() <= MAX_TEXT_BYTES {
            return Ok(());
        }
        let mut path = String::new();
        for seg in &self.path {
            path.push('/');
            match seg {
                Seg::Field(f) => path.push_str(f),
                Seg::Index(i) => path.push_str(&i.to_string()),
                Seg::Key(k) => path.push_str(k),
            }
        }
        Err(ProbeError::TooLong { path, len: s.len() })
    }
    fn within<F: FnOnce(&mut Probe) -> std::result::Result<(), ProbeError>>(&mut self, seg: Seg, f: F) -> std::result::Result<(), ProbeError> {
        self.path.push(seg);
        let r = f(self);
        self.path.pop();
        r
    }
}

/// Serialises a map key to capture it as a path segment (and check its length).
struct KeyProbe;

impl ser::Serializer for KeyProbe {
    type Ok = String;
    type Error = ProbeError;
    type SerializeSeq = ser::Impossible<String, ProbeError>;
    type SerializeTuple = ser::Impossible<String, ProbeError>;
    type SerializeTupleStruct = ser::Impossible<String, ProbeError>;
    type SerializeTupleVariant = ser::Impossible<String, ProbeError>;
    type SerializeMap = ser::Impossible<String, ProbeError>;
    type SerializeStruct = ser::Impossible<String, ProbeError>;
    type SerializeStructVariant = ser::Impossible<String, ProbeError>;
    fn serialize_str(self, v: &str) -> std::result::Result<String, ProbeError> {
        if v.len() > MAX_TEXT_BYTES {
            return Err(ProbeError::TooLong {
                path: format!("/{}", excerpt_raw(v)),
                len: v.len(),
            });
        }
        Ok(v.to_owned())
    }
    fn serialize_bool(self, v: bool) -> std::result::Result<String, ProbeError> {
        Ok(v.to_string())
    }
    fn serialize_i64(self, v: i64) -> std::result::Result<String, ProbeError> {
        Ok(v.to_string())
    }
    fn serialize_u64(self, v: u64) -> std::result::Result<String, ProbeError> {
        Ok(v.to_string())
    }
    fn serialize_f64(self, v: f64) -> std::result::Result<String, ProbeError> {
        Ok(v.to_string())
    }
    fn serialize_char(self, v: char) -> std::result::Result<String, ProbeError> {
        Ok(v.to_string())
    }
    fn serialize_i8(self, v: i8) -> std::result::Result<String, ProbeError> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i16(self, v: i16) -> std::result::Result<String, ProbeError> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i32(self, v: i32) -> std::result::Result<String, ProbeError> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_u8(self, v: u8) -> std::result::Result<String, ProbeError> {
        self.serialize_u64(u64::from(v))
    }
    fn serialize_u16(self, v: u16) -> std::result::Result<String, ProbeError> {
        self.serialize_u64(u64::from(v))
    }
    fn serialize_u32(self, v: u32) -> std::result::Result<String, ProbeError> {
        self.serialize_u64(u64::from(v))
    }
    fn serialize_f32(self, v: f32) -> std::result::Result<String, ProbeError> {
        self.serialize_f64(f64::from(v))
    }
    fn serialize_bytes(self, _: &[u8]) -> std::result::Result<String, ProbeError> {
        Ok(String::new())
    }
    fn serialize_none(self) -> std::result::Result<String, ProbeError> {
        Ok(String::new())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> std::result::Result<String, ProbeError> {
        v.serialize(self)
    }
    fn serialize_unit(self) -> std::result::Result<String, ProbeError> {
        Ok(String::new())
    }
    fn serialize_unit_struct(self, _: &'static str) -> std::result::Result<String, ProbeError> {
        Ok(String::new())
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> std::result::Result<String, ProbeError> {
        Ok(variant.to_owned())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _: &'static str, v: &T) -> std::result::Result<String, ProbeError> {
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(self, _: &'static str, _: u32, _: &'static str, _: &T) -> std::result::Result<String, ProbeError> {
        Err(ProbeError::Other)
    }
    fn serialize_seq(self, _: Option<usize>) -> std::result::Result<Self::SerializeSeq, ProbeError> {
        Err(ProbeError::Other)
    }
    fn serialize_tuple(self, _: usize) -> std::result::Result<Self::SerializeTuple, ProbeError> {
        Err(ProbeError::Other)
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> std::result::Result<Self::SerializeTupleStruct, ProbeError> {
        Err(ProbeError::Other)
    }
    fn serialize_tuple_variant(self, _: &'static str, _: u32, _: &'static str, _: usize) -> std::result::Result<Self::SerializeTupleVariant, ProbeError> {
        Err(ProbeError::Other)
    }
    fn serialize_map(self, _: Option<usize>) -> std::result::Result<Self::SerializeMap, ProbeError> {
        Err(ProbeError::Other)
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> std::result::Result<Self::SerializeStruct, ProbeError> {
        Err(ProbeError::Other)
    }
    fn serialize_struct_variant(self, _: &'static str, _: u32, _: &'static str, _: usize) -> std::result::Result<Self::SerializeStructVariant, ProbeError> {
        Err(ProbeError::Other)
    }
}

type R = std::result::Result<(), ProbeError>;

impl<'a> ser::Serializer for &'a mut Probe {
    type Ok = ();
    type Error = ProbeError;
    type SerializeSeq = Compound<'a>;
    type SerializeTuple = Compound<'a>;
    type SerializeTupleStruct = Compound<'a>;
    type SerializeTupleVariant = Compound<'a>;
    type SerializeMap = Compound<'a>;
    type SerializeStruct = Compound<'a>;
    type SerializeStructVariant = Compound<'a>;
    fn serialize_bool(self, _: bool) -> R {
        Ok(())
    }
    fn serialize_i8(self, _: i8) -> R {
        Ok(())
    }
    fn serialize_i16(self, _: i16) -> R {
        Ok(())
    }
    fn serialize_i32(self, _: i32) -> R {
        Ok(())
    }
    fn serialize_i64(self, _: i64) -> R {
        Ok(())
    }
    fn serialize_u8(self, _: u8) -> R {
        Ok(())
    }
    fn serialize_u16(self, _: u16) -> R {
        Ok(())
    }
    fn serialize_u32(self, _: u32) -> R {
        Ok(())
    }
    fn serialize_u64(self, _: u64) -> R {
        Ok(())
    }
    fn serialize_f32(self, _: f32) -> R {
        Ok(())
    }
    fn serialize_f64(self, _: f64) -> R {
        Ok(())
    }
    fn serialize_char(self, _: char) -> R {
        Ok(())
    }
    fn serialize_str(self, v: &str) -> R {
        self.check(v)
    }
    fn serialize_bytes(self, _: &[u8]) -> R {
        Ok(())
    }
    fn serialize_none(self) -> R {
        Ok(())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> R {
        v.serialize(self)
    }
    fn serialize_unit(self) -> R {
        Ok(())
    }
    fn serialize_unit_struct(self, _: &'static str) -> R {
        Ok(())
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, _: &'static str) -> R {
        Ok(())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _: &'static str, v: &T) -> R {
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(self, _: &'static str, _: u32, variant: &'static str, v: &T) -> R {
        self.within(Seg::Field(variant), |p| v.serialize(p))
    }
    fn serialize_seq(self, _: Option<usize>) -> std::result::Result<Compound<'a>, ProbeError> {
        Ok(Compound {
            p: self,
            index: 0,
            key: None,
            variant: false,
        })
    }
    fn serialize_tuple(self, len: usize) -> std::result::Result<Compound<'a>, ProbeError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _: &'static str, len: usize) -> std::result::Result<Compound<'a>, ProbeError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(self, _: &'static str, _: u32, variant: &'static str, _: usize) -> std::result::Result<Compound<'a>, ProbeError> {
        self.path.push(Seg::Field(variant));
        Ok(Compound {
            p: self,
            index: 0,
            key: None,
            variant: true,
        })
    }
    fn serialize_map(self, _: Option<usize>) -> std::result::Result<Compound<'a>, ProbeError> {
        self.serialize_seq(None)
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> std::result::Result<Compound<'a>, ProbeError> {
        self.serialize_seq(None)
    }
    fn serialize_struct_variant(self, _: &'static str, _: u32, variant: &'static str, _: usize) -> std::result::Result<Compound<'a>, ProbeError> {
        self.path.push(Seg::Field(variant));
        Ok(Compound {
            p: self,
            index: 0,
            key: None,
            variant: true,
        })
    }
}

struct Compound<'a> {
    p: &'a mut Probe,
    index: usize,
    key: Option<String>,
    variant: bool,
}

impl Compound<'_> {
    fn element<T: Serialize + ?Sized>(&mut self, v: &T) -> R {
        let i = self.index;
        self.index += 1;
        self.p.within(Seg::Index(i), |p| v.serialize(p))
    }
    fn done(self) -> R {
        if self.variant {
            self.p.path.pop();
        }
        Ok(())
    }
}

impl ser::SerializeSeq for Compound<'_> {
    type Ok = ();
    type Error = ProbeError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> R {
        self.element(v)
    }
    fn end(self) -> R {
        self.done()
    }
}
impl ser::SerializeTuple for Compound<'_> {
    type Ok = ();
    type Error = ProbeError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> R {
        self.element(v)
    }
    fn end(self) -> R {
        self.done()
    }
}
impl ser::SerializeTupleStruct for Compound<'_> {
    type Ok = ();
    type Error = ProbeError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, v: &T) -> R {
        self.element(v)
    }
    fn end(self) -> R {
        self.done()
    }
}
impl ser::SerializeTupleVariant for Compound<'_> {
    type Ok = ();
    type Error = ProbeError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, v: &T) -> R {
        self.element(v)
    }
    fn end(self) -> R {
        self.done()
    }
}
impl ser::SerializeMap for Compound<'_> {
    type Ok = ();
    type Error = ProbeError;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, k: &T) -> R {
        match k.serialize(KeyProbe) {
            Ok(key) => {
                self.key = Some(key);
                Ok(())
            }
            Err(ProbeError::TooLong { path, len }) => {
                let mut prefix = String::new();
                for seg in &self.p.path {
                    prefix.push('/');
                    match seg {
                        Seg::Field(f) => prefix.push_str(f),
                        Seg::Index(i) => prefix.push_str(&i.to_string()),
                        Seg::Key(k) => prefix.push_str(k),
                    }
                }
                Err(ProbeError::TooLong { path: prefix + &path, len })
            }
            Err(ProbeError::Other) => {
                self.key = Some(String::new());
                Ok(())
            }
        }
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, v: &T) -> R {
        let key = self.key.take().unwrap_or_default();
        self.p.within(Seg::Key(key), |p| v.serialize(p))
    }
    fn end(self) -> R {
        self.done()
    }
}
impl ser::SerializeStruct for Compound<'_> {
    type Ok = ();
    type Error = ProbeError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, v: &T) -> R {
        self.p.within(Seg::Field(key), |p| v.serialize(p))
    }
    fn end(self) -> R {
        self.done()
    }
}
impl ser::SerializeStructVariant for Compound<'_> {
    type Ok = ();
    type Error = ProbeError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, v: &T) -> R {
        self.p.within(Seg::Field(key), |p| v.serialize(p))
    }
    fn end(self) -> R {
        self.done()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[derive(serde::Serialize)]
    struct Doc {
        name: String,
        items: Vec<Item>,
        map: BTreeMap<String, String>,
    }
    #[derive(serde::Serialize)]
    #[serde(rename_all = "snake_case")]
    enum Item {
        Text(String),
        Pair { a: String },
    }

    #[test]
    fn finds_the_first_long_string_with_its_path() {
        let long = "x".repeat(MAX_TEXT_BYTES + 1);
        let mut d = Doc {
            name: "ok".into(),
            items: vec![Item::Text("a".into()), Item::Pair { a: "b".into() }],
            map: BTreeMap::new(),
        };
        assert_eq!(long_string(&d), None);
        d.items.push(Item::Pair { a: long.clone() });
        assert_eq!(long_string(&d), Some(("/items/2/pair/a".into(), long.len())));
        d.items.pop();
        d.items.push(Item::Text(long.clone()));
        assert_eq!(long_string(&d), Some(("/items/2/text".into(), long.len())));
        d.items.pop();
        d.map.insert("grade".into(), long.clone());
        assert_eq!(long_string(&d), Some(("/map/grade".into(), long.len())));
        d.map.clear();
        d.map.insert(long.clone(), "v".into());
        let (path, len) = long_string(&d).unwrap();
        assert!(path.starts_with("/map/xxx") && path.len() < 120 && len == long.len(), "{path}");
    }

    #[test]
    fn trees_are_measured_without_recursion() {
        enum T {
            Leaf,
            Not(Box<T>),
            Any(Vec<T>),
        }
        fn kids(t: &T) -> Kids<'_, T> {
            match t {
                T::Leaf => Kids::None,
                T::Not(b) => Kids::One(b),
                T::Any(v) => Kids::Many(v),
            }
        }
        let mut t = T::Leaf;
        for _ in 0..100_000 {
            t = T::Not(Box::new(t));
        }
        let mut budget = usize::MAX;
        assert_eq!(measure_tree(&t, kids, MAX_CONDITION_DEPTH, &mut budget), Err(TreeExcess::Depth));
        // Free it iteratively (this test type has no iterative Drop).
        let mut cur = t;
        while let T::Not(b) = cur {
            cur = *b;
        }
        let wide = T::Any((0..50).map(|_| T::Leaf).collect());
        let mut budget = 10;
        assert_eq!(measure_tree(&wide, kids, MAX_CONDITION_DEPTH, &mut budget), Err(TreeExcess::Nodes));
        let mut budget = 100;
        assert_eq!(measure_tree(&wide, kids, MAX_CONDITION_DEPTH, &mut budget), Ok(()));
        assert_eq!(budget, 49);
        let mut budget = 100;
        assert_eq!(measure_tree(&T::Not(Box::new(T::Leaf)), kids, 0, &mut budget), Err(TreeExcess::Depth));
    }

    #[test]
    fn spec_numbers_are_bounded() {
        let ok: Dec = "999999.999999".parse().unwrap();
        assert!(spec_number(ok, ErrorCode::SpecInvalidValue, "/x").is_ok());
        for bad in ["1000000.5", "0.0000001", "-9223372036854775808", "79228162514264337593543950335"] {
            let d: Dec = bad.parse().unwrap();
            let e = spec_number(d, ErrorCode::SpecInvalidValue, "/x").unwrap_err();
            assert_eq!(e.code(), "spec.invalid_value");
        }
    }
}
