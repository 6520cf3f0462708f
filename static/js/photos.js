// Photo questions: shrink each photo on the phone, show it at once, upload it in the background
// and retry until the network is back. One random id per photo makes every retry safe: the server
// stores a photo once however often it is sent. The server checks everything again.
(function () {
  "use strict";
  var form = document.querySelector("form.survey-form");
  if (!form || !window.fetch || !window.FormData) { return; }
  var MAX_SIDE = 1600, QUALITY = 0.85, DELAYS = [2, 5, 15, 30, 60];
  var csrf = (document.querySelector("meta[name=csrf-token]") || {}).content || "";
  var uploadUrl = form.getAttribute("data-photos-url");
  var items = [];  // every photo shown: {q, el, status, state: pending|done|error, ...}

  function randomId() {
    var c = window.crypto || window.msCrypto, a = [];
    if (c && c.getRandomValues) {
      a = Array.prototype.slice.call(c.getRandomValues(new Uint8Array(12)));
    } else {
      for (var i = 0; i < 12; i++) { a.push(Math.floor(Math.random() * 256)); }
    }
    return "p" + a.map(function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function fire(target, type) {
    var ev;
    try { ev = new Event(type, { bubbles: true }); } catch (e) { ev = document.createEvent("Event"); ev.initEvent(type, true, true); }
    target.dispatchEvent(ev);
  }

  function active(q) {
    return items.filter(function (it) { return it.q === q && it.state !== "error"; }).length;
  }

  function changed(q, notify) {
    q.setAttribute("data-count", active(q) ? String(active(q)) : "");
    if (notify) { fire(form, "change"); } else if (window.SurveyForm) { window.SurveyForm.refresh(); }
  }

  function setState(it, state, text) {
    it.state = state;
    it.el.setAttribute("data-state", state);
    it.status.textContent = text;
  }

  function thumb(q, src, name) {
    var el = document.createElement("div"), img = document.createElement("img");
    var status = document.createElement("span"), del = document.createElement("button");
    el.className = "thumb";
    img.src = src; img.alt = name || "照片";
    status.className = "thumb-status"; status.setAttribute("role", "status");
    del.type = "button"; del.className = "thumb-del"; del.setAttribute("aria-label", "删除照片"); del.textContent = "×";
    el.appendChild(img); el.appendChild(status); el.appendChild(del);
    q.querySelector("[data-thumbs]").appendChild(el);
    var it = { q: q, el: el, status: status, state: "pending" };
    del.addEventListener("click", function () { remove(it); });
    items.push(it);
    return it;
  }

  function forget(it) {
    items = items.filter(function (x) { return x !== it; });
    if (it.el.parentNode) { it.el.parentNode.removeChild(it.el); }
    if (it.objectUrl && window.URL) { URL.revokeObjectURL(it.objectUrl); }
    changed(it.q, true);
  }

  function post(url, body) {
    return fetch(url, { method: "POST", body: body, credentials: "same-origin", redirect: "manual",
                        headers: { "X-CSRFToken": csrf, "Accept": "application/json" } });
  }

  function answer(resp) {  // -> {ok, status, retry, body, message}
    if (resp.type === "opaqueredirect" || resp.status === 0 || resp.status === 401) {
      return Promise.resolve({ message: "登录已失效，请刷新页面重新登录后再传" });
    }
    if (resp.status >= 500) { return Promise.resolve({ retry: true }); }
    return resp.json().then(function (body) {
      return { ok: resp.ok, status: resp.status, body: body, message: body.message || "操作失败" };
    }, function () { return { status: resp.status, message: "操作失败（" + resp.status + "）" }; });
  }

  function remove(it) {
    if (it.state === "done") {
      if (!window.confirm("删除这张照片？")) { return; }
      it.status.textContent = "删除中…";
      post(it.deleteUrl, null).then(answer).then(function (r) {
        if (r.ok || r.status === 404) { forget(it); } else { it.status.textContent = r.message || "删除失败，请稍后再试"; }
      }, function () { it.status.textContent = "网络不通，请稍后再删"; });
      return;
    }
    it.cancelled = true;  // an upload still running is deleted on the server when it lands
    clearTimeout(it.timer);
    forget(it);
  }

  function send(it) {
    if (it.cancelled || it.state !== "pending") { return; }
    clearTimeout(it.timer); it.timer = null; it.sending = true;
    setState(it, "pending", "上传中…");
    var body = new FormData();
    body.append("file", it.blob, it.name);
    body.append("question", it.q.getAttribute("data-name"));
    body.append("client_id", it.clientId);
    post(uploadUrl, body).then(answer, function () { return { retry: true }; }).then(function (r) {
      it.sending = false;
      if (r.ok && it.cancelled) { post(r.body.delete_url, null); return; }
      if (it.cancelled) { return; }
      if (r.ok) {
        it.id = r.body.id; it.deleteUrl = r.body.delete_url; it.blob = null;
        setState(it, "done", "已上传");
      } else if (r.retry) {
        setState(it, "pending", "等待网络，稍后自动重试");
        it.timer = setTimeout(function () { send(it); }, DELAYS[Math.min(it.tries++, DELAYS.length - 1)] * 1000);
      } else {
        setState(it, "error", r.message);
      }
      changed(it.q, true);
    });
  }

  // Draw the photo at most MAX_SIDE on its longer side as JPEG; null if the browser cannot read it.
  function shrink(file, done) {
    var img = new Image(), url = null;
    img.onload = function () {
      var scale = Math.min(1, MAX_SIDE / Math.max(img.naturalWidth, img.naturalHeight));
      var canvas = document.createElement("canvas");
      canvas.width = Math.max(1, Math.round(img.naturalWidth * scale));
      canvas.height = Math.max(1, Math.round(img.naturalHeight * scale));
      canvas.getContext("2d").drawImage(img, 0, 0, canvas.width, canvas.height);
      if (url) { URL.revokeObjectURL(url); }
      if (canvas.toBlob) { canvas.toBlob(function (b) { done(b); }, "image/jpeg", QUALITY); return; }
      var bin = atob(canvas.toDataURL("image/jpeg", QUALITY).split(",")[1]), bytes = new Uint8Array(bin.length);
      for (var i = 0; i < bin.length; i++) { bytes[i] = bin.charCodeAt(i); }
      done(new Blob([bytes], { type: "image/jpeg" }));
    };
    img.onerror = function () { if (url) { URL.revokeObjectURL(url); } done(null); };
    if (window.URL && URL.createObjectURL) {
      url = URL.createObjectURL(file); img.src = url;
    } else {
      var reader = new FileReader();
      reader.onload = function () { img.src = reader.result; };
      reader.onerror = function () { done(null); };
      reader.readAsDataURL(file);
    }
  }

  function add(q, file) {
    var url = window.URL && URL.createObjectURL ? URL.createObjectURL(file) : "";
    var it = thumb(q, url, file.name);
    it.objectUrl = url; it.clientId = randomId(); it.tries = 0;
    it.name = (file.name || "photo").replace(/\.[^.\/\\]*$/, "") + ".jpg";
    setState(it, "pending", "处理中…");
    shrink(file, function (blob) {
      it.blob = blob || file;
      if (!blob) { it.name = file.name || "photo"; }
      send(it);
    });
  }

  function showError(q, text) {
    var el = q.querySelector("[data-error]");
    if (!el) { return; }
    setTimeout(function () { el.textContent = text; el.hidden = !text; }, 0);  // after form.js clears it
  }

  Array.prototype.forEach.call(form.querySelectorAll(".q-photo input[type=file]"), function (input) {
    var q = input.closest ? input.closest(".q-photo") : input.parentNode.parentNode;
    input.addEventListener("change", function () {
      var max = parseInt(input.getAttribute("data-max"), 10) || 3;
      var files = Array.prototype.slice.call(input.files || []);
      var room = Math.max(0, max - active(q));
      files.slice(0, room).forEach(function (f) { add(q, f); });
      showError(q, files.length > room ? "本题最多上传 " + max + " 张照片" : "");
      input.value = "";  // the same photo may be chosen again; the answer is data-count
      changed(q, true);
    });
  });

  window.addEventListener("online", function () {
    items.forEach(function (it) { if (it.state === "pending" && it.timer) { send(it); } });
  });

  window.SurveyPhotos = {
    pending: function () { return items.filter(function (it) { return it.state === "pending"; }).length; },
    addExisting: function (questionName, photos) {
      var q = form.querySelector(".q-photo[data-name='" + questionName + "']");
      if (!q) { return; }
      (photos || []).forEach(function (p) {
        var it = thumb(q, p.thumb_url || p.url, p.name);
        it.id = p.id; it.deleteUrl = p.delete_url || "/photos/" + p.id + "/delete";
        setState(it, "done", "已上传");
      });
      changed(q, false);
    }
  };

  // Photos stored earlier may also come in the page: <div class="q q-photo" data-photos='[...]'>.
  Array.prototype.forEach.call(form.querySelectorAll(".q-photo[data-photos]"), function (q) {
    try { window.SurveyPhotos.addExisting(q.getAttribute("data-name"), JSON.parse(q.getAttribute("data-photos"))); } catch (e) { /* bad data */ }
  });
})();
