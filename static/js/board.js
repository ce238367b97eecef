// The board: drag and drop with the vendored SortableJS, moves through the REST endpoint,
// refusals shown in the page (the card snaps back), admin override of finish checks, the
// "c" shortcut for a new ticket, and column scroll kept across live refreshes.
(function () {
  "use strict";

  function board() { return document.getElementById("board"); }
  // app.js (deferred in base.html) runs after this plain script: window.AIHub is read when called.
  function csrfToken() { return window.AIHub.csrfToken(); }
  function hold(on) {
    if (on) document.body.setAttribute("data-live-hold", "1");
    else document.body.removeAttribute("data-live-hold");
  }
  function refreshBoard() {
    document.body.dispatchEvent(new CustomEvent("aihub:live", { bubbles: true }));
  }

  function showAlert(messages) {
    var alert = document.getElementById("board-alert");
    if (!alert) return;
    alert.textContent = "";
    var list = document.createElement("ul");
    messages.forEach(function (text) {
      var item = document.createElement("li");
      item.textContent = text;
      list.appendChild(item);
    });
    alert.appendChild(list);
    alert.hidden = false;
  }
  function clearAlert() {
    var alert = document.getElementById("board-alert");
    if (alert) { alert.hidden = true; alert.textContent = ""; }
  }

  function snapBack(evt) {
    // Without the card, its old list is exactly as before the drag: put it back at its index.
    var item = evt.item;
    item.remove();
    evt.from.insertBefore(item, evt.from.children[evt.oldIndex] || null);
  }

  function errorMessages(status, body) {
    if (status === 403) return ["Your role does not allow moving cards."];
    if (status === 404) return ["This ticket no longer exists."];
    if (status === 409) {
      var who = body && body.changed_by ? body.changed_by : "Someone";
      var key = body && body.key ? body.key : "This ticket";
      return [who + " moved " + key + " meanwhile; the board shows where it is now. Nothing was saved."];
    }
    var messages = [];
    if (body && typeof body === "object") {
      Object.keys(body).forEach(function (field) {
        [].concat(body[field]).forEach(function (text) { messages.push(String(text)); });
      });
    }
    return messages.length ? messages : ["The move failed (" + status + "). Nothing was saved."];
  }

  function postMove(key, status, after, overrideReason, version) {
    var root = board();
    var url = root.dataset.moveUrl.replace("KEY-0", encodeURIComponent(key));
    var payload = { status: status, after: after };
    // The version the card was rendered at: a card someone else moved meanwhile answers 409.
    if (version) payload.version = parseInt(version, 10);
    if (overrideReason) payload.override_reason = overrideReason;
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify(payload),
    }).then(function (response) {
      return response.json().catch(function () { return null; }).then(function (body) {
        return { status: response.status, body: body };
      });
    });
  }

  function askOverride(reasons) {
    var dialog = document.getElementById("override-dialog");
    if (!dialog) return Promise.resolve(null);
    var list = document.getElementById("override-reasons");
    list.textContent = "";
    reasons.forEach(function (text) {
      var item = document.createElement("li");
      item.textContent = text;
      list.appendChild(item);
    });
    var field = document.getElementById("override-reason");
    field.value = "";
    return new Promise(function (resolve) {
      dialog.addEventListener("close", function onClose() {
        dialog.removeEventListener("close", onClose);
        resolve(dialog.returnValue === "override" && field.value.trim() ? field.value.trim() : null);
      });
      dialog.returnValue = "";
      dialog.showModal();
      field.focus();
    });
  }

  function onEnd(evt) {
    var item = evt.item;
    if (evt.from === evt.to && evt.oldIndex === evt.newIndex) { hold(false); return; }
    var previous = item.previousElementSibling;
    while (previous && !previous.classList.contains("board-card")) previous = previous.previousElementSibling;
    var key = item.dataset.key;
    var status = evt.to.dataset.status;
    var after = previous ? previous.dataset.key : null;
    var canAdmin = board().dataset.canAdmin === "true";
    item.classList.add("moving");
    clearAlert();

    function settle(result) {
      item.classList.remove("moving");
      if (result.status === 200) {
        if (result.body && result.body.version) item.dataset.version = result.body.version;
        hold(false);
        refreshBoard();  // counts and WIP flags follow at once
        return;
      }
      var reasons = (result.body && result.body.status) ? [].concat(result.body.status) : null;
      if (result.status === 400 && reasons && canAdmin && !(result.body.override_reason)) {
        return askOverride(reasons).then(function (reason) {
          if (!reason) { snapBack(evt); showAlert(reasons); hold(false); return; }
          return postMove(key, status, after, reason, item.dataset.version).then(function (second) {
            if (second.status !== 200) { snapBack(evt); showAlert(errorMessages(second.status, second.body)); }
            hold(false);
            refreshBoard();
          });
        });
      }
      snapBack(evt);
      showAlert(errorMessages(result.status, result.body));
      hold(false);
      refreshBoard();  // show the board as it is now (someone may have moved things)
    }

    postMove(key, status, after, "", item.dataset.version).then(settle, function () {
      item.classList.remove("moving");
      snapBack(evt);
      showAlert(["The server could not be reached. Nothing was saved."]);
      hold(false);
    });
  }

  function initSortable(root) {
    if (!root || root.dataset.canEdit !== "true" || !window.Sortable) return;
    root.querySelectorAll(".board-cards").forEach(function (list) {
      if (list.dataset.sortable) return;
      list.dataset.sortable = "1";
      window.Sortable.create(list, {
        group: "board",
        draggable: ".board-card",
        filter: ".board-more",
        animation: 120,
        ghostClass: "board-card-ghost",
        onStart: function () { hold(true); },
        onEnd: onEnd,
      });
    });
  }

  // Keyboard moves, for people who do not drag: on a focused card, Alt+Up/Down moves it
  // within its column, Alt+Left/Right to the top of the previous/next column.
  var refocusKey = null;
  function keyboardMove(card, key) {
    var from = card.parentElement;
    var lists = Array.prototype.slice.call(board().querySelectorAll(".board-cards"));
    var oldIndex = Array.prototype.indexOf.call(from.children, card);
    var to = from;
    if (key === "ArrowUp" || key === "ArrowDown") {
      var sibling = key === "ArrowUp" ? card.previousElementSibling : card.nextElementSibling;
      if (!sibling || !sibling.classList.contains("board-card")) return;
      from.insertBefore(card, key === "ArrowUp" ? sibling : sibling.nextElementSibling);
    } else {
      to = lists[lists.indexOf(from) + (key === "ArrowLeft" ? -1 : 1)];
      if (!to) return;
      to.insertBefore(card, to.firstElementChild);
    }
    refocusKey = card.dataset.key;
    card.focus();
    hold(true);
    onEnd({ item: card, from: from, to: to, oldIndex: oldIndex,
            newIndex: Array.prototype.indexOf.call(to.children, card) });
  }
  document.addEventListener("keydown", function (event) {
    var card = event.target.closest && event.target.closest(".board-editable .board-card");
    if (!card || !event.altKey || !/^Arrow(Up|Down|Left|Right)$/.test(event.key)) return;
    event.preventDefault();
    keyboardMove(card, event.key);
  });

  // Keep each column's scroll position across a live refresh of the whole board.
  var scrolls = {};
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.target && event.detail.target.id === "board") {
      scrolls = {};
      event.detail.target.querySelectorAll(".board-cards").forEach(function (list) {
        scrolls[list.dataset.status] = list.scrollTop;
      });
    }
  });
  document.addEventListener("htmx:configRequest", function (event) {
    // A refresh keeps as many cards per column as were loaded by scrolling.
    if (event.detail.elt && event.detail.elt.id === "board") {
      var shown = 0;
      event.detail.elt.querySelectorAll(".board-cards").forEach(function (list) {
        shown = Math.max(shown, list.querySelectorAll(".board-card").length);
      });
      if (shown) event.detail.parameters.shown = shown;
    }
  });
  document.addEventListener("htmx:beforeRequest", function (event) {
    // A refresh arriving in the middle of a drag waits for the drop.
    if (event.detail.elt && event.detail.elt.id === "board" && document.body.hasAttribute("data-live-hold")) {
      event.preventDefault();
    }
  });

  function afterLoad(element) {
    var root = board();
    if (!root) return;
    if (element === root || element.contains(root)) {
      root.querySelectorAll(".board-cards").forEach(function (list) {
        if (scrolls[list.dataset.status]) list.scrollTop = scrolls[list.dataset.status];
      });
    }
    initSortable(root);
    if (refocusKey) {
      var card = document.getElementById("ticket-" + refocusKey);
      if (card) card.focus();
    }
  }

  // The "new ticket" dialog: button, shortcut "c", Escape closes.
  function openQuickCreate() {
    var dialog = document.getElementById("quick-create-dialog");
    if (!dialog || dialog.open) return;
    dialog.showModal();
    var title = dialog.querySelector("input[name=title]");
    if (title) title.focus();
  }
  document.addEventListener("keydown", function (event) {
    if (event.key !== "c" || event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return;
    var target = event.target;
    if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
    if (document.querySelector("dialog[open]")) return;
    event.preventDefault();
    openQuickCreate();
  });
  document.addEventListener("click", function (event) {
    if (event.target.closest("#new-ticket-button")) openQuickCreate();
    var closer = event.target.closest("[data-close-dialog]");
    if (closer) closer.closest("dialog").close();
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    // After a ticket was created the dialog stays open for the next one, title focused.
    if (event.detail.target && event.detail.target.id === "quick-create") {
      var title = document.querySelector("#quick-create input[name=title]");
      if (title) title.focus();
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    if (window.htmx) window.htmx.onLoad(afterLoad);
    initSortable(board());
  });
})();
