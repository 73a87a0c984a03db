// Alert cards: most urgent first, each card built once and updated in place (keyboard
// focus survives every update), handled and ended ones folded away.
import { state, scenarioNow, acknowledge, visible } from "./app.js";
import { language, t } from "./i18n.js";

const $ = (id) => document.getElementById(id);
export const STAGES = {
  early_warning: { icon: "M12 2 L23 21 H1 Z M11 8 V14 H13 V8 Z M11 16 V18 H13 V16 Z" },
  alert: { icon: "M7 2 H17 L22 7 V17 L17 22 H7 L2 17 V7 Z M11 6 V14 H13 V6 Z M11 16 V18 H13 V16 Z" },
  update: { icon: "M12 2 L22 12 L12 22 L2 12 Z M11 7 V13 H13 V7 Z M11 15 V17 H13 V15 Z" },
  all_clear: { icon: "M12 2 A10 10 0 1 1 11.99 2 Z M6 11 H18 V13 H6 Z" },
  cancel: { icon: "M4 6 L6 4 L12 10 L18 4 L20 6 L14 12 L20 18 L18 20 L12 14 L6 20 L4 18 L10 12 Z" },
};
export const stageLabel = (a) => (STAGES[a.stage] ? t(a.stage) : a.msg_type);
// The alert's own words in the page's language: those of its CAP info block.
const words = (a) => (a.texts && a.texts[language()]) || null;
const headline = (a) => (language() !== "en" && words(a) ? words(a).headline : a.headline);
const THREAT = new Set(["early_warning", "alert", "update"]);
const cards = new Map();  // alert_id -> card element, kept for the alert's life

export const ended = (a) => a.msg_type === "Cancel" || a.stage === "cancel" || a.stage === "all_clear";
const progress = (a) => a.acknowledgement || null;
export const ruleMet = (a) => (progress(a) ? progress(a).met : (a.acknowledged_by || []).length > 0);
const ackedBy = (a) => (progress(a) ? progress(a).acked_by : a.acknowledged_by || []);

// Does this alert wait for the signed-in user's own acknowledgement?
export function needsMe(a) {
  const me = state.me;
  if (!me || ended(a) || a.partner !== me.partner || !me.may_acknowledge) return false;
  if (ruleMet(a) || state.pending.has(a.alert_id) || ackedBy(a).includes(me.user)) return false;
  const p = progress(a);
  return !(p && p.rule === "each_role" && p.acked_roles.includes(me.duty_role));
}
export const rings = (a) => needsMe(a) && THREAT.has(a.stage || "alert");

function urgency(a) {
  const eta = a.expected_at ? Date.parse(a.expected_at) : Infinity;
  return [needsMe(a) ? 0 : 1, a.status === "Actual" ? 0 : 1, THREAT.has(a.stage) ? 0 : 1, eta];
}
function compare(x, y) {
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i] < y[i] ? -1 : 1;
  return 0;
}

function buildCard(a) {
  const li = document.createElement("li");
  li.dataset.alertId = a.alert_id; li.tabIndex = -1;
  li.innerHTML = `<div class="head"><svg class="icon" viewBox="0 0 24 24" aria-hidden="true"><path/></svg><strong class="title"></strong></div>
    <div class="countdown"></div><div class="shelter"></div><div class="status"></div><div class="progress"></div><div class="why"></div>`;
  const b = document.createElement("button");
  b.className = "ack"; b.onclick = () => acknowledge(a.alert_id);
  li.append(b);
  return li;
}

