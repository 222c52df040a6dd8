//! Any text given to the spec parser yields an instrument or a typed error, never a panic;
//! and an accepted spec scores an empty response without panicking.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(inst) = changkaixin_core::Instrument::from_json(text) {
            let _ = inst.score(&changkaixin_core::Response::default());
            let _ = inst.to_json();
        }
    }
});
