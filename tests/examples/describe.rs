//! Print `Instrument::describe()` for built-in instruments: `cargo run -p changkaixin-tests --example describe -- rses dsrsc`.
fn main() {
    let cat = changkaixin_core::Catalog::builtin();
    for id in std::env::args().skip(1) {
        match cat.instrument(&id) {
            Ok(i) => print!("{}", i.describe()),
            Err(e) => eprintln!("{id}: {e}"),
        }
    }
}
