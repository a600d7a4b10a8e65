"""An e-mail (.eml) as one incoming letter: read the headers, the body and the attachments,
and refuse what must not go further (a damaged mail, a huge attachment, a zip bomb).

An e-mail is one letter (Schriftstück): its body (text/plain preferred, else the HTML turned
into text) is what the mailroom reads and routes by, and the original .eml is filed
unchanged as the letter's main document, so nothing of the original is ever lost. Each
attachment becomes a further document of the same letter and case; :mod:`ingest.pipeline`
decides how each is prepared (born-digital PDF as it is, scans and images OCR'd into PDF/A,
e-invoices recognised). Sender and letter date come from the headers (From:, Date:), not
from guessing in the text.

Parsing uses the standard library's ``email`` package with ``policy.default`` (decoded
headers, ``get_body``). Everything here works on bytes already stored: a refusal raises
:class:`dms.errors.UnsupportedContent` with a reason a person can read, and the pipeline
quarantines the batch with it; the stored original stays.
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime
from pathlib import Path
from typing import cast

from dms.content.extract import html_to_text
from dms.content.sniff import sniff
from dms.errors import UnsupportedContent

MAX_ATTACHMENTS = 100
# The parser holds a mail in memory, so it is bounded before parsing; mail servers commonly
# refuse more than 25-50 MB, and base64 makes attachments a third larger on the way.
MAX_EMAIL_BYTES = 200 * 1024**2
MAX_ATTACHMENT_BYTES = 100 * 1024**2  # one attachment, decoded
MAX_TOTAL_BYTES = 150 * 1024**2  # all attachments of one mail, decoded
MAX_DEPTH = 8  # nested multiparts; real mail clients stay within 4
# Zip archives (and the office formats that are zip inside): what their entries would
# unpack to, by the sizes the archive itself declares, read without unpacking anything.
MAX_UNZIPPED_BYTES = 1024**3
MAX_ZIP_RATIO = 200  # deflate reaches ~10x on text; a bomb reaches 1000x and more
MAX_ZIP_ENTRIES = 10_000

_BROKEN_STRUCTURE = ("StartBoundaryNotFoundDefect", "MultipartInvariantViolationDefect")
_EXTENSIONS = {
    "application/pdf": ".pdf",
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/tiff": ".tif",
    "image/gif": ".gif",
    "application/xml": ".xml",
    "text/xml": ".xml",
    "text/plain": ".txt",
    "text/html": ".html",
    "message/rfc822": ".eml",
    "application/zip": ".zip",
}
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]+")


def _refuse(german: str, english: str) -> UnsupportedContent:
    return UnsupportedContent(f"E-Mail nicht übernommen: {german} / e-mail refused: {english}")


@dataclass(frozen=True)
class EmailAttachment:
    filename: str
    declared_type: str  # Content-Type as the mail says
    mime_type: str  # what the bytes are (sniffed)
    data: bytes


@dataclass(frozen=True)
class EmailLetter:
    """What the mailroom needs from one e-mail."""

    subject: str
    sender_name: str | None  # display name of From:, else None
    sender_address: str | None  # addr-spec of From:
    sent_at: datetime | None  # the Date: header, timezone-aware
    message_id: str | None
    recipients: str
    body: str  # the readable text of the body (HTML turned into text)
    body_kind: str  # plain | html | none
    attachments: list[EmailAttachment] = field(default_factory=list)

    @property
    def sender(self) -> str | None:
        """The sender as a person reads it: the display name, else the address."""
        return self.sender_name or self.sender_address

    def letter_date(self, tz: tzinfo) -> date | None:
        """The day the mail was written, in the office's time zone ("Schreiben vom")."""
        return self.sent_at.astimezone(tz).date() if self.sent_at else None

    def reading_text(self, tz: tzinfo) -> str:
        """Headers and body laid out like the top of a letter, for extraction and routing."""
        lines = [line for line in (self.sender_name, self.sender_address) if line]
        day = self.letter_date(tz)
        if day:
            lines.append(f"Datum: {day:%d.%m.%Y}")
        if self.subject:
            lines.append(f"Betreff: {self.subject}")
        return "\n".join(lines) + ("\n\n" + self.body.strip() if self.body.strip() else "")


# --- headers --------------------------------------------------------------------------------


def _raw_header(message: EmailMessage, name: str) -> str | None:
    for key, value in message.raw_items():
        if key.lower() == name.lower():
            return " ".join(str(value).split())
    return None


def _header(message: EmailMessage, name: str) -> str:
    """The decoded header; a header the parser trips over falls back to its raw text."""
    try:
        value = message.get(name)
    except (ValueError, TypeError, IndexError, AttributeError):
        value = _raw_header(message, name)
    return " ".join(str(value).split()) if value is not None else ""


