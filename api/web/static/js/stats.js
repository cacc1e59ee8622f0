/* Charts of the statistics page and the wall screen, drawn with Apache ECharts (vendored, /static/vendor).
 * Each chart's data comes from its element's data-chart attribute (JSON, rendered by the server beside the
 * table that holds the same figures), so the page works without this file and the CSP needs no inline script.
 * Chart kinds: bar and line (categories + series; "percent": values in %, "axis": 1 for a count axis on the
 * right) and sankey (links between cities). A chart narrower than NARROW px (a phone) keeps its legend on one
 * scrolling line under the plot instead of wrapping over it, and turns and thins out its category labels; it is
 * drawn again when a resize takes it across that width. */
(function () {
  "use strict";
  if (!window.echarts) { return; }

  var palette = ["#1f3f73", "#1d7a3e", "#b3261e", "#8a5a00", "#6a3d9a", "#0b6e8a"];
  var paletteDark = ["#ff9b8f", "#7fb3ff", "#7ee0a0", "#ffd27a", "#d7b8ff", "#7fe0f0"];
  var NARROW = 560;

  // The width of a category label in px, roughly: a Chinese character a full em, anything else 0.6 em.
  function labelWidth(text, size) {
    var w = 0;
    for (var i = 0; i < text.length; i++) { w += text.charCodeAt(i) > 255 ? size : 0.6 * size; }
    return w;
  }

  function optionOf(spec, dark, width) {
    var narrow = !dark && width > 0 && width < NARROW;
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
    var rotate = spec.categories.length > 8 ? 30 : 0;
    if (narrow) {
      // The category labels turn when side by side they would not fit their share of the plot's width.
      var longest = Math.max.apply(null, spec.categories.map(function (c) { return labelWidth(String(c), 11); }).concat([0]));
      rotate = longest + 6 > (width - 60) / Math.max(1, spec.categories.length) ? 45 : 0;
      var labelRoom = rotate ? Math.min(90, Math.ceil(longest * 0.72) + 12) : 22;
      // The legend under the plot on one line, paged by arrows, so it never covers the plot or its axes.
      base.legend = { type: "scroll", bottom: 0, left: 0, right: 0, itemGap: 8, itemWidth: 16, itemHeight: 10,
                      textStyle: { color: ink, fontSize: 11 },
                      pageTextStyle: { color: ink }, pageIconColor: "#1f3f73", pageIconInactiveColor: "#b8c2d0" };
      base.grid = { left: 42, right: twoAxes ? 34 : 12, top: 24, bottom: 30 + labelRoom };
    } else {
      base.legend = { top: 0, textStyle: { color: ink } };
      base.grid = { left: 50, right: twoAxes ? 50 : 20, top: 40, bottom: 50 };
    }
    // Narrow: ECharts leaves out the labels that would still overlap (the tooltip and the table beneath name
    // every category).
    base.xAxis = { type: "category", data: spec.categories,
                   axisLabel: { color: ink, interval: narrow ? "auto" : 0, hideOverlap: narrow,
                                rotate: rotate, fontSize: narrow ? 11 : 12 } };
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

  var charts = [];  // { chart, el, spec, narrow }
  function isNarrow(el) { return el.clientWidth > 0 && el.clientWidth < NARROW; }
  function draw(el, spec) {
    var dark = document.body.classList.contains("wall");
    var narrow = !dark && isNarrow(el);
    var chart = window.echarts.getInstanceByDom(el) || window.echarts.init(el, null, { renderer: "canvas" });
    chart.setOption(optionOf(spec, dark, el.clientWidth), true);
    var known = charts.filter(function (c) { return c.chart === chart; })[0];
    if (known) { known.spec = spec; known.narrow = narrow; } else { charts.push({ chart: chart, el: el, spec: spec, narrow: narrow }); }
    return chart;
  }
  function resizeAll() {
    charts.forEach(function (c) {
      c.chart.resize();
      if (!document.body.classList.contains("wall") && (c.narrow || isNarrow(c.el))) { draw(c.el, c.spec); }
    });
  }

  document.querySelectorAll("[data-chart]").forEach(function (el) {
    try { draw(el, JSON.parse(el.getAttribute("data-chart"))); } catch (e) { /* the table beside it holds the figures */ }
  });
  window.addEventListener("resize", resizeAll);
  window.addEventListener("beforeprint", resizeAll);

  window.jiaodongCharts = { draw: draw };
})();
