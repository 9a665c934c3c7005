// Command center: search and filters over every complaint in the user's scope (state in the
// URL), cursor pages, a clustered map of the filtered set in view, the ticket panel with the
// actions the server allows, live toasts and crew load over /ws/ops/, phone/WhatsApp intake.
/* global L */
import { readConfig, api, makeMap, pinIcon, esc, fmt, fmtDate, LiveSocket, liveBadge, uuid, errorText, beep } from "./common.js";

const cfg = readConfig();
const S = { ...cfg.strings, ...(cfg.opsStrings || {}) };
const OPEN = (cfg.openStatuses || []).join(",");
const PAGE_SIZE = 20;
const MAP_LIMIT = 500;
const CLUSTER_FROM = 150; // fewer markers than this: plain pins (each one visible and clickable)
const FILTERS = ["q", "status", "overdue", "category", "agency", "kecamatan", "kelurahan", "crew", "channel",
  "created_after", "created_before", "due_after", "due_before", "sort"];
const form = document.getElementById("lk-filters");
const queueEl = document.getElementById("lk-queue");
const detailEl = document.getElementById("lk-detail");
const mapEl = document.getElementById("lk-map");
const countEl = document.getElementById("lk-queue-count");
const prevBtn = document.getElementById("lk-prev");
const nextBtn = document.getElementById("lk-next");
let map = null;
let pins = null;
let crews = [];
let agencies = [];
let cursor = null; // the current page's cursor (null: the first page)
let links = { next: null, previous: null };
let openCode = null;
let listSeq = 0;
let mapSeq = 0;
let detailSeq = 0;

if (mapEl) {
  map = makeMap(mapEl, cfg).map;
}

function toast(text, { code = null } = {}) {
  const el = document.createElement("div");
  el.className = "lk-toast";
  el.setAttribute("role", "status");
  el.innerHTML = `<span>${esc(text)}</span>`;
  if (code) {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = S.open_it;
    b.addEventListener("click", () => { el.remove(); openDetail(code); });
    el.appendChild(b);
  }
  document.body.appendChild(el);
  setTimeout(() => el.remove(), code ? 8000 : 3000);
}

// ---------------------------------------------------------------- URL <-> filters

function readUrl() {
  const p = new URLSearchParams(location.search);
  if (form) for (const name of FILTERS) if (form[name]) form[name].value = p.get(name) || "";
  cursor = p.get("cursor");
  return p.get("t");
}

function filterParams() {
  const p = new URLSearchParams();
  if (!form) return p;
  for (const name of FILTERS) {
    const v = (form[name] && form[name].value || "").trim();
    if (v) p.set(name, v);
  }
  return p;
}

function writeUrl(push) {
  const p = filterParams();
  if (cursor) p.set("cursor", cursor);
  if (openCode) p.set("t", openCode);
  const url = `${location.pathname}${p.toString() ? `?${p}` : ""}`;
  if (url === `${location.pathname}${location.search}`) return;
  if (push) history.pushState(null, "", url); else history.replaceState(null, "", url);
}

// The API's query: the page's filters; no status means "every open status", "any" means all.
function apiParams(extra = {}) {
  const p = filterParams();
  const status = p.get("status");
  if (!status) p.set("status", OPEN);
  else if (status === "any") p.delete("status");
  for (const [k, v] of Object.entries(extra)) if (v !== null && v !== undefined) p.set(k, v);
  return p;
}

function markFilters() {
  const n = FILTERS.filter((f) => f !== "q" && f !== "sort" && form && form[f] && form[f].value).length;
  const el = document.getElementById("lk-nfilters");
  if (el) el.textContent = n ? String(n) : "";
  // Only the kelurahan of the chosen kecamatan.
  const kec = form && form.kecamatan.value;
  if (form) form.kelurahan.querySelectorAll("optgroup").forEach((g) => { g.hidden = !!kec && g.dataset.kecamatan !== kec; });
}

// ---------------------------------------------------------------- the list

