// Filter panels (<details data-open-wide>) start closed, so a phone shows the list first and
// the filters behind their "Filters" button (works without JavaScript). On a wide screen,
// where the panel sits beside the list, open them.
(function () {
  "use strict";
  function openOnWideScreens() {
    if (!window.matchMedia("(min-width: 901px)").matches) return;
    document.querySelectorAll("details[data-open-wide]").forEach(function (panel) { panel.open = true; });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", openOnWideScreens);
  else openOnWideScreens();
})();
