"""Reading an .eml: headers, the body (plain before HTML), attachments, and the refusals
(not a mail, damaged parts, huge attachments, zip bombs) with a reason a person can read."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from dms.content.text_pdf import text_pdf
from dms.errors import UnsupportedContent
from ingest.email_letters import EmailLetter, read_email
from tests.mailroom.emails import mail, small_zip, zip_bomb

BERLIN = ZoneInfo("Europe/Berlin")
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010800000000"
    "3a7e9b550000000a49444154789c6360000000020001e221bc330000000049454e44ae426082")


def _read(tmp_path: Path, data: bytes, **kwargs: int) -> EmailLetter:
    path = tmp_path / "mail.eml"
    path.write_bytes(data)
    return read_email(path, **kwargs)


def test_headers_body_and_attachments(tmp_path: Path) -> None:
    pdf = text_pdf(["Lageplan"])
    letter = _read(tmp_path, mail(
        plain="Anbei der Lageplan.", html="<p>Anbei <b>HTML</b></p>",
        attachments=[("lageplan.pdf", "application/pdf", pdf),
                     ("liste.zip", "application/zip", small_zip())]))
    assert letter.sender_name == "Gemeinde Oberdorf"
    assert letter.sender_address == "bauamt@oberdorf.example"
    assert letter.subject == "Nachreichung Lageplan"
    assert letter.letter_date(BERLIN) == date(2026, 11, 4)
    assert letter.body_kind == "plain" and "Anbei der Lageplan." in letter.body
    names = [(a.filename, a.mime_type) for a in letter.attachments]
    assert names == [("lageplan.pdf", "application/pdf"), ("liste.zip", "application/zip")]
    assert letter.attachments[0].data == pdf
    text = letter.reading_text(BERLIN)
    assert text.startswith("Gemeinde Oberdorf\nbauamt@oberdorf.example\nDatum: 04.11.2026")


def test_html_only_body_becomes_text_and_inline_logo_is_no_attachment(tmp_path: Path) -> None:
    letter = _read(tmp_path, mail(plain=None, html="<html><body><h1>Antrag</h1><p>auf "
                                  "Grundsicherung</p><script>x()</script></body></html>",
                                  inline_image=PNG))
    assert letter.body_kind == "html"
    assert letter.body == "Antrag\n\nauf Grundsicherung"
    assert letter.attachments == []


def test_date_late_in_the_evening_utc_is_the_next_day_in_germany(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    letter = _read(tmp_path, mail(sent=datetime(2026, 11, 4, 23, 30, tzinfo=UTC)))
    assert letter.letter_date(BERLIN) == date(2026, 11, 5)


def test_a_file_without_mail_headers_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedContent, match="keine E-Mail"):
        _read(tmp_path, b"Received: from x\nX-Foo: bar\n\nnur Text\n")


def test_damaged_mime_structure_is_refused(tmp_path: Path) -> None:
    data = (b"From: a@b.example\nSubject: kaputt\nMIME-Version: 1.0\n"
            b"Content-Type: multipart/mixed; boundary=\"XYZ\"\n\nno parts at all\n")
    with pytest.raises(UnsupportedContent, match="beschädigt"):
        _read(tmp_path, data)


def test_huge_attachment_is_refused_before_decoding(tmp_path: Path) -> None:
    data = mail(attachments=[("scan.pdf", "application/pdf", b"%PDF-1.7\n" + b"x" * 300_000)])
    with pytest.raises(UnsupportedContent, match="größer als"):
        _read(tmp_path, data, max_attachment_bytes=200_000)


def test_zip_bomb_is_refused(tmp_path: Path) -> None:
    data = mail(attachments=[("daten.zip", "application/zip", zip_bomb(30))])
    with pytest.raises(UnsupportedContent, match="Zip-Bombe"):
        _read(tmp_path, data)


def test_forwarded_mail_is_one_attachment_not_opened(tmp_path: Path) -> None:
    inner = mail(subject="Ursprüngliche Nachricht", plain="Der erste Text.",
                 attachments=[("plan.pdf", "application/pdf", text_pdf(["Plan"]))])
    from email import message_from_bytes, policy

    forwarded = message_from_bytes(inner, policy=policy.default)
    outer = mail(subject="WG: Ursprüngliche Nachricht", plain="Zur Kenntnis.")
    message = message_from_bytes(outer, policy=policy.default)
    message.add_attachment(forwarded)  # message/rfc822
    letter = _read(tmp_path, message.as_bytes())
    [attachment] = letter.attachments
    assert attachment.mime_type == "message/rfc822"
    assert attachment.filename.endswith(".eml")
    assert b"Der erste Text." in attachment.data and b"plan.pdf" in attachment.data


def test_oversized_mail_is_refused_before_parsing(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    import ingest.email_letters as email_letters

    monkeypatch.setattr(email_letters, "MAX_EMAIL_BYTES", 1000)
    with pytest.raises(UnsupportedContent, match="höchstens"):
        _read(tmp_path, mail(plain="x" * 5000))
