// Owlery's only hand-written script. Everything works without it; it adds:
// 1. the CSRF token as the X-CSRF-Token header on every htmx request (from <meta name="csrf-token">);
// 2. a confirmation prompt for forms marked data-confirm="…" (destructive actions);
// 3. closing an open <details class="menu"> on Escape or a click outside it;
// 4. "Copy" buttons (data-copy="<input id>"), hidden until this script shows them;
// 5. the media focal point: a click on img[data-focal-form] fills that form's x and y with the
//    point as fractions of the image and submits it; the marker is placed from its data-x/y.
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="csrf-token"]');
  var token = meta ? meta.getAttribute("content") : "";

  document.addEventListener("htmx:configRequest", function (event) {
    if (token) event.detail.headers["X-CSRF-Token"] = token;
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
