"""The XLSForm expression subset of the relevant and constraint columns.

parse() turns text into a small JSON AST (a hand-written tokenizer and recursive-descent
parser, never eval); evaluate() is the authoritative evaluator. static/js/expr.js evaluates
the same AST in the browser and must stay identical to the evaluation half of this module.
"""
from __future__ import annotations

import math
import operator
import re
from decimal import Decimal
from typing import Any

MAX_LENGTH = 1000
MAX_DEPTH = 50
ARITY = {"not": 1, "selected": 2, "count-selected": 1, "true": 0, "false": 0}
# Evaluation trims and splits on exactly these, as expr.js does (str.split() and JS \s differ).
_NUMERIC = re.compile(r"[ \t\n\r\f\v]*(-?[0-9]+(?:\.[0-9]+)?)[ \t\n\r\f\v]*")
_SPLIT = re.compile(r"[ \t\n\r\f\v]+")
# Question names as survey.xlsform.validate.NAME allows them.
_REF = re.compile(r"\$\{([^\W\d][\w.-]*)\}")
_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_FULL_WIDTH = "（），‘’“”＝＜＞！"
_OPERAND_END = {"num", "str", "ref", "self", ")"}


class ExpressionError(ValueError):
    """A user-facing (Chinese) parse error; position is 0-based or None."""

    def __init__(self, message: str, position: int | None = None):
        super().__init__(message)
        self.message = message
        self.position = position

    def __str__(self) -> str:
        return self.message


def _fail(pos: int, what: str) -> ExpressionError:
    return ExpressionError(f"第 {pos + 1} 个字符处{what}", pos)


# ---- tokenizer: (kind, value, position, source text) ----

def _tokens(text: str):
    """Yields tokens lazily, so that the first error reported is the leftmost one."""
    i, previous = 0, None
    while i < len(text):
        if text[i].isspace():
            i += 1
            continue
        previous, value, end = _token_at(text, i, previous)
        yield previous, value, i, text[i:end]
        i = end
    yield "end", None, len(text), ""


def _token_at(text: str, i: int, previous: str | None) -> tuple[str, Any, int]:
    ch = text[i]
    if text[i:i + 2] in ("!=", "<=", ">="):
        return "op", text[i:i + 2], i + 2
    if ch in "=<>":
        return "op", ch, i + 1
    if ch in "(),":
        return ch, ch, i + 1
    if ch in "'\"":
        end = text.find(ch, i + 1)
        if end < 0:
            raise _fail(i, "的字符串缺少结束引号")
        return "str", text[i + 1:end], end + 1
    if ch == "$":
        match = _REF.match(text, i)
        if not match:
            raise _fail(i, "的引用格式不正确，应写成 ${题目名称}")
        return "ref", match.group(1), match.end()
    match = _NUMBER.match(text, i)
    if match and (ch != "-" or previous not in _OPERAND_END):
        return "num", _number(match.group(), i), match.end()
    if ch == ".":
        return "self", None, i + 1
    match = _WORD.match(text, i)
    if match:
        return "word", match.group(), match.end()
    if ch in "+-*/|!":
        raise _fail(i, f"有不支持的运算符 “{ch}”")
    hint = "（请使用英文半角符号）" if ch in _FULL_WIDTH else ""
    raise _fail(i, f"有无法识别的字符 “{ch}”{hint}")


def _number(source: str, pos: int) -> int | float:
    if not math.isfinite(float(source)):
        raise _fail(pos, "的数字过大")
    return float(source) if "." in source else int(source)


# ---- parser ----

