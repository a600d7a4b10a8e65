"""Building .eml files for the tests, with the standard library, the way mail clients do."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from zoneinfo import ZoneInfo

BERLIN = ZoneInfo("Europe/Berlin")


def mail(
    *,
    subject: str = "Nachreichung Lageplan",
    sender: str = "Gemeinde Oberdorf <bauamt@oberdorf.example>",
    sent: datetime = datetime(2026, 11, 4, 9, 30, tzinfo=BERLIN),
    plain: str | None = "Sehr geehrte Damen und Herren,\nanbei der Lageplan.\n",
    html: str | None = None,
    attachments: list[tuple[str, str, bytes]] = (),  # type: ignore[assignment]
    inline_image: bytes | None = None,
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "poststelle@landkreis.example"
    message["Subject"] = subject
    message["Date"] = format_datetime(sent)
    message["Message-ID"] = "<abc.123@oberdorf.example>"
    if plain is not None:
        message.set_content(plain)
        if html is not None:
            message.add_alternative(html, subtype="html")
    elif html is not None:
        message.set_content(html, subtype="html")
    if inline_image is not None:
        body = message.get_body(preferencelist=("html",))
        assert body is not None
        body.add_related(inline_image, maintype="image", subtype="png", cid="<logo@x>")
    for filename, mime, data in attachments:
        maintype, subtype = mime.split("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return message.as_bytes()


def zip_bomb(megabytes: int = 30) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("daten.txt", b"\0" * (megabytes * 1024 * 1024))
    return buffer.getvalue()


def small_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("liste.txt", "Flurstück 12/3, Gemarkung Oberdorf\n" * 20)
    return buffer.getvalue()
