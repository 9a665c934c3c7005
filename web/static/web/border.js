// The border question (FixMyStreet #868): when the pin's accuracy circle reaches another
// government's area (GET /api/v1/locate/ answers `alternatives`), ask which side the problem is
// on before sending. Choosing a side moves the pin just inside that government's area (checked
// with /api/v1/locate/ again); when that government has its own page (another host or /<kode>/),
// the citizen goes there with the pin (?lat=&lon=).
import { api, esc, fmt } from "./common.js";

const STEPS_M = [15, 40, 100]; // how far inside the line the pin is put (the first that locates there)

// The government of a locate answer: `government` (helper prov's shape), or the kab/kota code
// that starts every Kemendagri kecamatan code (36.71.07 is in 36.71).
export function governmentOf(d) {
  if (!d) return null;
  if (d.government && d.government.code) return d.government;
  if ((d.served ?? d.in_service_area) && d.kecamatan && d.kecamatan.code) {
    return { code: d.kecamatan.code.split(".").slice(0, 2).join("."), name: "" };
  }
  return null;
}

// The point of the polygon's outline nearest to p, in meters east/north of p.
function nearestOnOutline(geometry, p) {
  const kx = 111320 * Math.cos((p.lat * Math.PI) / 180), ky = 110540;
  const polygons = geometry.type === "Polygon" ? [geometry.coordinates] : geometry.coordinates;
  let best = null;
  for (const polygon of polygons) {
    for (const ring of polygon) {
      for (let i = 1; i < ring.length; i++) {
        const ax = (ring[i - 1][0] - p.lon) * kx, ay = (ring[i - 1][1] - p.lat) * ky;
        const bx = (ring[i][0] - p.lon) * kx, by = (ring[i][1] - p.lat) * ky;
        const dx = bx - ax, dy = by - ay, len2 = dx * dx + dy * dy;
        const t = len2 ? Math.max(0, Math.min(1, -(ax * dx + ay * dy) / len2)) : 0;
        const x = ax + t * dx, y = ay + t * dy, d = Math.hypot(x, y);
        if (!best || d < best.d) best = { x, y, d, nx: -dy, ny: dx };
      }
    }
  }
  return best && { ...best, kx, ky };
}

export function borderQuestion({ box, cfg, strings: S, movePin, status }) {
  const text = box.querySelector('[data-border="text"]');
  const choices = box.querySelector('[data-border="choices"]');
  const answered = new Set();
  let areas = null;

  function hide() { box.hidden = true; choices.innerHTML = ""; }

  async function outline(code) {
    if (!areas) {
      const r = await api("/api/v1/boundaries/kota/?simplify=5");
      areas = r.ok ? r.data.features : [];
    }
    const f = areas.find((a) => a.properties && a.properties.code === code);
    return f ? f.geometry : null;
  }

  // A point a few meters inside the chosen government's area, confirmed by the server.
  async function pointInside(code, p) {
    const geometry = await outline(code);
    if (!geometry) return null;
    const near = nearestOnOutline(geometry, p);
    if (!near) return null;
    for (const step of STEPS_M) {
      // Away from the pin, past the line; a pin right on the line goes along the edge's normal.
      let ux = near.x, uy = near.y, n = near.d;
      if (n < 0.5) { ux = near.nx; uy = near.ny; n = Math.hypot(ux, uy) || 1; }
      for (const sign of n === near.d ? [1] : [1, -1]) {
        const x = near.x + (sign * ux / n) * step, y = near.y + (sign * uy / n) * step;
        const candidate = { lat: +(p.lat + y / near.ky).toFixed(7), lon: +(p.lon + x / near.kx).toFixed(7) };
        const r = await api(`/api/v1/locate/?${new URLSearchParams(candidate)}`);
        const g = r.ok ? governmentOf(r.data) : null;
        if (g && g.code === code) return candidate;
      }
    }
    return null;
  }

  function go(code, p, name) {
    const target = (cfg.governmentPages || {})[code];
    if (!target) return false;
    const url = new URL(target.url, location.href);
    url.searchParams.set("lat", p.lat);
    url.searchParams.set("lon", p.lon);
    text.textContent = fmt(S.border_go, { name: name || target.name });
    location.assign(url.toString());
    return true;
  }

  async function choose(choice, here, p, key) {
    answered.add(key);
    choices.querySelectorAll("button").forEach((b) => { b.disabled = true; });
    const pageCode = cfg.here ? cfg.here.code : null;
    if (choice.code === here.code) {
      if (pageCode && here.code !== pageCode && go(here.code, p, here.name)) return;
      hide();
      return;
    }
    const inside = await pointInside(choice.code, p);
    if (!inside) {
      text.textContent = S.error;
      choices.querySelectorAll("button").forEach((b) => { b.disabled = false; });
      answered.delete(key);
      return;
    }
    if (choice.code !== pageCode && go(choice.code, inside, choice.name)) return;
    hide();
    movePin(inside.lat, inside.lon);
    if (status) status.textContent = fmt(S.border_moved, { name: choice.name });
    box.dataset.moved = choice.code;
  }

  function ask(d, p) {
    const alternatives = (d && d.alternatives) || [];
    const here = governmentOf(d);
    if (!alternatives.length || !p.accuracy || !here) { hide(); return; }
    const key = `${p.lat},${p.lon},${p.accuracy}`;
    if (answered.has(key)) return;
    const hereName = here.name || (cfg.here && cfg.here.code === here.code ? cfg.here.name : here.code);
    const options = [{ code: here.code, name: hereName, label: fmt(S.border_here, { name: hereName }) },
      ...alternatives.map((a) => ({ code: a.code, name: a.name, label: a.name }))];
    text.textContent = fmt(S.border_question, { m: Math.round(p.accuracy) });
    choices.innerHTML = options.map((o, i) =>
      `<button type="button" class="lk-btn" data-choice="${esc(o.code)}">${esc(o.label)}</button>`).join("");
    choices.querySelectorAll("button").forEach((b, i) => {
      b.addEventListener("click", () => choose(options[i], { code: here.code, name: hereName }, p, key));
    });
    box.hidden = false;
    box.focus({ preventScroll: true });
    box.scrollIntoView({ behavior: "smooth", block: "center" });
  }

  return { ask, hide };
}
