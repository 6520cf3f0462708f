// Progressive enhancement only: every page works without this file.
document.addEventListener("submit", function (event) {
  var form = event.target;
  var question = form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) { event.preventDefault(); return; }
  // One tap, one request: disable the buttons of a form once it is sent.
  window.setTimeout(function () {
    form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
  }, 0);
});

// Show or hide parts of a form by another field's value:
// data-show-if="role=unit" or data-hide-if="type=note single" (field id = space-separated values).
(function () {
  var rules = document.querySelectorAll("[data-show-if], [data-hide-if]");
  if (!rules.length) { return; }
  function matches(el, attr) {
    var spec = el.getAttribute(attr).split("=");
    var field = document.getElementById(spec[0]);
    return field ? spec[1].split(" ").indexOf(field.value) >= 0 : false;
  }
  function sync() {
    rules.forEach(function (el) {
      el.hidden = el.hasAttribute("data-show-if") ? !matches(el, "data-show-if") : matches(el, "data-hide-if");
    });
  }
  document.addEventListener("change", sync);
  sync();
})();

// Logging out (or in, as someone else) clears the offline page cache; logging out also clears this
// user's local copies of drafts.
document.addEventListener("submit", function (event) {
  var action = event.target.getAttribute("action") || "";
  if (!document.body.getAttribute("data-user-id") && event.target.querySelector("input[name=password]")) {
    if (window.caches) { caches.delete("survey-pages-v1"); }
    return;
  }
  if (!/\/logout$/.test(action)) { return; }
  var uid = document.body.getAttribute("data-user-id");
  try {
    Object.keys(localStorage).forEach(function (k) { if (k.indexOf("survey:" + uid + ":") === 0) { localStorage.removeItem(k); } });
  } catch (e) { /* storage unavailable */ }
  if (window.caches) { caches.delete("survey-pages-v1"); }
});

document.addEventListener("click", function (event) {
  if (event.target.closest && event.target.closest("[data-print]")) { window.print(); }
});

// Offline from the first visit: the service worker keeps the home page and the filling pages as
// they pass; this page was loaded before it was controlled, so once the worker is active, ask it to
// keep this page and its assets. <html data-offline="ready"> says the page will reload offline.
(function () {
  if (!("serviceWorker" in navigator) || !window.fetch) { return; }
  var fresh = !!navigator.serviceWorker.controller;   // this load came through the worker (cached)
  navigator.serviceWorker.addEventListener("message", function (event) {
    if (event.data && event.data.type === "kept" && event.data.page) {
      document.documentElement.setAttribute("data-offline", "ready");
    }
  });
  navigator.serviceWorker.register("/sw.js").then(function () { return navigator.serviceWorker.ready; })
    .then(function (reg) {
      var assets = Array.prototype.map.call(document.querySelectorAll("script[src], link[rel=stylesheet][href]"),
                                            function (el) { return el.src || el.href; });
      reg.active.postMessage({ type: "keep", page: location.href, fresh: fresh, assets: assets });
    }).catch(function () { /* no worker: pages still work online */ });
})();

// A filter panel folded behind one button on a phone stays open on a wide screen.
(function () {
  if (!window.matchMedia || !window.matchMedia("(min-width: 900px)").matches) { return; }
  document.querySelectorAll("details[data-open-wide]").forEach(function (d) { d.open = true; });
})();
