/* Draws the reuse page's charts from the JSON embedded by the template (no network calls, no
   inline script: CSP-friendly). Chart.js is vendored in static/vendor/chartjs. */
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("reuse-charts").textContent);
  const suffix = data.simulated ? " (simulated)" : "";
  const colors = ["#2454c5", "#c5542f", "#1b7a3d", "#a86400"];
  const pct = (v) => (v === null || v === undefined ? null : Math.round(v * 10000) / 100);

  function draw(id, labels, datasets, yTitle) {
    const canvas = document.getElementById(id);
    if (!canvas || typeof Chart === "undefined" || !labels.length) return;
    canvas.chart = new Chart(canvas, {
      type: "line",
      data: { labels, datasets },
      options: {
        responsive: true,
        interaction: { mode: "index", intersect: false },
        plugins: { legend: { position: "bottom" } },
        scales: {
          x: { title: { display: true, text: "snapshot date" } },
          y: { title: { display: true, text: yTitle }, beginAtZero: true },
        },
      },
    });
  }

  const c = data.concentration || [];
  draw("reuse-concentration", c.map((r) => r.date), [
    { label: "top 0.01% share of downloads (%)" + suffix, data: c.map((r) => pct(r.top0_01pct_share)), borderColor: colors[0] },
    { label: "top 1% share of downloads (%)" + suffix, data: c.map((r) => pct(r.top1pct_share)), borderColor: colors[1] },
    { label: "Gini of downloads (x100)" + suffix, data: c.map((r) => pct(r.gini)), borderColor: colors[3] },
    { label: "independent authors' share (%)" + suffix, data: c.map((r) => pct(r.independent_share)), borderColor: colors[2] },
  ], "percent");
  const d = data.daily || [];
  draw("reuse-daily", d.map((r) => r.date), [
    { label: "daily downloads" + suffix, data: d.map((r) => r.daily_downloads), borderColor: colors[2] },
  ], "downloads a day");
})();
