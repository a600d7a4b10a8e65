"""IBAN (ISO 13616, mod-97 checked) and BIC, tolerant to OCR noise but never to a bad checksum.

The IBAN scanner walks the raw text from each two-letter start, skipping stray spaces, and
takes exactly as many characters as the country's IBAN has. Each position is then read
according to the country's BBAN format: in numeric positions ``O`` is ``0`` and ``l`` is
``1``; in alphanumeric positions the few ambiguous characters are tried both ways. Only a
result whose mod-97 checksum holds is reported.
"""

from __future__ import annotations

import itertools
import re

from ingest.extract.model import Field
from ingest.extract.text import PageMap

# country: BBAN format after the check digits, as in the SWIFT IBAN registry (n digits,
# a upper-case letters, c alphanumeric).
_BBAN_FORMATS = {
    "AD": "4n4n12c", "AT": "5n11n", "BE": "3n7n2n", "BG": "4a4n2n8c", "CH": "5n12c",
    "CY": "3n5n16c", "CZ": "4n6n10n", "DE": "8n10n", "DK": "4n9n1n", "EE": "2n2n11n1n",
    "ES": "4n4n1n1n10n", "FI": "3n11n", "FR": "5n5n11c2n", "GB": "4a6n8n", "GI": "4a15c",
    "GR": "3n4n16c", "HR": "7n10n", "HU": "3n4n1n15n1n", "IE": "4a6n8n", "IS": "4n2n6n10n",
    "IT": "1a5n5n12c", "LI": "5n12c", "LT": "5n11n", "LU": "3n13c", "LV": "4a13c",
    "MC": "5n5n11c2n", "MT": "4a5n18c", "NL": "4a10n", "NO": "4n6n1n", "PL": "8n16n",
    "PT": "4n4n11n2n", "RO": "4a16c", "SE": "3n16n1n", "SI": "5n8n2n", "SK": "4n6n10n",
    "SM": "1a5n5n12c", "VA": "3n15n",
}  # fmt: skip


def _expand(fmt: str) -> str:
    return "".join(kind * int(count) for count, kind in re.findall(r"(\d+)([nac])", fmt))


BBAN_CLASSES = {country: _expand(fmt) for country, fmt in _BBAN_FORMATS.items()}
IBAN_LENGTHS = {country: 4 + len(classes) for country, classes in BBAN_CLASSES.items()}

_AS_DIGIT = {"O": "0", "Q": "0", "D": "0", "I": "1", "L": "1", "|": "1", "S": "5", "B": "8",
             "Z": "2", "G": "6", "T": "7"}  # fmt: skip
_AS_LETTER = {"0": "O", "1": "I", "5": "S", "8": "B", "2": "Z", "6": "G", "|": "I"}
_AMBIGUOUS = {"0": "O", "O": "0", "1": "I", "I": "1", "L": "1"}
_START = re.compile(r"(?<![A-Za-z0-9])[A-Za-z] ?[A-Za-z](?= ?[0-9OoIlLQDSsBZGT|])")
_LABEL = re.compile(r"IBAN\W{0,4}$", re.I)


def iban_checksum_ok(iban: str) -> bool:
    """True for an IBAN (upper case, no spaces) whose mod-97 check holds."""
    if len(iban) < 5 or not iban.isascii() or not iban.isalnum():
        return False
    rearranged = iban[4:] + iban[:4]
    digits = "".join(str(int(c, 36)) for c in rearranged)
    return int(digits) % 97 == 1


def iban_check_digits(country: str, bban: str) -> str:
    """The two check digits that make ``country + ?? + bban`` valid."""
    digits = "".join(str(int(c, 36)) for c in bban + country + "00")
    return f"{98 - int(digits) % 97:02d}"


def is_valid_iban(value: str) -> bool:
    """Structure (country, length, BBAN format) and checksum of an IBAN, spaces allowed."""
    iban = re.sub(r"\s+", "", value).upper()
    classes = BBAN_CLASSES.get(iban[:2])
    if classes is None or len(iban) != 4 + len(classes) or not iban[2:4].isdigit():
        return False
    for char, kind in zip(iban[4:], classes, strict=True):
        if kind == "n" and not char.isdigit() or kind == "a" and not char.isalpha():
            return False
    return iban_checksum_ok(iban)


def format_iban(iban: str) -> str:
    """Print form in groups of four ("DE02 1203 0000 0000 2020 51")."""
    return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))


