// The governor's page: every kab/kota of the province coloured by its reports
// (GET /api/v1/analytics/areas/?level=kota), with the same figures as a table.
/* global L */
import { readConfig, api, makeMap, esc } from "./common.js";

const cfg = readConfig();
const S = cfg.strings;
const mapEl = document.getElementById("lk-map");
const { map } = makeMap(mapEl, cfg, { kecamatan: false });
const note = document.getElementById("lk-areas-note");
const tbody = document.querySelector("#lk-areas tbody");
const legend = document.getElementById("lk-legend");
const SHADES = ["#fff5eb", "#fdd0a2", "#fd8d3c", "#d94801", "#7f2704"];

function value(p) { return p.per_1000 ?? p.count ?? 0; }
// Figures in the page's language: 291.555 in Bahasa Indonesia, 291,555 in English.
const numberFormat = new Intl.NumberFormat(document.documentElement.lang || "id");
const num = (v) => esc(v === null || v === undefined ? "–" : numberFormat.format(v));

async function load() {
  const r = await api(cfg.areasUrl);
  if (!r.ok) {
    note.textContent = (r.data && (r.data.detail || Object.values(r.data).flat().join(" "))) || S.error;
    note.hidden = false;
    mapEl.dataset.areas = "error";
    return;
  }
  const features = r.data.features || [];
  const top = Math.max(0, ...features.map((f) => value(f.properties)));
  const shade = (v) => SHADES[top ? Math.min(SHADES.length - 1, Math.floor((v / top) * (SHADES.length - 1))) : 0];
  const layer = L.geoJSON(r.data, {
    style: (f) => ({ color: "#5f6368", weight: 1.5, fillColor: shade(value(f.properties)), fillOpacity: 0.75 }),
    onEachFeature: (f, l) => {
      const p = f.properties;
      l.bindPopup(`<strong>${esc(p.name)}</strong><br>${num(p.count)} · ${num(p.open)} / ${num(p.resolved)}`);
    },
  }).addTo(map);
  const b = layer.getBounds();
  if (b.isValid()) map.fitBounds(b, { padding: [6, 6], animate: false });
  tbody.innerHTML = features
    .map((f) => f.properties)
    .sort((a, b) => (b.count || 0) - (a.count || 0))
    .map((p) => `<tr data-code="${esc(p.code)}"><td>${esc(p.name)}</td><td class="lk-num">${num(p.count)}</td>
      <td class="lk-num">${num(p.open)}</td><td class="lk-num">${num(p.resolved)}</td>
      <td class="lk-num">${num(p.overdue)}</td></tr>`).join("");
  legend.innerHTML = SHADES.map((c, i) => `<span><i style="background:${c}"></i>${num(Math.round((top * i) / (SHADES.length - 1)))}</span>`).join("");
  mapEl.dataset.areas = String(features.length);
}
load();
