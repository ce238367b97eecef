// The roadmap's timeline scrolls sideways inside its card on narrow screens: start with
// today in view (a third from the left) rather than the first month.
(function () {
  "use strict";
  function showToday() {
    var scroller = document.querySelector(".roadmap-scroll[data-today-x]");
    if (!scroller || scroller.scrollWidth <= scroller.clientWidth) return;
    var x = parseFloat(scroller.getAttribute("data-today-x"));
    if (isFinite(x)) scroller.scrollLeft = Math.max(0, x - scroller.clientWidth / 3);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", showToday);
  else showToday();
})();
