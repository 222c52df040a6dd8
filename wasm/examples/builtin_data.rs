//! Writes the package's built-in data (`changkaixin.wasm-data/1`): the core's own built-in
//! catalog specs, alert policy and compliance packs, as `(id, JSON text)` lists with the
//! whitespace between JSON tokens removed (nothing else changes). `run-tests.sh` wraps it into
//! `changkaixin_data.js` for each target; the entry point passes it to `installBuiltinData`.
//!
//! Usage: `cargo run -p changkaixin-wasm --example builtin_data -- OUT.json`
#![allow(clippy::print_stdout, clippy::print_stderr)]

use changkaixin_core::alert::CHANGZHOU_DEFAULT_JSON;
use changkaixin_core::instrument::catalog::BUILTIN_SPECS;

/// The JSON text without whitespace outside strings.
fn minify(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    let (mut in_string, mut escaped) = (false, false);
    for c in json.chars() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
            out.push(c);
        } else if !c.is_whitespace() {
            out.push(c);
        }
    }
    out
}

fn list(items: &[(&str, &str)]) -> serde_json::Value {
    items.iter().map(|(id, text)| serde_json::json!([id, minify(text)])).collect()
}

fn main() {
    let Some(out) = std::env::args().nth(1) else {
        eprintln!("usage: builtin_data OUT.json");
        std::process::exit(2);
    };
    let doc = serde_json::json!({
        "format": "changkaixin.wasm-data/1",
        "instruments": list(BUILTIN_SPECS),
        "policies": list(&[("changzhou_default", CHANGZHOU_DEFAULT_JSON)]),
        "packs": list(&[
            ("changzhou_2022_2024", changkaixin_core::compliance::CHANGZHOU_2022_2024_JSON),
            ("national_2023", changkaixin_core::compliance::NATIONAL_2023_JSON),
        ]),
    });
    // Every text must still be the same JSON value.
    for (_, text) in BUILTIN_SPECS.iter().chain([("", CHANGZHOU_DEFAULT_JSON)].iter()) {
        let a: serde_json::Value = serde_json::from_str(text).unwrap_or_default();
        let b: serde_json::Value = serde_json::from_str(&minify(text)).unwrap_or_default();
        if a != b || a.is_null() {
            eprintln!("minify changed a built-in text");
            std::process::exit(1);
        }
    }
    if let Err(e) = std::fs::write(&out, doc.to_string()) {
        eprintln!("cannot write {out}: {e}");
        std::process::exit(1);
    }
    println!("wrote {out}: {} instruments, 1 policy, 2 compliance packs", BUILTIN_SPECS.len());
}
