"""A small, safe expression language for conditions and values in process models.

One evaluator for the common subset of the two dialects modellers write:

- JUEL as Camunda 7 users write it: ``${amount > 5000 && approved}``, ``${!approved}``,
  ``${status == 'open' || x eq 3}``, ``${a != null}``, ``${empty list}``, ``${not ok}``,
  ``${x ge 3 and y lt 4}``, ``${ok ? 'a' : 'b'}``;
- FEEL as Camunda 8 / bpmn.io write it: ``= amount > 5000 and approved``, ``=not(approved)``,
  ``= status = "open"`` (single ``=`` is equality), ``= x in [1, 2, 3]``,
  ``= if ok then "a" else "b"``;
- the same text without ``${...}`` or ``=`` (``amount > 5000``).

Text is tokenised and parsed (Pratt parser) to an AST once, then compiled to Python closures;
nothing is ever handed to ``eval``/``exec`` and there is no attribute access on Python objects:
``a.b`` and ``a["b"]`` read keys of dicts, ``a[0]`` reads list items, and only the functions in
:data:`FUNCTIONS` can be called (checked when the text is compiled).

Values and types
    null, booleans, numbers (``int``; decimals as :class:`~decimal.Decimal`, so ``0.1 + 0.2 ==
    0.3`` holds and money compares exactly; ``float`` variables are read as ``Decimal(repr(f))``),
    strings, lists, dicts, and ``date``/``datetime``/``timedelta`` values passed in as
    variables (compared, not computed with).

Semantics (deliberately strict: a model that cannot be evaluated raises an incident instead
of silently taking a wrong path)
    - ``and``/``or``/``not``/``?:`` need booleans; ``and``/``or`` short-circuit.
    - ``==``/``!=`` never fail: values of different types are unequal (``1 == true`` is false,
      ``1 == 1.0`` is true, ``x == null`` tests for null).
    - ``< <= > >=`` compare numbers with numbers, strings with strings, dates with dates;
      anything else (including null) is an :class:`ExpressionError`.
    - ``+`` adds numbers or concatenates two strings; ``- * / %`` need numbers; ``/`` is exact
      decimal division (34 digits), ``%`` keeps the sign of the dividend (as in Java/JUEL);
      division by zero is an error.
    - ``a.b`` and ``a[k]`` on null, a missing key or an index out of range give null.
    - ``x in list`` is membership, ``s in text`` is substring, ``k in dict`` is key membership.
    - ``empty x`` is true for null, ``""``, ``[]`` and ``{}``.
    - An unknown variable is an error by default (``strict=True``), or null with
      ``strict=False``; ``defined(x)`` tests whether variable ``x`` exists.

Precedence, loosest first: ``?:``/``if-then-else``; ``or ||``; ``and &&``; ``== != = eq ne``;
``< <= > >= lt le gt ge in``; ``+ -``; ``* / % div mod``; unary ``- ! not empty``;
``.name [index] f(...)``.

Two entry points: :func:`compile_expression` for conditions (plain text is an expression)
and :func:`compile_value` for attribute values such as an assignee (plain text is a literal
string, ``${...}`` parts are evaluated, ``=...`` is one FEEL expression).
"""

from __future__ import annotations

import decimal
import functools
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from dms.errors import InvalidInput

__all__ = [
    "FUNCTIONS",
    "Expression",
    "ExpressionError",
    "compile_expression",
    "compile_value",
    "render",
]

MAX_SOURCE_LENGTH = 10_000
MAX_DEPTH = 100
MAX_NUMBER_DIGITS = 100

_DEC = decimal.Context(
    prec=34,
    rounding=decimal.ROUND_HALF_EVEN,
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
)


class ExpressionError(InvalidInput):
    """A syntax, type or lookup error in an expression, with its position in the text.

    ``position`` is the 0-based character offset into ``source`` (the text as written in the
    model, including any ``${`` or ``=`` prefix), or None when it is not known.
    """

    code = "expression_error"

    def __init__(
        self,
        german: str,
        english: str,
        *,
        source: str | None = None,
        position: int | None = None,
    ) -> None:
        self.german = german
        self.english = english
        self.source = source
        self.position = position
        de, en = german, english
        if position is not None:
            de += f" (Position {position})"
            en += f" (position {position})"
        message = f"{de} / {en}"
        if source is not None:
            shown = source if len(source) <= 120 else source[:117] + "..."
            message += f": {shown!r}"
        super().__init__(message)


# --------------------------------------------------------------------------- AST


@dataclass(frozen=True, slots=True)
class Literal:
    value: Any
    pos: int = 0


@dataclass(frozen=True, slots=True)
class Var:
    name: str
    pos: int = 0


@dataclass(frozen=True, slots=True)
class Member:
    obj: Node
    name: str
    pos: int = 0


@dataclass(frozen=True, slots=True)
class Index:
    obj: Node
    index: Node
    pos: int = 0


@dataclass(frozen=True, slots=True)
class Call:
    name: str
    args: tuple[Node, ...]
    pos: int = 0


@dataclass(frozen=True, slots=True)
class Unary:
    op: str  # "not" | "neg" | "empty"
    operand: Node
    pos: int = 0


@dataclass(frozen=True, slots=True)
class Binary:
    op: str  # or and eq ne lt le gt ge in add sub mul div mod
    left: Node
    right: Node
    pos: int = 0


@dataclass(frozen=True, slots=True)
class ListLit:
    items: tuple[Node, ...]
    pos: int = 0


@dataclass(frozen=True, slots=True)
class Cond:
    test: Node
    then: Node
    otherwise: Node
    pos: int = 0


@dataclass(frozen=True, slots=True)
class Concat:
    """A value template such as ``user-${id}``: parts joined as strings."""

    parts: tuple[Node, ...]
    pos: int = 0


