// Manual entries: a report typed in by hand (a call from a border post), a manual alert
// draft, and the drafts waiting for a second person's approval. The node decides who
// may approve; the page only offers the buttons that would not be refused, and shows
// any refusal (the problem's field and reason) next to the form.
import { state, scenarioNow } from "./app.js";
import { language, t } from "./i18n.js";

const POLL_MS = 3000;
const KINDS = ["unknown", "drone", "cruise_missile", "ballistic_missile", "rocket", "aircraft"];
const IDENTITIES = ["unknown", "pending", "suspect", "hostile", "neutral", "assumed_friend", "friend"];
const MAY_ENTER = new Set(["watch", "commander", "cell"]);
const MAY_APPROVE = new Set(["commander", "cell"]);
const $ = (id) => document.getElementById(id);

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "i18n") { e.dataset.i18n = v; e.textContent = t(v); } else e.setAttribute(k, v);
  }
  e.append(...children);
  return e;
}

// A labelled control: the label's translated text names it (aria-labelledby, so a
// select's chosen option or a typed value never becomes part of its name).
let labels = 0;
function field(key, control) {
  const id = `manual-label-${++labels}`;
  control.setAttribute("aria-labelledby", id);
  return el("label", {}, el("span", { i18n: key, id }), " ", control);
}

function options(select, values, prefix) {
  for (const v of values) select.append(el("option", { value: v, i18n: `${prefix}${v}` }));
  return select;
}

