/* The 大屏 wall screen: every minute the figures, charts and lists are fetched again from
 * /wall/data.json and put in place without reloading the page; the full-screen button asks the browser. */
(function () {
  "use strict";
  var body = document.body;
  var source = body.getAttribute("data-wall-source");
  var every = parseInt(body.getAttribute("data-wall-every") || "60000", 10);
  var daysTemplate = (document.getElementById("wall-days") || {}).innerHTML || "%d";

  function daysText(n) { return daysTemplate.replace("0", String(n)); }

  function row(cells) {
    var tr = document.createElement("tr");
    cells.forEach(function (c, i) {
      var td = document.createElement("td");
      td.textContent = String(c);
      if (i > 0) { td.className = "n"; }
      tr.appendChild(td);
    });
    return tr;
  }

  function apply(data) {
    document.querySelectorAll("[data-wall]").forEach(function (el) {
      var key = el.getAttribute("data-wall");
      if (data[key] !== undefined) { el.textContent = String(data[key]); }
    });
    document.querySelectorAll("[data-wall-chart]").forEach(function (el) {
      var spec = data[el.getAttribute("data-wall-chart")];
      if (spec && window.jiaodongCharts) { window.jiaodongCharts.draw(el, spec); }
    });
    var list = document.querySelector("[data-wall-list]");
    if (list) {
      var ol = document.createElement("ol");
      data.oldest.forEach(function (w) {
        var li = document.createElement("li");
        var number = document.createElement("span"); number.textContent = w.number;
        var days = document.createElement("span"); days.className = "days"; days.textContent = daysText(w.days);
        var who = document.createElement("span"); who.className = "who"; who.textContent = w.court + " · " + w.stage;
        li.appendChild(number); li.appendChild(days); li.appendChild(who);
        ol.appendChild(li);
      });
      list.replaceChildren(ol);
      list.classList.toggle("moving", data.oldest.length > 6);
    }
    var cities = document.querySelector("[data-wall-cities]");
    if (cities) {
      cities.replaceChildren.apply(cities, data.cities.map(function (c) { return row([c.city, c.open, c.overdue]); }));
    }
    body.setAttribute("data-wall-refreshed", data.at);
  }

  function refresh() {
    fetch(source, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.json(); })
      .then(apply)
      .catch(function () { /* keep what is shown; try again at the next minute */ });
  }
  if (source) { setInterval(refresh, every); }

  var full = document.querySelector("[data-fullscreen]");
  if (full) {
    full.addEventListener("click", function () {
      if (document.fullscreenElement) { document.exitFullscreen(); } else { document.documentElement.requestFullscreen(); }
    });
  }
})();
