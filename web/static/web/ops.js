// Command center: live map and SLA queue over /ws/ops/, dispatch actions, phone/WhatsApp intake.
/* global L */
import { readConfig, api, makeMap, pinIcon, esc, fmtDate, LiveSocket, liveBadge, uuid, errorText } from "./common.js";

const cfg = readConfig();
const S = cfg.strings;
const OPEN = "new,verified,on_hold,assigned,in_progress,reopened";
const queueEl = document.getElementById("lk-queue");
const mapEl = document.getElementById("lk-map");
let map = null;
const markers = new Map();
let crews = [];
let agencies = [];
let queue = [];

if (mapEl) {
  map = makeMap(mapEl, cfg).map;
}

function toast(text) {
  const el = document.createElement("div");
  el.className = "lk-toast";
  el.setAttribute("role", "status");
  el.textContent = text;
  document.body.appendChild(el);
  setTimeout(() => el.remove(), 3000);
}

function upsertMarker(c, isNew = false) {
  if (!map || !c || !c.location) return;
  const [lon, lat] = c.location.coordinates;
  const color = c.status_color || "grey";
  let m = markers.get(c.tracking_code);
  const icon = pinIcon(color, isNew ? "lk-pin-new" : "");
  if (!m) {
    m = L.marker([lat, lon], { icon, title: c.tracking_code }).addTo(map);
    m.on("click", () => focusItem(c.tracking_code));
    markers.set(c.tracking_code, m);
  } else {
    m.setLatLng([lat, lon]);
    m.setIcon(icon);
  }
  m.bindTooltip(`${c.tracking_code} · ${S.status[c.status] || c.status}`);
  const el = m.getElement();
  if (el) { el.dataset.code = c.tracking_code; el.dataset.status = c.status; }
}

function focusItem(code) {
  const li = queueEl && queueEl.querySelector(`[data-code="${CSS.escape(code)}"]`);
  if (li) { li.scrollIntoView({ behavior: "smooth", block: "center" }); li.classList.add("lk-fresh"); setTimeout(() => li.classList.remove("lk-fresh"), 3000); }
}

function options(list, label, value, text) {
  return `<option value="">${esc(label)}</option>` + list.map((x) => `<option value="${esc(value(x))}">${esc(text(x))}</option>`).join("");
}

