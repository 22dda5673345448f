/* History: walking tolerance week by week (the weekly middle values and the trend line), drawn
   with the vendored Chart.js. The weeks and the trend differ by marker and dash as well as
   colour; the same figures are in the table beside the chart. */
(function () {
  "use strict";
  var source = document.getElementById("history-data");
  var canvas = document.getElementById("walk-chart");
  if (!source || !canvas || typeof window.Chart === "undefined") { return; }
  var weeks = JSON.parse(source.textContent).walks || [];
  if (!weeks.length) { return; }
  var still = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  var BRAND = "#0f6e68", INK = "#1d2430";
  var top = 0;
  weeks.forEach(function (w) { top = Math.max(top, w.median || 0, w.trend || 0); });
  new window.Chart(canvas, {
    type: "line",
    data: {
      labels: weeks.map(function (w) { return w.week; }),
      datasets: [
        { label: "Minutes before symptoms (weekly middle value)",
          data: weeks.map(function (w) { return w.median; }),
          borderColor: BRAND, backgroundColor: BRAND, pointStyle: "rect", pointRadius: 5,
          borderWidth: 2, spanGaps: true },
        { label: "Trend", data: weeks.map(function (w) { return w.trend; }),
          borderColor: INK, backgroundColor: INK, borderDash: [6, 4], borderWidth: 1.5,
          pointRadius: 0, pointStyle: "line" }
      ]
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: still ? false : { duration: 300 },
      interaction: { mode: "index", intersect: false },
      plugins: { legend: { labels: { usePointStyle: true, boxHeight: 8 } } },
      scales: {
        y: { min: 0, suggestedMax: Math.ceil(top + 2), title: { display: true, text: "Minutes" },
             ticks: { precision: 0 } },
        x: { ticks: { maxRotation: 0, autoSkip: true, maxTicksLimit: 6 } }
      }
    }
  });
})();
