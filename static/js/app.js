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

// User form: show the unit picker for liaisons and the group list for inspectors only.
(function () {
  var role = document.getElementById("role");
  if (!role) { return; }
  function sync() {
    document.querySelectorAll("[data-show-for-role]").forEach(function (el) {
      el.hidden = el.getAttribute("data-show-for-role") !== role.value;
    });
  }
  role.addEventListener("change", sync);
  sync();
})();
