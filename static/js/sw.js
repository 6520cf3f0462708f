// Keeps the filling pages and their assets, so a form opened before the signal dropped reloads offline.
var PAGES = "survey-pages-v1", ASSETS = "survey-assets-v1";
self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });
self.addEventListener("fetch", function (event) {
  var req = event.request, url = new URL(req.url);
  if (req.method !== "GET" || url.origin !== self.location.origin) { return; }
  if (url.pathname.indexOf("/static/") === 0) {
    event.respondWith(caches.open(ASSETS).then(function (cache) {
      return cache.match(req).then(function (hit) {
        return hit || fetch(req).then(function (resp) { if (resp.ok) { cache.put(req, resp.clone()); } return resp; });
      });
    }));
  } else if (req.mode === "navigate" && /^\/submissions\/\d+/.test(url.pathname)) {
    event.respondWith(fetch(req).then(function (resp) {
      if (resp.ok && !resp.redirected) {
        var copy = resp.clone();
        caches.open(PAGES).then(function (cache) { cache.put(req, copy); });
      }
      return resp;
    }, function () {
      return caches.open(PAGES).then(function (cache) { return cache.match(req); }).then(function (hit) {
        return hit || new Response("<meta charset=utf-8><p>离线：此页面尚未缓存。请联网后重试。</p>",
          { headers: { "Content-Type": "text/html; charset=utf-8" } });
      });
    }));
  }
});