function itemHtml(c) {
  const acts = new Set(cfg.canAct ? c.actions || [] : []);
  const crewChoices = crews.filter((k) => !c.agency || k.agency.code === c.agency.code);
  const due = c.due_at ? `<span class="${c.is_overdue ? "lk-overdue" : ""}">${c.is_overdue ? S.overdue : S.due}: ${esc(fmtDate(c.due_at))}</span>` : "";
  const code = esc(c.tracking_code);
  const panel = [];
  if (acts.has("verify")) panel.push(`<button class="lk-btn lk-btn-small" type="button" data-act="verify">${esc(S.verify)}</button>`);
  if (acts.has("assign")) {
    panel.push(`<div class="lk-row"><select data-field="crew" aria-label="${esc(S.choose_crew)}">${options(crewChoices.length ? crewChoices : crews, S.choose_crew, (k) => k.id, (k) => `${k.name} (${k.open_count})`)}</select>
      <button class="lk-btn lk-btn-small lk-btn-primary" type="button" data-act="assign">${esc(S.assign)}</button></div>`);
  }
  if (acts.has("reroute")) {
    panel.push(`<div class="lk-row"><select data-field="agency" aria-label="${esc(S.choose_agency)}">${options(agencies.filter((a) => !c.agency || a.code !== c.agency.code), S.choose_agency, (a) => a.code, (a) => a.short_name || a.name)}</select>
      <input data-field="reason" data-for="reroute" placeholder="${esc(S.reason)}" aria-label="${esc(S.reason)}">
      <button class="lk-btn lk-btn-small" type="button" data-act="reroute">${esc(S.reroute)}</button></div>`);
  }
  if (acts.has("hold")) {
    panel.push(`<div class="lk-row"><input data-field="reason" data-for="hold" placeholder="${esc(S.reason)}" aria-label="${esc(S.reason)}">
      <button class="lk-btn lk-btn-small" type="button" data-act="hold">${esc(S.hold)}</button></div>`);
  }
  if (acts.has("duplicate")) {
    panel.push(`<div class="lk-row"><input data-field="of" placeholder="${esc(S.original_code)}" aria-label="${esc(S.original_code)}">
      <button class="lk-btn lk-btn-small" type="button" data-act="duplicate">${esc(S.duplicate)}</button></div>`);
  }
  return `<li class="lk-ticket lk-color-${esc(c.status_color)}" data-code="${code}" data-status="${esc(c.status)}">
    <div class="lk-ticket-head"><a class="lk-ticket-code" href="/lacak/${code}/" target="_blank" rel="noopener">${code}</a>
      <span class="lk-status lk-status-${esc(c.status_color)}">${esc(S.status[c.status] || c.status)}</span></div>
    <p class="lk-ticket-meta">${esc(c.category.name)} · ${esc(c.kelurahan ? c.kelurahan.name : "")}${c.kecamatan ? `, ${esc(c.kecamatan.name)}` : ""} · ${esc(c.agency ? c.agency.short_name || c.agency.name : "")}</p>
    <p class="lk-ticket-meta">${due}${c.crew ? ` · ${esc(S.crew)}: ${esc(c.crew.name)}` : ""} · ${esc(S.channel[c.channel] || c.channel)}</p>
    <p class="lk-ticket-desc">${esc(c.description)}</p>
    ${panel.length ? `<div class="lk-panel-actions">${panel.join("")}</div>` : ""}
    <p class="lk-field-error" data-error hidden></p>
  </li>`;
}

async function loadQueue() {
  if (!queueEl) return;
  const r = await api(`${cfg.queueUrl}?status=${OPEN}&page_size=200`);
  if (!r.ok) {
    queueEl.innerHTML = `<li class="lk-alert lk-alert-error">${esc(errorText(r.data) || S.error)}</li>`;
    return;
  }
  queue = r.data.results || [];
  document.getElementById("lk-queue-count").textContent = `${r.data.count ?? queue.length}`;
  queueEl.innerHTML = queue.length ? queue.map(itemHtml).join("") : `<li class="lk-muted">${esc(S.queue_empty)}</li>`;
  queue.forEach((c) => upsertMarker(c));
}

async function loadStats() {
  try {
    const res = await fetch(cfg.statsUrl, { credentials: "same-origin" });
    if (!res.ok) return;
    const tpl = document.createElement("template");
    tpl.innerHTML = (await res.text()).trim();
    const fresh = tpl.content.querySelector("#lk-stats");
    const old = document.getElementById("lk-stats");
    if (fresh && old) old.replaceWith(fresh);
  } catch (e) { /* offline: keep the last figures */ }
}

let reloadTimer = null;
function scheduleReload() {
  clearTimeout(reloadTimer);
  reloadTimer = setTimeout(() => { loadQueue(); loadStats(); }, 200);
}

if (queueEl) {
  queueEl.addEventListener("click", async (e) => {
    const btn = e.target.closest("[data-act]");
    if (!btn) return;
    const li = btn.closest("[data-code]");
    const action = btn.dataset.act;
    const err = li.querySelector("[data-error]");
    err.hidden = true;
    const row = btn.closest(".lk-row") || li;
    const body = {};
    row.querySelectorAll("[data-field]").forEach((input) => {
      if (input.dataset.for && input.dataset.for !== action) return;
      body[input.dataset.field] = input.value.trim();
    });
    if ((action === "hold" || action === "reroute" || action === "reject") && !body.reason) {
      err.textContent = S.reason_required; err.hidden = false; return;
    }
    if (action === "assign" && !body.crew) { err.textContent = S.choose_crew; err.hidden = false; return; }
    if (action === "reroute" && !body.agency) { err.textContent = S.choose_agency; err.hidden = false; return; }
    if (action === "assign") body.crew = Number(body.crew);
    btn.disabled = true;
    const r = await api(`/api/v1/complaints/${encodeURIComponent(li.dataset.code)}/${action}/`, {
      method: "POST", json: body, headers: { "Idempotency-Key": uuid() },
    });
    btn.disabled = false;
    if (r.ok) {
      toast(`${li.dataset.code}: ${S.status[r.data.status] || r.data.status}`);
      upsertMarker(r.data);
      scheduleReload();
    } else {
      err.textContent = r.networkError ? S.send_failed : errorText(r.data) || S.error;
      err.hidden = false;
    }
  });
}

