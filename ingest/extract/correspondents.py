"""The correspondent register (config/correspondents.toml) and fuzzy sender matching.

Where a letter names its sender: the letterhead and the return-address line above our
address, the signature after "Mit freundlichen Grüßen", the footer (bank, seat). Each
register name and alias is compared with those lines (rapidfuzz partial ratio, after case,
umlaut and OCR-digit folding); every distinctive word of the name ("Oberdorf" in "Amtsgericht
Oberdorf") must be found too, so "Amtsgericht Unterdorf" is not taken for it, nor
"Landgericht Freiburg" for "Verwaltungsgericht Freiburg". A known IBAN
of an entry is as good as its name. With no register match, the name in the letterhead is
reported without an entry and at a low confidence.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz

from dms.errors import ConfigError
from ingest.extract.model import Correspondent, Field, Sender
from ingest.extract.text import Line, PageMap, norm_name

KINDS = ("municipality", "court", "authority", "company", "person", "association", "bank")
_ID = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
# Words of a name that need not be found in the letter (every other word must be, roughly).
_FILLERS = frozenset(
    [
        "und",
        "der",
        "die",
        "das",
        "des",
        "fuer",
        "von",
        "im",
        "am",
        "an",
        "zu",
        "mit",
        "co",
        "kg",
        "e",
        "v",
        "ev",
        "gebr",
    ]
)
_SALUTATION = re.compile(r"^(sehr geehrte|guten tag|hallo|liebe|betreff|betr\.|bezug)", re.I)
_CLOSING = re.compile(
    r"(mit freundlichen gr|mit freundlichem gr|freundliche gr|hochachtungsvoll|viele gr)", re.I
)
_BANK_LINE = re.compile(r"(bankverbindung|\biban\b|\bbic\b|\bkonto|\bblz\b)", re.I)
_STREET = re.compile(r"(stra(ß|ss)e|str\.|weg|platz|gasse|allee|ring|postfach)\b|[0-9]", re.I)
_POSTCODE = re.compile(r"\b[0-9]{5}\b")
_RETURN_SPLIT = re.compile(r"\s*(?:·|•|\||–| - |,)\s*")
MATCH_THRESHOLD = 85.0

_REGION_WEIGHT = {"header": 1.0, "signature": 0.92, "footer": 0.88, "body": 0.6}


@dataclass(frozen=True)
class _Alias:
    entry: Correspondent
    norm: str
    distinct: tuple[str, ...]


class CorrespondentRegister:
    """The known senders; ``own_names`` are our own (the recipient's) names."""

    def __init__(self, entries: Iterable[Correspondent], own_names: Iterable[str] = ()) -> None:
        self.entries = tuple(entries)
        self.by_id = {e.id: e for e in self.entries}
        self.own_names = tuple(own_names)
        self._own = [norm_name(n) for n in self.own_names]
        self._aliases: list[_Alias] = []
        self._by_iban: dict[str, Correspondent] = {}
        for entry in self.entries:
            for name in (entry.name, *entry.aliases):
                norm = norm_name(name)
                distinct = tuple(t for t in norm.split() if t not in _FILLERS and len(t) > 1)
                self._aliases.append(_Alias(entry, norm, distinct))
            for iban in entry.ibans:
                self._by_iban[iban] = entry

    def __len__(self) -> int:
        return len(self.entries)

    def get(self, correspondent_id: str) -> Correspondent | None:
        return self.by_id.get(correspondent_id)

    def is_own(self, line: str) -> bool:
        norm = norm_name(line)
        return any(fuzz.ratio(own, norm) >= 88 for own in self._own)

    def score_line(self, line: str) -> dict[str, float]:
        """Best score (0..100) of each entry whose name matches this line."""
        norm = norm_name(line)
        if not norm:
            return {}
        tokens = norm.split()
        best: dict[str, float] = {}
        for alias in self._aliases:
            if len(alias.norm) <= len(norm):
                score = fuzz.partial_ratio(alias.norm, norm)
            else:
                score = fuzz.ratio(alias.norm, norm)
            if score < MATCH_THRESHOLD:
                continue
            if not all(_word_found(word, tokens) for word in alias.distinct):
                continue
            if score > best.get(alias.entry.id, 0.0):
                best[alias.entry.id] = score
        return best

    def match(
        self, text: str, pages: PageMap, *, ibans: Iterable[Field[str]] = ()
    ) -> list[Field[Sender]]:
        """Sender candidates, best first: register entries, else the letterhead name."""
        regions = _regions(pages)
        found: dict[str, Field[Sender]] = {}
        for region, lines in regions.items():
            weight = _REGION_WEIGHT[region]
            for line in lines:
                bank_line = bool(_BANK_LINE.search(line.text))
                for entry_id, score in self.score_line(line.text).items():
                    if bank_line and self.by_id[entry_id].kind == "bank":
                        continue  # "Bankverbindung: Sparkasse ...": the sender's bank
                    conf = round(score / 100 * weight, 3)
                    if entry_id not in found or found[entry_id].confidence < conf:
                        entry = self.by_id[entry_id]
                        sender = Sender(entry.name, entry, round(score / 100, 3))
                        found[entry_id] = Field(
                            sender, conf, (pages.evidence(line.start, line.end),)
                        )
        for iban in ibans:
            entry = self._by_iban.get(iban.value)
            if entry is not None:
                conf = 0.9
                if entry.id not in found or found[entry.id].confidence < conf:
                    found[entry.id] = Field(Sender(entry.name, entry, 1.0), conf, iban.evidence)
        ranked = sorted(found.values(), key=lambda f: -f.confidence)
        if len(ranked) >= 2 and ranked[0].confidence - ranked[1].confidence < 0.03:
            top = ranked[0]
            ranked[0] = Field(top.value, round(top.confidence * 0.8, 3), top.evidence)
        guess = self._letterhead_guess(regions.get("header", []), pages)
        if ranked and ranked[0].confidence >= 0.6:
            return ranked
        if guess is not None:
            return [guess, *ranked]
        return ranked

    def _letterhead_guess(self, header: list[Line], pages: PageMap) -> Field[Sender] | None:
        for line in header:  # the return-address line: "Karl Krause · Lindenweg 3 · 79100 ..."
            parts = [p for p in _RETURN_SPLIT.split(line.text) if p]
            if (
                len(parts) >= 2
                and _POSTCODE.search(line.text)
                and _is_name(parts[0])
                and not _STREET.search(parts[0])
            ):
                if self.is_own(parts[0]):
                    continue
                start = line.start + line.text.find(parts[0])
                name = parts[0].strip()
                return Field(Sender(name), 0.45, (pages.evidence(start, start + len(name)),))
        for line in header[:6]:
            if _is_name(line.text) and not self.is_own(line.text):
                return Field(Sender(line.text), 0.35, (pages.evidence(line.start, line.end),))
        return None


def _word_found(word: str, tokens: list[str]) -> bool:
    """A word of a name is in the line: OCR may change a letter or two, not drop a syllable
    ("Lindenau" is not "Linden")."""
    slack = max(1, len(word) // 8)
    return any(abs(len(word) - len(t)) <= slack and fuzz.ratio(word, t) >= 80 for t in tokens)


def _is_prose(text: str) -> bool:
    words = [w for w in re.findall(r"[^\W\d_]{2,}", text)]
    lower = sum(w[0].islower() for w in words)
    return len(words) >= 6 and lower >= 3 and not _POSTCODE.search(text)


def _is_name(text: str) -> bool:
    letters = sum(c.isalpha() for c in text)
    return (
        3 <= len(text) <= 80
        and letters >= 0.7 * len(text.replace(" ", ""))
        and not _SALUTATION.match(text)
        and not re.search(r"(telefon|tel\.|fax|e-mail|www\.|datum|zeichen|seite)", text, re.I)
    )


_HEADING = re.compile(
    r"^(rechnung|beschluss|urteil|ladung|antrag|widerspruch|einspruch|gutschrift|mahnung)\b",
    re.I,
)


def _regions(pages: PageMap) -> dict[str, list[Line]]:
    """Header (letterhead, return address, address block, info block), body, signature,
    footer of the first page. The header ends at the salutation, the subject or the first
    line of prose; the signature follows "Mit freundlichen Grüßen" (on any page)."""
    first = list(pages.lines(0, pages.first_page_end))
    body_start = min(len(first), 20)
    for i, line in enumerate(first[:20]):
        if _SALUTATION.match(line.text) or _HEADING.match(line.text) or _is_prose(line.text):
            body_start = i
            break
    header = first[:body_start]
    rest = first[body_start:]
    footer = rest[-8:] if len(rest) > 12 else []
    body = rest[: len(rest) - len(footer)]
    signature: list[Line] = []
    all_lines = list(pages.lines()) if pages.first_page_end < len(pages.text) else first
    for i, line in enumerate(all_lines):
        if _CLOSING.search(line.text):
            signature = all_lines[i + 1 : i + 9]
    sig_starts = {line.start for line in signature}
    body = [line for line in body[:40] if line.start not in sig_starts]
    footer = [line for line in footer if line.start not in sig_starts]
    return {"header": header, "signature": signature, "footer": footer, "body": body}


# -- loading ------------------------------------------------------------------------------


def parse_register(data: Mapping[str, Any], *, source: str = "correspondents.toml"):  # type: ignore[no-untyped-def]
    """Build and validate a register from parsed TOML; errors name the entry and the field."""
    from ingest.extract.banking import is_valid_iban

    problems: list[str] = []
    unknown = sorted(set(data) - {"self", "correspondent"})
    if unknown:
        problems.append(f"unbekannter Abschnitt {', '.join(unknown)}")
    own = data.get("self", {}).get("names", [])
    if not isinstance(own, list) or not all(isinstance(n, str) for n in own):
        problems.append("[self] names: Liste von Namen erwartet")
        own = []
    entries: list[Correspondent] = []
    seen: set[str] = set()
    allowed = {"id", "name", "kind", "aliases", "address", "ibans"}
    for pos, raw in enumerate(data.get("correspondent", []), start=1):
        where = f"Eintrag {pos}"
        if not isinstance(raw, dict):
            problems.append(f"{where}: Tabelle erwartet")
            continue
        ident = raw.get("id")
        if isinstance(ident, str):
            where = f"Eintrag {pos} ('{ident}')"
        extra = sorted(set(raw) - allowed)
        if extra:
            problems.append(f"{where}: unbekanntes Feld {', '.join(extra)}")
        if not isinstance(ident, str) or not _ID.fullmatch(ident):
            problems.append(f"{where}: Feld 'id' fehlt oder ist ungültig (a-z, 0-9, -)")
            continue
        if ident in seen:
            problems.append(f"{where}: id doppelt vergeben")
        seen.add(ident)
        name = raw.get("name")
        if not isinstance(name, str) or not name.strip():
            problems.append(f"{where}: Feld 'name' fehlt")
            continue
        kind = raw.get("kind", "company")
        if kind not in KINDS:
            problems.append(
                f"{where}: Feld 'kind': {kind!r} unbekannt (erlaubt: {', '.join(KINDS)})"
            )
        aliases = raw.get("aliases", [])
        if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
            problems.append(f"{where}: Feld 'aliases': Liste von Namen erwartet")
            aliases = []
        ibans = raw.get("ibans", [])
        if not isinstance(ibans, list):
            problems.append(f"{where}: Feld 'ibans': Liste erwartet")
            ibans = []
        clean_ibans = []
        for iban in ibans:
            if not isinstance(iban, str) or not is_valid_iban(iban):
                problems.append(f"{where}: Feld 'ibans': {iban!r} ist keine gültige IBAN")
                continue
            clean_ibans.append(re.sub(r"\s+", "", iban).upper())
        entries.append(
            Correspondent(
                ident,
                name.strip(),
                kind,
                tuple(aliases),
                str(raw.get("address", "")),
                tuple(clean_ibans),
            )  # fmt: skip
        )
    if problems:
        raise ConfigError(
            f"{source}: ungültiges Korrespondentenverzeichnis / invalid correspondent register: "
            + "; ".join(problems)
        )
    return CorrespondentRegister(entries, own)


def load_register(path: str | Path | None = None) -> CorrespondentRegister:
    """Read config/correspondents.toml (or ``path``) and validate it."""
    if path is None:
        from dms.settings import get_settings

        path = get_settings().config_dir / "correspondents.toml"
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"Korrespondentenverzeichnis {path} fehlt / missing") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} ist kein gültiges TOML: {exc}") from exc
    return parse_register(data, source=str(path))
