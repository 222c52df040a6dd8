// Entry point of the Node build: the generated API, with the built-in data installed.
export * from "./changkaixin_wasm.js";
