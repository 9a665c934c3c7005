// Web Push for Tim Sigap (docs/OPERATIONS.md "Jobs"): after login the crew page asks to show
// notifications and registers this phone's push subscription, so a new assignment, a reroute,
// a reopen or an escalation reaches the phone with the page closed. The service worker
// (/sw.js, its push part in web/push-sw.js) shows them. Kept apart from sigap.js on purpose.
import { api } from "./common.js";

const API = "/api/v1/push/subscription/";

function keyBytes(b64url) {
  const b64 = (b64url + "=".repeat((4 - (b64url.length % 4)) % 4)).replace(/-/g, "+").replace(/_/g, "/");
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

async function registerPush() {
  if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) return;
  const answer = await api(API);
  if (!answer.ok) return;
  const { public_key: key } = answer.data;
  if (!key) return; // this server sends no pushes
  const permission = Notification.permission === "default" ? await Notification.requestPermission() : Notification.permission;
  if (permission !== "granted") return;
  const registration = await navigator.serviceWorker.ready;
  const subscription = (await registration.pushManager.getSubscription())
    || (await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(key) }));
  await api(API, { method: "POST", json: subscription.toJSON() });
}

registerPush().catch((err) => console.warn("push subscription not registered:", err.message || err));

// A tapped notification opens /sigap/?ticket=CODE: bring that ticket into view once it is listed,
// and keep it marked when the list is drawn again (live updates redraw it).
function showTicket(code) {
  const list = document.getElementById("lk-tickets");
  if (!list) return;
  let scrolled = false;
  const mark = () => {
    const el = list.querySelector(`[data-code="${CSS.escape(code)}"]`);
    if (!el) return;
    if (!el.classList.contains("lk-ticket-wanted")) el.classList.add("lk-ticket-wanted");
    if (!scrolled) {
      scrolled = true;
      el.scrollIntoView({ block: "center" });
    }
  };
  mark();
  new MutationObserver(mark).observe(list, { childList: true, subtree: true });
}

const wanted = new URLSearchParams(window.location.search).get("ticket");
if (wanted) showTicket(wanted);
