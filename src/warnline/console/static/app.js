// Warnline console: sign in, follow the stream, acknowledge alerts.
// Everything shown arrives already released for the signed-in partner.
"use strict";
const state = { clockRef: null, me: null, alerts: new Map(), received: new Map(), ws: null, areas: null, tracks: [], assignments: new Map() };
const $ = (id) => document.getElementById(id);
const BOUNDS = { lon0: 24, lon1: 60, lat0: 12, lat1: 38 };

function project(lon, lat) {
  const x = (lon - BOUNDS.lon0) / (BOUNDS.lon1 - BOUNDS.lon0) * 1000;
  const y = (BOUNDS.lat1 - lat) / (BOUNDS.lat1 - BOUNDS.lat0) * 700;
  return [x.toFixed(1), y.toFixed(1)];
}

async function login(ev) {
  ev.preventDefault();
  const res = await fetch("/api/v1/session", {
    method: "POST", headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: $("username").value, password: $("password").value }),
  });
  if (!res.ok) { $("login-error").textContent = (await res.json()).detail || "Sign-in failed"; return; }
  state.me = await res.json();
  start();
}

async function start() {
  $("login-view").hidden = true; $("console-view").hidden = false;
  $("who").textContent = `${state.me.user} (${state.me.partner}, ${state.me.role})`;
  if (state.me.exercise) { $("banner").hidden = false; $("banner").textContent = "EXERCISE EXERCISE EXERCISE"; }
  const auth = { headers: { authorization: `Bearer ${state.me.token}` } };
  state.areas = await (await fetch("/api/v1/areas", auth)).json();
  for (const a of await (await fetch("/api/v1/alerts", auth)).json()) state.alerts.set(a.alert_id, a);
  renderAlerts(); drawMap();
  connect();
  setInterval(renderCountdowns, 1000);
}

function connect() {
  const proto = location.protocol === "https:" ? "wss" : "ws";
  // The token goes in the first message, never in the URL (logs, history) or a cookie alone.
  const ws = new WebSocket(`${proto}://${location.host}/api/v1/stream`);
  state.ws = ws;
  ws.onopen = () => { ws.send(JSON.stringify({ type: "auth", token: state.me.token })); };
  ws.onclose = () => { $("link").textContent = "offline"; $("link").className = "link down"; setTimeout(connect, 2000); };
  ws.onmessage = (m) => onMessage(JSON.parse(m.data));
}

function onMessage(msg) {
  if (msg.type === "hello") {
    $("link").textContent = "online"; $("link").className = "link up";
  } else if (msg.type === "alert") {
    const a = msg.alert;
    const n = (state.received.get(a.version_key) || 0) + 1;
    state.received.set(a.version_key, n);
    state.ws.send(JSON.stringify({ type: "received", alert_id: a.alert_id, version: a.version, count: n }));
    const cur = state.alerts.get(a.alert_id);
    if (!cur || cur.version <= a.version) state.alerts.set(a.alert_id, a);
    renderAlerts();
  } else if (msg.type === "ack") {
    const a = state.alerts.get(msg.alert_id);
    if (a && a.version <= msg.version) { a.acknowledged_by = [...new Set([...(a.acknowledged_by || []), msg.user])]; renderAlerts(); }
  } else if (msg.type === "picture") {
    state.clockRef = { scenario: Date.parse(msg.at), wall: Date.now() };
    state.tracks = msg.tracks; $("picture-at").textContent = msg.at.slice(11, 19) + "Z"; renderTracks(); drawMap();
  } else if (msg.type === "assignment") {
    const a = msg.assignment; const cur = state.assignments.get(a.incident_id);
    if (!cur || cur.version <= a.version) state.assignments.set(a.incident_id, a);
    renderAssignments();
  } else if (msg.type === "channel.health") {
    // Coordination cell only: a dead delivery channel or route, which escalation now skips.
    const dead = msg.channels.filter((c) => c.status === "dead");
    const el = $("channel-notice");
    el.hidden = dead.length === 0;
    el.textContent = dead.map((c) => `Channel down: ${c.channel} (${c.last_error})`).join(" · ");
  } else if (msg.type === "error") {
    $("response-error").textContent = msg.detail;
  }
}