Node = Literal | Var | Member | Index | Call | Unary | Binary | ListLit | Cond | Concat


def _children(node: Node) -> tuple[Node, ...]:
    match node:
        case Member(obj=o):
            return (o,)
        case Index(obj=o, index=i):
            return (o, i)
        case Call(args=a) | ListLit(items=a) | Concat(parts=a):
            return a
        case Unary(operand=o):
            return (o,)
        case Binary(left=left, right=right):
            return (left, right)
        case Cond(test=t, then=a, otherwise=b):
            return (t, a, b)
    return ()


def _depth(node: Node) -> int:
    """Depth of the tree, computed without recursion (chains like a+a+...+a are deep)."""
    deepest = 0
    stack = [(node, 1)]
    while stack:
        current, d = stack.pop()
        deepest = max(deepest, d)
        if deepest > MAX_DEPTH:
            return deepest
        stack.extend((child, d + 1) for child in _children(current))
    return deepest


# --------------------------------------------------------------------------- tokens

_DIGITS = frozenset("0123456789")
_WORD_OPS = {
    "and": "and",
    "or": "or",
    "not": "not",
    "eq": "eq",
    "ne": "ne",
    "lt": "lt",
    "le": "le",
    "gt": "gt",
    "ge": "ge",
    "div": "div",
    "mod": "mod",
}
_KEYWORDS = frozenset({"empty", "in", "if", "then", "else", "instanceof"})
_WORD_LITERALS = {"true": True, "false": False, "null": None}
_SYMBOL_OPS = [  # longest first
    ("&&", "and"),
    ("||", "or"),
    ("==", "eq"),
    ("!=", "ne"),
    ("<=", "le"),
    (">=", "ge"),
    ("..", ".."),
    ("<", "lt"),
    (">", "gt"),
    ("=", "eq"),
    ("!", "not"),
    ("+", "add"),
    ("-", "sub"),
    ("*", "mul"),
    ("/", "div"),
    ("%", "mod"),
]
_PUNCT = frozenset("()[],.?:}")
_ESCAPES = {"\\": "\\", "'": "'", '"': '"', "n": "\n", "t": "\t", "r": "\r"}


@dataclass(frozen=True, slots=True)
class _Tok:
    kind: str  # num str lit name op kw punct eof
    value: Any
    pos: int
    text: str


def _is_ident_start(ch: str) -> bool:
    return ch == "_" or ch.isalpha()


def _is_ident_char(ch: str) -> bool:
    return ch == "_" or ch.isalpha() or ch in _DIGITS


def _tokenize(src: str, start: int, end: int, *, stop_at_brace: bool) -> tuple[list[_Tok], int]:
    """Tokens of src[start:end]; with stop_at_brace, stop right after the first ``}``.

    Returns the tokens (ending with an ``eof`` token) and the offset after the last one read.
    """
    toks: list[_Tok] = []
    i = start
    while i < end:
        ch = src[i]
        if ch in " \t\r\n":
            i += 1
            continue
        if ch in _DIGITS:
            j = i
            while j < end and src[j] in _DIGITS:
                j += 1
            if j + 1 < end and src[j] == "." and src[j + 1] in _DIGITS:
                j += 1
                while j < end and src[j] in _DIGITS:
                    j += 1
            text = src[i:j]
            if len(text) > MAX_NUMBER_DIGITS:
                raise ExpressionError("Zahl zu lang", "number too long", source=src, position=i)
            value: Any = Decimal(text) if "." in text else int(text)
            toks.append(_Tok("num", value, i, text))
            i = j
            continue
        if ch in "'\"":
            j = i + 1
            chars: list[str] = []
            while True:
                if j >= end:
                    raise ExpressionError(
                        "Zeichenkette nicht abgeschlossen",
                        "unterminated string",
                        source=src,
                        position=i,
                    )
                c = src[j]
                if c == ch:
                    break
                if c == "\\":
                    if j + 1 >= end or src[j + 1] not in _ESCAPES:
                        raise ExpressionError(
                            "Ungültige Escape-Sequenz",
                            "invalid escape sequence",
                            source=src,
                            position=j,
                        )
                    chars.append(_ESCAPES[src[j + 1]])
                    j += 2
                    continue
                chars.append(c)
                j += 1
            toks.append(_Tok("str", "".join(chars), i, src[i : j + 1]))
            i = j + 1
            continue
        if _is_ident_start(ch):
            j = i + 1
            while j < end and _is_ident_char(src[j]):
                j += 1
            word = src[i:j]
            if word in _WORD_LITERALS:
                toks.append(_Tok("lit", _WORD_LITERALS[word], i, word))
            elif word in _WORD_OPS:
                toks.append(_Tok("op", _WORD_OPS[word], i, word))
            elif word in _KEYWORDS:
                toks.append(_Tok("kw", word, i, word))
            else:
                toks.append(_Tok("name", word, i, word))
            i = j
            continue
        for symbol, op in _SYMBOL_OPS:
            if src.startswith(symbol, i):
                toks.append(_Tok("op", op, i, symbol))
                i += len(symbol)
                break
        else:
            if ch in _PUNCT:
                toks.append(_Tok("punct", ch, i, ch))
                i += 1
                if ch == "}" and stop_at_brace:
                    toks.append(_Tok("eof", None, i, ""))
                    return toks, i
                continue
            raise ExpressionError(
                f"Unerwartetes Zeichen {ch!r}",
                f"unexpected character {ch!r}",
                source=src,
                position=i,
            )
    toks.append(_Tok("eof", None, end, ""))
    return toks, end


# --------------------------------------------------------------------------- parser

