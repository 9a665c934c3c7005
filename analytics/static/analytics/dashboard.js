/* Analytics dashboard: choropleth, hex grid, DBSCAN hotspots, vector-tile points (as counts),
   time series and KPI charts, all driven by the same filters. No inline scripts (CSP).
   Legends name categories and statuses in the page's language (the labels of #an-options, never
   slugs) and numbers are formatted for it (Intl.NumberFormat: id-ID "0,3%", en "0.3%"). */
(function () {
  "use strict";
  var root = document.getElementById("an-dashboard");
  if (!root || !window.L) return;
  var API = root.dataset.api;
  var T = root.dataset;
  var form = document.getElementById("an-filters");
  var lang = document.documentElement.lang || "id";
  var num = new Intl.NumberFormat(lang, { maximumFractionDigits: 1 });
  var pct = new Intl.NumberFormat(lang, { style: "percent", maximumFractionDigits: 1 });
  var monthFmt = new Intl.DateTimeFormat(lang, { month: "short", year: "numeric", timeZone: "UTC" });
  var options = JSON.parse(document.getElementById("an-options").textContent);
  var categoryLabel = {};
  options.categories.forEach(function (o) { categoryLabel[o.value] = o.label; });
  function catName(slug) { return categoryLabel[slug] || slug; }
  var statusLabel = {};
  options.statuses.forEach(function (o) { statusLabel[o.value] = o.label; });
  Chart.defaults.locale = lang;
  Chart.defaults.animation = false;  // figures appear at once (and screenshots show them whole)
  // zoomSnap 0.25: fitBounds can fill the map with the city instead of stopping a whole zoom level short.
  var map = L.map("an-map", { zoomSnap: 0.25 }).setView([-6.19, 106.63], 12);
  // The basemap is a deployment setting (MAP_TILE_URL); without it the areas still draw.
  if (root.dataset.basemap) {
    L.tileLayer(root.dataset.basemap, { maxZoom: 19, attribution: root.dataset.basemapAttribution || "" }).addTo(map);
  }
  var layers = { areas: null, hex: null, clusters: null, points: null };
  var charts = {};
  var fitted = false;

  function query() {
    var p = new URLSearchParams();
    new FormData(form).forEach(function (v, k) { if (v) p.append(k, v); });
    return p;
  }
  function getJSON(path, extra) {
    var p = query();
    Object.keys(extra || {}).forEach(function (k) { p.set(k, extra[k]); });
    return fetch(API + path + "?" + p.toString(), { credentials: "same-origin" }).then(function (r) {
      if (!r.ok) throw new Error(r.status);
      return r.json();
    });
  }
  var STEPS = ["#fff5eb", "#fdd0a2", "#fd8d3c", "#e6550d", "#a63603"];
  function color(v, max) {
    var t = max ? v / max : 0;
    return STEPS[Math.min(STEPS.length - 1, Math.floor(t * STEPS.length))];
  }
  function fmtRate(v) { return v === null || v === undefined ? "–" : pct.format(v); }
  function fmt(v) { return v === null || v === undefined ? "–" : num.format(v); }
  // The choropleth's legend: the count range of each colour (equal fifths of the largest count).
  var legend = L.control({ position: "bottomright" });
  legend.onAdd = function () { this._div = L.DomUtil.create("div", "an-legend"); return this._div; };
  legend.addTo(map);
  function drawLegend(max) {
    var html = "<strong>" + esc(T.labelLegend) + "</strong>";
    for (var i = 0; i < STEPS.length; i++) {
      var low = Math.ceil(max * i / STEPS.length), high = Math.floor(max * (i + 1) / STEPS.length);
      if (i === STEPS.length - 1) high = max;
      if (high < low) continue;
      html += '<div><i style="background:' + STEPS[i] + '"></i>' + fmt(low) + (high > low ? "–" + fmt(high) : "") + "</div>";
    }
    legend._div.innerHTML = html;
  }
  function esc(s) { var d = document.createElement("div"); d.textContent = s == null ? "" : String(s); return d.innerHTML; }

  function loadAreas() {
    var level = document.querySelector("input[name=an-level]:checked").value;
    return getJSON("areas/", { level: level }).then(function (fc) {
      var max = 0;
      fc.features.forEach(function (f) { max = Math.max(max, f.properties.count); });
      if (layers.areas) map.removeLayer(layers.areas);
      layers.areas = L.geoJSON(fc, {
        style: function (f) {
          return { color: "#555", weight: 1, fillOpacity: 0.6, fillColor: color(f.properties.count, max) };
        },
        onEachFeature: function (f, layer) {
          var p = f.properties;
          layer.bindPopup("<strong>" + esc(p.name) + "</strong><br>" + esc(T.labelCount) + ": " + fmt(p.count) +
            "<br>" + esc(T.labelOpen) + ": " + fmt(p.open) + "<br>" + esc(T.labelResolved) + ": " + fmt(p.resolved) +
            "<br>" + esc(T.labelRate) + ": " + fmtRate(p.resolution_rate) +
            "<br>" + esc(T.labelMedian) + ": " + fmt(p.median_hours_to_resolve) +
            "<br>" + esc(T.labelOverdue) + ": " + fmt(p.overdue) +
            (p.per_1000 === null ? "" : "<br>" + fmt(p.per_1000) + " " + esc(T.labelPer1000)));
        }
      }).addTo(map);
      layers.areas.bringToBack();
      drawLegend(max);
      if (!fitted && layers.areas.getBounds().isValid()) { map.fitBounds(layers.areas.getBounds(), { padding: [4, 4] }); fitted = true; }
    });
  }
  function loadHex() {
    if (layers.hex) { map.removeLayer(layers.hex); layers.hex = null; }
    if (!document.getElementById("an-hex").checked) return Promise.resolve();
    return getJSON("grid/", { shape: "hex", size_m: 500 }).then(function (fc) {
      var max = 0;
      fc.features.forEach(function (f) { max = Math.max(max, f.properties.count); });
      layers.hex = L.geoJSON(fc, {
        style: function (f) { return { weight: 0.5, color: "#333", fillOpacity: 0.7, fillColor: color(f.properties.count, max) }; },
        onEachFeature: function (f, layer) { layer.bindTooltip(fmt(f.properties.count)); }
      }).addTo(map);
    });
  }
  function loadClusters() {
    if (layers.clusters) { map.removeLayer(layers.clusters); layers.clusters = null; }
    if (!document.getElementById("an-clusters").checked) return Promise.resolve();
    return getJSON("clusters/", { eps_m: 100, min_points: 10 }).then(function (fc) {
      layers.clusters = L.geoJSON(fc, {
        style: { color: "#b10026", weight: 2, fillOpacity: 0.25 },
        onEachFeature: function (f, layer) {
          layer.bindPopup(esc(T.labelCluster) + ": " + fmt(f.properties.count) + " · " + esc(T.labelDominant) + " " +
            esc(catName(f.properties.dominant_category)));
        }
      }).addTo(map);
    });
  }
  // Complaint counts from the vector tiles, drawn as circles (Leaflet has no MVT renderer;
  // the tiles are for MapLibre clients and this overview reads the low-zoom counts per cell).
  function loadPoints() {
    if (layers.points) { map.removeLayer(layers.points); layers.points = null; }
    if (!document.getElementById("an-points").checked) return Promise.resolve();
    return getJSON("grid/", { shape: "square", size_m: 250, bbox: map.getBounds().toBBoxString() }).then(function (fc) {
      layers.points = L.layerGroup();
      fc.features.forEach(function (f) {
        var c = L.geoJSON(f).getBounds().getCenter();
        L.circleMarker(c, { radius: Math.min(14, 3 + Math.log(1 + f.properties.count) * 2), color: "#08519c", weight: 1 })
          .bindTooltip(fmt(f.properties.count)).addTo(layers.points);
      });
      layers.points.addTo(map);
    });
  }
  function chart(id, type, labels, datasets, opts) {
    if (charts[id]) charts[id].destroy();
    var o = Object.assign({ responsive: true, maintainAspectRatio: false, locale: lang }, opts || {});
    charts[id] = new Chart(document.getElementById(id), { type: type, data: { labels: labels, datasets: datasets }, options: o });
  }
  function loadSummary() {
    return getJSON("summary/").then(function (s) {
      document.querySelectorAll("[data-kpi]").forEach(function (el) {
        var k = el.dataset.kpi, v = s[k];
        el.textContent = (k === "resolution_rate" || k === "sla_compliance") ? fmtRate(v) : fmt(v);
      });
      // SLA compliance, the same measure as the KPI above (analytics.selectors.sla_compliance).
      var sla = s.sla_by_agency.slice(0, 12);
      // Several governments (the province's view): every one has its "Dinas PUPR", so each bar
      // names its government too, on a second line ("Kabupaten" as the usual "Kab.").
      var govs = new Set(sla.map(function (a) { return a.government; }));
      var agencyLabel = function (a) {
        var name = a.name || a.agency;
        return govs.size > 1 && a.government_name ? [name, a.government_name.replace(/^Kabupaten /, "Kab. ")] : name;
      };
      document.getElementById("an-sla").parentElement.classList.toggle("an-chart-box-tall", govs.size > 1);
      chart("an-sla", "bar", sla.map(agencyLabel),
        [{ label: T.labelSla, backgroundColor: "#0b5cab", maxBarThickness: 28,
           data: sla.map(function (a) { return a.sla_compliance === null ? null : a.sla_compliance; }) }],
        { indexAxis: "y",
          scales: { x: { min: 0, max: 1, ticks: { callback: function (v) { return pct.format(v); } } },
                    y: { ticks: { autoSkip: false } } },
          plugins: { tooltip: { callbacks: { label: function (c) { return T.labelSla + ": " + fmtRate(c.raw); } } } } });
      chart("an-categories", "doughnut", s.top_categories.map(function (c) { return catName(c.category); }),
        [{ data: s.top_categories.map(function (c) { return c.count; }) }],
        { plugins: { legend: { position: "bottom" } } });
      var statuses = Object.keys(s.by_status).filter(function (k) { return s.by_status[k] > 0; });
      chart("an-statuses", "bar", statuses.map(function (k) { return statusLabel[k] || k; }),
        [{ label: T.labelCount, backgroundColor: "#3b82c4", maxBarThickness: 28, data: statuses.map(function (k) { return s.by_status[k]; }) }],
        { indexAxis: "y", scales: { x: { beginAtZero: true, ticks: { precision: 0 } } }, plugins: { legend: { display: false } } });
    });
  }
  function loadTimeseries() {
    return getJSON("timeseries/", { interval: "month" }).then(function (t) {
      var cats = {};
      t.periods.forEach(function (p) { Object.keys(p.by_category).forEach(function (c) { cats[c] = true; }); });
      var labels = t.periods.map(function (p) { return monthFmt.format(new Date(p.period.slice(0, 10) + "T00:00:00Z")); });
      var ds = Object.keys(cats).map(function (c) {
        return { label: catName(c), data: t.periods.map(function (p) { return p.by_category[c] || 0; }), stack: "s" };
      });
      chart("an-timeseries", "bar", labels, ds,
        { scales: { x: { stacked: true }, y: { stacked: true, ticks: { precision: 0 } } }, plugins: { legend: { position: "bottom" } } });
    });
  }
  function updateExports() {
    var q = query().toString();
    document.querySelectorAll(".an-export").forEach(function (a) {
      a.href = API + "export/?format=" + a.dataset.format + (q ? "&" + q : "");
    });
  }
  function refresh() {
    updateExports();
    Promise.all([loadAreas(), loadHex(), loadClusters(), loadPoints(), loadSummary(), loadTimeseries()])
      .catch(function () { root.classList.add("an-error"); root.setAttribute("data-error", T.labelError); });
  }
  form.addEventListener("submit", function (e) { e.preventDefault(); refresh(); });
  document.querySelectorAll("input[name=an-level]").forEach(function (el) { el.addEventListener("change", loadAreas); });
  document.getElementById("an-hex").addEventListener("change", loadHex);
  document.getElementById("an-clusters").addEventListener("change", loadClusters);
  document.getElementById("an-points").addEventListener("change", loadPoints);
  map.on("moveend", function () { if (layers.points) loadPoints(); });
  refresh();
})();
