//! A small, strict JSON reader for FHIR resources that keeps every number as its literal text.
//!
//! FHIR decimals are JSON numbers, and `serde_json` (without `arbitrary_precision`, which would
//! change how every `Deserialize` in the workspace sees numbers) hands them over as `f64`: `2.50`
//! and `0.1` are no longer what was written. This reader keeps the literal, so weights, numeric
//! answers and stored totals are read exactly with `rust_decimal`. It is RFC 8259 strict (no
//! trailing commas, no comments, no control characters in strings), rejects duplicate object keys
//! (FHIR JSON forbids them, and "last one wins" would let a second value hide behind the first),
//! accepts a leading UTF-8 byte-order mark, and bounds nesting at [`MAX_DEPTH`] so hostile input
//! cannot exhaust the stack.

use crate::error::{Error, ErrorCode, Result};
use rust_decimal::Decimal;
use std::collections::BTreeSet;

/// Deepest array/object nesting accepted (real questionnaires use about 20 levels).
pub const MAX_DEPTH: usize = 100;

/// A parsed JSON value; numbers keep their literal text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum J {
    Null,
    Bool(bool),
    /// The number exactly as written (`"2.50"`, `"-0"`, `"1e2"`).
    Num(String),
    Str(String),
    Arr(Vec<J>),
    /// Members in document order (keys are unique).
    Obj(Vec<(String, J)>),
}

impl J {
    /// The member `key` of an object.
    pub(crate) fn get(&self, key: &str) -> Option<&J> {
        match self {
            J::Obj(m) => m.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
    pub(crate) fn as_str(&self) -> Option<&str> {
        match self {
            J::Str(s) => Some(s),
            _ => None,
        }
    }
    pub(crate) fn as_array(&self) -> Option<&[J]> {
        match self {
            J::Arr(a) => Some(a),
            _ => None,
        }
    }
    pub(crate) fn as_object(&self) -> Option<&[(String, J)]> {
        match self {
            J::Obj(m) => Some(m),
            _ => None,
        }
    }
    pub(crate) fn as_bool(&self) -> Option<bool> {
        match self {
            J::Bool(b) => Some(*b),
            _ => None,
        }
    }
    /// The number literal, if this is a number.
    pub(crate) fn as_num(&self) -> Option<&str> {
        match self {
            J::Num(n) => Some(n),
            _ => None,
        }
    }
    /// `get(key)` as a string.
    pub(crate) fn str_at(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(J::as_str)
    }
    /// `get(key)` as an array; absent gives an empty slice.
    pub(crate) fn arr_at(&self, key: &str) -> &[J] {
        self.get(key).and_then(J::as_array).unwrap_or(&[])
    }
    /// The JSON type name, for messages.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            J::Null => "null",
            J::Bool(_) => "a boolean",
            J::Num(_) => "a number",
            J::Str(_) => "a string",
            J::Arr(_) => "an array",
            J::Obj(_) => "an object",
        }
    }
}

/// The exact value of a JSON number literal (exponents allowed); `None` beyond `rust_decimal`'s
/// 28 significant digits or its range.
pub(crate) fn exact_decimal(literal: &str) -> Option<Decimal> {
    if literal.contains(['e', 'E']) {
        Decimal::from_scientific(literal).ok()
    } else {
        Decimal::from_str_exact(literal).ok()
    }
}

/// Parse a whole document.
pub(crate) fn parse(text: &str) -> Result<J> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut p = Parser { b: text.as_bytes(), i: 0 };
    p.ws();
    let v = p.value(0)?;
    p.ws();
    if p.i < p.b.len() {
        return Err(p.err("unexpected text after the JSON value"));
    }
    Ok(v)
}

