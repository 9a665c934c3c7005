/* global LAKSA_SW */
// The service worker's Web Push part, appended to sw.js by the server (web/views.py). A push
// carries {title, body, code, url} (never reporter contact); tapping it opens the ticket.
self.addEventListener("push", (event) => {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch (err) {
    data = { title: event.data ? event.data.text() : "LAKSA" };
  }
  event.waitUntil(self.registration.showNotification(data.title || "LAKSA", {
    body: data.body || "",
    tag: data.code || undefined,
    renotify: Boolean(data.code),
    data: { url: data.url || "/sigap/" },
    icon: LAKSA_SW.icon,
  }));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const url = new URL((event.notification.data && event.notification.data.url) || "/sigap/", self.location.origin).href;
  event.waitUntil((async () => {
    const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    for (const client of windows) {
      if (new URL(client.url).pathname.startsWith("/sigap/") && "navigate" in client) {
        await client.focus();
        return client.navigate(url);
      }
    }
    return self.clients.openWindow(url);
  })());
});
