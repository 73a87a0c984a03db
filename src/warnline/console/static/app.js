// Warnline console: sign in, follow the stream, acknowledge alerts, answer lead offers.
// Everything shown arrives already released for the signed-in partner.
import { armAudio, flashTitle, newAlertArrived, notify, setAlarm, toggleMute } from "./alarm.js";
import { announce, headline, needsMe, renderAlerts, renderCountdowns, rings, stageLabel } from "./alerts.js";
import { forgetOffers, initOverride, renderAssignments, renderChannels, renderOfferCountdowns } from "./actions.js";
import { applyLanguage, language, LANGUAGES, t } from "./i18n.js";
import { initIncidents, renderIncidents } from "./incidents.js";
import { drawMap, lightAreas, showPicture } from "./map.js";
import { initManual } from "./manual.js";

// The token lives in this tab's sessionStorage: a reload keeps the session (the server
// still holds it), closing the tab forgets it; queued acknowledgements survive a reload.
const TOKEN_KEY = "warnline.token", PENDING_KEY = "warnline.pending";
const RECONNECT_MS = 2000;
const CONFIRM_MS = 10_000;  // an acknowledgement sent on a live link unconfirmed this long is asked again

export const state = {
  me: null, ws: null, online: false, signingOut: false, known: null,
  clockRef: null, areas: null, tracks: [], filter: "",
  alerts: new Map(), received: new Map(), assignments: new Map(),
  pending: new Map(),  // alert_id -> {version, sentAt} acknowledged here, until the node echoes it
  unconfirmed: new Set(),  // acknowledgements the node did not confirm in time: asked again
};
const $ = (id) => document.getElementById(id);

// Scenario time may run faster than the wall clock: count from the server's time.
export function scenarioNow() {
  const speed = (state.me && state.me.speed) || 1;
  return state.clockRef ? state.clockRef.scenario + (Date.now() - state.clockRef.wall) * speed : Date.now();
}

// The cell's partner filter: does an item of `partner` show?
export const visible = (partner) => !state.filter || partner === state.filter;

const auth = () => ({ headers: { authorization: `Bearer ${state.me.token}` } });

async function login(ev) {
  ev.preventDefault();
  armAudio();  // inside the click: browsers allow sound to start only from a gesture
  const res = await fetch("/api/v1/session", {
    method: "POST", headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: $("username").value, password: $("password").value }),
  });
  if (!res.ok) { $("login-error").textContent = (await res.json()).detail || "Sign-in failed"; return; }
  const me = await res.json();
  sessionStorage.setItem(TOKEN_KEY, me.token);
  sessionStorage.removeItem(PENDING_KEY);
  state.me = me;
  start();
}

async function resume() {
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (!token) return;
  const res = await fetch("/api/v1/me", { headers: { authorization: `Bearer ${token}` } }).catch(() => null);
  if (!res || !res.ok) { sessionStorage.removeItem(TOKEN_KEY); return; }
  state.me = { ...(await res.json()), token };
  for (const [id, v] of Object.entries(JSON.parse(sessionStorage.getItem(PENDING_KEY) || "{}"))) state.pending.set(id, { version: v, sentAt: null });
  armAudio();  // may stay suspended until a click: the "Enable sound" button shows then
  start();
}

async function signOut() {
  state.signingOut = true;
  await fetch("/api/v1/session", { method: "DELETE", ...auth() }).catch(() => {});
  sessionStorage.removeItem(TOKEN_KEY); sessionStorage.removeItem(PENDING_KEY);
  if (state.ws) state.ws.close();
  location.replace("/");
}

async function start() {
  $("login-view").hidden = true; $("console-view").hidden = false; $("signout").hidden = false;
  $("who").textContent = `${state.me.user} (${state.me.partner}, ${state.me.role})`;
  if (state.me.exercise) { $("banner").hidden = false; $("banner").dataset.i18n = "exercise"; $("banner").textContent = t("exercise"); }
  state.areas = await (await fetch("/api/v1/areas", auth())).json();
  if (state.me.role === "cell") setupFilter();
  await refetchAlerts();
  render(); drawMap(); initManual();
  initIncidents();
  connect();
  setInterval(tick, 1000);
}

function setupFilter() {
  const sel = $("partner-filter");
  const partners = [...new Set(state.areas.features.map((f) => f.properties.partner))].sort();
  for (const p of ["", ...partners]) {
    const o = document.createElement("option"); o.value = p; o.textContent = p; sel.append(o);
    if (!p) o.dataset.i18n = "all_partners";
  }
  applyLanguage();
  $("filter-box").hidden = false;
  sel.onchange = () => { state.filter = sel.value; render(); renderAssignments(); };
}

async function refetchAlerts() {
  const res = await fetch("/api/v1/alerts", auth()).catch(() => null);
  if (!res || !res.ok) return;
  for (const a of await res.json()) merge(a);
  if (state.known === null) state.known = new Set(state.alerts.keys());  // not "new" after a reload
}

function merge(a) {
  const cur = state.alerts.get(a.alert_id);
  if (!cur || cur.version <= a.version) state.alerts.set(a.alert_id, a);
  if (state.known !== null && !state.known.has(a.alert_id)) {
    state.known.add(a.alert_id);
    newAlertArrived(); announce(a);
    if (needsMe(a)) notify(`${stageLabel(a)}: ${a.area_name}`, headline(a), a.alert_id, () => focusCard(a.alert_id));
  }
}

function focusCard(id) { const li = document.querySelector(`li[data-alert-id="${CSS.escape(id)}"]`); if (li) li.focus(); }

