//! Report verification (`Instrument::verify_report`), as properties over every built-in
//! instrument, every setting option and the MHT-shaped fixture:
//!
//! 1. Every report the engine produces verifies, also after a JSON round trip (no false alarms).
//! 2. Edits the report's own values expose are refused with a typed error and a path: a raw value
//!    beyond its scale's range, a band that does not follow from the value, an unknown flag, a
//!    wrong version or setting, item counts that do not add up.
//! 3. A report verifies only against the instrument variant (settings) that produced it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use changkaixin_core::instrument::spec::FlagLevel;
use changkaixin_core::scoring::report::{BandResult, FlagResult, Verdict};
use changkaixin_core::{Answer, Catalog, Dec, Instrument, Response, ScoreReport};
use proptest::prelude::*;
use std::collections::BTreeMap;

fn instruments() -> &'static [Instrument] {
    changkaixin_tests::instrument_variants()
}

/// A cell: 0..=9 pick an option (modulo the count), 10 missing, 11 refused.
fn cells(n: usize) -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(prop_oneof![12 => 0u8..10, 1 => Just(10u8), 1 => Just(11u8)], n)
}

fn response(inst: &Instrument, cells: &[u8], group: u8, seconds: Option<u16>) -> Response {
    let mut r = Response::default();
    for (i, &c) in cells.iter().take(inst.item_count()).enumerate() {
        let a = match c {
            10 => Answer::Missing,
            11 => Answer::Refused,
            k => {
                let codes = inst.option_codes(i as u32 + 1).unwrap();
                Answer::Code(codes[k as usize % codes.len()])
            }
        };
        r.answers.insert((i + 1).to_string(), a);
    }
    let norms = &inst.spec().norms;
    if !norms.is_empty() {
        r.group = norms[group as usize % norms.len()].group.clone();
    }
    if let Some(s) = seconds {
        r.started_at = Some("2024-03-01T08:00:00Z".to_owned());
        r.finished_at = Some(format!("2024-03-01T08:{:02}:{:02}Z", (s / 60) % 60, s % 60));
    }
    r
}

fn report(pick: usize, cells: &[u8], group: u8, seconds: Option<u16>) -> (&'static Instrument, ScoreReport) {
    let inst = &instruments()[pick % instruments().len()];
    (inst, inst.score(&response(inst, cells, group, seconds)).unwrap())
}

