// Header behaviour for every page: the mobile menu and the language switch (no inline scripts).
(function () {
  const btn = document.querySelector("[data-menu-toggle]");
  const nav = document.getElementById("lk-nav");
  if (btn && nav) {
    btn.addEventListener("click", () => {
      const open = nav.classList.toggle("lk-open");
      btn.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }
  // Logging out on a shared phone: forget the cached Tim Sigap page and tickets.
  document.querySelectorAll("form[data-logout]").forEach((form) => {
    form.addEventListener("submit", () => {
      try {
        Object.keys(localStorage).filter((k) => k.startsWith("laksa.sigap.")).forEach((k) => localStorage.removeItem(k));
      } catch (e) { /* storage disabled */ }
      if (window.caches) caches.keys().then((keys) => keys.filter((k) => k.startsWith("laksa-sigap")).forEach((k) => caches.delete(k)));
    });
  });
  document.querySelectorAll("select[data-autosubmit]").forEach((sel) => {
    sel.addEventListener("change", async () => {
      // The crew page's service worker keeps the page's HTML in the language it was fetched in:
      // drop it, so the page comes back in the chosen language.
      try {
        // First tell the worker, so a refresh of the page already under way is not stored.
        const reg = navigator.serviceWorker && await navigator.serviceWorker.getRegistration("/sigap/");
        if (reg && reg.active) reg.active.postMessage({ type: "laksa-pages-stale" });
        if (window.caches) {
          const names = (await caches.keys()).filter((k) => k.startsWith("laksa-sigap"));
          await Promise.all(names.map(async (name) => {
            const cache = await caches.open(name);
            const pages = (await cache.keys()).filter((r) => new URL(r.url).pathname.startsWith("/sigap"));
            await Promise.all(pages.map((r) => cache.delete(r)));
          }));
        }
      } catch (e) { /* storage disabled: the page refreshes in the background anyway */ }
      sel.form.submit();
    });
    const submit = sel.form.querySelector("[data-lang-submit]");
    if (submit) submit.classList.add("lk-sr");
  });
})();
