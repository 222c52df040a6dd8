//! The built-in data — the catalog's instrument specs, the Changzhou default alert policy and
//! the compliance requirement packs — crosses into the module as data at load time instead of
//! being compiled in (compiled in, it took about 60 KB of the 400 KB gzipped budget).
//!
//! The package's entry point (`index.js`) passes the texts of `changkaixin_data.js` — written
//! by `wasm/examples/builtin_data.rs` from the core's own constants (`BUILTIN_SPECS`,
//! `CHANGZHOU_DEFAULT_JSON`, the packs), whitespace removed and nothing else changed — once
//! with [`install_builtin_data`]. Each text is then parsed, linted and compiled by the core
//! exactly as `Catalog::builtin()` does, so a built-in instrument or policy here is the
//! server's. A build with the cargo feature `builtin-data` compiles the core's texts in instead
//! (used when nothing was installed; about 50 KB gzipped more). Nothing in this binding calls `Catalog::builtin()` or the core's built-in policy
//! constructors, so the linker drops the compiled-in copies.

use crate::error::to_js;
#[cfg(feature = "alert")]
use changkaixin_core::alert::CompiledPolicy;
#[cfg(feature = "archive")]
use changkaixin_core::archive::RecordKind;
use changkaixin_core::{Catalog, Error, ErrorCode, Instrument};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::OnceLock;
use wasm_bindgen::prelude::*;

/// The format tag of the data module.
pub const DATA_FORMAT: &str = "changkaixin.wasm-data/1";

/// The data module's shape: `(id, JSON text)` lists.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DataIn {
    format: String,
    instruments: Vec<(String, String)>,
    policies: Vec<(String, String)>,
    #[serde(default)]
    packs: Vec<(String, String)>,
    /// The archive record schemas, `("<kind>.v<version>", JSON text)`: the core's exported
    /// schemas (what `schemas/` holds), read as data by the archive module's validation and
    /// `recordSchema` so that the module carries no schema generator.
    #[serde(default)]
    schemas: Vec<(String, String)>,
}

/// The installed built-in data.
pub(crate) struct Builtin {
    /// The built-in catalog (every spec compiled).
    pub(crate) catalog: Catalog,
    /// Policy texts by id.
    #[cfg_attr(not(feature = "alert"), allow(dead_code))]
    pub(crate) policies: BTreeMap<String, String>,
    /// Compliance pack texts by id.
    #[cfg_attr(not(feature = "compliance"), allow(dead_code))]
    pub(crate) packs: BTreeMap<String, String>,
    /// The archive record schemas (every kind at every version), parsed.
    #[cfg(feature = "archive")]
    pub(crate) schemas: Vec<(RecordKind, u32, serde_json::Value)>,
}

static DATA: OnceLock<Builtin> = OnceLock::new();
static EMPTY: OnceLock<Catalog> = OnceLock::new();
#[cfg(feature = "alert")]
static CHANGZHOU: OnceLock<Result<CompiledPolicy, Error>> = OnceLock::new();

fn not_installed(code: ErrorCode, path: &str) -> Error {
    Error::new(
        code,
        path,
        "the built-in data is not installed: load the package through its entry point (index.js), which calls installBuiltinData",
    )
}

/// Install the built-in data (called once by the package entry point; a second call throws).
/// Every spec must compile and declare the id it is listed under.
#[wasm_bindgen(js_name = installBuiltinData)]
pub fn install_builtin_data(#[wasm_bindgen(unchecked_param_type = "BuiltinData")] data: JsValue) -> Result<(), JsValue> {
    if DATA.get().is_some() {
        return Err(to_js(&Error::new(ErrorCode::SpecInvalidValue, "", "the built-in data is already installed")));
    }
    let d: DataIn = crate::json::from_js(&data, ErrorCode::SpecParse)?;
    if d.format != DATA_FORMAT {
        return Err(to_js(&Error::new(
            ErrorCode::SpecUnsupportedFormat,
            "/format",
            format!("expected {DATA_FORMAT}, got {:?}", d.format),
        )));
    }
    let builtin = build(d.instruments.iter().map(|(a, b)| (a.as_str(), b.as_str())), d.policies, d.packs, d.schemas).map_err(|e| to_js(&e))?;
    // A concurrent install cannot happen (one thread); if it did, the first one stays.
    let _ = DATA.set(builtin);
    Ok(())
}

fn build<'a>(
    instruments: impl Iterator<Item = (&'a str, &'a str)>,
    policies: Vec<(String, String)>,
    packs: Vec<(String, String)>,
    #[cfg_attr(not(feature = "archive"), allow(unused_variables))] schemas: Vec<(String, String)>,
) -> changkaixin_core::Result<Builtin> {
    let mut catalog = Catalog::empty();
    for (i, (id, text)) in instruments.enumerate() {
        let inst = Instrument::from_json(text).map_err(|e| e.prefixed(&format!("/instruments/{i} ({id}): ")))?;
        if inst.id() != id {
            return Err(Error::new(
                ErrorCode::SpecInvalidValue,
                format!("/instruments/{i}"),
                format!("catalog file {id}.json declares id {:?}", inst.id()),
            ));
        }
        catalog = catalog.with_instrument(inst);
    }
    Ok(Builtin {
        catalog,
        policies: policies.into_iter().collect(),
        packs: packs.into_iter().collect(),
        #[cfg(feature = "archive")]
        schemas: record_schemas(schemas)?,
    })
}

