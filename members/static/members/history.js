/* History charts: pain before/after and questionnaire scores, drawn with the vendored Chart.js.
   Series differ by marker shape and line dash as well as colour; each chart has a table too. */
(function () {
  "use strict";
  var source = document.getElementById("history-data");
  if (!source || typeof window.Chart === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var still = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  var BRAND = "#0f6e68", ACCENT = "#b4540f", INK = "#1d2430";

  function base(yMin, yMax, yTitle) {
    return {
      responsive: true,
      maintainAspectRatio: false,
      animation: still ? false : { duration: 300 },
      interaction: { mode: "index", intersect: false },
      plugins: { legend: { labels: { usePointStyle: true, boxHeight: 8 } } },
      scales: {
        y: { min: yMin, max: yMax, title: { display: true, text: yTitle }, ticks: { precision: 0 } },
        x: { ticks: { maxRotation: 0, autoSkip: true, maxTicksLimit: 6 } }
      }
    };
  }

  var painCanvas = document.getElementById("pain-chart");
  if (painCanvas && data.pain.length) {
    new window.Chart(painCanvas, {
      type: "line",
      data: {
        labels: data.pain.map(function (p) { return p.date; }),
        datasets: [
          { label: "Before", data: data.pain.map(function (p) { return p.before; }),
            borderColor: BRAND, backgroundColor: BRAND, pointStyle: "circle", pointRadius: 4,
            borderWidth: 2, spanGaps: true },
          { label: "After", data: data.pain.map(function (p) { return p.after; }),
            borderColor: ACCENT, backgroundColor: ACCENT, pointStyle: "triangle", pointRadius: 5,
            borderDash: [6, 4], borderWidth: 2, spanGaps: true }
        ]
      },
      options: base(0, 10, "Pain (0-10)")
    });
  }

  var byInstrument = {};
  data.series.forEach(function (s) { byInstrument[s.instrument] = s; });
  Array.prototype.forEach.call(document.querySelectorAll("canvas.score-chart"), function (canvas) {
    var s = byInstrument[canvas.getAttribute("data-instrument")];
    if (!s || !s.points.length) { return; }
    var labels = s.points.map(function (p) { return p.date; });
    var datasets = [
      { label: "Score", data: s.points.map(function (p) { return p.score; }),
        borderColor: BRAND, backgroundColor: BRAND, pointStyle: "rectRot", pointRadius: 6,
        borderWidth: 2 }
    ];
    if (s.target !== null) {
      datasets.push({
        label: "Meaningful improvement (" + (s.lower_is_better ? "at or below " : "at or above ") +
          s.target + ")",
        data: labels.map(function () { return s.target; }),
        borderColor: INK, backgroundColor: INK, borderDash: [3, 5], borderWidth: 1.5,
        pointRadius: 0, pointStyle: "line"
      });
    }
    var low = s.instrument === "zcq" ? 1 : 0;
    new window.Chart(canvas, {
      type: "line",
      data: { labels: labels, datasets: datasets },
      options: base(low, s.axis_max, s.label)
    });
  });
})();
