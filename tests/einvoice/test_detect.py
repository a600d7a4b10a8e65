"""Mailroom sniffing: kind and profile from a glance, never an exception for bad content."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.einvoice.detect import detect
from ingest.einvoice.model import Profile
from tests.einvoice.builders import EN16931, build, build_pdf_with_attachments, build_zugferd_pdf


@pytest.mark.parametrize(
    ("syntax", "kind"), [("cii", "cii"), ("ubl", "ubl"), ("ubl-creditnote", "ubl")]
)
def test_xml_invoices(syntax: str, kind: str, tmp_path: Path) -> None:
    data = build(syntax=syntax)
    for source in (data, tmp_path / "r.xml"):
        if isinstance(source, Path):
            source.write_bytes(data)
        detection = detect(source)
        assert detection.kind == kind
        assert detection.profile is Profile.XRECHNUNG_3
        assert "XRechnung 3.x" in detection.reason


def test_zugferd_pdf() -> None:
    detection = detect(build_zugferd_pdf(build({"specification_id": EN16931})))
    assert detection.kind == "zugferd-pdf"
    assert detection.profile is Profile.EN16931
    assert detection.embedded_name == "factur-x.xml"
    assert "factur-x.xml" in detection.reason


def test_large_invoice_is_sniffed_from_its_head_only() -> None:
    lines = [
        {"id": str(i), "name": f"Position {i}", "quantity": "1", "price": "1.00"}
        for i in range(3000)
    ]
    data = build({"lines": lines})
    assert len(data) > 500_000
    detection = detect(data)
    assert (detection.kind, detection.profile) == ("cii", Profile.XRECHNUNG_3)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "Leere Datei"),
        (b"Sehr geehrte Damen und Herren", "Weder XML noch PDF"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "Weder XML noch PDF"),
        (b"<html><body/></html>", "keine Rechnung"),
        (b'<?xml version="1.0"?>\n<', "Kein lesbares XML"),
        (b'<!DOCTYPE r [<!ENTITY a "b">]><r/>', "DOCTYPE"),
    ],
    ids=["empty", "text", "png", "html", "broken", "doctype"],
)
def test_not_an_einvoice(data: bytes, reason: str) -> None:
    detection = detect(data)
    assert detection.kind == "none" and detection.profile is None
    assert reason in detection.reason


def test_pdf_without_invoice_and_damaged_pdf() -> None:
    plain = detect(build_pdf_with_attachments([]))
    assert plain.kind == "none" and "keine eingebetteten Rechnungsdaten" in plain.reason
    damaged = detect(b"%PDF-1.7\n" + b"\x00" * 100)
    assert damaged.kind == "none" and "beschädigt" in damaged.reason


def test_xml_mentioning_pdf_early_is_still_xml() -> None:
    data = build(syntax="ubl").replace(b"?>", b"?>\n<!-- exportiert aus %PDF-1.7 Vorlage -->", 1)
    assert detect(data).kind == "ubl"
    from ingest.einvoice import parse_invoice

    assert parse_invoice(data).source_kind == "ubl"
