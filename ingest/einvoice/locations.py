"""Where in the XML a business term is: for validation findings ("wo im Dokument").

Each model group records ``location``, the XPath of its element; the relative path of each
term within its group lives with the parser of the syntax (``FIELD_PATHS`` in
:mod:`ingest.einvoice.ubl` and :mod:`ingest.einvoice.cii`). :func:`locate` joins the two. The
paths use the prefixes of :func:`namespaces` and can be evaluated with
``root.xpath(path, namespaces=namespaces(invoice.syntax))``.
"""

from __future__ import annotations

from ingest.einvoice import cii, ubl
from ingest.einvoice.model import Invoice, Syntax


def namespaces(syntax: Syntax) -> dict[str, str]:
    """Prefix map for evaluating the locations of an invoice of ``syntax``."""
    return dict(
        ubl.NAMESPACES if syntax in (Syntax.UBL_INVOICE, Syntax.UBL_CREDIT_NOTE) else cii.NAMESPACES
    )


def field_path(syntax: Syntax, group: object, field: str) -> str | None:
    """The path of ``field`` relative to the element of ``group`` (None if not mapped)."""
    name = type(group).__name__
    if syntax is Syntax.UBL_CREDIT_NOTE:
        override = ubl.FIELD_PATHS_CREDIT_NOTE.get(name, {}).get(field)
        if override is not None:
            return override
    table = (
        ubl.FIELD_PATHS
        if syntax in (Syntax.UBL_INVOICE, Syntax.UBL_CREDIT_NOTE)
        else cii.FIELD_PATHS
    )
    return table.get(name, {}).get(field)


def locate(invoice: Invoice, group: object, field: str | None = None) -> str:
    """XPath of ``field`` of ``group`` (a model object of ``invoice``), or of the group itself.

    The path is the same whether the term is present or not; for a "must be present" finding
    use the group's own location (``field=None``). Unmapped fields give the group's location.
    """
    base = getattr(group, "location", "") or invoice.location
    if field is None:
        return base
    relative = field_path(invoice.syntax, group, field)
    if relative is None:
        return base
    if relative.startswith("/"):
        return relative
    if relative == ".":
        return base
    if " | " in relative:
        return " | ".join(f"{base}/{part}" for part in relative.split(" | "))
    return f"{base}/{relative}"