class _Parser:
    def __init__(self, text: str):
        self.tokens = _tokens(text)
        self.current = next(self.tokens)
        self.depth = 0

    def peek(self) -> tuple:
        return self.current

    def take(self) -> tuple:
        token = self.current
        if token[0] != "end":
            self.current = next(self.tokens)
        return token

    def expression(self) -> dict:
        return self._chain("or", lambda: self._chain("and", self.comparison))

    def _chain(self, keyword: str, sub) -> dict:
        items = [sub()]
        while self.peek()[:2] == ("word", keyword):
            self.take()
            items.append(sub())
        return items[0] if len(items) == 1 else {"t": keyword, "a": items}

    def comparison(self) -> dict:
        left = self.operand()
        if self.peek()[0] != "op":
            return left
        op = self.take()[1]
        right = self.operand()
        if self.peek()[0] == "op":
            raise _fail(self.peek()[2], "比较运算不能连用，请用 and 连接两个比较")
        return {"t": "cmp", "op": op, "l": left, "r": right}

    def operand(self) -> dict:
        kind, value, pos, source = self.take()
        if kind in ("num", "str"):
            return {"t": "lit", "v": value}
        if kind == "ref":
            return {"t": "ref", "n": value}
        if kind == "self":
            return {"t": "self"}
        if kind == "(":
            self.enter(pos)
            inner = self.expression()
            self.close()
            return inner
        if kind == "word" and value not in ("and", "or"):
            return self.call(value, pos)
        if kind == "end":
            raise _fail(pos, "缺少运算对象，表达式不完整")
        raise _fail(pos, f"缺少运算对象，不能是 “{source}”")

    def call(self, name: str, pos: int) -> dict:
        if self.peek()[0] != "(":
            if name in ARITY:
                raise _fail(pos, f"的函数 {name} 后面缺少括号")
            if name.lower() in ("and", "or", "not"):
                raise _fail(pos, f"的 “{name}” 应写成小写 {name.lower()}")
            raise _fail(pos, f"的 “{name}” 无法识别，引用题目请写成 ${{{name}}}")
        if name not in ARITY:
            raise _fail(pos, f"有不支持的函数 {name}")
        self.enter(self.take()[2])
        args = []
        if self.peek()[0] != ")":
            args.append(self.expression())
            while self.peek()[0] == ",":
                self.take()
                args.append(self.expression())
        self.close()
        if len(args) != ARITY[name]:
            raise _fail(pos, f"的函数 {name} 需要 {ARITY[name]} 个参数，实际有 {len(args)} 个")
        return {"t": "not", "a": args[0]} if name == "not" else {"t": "fn", "f": name, "a": args}

    def enter(self, pos: int) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _fail(pos, f"嵌套过深（最多 {MAX_DEPTH} 层括号）")

    def close(self) -> None:
        token = self.take()
        if token[0] != ")":
            raise _fail(token[2], "缺少右括号") if token[0] == "end" else _unexpected(token)
        self.depth -= 1


def _unexpected(token: tuple) -> ExpressionError:
    kind, value, pos, source = token
    if kind == ")":
        return _fail(pos, "多了一个右括号")
    if kind == ",":
        return _fail(pos, "的逗号只能用在函数的参数之间")
    if kind == "word" and value.lower() in ("and", "or"):
        return _fail(pos, f"的 “{value}” 应写成小写 {value.lower()}")
    return _fail(pos, f"缺少运算符（如 =、and、or），“{source}” 不能紧跟在前一个值后面")


def parse(text: str) -> dict:
    """Expression text → AST dict; raises ExpressionError with a Chinese message."""
    if text is None or not text.strip():
        raise ExpressionError("表达式不能为空")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"表达式过长（最多 {MAX_LENGTH} 个字符）")
    parser = _Parser(text)
    ast = parser.expression()
    if parser.peek()[0] != "end":
        raise _unexpected(parser.peek())
    return ast


# ---- inspection and rendering ----

def _children(ast: dict) -> list[dict]:
    if ast["t"] == "cmp":
        return [ast["l"], ast["r"]]
    if ast["t"] == "not":
        return [ast["a"]]
    return list(ast.get("a", [])) if ast["t"] in ("and", "or", "fn") else []


def _nodes(ast: dict):
    stack = [ast]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(_children(node))


def references(ast: dict) -> set[str]:
    return {node["n"] for node in _nodes(ast) if node["t"] == "ref"}


def uses_self(ast: dict) -> bool:
    return any(node["t"] == "self" for node in _nodes(ast))


_WRAP = {"cmp": ("cmp", "and", "or"), "and": ("and", "or"), "or": ("or",)}


def to_text(ast: dict) -> str:
    """AST → text that parses back to an equal AST (parentheses only where needed)."""
    t = ast["t"]
    if t == "lit":
        return _literal_text(ast["v"])
    if t == "ref":
        return "${" + ast["n"] + "}"
    if t == "self":
        return "."
    if t == "cmp":
        return f"{_wrapped(ast['l'], 'cmp')} {ast['op']} {_wrapped(ast['r'], 'cmp')}"
    if t in ("and", "or"):
        return f" {t} ".join(_wrapped(item, t) for item in ast["a"])
    if t == "not":
        return f"not({to_text(ast['a'])})"
    if t == "fn":
        return f"{ast['f']}({', '.join(to_text(arg) for arg in ast['a'])})"
    raise ValueError(f"unknown expression node {t!r}")


def _wrapped(ast: dict, parent: str) -> str:
    text = to_text(ast)
    return f"({text})" if ast["t"] in _WRAP[parent] else text