async function post(path, body) {
  const res = await fetch(`/api/v1/manual${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${state.me.token}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const json = await res.json().catch(() => ({}));
  return { ok: res.ok, json };
}

// A refusal shown where it belongs: the named field is marked invalid and focused.
function showProblem(form, out, p) {
  const name = (p.field || "").replace(/^body\./, "").split(".")[0];
  const input = name && form.querySelector(`[name="${name}"]`);
  for (const i of form.querySelectorAll("[aria-invalid]")) i.removeAttribute("aria-invalid");
  out.textContent = t("refused", { field: name || "-", reason: p.reason || p.detail || "" });
  out.className = "manual-out refused";
  if (input) { input.setAttribute("aria-invalid", "true"); input.focus(); }
}

function reportForm() {
  const now = () => new Date(scenarioNow()).toISOString().slice(0, 19) + "Z";
  const f = el("form", { id: "manual-report", "aria-labelledby": "manual-report-title" },
    el("h3", { id: "manual-report-title", i18n: "report_by_hand" }),
    field("latitude", el("input", { name: "lat", inputmode: "decimal", required: "" })),
    field("longitude", el("input", { name: "lon", inputmode: "decimal", required: "" })),
    field("altitude", el("input", { name: "alt_m", inputmode: "decimal" })),
    field("kind", options(el("select", { name: "kind" }), KINDS, "kind_")),
    field("identity", options(el("select", { name: "identity" }), IDENTITIES, "identity_")),
    field("observed_at", el("input", { name: "observed_at", required: "" })),
    field("heading", el("input", { name: "heading_deg", inputmode: "decimal" })),
    field("speed", el("input", { name: "speed_m_s", inputmode: "decimal" })),
    field("source", el("input", { name: "source", required: "", maxlength: "200" })),
    el("button", { type: "submit", i18n: "enter_report" }),
    el("p", { class: "manual-out", role: "status", id: "manual-report-out" }));
  // The time follows the node's clock until the officer types one of their own.
  const when = f.elements.observed_at;
  when.value = now();
  when.addEventListener("input", () => { when.dataset.edited = "1"; });
  setInterval(() => { if (!when.dataset.edited) when.value = now(); }, 1000);
  f.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const body = { observed_at: f.elements.observed_at.value.trim(), kind: f.elements.kind.value,
                   identity: f.elements.identity.value, source: f.elements.source.value };
    for (const k of ["lat", "lon", "alt_m", "heading_deg", "speed_m_s"]) {
      const v = f.elements[k].value.trim();
      if (v !== "") body[k] = Number.isNaN(Number(v)) ? v : Number(v);  // the node names a bad one
    }
    const out = $("manual-report-out");
    const { ok, json } = await post("/reports", body);
    if (!ok) { showProblem(f, out, json); return; }
    for (const i of f.querySelectorAll("[aria-invalid]")) i.removeAttribute("aria-invalid");
    out.className = "manual-out done";
    out.textContent = t("report_entered", { id: json.report });
    f.reset(); delete when.dataset.edited; when.value = now();
  });
  return f;
}

function draftForm() {
  const areas = el("select", { name: "areas", multiple: "", size: "6", required: "" });
  for (const feat of state.areas.features) {
    const p = feat.properties;
    areas.append(el("option", { value: p.area_id }, `${p.name} (${p.partner})`));
  }
  const stage = el("fieldset", {}, el("legend", { i18n: "manual_stage" }));
  for (const [v, key] of [["early_warning", "early_warning"], ["alert", "alert"]]) {
    const r = el("input", { type: "radio", name: "stage", value: v });
    if (v === "early_warning") r.setAttribute("checked", "");  // the default a reset returns to
    stage.append(el("label", { class: "inline" }, r, " ", el("span", { i18n: key })));
  }
  const f = el("form", { id: "manual-draft", "aria-labelledby": "manual-draft-title" },
    el("h3", { id: "manual-draft-title", i18n: "draft_alert" }),
    field("areas", areas), stage,
    field("alert_text", el("textarea", { name: "text", rows: "2", maxlength: "500", required: "" })),
    el("p", { class: "why", i18n: "approval_rule" }),
    el("button", { type: "submit", i18n: "submit_draft" }),
    el("p", { class: "manual-out", role: "status", id: "manual-draft-out" }));
  f.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const body = { areas: [...areas.selectedOptions].map((o) => o.value),
                   stage: f.elements.stage.value, text: f.elements.text.value };
    const out = $("manual-draft-out");
    const { ok, json } = await post("/alerts", body);
    if (!ok) { showProblem(f, out, json); return; }
    out.className = "manual-out done";
    out.textContent = t(json.needs_approval ? "draft_pending" : "draft_issued", { id: json.draft_id });
    f.reset(); refresh();
  });
  return f;
}

function mmss(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

// One draft: what it would say, where, whose, and the answers this user may give.
function draftItem(d) {
  const li = el("li", { class: `draft status-${d.status}`, "data-draft-id": d.draft_id });
  const what = `${t(d.stage)} · ${d.area_names.join(", ")}`;
  li.append(el("div", {}, el("strong", {}, what)),
    el("div", { class: "why" }, `${d.text} — ${t("drafted_by", { who: d.user, id: d.draft_id })}`),
    el("div", { class: "draft-status" }, t(`status_${d.status}`)));
  if (d.status === "pending_approval") {
    li.append(el("div", { class: "why expires", "data-expires": d.expires_at }, ""));
  }
  if (d.decided_by) li.append(el("div", { class: "why" }, t("decided", { who: d.decided_by, reason: d.decision_reason || "" })));
  const me = state.me;
  const mayDecide = d.status === "pending_approval" && MAY_APPROVE.has(me.role) && d.user !== me.user;
  if (mayDecide) li.append(answers(d, [["approve", "approve"], ["reject", "reject"]], "approval_reason"));
  if (d.status === "issued" && MAY_ENTER.has(me.role)) li.append(answers(d, [["end_all_clear", "end"], ["end_cancel", "end"]], "end_reason"));
  if (d.status === "pending_approval" && d.user === me.user) li.append(el("div", { class: "why", i18n: "own_draft" }));
  return li;
}

function answers(d, buttons, reasonKey) {
  const reason = el("input", { name: "reason", maxlength: "500" });
  const out = el("p", { class: "manual-out", role: "status" });
  const box = el("form", { class: "draft-answer" }, field(reasonKey, reason));
  box.addEventListener("submit", (ev) => ev.preventDefault());
  for (const [key, verb] of buttons) {
    const b = el("button", { type: "button", i18n: key });
    b.addEventListener("click", async () => {
      const body = verb === "end" ? { stage: key === "end_all_clear" ? "all_clear" : "cancel", reason: reason.value }
                                  : { reason: reason.value };
      const { ok, json } = await post(`/alerts/${encodeURIComponent(d.draft_id)}/${verb}`, body);
      if (!ok) { showProblem(box, out, json); return; }
      out.className = "manual-out done"; out.textContent = t("answer_sent");
      refresh();
    });
    box.append(b, " ");
  }
  box.append(out);
  return box;
}

let drafts = [];

function renderDrafts() {
  const ul = $("manual-drafts");
  // Keep a list whose drafts have not changed as it is, so focus and typing survive polls
  // (a change of language redraws it within a second).
  const key = JSON.stringify([language(), ...drafts.map((d) => [d.draft_id, d.status, d.decided_by])]);
  if (ul.dataset.key !== key) {
    ul.dataset.key = key;
    ul.replaceChildren(...drafts.map(draftItem));
    $("manual-pending-count").textContent = `(${drafts.filter((d) => d.status === "pending_approval").length})`;
  }
  const now = scenarioNow();
  for (const e of ul.querySelectorAll(".expires")) {
    e.textContent = t("expires_in", { t: mmss(Date.parse(e.dataset.expires) - now) });
  }
}

async function refresh() {
  const res = await fetch("/api/v1/manual/alerts", { headers: { authorization: `Bearer ${state.me.token}` } }).catch(() => null);
  if (!res || !res.ok) return;
  drafts = await res.json();
  renderDrafts();
}

// Called once signed in: build the panel (forms only for roles that may enter).
export function initManual() {
  // A form's default time is the node's, not this computer's: from the sign-in until
  // the stream's first picture sets the clock.
  if (!state.clockRef && state.me.now) state.clockRef = { scenario: Date.parse(state.me.now), wall: Date.now() };
  const box = $("manual-panel");
  const parts = [el("summary", {}, el("span", { i18n: "manual_entry" }), " ", el("span", { id: "manual-pending-count" }))];
  if (MAY_ENTER.has(state.me.role)) parts.push(reportForm(), draftForm());
  parts.push(el("h3", { id: "manual-drafts-title", i18n: "pending_approvals" }),
    el("ul", { id: "manual-drafts", "aria-labelledby": "manual-drafts-title" }));
  box.replaceChildren(...parts);
  box.hidden = false;
  refresh();
  setInterval(() => (document.hidden ? null : refresh()), POLL_MS);
  setInterval(renderDrafts, 1000);
}
