"""Text helpers shared by the field extractors: OCR-tolerant views that keep offsets intact.

Tesseract confuses ``0``/``O`` and ``1``/``l``/``I`` in numbers. :func:`numeric_view` returns
a copy of the text of exactly the same length in which those letters are turned into digits
inside number-like tokens only ("2O26" -> "2026", "Oberdorf" stays), so every regex match on
the view is also a valid span of the original text for the evidence highlight.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from ingest.extract.model import Evidence

_DASHES = str.maketrans({c: "-" for c in "\u2010\u2011\u2012\u2013\u2014\u2212\u00ad"})
_TO_DIGIT = {"O": "0", "o": "0", "Q": "0", "l": "1", "I": "1", "|": "1", "i": "1"}
_BETWEEN_DIGITS = {"S": "5", "B": "8", "Z": "2", "s": "5", "z": "2", "G": "6"}
_PIECE = re.compile(r"[^\s;:()\[\]<>\"']+")
_DIGIT = re.compile(r"[0-9]")
_SHORT_NUMERIC = re.compile(r"[0-9OoQlI|]{1,3}")


def _numeric_part(part: str) -> bool:
    digits = len(_DIGIT.findall(part))
    if digits < 2:
        return False
    strict_letters = sum(
        1 for c in part if c.isalpha() and c not in _TO_DIGIT and c not in _BETWEEN_DIGITS
    )
    return digits >= 2 * strict_letters


def _to_digits(part: str) -> str:
    chars = [_TO_DIGIT.get(c, c) for c in part]
    for i, c in enumerate(chars):
        if (
            c in _BETWEEN_DIGITS
            and 0 < i < len(chars) - 1
            and chars[i - 1].isdigit()
            and chars[i + 1].isdigit()
        ):
            chars[i] = _BETWEEN_DIGITS[c]
    return "".join(chars)


def _fix_piece(piece: str) -> str:
    """Fix one blank-delimited piece; its comma-separated parts are judged one by one, and a
    short part after a number is its decimals ("1.249,5O" -> "1.249,50")."""
    parts = piece.split(",")
    fixed: list[str] = []
    for part in parts:
        after_number = bool(fixed) and fixed[-1][-1:].isdigit()
        if _numeric_part(part) or (after_number and _SHORT_NUMERIC.fullmatch(part)):
            part = _to_digits(part)
        fixed.append(part)
    return ",".join(fixed)


def numeric_view(text: str) -> str:
    """Same-length copy with dashes unified and OCR letter/digit confusions fixed in numbers."""
    text = text.translate(_DASHES)
    out = []
    last = 0
    for m in _PIECE.finditer(text):
        out.append(text[last : m.start()])
        out.append(_fix_piece(m.group()))
        last = m.end()
    out.append(text[last:])
    view = "".join(out)
    assert len(view) == len(text)
    return view


_FOLD = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "é": "e", "è": "e"})
_NAME_JUNK = re.compile(r"[^a-z0-9 ]+")
_ALPHA_DIGIT = str.maketrans({"0": "o", "1": "l", "5": "s", "8": "b"})


def fold(text: str) -> str:
    """Case- and umlaut-folded text for keyword matching ("Bußgeld" -> "bussgeld")."""
    return unicodedata.normalize("NFC", text).casefold().translate(_FOLD)


def norm_name(text: str) -> str:
    """Normalised form for fuzzy name matching: folded, punctuation gone, and digits inside
    words read as the letters OCR took them for ("0berd0rf" -> "oberdorf")."""
    decomposed = unicodedata.normalize("NFKD", fold(text))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    folded = _NAME_JUNK.sub(" ", plain)
    words = []
    for word in folded.split():
        letters = sum(c.isalpha() for c in word)
        if letters and letters >= len(word) - letters:
            word = word.translate(_ALPHA_DIGIT)
        words.append(word)
    return " ".join(words)


@dataclass(frozen=True)
class Line:
    start: int
    end: int
    text: str
    index: int  # line number on its page (0-based)
    page: int | None


class PageMap:
    """Maps offsets of the full text to 1-based page numbers (when per-page text was given)."""

    def __init__(self, text: str, pages: Sequence[str] | None) -> None:
        self.text = text
        self.starts: list[int] = []
        if pages:
            pos = 0
            for page in pages:
                found = text.find(page, pos) if page else -1
                start = found if found >= 0 else pos
                self.starts.append(start)
                pos = start + len(page)
        self.first_page_end = (
            self.starts[1] if len(self.starts) > 1 else self._default_first_page_end()
        )

    def _default_first_page_end(self) -> int:
        formfeed = self.text.find("\f")
        return formfeed if formfeed > 0 else len(self.text)

    def page_of(self, offset: int) -> int | None:
        if not self.starts:
            if "\f" in self.text:
                return self.text.count("\f", 0, offset) + 1
            return None
        return max(1, bisect.bisect_right(self.starts, offset))

    def evidence(self, start: int, end: int) -> Evidence:
        return Evidence(start, end, self.text[start:end], self.page_of(start))

    def lines(self, start: int = 0, end: int | None = None) -> Iterator[Line]:
        """Non-blank lines (stripped) between two offsets, numbered per page."""
        end = len(self.text) if end is None else end
        index = 0
        page: int | None = -1
        for m in _LINE.finditer(self.text, start, end):
            raw = m.group()
            content = raw.strip()
            if not content:
                continue
            lead = len(raw) - len(raw.lstrip())
            begin = m.start() + lead
            line_page = self.page_of(begin)
            if line_page != page:
                index, page = 0, line_page
            yield Line(begin, begin + len(content), content, index, line_page)
            index += 1


_LINE = re.compile(r"[^\n\f]+")
