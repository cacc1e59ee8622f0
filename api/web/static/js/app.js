/* Small progressive enhancements for the pages; every form also works without this file.
 * - 案号 checked as it is typed (GET /web/check/case-number)
 * - the assisting court suggested from a district or address (GET /api/v1/courts/suggest)
 * - rows added to and removed from list fields (several flats, parties, per-asset results)
 * - the reveal dialog asking for the reason (POST /api/v1/delegations/{id}/reveal, logged)
 * - confirmations, printing, focus on error summaries
 * - the edges of a sideways-scrolling table marked where there is more
 * All texts come from data-* attributes rendered through the message catalogues. */
(function () {
  "use strict";

  var zh = (document.documentElement.lang || "").indexOf("zh") === 0;
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var csrf = csrfMeta ? csrfMeta.getAttribute("content") : "";

  function debounce(fn, ms) {
    var timer = null;
    return function () {
      var args = arguments, self = this;
      clearTimeout(timer);
      timer = setTimeout(function () { fn.apply(self, args); }, ms);
    };
  }

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(function (r) {
      if (!r.ok) { throw new Error(String(r.status)); }
      return r.json();
    });
  }

  /* ---------------------------------------------------------------- 案号 as you type */
  document.querySelectorAll("[data-check-case-number]").forEach(function (input) {
    var status = document.getElementById("case-number-status");
    var initial = status ? status.textContent : "";
    var okLabel = input.getAttribute("data-label-ok") || "{number}";
    var check = debounce(function () {
      var value = input.value.trim();
      if (!status) { return; }
      if (!value) {
        status.textContent = initial;
        status.classList.remove("ok", "bad");
        input.removeAttribute("aria-invalid");
        return;
      }
      getJSON(input.getAttribute("data-check-case-number") + "?value=" + encodeURIComponent(value)).then(function (data) {
        if (input.value.trim() !== value) { return; }
        if (data.ok) {
          status.textContent = okLabel.replace("{number}", data.canonical);
          status.classList.add("ok");
          status.classList.remove("bad");
          input.removeAttribute("aria-invalid");
        } else {
          status.textContent = (data.messages || []).join("；");
          status.classList.add("bad");
          status.classList.remove("ok");
          input.setAttribute("aria-invalid", "true");
        }
      }).catch(function () { /* the server checks again on saving */ });
    }, 350);
    input.addEventListener("input", check);
    if (input.value.trim()) { check(); }
  });

  /* ---------------------------------------------------------------- the assisting court from a place */
  var suggestBox = document.getElementById("court-suggestion");
  var courtSelect = document.getElementById("f-assisting_court");
  var placeInput = document.querySelector("[data-suggest-court]");
  if (suggestBox && courtSelect && placeInput) {
    var suggestUrl = placeInput.getAttribute("data-suggest-court");
    var suggest = debounce(function (text) {
      text = (text || "").trim();
      if (text.length < 2) { return; }
      getJSON(suggestUrl + "?place=" + encodeURIComponent(text)).then(function (data) {
        suggestBox.textContent = "";
        if (!data.court) {
          suggestBox.textContent = suggestBox.getAttribute("data-label-none");
          return;
        }
        var name = zh ? data.court.name : data.court.name_en;
        var option = courtSelect.querySelector('option[value="' + data.court.code + '"]');
        suggestBox.appendChild(document.createTextNode(suggestBox.getAttribute("data-label-suggest").replace("{court}", name) + " "));
        if (!option) { return; }
        if (!courtSelect.value) { courtSelect.value = data.court.code; }
        if (courtSelect.value !== data.court.code) {
          var use = document.createElement("button");
          use.type = "button";
          use.className = "btn tiny";
          use.textContent = suggestBox.getAttribute("data-label-use");
          use.addEventListener("click", function () {
            courtSelect.value = data.court.code;
            use.remove();
            courtSelect.focus();
          });
          suggestBox.appendChild(use);
        }
      }).catch(function () { /* no suggestion */ });
    }, 400);
    document.addEventListener("input", function (event) {
      var target = event.target;
      if (target && target.hasAttribute && target.hasAttribute("data-suggest-source")) { suggest(target.value); }
    });
  }

  /* ---------------------------------------------------------------- rows of list fields */
  function rowsOf(button) {
    var name = button.getAttribute("data-add-row");
    return document.getElementById(button.getAttribute("data-rows") || name + "-rows");
  }
  function refreshRemoveButtons(container) {
    var rows = container.querySelectorAll(":scope > [data-row]");
    rows.forEach(function (row) {
      var remove = row.querySelector(":scope > [data-remove-row]");
      if (remove) { remove.hidden = rows.length <= 1; }
    });
    /* rows without a remove button (the parties the policy requires) always stay */
  }
  document.querySelectorAll("[data-add-row]").forEach(function (button) {
    var container = rowsOf(button);
    var template = document.getElementById(button.getAttribute("data-add-row") + "-template");
    if (!container || !template) { return; }
    button.hidden = false;
    refreshRemoveButtons(container);
    button.addEventListener("click", function (event) {
      event.preventDefault();
      var next = Number(container.getAttribute("data-next") || 0);
      container.querySelectorAll("[name]").forEach(function (field) {
        var found = /\[(\d+)\]/.exec(field.getAttribute("name"));
        if (found) { next = Math.max(next, Number(found[1]) + 1); }
      });
      container.setAttribute("data-next", String(next + 1));
      var number = container.querySelectorAll(":scope > [data-row]").length + 1;
      var html = template.innerHTML.split("__INDEX__").join(String(next)).split("__NUMBER__").join(String(number));
      var holder = document.createElement("div");
      holder.innerHTML = html;
      var row = holder.firstElementChild;
      container.appendChild(row);
      refreshRemoveButtons(container);
      var first = row.querySelector("input, select, textarea");
      if (first) { first.focus(); }
    });
  });
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-remove-row]") : null;
    if (!button) { return; }
    var row = button.closest("[data-row]");
    var container = row ? row.parentElement : null;
    if (row && container && container.querySelectorAll(":scope > [data-row]").length > 1) {
      row.remove();
      refreshRemoveButtons(container);
    }
  });

  /* ---------------------------------------------------------------- reveal with a reason */
  var dialog = document.getElementById("reveal-dialog");
  if (dialog && typeof dialog.showModal === "function") {
    var reason = document.getElementById("reveal-reason");
    var errorBox = document.getElementById("reveal-error");
    var form = document.getElementById("reveal-dialog-form");
    var currentPath = null, currentDetails = null;
    /* A refused reason: the input is marked invalid and described by the message, which takes the focus. */
    var showError = function (text) {
      errorBox.textContent = text;
      errorBox.hidden = false;
      reason.setAttribute("aria-invalid", "true");
      reason.setAttribute("aria-describedby", "reveal-error");
      errorBox.focus();
    };
    var clearError = function () {
      errorBox.hidden = true;
      reason.removeAttribute("aria-invalid");
      reason.removeAttribute("aria-describedby");
    };
    document.querySelectorAll("details[data-reveal] > summary").forEach(function (summary) {
      summary.addEventListener("click", function (event) {
        event.preventDefault();
        currentDetails = summary.parentElement;
        currentPath = currentDetails.getAttribute("data-reveal");
        clearError();
        reason.value = "";
        dialog.showModal();
        reason.focus();
      });
    });
    reason.addEventListener("input", clearError);
    dialog.querySelectorAll("[data-close-dialog]").forEach(function (b) {
      b.addEventListener("click", function () { dialog.close(); });
    });
    dialog.addEventListener("close", function () {
      if (currentDetails) { currentDetails.querySelector("summary").focus(); }
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var id = dialog.getAttribute("data-delegation");
      fetch("/api/v1/delegations/" + id + "/reveal", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf, Accept: "application/json" },
        body: JSON.stringify({ field: currentPath, reason: reason.value })
      }).then(function (r) {
        return r.json().then(function (body) { return { ok: r.ok, body: body }; });
      }).then(function (result) {
        if (!result.ok) {
          var problem = result.body || {};
          var first = (problem.errors || [])[0];
          showError(first ? (zh ? first.message_zh : first.message_en) : (problem.title || dialog.getAttribute("data-label-error")));
          return;
        }
        var target = document.querySelector('[data-value-for="' + currentPath.replace(/"/g, "") + '"]');
        if (target) {
          target.textContent = String(result.body.value);
          target.classList.remove("masked");
          target.classList.add("revealed");
        }
        var details = currentDetails;
        currentDetails = null;
        dialog.close();
        if (details) { details.remove(); }
        if (target) { target.setAttribute("tabindex", "-1"); target.focus(); }
      }).catch(function () {
        showError(dialog.getAttribute("data-label-error"));
      });
    });
  }

  /* ---------------------------------------------------------------- the inbox badge, kept current
   * Every 30 s while the page is visible (and at once when it becomes visible again) the unread state is
   * asked for with If-None-Match: while nothing changed the answer is an empty 304. On the inbox page a
   * line offers to show what arrived. */
  var inboxLink = document.querySelector("[data-inbox-poll]");
  if (inboxLink && window.fetch) {
    var inboxTag = inboxLink.getAttribute("data-inbox-tag") || "";
    var countEl = inboxLink.querySelector("[data-inbox-count]");
    var labelEl = inboxLink.querySelector("[data-inbox-label]");
    var fresh = document.getElementById("inbox-fresh");
    var pollInbox = function () {
      if (document.visibilityState === "hidden") { return; }
      fetch(inboxLink.getAttribute("data-inbox-poll"), {
        credentials: "same-origin",
        cache: "no-store",
        headers: { Accept: "application/json", "If-None-Match": inboxTag }
      }).then(function (r) {
        if (r.status !== 200) { return null; }
        inboxTag = r.headers.get("ETag") || inboxTag;
        return r.json();
      }).then(function (state) {
        if (!state) { return; }
        countEl.textContent = String(state.unread);
        countEl.hidden = state.unread === 0;
        if (labelEl) { labelEl.textContent = labelEl.getAttribute("data-inbox-label").replace("{n}", String(state.unread)); }
        if (fresh && state.latest_id > Number(fresh.getAttribute("data-latest") || 0)) { fresh.hidden = false; }
      }).catch(function () { /* the next poll tries again */ });
    };
    setInterval(pollInbox, 30000);
    document.addEventListener("visibilitychange", pollInbox);
  }

  /* ---------------------------------------------------------------- confirmations, printing, focus */
  document.addEventListener("submit", function (event) {
    var submitter = event.submitter;
    var text = submitter && submitter.getAttribute ? submitter.getAttribute("data-confirm") : null;
    if (text && !window.confirm(text)) { event.preventDefault(); }
  });
  document.querySelectorAll("[data-print]").forEach(function (b) {
    b.addEventListener("click", function () { window.print(); });
  });
  /* a list's "tick all": the row boxes of the same batch form */
  document.querySelectorAll("[data-select-all]").forEach(function (all) {
    var boxes = function () {
      return document.querySelectorAll('input[type="checkbox"][form="' + all.getAttribute("data-select-all") + '"]');
    };
    all.addEventListener("change", function () {
      boxes().forEach(function (box) { box.checked = all.checked; });
    });
  });
  /* a table scrolling sideways: data-more="left right" names the edges with more beyond them (app.css fades
     them), so a column cut at the edge of a phone reads as "scroll for more"; while it scrolls, the box takes
     the keyboard focus (arrow keys scroll it), as a region named like its table */
  var scrollers = document.querySelectorAll(".table-scroll");
  function labelOf(box) {
    var table = box.querySelector("table");
    var named = table && table.getAttribute("aria-labelledby");
    if (named) { return named; }
    var section = box.closest("section[aria-labelledby]");
    return section ? section.getAttribute("aria-labelledby") : "";
  }
  function markEdges(box) {
    var more = [];
    if (box.scrollLeft > 1) { more.push("left"); }
    if (box.scrollLeft + box.clientWidth < box.scrollWidth - 1) { more.push("right"); }
    if (more.length) { box.setAttribute("data-more", more.join(" ")); } else { box.removeAttribute("data-more"); }
    var scrolls = box.scrollWidth > box.clientWidth + 1;
    if (scrolls && !box.hasAttribute("tabindex")) {
      box.setAttribute("tabindex", "0");
      box.setAttribute("data-scroll-focus", "");
      var label = labelOf(box);
      if (label) { box.setAttribute("role", "region"); box.setAttribute("aria-labelledby", label); }
    } else if (!scrolls && box.hasAttribute("data-scroll-focus")) {
      ["tabindex", "data-scroll-focus", "role", "aria-labelledby"].forEach(function (a) { box.removeAttribute(a); });
    }
  }
  var resized = window.ResizeObserver ? new ResizeObserver(function (entries) {
    entries.forEach(function (e) { markEdges(e.target.closest(".table-scroll")); });
  }) : null;
  scrollers.forEach(function (box) {
    markEdges(box);
    box.addEventListener("scroll", function () { markEdges(box); }, { passive: true });
    if (resized) {  // the box (a rotated phone) or its table (fonts, an opened row) changed size
      resized.observe(box);
      if (box.firstElementChild) { resized.observe(box.firstElementChild); }
    }
  });
  if (scrollers.length && !resized) {
    window.addEventListener("resize", debounce(function () { scrollers.forEach(markEdges); }, 100));
  }
  var focusMe = document.querySelector("[data-focus]");
  if (focusMe) { focusMe.focus(); }
})();
