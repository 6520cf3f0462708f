// Evaluates the expression AST of survey/xlsform/expressions.py in the browser, to show and
// hide questions. The server parses and sends the AST as JSON; there is no parser here.
// The Python evaluator is authoritative: keep every rule below identical to it.
// Plain ES5 for old WeChat in-app browsers: no arrow functions, let/const or modules.
(function () {
  "use strict";

  // Trim and split on exactly these characters, as the Python side does.
  var NUMERIC = /^[ \t\n\r\f\v]*(-?[0-9]+(?:\.[0-9]+)?)[ \t\n\r\f\v]*$/;
  var SPACES = /[ \t\n\r\f\v]+/;
  var hasOwn = Object.prototype.hasOwnProperty;

  function isArray(v) {
    return Object.prototype.toString.call(v) === "[object Array]";
  }

  // Unanswered questions are the empty string.
  function normal(v) {
    return v === null || v === undefined ? "" : v;
  }

  function toStr(v) {
    var parts, i;
    if (v === null || v === undefined) { return ""; }
    if (typeof v === "boolean") { return v ? "true" : "false"; }
    if (isArray(v)) {
      parts = [];
      for (i = 0; i < v.length; i++) { parts.push(toStr(v[i])); }
      return parts.join(" ");
    }
    return String(v);
  }

  function truthy(v) {
    if (typeof v === "boolean") { return v; }
    if (typeof v === "number") { return v !== 0 && v === v; }
    if (typeof v === "string" || isArray(v)) { return v.length > 0; }
    return !!v;
  }

  function asList(v) {
    var out = [], parts, i;
    if (isArray(v)) {
      for (i = 0; i < v.length; i++) { out.push(toStr(v[i])); }
      return out;
    }
    parts = toStr(v).split(SPACES);
    for (i = 0; i < parts.length; i++) {
      if (parts[i] !== "") { out.push(parts[i]); }
    }
    return out;
  }

  // A number, or a string that is a plain finite decimal ("12", " 3.5 ", "-2"); else null.
  function numeric(v) {
    var m, n;
    if (typeof v === "number") { return v; }
    if (typeof v !== "string") { return null; }
    m = NUMERIC.exec(v);
    if (!m) { return null; }
    n = Number(m[1]);
    return isFinite(n) ? n : null;
  }

  // Python orders strings by code point, JavaScript by UTF-16 unit: rank surrogate units above
  // U+E000..U+FFFF so that the first differing unit orders as the code points do.
  function unitRank(c) {
    if (c >= 0xD800 && c <= 0xDFFF) { return c + 0x2000; }
    return c >= 0xE000 ? c - 0x800 : c;
  }

  function compareStrings(a, b) {
    var n = Math.min(a.length, b.length), i, x, y;
    for (i = 0; i < n; i++) {
      x = a.charCodeAt(i);
      y = b.charCodeAt(i);
      if (x !== y) { return unitRank(x) < unitRank(y) ? -1 : 1; }
    }
    return a.length === b.length ? 0 : (a.length < b.length ? -1 : 1);
  }

  function order(op, a, b) {
    switch (op) {
      case "=": return a === b;
      case "!=": return a !== b;
      case "<": return a < b;
      case "<=": return a <= b;
      case ">": return a > b;
      case ">=": return a >= b;
    }
    throw new Error("unknown comparison " + op);
  }

  function compare(op, left, right) {
    var ln, rn;
    if (typeof left === "boolean" || typeof right === "boolean") {
      return order(op, truthy(left) ? 1 : 0, truthy(right) ? 1 : 0);
    }
    if (isArray(left)) { left = toStr(left); }
    if (isArray(right)) { right = toStr(right); }
    ln = numeric(left);
    rn = numeric(right);
    if (ln !== null && rn !== null) { return order(op, ln, rn); }
    if ((left === "" && rn !== null) || (right === "" && ln !== null)) { return op === "!="; }
    return order(op, compareStrings(toStr(left), toStr(right)), 0);
  }

  function call(name, args) {
    switch (name) {
      case "true": return true;
      case "false": return false;
      case "selected": return asList(args[0]).indexOf(toStr(args[1])) >= 0;
      case "count-selected": return asList(args[0]).length;
    }
    throw new Error("unknown function " + name);
  }

  function value(ast, answers, selfValue) {
    var i, args;
    switch (ast.t) {
      case "lit": return ast.v;
      case "ref":
        return normal(answers && hasOwn.call(answers, ast.n) ? answers[ast.n] : null);
      case "self": return normal(selfValue);
      case "cmp":
        return compare(ast.op, value(ast.l, answers, selfValue), value(ast.r, answers, selfValue));
      case "and":
        for (i = 0; i < ast.a.length; i++) {
          if (!truthy(value(ast.a[i], answers, selfValue))) { return false; }
        }
        return true;
      case "or":
        for (i = 0; i < ast.a.length; i++) {
          if (truthy(value(ast.a[i], answers, selfValue))) { return true; }
        }
        return false;
      case "not": return !truthy(value(ast.a, answers, selfValue));
      case "fn":
        args = [];
        for (i = 0; i < ast.a.length; i++) { args.push(value(ast.a[i], answers, selfValue)); }
        return call(ast.f, args);
    }
    throw new Error("unknown expression node " + ast.t);
  }

  window.SurveyExpr = {
    evaluate: function (ast, answers, selfValue) { return truthy(value(ast, answers, selfValue)); },
    value: value
  };
})();