def _literal_text(v: Any) -> str:
    if isinstance(v, str):
        if "'" not in v:
            return f"'{v}'"
        if '"' not in v:
            return f'"{v}"'
        raise ValueError("a string literal cannot contain both quote characters")
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise ValueError(f"not a literal: {v!r}")
    if isinstance(v, int):
        return str(v)
    text = format(Decimal(repr(v)), "f")  # plain decimal notation, shortest digits
    return text if "." in text else text + ".0"


# ---- evaluation (mirrored in static/js/expr.js) ----

def evaluate(ast: dict, answers: dict | None, self_value: Any = None) -> bool:
    return truthy(value_of(ast, answers or {}, self_value))


def value_of(ast: dict, answers: dict, self_value: Any = None) -> Any:
    t = ast["t"]
    if t == "lit":
        return ast["v"]
    if t == "ref":
        return _normal(answers.get(ast["n"]))
    if t == "self":
        return _normal(self_value)
    if t == "cmp":
        return _compare(ast["op"], value_of(ast["l"], answers, self_value),
                        value_of(ast["r"], answers, self_value))
    if t == "and":
        return all(truthy(value_of(item, answers, self_value)) for item in ast["a"])
    if t == "or":
        return any(truthy(value_of(item, answers, self_value)) for item in ast["a"])
    if t == "not":
        return not truthy(value_of(ast["a"], answers, self_value))
    if t == "fn":
        return _call(ast["f"], [value_of(arg, answers, self_value) for arg in ast["a"]])
    raise ValueError(f"unknown expression node {t!r}")


def _call(name: str, args: list) -> Any:
    if name == "true":
        return True
    if name == "false":
        return False
    if name == "selected":
        return to_string(args[1]) in _as_list(args[0])
    if name == "count-selected":
        return len(_as_list(args[0]))
    raise ValueError(f"unknown function {name!r}")


def _normal(v: Any) -> Any:
    if v is None:
        return ""
    if isinstance(v, (str, int, float, list)):  # bool is an int
        return v
    return list(v) if isinstance(v, tuple) else str(v)


def truthy(v: Any) -> bool:
    if isinstance(v, bool):
        return v
    if isinstance(v, (int, float)):
        return v != 0 and v == v
    return bool(v)


def _as_list(v: Any) -> list[str]:
    if isinstance(v, list):
        return [to_string(item) for item in v]
    return [part for part in _SPLIT.split(to_string(v)) if part]


def _float(v: int | float) -> float:
    try:
        return float(v)
    except OverflowError:
        return math.inf if v > 0 else -math.inf


def _numeric(v: Any) -> float | None:
    if isinstance(v, (int, float)):
        return _float(v)
    match = _NUMERIC.fullmatch(v) if isinstance(v, str) else None
    number = float(match.group(1)) if match else math.nan
    return number if math.isfinite(number) else None


def _compare(op: str, left: Any, right: Any) -> bool:
    if isinstance(left, bool) or isinstance(right, bool):
        return _order(op, int(truthy(left)), int(truthy(right)))
    left = to_string(left) if isinstance(left, list) else left
    right = to_string(right) if isinstance(right, list) else right
    ln, rn = _numeric(left), _numeric(right)
    if ln is not None and rn is not None:
        return _order(op, ln, rn)
    if (left == "" and rn is not None) or (right == "" and ln is not None):
        return op == "!="
    return _order(op, to_string(left), to_string(right))


_ORDER = {"=": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
          ">": operator.gt, ">=": operator.ge}


def _order(op: str, a: Any, b: Any) -> bool:
    if op not in _ORDER:
        raise ValueError(f"unknown comparison {op!r}")
    return _ORDER[op](a, b)


def to_string(v: Any) -> str:
    """Like JavaScript's String(v) for the values answers hold; None and [] become ""."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return js_number(v)
    if isinstance(v, list):
        return " ".join(to_string(item) for item in v)
    return str(v)


def js_number(x: int | float) -> str:
    """Number::toString of ECMAScript: shortest round-trip digits, exponent outside 1e-7..1e21."""
    x = _float(x)
    if x != x:
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    if x == 0:
        return "0"
    mantissa, _, exponent = repr(abs(x)).partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = (whole + fraction).lstrip("0")
    n = len(whole) + int(exponent or 0) - (len(whole + fraction) - len(digits))
    digits = digits.rstrip("0")
    k, sign = len(digits), "-" if x < 0 else ""
    if k <= n <= 21:
        return sign + digits + "0" * (n - k)
    if 0 < n <= 21:
        return sign + digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return sign + "0." + "0" * -n + digits
    e = f"e{'+' if n > 0 else '-'}{abs(n - 1)}"
    return sign + digits[0] + ("." + digits[1:] if k > 1 else "") + e