/// The archive schemas of the data, parsed: every kind at every version exactly once, each
/// named `<kind>.v<version>` and a JSON object.
#[cfg(feature = "archive")]
fn record_schemas(texts: Vec<(String, String)>) -> changkaixin_core::Result<Vec<(RecordKind, u32, serde_json::Value)>> {
    let mut out: Vec<(RecordKind, u32, serde_json::Value)> = Vec::new();
    for (i, (name, text)) in texts.iter().enumerate() {
        let at = || format!("/schemas/{i}");
        let kv = name
            .split_once(".v")
            .and_then(|(k, v)| Some((RecordKind::from_name(k)?, v.parse::<u32>().ok()?)));
        let Some((kind, version)) = kv.filter(|(k, v)| k.versions().contains(v)) else {
            return Err(Error::new(
                ErrorCode::ArchiveUnknownSchema,
                at(),
                format!("{name:?} is no archive record kind and version"),
            ));
        };
        if out.iter().any(|(k, v, _)| (*k, *v) == (kind, version)) {
            return Err(Error::new(ErrorCode::ArchiveUnknownSchema, at(), format!("{name} is given twice")));
        }
        let value: serde_json::Value = serde_json::from_str(text).map_err(|e| Error::new(ErrorCode::ArchiveParse, at(), e.to_string()))?;
        if !value.is_object() {
            return Err(Error::new(ErrorCode::ArchiveParse, at(), format!("the schema {name} is not a JSON object")));
        }
        out.push((kind, version, value));
    }
    for &k in RecordKind::ALL {
        for v in k.versions() {
            if !out.iter().any(|(a, b, _)| (*a, *b) == (k, v)) {
                return Err(Error::new(
                    ErrorCode::ArchiveUnknownSchema,
                    "/schemas",
                    format!("the schema {}.v{v} is missing", k.name()),
                ));
            }
        }
    }
    Ok(out)
}

/// The archive schema of `kind` at `version` (`Ok(None)`: no such version), or a clear error
/// when the data is not installed.
#[cfg(feature = "archive")]
pub(crate) fn record_schema(kind: RecordKind, version: u32) -> changkaixin_core::Result<Option<&'static serde_json::Value>> {
    let d = data().ok_or_else(|| not_installed(ErrorCode::ArchiveUnknownSchema, ""))?;
    Ok(d.schemas.iter().find(|(k, v, _)| (*k, *v) == (kind, version)).map(|(_, _, s)| s))
}

/// The installed data; in a build with the `builtin-data` feature, the core's own compiled-in
/// texts when nothing was installed.
fn data() -> Option<&'static Builtin> {
    #[cfg(feature = "builtin-data")]
    if DATA.get().is_none() {
        use changkaixin_core::instrument::catalog::BUILTIN_SPECS;
        let owned = |l: &[(&str, &str)]| l.iter().map(|(a, b)| ((*a).to_owned(), (*b).to_owned())).collect::<Vec<_>>();
        let policies = owned(&[("changzhou_default", changkaixin_core::alert::CHANGZHOU_DEFAULT_JSON)]);
        let packs = owned(&[
            ("changzhou_2022_2024", changkaixin_core::compliance::CHANGZHOU_2022_2024_JSON),
            ("national_2023", changkaixin_core::compliance::NATIONAL_2023_JSON),
        ]);
        // The schemas as the core generates them (this build carries the generator).
        #[cfg(feature = "archive")]
        let schemas = changkaixin_core::archive::exported_schemas()
            .into_iter()
            .map(|(file, text)| (file.trim_end_matches(".schema.json").to_owned(), text))
            .collect();
        #[cfg(not(feature = "archive"))]
        let schemas = Vec::new();
        if let Ok(b) = build(BUILTIN_SPECS.iter().copied(), policies, packs, schemas) {
            let _ = DATA.set(b);
        }
    }
    DATA.get()
}

/// The built-in compliance pack texts (empty before the data is installed).
#[cfg(feature = "compliance")]
pub(crate) fn pack_texts() -> &'static BTreeMap<String, String> {
    static NONE: BTreeMap<String, String> = BTreeMap::new();
    data().map_or(&NONE, |d| &d.packs)
}

/// The built-in catalog (empty before the data is installed).
pub(crate) fn catalog() -> &'static Catalog {
    match data() {
        Some(d) => &d.catalog,
        None => EMPTY.get_or_init(Catalog::empty),
    }
}

/// A built-in catalog instrument, or a clear error when the data is not installed.
pub(crate) fn instrument(id: &str, settings: &BTreeMap<String, String>) -> changkaixin_core::Result<Instrument> {
    match data() {
        Some(d) => d.catalog.instrument_with(id, settings),
        None => Err(not_installed(ErrorCode::CatalogUnknownInstrument, "")),
    }
}

/// The text of a built-in policy.
#[cfg(feature = "alert")]
pub(crate) fn policy_text(id: &str) -> changkaixin_core::Result<&'static str> {
    let d = data().ok_or_else(|| not_installed(ErrorCode::PolicyParse, ""))?;
    d.policies
        .get(id)
        .map(String::as_str)
        .ok_or_else(|| Error::new(ErrorCode::PolicyParse, "", format!("no built-in policy {id:?}")))
}

/// The built-in Changzhou default policy compiled against the built-in catalog (once).
#[cfg(feature = "alert")]
pub(crate) fn changzhou_default() -> changkaixin_core::Result<&'static CompiledPolicy> {
    if data().is_none() {
        return Err(not_installed(ErrorCode::PolicyParse, ""));
    }
    CHANGZHOU
        .get_or_init(|| CompiledPolicy::from_json(policy_text("changzhou_default")?, catalog()))
        .as_ref()
        .map_err(Clone::clone)
}
