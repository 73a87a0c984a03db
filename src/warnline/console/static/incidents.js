// Incidents and record: the incidents this partner may see, and one incident's timeline
// (reports, alerts, lead steps, acknowledgements, deliveries), each step with its entry
// in the signed record. "Record #n" fetches the entry's inclusion proof and checks it
// here, with the browser's own SHA-256, against the root of the hub's signed head.
import { state } from "./app.js";
import { STAGES } from "./alerts.js";
import { t } from "./i18n.js";

const $ = (id) => document.getElementById(id);
const REFRESH_MS = 5000;
const SEVERITY = ["alert", "update", "early_warning", "all_clear", "cancel"];  // most urgent first
let incidents = [], selected = null, timeline = null;

const get = async (path) => {
  const res = await fetch(path, { headers: { authorization: `Bearer ${state.me.token}` } }).catch(() => null);
  return res && res.ok ? res.json() : null;
};

export function initIncidents() {
  $("incidents-panel").hidden = false;
  $("incidents-refresh").addEventListener("click", refresh);
  refresh();
  setInterval(() => { if (!document.hidden) refresh(); }, REFRESH_MS);
}

async function refresh() {
  const got = await get("/api/v1/incidents");
  if (got) { incidents = got; renderIncidents(); }
  if (selected) await loadTimeline(selected, false);
}

// What a duty officer scans for: the most urgent stage of its alerts, the areas, the lead.
function summary(inc) {
  const alerts = inc.alerts.map((id) => state.alerts.get(id)).filter(Boolean);
  const stage = SEVERITY.find((s) => alerts.some((a) => a.stage === s)) || "";
  const areas = [...new Set(alerts.map((a) => a.area_name))].join(", ");
  const a = state.assignments.get(inc.incident_id);
  let lead = t("no_lead");
  if (a && a.status === "lead") lead = t("lead_is", { p: a.lead });
  else if (a && a.status === "escalated") lead = t("escalated");
  else if (a) lead = t("offered", { p: a.offered_to });
  return { stage, areas, lead };
}

export function renderIncidents() {
  if (!state.me || $("incidents-panel").hidden) return;
  const ul = $("incident-list");
  const focused = document.activeElement && document.activeElement.dataset.incident;
  ul.replaceChildren();
  $("no-incidents").hidden = incidents.length > 0;
  for (const inc of [...incidents].reverse()) {  // newest first
    const { stage, areas, lead } = summary(inc);
    const li = document.createElement("li");
    const b = document.createElement("button");
    b.type = "button"; b.className = "incident"; b.dataset.incident = inc.incident_id;
    b.setAttribute("aria-pressed", String(inc.incident_id === selected));
    if (stage) b.classList.add(`stage-${stage}`);
    const kinds = Object.entries(inc.kinds).map(([k, n]) => `${n} ${k.replace(/_/g, " ")}`).join(", ");
    const parts = [
      inc.incident_id,
      stage ? t(stage) : (inc.ended ? t("incident_ended") : t("incident_open")),
      areas || "–", lead, kinds,
    ];
    b.textContent = parts.filter(Boolean).join(" · ");
    b.addEventListener("click", () => loadTimeline(inc.incident_id, true));
    li.append(b); ul.append(li);
    if (focused === inc.incident_id) b.focus();
  }
  renderTimeline();
}

async function loadTimeline(id, moveFocus) {
  selected = id;
  const got = await get(`/api/v1/incidents/${encodeURIComponent(id)}/timeline`);
  timeline = got;
  renderIncidents();
  if (moveFocus) $("timeline-title").focus();
}

function renderTimeline() {
  const box = $("timeline");
  box.hidden = !timeline;
  if (!timeline) return;
  const open = new Set([...document.querySelectorAll("#timeline-steps button.record[aria-expanded=true]")].map((b) => b.dataset.seq));
  const focused = document.activeElement && document.activeElement.dataset.seq;
  $("timeline-title").textContent = t("timeline_of", { id: timeline.incident.incident_id });
  const body = $("timeline-steps");
  body.replaceChildren();
  for (const step of timeline.steps) {
    const tr = document.createElement("tr");
    tr.className = `step step-${step.kind}`;
    const time = document.createElement("td"); time.textContent = step.at.slice(11, 19) + "Z";
    const kind = document.createElement("td"); kind.textContent = t(`step_${step.kind}`);
    const text = document.createElement("td"); text.textContent = stepText(step);
    const rec = document.createElement("td");
    const b = document.createElement("button");
    b.type = "button"; b.className = "record"; b.dataset.seq = String(step.record.seq);
    b.textContent = t("record", { seq: step.record.seq });
    b.setAttribute("aria-expanded", "false");
    const out = document.createElement("div"); out.className = "proof"; out.setAttribute("role", "status");
    b.addEventListener("click", () => toggleProof(b, out, step.record));
    rec.append(b, out);
    tr.append(time, kind, text, rec);
    body.append(tr);
    if (open.has(b.dataset.seq)) toggleProof(b, out, step.record);
    if (focused === b.dataset.seq) b.focus();
  }
}

