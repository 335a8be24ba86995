// Owlery's only hand-written script. Everything works without it; it adds:
// 1. the CSRF token as the X-CSRF-Token header on every htmx request (from <meta name="csrf-token">);
// 2. a confirmation prompt for forms marked data-confirm="…" (destructive actions);
// 3. closing an open <details class="menu"> on Escape or a click outside it;
// 4. "Copy" buttons (data-copy="<input id>"), hidden until this script shows them;
// 5. in the composer, "Customise for this channel" starts the channel's text from the master;
// 6. dragging a post to another day on the calendar (see the end of this file);
// 7. the media focal point: a click on img[data-focal-form] fills that form's x and y with the
//    point as fractions of the image and submits it; the marker is placed from its data-x/y.
// 8. the inbox reply box: choosing a saved reply (select[data-insert-into]) puts its rendered
//    text at the cursor at once (without this, its "Insert" button asks the server).
// 9. the top bar's presence menu: htmx posts the choice and swaps the menu in place (no reload);
//    the focus goes back to the menu's button.
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="csrf-token"]');
  var token = meta ? meta.getAttribute("content") : "";

  document.addEventListener("htmx:configRequest", function (event) {
    if (token) event.detail.headers["X-CSRF-Token"] = token;
  });

  document.addEventListener("htmx:afterSettle", function () {
    var menu = document.querySelector("details.presence-menu[data-just-set]");
    if (!menu) return;
    menu.removeAttribute("data-just-set");
    var summary = menu.querySelector("summary");
    if (summary) summary.focus();
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form && form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) event.preventDefault();
  }, true);

  function closeMenus(except) {
    document.querySelectorAll("details.menu[open]").forEach(function (menu) {
      if (menu !== except) menu.removeAttribute("open");
    });
  }
  document.addEventListener("click", function (event) {
    closeMenus(event.target.closest ? event.target.closest("details.menu") : null);
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var open = document.querySelector("details.menu[open]");
    if (!open) return;
    open.removeAttribute("open");
    var summary = open.querySelector("summary");
    if (summary) summary.focus();
  });

  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var input = document.getElementById(button.getAttribute("data-copy"));
    if (!input || !navigator.clipboard) return;
    button.hidden = false;
    var label = button.textContent;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(input.value).then(function () {
        button.textContent = button.getAttribute("data-copied") || label;
        setTimeout(function () { button.textContent = label; }, 2000);
      }, function () {
        input.select();
      });
    });
  });

  document.addEventListener("change", function (event) {
    var toggle = event.target;
    if (!toggle.classList || !toggle.classList.contains("custom-toggle") || !toggle.checked) return;
    var variant = toggle.closest("[data-variant]");
    var form = toggle.form;
    if (!variant || !form) return;
    [["[data-variant-text]", "text"], ["[data-variant-link]", "link"], ["[data-variant-first-comment]", "first_comment"]].forEach(function (pair) {
      var field = variant.querySelector(pair[0]);
      var master = form.elements.namedItem(pair[1]);
      if (field && master && !field.value) field.value = master.value;
    });
  }, true); // capture: before htmx reads the form for the live check

  // The CSV import: a chosen file is read into the textarea, which the form posts (no multipart).
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.getAttribute || !input.getAttribute("data-csv-into") || !input.files || !input.files[0]) return;
    var target = document.getElementById(input.getAttribute("data-csv-into"));
    if (!target || !window.FileReader) return;
    var reader = new FileReader();
    reader.onload = function () { target.value = String(reader.result || ""); };
    reader.readAsText(input.files[0]);
  });

  document.querySelectorAll(".media-focal-marker").forEach(function (marker) {
    marker.style.left = (parseFloat(marker.getAttribute("data-x")) * 100) + "%";
    marker.style.top = (parseFloat(marker.getAttribute("data-y")) * 100) + "%";
    marker.classList.add("is-placed");
  });
  document.querySelectorAll("img[data-focal-form]").forEach(function (img) {
    var form = document.getElementById(img.getAttribute("data-focal-form"));
    if (!form) return;
    img.classList.add("is-clickable");
    img.addEventListener("click", function (event) {
      var box = img.getBoundingClientRect();
      var clamp = function (v) { return Math.min(1, Math.max(0, v)).toFixed(3); };
      form.elements.x.value = clamp((event.clientX - box.left) / box.width);
      form.elements.y.value = clamp((event.clientY - box.top) / box.height);
      form.submit();
    });
  });
})();

