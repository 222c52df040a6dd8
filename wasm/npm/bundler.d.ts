// Entry point of the bundler build: the generated API, with the built-in data installed.
export * from "./changkaixin_wasm.js";
