"""The safe expression language: JUEL and FEEL forms, semantics, errors, and properties."""

from __future__ import annotations

import contextlib
import pickle
from datetime import UTC, date, datetime
from decimal import Decimal, localcontext
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workflows.expressions import (
    Expression,
    ExpressionError,
    compile_expression,
    compile_value,
    render,
    values_equal,
)

VARS: dict[str, Any] = {
    "amount": 6000,
    "approved": True,
    "status": "open",
    "x": 3,
    "y": 2,
    "a": None,
    "list": [],
    "items": ["a", "b"],
    "invoice": {"amount": Decimal("1200.50"), "lines": [{"net": 100}], "buyer": None},
    "price": 0.1,
    "refused": False,
}


def ev(text: str, variables: dict[str, Any] | None = None, **kw: Any) -> Any:
    return compile_expression(text).evaluate(VARS if variables is None else variables, **kw)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # JUEL as Camunda 7 users write it
        ("${amount > 5000 && approved}", True),
        ("${!approved}", False),
        ("${status == 'open' || x eq 3}", True),
        ("${a != null}", False),
        ("${a == null}", True),
        ("${empty list}", True),
        ("${empty items}", False),
        ("${not approved}", False),
        ("${x ge 3 and y lt 4}", True),
        ("${x gt 3 or y le 2}", True),
        ("${x ne 3}", False),
        ("${amount div 4}", 1500),
        ("${amount mod 7}", 6000 % 7),
        ("${approved ? 'yes' : 'no'}", "yes"),
        ("#{x + 1}", 4),
        # FEEL as Camunda 8 / bpmn.io write it
        ("= amount > 5000 and approved", True),
        ("=not(approved)", False),
        ("= x in [1,2,3]", True),
        ("= x in [4, 5]", False),
        ('= status = "open"', True),
        ('=status != "open"', False),
        ("= amount >= 1000 and amount < 5000", False),
        ('= if approved then "a" else "b"', "a"),
        # plain
        ("amount > 5000", True),
        ("  x * y + 1  ", 7),
        # arithmetic and precedence
        ("1 + 2 * 3", 7),
        ("(1 + 2) * 3", 9),
        ("10 - 4 - 3", 3),
        ("-x + 10", 7),
        ("- -x", 3),
        ("7 % 3", 1),
        ("-7 % 3", -1),
        ("7 % -3", 1),
        ("10 / 4", Decimal("2.5")),
        ("1 / 3 * 3 == 1", False),
        ("0.1 + 0.2 == 0.3", True),
        ("price + 0.2 == 0.3", True),
        ("invoice.amount == 1200.5", True),
        ("invoice.amount * 2", Decimal("2401.00")),
        ("'a' + 'b'", "ab"),
        # members, indexes
        ("invoice.lines[0].net", 100),
        ("invoice['amount'] > 1000", True),
        ("items[1]", "b"),
        ("items[5]", None),
        ("invoice.missing", None),
        ("invoice.buyer.name", None),
        ("invoice.and", None),  # keywords are fine as property names
        # equality across types never fails
        ("1 == 1.0", True),
        ("1 == true", False),
        ("'1' == 1", False),
        ("null == false", False),
        ("items == ['a', 'b']", True),
        ("[1, [2]] == [1.0, [2]]", True),
        # functions
        ("size(items) == 2 && count('abc') == 3 && length(invoice) == 3", True),
        ("size(a)", 0),
        ("contains('Mitzeichnung', 'zeich')", True),
        ("contains(items, 'b')", True),
        ("contains(invoice, 'lines')", True),
        ("contains(a, 'x')", False),
        ("lower('ÄB') + upper('c')", "äbC"),
        ("startsWith(status, 'op') and endsWith(status, 'en')", True),
        ("abs(-2.5)", Decimal("2.5")),
        ("min(3, 1, 2) + max([4, 9])", 10),
        ("min([])", None),
        ("sum([1, 2.5, price])", Decimal("3.6")),
        ("string(1.50) + string(true) + string(null)", "1.50true"),
        ("number('42') + number('-1.5')", Decimal("40.5")),
        ("defined(x) and not defined(nope)", True),
        ("'a' in 'bab' and 'lines' in invoice", True),
        # short circuit: the right side is never evaluated
        ("false && nope", False),
        ("true || nope", True),
        ("approved ? 1 : nope", 1),
        ("if false then nope else 2", 2),
    ],
)
def test_evaluates(text: str, expected: Any) -> None:
    result = ev(text)
    assert values_equal(result, expected), (text, result, expected)
    assert type(result) is type(expected) or (
        isinstance(result, int | Decimal) and isinstance(expected, int | Decimal)
    )


