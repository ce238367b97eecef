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

// New page: choosing a template loads its text into the editor at once (the htmx preview
// follows the editor's input event). Text the writer typed is replaced only on confirmation.
(function () {
  "use strict";
  var data = document.getElementById("doc-template-bodies");
  var select = document.getElementById("id_template");
  var body = document.getElementById("id_body");
  if (!data || !select || !body) return;
  var bodies = JSON.parse(data.textContent);
  var loaded = body.value;
  select.addEventListener("change", function () {
    var text = bodies[select.value] || "";
    var untouched = body.value.trim() === "" || body.value === loaded;
    if (!untouched && !window.confirm("Replace the text in the editor with this template?")) return;
    body.value = text;
    loaded = text;
    body.dispatchEvent(new Event("input", { bubbles: true }));
  });
})();
