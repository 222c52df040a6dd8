// A fresh webpack 5 project (default configuration, no experiments) using the default import.
import { Instrument } from "changkaixin";
import { AlertPolicy } from "changkaixin/alert";

const out = document.getElementById("out");
try {
  const phq9 = Instrument.fromCatalog("phq9");
  const summary = phq9.scoreSummary({ answers: { 1: 1, 2: 2, 3: 1, 4: 2, 5: 1, 6: 1, 7: 1, 8: 2, 9: 1 } });
  const policy = AlertPolicy.changzhouDefault();
  out.textContent = JSON.stringify({ total: summary.scales[0].raw, band: summary.scales[0].band, policy: policy.id });
  document.body.dataset.ready = "true";
} catch (e) {
  out.textContent = `error: ${e}`;
  document.body.dataset.ready = "error";
}
