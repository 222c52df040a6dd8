//! Lists the golden-vector and fixture files (`.json`, and `.txt` for the non-JSON FHIR case) for the wasm-bindgen tests, which run inside
//! WebAssembly and cannot read the disk: `tests/vectors.rs` embeds them with `include_str!`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn json_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else { return };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            json_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "json" || x == "txt") {
            out.push(p);
        }
    }
}

fn main() {
    let manifest = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default();
    let root = Path::new(&manifest).parent().map(Path::to_path_buf).unwrap_or_default();
    let mut src = String::new();
    for (name, sub) in [("VECTOR_FILES", "tests/vectors"), ("FIXTURE_FILES", "tests/fixtures")] {
        let dir = root.join(sub);
        println!("cargo:rerun-if-changed={}", dir.display());
        let mut files = Vec::new();
        json_files(&dir, &mut files);
        files.sort();
        let _ = writeln!(
            src,
            "/// `(path relative to the repository root, contents)`\npub const {name}: &[(&str, &str)] = &["
        );
        for f in &files {
            let rel = f.strip_prefix(&root).unwrap_or(f).to_string_lossy().replace('\\', "/");
            if let Some(parent) = f.parent() {
                println!("cargo:rerun-if-changed={}", parent.display());
            }
            let _ = writeln!(src, "    ({rel:?}, include_str!({:?})),", f.to_string_lossy());
        }
        src.push_str("];\n");
    }
    let out = Path::new(&std::env::var("OUT_DIR").unwrap_or_default()).join("embedded_files.rs");
    if let Err(e) = std::fs::write(&out, src) {
        println!("cargo:warning=cannot write {}: {e}", out.display());
    }
}