// Intake of reports received by phone, WhatsApp or social media.
const intake = document.getElementById("lk-intake");
let intakePoint = null;
let intakePin = null;
if (intake && map) {
  map.on("click", (e) => {
    if (!document.getElementById("lk-intake-box").open) return;
    intakePoint = e.latlng;
    if (!intakePin) intakePin = L.marker(e.latlng, { icon: pinIcon("blue", "lk-pin-me"), draggable: true }).addTo(map);
    intakePin.setLatLng(e.latlng);
    intakePin.on("dragend", () => { intakePoint = intakePin.getLatLng(); });
    document.getElementById("lk-intake-where").textContent = `${e.latlng.lat.toFixed(5)}, ${e.latlng.lng.toFixed(5)}`;
  });
  intake.addEventListener("submit", async (e) => {
    e.preventDefault();
    intake.querySelectorAll("[data-error-for]").forEach((el) => { el.hidden = true; });
    const errBox = document.getElementById("lk-intake-error");
    const okBox = document.getElementById("lk-intake-ok");
    errBox.hidden = true; okBox.hidden = true;
    if (!intakePoint) {
      const el = intake.querySelector('[data-error-for="location"]');
      el.textContent = S.pin_first; el.hidden = false; return;
    }
    const body = { location: { lat: +intakePoint.lat.toFixed(7), lon: +intakePoint.lng.toFixed(7) } };
    for (const name of ["channel", "category", "description", "address", "reporter_name", "reporter_phone"]) body[name] = intake[name].value.trim();
    const r = await api("/api/v1/ops/intake/", { method: "POST", json: body, headers: { "Idempotency-Key": uuid() } });
    if (r.ok) {
      okBox.textContent = `${S.tracking}: ${r.data.tracking_code}`;
      okBox.hidden = false;
      intake.description.value = ""; intake.address.value = ""; intake.reporter_name.value = ""; intake.reporter_phone.value = "";
      scheduleReload();
      return;
    }
    const data = r.data || {};
    const unplaced = [];
    for (const [field, msgs] of Object.entries(data)) {
      const el = intake.querySelector(`[data-error-for="${field.split(".")[0]}"]`);
      const text = Array.isArray(msgs) ? msgs.join(" ") : String(msgs);
      if (el && field !== "detail") { el.textContent = text; el.hidden = false; } else unplaced.push(text);
    }
    if (unplaced.length || r.networkError) { errBox.textContent = r.networkError ? S.send_failed : unplaced.join(" "); errBox.hidden = false; }
  });
}

const badge = liveBadge(document.getElementById("lk-live"), S);
new LiveSocket("/ws/ops/", {
  onStatus: (s) => { badge(s); if (s === "live") scheduleReload(); },
  onEvent: (ev) => {
    upsertMarker(ev.complaint, ev.type === "created");
    scheduleReload();
  },
});

(async () => {
  if (queueEl) {
    const [c, a] = await Promise.all([cfg.canAct ? api("/api/v1/crews/") : null, cfg.canAct ? api("/api/v1/agencies/") : null]);
    if (c && c.ok) crews = c.data;
    if (a && a.ok) agencies = a.data;
  }
  loadQueue();
})();
