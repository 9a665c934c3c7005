// The citizen's video, sent after the report (web/citizen.js): in resumable tus pieces
// (web/resumable.js) with the reporter's token, then attached to the report as its evidence.
//
// It survives a page reload and a closed browser: until it is attached, the device keeps a
// record per report in IndexedDB (web/idbstore.js, database "laksa-warga"): the file, written
// once (store "files"), and beside it what changes with each piece (store "uploads"): the tus
// upload URL, the upload id once complete, the attach's client id and the bytes the server
// acknowledged. The next open of the report page shows it and goes on from the server's offset
// (tus asks with HEAD); offline, it waits for the connection.
//
// What is kept, and for how long: the reporter token is NOT copied here; it stays where "Laporan
// saya" keeps it (web/myreports.js), so forgetting the report there also drops its video (no
// token, nothing to attach with). The file is the citizen's own, already on this device; it is
// deleted as soon as the server attached or refused it, and after KEEP_DAYS in any case. An
// upload the server no longer has (expired, `manage.py purge_uploads`) starts again from the
// first byte, and the page says so.
import { api, fmt, esc, uuid, readConfig } from "./common.js";
import { idbStores } from "./idbstore.js";
import { reporterToken } from "./myreports.js";
import { sendInPieces } from "./resumable.js";

const KEEP_DAYS = 7;
const db = idbStores("laksa-warga", { files: "code", uploads: "code" });
const FILE_FIELDS = ["code", "blob", "filename", "size", "created"];
const UPLOAD_FIELDS = ["code", "clientId", "uploadUrl", "uploadId", "acked", "restarted"];
const pick = (rec, fields) => Object.fromEntries(fields.map((k) => [k, rec[k] ?? null]));
const S = readConfig().strings;
const running = new Map(); // code -> the attempt under way in this page

const mb = (n) => (n / (1024 * 1024)).toLocaleString(document.documentElement.lang || "id", { maximumFractionDigits: 1 });

// The upload's progress (`withFile`: the file too, once).
async function save(rec, withFile = false) {
  if (!rec.kept) return;
  try {
    if (withFile) await db.files.put(pick(rec, FILE_FIELDS));
    await db.uploads.put(pick(rec, UPLOAD_FIELDS));
  } catch (e) {
    rec.kept = false; // storage full or disabled: this page only
  }
}

// Forget a report's pending video: attached, refused, or the citizen forgot the report.
export async function forgetVideo(code) {
  try {
    await db.files.remove(code);
    await db.uploads.remove(code);
  } catch (e) { /* storage disabled */ }
}

async function drop(rec) {
  rec.kept = false;
  await forgetVideo(rec.code);
}

// A status box: `el` has a [data-video-text] line and a [data-video-retry] button; a progress
// bar is added to it.
function view(el) {
  let bar = el.querySelector("progress");
  if (!bar) {
    bar = document.createElement("progress");
    bar.className = "lk-video-progress";
    el.querySelector("[data-video-text]").after(bar);
  }
  return (rec, state, text) => {
    el.hidden = false;
    el.dataset.videoState = state;
    el.querySelector("[data-video-text]").textContent = text;
    el.querySelector("[data-video-retry]").hidden = state !== "failed";
    bar.max = rec.size || 1;
    bar.value = rec.acked || 0;
    bar.hidden = state === "sent" || state === "refused";
    const title = el.querySelector("h2"); // "still waiting to be sent": no longer, once answered
    if (title) title.hidden = state === "sent" || state === "refused";
  };
}

function reasonOf(data, status) {
  const reason = data && typeof data === "object" ? (data.detail || Object.values(data).flat().filter((v) => typeof v === "string").join(" ")) : "";
  return reason || `HTTP ${status}`;
}

function sendingText(rec) {
  const text = fmt(S.video_sending, { done: mb(rec.acked || 0), total: mb(rec.size) });
  return rec.restarted ? `${S.video_restarted} ${text}` : text;
}

function failedText(rec) {
  const text = rec.kept ? `${S.video_failed} ${fmt(S.video_kept, { done: mb(rec.acked || 0), total: mb(rec.size) })}` : S.video_failed;
  return rec.restarted ? `${S.video_restarted} ${text}` : text;
}

// One attempt: the rest of the pieces, then the attach. Another tab sending the same video holds
// its lock; this one then only shows it.
function attempt(rec, token, show) {
  if (running.has(rec.code)) return running.get(rec.code);
  const work = () => attemptNow(rec, token, show);
  const p = (navigator.locks
    ? navigator.locks.request(`laksa-video-${rec.code}`, { ifAvailable: true }, (lock) => (lock ? work() : show(rec, "sending", sendingText(rec))))
    : work()).finally(() => running.delete(rec.code));
  running.set(rec.code, p);
  return p;
}

