// "Laporan saya": the reports sent from this device, each with its live status, and the reopen
// action (the device holds each report's reporter token) while the reopen window is open.
import { readConfig, api, esc, fmt, fmtDate, LiveSocket, liveBadge } from "./common.js";
import { myReports, reporterToken, forgetReport } from "./myreports.js";
import { forgetVideo } from "./reportvideo.js";

const cfg = readConfig();
const S = cfg.strings;
const list = document.getElementById("lk-mine");
const empty = document.getElementById("lk-mine-empty");
const DAY_MS = 86400000;
// Sockets for the newest reports; older ones are polled now and then.
const MAX_SOCKETS = 10;
const POLL_MS = 30000;

const reports = new Map(); // code -> last public payload (or {missing: true})
const reopenedHere = new Set();

function card(code) { return list.querySelector(`li[data-code="${CSS.escape(code)}"]`); }

function reopenUntil(data) {
  if (!data.resolved_at) return null;
  return new Date(new Date(data.resolved_at).getTime() + cfg.reopenDays * DAY_MS);
}

function reopenHtml(code, data) {
  if (!cfg.reopenable.includes(data.status) || !reporterToken(code)) return "";
  const until = reopenUntil(data);
  if (until && until < new Date()) {
    return `<p class="lk-muted" data-reopen="expired">${esc(fmt(S.reopen_expired, { days: cfg.reopenDays }))}</p>`;
  }
  return `<details class="lk-reopen" data-reopen="open">
    <summary>${esc(S.reopen_open)}</summary>
    ${until ? `<p class="lk-muted">${esc(fmt(S.reopen_until, { date: fmtDate(until.toISOString(), false) }))}</p>` : ""}
    <label for="r-${esc(code)}">${esc(S.reopen_reason)}</label>
    <textarea id="r-${esc(code)}" class="lk-input" rows="3" maxlength="2000"></textarea>
    <p class="lk-field-error" data-reopen="error" hidden></p>
    <button type="button" class="lk-btn lk-btn-red lk-btn-block" data-action="reopen">${esc(S.reopen_button)}</button>
  </details>`;
}

function render(code) {
  const li = card(code);
  const data = reports.get(code);
  if (!li || !data) return;
  const typed = li.querySelector("textarea");
  const keep = typed ? { value: typed.value, open: li.querySelector("details").open } : null;
  if (data.missing) {
    li.className = "lk-card lk-mine-item";
    li.dataset.status = "missing";
    li.innerHTML = `<p><strong class="lk-code-small">${esc(code)}</strong></p>
      <p class="lk-muted">${esc(S.report_missing)}</p>
      <p><button type="button" class="lk-textbtn" data-action="forget">${esc(S.forget)}</button></p>`;
    return;
  }
  const color = data.status_color || "grey";
  const place = [data.kelurahan && data.kelurahan.name, data.kecamatan && data.kecamatan.name].filter(Boolean).join(", ");
  const category = data.category && typeof data.category === "object" ? data.category.name : data.category;
  li.className = `lk-card lk-mine-item lk-status-banner lk-color-${esc(color)}`;
  li.dataset.status = data.status;
  const desc = String(data.description || "");
  li.innerHTML = `<div class="lk-mine-head">
      <a class="lk-code-small" href="/lacak/${encodeURIComponent(code)}/">${esc(code)}</a>
      <span class="lk-status lk-status-${esc(color)}" data-field="status">${esc(data.status_label || S.status[data.status] || data.status)}</span>
    </div>
    <p class="lk-mine-title">${esc(category || "")}${place ? ` · <span class="lk-muted">${esc(place)}</span>` : ""}</p>
    <p class="lk-ticket-meta">${esc(S.reported)} ${esc(fmtDate(data.created_at))}${data.resolved_at ? ` · ${esc(S.resolved)} ${esc(fmtDate(data.resolved_at))}` : ""}</p>
    ${reopenedHere.has(code) ? `<p class="lk-alert lk-alert-ok" role="status">${esc(S.reopen_sent)}</p>` : ""}
    ${desc ? `<p class="lk-ticket-desc">${esc(desc.length > 160 ? `${desc.slice(0, 157)}…` : desc)}</p>` : ""}
    ${reopenHtml(code, data)}
    <p class="lk-row lk-mine-actions"><a class="lk-btn" href="/lacak/${encodeURIComponent(code)}/">${esc(S.follow)}</a>
      <button type="button" class="lk-textbtn" data-action="forget">${esc(S.forget)}</button></p>`;
  const box = li.querySelector("textarea");
  if (keep && box) {
    box.value = keep.value;
    li.querySelector("details").open = keep.open;
  }
}

