//! ISO-8601 durations and RFC 3339 timestamps — as the alert policy, evidence and response
//! readers parse them — and completion times in batches: a value or a typed error, never a panic.
//! What parses round-trips through its canonical form, stays within the documented ranges, and a
//! batch's duration conditions compare exactly whatever the (caller-supplied) seconds.
//!
//! Input: text (split at the first `|` into two fields), or bytes for the batch durations.
#![no_main]
use changkaixin_core::alert::{IsoDuration, Timestamp};
use changkaixin_core::{BatchInput, Catalog, Instrument, Response};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

/// A small instrument whose flags compare the completion time (thresholds with fractions too).
fn timed() -> &'static Instrument {
    static I: OnceLock<Instrument> = OnceLock::new();
    I.get_or_init(|| {
        let spec = r#"{"format": "changkaixin.instrument/1", "id": "timed", "version": "1", "name": {"en": "timed"},
          "citation": "synthetic", "license": {"id": "synthetic", "text": "synthetic"},
          "items": [{"number": 1, "id": "q1", "options": [{"code": 0, "value": 0}, {"code": 1, "value": 1}]}],
          "scales": [{"id": "total", "name": {"en": "t"}, "aggregate": {"method": "sum", "items": [1]}}],
          "flags": [
            {"id": "fast", "label": {"en": "f"}, "level": "info", "reason": {"en": "r"}, "source": "s", "when": {"duration_seconds": {"op": "<", "value": "59.5"}}},
            {"id": "slow", "label": {"en": "s"}, "level": "info", "reason": {"en": "r"}, "source": "s", "when": {"duration_seconds": {"op": ">=", "value": 999999}}}]}"#;
        match Instrument::from_json(spec) {
            Ok(i) => i,
            Err(e) => panic!("the timed spec must compile: {e}"),
        }
    })
}

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let (a, b) = text.split_once('|').unwrap_or((text, ""));
        for s in [a, b, text] {
            if let Ok(d) = IsoDuration::parse(s) {
                assert!((0..=100 * 365 * 86_400).contains(&d.seconds()), "duration out of range: {}", d.seconds());
                assert_eq!(IsoDuration::parse(d.as_str()).map(|x| x.seconds()).ok(), Some(d.seconds()));
                let canon = IsoDuration::from_seconds(d.seconds());
                assert_eq!(canon.seconds(), d.seconds());
                assert_eq!(IsoDuration::parse(canon.as_str()).map(|x| x.seconds()).ok(), Some(d.seconds()), "canonical form {canon} does not parse back");
            } else if let Err(e) = IsoDuration::parse(s) {
                assert_eq!(e.code(), "time.invalid");
            }
            if let Ok(t) = Timestamp::parse(s) {
                assert_eq!(Timestamp::parse(&t.to_string()).ok(), Some(t), "{t} does not round-trip");
                let d = IsoDuration::from_seconds(86_400);
                let back = t.plus(d.clone()).minus(d);
                assert!(back <= t, "plus then minus moved forward");
            }
        }
        // Completion times as a response carries them.
        if let Ok(inst) = Catalog::builtin().instrument("phq9") {
            let mut r = Response::from_codes(&[Some(0); 10]);
            r.started_at = Some(a.to_owned());
            r.finished_at = Some(b.to_owned());
            match inst.score(&r) {
                Ok(rep) => assert!(rep.duration_seconds.is_none_or(|d| d >= 0)),
                Err(e) => assert_eq!(e.code(), "score.invalid_time", "{e}"),
            }
        }
    }
    // Caller-supplied seconds in a batch, compared exactly (i64 extremes included).
    let durations: Vec<i64> = data.chunks_exact(8).map(|c| i64::from_le_bytes(c.try_into().unwrap_or([0; 8]))).collect();
    let codes = vec![1u8; durations.len()];
    let mut input = BatchInput::new(&codes, 1, 0xff);
    input.durations = Some(&durations);
    let inst = timed();
    let out = match inst.score_batch(&input) {
        Ok(o) => o,
        Err(e) => panic!("a well-formed batch must score: {e}"),
    };
    let fast = out.flag_column("fast").unwrap_or_default();
    let slow = out.flag_column("slow").unwrap_or_default();
    for (r, &d) in durations.iter().enumerate() {
        assert_eq!(fast[r], d >= 0 && i128::from(d) * 2 < 119, "row {r}: {d} s < 59.5");
        assert_eq!(slow[r], d >= 999_999, "row {r}: {d} s >= 999999");
    }
});