def test_dates_compare() -> None:
    variables = {
        "due": datetime(2024, 5, 1, 9, 0, tzinfo=UTC),
        "now": datetime(2024, 5, 2, tzinfo=UTC),
        "day": date(2024, 5, 1),
    }
    assert ev("due < now", variables) is True
    assert ev("day == day", variables) is True
    with pytest.raises(ExpressionError):
        ev("due < day", variables)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("${amount >}", "unexpected '}'"),
        ("${a & b}", "unexpected character '&'"),
        ("${a | b}", "unexpected character '|'"),
        ("${a + (b}", "expected ')'"),
        ("${a", "missing '}'"),
        ("${}", "empty expression"),
        ("", "empty expression"),
        ("   ", "empty expression"),
        ("=", "empty expression"),
        ("${a} and ${b}", "one ${...} per condition"),
        ("a b", "unexpected 'b'"),
        ("'unterminated", "unterminated string"),
        ("'bad \\q escape'", "invalid escape"),
        ("x in [1..3]", "ranges (a..b) are not supported"),
        ("dateTime().plusDays(3)", "unknown function 'dateTime'"),
        ("x.toString()", "method calls are not supported"),
        ("size(1, 2)", "size() called with 2 argument(s)"),
        ("defined(1)", "defined() takes exactly one variable name"),
        ("a.", "property name expected"),
        ("{a: 1}", "unexpected character '{'"),
        ("1" * 200, "number too long"),
        ("(" * 500 + "1" + ")" * 500, "nested too deeply"),
        ("+".join(["1"] * 300), "nested too deeply"),
    ],
)
def test_syntax_errors(text: str, fragment: str) -> None:
    with pytest.raises(ExpressionError) as info:
        compile_expression(text)
    assert fragment in str(info.value)
    assert " / " in str(info.value)  # German / English


def test_error_carries_position_and_both_languages() -> None:
    with pytest.raises(ExpressionError) as info:
        compile_expression("${amount > 5000 && # }")
    err = info.value
    assert err.position == 19
    assert err.source == "${amount > 5000 && # }"
    assert "Unerwartetes Zeichen" in err.message and "unexpected character" in err.message
    assert "Position 19" in err.message and "position 19" in err.message
    assert err.http_status == 422  # an InvalidInput, mapped by the shell


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("${nope > 1}", "unknown variable 'nope'"),
        ("a > 1", "cannot compare null > number"),
        ("status < 1", "cannot compare string < number"),
        ("approved && 1", "expected a boolean, got number"),
        ("!status", "expected a boolean, got string"),
        ("x ? 1 : 2", "expected a boolean, got number"),
        ("x / 0", "division by zero"),
        ("x % 0", "division by zero"),
        ("status - 1", "cannot compute string - number"),
        ("'a' + 1", "cannot compute string + number"),
        ("-status", "'-' expects a number"),
        ("x.y", "only objects have properties"),
        ("items['a']", "list index must be a whole number"),
        ("invoice[1]", "object key must be a string"),
        ("x[0]", "cannot index number"),
        ("1 in 2", "'in' does not work"),
        ("size(1)", "size() expects"),
        ("number('abc')", "is not a number"),
        ("min(1, 'a')", "only numbers, only strings or only dates"),
        ("sum(['a'])", "sum() expects number"),
    ],
)
def test_evaluation_errors(text: str, fragment: str) -> None:
    expr = compile_expression(text)
    with pytest.raises(ExpressionError) as info:
        expr.evaluate(VARS)
    assert fragment in str(info.value), str(info.value)


