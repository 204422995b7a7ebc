// Small helps on forms, without inline script (the CSP holds):
//  - a "select all" box: <input type="checkbox" data-select-all="NAME-PREFIX"> ticks every checkbox
//    whose name starts with NAME-PREFIX, and shows itself half-ticked when only some are;
//  - a running total: checkboxes with data-amount="1234.50" inside [data-sum-scope] update the
//    element [data-sum-total] (count and amount) whenever one is ticked or unticked.
(function () {
  "use strict";
  function boxes(prefix, root) {
    return Array.prototype.filter.call(
      (root || document).querySelectorAll('input[type="checkbox"]'),
      function (b) { return b.name && b.name.indexOf(prefix) === 0 && !b.hasAttribute("data-select-all"); }
    );
  }
  document.querySelectorAll("input[data-select-all]").forEach(function (all) {
    var prefix = all.getAttribute("data-select-all");
    var form = all.form || document;
    function sync() {
      var list = boxes(prefix, form), ticked = list.filter(function (b) { return b.checked; }).length;
      all.checked = ticked === list.length && list.length > 0;
      all.indeterminate = ticked > 0 && ticked < list.length;
    }
    all.addEventListener("change", function () {
      var want = all.checked;
      boxes(prefix, form).forEach(function (b) {
        if (b.checked !== want) { b.checked = want; b.dispatchEvent(new Event("change", { bubbles: true })); }
      });
      sync();
    });
    boxes(prefix, form).forEach(function (b) { b.addEventListener("change", sync); });
    sync();
  });
  function fen(text) { var p = String(text).split("."); return parseInt(p[0], 10) * 100 + parseInt(((p[1] || "") + "00").slice(0, 2), 10); }
  function yuan(f) {
    var whole = Math.floor(f / 100).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return whole + "." + ("0" + (f % 100)).slice(-2);
  }
  document.querySelectorAll("[data-sum-scope]").forEach(function (scope) {
    var out = scope.querySelector("[data-sum-total]");
    var button = scope.querySelector("[data-sum-submit]");
    function update() {
      var n = 0, total = 0;
      scope.querySelectorAll("input[type=checkbox][data-amount]").forEach(function (b) {
        if (b.checked) { n += 1; total += fen(b.getAttribute("data-amount")); }
      });
      if (out) out.textContent = "已选 " + n + " 件，合计 " + yuan(total) + " 元";
      if (button) button.disabled = n === 0;
    }
    scope.addEventListener("change", update);
    update();
  });
})();
