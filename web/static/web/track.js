// Tracking page: live status over /ws/complaints/<code>/, and the reporter's reopen action.
/* global L */
import { readConfig, api, makeMap, pinIcon, LiveSocket, liveBadge } from "./common.js";
import { reporterToken } from "./myreports.js";

const cfg = readConfig();
const S = cfg.strings;
const code = cfg.code;
let marker = null;

const mapEl = document.getElementById("lk-map");
if (mapEl && cfg.location) {
  const { map, ready } = makeMap(mapEl, cfg, { kecamatan: false });
  const ll = L.latLng(cfg.location[1], cfg.location[0]);
  marker = L.marker(ll, { icon: pinIcon(colorNow()) }).addTo(map);
  map.setView(ll, 16, { animate: false });
  // The city outline fits the map to the city when it arrives: come back to the report then.
  ready.then(() => map.setView(ll, 16, { animate: false }));
}

function body() { return document.getElementById("lk-track-body"); }
function colorNow() { return body() ? body().dataset.color : "grey"; }
function statusNow() { return body() ? body().dataset.status : cfg.status; }

let refreshing = null;
async function refresh() {
  if (refreshing) return refreshing;
  refreshing = (async () => {
    try {
      const res = await fetch(`${location.pathname}?fragment=1`, { credentials: "same-origin" });
      if (!res.ok) return;
      const html = await res.text();
      const tpl = document.createElement("template");
      tpl.innerHTML = html.trim();
      const fresh = tpl.content.querySelector("#lk-track-body");
      if (fresh && body()) body().replaceWith(fresh);
      if (marker) marker.setIcon(pinIcon(colorNow()));
      updateReopen();
    } finally {
      refreshing = null;
      watchMedia();
    }
  })();
  return refreshing;
}

// A photo or video whose public copy a job is still making shows a placeholder: look again
// shortly, until it is ready (the job records no event of its own).
const MEDIA_RECHECK_MS = 4000;
let mediaTimer = null;
function watchMedia() {
  clearTimeout(mediaTimer);
  if (body() && body().querySelector('[data-media-state="processing"]')) mediaTimer = setTimeout(refresh, MEDIA_RECHECK_MS);
}
watchMedia();

const badge = liveBadge(document.getElementById("lk-live"), { live: S.updates_on, offline: S.updates_off, reconnecting: S.reconnecting });
let socketState = "connecting";
new LiveSocket(`/ws/complaints/${encodeURIComponent(code)}/`, {
  lastEventId: cfg.lastEventId || 0,
  onEvent: () => refresh(),
  onStatus: (s) => { socketState = s; badge(s); },
});
// Without a socket (proxy without WebSocket, server refused) poll now and then.
setInterval(() => { if (socketState !== "live" && navigator.onLine !== false) refresh(); }, 20000);

// Reopen: only the reporter's device holds the token (saved when the report was sent).
const reopenBox = document.getElementById("lk-reopen");
function token() { return reporterToken(code); }
function updateReopen() {
  const st = statusNow();
  reopenBox.hidden = !(token() && (st === "resolved" || st === "closed"));
}
updateReopen();

document.getElementById("lk-reopen-btn").addEventListener("click", async () => {
  const reasonEl = document.getElementById("f-reopen-reason");
  const err = document.getElementById("lk-reopen-error");
  err.hidden = true;
  const reason = reasonEl.value.trim();
  if (!reason) { err.textContent = S.reason_required; err.hidden = false; reasonEl.focus(); return; }
  const r = await api(`/api/v1/complaints/${encodeURIComponent(code)}/reopen/`, { method: "POST", json: { reporter_token: token(), reason } });
  if (r.ok) {
    reasonEl.value = "";
    await refresh();
    return;
  }
  err.textContent = r.networkError ? S.send_failed : (r.data && (r.data.detail || Object.values(r.data).flat().join(" "))) || S.error;
  err.hidden = false;
});

// Photos open larger when tapped (a link to the photo itself without script), with their caption.
const lightbox = document.getElementById("lk-lightbox");
document.addEventListener("click", (e) => {
  const link = e.target.closest("a[data-photo-open]");
  if (!link || !lightbox || typeof lightbox.showModal !== "function") return;
  e.preventDefault();
  const fig = link.closest("figure");
  const img = lightbox.querySelector("img");
  img.src = link.href;
  img.alt = link.querySelector("img").alt;
  lightbox.querySelector("figcaption").textContent = fig && fig.querySelector("figcaption") ? fig.querySelector("figcaption").textContent : "";
  lightbox.showModal();
});
if (lightbox) {
  // A tap on the dark backdrop closes it too.
  lightbox.addEventListener("click", (e) => { if (e.target === lightbox) lightbox.close(); });
}
