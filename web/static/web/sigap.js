// Tim Sigap: the crew's open tickets (list + map), live over /ws/crew/, with an outbox so
// that work done without a connection is sent later, exactly once.
//
// The page tells the truth: a ticket's status and colour are the server's (re-read after every
// answer, refusals included); each queued action or photo shows its own outbox state
// (waiting, sending, sent, refused with the server's reason); "Resolve" is enabled only when
// the server has accepted a before and an after photo.
/* global L */
import { readConfig, api, makeMap, pinIcon, esc, fmt, fmtDate, LiveSocket, liveBadge, beep, directionsUrl, uuid } from "./common.js";
import * as outbox from "./outbox.js";

const cfg = readConfig();
const S = cfg.strings;
const T = cfg.sigap || {};
const LANG = document.documentElement.lang || cfg.lang || "id";
// Every call carries the page's language: the server's refusals come back in it.
const LANG_HEADERS = { "Accept-Language": LANG };
const OPEN = "assigned,in_progress,reopened,on_hold,verified,new";
const TICKETS_URL = `${cfg.ticketsUrl}?status=${OPEN}&page_size=200`;
const CACHE_KEY = `laksa.sigap.tickets.${cfg.user}`;
// Tickets this phone resolved: shown green with a confirmation until the crew closes them.
const RESOLVED_KEY = `laksa.sigap.resolved.${cfg.user}`;
const RESOLVED_KEEP_MS = 12 * 3600 * 1000;
const KINDS = ["before", "after"];
const listEl = document.getElementById("lk-tickets");
const mapEl = document.getElementById("lk-map");
const { map } = makeMap(mapEl, { ...cfg, kecamatanUrl: null }, { kecamatan: false });
const markers = L.featureGroup().addTo(map);
let tickets = [];
let pending = [];
const fresh = new Set();
let fitted = false;

function readJson(key, fallback) {
  try { return JSON.parse(localStorage.getItem(key) || "null") ?? fallback; } catch (e) { return fallback; }
}
function writeJson(key, value) { try { localStorage.setItem(key, JSON.stringify(value)); } catch (e) { /* full */ } }

const resolvedHere = readJson(RESOLVED_KEY, {});
for (const [code, r] of Object.entries(resolvedHere)) {
  if (Date.now() - Date.parse(r.at) > RESOLVED_KEEP_MS) delete resolvedHere[code];
}

if ("serviceWorker" in navigator && cfg.swUrl) {
  navigator.serviceWorker.register(cfg.swUrl, { scope: "/sigap/" }).catch(() => {});
}

const MEDIA_RECHECK_MS = 4000;

async function loadTickets() {
  const r = await api(TICKETS_URL, { headers: LANG_HEADERS });
  if (r.ok) {
    tickets = r.data.results || [];
    writeJson(CACHE_KEY, { at: new Date().toISOString(), tickets });
    document.getElementById("lk-updated").textContent = fmtDate(new Date().toISOString());
  } else if (r.networkError || r.status >= 500) {
    const cached = readJson(CACHE_KEY, null);
    if (cached && !tickets.length) {
      tickets = cached.tickets;
      document.getElementById("lk-updated").textContent = `${S.offline} · ${fmtDate(cached.at)}`;
    }
  } else if (r.status === 401 || r.status === 403) {
    location.href = `/accounts/login/?next=${encodeURIComponent(location.pathname)}`;
    return;
  }
  render();
  // A photo or video still being processed (a job makes its public copy; a video counts as proof
  // only then): look again shortly, until it is ready.
  if (tickets.some((t) => (t.photos || []).some((p) => p.state === "processing"))) scheduleReload(MEDIA_RECHECK_MS);
}

let reloadTimer = null;
function scheduleReload(delay = 150) {
  clearTimeout(reloadTimer);
  reloadTimer = setTimeout(loadTickets, delay);
}

// ---------------------------------------------------------------- counts (one rule, two places)

function counts(items) {
  return { pending: items.filter(outbox.isPending).length, refused: items.filter((i) => i.state === "refused").length };
}

