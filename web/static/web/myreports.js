// The reports sent from this device ("Laporan saya"): kept in local storage, no account needed.
// `laksa.mine` lists the tracking codes, newest first; `laksa.token.<code>` holds each report's
// reporter token, the proof that lets this device reopen it.

const LIST_KEY = "laksa.mine";
const MAX_REPORTS = 50;

function tokenKey(code) { return `laksa.token.${code}`; }

export function myReports() {
  try {
    const list = JSON.parse(localStorage.getItem(LIST_KEY) || "[]");
    return Array.isArray(list) ? list.filter((c) => typeof c === "string" && c) : [];
  } catch (e) {
    return [];
  }
}

export function rememberReport(code, token) {
  try {
    if (token) localStorage.setItem(tokenKey(code), token);
    const list = [code, ...myReports().filter((c) => c !== code)].slice(0, MAX_REPORTS);
    localStorage.setItem(LIST_KEY, JSON.stringify(list));
    return true;
  } catch (e) {
    return false; // storage full or disabled (private mode)
  }
}

export function reporterToken(code) {
  try { return localStorage.getItem(tokenKey(code)); } catch (e) { return null; }
}

export function forgetReport(code) {
  try {
    localStorage.setItem(LIST_KEY, JSON.stringify(myReports().filter((c) => c !== code)));
    localStorage.removeItem(tokenKey(code));
  } catch (e) { /* storage disabled */ }
}
