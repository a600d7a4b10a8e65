"""Amounts in German notation ("1.249,50 EUR", "€ 1.249,50", "1 249,- €") and the main amount.

The main amount is the one after "Gesamtbetrag", "Rechnungsbetrag", "zu zahlen" and the
like; net amounts and tax lines rank below; with no label at all the largest amount with a
currency is taken, at a lower confidence.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from ingest.extract.model import Amount, Field
from ingest.extract.text import PageMap, fold

_SPACE = "[ \u00a0\u202f]"
_NUMBER = (
    rf"(?P<sign>-{_SPACE}?)?(?P<int>[0-9]{{1,3}}(?:(?:\.|'|{_SPACE}|\.{_SPACE})[0-9]{{3}})+|[0-9]+)"
    rf"(?:{_SPACE}?,{_SPACE}?(?P<cents>[0-9]{{2}})(?![0-9])|,-{{1,2}}|,—)?"
)
_CURRENCY = r"(?P<cur>EUR(?:O|0)?|Eur[o0]|€|CHF|USD|US-Dollar|\$|GBP|£)"
_BEFORE = re.compile(rf"(?<![0-9A-Za-z.,]){_CURRENCY}{_SPACE}{{0,2}}{_NUMBER}(?![0-9]|[.,][0-9])")
_AFTER = re.compile(rf"(?<![0-9.,]){_NUMBER}{_SPACE}{{0,2}}{_CURRENCY}(?![A-Za-z])", re.I)
_BARE = re.compile(rf"(?<![0-9.,/-]){_NUMBER}(?![0-9]|[.,/][0-9])")
_CURRENCY_CODE = {"€": "EUR", "euro": "EUR", "eur0": "EUR", "$": "USD", "us-dollar": "USD",
                  "£": "GBP"}  # fmt: skip

_STRONG = re.compile(
    r"(gesamtbetrag|rechnungsbetrag|zu zahlen|zahlbetrag|endbetrag|gesamtsumme|bruttobetrag|"
    r"rechnungssumme|zahlungsbetrag|gesamtforderung|offener betrag|offene forderung|"
    r"forderungsbetrag|ueberweisungsbetrag|summe brutto|gesamt brutto|brutto gesamt|"
    r"zu ueberweisen|betrag von)"
)
_WEAK = re.compile(r"(summe|betrag|brutto|gesamt|total|kosten|gebuehr|preis)")
_NEGATIVE = re.compile(r"(netto|mwst|ust\b|umsatzsteuer|mehrwertsteuer|zzgl|rabatt|skonto|"
                       r"abschlag|anzahlung|einzelpreis|stueckpreis|davon)")  # fmt: skip
_LABEL_NAMES = {
    "gesamtbetrag": "Gesamtbetrag", "rechnungsbetrag": "Rechnungsbetrag",
    "zu zahlen": "zu zahlen", "zahlbetrag": "Zahlbetrag", "endbetrag": "Endbetrag",
    "gesamtsumme": "Gesamtsumme", "bruttobetrag": "Bruttobetrag", "summe": "Summe",
    "betrag": "Betrag", "brutto": "brutto", "gesamt": "gesamt", "total": "Total",
    "kosten": "Kosten", "gebuehr": "Gebühr", "preis": "Preis",
}  # fmt: skip


def parse_amount_de(value: str) -> Decimal | None:
    """Decimal of a German amount string ("1.249,50", "€ 1.249,50", "1 249,- EUR"), or None."""
    text = value.strip()
    for regex in (_BEFORE, _AFTER):
        m = regex.fullmatch(text)
        if m:
            return _decimal(m)
    m = _BARE.fullmatch(text)
    return _decimal(m) if m else None


def _decimal(m: re.Match[str]) -> Decimal | None:
    digits = re.sub(r"[.'\s\u00a0\u202f]", "", m.group("int"))
    cents = m.group("cents") or "00"
    try:
        number = Decimal(f"{digits}.{cents}")
    except InvalidOperation:
        return None
    return -number if m.group("sign") else number


def format_amount_de(value: Decimal) -> str:
    """German print form: 1249.5 -> "1.249,50"."""
    quantised = value.quantize(Decimal("0.01"))
    sign = "-" if quantised < 0 else ""
    whole, _, cents = f"{abs(quantised):.2f}".partition(".")
    groups = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    return f"{sign}{'.'.join(groups)},{cents}"


def _currency(raw: str) -> str:
    key = raw.casefold()
    if key in _CURRENCY_CODE:
        return _CURRENCY_CODE[key]
    return "EUR" if key.startswith("eur") else raw.upper()


def _label_score(prefix: str) -> tuple[float, str | None]:
    """How strongly the words before an amount mark it as the amount to pay."""
    prefix = fold(prefix)[-60:]
    strong = list(_STRONG.finditer(prefix))
    negative = list(_NEGATIVE.finditer(prefix))
    weak = list(_WEAK.finditer(prefix))
    last_neg = negative[-1].end() if negative else -1
    if strong and strong[-1].end() > last_neg:
        word = strong[-1].group()
        return 1.0, _LABEL_NAMES.get(word, word)
    if negative:
        return 0.1, None
    if weak:
        return 0.6, _LABEL_NAMES.get(weak[-1].group(), weak[-1].group())
    return 0.3, None


MainAmount = Field[Amount] | None


def find_amounts(text: str, view: str, pages: PageMap) -> tuple[list[Field[Amount]], MainAmount]:
    """All amounts with a currency (and bare ones after a total label), and the main one."""
    spans: list[tuple[int, int, Decimal, str, bool]] = []
    for regex in (_BEFORE, _AFTER):
        for m in regex.finditer(view):
            value = _decimal(m)
            if value is None or any(s < m.end() and m.start() < e for s, e, *_ in spans):
                continue
            spans.append((m.start(), m.end(), value, _currency(m.group("cur")), True))
    for m in _BARE.finditer(view):
        if not m.group("cents") or any(s < m.end() and m.start() < e for s, e, *_ in spans):
            continue
        line_start = view.rfind("\n", 0, m.start()) + 1
        score, _ = _label_score(text[line_start : m.start()])
        if score < 1.0:
            continue
        value = _decimal(m)
        if value is not None:
            spans.append((m.start(), m.end(), value, "EUR", False))
    spans.sort()
    fields: list[Field[Amount]] = []
    best: tuple[float, int, Field[Amount]] | None = None
    for start, end, value, currency, has_currency in spans:
        line_start = view.rfind("\n", 0, start) + 1
        prefix = text[line_start:start]
        if not prefix.strip():  # amount alone on its line: the label is on the line above
            above = view.rfind("\n", 0, max(0, line_start - 1)) + 1
            prefix = text[above:line_start]
        score, label = _label_score(prefix)
        conf = 0.9 if has_currency else 0.75
        field = Field(Amount(value, currency, label), conf, (pages.evidence(start, end),))
        fields.append(field)
        rank = score + (0.05 if has_currency else 0.0)
        if best is None or rank > best[0] or (rank == best[0] and score >= 0.6):
            best = (rank, start, field)
    main: Field[Amount] | None = None
    if best is not None:
        rank, _, field = best
        if rank >= 0.6:
            main = Field(field.value, round(min(0.95, 0.55 + 0.4 * rank), 3), field.evidence)
        else:
            with_currency = [
                f for f, s in zip(fields, spans, strict=True) if s[4] and f.value.value > 0
            ]
            if with_currency:
                top = max(with_currency, key=lambda f: f.value.value)
                main = Field(top.value, 0.5, top.evidence)
    return fields, main
