// The `web` entry point (a page without a bundler): `await init()` instantiates the module and
// installs the built-in data; then the same API as everywhere.
import init, { initSync, Instrument, catalogIds, type InitOutput, type ScoreReport } from "../pkg/web/index.js";

const ready: Promise<InitOutput> = init();
await ready;
const report: ScoreReport = Instrument.fromCatalog("asq").score({ answers: { "1": "yes" } });
const ids: string[] = catalogIds();
// @ts-expect-error: initSync needs the module bytes
initSync();
console.log(report.screen_positive?.verdict, ids);