function cardHtml(c) {
  const code = esc(c.tracking_code);
  const place = [c.kelurahan && c.kelurahan.name, c.kecamatan && c.kecamatan.name].filter(Boolean).join(", ");
  const due = c.due_at ? `<span class="${c.is_overdue ? "lk-overdue" : ""}">${esc(c.is_overdue ? S.overdue : S.due)} ${esc(fmtDate(c.due_at))}</span>` : "";
  return `<li class="lk-ticket lk-color-${esc(c.status_color)}" data-code="${code}" data-status="${esc(c.status)}" tabindex="0"${c.tracking_code === openCode ? ' aria-current="true"' : ""}>
    <div class="lk-ticket-head"><span class="lk-ticket-code">${code}</span>
      <span class="lk-chip lk-chip-${esc(c.status_color)}">${esc(S.status[c.status] || c.status)}</span></div>
    <p class="lk-ticket-meta">${esc(c.category.name)}${place ? ` · ${esc(place)}` : ""}</p>
    <p class="lk-ticket-meta">${due}${due ? " · " : ""}${c.crew ? `${esc(S.crew)}: ${esc(c.crew.name)}` : esc(S.no_crew)}</p>
  </li>`;
}

function cursorOf(url) {
  if (!url) return null;
  try { return new URL(url, location.href).searchParams.get("cursor"); } catch (e) { return null; }
}

async function loadList() {
  if (!queueEl) return;
  const mine = ++listSeq;
  queueEl.setAttribute("aria-busy", "true");
  const r = await api(`${cfg.queueUrl}?${apiParams({ page_size: PAGE_SIZE, cursor })}`);
  if (mine !== listSeq) return;
  queueEl.removeAttribute("aria-busy");
  if (!r.ok) {
    queueEl.innerHTML = `<li class="lk-alert lk-alert-error">${esc(errorText(r.data) || S.error)}</li>`;
    if (r.status === 400 && r.data && r.data.cursor && cursor) { cursor = null; writeUrl(false); loadList(); }
    return;
  }
  const rows = r.data.results || [];
  links = { next: cursorOf(r.data.next), previous: cursorOf(r.data.previous) };
  countEl.textContent = fmt(S.n_found, { n: r.data.count ?? rows.length });
  countEl.dataset.count = String(r.data.count ?? rows.length);
  queueEl.innerHTML = rows.length ? rows.map(cardHtml).join("") : `<li class="lk-muted">${esc(S.no_results)}</li>`;
  prevBtn.disabled = !links.previous && !cursor;
  nextBtn.disabled = !links.next;
  queueEl.dataset.ready = "1";
}

function goPage(which) {
  if (which === "next" && !links.next) return;
  cursor = which === "next" ? links.next : links.previous;
  writeUrl(true);
  loadList().then(() => queueEl.closest("section").scrollIntoView({ block: "start" }));
}

// ---------------------------------------------------------------- the map

async function loadMap() {
  if (!map) return;
  const mine = ++mapSeq;
  const b = map.getBounds();
  const bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((x) => x.toFixed(5)).join(",");
  const r = await api(`${cfg.queueUrl}?${apiParams({ bbox, page_size: MAP_LIMIT, sort: "-updated" })}`);
  if (mine !== mapSeq || !r.ok) return;
  const rows = r.data.results || [];
  const layer = rows.length >= CLUSTER_FROM
    ? L.markerClusterGroup({ maxClusterRadius: 45, showCoverageOnHover: false, chunkedLoading: true })
    : L.featureGroup();
  const markers = [];
  for (const c of rows) {
    if (!c.location) continue;
    const [lon, lat] = c.location.coordinates;
    const m = L.marker([lat, lon], { icon: pinIcon(c.status_color), title: c.tracking_code, keyboard: true });
    m.bindTooltip(`${c.tracking_code} · ${S.status[c.status] || c.status}`);
    m.on("click", () => openDetail(c.tracking_code));
    markers.push(m);
  }
  if (pins) map.removeLayer(pins);
  pins = layer;
  if (layer.addLayers) layer.addLayers(markers); else markers.forEach((m) => layer.addLayer(m));
  map.addLayer(layer);
  mapEl.dataset.markers = String(markers.length);
  const note = document.getElementById("lk-map-note");
  note.hidden = r.data.count <= MAP_LIMIT;
  note.textContent = fmt(S.map_capped, { n: MAP_LIMIT });
}