# infix operator -> (left binding power, right binding power)
_INFIX = {
    "or": (2, 3),
    "and": (4, 5),
    "eq": (6, 7),
    "ne": (6, 7),
    "lt": (8, 9),
    "le": (8, 9),
    "gt": (8, 9),
    "ge": (8, 9),
    "in": (8, 9),
    "add": (10, 11),
    "sub": (10, 11),
    "mul": (12, 13),
    "div": (12, 13),
    "mod": (12, 13),
}
_TERNARY_BP = 1
_PREFIX_BP = 14
_POSTFIX_BP = 16


class _Parser:
    def __init__(self, src: str, toks: list[_Tok]) -> None:
        self.src = src
        self.toks = toks
        self.i = 0
        self.nesting = 0

    def error(self, tok: _Tok, german: str, english: str) -> ExpressionError:
        return ExpressionError(german, english, source=self.src, position=tok.pos)

    def unexpected(self, tok: _Tok) -> ExpressionError:
        if tok.kind == "eof":
            return self.error(
                tok, "Unerwartetes Ende des Ausdrucks", "unexpected end of expression"
            )
        if tok.text == "..":
            return self.error(
                tok, "Bereiche (a..b) werden nicht unterstützt", "ranges (a..b) are not supported"
            )
        return self.error(tok, f"Unerwartetes {tok.text!r}", f"unexpected {tok.text!r}")

    def peek(self) -> _Tok:
        return self.toks[self.i]

    def next(self) -> _Tok:
        tok = self.toks[self.i]
        if tok.kind != "eof":
            self.i += 1
        return tok

    def expect(self, kind: str, value: Any) -> _Tok:
        tok = self.next()
        if tok.kind != kind or tok.value != value:
            if tok.text == "..":
                raise self.unexpected(tok)
            if tok.kind == "eof":
                raise self.error(
                    tok, f"{value!r} erwartet, Ausdruck endet", f"expected {value!r}, found the end"
                )
            raise self.error(
                tok,
                f"{value!r} erwartet statt {tok.text!r}",
                f"expected {value!r}, found {tok.text!r}",
            )
        return tok

    def expression(self, min_bp: int = 0) -> Node:
        self.nesting += 1
        if self.nesting > MAX_DEPTH:
            raise self.error(
                self.peek(), "Ausdruck zu tief verschachtelt", "expression nested too deeply"
            )
        try:
            left = self.prefix()
            while True:
                tok = self.peek()
                if tok.kind == "punct" and tok.value in ".[(":
                    if min_bp > _POSTFIX_BP:
                        break
                    left = self.postfix(left)
                    continue
                if tok.kind == "punct" and tok.value == "?":
                    if min_bp > _TERNARY_BP:
                        break
                    self.next()
                    then = self.expression(0)
                    self.expect("punct", ":")
                    otherwise = self.expression(_TERNARY_BP)
                    left = Cond(left, then, otherwise, tok.pos)
                    continue
                if tok.kind == "op":
                    op = tok.value
                elif tok.kind == "kw" and tok.value == "in":
                    op = "in"
                else:
                    op = None
                if op is None or op not in _INFIX:
                    break
                lbp, rbp = _INFIX[op]
                if lbp < min_bp:
                    break
                self.next()
                right = self.expression(rbp)
                left = Binary(op, left, right, tok.pos)
            return left
        finally:
            self.nesting -= 1

    def prefix(self) -> Node:
        tok = self.next()
        if tok.kind in ("num", "str", "lit"):
            return Literal(tok.value, tok.pos)
        if tok.kind == "name":
            if self.peek().kind == "punct" and self.peek().value == "(":
                return self.call(tok)
            return Var(tok.value, tok.pos)
        if tok.kind == "op" and tok.value in ("not", "sub"):
            operand = self.expression(_PREFIX_BP)
            return Unary("neg" if tok.value == "sub" else "not", operand, tok.pos)
        if tok.kind == "kw" and tok.value == "empty":
            return Unary("empty", self.expression(_PREFIX_BP), tok.pos)
        if tok.kind == "kw" and tok.value == "if":
            test = self.expression(0)
            self.expect("kw", "then")
            then = self.expression(0)
            self.expect("kw", "else")
            otherwise = self.expression(_TERNARY_BP)
            return Cond(test, then, otherwise, tok.pos)
        if tok.kind == "punct" and tok.value == "(":
            inner = self.expression(0)
            self.expect("punct", ")")
            return inner
        if tok.kind == "punct" and tok.value == "[":
            items: list[Node] = []
            if not (self.peek().kind == "punct" and self.peek().value == "]"):
                items.append(self.expression(0))
                while self.peek().kind == "punct" and self.peek().value == ",":
                    self.next()
                    items.append(self.expression(0))
            self.expect("punct", "]")
            return ListLit(tuple(items), tok.pos)
        raise self.unexpected(tok)

    def call(self, name_tok: _Tok) -> Node:
        name = name_tok.value
        self.expect("punct", "(")
        args: list[Node] = []
        if not (self.peek().kind == "punct" and self.peek().value == ")"):
            args.append(self.expression(0))
            while self.peek().kind == "punct" and self.peek().value == ",":
                self.next()
                args.append(self.expression(0))
        self.expect("punct", ")")
        if name == "defined":
            if len(args) != 1 or not isinstance(args[0], Var):
                raise self.error(
                    name_tok,
                    "defined() erwartet genau einen Variablennamen",
                    "defined() takes exactly one variable name",
                )
            return Call(name, tuple(args), name_tok.pos)
        fn = FUNCTIONS.get(name)
        if fn is None:
            known = ", ".join(sorted(FUNCTIONS))
            raise self.error(
                name_tok,
                f"Unbekannte Funktion {name!r} (erlaubt: {known}, defined)",
                f"unknown function {name!r} (allowed: {known}, defined)",
            )
        if not fn.min_args <= len(args) <= fn.max_args:
            raise self.error(
                name_tok,
                f"{name}() mit {len(args)} Argument(en) aufgerufen",
                f"{name}() called with {len(args)} argument(s)",
            )
        return Call(name, tuple(args), name_tok.pos)

    def postfix(self, left: Node) -> Node:
        tok = self.next()
        if tok.value == ".":
            name_tok = self.next()
            if name_tok.kind not in ("name", "op", "kw", "lit") or not name_tok.text.isidentifier():
                raise self.error(
                    name_tok,
                    "Eigenschaftsname nach '.' erwartet",
                    "property name expected after '.'",
                )
            return Member(left, name_tok.text, tok.pos)
        if tok.value == "[":
            index = self.expression(0)
            self.expect("punct", "]")
            return Index(left, index, tok.pos)
        raise self.error(
            tok,
            "Methodenaufrufe werden nicht unterstützt, nur Funktionen wie size(x)",
            "method calls are not supported, only functions such as size(x)",
        )