def _sender(message: EmailMessage) -> tuple[str | None, str | None]:
    raw = _header(message, "From")
    if not raw:
        return None, None
    try:
        pairs = getaddresses([raw])
    except (ValueError, TypeError, IndexError):
        return raw, None
    name, address = pairs[0] if pairs else ("", "")
    return (name.strip() or None), (address.strip() or None)


def _sent_at(message: EmailMessage) -> datetime | None:
    raw = _raw_header(message, "Date")
    if not raw:
        return None
    try:
        sent = parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        return None  # a garbled Date: only loses the letter date, not the mail
    if sent.tzinfo is None:  # "-0000" or no zone: RFC 5322 says UTC is the best guess
        sent = sent.replace(tzinfo=UTC)
    return sent


# --- body and attachments -------------------------------------------------------------------


def _text_of(part: EmailMessage) -> str:
    try:
        content = part.get_content()
    except (LookupError, UnicodeError, KeyError, AssertionError, ValueError):
        payload = part.get_payload(decode=True)
        content = payload.decode("cp1252", errors="replace") if isinstance(payload, bytes) else ""
    return content if isinstance(content, str) else ""


def _body(message: EmailMessage) -> tuple[str, str, EmailMessage | None]:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return "", "none", None
    if part.get_content_subtype() == "html":
        return html_to_text(_text_of(part)), "html", part
    return _text_of(part).replace("\r\n", "\n"), "plain", part


def _parts(message: EmailMessage, depth: int = 0) -> Iterator[tuple[EmailMessage, str]]:
    """Leaf parts with the subtype of the multipart holding them; a forwarded mail
    (message/rfc822) is one leaf, not opened here."""
    if depth > MAX_DEPTH:
        raise _refuse(f"mehr als {MAX_DEPTH} verschachtelte Teile",
                      f"more than {MAX_DEPTH} nested parts")
    payload = message.get_payload()
    if not isinstance(payload, list):
        return
    for part in cast(list[EmailMessage], payload):
        if part.is_multipart() and part.get_content_type() != "message/rfc822":
            yield from _parts(part, depth + 1)
        else:
            yield part, message.get_content_subtype()


def _is_attachment(part: EmailMessage, container: str, body: EmailMessage | None) -> bool:
    if part is body:
        return False
    disposition = part.get_content_disposition()
    if disposition == "attachment":
        return True
    if part.get_content_maintype() == "text" and not part.get_filename():
        return False  # the body's other alternative (HTML beside plain), or a text footer
    # A picture inside the HTML body (logo, signature image) is part of the body.
    return not (container == "related" and part.get("Content-ID"))


def _safe_name(name: str | None, index: int, mime: str) -> str:
    cleaned = _UNSAFE_NAME.sub("_", (name or "").strip()).strip(". ")[:180]
    if not cleaned:
        cleaned = f"anhang-{index}{_EXTENSIONS.get(mime, '.bin')}"
    return cleaned


def _decoded_size_estimate(part: EmailMessage) -> int:
    payload = part.get_payload()
    size = len(payload) if isinstance(payload, (str, bytes)) else 0
    encoding = str(part.get("Content-Transfer-Encoding", "")).strip().lower()
    return size * 3 // 4 if encoding == "base64" else size


def _attachment_bytes(part: EmailMessage) -> bytes:
    if part.get_content_type() == "message/rfc822":
        inner = part.get_payload()
        if isinstance(inner, list) and inner:
            return cast(EmailMessage, inner[0]).as_bytes(policy=policy.default)
        return b""
    payload = part.get_payload(decode=True)
    return payload if isinstance(payload, bytes) else b""