function countsHtml(c, where) {
  return `<span data-count-pending="${where}">${esc(S.waiting)}: <b data-n>${c.pending}</b></span>`
    + (c.refused ? ` · <span class="lk-overdue" data-count-refused="${where}">${esc(T.n_refused)}: <b data-n>${c.refused}</b></span>` : "");
}

// ---------------------------------------------------------------- one ticket

function itemsFor(code) { return pending.filter((p) => p.code === code); }

function whatOf(item) {
  if (item.type === "photo") return item.kind === "before" ? S.before_photo : S.after_photo;
  return T[`action_${item.action}`] || S[item.action] || item.action;
}

function stateHtml(item) {
  const state = item.state;
  const label = esc((T.state || {})[state] || state);
  if (state !== "refused") return `<span class="lk-state lk-state-${esc(state)}">${label}</span>`;
  return `<span class="lk-state lk-state-refused">${label}</span> <span class="lk-refusal" data-reason>${esc(item.error)}</span>
    <span class="lk-item-btns"><button class="lk-btn lk-btn-small" type="button" data-retry="${esc(item.id)}">${esc(T.retry)}</button>
    <button class="lk-btn lk-btn-small lk-btn-red" type="button" data-drop="${esc(item.id)}">${esc(T.discard)}</button></span>`;
}

function distanceOf(item) {
  const d = item.data && item.data.distance_m;
  return d === null || d === undefined ? null : Math.round(d);
}

function proofSlot(t, kind, items, canPhoto) {
  const accepted = (t.photos || []).filter((p) => p.kind === kind);
  const serverIds = new Set(accepted.map((p) => p.client_id).filter(Boolean));
  const queued = items.filter((i) => i.type === "photo" && i.kind === kind && !(i.state === "done" && serverIds.has(i.id)));
  const ok = !!(t.proof && t.proof[kind]);
  const thumbs = accepted.map((p) => {
    const m = p.distance_m === null || p.distance_m === undefined ? "?" : Math.round(p.distance_m);
    const good = p.accepted !== false;
    const label = kind === "before" ? S.before_photo : S.after_photo;
    let media;
    if (p.state === "processing") { // its public copy is being made by a job: the list reloads until it is ready
      media = `<div class="lk-media-processing" data-media-state="processing" role="img" aria-label="${esc(label)}">${esc(p.media_type === "video" ? S.media_processing_video : S.media_processing_photo)}</div>`;
    } else if (!p.url) {
      media = `<div class="lk-media-processing" data-media-state="${esc(p.state)}" role="img" aria-label="${esc(label)}">${esc(T.photo_refused_plain)}</div>`;
    } else if (p.media_type === "video") {
      media = `<video controls preload="metadata" playsinline poster="${esc(p.thumb_url)}" src="${esc(p.url)}" aria-label="${esc(label)}" data-video></video>`;
    } else {
      media = `<a href="${esc(p.url)}" target="_blank" rel="noopener"><img src="${esc(p.thumb_url)}" alt="${esc(label)}" loading="lazy"></a>`;
    }
    // A video being processed is neither accepted nor refused yet: the proof rule waits for its copy.
    const waiting = p.state === "processing" && p.accepted === false;
    let caption = fmt(good ? T.photo_accepted : T.photo_refused, { m });
    if (p.state === "failed") caption = T.photo_refused_plain;
    else if (waiting) caption = `${m} m`;
    const verdict = waiting ? "data-photo-waiting" : good ? "data-photo-accepted" : "data-photo-refused";
    return `<figure class="lk-thumb ${waiting ? "" : good ? "lk-thumb-ok" : "lk-thumb-refused"}" ${verdict} data-media-state="${esc(p.state || "ready")}">
      ${media}
      <figcaption>${esc(caption)}</figcaption></figure>`;
  }).join("");
  // Waiting and sending photos show their state in the slot; a refused one is marked there too,
  // and listed in full (the server's reason, with the distance; retry or discard) under the slots.
  const rows = queued.filter((i) => i.state !== "done").map((i) => `<li data-outbox-item="${esc(i.id)}" data-state="${esc(i.state)}" data-kind="${esc(kind)}">
    <span class="lk-state lk-state-${esc(i.state)}">${esc((T.state || {})[i.state] || i.state)}${i.state === "sending" && i.progress ? ` · <span data-progress>${esc(i.progress)}%</span>` : ""}</span></li>`).join("");
  const take = kind === "before" ? T.take_before : T.take_after;
  return `<div class="lk-slot ${ok ? "lk-slot-ok" : ""}" data-proof="${kind}" data-accepted="${ok ? "1" : "0"}">
    <div class="lk-slot-head"><strong>${ok ? "✓ " : ""}${esc(kind === "before" ? S.before_photo : S.after_photo)}</strong></div>
    ${thumbs || (rows ? "" : `<p class="lk-muted lk-slot-empty">${esc(T.no_photo_yet)}</p>`)}
    ${rows ? `<ul class="lk-items lk-slot-items">${rows}</ul>` : ""}
    ${canPhoto ? `<label class="lk-btn lk-btn-small lk-photo-btn">${esc(accepted.length ? T.retake : take)}<input type="file" accept="image/*,video/*" capture="environment" data-photo="${kind}"></label>` : ""}
  </div>`;
}

