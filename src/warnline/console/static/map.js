// The air picture: Leaflet with no tiles (the territories and defended areas are vector
// layers), tracks as MIL-STD-2525 / APP-6 symbols (milsymbol) by identity and kind, with a
// label, their heading and a short trail, corridors, and alerted areas lit by stage. Both
// libraries are served from static/vendor (built by `make setup` from npm); without them the
// page falls back to a plain drawing of the same picture.
import { state } from "./app.js";
import { ended } from "./alerts.js";

const $ = (id) => document.getElementById(id);
const TRAIL = 12;  // positions kept per track for its trail
const STAGE_COLOUR = { early_warning: "#f5b700", update: "#ff9838", alert: "#ff5a5f" };
const STAGE_RANK = { early_warning: 1, update: 2, alert: 3 };
const AFFILIATION = { hostile: "H", suspect: "S", unknown: "U", pending: "P", neutral: "N", friend: "F", assumed_friend: "A" };
const FUNCTION = { drone: "MFQ", cruise_missile: "WMA", ballistic_missile: "WMB", rocket: "WMB", aircraft: "C", unknown: "" };

const leaflet = { map: null, areas: null, tracks: new Map(), corridors: null, trails: new Map() };

// A 15-character MIL-STD-2525C symbol code for an air track.
export function sidc(t) {
  const fn = (FUNCTION[t.kind] ?? "").padEnd(6, "-");
  return `S${AFFILIATION[t.identity] || "U"}AP${fn}-----`;
}

function heading(t) {
  const v = t.velocity;
  if (!v || (v.east === 0 && v.north === 0)) return undefined;
  return ((Math.atan2(v.east, v.north) * 180) / Math.PI + 360) % 360;
}

function litStages() {
  const lit = new Map();
  for (const a of state.alerts.values()) {
    if (ended(a) || !STAGE_RANK[a.stage]) continue;
    if (!lit.has(a.area_id) || STAGE_RANK[a.stage] > STAGE_RANK[lit.get(a.area_id)]) lit.set(a.area_id, a.stage);
  }
  return lit;
}

function areaStyle(f, lit) {
  const stage = lit.get(f.properties.area_id);
  if (stage) return { color: STAGE_COLOUR[stage], weight: 3, fillColor: STAGE_COLOUR[stage], fillOpacity: 0.35 };
  return f.properties.kind === "territory"
    ? { color: "#3fb950", weight: 1, fillColor: "#1f6f3f", fillOpacity: 0.3 }
    : { color: "#d4a017", weight: 1, fillColor: "#d4a017", fillOpacity: 0.3 };
}

function setUp() {
  const box = $("map-box");
  const map = L.map(box, { attributionControl: false, worldCopyJump: false, minZoom: 3, maxZoom: 12 });
  leaflet.map = map;
  leaflet.areas = L.geoJSON(state.areas, {
    style: (f) => areaStyle(f, new Map()),
    onEachFeature: (f, layer) => layer.bindTooltip(f.properties.name, { sticky: true }),
  }).addTo(map);
  leaflet.corridors = L.layerGroup().addTo(map);
  const bounds = leaflet.areas.getBounds();
  if (bounds.isValid()) map.fitBounds(bounds); else map.setView([27, 42], 5);
  box.dataset.ready = "true";
}

// Alerted areas take their alert's colour (the most urgent stage when several).
export function lightAreas() {
  if (!leaflet.map) return;
  const lit = litStages();
  const key = [...lit.entries()].map(([id, s]) => `${id}:${s}`).sort().join(" ");
  if ($("map-box").dataset.lit === key) return;
  leaflet.areas.setStyle((f) => areaStyle(f, lit));
  $("map-box").dataset.lit = key;
}

// A picture is drawn in animation frames, a few milliseconds of script at a time, and
// only the newest one: the socket's handler just keeps it (`showPicture`), so an alert
// frame is handled before any picture work and never waits behind a drawing for long, and
// a picture overtaken before it is drawn is never drawn. Each track's marker, label, trail,
// corridor and table row are kept by track id and touched only where they changed. Ended
// tracks go at the first frame of a picture; a newer picture takes over the drawing where
// the last one stopped, so every track is reached even when pictures come faster than a
// whole one can be drawn.
const BUDGET_MS = 6;  // script per animation frame before the page gets the thread back
let job = null;  // {tracks, next, left, pruned}: the newest picture, `left` tracks to draw
let frameAsked = false;

export function showPicture(tracks) {
  state.tracks = tracks;
  const next = job && tracks.length ? job.next % tracks.length : 0;
  job = { tracks, next, left: tracks.length, pruned: false };
  askFrame();
}

function askFrame() {
  if (!frameAsked) { frameAsked = true; requestAnimationFrame(drawSome); }
}

function drawSome() {
  frameAsked = false;
  if (!job || !state.areas) return;
  if (!(window.L && window.ms)) { job = null; drawPlain(); renderRows(state.tracks); return; }
  if (!leaflet.map) setUp();
  const until = performance.now() + BUDGET_MS;
  const { tracks } = job;
  if (!job.pruned) { prune(new Set(tracks.map((t) => t.track_id))); job.pruned = true; }
  while (job.left > 0 && performance.now() < until) {
    const t = tracks[job.next];
    job.next = (job.next + 1) % tracks.length; job.left--;
    drawTrack(t); drawRow(t);
  }
  if (job.left > 0) askFrame(); else job = null;
}

function prune(ids) {
  for (const [id, entry] of leaflet.tracks) {
    if (ids.has(id)) continue;
    entry.marker.remove(); entry.trail.remove(); if (entry.corridor) entry.corridor.remove();
    leaflet.tracks.delete(id);
  }
  for (const [id, tr] of rows) if (!ids.has(id)) { tr.remove(); rows.delete(id); }
}

