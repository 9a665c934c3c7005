// Find a place by name and centre the map there (GET /api/v1/places/?q=): kelurahan, kecamatan
// and the city's public places, matched fuzzily on the server. A combobox: type, then tap a
// result or pick it with the arrow keys and Enter.
import { api, esc, fmt } from "./common.js";

const DEBOUNCE_MS = 250;

export function placeSearch({ input, list, status, map, strings: S }) {
  let timer = null;
  let seq = 0;
  let results = [];
  let active = -1;

  function close() {
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  }

  function render() {
    if (!results.length) {
      list.innerHTML = `<li class="lk-place-none" role="presentation">${esc(S.no_places)}</li>`;
    } else {
      list.innerHTML = results.map((p, i) => {
        const where = [p.kelurahan !== p.name ? p.kelurahan : "", p.kecamatan !== p.name ? p.kecamatan : ""].filter(Boolean).join(", ");
        return `<li id="lk-place-${i}" role="option" aria-selected="${i === active}" data-index="${i}">
          <strong>${esc(p.name)}</strong> <span class="lk-muted">${esc(p.kind_label)}${where ? ` · ${esc(where)}` : ""}</span></li>`;
      }).join("");
    }
    list.hidden = false;
    input.setAttribute("aria-expanded", "true");
    if (active >= 0) input.setAttribute("aria-activedescendant", `lk-place-${active}`);
  }

  async function search() {
    const q = input.value.trim();
    if (q.length < 2) { results = []; close(); return; }
    const mine = ++seq;
    const r = await api(`/api/v1/places/?${new URLSearchParams({ q })}`);
    if (mine !== seq) return; // a newer query is on its way
    if (!r.ok) {
      results = [];
      list.innerHTML = `<li class="lk-place-none" role="presentation">${esc(r.status === 429 ? S.too_many_searches : S.error)}</li>`;
      list.hidden = false;
      return;
    }
    results = r.data.results || [];
    active = -1;
    render();
  }

  function choose(i) {
    const p = results[i];
    if (!p) return;
    if (p.bbox) {
      map.fitBounds([[p.bbox[1], p.bbox[0]], [p.bbox[3], p.bbox[2]]], { padding: [12, 12], maxZoom: 17 });
    } else {
      map.setView([p.lat, p.lon], 17);
    }
    input.value = p.name;
    close();
    if (status) status.textContent = fmt(S.place_centred, { place: p.name });
    map.getContainer().dataset.place = p.name;
  }

  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(search, DEBOUNCE_MS);
  });
  input.addEventListener("keydown", (e) => {
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      if (!results.length) return;
      e.preventDefault();
      active = (active + (e.key === "ArrowDown" ? 1 : -1) + results.length) % results.length;
      render();
    } else if (e.key === "Enter") {
      e.preventDefault(); // never submit the report form from here
      if (active >= 0) choose(active);
      else if (results.length) choose(0);
    } else if (e.key === "Escape") {
      close();
    }
  });
  list.addEventListener("click", (e) => {
    const li = e.target.closest("li[data-index]");
    if (li) choose(Number(li.dataset.index));
  });
  document.addEventListener("click", (e) => {
    if (!list.contains(e.target) && e.target !== input) close();
  });
}
