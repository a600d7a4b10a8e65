"""Model value types, profiles, code lists, locations and the JSON rendering."""

from __future__ import annotations

import copy
import dataclasses
import json
import pickle
import typing
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from ingest.einvoice import cli_parse, parse_invoice_xml, to_jsonable
from ingest.einvoice import codelists as cl
from ingest.einvoice.locations import locate, namespaces
from ingest.einvoice.model import Amount, Invoice, Profile
from ingest.einvoice.profiles import einvoice_status, profile_from_specification
from tests.einvoice.builders import build


def test_amount_is_a_decimal_that_remembers_text_and_currency() -> None:
    amount = Amount("12.50", "EUR")
    assert amount == Decimal("12.5") and hash(amount) == hash(Decimal("12.5"))
    assert amount.text == "12.50" and amount.currency == "EUR"
    assert amount.decimal_places == 2 and Amount("7").decimal_places == 0
    assert type(amount + 1) is Decimal
    assert repr(amount) == "Amount('12.50', 'EUR')"
    with pytest.raises(AttributeError):
        amount.text = "13"  # type: ignore[misc]
    assert pickle.loads(pickle.dumps(amount)).currency == "EUR"
    assert copy.deepcopy(amount) is amount


def test_model_is_frozen() -> None:
    invoice = parse_invoice_xml(build())
    with pytest.raises(dataclasses.FrozenInstanceError):
        invoice.number = "x"  # type: ignore[misc]


def _dataclasses_in(hint: object) -> list[type]:
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return [hint]
    return [cls for arg in typing.get_args(hint) for cls in _dataclasses_in(arg)]


def test_every_business_field_names_its_term() -> None:
    """Each data field carries a BT/BG id, so the JSON and later the findings can cite it."""
    value_types = {"Identifier", "ItemClassification", "ParseIssue"}
    untagged = {"location", "syntax", "profile", "parse_issues", "is_charge", "proprietary"}
    extras = {"means_codes", "network_id", "type_code", "parent_line_id", "line_status_reason_code"}
    seen: set[type] = set()
    stack: list[type] = [Invoice]
    while stack:
        cls = stack.pop()
        if cls in seen or cls.__name__ in value_types:
            continue
        seen.add(cls)
        hints = typing.get_type_hints(cls)
        for f in dataclasses.fields(cls):
            stack.extend(_dataclasses_in(hints[f.name]))
            if f.name in untagged or f.name in extras:
                continue
            assert "bt" in f.metadata, f"{cls.__name__}.{f.name}"
    assert len(seen) >= 24


@pytest.mark.parametrize(
    ("spec", "profile"),
    [
        (
            "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0",
            Profile.XRECHNUNG_3,
        ),
        (
            "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0"
            "#conformant#urn:xeinkauf.de:kosit:extension:xrechnung_3.0",
            Profile.XRECHNUNG_3,
        ),
        (
            "urn:cen.eu:en16931:2017#compliant#urn:xoev-de:kosit:standard:xrechnung_2.1",
            Profile.XRECHNUNG_LEGACY,
        ),
        ("urn:cen.eu:en16931:2017", Profile.EN16931),
        (
            "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0",
            Profile.EN16931,
        ),
        ("urn:cen.eu:en16931:2017#conformant#urn:factur-x.eu:1p0:extended", Profile.EXTENDED),
        ("urn:cen.eu:en16931:2017#conformant#urn:zugferd.de:2p0:extended", Profile.EXTENDED),
        ("urn:cen.eu:en16931:2017#compliant#urn:factur-x.eu:1p0:basic", Profile.BASIC),
        ("urn:cen.eu:en16931:2017:compliant:factur-x.eu:1p0:basic", Profile.BASIC),
        ("urn:cen.eu:en16931:2017#compliant#urn:zugferd.de:2p0:basic", Profile.BASIC),
        ("urn:factur-x.eu:1p0:basicwl", Profile.BASIC_WL),
        ("urn:zugferd.de:2p0:basicwl", Profile.BASIC_WL),
        ("urn:factur-x.eu:1p0:minimum", Profile.MINIMUM),
        ("urn:zugferd.de:2p0:minimum", Profile.MINIMUM),
        ("urn:ferd:CrossIndustryDocument:invoice:1p0:comfort", Profile.ZUGFERD_1),
        ("urn:example:something-else", Profile.UNKNOWN),
        (None, Profile.UNKNOWN),
    ],
)
def test_profile_from_specification(spec: str | None, profile: Profile) -> None:
    assert profile_from_specification(spec) is profile


def test_einvoice_status() -> None:
    assert einvoice_status(Profile.XRECHNUNG_3) == (True, None)
    assert einvoice_status(Profile.BASIC)[0] is True
    assert einvoice_status(Profile.MINIMUM)[0] is False
    assert einvoice_status(Profile.ZUGFERD_1)[0] is False


def test_unknown_specification_is_read_with_a_warning() -> None:
    from ingest.einvoice import parse_invoice

    parsed = parse_invoice(build({"specification_id": "urn:example:eigenes-format"}))
    assert parsed.invoice.profile is Profile.UNKNOWN
    assert any("urn:example:eigenes-format" in w for w in parsed.warnings)


