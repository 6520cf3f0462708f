// Filling: never lose what was typed. Every change goes to localStorage at once and to the server
// as a draft a moment later; offline, the copy waits on the phone; a submit made offline is queued
// ("待发送") and sent when the signal returns, with one token so it is stored exactly once.
(function () {
  "use strict";
  var form = document.querySelector("form.survey-form[data-submission-id]");
  if (!form || !window.JSON || !window.fetch) { return; }
  var KEY = "survey:" + form.getAttribute("data-user-id") + ":" + form.getAttribute("data-submission-id");
  var server = JSON.parse(form.getAttribute("data-server"));
  var lock = server.lock_version;
  var review = form.hasAttribute("data-review");
  var statusEl = document.querySelector("[data-save-status]");
  var csrf = (document.querySelector("meta[name=csrf-token]") || {}).content;
  var timer = null, syncing = false, conflictServer = null, done = false;   // done: submitted, no more drafts

  function load() { try { return JSON.parse(localStorage.getItem(KEY)); } catch (e) { return null; } }
  function store(copy) { try { localStorage.setItem(KEY, JSON.stringify(copy)); } catch (e) { /* full */ } }
  function status(text, kind) {
    if (!statusEl) { return; }
    statusEl.textContent = text;
    statusEl.className = "save-status" + (kind ? " save-" + kind : "");
  }
  function clock() { var d = new Date(); return ("0" + d.getHours()).slice(-2) + ":" + ("0" + d.getMinutes()).slice(-2); }
  function token() {
    var a = new Uint8Array(16); (window.crypto || window.msCrypto).getRandomValues(a);
    return Array.prototype.map.call(a, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function valueOf(q) {
    var type = q.getAttribute("data-type"), inputs = q.querySelectorAll("input, textarea");
    if (type === "multiple") {
      return Array.prototype.filter.call(inputs, function (i) { return i.checked; }).map(function (i) { return i.value; });
    }
    if (type === "check" || type === "single" || type === "score") {
      var c = q.querySelector("input:checked"); return c ? c.value : "";
    }
    if (type === "photo") { return q.getAttribute("data-count") || ""; }
    return inputs.length ? inputs[0].value : "";
  }
  function collect() {
    var data = { answers: {}, facts: {}, found: null };
    Array.prototype.forEach.call(form.querySelectorAll(".q"), function (q) {
      if (q.getAttribute("data-type") !== "note") { data.answers[q.getAttribute("data-name")] = valueOf(q); }
    });
    Array.prototype.forEach.call(form.querySelectorAll("[name^='facts.']"), function (i) {
      var key = i.name.slice(6);
      if (i.type === "checkbox") {
        data.facts[key] = data.facts[key] || [];
        if (i.checked) { data.facts[key].push(parseInt(i.value, 10)); }
      } else { data.facts[key] = i.value; }
    });
    if (review) { data.answers = server.answers; data.facts = server.facts; data.found = collectFound(); }
    return data;
  }
  function apply(copy) {
    Object.keys(copy.answers || {}).forEach(function (name) {
      var q = form.querySelector(".q[data-name='" + name + "']"), v = copy.answers[name];
      if (!q) { return; }
      Array.prototype.forEach.call(q.querySelectorAll("input, textarea"), function (i) {
        if (i.type === "radio" || i.type === "checkbox") {
          i.checked = Array.isArray(v) ? v.indexOf(i.value) >= 0 : String(v) === i.value;
        } else if (i.type !== "file") { i.value = v == null ? "" : v; }
      });
    });
    Object.keys(copy.facts || {}).forEach(function (key) {
      Array.prototype.forEach.call(form.querySelectorAll("[name='facts." + key + "']"), function (i) {
        var v = copy.facts[key];
        if (i.type === "checkbox") { i.checked = (v || []).indexOf(parseInt(i.value, 10)) >= 0; } else { i.value = v || ""; }
      });
    });
    if (window.SurveyForm) { window.SurveyForm.refresh(); }
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin", redirect: "manual",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(body)
    }).then(function (resp) {
      if (resp.type === "opaqueredirect" || resp.status === 0 || resp.status === 401) {
        return { status: 401, body: {} };
      }
      return resp.json().then(function (b) { return { status: resp.status, body: b }; },
                              function () { return { status: resp.status, body: {} }; });
    });
  }
  function expired() {
    status("登录已过期，内容已保存在本机。请重新登录后继续", "error");
    var a = document.createElement("a");
    a.href = "/login?next=" + encodeURIComponent(location.pathname); a.textContent = " 去登录";
    statusEl.appendChild(a);
  }

  // The server takes no more drafts of this form (submitted here or elsewhere): stop saving, say so.
  function stop(text, kind) {
    done = true; clearTimeout(timer);
    Array.prototype.forEach.call(document.querySelectorAll("[data-submit]"), function (b) { b.disabled = true; });
    status(text, kind);
  }

  function changed() {
    if (done) { return; }
    var copy = load() || {};
    var data = collect();
    copy.answers = data.answers; copy.facts = data.facts; copy.found = data.found;
    copy.lock = lock; copy.dirty = true;
    store(copy);
    status(navigator.onLine ? "已保存在本机，正在同步…" : "离线，已保存在本机", navigator.onLine ? "" : "offline");
    clearTimeout(timer);
    timer = setTimeout(sync, 1200);
  }

  function sync(force) {
    var copy = load();
    if (done || !copy || !copy.dirty || syncing || copy.pending) { return; }
    if (!navigator.onLine) { status("离线，已保存在本机", "offline"); return; }
    syncing = true;
    var sent = JSON.stringify([copy.answers, copy.facts, copy.found]);
    var body = { answers: copy.answers, facts: copy.facts, lock_version: lock, force: !!force };
    if (copy.found) { body.found = copy.found; }
    post(form.getAttribute("data-draft-url"), body).then(function (r) {
      syncing = false;
      if (r.status === 200) {
        lock = r.body.lock_version;
        var now = load();
        if (!now || done) { return; }   // submitted meanwhile: the copy is gone, keep it gone
        now.lock = lock;
        if (JSON.stringify([now.answers, now.facts, now.found]) === sent) { now.dirty = false; }
        store(now);
        status("已保存 " + clock(), "ok");
        if (now.dirty) { timer = setTimeout(sync, 800); }
      } else if (r.status === 409 && r.body.server) {
        showConflict(r.body);
      } else if (r.status === 401 || (r.status === 400 && !r.body.message)) {
        expired();
      } else if (r.body.error === "refused") {
        stop((r.body.message || "此表不能再修改") + "（本机的修改未保存）", "error");
      } else {
        status(r.body.message || "保存失败，内容已保存在本机", "error");
      }
    }, function () { syncing = false; status("离线，已保存在本机", "offline"); });
  }

  function showConflict(body) {
    var box = document.querySelector("[data-conflict]");
    conflictServer = body.server;
    if (!box) { return; }
    var mine = (load() || {}).answers || {}, theirs = body.server.answers || {};
    var list = box.querySelector("[data-conflict-list]");
    list.innerHTML = "";
    Object.keys(Object.assign({}, mine, theirs)).forEach(function (name) {
      var a = JSON.stringify(mine[name] == null ? "" : mine[name]), b = JSON.stringify(theirs[name] == null ? "" : theirs[name]);
      if (a === b) { return; }
      var q = form.querySelector(".q[data-name='" + name + "'] .q-label");
      var li = document.createElement("li");
      li.textContent = (q ? q.textContent : name) + "　我的：" + JSON.parse(a) + "　对方：" + JSON.parse(b);
      list.appendChild(li);
    });
    box.querySelector("[data-conflict-who]").textContent =
      "此草稿已被" + (body.updated_by || "他人") + "在别处修改。请选择保留哪份内容（不会自动覆盖）：";
    box.hidden = false;
    status("有冲突，等待您选择", "error");
  }

  function resolve(keepMine) {
    var box = document.querySelector("[data-conflict]");
    box.hidden = true;
    lock = conflictServer.lock_version;
    if (keepMine) { sync(true); return; }
    apply(conflictServer);
    store({ answers: conflictServer.answers, facts: conflictServer.facts, lock: lock, dirty: false });
    status("已采用对方的内容", "ok");
  }

  function showErrors(errors) {
    Array.prototype.forEach.call(form.querySelectorAll("[data-error]"), function (e) { e.hidden = true; });
    var first = null;
    errors.forEach(function (err) {
      var q = form.querySelector(".q[data-name='" + err.name + "']");
      var box = q && q.querySelector("[data-error]");
      if (box) { box.textContent = err.message; box.hidden = false; first = first || q; }
    });
    var general = form.querySelector("[data-submit-error]");
    if (general) {
      general.textContent = errors.length && !first ? errors.map(function (e) { return e.message; }).join("；") :
        "请修改标出的 " + errors.length + " 处问题";
      general.hidden = !errors.length;
    }
    if (first) { first.scrollIntoView({ block: "center" }); }
  }

  function missingRequired() {
    var errors = [];
    Array.prototype.forEach.call(form.querySelectorAll(".q[data-required]"), function (q) {
      var v = valueOf(q);
      if (!q.hidden && (v === "" || (Array.isArray(v) && !v.length))) {
        errors.push({ name: q.getAttribute("data-name"), message: "此题为必答题" });
      }
    });
    return errors;
  }

  function submit() {
    if (!review) {
      var errors = missingRequired();
      if (errors.length) { showErrors(errors); return; }
    }
    if (window.SurveyPhotos && window.SurveyPhotos.pending() > 0) { status("照片仍在上传，请稍候再提交", "error"); return; }
    var copy = load() || {};
    var data = collect();
    var answers = window.SurveyForm && !review ? window.SurveyForm.refresh() : data.answers;
    Object.keys(answers).forEach(function (k) {
      if (answers[k] === "" || (Array.isArray(answers[k]) && !answers[k].length)) { delete answers[k]; }
    });
    copy.pending = { token: (copy.pending && copy.pending.token) || token(), answers: answers, facts: data.facts };
    if (data.found) { copy.pending.found = data.found; }
    store(copy);
    flush();
  }

  function flush() {
    var copy = load();
    if (!copy || !copy.pending) { return; }
    if (!navigator.onLine) { status("待发送：当前离线，联网后自动提交", "offline"); return; }
    status("正在提交…");
    clearTimeout(timer);
    post(form.getAttribute("data-submit-url"), copy.pending).then(function (r) {
      if (r.status === 200 || r.status === 201) {
        done = true; clearTimeout(timer); clearInterval(beat);
        // A mark, not the copy: should this page come back from the offline cache, it stays read-only.
        store({ submitted: true, lock: r.body.lock_version });
        status("已提交", "ok");
        location.href = r.body.url;
      } else if (r.status === 422) {
        delete copy.pending; store(copy);
        status("提交失败，请修改标出的问题", "error");
        showErrors(r.body.errors && r.body.errors.length ? r.body.errors : [{ name: "", message: r.body.message }]);
      } else if (r.status === 401) {
        expired();
      } else {
        delete copy.pending; store(copy);
        status(r.body.message || "提交失败", "error");
      }
    }, function () { status("待发送：网络中断，恢复后自动提交", "offline"); });
  }

  // Visit review: the list of problems found.
  function collectFound() {
    return Array.prototype.map.call(form.querySelectorAll("[data-found-item]"), function (el) {
      var item = { key: el.getAttribute("data-key"), question: el.getAttribute("data-question") };
      Array.prototype.forEach.call(el.querySelectorAll("[data-f]"), function (i) {
        item[i.getAttribute("data-f")] = i.type === "checkbox" ? i.checked : i.value;
      });
      return item;
    });
  }
  if (review) {
    // The round's default 整改时限 per severity: a deadline nobody typed follows the severity.
    var deadlines = JSON.parse(form.getAttribute("data-deadlines") || "{}");
    form.addEventListener("change", function (e) {
      var item = e.target.closest && e.target.closest("[data-found-item]");
      if (!item) { return; }
      var f = e.target.getAttribute("data-f");
      var due = item.querySelector("[data-f=deadline]");
      if (f === "severity" && (due.hasAttribute("data-auto") || !due.value) && deadlines[e.target.value]) {
        due.value = deadlines[e.target.value]; due.setAttribute("data-auto", "");
      } else if (f === "deadline") {
        due.removeAttribute("data-auto");
      }
      var onSite = item.querySelector("[data-f=on_site]"), drop = item.querySelector("[data-f=dropped]");
      if (f === "on_site" && onSite.checked) { drop.checked = false; }
      if (f === "dropped" && drop.checked) { onSite.checked = false; }
      item.classList.toggle("dropped", drop.checked);
      item.classList.toggle("on-site", onSite.checked);
      item.querySelector("[data-drop-reason]").hidden = !drop.checked;
      item.querySelector("[data-on-site-result]").hidden = !onSite.checked;
      if (f === "on_site" && onSite.checked) { item.querySelector("[data-f=on_site_result]").focus(); }
    });
    form.querySelector("[data-add-found]").addEventListener("click", function () {
      var tpl = form.querySelector("[data-found-template]");
      var holder = document.createElement("div");
      holder.innerHTML = tpl.innerHTML;
      var item = holder.firstElementChild;
      item.setAttribute("data-key", "manual-" + token().slice(0, 8));
      form.querySelector("[data-found-list]").appendChild(item);
      item.querySelector("textarea").focus();
      changed();
    });
  }

  // Start: the page may come without answers filled in (a cached form); fill in the server's copy,
  // or what this phone has that the server does not, then listen.
  var local = load();
  if (local && local.submitted) {
    if (server.lock_version <= local.lock) {      // an older page than the submit: from the offline cache
      stop("已提交。这是本机保存的旧页面，联网后刷新可查看提交的内容", "ok");
      window.SurveyFill = { sync: sync, flush: flush, key: KEY };
      return;
    }
    local = null;                                  // reopened (退回) since: the server's copy counts
  }
  // A page served from the offline cache may be older than what this phone last saved to the server.
  if (local && local.lock > lock) { lock = local.lock; }
  if (window.SurveyPhotos && server.photos && !review) {
    Object.keys(server.photos).forEach(function (name) {
      var q = form.querySelector(".q[data-name='" + name + "']");
      if (q && !q.hasAttribute("data-photos")) { window.SurveyPhotos.addExisting(name, server.photos[name]); }
    });
  }
  if (local && (local.dirty || local.lock > server.lock_version) && !review) {
    apply(local);
    if (local.dirty) { status("已恢复本机未同步的内容", "ok"); timer = setTimeout(sync, 300); }
  } else {
    if (!review) { apply(server); }
    store({ answers: server.answers, facts: server.facts, found: server.found, lock: lock, dirty: false });
  }
  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
  Array.prototype.forEach.call(document.querySelectorAll("[data-submit]"), function (b) { b.addEventListener("click", submit); });
  var keep = document.querySelector("[data-keep-mine]"), take = document.querySelector("[data-take-theirs]");
  if (keep) { keep.addEventListener("click", function () { resolve(true); }); }
  if (take) { take.addEventListener("click", function () { resolve(false); }); }
  var go = form.querySelector("[data-go-review]");
  if (go) {
    go.addEventListener("click", function (e) {
      var copy = load();
      if (copy && copy.dirty) { e.preventDefault(); sync(); setTimeout(function () { location.href = go.href; }, 900); }
    });
  }
  window.addEventListener("online", function () { sync(); flush(); });
  window.addEventListener("offline", function () { status("离线，已保存在本机", "offline"); });
  var beat = setInterval(function () { sync(); flush(); }, 15000);
  if (local && local.pending) { flush(); }
  window.SurveyFill = { sync: sync, flush: flush, key: KEY };
})();
