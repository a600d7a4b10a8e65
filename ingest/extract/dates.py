"""The letter date: German date formats, scored by where they stand and what precedes them.

A letter carries several dates: its own (top right, "Oberdorf, den 03.11.2026", "Datum:"),
and in the body deadlines ("bis zum 30.11.2026"), the date of the letter it answers ("Ihr
Schreiben vom ..."), birthdays. Each candidate starts at a base score; a label or a place
name before it, a line of its own and a place near the top of the first page raise it; a
deadline or "vom" before it, great age, or a place on a later page lower it. Dates more than
``max_future_days`` in the future are never the letter date.
"""

from __future__ import annotations

import bisect
import re
from datetime import date, timedelta

from rapidfuzz import fuzz, process

from ingest.extract.model import Field
from ingest.extract.text import Line, PageMap, fold, norm_name

_MONTHS = {
    "januar": 1, "jaenner": 1, "jan": 1,
    "februar": 2, "feber": 2, "feb": 2,
    "maerz": 3, "marz": 3, "maer": 3, "mrz": 3, "mar": 3,
    "april": 4, "apr": 4,
    "mai": 5,
    "juni": 6, "jun": 6,
    "juli": 7, "jul": 7,
    "august": 8, "aug": 8,
    "september": 9, "sept": 9, "sep": 9,
    "oktober": 10, "okt": 10,
    "november": 11, "nov": 11,
    "dezember": 12, "dez": 12,
}  # fmt: skip
_FULL_MONTHS = [name for name in _MONTHS if len(name) > 4]

_NUMERIC = re.compile(
    r"(?<![0-9.,/-])(?P<d>[0-9]{1,2}) ?\. ?(?P<m>[0-9]{1,2}) ?\. ?(?P<y>[0-9]{4}|[0-9]{2})"
    r"(?![0-9]|,[0-9]|-[0-9])"
)
_ISO = re.compile(r"(?<![0-9/.-])(?P<y>(?:19|20)[0-9]{2})-(?P<m>[0-9]{2})-(?P<d>[0-9]{2})(?![0-9])")
_NAMED = re.compile(
    r"(?<![0-9])(?P<d>[0-9]{1,2}) ?\.? {0,2}(?P<m>[A-Za-zÄÖÜäöü]{3,10})\.? {0,2}"
    r"(?P<y>(?:19|20)[0-9]{2})(?![0-9])"
)

_LABEL = re.compile(
    r"(?:^|[^a-z])(datum|rechnungsdatum|briefdatum|ausstellungsdatum|bescheiddatum|den)"
    r"\s*[:.]?\s*$"
)
_PLACE = re.compile(r"^[a-zäöüß][a-zäöüß .\-/()]{1,40},\s*(?:den\s*|am\s*)?$")
_NEGATIVE = re.compile(
    r"(?:^|[^a-z])(bis|spaetestens|frist|faellig|zahlbar|vom|seit|ab|geb|geboren|gueltig|"
    r"termin|am|zum|leistungszeitraum|lieferdatum|liefertermin|verhandlung|zeitraum|stand|"
    r"eingang|eingegangen|zugestellt|ablauf)[a-z]*\W*(?:den\s+|dem\s+)?$"
)


def month_number(token: str) -> int | None:
    """Month of a (possibly abbreviated or OCR-damaged) German month name."""
    key = norm_name(token).replace(" ", "")
    if key in _MONTHS:
        return _MONTHS[key]
    if len(key) < 5:
        return None
    found = process.extractOne(key, _FULL_MONTHS, scorer=fuzz.ratio, score_cutoff=80)
    return _MONTHS[found[0]] if found else None


def _year(raw: str, today: date) -> int:
    value = int(raw)
    if len(raw) == 2:
        value += 2000 if 2000 + value <= today.year + 1 else 1900
    return value


def _candidates(view: str, today: date) -> list[tuple[int, int, date]]:
    found: list[tuple[int, int, date]] = []
    for pattern in (_NUMERIC, _ISO, _NAMED):
        for m in pattern.finditer(view):
            if pattern is _NAMED:
                month = month_number(m.group("m"))
                if month is None:
                    continue
            else:
                month = int(m.group("m"))
            try:
                value = date(_year(m.group("y"), today), month, int(m.group("d")))
            except ValueError:
                continue
            found.append((m.start(), m.end(), value))
    return found


