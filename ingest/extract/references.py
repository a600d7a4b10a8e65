"""Reference numbers: our own Aktenzeichen (regex derived from the configured schemes) and the
"Ihr Zeichen / Unser Zeichen / Az. / Geschäftszeichen" lines of a letter.

Whose number is it? In a letter *to us*, "Ihr Zeichen" (your reference) is ours and "Unser
Zeichen" the sender's. A bare "Az." or "Aktenzeichen" is ours when the value fits our scheme
(a citizen quoting our case), else the sender's (a court's "Aktenzeichen 3 K 1234/26"). A
number in our scheme without any label is ours too, at a lower confidence.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from string import Formatter

from dms.errors import ConfigError
from ingest.extract.model import Field, Reference, ReferenceKind, ReferenceOwner
from ingest.extract.text import PageMap

_PLAN_GENERIC = r"[0-9]{1,3}(?:\.[0-9]{1,3}){0,4}"
_SEPARATORS = "-/.:_"


def _literal(text: str) -> str:
    out = []
    for char in text:
        if char in _SEPARATORS:
            out.append(f" ?{re.escape(char)} ?")
        elif char.isspace():
            out.append(r"\s{1,2}")
        else:
            out.append(re.escape(char))
    return "".join(out)


def _number(spec: str) -> str:
    m = re.fullmatch(r"(0?)(\d*)d?", spec or "")
    if m is None:
        raise ConfigError(f"Aktenzeichen-Schema: Formatangabe {spec!r} wird nicht unterstützt")
    width = int(m.group(2) or 0)
    return f"[0-9]{{{max(width, 1)},}}" if m.group(1) else "[0-9]+"


def _year(spec: str) -> str:
    m = re.fullmatch(r"0?(\d*)d?", spec or "")
    return "[0-9]{2}" if m and m.group(1) == "2" else "(?:19|20)[0-9]{2}"


def _scheme_regex(scheme: str, prefix: str, fields: dict[str, str | None]) -> str:
    """Regex for a format-string scheme; every field becomes a named group ``prefix+name``."""
    out: list[str] = []
    seen: set[str] = set()
    try:
        parsed = list(Formatter().parse(scheme))
    except ValueError as exc:
        raise ConfigError(f"Aktenzeichen-Schema {scheme!r} ist ungültig: {exc}") from exc
    for literal, name, spec, _conversion in parsed:
        out.append(_literal(literal))
        if name is None:
            continue
        if name not in fields:
            raise ConfigError(
                f"Aktenzeichen-Schema {scheme!r}: unbekanntes Feld {{{name}}} "
                f"(erlaubt: {', '.join('{' + k + '}' for k in fields)})"
            )
        group = prefix + name
        if group in seen:
            out.append(f"(?P={group})")
            continue
        seen.add(group)
        body = fields[name]
        if body is None:  # numbers: the format spec decides the width
            body = _year(spec or "") if name == "year" else _number(spec or "")
        out.append(f"(?P<{group}>{body})")
    return "".join(out)


@dataclass(frozen=True)
class ParsedReference:
    value: str  # canonical form, as the scheme formats it
    kind: ReferenceKind
    plan_code: str
    file_reference: str


class ReferencePattern:
    """Our Aktenzeichen as regexes, derived from the file and case schemes of the settings."""

    def __init__(
        self,
        file_scheme: str = "{plan}-{seq:04d}/{year}",
        case_scheme: str = "{file}-{seq:02d}",
        plan_codes: Collection[str] | None = None,
    ) -> None:
        self.file_scheme = file_scheme
        self.case_scheme = case_scheme
        self.plan_codes = frozenset(plan_codes) if plan_codes else None
        plan = _PLAN_GENERIC
        odd = sorted(
            (c for c in self.plan_codes or () if not re.fullmatch(_PLAN_GENERIC, c)),
            key=len,
            reverse=True,
        )
        if odd:
            plan = "(?:" + "|".join(map(re.escape, odd)) + "|" + _PLAN_GENERIC + ")"
        file_body = _scheme_regex(file_scheme, "f_", {"plan": plan, "seq": None, "year": None})
        case_body = _scheme_regex(case_scheme, "c_", {"file": file_body, "seq": None, "year": None})
        head, tail = r"(?<![0-9A-Za-z./-])", r"(?![0-9]| ?[./-] ?[0-9])"
        self.file_regex = re.compile(head + file_body + tail)
        self.case_regex = re.compile(head + case_body + tail)

    @classmethod
    def from_settings(cls, settings: object, plan_codes: Collection[str] | None = None):  # type: ignore[no-untyped-def]
        return cls(
            settings.file_reference_scheme,  # type: ignore[attr-defined]
            settings.case_reference_scheme,  # type: ignore[attr-defined]
            plan_codes,
        )

    def _canonical(self, m: re.Match[str], kind: ReferenceKind) -> ParsedReference:
        groups = m.groupdict()
        plan = re.sub(r"\s+", "", groups["f_plan"])
        file_year = groups.get("f_year")
        file_ref = self.file_scheme.format(
            plan=plan,
            seq=int(groups["f_seq"]) if groups.get("f_seq") else 0,
            year=int(file_year) if file_year else 0,
        )
        if kind == "file":
            return ParsedReference(file_ref, "file", plan, file_ref)
        case_year = groups.get("c_year") or file_year
        case_ref = self.case_scheme.format(
            file=file_ref,
            seq=int(groups["c_seq"]) if groups.get("c_seq") else 0,
            year=int(case_year) if case_year else 0,
        )
        return ParsedReference(case_ref, "case", plan, file_ref)

    def parse(self, value: str) -> ParsedReference | None:
        """The canonical reference when ``value`` is (only) one of ours, else None."""
        value = value.strip()
        for regex, kind in ((self.case_regex, "case"), (self.file_regex, "file")):
            m = regex.fullmatch(value)
            if m:
                return self._canonical(m, kind)  # type: ignore[arg-type]
        return None

    def known_plan(self, plan_code: str) -> bool | None:
        return None if self.plan_codes is None else plan_code in self.plan_codes

    def finditer(self, view: str) -> Iterator[tuple[int, int, ParsedReference]]:
        """Our references in a (numeric-view) text, case references before the files in them."""
        taken: list[tuple[int, int]] = []
        for m in self.case_regex.finditer(view):
            taken.append(m.span())
            yield m.start(), m.end(), self._canonical(m, "case")
        for m in self.file_regex.finditer(view):
            if any(s < m.end() and m.start() < e for s, e in taken):
                continue
            yield m.start(), m.end(), self._canonical(m, "file")


def as_pattern(value: ReferencePattern | re.Pattern[str] | str | None) -> ReferencePattern:
    """Accept a ReferencePattern, or one regex (str or compiled) for both files and cases."""
    if isinstance(value, ReferencePattern):
        return value
    if value is None:
        return ReferencePattern()
    return _RegexPattern(value)


class _RegexPattern(ReferencePattern):
    """A single caller-given regex: matches are ours, but file and case can't be told apart."""

    def __init__(self, regex: re.Pattern[str] | str) -> None:
        self.regex = re.compile(regex) if isinstance(regex, str) else regex
        self.plan_codes = None
        self.file_scheme = self.case_scheme = ""

    def parse(self, value: str) -> ParsedReference | None:
        value = value.strip()
        if self.regex.fullmatch(value):
            return ParsedReference(value, "case", "", "")
        return None

    def finditer(self, view: str) -> Iterator[tuple[int, int, ParsedReference]]:
        for m in self.regex.finditer(view):
            if m.end() > m.start():
                yield m.start(), m.end(), ParsedReference(m.group(), "case", "", "")


