// Keeps the home page, the filling pages and their assets, so they reload offline after one online
// visit: navigations are cached as they pass, and each page, once this worker is active, asks it to
// keep the page itself and its assets (the first page was loaded before the worker existed).
var PAGES = "survey-pages-v1", ASSETS = "survey-assets-v1";
var KEPT = /^\/(submissions\/\d+(\/review)?)?$/;          // "/" and /submissions/<id>[/review]
var HASHED = /^(.+)\.[0-9a-f]{10}(\.[A-Za-z0-9]+)$/;      // name.<hash>.ext, as survey/assets.py
var passing = {};                                          // url -> the put of a navigation in flight
var OFFLINE = "<meta charset=utf-8><meta name=viewport content='width=device-width'>" +
  "<p>离线：此页面尚未缓存。请联网后重试。</p>";

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });

function keepAsset(cache, req, resp) {
  // One copy per file: a new hash replaces the older ones of the same name.
  var path = new URL(req.url || req).pathname, m = HASHED.exec(path);
  var prune = !m ? Promise.resolve() : cache.keys().then(function (keys) {
    return Promise.all(keys.map(function (k) {
      var other = new URL(k.url).pathname, o = HASHED.exec(other);
      return o && o[1] === m[1] && o[2] === m[2] && other !== path ? cache.delete(k) : null;
    }));
  });
  return prune.then(function () { return cache.put(req, resp); });
}

function asset(event) {
  var req = event.request;
  event.respondWith(caches.open(ASSETS).then(function (cache) {
    return cache.match(req).then(function (hit) {
      return hit || fetch(req).then(function (resp) {
        if (resp.ok) { event.waitUntil(keepAsset(cache, req, resp.clone())); }
        return resp;
      });
    });
  }));
}

function page(event) {
  var req = event.request, url = req.url.split("#")[0];
  event.respondWith(fetch(req).then(function (resp) {
    if (resp.ok && !resp.redirected) {
      var copy = resp.clone();
      passing[url] = caches.open(PAGES).then(function (cache) { return cache.put(url, copy); })
        .then(function () { delete passing[url]; }, function () { delete passing[url]; });
      event.waitUntil(passing[url]);
    }
    return resp;
  }, function () {
    return caches.open(PAGES).then(function (cache) { return cache.match(url); }).then(function (hit) {
      return hit || new Response(OFFLINE, { headers: { "Content-Type": "text/html; charset=utf-8" } });
    });
  }));
}

self.addEventListener("fetch", function (event) {
  var req = event.request, url = new URL(req.url);
  if (req.method !== "GET" || url.origin !== self.location.origin) { return; }
  if (url.pathname.indexOf("/static/") === 0) { asset(event); }
  else if (req.mode === "navigate" && KEPT.test(url.pathname)) { page(event); }
});

// A page asks: keep me (unless my navigation came through here) and my assets.
function keepPage(href, fresh) {
  var url = new URL(href, self.location.origin);
  if (url.origin !== self.location.origin || !KEPT.test(url.pathname)) { return Promise.resolve(false); }
  var key = url.href.split("#")[0];
  return Promise.resolve(passing[key]).then(function () { return caches.open(PAGES); }).then(function (cache) {
    return cache.match(key).then(function (hit) {
      if (hit && fresh) { return true; }
      return fetch(key, { credentials: "same-origin", redirect: "manual" }).then(function (resp) {
        return resp.ok ? cache.put(key, resp).then(function () { return true; }) : false;
      });
    });
  });
}

function keepAssets(urls) {
  return caches.open(ASSETS).then(function (cache) {
    return Promise.all((urls || []).map(function (href) {
      var url = new URL(href, self.location.origin);
      if (url.origin !== self.location.origin || url.pathname.indexOf("/static/") !== 0) { return null; }
      return cache.match(url.href).then(function (hit) {
        return hit || fetch(url.href).then(function (resp) { return resp.ok ? keepAsset(cache, url.href, resp) : null; });
      });
    }));
  });
}

self.addEventListener("message", function (event) {
  var data = event.data || {}, source = event.source;
  if (data.type !== "keep") { return; }
  event.waitUntil(Promise.all([keepPage(data.page, data.fresh), keepAssets(data.assets)]).then(function (done) {
    if (source) { source.postMessage({ type: "kept", page: done[0] }); }
  }, function () {
    if (source) { source.postMessage({ type: "kept", page: false }); }
  }));
});
