//! `uniffi-bindgen generate --library target/release/libchangkaixin_ffi.so --language kotlin --language swift --out-dir …`
fn main() {
    uniffi::uniffi_bindgen_main()
}
