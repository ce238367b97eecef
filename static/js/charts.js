// The dashboard's PM charts, drawn with the vendored Chart.js: cumulative flow, cycle time,
// metric burn-up and runs per sprint. Every <canvas data-pm-chart="KIND" data-source="ID">
// reads <script type="application/json" id="ID"> (written by json_script). Each chart's
// section is an htmx fragment that brings this file with it; the page that holds the
// fragment loads Chart.js. Loaded once or many times, it draws each canvas once.
(function () {
  "use strict";
  var INDIGO = "#4f46e5", GREEN = "#059669", GREY = "#9ca3af", RED = "#dc2626";
  var PALETTE = ["#9ca3af", "#4f46e5", "#f59e0b", "#0ea5e9", "#8b5cf6", "#ec4899", "#14b8a6"];

  function dayText(iso) {
    var d = new Date(iso + "T00:00:00");
    return isNaN(d) ? iso : d.toLocaleDateString(undefined, { month: "short", day: "numeric" });
  }
  function alpha(hex, a) {
    var n = parseInt(hex.slice(1), 16);
    return "rgba(" + (n >> 16) + "," + ((n >> 8) & 255) + "," + (n & 255) + "," + a + ")";
  }
  function base(extra) {
    var options = { animation: false, responsive: true, maintainAspectRatio: false,
                    interaction: { mode: "index", intersect: false } };
    for (var k in extra) options[k] = extra[k];
    return options;
  }

  var KINDS = {
    // Stacked areas, the finished statuses at the bottom and the first status on top.
    flow: function (data) {
      var series = data.series.slice().reverse();
      var n = data.series.length;
      return {
        type: "line",
        data: {
          labels: data.labels.map(dayText),
          datasets: series.map(function (s, i) {
            var color = s.finished ? GREEN : PALETTE[(n - 1 - i) % PALETTE.length];
            return { label: s.label, data: s.data, borderColor: color, backgroundColor: alpha(color, 0.35),
                     fill: i === 0 ? "origin" : "-1", pointRadius: 0, borderWidth: 1.5, tension: 0 };
          })
        },
        options: base({ scales: { y: { stacked: true, beginAtZero: true, title: { display: true, text: "tickets" } },
                                  x: { ticks: { maxTicksLimit: 8 } } } })
      };
    },
    cycle: function (data) {
      return {
        type: "bar",
        data: { labels: data.labels, datasets: [{ label: "Tickets", data: data.counts, backgroundColor: INDIGO }] },
        options: base({ plugins: { legend: { display: false } },
                        scales: { y: { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: "tickets" } },
                                  x: { title: { display: true, text: "days from in progress to finished" } } } })
      };
    },
    // Best so far per sprint day (none yet for days to come) against the target line.
    burnup: function (data) {
      var labels = data.days.map(function (d) { return dayText(d.date); });
      var datasets = [
        { label: "Best so far", data: data.days.map(function (d) { return d.best; }), borderColor: INDIGO,
          backgroundColor: INDIGO, stepped: "before", spanGaps: false, pointRadius: 3, borderWidth: 2, fill: false },
        { label: "Target", data: data.days.map(function () { return data.target; }), borderColor: GREEN,
          backgroundColor: GREEN, borderDash: [6, 4], pointRadius: 0, borderWidth: 2, fill: false }
      ];
      if (data.baseline !== null && data.baseline !== undefined) {
        datasets.push({ label: "Baseline", data: data.days.map(function () { return data.baseline; }), borderColor: GREY,
                        backgroundColor: GREY, borderDash: [2, 3], pointRadius: 0, borderWidth: 2, fill: false });
      }
      return { type: "line", data: { labels: labels, datasets: datasets },
               options: base({ scales: { y: { title: { display: true, text: data.metric } } } }) };
    },
    runs: function (data) {
      return {
        type: "bar",
        data: {
          labels: data.labels,
          datasets: [
            { label: "Runs", data: data.runs, backgroundColor: alpha(INDIGO, 0.75) },
            { label: "Failed", data: data.failed, backgroundColor: RED }
          ]
        },
        options: base({ scales: { y: { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: "runs" } } } })
      };
    }
  };

  function draw(canvas) {
    if (canvas.dataset.drawn || !window.Chart) return;
    var kind = KINDS[canvas.dataset.pmChart];
    var source = document.getElementById(canvas.dataset.source);
    if (!kind || !source) return;
    var data;
    try { data = JSON.parse(source.textContent); } catch (e) { return; }
    canvas.dataset.drawn = "1";
    new window.Chart(canvas, kind(data));
  }
  function drawAll() { document.querySelectorAll("canvas[data-pm-chart]").forEach(draw); }
  if (!window.AIHubPmCharts) {
    window.AIHubPmCharts = drawAll;
    document.addEventListener("htmx:afterSettle", function () { drawAll(); });
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", function () { drawAll(); });
    // A fragment's copy of this file may run before Chart.js (deferred by the page) is in.
    window.addEventListener("load", function () { drawAll(); });
  }
  drawAll();
})();
