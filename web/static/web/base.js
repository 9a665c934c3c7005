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
    sel.addEventListener("change", () => sel.form.submit());
    const submit = sel.form.querySelector("[data-lang-submit]");
    if (submit) submit.classList.add("lk-sr");
  });
})();