function ticketHtml(t) {
  const code = t.tracking_code;
  const done = resolvedHere[code];
  const items = itemsFor(code);
  const c = counts(items);
  const actions = new Set(t.actions || []);
  const actionItems = items.filter((i) => i.type === "action" && !(i.action === "resolve" && i.state === "done" && done));
  const busy = (action) => items.some((i) => i.type === "action" && i.action === action && (outbox.isPending(i) || i.state === "done"));
  const status = done ? "resolved" : t.status;
  const color = done ? "green" : t.status_color;
  const [lon, lat] = t.location ? t.location.coordinates : [null, null];
  const due = t.due_at && !done ? `<span class="${t.is_overdue ? "lk-overdue" : ""}">${t.is_overdue ? S.overdue : S.due}: ${esc(fmtDate(t.due_at))}</span>` : "";
  const area = [t.kelurahan && t.kelurahan.name, t.kecamatan && t.kecamatan.name].filter(Boolean).join(", ");
  const citizen = (t.photos || []).filter((p) => p.kind === "report" && p.state === "ready" && p.media_type !== "video");
  const canPhoto = !done && actions.has("photo");
  const canStart = !done && actions.has("start") && !busy("start");
  const canResolve = !done && actions.has("resolve") && !busy("resolve");
  const refusedPhotos = items.filter((i) => i.type === "photo" && i.state === "refused");
  const proofOk = KINDS.every((k) => t.proof && t.proof[k]);
  const missing = KINDS.filter((k) => !(t.proof && t.proof[k])).map((k) => T[`missing_${k}`]);
  const limit = (t.proof && t.proof.limit_m) || cfg.photoMaxDistanceM;
  let resolveBlock = "";
  if (canResolve) {
    resolveBlock = `<div class="lk-panel-actions lk-resolve">
      <input class="lk-input" type="text" data-note placeholder="${esc(S.resolve_note)}" aria-label="${esc(S.resolve_note)}">
      <button class="lk-btn lk-btn-green" type="button" data-act="resolve" ${proofOk ? "" : "disabled aria-describedby=\"lk-missing-" + esc(code) + "\""}>✓ ${esc(S.resolve)}</button>
      ${proofOk ? "" : `<p class="lk-hint" id="lk-missing-${esc(code)}" data-proof-missing>${esc(fmt(T.missing_proof, { missing: missing.join(` ${T.and} `) }))}</p>`}
    </div>`;
  } else if (canStart) {
    resolveBlock = `<p class="lk-hint">${esc(T.start_first)}</p>`;
  }
  return `<li class="lk-ticket lk-color-${esc(color)} ${fresh.has(code) ? "lk-fresh" : ""}" id="lk-t-${esc(code)}" data-code="${esc(code)}" data-status="${esc(status)}" data-color="${esc(color)}">
    <div class="lk-ticket-head"><span class="lk-ticket-code">${esc(code)}</span>
      <span class="lk-status lk-status-${esc(color)}">${esc(S.status[status] || status)}</span></div>
    ${done ? `<div class="lk-alert lk-alert-ok" role="status" data-resolved-confirm><strong>${esc(fmt(T.resolved_confirm, { code }))}</strong>
      <button class="lk-btn lk-btn-small" type="button" data-dismiss>${esc(T.dismiss)}</button></div>` : ""}
    <p class="lk-ticket-meta"><strong>${esc(t.category.name)}</strong>${area ? ` · <span data-area>${esc(area)}</span>` : ""}</p>
    ${due ? `<p class="lk-ticket-meta" data-due>${due}</p>` : ""}
    <div class="lk-citizen">
      ${citizen.length ? `<a class="lk-citizen-photo" href="${esc(citizen[0].url)}" target="_blank" rel="noopener"><img src="${esc(citizen[0].thumb_url)}" alt="${esc(T.citizen_photo)}" loading="lazy" data-citizen-photo></a>` : ""}
      <div><p class="lk-label">${esc(T.citizen_report)}</p><p class="lk-ticket-desc" data-description>${esc(t.description)}</p>
      ${t.address ? `<p class="lk-ticket-meta">${esc(t.address)}</p>` : ""}</div>
    </div>
    <div class="lk-actions">
      ${lat !== null ? `<a class="lk-btn" href="geo:${lat},${lon}?q=${lat},${lon}" data-directions>${esc(S.directions)}</a>
      <a class="lk-btn" href="${directionsUrl(lat, lon)}" target="_blank" rel="noopener" data-directions-web>${esc(T.maps)}</a>` : ""}
      ${canStart ? `<button class="lk-btn lk-btn-primary" type="button" data-act="start">${esc(S.start)}</button>` : ""}
    </div>
    ${done ? "" : `<section class="lk-proof-box" aria-label="${esc(T.proof_title)}">
      <p class="lk-rules" data-proof-rules>${esc(fmt(T.proof_rules, { m: Math.round(limit) }))}</p>
      <div class="lk-slots">${KINDS.map((k) => proofSlot(t, k, items, canPhoto)).join("")}</div>
      ${refusedPhotos.length ? `<ul class="lk-items" data-refused-photos>${refusedPhotos.map((i) => `<li data-outbox-item="${esc(i.id)}" data-state="refused" data-kind="${esc(i.kind)}" ${distanceOf(i) !== null ? `data-refused-distance="${distanceOf(i)}"` : ""}><strong>${esc(whatOf(i))}</strong> · ${stateHtml(i)}</li>`).join("")}</ul>` : ""}
    </section>`}
    ${resolveBlock}
    ${actionItems.length ? `<ul class="lk-items" data-ticket-actions>${actionItems.map((i) => `<li data-outbox-item="${esc(i.id)}" data-state="${esc(i.state)}" data-action="${esc(i.action)}"><strong>${esc(whatOf(i))}</strong> · ${stateHtml(i)}</li>`).join("")}</ul>` : ""}
    ${c.pending || c.refused ? `<p class="lk-muted lk-ticket-counts" data-ticket-counts>${countsHtml(c, "ticket")}</p>` : ""}
    <p class="lk-field-error" data-error hidden></p>
  </li>`;
}