let mapTimer = null;
function scheduleMap() { clearTimeout(mapTimer); mapTimer = setTimeout(loadMap, 250); }
if (map) map.on("moveend", scheduleMap);

// ---------------------------------------------------------------- crews

function renderCrews() {
  const el = document.getElementById("lk-crews");
  if (!el) return;
  el.innerHTML = crews.map((k) => `<li data-crew="${k.id}"><span>${esc(k.name)}</span><b data-open-count>${k.open_count}</b></li>`).join("");
}

async function loadCrews() {
  if (!document.getElementById("lk-crews") && !cfg.canAct) return;
  const r = await api("/api/v1/crews/");
  if (r.ok) { crews = r.data; renderCrews(); }
}

// ---------------------------------------------------------------- the ticket panel

function options(list, label, value, text) {
  return `<option value="">${esc(label)}</option>` + list.map((x) => `<option value="${esc(value(x))}">${esc(text(x))}</option>`).join("");
}

function actionsHtml(c) {
  const acts = new Set(cfg.canAct ? c.actions || [] : []);
  const crewChoices = crews.filter((k) => !c.agency || k.agency.code === c.agency.code);
  const panel = [];
  if (acts.has("verify")) panel.push(`<button class="lk-btn lk-btn-small" type="button" data-act="verify">${esc(S.verify)}</button>`);
  if (acts.has("assign")) {
    panel.push(`<div class="lk-row"><select data-field="crew" aria-label="${esc(S.choose_crew)}">${options(crewChoices.length ? crewChoices : crews, S.choose_crew, (k) => k.id, (k) => `${k.name} (${k.open_count} ${S.crew_load})`)}</select>
      <button class="lk-btn lk-btn-small lk-btn-primary" type="button" data-act="assign">${esc(S.assign)}</button></div>`);
  }
  if (acts.has("reroute")) {
    panel.push(`<div class="lk-row"><select data-field="agency" aria-label="${esc(S.choose_agency)}">${options(agencies.filter((a) => !c.agency || a.code !== c.agency.code), S.choose_agency, (a) => a.code, (a) => a.short_name || a.name)}</select>
      <input data-field="reason" data-for="reroute" placeholder="${esc(S.reason)}" aria-label="${esc(S.reason)}">
      <button class="lk-btn lk-btn-small" type="button" data-act="reroute">${esc(S.reroute)}</button></div>`);
  }
  for (const act of ["hold", "reject"]) {
    if (!acts.has(act)) continue;
    panel.push(`<div class="lk-row"><input data-field="reason" data-for="${act}" placeholder="${esc(S.reason)}" aria-label="${esc(S.reason)}">
      <button class="lk-btn lk-btn-small${act === "reject" ? " lk-btn-red" : ""}" type="button" data-act="${act}">${esc(S[act])}</button></div>`);
  }
  if (acts.has("duplicate")) {
    panel.push(`<div class="lk-row"><input data-field="of" placeholder="${esc(S.original_code)}" aria-label="${esc(S.original_code)}">
      <button class="lk-btn lk-btn-small" type="button" data-act="duplicate">${esc(S.duplicate)}</button></div>`);
  }
  if (acts.has("note")) {
    panel.push(`<div class="lk-row"><input data-field="note" data-for="note" placeholder="${esc(S.note_text)}" aria-label="${esc(S.note_text)}">
      <button class="lk-btn lk-btn-small" type="button" data-act="note">${esc(S.note)}</button></div>`);
  }
  if (acts.has("close")) panel.push(`<button class="lk-btn lk-btn-small" type="button" data-act="close">${esc(S.close)}</button>`);
  if (acts.has("transfer")) panel.push(transferHtml());
  return panel.length ? `<div class="lk-panel-actions">${panel.join("")}</div><p class="lk-field-error" data-error hidden></p>`
    : `<p class="lk-muted">${esc(S.no_actions)}</p>`;
}

