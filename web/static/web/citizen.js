// Citizen report page: place a pin, see where it goes, send the report.
//
// A photo goes with the report. A video (evidence the citizen filmed) is too large for one
// request on a phone's link: once the report exists it is sent in resumable pieces
// (web/resumable.js, the crew page's tus path) with the reporter's token, then attached to the
// report as its evidence (kind report); the "thank you" box shows the progress and the answer.
// Until it is attached the video is kept on the device: a reload goes on with it (reportvideo.js).
/* global L */
import { readConfig, api, askPosition, makeMap, pinIcon, esc, fmt, uuid } from "./common.js";
import { rememberReport } from "./myreports.js";
import { placeSearch } from "./placesearch.js";
import { resumableAvailable } from "./resumable.js";
import { resumeVideos, sendReportVideo } from "./reportvideo.js";
import { borderQuestion } from "./border.js";

const cfg = readConfig();
const S = cfg.strings;
const mapEl = document.getElementById("lk-map");
const { map } = makeMap(mapEl, cfg);
const form = document.getElementById("lk-report");
const where = document.getElementById("lk-where");
const geoStatus = document.getElementById("lk-geo-status");
const formError = document.getElementById("lk-form-error");
const sendBtn = document.getElementById("lk-send");
placeSearch({ input: document.getElementById("f-place"), list: document.getElementById("lk-place-results"),
  status: geoStatus, map, strings: S });

let pin = null;
let accuracyCircle = null;
let point = null; // {lat, lon, accuracy}
let locateSeq = 0;
// One Idempotency-Key per report body: a retry of the same body (its answer was lost) reuses it,
// so the report is not made twice; a changed body is another report and gets a new key (the
// server refuses a known key with another body).
let idemKey = uuid();
let idemBody = null;

function whereField(name) { return where.querySelector(`[data-where="${name}"]`); }

function setPin(latlng, accuracy = null) {
  point = { lat: +latlng.lat.toFixed(7), lon: +latlng.lng.toFixed(7), accuracy };
  if (!pin) {
    pin = L.marker(latlng, { draggable: true, icon: pinIcon("blue", "lk-pin-me"), autoPan: true, keyboard: true }).addTo(map);
    pin.on("dragend", () => setPin(pin.getLatLng(), null));
  } else {
    pin.setLatLng(latlng);
  }
  if (accuracyCircle) { accuracyCircle.remove(); accuracyCircle = null; }
  if (accuracy) {
    accuracyCircle = L.circle(latlng, { radius: accuracy, color: "#0b5cab", weight: 1, fillOpacity: 0.1, interactive: false }).addTo(map);
  }
  mapEl.dataset.pin = `${point.lat},${point.lon}`;
  clearError("location");
  locate();
}

async function locate() {
  if (!point) return;
  const seq = ++locateSeq;
  where.hidden = false;
  where.dataset.state = "loading";
  ["kecamatan", "kelurahan", "agency"].forEach((k) => { whereField(k).textContent = S.checking; });
  const outside = whereField("outside");
  outside.hidden = true;
  const params = new URLSearchParams({ lat: point.lat, lon: point.lon });
  // The accuracy circle: the answer names the other governments it reaches (the border question).
  if (point.accuracy) params.set("accuracy_m", String(point.accuracy));
  const category = form.category.value;
  if (category) params.set("category", category);
  const r = await api(`/api/v1/locate/?${params}`);
  // The office follows from the category (each has its own OPD): none yet, no office to name.
  if (seq !== locateSeq) return; // a newer pin is being checked
  if (!r.ok) {
    where.dataset.state = "error";
    ["kecamatan", "kelurahan", "agency"].forEach((k) => { whereField(k).textContent = "–"; });
    outside.textContent = r.networkError ? S.send_failed : (r.data && (r.data.detail || Object.values(r.data).flat().join(" "))) || S.error;
    outside.hidden = false;
    return;
  }
  const d = r.data;
  border.ask(d, point);
  if (!(d.served ?? d.in_service_area)) {
    where.dataset.state = "outside";
    ["kecamatan", "kelurahan", "agency"].forEach((k) => { whereField(k).textContent = "–"; });
    const detail = d.nearest_kecamatan
      ? fmt(S.outside_detail, { kecamatan: d.nearest_kecamatan.name, distance: (d.distance_m ?? 0).toLocaleString(document.documentElement.lang) })
      : "";
    outside.textContent = `${S.outside} ${detail}`.trim();
    outside.hidden = false;
    renderSimilar([]);
    return;
  }
  where.dataset.state = "inside";
  whereField("kecamatan").textContent = d.kecamatan ? d.kecamatan.name : "–";
  whereField("kelurahan").textContent = d.kelurahan ? d.kelurahan.name : "–";
  const agency = d.agency ? `${d.agency.name}${d.agency.short_name && d.agency.short_name !== d.agency.name ? ` (${d.agency.short_name})` : ""}` : "–";
  whereField("agency").textContent = category ? agency : S.depends_on_category;
  whereField("agency").classList.toggle("lk-muted", !category);
  renderSimilar(category ? d.similar_nearby || [] : []);
}