// Lead-partner procedure: who leads the response to each incident (never fire control).
function assignmentText(a) {
  if (a.status === "lead") return `lead: ${a.lead}`;
  if (a.status === "escalated") return "escalated to the coordination cell";
  const what = a.purpose === "consent" ? `consent asked of ${a.offered_to} for ${a.on_behalf}` : `lead offered to ${a.offered_to}`;
  return a.lead ? `${what} (hand-over; ${a.lead} leads until accepted)` : what;
}

function answerOffer(a, accept) {
  state.ws.send(JSON.stringify({ type: "lead", incident_id: a.incident_id, accept, version: a.version }));
}

function override(a, lead) {
  state.ws.send(JSON.stringify({ type: "override", incident_id: a.incident_id, lead, reason: "override from the console" }));
}

function renderAssignments() {
  const ul = $("assignments"); ul.replaceChildren();
  const partners = [...new Set((state.areas ? state.areas.features : []).map((f) => f.properties.partner))].sort();
  for (const a of [...state.assignments.values()].sort((x, y) => y.incident_id.localeCompare(x.incident_id))) {
    const li = document.createElement("li");
    li.className = "assignment " + a.status; li.dataset.incidentId = a.incident_id;
    li.innerHTML = `<div><strong></strong></div><div class="why"></div>`;
    li.querySelector("strong").textContent = `${a.incident_id}: ${assignmentText(a)} (${a.rule} rule)`;
    li.querySelector(".why").textContent = a.explanation;
    if (a.ranking && a.ranking.length) {
      const d = document.createElement("details"); const sm = document.createElement("summary");
      sm.textContent = "Ranking"; d.append(sm);
      for (const line of a.ranking) { const p = document.createElement("div"); p.textContent = line; d.append(p); }
      li.append(d);
    }
    if (a.status === "offered" && a.offered_to === state.me.partner && state.me.role === "commander") {
      for (const [label, accept] of [[a.purpose === "consent" ? "Consent" : "Accept lead", true], [a.purpose === "consent" ? "Refuse" : "Decline", false]]) {
        const b = document.createElement("button"); b.textContent = label; b.className = accept ? "accept" : "decline";
        b.onclick = () => answerOffer(a, accept); li.append(b);
      }
    }
    if (state.me.role === "cell") {
      const sel = document.createElement("select"); sel.setAttribute("aria-label", `Lead for ${a.incident_id}`);
      for (const p of partners) { const o = document.createElement("option"); o.value = p; o.textContent = p; sel.append(o); }
      const b = document.createElement("button"); b.textContent = "Override lead"; b.className = "override";
      b.onclick = () => override(a, sel.value); li.append(sel, b);
    }
    ul.append(li);
  }
}

function acknowledge(alertId, version) {
  state.ws.send(JSON.stringify({ type: "ack", alert_id: alertId, version }));
}

const STAGES = { early_warning: "EARLY WARNING", alert: "TAKE SHELTER", update: "UPDATE", all_clear: "ALL CLEAR", cancel: "CANCELLED" };