def _parse_tokens(src: str, toks: list[_Tok], *, until_brace: bool) -> Node:
    parser = _Parser(src, toks)
    if parser.peek().kind == "eof" or (until_brace and parser.peek().text == "}"):
        raise parser.error(parser.peek(), "Leerer Ausdruck", "empty expression")
    node = parser.expression(0)
    tok = parser.next()
    if until_brace:
        if tok.text != "}":
            if tok.kind == "eof":
                raise parser.error(tok, "'}' fehlt", "missing '}'")
            raise parser.unexpected(tok)
        tok = parser.next()
    if tok.kind != "eof":
        raise parser.unexpected(tok)
    if _depth(node) > MAX_DEPTH:
        raise ExpressionError(
            "Ausdruck zu tief verschachtelt", "expression nested too deeply", source=src, position=0
        )
    return node


def _parse_embedded(src: str, start: int) -> tuple[Node, int]:
    """Parse the expression after ``${`` at src[start:], up to and including its ``}``."""
    toks, end = _tokenize(src, start, len(src), stop_at_brace=True)
    return _parse_tokens(src, toks, until_brace=True), end


def _parse_plain(src: str, start: int) -> Node:
    toks, _ = _tokenize(src, start, len(src), stop_at_brace=False)
    return _parse_tokens(src, toks, until_brace=False)


def _check_length(text: str) -> None:
    if not isinstance(text, str):
        raise ExpressionError("Ausdruck muss Text sein", "expression must be text")
    if len(text) > MAX_SOURCE_LENGTH:
        raise ExpressionError(
            f"Ausdruck länger als {MAX_SOURCE_LENGTH} Zeichen",
            f"expression longer than {MAX_SOURCE_LENGTH} characters",
        )


def _parse_expression_text(text: str) -> Node:
    _check_length(text)
    stripped = text.lstrip()
    lead = len(text) - len(stripped)
    if stripped.startswith(("${", "#{")):
        node, end = _parse_embedded(text, lead + 2)
        if text[end:].strip():
            raise ExpressionError(
                "Nach '}' darf nichts mehr folgen (nur ein ${...} je Bedingung)",
                "nothing may follow '}' (one ${...} per condition)",
                source=text,
                position=end,
            )
        return node
    if stripped.startswith("="):
        return _parse_plain(text, lead + 1)
    return _parse_plain(text, 0)


def _parse_value_text(text: str) -> Node:
    _check_length(text)
    stripped = text.lstrip()
    if stripped.startswith("="):
        return _parse_plain(text, len(text) - len(stripped) + 1)
    parts: list[Node] = []
    i = 0
    while True:
        j = min((k for k in (text.find("${", i), text.find("#{", i)) if k >= 0), default=-1)
        if j < 0:
            if i < len(text):
                parts.append(Literal(text[i:], i))
            break
        if j > i:
            parts.append(Literal(text[i:j], i))
        node, i = _parse_embedded(text, j + 2)
        parts.append(node)
    expressions = [p for p in parts if not (isinstance(p, Literal) and isinstance(p.value, str))]
    literal_text = "".join(
        p.value for p in parts if isinstance(p, Literal) and isinstance(p.value, str)
    )
    if not expressions:
        return Literal(text, 0)
    if len(expressions) == 1 and not literal_text.strip():
        return expressions[0]
    return Concat(tuple(parts), 0)


# --------------------------------------------------------------------------- values

_TYPE_NAMES = {
    "null": ("null", "null"),
    "bool": ("Wahrheitswert", "boolean"),
    "number": ("Zahl", "number"),
    "string": ("Text", "string"),
    "list": ("Liste", "list"),
    "object": ("Objekt", "object"),
    "date": ("Datum", "date"),
    "datetime": ("Zeitpunkt", "date-time"),
    "duration": ("Dauer", "duration"),
}


def _type_key(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int | Decimal | float):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list | tuple):
        return "list"
    if isinstance(v, Mapping):
        return "object"
    if isinstance(v, datetime):
        return "datetime"
    if isinstance(v, date):
        return "date"
    if isinstance(v, timedelta):
        return "duration"
    return "other"


def _type_de(v: Any) -> str:
    return _TYPE_NAMES.get(_type_key(v), (type(v).__name__,))[0]


def _type_en(v: Any) -> str:
    names = _TYPE_NAMES.get(_type_key(v))
    return names[1] if names else type(v).__name__


def _norm(v: Any) -> Any:
    """Bring a variable value into the expression's value space (floats become Decimal)."""
    if v is None or isinstance(v, bool | int | str | Decimal):
        return v
    if isinstance(v, float):
        if v != v or v in (float("inf"), float("-inf")):
            raise ExpressionError("Ungültige Zahl (NaN/unendlich)", "invalid number (NaN/infinity)")
        return Decimal(repr(v))
    if isinstance(v, Mapping | list | tuple | date | timedelta):
        return v
    raise ExpressionError(
        f"Wert vom Typ {type(v).__name__} ist in Ausdrücken nicht erlaubt",
        f"a value of type {type(v).__name__} is not allowed in expressions",
    )


