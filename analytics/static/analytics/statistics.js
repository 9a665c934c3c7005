/* Public statistics chart: counts and resolution rate per kecamatan (data from json_script). */
(function () {
  "use strict";
  var el = document.getElementById("an-public-data");
  var canvas = document.getElementById("an-public-chart");
  if (!el || !canvas || !window.Chart) return;
  var d = JSON.parse(el.textContent);
  new Chart(canvas, {
    type: "bar",
    data: {
      labels: d.labels,
      datasets: [
        { label: canvas.dataset.labelCount, data: d.counts, yAxisID: "y" },
        { label: canvas.dataset.labelRate, data: d.rates, type: "line", yAxisID: "y1" }
      ]
    },
    options: { scales: { y: { beginAtZero: true }, y1: { position: "right", min: 0, max: 100, grid: { drawOnChartArea: false } } } }
  });
})();
