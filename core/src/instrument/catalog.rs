//! The built-in catalog: instrument specs shipped as data files in `core/catalog/`,
//! parsed, linted and compiled once on first use.
//!
//! A platform adds its own (e.g. the licensed MHT key) with [`Catalog::with_instrument`].

use crate::error::{Error, ErrorCode, Result};
use crate::instrument::Instrument;
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// Built-in specs: `(id, JSON)`. The JSON files live beside this code in `core/catalog/`.
pub const BUILTIN_SPECS: &[(&str, &str)] = &[
    ("phq9", include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/catalog/phq9.json"))),
    ("phq_a", include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/catalog/phq_a.json"))),
    ("gad7", include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/catalog/gad7.json"))),
    ("asq", include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/catalog/asq.json"))),
    ("cesd", include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/catalog/cesd.json"))),
    ("cesdc", include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/catalog/cesdc.json"))),
    ("k6", include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/catalog/k6.json"))),
    ("k10", include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/catalog/k10.json"))),
    ("rses", include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/catalog/rses.json"))),
    ("scared", include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/catalog/scared.json"))),
    ("pss10", include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/catalog/pss10.json"))),
    ("dsrsc", include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/catalog/dsrsc.json"))),
    ("cssrs_screen", include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/catalog/cssrs_screen.json"))),
    ("sdq_s11_17", include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/catalog/sdq_s11_17.json"))),
    ("scl90", include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/catalog/scl90.json"))),
    ("mssmhs", include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/catalog/mssmhs.json"))),
];

/// A set of compiled instruments keyed by id.
#[derive(Clone, Debug, Default)]
pub struct Catalog {
    instruments: BTreeMap<String, Instrument>,
    /// Built-in specs that failed to compile (never expected; kept so no call panics).
    errors: Vec<(String, Error)>,
}

static BUILTIN: OnceLock<Catalog> = OnceLock::new();

impl Catalog {
    /// The built-in catalog (compiled once, shared).
    pub fn builtin() -> &'static Catalog {
        BUILTIN.get_or_init(|| {
            let mut c = Catalog::default();
            for (id, json) in BUILTIN_SPECS {
                match Instrument::from_json(json) {
                    Ok(i) if i.id() == *id => {
                        c.instruments.insert((*id).to_owned(), i);
                    }
                    Ok(i) => c.errors.push((
                        (*id).to_owned(),
                        Error::new(ErrorCode::SpecInvalidValue, "/id", format!("catalog file {id}.json declares id {:?}", i.id())),
                    )),
                    Err(e) => c.errors.push(((*id).to_owned(), e)),
                }
            }
            c
        })
    }

    /// An empty catalog.
    pub fn empty() -> Catalog {
        Catalog::default()
    }

    /// A copy of this catalog with one more (or a replaced) instrument.
    pub fn with_instrument(&self, instrument: Instrument) -> Catalog {
        let mut c = self.clone();
        c.instruments.insert(instrument.id().to_owned(), instrument);
        c
    }

    /// The instrument with this id, with its default settings.
    pub fn instrument(&self, id: &str) -> Result<Instrument> {
        if let Some(i) = self.instruments.get(id) {
            return Ok(i.clone());
        }
        if let Some((_, e)) = self.errors.iter().find(|(i, _)| i == id) {
            return Err(e.clone());
        }
        Err(Error::new(
            ErrorCode::CatalogUnknownInstrument,
            format!("/{}", crate::error::excerpt_raw(id)),
            format!(
                "no instrument {} in the catalog (known: {})",
                crate::error::excerpt(id),
                self.ids().collect::<Vec<_>>().join(", ")
            ),
        ))
    }

    /// The instrument with this id and the given setting options.
    pub fn instrument_with(&self, id: &str, settings: &BTreeMap<String, String>) -> Result<Instrument> {
        let base = self.instrument(id)?;
        if settings.is_empty() {
            return Ok(base);
        }
        base.with_settings(settings)
    }

    /// Whether the catalog holds an instrument with this id (no error built).
    pub fn contains(&self, id: &str) -> bool {
        self.instruments.contains_key(id)
    }

    /// Instrument ids, sorted.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.instruments.keys().map(String::as_str)
    }

    /// Instruments, sorted by id.
    pub fn instruments(&self) -> impl Iterator<Item = &Instrument> {
        self.instruments.values()
    }

    /// Built-in specs that failed lint (empty in a correct build; a test asserts it).
    pub fn load_errors(&self) -> &[(String, Error)] {
        &self.errors
    }
}
