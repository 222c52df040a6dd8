// Entry point of the bundler build: the generated module (which instantiates the .wasm on
// import), then the built-in data (catalog specs, alert policy, compliance packs) installed once.
import { installBuiltinData } from "./changkaixin_wasm.js";
import data from "./changkaixin_data.js";
export * from "./changkaixin_wasm.js";
installBuiltinData(data);
