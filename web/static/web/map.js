// Public map: every public report as a red/yellow/green marker, clustered, with filters.
/* global L */
import { readConfig, api, makeMap, pinIcon, esc, fmt, fmtDate } from "./common.js";

const cfg = readConfig();
const S = cfg.strings;
const mapEl = document.getElementById("lk-map");
const { map } = makeMap(mapEl, cfg);
const cluster = L.markerClusterGroup({ maxClusterRadius: 45, showCoverageOnHover: false, chunkedLoading: true });
map.addLayer(cluster);
mapEl.lkCluster = cluster; // for end-to-end tests, like mapEl.lkMap
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

const categoryNames = Object.fromEntries([...form.category.options].filter((o) => o.value).map((o) => [o.value, o.textContent]));

function shorten(text, n = 140) {
  const t = String(text || "").trim();
  return t.length > n ? `${t.slice(0, n - 1)}…` : t;
}

// What the marker knows at once; the public report (description, photo) is read when it opens.
function popup(props, code, detail = null) {
  const status = (detail && detail.status_label) || S.status[props.status] || props.status;
  const category = (detail && detail.category && detail.category.name) || categoryNames[props.category] || props.category || "";
  const place = `${esc(props.kelurahan || "")}${props.kecamatan ? `, ${esc(props.kecamatan)}` : ""}`;
  let photo = "";
  let desc = "";
  if (detail) {
    // Only pictures whose public copy exists (a job makes it after the upload).
    const photos = (detail.photos || []).filter((p) => p.thumb_url);
    const done = ["resolved", "closed"].includes(detail.status);
    const pick = (done && photos.find((p) => p.kind === "after")) || photos.find((p) => p.kind === "report")
      || photos.find((p) => p.kind === "before") || photos[0];
    if (pick) {
      const label = S.photo_kind[pick.kind] || "";
      photo = `<figure class="lk-popup-photo"><img src="${esc(pick.thumb_url || pick.url)}" alt="${esc(label)}" width="240" height="110">
        ${label ? `<figcaption>${esc(label)}</figcaption>` : ""}</figure>`;
    }
    desc = detail.description ? `<p class="lk-popup-desc">${esc(shorten(detail.description))}</p>` : "";
  }
  return `<div class="lk-popup" data-code="${esc(code)}"${detail ? ' data-loaded="1"' : ""}>${photo}
    <strong class="lk-popup-title">${esc(category)}</strong>
    <p class="lk-popup-status"><span class="lk-dot lk-dot-${esc(props.status_color)}"></span> ${esc(status)}
      · <span class="lk-muted">${esc(fmtDate(props.created_at, false))}</span></p>
    ${desc}
    <p class="lk-muted">${place}</p>
    <a href="/lacak/${encodeURIComponent(code)}/">${esc(S.open_report)} ${esc(code)}</a></div>`;
}

async function fillPopup(marker, props, code) {
  if (marker.lkDetail) return;
  const r = await api(`/api/v1/complaints/${encodeURIComponent(code)}/`);
  if (!r.ok) return;
  marker.lkDetail = r.data;
  marker.setPopupContent(popup(props, code, r.data));
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
    m.bindPopup(popup(f.properties, code), { maxWidth: 260, minWidth: 200 });
    m.on("popupopen", () => fillPopup(m, f.properties, code));
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