// 6. Calendar: drag a post (article[data-move-url]) onto another day (section[data-date]) to move it
//    there. The move is an ordinary form POST with the CSRF token; the server keeps the time of day
//    and re-checks approval. Without this script, each post's "Move" form does the same.
(function () {
  "use strict";
  var calendar = document.querySelector(".cal-month, .cal-weekview, .cal-list");
  if (!calendar) return;
  var dragged = null;
  calendar.addEventListener("dragstart", function (event) {
    var entry = event.target.closest && event.target.closest("article[data-move-url]");
    if (!entry) return;
    dragged = entry;
    entry.classList.add("cal-dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", entry.getAttribute("data-variant"));
  });
  calendar.addEventListener("dragend", function () {
    if (dragged) dragged.classList.remove("cal-dragging");
    dragged = null;
    calendar.querySelectorAll(".cal-drop-target").forEach(function (d) { d.classList.remove("cal-drop-target"); });
  });
  function dayOf(event) {
    return event.target.closest ? event.target.closest("[data-date]") : null;
  }
  calendar.addEventListener("dragover", function (event) {
    var day = dayOf(event);
    if (!dragged || !day) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    calendar.querySelectorAll(".cal-drop-target").forEach(function (d) {
      if (d !== day) d.classList.remove("cal-drop-target");
    });
    day.classList.add("cal-drop-target");
  });
  calendar.addEventListener("drop", function (event) {
    var day = dayOf(event);
    if (!dragged || !day) return;
    event.preventDefault();
    var source = dragged.closest("[data-date]");
    if (source === day) return;
    var moveForm = dragged.querySelector("form.cal-move-form");
    var form = document.createElement("form");
    form.method = "post";
    form.action = dragged.getAttribute("data-move-url");
    function field(name, value) {
      var input = document.createElement("input");
      input.type = "hidden";
      input.name = name;
      input.value = value;
      form.appendChild(input);
    }
    field("csrf_token", token());
    field("date", day.getAttribute("data-date"));
    var back = moveForm && moveForm.querySelector('input[name="return"]');
    field("return", back ? back.value : window.location.pathname + window.location.search);
    document.body.appendChild(form);
    form.submit();
  });
  function token() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }
})();

// 8. The inbox reply box: a saved reply chosen in the picker goes in at the cursor at once.
(function () {
  "use strict";
  document.querySelectorAll("select[data-insert-into]").forEach(function (select) {
    var area = document.getElementById(select.getAttribute("data-insert-into"));
    if (!area) return;
    var fallback = select.parentNode && select.parentNode.querySelector("[data-no-js]");
    if (fallback) fallback.hidden = true;
    select.addEventListener("change", function () {
      var option = select.options[select.selectedIndex];
      var text = option && option.getAttribute("data-text");
      if (!text) return;
      var start = area.selectionStart || 0;
      var end = area.selectionEnd || 0;
      var before = area.value.slice(0, start);
      var after = area.value.slice(end);
      var sep = before && !/\s$/.test(before) ? " " : "";
      area.value = before + sep + text + after;
      var caret = (before + sep + text).length;
      area.focus();
      area.setSelectionRange(caret, caret);
      area.dispatchEvent(new Event("input", { bubbles: true }));
      select.selectedIndex = 0;
    });
  });
})();
