// Entry point for bundlers: the module is instantiated and the built-in data installed on import.
export * from "../web/changkaixin_wasm.js";
