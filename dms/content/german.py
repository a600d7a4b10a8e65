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
# always NFC) and soft hyphens (U+00AD, invisible hyphenation points). "_" is not a letter:
# _words() replaces it by a space first, which keeps offsets and lets the regex use one
# character class instead of a slow per-character alternation.
_WORD = re.compile(r"\w[\w\u0300-\u036f\u00ad]*")
_JOINERS = frozenset(chr(c) for c in range(0x300, 0x370)) | {"\u00ad"}
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
# Raw word form -> folded stem (None for a stop word); see _stem_table. ~15 MB when full.
STEM_CACHE_SIZE = 100_000
_cache: dict[str, str | None] = {}


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


def _words(text: str) -> str:
    """``text`` ready for _WORD: "_" (a regex word character, but a separator for us) becomes
    a space; offsets stay the same."""
    return text.replace("_", " ")


def tokens(text: str) -> list[str]:
    """Lower-cased word tokens (letters and digits); punctuation and "_" separate words."""
    return [_normalise_token(raw) for raw in _WORD.findall(_words(text))]


def stem(token: str) -> str:
    """Snowball German stem of one lower-case token, with umlauts and ß folded."""
    return _stemmer().stemWord(token).translate(_FOLD)


def _stem_table(raw_words: list[str]) -> dict[str, str | None]:
    """A mapping that holds the stem of every word in ``raw_words`` (None for stop words).

    A 200 KB extraction has ~30,000 words but only a few thousand distinct ones, and most of
    those were seen before: so the stems of raw word forms are cached process-wide, and only
    forms not yet in the cache are normalised and stemmed, in one call into the C stemmer.
    No Python code runs per word occurrence.
    """
    cache = _cache
    missing = set(raw_words).difference(cache)
    if not missing:
        return cache
    forms = list(missing)
    normalised = [_normalise_token(raw) for raw in forms]
    stemmed = _stemmer().stemWords(normalised)
    fresh = {
        raw: None if token in STOP_WORDS else word_stem.translate(_FOLD)
        for raw, token, word_stem in zip(forms, normalised, stemmed, strict=True)
    }
    if len(cache) + len(fresh) <= STEM_CACHE_SIZE:
        cache.update(fresh)  # atomic under the GIL; entries never change once written
        return cache
    # Full: start a new cache (never clear the old one, another thread may be reading it)
    # with what this call needs.
    fresh.update((raw, cache[raw]) for raw in set(raw_words) - missing)
    _reset_cache(fresh)
    return fresh


def _reset_cache(start: dict[str, str | None] | None = None) -> None:
    global _cache
    _cache = dict(start or {})


def stems(text: str) -> list[str]:
    """Stems of the words in ``text`` without stop words: what the index stores and queries."""
    raw_words = _WORD.findall(_words(text))
    if not raw_words:
        return []
    table = _stem_table(raw_words)
    return list(filter(None, map(table.__getitem__, raw_words)))  # None: a stop word


def _matches(scan: str, wanted: set[str]) -> list[tuple[int, int, str]]:
    """(start, end, stem) of every word in ``scan`` whose stem is in ``wanted``, in order.

    The distinct words are stemmed in one batch; the positions of the few word forms that
    match are then found by one regex over the text, so no Python code runs per word.
    """
    prepared = _words(scan)
    raw_words = _WORD.findall(prepared)
    table = _stem_table(raw_words)
    forms = {raw: s for raw in set(raw_words) if (s := table[raw]) is not None and s in wanted}
    if not forms:
        return []
    # Longest first, so that a form is never cut short by a shorter one sharing its start;
    # the look-arounds make each match a whole token as _WORD would cut it.
    alternation = "|".join(re.escape(raw) for raw in sorted(forms, key=len, reverse=True))
    pattern = re.compile(rf"(?<!\w)(?:{alternation})(?![\w\u0300-\u036f\u00ad])")
    found = []
    for match in pattern.finditer(prepared):
        start = match.start()
        if start and prepared[start - 1] in _JOINERS and _inside_word(prepared, start):
            continue
        found.append((start, match.end(), forms[match.group()]))
    return found


def _inside_word(text: str, position: int) -> bool:
    """Whether ``position`` (after a combining mark or soft hyphen) continues a word that
    started earlier: true if the run of such joiners before it follows a word character."""
    before = position - 1
    while before >= 0 and text[before] in _JOINERS:
        before -= 1
    return before >= 0 and bool(_WORD.match(text[before]))


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


def snippet(
    text: str,
    query_stems: Collection[str],
    width: int = 240,
    scan_chars: int = SNIPPET_SCAN_CHARS,
) -> str:
    """An HTML-escaped excerpt of about ``width`` characters around the densest cluster of
    words whose stem is in ``query_stems``, each such word wrapped in <mark>...</mark>, with
    "…" where the text was cut. Without matches, the beginning of the text.

    Only the first ``scan_chars`` characters are searched and every distinct word is
    stemmed once, so a 2 MB extraction costs no more than a 200 KB one.
    """
    width = max(width, 1)
    matches = _matches(text[:scan_chars], set(query_stems)) if query_stems else []

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
