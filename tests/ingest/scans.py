"""Generated test scans: German letters with KNOWN text, rendered at 300 dpi like a scanner would.

Everything here is deterministic for a given seed, so a failing OCR test can be reproduced
and looked at (``python -m tests.ingest.scans /tmp/out`` writes a few samples as PNG).

A letter has a letterhead, the sender line above the address field, the recipient's address,
a reference block ("Ihr Zeichen / Unser Zeichen", an Aktenzeichen such as ``63-600-0001/2026``,
the date), a subject, body paragraphs with umlauts, an IBAN and an amount. :class:`ScanPage`
carries the rendered image together with the ground-truth lines and the fields.

Scanner effects: slight blur, Gaussian noise, a few specks, a small skew (±2°) and, on
request, a page fed in at 90°/180°. Blank back sides get speckle; separator sheets are
rendered from :func:`ingest.barcodes.separator_sheet_pdf` through pdfium, as a scanner would
see the printed sheet.
"""

from __future__ import annotations

import io
import random
import sys
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

DPI = 300
A4_PX = (round(210 / 25.4 * DPI), round(297 / 25.4 * DPI))  # 2480 x 3508
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
REGULAR = FONT_DIR / "DejaVuSerif.ttf"
SANS = FONT_DIR / "DejaVuSans.ttf"
SANS_BOLD = FONT_DIR / "DejaVuSans-Bold.ttf"


def _pt(points: float) -> int:
    """Font size in pixels at 300 dpi for a size in points."""
    return round(points / 72 * DPI)


def _mm(millimetres: float) -> int:
    return round(millimetres / 25.4 * DPI)


SENDERS = [
    ("Müller & Söhne Bauunternehmung GmbH", "Hauptstraße 12", "63065 Offenbach am Main"),
    ("Ingenieurbüro Jäger", "Großer Hirschgraben 7", "60311 Frankfurt am Main"),
    ("Rechtsanwälte Weiß, Schäfer und Partner", "Kaiserstraße 44", "64283 Darmstadt"),
    ("Stadtwerke Überlingen GmbH", "Bahnhofsplatz 3", "88662 Überlingen"),
    ("Elke Bäumer", "Fröbelweg 21", "35390 Gießen"),
    ("Hausverwaltung Kühn KG", "Lößnitzgrundstraße 9", "01445 Radebeul"),
]
SUBJECTS = [
    "Bauantrag für das Grundstück Mühlweg 5, Flurstück 112/4",
    "Widerspruch gegen den Gebührenbescheid vom 03.02.2026",
    "Antrag auf Verlängerung der Sondernutzungserlaubnis",
    "Rechnung Nr. 2026-0417 über Straßenbauarbeiten",
    "Stellungnahme zum Bebauungsplan Nr. 63 „Am Südhang“",
    "Anhörung zur Beseitigungsanordnung für die Garage",
]
PARAGRAPHS = [
    "wir beziehen uns auf Ihr Schreiben und übersenden Ihnen die angeforderten Unterlagen. "
    "Die Prüfung der Statik wurde durch einen öffentlich bestellten Sachverständigen "
    "durchgeführt; das Gutachten liegt diesem Schreiben in zweifacher Ausfertigung bei.",
    "Nach unserer Auffassung ist die Gebühr zu hoch bemessen, weil die Größe der Fläche "
    "falsch ermittelt wurde. Wir bitten um Überprüfung und um eine kurze Rückmeldung, "
    "ob eine Ermäßigung möglich ist.",
    "Für Rückfragen stehen wir Ihnen gern zur Verfügung. Bitte geben Sie bei allen "
    "Schreiben das oben genannte Aktenzeichen an, damit Ihre Nachricht schnell dem "
    "richtigen Vorgang zugeordnet werden kann.",
    "Die Arbeiten an der Straßenbeleuchtung wurden fristgerecht abgeschlossen. Die "
    "Abnahme erfolgte am Dienstag gemeinsam mit Herrn Schäfer vom Tiefbauamt; Mängel "
    "wurden dabei nicht festgestellt.",
    "Außerdem weisen wir darauf hin, dass die Frist zur Einreichung der Unterlagen am "
    "Monatsende abläuft. Eine Verlängerung um vier Wochen wäre für uns sehr hilfreich, "
    "da der Gutachter erst später verfügbar ist.",
    "Wir möchten ausdrücklich betonen, dass die Nachbarn über das Vorhaben informiert "
    "wurden und keine Einwände erhoben haben. Die Zustimmungserklärungen fügen wir bei.",
]
FIRST_NAMES = ["Jürgen", "Käthe", "Sören", "Björn", "Gülay", "Hans-Peter", "Dörte"]
LAST_NAMES = ["Größmann", "Köhler", "Weißenfels", "Brückner", "Nußbaum", "Schäfer"]


def iban_de(rng: random.Random) -> str:
    """A German IBAN with a correct ISO 7064 check (mod 97), grouped in fours."""
    bban = f"{rng.randrange(10**7, 10**8)}{rng.randrange(10**9, 10**10)}"
    numeric = bban + "131400"  # "DE" -> 13 14, check digits 00
    check = 98 - int(numeric) % 97
    iban = f"DE{check:02d}{bban}"
    return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))