// One photo or video of the panel: a placeholder while a job makes its public copy, then the
// video player or the thumbnail.
function mediaHtml(p) {
  const label = (S.photo_kind || {})[p.kind] || p.kind;
  if (p.state === "processing") {
    return `<div class="lk-media-processing" role="img" aria-label="${esc(label)}">${esc(p.media_type === "video" ? S.media_processing_video : S.media_processing_photo)}</div>`;
  }
  if (!p.url) return `<div class="lk-media-processing" role="img" aria-label="${esc(label)}">–</div>`;
  if (p.media_type === "video") {
    return `<video controls preload="metadata" playsinline poster="${esc(p.thumb_url)}" src="${esc(p.url)}" aria-label="${esc(label)}"></video>`;
  }
  return `<a href="${esc(p.url)}" target="_blank" rel="noopener"><img src="${esc(p.thumb_url)}" alt="${esc(label)}" loading="lazy"></a>`;
}

// ---- transfer to a neighbouring government (issue 18): a choice of the neighbours the server
// lists for this report, the reason, and a confirmation step before the POST.

function transferHtml() {
  return `<div class="lk-row lk-transfer" data-transfer><select data-field="government" aria-label="${esc(S.choose_government)}"><option value="">${esc(S.loading)}</option></select>
      <input data-field="note" data-for="transfer" placeholder="${esc(S.reason)}" aria-label="${esc(S.reason)}">
      <button class="lk-btn lk-btn-small" type="button" data-act="transfer">${esc(S.transfer)}</button>
      <p class="lk-alert" data-transfer-confirm hidden></p></div>`;
}

async function loadTransferTargets(code) {
  const select = detailEl.querySelector("[data-transfer] select");
  if (!select) return;
  const r = await api(`/api/v1/ops/complaints/${encodeURIComponent(code)}/transfer-targets/`);
  if (!r.ok || detailEl.dataset.code !== code) return;
  select.innerHTML = r.data.length
    ? options(r.data, S.choose_government, (g) => g.code, (g) => g.name)
    : `<option value="">${esc(S.no_neighbours)}</option>`;
  select.disabled = !r.data.length;
}

function transferConfirm(btn, body) {
  const box = btn.closest("[data-transfer]").querySelector("[data-transfer-confirm]");
  const select = btn.closest("[data-transfer]").querySelector("select");
  const name = select.options[select.selectedIndex].textContent;
  box.innerHTML = `<span>${esc(fmt(S.transfer_confirm, { code: detailEl.dataset.code, government: name }))}</span>
    <button class="lk-btn lk-btn-small lk-btn-primary" type="button" data-act="transfer" data-confirmed="1">${esc(S.confirm)}</button>
    <button class="lk-btn lk-btn-small" type="button" data-transfer-cancel>${esc(S.cancel)}</button>`;
  box.hidden = false;
  box.querySelector("[data-confirmed]").focus();
  return body;
}

let transferredHere = null; // this page made that transfer: its own toast says so already

function traceHtml(c) {
  if (!c.trace) return "";
  return `<p class="lk-alert" data-trace>${esc(fmt(S.trace_note, { government: c.trace.to_government.name, date: fmtDate(c.trace.transferred_at) }))}</p>`;
}

