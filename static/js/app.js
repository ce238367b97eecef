// Small behaviours htmx does not cover. Each app adds its own file for larger pieces.
(function () {
  "use strict";
  // Close open <details> menus when clicking elsewhere or pressing Escape.
  document.addEventListener("click", function (event) {
    document.querySelectorAll("details.switcher[open], details.usermenu[open]").forEach(function (menu) {
      if (!menu.contains(event.target)) menu.removeAttribute("open");
    });
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      document.querySelectorAll("details[open]").forEach(function (menu) { menu.removeAttribute("open"); });
    }
  });
  // Helpers the page scripts share. base.html loads this file with `defer` in <head>: it runs
  // once the page is parsed, before the pages' deferred scripts (planning.js, live.js) and
  // after a page's plain <script> (board.js), so page scripts read window.AIHub when called.
  function csrfToken() {
    try { return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || ""; }
    catch (e) { return ""; }
  }
  function flash(text) {
    var box = document.getElementById("messages");
    if (!box) return;
    var note = document.createElement("div");
    note.className = "flash flash-error";
    note.setAttribute("role", "alert");
    note.textContent = text;
    box.appendChild(note);
  }
  window.AIHub = { csrfToken: csrfToken, flash: flash };

  // The Content-Security-Policy (aihub/security.py) allows no inline handlers or style
  // attributes, so templates say what they need in data-* attributes:
  //   <form data-confirm="Delete X?">   asks before submitting
  //   <select data-autosubmit>          submits its form when changed
  //   data-label-color="#hex"           sets --label (the label's colour) through the CSSOM
  //   data-percent="40"                 sets the width of a meter's bar
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);
  document.addEventListener("change", function (event) {
    var field = event.target;
    if (field.hasAttribute && field.hasAttribute("data-autosubmit") && field.form) field.form.requestSubmit();
  });
  function applyDataStyles(root) {
    if (!root || !root.querySelectorAll) return;
    var colored = Array.prototype.slice.call(root.querySelectorAll("[data-label-color]"));
    if (root.hasAttribute && root.hasAttribute("data-label-color")) colored.push(root);
    colored.forEach(function (el) { el.style.setProperty("--label", el.getAttribute("data-label-color")); });
    root.querySelectorAll("[data-percent]").forEach(function (el) {
      var percent = parseFloat(el.getAttribute("data-percent"));
      if (isFinite(percent)) el.style.width = Math.max(0, Math.min(100, percent)) + "%";
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", function () { applyDataStyles(document); });
  else applyDataStyles(document);
  // On a phone the project tabs are one row that scrolls sideways: bring the current tab into view.
  function showCurrentTab() {
    var tabs = document.querySelector(".project-tabs");
    var current = tabs && tabs.querySelector('[aria-current="page"]');
    if (current && tabs.scrollWidth > tabs.clientWidth) {
      tabs.scrollLeft = current.offsetLeft - tabs.offsetLeft - (tabs.clientWidth - current.offsetWidth) / 2;
    }
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", showCurrentTab);
  else showCurrentTab();
  document.addEventListener("htmx:load", function (event) { applyDataStyles(event.target); });

  // Show server errors from htmx requests instead of failing silently.
  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr.status;
    flash(status === 403 ? "Your role does not allow this change." :
      status === 409 ? "Someone else changed this meanwhile: reload to see their version." :
      "The server answered " + status + ". Nothing was saved.");
  });
})();