function render() {
  const list = renderAlerts();
  lightAreas();
  setAlarm(list.some(rings));
  flashTitle(list.filter(needsMe).length);
}

function tick() {
  // The alarm stopped at the click; if the node never confirms, the alert asks again.
  for (const [id, p] of state.pending) {
    if (p.sentAt !== null && Date.now() - p.sentAt > CONFIRM_MS) { state.pending.delete(id); state.unconfirmed.add(id); savePending(); }
  }
  renderCountdowns(); renderOfferCountdowns(); render();
}

function connect() {
  const proto = location.protocol === "https:" ? "wss" : "ws";
  // The token goes in the first message, never in the URL (logs, history) or a cookie alone.
  const ws = new WebSocket(`${proto}://${location.host}/api/v1/stream`);
  state.ws = ws;
  ws.onopen = () => { ws.send(JSON.stringify({ type: "auth", token: state.me.token })); };
  ws.onclose = (e) => {
    state.online = false; setLink();
    for (const p of state.pending.values()) p.sentAt = null;  // sent again on reconnect
    render();
    if (e.code === 4401) { sessionStorage.removeItem(TOKEN_KEY); location.replace("/"); return; }  // session ended
    if (!state.signingOut) setTimeout(connect, RECONNECT_MS);
  };
  ws.onmessage = (m) => onMessage(JSON.parse(m.data));
}

export function send(msg) {
  if (state.ws && state.ws.readyState === WebSocket.OPEN && state.online) { state.ws.send(JSON.stringify(msg)); return true; }
  if (msg.type !== "ack") $("response-error").textContent = t("offline_not_sent");
  return false;
}

// An acknowledgement is kept until the node echoes it, and sent again on every reconnect:
// the node records one per (alert, version, user), so a repeat changes nothing.
export function acknowledge(alertId) {
  const a = state.alerts.get(alertId);
  state.unconfirmed.delete(alertId);
  state.pending.set(alertId, { version: a.version, sentAt: null });
  savePending();
  sendAck(alertId);
  render();
  // Focus goes on to the next alert waiting for this user, else to the strip's heading
  // (the card itself is about to fold away).
  const next = document.querySelector("#alerts > li.needs-me button.ack:not([hidden])");
  (next || $("actions-title")).focus();
}

function sendAck(alertId) {
  const p = state.pending.get(alertId);
  if (send({ type: "ack", alert_id: alertId, version: p.version })) p.sentAt = Date.now();
}

function savePending() {
  const versions = Object.fromEntries([...state.pending].map(([id, p]) => [id, p.version]));
  sessionStorage.setItem(PENDING_KEY, JSON.stringify(versions));
}

function flushPending() { for (const id of state.pending.keys()) sendAck(id); }

function onMessage(msg) {
  if (msg.type === "hello") {
    state.online = true; setLink();
    flushPending();
    refetchAlerts().then(render);  // acknowledgements made elsewhere while this one was away
    render();
  } else if (msg.type === "alert") {
    const a = msg.alert;
    const n = (state.received.get(a.version_key) || 0) + 1;
    state.received.set(a.version_key, n);
    state.ws.send(JSON.stringify({ type: "received", alert_id: a.alert_id, version: a.version, count: n }));
    merge(a); render();
  } else if (msg.type === "ack") {
    const a = state.alerts.get(msg.alert_id);
    if (msg.user === state.me.user && state.pending.has(msg.alert_id) && msg.version >= state.pending.get(msg.alert_id).version) {
      state.pending.delete(msg.alert_id); savePending();
    }
    if (a && a.version <= msg.version) a.acknowledged_by = [...new Set([...(a.acknowledged_by || []), msg.user])];
    if (a && msg.acknowledgement) a.acknowledgement = msg.acknowledgement;
    render();
  } else if (msg.type === "ack.progress") {
    const a = state.alerts.get(msg.alert_id);
    if (a) { a.acknowledgement = msg.acknowledgement; render(); }
  } else if (msg.type === "picture") {
    state.clockRef = { scenario: Date.parse(msg.at), wall: Date.now() };
    $("picture-at").textContent = msg.at.slice(11, 19) + "Z";
    showPicture(msg.tracks);  // drawn in animation frames, the newest only (map.js)
  } else if (msg.type === "assignment") {
    const a = msg.assignment; const cur = state.assignments.get(a.incident_id);
    if (!cur || cur.version <= a.version) state.assignments.set(a.incident_id, a);
    renderAssignments(); render();
  } else if (msg.type === "channel.health") {
    renderChannels(msg.channels);  // coordination cell only: escalation now skips a dead one
  } else if (msg.type === "error") {
    $("response-error").textContent = msg.detail;
  }
}

function setLink() {
  $("link").dataset.i18n = state.online ? "online" : "offline";
  $("link").textContent = t($("link").dataset.i18n); $("link").className = state.online ? "link up" : "link down";
}

function setupLanguage() {
  const sel = $("language");
  for (const [code, name] of Object.entries(LANGUAGES)) {
    const o = document.createElement("option"); o.value = code; o.textContent = name; o.lang = code; sel.append(o);
  }
  sel.value = language();
  sel.onchange = () => {
    applyLanguage(sel.value);
    if (!state.me) return;
    forgetOffers(); renderAssignments(); render(); renderIncidents();
  };
  applyLanguage();
}

setupLanguage();
setLink();
$("login").addEventListener("submit", login);
$("signout").addEventListener("click", signOut);
$("mute").addEventListener("click", toggleMute);
$("sound").addEventListener("click", () => armAudio());
initOverride();
resume();
