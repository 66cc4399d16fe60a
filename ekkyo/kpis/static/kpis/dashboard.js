// Draws each dashboard chart from the JSON next to it (json_script: no inline
// code, so the page keeps its Content Security Policy). Plotly is the
// "strict" build, which needs no eval. A chart marks itself data-drawn="1"
// once drawn, so tests and people can tell a failed chart from a slow one.
(function () {
  "use strict";

  function draw() {
    if (typeof Plotly === "undefined") { return; }
    document.querySelectorAll("figure.chart[data-chart]").forEach(function (el) {
      var data = el.querySelector("script[type='application/json']");
      if (!data) { return; }
      var spec = JSON.parse(data.textContent);
      var layout = Object.assign({
        margin: { t: 10, r: 10, b: 40, l: 50 },
        font: { family: "system-ui, 'Noto Sans CJK JP', sans-serif" },
        legend: { orientation: "h" },
      }, spec.layout || {});
      var holder = document.createElement("div");
      holder.className = "plot";
      el.appendChild(holder);
      Plotly.newPlot(holder, spec.data, layout, {
        displaylogo: false,
        responsive: true,
        topojsonURL: el.dataset.topojson,
        modeBarButtonsToRemove: ["sendDataToCloud"],
      }).then(function () { el.dataset.drawn = "1"; });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
