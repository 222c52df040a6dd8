// Entry point of the Node build (CommonJS): loads the WebAssembly module and installs the
// built-in data (catalog specs, alert policy, compliance packs) that the .wasm does not embed.
"use strict";
const wasm = require("./changkaixin_wasm.js");
wasm.installBuiltinData(require("./changkaixin_data.js"));
module.exports = wasm;
