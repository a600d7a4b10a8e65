"""Text extraction per MIME type, bounded by max_chars, refusing what must not be filed."""

from __future__ import annotations

import codecs
import io
from email.message import EmailMessage
from pathlib import Path

import pikepdf
import pytest

from dms.content import extract as extract_module
from dms.content.extract import ExtractedText, extract_text, html_to_text
from dms.errors import UnsupportedContent

from .test_pdf import TEXT_1, TEXT_2, write_pdf

GERMAN = "Grüße aus der Müllerstraße – Bescheid über 1.234,56 €"


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


# --- PDF ------------------------------------------------------------------------------------


def test_pdf_text_pages_and_method(tmp_path: Path) -> None:
    result = extract_text(write_pdf(tmp_path / "a.pdf"), "application/pdf")
    assert result.method == "pdf-text"
    assert result.pages == 2
    assert [p.strip() for p in result.text.split("\f")] == [TEXT_1, TEXT_2]


def test_pdf_max_chars_keeps_total_page_count(tmp_path: Path) -> None:
    result = extract_text(write_pdf(tmp_path / "a.pdf"), "application/pdf", max_chars=5)
    assert result == ExtractedText(TEXT_1[:5], 2, "pdf-text")


def test_encrypted_pdf_is_refused(tmp_path: Path) -> None:
    path = write_pdf(tmp_path / "e.pdf", encryption=pikepdf.Encryption(owner="o", user=""))
    with pytest.raises(UnsupportedContent, match="verschlüsselt"):
        extract_text(path, "application/pdf")


def test_broken_pdf_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "b.pdf", b"%PDF-1.4\n1 0 obj\n<< /Type /Catal")
    with pytest.raises(UnsupportedContent, match="beschädigt"):
        extract_text(path, "application/pdf")


# --- plain text -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        GERMAN.encode("utf-8"),
        codecs.BOM_UTF8 + GERMAN.encode("utf-8"),
        codecs.BOM_UTF16_LE + GERMAN.encode("utf-16-le"),
        codecs.BOM_UTF16_BE + GERMAN.encode("utf-16-be"),
        GERMAN.encode("cp1252"),
    ],
    ids=["utf8", "utf8-bom", "utf16le", "utf16be", "cp1252"],
)
def test_plain_text_encodings(tmp_path: Path, data: bytes) -> None:
    result = extract_text(_write(tmp_path, "t.txt", data), "text/plain")
    assert result == ExtractedText(GERMAN, None, "plain")


def test_plain_text_mime_parameters_and_newlines(tmp_path: Path) -> None:
    path = _write(tmp_path, "t.txt", b"Zeile 1\r\nZeile 2\rZeile 3\n")
    result = extract_text(path, "Text/Plain; charset=utf-8")
    assert result.text == "Zeile 1\nZeile 2\nZeile 3\n"


def test_plain_text_is_cut_at_max_chars(tmp_path: Path) -> None:
    path = _write(tmp_path, "gross.txt", ("ä" * 1000 + "\n").encode("utf-8") * 1000)
    result = extract_text(path, "text/plain", max_chars=1500)
    assert result.text == "ä" * 1000 + "\n" + "ä" * 499


def test_plain_text_cut_inside_a_character_is_still_utf8(tmp_path: Path) -> None:
    """Reading stops at 4 bytes per char; a multi-byte char split there must not force cp1252."""
    path = _write(tmp_path, "t.txt", "x€".encode() * 100)
    assert extract_text(path, "text/plain", max_chars=5).text == "x€x€x"


def test_plain_text_reads_a_bounded_prefix_only() -> None:
    """However large the file, no more than 4 bytes per wanted character are read."""

    class CountingReader(io.BytesIO):
        consumed = 0

        def read(self, size: int | None = -1) -> bytes:
            chunk = super().read(size)
            CountingReader.consumed += len(chunk)
            return chunk

    reader = CountingReader(b"a" * 10_000_000)
    text = extract_module._decode_bounded(reader, 1000)
    assert text == "a" * 1000
    assert CountingReader.consumed <= 4 * 1000 + 1