// Open reports of the chosen category near the pin (the API answers only those), nearest first.
function renderSimilar(items) {
  const box = whereField("similar");
  const ul = box.querySelector("ul");
  ul.innerHTML = items.map((s) => `<li><span class="lk-dot lk-dot-${esc(s.status_color)}"></span>
    <a href="/lacak/${encodeURIComponent(s.tracking_code)}/">${esc(s.tracking_code)}</a>
    <span class="lk-muted">${esc(S.status[s.status] || s.status)} · ${esc(fmt(S.distance_m, { m: Math.round(s.distance_m) }))}</span>
    <span class="lk-similar-desc">${esc(s.description)}</span></li>`).join("");
  box.hidden = items.length === 0;
}

// Near a border with a wide accuracy circle: ask which side is meant (border.js); the answer
// moves the pin just inside the chosen government, or opens that government's page with it.
const border = borderQuestion({
  box: document.getElementById("lk-border"), cfg, strings: S, status: geoStatus,
  movePin: (lat, lon) => { map.setView([lat, lon], Math.max(map.getZoom(), 17)); setPin(L.latLng(lat, lon), null); },
});

// A pin handed over by the province landing page or another government's page (?lat=&lon=).
const handed = new URLSearchParams(location.search);
if (handed.has("lat") && handed.has("lon")) {
  const lat = Number(handed.get("lat")), lon = Number(handed.get("lon"));
  if (Number.isFinite(lat) && Number.isFinite(lon) && Math.abs(lat) <= 90 && Math.abs(lon) <= 180) {
    map.setView([lat, lon], 17);
    const acc = Number(handed.get("accuracy_m"));
    setPin(L.latLng(lat, lon), Number.isFinite(acc) && acc > 0 ? Math.round(acc) : null);
  }
}

const pinHint = geoStatus.textContent;
map.on("click", (e) => {
  geoStatus.textContent = pinHint; // not "the map shows <place>" any more: the pin is what counts now
  setPin(e.latlng, null);
});
form.category.addEventListener("change", () => locate());

document.getElementById("lk-locate").addEventListener("click", () => askPosition(geoStatus, S, (ll, acc) => {
  map.setView(ll, Math.max(map.getZoom(), 17));
  setPin(ll, acc);
}));

const photoInput = document.getElementById("f-photo");
const preview = document.getElementById("lk-photo-preview");
const videoPreview = document.getElementById("lk-video-preview");
// The server decides what a file is by its content; here the choice is only how to send it.
function isVideo(f) {
  return !!f && (String(f.type || "").startsWith("video/") || /\.(mp4|m4v|mov|webm|3gp)$/i.test(f.name || ""));
}
photoInput.addEventListener("change", () => {
  clearError("photo");
  const f = photoInput.files[0];
  preview.hidden = true;
  videoPreview.hidden = true;
  if (!f) return;
  const shown = isVideo(f) ? videoPreview : preview;
  shown.src = URL.createObjectURL(f);
  shown.hidden = false;
});

const anon = document.getElementById("f-anonymous");
anon.addEventListener("change", () => {
  ["reporter_name", "reporter_phone", "reporter_email"].forEach((n) => { form[n].disabled = anon.checked; });
});

function errorEl(field) {
  const base = field.split(".")[0];
  return form.querySelector(`[data-error-for="${base}"]`);
}

function clearError(field) {
  const el = errorEl(field);
  if (el) { el.hidden = true; el.textContent = ""; }
  const input = form.elements[field];
  if (input && input.removeAttribute) input.removeAttribute("aria-invalid");
}