def test_unknown_variable_position_and_lenient_mode() -> None:
    expr = compile_expression("${approved && nope}")
    with pytest.raises(ExpressionError) as info:
        expr.evaluate(VARS)
    assert info.value.position == 14
    assert "Unbekannte Variable 'nope'" in info.value.message
    with pytest.raises(ExpressionError):
        expr.evaluate(VARS, strict=False)  # null is not a boolean
    assert compile_expression("nope == null").evaluate({}, strict=False) is True


def test_evaluate_bool_requires_a_boolean() -> None:
    assert compile_expression("${x > 1}").evaluate_bool(VARS) is True
    with pytest.raises(ExpressionError, match="instead of true/false"):
        compile_expression("${x}").evaluate_bool(VARS)
    with pytest.raises(ExpressionError, match="instead of true/false"):
        compile_expression("${a}").evaluate_bool(VARS)


def test_unsupported_variable_values_are_errors_not_attribute_access() -> None:
    class Secret:
        token = "s3cr3t"

    with pytest.raises(ExpressionError, match="not allowed in expressions"):
        compile_expression("obj").evaluate({"obj": Secret()})
    with pytest.raises(ExpressionError):
        compile_expression("obj.token").evaluate({"obj": Secret()})
    with pytest.raises(ExpressionError, match="NaN"):
        compile_expression("f").evaluate({"f": float("nan")})
    # Python dunder names are plain dict keys, nothing else
    assert compile_expression("d.__class__").evaluate({"d": {}}) is None


def test_values_are_templates() -> None:
    assert compile_value("b.meier").evaluate({}) == "b.meier"
    assert compile_value("b.meier").is_literal
    assert compile_value("${cosigner}").evaluate({"cosigner": "c.schulz"}) == "c.schulz"
    assert compile_value("${cosigners}").evaluate({"cosigners": ["a", "b"]}) == ["a", "b"]
    assert compile_value(" ${n} ").evaluate({"n": 5}) == 5
    assert compile_value("user-${id}-${ok}").evaluate({"id": 7, "ok": True}) == "user-7-true"
    assert compile_value("=owner").evaluate({"owner": "o"}) == "o"
    assert compile_value('=["a", group]').evaluate({"group": "g"}) == ["a", "g"]
    assert compile_value("P${days}D").evaluate({"days": 3}) == "P3D"
    assert compile_value("50%} {x").evaluate({}) == "50%} {x"
    with pytest.raises(ExpressionError, match="missing '}'"):
        compile_value("a ${b")


def test_expression_object_is_immutable_hashable_picklable() -> None:
    expr = compile_expression("${amount > 5000 && approved}")
    assert expr == compile_expression("${amount > 5000 && approved}")
    assert expr != compile_value("${amount > 5000 && approved}")  # other mode
    assert len({expr, compile_expression("${amount > 5000 && approved}")}) == 1
    clone = pickle.loads(pickle.dumps(expr))
    assert clone == expr and clone.evaluate(VARS) is True
    assert Expression.from_dict(expr.to_dict()) == expr
    assert expr.variables == {"amount", "approved"}
    assert expr.render() == "amount > 5000 and approved"
    with pytest.raises(AttributeError):
        expr.source = "x"  # type: ignore[misc]


# --------------------------------------------------------------------------- properties

