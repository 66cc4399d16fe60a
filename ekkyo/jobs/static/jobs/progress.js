// Polls a job's status every second and updates the progress page; reloads
// once the job has finished so the page shows its result (or its retry button).
(function () {
  "use strict";
  var box = document.getElementById("job-progress");
  if (!box || box.dataset.finished === "1") return;
  var url = box.dataset.statusUrl;
  var leftLabel = box.dataset.leftLabel || "%(s)s";
  function show(s) {
    document.getElementById("job-status").textContent = s.status_label;
    document.getElementById("job-status").dataset.status = s.status;
    document.getElementById("job-bar").value = s.percent;
    document.getElementById("job-percent").textContent = s.percent + " %";
    document.getElementById("job-rows").textContent = s.rows_done + " / " + s.rows_total;
    document.getElementById("job-left").textContent =
      s.seconds_left === null ? "" : leftLabel.replace("%(s)s", s.seconds_left);
  }
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (s) {
        if (!s) { setTimeout(poll, 3000); return; }
        show(s);
        if (s.finished) { window.location.reload(); } else { setTimeout(poll, 1000); }
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 500);
})();