def _is_num(v: Any) -> bool:
    return isinstance(v, int | Decimal) and not isinstance(v, bool)


def _is_plain_date(v: Any) -> bool:
    return isinstance(v, date) and not isinstance(v, datetime)


def values_equal(a: Any, b: Any) -> bool:
    """Equality as ``==`` in expressions: typed, numeric across int/Decimal, never raises."""
    a, b = _norm(a), _norm(b)
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a is b
    if _is_num(a) and _is_num(b):
        return a == b
    if isinstance(a, str) and isinstance(b, str):
        return a == b
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(values_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return set(a) == set(b) and all(values_equal(a[k], b[k]) for k in a)
    if isinstance(a, datetime) and isinstance(b, datetime):
        return a == b
    if _is_plain_date(a) and _is_plain_date(b):
        return a == b
    if isinstance(a, timedelta) and isinstance(b, timedelta):
        return a == b
    return False


def _to_str(v: Any) -> str:
    v = _norm(v)
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, Decimal):
        return format(v, "f")
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return v
    if isinstance(v, list | tuple):
        return ",".join(_to_str(x) for x in v)
    if isinstance(v, date):
        return v.isoformat()
    raise ExpressionError(
        f"{_type_de(v)} kann nicht in Text umgewandelt werden",
        f"cannot convert {_type_en(v)} to a string",
    )


# --------------------------------------------------------------------------- functions


@dataclass(frozen=True)
class Function:
    name: str
    min_args: int
    max_args: int
    impl: Callable[..., Any]
    doc: str


class _ArgError(Exception):
    """Raised by function implementations; turned into ExpressionError with the position."""

    def __init__(self, german: str, english: str) -> None:
        super().__init__(english)
        self.german = german
        self.english = english


def _want(v: Any, kinds: tuple[str, ...], fn: str) -> None:
    if _type_key(v) not in kinds:
        de = " oder ".join(_TYPE_NAMES[k][0] for k in kinds)
        en = " or ".join(_TYPE_NAMES[k][1] for k in kinds)
        raise _ArgError(
            f"{fn}() erwartet {de}, erhalten {_type_de(v)}",
            f"{fn}() expects {en}, got {_type_en(v)}",
        )


def _fn_size(x: Any) -> int:
    if x is None:
        return 0
    _want(x, ("string", "list", "object"), "size")
    return len(x)


def _fn_contains(container: Any, item: Any) -> bool:
    if container is None:
        return False
    _want(container, ("string", "list", "object"), "contains")
    if isinstance(container, str):
        _want(item, ("string",), "contains")
        return item in container
    if isinstance(container, Mapping):
        return isinstance(item, str) and item in container
    return any(values_equal(x, item) for x in container)


def _fn_case(method: str) -> Callable[[Any], Any]:
    def impl(s: Any) -> Any:
        if s is None:
            return None
        _want(s, ("string",), method)
        return getattr(str, method)(s)

    return impl


def _fn_affix(name: str, method: str) -> Callable[[Any, Any], bool]:
    def impl(s: Any, part: Any) -> bool:
        if s is None:
            return False
        _want(s, ("string",), name)
        _want(part, ("string",), name)
        return getattr(str, method)(s, part)

    return impl


def _fn_abs(n: Any) -> Any:
    _want(n, ("number",), "abs")
    return abs(n) if isinstance(n, int) else _DEC.abs(n)


def _items(args: tuple[Any, ...], fn: str) -> list[Any]:
    if len(args) == 1 and isinstance(args[0], list | tuple):
        return [_norm(x) for x in args[0]]
    return list(args)


def _fn_extreme(name: str, pick: Callable[..., Any]) -> Callable[..., Any]:
    def impl(*args: Any) -> Any:
        items = _items(args, name)
        if not items:
            return None
        kinds = {_type_key(x) for x in items}
        if len(kinds) != 1 or kinds.pop() not in ("number", "string", "date", "datetime"):
            raise _ArgError(
                f"{name}() erwartet nur Zahlen, nur Texte oder nur Daten",
                f"{name}() expects only numbers, only strings or only dates",
            )
        try:
            return pick(items)
        except TypeError as exc:
            raise _ArgError(
                f"{name}(): Werte nicht vergleichbar", f"{name}(): values not comparable"
            ) from exc

    return impl


def _fn_sum(values: Any) -> Any:
    _want(values, ("list",), "sum")
    total: Any = 0
    for x in values:
        x = _norm(x)
        _want(x, ("number",), "sum")
        total = _add_numbers(total, x)
    return total


def _fn_number(x: Any) -> Any:
    if _is_num(x) or x is None:
        return x
    _want(x, ("string",), "number")
    text = x.strip()
    body = text[1:] if text[:1] in "+-" else text
    head, dot, tail = body.partition(".")
    if (
        not head
        or not set(head) <= _DIGITS
        or (dot and (not tail or not set(tail) <= _DIGITS))
        or len(body) > MAX_NUMBER_DIGITS
    ):
        raise _ArgError(f"{x!r} ist keine Zahl", f"{x!r} is not a number")
    return Decimal(text) if dot else int(text)