// The step in the console's language where the console has the words; the node's own
// line (English, as alert texts and lead explanations are) otherwise.
function stepText(step) {
  const d = step.details;
  if (step.kind === "reports") return t("reports_text", { n: d.count, track: d.track_id, source: d.sensor ? `${d.source} ${d.sensor}` : d.source });
  if (step.kind === "incident") return t(d.ended ? "incident_ended" : "incident_opened");
  if (step.kind === "alert") return `${STAGES[d.stage] ? t(d.stage) : d.msg_type} · ${d.area_name} · v${d.version}`;
  if (step.kind === "ack") return t("ack_text", { user: d.user, id: d.alert_id, v: d.version, channel: d.channel });
  if (step.kind === "delivery" || step.kind === "offer_delivery") {
    const outcomes = Object.entries(d.outcomes).map(([o, n]) => `${n} ${t(`outcome_${o}`)}`).join(", ");
    return t("delivery_text", { what: d.subject, who: d.recipient, channel: d.channel, n: d.attempts }) + (outcomes ? ` · ${outcomes}` : "");
  }
  if (step.kind === "lead") {
    let what = t("offered", { p: d.offered_to });
    if (d.status === "lead") what = t("lead_is", { p: d.lead });
    else if (d.status === "escalated") what = t("escalated");
    else if (d.purpose === "consent") what = t("consent_asked", { p: d.offered_to, q: d.on_behalf });
    return `${t("rule", { what, rule: d.rule })} · ${d.trigger}`;
  }
  if (step.kind === "answer") return t(d.accept ? "answer_yes" : "answer_no", { user: d.user, p: d.partner });
  if (step.kind === "override") return t("override_text", { user: d.user, p: d.lead, reason: d.reason });
  return step.text;
}

async function toggleProof(button, out, record) {
  const opening = button.getAttribute("aria-expanded") !== "true";
  button.setAttribute("aria-expanded", String(opening));
  if (!opening) { out.textContent = ""; return; }
  out.textContent = t("checking");
  const proof = await get(record.proof);
  if (!proof) { out.textContent = t("proof_missing"); return; }
  const included = proof.hash === record.hash && await verifyInclusion(proof);
  const signed = included && await verifyHead(proof.head, state.me.record_signer);
  const ok = included && signed;
  out.dataset.verified = String(ok);
  const done = t("proof_ok", { seq: proof.seq, size: proof.tree_size, at: proof.head.timestamp.slice(0, 19) + "Z", signer: proof.head.signer });
  out.textContent = (ok ? done : t(included ? "sig_bad" : "proof_bad"))
    + (proof.entry ? "" : ` ${t("withheld")}`);
}

// The head's Ed25519 signature over its context line and canonical JSON body (sorted
// keys, no spaces: audit/heads.py), with the key the node named at sign-in. A browser
// without Ed25519 in WebCrypto cannot say yes.
async function verifyHead(head, signer) {
  if (!signer || signer.signer !== head.signer) return false;
  const bytes = (b64) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const body = { root: head.root, signer: head.signer, size: head.size, timestamp: head.timestamp, version: head.version };
  const message = new TextEncoder().encode("warnline-tree-head:v1\n" + JSON.stringify(body));
  try {
    const key = await crypto.subtle.importKey("raw", bytes(signer.public_key), { name: "Ed25519" }, false, ["verify"]);
    return await crypto.subtle.verify({ name: "Ed25519" }, key, bytes(head.signature), message);
  } catch (err) {
    return false;
  }
}

// RFC 9162 section 2.1.3.2: hash the leaf (0x00 || entry hash) up the audit path and
// compare with the signed head's root.
async function verifyInclusion(p) {
  const hex = (s) => Uint8Array.from(s.match(/../g).map((h) => parseInt(h, 16)));
  const sha = async (...parts) => {
    const n = parts.reduce((k, x) => k + x.length, 0), buf = new Uint8Array(n);
    let o = 0; for (const x of parts) { buf.set(x, o); o += x.length; }
    return new Uint8Array(await crypto.subtle.digest("SHA-256", buf));
  };
  const one = Uint8Array.of(1);
  let fn = p.leaf_index, sn = p.tree_size - 1, r = await sha(Uint8Array.of(0), hex(p.hash));
  for (const step of p.audit_path.map(hex)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = await sha(one, step, r);
      if (fn % 2 === 0) while (fn !== 0 && fn % 2 === 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
    } else {
      r = await sha(one, r, step);
    }
    fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
  }
  const root = [...r].map((x) => x.toString(16).padStart(2, "0")).join("");
  return sn === 0 && root === p.head.root;
}