def test_invalid_utf8_falls_back_to_cp1252(tmp_path: Path) -> None:
    path = _write(tmp_path, "t.txt", b"Stra\xdfe \x81 Ende")
    assert extract_text(path, "text/plain").text == "Straße \ufffd Ende"


def test_bom_settles_encoding_even_with_a_bad_byte(tmp_path: Path) -> None:
    path = _write(tmp_path, "t.txt", codecs.BOM_UTF8 + "Grüße \xff".encode()[:-2] + b"\xff")
    assert extract_text(path, "text/plain").text == "Grüße \ufffd"


# --- HTML -----------------------------------------------------------------------------------

HTML = """<!DOCTYPE html><html><head><title>Bescheid</title>
<style>p { color: red }</style><script>alert("x < y")</script></head>
<body><h1>Baugenehmigung</h1><p>Sehr geehrte Frau M&uuml;ller,&nbsp;Ihr Antrag &amp; Plan</p>
<ul><li>Punkt eins</li><li>Punkt zwei</li></ul><noscript>bitte JS</noscript></body></html>"""


def test_html_visible_text_only(tmp_path: Path) -> None:
    result = extract_text(_write(tmp_path, "a.html", HTML.encode()), "text/html")
    assert result.method == "html"
    assert result.pages is None
    assert "alert" not in result.text and "color" not in result.text
    assert "bitte JS" not in result.text
    assert "Sehr geehrte Frau Müller, Ihr Antrag & Plan" in result.text
    lines = result.text.splitlines()
    assert "Baugenehmigung" in lines and "Punkt eins" in lines and "Punkt zwei" in lines
    assert "<" not in result.text


def test_html_meta_charset_is_honoured(tmp_path: Path) -> None:
    markup = '<html><head><meta charset="windows-1252"></head><body>Grüße</body></html>'
    result = extract_text(_write(tmp_path, "a.htm", markup.encode("cp1252")), "text/html")
    assert result.text == "Grüße"


def test_html_to_text_survives_broken_markup() -> None:
    assert html_to_text("<p>offen <b>fett <i>kursiv</p> <div") == "offen fett kursiv"


# --- e-mail ---------------------------------------------------------------------------------


def _mail(tmp_path: Path, *, plain: bool = True, attachment: bool = True) -> Path:
    message = EmailMessage()
    message["Subject"] = "Widerspruch gegen Bescheid Aktenzeichen 022.31 – Müller"
    message["From"] = "Jürgen Müller <juergen@example.org>"
    message["To"] = "poststelle@gemeinde.example"
    message["Date"] = "Mon, 03 Jun 2024 10:15:00 +0200"
    if plain:
        message.set_content("Sehr geehrte Damen und Herren,\nich lege Widerspruch ein.\n")
        message.add_alternative("<p>HTML-Fassung <b>nicht</b> verwenden</p>", subtype="html")
    else:
        message.set_content("<p>Nur&nbsp;HTML: Widerspruch</p><script>x()</script>", subtype="html")
    if attachment:
        message.add_attachment(
            b"%PDF-1.4", maintype="application", subtype="pdf", filename="Bescheid 2024.pdf"
        )
        message.add_attachment("Notiz", filename="Anlage_ä.txt")
    return _write(tmp_path, "m.eml", message.as_bytes())


def test_email_headers_body_and_attachment_names(tmp_path: Path) -> None:
    result = extract_text(_mail(tmp_path), "message/rfc822")
    assert result.method == "email"
    assert result.pages is None
    lines = result.text.splitlines()
    assert lines[:4] == [
        "Subject: Widerspruch gegen Bescheid Aktenzeichen 022.31 – Müller",
        "From: Jürgen Müller <juergen@example.org>",
        "To: poststelle@gemeinde.example",
        "Date: Mon, 03 Jun 2024 10:15:00 +0200",
    ]
    assert "ich lege Widerspruch ein." in lines
    assert "HTML-Fassung" not in result.text
    assert "Anhang: Bescheid 2024.pdf" in lines
    assert "Anhang: Anlage_ä.txt" in lines


