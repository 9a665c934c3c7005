// Tim Sigap: the crew's open tickets (list + map), live over /ws/crew/, with an outbox so
// that work done without a connection is sent later, exactly once.
/* global L */
import { readConfig, api, makeMap, pinIcon, esc, fmtDate, LiveSocket, liveBadge, beep, directionsUrl, uuid } from "./common.js";
import * as outbox from "./outbox.js";

const cfg = readConfig();
const S = cfg.strings;
const OPEN = "assigned,in_progress,reopened,on_hold,verified,new";
const TICKETS_URL = `${cfg.ticketsUrl}?status=${OPEN}&page_size=200`;
const CACHE_KEY = `laksa.sigap.tickets.${cfg.user}`;
const listEl = document.getElementById("lk-tickets");
const mapEl = document.getElementById("lk-map");
const { map } = makeMap(mapEl, { ...cfg, kecamatanUrl: null }, { kecamatan: false });
const markers = L.featureGroup().addTo(map);
let tickets = [];
let pending = [];
const fresh = new Set();
const photosDone = JSON.parse(localStorage.getItem("laksa.sigap.photos") || "{}");

function savePhotosDone() { try { localStorage.setItem("laksa.sigap.photos", JSON.stringify(photosDone)); } catch (e) { /* full */ } }

if ("serviceWorker" in navigator && cfg.swUrl) {
  navigator.serviceWorker.register(cfg.swUrl, { scope: "/sigap/" }).catch(() => {});
}

async function loadTickets() {
  const r = await api(TICKETS_URL);
  if (r.ok) {
    tickets = r.data.results || [];
    try { localStorage.setItem(CACHE_KEY, JSON.stringify({ at: new Date().toISOString(), tickets })); } catch (e) { /* full */ }
    document.getElementById("lk-updated").textContent = fmtDate(new Date().toISOString());
  } else if (r.networkError || r.status >= 500) {
    const cached = JSON.parse(localStorage.getItem(CACHE_KEY) || "null");
    if (cached && !tickets.length) {
      tickets = cached.tickets;
      document.getElementById("lk-updated").textContent = `${S.offline} · ${fmtDate(cached.at)}`;
    }
  } else if (r.status === 401 || r.status === 403) {
    location.href = `/accounts/login/?next=${encodeURIComponent(location.pathname)}`;
    return;
  }
  render();
}

let reloadTimer = null;
function scheduleReload(delay = 150) {
  clearTimeout(reloadTimer);
  reloadTimer = setTimeout(loadTickets, delay);
}

function pendingFor(code) { return pending.filter((p) => p.code === code); }

