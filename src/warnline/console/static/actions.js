// The lead-partner procedure on the console: open offers with their countdown in the
// action strip, the list of assignments, and the cell's override (reason and
// confirmation asked). Responsibility between partners only: nothing here fires anything.
import { state, scenarioNow, send, visible } from "./app.js";
import { t } from "./i18n.js";

const $ = (id) => document.getElementById(id);

function assignmentText(a) {
  if (a.status === "lead") return t("lead_is", { p: a.lead });
  if (a.status === "escalated") return t("escalated");
  const what = a.purpose === "consent" ? t("consent_asked", { p: a.offered_to, q: a.on_behalf }) : t("offered", { p: a.offered_to });
  return a.lead ? t("handover", { what, p: a.lead }) : what;
}

const offeredToMe = (a) => a.status === "offered" && a.offered_to === state.me.partner && state.me.role === "commander";
const involves = (a) => visible(a.lead) || visible(a.offered_to) || visible(a.on_behalf) || (!a.lead && !a.offered_to && visible(""));

function describe(li, a) {
  li.innerHTML = `<div><strong></strong></div><div class="why"></div>`;
  li.querySelector("strong").textContent = `${a.incident_id}: ${t("rule", { what: assignmentText(a), rule: a.rule })}`;
  li.querySelector(".why").textContent = a.explanation;
  if (a.ranking && a.ranking.length) {
    const d = document.createElement("details"); const sm = document.createElement("summary");
    sm.textContent = t("ranking"); d.append(sm);
    for (const line of a.ranking) { const p = document.createElement("div"); p.textContent = line; d.append(p); }
    li.append(d);
  }
}

// Offers are rebuilt only when their version changes; the countdown alone ticks.
const offerCards = new Map();
function renderOffers() {
  const ul = $("offers");
  const open = [...state.assignments.values()].filter(offeredToMe).sort((x, y) => (x.expires_at || "").localeCompare(y.expires_at || ""));
  const keep = new Set(open.map((a) => `${a.incident_id}@${a.version}`));
  for (const [key, li] of offerCards) if (!keep.has(key)) { li.remove(); offerCards.delete(key); }
  for (const a of open) {
    const key = `${a.incident_id}@${a.version}`;
    if (offerCards.has(key)) continue;
    const li = document.createElement("li");
    li.className = "offer"; li.dataset.incidentId = a.incident_id;
    describe(li, a);
    const cd = document.createElement("div"); cd.className = "offer-countdown"; cd.dataset.expires = a.expires_at || "";
    li.prepend(cd);
    for (const [label, accept] of [[t(a.purpose === "consent" ? "consent" : "accept"), true], [t(a.purpose === "consent" ? "refuse" : "decline"), false]]) {
      const b = document.createElement("button"); b.textContent = label; b.className = accept ? "accept" : "decline";
      b.onclick = () => send({ type: "lead", incident_id: a.incident_id, accept, version: a.version });
      li.append(b);
    }
    offerCards.set(key, li); ul.append(li);
  }
  renderOfferCountdowns();
}

export function forgetOffers() { for (const li of offerCards.values()) li.remove(); offerCards.clear(); }

export function renderOfferCountdowns() {
  const now = scenarioNow();
  for (const el of document.querySelectorAll(".offer-countdown")) {
    if (!el.dataset.expires) { el.textContent = t("offer_now"); continue; }
    const s = Math.max(0, Math.floor((Date.parse(el.dataset.expires) - now) / 1000));
    const text = s > 0 ? t("offer_within", { t: `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}` }) : t("offer_up");
    if (el.textContent !== text) el.textContent = text;
  }
}

export function renderAssignments() {
  renderOffers();
  const ul = $("assignments"); ul.replaceChildren();
  for (const a of [...state.assignments.values()].filter(involves).sort((x, y) => y.incident_id.localeCompare(x.incident_id))) {
    const li = document.createElement("li");
    li.className = "assignment " + a.status; li.dataset.incidentId = a.incident_id;
    describe(li, a);
    if (state.me.role === "cell") {
      const b = document.createElement("button"); b.textContent = t("override"); b.className = "override";
      b.onclick = () => askOverride(a);
      li.append(b);
    }
    ul.append(li);
  }
}

// The cell names another lead: the current one is preselected, a reason is required,
// and nothing is sent before "Confirm override".
let overriding = null;
function askOverride(a) {
  overriding = a;
  const partners = [...new Set((state.areas ? state.areas.features : []).map((f) => f.properties.partner))].sort();
  const sel = $("override-lead"); sel.replaceChildren();
  for (const p of partners) { const o = document.createElement("option"); o.value = p; o.textContent = p; sel.append(o); }
  sel.value = a.lead || a.offered_to || partners[0];
  $("override-title").textContent = t("override_title", { id: a.incident_id });
  $("override-current").textContent = t("override_now", { what: assignmentText(a) });
  $("override-reason").value = ""; $("override-error").textContent = "";
  $("override-dialog").showModal();
  $("override-reason").focus();
}

export function initOverride() {
  $("override-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const reason = $("override-reason").value.trim();
    if (!reason) { $("override-error").textContent = t("reason_needed"); $("override-reason").focus(); return; }
    send({ type: "override", incident_id: overriding.incident_id, lead: $("override-lead").value, reason });
    $("override-dialog").close();
  });
  $("override-cancel").addEventListener("click", () => $("override-dialog").close());
}

export function renderChannels(channels) {
  const dead = channels.filter((c) => c.status === "dead");
  const el = $("channel-notice");
  el.hidden = dead.length === 0;
  el.textContent = dead.map((c) => t("channel_down", { name: c.label || c.channel })).join(" · ") + (dead.length ? t("skips") : "");
  el.title = dead.map((c) => `${c.label || c.channel}: ${c.last_error}`).join("\n");
}
