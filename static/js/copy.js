// Copy a text for pasting elsewhere (a WeChat group): <button data-copy="ID" data-copy-status="ID2">
// copies the value of the textarea or input #ID. WeChat's browser may refuse the clipboard: the text
// is then selected and the status line asks for a long-press, the textarea being always visible.
document.addEventListener("click", function (event) {
  var button = event.target.closest && event.target.closest("[data-copy]");
  if (!button) { return; }
  var field = document.getElementById(button.getAttribute("data-copy"));
  var status = document.getElementById(button.getAttribute("data-copy-status") || "");
  if (!field) { return; }
  function say(ok) {
    if (!status) { return; }
    status.textContent = ok ? "已复制，可以粘贴到微信群了" : "浏览器不允许自动复制：请长按上面的文字，选择“全选”后复制";
    status.className = "copy-status " + (ok ? "copy-ok" : "copy-manual");
  }
  function fallback() {
    var ok = false;
    field.focus();
    field.select();
    try { field.setSelectionRange(0, field.value.length); } catch (e) { /* not a text field */ }
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    say(ok);
  }
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(field.value).then(function () { say(true); }, fallback);
  } else {
    fallback();
  }
});
