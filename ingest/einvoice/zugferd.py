"""Find the invoice XML inside a ZUGFeRD / Factur-X (or XRechnung-in-PDF) file.

The PDF stays the document; the embedded XML is the data. Where to look, in order:

1. the standard names (case-insensitive): ``factur-x.xml`` (ZUGFeRD 2.1+ / Factur-X),
   ``xrechnung.xml`` (XRechnung profile of ZUGFeRD 2.x), ``zugferd-invoice.xml`` (ZUGFeRD 2.0
   and 1.0);
2. any other embedded XML whose root element is a UBL or CII invoice (or ZUGFeRD 1.0).

Among several candidates an EN 16931 document (UBL/CII) beats a ZUGFeRD 1.0 one (PDFs made
during the transition carry both), then the name order above, then a proper
``/AFRelationship`` (Alternative, Data or Source) beats a missing one. Anything unusual about
the choice is reported as a warning, never silently.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dms.content.pdf import EmbeddedFile, embedded_files
from dms.errors import UnsupportedContent
from ingest.einvoice import cii, ubl
from ingest.einvoice.xml_safety import DEFAULT_MAX_BYTES, peek, too_large

INVOICE_FILE_NAMES = ("factur-x.xml", "xrechnung.xml", "zugferd-invoice.xml")
EN16931_ROOTS = frozenset({ubl.INVOICE_ROOT, ubl.CREDIT_NOTE_ROOT, cii.ROOT})
INVOICE_ROOTS = EN16931_ROOTS | {cii.ZUGFERD1_ROOT}
PROPER_RELATIONSHIPS = frozenset({"Alternative", "Data", "Source"})

NO_INVOICE_DATA = (
    "Die PDF-Datei enthält keine eingebetteten Rechnungsdaten (ZUGFeRD, Factur-X oder"
    " XRechnung) und ist daher keine E-Rechnung. / The PDF contains no embedded invoice data"
    " (ZUGFeRD, Factur-X or XRechnung), so it is not an e-invoice."
)


@dataclass(frozen=True)
class EmbeddedInvoice:
    """The chosen invoice XML of a PDF."""

    name: str
    relationship: str | None
    data: bytes
    root_tag: str | None
    warnings: tuple[str, ...] = ()


def extract_invoice_xml(
    source: str | Path | bytes, *, max_bytes: int = DEFAULT_MAX_BYTES
) -> EmbeddedInvoice:
    """The invoice XML embedded in the PDF ``source``, or UnsupportedContent saying why not."""
    return select_invoice_xml(embedded_files(source, max_size=max_bytes), max_bytes=max_bytes)


def select_invoice_xml(
    files: list[EmbeddedFile], *, max_bytes: int = DEFAULT_MAX_BYTES
) -> EmbeddedInvoice:
    """Choose the invoice XML among a PDF's embedded files (see the module docstring)."""
    ranked: list[tuple[tuple[int, int, int], EmbeddedFile, str | None]] = []
    oversized: EmbeddedFile | None = None
    for file in files:
        lowered = file.name.lower()
        known = lowered in INVOICE_FILE_NAMES
        looks_xml = known or lowered.endswith(".xml") or (file.mime or "").endswith("xml")
        if not looks_xml:
            continue
        if file.data is None:
            oversized = oversized or file
            continue
        root = peek(file.data).root_tag
        if root not in INVOICE_ROOTS and not known:
            continue
        root_rank = 0 if root in EN16931_ROOTS else 1 if root in INVOICE_ROOTS else 2
        name_rank = INVOICE_FILE_NAMES.index(lowered) if known else len(INVOICE_FILE_NAMES)
        relationship_rank = 0 if file.relationship in PROPER_RELATIONSHIPS else 1
        ranked.append(((root_rank, name_rank, relationship_rank), file, root))
    if not ranked:
        if oversized is not None:
            raise UnsupportedContent(too_large(oversized.size or max_bytes + 1, max_bytes))
        raise UnsupportedContent(NO_INVOICE_DATA)
    ranked.sort(key=lambda entry: entry[0])
    _, chosen, root = ranked[0]
    assert chosen.data is not None
    warnings: list[str] = []
    if len(ranked) > 1:
        names = ", ".join(file.name for _, file, _ in ranked)
        warnings.append(
            f"Die PDF-Datei enthält mehrere Rechnungsdatensätze ({names}); ausgewertet wird"
            f" {chosen.name}. / The PDF contains several invoice data files ({names});"
            f" {chosen.name} is used."
        )
    if chosen.name.lower() not in INVOICE_FILE_NAMES:
        warnings.append(
            f"Die Rechnungsdaten stehen unter dem nicht standardgemäßen Namen ‚{chosen.name}‘."
            f" / The invoice data is embedded under the non-standard name '{chosen.name}'."
        )
    if chosen.relationship not in PROPER_RELATIONSHIPS:
        shown = chosen.relationship or "fehlt / missing"
        warnings.append(
            f"Der eingebettete Rechnungsdatensatz {chosen.name} ist nicht als Alternative, Data"
            f" oder Source gekennzeichnet (AFRelationship: {shown}). / The embedded invoice data"
            f" {chosen.name} is not marked Alternative, Data or Source (AFRelationship: {shown})."
        )
    return EmbeddedInvoice(
        name=chosen.name,
        relationship=chosen.relationship,
        data=chosen.data,
        root_tag=root,
        warnings=tuple(warnings),
    )