function fillCard(li, a) {
  const stage = { label: stageLabel(a), icon: (STAGES[a.stage] || STAGES.update).icon };
  const p = progress(a);
  li.className = `alert stage-${a.stage || "alert"}` + (ruleMet(a) ? " acked" : "") + (ended(a) ? " ended" : "") + (needsMe(a) ? " needs-me" : "");
  li.querySelector("path").setAttribute("d", stage.icon);
  const ex = a.status !== "Actual" ? `[${a.status.toUpperCase()}] ` : "";
  setText(li.querySelector(".title"), `${ex}${stage.label} v${a.version}: ${headline(a)}`);
  const cd = li.querySelector(".countdown");
  cd.dataset.expected = ended(a) ? "" : a.expected_at || ""; cd.dataset.shelter = a.time_to_shelter_s || "";
  setText(li.querySelector(".why"), language() !== "en" && words(a) ? words(a).instruction : a.reason);
  const who = ackedBy(a);
  let status = "";
  if (state.pending.has(a.alert_id)) status = state.online ? t("acking") : t("queued");
  else if (who.length) status = t("acked_by", { who: who.join(", ") });
  else if (state.unconfirmed.has(a.alert_id)) status = t("unconfirmed");
  setText(li.querySelector(".status"), status);
  let prog = "";
  if (p && !p.met && !ended(a)) {
    const waiting = p.rule === "each_role" ? t("waiting_roles", { roles: p.waiting_for.join(", ") }) : t("waiting_floor", { partner: a.partner });
    const e = p.escalation;
    const step = e.step ? t("step", e) + (e.round ? t("round", { round: e.round + 1 }) : "") : "";
    const next = e.next_roles.length ? t("next", { roles: e.next_roles.join(", "), channels: e.next_channels.join(", ") }) : "";
    prog = waiting + step + next;
  }
  setText(li.querySelector(".progress"), prog);
  const b = li.querySelector("button.ack");
  b.hidden = !needsMe(a);
  setText(b, t("acknowledge", { area: a.area_name }));
}

function setText(el, text) { if (el.textContent !== text) el.textContent = text; }

// Put `items` into `ul` in order, moving only what is out of place. moveBefore keeps a
// focused element focused where the browser has it; otherwise focus is put back.
function place(ul, items) {
  const focused = document.activeElement;
  items.forEach((el, i) => {
    if (ul.children[i] === el) return;
    const ref = ul.children[i] || null;
    if (ul.moveBefore && el.isConnected) ul.moveBefore(el, ref); else ul.insertBefore(el, ref);
  });
  while (ul.children.length > items.length) {
    const last = ul.lastElementChild;
    if (items.includes(last)) break;
    last.remove();
  }
  if (focused && focused !== document.activeElement && focused.isConnected) focused.focus();
}

export function renderAlerts() {
  const list = [...state.alerts.values()].filter((a) => visible(a.partner));
  list.sort((x, y) => compare(urgency(x), urgency(y)) || x.alert_id.localeCompare(y.alert_id));
  const open = [], handled = [];
  for (const a of list) {
    let li = cards.get(a.alert_id);
    if (!li) { li = buildCard(a); cards.set(a.alert_id, li); }
    fillCard(li, a);
    (ended(a) || ruleMet(a) ? handled : open).push(li);
  }
  // Cards of alerts no longer shown (another partner filtered away) leave their lists.
  for (const [id, li] of cards) if (!open.includes(li) && !handled.includes(li)) { li.remove(); if (!state.alerts.has(id)) cards.delete(id); }
  place($("alerts"), open); place($("handled"), handled);
  const mine = list.filter(needsMe);
  setText($("alert-count"), mine.length ? t("count_mine", { open: open.length, mine: mine.length }) : t("count", { open: open.length }));
  setText($("handled-count"), String(handled.length));
  $("nothing").hidden = open.length > 0 || $("offers").children.length > 0;
  renderThumb(list.find(needsMe));
  renderCountdowns();
  return list;
}

// On a phone the most urgent acknowledgement sits at the bottom, under the thumb.
function renderThumb(a) {
  const bar = $("thumb-bar"), b = $("thumb-ack");
  bar.classList.toggle("empty", !a);
  if (!a) { b.hidden = true; return; }
  b.hidden = false; setText(b, t("most_urgent", { area: a.area_name }));
  b.onclick = () => acknowledge(a.alert_id);
}

export function renderCountdowns() {
  const now = scenarioNow();
  for (const el of document.querySelectorAll(".countdown")) {
    const note = el.parentElement.querySelector(".shelter");
    if (!el.dataset.expected) { setText(el, ""); if (note) setText(note, ""); continue; }
    const s = Math.max(0, Math.floor((Date.parse(el.dataset.expected) - now) / 1000));
    setText(el, `T-${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`);
    const shelter = Number(el.dataset.shelter || 0);
    if (note) setText(note, shelter ? t("shelter", { s: shelter }) + (s <= shelter ? ` · ${t("shelter_now")}` : "") : "");
  }
}

export { headline };

export function announce(a) {
  $("announcer").textContent = t("new_alert", { stage: stageLabel(a), area: a.area_name, headline: headline(a) });
}
