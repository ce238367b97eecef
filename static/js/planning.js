// Planning pages: backlog drag-to-rank and multi-select, charts (burndown, velocity),
// and keeping open editors safe from live refreshes. Vendored libraries only.
(function () {
  "use strict";

  // window.AIHub comes from app.js, deferred in base.html before this deferred file.
  function csrfToken() { return window.AIHub.csrfToken(); }
  function flash(text) { window.AIHub.flash(text); }

  // --- Live refreshes never wipe what someone is doing ------------------------------
  // Checked when a refresh would start and again when its answer arrives (someone may have
  // started typing meanwhile); a refresh held back is done once the editor or draft is gone.
  function isLiveRefresh(detail) {
    var trigger = detail.requestConfig && detail.requestConfig.triggeringEvent;
    return !!trigger && (trigger.type === "aihub:live" || trigger.type === "ticket:changed");
  }
  function inUse(target) {
    if (!target || !target.querySelector) return false;
    var busy = target.querySelector("form.inplace-form") ||
      target.querySelector("input.row-select:checked") ||
      document.body.hasAttribute("data-live-hold");
    var typing = document.activeElement && target.contains(document.activeElement) &&
      /^(INPUT|TEXTAREA|SELECT)$/.test(document.activeElement.tagName) && document.activeElement.value;
    // A draft (a comment half written) counts even when focus moved to a button (a @mention pick).
    var draft = Array.prototype.some.call(target.querySelectorAll("textarea"), function (field) {
      return field.value && field.value !== field.defaultValue;
    });
    return !!(busy || typing || draft);
  }
  var heldBack = null;
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (!isLiveRefresh(event.detail)) return;
    if (inUse(event.detail.elt)) { heldBack = event.detail.elt; event.preventDefault(); }
  });
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (!isLiveRefresh(event.detail)) return;
    if (inUse(event.detail.target)) { heldBack = event.detail.target; event.detail.shouldSwap = false; }
  });
  document.addEventListener("htmx:afterSettle", function () {
    if (!heldBack || !document.body.contains(heldBack) || inUse(heldBack)) return;
    heldBack = null;
    document.body.dispatchEvent(new CustomEvent("aihub:live", { bubbles: true }));
  });

  // --- Backlog: drag to re-rank -------------------------------------------------------
  function initSortable(root) {
    var rows = (root || document).querySelector("#backlog-rows[data-sortable]");
    if (!rows || rows.dataset.sortableReady || !window.Sortable) return;
    rows.dataset.sortableReady = "1";
    window.Sortable.create(rows, {
      handle: ".drag-handle",
      draggable: "tr.backlog-row",
      animation: 120,
      onStart: function () { document.body.setAttribute("data-live-hold", "1"); },
      onEnd: function (event) {
        document.body.removeAttribute("data-live-hold");
        if (event.oldIndex === event.newIndex) return;
        var row = event.item;
        var prev = row.previousElementSibling;
        while (prev && !prev.classList.contains("backlog-row")) prev = prev.previousElementSibling;
        var next = row.nextElementSibling;
        while (next && !next.classList.contains("backlog-row")) next = next.nextElementSibling;
        // The same REST API and error shape as the board's move: 400 {"field": ["message"]}.
        var payload = prev ? { after: prev.dataset.key } : (next ? { before: next.dataset.key } : {});
        fetch(rows.dataset.rankUrl.replace("KEY-0", encodeURIComponent(row.dataset.key)), {
          method: "POST", credentials: "same-origin", body: JSON.stringify(payload),
          headers: { "X-CSRFToken": csrfToken(), "Content-Type": "application/json", "Accept": "application/json" }
        }).then(function (response) {
          if (response.ok) { row.setAttribute("data-ranked", "1"); return; }
          return response.json().catch(function () { return null; }).then(function (body) {
            var reasons = [];
            if (body && typeof body === "object") {
              Object.keys(body).forEach(function (field) {
                [].concat(body[field]).forEach(function (text) { reasons.push(String(text)); });
              });
            }
            flash("The new order was not saved (" + response.status + (reasons.length ? ": " + reasons.join(" ") : "") +
                  "). Reload to see the current order.");
          });
        }).catch(function () { flash("The new order was not saved: the server did not answer."); });
      }
    });
  }

  // --- Backlog: multi-select count ----------------------------------------------------
  document.addEventListener("change", function (event) {
    if (!event.target.classList || !event.target.classList.contains("row-select")) return;
    var count = document.querySelectorAll("input.row-select:checked").length;
    var counter = document.getElementById("selected-count");
    if (counter) counter.textContent = String(count);
  });

  // --- @mentions: suggest project members while typing "@na" in a comment ----------------
  var mentionBox = null;
  function closeMentions() { if (mentionBox) { mentionBox.remove(); mentionBox = null; } }
  document.addEventListener("input", function (event) {
    var field = event.target;
    var form = field.closest && field.closest("form[data-mentionable]");
    if (!form || field.tagName !== "TEXTAREA") return;
    closeMentions();
    var before = field.value.slice(0, field.selectionStart);
    var match = /(?:^|\s)@([\w.+-]*)$/.exec(before);
    if (!match) return;
    var typed = match[1].toLowerCase();
    var people = [];
    try { people = JSON.parse(form.dataset.mentionable); } catch (e) { return; }
    var found = people.filter(function (p) {
      return p.username.toLowerCase().indexOf(typed) === 0 || p.name.toLowerCase().indexOf(typed) === 0;
    }).slice(0, 6);
    if (!found.length) return;
    mentionBox = document.createElement("ul");
    mentionBox.className = "mention-suggestions";
    mentionBox.setAttribute("aria-label", "Mention suggestions");
    found.forEach(function (person) {
      var item = document.createElement("li");
      var pick = document.createElement("button");
      pick.type = "button";
      pick.className = "linklike";
      pick.textContent = "@" + person.username + " · " + person.name;
      pick.addEventListener("click", function () {
        var start = field.selectionStart - typed.length;
        field.value = field.value.slice(0, start) + person.username + " " + field.value.slice(field.selectionStart);
        field.focus();
        field.selectionStart = field.selectionEnd = start + person.username.length + 1;
        closeMentions();
      });
      item.appendChild(pick);
      mentionBox.appendChild(item);
    });
    field.insertAdjacentElement("afterend", mentionBox);
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    if (mentionBox) { closeMentions(); return; }
    // Escape in an in-place editor cancels it (the value shown again, nothing saved).
    var editor = event.target.closest && event.target.closest("form.inplace-form");
    var cancel = editor && editor.querySelector("[hx-get*='cancel=1']");
    if (cancel) { event.preventDefault(); cancel.click(); }
  });

  // --- Keyboard: "c" opens the new-ticket form ----------------------------------------
  document.addEventListener("keydown", function (event) {
    if (event.key !== "c" || event.ctrlKey || event.metaKey || event.altKey) return;
    if (/^(INPUT|TEXTAREA|SELECT)$/.test(document.activeElement.tagName) || document.activeElement.isContentEditable) return;
    var link = document.querySelector("a[data-shortcut='c']");
    if (link) { event.preventDefault(); window.location.href = link.href; }
  });

  // --- Charts ---------------------------------------------------------------------------
  function readJson(id) {
    var node = document.getElementById(id);
    if (!node) return null;
    try { return JSON.parse(node.textContent); } catch (e) { return null; }
  }

  function drawBurndown() {
    var canvas = document.getElementById("burndown-chart");
    var data = readJson("burndown-data");
    if (!canvas || !data || !window.Chart || canvas.dataset.drawn) return;
    canvas.dataset.drawn = "1";
    var actual = {};
    data.days.forEach(function (d) { actual[d.date] = d.remaining_points; });
    new window.Chart(canvas, {
      type: "line",
      data: {
        labels: data.ideal.map(function (d) { return d.date; }),
        datasets: [
          { label: "Remaining points", data: data.ideal.map(function (d) { return d.date in actual ? actual[d.date] : null; }),
            borderColor: "#4f46e5", backgroundColor: "rgba(79,70,229,.15)", fill: true, stepped: false, tension: 0, spanGaps: false },
          { label: "Ideal", data: data.ideal.map(function (d) { return d.remaining_points; }),
            borderColor: "#9ca3af", borderDash: [6, 4], pointRadius: 0, fill: false }
        ]
      },
      options: { animation: false, responsive: true, scales: { y: { beginAtZero: true, title: { display: true, text: "points" } } } }
    });
  }

  function drawVelocity() {
    var canvas = document.getElementById("velocity-chart");
    var data = readJson("velocity-data");
    if (!canvas || !data || !window.Chart || canvas.dataset.drawn) return;
    canvas.dataset.drawn = "1";
    new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: data.map(function (s) { return s.name; }),
        datasets: [
          { label: "Committed", data: data.map(function (s) { return s.committed_points; }), backgroundColor: "#c7d2fe" },
          { label: "Completed", data: data.map(function (s) { return s.completed_points; }), backgroundColor: "#4f46e5" }
        ]
      },
      options: { animation: false, responsive: true, scales: { y: { beginAtZero: true, title: { display: true, text: "points" } } } }
    });
  }

  function init(root) {
    initSortable(root);
    drawBurndown();
    drawVelocity();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", function () { init(); });
  else init();
  document.addEventListener("htmx:afterSettle", function () { init(); });
})();
