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

  // The page refreshes its own fragment after its own write (a board move): until that
  // answer arrives the poll waits, then takes the revision the fragment was rendered at
  // (data-live-etag), so the same change is not fetched a second time.
  var awaiting = 0;
  function revisionOf(tag) {
    var match = /-(\d+)"?$/.exec(tag || "");
    return match ? parseInt(match[1], 10) : -1;
  }
  document.body.addEventListener("aihub:live", function (event) {
    if (event.detail && event.detail.revision) return;  // our own announcement
    if (document.querySelector("[data-live-etag]")) awaiting = Date.now();
  });
  document.addEventListener("htmx:load", function (event) {
    var element = event.target;
    var tagged = element.matches && element.matches("[data-live-etag]") ? element
      : element.querySelector && element.querySelector("[data-live-etag]");
    if (!tagged) return;
    awaiting = 0;
    var tag = tagged.getAttribute("data-live-etag");
    if (tag && revisionOf(tag) > revisionOf(etag)) { etag = tag; stale = false; }
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var element = event.detail && event.detail.elt;
    if (element && element.hasAttribute && element.hasAttribute("data-live-etag") && !event.detail.successful) {
      awaiting = 0;  // the refresh failed: the poll decides again
    }
  });

  function held() {
    if (document.body.hasAttribute("data-live-hold")) return true;
    if (awaiting && Date.now() - awaiting < 10000) return true;
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

  // While the server cannot reach its cache (Redis) it answers {"paused": true}: say so, and
  // refetch once it is back, since changes made meanwhile were not announced.
  var paused = false;
  var stale = !etag;  // rendered while paused: the first real revision refreshes the page

  function setPaused(on) {
    if (on === paused) return;
    paused = on;
    box.hidden = !on;
    box.className = on ? "flash flash-warning live-paused" : "";
    box.textContent = on ? "Live updates paused: changes by others appear when they resume, or when you reload." : "";
    if (on) stale = true;
  }

  function poll() {
    var headers = { "Accept": "application/json" };
    if (etag) headers["If-None-Match"] = etag;
    fetch(pollUrl, { headers: headers, cache: "no-store", credentials: "same-origin" })
      .then(function (response) {
        if (response.status === 304) {  // nothing new since our tag
          setPaused(false);
          if (stale && !held()) { stale = false; changed(etag); }
          return;
        }
        if (response.status !== 200) return;  // errors: try again later
        var fresh = response.headers.get("ETag");
        if (!fresh) {
          return response.json().then(function (body) { if (body && body.paused) setPaused(true); },
                                      function () { /* not JSON: try again later */ });
        }
        setPaused(false);
        if (fresh === etag && !stale) return;
        if (held()) return;  // keep the old tag: the next poll reports the change again
        etag = fresh;
        stale = false;
        changed(fresh);
      })
      .catch(function () { /* offline for a moment: the next poll retries */ })
      .then(function () { window.setTimeout(poll, interval); });
  }

  window.setTimeout(poll, interval);
})();
