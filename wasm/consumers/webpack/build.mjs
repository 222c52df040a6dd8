// webpack's Node API with the defaults a new project gets (entry ./src/index.js, output dist/).
import webpack from "webpack";
import { copyFileSync } from "node:fs";

const stats = await new Promise((resolve, reject) =>
  webpack({ mode: "production", context: process.cwd() }, (err, s) => (err ? reject(err) : resolve(s))),
);
if (stats.hasErrors()) {
  console.error(stats.toString({ all: false, errors: true }));
  process.exit(1);
}
copyFileSync("index.html", "dist/index.html");
console.log(stats.toString({ all: false, assets: true, warnings: true }));
