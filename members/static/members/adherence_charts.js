/* Adherence charts (dashboard and a member's page), drawn with the vendored Chart.js. Every chart
   has its table beside it; series differ by marker shape and line dash as well as by colour. */
(function () {
  "use strict";
  var source = document.getElementById("adherence-data");
  if (!source || typeof window.Chart === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var still = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  var BRAND = "#0f6e68", INK = "#1d2430";

  function options(yMax, yTitle, percent) {
    return {
      responsive: true,
      maintainAspectRatio: false,
      animation: still ? false : { duration: 300 },
      interaction: { mode: "index", intersect: false },
      plugins: {
        legend: { labels: { usePointStyle: true, boxHeight: 8 } },
        tooltip: { callbacks: { label: function (item) {
          var v = item.parsed.y;
          return item.dataset.label + ": " + (v === null ? "none" : v + (percent ? "%" : ""));
        } } }
      },
      scales: {
        y: { min: 0, max: yMax, title: { display: true, text: yTitle }, ticks: { precision: 0 } },
        x: { ticks: { maxRotation: 0, autoSkip: true, maxTicksLimit: 8 } }
      }
    };
  }

  var weeksCanvas = document.getElementById("weeks-chart");
  if (weeksCanvas && data.weeks.length) {
    var labels = data.weeks.map(function (w) { return w.week.slice(5); });
    new window.Chart(weeksCanvas, {
      type: "line",
      data: {
        labels: labels,
        datasets: [
          { label: "Adherence", data: data.weeks.map(function (w) { return w.adherence; }),
            borderColor: BRAND, backgroundColor: data.weeks.map(function (w) {
              return w.in_progress ? "#ffffff" : BRAND; }),
            pointStyle: "rect", pointRadius: 6, borderWidth: 2, spanGaps: true },
          { label: data.target + "% (adherent)", data: labels.map(function () { return data.target; }),
            borderColor: INK, backgroundColor: INK, borderDash: [4, 5], borderWidth: 1.5,
            pointRadius: 0, pointStyle: "line" }
        ]
      },
      options: options(100, "Adherence (%)", true)
    });
  }

  var bandsCanvas = document.getElementById("distribution-chart");
  if (bandsCanvas && data.distribution.length) {
    var counts = data.distribution.map(function (b) { return b.members; });
    new window.Chart(bandsCanvas, {
      type: "bar",
      data: {
        labels: data.distribution.map(function (b) { return b.band; }),
        datasets: [{ label: "Members", data: counts, backgroundColor: BRAND,
                     borderColor: INK, borderWidth: 1 }]
      },
      options: options(Math.max.apply(null, counts.concat([1])), "Members", false)
    });
  }
})();