ENV: dict[str, Any] = {
    "n1": 7,
    "n2": Decimal("2.5"),
    "n3": -3,
    "f1": 0.1,
    "b1": True,
    "b2": False,
    "s1": "Akte",
    "s2": 'o\'Brien "x" ${y} \\',
    "obj": {"name": "Müller", "amount": 1200},
    "items": ["a", "bb", "ccc"],
}
NUM_VARS = [("var", "n1"), ("var", "n2"), ("var", "n3"), ("var", "f1"), ("member", "obj", "amount")]
STR_VARS = [("var", "s1"), ("var", "s2"), ("member", "obj", "name")] + [
    ("index", "items", i) for i in range(3)
]
BOOL_VARS = [("var", "b1"), ("var", "b2")]

text_st = st.text(
    alphabet=st.sampled_from(list("abcAZ äöß'\"\\}{$#=-.\n\t") + ["€", "ü"]), max_size=8
)
num_lit = st.one_of(
    st.integers(min_value=0, max_value=10**12).map(lambda i: ("num", i)),
    st.decimals(min_value=0, max_value=10**6, places=3, allow_nan=False, allow_infinity=False).map(
        lambda d: ("num", d)
    ),
)


def _num(children: Any) -> Any:
    return st.one_of(
        st.tuples(st.sampled_from(["add", "sub", "mul", "div", "mod"]), children, children).map(
            lambda t: ("bin", t[0], t[1], t[2])
        ),
        children.map(lambda c: ("neg", c)),
        children.map(lambda c: ("call", "abs", c)),
    )


def _str(children: Any) -> Any:
    return st.one_of(
        st.tuples(children, children).map(lambda t: ("bin", "add", t[0], t[1])),
        st.tuples(st.sampled_from(["lower", "upper"]), children).map(
            lambda t: ("call", t[0], t[1])
        ),
    )


nums = st.recursive(st.one_of(num_lit, st.sampled_from(NUM_VARS)), _num, max_leaves=6)
strs = st.recursive(
    st.one_of(text_st.map(lambda s: ("str", s)), st.sampled_from(STR_VARS)), _str, max_leaves=4
)


def _bool(children: Any) -> Any:
    return st.one_of(
        st.tuples(st.sampled_from(["and", "or"]), children, children).map(
            lambda t: ("bin", t[0], t[1], t[2])
        ),
        children.map(lambda c: ("not", c)),
        st.tuples(st.sampled_from(["eq", "ne"]), children, children).map(
            lambda t: ("bin", t[0], t[1], t[2])
        ),
        st.tuples(children, children, children).map(lambda t: ("cond", *t)),
    )


bool_leaves = st.one_of(
    st.sampled_from([("bool", True), ("bool", False), *BOOL_VARS]),
    st.tuples(st.sampled_from(["eq", "ne", "lt", "le", "gt", "ge"]), nums, nums).map(
        lambda t: ("bin", t[0], t[1], t[2])
    ),
    st.tuples(st.sampled_from(["eq", "ne", "lt", "ge"]), strs, strs).map(
        lambda t: ("bin", t[0], t[1], t[2])
    ),
    st.tuples(nums, st.lists(nums, max_size=3)).map(lambda t: ("in", t[0], t[1])),
    st.tuples(strs, strs).map(lambda t: ("call2", "contains", t[0], t[1])),
    strs.map(lambda s: ("empty", s)),
    st.tuples(nums, strs).map(lambda t: ("bin", "eq", t[0], t[1])),
)
bools = st.recursive(bool_leaves, _bool, max_leaves=6)
any_expr = st.one_of(bools, nums, strs)


class RefError(Exception):
    pass


