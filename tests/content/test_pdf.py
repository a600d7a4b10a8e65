"""PDF acceptance rules: readable is fine, damaged/empty/encrypted is refused with a reason."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import pikepdf
import pytest

from dms.content.pdf import (
    EmbeddedFile,
    PdfInfo,
    embedded_files,
    extract_pdf_text,
    inspect_pdf,
    render_pages,
)
from dms.errors import UnsupportedContent

TEXT_1 = "Bauantrag für das Grundstück Müllerstraße 5"
TEXT_2 = "Seite zwei: Genehmigung"


def build_pdf(pages: list[str]) -> pikepdf.Pdf:
    """A minimal PDF, one line of Helvetica text per page (WinAnsi covers the umlauts)."""
    pdf = pikepdf.new()
    font = pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Font,
            Subtype=pikepdf.Name.Type1,
            BaseFont=pikepdf.Name.Helvetica,
            Encoding=pikepdf.Name.WinAnsiEncoding,
        )
    )
    for text in pages:
        escaped = text.encode("cp1252").replace(b"\\", b"\\\\")
        escaped = escaped.replace(b"(", b"\\(").replace(b")", b"\\)")
        content = b"BT /F1 12 Tf 72 720 Td (" + escaped + b") Tj ET"
        page = pikepdf.Dictionary(
            Type=pikepdf.Name.Page,
            MediaBox=[0, 0, 595, 842],
            Resources=pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font)),
            Contents=pdf.make_stream(content),
        )
        pdf.pages.append(pikepdf.Page(page))
    return pdf


def write_pdf(path: Path, pages: list[str] | None = None, **save_kwargs: object) -> Path:
    """Save a test PDF (default: two pages of German text) and return its path."""
    with build_pdf(pages if pages is not None else [TEXT_1, TEXT_2]) as pdf:
        pdf.save(path, **save_kwargs)
    return path


@pytest.fixture
def good_pdf(tmp_path: Path) -> Path:
    return write_pdf(tmp_path / "gut.pdf")


def test_inspect_reports_pages_and_no_signatures(good_pdf: Path) -> None:
    assert inspect_pdf(good_pdf) == PdfInfo(page_count=2, encrypted=False, has_signatures=False)


def test_extract_text_per_page_keeps_umlauts(good_pdf: Path) -> None:
    pages = extract_pdf_text(good_pdf, max_chars=10_000)
    assert [p.strip() for p in pages] == [TEXT_1, TEXT_2]


def test_extract_accepts_str_path(good_pdf: Path) -> None:
    assert extract_pdf_text(str(good_pdf), max_chars=10_000)[0].strip() == TEXT_1


def test_extract_stops_at_max_chars(good_pdf: Path) -> None:
    assert extract_pdf_text(good_pdf, max_chars=9) == [TEXT_1[:9]]
    first_only = extract_pdf_text(good_pdf, max_chars=len(TEXT_1))
    assert first_only == [TEXT_1]
    assert extract_pdf_text(good_pdf, max_chars=0) == []


def _assert_encrypted_refused(path: Path) -> None:
    for call in (lambda: inspect_pdf(path), lambda: extract_pdf_text(path, 1000)):
        with pytest.raises(UnsupportedContent) as info:
            call()
        assert info.value.message.startswith("PDF ist verschlüsselt")
        assert "/ PDF is encrypted" in info.value.message


def test_encrypted_with_empty_user_password_is_refused(tmp_path: Path) -> None:
    path = write_pdf(tmp_path / "rechte.pdf", encryption=pikepdf.Encryption(owner="o", user=""))
    _assert_encrypted_refused(path)


def test_empty_user_password_is_reported_when_diagnosing(tmp_path: Path) -> None:
    path = write_pdf(tmp_path / "rechte.pdf", encryption=pikepdf.Encryption(owner="o", user=""))
    info = inspect_pdf(path, reject_encrypted=False)
    assert info.encrypted is True
    assert info.page_count == 2


def test_password_protected_is_refused(tmp_path: Path) -> None:
    path = write_pdf(tmp_path / "geheim.pdf", encryption=pikepdf.Encryption(owner="o", user="u"))
    _assert_encrypted_refused(path)
    with pytest.raises(UnsupportedContent):
        inspect_pdf(path, reject_encrypted=False)


def _assert_damaged(path: Path) -> None:
    for call in (lambda: inspect_pdf(path), lambda: extract_pdf_text(path, 1000)):
        with pytest.raises(UnsupportedContent) as info:
            call()
        assert info.value.message.startswith("PDF ist beschädigt und kann nicht gelesen werden")
        assert "/ PDF is damaged" in info.value.message


@pytest.mark.parametrize("keep", [0.5, 0.9, 300, 20, 0])
def test_truncated_pdf_is_refused(good_pdf: Path, tmp_path: Path, keep: float) -> None:
    """qpdf would 'repair' these into blank pages; the archive must not accept that."""
    data = good_pdf.read_bytes()
    cut = int(len(data) * keep) if isinstance(keep, float) else keep
    path = tmp_path / "abgeschnitten.pdf"
    path.write_bytes(data[:cut])
    _assert_damaged(path)


def test_garbage_after_header_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "müll.pdf"
    path.write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 20)
    _assert_damaged(path)


def test_pdf_without_pages_is_refused(tmp_path: Path) -> None:
    path = write_pdf(tmp_path / "leer.pdf", pages=[])
    with pytest.raises(UnsupportedContent, match="keine Seiten"):
        inspect_pdf(path)


def test_damage_pdfium_tolerates_is_accepted(good_pdf: Path, tmp_path: Path) -> None:
    """Wrong xref offsets: pdfium rebuilds them itself, so the file is fine."""
    data = good_pdf.read_bytes()
    xref = data.rindex(b"xref")
    broken = data[:xref] + re.sub(rb"\d{10} 00000 n", b"0000000001 00000 n", data[xref:])
    path = tmp_path / "xref.pdf"
    path.write_bytes(broken)
    assert inspect_pdf(path).page_count == 2
    assert extract_pdf_text(path, 1000)[0].strip() == TEXT_1


def test_missing_trailer_is_rebuilt_by_qpdf(good_pdf: Path, tmp_path: Path) -> None:
    """pdfium refuses a file without trailer; qpdf rebuilds it losslessly, so it is accepted."""
    data = good_pdf.read_bytes()
    broken = re.sub(rb"trailer\s*<<.*?>>\s*", b"", data, flags=re.S)
    assert broken != data
    path = tmp_path / "ohne-trailer.pdf"
    path.write_bytes(broken)
    assert inspect_pdf(path).page_count == 2
    assert [p.strip() for p in extract_pdf_text(path, 1000)] == [TEXT_1, TEXT_2]


def _add_signature_field(path: Path, signed: bool) -> None:
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        field = pikepdf.Dictionary(
            FT=pikepdf.Name.Sig,
            T=pikepdf.String("Unterschrift"),
            Type=pikepdf.Name.Annot,
            Subtype=pikepdf.Name.Widget,
            Rect=[0, 0, 0, 0],
        )
        if signed:
            field.V = pdf.make_indirect(
                pikepdf.Dictionary(
                    Type=pikepdf.Name.Sig,
                    Filter=pikepdf.Name("/Adobe.PPKLite"),
                    SubFilter=pikepdf.Name("/adbe.pkcs7.detached"),
                    ByteRange=[0, 0, 0, 0],
                    Contents=pikepdf.String(b"\x30\x82" + b"\x00" * 30),
                )
            )
        field_ref = pdf.make_indirect(field)
        pdf.pages[0].obj.Annots = pdf.make_indirect(pikepdf.Array([field_ref]))
        pdf.Root.AcroForm = pikepdf.Dictionary(Fields=pikepdf.Array([field_ref]), SigFlags=3)
        pdf.save(path)


def test_signed_pdf_has_signatures(good_pdf: Path) -> None:
    _add_signature_field(good_pdf, signed=True)
    assert inspect_pdf(good_pdf).has_signatures is True


def test_empty_signature_field_is_not_a_signature(good_pdf: Path) -> None:
    _add_signature_field(good_pdf, signed=False)
    assert inspect_pdf(good_pdf).has_signatures is False


def test_concurrent_extraction_is_serialised_and_correct(good_pdf: Path) -> None:
    """pdfium is not thread-safe; the module lock must make parallel requests safe."""
    results: list[list[str]] = []
    errors: list[Exception] = []

    def work() -> None:
        try:
            for _ in range(10):
                results.append(extract_pdf_text(good_pdf, 10_000))
        except Exception as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(results) == 40
    assert all([p.strip() for p in r] == [TEXT_1, TEXT_2] for r in results)


def test_missing_file_is_a_programming_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        inspect_pdf(tmp_path / "gibt-es-nicht.pdf")


def _image_pdf(path: Path, sizes: list[tuple[int, int]], resolution: float = 100) -> Path:
    """An image-only PDF as a scanner writes it: black square top left on white pages."""
    from PIL import Image, ImageDraw

    images = []
    for size in sizes:
        image = Image.new("RGB", size, "white")
        ImageDraw.Draw(image).rectangle((0, 0, size[0] // 4, size[1] // 4), fill="black")
        images.append(image)
    images[0].save(
        path, format="PDF", save_all=True, append_images=images[1:], resolution=resolution
    )
    return path


def test_render_pages_at_requested_dpi(tmp_path: Path) -> None:
    path = _image_pdf(tmp_path / "scan.pdf", [(850, 1100), (1100, 850)])  # 8.5x11 in at 100 dpi
    pages = list(render_pages(path, dpi=200))
    assert [p.size for p in pages] == [(1700, 2200), (2200, 1700)]
    assert all(p.mode == "RGB" and p.info["dpi"] == (200, 200) for p in pages)
    assert pages[0].getpixel((10, 10)) == (0, 0, 0)
    assert pages[0].getpixel((1600, 2100)) == (255, 255, 255)


def test_render_pages_shrinks_oversized_pages(tmp_path: Path) -> None:
    path = _image_pdf(tmp_path / "plan.pdf", [(1000, 1000)], resolution=10)  # 100 x 100 in
    (page,) = render_pages(path, dpi=300, max_pixels=4_000_000)
    assert page.width * page.height <= 4_000_000
    assert page.width > 1900
    assert page.info["dpi"][0] < 21


def test_render_pages_refuses_encrypted(tmp_path: Path) -> None:
    path = write_pdf(tmp_path / "rechte.pdf", encryption=pikepdf.Encryption(owner="o", user=""))
    with pytest.raises(UnsupportedContent, match="verschlüsselt"):
        next(iter(render_pages(path)))


def test_render_pages_releases_the_lock_between_pages(tmp_path: Path, good_pdf: Path) -> None:
    """A slow consumer (OCR) must not block other threads' pdfium calls between pages."""
    path = _image_pdf(tmp_path / "scan.pdf", [(200, 200), (200, 200)])
    pages = render_pages(path, dpi=72)
    next(pages)  # suspended mid-document
    result: list[PdfInfo] = []
    other = threading.Thread(target=lambda: result.append(inspect_pdf(good_pdf)))
    other.start()
    other.join(timeout=10)
    assert result and result[0].page_count == 2
    assert len(list(pages)) == 1


