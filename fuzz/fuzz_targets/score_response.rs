//! Any response JSON scored against every built-in instrument yields a report or a typed error.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    for inst in changkaixin_core::Catalog::builtin().instruments() {
        if let Ok(report) = inst.score_json(text) {
            let _ = report.to_json();
        }
    }
});
