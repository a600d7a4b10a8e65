"""JSON rendering of the business terms, keyed by their EN 16931 ids (for ``dms invoice parse``).

Terms are keyed ``BT-n``, groups ``BG-n`` (lists for repeated groups). Absent terms are left
out. Amounts and other decimals are strings exactly as read (``"12829.69"``), dates ISO
(``"2018-04-13"``), identifiers ``{"id": ..., "scheme": ...}``, and embedded attachments
``{"size": ..., "sha256": ...}`` (plus ``"base64"`` when asked for).
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from ingest.einvoice.model import Amount, Identifier, Invoice, ItemClassification


def to_jsonable(invoice: Invoice, *, include_binary: bool = False) -> dict[str, Any]:
    """The invoice's business terms as a JSON-ready dict keyed by BT/BG id."""
    return _group(invoice, None, include_binary)


def _group(obj: object, group_id: str | None, include_binary: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in dataclasses.fields(obj):  # type: ignore[arg-type]
        term = f.metadata.get("bt")
        if term is None:
            continue
        if isinstance(term, dict):
            term = term.get(group_id or "")
            if term is None:
                continue
        value = getattr(obj, f.name)
        if f.metadata.get("base64") and value is not None:
            value = _binary(value, include_binary)
        else:
            value = _value(value, term, include_binary)
        if value is not None:
            out[term] = value
    return out


def _value(value: object, term: str, include_binary: bool) -> Any:
    if value is None:
        return None
    if isinstance(value, tuple):
        items = [_value(v, term, include_binary) for v in value]
        return items or None
    if isinstance(value, bool | str):
        return value
    if isinstance(value, Amount):
        return value.text
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Identifier):
        return (
            {"id": value.value, "scheme": value.scheme_id}
            if value.scheme_id
            else {"id": value.value}
        )
    if isinstance(value, ItemClassification):
        rendered = {"code": value.code}
        if value.list_id is not None:
            rendered["list_id"] = value.list_id
        if value.list_version_id is not None:
            rendered["list_version_id"] = value.list_version_id
        return rendered
    if dataclasses.is_dataclass(value):
        return _group(value, term, include_binary)
    return str(value)


def _binary(content_base64: str, include_binary: bool) -> dict[str, Any]:
    """An embedded document: size and SHA-256 of the decoded bytes (and the base64 if asked)."""
    compact = "".join(content_base64.split())
    try:
        data = base64.b64decode(compact, validate=True)
    except ValueError:
        return {"error": "kein gültiges Base64 / not valid base64"}
    rendered: dict[str, Any] = {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    if include_binary:
        rendered["base64"] = compact
    return rendered


def cli_parse(path: str | Path, *, include_binary: bool = False) -> dict[str, Any]:
    """What ``dms invoice parse FILE --json`` prints: source facts, warnings, and the terms.

    Raises the typed errors of :func:`ingest.einvoice.parse_invoice` (InvalidInput,
    UnsupportedContent) for files that are refused; the CLI maps them to exit codes.
    """
    from ingest.einvoice import parse_invoice

    parsed = parse_invoice(path)
    invoice = parsed.invoice
    return {
        "file": str(path),
        "source_kind": parsed.source_kind,
        "embedded_xml": parsed.embedded_name,
        "syntax": invoice.syntax.value,
        "profile": invoice.profile.value,
        "is_einvoice_under_german_vat_law": parsed.is_einvoice_under_german_vat_law,
        "einvoice_note": parsed.einvoice_note,
        "warnings": list(parsed.warnings),
        "parse_issues": [
            {"location": i.location, "term": i.term, "code": i.code, "message": i.message}
            for i in invoice.parse_issues
        ],
        "invoice": to_jsonable(invoice, include_binary=include_binary),
    }
