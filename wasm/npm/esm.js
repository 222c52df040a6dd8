// Entry point for bundlers (Vite, webpack, Rollup, …) and browsers with an import map: the
// `web` build of the module, instantiated on import (top-level await; the .wasm is fetched from
// beside the glue, which bundlers copy as an asset through `new URL(…, import.meta.url)`), then
// the built-in data (catalog specs, alert policy, compliance packs) installed once.
import init, { installBuiltinData } from "../web/changkaixin_wasm.js";
import data from "../web/changkaixin_data.js";
await init();
installBuiltinData(data);
export * from "../web/changkaixin_wasm.js";
