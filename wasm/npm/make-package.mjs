// Writes pkg/package.json from npm/package.json (name, version, metadata) and npm/modules.txt
// (one export per module and environment). Usage: node npm/make-package.mjs PKG_DIR
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const out = process.argv[2];
const base = JSON.parse(readFileSync(path.join(here, "package.json"), "utf8"));
const entries = readFileSync(path.join(here, "modules.txt"), "utf8")
  .split("\n")
  .filter((l) => l.trim() && !l.startsWith("#"))
  .map((l) => l.trim().split(/\s+/)[0]);
const exports = {};
for (const e of entries) {
  const sub = e === "index" ? "." : `./${e}`;
  exports[sub] = {
    node: { types: `./node/${e}.d.ts`, default: `./node/${e}.js` },
    default: { types: `./esm/${e}.d.ts`, default: `./esm/${e}.js` },
  };
}
for (const e of entries) {
  exports[e === "index" ? "./web" : `./web/${e}`] = { types: `./web/${e}.d.ts`, default: `./web/${e}.js` };
}
exports["./package.json"] = "./package.json";
const pkg = { ...base, exports };
writeFileSync(path.join(out, "package.json"), JSON.stringify(pkg, null, 2) + "\n");
console.log(`package.json: ${pkg.name}@${pkg.version}, entries ${entries.join(", ")}`);
