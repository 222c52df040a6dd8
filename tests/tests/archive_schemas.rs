//! The JSON Schemas under `schemas/` are generated from the record types (`schemars`): this test
//! regenerates them and fails when a committed file differs, so the exported schemas, the types
//! and the validator (which walks the same schemas) stay in sync.
//!
//! `UPDATE_SCHEMAS=1 cargo test -p changkaixin-tests --test archive_schemas` rewrites `schemas/`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use changkaixin_core::archive::{exported_schemas, RecordKind};
use changkaixin_tests::repo_root;
use std::collections::BTreeSet;

#[test]
fn committed_schemas_are_in_sync_with_the_code() {
    let dir = repo_root().join("schemas");
    let update = std::env::var("UPDATE_SCHEMAS").is_ok();
    if update {
        std::fs::create_dir_all(&dir).unwrap();
    }
    let mut expected = BTreeSet::new();
    let mut stale = Vec::new();
    for (name, text) in exported_schemas() {
        let path = dir.join(&name);
        expected.insert(name.clone());
        if update {
            std::fs::write(&path, &text).unwrap();
            continue;
        }
        match std::fs::read_to_string(&path) {
            Ok(committed) if committed == text => {}
            Ok(_) => stale.push(format!("{name}: differs from the code")),
            Err(_) => stale.push(format!("{name}: missing")),
        }
    }
    let present: BTreeSet<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".schema.json"))
        .collect();
    for extra in present.difference(&expected) {
        stale.push(format!("{extra}: no record type exports it"));
    }
    assert!(stale.is_empty(), "schemas/ is out of sync (run with UPDATE_SCHEMAS=1):\n{}", stale.join("\n"));
    // One schema per record kind and version.
    let n: usize = RecordKind::ALL.iter().map(|k| k.versions().count()).sum();
    assert_eq!(expected.len(), n);
}