struct Parser<'a> {
    b: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn err(&self, msg: &str) -> Error {
        let upto = &self.b[..self.i.min(self.b.len())];
        let line = upto.iter().filter(|&&c| c == b'\n').count() + 1;
        let col = upto.iter().rev().take_while(|&&c| c != b'\n').count() + 1;
        Error::new(ErrorCode::FhirParse, format!("line {line} column {col}"), format!("not valid JSON: {msg}"))
    }
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }
    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }
    fn lit(&mut self, word: &[u8], v: J) -> Result<J> {
        if self.b.get(self.i..self.i + word.len()) == Some(word) {
            self.i += word.len();
            Ok(v)
        } else {
            Err(self.err("expected a value"))
        }
    }
    fn value(&mut self, depth: usize) -> Result<J> {
        match self.peek() {
            Some(b'{') => self.object(depth + 1),
            Some(b'[') => self.array(depth + 1),
            Some(b'"') => self.string().map(J::Str),
            Some(b't') => self.lit(b"true", J::Bool(true)),
            Some(b'f') => self.lit(b"false", J::Bool(false)),
            Some(b'n') => self.lit(b"null", J::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => Err(self.err("expected a value")),
            None => Err(self.err("unexpected end of input")),
        }
    }
    fn enter(&self, depth: usize) -> Result<()> {
        if depth > MAX_DEPTH {
            return Err(Error::new(
                ErrorCode::FhirLimit,
                format!("line {} column {}", self.line(), self.col()),
                format!("JSON nested deeper than {MAX_DEPTH} levels"),
            ));
        }
        Ok(())
    }
    fn line(&self) -> usize {
        self.b[..self.i.min(self.b.len())].iter().filter(|&&c| c == b'\n').count() + 1
    }
    fn col(&self) -> usize {
        self.b[..self.i.min(self.b.len())].iter().rev().take_while(|&&c| c != b'\n').count() + 1
    }
    fn object(&mut self, depth: usize) -> Result<J> {
        self.enter(depth)?;
        self.i += 1; // '{'
        let mut members = Vec::new();
        let mut keys = BTreeSet::new();
        self.ws();
        if self.peek() == Some(b'}') {
            self.i += 1;
            return Ok(J::Obj(members));
        }
        loop {
            self.ws();
            if self.peek() != Some(b'"') {
                return Err(self.err("expected a member name in double quotes"));
            }
            let key = self.string()?;
            if !keys.insert(key.clone()) {
                return Err(self.err(&format!("duplicate member name {:?}", crate::fhir::short(&key))));
            }
            self.ws();
            if self.peek() != Some(b':') {
                return Err(self.err("expected ':'"));
            }
            self.i += 1;
            self.ws();
            let v = self.value(depth)?;
            members.push((key, v));
            self.ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b'}') => {
                    self.i += 1;
                    return Ok(J::Obj(members));
                }
                _ => return Err(self.err("expected ',' or '}'")),
            }
        }
    }
    fn array(&mut self, depth: usize) -> Result<J> {
        self.enter(depth)?;
        self.i += 1; // '['
        let mut items = Vec::new();
        self.ws();
        if self.peek() == Some(b']') {
            self.i += 1;
            return Ok(J::Arr(items));
        }
        loop {
            self.ws();
            items.push(self.value(depth)?);
            self.ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b']') => {
                    self.i += 1;
                    return Ok(J::Arr(items));
                }
                _ => return Err(self.err("expected ',' or ']'")),
            }
        }
    }
    fn string(&mut self) -> Result<String> {
        let mut at = self.i;
        let r = crate::json_string::read(self.b, &mut at);
        self.i = at;
        r.map_err(|m| self.err(m))
    }
    fn digits(&mut self) -> usize {
        let start = self.i;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.i += 1;
        }
        self.i - start
    }
    fn number(&mut self) -> Result<J> {
        let start = self.i;
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        match self.peek() {
            Some(b'0') => self.i += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(self.err("bad number")),
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            if self.digits() == 0 {
                return Err(self.err("bad number: no digits after '.'"));
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i += 1;
            }
            if self.digits() == 0 {
                return Err(self.err("bad number: no digits in the exponent"));
            }
        }
        let lit = std::str::from_utf8(&self.b[start..self.i]).map_err(|_| self.err("bad number"))?;
        Ok(J::Num(lit.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_number_literals() {
        let v = parse("{\"a\": [2.50, -0, 1e2, 13], \"b\": \"x\\u00e9\\ud83d\\ude00\"}").unwrap();
        let a = v.arr_at("a");
        assert_eq!(a.iter().map(|x| x.as_num().unwrap()).collect::<Vec<_>>(), vec!["2.50", "-0", "1e2", "13"]);
        assert_eq!(exact_decimal("2.50").unwrap().to_string(), "2.50");
        assert_eq!(exact_decimal("1e2").unwrap(), Decimal::from(100));
        assert_eq!(v.str_at("b"), Some("xé😀"));
    }

    #[test]
    fn is_strict() {
        for bad in [
            "",
            "{",
            "[1,]",
            "{\"a\":1,}",
            "01",
            "1.",
            "-",
            "\"\\x\"",
            "{\"a\":1}x",
            "{\"a\":1,\"a\":2}",
            "\"\u{1}\"",
            "[\"\\ud800\"]",
            "tru",
            "nul",
        ] {
            let e = parse(bad).unwrap_err();
            assert_eq!(e.code(), "fhir.parse", "{bad:?}");
        }
        assert!(parse("\u{feff} {\"a\": null} ").is_ok());
    }

    fn to_value(j: &J) -> serde_json::Value {
        use serde_json::Value;
        match j {
            J::Null => Value::Null,
            J::Bool(b) => Value::Bool(*b),
            J::Num(n) => serde_json::from_str(n).unwrap(),
            J::Str(s) => Value::String(s.clone()),
            J::Arr(a) => Value::Array(a.iter().map(to_value).collect()),
            J::Obj(m) => Value::Object(m.iter().map(|(k, v)| (k.clone(), to_value(v))).collect()),
        }
    }

    proptest::proptest! {
        /// Whatever serde_json writes (compact or pretty), this reader reads back to the same value.
        #[test]
        fn agrees_with_serde_json(v in arb_json()) {
            for text in [serde_json::to_string(&v).unwrap(), serde_json::to_string_pretty(&v).unwrap()] {
                let j = parse(&text).unwrap();
                proptest::prop_assert_eq!(to_value(&j), v.clone());
            }
        }

        /// Arbitrary text never panics, and whatever this reader accepts serde_json accepts too.
        #[test]
        fn never_panics(s in "\\PC{0,64}|[\\[\\]{}\",:0-9eE.+\\-tnfrul ]{0,64}") {
            if parse(&s).is_ok() {
                proptest::prop_assert!(serde_json::from_str::<serde_json::Value>(&s).is_ok(), "{s:?}");
            }
        }
    }

    fn arb_json() -> impl proptest::strategy::Strategy<Value = serde_json::Value> {
        use proptest::prelude::*;
        use serde_json::Value;
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            "\\PC{0,12}".prop_map(Value::String),
        ];
        leaf.prop_recursive(6, 64, 8, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                proptest::collection::btree_map("[a-z\\u{e9}\\u{4e00}\"\\\\]{0,6}", inner, 0..6).prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    #[test]
    fn bounds_nesting() {
        let deep = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
        assert_eq!(parse(&deep).unwrap_err().code(), "fhir.limit");
        let ok = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        assert!(parse(&ok).is_ok());
        let huge = "[".repeat(1_000_000);
        assert_eq!(parse(&huge).unwrap_err().code(), "fhir.limit");
    }
}