function detailHtml(c) {
  const code = esc(c.tracking_code);
  const place = [c.address, c.kelurahan && c.kelurahan.name, c.kecamatan && c.kecamatan.name].filter(Boolean).join(", ");
  const photos = (c.photos || []).map((p) => `<figure data-media-state="${esc(p.state || "ready")}">${mediaHtml(p)}
    <figcaption>${esc((S.photo_kind || {})[p.kind] || p.kind)}</figcaption></figure>`).join("");
  const rep = c.reporter;
  const contact = rep ? `<h3>${esc(S.reporter)}</h3><dl data-reporter>
      ${rep.is_anonymous ? `<dt>${esc(S.reporter)}</dt><dd>${esc(S.anonymous)}</dd>` : ""}
      ${rep.name ? `<dt>${esc(S.reporter)}</dt><dd>${esc(rep.name)}</dd>` : ""}
      ${rep.phone ? `<dt>☎</dt><dd><a href="tel:${esc(rep.phone)}">${esc(rep.phone)}</a></dd>` : ""}
      ${rep.email ? `<dt>@</dt><dd><a href="mailto:${esc(rep.email)}">${esc(rep.email)}</a></dd>` : ""}
      ${!rep.is_anonymous && !rep.name && !rep.phone && !rep.email ? `<dt>–</dt><dd>${esc(S.no_contact)}</dd>` : ""}</dl>` : "";
  // A transfer's label names the government ("Dialihkan ke Kabupaten Tangerang"): the server's.
  const label = (e) => (e.type === "transferred" && e.type_label) || S.event[e.type] || e.type_label || e.type;
  const timeline = (c.timeline || []).slice().reverse().map((e) => `<li><strong>${esc(label(e))}</strong>${e.to_status ? ` → ${esc(S.status[e.to_status] || e.to_status)}` : ""}
      ${e.crew ? ` · ${esc(e.crew.name)}` : ""}${e.actor ? ` · ${esc(e.actor.name)}` : ""}
      ${e.note ? `<br>${esc(e.note)}` : ""}<time datetime="${esc(e.at)}">${esc(fmtDate(e.at))}</time></li>`).join("");
  const similar = (c.similar_nearby || []).map((s) => `<li><span class="lk-dot lk-dot-${esc(s.status_color)}"></span>
      <button type="button" data-open="${esc(s.tracking_code)}">${esc(s.tracking_code)}</button> · ${esc(fmt(S.m_away, { m: Math.round(s.distance_m) }))}
      ${s.crew ? ` · ${esc(s.crew.name)}` : ""}<br><span class="lk-muted">${esc(s.description)}</span></li>`).join("");
  return `<div class="lk-ops-dhead"><h2 id="lk-detail-code" class="lk-ticket-code">${code}</h2>
      <span class="lk-chip lk-chip-${esc(c.status_color)}" data-detail-status="${esc(c.status)}">${esc(S.status[c.status] || c.status)}</span>
      <button class="lk-btn lk-btn-small" type="button" data-close>${esc(S.close_panel)} ✕</button></div>
    ${traceHtml(c)}
    <dl>
      <dt>${esc(S.category)}</dt><dd>${esc(c.category.name)}</dd>
      <dt>${esc(S.place)}</dt><dd>${esc(place || "–")}</dd>
      <dt>${esc(S.agency)}</dt><dd>${esc(c.agency ? c.agency.short_name || c.agency.name : "–")}</dd>
      <dt>${esc(S.crew)}</dt><dd data-detail-crew>${esc(c.crew ? c.crew.name : S.no_crew)}</dd>
      <dt>${esc(S.due)}</dt><dd class="${c.is_overdue ? "lk-overdue" : ""}">${esc(c.due_at ? fmtDate(c.due_at) : "–")}${c.is_overdue ? ` (${esc(S.overdue)})` : ""}</dd>
      <dt>${esc(S.created)}</dt><dd>${esc(fmtDate(c.created_at))} · ${esc(S.channel[c.channel] || c.channel)}</dd>
    </dl>
    <h3>${esc(S.description)}</h3><p class="lk-ticket-desc" data-detail-description>${esc(c.description)}</p>
    <h3>${esc(S.photos)}</h3>${photos ? `<div class="lk-ops-photos">${photos}</div>` : `<p class="lk-muted">${esc(S.no_photos)}</p>`}
    ${contact}
    ${c.trace ? "" : `<h3>${esc(S.actions)}</h3>${actionsHtml(c)}`}
    <h3>${esc(S.similar_nearby)}</h3>${similar ? `<ul class="lk-ops-similar">${similar}</ul>` : `<p class="lk-muted">${esc(S.no_similar_nearby)}</p>`}
    <h3>${esc(S.timeline)}</h3><ul class="lk-timeline">${timeline}</ul>
    <p><a href="/lacak/${code}/" target="_blank" rel="noopener">${esc(S.follow)} ↗</a></p>`;
}

const MEDIA_RECHECK_MS = 4000;
let mediaTimer = null;

