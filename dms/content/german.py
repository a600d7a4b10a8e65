"""German search text helpers: tokens, stems, stop words and highlighted snippets.

Index and query must be processed by the very same functions, or "Häuser" in a document will
never meet "Haus" in the search box; that is why both sides come here.

Stemming uses the Snowball German stemmer (PyStemmer). Snowball already folds ä/ö/ü to
a/o/u, ß to ss and the transliterations ae/oe/ue in its postlude ("Häuser", "Hauses", "Haus"
-> "haus"; "Straße" and "Strasse" -> "strass"); the same folding is applied after stemming
once more so that a future stemmer release that keeps umlauts cannot silently split the index.
"""

from __future__ import annotations

import html
import re
import threading
import unicodedata
from collections.abc import Collection

import Stemmer

# A word: a letter or digit, then letters, digits, combining accents (text from PDFs is not
# always NFC) and soft hyphens (U+00AD, invisible hyphenation points). "_" is not a letter.
_WORD = re.compile(r"[^\W_](?:[^\W_]|[\u0300-\u036f\u00ad])*")
_FOLD = str.maketrans({"ä": "a", "ö": "o", "ü": "u", "ß": "ss"})
_SPACE = re.compile(r"\s+")

# Function words that only add noise to a search; deliberately short, because dropping a word
# the user meant (e.g. "nicht" in a quoted phrase) costs more than indexing one extra word.
_STOP_WORD_TEXT = """
    aber als am an auch auf aus bei bin bis da damit dann das dass daß dem den denn der des
    die dies diese diesem diesen dieser dieses doch du ein eine einem einen einer eines er es
    für hat hatte ich ihr im in ins ist ja mit nach noch nur ob oder sein seine sich sie sind
    so über um und uns vom von vor war wie wir wird wurde zu zum zur
"""
STOP_WORDS: frozenset[str] = frozenset(_STOP_WORD_TEXT.split())

SNIPPET_SCAN_CHARS = 200_000
ELLIPSIS = "…"

_local = threading.local()


def _stemmer() -> Stemmer.Stemmer:
    """One stemmer per thread: PyStemmer instances keep state and must not be shared."""
    stemmer = getattr(_local, "stemmer", None)
    if stemmer is None:
        stemmer = Stemmer.Stemmer("german")
        _local.stemmer = stemmer
    return stemmer


def _normalise_token(raw: str) -> str:
    """Lower-case, composed, without soft hyphens: the form the stemmer expects."""
    return unicodedata.normalize("NFC", raw.replace("\u00ad", "").lower())


def tokens(text: str) -> list[str]:
    """Lower-cased word tokens (letters and digits); punctuation and "_" separate words."""
    return [_normalise_token(m.group()) for m in _WORD.finditer(text)]


def stem(token: str) -> str:
    """Snowball German stem of one lower-case token, with umlauts and ß folded."""
    return _stemmer().stemWord(token).translate(_FOLD)


def stems(text: str) -> list[str]:
    """Stems of the words in ``text`` without stop words: what the index stores and queries."""
    return [stem(token) for token in tokens(text) if token not in STOP_WORDS]


def _best_cluster(matches: list[tuple[int, int, str]], width: int) -> tuple[int, int]:
    """Indices (first, last) of the run of matches that fits in ``width`` characters and holds
    the most different query stems, then the most matches; a linear two-pointer sweep."""
    best = (0, 0)
    best_score = (0, 0)
    counts: dict[str, int] = {}
    first = 0
    for last, (_, end, word_stem) in enumerate(matches):
        counts[word_stem] = counts.get(word_stem, 0) + 1
        while end - matches[first][0] > width and first < last:
            gone = matches[first][2]
            counts[gone] -= 1
            if not counts[gone]:
                del counts[gone]
            first += 1
        score = (len(counts), last - first + 1)
        if score > best_score:
            best_score, best = score, (first, last)
    return best


def _render(text: str, start: int, end: int, marks: list[tuple[int, int]]) -> str:
    """Escape ``text[start:end]`` with whitespace collapsed and each mark in <mark>...</mark>."""
    parts: list[str] = []
    position = start
    for mark_start, mark_end in marks:
        parts.append(html.escape(_SPACE.sub(" ", text[position:mark_start])))
        parts.append("<mark>" + html.escape(text[mark_start:mark_end]) + "</mark>")
        position = mark_end
    parts.append(html.escape(_SPACE.sub(" ", text[position:end])))
    return "".join(parts)


def _word_aligned(text: str, start: int, end: int, keep_from: int, keep_to: int) -> tuple[int, int]:
    """Move the cut points to whitespace so no word is shown half, never past the matches."""
    if start > 0 and not text[start - 1].isspace():
        space = _SPACE.search(text, start, keep_from)
        if space is not None:
            start = space.end()
    if end < len(text) and not text[end].isspace():
        space_at = max(text.rfind(ch, keep_to, end) for ch in " \n\t\r\f")
        if space_at != -1:
            end = space_at
    return start, end


def snippet(text: str, query_stems: Collection[str], width: int = 240) -> str:
    """An HTML-escaped excerpt of about ``width`` characters around the densest cluster of
    words whose stem is in ``query_stems``, each such word wrapped in <mark>...</mark>, with
    "…" where the text was cut. Without matches, the beginning of the text.

    Only the first SNIPPET_SCAN_CHARS characters are searched and every distinct word is
    stemmed once, so a 2 MB extraction costs no more than a 200 KB one.
    """
    width = max(width, 1)
    scan = text[:SNIPPET_SCAN_CHARS]
    wanted = set(query_stems)
    stem_of: dict[str, str | None] = {}
    matches: list[tuple[int, int, str]] = []
    if wanted:
        for found in _WORD.finditer(scan):
            raw = found.group()
            if raw not in stem_of:
                token = _normalise_token(raw)
                word_stem = stem(token) if token not in STOP_WORDS else None
                stem_of[raw] = word_stem if word_stem in wanted else None
            word_stem = stem_of[raw]
            if word_stem is not None:
                matches.append((found.start(), found.end(), word_stem))

    if matches:
        first, last = _best_cluster(matches, width)
        keep_from, keep_to = matches[first][0], matches[last][1]
        slack = max(0, width - (keep_to - keep_from))
        start = max(0, keep_from - slack // 2)
        end = min(len(text), max(keep_to, start + width))
        start = max(0, min(start, end - width))
    else:
        keep_from = keep_to = 0
        start, end = 0, min(len(text), width)
    start, end = _word_aligned(text, start, end, keep_from, keep_to)
    marks = [(s, e) for s, e, _ in matches if s >= start and e <= end]
    body = _render(text, start, end, marks).strip()
    prefix = ELLIPSIS if start > 0 else ""
    suffix = ELLIPSIS if end < len(text) else ""
    return prefix + body + suffix
