//! Setting choices on every built-in instrument — known and unknown setting ids and options —
//! yield a configured instrument or a typed `spec.*` error, never a panic. `instrument_with` and
//! `with_settings` agree, every chosen option is in effect, and the two score alike.
//!
//! Input: JSON `{"instrument": id, "settings": {id: option}, "response": {…}}`, or bytes: the
//! first picks the instrument, then byte pairs pick a setting and an option (by index, or a
//! made-up name when out of range), the rest are answer codes.
#![no_main]
use changkaixin_core::{Answer, Catalog, Response};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use std::collections::BTreeMap;

fuzz_target!(|data: &[u8]| {
    let cat = Catalog::builtin();
    let ids: Vec<&str> = cat.ids().collect();
    if data.first() == Some(&b'{') {
        let Ok(v) = serde_json::from_slice::<Value>(data) else { return };
        let id = v.get("instrument").and_then(Value::as_str).unwrap_or("k10");
        let Ok(settings) = serde_json::from_value::<BTreeMap<String, String>>(v.get("settings").cloned().unwrap_or(Value::Null)) else { return };
        let response = v.get("response").cloned().and_then(|r| serde_json::from_value::<Response>(r).ok());
        check(cat, id, &settings, response);
        return;
    }
    let Some((&pick, mut rest)) = data.split_first() else { return };
    let id = ids[pick as usize % ids.len()];
    let Ok(base) = cat.instrument(id) else { return };
    let spec = base.source_spec();
    let mut settings = BTreeMap::new();
    while let [s, o, tail @ ..] = rest {
        if *s == 0xff {
            rest = tail;
            break;
        }
        let setting = spec.settings.get(*s as usize % 8).map_or_else(|| format!("setting_{s}"), |x| x.id.clone());
        let option = spec
            .settings
            .iter()
            .find(|x| x.id == setting)
            .and_then(|x| x.options.get(*o as usize % 4))
            .map_or_else(|| format!("option_{o}"), |x| x.id.clone());
        settings.insert(setting, option);
        rest = tail;
    }
    let answers: Vec<Option<i64>> = rest.iter().map(|&b| (b != 0xfe).then_some(i64::from(b % 8))).collect();
    check(cat, id, &settings, Some(Response::from_codes(&answers)));
});

fn check(cat: &Catalog, id: &str, settings: &BTreeMap<String, String>, response: Option<Response>) {
    let Ok(base) = cat.instrument(id) else { return };
    match cat.instrument_with(id, settings) {
        Ok(inst) => {
            let again = base.with_settings(settings).expect("instrument_with accepted the settings, so with_settings must too");
            assert_eq!(inst.settings(), again.settings());
            for (k, v) in settings {
                assert_eq!(inst.settings().get(k), Some(v), "chosen option not in effect");
            }
            assert_eq!(inst.settings().len(), base.source_spec().settings.len());
            if let Some(r) = response {
                let a = inst.score(&r);
                assert_eq!(a, again.score(&r), "the same settings score differently");
                if let Ok(rep) = a {
                    assert_eq!(&rep.instrument.settings, inst.settings());
                    let _ = rep.to_json();
                }
                let answers: Vec<Answer> = (1..=inst.item_count()).map(|i| r.answers.get(&i.to_string()).cloned().unwrap_or(Answer::Missing)).collect();
                let _ = inst.score_answers(&answers);
            }
        }
        Err(e) => {
            assert!(e.code().starts_with("spec."), "unexpected error {e}");
            assert!(base.with_settings(settings).is_err(), "with_settings accepted what instrument_with refused");
        }
    }
}