function renderAlerts() {
  const ul = $("alerts"); ul.replaceChildren();
  // A real alert always comes before an exercise; then the soonest arrival first.
  const real = (a) => (a.status === "Actual" ? "0" : "1");
  const list = [...state.alerts.values()].sort((a, b) => (real(a) + (a.expected_at || "9")).localeCompare(real(b) + (b.expected_at || "9")));
  let active = 0;
  for (const a of list) {
    const li = document.createElement("li");
    const acked = (a.acknowledged_by || []).length > 0;
    const cancel = a.msg_type === "Cancel";
    if (!cancel) active++;
    li.className = "alert" + (acked ? " acked" : "") + (cancel ? " cancel" : "");
    li.dataset.alertId = a.alert_id;
    const ex = a.status !== "Actual" ? `[${a.status.toUpperCase()}] ` : "";
    li.innerHTML = `<div><strong></strong></div><div class="countdown"></div><div class="shelter"></div><div class="why"></div>`;
    const stage = STAGES[a.stage] || a.msg_type;
    li.classList.add("stage-" + (a.stage || "alert"));
    li.querySelector("strong").textContent = `${ex}${stage} v${a.version}: ${a.headline}`;
    li.querySelector(".countdown").dataset.expected = a.expected_at || "";
    li.querySelector(".countdown").dataset.shelter = a.time_to_shelter_s || "";
    li.querySelector(".why").textContent = a.reason;
    if (!cancel && !acked && a.partner === state.me.partner) {
      const b = document.createElement("button");
      b.textContent = `Acknowledge ${a.area_name}`;
      b.onclick = () => acknowledge(a.alert_id, a.version);
      li.append(b);
    } else if (acked) {
      const s = document.createElement("div"); s.textContent = "Acknowledged by " + a.acknowledged_by.join(", "); li.append(s);
    }
    ul.append(li);
  }
  $("alert-count").textContent = `(${active} active)`;
  renderCountdowns();
}

function renderCountdowns() {
  // Scenario time may run faster than the wall clock: count from the server's time.
  const speed = (state.me && state.me.speed) || 1;
  const now = state.clockRef ? state.clockRef.scenario + (Date.now() - state.clockRef.wall) * speed : Date.now();
  for (const el of document.querySelectorAll(".countdown")) {
    if (!el.dataset.expected) { el.textContent = ""; continue; }
    const s = Math.max(0, Math.floor((Date.parse(el.dataset.expected) - now) / 1000));
    el.textContent = `T-${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
    const shelter = Number(el.dataset.shelter || 0);
    const note = el.parentElement.querySelector(".shelter");
    if (note) note.textContent = shelter ? `time to shelter ${shelter} s${s <= shelter ? " · SHELTER NOW" : ""}` : "";
  }
}

function renderTracks() {
  const tb = $("tracks").querySelector("tbody"); tb.replaceChildren();
  for (const t of state.tracks) {
    const tr = document.createElement("tr");
    const risk = (t.areas_at_risk || [])[0];
    for (const v of [t.track_id, t.kind, t.identity, `${t.position.lat.toFixed(2)}, ${t.position.lon.toFixed(2)}`, t.sources.join(", "),
                     risk ? `${risk.name} in ${Math.round(risk.time_to_arrival_s)} s` : ""]) {
      const td = document.createElement("td"); td.textContent = v; tr.append(td);
    }
    tb.append(tr);
  }
}

function ringPath(ring) { return ring.map(([lon, lat], i) => (i ? "L" : "M") + project(lon, lat).join(",")).join("") + "Z"; }

function drawMap() {
  const svg = $("map"); if (!state.areas) return;
  let html = "";
  for (const f of state.areas.features) {
    const g = f.geometry; const polys = g.type === "Polygon" ? [g.coordinates] : g.type === "MultiPolygon" ? g.coordinates : [];
    const cls = f.properties.kind === "territory" ? "area" : "area defended";
    for (const p of polys) if (p.length) html += `<path class="${cls}" d="${ringPath(p[0])}"><title>${f.properties.name}</title></path>`;  // an empty area (no territory) draws nothing
  }
  for (const t of state.tracks) {
    if (t.corridor && t.corridor.length) html += `<path class="corridor" d="${ringPath(t.corridor)}"/>`;
    const [x, y] = project(t.position.lon, t.position.lat);
    html += `<circle class="track" cx="${x}" cy="${y}" r="4"><title>${t.track_id} ${t.kind}</title></circle>`;
  }
  svg.innerHTML = html;
}

$("login").addEventListener("submit", login);
