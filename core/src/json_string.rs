//! One JSON string token read from bytes: the strict reader the FHIR parser uses
//! ([`crate::fhir`]) and the resource-limit scan over a spec's or policy's JSON text
//! ([`crate::limits`]) share it.

/// Read the string token whose opening quote is at `b[*i]`: RFC 8259 strict (no control
/// characters, valid escapes, surrogate pairs joined, valid UTF-8). On success `*i` is just past
/// the closing quote; on failure `*i` is where the problem is, for the caller's position.
pub(crate) fn read(b: &[u8], i: &mut usize) -> Result<String, &'static str> {
    let hex4 = |i: &mut usize| -> Result<u32, &'static str> {
        let s = b.get(*i..*i + 4).ok_or("truncated \\u escape")?;
        let mut v = 0u32;
        for &c in s {
            v = v * 16 + (c as char).to_digit(16).ok_or("bad \\u escape")?;
        }
        *i += 4;
        Ok(v)
    };
    *i += 1; // opening quote
    let mut out: Vec<u8> = Vec::new();
    loop {
        let Some(&c) = b.get(*i) else {
            return Err("unterminated string");
        };
        match c {
            b'"' => {
                *i += 1;
                break;
            }
            b'\\' => {
                *i += 1;
                let e = *b.get(*i).ok_or("unterminated string")?;
                *i += 1;
                let ch = match e {
                    b'"' => '"',
                    b'\\' => '\\',
                    b'/' => '/',
                    b'b' => '\u{8}',
                    b'f' => '\u{c}',
                    b'n' => '\n',
                    b'r' => '\r',
                    b't' => '\t',
                    b'u' => {
                        let hi = hex4(i)?;
                        let cp = if (0xD800..0xDC00).contains(&hi) {
                            if b.get(*i..*i + 2) != Some(b"\\u") {
                                return Err("lone surrogate in \\u escape");
                            }
                            *i += 2;
                            let lo = hex4(i)?;
                            if !(0xDC00..0xE000).contains(&lo) {
                                return Err("lone surrogate in \\u escape");
                            }
                            0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                        } else {
                            hi
                        };
                        char::from_u32(cp).ok_or("lone surrogate in \\u escape")?
                    }
                    _ => return Err("bad escape in string"),
                };
                let mut buf = [0u8; 4];
                out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
            }
            0..=0x1f => return Err("control character in string"),
            _ => {
                // A run of ordinary bytes (runs end only at ASCII bytes, so whole characters of
                // valid UTF-8 are copied; invalid UTF-8 is caught below).
                let start = *i;
                while matches!(b.get(*i), Some(&c) if c != b'"' && c != b'\\' && c >= 0x20) {
                    *i += 1;
                }
                out.extend_from_slice(&b[start..*i]);
            }
        }
    }
    String::from_utf8(out).map_err(|_| "invalid UTF-8 in string")
}

#[cfg(test)]
mod tests {
    use super::read;

    #[test]
    fn reads_what_serde_json_writes_and_rejects_what_is_not_json() {
        for text in ["plain", "q\"b\\s/", "\n\t\r\u{8}\u{c}\u{1}", "中文 😀", ""] {
            let json = serde_json::to_string(text).unwrap();
            let mut i = 0;
            assert_eq!(read(json.as_bytes(), &mut i).as_deref(), Ok(text), "{json}");
            assert_eq!(i, json.len());
        }
        let mut i = 0;
        assert_eq!(read(br#""\ud83d\ude00\/\u00e9"x"#, &mut i).as_deref(), Ok("😀/é"));
        assert_eq!(i, 22);
        for (bad, msg) in [
            (&br#""\x""#[..], "bad escape in string"),
            (br#""\ud83d\u0041""#, "lone surrogate in \\u escape"),
            (br#""ab"#, "unterminated string"),
            (b"\"a\nb\"", "control character in string"),
            (br#""\u12"#, "truncated \\u escape"),
        ] {
            assert_eq!(read(bad, &mut 0), Err(msg), "{bad:?}");
        }
    }
}