// ---------------------------------------------------------------- the list and the map

// The list is redrawn whenever a live event or an outbox state arrives, which may be while the
// crew is typing a note or choosing a photo. A ticket whose markup did not change is kept as it
// is (its note, focus, open camera and loaded thumbnails with it); a changed one is replaced,
// with the note's text and focus carried over, and each photo input has its own listener, so a
// photo chosen in an input that a redraw has just replaced is still queued (a delegated
// listener would never hear a detached input).
function render() {
  const order = (t) => (t.due_at ? Date.parse(t.due_at) : Infinity);
  // A ticket this phone resolved leaves the open list: keep it, green, until the crew closes it
  // (or the server lists it open again, reopened after that).
  const byCode = new Map(tickets.map((t) => [t.tracking_code, t]));
  for (const [code, r] of Object.entries(resolvedHere)) {
    const now = byCode.get(code);
    if (now && Date.parse(now.updated_at) > Date.parse(r.at)) { delete resolvedHere[code]; continue; }
    byCode.set(code, { ...(now || {}), ...r.ticket });
  }
  const list = [...byCode.values()];
  list.sort((a, b) => (resolvedHere[b.tracking_code] ? 1 : 0) - (resolvedHere[a.tracking_code] ? 1 : 0) || order(a) - order(b));
  const before = new Map([...listEl.querySelectorAll(":scope > [data-code]")].map((li) => [li.dataset.code, li]));
  const active = document.activeElement;
  const nodes = list.map((t) => {
    const html = ticketHtml(t).trim();
    const old = before.get(t.tracking_code);
    if (old && old.lkHtml === html) return old;
    const tpl = document.createElement("template");
    tpl.innerHTML = html;
    const li = tpl.content.firstElementChild;
    li.lkHtml = html;
    const oldNote = old && old.querySelector("[data-note]");
    const note = li.querySelector("[data-note]");
    if (note && oldNote) {
      note.value = oldNote.value;
      if (oldNote === active) li.lkFocusNote = true;
    }
    for (const input of li.querySelectorAll("input[data-photo]")) input.addEventListener("change", onPhotoChosen);
    return li;
  });
  if (!nodes.length) {
    listEl.innerHTML = `<li class="lk-card">${esc(S.no_tickets)}</li>`;
  } else if (nodes.length !== listEl.children.length || nodes.some((n, i) => listEl.children[i] !== n)) {
    listEl.replaceChildren(...nodes);
    if (active && active !== document.activeElement && listEl.contains(active)) active.focus();
  }
  for (const li of nodes) {
    if (li.lkFocusNote) { li.lkFocusNote = false; li.querySelector("[data-note]").focus(); }
  }
  document.getElementById("lk-ticket-count").textContent = String(tickets.filter((t) => !resolvedHere[t.tracking_code]).length);
  markers.clearLayers();
  for (const t of list) {
    if (!t.location) continue;
    const [lon, lat] = t.location.coordinates;
    const color = resolvedHere[t.tracking_code] ? "green" : t.status_color;
    L.marker([lat, lon], { icon: pinIcon(color, fresh.has(t.tracking_code) ? "lk-pin-new" : ""), title: t.tracking_code })
      .bindPopup(`<strong>${esc(t.tracking_code)}</strong><br>${esc(t.category.name)}`)
      .addTo(markers);
  }
  if (markers.getLayers().length && !fitted) {
    map.fitBounds(markers.getBounds(), { padding: [30, 30], maxZoom: 16 });
    fitted = tickets.length > 0;
  }
}

