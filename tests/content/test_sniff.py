"""sniff: content decides first, the name only where the bytes are silent."""

from __future__ import annotations

import codecs
import io
import zipfile

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dms.content.sniff import sniff

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ODT = "application/vnd.oasis.opendocument.text"


def _zip(entries: dict[str, bytes], stored_first: bool = False) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for index, (name, data) in enumerate(entries.items()):
            kind = zipfile.ZIP_STORED if stored_first and index == 0 else zipfile.ZIP_DEFLATED
            archive.writestr(name, data, compress_type=kind)
    return buffer.getvalue()[:8192]


OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 40
MAIL = (
    b"Return-Path: <a@example.org>\r\n"
    b"Received: from mx.example.org by mail.gemeinde.example\r\n"
    b"\tfor <poststelle@gemeinde.example>; Mon, 3 Jun 2024 10:15:00 +0200\r\n"
    b"From: A <a@example.org>\r\n"
    b"Subject: Antrag\r\n"
    b"\r\n"
    b"Text\r\n"
)


@pytest.mark.parametrize(
    ("head", "filename", "expected"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "x.bin", "application/pdf"),
        (b"\x00\x00junk" * 10 + b"%PDF-1.4\n", "scan", "application/pdf"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "bild.pdf", "image/png"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "foto.JPG", "image/jpeg"),
        (b"II*\x00\x08\x00\x00\x00", "scan.pdf", "image/tiff"),
        (b"MM\x00*\x00\x00\x00\x08", "scan.tif", "image/tiff"),
        (b"GIF89a\x01\x00\x01\x00", "x", "image/gif"),
        (b'<?xml version="1.0"?>\n<Invoice xmlns="urn:x">', "r", "application/xml"),
        (b"\xef\xbb\xbf<?xml version='1.0'?><a/>", "r.txt", "application/xml"),
        (b"  <Invoice xmlns='urn:oasis:names:specification:ubl'>", "x", "application/xml"),
        (b"<rsm:CrossIndustryInvoice xmlns:rsm='urn:un'>", "factur-x", "application/xml"),
        ("<?xml version='1.0'?><r>ä</r>".encode("utf-16"), "r", "application/xml"),
        (b"<?xml version='1.0'?>\n<!DOCTYPE html>\n<html>", "x", "text/html"),
        (b"<!DOCTYPE html><html><body>Hallo", "x.txt", "text/html"),
        (b"<html><body>Hallo", "x", "text/html"),
        (b"<p>Fragment</p>", "brief.htm", "text/html"),
        (MAIL, "nachricht", "message/rfc822"),
        (b"MIME-Version: 1.0\nFrom: a@b\nTo: c@d\n\nHallo", "x", "message/rfc822"),
        (b"Subject: nur eine Notiz\nmit zweiter Zeile", "notiz.txt", "text/plain"),
        (b"From: ist hier kein Header\nsondern Text\n", "x", "text/plain"),
        (b"Subject: Outlook-Export\n\nText", "mail.eml", "message/rfc822"),
        ("Grüße aus der Müllerstraße".encode(), "x", "text/plain"),
        ("Grüße aus der Müllerstraße".encode("cp1252"), "x", "text/plain"),
        ("Grüße".encode("utf-16"), "x", "text/plain"),
        (b"a;b;c\n1;2;3\n", "liste.csv", "text/plain"),
        (b"<xml-ish text>", "daten.xml", "application/xml"),
        (b"PK\x03\x04" + b"\x00" * 40, "bericht.docx", DOCX),
        (b"PK\x03\x04" + b"\x00" * 40, "tabelle.XLSX", XLSX),
        (b"PK\x03\x04" + b"\x00" * 40, "archiv.zip", "application/zip"),
        (OLE, "alt.doc", "application/msword"),
        (OLE, "mail.msg", "application/vnd.ms-outlook"),
        (OLE, "x", "application/octet-stream"),
        (b"\x00\x01\x02\x03binary", "x", "application/octet-stream"),
        (b"\x00\x01\x02\x03binary", "x.txt", "application/octet-stream"),
        (b"\x00\x01\x02\x03binary", "kaputt.pdf", "application/pdf"),
        (b"", "leer.txt", "text/plain"),
        (b"", "leer", "application/octet-stream"),
        (b"%PDF-", "C:\\Scans\\x.TXT", "application/pdf"),
    ],
)
def test_examples(head: bytes, filename: str, expected: str) -> None:
    assert sniff(head, filename) == expected


def test_office_zip_by_extension() -> None:
    head = _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})
    assert sniff(head, "Bescheid.docx") == DOCX


def test_odf_mimetype_entry_wins_over_name() -> None:
    head = _zip({"mimetype": ODT.encode(), "content.xml": b"<office/>"}, stored_first=True)
    assert sniff(head, "upload.bin") == ODT


def test_utf8_cut_inside_a_character_is_still_text() -> None:
    head = ("x" + "ä" * 5000).encode()[:8192]
    assert head[-1:] == b"\xc3"
    assert sniff(head, "x") == "text/plain"


def test_utf16_bom_text_with_nuls_is_text() -> None:
    assert sniff(codecs.BOM_UTF16_LE + "Hallo Welt".encode("utf-16-le"), "x") == "text/plain"


@given(st.binary(max_size=9000), st.text(max_size=50))
def test_never_raises_on_arbitrary_bytes(head: bytes, filename: str) -> None:
    result = sniff(head, filename)
    assert isinstance(result, str) and "/" in result


@given(st.text(max_size=3000), st.sampled_from(["x", "x.txt", "x.eml", "x.xml", "x.pdf"]))
def test_never_raises_on_text(text: str, filename: str) -> None:
    for encoding in ("utf-8", "utf-16"):
        sniff(text.encode(encoding, errors="surrogatepass")[:8192], filename)
