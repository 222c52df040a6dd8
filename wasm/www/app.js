// Demo page: renders the PHQ-9 and the ASQ from the built-in catalog (Chinese item
// texts and option labels come from the catalog JSON), scores on every answer with
// the WebAssembly package and shows score, band, flags and the screen verdict (three-valued:
// an undecidable screen or flag is shown as "无法判定" with the items that would decide it).
// No rule is written here: every number and label comes from the package (its alert module:
// scoring and the alert tiers in one .wasm).
import init, { AlertPolicy, Instrument, catalogSpec, isChangkaixinError } from "./pkg/alert.js";

let cachedPolicy;
const policy = () => (cachedPolicy ??= AlertPolicy.changzhouDefault());
const zh = (t) => (t && (t.zh || t.en)) || "";

// Words for the report's closed vocabularies (the package returns stable ids; a page shows them
// in its reader's language).
const VALIDITY_ZH = { valid: "有效", incomplete: "不完整（部分题目未作答）", invalid: "无效（作答不可信）" };
const SEVERITY_ZH = { none: "无", mild: "轻度", moderate: "中度", high: "中重度", severe: "重度" };

// Times: the core works in UTC (RFC 3339); a reader in China reads Beijing time.
const shanghai = new Intl.DateTimeFormat("zh-CN", {
  timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hour12: false,
});
const localTime = (rfc3339) => `${shanghai.format(new Date(rfc3339))}（北京时间）`;

/** An ISO 8601 duration (`PT12H`, `P3D`, `P2W`) in Chinese: "12 小时", "3 天", "2 周". */
function spanZh(iso) {
  const m = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?)?$/.exec(iso || "");
  if (!m || iso === "P" || iso === "PT") return iso || "";
  const units = ["年", "个月", "周", "天", "小时", "分钟"];
  const parts = [];
  units.forEach((u, i) => { if (m[i + 1]) parts.push(`${m[i + 1]} ${u}`); });
  return parts.join(" ");
}
const durationZh = (iso) => `${spanZh(iso)}内`;

function optionsOf(spec, item) {
  return typeof item.options === "string" ? spec.option_sets[item.options] : item.options;
}

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const c of children) e.append(c);
  return e;
}

function renderForm(section, id) {
  const spec = catalogSpec(id);
  const instrument = Instrument.fromCatalog(id);
  const form = el("form", { "data-testid": `${id}-form` });
  section.append(el("h2", {}, zh(spec.name)));
  if (spec.recall_period) section.append(el("p", { class: "note" }, `回忆期：过去 ${spanZh(spec.recall_period)}`));
  for (const item of spec.items) {
    const fs = el("fieldset", { "data-item": String(item.number) });
    fs.append(el("legend", {}, `${item.number}. ${zh(item.text) || `第 ${item.number} 题`}`));
    for (const opt of optionsOf(spec, item)) {
      const input = el("input", { type: "radio", name: `${id}-${item.number}`, value: String(opt.code), "data-testid": `${id}-q${item.number}-o${opt.code}` });
      fs.append(el("label", {}, input, " ", zh(opt.label) || String(opt.code)));
    }
    form.append(fs);
  }
  section.append(form);
  const result = el("div", { class: "result", "data-testid": `${id}-result` });
  section.append(result);
  const update = () => {
    const answers = {};
    for (const item of spec.items) {
      const checked = form.querySelector(`input[name="${id}-${item.number}"]:checked`);
      if (checked) answers[String(item.number)] = Number(checked.value);
    }
    try {
      renderReport(result, id, spec, instrument.score({ answers }));
    } catch (e) {
      result.replaceChildren(el("p", { class: "error" }, isChangkaixinError(e) ? `${e.code}: ${e.message}` : String(e)));
    }
  };
  form.addEventListener("change", update);
  update();
}

/** Which unanswered items keep a verdict open (from the report's missing_items / refused_items). */
function undecided(v) {
  const parts = [];
  if (v.missing_items && v.missing_items.length) parts.push(`第 ${v.missing_items.join("、")} 题未作答`);
  if (v.refused_items && v.refused_items.length) parts.push(`第 ${v.refused_items.join("、")} 题拒答`);
  return parts.length ? `${parts.join("；")}，请补全后再判定` : "请补全作答后再判定";
}

