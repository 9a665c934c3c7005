// The Tim Sigap outbox: actions and photos are stored on the phone first (IndexedDB), then
// sent one by one, in order, each with its own idempotency id, whenever there is a connection.
import { csrfToken } from "./common.js";

const DB_NAME = "laksa-sigap";
const STORE = "outbox";
let dbPromise = null;

function db() {
  if (!dbPromise) {
    dbPromise = new Promise((resolve, reject) => {
      const req = indexedDB.open(DB_NAME, 1);
      req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: "id" });
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
  }
  return dbPromise;
}

async function tx(mode, fn) {
  const d = await db();
  return new Promise((resolve, reject) => {
    const t = d.transaction(STORE, mode);
    const store = t.objectStore(STORE);
    let result;
    Promise.resolve(fn(store)).then((r) => { result = r; });
    t.oncomplete = () => resolve(result);
    t.onerror = () => reject(t.error);
    t.onabort = () => reject(t.error);
  });
}

function reqResult(req) {
  return new Promise((resolve, reject) => { req.onsuccess = () => resolve(req.result); req.onerror = () => reject(req.error); });
}

export async function items() {
  const all = await tx("readonly", (s) => reqResult(s.getAll()));
  return (all || []).sort((a, b) => a.seq - b.seq);
}

export async function put(item) { return tx("readwrite", (s) => { s.put(item); }); }
export async function remove(id) { return tx("readwrite", (s) => { s.delete(id); }); }

let seqCounter = Date.now();
export async function add(item) {
  item.seq = ++seqCounter;
  item.created = new Date().toISOString();
  item.state = "waiting";
  await put(item);
  changed();
  return item;
}

const listeners = new Set();
export function onChange(fn) { listeners.add(fn); }
function changed(detail) { listeners.forEach((fn) => { try { fn(detail); } catch (e) { console.error(e); } }); }

async function send(item) {
  const headers = { "X-CSRFToken": csrfToken(), Accept: "application/json" };
  let body;
  let url;
  if (item.type === "photo") {
    url = `/api/v1/complaints/${encodeURIComponent(item.code)}/photos/`;
    body = new FormData();
    body.set("kind", item.kind);
    body.set("image", item.blob, item.filename || "photo.jpg");
    body.set("client_id", item.id);
    for (const k of ["lat", "lon", "accuracy", "taken_at"]) {
      if (item[k] !== null && item[k] !== undefined && item[k] !== "") body.set(k, String(item[k]));
    }
  } else {
    url = `/api/v1/complaints/${encodeURIComponent(item.code)}/${item.action}/`;
    headers["Content-Type"] = "application/json";
    headers["Idempotency-Key"] = item.id;
    body = JSON.stringify(item.body || {});
  }
  const res = await fetch(url, { method: "POST", headers, body, credentials: "same-origin" });
  let data = null;
  try { data = await res.json(); } catch (e) { data = null; }
  return { status: res.status, ok: res.ok, data };
}

let running = null;
const TARGET = { start: "in_progress", resolve: "resolved", hold: "on_hold" };

// Send what is waiting, oldest first; stop at the first network failure (still offline).
let again = false;

export function flush() {
  if (navigator.onLine === false) return Promise.resolve(false);
  if (running) {
    // Something was queued while a pass is under way: make another pass right after it.
    again = true;
    return running;
  }
  const work = async () => {
    let sentAny = false;
    for (const item of await items()) {
      if (item.state === "failed") continue;
      if (navigator.onLine === false) break;
      let r;
      try {
        r = await send(item);
      } catch (e) {
        break; // network error: keep it for the next try
      }
      // A retry of an action that did reach the server the first time (the answer was lost):
      // the complaint is already where the action leads, so it is done, not refused.
      const already = r.status === 409 && item.type === "action" && r.data && r.data.current_status === TARGET[item.action];
      if (r.ok || already) {
        await remove(item.id);
        sentAny = true;
        changed({ sent: item, response: r.data });
      } else if (r.status >= 500 || r.status === 429 || r.status === 408 || r.status === 0) {
        break; // the server is struggling: try again later
      } else {
        item.state = "failed";
        item.error = (r.data && (r.data.detail || Object.values(r.data).flat().join(" "))) || `HTTP ${r.status}`;
        item.status = r.status;
        await put(item);
        changed({ failed: item });
      }
    }
    return sentAny;
  };
  const locked = navigator.locks ? navigator.locks.request("laksa-outbox", work) : work();
  running = locked.finally(() => {
    running = null;
    if (again) {
      again = false;
      flush();
    }
  });
  return running;
}

window.addEventListener("online", () => flush());
