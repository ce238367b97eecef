// Docs editor: insert an attachment's Markdown at the cursor. The live preview is htmx.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest(".insert-attachment");
    if (!button) return;
    var body = document.getElementById("id_body");
    if (!body) return;
    var snippet = button.getAttribute("data-markdown");
    var start = body.selectionStart || body.value.length;
    body.value = body.value.slice(0, start) + snippet + body.value.slice(body.selectionEnd || start);
    body.dispatchEvent(new Event("input", { bubbles: true }));
    body.focus();
  });
})();