FUNCTIONS: dict[str, Function] = {
    f.name: f
    for f in (
        Function("size", 1, 1, _fn_size, "length of a string, list or dict; null gives 0"),
        Function("count", 1, 1, _fn_size, "same as size()"),
        Function("length", 1, 1, _fn_size, "same as size()"),
        Function("contains", 2, 2, _fn_contains, "substring, list item or dict key"),
        Function("lower", 1, 1, _fn_case("lower"), "lower-case string"),
        Function("upper", 1, 1, _fn_case("upper"), "upper-case string"),
        Function("startsWith", 2, 2, _fn_affix("startsWith", "startswith"), "prefix test"),
        Function("endsWith", 2, 2, _fn_affix("endsWith", "endswith"), "suffix test"),
        Function("abs", 1, 1, _fn_abs, "absolute value"),
        Function("min", 1, 100, _fn_extreme("min", min), "smallest of a list or arguments"),
        Function("max", 1, 100, _fn_extreme("max", max), "largest of a list or arguments"),
        Function("sum", 1, 1, _fn_sum, "sum of a list of numbers"),
        Function("string", 1, 1, _to_str, "value as string; null gives ''"),
        Function("number", 1, 1, _fn_number, "parse a string as a number"),
    )
}


# --------------------------------------------------------------------------- evaluation


class _Ctx:
    __slots__ = ("strict", "vars")

    def __init__(self, variables: Mapping[str, Any], strict: bool) -> None:
        self.vars = variables
        self.strict = strict


Fn = Callable[[_Ctx], Any]


def _add_numbers(a: Any, b: Any) -> Any:
    if isinstance(a, int) and isinstance(b, int):
        return a + b
    return _DEC.add(Decimal(a), Decimal(b))


def _truncated_mod(a: Any, b: Any) -> Any:
    if isinstance(a, int) and isinstance(b, int):
        r = abs(a) % abs(b)
        return -r if a < 0 else r
    return _DEC.remainder(Decimal(a), Decimal(b))


_ORDER = {"lt": operator.lt, "le": operator.le, "gt": operator.gt, "ge": operator.ge}
_SYMBOL = {
    "eq": "==",
    "ne": "!=",
    "lt": "<",
    "le": "<=",
    "gt": ">",
    "ge": ">=",
    "add": "+",
    "sub": "-",
    "mul": "*",
    "div": "/",
    "mod": "%",
    "and": "and",
    "or": "or",
    "in": "in",
}