def test_code_lists() -> None:
    assert {"EUR", "USD", "CHF", "GBP"} <= cl.ISO4217_CURRENCIES
    assert {"DE", "AT", "FR", "XI", "1A"} <= cl.ISO3166_COUNTRIES
    assert {"C62", "H87", "HUR", "DAY", "KGM", "MTR", "LS", "XPP", "MTQ", "TNE"} <= cl.UNIT_CODES
    assert len(cl.UNIT_CODES) > 2000
    assert {"S", "Z", "E", "AE", "K", "G", "O", "L", "M", "B"} == cl.VAT_CATEGORY_CODES
    assert {"30", "31", "42", "48", "49", "57", "58", "59", "ZZZ"} <= cl.PAYMENT_MEANS_CODES
    assert "71" not in cl.PAYMENT_MEANS_CODES
    assert {
        "380",
        "381",
        "384",
        "389",
        "326",
        "875",
        "876",
        "877",
    } == cl.INVOICE_TYPE_CODES_XRECHNUNG
    assert cl.INVOICE_TYPE_CODES_XRECHNUNG <= cl.INVOICE_TYPE_CODES_CII
    assert (
        "381" in cl.INVOICE_TYPE_CODES_UBL_CREDIT_NOTE
        and "381" not in cl.INVOICE_TYPE_CODES_UBL_INVOICE
    )
    assert {"VATEX-EU-AE", "VATEX-EU-IC", "VATEX-EU-132-1A", "VATEX-EU-O"} <= cl.VATEX_CODES
    assert {"0088", "0204", "9930"} <= cl.ICD_SCHEMES | cl.EAS_SCHEMES
    assert "0001" not in cl.ICD_SCHEMES and "EM" in cl.EAS_SCHEMES
    for name in dir(cl):
        value = getattr(cl, name)
        if isinstance(value, frozenset):
            assert value and all(isinstance(code, str) and code == code.strip() for code in value)


@pytest.mark.parametrize("syntax", ["cii", "ubl", "ubl-creditnote"])
def test_locate_points_at_the_element(syntax: str) -> None:
    data = build(syntax=syntax)
    invoice = parse_invoice_xml(data)
    root = etree.fromstring(data)
    ns = namespaces(invoice.syntax)
    assert invoice.totals is not None and invoice.seller is not None
    (due,) = root.xpath(locate(invoice, invoice.totals, "amount_due"), namespaces=ns)
    assert due.text == "53.55"
    (number,) = root.xpath(locate(invoice, invoice, "number"), namespaces=ns)
    assert number.text == "RE-2025-0001"
    (quantity,) = root.xpath(locate(invoice, invoice.lines[0], "quantity"), namespaces=ns)
    assert quantity.text == "10"
    (due_date,) = root.xpath(locate(invoice, invoice, "due_date"), namespaces=ns)
    assert due_date.text in ("2025-04-13", "20250413")
    # an absent term has a path all the same; it finds nothing, so report at the group
    assert root.xpath(locate(invoice, invoice.seller, "trading_name"), namespaces=ns) == []
    assert locate(invoice, invoice.seller) == invoice.seller.location


def test_json_rendering_uses_business_term_ids() -> None:
    spec = {"attachments": [{"reference": "A-1", "filename": "a.pdf", "data": b"%PDF-1.7"}]}
    rendered = to_jsonable(parse_invoice_xml(build(spec)))
    json.dumps(rendered)
    assert rendered["BT-1"] == "RE-2025-0001"
    assert rendered["BT-2"] == "2025-03-14"
    assert rendered["BT-10"] == "04011000-12345-34"
    assert rendered["BG-4"]["BT-27"] == "Muster Bürobedarf GmbH"
    assert rendered["BG-4"]["BG-5"]["BT-37"] == "München"  # seller city
    assert rendered["BG-7"]["BG-8"]["BT-52"] == "Musterstadt"  # buyer city
    assert rendered["BG-4"]["BG-6"]["BT-43"] == "hans.muster@muster-buero.example"
    assert rendered["BG-4"]["BT-34"] == {"id": "rechnung@muster-buero.example", "scheme": "EM"}
    assert rendered["BG-16"]["BG-17"] == [
        {
            "BT-84": "DE02120300000000202051",
            "BT-85": "Muster Bürobedarf GmbH",
            "BT-86": "BYLADEM1001",
        }
    ]
    assert rendered["BG-22"]["BT-115"] == "53.55"
    assert rendered["BG-23"] == [
        {"BT-116": "45.00", "BT-117": "8.55", "BT-118": "S", "BT-119": "19"}
    ]
    assert rendered["BG-25"][0]["BT-129"] == "10"
    assert rendered["BG-25"][0]["BG-31"] == {"BT-153": "Kopierpapier A4, 500 Blatt"}
    assert rendered["BG-24"][0]["BT-125"]["size"] == 8
    assert "base64" not in rendered["BG-24"][0]["BT-125"]
    assert "BT-11" not in rendered  # absent terms are left out


def test_cli_parse(tmp_path: Path) -> None:
    path = tmp_path / "rechnung.xml"
    path.write_bytes(build(syntax="ubl"))
    result = cli_parse(path)
    json.dumps(result)
    assert result["file"] == str(path)
    assert result["source_kind"] == "ubl"
    assert result["syntax"] == "UBL-Invoice"
    assert result["profile"] == "XRechnung 3.x"
    assert result["is_einvoice_under_german_vat_law"] is True
    assert result["warnings"] == [] and result["parse_issues"] == []
    assert result["invoice"]["BT-1"] == "RE-2025-0001"


def test_parse_issues_are_rendered_by_cli_parse(tmp_path: Path) -> None:
    path = tmp_path / "kaputt.xml"
    path.write_bytes(build({"totals": {"amount_due": "12,50"}}))
    result = cli_parse(path)
    (issue,) = result["parse_issues"]
    assert issue["term"] == "BT-115" and issue["location"].endswith(
        "SpecifiedTradeSettlementHeaderMonetarySummation"
    )