function drawTrack(t) {
  const at = [t.position.lat, t.position.lon];
  let entry = leaflet.tracks.get(t.track_id);
  if (!entry) {
    const trail = L.polyline([], { color: t.identity === "hostile" || t.identity === "suspect" ? "#ff8a8d" : "#8fd3ff", weight: 2, opacity: 0.8, interactive: false }).addTo(leaflet.map);
    entry = { marker: L.marker(at, { keyboard: false }).addTo(leaflet.map), trail, key: "", label: "", corridor: null, corridorKey: "", points: [] };
    entry.marker.bindTooltip("", { permanent: true, direction: "right", offset: [12, 0], className: "track-label" });
    leaflet.tracks.set(t.track_id, entry);
  }
  const corridorKey = t.corridor && t.corridor.length ? JSON.stringify(t.corridor) : "";
  if (entry.corridorKey !== corridorKey) {
    const ring = corridorKey ? t.corridor.map(([lon, lat]) => [lat, lon]) : null;
    if (!ring && entry.corridor) { entry.corridor.remove(); entry.corridor = null; }
    else if (ring && entry.corridor) entry.corridor.setLatLngs(ring);
    else if (ring) entry.corridor = L.polygon(ring, { stroke: false, fillColor: "#ff5a5f", fillOpacity: 0.15, interactive: false }).addTo(leaflet.corridors);
    entry.corridorKey = corridorKey;
  }
  const code = sidc(t), dir = heading(t);
  const key = `${code}/${dir === undefined ? "" : Math.round(dir / 5)}`;
  if (entry.key !== key) {
    const sym = new ms.Symbol(code, { size: 22, direction: dir, frame: true, fill: true });
    const size = sym.getSize(), anchor = sym.getAnchor();
    entry.marker.setIcon(L.icon({ iconUrl: sym.toDataURL(), iconSize: [size.width, size.height], iconAnchor: [anchor.x, anchor.y], className: `track-symbol identity-${t.identity}` }));
    entry.key = key;
    entry.marker.getElement().dataset.sidc = code;
    entry.marker.getElement().dataset.trackId = t.track_id;
  }
  const label = `${t.track_id} ${t.kind.replace("_", " ")}`;
  if (entry.label !== label) { entry.marker.setTooltipContent(label); entry.label = label; }
  const last = entry.points[entry.points.length - 1];
  if (!last || last[0] !== at[0] || last[1] !== at[1]) {
    entry.marker.setLatLng(at);
    entry.points.push(at); entry.points = entry.points.slice(-TRAIL); entry.trail.setLatLngs(entry.points);
  }
}

// The track table: a row per track, kept by track id, its cells written only when changed.
const rows = new Map();
function cells(t) {
  const risk = (t.areas_at_risk || [])[0];
  return [t.track_id, t.kind, t.identity, `${t.position.lat.toFixed(2)}, ${t.position.lon.toFixed(2)}`, t.sources.join(", "),
          risk ? `${risk.name} in ${Math.round(risk.time_to_arrival_s)} s` : ""];
}
function drawRow(t) {
  let tr = rows.get(t.track_id);
  if (!tr) {
    tr = document.createElement("tr");
    for (let i = 0; i < 6; i++) tr.append(document.createElement("td"));
    $("tracks").querySelector("tbody").append(tr);
    rows.set(t.track_id, tr);
  }
  cells(t).forEach((v, i) => { if (tr.children[i].textContent !== v) tr.children[i].textContent = v; });
}
function renderRows(tracks) {
  for (const [id, tr] of rows) if (!tracks.some((t) => t.track_id === id)) { tr.remove(); rows.delete(id); }
  for (const t of tracks) drawRow(t);
}

// -- without the map libraries: the plain drawing the console had before -----------------
const BOUNDS = { lon0: 24, lon1: 60, lat0: 12, lat1: 38 };
function project(lon, lat) {
  const x = (lon - BOUNDS.lon0) / (BOUNDS.lon1 - BOUNDS.lon0) * 1000;
  const y = (BOUNDS.lat1 - lat) / (BOUNDS.lat1 - BOUNDS.lat0) * 700;
  return [x.toFixed(1), y.toFixed(1)];
}
function ringPath(ring) { return ring.map(([lon, lat], i) => (i ? "L" : "M") + project(lon, lat).join(",")).join("") + "Z"; }
const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);

function drawPlain() {
  const svg = $("map"); svg.hidden = false; $("map-box").hidden = true;
  let html = "";
  for (const f of state.areas.features) {
    const g = f.geometry; const polys = g.type === "Polygon" ? [g.coordinates] : g.type === "MultiPolygon" ? g.coordinates : [];
    const cls = f.properties.kind === "territory" ? "area" : "area defended";
    for (const p of polys) if (p.length) html += `<path class="${cls}" d="${ringPath(p[0])}"><title>${esc(f.properties.name)}</title></path>`;
  }
  for (const t of state.tracks) {
    if (t.corridor && t.corridor.length) html += `<path class="corridor" d="${ringPath(t.corridor)}"/>`;
    const [x, y] = project(t.position.lon, t.position.lat);
    html += `<circle class="track" cx="${x}" cy="${y}" r="4"><title>${esc(t.track_id)} ${esc(t.kind)}</title></circle>`;
  }
  svg.innerHTML = html;
}

// The map once the areas are known (before the first picture): set up, or the plain drawing.
export function drawMap() {
  if (!state.areas) return;
  if (window.L && window.ms) { if (!leaflet.map) setUp(); lightAreas(); } else drawPlain();
  if (job) askFrame();
}