# -- labelled lines ----------------------------------------------------------------------

_I = r"[IlJ1|]"
_ZEICHEN = r"(?:Zeichen|Az\b\.?|Akt\.?-?Z\.?|Aktenzeichen|Gesch(?:ä|ae|a)ftszeichen)"
_LABELS: list[tuple[re.Pattern[str], ReferenceOwner | None, str]] = [
    (re.compile(rf"\b{_I}hr(?:e|em)?\s*{_ZEICHEN}", re.I), "ours", "Ihr Zeichen"),
    (re.compile(rf"\bUnser(?:e|em)?\s*{_ZEICHEN}", re.I), "theirs", "Unser Zeichen"),
    (re.compile(rf"\bMein(?:e|em)?\s*{_ZEICHEN}", re.I), "theirs", "Mein Zeichen"),
    (re.compile(r"\bGesch(?:ä|ae|a)ftsnummer\b", re.I), "theirs", "Geschäftsnummer"),
    (re.compile(r"\bBei\s+(?:Antwort|Rückfragen)\s+(?:bitte\s+)?angeben\b", re.I), "theirs",
     "Bei Antwort angeben"),
    (re.compile(r"\bRechnungs\s?-?(?:nummer|nr\.?)|\bRechnung\s+Nr\.?", re.I), "theirs",
     "Rechnungsnummer"),
    (re.compile(r"\bKunden\s?-?(?:nummer|nr\.?)", re.I), "theirs", "Kundennummer"),
    (re.compile(r"\bKassenzeichen\b", re.I), None, "Kassenzeichen"),
    (re.compile(r"\bBG\s?-?Nummer\b", re.I), "theirs", "BG-Nummer"),
    (re.compile(r"(?<![A-Za-zäöü])(?:Az\b\.?|Akt\.?-?Z\.?|Aktenzeichen|Gesch(?:ä|ae|a)ftszeichen)",
                re.I), None, "Aktenzeichen"),
]  # fmt: skip
_VALUE = re.compile(r"[ \t]*(?:[:.]|Nr\.?)?[ \t]*(?P<v>[^\t\n\f]{1,60}?)(?=[ \t]{2,}|\t|[\n\f]|$)")
_OTHER_LABEL = re.compile(
    r"(?:Datum|Telefon|Tel\.|Durchwahl|Telefax|Fax|E-Mail|Ansprechpartner(?:in)?|Bearbeiter"
    r"(?:in)?|Zimmer|Nachricht\s+vom|Schreiben\s+vom|Name)",
    re.I,
)


