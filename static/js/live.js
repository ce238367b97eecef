// Live updates: poll the project's revision (a 304 while nothing changed) and, when it
// moves, let htmx refetch what the page shows. No data travels in the poll: fragments come
// from the normal views, so permissions stay where they are.
(function () {
  "use strict";
  var box = document.getElementById("live");
  if (!box || box.dataset.started) return;
  box.dataset.started = "1";
  var pollUrl = box.dataset.pollUrl;
  var etag = box.dataset.etag || null;
  var interval = parseInt(box.dataset.interval, 10) || 2000;
  var refreshUrl = box.dataset.refreshUrl;
  var refreshTarget = box.dataset.refreshTarget;

  function held() {
    if (document.body.hasAttribute("data-live-hold")) return true;
    // Someone typing in the fragment we would replace: wait for them.
    var target = refreshTarget && document.querySelector(refreshTarget);
    var active = document.activeElement;
    return !!(target && active && target.contains(active) &&
      /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName));
  }

  function changed(revision) {
    document.body.dispatchEvent(new CustomEvent("aihub:live", { bubbles: true, detail: { revision: revision } }));
    if (refreshUrl && refreshTarget && document.querySelector(refreshTarget) && window.htmx) {
      window.htmx.ajax("GET", refreshUrl, { target: refreshTarget, swap: "outerHTML" });
    }
  }

  function poll() {
    var headers = { "Accept": "application/json" };
    if (etag) headers["If-None-Match"] = etag;
    fetch(pollUrl, { headers: headers, cache: "no-store", credentials: "same-origin" })
      .then(function (response) {
        if (response.status !== 200) return;  // 304: nothing new; errors: try again later
        var fresh = response.headers.get("ETag");
        if (!fresh || fresh === etag) return;
        if (held()) return;  // keep the old tag: the next poll reports the change again
        etag = fresh;
        changed(fresh);
      })
      .catch(function () { /* offline for a moment: the next poll retries */ })
      .then(function () { window.setTimeout(poll, interval); });
  }

  window.setTimeout(poll, interval);
})();
