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

function drawLeaflet() {
  if (!leaflet.map) setUp();
  lightAreas();
  leaflet.corridors.clearLayers();
  const seen = new Set();
  for (const t of state.tracks) {
    seen.add(t.track_id);
    const at = [t.position.lat, t.position.lon];
    if (t.corridor && t.corridor.length) {
      L.polygon(t.corridor.map(([lon, lat]) => [lat, lon]), { stroke: false, fillColor: "#ff5a5f", fillOpacity: 0.15, interactive: false }).addTo(leaflet.corridors);
    }
    const code = sidc(t), dir = heading(t);
    const key = `${code}/${dir === undefined ? "" : Math.round(dir / 5)}`;
    let entry = leaflet.tracks.get(t.track_id);
    if (!entry) {
      const trail = L.polyline([], { color: t.identity === "hostile" || t.identity === "suspect" ? "#ff8a8d" : "#8fd3ff", weight: 2, opacity: 0.8, interactive: false }).addTo(leaflet.map);
      entry = { marker: L.marker(at, { keyboard: false }).addTo(leaflet.map), trail, key: "", points: [] };
      entry.marker.bindTooltip("", { permanent: true, direction: "right", offset: [12, 0], className: "track-label" });
      leaflet.tracks.set(t.track_id, entry);
    }
    if (entry.key !== key) {
      const sym = new ms.Symbol(code, { size: 22, direction: dir, frame: true, fill: true });
      const size = sym.getSize(), anchor = sym.getAnchor();
      entry.marker.setIcon(L.icon({ iconUrl: sym.toDataURL(), iconSize: [size.width, size.height], iconAnchor: [anchor.x, anchor.y], className: `track-symbol identity-${t.identity}` }));
      entry.key = key;
      entry.marker.getElement().dataset.sidc = code;
      entry.marker.getElement().dataset.trackId = t.track_id;
    }
    entry.marker.setLatLng(at);
    entry.marker.setTooltipContent(`${t.track_id} ${t.kind.replace("_", " ")}`);
    const last = entry.points[entry.points.length - 1];
    if (!last || last[0] !== at[0] || last[1] !== at[1]) { entry.points.push(at); entry.points = entry.points.slice(-TRAIL); entry.trail.setLatLngs(entry.points); }
  }
  for (const [id, entry] of leaflet.tracks) {
    if (seen.has(id)) continue;
    entry.marker.remove(); entry.trail.remove(); leaflet.tracks.delete(id);
  }
}

export function renderTracks() {
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

export function drawMap() {
  if (!state.areas) return;
  if (window.L && window.ms) drawLeaflet(); else drawPlain();
}
