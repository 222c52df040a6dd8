// Entry point of the `web` build (a page without a bundler): `await init()` instantiates the
// .wasm and installs the built-in data (catalog specs, alert policy, compliance packs).
import init0, { initSync as initSync0, installBuiltinData } from "./changkaixin_wasm.js";
import data from "./changkaixin_data.js";
export * from "./changkaixin_wasm.js";

let installed = false;
function install() {
  if (!installed) {
    installBuiltinData(data);
    installed = true;
  }
}

/** Instantiate the module (fetching the .wasm beside this file unless told otherwise) and install the built-in data. */
export default async function init(moduleOrPath) {
  const out = await init0(moduleOrPath);
  install();
  return out;
}

/** Instantiate synchronously from compiled bytes or a `WebAssembly.Module`, and install the built-in data. */
export function initSync(module) {
  const out = initSync0(module);
  install();
  return out;
}
