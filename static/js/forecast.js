// Forecast: the Monte Carlo distribution with the vendored Chart.js. Every
// <canvas data-forecast-chart="ID"> reads <script type="application/json" id="ID">:
// {labels: [ISO dates], trials: [n], cumulative: [%], p50, p85}. Bars are the trials that
// finished on each day, the line the share finished by then (right axis). The forecast
// section is swapped by htmx when the scope changes: each new canvas is drawn once.
(function () {
  "use strict";
  function dayText(iso) {
    var parts = iso.split("-");
    return new Date(+parts[0], +parts[1] - 1, +parts[2]).toLocaleDateString(undefined, { month: "short", day: "numeric" });
  }
  function draw(canvas) {
    if (canvas.dataset.drawn || !window.Chart) return;
    var source = document.getElementById(canvas.dataset.forecastChart);
    if (!source) return;
    var data = JSON.parse(source.textContent);
    if (!data.labels.length) return;
    canvas.dataset.drawn = "1";
    var colors = data.labels.map(function (label) {
      if (data.p50 && label <= data.p50) return "#4f46e5";
      if (data.p85 && label <= data.p85) return "#818cf8";
      return "#c7d2fe";
    });
    var chart = new window.Chart(canvas, {
      data: {
        labels: data.labels.map(dayText),
        datasets: [
          { type: "bar", label: "Trials finished that day", data: data.trials, backgroundColor: colors, yAxisID: "y" },
          { type: "line", label: "Finished by then (%)", data: data.cumulative, borderColor: "#059669",
            backgroundColor: "#059669", borderWidth: 2, pointRadius: 0, yAxisID: "share" }
        ]
      },
      options: {
        animation: false, responsive: true, maintainAspectRatio: false,
        interaction: { mode: "index", intersect: false },
        scales: {
          x: { ticks: { maxTicksLimit: 8, autoSkip: true } },
          y: { beginAtZero: true, title: { display: true, text: "Trials" } },
          share: { position: "right", min: 0, max: 100, grid: { drawOnChartArea: false }, title: { display: true, text: "%" } }
        },
        plugins: { legend: { labels: { boxHeight: 8 } } }
      }
    });
    canvas.aihubChart = chart;
  }
  function drawAll(root) { (root || document).querySelectorAll("canvas[data-forecast-chart]").forEach(draw); }
  if (!window.AIHubForecastCharts) {
    window.AIHubForecastCharts = drawAll;
    document.addEventListener("htmx:afterSettle", function () { drawAll(); });
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", function () { drawAll(); });
  }
  drawAll();
  window.addEventListener("load", function () { drawAll(); });
})();
