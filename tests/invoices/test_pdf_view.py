"""The readable view as PDF: WeasyPrint renders it offline; a URL in the invoice is never
fetched, and the text of the PDF carries the invoice's terms."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from dms.content.extract import extract_text
from ingest.einvoice import parse_invoice
from ingest.einvoice.pdf_view import PdfViewError, html_to_pdf, render_pdf
from ingest.einvoice.validation import validate
from tests.einvoice.builders import build


def _text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "view.pdf"
    path.write_bytes(pdf)
    return extract_text(path, "application/pdf", max_chars=200_000).text


@pytest.mark.parametrize("syntax", ["cii", "ubl"])
def test_view_pdf_carries_the_invoice(syntax: str, tmp_path: Path) -> None:
    parsed = parse_invoice(build({"number": "RE-PDF-1",
                                  "payment_terms": "#SKONTO#TAGE=14#PROZENT=2.00#\n"},
                                 syntax=syntax))
    pdf = render_pdf(parsed, validate(parsed))
    assert pdf.startswith(b"%PDF")
    text = _text(pdf, tmp_path)
    for expected in ("RE-PDF-1", "Muster Bürobedarf GmbH", "Stadtverwaltung Musterstadt",
                     "53,55"):
        assert expected in text, expected


class _Recorder(BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        _Recorder.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_rendering_fetches_nothing(tmp_path: Path) -> None:
    server = HTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        secret = tmp_path / "secret.css"
        secret.write_text("body { color: red }")
        html = (f'<html><head><link rel="stylesheet" href="{url}/a.css">'
                f'<link rel="stylesheet" href="file://{secret}"></head>'
                f'<body><p>Hallo</p><img src="{url}/b.png">'
                f'<div style="background: url({url}/c.png)">x</div></body></html>')
        pdf = html_to_pdf(html)
    finally:
        server.shutdown()
    assert pdf.startswith(b"%PDF") and "Hallo" in _text(pdf, tmp_path)
    assert _Recorder.hits == []


def test_inline_data_uris_still_render() -> None:
    pixel = ("data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4"
             "nGNgYGD4DwABBAEAwS2OUAAAAABJRU5ErkJggg==")
    assert html_to_pdf(f'<p>x</p><img src="{pixel}">').startswith(b"%PDF")


def test_a_renderer_failure_is_one_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import weasyprint

    def broken(self: object, *args: object, **kwargs: object) -> bytes:
        raise RuntimeError("Pango kaputt")

    monkeypatch.setattr(weasyprint.HTML, "write_pdf", broken)
    with pytest.raises(PdfViewError, match="PDF-Ansicht konnte nicht erzeugt werden"):
        html_to_pdf("<p>x</p>")