@dataclass(frozen=True)
class _Label:
    start: int
    end: int
    owner: ReferenceOwner | None
    name: str


def _labels(line: str) -> list[_Label]:
    found: list[_Label] = []
    for regex, owner, name in _LABELS:
        for m in regex.finditer(line):
            if any(f.start < m.end() and m.start() < f.end for f in found):
                continue
            found.append(_Label(m.start(), m.end(), owner, name))
    return sorted(found, key=lambda f: f.start)


_LEAD = re.compile(
    r"^[\s,;:.]*(?:(?:ihre?|unsere?|meine?)\s+)?(?:(?:Nachricht|Schreiben)\s+vom\s*)?[:.]?\s*",
    re.I,
)


def _clean(raw: str) -> tuple[int, str]:
    """(offset in raw, value): leading "Ihre Nachricht vom" and the date after a comma
    ("Ihr Zeichen, Ihre Nachricht vom: 600-0001/2026-01, 15.10.2026") are not the number."""
    lead = _LEAD.match(raw)
    offset = lead.end() if lead else 0
    value = raw[offset:].split(",")[0].rstrip(" ;:.")
    return offset, value


def _plausible(value: str) -> bool:
    return bool(re.search(r"[0-9]", value)) and len(value) <= 40 and len(value.split()) <= 5