# --- embedded files (ZUGFeRD / Factur-X invoice data) ---------------------------------------


def _with_attachments(
    path: Path, files: list[tuple[str, bytes, str | None]], **kwargs: object
) -> Path:
    """Save a one-page PDF embedding ``files`` as (name, data, AFRelationship or None)."""
    with build_pdf([TEXT_1]) as pdf:
        associated = []
        for name, data, relationship in files:
            spec = pikepdf.AttachedFileSpec(
                pdf,
                data,
                filename=name,
                mime_type="text/xml",
                relationship=pikepdf.Name("/" + relationship) if relationship else None,
            )
            if relationship is None:
                del spec.obj["/AFRelationship"]
            pdf.attachments[name] = spec
            associated.append(pdf.attachments[name].obj)
        pdf.Root.AF = pikepdf.Array(associated)
        pdf.save(path, **kwargs)
    return path


def test_embedded_files_lists_name_mime_relationship_and_data(tmp_path: Path) -> None:
    path = _with_attachments(
        tmp_path / "zugferd.pdf",
        [
            ("factur-x.xml", b"<rsm:CrossIndustryInvoice/>", "Alternative"),
            ("notiz.xml", b"<n/>", None),
        ],
    )
    files = {f.name: f for f in embedded_files(path)}
    assert files["factur-x.xml"] == EmbeddedFile(
        name="factur-x.xml",
        mime="text/xml",
        relationship="Alternative",
        data=b"<rsm:CrossIndustryInvoice/>",
        size=27,
    )
    assert files["notiz.xml"].relationship is None
    assert embedded_files(path.read_bytes()) == embedded_files(str(path))


def test_embedded_files_of_a_pdf_without_attachments(good_pdf: Path) -> None:
    assert embedded_files(good_pdf) == []


def test_embedded_files_larger_than_max_size_are_listed_without_data(tmp_path: Path) -> None:
    big = b"<r>" + b"x" * 100_000 + b"</r>"
    path = _with_attachments(tmp_path / "gross.pdf", [("factur-x.xml", big, "Data")])
    (listed,) = embedded_files(path, max_size=1000)
    assert listed.data is None and listed.size is not None and listed.size > 1000
    (full,) = embedded_files(path, max_size=len(big))
    assert full.data == big


def test_embedded_files_refuses_encrypted_and_damaged(tmp_path: Path) -> None:
    path = _with_attachments(
        tmp_path / "verschluesselt.pdf",
        [("factur-x.xml", b"<r/>", "Alternative")],
        encryption=pikepdf.Encryption(owner="geheim", user=""),
    )
    with pytest.raises(UnsupportedContent) as info:
        embedded_files(path)
    assert info.value.message.startswith("PDF ist verschlüsselt")
    with pytest.raises(UnsupportedContent):
        embedded_files(b"%PDF-1.7\n" + b"\x00" * 64)