function ticketHtml(t) {
  const [lon, lat] = t.location ? t.location.coordinates : [null, null];
  const waits = pendingFor(t.tracking_code);
  const waitingActions = new Set(waits.filter((w) => w.type === "action").map((w) => w.action));
  const photoState = (kind) => (photosDone[`${t.tracking_code}:${kind}`] ? "sent" : waits.some((w) => w.kind === kind) ? "queued" : "");
  const before = photoState("before");
  const after = photoState("after");
  const status = waitingActions.has("resolve") ? "resolved" : waitingActions.has("start") ? "in_progress" : t.status;
  const canStart = ["assigned", "reopened", "on_hold", "verified"].includes(status);
  const working = status === "in_progress";
  const color = status === "resolved" ? "green" : t.status_color;
  const due = t.due_at ? `<span class="${t.is_overdue ? "lk-overdue" : ""}">${t.is_overdue ? S.overdue : S.due}: ${esc(fmtDate(t.due_at))}</span>` : "";
  const code = esc(t.tracking_code);
  return `<li class="lk-ticket lk-color-${esc(color)} ${fresh.has(t.tracking_code) ? "lk-fresh" : ""}" data-code="${code}" data-status="${esc(status)}">
    <div class="lk-ticket-head"><span class="lk-ticket-code">${code}</span>
      <span class="lk-status lk-status-${esc(color)}">${esc(S.status[status] || status)}</span></div>
    <p class="lk-ticket-meta">${esc(t.category.name)} · ${esc(t.kelurahan ? t.kelurahan.name : "")}${t.kecamatan ? `, ${esc(t.kecamatan.name)}` : ""}</p>
    <p class="lk-ticket-meta">${due}</p>
    <p class="lk-ticket-desc">${esc(t.description)}</p>
    ${t.address ? `<p class="lk-ticket-meta">${esc(t.address)}</p>` : ""}
    <div class="lk-actions">
      ${lat !== null ? `<a class="lk-btn" href="${directionsUrl(lat, lon)}" target="_blank" rel="noopener" data-directions>${esc(S.directions)}</a>` : ""}
      ${canStart && !waitingActions.has("start") ? `<button class="lk-btn lk-btn-primary" type="button" data-act="start">${esc(S.start)}</button>` : ""}
      ${status !== "resolved" ? `<label class="lk-btn lk-photo-btn" data-photo-state="${before}">${before ? "✓ " : ""}${esc(S.before_photo)}<input type="file" accept="image/*" capture="environment" data-photo="before"></label>
      <label class="lk-btn lk-photo-btn" data-photo-state="${after}">${after ? "✓ " : ""}${esc(S.after_photo)}<input type="file" accept="image/*" capture="environment" data-photo="after"></label>` : ""}
    </div>
    ${working && !waitingActions.has("resolve") ? `<div class="lk-panel-actions">
      <input class="lk-input" type="text" data-note placeholder="${esc(S.resolve_note)}" aria-label="${esc(S.resolve_note)}">
      <button class="lk-btn lk-btn-green" type="button" data-act="resolve">${esc(S.resolve)}</button></div>` : ""}
    ${waits.length ? `<p class="lk-muted">${esc(S.waiting)}: ${waits.length}</p>` : ""}
    <p class="lk-field-error" data-error hidden></p>
  </li>`;
}

// The list is redrawn whenever a live event or a sent item arrives, which may be while the crew
// is typing a note or choosing a photo: the note's text and focus are carried over, and each
// photo input has its own listener, so a photo chosen in an input that a redraw has just
// replaced is still queued (a delegated listener would never hear a detached input).
function render() {
  const order = (t) => (t.due_at ? Date.parse(t.due_at) : Infinity);
  tickets.sort((a, b) => order(a) - order(b));
  const notes = {};
  let focused = null;
  for (const note of listEl.querySelectorAll("[data-code] [data-note]")) {
    const code = note.closest("[data-code]").dataset.code;
    if (note.value) notes[code] = note.value;
    if (note === document.activeElement) focused = code;
  }
  listEl.innerHTML = tickets.length ? tickets.map(ticketHtml).join("") : `<li class="lk-card">${esc(S.no_tickets)}</li>`;
  for (const li of listEl.querySelectorAll("[data-code]")) {
    const note = li.querySelector("[data-note]");
    if (note && notes[li.dataset.code]) note.value = notes[li.dataset.code];
    if (note && focused === li.dataset.code) note.focus();
  }
  for (const input of listEl.querySelectorAll("input[data-photo]")) input.addEventListener("change", onPhotoChosen);
  document.getElementById("lk-ticket-count").textContent = String(tickets.length);
  markers.clearLayers();
  for (const t of tickets) {
    if (!t.location) continue;
    const [lon, lat] = t.location.coordinates;
    L.marker([lat, lon], { icon: pinIcon(t.status_color, fresh.has(t.tracking_code) ? "lk-pin-new" : ""), title: t.tracking_code })
      .bindPopup(`<strong>${esc(t.tracking_code)}</strong><br>${esc(t.category.name)}`)
      .addTo(markers);
  }
  if (markers.getLayers().length) {
    map.fitBounds(markers.getBounds(), { padding: [30, 30], maxZoom: 16 });
  }
}