def find_references(
    text: str, view: str, pages: PageMap, pattern: ReferencePattern
) -> list[Field[Reference]]:
    """Every reference number found: ours first (most confident first), then theirs."""
    results: list[Field[Reference]] = []
    covered: list[tuple[int, int]] = []
    ours = list(pattern.finditer(view))

    def ours_in(start: int, end: int) -> tuple[int, int, ParsedReference] | None:
        for item in ours:
            if item[0] < end and start < item[1]:
                return item
        return None

    def add(start: int, end: int, owner: ReferenceOwner, label: str | None, conf: float,
            parsed: ParsedReference | None) -> None:  # fmt: skip
        covered.append((start, end))
        if parsed is not None:
            known = pattern.known_plan(parsed.plan_code)
            if known is False:
                conf -= 0.3
            ref = Reference(
                parsed.value, owner, parsed.kind, label, parsed.plan_code or None,
                parsed.file_reference or None,
            )  # fmt: skip
        else:
            value = re.sub(r"\s{2,}", " ", text[start:end])
            ref = Reference(value, owner, "other", label)
        results.append(Field(ref, round(conf, 3), (pages.evidence(start, end),)))

    lines = list(pages.lines())
    for pos, line in enumerate(lines):
        labels = [  # "Az." inside our own scheme ("Az. 600/2026/007") is no label
            label
            for label in _labels(line.text)
            if ours_in(line.start + label.start, line.start + label.end) is None
        ]
        if not labels:
            continue
        if _is_header_row(line.text, labels):
            following = lines[pos + 1] if pos + 1 < len(lines) else None
            if following is not None:
                _header_row(line, labels, following, ours_in, add)
            continue
        for i, label in enumerate(labels):
            stop = labels[i + 1].start if i + 1 < len(labels) else len(line.text)
            m = _VALUE.match(line.text, label.end, stop)
            if m is None or not re.search(r"[0-9]", m.group("v")):
                continue
            offset, value = _clean(m.group("v"))
            if not _plausible(value):
                continue
            start = line.start + m.start("v") + offset
            end = start + len(value)
            mine = ours_in(line.start + m.start("v"), line.start + m.end("v"))
            if label.owner == "theirs":
                add(start, end, "theirs", label.name, 0.85, None)
            elif mine is not None:
                conf = 0.97 if label.owner == "ours" else 0.92
                add(mine[0], mine[1], "ours", label.name, conf, mine[2])
            elif label.owner == "ours":
                add(start, end, "ours", label.name, 0.6, None)
            else:
                add(start, end, "theirs", label.name, 0.7, None)
    for start, end, parsed in ours:
        if any(s <= start and end <= e for s, e in covered):
            continue
        add(start, end, "ours", None, 0.85, parsed)
    results.sort(key=lambda f: (f.value.owner != "ours", -f.confidence, f.span.start))  # type: ignore[union-attr]
    return results


def _is_header_row(line: str, labels: list[_Label]) -> bool:
    """A row of column headings ("Ihr Zeichen   Unser Zeichen   Datum"), values below."""
    rest = line
    for label in reversed(labels):
        rest = rest[: label.start] + " " + rest[label.end :]
    rest = _OTHER_LABEL.sub(" ", rest)
    others = len(_OTHER_LABEL.findall(line))
    return len(labels) + others >= 2 and not re.search(r"[0-9]", rest)


def _header_row(line, labels, following, ours_in, add) -> None:  # type: ignore[no-untyped-def]
    heads = [(m.start(), m.group()) for m in re.finditer(r"\S+(?: \S+)*", line.text)]
    cells = [(m.start(), m.group()) for m in re.finditer(r"\S+(?: \S+)*", following.text)]
    if len(heads) == len(cells) and len(heads) >= 2:
        for (h_start, head), (c_start, cell) in zip(heads, cells, strict=True):
            label = next(
                (lab for lab in labels if h_start <= lab.start < h_start + len(head)), None
            )
            offset, value = _clean(cell)
            if label is None or not re.search(r"[0-9]", value):
                continue
            start = following.start + c_start + offset
            end = start + len(value)
            mine = ours_in(following.start + c_start, following.start + c_start + len(cell))
            if label.owner == "theirs":
                add(start, end, "theirs", label.name, 0.8, None)
            elif mine is not None:
                add(mine[0], mine[1], "ours", label.name, 0.95, mine[2])
            else:
                add(start, end, "ours" if label.owner == "ours" else "theirs", label.name, 0.55,
                    None)  # fmt: skip
        return
    # Columns collapsed by OCR: only our own scheme can be told apart reliably.
    if any(lab.owner == "ours" for lab in labels):
        item = ours_in(following.start, following.end)
        if item is not None:
            add(item[0], item[1], "ours", "Ihr Zeichen", 0.9, item[2])
