/* Public statistics chart: counts and resolution rate per kecamatan (data from json_script).
   Horizontal bars, one row per kecamatan, so the names stay readable on a 360 px phone; numbers
   in the page's language (id-ID: "12,5"). */
(function () {
  "use strict";
  var el = document.getElementById("an-public-data");
  var canvas = document.getElementById("an-public-chart");
  if (!el || !canvas || !window.Chart) return;
  var d = JSON.parse(el.textContent);
  var lang = document.documentElement.lang || "id";
  var box = canvas.parentNode;
  box.style.height = Math.max(240, d.labels.length * 30 + 70) + "px";
  new Chart(canvas, {
    type: "bar",
    data: {
      labels: d.labels,
      datasets: [
        { label: canvas.dataset.labelCount, data: d.counts, xAxisID: "x", backgroundColor: "#3b82c4" },
        { label: canvas.dataset.labelRate, data: d.rates, xAxisID: "x1", backgroundColor: "#f59e0b" }
      ]
    },
    options: {
      locale: lang,
      animation: false,
      indexAxis: "y",
      responsive: true,
      maintainAspectRatio: false,
      plugins: { legend: { position: "bottom" } },
      scales: {
        x: { beginAtZero: true, position: "bottom", ticks: { precision: 0 } },
        x1: { position: "top", min: 0, max: 100, grid: { drawOnChartArea: false } },
        y: { ticks: { autoSkip: false } }
      }
    }
  });
})();
