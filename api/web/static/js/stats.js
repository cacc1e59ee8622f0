/* Charts of the statistics page and the wall screen, drawn with Apache ECharts (vendored, /static/vendor).
 * Each chart's data comes from its element's data-chart attribute (JSON, rendered by the server beside the
 * table that holds the same figures), so the page works without this file and the CSP needs no inline script.
 * Chart kinds: bar and line (categories + series; "percent": values in %, "axis": 1 for a count axis on the
 * right) and sankey (links between cities). */
(function () {
  "use strict";
  if (!window.echarts) { return; }

  var palette = ["#1f3f73", "#1d7a3e", "#b3261e", "#8a5a00", "#6a3d9a", "#0b6e8a"];
  var paletteDark = ["#ff9b8f", "#7fb3ff", "#7ee0a0", "#ffd27a", "#d7b8ff", "#7fe0f0"];

  function optionOf(spec, dark) {
    var ink = dark ? "#e4ecf8" : "#1c2430";
    var grid = dark ? "#2c4a7a" : "#e9edf2";
    var base = {
      color: dark ? paletteDark : palette,
      textStyle: { color: ink, fontFamily: "WenQuanYi Micro Hei, Microsoft YaHei, sans-serif", fontSize: dark ? 16 : 12 },
      tooltip: { trigger: spec.kind === "sankey" ? "item" : "axis" },
      animation: !dark
    };
    if (spec.kind === "sankey") {
      base.series = [{
        type: "sankey", data: nodesOf(spec.links), links: spec.links, emphasis: { focus: "adjacency" },
        label: { color: ink, fontSize: dark ? 18 : 13 }, lineStyle: { color: "gradient", opacity: 0.45 },
        nodeGap: 14, left: 10, right: 120
      }];
      return base;
    }
    var twoAxes = spec.series.some(function (s) { return s.axis === 1; });
    base.legend = { top: 0, textStyle: { color: ink } };
    base.grid = { left: 50, right: twoAxes ? 50 : 20, top: 40, bottom: 50 };
    base.xAxis = { type: "category", data: spec.categories, axisLabel: { color: ink, interval: 0, rotate: spec.categories.length > 8 ? 30 : 0 } };
    base.yAxis = [{ type: "value", axisLabel: { color: ink, formatter: spec.percent ? "{value}%" : "{value}" }, splitLine: { lineStyle: { color: grid } }, max: spec.percent ? 100 : null }];
    // The count axis gets headroom, so its top value does not sit on the 100 % of the rate lines.
    if (twoAxes) {
      base.yAxis.push({ type: "value", axisLabel: { color: ink }, splitLine: { show: false }, minInterval: 1,
                        max: function (v) { return Math.max(1, Math.ceil(v.max * 1.5)); } });
    }
    if (!spec.percent) { base.yAxis[0].minInterval = 1; }  // counts: no 0.2, 0.4 ... ticks
    var symbols = ["circle", "diamond", "triangle", "rect", "roundRect", "pin"];
    var dashes = ["solid", "dashed", "dotted"];
    base.series = spec.series.map(function (s, i) {
      var percent = spec.percent && !s.axis;
      // Values written on the chart (not only in the tooltip): a bar's on top of it, a line's above each point
      // when there are few; "—" stays unlabelled (no data), so a 0 % bar is told apart from no figure.
      var labelled = spec.kind === "bar" || spec.categories.length <= 12;
      return { name: s.name, type: spec.kind, data: s.data, yAxisIndex: s.axis || 0, connectNulls: false, smooth: false,
               barMaxWidth: 28, symbol: symbols[i % symbols.length], symbolSize: 7 + 2 * (i % 2),
               lineStyle: { width: dark ? 4 : 2, type: dashes[i % dashes.length] },
               label: { show: labelled, position: "top", color: ink, fontSize: dark ? 14 : 11,
                        formatter: function (p) { return p.value == null ? "" : (percent ? p.value + "%" : String(p.value)); } },
               labelLayout: { hideOverlap: true } };
    });
    return base;
  }

  function nodesOf(links) {
    var seen = {}, nodes = [];
    links.forEach(function (l) {
      [l.source, l.target].forEach(function (n) { if (!seen[n]) { seen[n] = true; nodes.push({ name: n }); } });
    });
    return nodes;
  }

  var charts = [];
  function draw(el, spec) {
    var dark = document.body.classList.contains("wall");
    var chart = window.echarts.getInstanceByDom(el) || window.echarts.init(el, null, { renderer: "canvas" });
    chart.setOption(optionOf(spec, dark), true);
    if (charts.indexOf(chart) < 0) { charts.push(chart); }
    return chart;
  }

  document.querySelectorAll("[data-chart]").forEach(function (el) {
    try { draw(el, JSON.parse(el.getAttribute("data-chart"))); } catch (e) { /* the table beside it holds the figures */ }
  });
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
  window.addEventListener("beforeprint", function () { charts.forEach(function (c) { c.resize(); }); });

  window.jiaodongCharts = { draw: draw };
})();