fn refused(inst: &Instrument, r: &ScoreReport, code: &str, path_prefix: &str) -> Result<(), TestCaseError> {
    match inst.verify_report(r) {
        Ok(()) => Err(TestCaseError::fail(format!(
            "{}: tampered report accepted ({code} at {path_prefix})",
            inst.id()
        ))),
        Err(e) => {
            prop_assert_eq!(e.code(), code, "{}: {}", inst.id(), e);
            prop_assert!(
                e.path().starts_with(path_prefix),
                "{}: path {} (expected {}…)",
                inst.id(),
                e.path(),
                path_prefix
            );
            Ok(())
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 768, ..ProptestConfig::default() })]

    /// Every engine-made report verifies against its instrument and against the catalog, also
    /// after a JSON round trip.
    #[test]
    fn engine_reports_verify(pick in 0usize..10_000, c in cells(100), g in 0u8..255, secs in proptest::option::of(0u16..3600)) {
        let (inst, r) = report(pick, &c, g, secs);
        if let Err(e) = inst.verify_report(&r) {
            return Err(TestCaseError::fail(format!("{} {:?}: genuine report refused: {e}\n{}", inst.id(), inst.settings(), r.to_json())));
        }
        let again: ScoreReport = serde_json::from_str(&r.to_json()).unwrap();
        prop_assert!(inst.verify_report(&again).is_ok());
        if Catalog::builtin().instrument(inst.id()).is_ok() {
            prop_assert!(Catalog::builtin().verify_report(&r).is_ok(), "{}", Catalog::builtin().verify_report(&r).unwrap_err());
        }
    }

    /// A raw value beyond its scale's range is `evidence.out_of_range` at `/scales/<i>/raw`.
    #[test]
    fn raw_beyond_range_is_refused(pick in 0usize..10_000, c in cells(100), g in 0u8..255, which in 0usize..64, low in any::<bool>()) {
        let (inst, mut r) = report(pick, &c, g, None);
        let scored: Vec<usize> = (0..r.scales.len()).filter(|i| r.scales[*i].scored).collect();
        prop_assume!(!scored.is_empty());
        let i = scored[which % scored.len()];
        let (lo, hi) = inst.scale_range(&r.scales[i].id).unwrap();
        // Far outside whatever bounds partial data allow.
        let far = Dec::from_i64(10_000);
        let v = if low { Dec(lo.0 - far.0) } else { Dec(hi.0 + far.0) };
        r.scales[i].raw = Some(v);
        r.scales[i].raw_exact = None;
        refused(inst, &r, "evidence.out_of_range", &format!("/scales/{i}/raw"))?;
    }

    /// A band that does not follow from the value is `evidence.report_inconsistent` at `/scales/<i>/band`.
    #[test]
    fn band_not_following_from_the_value_is_refused(pick in 0usize..10_000, c in cells(100), g in 0u8..255, which in 0usize..64, other in 0usize..16) {
        let (inst, mut r) = report(pick, &c, g, None);
        let banded: Vec<usize> = (0..r.scales.len()).filter(|i| r.scales[*i].band.is_some()).collect();
        prop_assume!(!banded.is_empty());
        let i = banded[which % banded.len()];
        let spec = inst.spec().scales.iter().find(|s| s.id == r.scales[i].id).unwrap();
        let current = r.scales[i].band.as_ref().unwrap().id.clone();
        let others: Vec<_> = spec.bands.iter().filter(|b| b.id != current).collect();
        prop_assume!(!others.is_empty());
        let b = others[other % others.len()];
        r.scales[i].band = Some(BandResult {
            id: b.id.clone(),
            label: b.label.clone(),
            index: b.index,
            severity: b.severity,
            rule: String::new(),
            evidence: String::new(),
            source: None,
        });
        refused(inst, &r, "evidence.report_inconsistent", &format!("/scales/{i}/band"))?;
    }

    /// Identity, counts and flags.
    #[test]
    fn identity_counts_and_flags_are_checked(pick in 0usize..10_000, c in cells(100), g in 0u8..255, what in 0u8..4) {
        let (inst, mut r) = report(pick, &c, g, None);
        match what {
            0 => {
                r.instrument.version = "9.9.9".into();
                refused(inst, &r, "evidence.version_mismatch", "/instrument/version")?;
            }
            1 => {
                r.instrument.settings.insert("no_such_setting".into(), "x".into());
                refused(inst, &r, "evidence.unknown_setting", "/instrument/settings/no_such_setting")?;
            }
            2 => {
                r.items.answered += 1;
                refused(inst, &r, "evidence.report_inconsistent", "/items")?;
            }
            _ => {
                r.flags.push(FlagResult {
                    id: "relabelled_flag".into(),
                    verdict: Verdict::Positive,
                    missing_items: vec![],
                    refused_items: vec![],
                    level: FlagLevel::Critical,
                    label: Default::default(),
                    reason: Default::default(),
                    items: vec![],
                    evidence: vec![],
                    source: String::new(),
                });
                refused(inst, &r, "evidence.report_inconsistent", &format!("/flags/{}/id", r.flags.len() - 1))?;
            }
        }
    }
}

#[test]
fn a_report_verifies_only_against_its_own_settings() {
    let k10 = Catalog::builtin().instrument("k10").unwrap();
    let alt = k10.with_settings(&BTreeMap::from([("bands".to_owned(), "crufad_vphs".to_owned())])).unwrap();
    let r = alt.score(&Response::from_codes(&[Some(3); 10])).unwrap();
    assert!(alt.verify_report(&r).is_ok());
    let e = k10.verify_report(&r).unwrap_err();
    assert_eq!((e.code(), e.path()), ("evidence.report_inconsistent", "/instrument/settings/bands"));
    // The catalog picks the variant the report names.
    assert!(Catalog::builtin().verify_report(&r).is_ok());
    let mut missing = r.clone();
    missing.instrument.settings.clear();
    let e = Catalog::builtin().verify_report(&missing).unwrap_err();
    assert_eq!((e.code(), e.path()), ("evidence.report_inconsistent", "/instrument/settings"));
}

