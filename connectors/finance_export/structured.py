"""The structured booking record, as JSON or as XML: one schema, two spellings.

Schema ``urn:dms:finance-export:1`` (JSON keys and XML element names are the same)::

    bookings                       root; JSON: {"schema": ..., "bookings": [booking, ...]}
      booking
        bookingId                  RE-000042, unique per invoice (XML: attribute)
        invoiceId                  our invoice register id
        invoiceNumber              BT-1
        invoiceDate                BT-2, ISO date
        currency                   BT-5
        supplier
          name                     BT-27
          vatId                    BT-31
          iban, bic                BT-84, BT-86
        amounts                    decimal strings with a point, two places ("1249.50")
          net, vat, gross          BT-109, BT-110, BT-112
          due                      BT-115, the amount to pay
          discount                 Skontobetrag
        dueDate                    ISO date
        discountUntil              ISO date (Skontofrist)
        costCentres/costCentre     0..n (Kostenstellen)
        accounts/account           0..n (Sachkonten)
        leitwegId                  BT-10
        orderReference             BT-13
        approvals/approval         step (factual | arithmetic | payment_order), by, at
                                   (ISO date-time, UTC); XML: attributes

A value that is unknown is ``null`` in JSON and an absent element in XML. Files are UTF-8.
XML is generated with lxml, never by string concatenation.
"""

from __future__ import annotations

import json
from typing import Any

from lxml import etree

from connectors.finance_export.base import BookingRecord, FileExporter, decimal_of

NAMESPACE = "urn:dms:finance-export:1"


def _amount(cents: int | None) -> str | None:
    value = decimal_of(cents)
    return None if value is None else f"{value:.2f}"


def booking_dict(record: BookingRecord) -> dict[str, Any]:
    """The record as the schema's plain data (what JSON writes and XML mirrors)."""
    return {
        "bookingId": record.booking_id,
        "invoiceId": record.invoice_id,
        "invoiceNumber": record.invoice_number,
        "invoiceDate": record.invoice_date.isoformat() if record.invoice_date else None,
        "currency": record.currency,
        "supplier": {"name": record.supplier_name, "vatId": record.supplier_vat_id,
                     "iban": record.iban, "bic": record.bic},
        "amounts": {"net": _amount(record.net_cents), "vat": _amount(record.vat_cents),
                    "gross": _amount(record.gross_cents), "due": _amount(record.due_cents),
                    "discount": _amount(record.discount_cents)},
        "dueDate": record.due_date.isoformat() if record.due_date else None,
        "discountUntil": record.discount_until.isoformat() if record.discount_until else None,
        "costCentres": list(record.cost_centres),
        "accounts": list(record.accounts),
        "leitwegId": record.leitweg_id,
        "orderReference": record.order_reference,
        "approvals": [{"step": a.step, "by": a.by, "at": a.at.isoformat(timespec="seconds")}
                      for a in record.approvals],
    }


class JsonExporter(FileExporter):
    format = "json"
    suffix = ".json"

    def render(self, record: BookingRecord) -> bytes:
        document = {"schema": NAMESPACE, "bookings": [booking_dict(record)]}
        return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


_LISTS = {"costCentres": "costCentre", "accounts": "account"}


def _q(name: str) -> str:
    return f"{{{NAMESPACE}}}{name}"


def booking_element(record: BookingRecord) -> etree._Element:
    data = booking_dict(record)
    booking = etree.Element(_q("booking"), nsmap={None: NAMESPACE})
    booking.set("bookingId", data.pop("bookingId"))
    approvals = data.pop("approvals")
    for key, value in data.items():
        if value is None:
            continue
        if key in _LISTS:
            holder = etree.SubElement(booking, _q(key))
            for item in value:
                etree.SubElement(holder, _q(_LISTS[key])).text = item
        elif isinstance(value, dict):
            holder = etree.SubElement(booking, _q(key))
            for sub, text in value.items():
                if text is not None:
                    etree.SubElement(holder, _q(sub)).text = str(text)
        else:
            etree.SubElement(booking, _q(key)).text = str(value)
    holder = etree.SubElement(booking, _q("approvals"))
    for approval in approvals:
        etree.SubElement(holder, _q("approval"), step=approval["step"], by=approval["by"],
                         at=approval["at"])
    return booking


class XmlExporter(FileExporter):
    format = "xml"
    suffix = ".xml"

    def render(self, record: BookingRecord) -> bytes:
        root = etree.Element(_q("bookings"), nsmap={None: NAMESPACE})
        root.set("schemaVersion", "1")
        root.append(booking_element(record))
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
