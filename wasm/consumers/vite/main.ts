// A fresh Vite + TypeScript project using the package as the README says: the default import
// (no plugin, no init call), the alert entry, and the lean summary path.
import { Instrument, isChangkaixinError, type ScoreReport, type ScoreSummary } from "changkaixin";
import { AlertPolicy, Instrument as AlertInstrument } from "changkaixin/alert";

const out = document.getElementById("out") as HTMLElement;
try {
  const phq9 = Instrument.fromCatalog("phq9");
  const answers = { "1": 1, "2": 2, "3": 1, "4": 2, "5": 1, "6": 1, "7": 1, "8": 2, "9": 1 };
  const summary: ScoreSummary = phq9.scoreSummary({ answers });
  const report: ScoreReport = AlertInstrument.fromCatalog("phq9").score({ answers });
  const at = "2026-12-01T03:00:00Z";
  const decision = AlertPolicy.changzhouDefault().evaluate({ student: "s-1", screenings: [{ id: "x", at, report }] }, at);
  let path = "";
  try {
    phq9.score({ answers: { "3": 1.5 } });
  } catch (e) {
    if (isChangkaixinError(e)) path = e.path;
  }
  const total = summary.scales[0];
  const band = total?.band ? phq9.labels().scales["total"]?.bands[total.band]?.label.zh : undefined;
  out.textContent = JSON.stringify({ total: total?.raw, band, tier: decision.tier.id, path });
  document.body.dataset.ready = "true";
} catch (e) {
  out.textContent = `error: ${e}`;
  document.body.dataset.ready = "error";
}
