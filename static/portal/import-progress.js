// Polls an import's progress and reloads the page when the step is done. The page works without
// it (a native <progress> element and a note to refresh).
(function () {
  "use strict";
  var bar = document.getElementById("import-progress");
  var text = document.getElementById("import-progress-text");
  var status = document.getElementById("import-status");
  var url = bar && bar.getAttribute("data-poll");
  if (!url) { return; }
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (p) {
        bar.value = p.percent;
        bar.textContent = p.percent + "%";
        status.textContent = p.status_label;
        text.textContent = "已处理 " + p.processed + " / " + p.total + " 行";
        if (p.status === "previewed" || p.status === "applied" || p.status === "failed") {
          window.location.reload();
        } else {
          window.setTimeout(poll, 1000);
        }
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 500);
})();
