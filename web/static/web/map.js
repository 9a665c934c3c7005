// Public map: every public report as a red/yellow/green marker, clustered, with filters.
/* global L */
import { readConfig, api, makeMap, pinIcon, esc, fmt, fmtDate } from "./common.js";

const cfg = readConfig();
const S = cfg.strings;
const mapEl = document.getElementById("lk-map");
const { map } = makeMap(mapEl, cfg);
const cluster = L.markerClusterGroup({ maxClusterRadius: 45, showCoverageOnHover: false, chunkedLoading: true });
map.addLayer(cluster);
const form = document.getElementById("lk-filters");
const countEl = document.getElementById("lk-count");
const MAX_FEATURES = 5000;
let seq = 0;

function params() {
  const p = new URLSearchParams({ page_size: "1000" });
  for (const name of ["category", "status", "kecamatan"]) {
    if (form[name].value) p.set(name, form[name].value);
  }
  if (form.period.value) {
    const d = new Date(Date.now() - Number(form.period.value) * 86400000);
    p.set("created_after", d.toISOString().slice(0, 10));
  }
  return p;
}

function popup(props, code) {
  const status = S.status[props.status] || props.status;
  return `<strong><a href="/lacak/${encodeURIComponent(code)}/">${esc(code)}</a></strong><br>
    <span class="lk-dot lk-dot-${esc(props.status_color)}"></span> ${esc(status)}<br>
    ${esc(props.kelurahan || "")}${props.kecamatan ? `, ${esc(props.kecamatan)}` : ""}<br>
    <span class="lk-muted">${esc(fmtDate(props.created_at))}</span>`;
}

async function load() {
  const mine = ++seq;
  countEl.textContent = S.loading;
  mapEl.dataset.loading = "1";
  let url = `/api/v1/complaints/?${params()}`;
  const features = [];
  while (url && features.length < MAX_FEATURES) {
    const r = await api(url);
    if (mine !== seq) return;
    if (!r.ok) { countEl.textContent = `${S.error}: ${r.data && r.data.detail ? r.data.detail : r.status}`; return; }
    features.push(...(r.data.features || []));
    url = r.data.next || null;
  }
  cluster.clearLayers();
  const markers = [];
  for (const f of features) {
    if (!f.geometry) continue;
    const [lon, lat] = f.geometry.coordinates;
    const code = f.id || f.properties.tracking_code;
    const m = L.marker([lat, lon], { icon: pinIcon(f.properties.status_color), title: code });
    m.bindPopup(popup(f.properties, code));
    markers.push(m);
  }
  cluster.addLayers(markers);
  mapEl.dataset.markers = String(markers.length);
  countEl.textContent = markers.length ? fmt(S.n_reports, { n: markers.length }) : S.no_results;
  delete mapEl.dataset.loading;
}

form.addEventListener("change", load);
form.addEventListener("submit", (e) => { e.preventDefault(); load(); });
load();
