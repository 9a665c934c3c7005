// Province landing page: a pin (a tap or the phone's location) finds the kabupaten/kota
// responsible (GET /api/v1/locate/) and offers its LAKSA page, with the pin handed over.
/* global L */
import { readConfig, api, askPosition, makeMap, pinIcon, fmt } from "./common.js";
import { governmentOf } from "./border.js";

const cfg = readConfig();
const S = cfg.strings;
const mapEl = document.getElementById("lk-map");
const { map } = makeMap(mapEl, cfg, { kecamatan: false });
const found = document.getElementById("lk-found");
const foundText = found.querySelector('[data-found="text"]');
const foundGo = found.querySelector('[data-found="go"]');
const geoStatus = document.getElementById("lk-geo-status");
const byCode = Object.fromEntries((cfg.governmentList || []).map((g) => [g.code, g]));
let pin = null;
let seq = 0;

async function place(latlng, accuracy = null) {
  const p = { lat: +latlng.lat.toFixed(7), lon: +latlng.lng.toFixed(7) };
  if (!pin) {
    pin = L.marker(latlng, { draggable: true, icon: pinIcon("blue", "lk-pin-me"), keyboard: true }).addTo(map);
    pin.on("dragend", () => place(pin.getLatLng()));
  } else {
    pin.setLatLng(latlng);
  }
  mapEl.dataset.pin = `${p.lat},${p.lon}`;
  const mine = ++seq;
  found.hidden = false;
  found.className = "lk-card";
  foundText.textContent = S.checking;
  foundGo.hidden = true;
  const r = await api(`/api/v1/locate/?${new URLSearchParams(p)}`);
  if (mine !== seq) return;
  if (!r.ok) {
    foundText.textContent = (r.data && (r.data.detail || Object.values(r.data).flat().join(" "))) || S.error;
    return;
  }
  const d = r.data;
  const g = governmentOf(d);
  const target = g && byCode[g.code];
  if (target && (d.served ?? d.in_service_area)) {
    found.className = "lk-card lk-province-found";
    foundText.textContent = fmt(S.province_found, { name: g.name || target.name });
    const url = new URL(target.url, location.href);
    url.searchParams.set("lat", p.lat);
    url.searchParams.set("lon", p.lon);
    if (accuracy) url.searchParams.set("accuracy_m", accuracy);
    foundGo.href = url.toString();
    foundGo.textContent = fmt(S.province_go, { name: target.name });
    foundGo.dataset.government = target.code;
    foundGo.hidden = false;
    return;
  }
  // A kab/kota not set up here (the national layer names it), or no kab/kota at all.
  if (g && g.name) {
    foundText.textContent = fmt(S.province_not_served, { name: g.name });
    foundGo.href = cfg.laporUrl;
    foundGo.textContent = S.province_lapor;
    foundGo.hidden = d.lapor_handoff === false;
    delete foundGo.dataset.government;
  } else {
    foundText.textContent = d.message || S.province_outside;
  }
}

map.on("click", (e) => place(e.latlng));
document.getElementById("lk-locate").addEventListener("click", () => askPosition(geoStatus, S, (ll, acc) => {
  map.setView(ll, Math.max(map.getZoom(), 15));
  place(ll, acc);
}));