def check_archive(data: bytes, name: str) -> None:
    """Refuse a zip archive (or .docx/.odt, zips inside) that would unpack to far more than
    it weighs: the sizes it declares are read from its directory, nothing is unpacked."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return  # not readable as zip: filed as it is, like any other file
    unpacked = sum(entry.file_size for entry in entries)
    packed = max(1, sum(entry.compress_size for entry in entries))
    if len(entries) > MAX_ZIP_ENTRIES or unpacked > MAX_UNZIPPED_BYTES \
            or unpacked / packed > MAX_ZIP_RATIO:
        raise _refuse(
            f"Anhang {name!r} ist ein Archiv, das sich auf {unpacked / 2**20:,.0f} MB"
            f" entpacken würde ({len(entries)} Einträge; vermutlich eine Zip-Bombe)",
            f"attachment {name!r} is an archive that would unpack to"
            f" {unpacked / 2**20:,.0f} MB ({len(entries)} entries; probably a zip bomb)",
        )


def _attachments(message: EmailMessage, body: EmailMessage | None,
                 max_bytes: int) -> list[EmailAttachment]:
    if not message.is_multipart():
        return []
    found: list[EmailAttachment] = []
    total = 0
    for part, container in _parts(message):
        if not _is_attachment(part, container, body):
            continue
        if len(found) >= MAX_ATTACHMENTS:
            raise _refuse(f"mehr als {MAX_ATTACHMENTS} Anhänge",
                          f"more than {MAX_ATTACHMENTS} attachments")
        declared = part.get_content_type()
        name = _safe_name(part.get_filename(), len(found) + 1, declared)
        limit = min(max_bytes, MAX_ATTACHMENT_BYTES)
        if _decoded_size_estimate(part) > limit:  # before decoding it
            raise _refuse(
                f"Anhang {name!r} ist größer als {limit / 2**20:,.0f} MB",
                f"attachment {name!r} is larger than {limit / 2**20:,.0f} MB",
            )
        data = _attachment_bytes(part)
        total += len(data)
        if total > MAX_TOTAL_BYTES:
            raise _refuse(f"Anhänge zusammen größer als {MAX_TOTAL_BYTES / 2**20:,.0f} MB",
                          f"attachments exceed {MAX_TOTAL_BYTES / 2**20:,.0f} MB in all")
        if not data:
            continue  # an empty part carries nothing to file
        mime = sniff(data[:8192], name)
        if mime.startswith("application/") and data[:4] == b"PK\x03\x04":
            check_archive(data, name)
        if "." not in name.rsplit("/", 1)[-1] and mime in _EXTENSIONS:
            name += _EXTENSIONS[mime]
        found.append(EmailAttachment(name, declared, mime, data))
    return found


# --- the letter -----------------------------------------------------------------------------


def read_email(path: Path, *, max_attachment_bytes: int = MAX_ATTACHMENT_BYTES) -> EmailLetter:
    """Read one stored .eml; raises UnsupportedContent (the batch is quarantined) for a mail
    that is damaged, not a mail at all, or carries a huge attachment or a zip bomb."""
    size = path.stat().st_size
    if size > MAX_EMAIL_BYTES:
        raise _refuse(f"{size / 2**20:,.0f} MB groß, höchstens {MAX_EMAIL_BYTES / 2**20:,.0f} MB",
                      f"{size / 2**20:,.0f} MB, at most {MAX_EMAIL_BYTES / 2**20:,.0f} MB")
    with path.open("rb") as handle:
        try:
            message = cast(EmailMessage, BytesParser(policy=policy.default).parse(handle))
        except (ValueError, TypeError, IndexError, LookupError) as exc:
            raise _refuse(f"nicht lesbar ({exc})", f"unreadable ({exc})") from exc
    if not any(_raw_header(message, name) for name in ("From", "Date", "Subject")):
        raise _refuse("keine Kopfzeilen From, Date oder Subject; die Datei ist keine E-Mail",
                      "no From, Date or Subject header; the file is not an e-mail")
    broken = [type(defect).__name__ for defect in _all_defects(message)
              if type(defect).__name__ in _BROKEN_STRUCTURE]
    if broken:
        raise _refuse(
            "die Teile der Nachricht sind beschädigt (MIME-Grenzen fehlen oder passen nicht)",
            f"the message's parts are damaged ({', '.join(sorted(set(broken)))})",
        )
    body, kind, body_part = _body(message)
    sender_name, sender_address = _sender(message)
    return EmailLetter(
        subject=_header(message, "Subject"),
        sender_name=sender_name,
        sender_address=sender_address,
        sent_at=_sent_at(message),
        message_id=_header(message, "Message-ID") or None,
        recipients=_header(message, "To"),
        body=body,
        body_kind=kind,
        attachments=_attachments(message, body_part, max_attachment_bytes),
    )


def _all_defects(message: EmailMessage) -> Iterator[object]:
    for part in message.walk():
        yield from part.defects


# --- preparing the attachments --------------------------------------------------------------


@dataclass(frozen=True)
class PreparedAttachment:
    """An attachment ready to be filed: the file that goes into the e-file and its text."""

    filename: str  # as filed
    path: Path  # the file to file: the attachment itself, or its searchable PDF/A
    text: str
    method: str  # text-layer | ocr | e-invoice | as-is
    original_sha256: str
    original_type: str
    pages: int | None = None
    ocr_confidence: float | None = None
    note: str | None = None  # why it was filed as it is, when it could not be read
    reading_copy: Path | None = None  # signed scan: its searchable PDF/A, kept beside it


def write_attachment(attachment: EmailAttachment, folder: Path) -> Path:
    """The attachment as a file of its own in ``folder`` (one folder per attachment, so
    two attachments of the same name do not collide)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / attachment.filename
    path.write_bytes(attachment.data)
    return path


