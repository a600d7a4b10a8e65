"""Make a plain born-digital PDF from lines of text (demo data, benches, tests).

Uses the standard Helvetica font with WinAnsiEncoding, so German umlauts survive and any PDF
reader extracts the text again.
"""

from __future__ import annotations

import io

import pikepdf


def _pdf_string(text: str) -> bytes:
    raw = text.encode("cp1252", errors="replace")
    return b"(" + raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def text_pdf(lines: list[str], *, title: str | None = None, pages: int = 1) -> bytes:
    """A4 pages; every page carries all `lines` (enough for realistic sizes in benches)."""
    pdf = pikepdf.new()
    font = pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Font,
            Subtype=pikepdf.Name.Type1,
            BaseFont=pikepdf.Name.Helvetica,
            Encoding=pikepdf.Name.WinAnsiEncoding,
        )
    )
    for page_no in range(pages):
        ops = [b"BT", b"/F1 11 Tf", b"14 TL", b"56 790 Td"]
        for line in lines:
            ops.append(_pdf_string(line) + b" Tj T*")
        if pages > 1:
            ops.append(_pdf_string(f"Seite {page_no + 1} von {pages}") + b" Tj")
        ops.append(b"ET")
        page = pikepdf.Page(
            pikepdf.Dictionary(
                Type=pikepdf.Name.Page,
                MediaBox=[0, 0, 595, 842],
                Resources=pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font)),
                Contents=pdf.make_stream(b"\n".join(ops)),
            )
        )
        pdf.pages.append(page)
    if title:
        with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
            meta["dc:title"] = title
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()