async function renderOutbox() {
  pending = await outbox.items();
  const waiting = pending.filter((p) => p.state !== "failed").length;
  document.getElementById("lk-outbox-count").textContent = String(waiting);
  document.querySelector("[data-outbox-label]").textContent = pending.length ? S.waiting : `✓ ${S.nothing_waiting}`;
  document.querySelector("[data-outbox-n]").hidden = !pending.length;
  const ul = document.getElementById("lk-outbox-list");
  ul.innerHTML = pending.length ? pending.map((p) => {
    const what = p.type === "photo" ? (p.kind === "before" ? S.before_photo : S.after_photo) : (S[p.action] || p.action);
    const failed = p.state === "failed" ? ` — <strong class="lk-overdue">${esc(S.failed)}: ${esc(p.error)}</strong> <button class="lk-btn lk-btn-small" type="button" data-drop="${esc(p.id)}">${esc(S.cancel)}</button>` : "";
    return `<li data-outbox-item="${esc(p.id)}" data-state="${esc(p.state)}">${esc(p.code)}: ${esc(what)}${failed}</li>`;
  }).join("") : `<li class="lk-muted">${esc(S.nothing_waiting)}</li>`;
  document.getElementById("lk-outbox").dataset.count = String(pending.length);
  render();
}

outbox.onChange((detail) => {
  if (detail && detail.sent) {
    if (detail.sent.type === "photo") { photosDone[`${detail.sent.code}:${detail.sent.kind}`] = true; savePhotosDone(); }
    scheduleReload(100);
  }
  renderOutbox();
});

function onlineState() {
  document.getElementById("lk-offline-note").hidden = navigator.onLine !== false;
}
window.addEventListener("online", () => { onlineState(); outbox.flush(); scheduleReload(500); });
window.addEventListener("offline", onlineState);

function position() {
  return new Promise((resolve) => {
    if (!navigator.geolocation) { resolve(null); return; }
    navigator.geolocation.getCurrentPosition(
      (p) => resolve({ lat: p.coords.latitude, lon: p.coords.longitude, accuracy: Math.round(p.coords.accuracy || 0) || null }),
      () => resolve(null),
      { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 },
    );
  });
}

listEl.addEventListener("click", async (e) => {
  const btn = e.target.closest("[data-act]");
  if (!btn) return;
  const li = btn.closest("[data-code]");
  const code = li.dataset.code;
  const action = btn.dataset.act;
  const body = {};
  if (action === "resolve") {
    const note = li.querySelector("[data-note]");
    body.note = note && note.value.trim() ? note.value.trim() : "";
  }
  btn.disabled = true;
  await outbox.add({ id: uuid(), type: "action", code, action, body });
  outbox.flush();
});

async function onPhotoChosen(e) {
  const input = e.currentTarget;
  if (!input.files[0]) return;
  const li = input.closest("[data-code]");
  const file = input.files[0];
  const err = li.querySelector("[data-error]");
  err.hidden = false;
  err.textContent = S.photo_location;
  const pos = await position();
  err.textContent = pos ? "" : S.photo_no_location;
  err.hidden = !!pos;
  await outbox.add({
    id: uuid(), type: "photo", code: li.dataset.code, kind: input.dataset.photo, blob: file, filename: file.name || "photo.jpg",
    lat: pos ? pos.lat.toFixed(7) : null, lon: pos ? pos.lon.toFixed(7) : null, accuracy: pos ? pos.accuracy : null,
    taken_at: new Date().toISOString(),
  });
  outbox.flush();
}

document.getElementById("lk-outbox").addEventListener("click", async (e) => {
  const drop = e.target.closest("[data-drop]");
  if (!drop) return;
  await outbox.remove(drop.dataset.drop);
  renderOutbox();
  scheduleReload(50);
});

const badge = liveBadge(document.getElementById("lk-live"), S);
new LiveSocket("/ws/crew/", {
  onStatus: (s) => { badge(s); if (s === "live") { outbox.flush(); scheduleReload(50); } },
  onEvent: (ev) => {
    const c = ev.complaint || {};
    const crew = c.crew;
    if (ev.type === "assigned" && crew && cfg.crew && crew.id === cfg.crew.id) {
      fresh.add(c.tracking_code);
      beep();
      setTimeout(() => { fresh.delete(c.tracking_code); }, 8000);
    }
    scheduleReload();
  },
});

onlineState();
const cached = JSON.parse(localStorage.getItem(CACHE_KEY) || "null");
if (cached) { tickets = cached.tickets; }
renderOutbox().then(loadTickets).then(() => outbox.flush());
setInterval(() => outbox.flush(), 15000);
