"""Turn a user-supplied file name into one that is safe to store, show and offer for download.

Names arrive from browsers (some send the full client path), mail attachments and scanners.
They end up in Content-Disposition headers, ZIP exports and the UI, so anything that could
traverse directories, hide text (bidi overrides, zero-width characters) or break a header
(control characters) is removed here once, instead of being escaped differently everywhere.
"""

from __future__ import annotations

import re
import unicodedata

from dms.errors import InvalidInput

MAX_NAME_CHARS = 200
# An extension longer than this is more likely part of the name ("Protokoll.Sitzung vom ...").
_MAX_EXT_CHARS = 16
_SEPARATORS = re.compile(r"[/\\]")


def _clean(component: str) -> str:
    """Drop control/format/unassigned characters, then compose, then trim.

    Removal comes before NFC because a removed zero-width character can separate a base letter
    from its combining mark; normalising afterwards makes the result stable (idempotent).
    """
    kept = "".join(ch for ch in component if not unicodedata.category(ch).startswith("C"))
    return unicodedata.normalize("NFC", kept).strip()


def _split_extension(name: str) -> tuple[str, str]:
    """Split "Bericht.final.pdf" into ("Bericht.final", ".pdf"); hidden-file dots don't count."""
    dot = name.rfind(".")
    if dot <= 0 or len(name) - dot > _MAX_EXT_CHARS or dot == len(name) - 1:
        return name, ""
    return name[:dot], name[dot:]


def _shorten(name: str) -> str:
    """Cut to MAX_NAME_CHARS, sacrificing the stem so the extension (and the file type) survive."""
    stem, ext = _split_extension(name)
    stem = stem[: MAX_NAME_CHARS - len(ext)].rstrip()
    # NFC of a cut string can differ from the cut (a few characters expand under NFC), so
    # repeat until the result is a fixed point of _clean and short enough.
    shortened = _clean(stem + ext)
    while len(shortened) > MAX_NAME_CHARS:
        stem = stem[:-1].rstrip()
        shortened = _clean(stem + ext)
    return shortened


def _is_usable(name: str) -> bool:
    return bool(name) and set(name) != {"."}


def safe_filename(name: str) -> str:
    """Return the last path component of ``name``, cleaned and at most 200 characters long.

    Raises InvalidInput when nothing usable remains (empty, only dots, only control characters),
    because silently inventing a name would hide a client bug from the person uploading.
    """
    component = _SEPARATORS.split(name)[-1]
    cleaned = _clean(component)
    if len(cleaned) > MAX_NAME_CHARS:
        cleaned = _shorten(cleaned)
    if not _is_usable(cleaned):
        shown = name if len(name) <= 80 else name[:77] + "..."
        raise InvalidInput(
            f"Ungültiger Dateiname: {shown!r} – es bleibt kein verwendbarer Name übrig"
            f" / Invalid file name: {shown!r} – no usable name remains"
        )
    return cleaned