function clearErrors() {
  form.querySelectorAll("[data-error-for]").forEach((el) => { el.hidden = true; el.textContent = ""; });
  form.querySelectorAll("[aria-invalid]").forEach((el) => el.removeAttribute("aria-invalid"));
  formError.hidden = true;
}

function showErrors(errors) {
  let first = null;
  const unplaced = [];
  for (const [field, msgs] of Object.entries(errors)) {
    const text = Array.isArray(msgs) ? msgs.join(" ") : typeof msgs === "object" ? JSON.stringify(msgs) : String(msgs);
    const el = errorEl(field);
    if (el && field !== "detail") {
      el.textContent = text;
      el.hidden = false;
      const input = form.elements[field.split(".")[0]];
      if (input && input.setAttribute) input.setAttribute("aria-invalid", "true");
      first = first || el;
    } else {
      unplaced.push(field === "detail" || field === "non_field_errors" ? text : `${field}: ${text}`);
    }
  }
  formError.textContent = [S.fix_fields, ...unplaced].join(" ");
  formError.hidden = false;
  (first || formError).scrollIntoView({ behavior: "smooth", block: "center" });
}

form.addEventListener("submit", async (e) => {
  e.preventDefault();
  clearErrors();
  const local = {};
  if (!point) local.location = [S.pin_first];
  else if (where.dataset.state === "outside") local.location = [whereField("outside").textContent];
  if (!form.category.value) local.category = [S.required];
  if (!form.description.value.trim()) local.description = [S.required];
  if (Object.keys(local).length) { showErrors(local); return; }
  const body = new FormData();
  body.set("category", form.category.value);
  body.set("description", form.description.value);
  body.set("location", JSON.stringify({ lat: point.lat, lon: point.lon }));
  if (point.accuracy) body.set("accuracy", String(point.accuracy));
  body.set("channel", "web");
  if (anon.checked) {
    body.set("is_anonymous", "true");
  } else {
    ["reporter_name", "reporter_phone", "reporter_email"].forEach((n) => { if (form[n].value.trim()) body.set(n, form[n].value.trim()); });
  }
  const file = photoInput.files[0];
  const video = isVideo(file) && resumableAvailable() ? file : null;
  if (file && !video) body.set("photo", file);
  const fingerprint = bodyFingerprint(body);
  if (idemBody !== null && fingerprint !== idemBody) idemKey = uuid();
  idemBody = fingerprint;
  sendBtn.disabled = true;
  sendBtn.textContent = S.sending;
  const r = await api("/api/v1/complaints/", { method: "POST", form: body, headers: { "Idempotency-Key": idemKey } });
  sendBtn.disabled = false;
  sendBtn.textContent = sendBtn.dataset.label || sendBtn.textContent;
  if (r.ok) {
    done(r.data);
    if (video) sendVideo(r.data, video);
    return;
  }
  if (r.networkError) { formError.textContent = S.send_failed; formError.hidden = false; return; }
  if (r.status === 429) { formError.textContent = S.too_many; formError.hidden = false; return; }
  showErrors(r.data && typeof r.data === "object" ? r.data : { detail: S.error });
});
sendBtn.dataset.label = sendBtn.textContent;

function bodyFingerprint(body) {
  return JSON.stringify([...body.entries()].map(([k, v]) => [k, v instanceof File ? [v.name, v.size, v.lastModified] : v]));
}

function done(data) {
  const code = data.tracking_code;
  const saved = rememberReport(code, data.reporter_token);
  idemKey = uuid();
  idemBody = null;
  form.hidden = true;
  const box = document.getElementById("lk-done");
  box.querySelector('[data-done="code"]').textContent = code;
  box.querySelector('[data-done="link"]').href = data.tracking_url || `/lacak/${code}/`;
  box.querySelector('[data-done="saved"]').hidden = !saved;
  box.querySelector('[data-done="not-saved"]').hidden = saved;
  box.hidden = false;
  box.focus();
  box.scrollIntoView({ behavior: "smooth", block: "start" });
  if (pin) pin.dragging.disable();
}

// ---------------------------------------------------------------- the video, after the report

// Sent in pieces and attached by web/reportvideo.js, which keeps it on the device until then.
function sendVideo(report, file) {
  sendReportVideo(report, file, document.getElementById("lk-done-video"));
}

// A video an earlier visit left unsent (a reload, a closed browser) goes on from where it stood.
function resumePendingVideos() {
  if (resumableAvailable()) resumeVideos(document.querySelector(".lk-place-search") || form);
}
resumePendingVideos();