#[test]
fn the_issue_examples_are_refused() {
    let cat = Catalog::builtin();
    // PHQ-9 total 99 with band "minimal".
    let phq9 = cat.instrument("phq9").unwrap();
    let mut r = phq9.score(&Response::from_codes(&[Some(0); 10])).unwrap();
    r.scales[0].raw = Some(Dec::from_i64(99));
    r.scales[0].score = Some(Dec::from_i64(99));
    let e = cat.verify_report(&r).unwrap_err();
    assert_eq!((e.code(), e.path()), ("evidence.out_of_range", "/scales/0/raw"));
    // PHQ-9 total 20 with band "minimal": the band does not follow.
    let mut r = phq9.score(&Response::from_codes(&[Some(0); 10])).unwrap();
    r.scales[0].raw = Some(Dec::from_i64(20));
    r.scales[0].score = Some(Dec::from_i64(20));
    let e = cat.verify_report(&r).unwrap_err();
    assert_eq!((e.code(), e.path()), ("evidence.report_inconsistent", "/scales/0/band"));
    // A relabelled ASQ report: an instrument id the catalog does not know.
    let asq = cat.instrument("asq").unwrap();
    let mut r = asq.score(&Response::from_codes(&[Some(1), Some(0), Some(0), Some(0), Some(1)])).unwrap();
    r.instrument.id = "asq_v2".into();
    let e = cat.verify_report(&r).unwrap_err();
    assert_eq!((e.code(), e.path()), ("evidence.unknown_instrument", "/instrument/id"));
}

#[test]
fn flags_the_scale_values_imply_cannot_be_removed() {
    let cat = Catalog::builtin();
    // PHQ-9 total 27: every item is 3, so item 9 is 3 and item9_self_harm must be positive.
    let phq9 = cat.instrument("phq9").unwrap();
    let mut r = phq9.score(&Response::from_codes(&[Some(3); 10])).unwrap();
    assert!(r.has_flag("item9_self_harm"));
    r.flags.retain(|f| f.id != "item9_self_harm");
    let e = cat.verify_report(&r).unwrap_err();
    assert_eq!((e.code(), e.path()), ("evidence.report_inconsistent", "/flags"), "{e}");
    // A total of 20 does not decide item 9: removing the flag cannot be detected from the report.
    let mut r = phq9
        .score(&Response::from_codes(&[
            Some(3),
            Some(3),
            Some(3),
            Some(3),
            Some(2),
            Some(2),
            Some(2),
            Some(1),
            Some(1),
            Some(0),
        ]))
        .unwrap();
    r.flags.retain(|f| f.id != "item9_self_harm");
    assert!(cat.verify_report(&r).is_ok());
    // ASQ with a yes count of 0: every question answered no, so the screen cannot be positive.
    let asq = cat.instrument("asq").unwrap();
    let mut r = asq.score(&Response::from_codes(&[Some(0), Some(0), Some(0), Some(0), None])).unwrap();
    r.screen_positive.as_mut().unwrap().verdict = Verdict::Positive;
    let e = cat.verify_report(&r).unwrap_err();
    assert_eq!((e.code(), e.path()), ("evidence.report_inconsistent", "/screen_positive/verdict"), "{e}");
    // A PHQ-9 total of 15 makes the screen positive.
    let mut r = phq9
        .score(&Response::from_codes(&[
            Some(2),
            Some(2),
            Some(2),
            Some(2),
            Some(2),
            Some(2),
            Some(2),
            Some(1),
            Some(0),
            Some(0),
        ]))
        .unwrap();
    r.screen_positive.as_mut().unwrap().verdict = Verdict::Negative;
    let e = cat.verify_report(&r).unwrap_err();
    assert_eq!((e.code(), e.path()), ("evidence.report_inconsistent", "/screen_positive/verdict"), "{e}");
}