def find_dates(
    text: str, view: str, pages: PageMap, *, today: date, max_future_days: int = 3
) -> list[Field[date]]:
    """All plausible letter-date candidates, best first (empty when none qualifies)."""
    latest = today + timedelta(days=max_future_days)
    first_page_end = pages.first_page_end
    first_lines = {line.start: line for line in pages.lines(0, first_page_end) if line.index < 60}
    line_starts = sorted(first_lines)
    scored: list[tuple[float, int, Field[date]]] = []
    for start, end, value in _candidates(view, today):
        if value > latest:
            continue
        line_start = text.rfind("\n", 0, start) + 1
        line_end = text.find("\n", end)
        line_end = len(text) if line_end < 0 else line_end
        prefix = fold(text[line_start:start]).replace("\f", "").strip()[-40:]
        suffix = text[end:line_end].strip(" .\t\f")
        score = 0.35
        column = _column_label(text, line_start, line_end, start)
        place = _PLACE.match(prefix)
        if _LABEL.search(prefix) or place or column == "datum":
            score += 0.3
        elif not prefix and not suffix:
            score += 0.2
        if not place and (_NEGATIVE.search(prefix) or (column or "").endswith("vom")):
            score -= 0.35
        if start < first_page_end:
            index = _line_index(line_starts, first_lines, start)
            if index is not None and index < 25:
                score += 0.15
            if start < 0.4 * first_page_end:
                score += 0.05
        else:
            score -= 0.1
        age = (today - value).days
        if age > 5 * 366:
            score -= 0.4
        elif age > 366:
            score -= 0.2
        confidence = round(max(0.01, min(0.98, score)), 3)
        scored.append((confidence, start, Field(value, confidence, (pages.evidence(start, end),))))
    scored.sort(key=lambda item: (-item[0], item[1]))
    return [f for _, _, f in scored]


_COLUMN_LABELS = re.compile(
    r"(datum|nachricht vom|schreiben vom|zeichen|telefon|tel\.|durchwahl|name|bearbeiter|e-mail)",
    re.I,
)


def _column_label(text: str, line_start: int, line_end: int, start: int) -> str | None:
    """For a row of values under a row of headings ("Ihr Zeichen ... Datum"), the heading
    whose column (relative position in its line) is nearest to the date's."""
    prev_end = line_start - 1
    while prev_end > 0 and text[prev_end - 1] in "\n \t\f":
        prev_end -= 1
    if prev_end <= 0:
        return None
    prev_start = text.rfind("\n", 0, prev_end) + 1
    prev = text[prev_start:prev_end].strip()
    if not prev or re.search(r"[0-9]", prev):
        return None
    labels = [(m.start() / len(prev), m.group().casefold()) for m in _COLUMN_LABELS.finditer(prev)]
    if len(labels) < 2:
        return None
    row = text[line_start:line_end]
    heads = re.split(r"\s{2,}|\t", prev)
    cells = list(re.finditer(r"\S+(?: \S+)*", row))
    if len(heads) == len(cells):  # columns survived OCR: match by position in the row
        for head, cell in zip(heads, cells, strict=True):
            if line_start + cell.start() <= start < line_start + cell.end():
                found = [m.group().casefold() for m in _COLUMN_LABELS.finditer(head)]
                if "datum" in found:
                    return "datum"
                return found[-1] if found else None
    lead = len(row) - len(row.lstrip())
    rel = (start - line_start - lead) / max(1, len(row.strip()))
    return min(labels, key=lambda label: abs(label[0] - rel))[1]


def _line_index(starts: list[int], lines: dict[int, Line], offset: int) -> int | None:
    pos = bisect.bisect_right(starts, offset) - 1
    if pos < 0:
        return None
    return lines[starts[pos]].index


#: Below this the best candidate is not reported as the letter date.
MIN_DATE_SCORE = 0.3
