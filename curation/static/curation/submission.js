// Submission page: resumable chunked uploads (folder or archive) and live pipeline progress.
// Speaks the API documented at /api/docs/: POST .../uploads/ then PATCH chunks with Upload-Offset.
(function () {
  "use strict";

  function csrfToken() {
    const match = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    if (match) return decodeURIComponent(match[1]);
    const input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  async function api(url, options) {
    const response = await fetch(url, Object.assign({ credentials: "same-origin" }, options));
    let body = null;
    try { body = await response.json(); } catch (e) { body = null; }
    return { response, body };
  }

  // --- uploads ------------------------------------------------------------------------------
  const startButton = document.getElementById("upload-start");
  const progressLabel = document.getElementById("upload-progress");
  const errorList = document.getElementById("upload-errors");

  function showError(text) {
    const li = document.createElement("li");
    li.textContent = text;
    errorList.appendChild(li);
  }

  // Remember tokens so that a reload after a broken connection resumes instead of restarting.
  function resumeKey(file, path) {
    return "upload:" + startButton.dataset.createUrl + ":" + path + ":" + file.size + ":" + file.lastModified;
  }

  async function uploadOne(file, kind, path, done, total) {
    const key = resumeKey(file, path);
    let token = localStorage.getItem(key);
    let offset = 0;
    if (token) {
      const { response, body } = await api("/api/curation/uploads/" + token + "/", { method: "GET" });
      if (response.ok && !body.completed_at) { offset = body.offset; } else { token = null; }
    }
    if (!token) {
      const { response, body } = await api(startButton.dataset.createUrl, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
        body: JSON.stringify({ kind: kind, path: path, size: file.size }),
      });
      if (!response.ok) throw new Error(path + ": " + ((body && (body.detail || JSON.stringify(body))) || response.status));
      token = body.token;
      if (body.completed_at) return;
      localStorage.setItem(key, token);
    }
    const chunk = parseInt(startButton.dataset.chunk, 10);
    let retries = 0;
    while (offset < file.size) {
      const piece = file.slice(offset, Math.min(file.size, offset + chunk));
      let result;
      try {
        result = await api("/api/curation/uploads/" + token + "/", {
          method: "PATCH",
          headers: { "Content-Type": "application/offset+octet-stream", "Upload-Offset": String(offset), "X-CSRFToken": csrfToken() },
          body: piece,
        });
      } catch (networkError) {
        // Broken connection: ask the server where to continue, then retry with a pause.
        if (++retries > 8) throw new Error(path + ": connection lost; reload the page to resume");
        await new Promise((r) => setTimeout(r, 500 * retries));
        const status = await api("/api/curation/uploads/" + token + "/", { method: "GET" });
        if (status.response.ok) offset = status.body.offset;
        continue;
      }
      if (result.response.status === 409 && result.body && result.body.offset !== undefined) {
        offset = result.body.offset; continue;
      }
      if (!result.response.ok) throw new Error(path + ": " + ((result.body && result.body.detail) || result.response.status));
      offset = result.body.offset;
      retries = 0;
      progressLabel.textContent = "file " + done + "/" + total + " · " + path + " · " + Math.round(100 * offset / Math.max(file.size, 1)) + "%";
    }
    localStorage.removeItem(key);
  }

  if (startButton) {
    startButton.addEventListener("click", async function () {
      errorList.innerHTML = "";
      const folder = Array.from(document.getElementById("folder-input").files || []);
      const archive = (document.getElementById("archive-input").files || [])[0];
      const jobs = [];
      if (archive) jobs.push({ file: archive, kind: "archive", path: archive.name });
      for (const file of folder) {
        // Drop the picked folder's own name: "my_dataset/meta/info.json" -> "meta/info.json".
        const rel = (file.webkitRelativePath || file.name).split("/").slice(1).join("/") || file.name;
        // Skip what the OS or git leaves in a folder; the server would refuse it anyway.
        if (/(^|\/)(\.DS_Store|Thumbs\.db)$|(^|\/)(__MACOSX|\.git|\.cache)\//.test(rel)) continue;
        jobs.push({ file: file, kind: "file", path: rel });
      }
      if (!jobs.length) { showError("Choose a folder or an archive first."); return; }
      startButton.disabled = true;
      let failed = 0;
      for (let i = 0; i < jobs.length; i++) {
        try { await uploadOne(jobs[i].file, jobs[i].kind, jobs[i].path, i + 1, jobs.length); }
        catch (e) { failed++; showError(e.message); }
      }
      progressLabel.textContent = failed ? failed + " of " + jobs.length + " failed" : "Uploaded " + jobs.length + " file(s).";
      if (!failed) window.location.reload();
      startButton.disabled = false;
    });
  }

  // --- live progress ---------------------------------------------------------------------------
  const section = document.getElementById("progress");
  const initial = JSON.parse(document.getElementById("status-json").textContent);
  if (section && !initial.finished) {
    const poll = async function () {
      try {
        const { response, body } = await api(section.dataset.statusUrl, { method: "GET" });
        if (response.ok) {
          document.getElementById("progress-step").textContent = body.step || "queued";
          document.getElementById("progress-percent").textContent = body.percent;
          document.getElementById("progress-bar").value = body.percent;
          if (body.finished) { window.location.reload(); return; }
        }
      } catch (e) { /* transient: try again */ }
      setTimeout(poll, 1000);
    };
    setTimeout(poll, 500);
  }
})();