async function attemptNow(rec, token, show) {
  if (navigator.onLine === false) { show(rec, "failed", failedText(rec)); return; }
  show(rec, "sending", sendingText(rec));
  for (let fresh = 0; fresh < 2; fresh += 1) {
    try {
      if (!rec.uploadId) {
        const id = await sendInPieces(rec.blob, {
          uploadUrl: rec.uploadUrl,
          filename: rec.filename,
          metadata: { complaint: rec.code, reporter_token: token },
          onUrl: async (url) => {
            // Told again after each retry's HEAD. tus-js-client starts a new upload when the server
            // answers 404/410 to its HEAD; a PATCH answered so gives null (the next attempt
            // starts a new one).
            if (rec.uploadUrl && url !== rec.uploadUrl) { rec.restarted = true; rec.acked = 0; show(rec, "sending", sendingText(rec)); }
            rec.uploadUrl = url;
            await save(rec);
          },
          onProgress: (percent, acked) => {
            rec.acked = acked;
            show(rec, "sending", sendingText(rec));
            save(rec);
          },
        });
        if (id && id.refused) { await drop(rec); show(rec, "refused", fmt(S.video_refused, { reason: reasonOf(id.refused.data, id.refused.status) })); return; }
        rec.uploadId = id;
        rec.acked = rec.size;
        await save(rec);
      }
      const form = new FormData();
      form.set("kind", "report");
      form.set("upload_id", rec.uploadId);
      form.set("reporter_token", token);
      form.set("client_id", rec.clientId); // a retried attach answers the first one
      const r = await api(`/api/v1/complaints/${encodeURIComponent(rec.code)}/photos/`, { method: "POST", form });
      if (r.ok) { await drop(rec); show(rec, "sent", S.video_sent); return; }
      if (r.networkError || r.status >= 500 || r.status === 429) { show(rec, "failed", failedText(rec)); return; }
      if (!fresh && r.status === 400 && r.data && r.data.upload_id) {
        // The finished upload expired before it was attached: send the file again, once.
        Object.assign(rec, { uploadId: null, uploadUrl: null, acked: 0, restarted: true });
        await save(rec);
        show(rec, "sending", sendingText(rec));
        continue;
      }
      await drop(rec);
      show(rec, "refused", fmt(S.video_refused, { reason: reasonOf(r.data, r.status) }));
      return;
    } catch (e) {
      show(rec, "failed", failedText(rec)); // a dropped connection: kept for the next try
      return;
    }
  }
}

function wire(el, rec, token) {
  const show = view(el);
  el.querySelector("[data-video-retry]").onclick = () => attempt(rec, token, show);
  window.addEventListener("online", () => { if (el.dataset.videoState === "failed") attempt(rec, token, show); });
  return show;
}

// A report was just made with this video: keep it on the device (when its token is kept there
// too), show its progress in `el` and send it.
export async function sendReportVideo(report, file, el) {
  const code = report.tracking_code;
  const token = report.reporter_token;
  const rec = { code, blob: file, filename: file.name || "video.mp4", size: file.size, clientId: uuid(),
    uploadUrl: null, uploadId: null, acked: 0, created: new Date().toISOString(), kept: reporterToken(code) === token };
  await save(rec, true);
  return attempt(rec, token, wire(el, rec, token));
}

// The videos an earlier visit left unsent: a box for each before `anchor`, and on with them.
export async function resumeVideos(anchor) {
  let files = [];
  let uploads = [];
  try {
    files = await db.files.all();
    uploads = await db.uploads.all();
  } catch (e) { return; } // IndexedDB disabled: nothing was kept
  for (const u of uploads) if (!files.some((f) => f.code === u.code)) await forgetVideo(u.code);
  for (const file of files) {
    const rec = { ...file, ...(uploads.find((u) => u.code === file.code) || { clientId: uuid(), acked: 0 }) };
    const token = reporterToken(rec.code);
    if (!token || Date.now() - Date.parse(rec.created) > KEEP_DAYS * 86400000 || !(rec.blob instanceof Blob)) {
      await drop(rec); // forgotten report, or kept too long: nothing to send it with
      continue;
    }
    if (running.has(rec.code)) continue;
    rec.kept = true;
    const el = document.createElement("section");
    el.className = "lk-card lk-pending-video";
    el.dataset.code = rec.code;
    el.setAttribute("role", "status");
    el.setAttribute("aria-live", "polite");
    el.innerHTML = `<h2>${esc(S.video_pending_title)}</h2>
      <p>${esc(S.video_pending_for)} <a class="lk-code-small" href="/lacak/${encodeURIComponent(rec.code)}/">${esc(rec.code)}</a></p>
      <video class="lk-preview" muted playsinline controls preload="metadata"></video>
      <p data-video-text></p>
      <button class="lk-btn lk-btn-small" type="button" data-video-retry hidden>${esc(S.video_retry)}</button>`;
    el.querySelector("video").src = URL.createObjectURL(rec.blob);
    anchor.before(el);
    attempt(rec, token, wire(el, rec, token));
  }
}
