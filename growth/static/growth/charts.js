/* Draws the growth page's charts from the JSON embedded by the template (no network calls).
   Chart.js is vendored in static/vendor/chartjs (see growth/README.md). */
(function () {
  "use strict";
  const charts = JSON.parse(document.getElementById("growth-charts").textContent);
  const meta = JSON.parse(document.getElementById("growth-meta").textContent);
  const suffix = meta.simulated ? " (simulated)" : "";
  const colors = ["#2454c5", "#c5542f", "#1b7a3d", "#a86400", "#7a3db8", "#0f8a8a", "#b3261e", "#5b6577"];

  function draw(id, config) {
    const canvas = document.getElementById(id);
    if (!canvas || typeof Chart === "undefined") return;
    config.options = Object.assign({ responsive: true, interaction: { mode: "index", intersect: false },
      plugins: { legend: { position: "bottom" } } }, config.options || {});
    canvas.chart = new Chart(canvas, config);
  }
  const pct = (v) => (v === null || v === undefined ? null : Math.round(v * 10000) / 100);

  const c = charts.creations || [];
  // The period holding the snapshot date is incomplete: say so on its label.
  const labels = c.map((r) => (r.partial ? r.period + " (partial, to " + r.until + ")" : r.period));
  draw("chart-creations", {
    data: { labels, datasets: [
      { type: "bar", label: "created" + suffix, data: c.map((r) => r.created), backgroundColor: c.map((r) => (r.partial ? colors[0] + "55" : colors[0])), yAxisID: "y" },
      { type: "line", label: "cumulative" + suffix, data: c.map((r) => r.cumulative), borderColor: colors[1], yAxisID: "y1", pointRadius: 0 },
    ] },
    options: { scales: { y: { beginAtZero: true, title: { display: true, text: "created" } },
      y1: { beginAtZero: true, position: "right", grid: { drawOnChartArea: false }, title: { display: true, text: "cumulative" } } } },
  });
  draw("chart-yoy", {
    type: "bar",
    data: { labels, datasets: [
      { label: "YoY, created (%)", data: c.map((r) => pct(r.yoy_created)), backgroundColor: colors[0] },
      { label: "YoY, cumulative (%)", data: c.map((r) => pct(r.yoy_cumulative)), backgroundColor: colors[1] },
    ] },
  });
  draw("chart-share", {
    type: "line",
    data: { labels, datasets: [
      { label: "share of created (%)", data: c.map((r) => pct(r.share_created)), borderColor: colors[0] },
      { label: "share of cumulative (%)", data: c.map((r) => pct(r.share_cumulative)), borderColor: colors[1] },
    ] },
    options: { scales: { y: { beginAtZero: true } } },
  });
  const ranks = charts.ranks || [];
  draw("chart-ranks", {
    type: "line",
    data: { labels: ranks.map((r) => r.year), datasets: [
      { label: "rank by repos created in the year", data: ranks.map((r) => r.rank_created), borderColor: colors[0] },
      { label: "rank by cumulative repos", data: ranks.map((r) => r.rank_cumulative), borderColor: colors[1] },
    ] },
    options: { scales: { y: { reverse: true, min: 1, title: { display: true, text: "rank (1 = largest)" } } } },
  });
  const subs = charts.subdomains || [];
  draw("chart-subdomains", {
    type: "line",
    data: { labels: subs.map((r) => r.period), datasets: meta.subdomains.map((key, i) => ({
      label: key + " share of " + meta.parent + " (%)", data: subs.map((r) => pct(r[key + "_share"])),
      borderColor: colors[i % colors.length] })) },
    options: { scales: { y: { min: 0, max: 100 } } },
  });
  const dl = charts.downloads || [];
  draw("chart-downloads", {
    data: { labels: dl.map((r) => r.date), datasets: [
      { type: "line", label: "daily downloads between snapshots" + suffix, data: dl.map((r) => r.daily_downloads), borderColor: colors[0], yAxisID: "y" },
      { type: "line", label: "30-day downloads (Hub)" + suffix, data: dl.map((r) => r.downloads_30d), borderColor: colors[1], yAxisID: "y1" },
    ] },
    options: { scales: { y: { beginAtZero: true, title: { display: true, text: "per day" } },
      y1: { beginAtZero: true, position: "right", grid: { drawOnChartArea: false }, title: { display: true, text: "30 days" } } } },
  });
})();