def test_html_only_email_is_converted(tmp_path: Path) -> None:
    result = extract_text(_mail(tmp_path, plain=False, attachment=False), "message/rfc822")
    assert "Nur HTML: Widerspruch" in result.text
    assert "<p>" not in result.text and "x()" not in result.text


def test_email_with_unknown_charset_and_bad_headers(tmp_path: Path) -> None:
    raw = (
        b"From: =?x-unknown?q?M=FCller?= <a@b>\r\n"
        b"Subject: =?utf-8?q?kaputt\r\n"
        b"Date: kein Datum\r\n"
        b"Content-Type: text/plain; charset=x-unknown\r\n"
        b"\r\n"
        b"Gr\xfc\xdfe\r\n"
    )
    result = extract_text(_write(tmp_path, "m.eml", raw), "message/rfc822")
    assert "Grüße" in result.text
    assert "Date: kein Datum" in result.text


def test_email_respects_max_chars(tmp_path: Path) -> None:
    result = extract_text(_mail(tmp_path), "message/rfc822", max_chars=12)
    assert result.text == "Subject: Wid"


# --- XML ------------------------------------------------------------------------------------

XRECHNUNG = """<?xml version="1.0" encoding="UTF-8"?>
<ubl:Invoice xmlns:ubl="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
    xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
  <cbc:ID>RE-4711</cbc:ID>
  <cbc:Note>Müller &amp; Söhne GmbH</cbc:Note>
  <cbc:Note><![CDATA[Straßen<bau>]]></cbc:Note>
</ubl:Invoice>"""


def test_xml_element_text_joined(tmp_path: Path) -> None:
    result = extract_text(_write(tmp_path, "r.xml", XRECHNUNG.encode()), "application/xml")
    assert result == ExtractedText("RE-4711 Müller & Söhne GmbH Straßen<bau>", None, "plain")


def test_xml_declared_latin1_encoding(tmp_path: Path) -> None:
    data = '<?xml version="1.0" encoding="ISO-8859-1"?><a>Grüße</a>'.encode("latin-1")
    assert extract_text(_write(tmp_path, "r.xml", data), "text/xml").text == "Grüße"


def test_xml_doctype_is_refused(tmp_path: Path) -> None:
    """Billion laughs: never expand entities; any DOCTYPE is refused before that can happen."""
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        "<lolz>&lol2;</lolz>"
    )
    with pytest.raises(UnsupportedContent, match="DOCTYPE"):
        extract_text(_write(tmp_path, "x.xml", bomb.encode()), "application/xml")


def test_xml_external_entity_doctype_is_refused(tmp_path: Path) -> None:
    xxe = '<?xml version="1.0"?><!DOCTYPE r SYSTEM "file:///etc/passwd"><r>&x;</r>'
    with pytest.raises(UnsupportedContent, match="DOCTYPE"):
        extract_text(_write(tmp_path, "x.xml", xxe.encode()), "application/xml")


def test_malformed_xml_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedContent, match="nicht wohlgeformt.*/ XML file is not well"):
        extract_text(_write(tmp_path, "x.xml", b"<a><b></a>"), "application/xml")


def test_large_xml_stops_at_max_chars(tmp_path: Path) -> None:
    body = "".join(f"<Zeile>Position {i}</Zeile>" for i in range(100_000))
    path = _write(tmp_path, "x.xml", f"<Rechnung>{body}</Rechnung>".encode())
    result = extract_text(path, "application/xml", max_chars=100)
    assert len(result.text) == 100
    assert result.text.startswith("Position 0 Position 1 ")


# --- no text layer --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "mime", ["image/png", "image/tiff", "application/octet-stream", "application/zip"]
)
def test_types_without_text_give_none(tmp_path: Path, mime: str) -> None:
    path = _write(tmp_path, "bild", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)
    assert extract_text(path, mime) == ExtractedText("", None, "none")