async function load(code) {
  const r = await api(`/api/v1/complaints/${encodeURIComponent(code)}/`);
  if (r.ok) reports.set(code, r.data);
  else if (r.status === 404) reports.set(code, { missing: true });
  else return; // offline or a server error: keep what is shown
  render(code);
}

function show() {
  const codes = myReports();
  empty.hidden = codes.length > 0;
  list.innerHTML = codes.map((code) => `<li class="lk-card lk-mine-item" data-code="${esc(code)}" data-status="loading">
    <p><strong class="lk-code-small">${esc(code)}</strong> <span class="lk-muted">${esc(S.loading)}</span></p></li>`).join("");
  return codes;
}

list.addEventListener("click", async (e) => {
  const button = e.target.closest("button[data-action]");
  if (!button) return;
  const li = button.closest("li[data-code]");
  const code = li.dataset.code;
  if (button.dataset.action === "forget") {
    if (!window.confirm(S.forget_confirm)) return;
    forgetReport(code);
    forgetVideo(code); // a video still waiting to be sent goes too: no token left to attach it
    li.remove();
    empty.hidden = myReports().length > 0;
    return;
  }
  const reasonEl = li.querySelector("textarea");
  const err = li.querySelector('[data-reopen="error"]');
  err.hidden = true;
  const reason = reasonEl.value.trim();
  if (!reason) { err.textContent = S.reason_required; err.hidden = false; reasonEl.focus(); return; }
  button.disabled = true;
  const r = await api(`/api/v1/complaints/${encodeURIComponent(code)}/reopen/`, {
    method: "POST", json: { reporter_token: reporterToken(code), reason },
  });
  button.disabled = false;
  if (r.ok) {
    reports.set(code, r.data);
    reasonEl.value = "";
    reopenedHere.add(code);
    render(code);
    return;
  }
  err.textContent = r.networkError ? S.send_failed
    : (r.data && (r.data.detail || Object.values(r.data).flat().join(" "))) || S.error;
  err.hidden = false;
});

const codes = show();
codes.forEach((code) => load(code));

// Live: one socket per recent report; the badge is "live" only while all of them are.
const badge = liveBadge(document.getElementById("lk-live"), S);
const states = new Map();
function updateBadge() {
  const all = [...states.values()];
  if (!all.length) { document.getElementById("lk-live").hidden = true; return; }
  badge(all.every((s) => s === "live") ? "live" : all.some((s) => s === "connecting") ? "connecting" : "offline");
}
const live = codes.slice(0, MAX_SOCKETS);
live.forEach((code) => {
  states.set(code, "connecting");
  new LiveSocket(`/ws/complaints/${encodeURIComponent(code)}/`, {
    onEvent: () => load(code),
    onStatus: (s) => {
      // A report that no longer exists refuses its socket: nothing to follow.
      if (s === "refused") states.delete(code); else states.set(code, s);
      updateBadge();
    },
  });
});
updateBadge();
setInterval(() => {
  if (navigator.onLine === false) return;
  codes.forEach((code) => {
    if (!myReports().includes(code)) return;
    if (!live.includes(code) || states.get(code) !== "live") load(code);
  });
}, POLL_MS);
