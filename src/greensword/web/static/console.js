// Console glue: the CSRF token (see greensword/web/security.py) goes first in every POST form and
// in a header on every htmx request.
(function () {
  "use strict";
  function token() {
    var m = document.querySelector('meta[name="csrf-token"]');
    return m ? m.getAttribute("content") : "";
  }
  function arm(root) {
    var forms = (root || document).querySelectorAll('form');
    for (var i = 0; i < forms.length; i++) {
      var f = forms[i];
      if ((f.getAttribute("method") || "get").toLowerCase() !== "post") continue;
      var first = f.firstElementChild;
      if (first && first.name === "csrf_token") { first.value = token(); continue; }
      var old = f.querySelector('input[name="csrf_token"]');
      if (old) old.remove();
      var input = document.createElement("input");
      input.type = "hidden"; input.name = "csrf_token"; input.value = token();
      f.insertBefore(input, f.firstChild);
    }
  }
  document.addEventListener("DOMContentLoaded", function () { arm(document); });
  document.addEventListener("submit", function (e) { if (e.target && e.target.tagName === "FORM") arm(e.target.parentNode || document); }, true);
  document.addEventListener("htmx:configRequest", function (e) { e.detail.headers["X-CSRF-Token"] = token(); });
  document.addEventListener("htmx:afterSwap", function (e) { arm(e.target); });
})();
// Same-origin fetch() calls that change state carry the token too (uploads, page scripts).
(function () {
  "use strict";
  if (!window.fetch) return;
  var orig = window.fetch;
  window.fetch = function (input, init) {
    init = init || {};
    var method = (init.method || (input && input.method) || "GET").toUpperCase();
    var url = typeof input === "string" ? input : (input && input.url) || "";
    var same = url.charAt(0) === "/" && url.charAt(1) !== "/" || url.indexOf(location.origin + "/") === 0;
    if (same && ["POST", "PUT", "PATCH", "DELETE"].indexOf(method) >= 0) {
      var m = document.querySelector('meta[name="csrf-token"]');
      var h = new Headers(init.headers || (input && input.headers) || {});
      if (m && !h.has("X-CSRF-Token")) h.set("X-CSRF-Token", m.getAttribute("content"));
      init.headers = h;
    }
    return orig.call(this, input, init);
  };
})();
// Phones: the 菜单 button opens and closes the navigation (console.css hides it below 760 px).
document.addEventListener("click", function (e) {
  var b = e.target && e.target.closest ? e.target.closest("#navtoggle") : null;
  if (!b) return;
  var bar = b.closest(".topbar");
  var open = bar.classList.toggle("open");
  b.setAttribute("aria-expanded", open ? "true" : "false");
  b.textContent = open ? "收起" : "菜单";
});
// Officer pickers (_list.html officer_picker): the box hides the officers whose name and
// certificate number do not contain the text; a ticked one stays in view.
document.addEventListener("input", function (e) {
  var box = e.target;
  if (!box || !box.classList || !box.classList.contains("officer-filter")) return;
  var text = box.value.trim().toLowerCase();
  box.closest(".officer-picker").querySelectorAll(".officer-list label").forEach(function (l) {
    var hit = !text || (l.getAttribute("data-search") || "").toLowerCase().indexOf(text) >= 0;
    l.hidden = !(hit || l.querySelector("input:checked"));
  });
});
