/* The dataset page's episode visualizer (templates/curation/_visualizer.html).
 *
 * Reads its data from the json_script "visualizer-config" (the precomputed index of the version)
 * and from the episode endpoint (downsampled series). One time cursor, in seconds from the start
 * of the episode, is shared by every video, chart and image feature: playing the first video moves
 * it, clicking a chart seeks every video. For v3.0, where several episodes share one mp4, each
 * video plays only the episode's [from, to] segment of its file.
 * No inline script: the page's Content-Security-Policy forbids it.
 */
(function () {
  "use strict";

  const configNode = document.getElementById("visualizer-config");
  if (!configNode) return;
  const config = JSON.parse(configNode.textContent);
  const index = config.index || {};
  const episodes = index.episodes || [];
  const labels = index.flag_labels || {};
  const fps = index.fps || 0;
  const byId = new Map(episodes.map((e) => [e.episode, e]));
  const PALETTE = ["#2454c5", "#b3261e", "#1b7a3d", "#a86400", "#6a3fb5", "#00838f",
    "#c2185b", "#5d4037", "#7cb342", "#3949ab", "#f4511e", "#546e7a"];

  const state = {
    episode: config.selected,
    time: 0,
    duration: 0,
    charts: [],
    videos: [], // {el, from, to}
    images: [], // {canvas, sprite, meta}
    chunk: index.chunk_size || 100,
    sort: { key: "episode", dir: 1 },
    selected: new Set(),
  };

  const $ = (id) => document.getElementById(id);
  const el = (tag, attrs, text) => {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") node.className = v;
      else if (k === "dataset") Object.assign(node.dataset, v);
      else node.setAttribute(k, v);
    }
    if (text !== undefined) node.textContent = text;
    return node;
  };

  // --- flags ----------------------------------------------------------------------------------

  /** The episode's flags, with "short" following the chunk size chosen on the page. */
  function flagsOf(ep) {
    const flags = Object.assign({}, ep.flags || {});
    delete flags.short;
    if (ep.length < state.chunk) flags.short = ep.length + " frames < chunk size " + state.chunk;
    return flags;
  }

  function flagBadges(flags) {
    const box = document.createDocumentFragment();
    for (const [name, detail] of Object.entries(flags)) {
      const badge = el("span", { class: "vis-flag flag-" + name, title: detail }, labels[name] || name);
      badge.dataset.flag = name;
      box.appendChild(badge);
    }
    return box;
  }

  // --- time cursor ----------------------------------------------------------------------------

  function setCursor(t) {
    state.time = Math.max(0, Math.min(t, state.duration || t));
    $("vis-time").textContent = state.time.toFixed(2) + " s";
    $("vis-scrub").value = String(state.time);
    if (fps) $("vis-frame").textContent = "frame " + Math.min(Math.round(state.time * fps), Math.max(0, (byId.get(state.episode) || {}).length - 1));
    for (const chart of state.charts) {
      chart.$cursor = state.time;
      chart.draw();
    }
    for (const image of state.images) drawImage(image);
    const root = $("visualizer");
    if (root) root.dataset.cursor = state.time.toFixed(3);
  }

  /** Chart.js plugin: the shared cursor as a vertical line. */
  const cursorPlugin = {
    id: "visCursor",
    afterDatasetsDraw(chart) {
      if (chart.$cursor === undefined) return;
      const x = chart.scales.x.getPixelForValue(chart.$cursor);
      const { top, bottom } = chart.chartArea;
      const ctx = chart.ctx;
      ctx.save();
      ctx.strokeStyle = "#d00";
      ctx.lineWidth = 1.5;
      ctx.beginPath();
      ctx.moveTo(x, top);
      ctx.lineTo(x, bottom);
      ctx.stroke();
      ctx.restore();
    },
  };

  function seek(t) {
    for (const v of state.videos) {
      if (v.broken) continue;
      v.el.currentTime = v.from + Math.max(0, Math.min(t, v.to - v.from - 1e-3));
    }
    setCursor(t);
  }

  function master() {
    return state.videos.find((v) => !v.broken);
  }

  function tick() {
    const m = master();
    if (!m) return;
    let t = m.el.currentTime - m.from;
    if (m.el.currentTime >= m.to - 1e-3) {
      // The episode's segment ends here, even when the shared file goes on.
      for (const v of state.videos) v.el.pause();
      t = m.to - m.from;
    }
    for (const v of state.videos) {
      if (v === m || v.broken) continue;
      const target = v.from + t;
      if (Math.abs(v.el.currentTime - target) > 0.15) v.el.currentTime = target;
    }
    setCursor(t);
    if (!m.el.paused) requestAnimationFrame(tick);
  }

  /** Without a playable video (image features only), a clock moves the cursor. */
  function playClock() {
    if (state.clock) {
      state.clock = null;
      $("vis-play").textContent = "Play";
      return;
    }
    if (state.time >= state.duration) setCursor(0);
    const clock = { start: performance.now(), from: state.time };
    state.clock = clock;
    $("vis-play").textContent = "Pause";
    const step = (now) => {
      if (state.clock !== clock) return;
      const t = clock.from + (now - clock.start) / 1000;
      setCursor(Math.min(t, state.duration));
      if (t >= state.duration) {
        state.clock = null;
        $("vis-play").textContent = "Play";
      } else requestAnimationFrame(step);
    };
    requestAnimationFrame(step);
  }

  function play() {
    const m = master();
    if (!m) {
      playClock();
      return;
    }
    if (m.el.paused) {
      if (m.el.currentTime >= m.to - 2e-3) seek(0);
      for (const v of state.videos) if (!v.broken) v.el.play().catch(() => {});
    } else {
      for (const v of state.videos) v.el.pause();
    }
  }

  // --- episode view ---------------------------------------------------------------------------

  function videoUrl(path) {
    return config.urls.video + path.split("/").map(encodeURIComponent).join("/");
  }

  function buildVideos(ep) {
    const box = $("vis-cameras");
    box.textContent = "";
    state.videos = [];
    for (const camera of index.cameras || []) {
      if (camera.kind !== "video") continue;
      const seg = (ep.videos || {})[camera.key] || {};
      const figure = el("figure", { class: "vis-camera" });
      const caption = el("figcaption", {}, camera.key);
      if (seg.problem || !seg.path) {
        figure.appendChild(el("p", { class: "vis-problem" }, seg.problem || "no video for this camera"));
        figure.appendChild(caption);
        box.appendChild(figure);
        continue;
      }
      const video = el("video", { muted: "", playsinline: "", preload: "auto", "data-camera": camera.key });
      video.muted = true;
      const entry = { el: video, from: seg.from || 0, to: seg.to || 0, broken: false };
      video.addEventListener("loadedmetadata", () => {
        if (!entry.to || entry.to > video.duration + 0.05) entry.to = Math.min(entry.to || video.duration, video.duration);
        video.currentTime = entry.from + state.time;
      });
      video.addEventListener("error", () => {
        entry.broken = true;
        figure.insertBefore(el("p", { class: "vis-problem" }, "this video cannot be played: " + seg.path), video);
        video.hidden = true;
      });
      video.addEventListener("play", () => requestAnimationFrame(tick));
      video.addEventListener("pause", () => { if (master() === entry) $("vis-play").textContent = "Play"; });
      video.addEventListener("playing", () => { if (master() === entry) $("vis-play").textContent = "Pause"; });
      video.addEventListener("seeked", () => { if (master() === entry && video.paused) setCursor(video.currentTime - entry.from); });
      video.src = videoUrl(seg.path);
      figure.appendChild(video);
      caption.textContent = camera.key + (index.codebase_version && index.codebase_version.startsWith("v3")
        ? " · " + seg.from.toFixed(2) + "–" + seg.to.toFixed(2) + " s of " + seg.path.split("/").pop() : "");
      figure.appendChild(caption);
      box.appendChild(figure);
      state.videos.push(entry);
    }
    const hasImages = (index.cameras || []).some((c) => c.kind === "image");
    $("vis-play").disabled = state.videos.length === 0 && !hasImages;
  }

  function buildStrip(ep) {
    const strip = $("vis-strip");
    strip.textContent = "";
    for (const camera of index.cameras || []) {
      const row = el("div", { class: "vis-strip-row" });
      row.appendChild(el("span", { class: "vis-strip-label" }, camera.key));
      const frames = (ep.frames || {})[camera.key] || {};
      if (camera.kind === "video") {
        for (const which of ["first", "last"]) {
          if (frames[which]) {
            const img = el("img", { src: config.urls.asset + frames[which], alt: which + " frame of " + camera.key, loading: "lazy", class: "vis-thumb" });
            img.addEventListener("error", () => img.replaceWith(el("span", { class: "vis-problem" }, which + " frame unavailable")));
            row.appendChild(img);
          }
        }
        if (frames.problem) row.appendChild(el("span", { class: "vis-problem" }, frames.problem));
      } else {
        row.appendChild(el("span", { class: "muted", "data-strip-image": camera.key }, "(from the parquet images, below the charts)"));
      }
      strip.appendChild(row);
    }
    if (!(index.cameras || []).length) strip.appendChild(el("p", { class: "muted" }, "This dataset has no cameras."));
  }

  function drawImage(image) {
    const { canvas, sprite, meta } = image;
    if (!sprite || !sprite.complete || !sprite.naturalWidth || !meta.frames.length) return;
    const frame = Math.round(state.time * (fps || 1));
    let best = 0;
    for (let i = 0; i < meta.frames.length; i++) {
      if (Math.abs(meta.frames[i] - frame) < Math.abs(meta.frames[best] - frame)) best = i;
    }
    const ctx = canvas.getContext("2d");
    ctx.drawImage(sprite, (best % meta.cols) * meta.w, Math.floor(best / meta.cols) * meta.h, meta.w, meta.h, 0, 0, canvas.width, canvas.height);
    canvas.dataset.frame = meta.frames[best];
  }

  function buildImages(data) {
    state.images = [];
    const box = $("vis-cameras");
    for (const [key, meta] of Object.entries(data.images || {})) {
      const figure = el("figure", { class: "vis-camera" });
      if (meta.file) {
        const canvas = el("canvas", { width: meta.w, height: meta.h, "data-image-feature": key });
        const sprite = new Image();
        const image = { canvas, sprite, meta };
        sprite.addEventListener("load", () => drawImage(image));
        sprite.src = config.urls.asset + meta.file;
        figure.appendChild(canvas);
        state.images.push(image);
      }
      if (meta.problem) figure.appendChild(el("p", { class: "vis-problem" }, key + ": " + meta.problem));
      figure.appendChild(el("figcaption", {}, key + " (image feature, " + (meta.frames || []).length + " sampled frames)"));
      box.appendChild(figure);
    }
  }

  function buildCharts(data) {
    for (const chart of state.charts) chart.destroy();
    state.charts = [];
    const box = $("vis-charts");
    box.textContent = "";
    const t = data.t || [];
    const namesOf = new Map((index.features || []).map((f) => [f.name, f.names]));
    for (const [feature, dims] of Object.entries(data.series || {})) {
      const wrap = el("div", { class: "vis-chart", "data-feature": feature });
      wrap.appendChild(el("h3", {}, feature));
      const holder = el("div", { class: "vis-canvas" });
      const canvas = el("canvas", { role: "img", "aria-label": feature + " over time (s)" });
      holder.appendChild(canvas);
      wrap.appendChild(holder);
      box.appendChild(wrap);
      if (typeof Chart === "undefined") {
        wrap.appendChild(el("p", { class: "vis-problem" }, "Charts need static/vendor/chartjs (not loaded)."));
        continue;
      }
      const names = namesOf.get(feature) || dims.map((_, i) => feature + "[" + i + "]");
      const chart = new Chart(canvas, {
        type: "line",
        data: {
          datasets: dims.map((values, d) => ({
            label: names[d] || feature + "[" + d + "]",
            data: values.map((y, i) => ({ x: t[i], y })),
            borderColor: PALETTE[d % PALETTE.length],
            backgroundColor: PALETTE[d % PALETTE.length],
            borderWidth: 1.2,
            pointRadius: 0,
            spanGaps: false,
          })),
        },
        options: {
          animation: false,
          parsing: false,
          normalized: true,
          maintainAspectRatio: false,
          interaction: { mode: "index", axis: "x", intersect: false },
          plugins: {
            legend: { position: "bottom", labels: { boxWidth: 10 } },
            tooltip: { callbacks: { title: (items) => items.length ? "t = " + Number(items[0].parsed.x).toFixed(3) + " s" : "" } },
          },
          scales: {
            x: { type: "linear", min: 0, max: state.duration || undefined, title: { display: true, text: "time (s)" } },
            y: { title: { display: true, text: feature } },
          },
          onClick: (event, _elements, c) => {
            const x = c.scales.x.getValueForPixel(event.x);
            if (Number.isFinite(x)) seek(Math.max(0, x));
          },
        },
        plugins: [cursorPlugin],
      });
      chart.$cursor = state.time;
      state.charts.push(chart);
    }
    if (!Object.keys(data.series || {}).length) box.appendChild(el("p", { class: "muted" }, "This episode has no numeric features to chart."));
  }

  function showEpisode(id) {
    const ep = byId.get(id);
    if (!ep) return;
    state.episode = id;
    state.time = 0;
    state.clock = null;
    state.duration = fps ? ep.length / fps : ep.length;
    $("vis-scrub").max = String(state.duration);
    $("vis-scrub").step = String(fps ? 1 / fps : 1);
    $("episode-picker").value = String(id);
    $("episode-view").textContent = "Episode " + id;
    const summary = [ep.task || "(no task)", ep.length + " frames"];
    if (ep.duration !== null && ep.duration !== undefined) summary.push(ep.duration + " s");
    $("episode-summary").textContent = summary.join(" · ");
    const flags = $("episode-flags");
    flags.textContent = "";
    const f = flagsOf(ep);
    if (Object.keys(f).length) {
      flags.appendChild(flagBadges(f));
      const details = el("ul", { class: "vis-flag-details" });
      for (const [name, detail] of Object.entries(f)) details.appendChild(el("li", {}, (labels[name] || name) + ": " + detail));
      flags.appendChild(details);
    }
    for (const note of ep.validator || []) flags.appendChild(el("p", { class: "muted" }, "Validator " + note.severity + " " + note.code + ": " + note.message));
    for (const problem of ep.problems || []) flags.appendChild(el("p", { class: "vis-problem" }, problem));
    buildVideos(ep);
    buildStrip(ep);
    const url = new URL(window.location.href);
    url.searchParams.set("episode", id);
    window.history.replaceState(null, "", url);
    $("episode-status").textContent = "Loading the charts…";
    fetch(config.urls.episode + id + ".json", { credentials: "same-origin" })
      .then((r) => r.json().then((body) => ({ ok: r.ok, body })))
      .then(({ ok, body }) => {
        if (state.episode !== id) return;
        if (!ok) throw new Error(body.error || "no data");
        $("episode-status").textContent = "";
        buildImages(body);
        buildCharts(body);
        setCursor(0);
        $("visualizer").dataset.ready = String(id);
      })
      .catch((err) => {
        $("episode-status").textContent = "Charts unavailable: " + err.message;
        $("visualizer").dataset.ready = String(id);
      });
  }

  function buildPicker() {
    const picker = $("episode-picker");
    for (const ep of episodes) {
      const flags = Object.keys(flagsOf(ep)).map((f) => labels[f] || f);
      const text = "Episode " + ep.episode + " — " + (ep.task || "no task") + " — " + ep.length + " frames" + (flags.length ? " — ⚑ " + flags.join(", ") : "");
      picker.appendChild(el("option", { value: String(ep.episode) }, text));
    }
    picker.addEventListener("change", () => showEpisode(Number(picker.value)));
  }

  // --- dataset view: histogram, table, export -------------------------------------------------

  function buildHistogram() {
    const canvas = $("episode-histogram");
    const h = index.histogram || { edges: [], counts: [] };
    if (!canvas || typeof Chart === "undefined" || !h.counts.length) return;
    const bins = h.counts.map((c, i) => {
      const a = h.edges[i];
      const b = h.edges[i + 1] - 1;
      return a === b ? String(a) : a + "–" + b;
    });
    new Chart(canvas, {
      type: "bar",
      data: { labels: bins, datasets: [{ label: "episodes", data: h.counts, backgroundColor: "#2454c5", barPercentage: 1, categoryPercentage: 0.95 }] },
      options: {
        animation: false,
        maintainAspectRatio: false,
        plugins: { legend: { display: false }, tooltip: { callbacks: { title: (items) => items[0].label + " frames" } } },
        scales: { x: { title: { display: true, text: "episode length (frames)" } }, y: { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: "episodes" } } },
      },
    });
  }

  function filtered() {
    const flag = $("flag-filter").value;
    const task = $("task-filter").value;
    const min = $("length-min").value === "" ? -Infinity : Number($("length-min").value);
    const max = $("length-max").value === "" ? Infinity : Number($("length-max").value);
    return episodes.filter((ep) => {
      const names = Object.keys(flagsOf(ep));
      if (flag === "*" && !names.length) return false;
      if (flag === "-" && names.length) return false;
      if (flag && flag !== "*" && flag !== "-" && !names.includes(flag)) return false;
      if (task && ep.task !== task) return false;
      return ep.length >= min && ep.length <= max;
    });
  }

  function sortKey(ep, key) {
    if (key === "flags") return Object.keys(flagsOf(ep)).length;
    if (key === "idle") return (ep.idle_start || 0) + (ep.idle_end || 0);
    if (key === "task") return ep.task || "";
    return ep[key] === null || ep[key] === undefined ? -1 : ep[key];
  }

  function renderTable() {
    const rows = filtered();
    const { key, dir } = state.sort;
    rows.sort((a, b) => {
      const x = sortKey(a, key);
      const y = sortKey(b, key);
      return (x < y ? -1 : x > y ? 1 : a.episode - b.episode) * dir;
    });
    const body = document.querySelector("#episode-table tbody");
    const fragment = document.createDocumentFragment();
    for (const ep of rows) {
      const tr = el("tr", { "data-episode": ep.episode });
      if (ep.episode === state.episode) tr.className = "current";
      const box = el("input", { type: "checkbox", "aria-label": "select episode " + ep.episode });
      box.checked = state.selected.has(ep.episode);
      box.addEventListener("change", () => {
        if (box.checked) state.selected.add(ep.episode);
        else state.selected.delete(ep.episode);
        renderCommand();
      });
      const cell = el("td");
      cell.appendChild(box);
      tr.appendChild(cell);
      const link = el("a", { href: "?episode=" + ep.episode, "data-episode": ep.episode }, String(ep.episode));
      link.addEventListener("click", (event) => {
        event.preventDefault();
        showEpisode(ep.episode);
        document.getElementById("episode-view").scrollIntoView();
        renderTable();
      });
      const linkCell = el("td");
      linkCell.appendChild(link);
      tr.appendChild(linkCell);
      tr.appendChild(el("td", { class: "num" }, String(ep.length)));
      tr.appendChild(el("td", { class: "num" }, ep.duration === null || ep.duration === undefined ? "—" : String(ep.duration)));
      tr.appendChild(el("td", {}, ep.task || ""));
      const flagCell = el("td", { class: "flags" });
      flagCell.appendChild(flagBadges(flagsOf(ep)));
      tr.appendChild(flagCell);
      const idle = [];
      if (ep.idle_start) idle.push(ep.idle_start + " at start");
      if (ep.idle_end) idle.push(ep.idle_end + " at end");
      tr.appendChild(el("td", {}, idle.join(", ")));
      fragment.appendChild(tr);
    }
    body.textContent = "";
    body.appendChild(fragment);
    $("table-count").textContent = rows.length + " of " + episodes.length + " episodes shown";
    $("table-empty").hidden = rows.length > 0;
    for (const th of document.querySelectorAll("#episode-table th[data-sort]")) {
      if (th.dataset.sort === key) th.setAttribute("aria-sort", dir > 0 ? "ascending" : "descending");
      else th.removeAttribute("aria-sort");
    }
    return rows;
  }

  function shellQuote(text) {
    return /^[A-Za-z0-9_./:=@%+-]+$/.test(text) ? text : "'" + text.replace(/'/g, "'\\''") + "'";
  }

  function renderCommand() {
    const chosen = Array.from(state.selected).sort((a, b) => a - b);
    const out = $("delete-command");
    $("selected-count").textContent = chosen.length ? chosen.length + " episode(s) selected" : "";
    if (!chosen.length) {
      out.textContent = "Select episodes to get the command.";
      delete out.dataset.episodes;
      return;
    }
    if (chosen.length >= episodes.length) {
      out.textContent = "Every episode is selected: lerobot-edit-dataset refuses to delete all episodes.";
      delete out.dataset.episodes;
      return;
    }
    // The command itself is written server side (validators/lerobot_commands.py); the page
    // appends the selection exactly as delete_episodes_command() does.
    out.dataset.episodes = chosen.join(",");
    out.textContent =
      config.delete_prefix + " --operation.episode_indices=" + shellQuote("[" + chosen.join(", ") + "]");
  }

  function buildTable() {
    const flagFilter = $("flag-filter");
    const present = new Set();
    for (const ep of episodes) for (const name of Object.keys(ep.flags || {})) present.add(name);
    present.add("short");
    for (const name of Object.keys(labels)) {
      if (!present.has(name)) continue;
      flagFilter.appendChild(el("option", { value: name }, labels[name]));
    }
    const taskFilter = $("task-filter");
    for (const task of index.tasks || []) taskFilter.appendChild(el("option", { value: task }, task));
    $("chunk-size").value = state.chunk;
    for (const id of ["flag-filter", "task-filter", "length-min", "length-max"]) {
      $(id).addEventListener("input", renderTable);
      $(id).addEventListener("change", renderTable);
    }
    $("chunk-size").addEventListener("change", () => {
      const value = Number($("chunk-size").value);
      if (value > 0) state.chunk = value;
      renderTable();
      if (state.episode !== null && state.episode !== undefined) showEpisodeFlagsOnly();
    });
    $("episode-filters").addEventListener("submit", (event) => event.preventDefault());
    for (const th of document.querySelectorAll("#episode-table th[data-sort]")) {
      th.querySelector("button").addEventListener("click", () => {
        const key = th.dataset.sort;
        state.sort = { key, dir: state.sort.key === key ? -state.sort.dir : 1 };
        renderTable();
      });
    }
    $("select-shown").addEventListener("change", () => {
      for (const ep of filtered()) {
        if ($("select-shown").checked) state.selected.add(ep.episode);
        else state.selected.delete(ep.episode);
      }
      renderTable();
      renderCommand();
    });
    $("select-flagged").addEventListener("click", () => {
      for (const ep of filtered()) if (Object.keys(flagsOf(ep)).length) state.selected.add(ep.episode);
      renderTable();
      renderCommand();
    });
    $("select-none").addEventListener("click", () => {
      state.selected.clear();
      $("select-shown").checked = false;
      renderTable();
      renderCommand();
    });
    renderTable();
  }

  function showEpisodeFlagsOnly() {
    const ep = byId.get(state.episode);
    if (!ep) return;
    const flags = $("episode-flags");
    flags.textContent = "";
    flags.appendChild(flagBadges(flagsOf(ep)));
  }

  function start() {
    if (typeof Chart !== "undefined") Chart.defaults.font.size = 11;
    buildPicker();
    buildHistogram();
    buildTable();
    renderCommand();
    $("vis-play").addEventListener("click", play);
    $("vis-scrub").addEventListener("input", () => {
      for (const v of state.videos) v.el.pause();
      state.clock = null;
      seek(Number($("vis-scrub").value));
    });
    if (state.episode !== null && state.episode !== undefined && byId.has(state.episode)) showEpisode(state.episode);
    else $("episode-status").textContent = episodes.length ? "" : "This version has no episodes to show.";
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