class _Compiler:
    def __init__(self, src: str) -> None:
        self.src = src

    def err(self, pos: int, german: str, english: str) -> ExpressionError:
        return ExpressionError(german, english, source=self.src, position=pos)

    def want_bool(self, v: Any, pos: int, what: str) -> bool:
        if isinstance(v, bool):
            return v
        raise self.err(
            pos,
            f"{what}: Wahrheitswert erwartet, erhalten {_type_de(v)}",
            f"{what}: expected a boolean, got {_type_en(v)}",
        )

    def compile(self, node: Node) -> Fn:
        match node:
            case Literal(value=v):
                return lambda ctx: v
            case Var(name=name, pos=pos):
                return self._var(name, pos)
            case Member(obj=obj, name=name, pos=pos):
                return self._member(self.compile(obj), name, pos)
            case Index(obj=obj, index=index, pos=pos):
                return self._index(self.compile(obj), self.compile(index), pos)
            case Call(name="defined", args=(Var(name=name),)):
                return lambda ctx: name in ctx.vars
            case Call(name=name, args=args, pos=pos):
                return self._call(FUNCTIONS[name], [self.compile(a) for a in args], pos)
            case Unary(op=op, operand=operand, pos=pos):
                return self._unary(op, self.compile(operand), pos)
            case Binary(op=op, left=left, right=right, pos=pos):
                return self._binary(op, self.compile(left), self.compile(right), pos)
            case ListLit(items=items):
                fns = [self.compile(i) for i in items]
                return lambda ctx: [f(ctx) for f in fns]
            case Cond(test=test, then=then, otherwise=otherwise, pos=pos):
                t, a, b = self.compile(test), self.compile(then), self.compile(otherwise)
                want = self.want_bool
                return lambda ctx: a(ctx) if want(t(ctx), pos, "Bedingung/condition") else b(ctx)
            case Concat(parts=parts):
                fns = [self.compile(p) for p in parts]
                return lambda ctx: "".join(_to_str(f(ctx)) for f in fns)
        raise TypeError(f"not an expression node: {node!r}")  # pragma: no cover

    def _var(self, name: str, pos: int) -> Fn:
        def var(ctx: _Ctx) -> Any:
            try:
                value = ctx.vars[name]
            except KeyError:
                if ctx.strict:
                    raise self.err(
                        pos, f"Unbekannte Variable {name!r}", f"unknown variable {name!r}"
                    ) from None
                return None
            return _norm(value)

        return var

    def _member(self, obj: Fn, name: str, pos: int) -> Fn:
        def member(ctx: _Ctx) -> Any:
            base = obj(ctx)
            if base is None:
                return None
            if isinstance(base, Mapping):
                return _norm(base.get(name))
            raise self.err(
                pos,
                f".{name}: nur auf Objekten möglich, nicht auf {_type_de(base)}",
                f".{name}: only objects have properties, not {_type_en(base)}",
            )

        return member

    def _index(self, obj: Fn, index: Fn, pos: int) -> Fn:
        def item(ctx: _Ctx) -> Any:
            base = obj(ctx)
            key = index(ctx)
            if base is None:
                return None
            if isinstance(base, list | tuple):
                if not _is_num(key) or key != int(key):
                    raise self.err(
                        pos,
                        f"Listenindex muss eine ganze Zahl sein, nicht {_type_de(key)}",
                        f"list index must be a whole number, not {_type_en(key)}",
                    )
                k = int(key)
                return _norm(base[k]) if 0 <= k < len(base) else None
            if isinstance(base, Mapping):
                if not isinstance(key, str):
                    raise self.err(
                        pos,
                        f"Objektschlüssel muss Text sein, nicht {_type_de(key)}",
                        f"object key must be a string, not {_type_en(key)}",
                    )
                return _norm(base.get(key))
            raise self.err(
                pos,
                f"[...] ist auf {_type_de(base)} nicht möglich",
                f"cannot index {_type_en(base)}",
            )

        return item

    def _call(self, fn: Function, args: list[Fn], pos: int) -> Fn:
        impl = fn.impl

        def call(ctx: _Ctx) -> Any:
            values = [a(ctx) for a in args]
            try:
                return _norm(impl(*values))
            except _ArgError as exc:
                raise self.err(pos, exc.german, exc.english) from None

        return call

    def _unary(self, op: str, operand: Fn, pos: int) -> Fn:
        if op == "not":
            want = self.want_bool
            return lambda ctx: not want(operand(ctx), pos, "not/!")
        if op == "empty":

            def empty(ctx: _Ctx) -> bool:
                v = operand(ctx)
                return v is None or (isinstance(v, str | list | tuple | Mapping) and not v)

            return empty

        def neg(ctx: _Ctx) -> Any:
            v = operand(ctx)
            if not _is_num(v):
                raise self.err(
                    pos,
                    f"'-' erwartet eine Zahl, nicht {_type_de(v)}",
                    f"'-' expects a number, not {_type_en(v)}",
                )
            return -v if isinstance(v, int) else _DEC.minus(v)

        return neg

    def _binary(self, op: str, left: Fn, right: Fn, pos: int) -> Fn:
        want = self.want_bool
        if op == "and":
            return lambda ctx: want(left(ctx), pos, "and/&&") and want(right(ctx), pos, "and/&&")
        if op == "or":
            return lambda ctx: want(left(ctx), pos, "or/||") or want(right(ctx), pos, "or/||")
        if op == "eq":
            return lambda ctx: values_equal(left(ctx), right(ctx))
        if op == "ne":
            return lambda ctx: not values_equal(left(ctx), right(ctx))
        if op in _ORDER:
            compare = _ORDER[op]

            def order(ctx: _Ctx) -> bool:
                a, b = left(ctx), right(ctx)
                if (
                    (_is_num(a) and _is_num(b))
                    or (isinstance(a, str) and isinstance(b, str))
                    or (isinstance(a, datetime) and isinstance(b, datetime))
                    or (_is_plain_date(a) and _is_plain_date(b))
                    or (isinstance(a, timedelta) and isinstance(b, timedelta))
                ):
                    try:
                        return compare(a, b)
                    except TypeError:
                        raise self.err(
                            pos,
                            "Zeitpunkte mit und ohne Zeitzone sind nicht vergleichbar",
                            "cannot compare date-times with and without a time zone",
                        ) from None
                raise self.err(
                    pos,
                    f"{_type_de(a)} {_SYMBOL[op]} {_type_de(b)} ist nicht vergleichbar",
                    f"cannot compare {_type_en(a)} {_SYMBOL[op]} {_type_en(b)}",
                )

            return order
        if op == "in":

            def member_of(ctx: _Ctx) -> bool:
                a, b = left(ctx), right(ctx)
                if isinstance(b, list | tuple):
                    return any(values_equal(a, x) for x in b)
                if isinstance(b, str) and isinstance(a, str):
                    return a in b
                if isinstance(b, Mapping) and isinstance(a, str):
                    return a in b
                raise self.err(
                    pos,
                    f"'in' ist für {_type_de(a)} in {_type_de(b)} nicht möglich",
                    f"'in' does not work for {_type_en(a)} in {_type_en(b)}",
                )

            return member_of

        def arithmetic(ctx: _Ctx) -> Any:
            a, b = left(ctx), right(ctx)
            if op == "add" and isinstance(a, str) and isinstance(b, str):
                return a + b
            if not (_is_num(a) and _is_num(b)):
                raise self.err(
                    pos,
                    f"{_type_de(a)} {_SYMBOL[op]} {_type_de(b)} ist nicht möglich",
                    f"cannot compute {_type_en(a)} {_SYMBOL[op]} {_type_en(b)}",
                )
            if op in ("div", "mod") and b == 0:
                raise self.err(pos, "Division durch null", "division by zero")
            if op == "add":
                return _add_numbers(a, b)
            if op == "sub":
                return (
                    a - b
                    if isinstance(a, int) and isinstance(b, int)
                    else _DEC.subtract(Decimal(a), Decimal(b))
                )
            if op == "mul":
                return (
                    a * b
                    if isinstance(a, int) and isinstance(b, int)
                    else _DEC.multiply(Decimal(a), Decimal(b))
                )
            if op == "div":
                return _DEC.divide(Decimal(a), Decimal(b))
            return _truncated_mod(a, b)

        return arithmetic


# --------------------------------------------------------------------------- public API

MODE_EXPRESSION = "expression"
MODE_VALUE = "value"


def _names(node: Node) -> frozenset[str]:
    found: set[str] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, Var):
            found.add(current.name)
        stack.extend(_children(current))
    return frozenset(found)