@dataclass
class ScanPage:
    """One rendered page, with what is really written on it."""

    image: Image.Image
    lines: list[str] = field(default_factory=list)
    fields: dict[str, str] = field(default_factory=dict)
    kind: str = "letter"  # letter | blank | separator
    rotation: int = 0  # clockwise degrees the page was fed in (0, 90, 180, 270)
    skew: float = 0.0  # degrees, counter-clockwise positive (PIL's convention)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}".strip()
        if font.getlength(candidate) <= width or not current:
            current = candidate
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    return lines


def letter_content(seed: int) -> tuple[list[tuple[str, str, int]], dict[str, str]]:
    """The lines of a one-page letter as (font, text, gap-after-in-px) plus the known fields."""
    rng = random.Random(seed)
    sender = SENDERS[seed % len(SENDERS)]
    subject = SUBJECTS[(seed // len(SENDERS) + seed) % len(SUBJECTS)]
    day, month = rng.randint(1, 28), rng.randint(1, 12)
    date = f"{day:02d}.{month:02d}.2026"
    aktenzeichen = f"63-600-{rng.randint(1, 9999):04d}/2026"
    their_ref = f"{rng.choice('ABKMS')}{rng.choice('ÄÖÜ')}-{rng.randint(100, 999)}"
    iban = iban_de(rng)
    euros = rng.randint(100, 99999)
    amount = f"{euros:,}".replace(",", ".") + f",{rng.randint(0, 99):02d} EUR"
    contact = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
    recipient_no = rng.randint(1, 40)
    paragraphs = rng.sample(PARAGRAPHS, 3)
    fields = {
        "sender": sender[0],
        "date": date,
        "aktenzeichen": aktenzeichen,
        "ihr_zeichen": aktenzeichen,
        "unser_zeichen": their_ref,
        "iban": iban,
        "amount": amount,
        "subject": subject,
    }
    lines: list[tuple[str, str, int]] = [
        ("head", sender[0], 10),
        ("small", f"{sender[1]} · {sender[2]} · Telefon 069 {rng.randint(100000, 999999)}", 120),
        ("small", f"{sender[0]} · {sender[1]} · {sender[2]}", 30),
        ("body", "Stadtverwaltung Musterstadt", 0),
        ("body", "Bauaufsichtsamt (Amt 63)", 0),
        ("body", f"Rathausplatz {recipient_no}", 0),
        ("body", "12345 Musterstadt", 120),
        ("body", f"Ihr Zeichen: {aktenzeichen}      Unser Zeichen: {their_ref}", 0),
        ("body", f"Ansprechpartner: {contact}      Datum: {date}", 90),
        ("bold", f"Betreff: {subject}", 60),
        ("body", "Sehr geehrte Damen und Herren,", 40),
    ]
    return (
        lines
        + [("para", p, 40) for p in paragraphs]
        + [
            ("body", f"Bitte überweisen Sie den Betrag von {amount} auf das Konto", 0),
            ("body", f"IBAN {iban} bei der Sparkasse Musterstadt.", 50),
            ("body", "Mit freundlichen Grüßen", 140),
            ("body", contact, 0),
        ],
        fields,
    )


def _fonts() -> dict[str, ImageFont.FreeTypeFont]:
    return {
        "head": ImageFont.truetype(str(SANS_BOLD), _pt(16)),
        "small": ImageFont.truetype(str(SANS), _pt(8)),
        "body": ImageFont.truetype(str(REGULAR), _pt(11)),
        "para": ImageFont.truetype(str(REGULAR), _pt(11)),
        "bold": ImageFont.truetype(str(SANS_BOLD), _pt(11)),
    }


def render_text_page(
    content: Sequence[tuple[str, str, int]], *, size: tuple[int, int] = A4_PX
) -> tuple[Image.Image, list[str]]:
    """Draw the content black on white; returns the clean page and the lines really drawn."""
    fonts = _fonts()
    page = Image.new("L", size, 255)
    draw = ImageDraw.Draw(page)
    left, top = _mm(25), _mm(20)
    width = size[0] - left - _mm(20)
    y = top
    drawn: list[str] = []
    for style, text, gap in content:
        font = fonts[style]
        line_height = round(font.size * 1.4)
        for line in _wrap(text, font, width) if style == "para" else [text]:
            draw.text((left, y), line, font=font, fill=0)
            drawn.append(line)
            y += line_height
        y += gap
    return page, drawn


def scanner_effects(
    page: Image.Image,
    rng: random.Random,
    *,
    skew: float = 0.0,
    noise: float = 6.0,
    specks: int = 40,
) -> Image.Image:
    """Blur a little, rotate by ``skew`` degrees, add Gaussian noise and dark specks."""
    if skew:  # bilinear interpolation softens the edges like a scanner's optics
        page = page.rotate(skew, resample=Image.Resampling.BILINEAR, fillcolor=255)
    else:
        page = page.filter(ImageFilter.GaussianBlur(0.6))
    pixels = np.asarray(page, dtype=np.int16)
    generator = np.random.default_rng(rng.randrange(2**32))
    if noise:
        gauss = generator.standard_normal(pixels.shape, dtype=np.float32) * noise
        pixels = pixels + gauss.astype(np.int16)
    height, width = pixels.shape
    for _ in range(specks):
        y, x = generator.integers(0, height - 3), generator.integers(0, width - 3)
        r = int(generator.integers(1, 3))
        pixels[y : y + r, x : x + r] = generator.integers(0, 90)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "L")


def _finish(image: Image.Image, rotation: int, mode: str) -> Image.Image:
    if rotation:
        # The page was fed in turned clockwise: the image shows it rotated by -rotation.
        image = image.rotate(-rotation, expand=True)
    if mode == "RGB":
        image = Image.merge("RGB", [image, image, image.point(lambda v: max(0, v - 6))])
    elif mode == "1":
        image = image.point(lambda v: 255 if v > 150 else 0).convert("1", dither=None)
    image.info["dpi"] = (DPI, DPI)
    return image


def letter_page(
    seed: int = 0,
    *,
    skew: float | None = None,
    rotation: int = 0,
    mode: str = "L",
    noise: float = 6.0,
) -> ScanPage:
    """A one-page letter; ``skew`` None picks a random one within ±2°."""
    rng = random.Random(seed)
    content, fields = letter_content(seed)
    clean, lines = render_text_page(content)
    if skew is None:
        skew = round(rng.uniform(-2, 2), 2)
    image = scanner_effects(clean, rng, skew=skew, noise=noise)
    return ScanPage(_finish(image, rotation, mode), lines, fields, rotation=rotation, skew=skew)


def text_page(lines: Iterable[str], *, seed: int = 0, skew: float = 0.0) -> ScanPage:
    """A page with just the given body lines (e.g. a nearly empty page "Seite 2")."""
    content = [("body", line, 0) for line in lines]
    clean, drawn = render_text_page(content)
    image = scanner_effects(clean, random.Random(seed), skew=skew)
    return ScanPage(_finish(image, 0, "L"), drawn)


def blank_page(
    seed: int = 0, *, specks: int = 150, mode: str = "L", noise: float = 5.0
) -> ScanPage:
    """The empty back side of a duplex scan: paper noise and a few specks of dust."""
    clean = Image.new("L", A4_PX, 250)
    image = scanner_effects(clean, random.Random(seed), noise=noise, specks=specks)
    return ScanPage(_finish(image, 0, mode), [], kind="blank")


def separator_page(
    routing_code: str | None = None, *, seed: int = 0, skew: float = 1.0
) -> ScanPage:
    """A printed separator sheet as the scanner sees it (rendered from our own PDF)."""
    from dms.content.pdf import render_pages
    from ingest.barcodes import separator_sheet_pdf

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "trennblatt.pdf"
        path.write_bytes(separator_sheet_pdf(routing_code))
        (rendered,) = render_pages(path, DPI)
    rendered = rendered.convert("L")
    image = scanner_effects(rendered, random.Random(seed), skew=skew)
    page = ScanPage(_finish(image, 0, "L"), [], kind="separator")
    page.fields["routing_code"] = routing_code or ""
    return page


def multi_page_tiff(images: Iterable[Image.Image], compression: str = "tiff_lzw") -> bytes:
    """All pages in one TIFF, as a document scanner writes a batch."""
    images = list(images)
    buffer = io.BytesIO()
    first, rest = images[0], images[1:]
    first.save(
        buffer,
        format="TIFF",
        save_all=True,
        append_images=rest,
        compression=compression,
        dpi=(DPI, DPI),
    )
    return buffer.getvalue()


def pdf_of_images(images: Iterable[Image.Image], resolution: float = DPI) -> bytes:
    """An image-only PDF (what most scanners deliver), one JPEG page per image."""
    images = [im.convert("RGB") if im.mode == "1" else im for im in images]
    buffer = io.BytesIO()
    images[0].save(
        buffer,
        format="PDF",
        save_all=True,
        append_images=images[1:],
        resolution=resolution,
        quality=85,
    )
    return buffer.getvalue()


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", dpi=(DPI, DPI))
    return buffer.getvalue()


def jpeg_bytes(image: Image.Image, quality: int = 85) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=quality, dpi=(DPI, DPI))
    return buffer.getvalue()


def normalise(text: str) -> str:
    """Whitespace-insensitive form for CER: words joined by single spaces."""
    return " ".join(text.split())


def cer(recognised: str, truth: str) -> float:
    """Character error rate: edit distance over the length of the ground truth."""
    from rapidfuzz.distance import Levenshtein

    truth_n = normalise(truth)
    return Levenshtein.distance(normalise(recognised), truth_n) / max(1, len(truth_n))


if __name__ == "__main__":  # pragma: no cover - manual look at the samples
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/scans")
    out.mkdir(parents=True, exist_ok=True)
    letter_page(1).image.save(out / "letter.png")
    letter_page(2, rotation=180).image.save(out / "letter-180.png")
    blank_page(3).image.save(out / "blank.png")
    separator_page("office=63").image.save(out / "separator.png")
    print(out)
