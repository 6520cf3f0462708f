// Filling a questionnaire: show/hide by relevance, progress, constraint hints.
// The server re-checks everything; this only helps the person typing.
(function () {
  "use strict";
  var form = document.querySelector("form.survey-form");
  if (!form || !window.SurveyExpr) { return; }
  var questions = Array.prototype.slice.call(form.querySelectorAll(".q"));

  function parse(el, attr) {
    var text = el.getAttribute(attr);
    return text ? JSON.parse(text) : null;
  }

  function rawValue(q) {
    var type = q.getAttribute("data-type");
    var inputs = q.querySelectorAll("input, textarea");
    if (type === "multiple") {
      return Array.prototype.filter.call(inputs, function (i) { return i.checked; })
        .map(function (i) { return i.value; });
    }
    if (type === "check" || type === "single" || type === "score") {
      var checked = q.querySelector("input:checked");
      return checked ? checked.value : "";
    }
    if (type === "photo") { return q.getAttribute("data-count") || ""; }
    if (type === "note" || !inputs.length) { return ""; }
    return inputs[0].value;
  }

  function isAnswered(value) {
    return Array.isArray(value) ? value.length > 0 : value !== "";
  }

  function setEnabled(q, enabled) {
    Array.prototype.forEach.call(q.querySelectorAll("input, textarea, select"), function (i) {
      i.disabled = !enabled;
    });
  }

  function refresh() {
    var answers = {}, total = 0, answered = 0;
    var sectionShown = {};
    Array.prototype.forEach.call(form.querySelectorAll(".form-section"), function (s) {
      var ast = parse(s, "data-relevant");
      var shown = !ast || window.SurveyExpr.evaluate(ast, answers, null);
      s.hidden = !shown;
      sectionShown[s.id] = shown;
      Array.prototype.forEach.call(s.querySelectorAll(".q"), function (q) {
        var name = q.getAttribute("data-name");
        var relevant = parse(q, "data-relevant");
        var visible = shown && (!relevant || window.SurveyExpr.evaluate(relevant, answers, null));
        q.hidden = !visible;
        setEnabled(q, visible);
        var value = visible ? rawValue(q) : "";
        answers[name] = value;
        if (visible && q.getAttribute("data-type") !== "note") {
          total += 1;
          if (isAnswered(value)) { answered += 1; }
        }
      });
    });
    var bar = form.querySelector("[data-progress]");
    if (bar) {
      bar.max = total || 1;
      bar.value = answered;
      form.querySelector("[data-answered]").textContent = answered;
      form.querySelector("[data-total]").textContent = total;
    }
    return answers;
  }

  function checkConstraint(q, answers) {
    var error = q.querySelector("[data-error]");
    var ast = parse(q, "data-constraint");
    var value = rawValue(q);
    var message = "";
    var input = q.querySelector("input[type=number]");
    if (input && value !== "" && input.validity && !input.validity.valid) {
      message = "请输入" + (input.min ? " " + input.min : "") + (input.max ? " 到 " + input.max : "") + " 之间的" +
        (q.getAttribute("data-type") === "integer" ? "整数" : "数字");
    } else if (ast && isAnswered(value) && !window.SurveyExpr.evaluate(ast, answers, value)) {
      message = q.getAttribute("data-constraint-message") || "回答不符合要求";
    }
    error.textContent = message;
    error.hidden = !message;
  }

  form.addEventListener("input", refresh);
  form.addEventListener("change", function (event) {
    var answers = refresh();
    var q = event.target.closest ? event.target.closest(".q") : null;
    if (q) { checkConstraint(q, answers); }
  });
  refresh();
  window.SurveyForm = { refresh: refresh };
})();