class Expression:
    """A compiled expression: immutable, hashable, picklable, cheap to evaluate many times.

    ``source`` is the text as written in the model; ``mode`` is ``"expression"`` (made by
    :func:`compile_expression`) or ``"value"`` (made by :func:`compile_value`). Equality is
    by mode and source. Pickling and :meth:`to_dict` keep only the source and recompile.
    """

    __slots__ = ("_fn", "mode", "node", "source", "variables")

    source: str
    mode: str
    node: Node
    variables: frozenset[str]

    def __init__(self, source: str, mode: str, node: Node) -> None:
        object.__setattr__(self, "source", source)
        object.__setattr__(self, "mode", mode)
        object.__setattr__(self, "node", node)
        object.__setattr__(self, "variables", _names(node))
        object.__setattr__(self, "_fn", _Compiler(source).compile(node))

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Expression is immutable")

    def evaluate(self, variables: Mapping[str, Any] | None = None, *, strict: bool = True) -> Any:
        """Evaluate against ``variables``; raises :class:`ExpressionError` and nothing else.

        With ``strict`` (the default) an unknown variable is an error, otherwise it is null.
        """
        ctx = _Ctx(variables if variables is not None else {}, strict)
        try:
            return self._fn(ctx)
        except ExpressionError as exc:
            if exc.source is None:
                raise ExpressionError(
                    exc.german, exc.english, source=self.source, position=exc.position
                ) from None
            raise
        except (ArithmeticError, TypeError, ValueError, RecursionError) as exc:
            raise ExpressionError(
                f"Auswertung fehlgeschlagen ({type(exc).__name__})",
                f"evaluation failed ({type(exc).__name__})",
                source=self.source,
            ) from exc

    def evaluate_bool(
        self, variables: Mapping[str, Any] | None = None, *, strict: bool = True
    ) -> bool:
        """Evaluate a condition; anything but true or false is an :class:`ExpressionError`."""
        value = self.evaluate(variables, strict=strict)
        if isinstance(value, bool):
            return value
        raise ExpressionError(
            f"Bedingung ergibt {_type_de(value)} statt wahr/falsch",
            f"condition gives {_type_en(value)} instead of true/false",
            source=self.source,
        )

    @property
    def is_literal(self) -> bool:
        """True for a fixed value without variables or functions, e.g. ``assignee="b.meier"``."""
        return isinstance(self.node, Literal)

    @property
    def literal_value(self) -> Any:
        if not isinstance(self.node, Literal):
            raise ValueError("not a literal")
        return self.node.value

    def render(self) -> str:
        """Canonical text of the parsed expression (without ``${}``)."""
        return render(self.node)

    def to_dict(self) -> dict[str, str]:
        return {"$expr": self.source, "mode": self.mode}

    @staticmethod
    def from_dict(data: Mapping[str, str]) -> Expression:
        return _compile_mode(data["$expr"], data.get("mode", MODE_EXPRESSION))

    def __reduce__(self) -> tuple[Any, ...]:
        return (_compile_mode, (self.source, self.mode))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Expression):
            return NotImplemented
        return self.source == other.source and self.mode == other.mode

    def __hash__(self) -> int:
        return hash((self.source, self.mode))

    def __repr__(self) -> str:
        return f"Expression({self.source!r}, mode={self.mode!r})"

    def __str__(self) -> str:
        return self.source


@functools.lru_cache(maxsize=4096)
def compile_expression(text: str) -> Expression:
    """Compile a condition-like text: ``${...}``, ``#{...}``, ``= ...`` (FEEL) or plain.

    Raises :class:`ExpressionError` for syntax errors and unknown functions.
    """
    return Expression(text, MODE_EXPRESSION, _parse_expression_text(text))


@functools.lru_cache(maxsize=4096)
def compile_value(text: str) -> Expression:
    """Compile an attribute value: plain text is a literal string; ``${...}`` parts are
    evaluated (``"${x}"`` alone keeps the value's type, ``"a-${x}"`` gives a string);
    a leading ``=`` makes the rest one FEEL expression (Camunda 8 style)."""
    return Expression(text, MODE_VALUE, _parse_value_text(text))


def _compile_mode(text: str, mode: str) -> Expression:
    return compile_value(text) if mode == MODE_VALUE else compile_expression(text)


# --------------------------------------------------------------------------- rendering

_PREC = {
    "or": 2,
    "and": 3,
    "eq": 4,
    "ne": 4,
    "lt": 5,
    "le": 5,
    "gt": 5,
    "ge": 5,
    "in": 5,
    "add": 6,
    "sub": 6,
    "mul": 7,
    "div": 7,
    "mod": 7,
}
_UNARY_PREC = 8
_POSTFIX_PREC = 9
_ATOM_PREC = 10
_RENDER_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r"}


def _prec(node: Node) -> int:
    match node:
        case Cond():
            return 1
        case Binary(op=op):
            return _PREC[op]
        case Unary():
            return _UNARY_PREC
        case Member() | Index():
            return _POSTFIX_PREC
        case Literal(value=v) if _is_num(v) and v < 0:
            return _UNARY_PREC
    return _ATOM_PREC


def _render_literal(v: Any) -> str:
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, Decimal):
        return format(v, "f")
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return '"' + "".join(_RENDER_ESCAPES.get(c, c) for c in v) + '"'
    raise ValueError(f"cannot render literal {v!r}")


def render(node: Node) -> str:
    """Text for an AST with only the parentheses precedence needs; parses back to ``node``."""

    def sub(child: Node, min_prec: int) -> str:
        text = render(child)
        return f"({text})" if _prec(child) < min_prec else text

    match node:
        case Literal(value=v):
            return _render_literal(v)
        case Var(name=name):
            return name
        case Member(obj=obj, name=name):
            return f"{sub(obj, _POSTFIX_PREC)}.{name}"
        case Index(obj=obj, index=index):
            return f"{sub(obj, _POSTFIX_PREC)}[{render(index)}]"
        case Call(name=name, args=args):
            return f"{name}({', '.join(render(a) for a in args)})"
        case Unary(op="neg", operand=operand):
            return f"-{sub(operand, _UNARY_PREC)}"
        case Unary(op=op, operand=operand):
            return f"{op} {sub(operand, _UNARY_PREC)}"
        case Binary(op=op, left=left, right=right):
            p = _PREC[op]
            return f"{sub(left, p)} {_SYMBOL[op]} {sub(right, p + 1)}"
        case ListLit(items=items):
            return f"[{', '.join(render(i) for i in items)}]"
        case Cond(test=test, then=then, otherwise=otherwise):
            return f"{sub(test, 2)} ? {render(then)} : {sub(otherwise, 1)}"
        case Concat(parts=parts):
            return " + ".join(
                sub(p, 7) if isinstance(p, Literal) else f"string({render(p)})" for p in parts
            )
    raise TypeError(f"not an expression node: {node!r}")  # pragma: no cover
