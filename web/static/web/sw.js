// Service worker for the Tim Sigap page (registered with scope /sigap/). `LAKSA_SW` is
// prepended by the server: {version, shell: [static urls], pages: ["/sigap/"]}.
/* global LAKSA_SW */
const CACHE = `laksa-sigap-${LAKSA_SW.version}`;
const DATA_CACHE = "laksa-sigap-data";

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(CACHE).then((cache) => cache.addAll([...LAKSA_SW.shell, ...LAKSA_SW.pages])).then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith("laksa-sigap-") && k !== CACHE && k !== DATA_CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

// Network first, cache as the fallback: fresh data when online, the last copy when not.
async function networkFirst(request, cacheName) {
  const cache = await caches.open(cacheName);
  try {
    const response = await fetch(request);
    if (response.ok) cache.put(request, response.clone());
    return response;
  } catch (err) {
    const hit = await cache.match(request, { ignoreVary: true });
    if (hit) return hit;
    throw err;
  }
}

// Bumped when the pages' language changes (base.js posts "laksa-pages-stale" before the switch):
// a background refresh that started before it fetched the page in the old language, and must
// not store it over the dropped copy.
let pageEpoch = 0;
self.addEventListener("message", (event) => {
  if (event.data && event.data.type === "laksa-pages-stale") pageEpoch += 1;
});

// The page itself, stale while revalidate: the copy from the last visit at once (no round trip
// before the page shows the tickets it last had, on a weak signal or none), and the network's
// answer stored for the next visit. Without a copy, the network as usual (redirects included).
function staleWhileRevalidate(event, cacheName) {
  const page = new Request("/sigap/", { credentials: "same-origin" });
  const cache = caches.open(cacheName);
  event.respondWith(cache.then((c) => c.match(page, { ignoreVary: true })).then((hit) => hit || fetch(event.request)));
  const epoch = pageEpoch;
  event.waitUntil(cache.then((c) => fetch(page).then((response) => {
    if (epoch !== pageEpoch) return undefined; // the language changed meanwhile
    if (response.ok && !response.redirected) return c.put(page, response);
    // Redirected to the login page: the session ended, the copy must not open again.
    if (response.redirected) return c.delete(page);
    return undefined;
  })).catch(() => { /* offline: the copy is all there is */ }));
}

// Static files have hashed names (the content never changes under a name): the cache is the answer.
async function cacheFirst(request) {
  const hit = await caches.match(request);
  if (hit) return hit;
  const response = await fetch(request);
  if (response.ok) (await caches.open(CACHE)).put(request, response.clone());
  return response;
}

self.addEventListener("fetch", (event) => {
  const req = event.request;
  if (req.method !== "GET") return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  if (req.mode === "navigate" && url.pathname.startsWith("/sigap/")) {
    staleWhileRevalidate(event, CACHE);
  } else if (url.pathname.startsWith("/static/") || url.pathname.startsWith("/media/public/thumbs/")) {
    // Static files and photo thumbnails (random, never rewritten names): the tickets' thumbnails
    // still show when the page is reopened without a connection.
    event.respondWith(cacheFirst(req));
  } else if (url.pathname === "/api/v1/ops/complaints/" || url.pathname.startsWith("/api/v1/boundaries/")) {
    // The crew's open tickets and the city outline, for opening the page without a connection.
    event.respondWith(networkFirst(req, DATA_CACHE));
  }
});
