// Metric history charts with the vendored Chart.js: every <canvas data-chart="ID"> reads
// its series from <script type="application/json" id="ID"> ([{label, points: [[step, value]]}]).
(function () {
  "use strict";
  var palette = ["#4f46e5", "#e11d48", "#059669", "#d97706", "#0891b2", "#7c3aed", "#65a30d", "#db2777", "#2563eb", "#9333ea"];
  function draw(canvas) {
    if (canvas.chart || typeof Chart === "undefined") return;
    var source = document.getElementById(canvas.dataset.chart);
    if (!source) return;
    var series = JSON.parse(source.textContent);
    canvas.chart = new Chart(canvas, {
      type: "line",
      data: {
        datasets: series.map(function (s, i) {
          return {
            label: s.label, borderColor: palette[i % palette.length], backgroundColor: palette[i % palette.length],
            data: s.points.map(function (p) { return { x: p[0], y: p[1] }; }),
            pointRadius: s.points.length > 40 ? 0 : 2, borderWidth: 2, spanGaps: false, tension: 0
          };
        })
      },
      options: {
        animation: false, parsing: false, responsive: true, maintainAspectRatio: false,
        interaction: { mode: "nearest", intersect: false },
        scales: { x: { type: "linear", title: { display: true, text: "step" } } },
        plugins: { legend: { display: series.length > 1 } }
      }
    });
  }
  function drawAll(root) { (root || document).querySelectorAll("canvas[data-chart]").forEach(draw); }
  document.addEventListener("DOMContentLoaded", function () { drawAll(document); });
  document.addEventListener("htmx:afterSwap", function (event) { drawAll(event.target); });
})();
