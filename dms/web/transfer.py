"""Bytes in and out over HTTP, shared by the UI and the API: uploads spooled to a local file
in chunks (never read whole), and the Content-Disposition header for downloads."""

from __future__ import annotations

import shutil
import tempfile
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from fastapi import UploadFile

from dms.errors import InvalidInput

CHUNK = 1024 * 1024


@contextmanager
def spooled_upload(upload: UploadFile | None) -> Iterator[tuple[Path, str]]:
    """The upload as a local file plus its client-side name; the file is removed afterwards."""
    if upload is None or not upload.filename:
        raise InvalidInput("Bitte eine Datei auswählen / no file chosen")
    with tempfile.NamedTemporaryFile(prefix="dms-upload-", delete=False) as handle:
        path = Path(handle.name)
        try:
            upload.file.seek(0)
            shutil.copyfileobj(upload.file, handle, CHUNK)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
    try:
        yield path, upload.filename
    finally:
        path.unlink(missing_ok=True)
        upload.file.close()


def content_disposition(kind: str, filename: str) -> str:
    """RFC 6266/5987: an ASCII fallback (accents folded) plus the exact UTF-8 name."""
    folded = unicodedata.normalize("NFKD", filename)
    fallback = "".join(
        ch if 0x20 <= ord(ch) < 0x7F and ch not in '"\\%;' else "_"
        for ch in folded
        if not unicodedata.combining(ch)
    )
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