def _read(chars: list[str], classes: str) -> tuple[list[list[str]], int] | None:
    """Per position the readings to try (first = most likely), and the corrections made."""
    options: list[list[str]] = []
    fixes = 0
    for char, kind in zip(chars, classes, strict=True):
        up = char.upper()
        if len(up) != 1:
            return None
        if kind == "n":
            if not up.isdigit():
                up = _AS_DIGIT.get(up, "")
                fixes += 1
            if not (up.isascii() and up.isdigit()):
                return None
            options.append([up])
        elif kind == "a":
            if not up.isalpha():
                up = _AS_LETTER.get(up, "")
                fixes += 1
            if not (up.isascii() and up.isalpha()):
                return None
            options.append([up])
        else:
            if up == "|":
                up = "1"
            if not (up.isascii() and up.isalnum()):
                return None
            options.append([up, _AMBIGUOUS[up]] if up in _AMBIGUOUS else [up])
    return options, fixes


def _collect(text: str, pos: int, count: int) -> tuple[list[str], int] | None:
    """``count`` alphanumerics from ``pos``, skipping single stray blanks; end offset."""
    chars: list[str] = []
    gap = 0
    while pos < len(text) and len(chars) < count:
        char = text[pos]
        if char in " \t":
            gap += 1
            if gap > 2:
                return None
        elif char.isalnum() or char == "|":
            chars.append(char)
            gap = 0
        else:
            return None
        pos += 1
    if len(chars) < count:
        return None
    if pos < len(text) and text[pos].isalnum():
        return None  # the group goes on: longer than an IBAN of this country
    return chars, pos


def find_ibans(text: str, pages: PageMap, *, max_variants: int = 32) -> list[Field[str]]:
    found: dict[str, Field[str]] = {}
    for m in _START.finditer(text):
        country = m.group().replace(" ", "").upper()
        classes = BBAN_CLASSES.get(country)
        if classes is None:
            continue
        got = _collect(text, m.end(), 2 + len(classes))
        if got is None:
            continue
        chars, end = got
        read = _read(chars, "nn" + classes)
        if read is None:
            continue
        options, fixes = read
        ambiguous = sum(len(o) > 1 for o in options)
        if 2**ambiguous > max_variants:
            options = [o[:1] for o in options]
        for variant in itertools.product(*options):
            iban = country + "".join(variant)
            if iban_checksum_ok(iban):
                guesses = sum(v != o[0] for v, o in zip(variant, options, strict=True))
                conf = 0.95 - 0.05 * (fixes + guesses)
                if _LABEL.search(text[max(0, m.start() - 12) : m.start()]):
                    conf += 0.04
                conf = round(max(0.6, min(0.99, conf)), 3)
                if iban not in found or found[iban].confidence < conf:
                    found[iban] = Field(iban, conf, (pages.evidence(m.start(), end),))
                break
    return sorted(found.values(), key=lambda f: f.span.start)  # type: ignore[union-attr]


_BIC_BODY = r"[A-Z0-9]{4} ?[A-Z]{2} ?[A-Z0-9]{2}(?: ?[A-Z0-9]{3})?"
_BIC_LABELLED = re.compile(
    rf"\b(?:BIC|SWIFT|Swift-Code|BIC-Code|SWIFT-BIC)\b\W{{0,4}}(?P<bic>{_BIC_BODY})(?![A-Za-z0-9])",
    re.I,
)
_BIC_BARE = re.compile(rf"(?<![A-Za-z0-9])(?P<bic>{_BIC_BODY})(?![A-Za-z0-9])")
_COUNTRIES = set(BBAN_CLASSES) | {"US", "JP", "CN", "CA", "AU", "TR", "UA", "RU", "RS", "BA"}


def _bic(raw: str) -> str | None:
    value = raw.replace(" ", "").upper()
    if len(value) not in (8, 11):
        return None
    head = "".join(c if c.isalpha() else _AS_LETTER.get(c, "?") for c in value[:6])
    if not head.isalpha() or head[4:6] not in _COUNTRIES:
        return None
    return head + value[6:]


def find_bics(text: str, pages: PageMap, ibans: list[Field[str]]) -> list[Field[str]]:
    """BICs after a "BIC"/"SWIFT" label, or standing on the same line as an IBAN."""
    found: dict[str, Field[str]] = {}
    for m in _BIC_LABELLED.finditer(text):
        bic = _bic(m.group("bic"))
        if bic and bic not in found:
            found[bic] = Field(bic, 0.92, (pages.evidence(m.start("bic"), m.end("bic")),))
    for iban in ibans:
        span = iban.span
        assert span is not None
        line_end = text.find("\n", span.end)
        line_end = len(text) if line_end < 0 else line_end
        for m in _BIC_BARE.finditer(text, span.end, line_end):
            bic = _bic(m.group("bic"))
            if bic and bic not in found and m.group("bic").upper() == m.group("bic"):
                found[bic] = Field(bic, 0.75, (pages.evidence(m.start("bic"), m.end("bic")),))
    return sorted(found.values(), key=lambda f: f.span.start)  # type: ignore[union-attr]