def prepare_attachment(
    attachment: EmailAttachment, original: Path, *, jobs: int = 2, is_einvoice: bool = False
) -> PreparedAttachment:
    """Decide what is filed for an attachment written to ``original``: an e-invoice and a
    born-digital PDF unchanged, a scanned PDF or an image as a searchable PDF/A (OCR), any
    other file unchanged (its text is extracted here for routing, and again when filed).
    A signed PDF is never rewritten: a signed scan is filed unchanged with its OCR'd
    reading copy beside it (:mod:`ingest.reading_copy`)."""
    sha = hashlib.sha256(attachment.data).hexdigest()
    mime = attachment.mime_type
    if is_einvoice:
        return PreparedAttachment(attachment.filename, original, "", "e-invoice", sha, mime)
    if mime == "application/pdf":
        text_layer = _pdf_text(original)
        if text_layer is not None:
            return PreparedAttachment(attachment.filename, original, text_layer[0],
                                      "text-layer", sha, mime, text_layer[1])
        from ingest.reading_copy import is_signed

        if is_signed(original):
            return _signed_attachment(attachment, original, sha, jobs)
    if mime in ("application/pdf", "image/tiff", "image/jpeg", "image/png"):
        try:
            return _ocr_attachment(attachment, original, sha, jobs)
        except UnsupportedContent as exc:  # damaged or unreadable: kept, with the reason
            return PreparedAttachment(attachment.filename, original, "", "as-is", sha, mime,
                                      note=exc.message)
    return PreparedAttachment(attachment.filename, original, _any_text(original, mime),
                              "as-is", sha, mime)


def _any_text(path: Path, mime: str) -> str:
    from dms.content.extract import extract_text
    from dms.errors import DmsError

    try:
        return extract_text(path, mime, max_chars=200_000).text
    except (DmsError, OSError, ValueError):
        return ""


def _pdf_text(path: Path) -> tuple[str, int | None] | None:
    from ingest.pipeline import born_digital_text

    extracted = born_digital_text(path)
    return (extracted.text, extracted.pages) if extracted is not None else None


def _ocr_attachment(
    attachment: EmailAttachment, original: Path, sha: str, jobs: int
) -> PreparedAttachment:
    from ingest.pages import PageSettings, load_pages, process_pages
    from ingest.pdfa import ImageOptions, PdfaMetadata, write_pdfa

    settings = PageSettings(detect_separators=False)  # an attachment is one document
    pages = [
        (page.encoded, page.ocr)
        for page in process_pages(load_pages(original), settings, jobs=jobs,
                                  encode=ImageOptions())
        if page.kind == "content"
    ]
    if not pages:
        return PreparedAttachment(attachment.filename, original, "", "as-is", sha,
                                  attachment.mime_type, note="keine beschriebene Seite")
    stem = attachment.filename.rsplit(".", 1)[0] or "anhang"
    pdf_path = original.with_name(f"{stem}.ocr.pdf")
    write_pdfa(pages, pdf_path, PdfaMetadata(title=attachment.filename, source=f"sha256:{sha}",
                                             author="Poststelle"))
    readings = [ocr for _, ocr in pages if ocr is not None]
    confidence = (sum(o.mean_confidence for o in readings) / len(readings)) if readings else None
    return PreparedAttachment(
        f"{stem}.pdf", pdf_path, "\f".join(o.text for o in readings), "ocr", sha,
        attachment.mime_type, len(pages), confidence,
    )


def _signed_attachment(
    attachment: EmailAttachment, original: Path, sha: str, jobs: int
) -> PreparedAttachment:
    """A signed scan attached to a mail: filed as it came, OCR'd into a reading copy."""
    from ingest.reading_copy import METHOD, make_reading_copy

    stem = attachment.filename.rsplit(".", 1)[0] or "anhang"
    try:
        copy = make_reading_copy(original, original.with_name(f"{stem}.lesefassung.pdf"),
                                 title=attachment.filename, original_sha256=sha, jobs=jobs)
    except UnsupportedContent as exc:  # kept as it is, with the reason
        return PreparedAttachment(attachment.filename, original, "", "as-is", sha,
                                  attachment.mime_type, note=exc.message)
    return PreparedAttachment(
        attachment.filename, original, copy.text, METHOD, sha, attachment.mime_type,
        copy.pages, copy.mean_confidence, reading_copy=copy.path,
    )
