// The air picture as drawn today: areas, corridors and tracks on a fixed projection.
import { state } from "./app.js";

const $ = (id) => document.getElementById(id);
const BOUNDS = { lon0: 24, lon1: 60, lat0: 12, lat1: 38 };

function project(lon, lat) {
  const x = (lon - BOUNDS.lon0) / (BOUNDS.lon1 - BOUNDS.lon0) * 1000;
  const y = (BOUNDS.lat1 - lat) / (BOUNDS.lat1 - BOUNDS.lat0) * 700;
  return [x.toFixed(1), y.toFixed(1)];
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

function ringPath(ring) { return ring.map(([lon, lat], i) => (i ? "L" : "M") + project(lon, lat).join(",")).join("") + "Z"; }

const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);

export function drawMap() {
  const svg = $("map"); if (!state.areas) return;
  let html = "";
  for (const f of state.areas.features) {
    const g = f.geometry; const polys = g.type === "Polygon" ? [g.coordinates] : g.type === "MultiPolygon" ? g.coordinates : [];
    const cls = f.properties.kind === "territory" ? "area" : "area defended";
    for (const p of polys) if (p.length) html += `<path class="${cls}" d="${ringPath(p[0])}"><title>${esc(f.properties.name)}</title></path>`;  // an empty area (no territory) draws nothing
  }
  for (const t of state.tracks) {
    if (t.corridor && t.corridor.length) html += `<path class="corridor" d="${ringPath(t.corridor)}"/>`;
    const [x, y] = project(t.position.lon, t.position.lat);
    html += `<circle class="track" cx="${x}" cy="${y}" r="4"><title>${esc(t.track_id)} ${esc(t.kind)}</title></circle>`;
  }
  svg.innerHTML = html;
}
