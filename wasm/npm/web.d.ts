// Entry point of the `web` build: the generated API; `init()` also installs the built-in data.
import type { InitOutput } from "./changkaixin_wasm.js";
import type initGenerated from "./changkaixin_wasm.js";
import type { initSync as initSyncGenerated } from "./changkaixin_wasm.js";
export * from "./changkaixin_wasm.js";
/** Instantiate the module and install the built-in data; call (and await) before anything else. */
export default function init(moduleOrPath?: Parameters<typeof initGenerated>[0]): Promise<InitOutput>;
/** Instantiate synchronously and install the built-in data. */
export function initSync(module: Parameters<typeof initSyncGenerated>[0]): InitOutput;