def reference(node: Any) -> Any:
    """Independent evaluation of the documented semantics, straight in Python."""
    kind = node[0]
    if kind in ("num", "str", "bool"):
        return node[1]
    if kind == "var":
        value = ENV[node[1]]
        return Decimal(repr(value)) if isinstance(value, float) else value
    if kind == "member":
        return ENV[node[1]][node[2]]
    if kind == "index":
        return ENV[node[1]][node[2]]
    if kind == "neg":
        return -reference(node[1])
    if kind == "not":
        return not reference(node[1])
    if kind == "empty":
        return reference(node[1]) == ""
    if kind == "cond":
        return reference(node[2]) if reference(node[1]) else reference(node[3])
    if kind == "in":
        left = reference(node[1])
        return any(left == reference(item) for item in node[2])
    if kind == "call":
        value = reference(node[2])
        return {"abs": abs, "lower": str.lower, "upper": str.upper}[node[1]](value)
    if kind == "call2":
        return reference(node[3]) in reference(node[2])
    op, left_node, right_node = node[1], node[2], node[3]
    if op == "and":
        return reference(left_node) and reference(right_node)
    if op == "or":
        return reference(left_node) or reference(right_node)
    a, b = reference(left_node), reference(right_node)
    if op in ("eq", "ne"):
        same = type(a) is type(b) or (isinstance(a, int | Decimal) and isinstance(b, int | Decimal))
        equal = same and a == b
        return equal if op == "eq" else not equal
    if op in ("lt", "le", "gt", "ge"):
        return {"lt": a < b, "le": a <= b, "gt": a > b, "ge": a >= b}[op]
    if op == "add" and isinstance(a, str):
        return a + b
    if isinstance(a, int) and isinstance(b, int) and op in ("add", "sub", "mul"):
        return {"add": a + b, "sub": a - b, "mul": a * b}[op]
    if op in ("div", "mod") and b == 0:
        raise RefError
    if op == "mod" and isinstance(a, int) and isinstance(b, int):
        q = abs(a) // abs(b) * (1 if (a >= 0) == (b >= 0) else -1)
        return a - b * q
    try:
        x, y = Decimal(a), Decimal(b)
        if op == "add":
            return x + y
        if op == "sub":
            return x - y
        if op == "mul":
            return x * y
        return x / y if op == "div" else x % y
    except ArithmeticError as exc:
        raise RefError from exc


# binding strength for the renderer (independent of the module's own table)
PREC = {"or": 2, "and": 3, "eq": 4, "ne": 4, "lt": 5, "le": 5, "gt": 5, "ge": 5, "in": 5}
PREC.update({"add": 6, "sub": 6, "mul": 7, "div": 7, "mod": 7})
SPELLINGS = {
    "or": ["||", "or"],
    "and": ["&&", "and"],
    "eq": ["==", "=", "eq"],
    "ne": ["!=", "ne"],
    "lt": ["<", "lt"],
    "le": ["<=", "le"],
    "gt": [">", "gt"],
    "ge": [">=", "ge"],
    "add": ["+"],
    "sub": ["-"],
    "mul": ["*"],
    "div": ["/", "div"],
    "mod": ["%", "mod"],
}


def quote(text: str, draw: Any) -> str:
    q = draw(st.sampled_from(["'", '"']))
    body = text.replace("\\", "\\\\").replace(q, "\\" + q)
    if draw(st.booleans()):
        body = body.replace("\n", "\\n").replace("\t", "\\t")
    return q + body + q


def prec_of(node: Any) -> int:
    kind = node[0]
    if kind == "cond":
        return 1
    if kind == "bin":
        return PREC[node[1]]
    if kind == "in":
        return 5
    if kind in ("neg", "not", "empty"):
        return 8
    if kind in ("member", "index"):
        return 9
    return 10


