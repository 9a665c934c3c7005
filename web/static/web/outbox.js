// The Tim Sigap outbox: actions and photos are stored on the phone first (IndexedDB), then
// sent one by one, in order, each with its own idempotency id, whenever there is a connection.
//
// Each item has one state: "waiting" (not sent yet, or the network failed: still offline),
// "sending" (on the wire now), "done" (the server accepted it; kept a while, without its photo,
// so the ticket can say so), or "refused" (the server answered 4xx: `error` is its reason in
// the page's language, `data` its whole answer). A refused item waits for the crew: retry
// (after fixing the cause) or discard. Only waiting and sending items are pending.
//
// A video, or any file over RESUMABLE_FROM bytes, is first sent in pieces with tus
// (tus-js-client, /api/v1/uploads/): the item keeps its upload URL, so after a dropped
// connection or a page reload the next pass asks the server how much arrived and sends only the
// rest; then the photo endpoint attaches the finished upload by its id.
import { csrfToken } from "./common.js";
import { idbStore } from "./idbstore.js";
import { resumableAvailable, sendInPieces } from "./resumable.js";

const RESUMABLE_FROM = 2 * 1024 * 1024;

// The outbox's records by id, in the database the page has always used.
const store = idbStore("laksa-sigap", "outbox", "id");

export async function items() {
  const all = await store.all();
  // Items refused by an older version of this page were "failed".
  for (const i of all || []) if (i.state === "failed") i.state = "refused";
  return (all || []).sort((a, b) => a.seq - b.seq);
}

export async function put(item) { return store.put(item); }
export async function remove(id) { return store.remove(id); }

let seqCounter = Date.now();
export const PENDING = new Set(["waiting", "sending"]);
export function isPending(item) { return PENDING.has(item.state); }

// Done items are kept this long for the ticket to show them as sent.
const DONE_KEEP_MS = 2 * 60 * 1000;

// Forget done items older than that; true when any was forgotten.
export async function prune() {
  const now = Date.now();
  let removed = false;
  for (const item of await items()) {
    if (item.state === "done" && now - Date.parse(item.doneAt || item.created) > DONE_KEEP_MS) {
      await remove(item.id);
      removed = true;
    }
  }
  return removed;
}

export async function retry(id) {
  const item = (await items()).find((i) => i.id === id);
  if (!item) return;
  item.state = "waiting";
  item.error = "";
  item.data = null;
  await put(item);
  changed();
  flush();
}

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

function resumable(item) {
  return item.type === "photo" && item.blob && resumableAvailable()
    && (item.blob.size > RESUMABLE_FROM || String(item.blob.type || "").startsWith("video/"));
}

// The item's file in pieces (web/resumable.js): the item keeps the upload URL and its progress.
function sendItemInPieces(item) {
  return sendInPieces(item.blob, {
    uploadUrl: item.uploadUrl,
    filename: item.filename || "video.mp4",
    onUrl: async (url) => {
      item.uploadUrl = url;
      await put(item);
    },
    // Per acknowledged piece: how much the server has, for the ticket to show.
    onProgress: (percent) => {
      item.progress = percent;
      put(item).then(() => changed({ progress: item }));
    },
  });
}

async function send(item) {
  // The server's refusals come back in the page's language.
  const headers = { "X-CSRFToken": csrfToken(), Accept: "application/json",
    "Accept-Language": document.documentElement.lang || "id" };
  let body;
  let url;
  if (item.type === "photo") {
    url = `/api/v1/complaints/${encodeURIComponent(item.code)}/photos/`;
    body = new FormData();
    body.set("kind", item.kind);
    if (resumable(item)) {
      const id = item.uploadId || await sendItemInPieces(item);
      if (id && id.refused) return { status: id.refused.status, ok: false, data: id.refused.data };
      item.uploadId = id;
      await put(item);
      body.set("upload_id", id);
    } else {
      body.set("image", item.blob, item.filename || "photo.jpg");
    }
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

// The reason of a 4xx answer: its `detail`, else its field messages.
function reason(data, status) {
  if (data && data.detail) return String(data.detail);
  if (data && typeof data === "object") {
    const parts = Object.values(data).flat().filter((v) => typeof v === "string");
    if (parts.length) return parts.join(" ");
  }
  return `HTTP ${status}`;
}

async function setState(item, state, extra = {}) {
  Object.assign(item, extra, { state });
  await put(item);
  changed({ [state]: item });
}

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
      // "sending" left by a page that closed mid-request: the idempotency id makes a resend safe.
      if (!isPending(item)) continue;
      if (navigator.onLine === false) break;
      await setState(item, "sending");
      let r;
      try {
        r = await send(item);
      } catch (e) {
        await setState(item, "waiting"); // network error: keep it for the next try
        break;
      }
      // A retry of an action that did reach the server the first time (the answer was lost):
      // the complaint is already where the action leads, so it is done, not refused.
      const already = r.status === 409 && item.type === "action" && r.data && r.data.current_status === TARGET[item.action];
      if (r.ok || already) {
        sentAny = true;
        // The photo's bytes are on the server now: keep only what the ticket shows.
        await setState(item, "done", { blob: null, uploadUrl: null, uploadId: null, progress: null, doneAt: new Date().toISOString(), response: r.data, sent: true });
      } else if (r.status >= 500 || r.status === 429 || r.status === 408 || r.status === 0) {
        await setState(item, "waiting"); // the server is struggling: try again later
        break;
      } else {
        // A refused attach deletes nothing on the server, but a retry after fixing the cause
        // starts from a fresh upload (the id may have expired by then).
        await setState(item, "refused", { error: reason(r.data, r.status), status: r.status, data: r.data,
          uploadId: null, uploadUrl: null });
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