async function renderOutbox() {
  pending = await outbox.items();
  const c = counts(pending);
  const box = document.getElementById("lk-outbox");
  document.getElementById("lk-outbox-count").textContent = String(c.pending);
  const refusedEl = document.getElementById("lk-outbox-refused");
  refusedEl.hidden = !c.refused;
  refusedEl.querySelector("[data-n]").textContent = String(c.refused);
  document.querySelector("[data-outbox-label]").textContent = c.pending || c.refused ? S.waiting : `✓ ${S.nothing_waiting}`;
  document.querySelector("[data-outbox-n]").hidden = !(c.pending || c.refused);
  const open = pending.filter((p) => p.state !== "done");
  const ul = document.getElementById("lk-outbox-list");
  ul.innerHTML = open.map((p) => `<li data-outbox-item="${esc(p.id)}" data-state="${esc(p.state)}"><a href="#lk-t-${esc(p.code)}" data-goto="${esc(p.code)}">${esc(p.code)}</a>: ${esc(whatOf(p))} · ${esc((T.state || {})[p.state] || p.state)}</li>`).join("");
  box.dataset.count = String(c.pending);
  box.dataset.refused = String(c.refused);
  render();
}

outbox.onChange((detail) => {
  if (detail && detail.done) {
    const item = detail.done;
    if (item.type === "action" && item.action === "resolve" && item.response && item.response.status === "resolved") {
      const before = tickets.find((t) => t.tracking_code === item.code) || {};
      resolvedHere[item.code] = { at: new Date().toISOString(), ticket: { ...before, ...item.response } };
      writeJson(RESOLVED_KEY, resolvedHere);
    }
    scheduleReload(100);
  } else if (detail && detail.refused) {
    // The ticket is where the server says it is: read it again.
    scheduleReload(50);
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
  const dismiss = e.target.closest("[data-dismiss]");
  if (dismiss) {
    delete resolvedHere[dismiss.closest("[data-code]").dataset.code];
    writeJson(RESOLVED_KEY, resolvedHere);
    render();
    return;
  }
  if (await onItemButton(e)) return;
  const btn = e.target.closest("[data-act]");
  if (!btn || btn.disabled) return;
  const li = btn.closest("[data-code]");
  const code = li.dataset.code;
  const action = btn.dataset.act;
  const body = {};
  if (action === "resolve") {
    const note = li.querySelector("[data-note]");
    body.note = note && note.value.trim() ? note.value.trim() : "";
  }
  btn.disabled = true;
  // A new try supersedes a refused one of the same action on this ticket.
  for (const old of pending.filter((p) => p.code === code && p.type === "action" && p.action === action && p.state === "refused")) {
    await outbox.remove(old.id);
  }
  await outbox.add({ id: uuid(), type: "action", code, action, body });
  outbox.flush();
});

// Retry or discard a refused item (on its ticket or in the outbox card).
async function onItemButton(e) {
  const retry = e.target.closest("[data-retry]");
  if (retry) { await outbox.retry(retry.dataset.retry); return true; }
  const drop = e.target.closest("[data-drop]");
  if (drop) {
    await outbox.remove(drop.dataset.drop);
    await renderOutbox();
    scheduleReload(50);
    return true;
  }
  return false;
}

async function onPhotoChosen(e) {
  const input = e.currentTarget;
  if (!input.files[0]) return;
  const li = input.closest("[data-code]");
  const code = li.dataset.code;
  const file = input.files[0];
  input.value = ""; // the same input may take another photo (a kept ticket keeps its inputs)
  const err = li.querySelector("[data-error]");
  err.hidden = false;
  err.textContent = S.photo_location;
  const pos = await position();
  const note = listEl.querySelector(`[data-code="${CSS.escape(code)}"] [data-error]`);
  if (note) { note.textContent = pos ? "" : S.photo_no_location; note.hidden = !!pos; }
  await outbox.add({
    id: uuid(), type: "photo", code, kind: input.dataset.photo, blob: file, filename: file.name || "photo.jpg",
    lat: pos ? pos.lat.toFixed(7) : null, lon: pos ? pos.lon.toFixed(7) : null, accuracy: pos ? pos.accuracy : null,
    taken_at: new Date().toISOString(),
  });
  outbox.flush();
}

document.getElementById("lk-outbox").addEventListener("click", async (e) => {
  const go = e.target.closest("[data-goto]");
  if (go) {
    e.preventDefault();
    const li = listEl.querySelector(`[data-code="${CSS.escape(go.dataset.goto)}"]`);
    if (li) li.scrollIntoView({ behavior: "smooth", block: "start" });
    return;
  }
  await onItemButton(e);
});

const badge = liveBadge(document.getElementById("lk-live"), S);
new LiveSocket("/ws/crew/", {
  onStatus: (s) => { badge(s); if (s === "live") { outbox.flush(); scheduleReload(50); } },
  onEvent: (ev) => {
    const c = ev.complaint || {};
    // The envelope's crew field: `assigned_crew` or `crew`, an object or an id.
    const crew = c.assigned_crew ?? c.crew;
    const crewId = crew && typeof crew === "object" ? crew.id : crew;
    if (ev.type === "assigned" && crewId && cfg.crew && Number(crewId) === Number(cfg.crew.id)) {
      fresh.add(c.tracking_code);
      beep();
      setTimeout(() => { fresh.delete(c.tracking_code); }, 8000);
    }
    scheduleReload();
  },
});

onlineState();
const cached = readJson(CACHE_KEY, null);
// The tickets last seen, shown at once; the network's list replaces them when it comes.
if (cached) { tickets = cached.tickets; render(); }
outbox.prune().then(renderOutbox).then(loadTickets).then(() => outbox.flush());
setInterval(() => outbox.flush(), 15000);
setInterval(() => outbox.prune().then((removed) => { if (removed) renderOutbox(); }), 30000);
