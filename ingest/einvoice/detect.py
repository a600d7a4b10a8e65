"""Cheap e-invoice sniffing for the mailroom: is this file an e-invoice, and which kind?

Looks at the first 64 KiB of an XML file (root element and specification identifier) and, for
a PDF, at its embedded files; it never parses a whole invoice and never raises for bad
content: anything that is not recognisably an e-invoice is ``kind="none"`` with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from dms.content.pdf import embedded_files
from dms.errors import DmsError
from ingest.einvoice import cii, is_pdf, ubl
from ingest.einvoice.model import Profile
from ingest.einvoice.profiles import profile_from_specification
from ingest.einvoice.xml_safety import DEFAULT_MAX_BYTES, peek
from ingest.einvoice.zugferd import select_invoice_xml

Kind = Literal["ubl", "cii", "zugferd-pdf", "none"]

_HEAD_BYTES = 64 * 1024

_SYNTAX_NAMES = {
    ubl.INVOICE_ROOT: ("ubl", "UBL-Rechnung (Invoice)", "UBL invoice"),
    ubl.CREDIT_NOTE_ROOT: ("ubl", "UBL-Gutschrift (CreditNote)", "UBL credit note"),
    cii.ROOT: ("cii", "UN/CEFACT-CII-Rechnung", "UN/CEFACT CII invoice"),
    cii.ZUGFERD1_ROOT: ("cii", "ZUGFeRD-1.0-Rechnung", "ZUGFeRD 1.0 invoice"),
}


@dataclass(frozen=True)
class Detection:
    kind: Kind
    profile: Profile | None
    reason: str  # German / English
    specification_identifier: str | None = None
    embedded_name: str | None = None


def detect(source: str | Path | bytes) -> Detection:
    """What kind of e-invoice ``source`` (a path or the file's bytes) is, if any."""
    if isinstance(source, bytes):
        head = source[:_HEAD_BYTES]
    else:
        with Path(source).open("rb") as fh:
            head = fh.read(_HEAD_BYTES)
    if not head.strip():
        return Detection("none", None, "Leere Datei. / Empty file.")
    if is_pdf(head):
        return _detect_pdf(source)
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not (stripped.startswith(b"<") or stripped[:2] in (b"\xff\xfe", b"\xfe\xff")):
        return Detection("none", None, "Weder XML noch PDF. / Neither XML nor PDF.")
    return _detect_xml(head)


def _describe(root: str, spec: str | None, where: str = "") -> tuple[Kind, Profile, str]:
    kind, german, english = _SYNTAX_NAMES[root]
    profile = profile_from_specification(spec)
    return (
        kind,  # type: ignore[return-value]
        profile,
        f"{german}{where}, Profil {profile.value}. / {english}{where}, profile {profile.value}.",
    )


def _detect_xml(head: bytes) -> Detection:
    found = peek(head)
    if found.has_doctype:
        return Detection(
            "none",
            None,
            "XML mit Dokumenttyp-Deklaration (DOCTYPE): wird als E-Rechnung nicht angenommen."
            " / XML with a document type declaration (DOCTYPE): not accepted as an e-invoice.",
        )
    if found.root_tag is None:
        return Detection(
            "none", None, f"Kein lesbares XML ({found.error}). / Not readable XML ({found.error})."
        )
    if found.root_tag not in _SYNTAX_NAMES:
        return Detection(
            "none",
            None,
            f"XML, aber keine Rechnung (Wurzelelement {found.root_tag}). / XML, but not an"
            f" invoice (root element {found.root_tag}).",
        )
    kind, profile, reason = _describe(found.root_tag, found.specification_id)
    return Detection(kind, profile, reason, found.specification_id)


def _detect_pdf(source: str | Path | bytes) -> Detection:
    try:
        chosen = select_invoice_xml(
            embedded_files(source, max_size=DEFAULT_MAX_BYTES), max_bytes=DEFAULT_MAX_BYTES
        )
    except DmsError as exc:
        return Detection("none", None, exc.message)
    found = peek(chosen.data)
    if found.root_tag not in _SYNTAX_NAMES:
        return Detection(
            "none",
            None,
            f"PDF mit eingebetteter Datei {chosen.name}, die keine lesbare Rechnung ist. / PDF"
            f" with an embedded file {chosen.name} that is not a readable invoice.",
            embedded_name=chosen.name,
        )
    _, profile, reason = _describe(
        found.root_tag, found.specification_id, f" in PDF ({chosen.name})"
    )
    return Detection("zugferd-pdf", profile, reason, found.specification_id, chosen.name)
