// 一屏观救助: draw each chart from the same figures the page prints in its table.
// Chart.js is vendored (static/vendor/chartjs); no inline script, so the CSP holds.
(function () {
  "use strict";
  var specs = JSON.parse(document.getElementById("chart-specs").textContent);
  var palette = ["#0d6efd", "#dc3545", "#fd7e14", "#6f42c1", "#198754", "#20c997", "#6c757d", "#0dcaf0", "#adb5bd"];
  Chart.defaults.font.family = '"Noto Sans CJK SC", "Microsoft YaHei", sans-serif';
  Chart.defaults.animation = false;

  function format(unit, value) {
    if (value === null || value === undefined) return "—";
    if (unit === "%") return value.toFixed(1) + "%";
    if (unit === "元") return value.toLocaleString("zh-CN", { minimumFractionDigits: 2, maximumFractionDigits: 2 }) + " 元";
    return value.toLocaleString("zh-CN") + " " + unit;
  }

  // A target that is the same for every bar (综合保障率 ≥ 85%, 个人负担率 ≤ 15%): a dashed rule across
  // the whole chart with its label, drawn even when the chart has a single bar.
  var targetLines = {
    id: "targetLines",
    afterDatasetsDraw: function (chart) {
      var targets = chart.options.plugins.targetLines && chart.options.plugins.targetLines.targets;
      if (!targets || !targets.length) return;
      var ctx = chart.ctx, area = chart.chartArea, scale = chart.scales.y;
      ctx.save();
      targets.forEach(function (t, i) {
        var y = scale.getPixelForValue(t.value);
        ctx.strokeStyle = i === 0 ? "#198754" : "#dc3545";
        ctx.fillStyle = ctx.strokeStyle;
        ctx.setLineDash([6, 4]);
        ctx.lineWidth = 1.5;
        ctx.beginPath(); ctx.moveTo(area.left, y); ctx.lineTo(area.right, y); ctx.stroke();
        ctx.setLineDash([]);
        // the label on a white box above its rule, so a bar behind it never hides it
        ctx.font = "12px " + Chart.defaults.font.family;
        ctx.textAlign = "right";
        ctx.textBaseline = "bottom";
        var w = ctx.measureText(t.label).width, x = area.right - 4, top = y - 18;
        ctx.fillStyle = "rgba(255,255,255,0.9)";
        ctx.fillRect(x - w - 4, top, w + 8, 16);
        ctx.fillStyle = ctx.strokeStyle;
        ctx.fillText(t.label, x, y - 3);
      });
      ctx.restore();
    },
  };

  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    var spec = specs[canvas.dataset.chart];
    if (!spec) return;
    var datasets = spec.datasets.map(function (d, i) {
      var color = d.type === "line" ? "#212529" : palette[i % palette.length];
      if (d.type === "line") {
        // a limit of each bar's own (the 目录外 limit of a hospital's level): a short rule across
        // that bar, drawn in front of the bars (order 0), never a slope from one hospital to the next
        return {
          type: "line", label: d.label, data: d.data, order: 0, showLine: false,
          backgroundColor: color, borderColor: color,
          pointStyle: "line", pointRadius: 22, pointHoverRadius: 24, pointBorderWidth: 3,
        };
      }
      return {
        type: d.type, label: d.label, data: d.data, order: 1,
        backgroundColor: color, borderColor: color, pointStyle: "rect", fill: false,
      };
    });
    var valueAxis = spec.horizontal ? "x" : "y";
    var scales = { x: { stacked: spec.stacked }, y: { stacked: spec.stacked } };
    scales[valueAxis].beginAtZero = true;
    if (spec.unit === "%" && spec.targets && spec.targets.length) {
      // leave room above the highest target for its label
      var top = Math.max.apply(null, spec.targets.map(function (t) { return t.value; }));
      scales[valueAxis].suggestedMax = Math.min(100, Math.ceil((top + 10) / 10) * 10);
    }
    scales[valueAxis].ticks = {
      precision: spec.unit === "人" || spec.unit === "件" ? 0 : undefined,
      callback: function (v) { return spec.unit === "%" ? v + "%" : v.toLocaleString("zh-CN"); },
    };
    new Chart(canvas, {
      type: "bar",
      data: { labels: spec.labels, datasets: datasets },
      plugins: [targetLines],
      options: {
        indexAxis: spec.horizontal ? "y" : "x",
        responsive: true, maintainAspectRatio: false,
        scales: scales,
        plugins: {
          legend: { position: "bottom", labels: { usePointStyle: true } },
          targetLines: { targets: spec.targets || [] },
          tooltip: { callbacks: { label: function (ctx) { return ctx.dataset.label + "：" + format(spec.unit, ctx.raw); } } },
        },
      },
    });
  });
})();
