// Before a self-check is submitted: say which questions are still unanswered and that only an
// administrator can reopen it. Runs ahead of fill.js's own click handler (capture phase); when
// required answers are missing it steps aside and fill.js marks them.
(function () {
  var form = document.querySelector("form.survey-form[data-kind=self_check]");
  if (!form) { return; }
  function blank(q) {
    var type = q.getAttribute("data-type");
    if (type === "note" || q.hidden || q.closest("[hidden]")) { return false; }
    if (type === "photo") { return !Number(q.getAttribute("data-count") || 0); }
    if (q.querySelector("input[type=radio], input[type=checkbox]")) { return !q.querySelector("input:checked"); }
    var field = q.querySelector("input, textarea, select");
    return !field || !field.value.trim();
  }
  function label(q) {
    var el = q.querySelector(".q-label");
    var text = el ? el.firstChild && el.firstChild.textContent || el.textContent : q.getAttribute("data-name");
    text = (text || "").trim();
    return text.length > 24 ? text.slice(0, 24) + "…" : text;
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-submit]");
    if (!button || !form.contains(button)) { return; }
    var empty = Array.prototype.filter.call(form.querySelectorAll(".q"), blank);
    if (empty.some(function (q) { return q.hasAttribute("data-required"); })) { return; }
    var lines = ["确定提交自查表？"];
    if (empty.length) {
      lines.push("尚有 " + empty.length + " 题未作答：");
      empty.slice(0, 8).forEach(function (q) { lines.push("· " + label(q)); });
      if (empty.length > 8) { lines.push("……"); }
    } else {
      lines.push("所有题目均已作答。");
    }
    lines.push("提交后不能再修改，只有管理员可以退回重新填写。");
    if (!window.confirm(lines.join("\n"))) { event.preventDefault(); event.stopImmediatePropagation(); }
  }, true);
})();
