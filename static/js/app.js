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
  // Helpers the page scripts share (they load after this file).
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

  // Show server errors from htmx requests instead of failing silently.
  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr.status;
    flash(status === 403 ? "Your role does not allow this change." :
      status === 409 ? "Someone else changed this meanwhile: reload to see their version." :
      "The server answered " + status + ". Nothing was saved.");
  });
})();
