// Targets: best so far over time against the target line, with the vendored Chart.js.
// Every <canvas data-target-chart="ID"> reads <script type="application/json" id="ID">:
// {metric, points: [[ms since epoch, best so far]], target, baseline}. The Targets section
// is an htmx fragment that brings this file with it; the page that holds the fragment
// loads Chart.js. Loaded once or many times, it draws each canvas once.
(function () {
  "use strict";
  function dateText(ms) { return new Date(ms).toLocaleDateString(undefined, { month: "short", day: "numeric" }); }
  function timeText(ms) { return new Date(ms).toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" }); }
  function level(label, y, x0, x1, color, dash) {
    return { label: label, data: [{ x: x0, y: y }, { x: x1, y: y }], borderColor: color, backgroundColor: color,
             borderDash: dash, borderWidth: 2, pointRadius: 0, fill: false };
  }
  function draw(canvas) {
    if (canvas.dataset.drawn || !window.Chart) return;
    var source = document.getElementById(canvas.dataset.targetChart);
    if (!source) return;
    var data = JSON.parse(source.textContent);
    if (!data.points.length) return;
    canvas.dataset.drawn = "1";
    var points = data.points.map(function (p) { return { x: p[0], y: p[1] }; });
    var first = points[0].x, last = Math.max(Date.now(), points[points.length - 1].x);
    first -= Math.max((last - first) * 0.05, 60000);  // the first point off the edge
    var short = last - first < 2 * 86400000;  // runs of the last day or two: hours, not dates
    points.push({ x: last, y: points[points.length - 1].y });  // the best holds until now
    var datasets = [
      { label: "Best so far", data: points, stepped: "after", borderColor: "#4f46e5", backgroundColor: "#4f46e5",
        borderWidth: 2, pointRadius: function (ctx) { return ctx.dataIndex === points.length - 1 ? 0 : 3; }, fill: false },
      level("Target", data.target, first, last, "#059669", [6, 4])
    ];
    if (data.baseline !== null && data.baseline !== undefined) datasets.push(level("Baseline", data.baseline, first, last, "#9ca3af", [2, 3]));
    new window.Chart(canvas, {
      type: "line",
      data: { datasets: datasets },
      options: {
        animation: false, parsing: false, responsive: true, maintainAspectRatio: false,
        interaction: { mode: "nearest", intersect: false },
        scales: {
          x: { type: "linear", min: first, max: last, ticks: { maxTicksLimit: 6, callback: short ? timeText : dateText } },
          y: { title: { display: true, text: data.metric } }
        },
        plugins: {
          legend: { labels: { boxHeight: 2 } },
          tooltip: { callbacks: { title: function (items) { return items.length ? new Date(items[0].parsed.x).toLocaleString() : ""; } } }
        }
      }
    });
  }
  function drawAll(root) { (root || document).querySelectorAll("canvas[data-target-chart]").forEach(draw); }
  if (!window.AIHubTargetCharts) {
    window.AIHubTargetCharts = drawAll;
    document.addEventListener("htmx:afterSettle", function (event) { drawAll(event.target); });
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", function () { drawAll(); });
  }
  // A fragment's copy of this file runs after the fragment is in the page; Chart.js (deferred
  // by the page) may still be on its way, so try again once the page has loaded.
  drawAll();
  window.addEventListener("load", function () { drawAll(); });
})();
