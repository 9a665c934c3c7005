// Shared helpers for the LAKSA pages: config, API calls, the base map, pins and live sockets.
/* global L */

export function readConfig(id = "lk-config") {
  const el = document.getElementById(id);
  return el ? JSON.parse(el.textContent) : {};
}

export function esc(value) {
  return String(value ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

export function fmt(template, values) {
  return String(template).replace(/%\((\w+)\)s/g, (_, k) => (values[k] ?? ""));
}

export function csrfToken() {
  const m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return m ? decodeURIComponent(m[1]) : "";
}

export function uuid() {
  if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

// fetch wrapper: never throws; {ok, status, data, networkError}.
export async function api(url, { method = "GET", json, form, headers = {} } = {}) {
  // The page's language goes with every call: the server answers (and refuses) in it.
  const lang = document.documentElement.lang || "id";
  const opts = { method, headers: { Accept: "application/json", "Accept-Language": lang, ...headers }, credentials: "same-origin" };
  if (method !== "GET") opts.headers["X-CSRFToken"] = csrfToken();
  if (json !== undefined) {
    opts.headers["Content-Type"] = "application/json";
    opts.body = JSON.stringify(json);
  } else if (form !== undefined) {
    opts.body = form;
  }
  let res;
  try {
    res = await fetch(url, opts);
  } catch (err) {
    return { ok: false, status: 0, data: null, networkError: true };
  }
  let data = null;
  const text = await res.text().catch(() => "");
  try { data = text ? JSON.parse(text) : null; } catch (e) { data = { detail: text.slice(0, 200) }; }
  return { ok: res.ok, status: res.status, data, networkError: false };
}

// A message from an API error body: {detail} or {field: [msg]}.
export function errorText(data) {
  if (!data) return "";
  if (typeof data === "string") return data;
  if (data.detail) return String(data.detail);
  return Object.entries(data).map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(" ") : (typeof v === "object" ? JSON.stringify(v) : v)}`).join("; ");
}

export function fmtDate(iso, withTime = true) {
  if (!iso) return "";
  const d = new Date(iso);
  const opts = withTime ? { dateStyle: "medium", timeStyle: "short" } : { dateStyle: "medium" };
  try { return new Intl.DateTimeFormat(document.documentElement.lang || "id", opts).format(d); } catch (e) { return d.toLocaleString(); }
}

export const COLORS = { red: "#d93025", yellow: "#f2a900", green: "#188038", grey: "#80868b" };

export function pinIcon(color, extraClass = "") {
  return L.divIcon({
    className: `lk-pin lk-pin-${color || "grey"} ${extraClass}`.trim(),
    html: "<span></span>",
    iconSize: [22, 22],
    iconAnchor: [11, 11],
    popupAnchor: [0, -10],
  });
}

// The phone's position for a pin (`onFix(latlng, accuracy_m)`), or in `status` why there is none.
export function askPosition(status, S, onFix) {
  if (!navigator.geolocation) { status.textContent = S.geo_unavailable; return; }
  status.textContent = S.locating;
  navigator.geolocation.getCurrentPosition((pos) => {
    const acc = Math.round(pos.coords.accuracy || 0) || null;
    status.textContent = acc ? fmt(S.accuracy, { m: acc }) : "";
    onFix(L.latLng(pos.coords.latitude, pos.coords.longitude), acc);
  }, (err) => {
    status.textContent = err.code === 1 ? S.geo_denied : S.geo_unavailable;
  }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 30000 });
}

// Kota Tangerang, roughly; the outline fetched below refines it.
const CITY_BOUNDS = [[-6.27, 106.56], [-6.12, 106.73]];

// The base map: background tiles when they load, and always our own city and kecamatan outlines.
export function makeMap(el, cfg, { kecamatan = true, zoomControl = true } = {}) {
  const map = L.map(el, { zoomControl, attributionControl: true, preferCanvas: false, tap: true });
  el.lkMap = map; // for end-to-end tests and debugging in the console
  // The government's kab/kota area (cfg.bounds, from the server) or, without it, the outline below.
  map.fitBounds(cfg.bounds || CITY_BOUNDS, { animate: false });
  if (cfg.tileUrl) {
    L.tileLayer(cfg.tileUrl, { maxZoom: 19, attribution: cfg.tileAttribution || "", crossOrigin: false }).addTo(map);
  }
  const outlines = L.featureGroup().addTo(map);
  const loads = [];
  if (cfg.kotaUrl) {
    loads.push(api(cfg.kotaUrl).then((r) => {
      if (!r.ok) return;
      // The government's colour (base.html sets --blue from its color_primary).
      const line = getComputedStyle(document.documentElement).getPropertyValue("--blue").trim() || "#0b5cab";
      const layer = L.geoJSON(r.data, { interactive: false, style: { color: line, weight: 3, fill: true, fillColor: "#e8f0fe", fillOpacity: cfg.tileUrl ? 0.08 : 0.55 } });
      outlines.addLayer(layer);
      layer.bringToBack();
      const b = layer.getBounds();
      if (b.isValid() && !cfg.bounds) map.fitBounds(b, { padding: [6, 6], animate: false });
    }));
  }
  if (kecamatan && cfg.kecamatanUrl) {
    loads.push(api(cfg.kecamatanUrl).then((r) => {
      if (!r.ok) return;
      const layer = L.geoJSON(r.data, {
        interactive: false,
        style: { color: "#5f6368", weight: 1.2, dashArray: "4 3", fill: false },
        onEachFeature: (f, l) => l.bindTooltip(f.properties.name, { permanent: false, direction: "center", className: "lk-area-label" }),
      });
      outlines.addLayer(layer);
      el.dataset.kecamatanCount = String(r.data.features.length);
    }));
  }
  const ready = Promise.all(loads).then(() => { el.dataset.ready = "1"; return map; });
  return { map, ready, outlines };
}

// A socket that reconnects with backoff and resumes after the last event it saw.
export class LiveSocket {
  constructor(path, { onEvent, onStatus, lastEventId = 0 } = {}) {
    this.path = path;
    this.onEvent = onEvent || (() => {});
    this.onStatus = onStatus || (() => {});
    this.lastEventId = lastEventId;
    this.seen = new Set();
    this.retry = 0;
    this.closed = false;
    this.connect();
    window.addEventListener("online", () => this.kick());
    // A phone that loses its network often keeps a dead socket open for minutes: drop it now,
    // show it, and resume from the last event when the network is back.
    window.addEventListener("offline", () => {
      this.onStatus("offline");
      if (this.ws && this.ws.readyState <= 1) this.ws.close();
    });
  }

  url() {
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    return `${proto}//${location.host}${this.path}`;
  }

  kick() {
    if (this.ws && this.ws.readyState <= 1) return;
    clearTimeout(this.timer);
    this.retry = 0;
    this.connect();
  }

  connect() {
    if (this.closed) return;
    this.onStatus("connecting");
    let ws;
    try { ws = new WebSocket(this.url()); } catch (e) { this.schedule(); return; }
    this.ws = ws;
    ws.onopen = () => {
      this.retry = 0;
      this.onStatus("live");
      if (this.lastEventId) ws.send(JSON.stringify({ type: "resume", after: this.lastEventId }));
      clearInterval(this.ping);
      this.ping = setInterval(() => { if (ws.readyState === 1) ws.send(JSON.stringify({ type: "ping" })); }, 25000);
    };
    ws.onmessage = (m) => {
      let msg;
      try { msg = JSON.parse(m.data); } catch (e) { return; }
      if (msg.type === "hello") {
        // First connection: start from the server's cursor so old events are not replayed.
        if (!this.lastEventId && msg.last_event_id) this.lastEventId = msg.last_event_id;
        return;
      }
      if (msg.type === "pong" || !msg.event_id) return;
      if (this.seen.has(msg.event_id)) return;
      this.seen.add(msg.event_id);
      if (msg.event_id > this.lastEventId) this.lastEventId = msg.event_id;
      this.onEvent(msg);
    };
    ws.onclose = (ev) => {
      clearInterval(this.ping);
      // Not logged in, not entitled, unknown complaint: retrying will not help.
      if ([4401, 4403, 4404].includes(ev.code)) { this.onStatus("refused", ev.code); return; }
      this.onStatus("offline");
      this.schedule();
    };
    ws.onerror = () => {};
  }

  schedule() {
    if (this.closed) return;
    const delay = Math.min(15000, 500 * 2 ** this.retry) + Math.random() * 300;
    this.retry += 1;
    this.timer = setTimeout(() => this.connect(), delay);
  }
}

export function liveBadge(el, strings) {
  return (state) => {
    if (!el) return;
    el.dataset.state = state;
    el.textContent = state === "live" ? strings.live : state === "connecting" ? strings.reconnecting : strings.offline;
  };
}

export function beep() {
  try {
    if (navigator.vibrate) navigator.vibrate([200, 100, 200]);
  } catch (e) { /* not allowed */ }
  try {
    const Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) return;
    const ctx = beep.ctx || (beep.ctx = new Ctx());
    if (ctx.state === "suspended") ctx.resume().catch(() => {});
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.frequency.value = 880;
    gain.gain.setValueAtTime(0.15, ctx.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.001, ctx.currentTime + 0.35);
    osc.connect(gain).connect(ctx.destination);
    osc.start();
    osc.stop(ctx.currentTime + 0.35);
  } catch (e) { /* audio not allowed before a user gesture */ }
}

export function directionsUrl(lat, lon) {
  return `https://www.google.com/maps/dir/?api=1&destination=${lat},${lon}`;
}
