// The inbox, live and by keyboard (loaded on /inbox and /inbox/c/{id} only). Everything works
// without it; it adds:
// 1. live updates: the list and the conversation re-read themselves when /inbox/events says
//    something changed (Server-Sent Events; EventSource reconnects with Last-Event-ID). The
//    conversation re-reads its thread on every change to it (an answer's delivery state, a like,
//    hide or delete, a note…) without touching what is being typed; the list re-reads itself on
//    new messages and changes, and on an answer's state only updates that row where it stands
//    (no reordering, nothing else moves); a tab that is leaving (a form sent) or that made the
//    change itself does not re-read it again;
// 2. presence: who else views or types in this conversation (POST /inbox/c/{id}/presence);
//    the reply box calls window.owleryInbox.typing() — any textarea in the conversation does;
// 3. the stale-reply check: window.owleryInbox.checkStale() → {state: "fresh"} or
//    {state: "stale", unseen: n} for the message the page last showed (seenMessageId());
// 4. keyboard triage (j/k, Enter, x, a, c, t, r, n, u, /, ? for the list of shortcuts);
// 5. bulk selection: the count, "select all", Shift-click for a range, the action's argument;
// 6. @mention suggestions in the note box.
(function () {
  "use strict";
  var hooks = document.getElementById("inbox-live");
  if (!hooks) return;
  var meta = document.querySelector('meta[name="csrf-token"]');
  var csrf = meta ? meta.getAttribute("content") : "";
  var presenceEl = document.getElementById("presence");
  var conversationId = presenceEl ? presenceEl.getAttribute("data-conversation-id") : null;
  var isList = !!document.querySelector(".inbox-main");
  var meId = (document.querySelector("[data-user-id]") || { getAttribute: function () { return ""; } }).getAttribute("data-user-id");
  function t(key) { return hooks.getAttribute("data-t-" + key) || ""; }

  function post(url, fields) {
    var body = new URLSearchParams();
    Object.keys(fields).forEach(function (k) {
      var v = fields[k];
      if (Array.isArray(v)) v.forEach(function (x) { body.append(k, x); });
      else body.append(k, v);
    });
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRF-Token": csrf, "Content-Type": "application/x-www-form-urlencoded" },
      body: body,
    });
  }

  function typingTarget(el) {
    if (!el || !el.tagName) return false;
    var tag = el.tagName.toLowerCase();
    return tag === "input" || tag === "textarea" || tag === "select" || el.isContentEditable;
  }

  // ---- re-reading a page in place -------------------------------------------------------------
  function fetchDoc() {
    return fetch(window.location.href, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) { return new DOMParser().parseFromString(html, "text/html"); });
  }
  function swap(selector, doc) {
    var mine = document.querySelector(selector);
    var theirs = doc.querySelector(selector);
    if (mine && theirs) mine.replaceWith(document.importNode(theirs, true));
    return !!(mine && theirs);
  }
  // This tab is leaving: a form was sent (the answer, a like, a status…) and the page it gets
  // back shows the change, so events arriving meanwhile are not re-read into the old page.
  var leaving = false;
  document.addEventListener("submit", function (e) {
    setTimeout(function () { if (!e.defaultPrevented) leaving = true; }, 0);
  });
  window.addEventListener("pageshow", function () { leaving = false; });
  // Changes this tab just made by script (the keyboard's assign and close), re-read by the tab
  // itself once the server answered: their echo from the stream is not applied a second time.
  var own = { ids: [], until: 0 };
  function ownEcho(data) {
    return !!meId && data.by === meId && Date.now() < own.until && own.ids.indexOf(data.conversation_id) >= 0;
  }
  var pending = null;
  function soon(fn) {
    if (pending) clearTimeout(pending);
    pending = setTimeout(function () { pending = null; fn(); }, 250);
  }
  function busy(container) {
    var a = document.activeElement;
    return !!(container && a && container.contains(a) && typingTarget(a));
  }

  function refreshList() {
    var main = document.querySelector(".inbox-main");
    if (busy(main)) { soon(refreshList); return; }
    var checked = selectedIds();
    var current = currentRow() ? currentRow().getAttribute("data-id") : null;
    fetchDoc().then(function (doc) {
      if (leaving) return;
      // Keyboard focus on a row stays on that row (the list is replaced under it).
      var a = document.activeElement;
      var focusedRow = a && a.closest ? a.closest(".inbox-main .inbox-row") : null;
      var focusedId = focusedRow ? focusedRow.getAttribute("data-id") : null;
      swap(".inbox-main", doc);
      swap(".inbox-views", doc);
      document.querySelectorAll(".inbox-select").forEach(function (box) {
        box.checked = checked.indexOf(box.value) >= 0;
      });
      if (current) {
        var row = document.querySelector('.inbox-row[data-id="' + current + '"]');
        if (row) setCurrent(rows().indexOf(row), false);
      }
      if (focusedId) {
        var link = document.querySelector('.inbox-row[data-id="' + focusedId + '"] .inbox-row-link');
        if (link) link.focus({ preventScroll: true });
      }
      wireBulk();
      updateCount();
      document.body.setAttribute("data-live-refreshed", String(Date.now()));
    }).catch(function () {});
  }

  // One row re-read where it stands (an answer's state changed the status or the preview): the
  // list does not reorder, and the selection, the current row and the focus stay.
  function refreshRow(id) {
    if (!document.querySelector('.inbox-row[data-id="' + id + '"]')) return;
    fetchDoc().then(function (doc) {
      var mine = document.querySelector('.inbox-row[data-id="' + id + '"]');
      var theirs = doc.querySelector('.inbox-row[data-id="' + id + '"]');
      if (!mine || !theirs) return;
      var box = mine.querySelector(".inbox-select");
      var checked = !!(box && box.checked);
      var focused = document.activeElement && mine.contains(document.activeElement);
      var fresh = document.importNode(theirs, true);
      fresh.className = mine.className.split(/\s+/).filter(function (c) {
        return c.indexOf("inbox-status-") !== 0;
      }).concat(theirs.className.split(/\s+/).filter(function (c) {
        return c.indexOf("inbox-status-") === 0;
      })).join(" ");
      mine.replaceWith(fresh);
      var freshBox = fresh.querySelector(".inbox-select");
      if (freshBox) freshBox.checked = checked;
      if (focused) {
        var link = fresh.querySelector(".inbox-row-link");
        if (link) link.focus({ preventScroll: true });
      }
      updateCount();
      document.body.setAttribute("data-live-refreshed", String(Date.now()));
    }).catch(function () {});
  }

  function seenId() { return presenceEl ? presenceEl.getAttribute("data-seen-message-id") || "" : ""; }

  function refreshConversation() {
    // A note being typed in the thread (the reason for rejecting an answer): wait for it.
    if (busy(document.querySelector(".inbox-thread > ol.thread"))) { soon(refreshConversation); return; }
    var before = seenId();
    fetchDoc().then(function (doc) {
      if (leaving) return;
      // An abusive message someone chose to read stays open.
      var opened = Array.prototype.slice.call(document.querySelectorAll(".inbox-thread li.msg[id] details[open]"))
        .map(function (d) { return d.closest("li.msg").id; });
      swap(".inbox-thread > ol.thread", doc);
      opened.forEach(function (id) {
        var li = document.getElementById(id);
        var d = li ? li.querySelector("details") : null;
        if (d) d.open = true;
      });
      swap(".inbox-thread .card-head", doc);
      swap(".page-actions .sla", doc);
      var notes = document.querySelector(".inbox-notes");
      var noteBox = document.getElementById("note-text");
      if (notes && noteBox && (noteBox.value || busy(notes))) {
        var list = doc.querySelector(".inbox-notes-list, .inbox-notes-none");
        var mine = notes.querySelector(".inbox-notes-list, .inbox-notes-none");
        if (list && mine) mine.replaceWith(document.importNode(list, true));
      } else {
        swap(".inbox-notes", doc);
        wireMentions();
      }
      if (!busy(document.querySelector(".inbox-controls"))) swap(".inbox-controls", doc);
      swap(".inbox-contact-card", doc);
      var fresh = doc.getElementById("presence");
      var after = fresh ? fresh.getAttribute("data-seen-message-id") || "" : before;
      if (presenceEl) presenceEl.setAttribute("data-seen-message-id", after);
      if (after !== before && contactWroteAfter(doc, before)) warnIfWriting();
      document.body.setAttribute("data-live-refreshed", String(Date.now()));
    }).catch(function () {});
  }

  // Whether the thread read in `doc` has a message from the contact after message `seen` (a new
  // answer from a colleague, or an automatic one, is not the contact writing again).
  function contactWroteAfter(doc, seen) {
    var items = Array.prototype.slice.call(doc.querySelectorAll(".inbox-thread > ol.thread > li.msg"));
    var from = 0;
    for (var i = 0; i < items.length; i++) if (items[i].id === "m-" + seen) from = i + 1;
    return items.slice(from).some(function (li) { return !li.classList.contains("msg-out"); });
  }

  // A reply being written when the contact writes again: say so beside it.
  function warnIfWriting() {
    document.querySelectorAll(".inbox-thread textarea:not(#note-text)").forEach(function (box) {
      if (!box.value) return;
      var form = box.form || box.parentNode;
      if (form.querySelector(".inbox-stale")) return;
      var p = document.createElement("p");
      p.className = "inbox-stale callout callout-warning";
      p.setAttribute("role", "alert");
      p.textContent = t("stale");
      form.insertBefore(p, form.firstChild);
    });
  }

  // ---- the event stream -------------------------------------------------------------------------
  if (window.EventSource) {
    var source = new EventSource("/inbox/events");
    source.addEventListener("conversation", function (e) {
      var data;
      try { data = JSON.parse(e.data); } catch (err) { return; }
      if (leaving || ownEcho(data)) return;
      if (isList) {
        // A like, hide or delete shows in the conversation only; an answer's state changes one
        // row (its status, its preview) but need not move it.
        if (data.change === "action") return;
        if (data.change === "reply") refreshRow(data.conversation_id);
        else soon(refreshList);
      } else if (data.conversation_id === conversationId) soon(refreshConversation);
    });
    source.addEventListener("resync", function () {
      if (leaving) return;
      if (isList) soon(refreshList);
      else if (conversationId) soon(refreshConversation);
    });
    source.addEventListener("presence", function (e) {
      var data;
      try { data = JSON.parse(e.data); } catch (err) { return; }
      if (data.conversation_id === conversationId) sawPresence(data);
    });
    source.addEventListener("open", function () {
      document.body.setAttribute("data-live", "open");
      // Announce ourselves once we can hear the answers: others answer a newcomer's first ping
      // with theirs, and presence is not replayed, so a ping sent before the stream is open could
      // leave us not seeing them until their next ping (20 s).
      if (conversationId) ping(lastTyping > Date.now() - 4000 ? "typing" : "viewing");
    });
    window.addEventListener("pagehide", function () { source.close(); });
  }

  // ---- presence -----------------------------------------------------------------------------------
  var others = {}; // user id -> {name, state, until}
  var lastAnswer = 0;
  function sawPresence(d) {
    if (d.user_id === meId) return;
    // Someone new: say that we are here too, so they need not wait for our next ping.
    if (!others[d.user_id] && d.state !== "left" && Date.now() - lastAnswer > 3000) {
      lastAnswer = Date.now();
      ping(lastTyping > Date.now() - 4000 ? "typing" : "viewing");
    }
    if (d.state === "left") delete others[d.user_id];
    else others[d.user_id] = { name: d.name, state: d.state, until: Date.now() + (d.state === "typing" ? 8000 : 50000) };
    renderPresence();
  }
  function initials(name) {
    return name.split(/\s+/).filter(Boolean).slice(0, 2).map(function (w) { return w.charAt(0).toUpperCase(); }).join("");
  }
  function renderPresence() {
    if (!presenceEl) return;
    var now = Date.now();
    presenceEl.textContent = "";
    Object.keys(others).forEach(function (id) {
      var o = others[id];
      if (o.until < now) {
        if (o.state === "typing") { o.state = "viewing"; o.until = now + 42000; } else { delete others[id]; return; }
      }
      var item = document.createElement("span");
      item.className = "presence-item presence-" + o.state;
      var avatar = document.createElement("span");
      avatar.className = "avatar avatar-small";
      avatar.setAttribute("aria-hidden", "true");
      avatar.textContent = initials(o.name);
      var label = document.createElement("span");
      label.className = "presence-label";
      label.textContent = o.name + " · " + (o.state === "typing" ? t("typing") : t("viewing"));
      item.appendChild(avatar);
      item.appendChild(label);
      presenceEl.appendChild(item);
    });
  }
  var lastTyping = 0;
  function ping(state) {
    if (!conversationId) return Promise.resolve();
    return post("/inbox/c/" + conversationId + "/presence", { state: state }).catch(function () {});
  }
  if (conversationId) {
    if (!window.EventSource) ping("viewing");
    setInterval(function () { ping(lastTyping > Date.now() - 4000 ? "typing" : "viewing"); }, 20000);
    setInterval(renderPresence, 2000);
    window.addEventListener("pagehide", function () {
      if (navigator.sendBeacon) {
        navigator.sendBeacon("/inbox/c/" + conversationId + "/presence", new URLSearchParams({ state: "left", csrf_token: csrf }));
      }
    });
    document.addEventListener("input", function (e) {
      if (!e.target || e.target.tagName !== "TEXTAREA") return;
      if (Date.now() - lastTyping > 3000) ping("typing");
      lastTyping = Date.now();
    });
  }

  window.owleryInbox = {
    /** Tell the others that this person is typing (throttled to one ping every 3 s). */
    typing: function () {
      if (Date.now() - lastTyping > 3000) ping("typing");
      lastTyping = Date.now();
    },
    /** The id of the latest message this page shows (for `seen_message_id`). */
    seenMessageId: seenId,
    /** Whether the contact wrote after that message: {state: "fresh"} or {state: "stale", unseen}. */
    checkStale: function () {
      if (!conversationId) return Promise.resolve({ state: "fresh" });
      return fetch("/inbox/c/" + conversationId + "/stale?seen_message_id=" + encodeURIComponent(seenId()), { credentials: "same-origin" })
        .then(function (r) { return r.json(); });
    },
  };

  // ---- bulk selection -------------------------------------------------------------------------------
  function rows() { return Array.prototype.slice.call(document.querySelectorAll(".inbox-main .inbox-row")); }
  function selectedIds() {
    return Array.prototype.slice.call(document.querySelectorAll(".inbox-select:checked")).map(function (b) { return b.value; });
  }
  function updateCount() {
    var n = selectedIds().length;
    var out = document.getElementById("inbox-selected-count");
    if (out) out.textContent = String(n);
    var all = document.getElementById("inbox-select-all");
    var boxes = document.querySelectorAll(".inbox-select");
    if (all) all.checked = boxes.length > 0 && n === boxes.length;
    rows().forEach(function (r) {
      var box = r.querySelector(".inbox-select");
      r.classList.toggle("is-selected", !!(box && box.checked));
    });
  }
  var lastClicked = null;
  function wireBulk() {
    var form = document.getElementById("inbox-bulk");
    if (!form || form.getAttribute("data-wired")) return;
    form.setAttribute("data-wired", "1");
    var action = document.getElementById("bulk-action");
    function showArg() {
      form.querySelectorAll(".inbox-bulk-arg").forEach(function (a) {
        a.hidden = a.getAttribute("data-for") !== action.value;
      });
    }
    action.addEventListener("change", showArg);
    showArg();
    var all = document.getElementById("inbox-select-all");
    if (all) all.addEventListener("change", function () {
      document.querySelectorAll(".inbox-select").forEach(function (b) { b.checked = all.checked; });
      updateCount();
    });
    form.addEventListener("submit", function (e) {
      if (selectedIds().length === 0) {
        e.preventDefault();
        flash(t("none"));
      }
    });
  }
  document.addEventListener("click", function (e) {
    var box = e.target;
    if (!box.classList || !box.classList.contains("inbox-select")) return;
    var list = Array.prototype.slice.call(document.querySelectorAll(".inbox-select"));
    if (e.shiftKey && lastClicked && list.indexOf(lastClicked) >= 0) {
      var a = list.indexOf(lastClicked), b = list.indexOf(box);
      list.slice(Math.min(a, b), Math.max(a, b) + 1).forEach(function (x) { x.checked = box.checked; });
    }
    lastClicked = box;
    updateCount();
  });
  wireBulk();
  updateCount();

  function flash(text) {
    var region = document.querySelector(".flash-region");
    if (!region) return;
    region.textContent = "";
    var p = document.createElement("p");
    p.className = "flash flash-info";
    p.textContent = text;
    region.appendChild(p);
  }

  // ---- keyboard -----------------------------------------------------------------------------------------
  var current = -1;
  function currentRow() { return current >= 0 ? rows()[current] || null : null; }
  function setCurrent(i, focus) {
    var all = rows();
    if (all.length === 0) return;
    current = Math.max(0, Math.min(all.length - 1, i));
    all.forEach(function (r, j) { r.classList.toggle("is-current", j === current); });
    var link = all[current].querySelector(".inbox-row-link");
    if (link && focus !== false) {
      link.focus();
      all[current].scrollIntoView({ block: "nearest" });
    }
  }
  document.addEventListener("focusin", function (e) {
    var row = e.target.closest ? e.target.closest(".inbox-main .inbox-row") : null;
    if (row) {
      current = rows().indexOf(row);
      rows().forEach(function (r, j) { r.classList.toggle("is-current", j === current); });
    }
  });
  function targets() {
    var ids = selectedIds();
    if (ids.length === 0 && currentRow()) ids = [currentRow().getAttribute("data-id")];
    return ids;
  }
  function act(ids, fields) {
    if (ids.length === 0) { flash(t("none")); return; }
    fields.ids = ids;
    own = { ids: ids.slice(), until: Date.now() + 5000 };
    post("/inbox/bulk", fields).then(function (r) {
      if (!r.ok) return r.json().then(function (b) { flash((b.error && b.error.message) || String(r.status)); });
      return r.json().then(function () {
        if (isList) refreshList();
        else { leaving = true; window.location.reload(); }
      });
    }).catch(function () {});
  }
  var dialog = document.getElementById("inbox-shortcuts");
  function openHelp() {
    if (!dialog) return;
    if (dialog.showModal) dialog.showModal(); else dialog.setAttribute("open", "");
    var close = dialog.querySelector("[data-shortcuts-close]");
    if (close) close.focus();
  }
  function closeHelp() {
    if (!dialog) return;
    if (dialog.close) dialog.close(); else dialog.removeAttribute("open");
  }
  document.addEventListener("click", function (e) {
    if (e.target.closest && e.target.closest("[data-shortcuts-open]")) openHelp();
    if (e.target.closest && e.target.closest("[data-shortcuts-close]")) closeHelp();
  });
  document.addEventListener("keydown", function (e) {
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return;
    if (dialog && dialog.open) {
      if (e.key === "Escape") { e.preventDefault(); closeHelp(); }
      return;
    }
    if (typingTarget(e.target)) {
      if (e.key === "Escape") e.target.blur();
      return;
    }
    var key = e.key;
    if (key === "?") { e.preventDefault(); openHelp(); return; }
    if (isList) {
      if (key === "j") { e.preventDefault(); setCurrent(current + 1); }
      else if (key === "k") { e.preventDefault(); setCurrent(current < 0 ? 0 : current - 1); }
      else if (key === "Enter" && currentRow() && !(e.target.closest && e.target.closest("a, button"))) {
        var link = currentRow().querySelector(".inbox-row-link");
        if (link) window.location.href = link.href;
      }
      else if (key === "x" && currentRow()) {
        e.preventDefault();
        var box = currentRow().querySelector(".inbox-select");
        if (box) { box.checked = !box.checked; lastClicked = box; updateCount(); }
      }
      else if (key === "a") { e.preventDefault(); act(targets(), { action: "assign", assignee: "me" }); }
      else if (key === "c") { e.preventDefault(); act(targets(), { action: "close" }); }
      else if (key === "t") {
        e.preventDefault();
        if (selectedIds().length === 0 && currentRow()) {
          var b = currentRow().querySelector(".inbox-select");
          if (b) { b.checked = true; updateCount(); }
        }
        var action = document.getElementById("bulk-action");
        var tag = document.getElementById("bulk-tag");
        if (action && tag) {
          action.value = "tag";
          action.dispatchEvent(new Event("change"));
          tag.focus();
        }
      }
      else if (key === "/") {
        var q = document.getElementById("inbox-q");
        if (q) { e.preventDefault(); q.focus(); q.select(); }
      }
    } else if (conversationId) {
      var canChange = presenceEl && presenceEl.hasAttribute("data-can-change");
      if (key === "a" && canChange) { e.preventDefault(); act([conversationId], { action: "assign", assignee: "me" }); }
      else if (key === "c" && canChange) { e.preventDefault(); act([conversationId], { action: "close" }); }
      else if (key === "t") { var tags = document.getElementById("c-tags"); if (tags) { e.preventDefault(); tags.focus(); } }
      else if (key === "n") { var note = document.getElementById("note-text"); if (note) { e.preventDefault(); note.focus(); } }
      else if (key === "r") {
        var reply = document.querySelector("[data-reply-box] textarea, .inbox-reply textarea, .inbox-thread textarea:not(#note-text)");
        if (reply) { e.preventDefault(); reply.focus(); }
      }
      else if (key === "u") { e.preventDefault(); window.location.href = "/inbox"; }
    }
  });

  // ---- @mention suggestions ---------------------------------------------------------------------------
  function wireMentions() {
    var box = document.getElementById("note-text");
    var menu = document.getElementById("mention-menu");
    if (!box || !menu || box.getAttribute("data-wired")) return;
    box.setAttribute("data-wired", "1");
    var people = [];
    try { people = JSON.parse(box.getAttribute("data-mentions") || "[]"); } catch (err) { people = []; }
    var active = 0;
    var matches = [];
    menu.id = "mention-menu";
    box.setAttribute("aria-autocomplete", "list");
    box.setAttribute("aria-controls", "mention-menu");
    function token() {
      var upto = box.value.slice(0, box.selectionStart);
      var m = /(^|[^\w@])@([\w.\-+\u0400-\u04FF]*)$/.exec(upto);
      return m ? { start: upto.length - m[2].length - 1, text: m[2].toLowerCase() } : null;
    }
    function close() { menu.hidden = true; matches = []; box.removeAttribute("aria-activedescendant"); }
    function render() {
      menu.textContent = "";
      matches.forEach(function (p, i) {
        var li = document.createElement("li");
        li.id = "mention-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", i === active ? "true" : "false");
        li.className = i === active ? "is-active" : "";
        li.textContent = p.name + " @" + p.handle;
        li.addEventListener("mousedown", function (ev) { ev.preventDefault(); choose(i); });
        menu.appendChild(li);
      });
      menu.hidden = matches.length === 0;
      if (matches.length) box.setAttribute("aria-activedescendant", "mention-" + active);
    }
    function choose(i) {
      var tk = token();
      var p = matches[i];
      if (!tk || !p) return close();
      var before = box.value.slice(0, tk.start);
      var after = box.value.slice(box.selectionStart);
      box.value = before + "@" + p.handle + " " + after;
      var pos = before.length + p.handle.length + 2;
      box.setSelectionRange(pos, pos);
      close();
    }
    box.addEventListener("input", function () {
      var tk = token();
      if (!tk) return close();
      matches = people.filter(function (p) {
        return p.handle.indexOf(tk.text) === 0 || p.name.toLowerCase().indexOf(tk.text) >= 0;
      }).slice(0, 6);
      active = 0;
      render();
    });
    box.addEventListener("keydown", function (e) {
      if (menu.hidden) return;
      if (e.key === "ArrowDown") { e.preventDefault(); active = (active + 1) % matches.length; render(); }
      else if (e.key === "ArrowUp") { e.preventDefault(); active = (active - 1 + matches.length) % matches.length; render(); }
      else if (e.key === "Enter" || e.key === "Tab") { e.preventDefault(); e.stopPropagation(); choose(active); }
      else if (e.key === "Escape") { e.preventDefault(); e.stopPropagation(); close(); }
    });
    box.addEventListener("blur", function () { setTimeout(close, 150); });
  }
  wireMentions();
})();
