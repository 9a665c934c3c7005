// Resumable uploads (tus 1.0, /api/v1/uploads/) with tus-js-client, for the crew's outbox and the
// citizen's report form alike: the file goes in 1 MB pieces, each acknowledged by the server, and
// an interrupted upload goes on from the server's offset (its URL kept by the caller).
//
// tus-js-client is loaded when the first large file is sent, not with the page: most opens send
// no video, and on a slow link the page is usable sooner (docs/WEB.md). A page that may send one
// names the script in `<meta name="laksa-tus">`; the crew's service worker precaches it.
import { csrfToken } from "./common.js";

export const PIECE_BYTES = 1024 * 1024;
const TUS_SRC = (document.querySelector('meta[name="laksa-tus"]') || {}).content || "";
let tusLoading = null;

// Can this page send in pieces (it names tus-js-client)?
export function resumableAvailable() { return !!TUS_SRC; }

function loadTus() {
  if (window.tus) return Promise.resolve(window.tus);
  if (!tusLoading) {
    tusLoading = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = TUS_SRC;
      script.onload = () => resolve(window.tus);
      script.onerror = () => { tusLoading = null; reject(new Error("tus-js-client did not load")); };
      document.head.appendChild(script);
    });
  }
  return tusLoading;
}

// Send `blob` in pieces; resolves with the upload id once the server has every byte. `uploadUrl`:
// an upload begun earlier, to go on with; `onUrl(url)` is told the upload's URL as soon as it
// exists (keep it to resume after a reload; null when the server no longer knows it) and
// `onProgress(percent, bytes)` after each acknowledged piece. A network failure rejects; a 4xx refusal
// resolves with {refused: {status, data}}. `metadata` adds Upload-Metadata fields (a reporter
// sends `complaint` and `reporter_token`).
export async function sendInPieces(blob, { uploadUrl = null, filename = "video.mp4", metadata = {}, onUrl, onProgress } = {}) {
  const tus = await loadTus(); // a failure rejects: the caller waits, as for a network failure
  return new Promise((resolve, reject) => {
    const upload = new tus.Upload(blob, {
      endpoint: "/api/v1/uploads/",
      uploadUrl: uploadUrl || null,
      chunkSize: PIECE_BYTES,
      retryDelays: [0, 1000, 3000],
      storeFingerprintForResuming: false, // the caller keeps the URL itself
      removeFingerprintOnSuccess: true,
      metadata: { filename, filetype: blob.type || "", ...metadata },
      headers: { "X-CSRFToken": csrfToken(), "Accept-Language": document.documentElement.lang || "id" },
      onUploadUrlAvailable: async () => { if (onUrl) await onUrl(upload.url); },
      onChunkComplete: (chunk, acked, total) => { if (onProgress) onProgress(total ? Math.floor((100 * acked) / total) : 0, acked); },
      onSuccess: () => resolve(upload.url.replace(/\/$/, "").split("/").pop()),
      onError: async (err) => {
        const res = err && err.originalResponse;
        const st = res ? res.getStatus() : 0;
        if (st === 404 || st === 410) { // gone on the server: start it again next time
          if (onUrl) await onUrl(null);
          reject(err);
        } else if (st >= 400 && st < 500 && st !== 408 && st !== 409 && st !== 429) {
          let data = null;
          try { data = JSON.parse(res.getBody()); } catch (e) { data = { detail: res.getBody() }; }
          resolve({ refused: { status: st, data } });
        } else {
          reject(err);
        }
      },
    });
    upload.start();
  });
}