function renderReport(box, id, spec, report) {
  const scaleName = (sid) => zh((spec.scales.find((x) => x.id === sid) || {}).name) || sid;
  const dl = el("dl");
  for (const s of report.scales) {
    const name = s.id;
    dl.append(el("dt", {}, scaleName(name)));
    dl.append(el("dd", { "data-testid": `${id}-scale-${name}` }, s.scored ? `${s.raw}（已答 ${s.answered}/${s.of}）` : `未计分（已答 ${s.answered}/${s.of} 题，缺答超过计分规则允许的数量）`));
    if (s.band) {
      dl.append(el("dt", {}, "分级"));
      dl.append(el("dd", { "data-testid": `${id}-band-${name}`, "data-band-id": s.band.id, class: `severity-${s.band.severity}` }, zh(s.band.label)));
    }
  }
  dl.append(el("dt", {}, "有效性"));
  const status = report.validity.status;
  dl.append(el("dd", { "data-testid": `${id}-validity`, "data-status": status, class: `validity-${status}` }, VALIDITY_ZH[status] || status));
  if (report.screen_positive) {
    // Three-valued: an undecidable screen is shown as such, never as "negative".
    dl.append(el("dt", {}, "筛查结果"));
    const sp = report.screen_positive;
    const text = sp.verdict === "positive" ? `阳性 — ${zh(sp.reason)}` : sp.verdict === "indeterminate" ? `无法判定 — ${undecided(sp)}` : "阴性";
    dl.append(el("dd", { "data-testid": `${id}-screen`, "data-verdict": sp.verdict, class: `verdict-${sp.verdict}` }, text));
  }
  dl.append(el("dt", {}, "提示"));
  const flags = el("dd", { "data-testid": `${id}-flags` });
  if (report.flags.length === 0) flags.append("无");
  for (const f of report.flags) {
    const text = f.verdict === "indeterminate" ? `无法判定：${zh(f.label)}（${undecided(f)}）` : `${zh(f.label)}：${zh(f.reason)}`;
    flags.append(el("div", { class: `flag-${f.level} verdict-${f.verdict}`, "data-flag-id": f.id, "data-level": f.level, "data-verdict": f.verdict }, text));
  }
  dl.append(flags);
  // The proposed alert tier from the core's alert engine (Changzhou default policy), with its reasons.
  dl.append(el("dt", {}, "建议预警分级"));
  const tierBox = el("dd", { "data-testid": `${id}-tier` });
  try {
    const at = new Date().toISOString().replace(/\.\d+Z$/, "Z");
    const decision = policy().evaluate({ student: "demo-student", screenings: [{ id: `demo-${id}`, at, report }] }, at);
    tierBox.dataset.tierId = decision.tier.id;
    tierBox.className = `tier tier-${decision.tier.id}`;
    tierBox.append(el("strong", { "data-testid": `${id}-tier-label`, class: "tier-badge" }, zh(decision.tier.label) || decision.tier.id));
    const reasons = el("ul", { "data-testid": `${id}-tier-reasons` });
    for (const r of decision.fired_rules) reasons.append(el("li", { "data-rule": r.rule }, zh(r.label) || r.rule));
    tierBox.append(reasons);
    const roles = Object.fromEntries((decision.responsible_roles || []).map((r) => [r.id, zh(r.label) || r.id]));
    if (decision.actions && decision.actions.length) {
      const actions = el("ul", { "data-testid": `${id}-actions`, class: "actions" });
      for (const a of decision.actions) {
        actions.append(el("li", { "data-action": a.id, "data-due-at": a.due_at },
          `${zh(a.label) || a.id}（${roles[a.role] || a.role}，${durationZh(a.due)}，截止 ${localTime(a.due_at)}）`));
      }
      tierBox.append(el("p", { class: "note" }, "需完成的工作："), actions);
    }
    if (decision.notifications && decision.notifications.length) {
      const notes = el("ul", { "data-testid": `${id}-notifications`, class: "actions" });
      for (const n of decision.notifications) {
        notes.append(el("li", { "data-who": n.who }, `通知${zh(n.who_label) || n.who}（${durationZh(n.within)}，截止 ${localTime(n.due_at)}）`));
      }
      tierBox.append(el("p", { class: "note" }, "需通知："), notes);
    }
    // The core's summary writes times in UTC (RFC 3339): shown in Beijing time.
    const summary = decision.summary.zh.replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z/g, localTime);
    tierBox.append(el("p", { class: "note", "data-testid": `${id}-tier-summary` }, summary + "（系统建议，需由负责人确认）"));
  } catch (e) {
    tierBox.append(el("span", { class: "error" }, isChangkaixinError(e) ? `${e.code}: ${e.message}` : String(e)));
  }
  dl.append(tierBox);
  box.replaceChildren(dl);
}

try {
  await init();
  for (const section of document.querySelectorAll("section.instrument")) renderForm(section, section.dataset.instrument);
  const status = document.getElementById("status");
  status.textContent = "计分引擎已就绪";
  status.dataset.ready = "true";
} catch (e) {
  const status = document.getElementById("status");
  status.textContent = `加载失败：${e && e.message ? e.message : e}`;
  status.className = "error";
}