async function openDetail(code, { focus = true, history: push = true } = {}) {
  if (!detailEl || !code) return;
  const mine = ++detailSeq;
  const r = await api(`/api/v1/ops/complaints/${encodeURIComponent(code)}/`);
  if (mine !== detailSeq) return;
  if (!r.ok) { toast(errorText(r.data) || S.error); return; }
  openCode = r.data.tracking_code;
  detailEl.dataset.code = openCode;
  detailEl.dataset.status = r.data.status;
  detailEl.innerHTML = detailHtml(r.data);
  detailEl.hidden = false;
  if ((r.data.actions || []).includes("transfer") && cfg.canAct) loadTransferTargets(openCode);
  if (focus) detailEl.focus();
  // A photo or video still being processed: open the panel again shortly (quietly), until ready.
  clearTimeout(mediaTimer);
  if ((r.data.photos || []).some((p) => p.state === "processing")) {
    mediaTimer = setTimeout(() => { if (openCode === code) openDetail(code, { focus: false, history: false }); }, MEDIA_RECHECK_MS);
  }
  queueEl.querySelectorAll("[data-code]").forEach((li) => li.toggleAttribute("aria-current", li.dataset.code === openCode));
  if (push) writeUrl(true);
}

function closeDetail() {
  detailEl.hidden = true;
  const code = openCode;
  openCode = null;
  writeUrl(true);
  const li = code && queueEl.querySelector(`[data-code="${CSS.escape(code)}"]`);
  if (li) li.focus();
}

async function act(btn) {
  const action = btn.dataset.act;
  const code = detailEl.dataset.code;
  const err = detailEl.querySelector("[data-error]");
  err.hidden = true;
  const row = btn.closest(".lk-row") || btn.parentElement;
  const body = {};
  row.querySelectorAll("[data-field]").forEach((input) => {
    if (input.dataset.for && input.dataset.for !== action) return;
    body[input.dataset.field] = input.value.trim();
  });
  if (["hold", "reroute", "reject"].includes(action) && !body.reason) { err.textContent = S.reason_required; err.hidden = false; return; }
  if (action === "assign" && !body.crew) { err.textContent = S.choose_crew; err.hidden = false; return; }
  if (action === "reroute" && !body.agency) { err.textContent = S.choose_agency; err.hidden = false; return; }
  if (action === "note" && !body.note) { err.textContent = S.required; err.hidden = false; return; }
  if (action === "transfer" && !body.government) { err.textContent = S.choose_government; err.hidden = false; return; }
  if (action === "transfer" && !body.note) { err.textContent = S.reason_required; err.hidden = false; return; }
  if (action === "transfer" && !btn.dataset.confirmed) { transferConfirm(btn, body); return; }
  if (action === "assign") body.crew = Number(body.crew);
  // The socket may announce this page's own transfer before the answer arrives.
  if (action === "transfer") transferredHere = code;
  btn.disabled = true;
  const r = await api(`/api/v1/complaints/${encodeURIComponent(code)}/${action}/`, {
    method: "POST", json: body, headers: { "Idempotency-Key": uuid() },
  });
  btn.disabled = false;
  if (r.ok && action === "transfer") {
    const select = row.querySelector("select");
    toast(`${code}: ${fmt(S.transferred_to, { government: select.options[select.selectedIndex].textContent })}`);
    openDetail(code, { focus: false, history: false });
    scheduleReload();
  } else if (r.ok) {
    toast(`${code}: ${S.status[r.data.status] || r.data.status}`);
    openDetail(code, { focus: false, history: false });
    scheduleReload();
  } else {
    err.textContent = r.networkError ? S.send_failed : errorText(r.data) || S.error;
    err.hidden = false;
    if (action === "transfer") { row.querySelector("[data-transfer-confirm]").hidden = true; transferredHere = null; }
  }
}

if (detailEl) {
  detailEl.addEventListener("click", (e) => {
    if (e.target.closest("[data-close]")) { closeDetail(); return; }
    const other = e.target.closest("[data-open]");
    if (other) { openDetail(other.dataset.open); return; }
    if (e.target.closest("[data-transfer-cancel]")) { e.target.closest("[data-transfer-confirm]").hidden = true; return; }
    const btn = e.target.closest("[data-act]");
    if (btn) act(btn);
  });
  document.addEventListener("keydown", (e) => { if (e.key === "Escape" && !detailEl.hidden) closeDetail(); });
}

