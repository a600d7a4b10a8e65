"""Helpers on top of ``tests/einvoice/builders.py`` for the rule tests and the benchmark:
XML mutations the builders cannot express (remove an element, change a text or attribute,
duplicate an element) and invoices of VAT category O (whose lines carry no rate).

Paths are XPath with the prefixes of :data:`NS` (``ubl`` and ``cn`` for the UBL roots).
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from tests.einvoice.builders import (
    CAC,
    CBC,
    QDT,
    RAM,
    RSM,
    UBL_CREDIT_NOTE,
    UBL_INVOICE,
    UDT,
    build,
)

NS = {"rsm": RSM, "ram": RAM, "udt": UDT, "qdt": QDT, "ubl": UBL_INVOICE, "cn": UBL_CREDIT_NOTE,
      "cac": CAC, "cbc": CBC}  # fmt: skip

#: where the rates of lines, allowances and charges are, per syntax
RATE_PATHS = {
    "cii": (
        "//ram:IncludedSupplyChainTradeLineItem//ram:ApplicableTradeTax/ram:RateApplicablePercent"
        " | //ram:SpecifiedTradeAllowanceCharge/ram:CategoryTradeTax/ram:RateApplicablePercent"
    ),
    "ubl": "//cac:ClassifiedTaxCategory/cbc:Percent | /*/cac:AllowanceCharge/cac:TaxCategory"
    "/cbc:Percent",
}


def _tree(xml: bytes) -> etree._Element:
    return etree.fromstring(xml)


def _out(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def remove(xml: bytes, path: str) -> bytes:
    """Remove every element matching ``path`` (at least one must match)."""
    root = _tree(xml)
    found = root.xpath(path, namespaces=NS)
    assert found, f"nothing matches {path}"
    for element in found:
        element.getparent().remove(element)
    return _out(root)


def set_text(xml: bytes, path: str, value: str) -> bytes:
    """Set the text of every element matching ``path``."""
    root = _tree(xml)
    found = root.xpath(path, namespaces=NS)
    assert found, f"nothing matches {path}"
    for element in found:
        element.text = value
    return _out(root)


def set_attribute(xml: bytes, path: str, name: str, value: str | None) -> bytes:
    """Set (or with ``None`` remove) an attribute on every element matching ``path``."""
    root = _tree(xml)
    found = root.xpath(path, namespaces=NS)
    assert found, f"nothing matches {path}"
    for element in found:
        if value is None:
            element.attrib.pop(name, None)
        else:
            element.set(name, value)
    return _out(root)


def duplicate(xml: bytes, path: str) -> bytes:
    """Insert a copy of the first element matching ``path`` right after it."""
    root = _tree(xml)
    found = root.xpath(path, namespaces=NS)
    assert found, f"nothing matches {path}"
    element = found[0]
    element.addnext(etree.fromstring(etree.tostring(element)))
    return _out(root)


def add_child(xml: bytes, path: str, child: str, *, after: str | None = None) -> bytes:
    """Append the XML fragment ``child`` (with namespace declarations) to the element at
    ``path``, or insert it after that element's child matching ``after``."""
    root = _tree(xml)
    parent = root.xpath(path, namespaces=NS)[0]
    element = etree.fromstring(child)
    if after is None:
        parent.append(element)
    else:
        parent.xpath(after, namespaces=NS)[-1].addnext(element)
    return _out(root)


def build_not_subject_to_vat(spec: dict[str, Any] | None = None, *, syntax: str = "cii") -> bytes:
    """An invoice of VAT category O ("not subject to VAT"): the builders write rate 0, the
    rules want no rate on lines, allowances and charges (the breakdown keeps 0, BR-DE-14)."""
    spec = dict(spec or {})
    lines = spec.get("lines") or [{}]
    spec["lines"] = [{**line, "vat_category": "O", "vat_rate": "0"} for line in lines]
    for key in ("allowances", "charges"):
        if spec.get(key):
            spec[key] = [{**entry, "vat_category": "O", "vat_rate": "0"} for entry in spec[key]]
    seller = {"vat_id": None, "tax_number": "201/113/40209"}
    spec["seller"] = {**seller, **spec.get("seller", {})}
    xml = build(spec, syntax=syntax)
    root = _tree(xml)
    for element in root.xpath(RATE_PATHS["cii" if syntax == "cii" else "ubl"], namespaces=NS):
        element.getparent().remove(element)
    return _out(root)


def add_delivery(
    xml: bytes, syntax: str, *, date: str = "2025-03-10", country: str = "AT"
) -> bytes:
    """Add an actual delivery date (BT-72) and a deliver-to address (BG-15: city, post code,
    country), as intra-community supplies need (BR-IC-11/12)."""
    if syntax == "cii":
        fragment = (
            f'<ram:X xmlns:ram="{RAM}" xmlns:udt="{UDT}"><ram:ShipToTradeParty>'
            "<ram:PostalTradeAddress><ram:PostcodeCode>1010</ram:PostcodeCode>"
            f"<ram:CityName>Wien</ram:CityName><ram:CountryID>{country}</ram:CountryID>"
            "</ram:PostalTradeAddress></ram:ShipToTradeParty><ram:ActualDeliverySupplyChainEvent>"
            f'<ram:OccurrenceDateTime><udt:DateTimeString format="102">{date.replace("-", "")}'
            "</udt:DateTimeString></ram:OccurrenceDateTime></ram:ActualDeliverySupplyChainEvent>"
            "</ram:X>"
        )
        root = _tree(xml)
        target = root.xpath("//ram:ApplicableHeaderTradeDelivery", namespaces=NS)[0]
        for child in etree.fromstring(fragment):
            target.append(child)
        return _out(root)
    fragment = (
        f'<cac:Delivery xmlns:cac="{CAC}" xmlns:cbc="{CBC}"><cbc:ActualDeliveryDate>{date}'
        "</cbc:ActualDeliveryDate><cac:DeliveryLocation><cac:Address><cbc:CityName>Wien"
        "</cbc:CityName><cbc:PostalZone>1010</cbc:PostalZone><cac:Country>"
        f"<cbc:IdentificationCode>{country}</cbc:IdentificationCode></cac:Country></cac:Address>"
        "</cac:DeliveryLocation></cac:Delivery>"
    )
    return add_child(xml, "/*", fragment, after="cac:AccountingCustomerParty")