def to_text(node: Any, draw: Any) -> str:
    """Render with minimal parentheses, random spellings and random extra parentheses."""
    ws = lambda: draw(st.sampled_from([" ", "  ", "\n", "\t "]))  # noqa: E731

    def sub(child: Any, min_prec: int) -> str:
        text = to_text(child, draw)
        if prec_of(child) < min_prec or draw(st.integers(0, 9)) == 0:
            return f"({text})"
        return text

    kind = node[0]
    if kind == "num":
        return format(node[1], "f")
    if kind == "str":
        return quote(node[1], draw)
    if kind == "bool":
        return "true" if node[1] else "false"
    if kind == "var":
        return node[1]
    if kind == "member":
        return draw(st.sampled_from([f"{node[1]}.{node[2]}", f"{node[1]}['{node[2]}']"]))
    if kind == "index":
        return f"{node[1]}[{node[2]}]"
    if kind == "neg":
        return "-" + sub(node[1], 8)
    if kind == "not":
        style = draw(st.sampled_from(["!", "not ", "not("]))
        if style == "not(":
            return f"not({to_text(node[1], draw)})"
        return style + sub(node[1], 8)
    if kind == "empty":
        return "empty " + sub(node[1], 8)
    if kind == "cond":
        test, then, other = sub(node[1], 2), sub(node[2], 0), sub(node[3], 1)
        if draw(st.booleans()):
            return f"{test}{ws()}?{ws()}{then}{ws()}:{ws()}{other}"
        return f"if {test} then {then} else {other}"
    if kind == "in":
        items = ", ".join(to_text(i, draw) for i in node[2])
        return f"{sub(node[1], 6)} in [{items}]"
    if kind == "call":
        return f"{node[1]}({to_text(node[2], draw)})"
    if kind == "call2":
        return f"{node[1]}({to_text(node[2], draw)},{ws()}{to_text(node[3], draw)})"
    op = node[1]
    spelling = draw(st.sampled_from(SPELLINGS[op]))
    return f"{sub(node[2], PREC[op])}{ws()}{spelling}{ws()}{sub(node[3], PREC[op] + 1)}"


def wrap(text: str, draw: Any) -> str:
    style = draw(st.sampled_from(["${", "#{", "=", "plain"]))
    if style in ("${", "#{"):
        return f"{style}{text}}}"
    if style == "=":
        return f"= {text}"
    return text


def same(result: Any, expected: Any) -> bool:
    if isinstance(expected, bool) or isinstance(result, bool):
        return result is expected
    if isinstance(expected, int | Decimal):
        return isinstance(result, int | Decimal) and result == expected
    return result == expected


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(node=any_expr, data=st.data())
def test_random_expressions_evaluate_like_the_reference(node: Any, data: st.DataObject) -> None:
    text = wrap(to_text(node, data.draw), data.draw)
    expr = compile_expression(text)
    try:
        with localcontext() as ctx:
            ctx.prec = 34  # the module's decimal precision
            expected = reference(node)
    except RefError:
        with pytest.raises(ExpressionError):
            expr.evaluate(ENV)
        return
    result = expr.evaluate(ENV)
    assert same(result, expected), (text, result, expected)
    # the module's own canonical rendering parses back to the same tree and value
    canonical = render(expr.node)
    again = compile_expression(canonical)
    assert render(again.node) == canonical
    assert same(again.evaluate(ENV), expected)


TOKENS = [
    "${",
    "#{",
    "}",
    "=",
    "==",
    "!=",
    "!",
    "&&",
    "||",
    "and",
    "or",
    "not",
    "empty",
    "in",
    "if",
    "then",
    "else",
    "?",
    ":",
    "(",
    ")",
    "[",
    "]",
    ",",
    ".",
    "..",
    "+",
    "-",
    "*",
    "/",
    "%",
    "<",
    ">=",
    "lt",
    "eq",
    "div",
    "mod",
    "x",
    "n1",
    "s1",
    "obj",
    "items",
    "size",
    "contains",
    "defined",
    "1",
    "2.5",
    "0",
    "'a'",
    '"b"',
    "'",
    '"',
    "\\",
    "true",
    "null",
    " ",
    "\n",
    "@",
    "{",
]


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.text(max_size=60), st.lists(st.sampled_from(TOKENS), max_size=30).map("".join)))
def test_arbitrary_text_only_ever_raises_expression_error(text: str) -> None:
    for compile_ in (compile_expression, compile_value):
        try:
            expr = compile_(text)
        except ExpressionError:
            continue
        for strict in (True, False):
            with contextlib.suppress(ExpressionError):
                expr.evaluate(ENV, strict=strict)