if (queueEl) {
  queueEl.addEventListener("click", (e) => {
    const li = e.target.closest("[data-code]");
    if (li) openDetail(li.dataset.code);
  });
  queueEl.addEventListener("keydown", (e) => {
    const li = e.target.closest("[data-code]");
    if (li && (e.key === "Enter" || e.key === " ")) { e.preventDefault(); openDetail(li.dataset.code); }
  });
  prevBtn.addEventListener("click", () => goPage("previous"));
  nextBtn.addEventListener("click", () => goPage("next"));
}

// ---------------------------------------------------------------- filters

function applyFilters() {
  cursor = null;
  markFilters();
  writeUrl(true);
  loadList();
  loadMap();
}

if (form) {
  form.addEventListener("submit", (e) => { e.preventDefault(); form.q.blur(); applyFilters(); });
  form.addEventListener("change", (e) => {
    if (e.target.name === "q") return; // the search box applies on Enter (or its clear button)
    if (e.target.name === "kecamatan") form.kelurahan.value = "";
    applyFilters();
  });
  form.q.addEventListener("search", () => { if (!form.q.value) applyFilters(); });
  document.getElementById("lk-reset").addEventListener("click", () => {
    for (const name of FILTERS) if (name !== "q" && form[name]) form[name].value = "";
    applyFilters();
  });
}

window.addEventListener("popstate", () => {
  const code = readUrl();
  markFilters();
  loadList();
  loadMap();
  if (code) openDetail(code, { focus: false, history: false });
  else if (detailEl && !detailEl.hidden) { detailEl.hidden = true; openCode = null; }
});

// ---------------------------------------------------------------- figures and live updates

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
let pendingDetail = false;
function scheduleReload({ detail = false } = {}) {
  pendingDetail = pendingDetail || detail;
  clearTimeout(reloadTimer);
  reloadTimer = setTimeout(() => {
    loadList(); loadMap(); loadCrews(); loadStats();
    if (pendingDetail && openCode) openDetail(openCode, { focus: false, history: false });
    pendingDetail = false;
  }, 300);
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

// Live: only for the roles with an ops stream (planners have none, and no badge).
const sound = document.getElementById("lk-sound");
if (sound) {
  sound.checked = localStorage.getItem("laksa.ops.sound") === "1";
  sound.addEventListener("change", () => localStorage.setItem("laksa.ops.sound", sound.checked ? "1" : "0"));
}
if (cfg.live) {
  const badge = liveBadge(document.getElementById("lk-live"), S);
  new LiveSocket("/ws/ops/", {
    onStatus: (s) => { badge(s); if (s === "live") scheduleReload(); },
    onEvent: (ev) => {
      const code = ev.complaint && ev.complaint.tracking_code;
      if (ev.type === "created" && code) {
        toast(fmt(S.new_report, { code }), { code });
        if (sound && sound.checked) beep();
      }
      if (ev.type === "transferred" && code && ev.data && code !== transferredHere) {
        // Both sides hear of it: the government that receives it and the one it left.
        toast(fmt(S.transfer_arrived, { code, from: ev.data.from_government_name, to: ev.data.to_government_name }), { code });
        if (sound && sound.checked) beep();
      }
      scheduleReload({ detail: code && code === openCode });
    },
  });
}

(async () => {
  const code = readUrl();
  markFilters();
  // Chosen filters show opened on a desk; on a phone the count on "Filters" says it (the list first).
  if (form && window.matchMedia("(min-width: 820px)").matches
      && FILTERS.some((f) => f !== "q" && f !== "sort" && form[f] && form[f].value)) {
    document.getElementById("lk-filter-box").open = true;
  }
  if (queueEl) {
    const [, a] = await Promise.all([loadCrews(), cfg.canAct ? api("/api/v1/agencies/") : null]);
    if (a && a.ok) agencies = a.data;
  }
  loadList();
  loadMap();
  if (code) openDetail(code, { focus: false, history: false });
})();
